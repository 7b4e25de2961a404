// Command counter is a g-counter on seq-kv, as in Gossip Glomers challenge 4:
// one shared key updated with compare-and-swap.
package main

import (
	"context"
	"encoding/json"
	"log"
	"sync/atomic"

	maelstrom "github.com/ddbbench/ddbbench/maelstrom"
)

const key = "counter"

func main() {
	n := maelstrom.NewNode()
	kv := maelstrom.NewSeqKV(n)

	n.Handle("add", func(msg maelstrom.Message) error {
		var body struct {
			Delta int `json:"delta"`
		}
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return err
		}
		ctx := context.Background()
		for {
			cur, err := kv.ReadInt(ctx, key)
			if maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist {
				cur, err = 0, nil
			}
			if err != nil {
				return err
			}
			err = kv.CompareAndSwap(ctx, key, cur, cur+body.Delta, true)
			if maelstrom.ErrorCode(err) == maelstrom.PreconditionFailed {
				continue
			}
			if err != nil {
				return err
			}
			return n.Reply(msg, map[string]any{"type": "add_ok"})
		}
	})

	// seq-kv may answer a read from a state older than the newest one, as
	// long as this client never goes backwards. A write moves this client
	// to the newest state, so the read that follows sees every add.
	var fresh atomic.Int64
	n.Handle("read", func(msg maelstrom.Message) error {
		if err := kv.Write(context.Background(), "fresh-"+n.ID(), fresh.Add(1)); err != nil {
			return err
		}
		v, err := kv.ReadInt(context.Background(), key)
		if maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist {
			v, err = 0, nil
		}
		if err != nil {
			return err
		}
		return n.Reply(msg, map[string]any{"type": "read_ok", "value": v})
	})

	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
