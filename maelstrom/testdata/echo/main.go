// Command echo is a test node written the way Gossip Glomers solutions are,
// against the maelstrom package's copy of Maelstrom's Go library API.
package main

import (
	"context"
	"encoding/json"
	"log"

	maelstrom "github.com/ddbbench/ddbbench/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	kv := maelstrom.NewLinKV(n)

	// The usual echo: decode to a map, change the type, reply.
	n.Handle("echo", func(msg maelstrom.Message) error {
		var body map[string]any
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return err
		}
		body["type"] = "echo_ok"
		return n.Reply(msg, body)
	})

	// big echoes an int64 through a typed body: exact end to end.
	n.Handle("big", func(msg maelstrom.Message) error {
		var body struct {
			Value int64 `json:"value"`
		}
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return err
		}
		return n.Reply(msg, map[string]any{"type": "big_ok", "value": body.Value})
	})

	// get reads a key from lin-kv; an error reply from lin-kv goes back to
	// the client as the handler's error.
	n.Handle("get", func(msg maelstrom.Message) error {
		var body struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return err
		}
		v, err := kv.ReadInt(context.Background(), body.Key)
		if err != nil {
			return err
		}
		return n.Reply(msg, map[string]any{"type": "get_ok", "value": v})
	})

	// slow fails with a timeout error: code 0.
	n.Handle("slow", func(msg maelstrom.Message) error {
		return maelstrom.NewRPCError(maelstrom.Timeout, "too slow")
	})

	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
