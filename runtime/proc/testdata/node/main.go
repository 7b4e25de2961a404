// Command node is the node program the proc tests and benchmarks run: a
// Maelstrom node built on the standard library alone, single-threaded, with
// one handler per test behaviour.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

type message struct {
	Src  string          `json:"src"`
	Dest string          `json:"dest"`
	Body json.RawMessage `json:"body"`
}

type body struct {
	Type      string   `json:"type"`
	MsgID     int      `json:"msg_id,omitempty"`
	InReplyTo int      `json:"in_reply_to,omitempty"`
	NodeID    string   `json:"node_id,omitempty"`
	NodeIDs   []string `json:"node_ids,omitempty"`
	Echo      string   `json:"echo,omitempty"`
	To        string   `json:"to,omitempty"`
	Name      string   `json:"name,omitempty"`
	Data      string   `json:"data,omitempty"`
	Code      int      `json:"code,omitempty"`
	N         int      `json:"n,omitempty"`
	Text      string   `json:"text,omitempty"`
}

type node struct {
	id     string
	out    *bufio.Writer
	nextID int
	relays map[int]message // our msg_id -> the request to answer
}

func main() {
	fmt.Fprintln(os.Stderr, "node starting, args", os.Args[1:])
	n := &node{out: bufio.NewWriterSize(os.Stdout, 64<<10), relays: map[int]message{}}
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			n.handle(line)
		}
		// Flush only when no more input is waiting: replies leave in
		// batches under load, at once otherwise.
		if in.Buffered() == 0 {
			if ferr := n.out.Flush(); ferr != nil {
				os.Exit(1)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
	}
}

func (n *node) send(dest string, b body) {
	raw, _ := json.Marshal(b)
	line, _ := json.Marshal(message{Src: n.id, Dest: dest, Body: raw})
	n.out.Write(line)
	n.out.WriteByte('\n')
}

func (n *node) reply(req message, rb body, b body) {
	b.InReplyTo = rb.MsgID
	n.send(req.Src, b)
}

func (n *node) handle(line []byte) {
	var m message
	var b body
	if err := json.Unmarshal(line, &m); err != nil {
		fmt.Fprintln(os.Stderr, "bad input:", err)
		os.Exit(2)
	}
	json.Unmarshal(m.Body, &b)
	switch b.Type {
	case "init":
		if os.Getenv("NODE_IGNORE_INIT") != "" {
			fmt.Fprintln(os.Stderr, "ignoring init")
			return
		}
		n.id = b.NodeID
		// Count incarnations in the working directory, which survives kills.
		f, _ := os.OpenFile("inits", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		fmt.Fprintln(f, n.id)
		f.Close()
		fmt.Fprintln(os.Stderr, "init as", n.id, "of", strings.Join(b.NodeIDs, ","))
		n.reply(m, b, body{Type: "init_ok"})
	case "echo":
		n.reply(m, b, body{Type: "echo_ok", Echo: b.Echo})
	case "relay":
		// Ask node To to echo, and answer the client when it does.
		n.nextID++
		n.relays[n.nextID] = m
		n.send(b.To, body{Type: "echo", MsgID: n.nextID, Echo: b.Echo})
	case "echo_ok":
		req, ok := n.relays[b.InReplyTo]
		if !ok {
			return
		}
		delete(n.relays, b.InReplyTo)
		var rb body
		json.Unmarshal(req.Body, &rb)
		n.reply(req, rb, body{Type: "relay_ok", Echo: b.Echo})
	case "write_file":
		err := os.WriteFile(b.Name, []byte(b.Data), 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "write_file:", err)
		}
		n.reply(m, b, body{Type: "write_file_ok"})
	case "read_file":
		data, _ := os.ReadFile(b.Name)
		n.reply(m, b, body{Type: "read_file_ok", Data: string(data)})
	case "big":
		n.reply(m, b, body{Type: "big_ok", Echo: strings.Repeat("x", b.N)})
	case "log":
		fmt.Fprintln(os.Stderr, b.Text)
		n.reply(m, b, body{Type: "log_ok"})
	case "flood":
		// N one-way messages to the sender, as fast as the pipe takes them.
		for i := 0; i < b.N; i++ {
			n.send(m.Src, body{Type: "flood_item", Code: i})
		}
	case "garbage":
		n.out.WriteString("hello from the node, this is not JSON\n")
	case "impostor":
		n.out.WriteString(`{"src":"n9","dest":"` + m.Src + `","body":{"type":"echo_ok"}}` + "\n")
	case "crash":
		n.out.Flush()
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(os.Stderr, "dying line %d\n", i)
		}
		os.Exit(b.Code)
	default:
		fmt.Fprintln(os.Stderr, "unknown message type", b.Type)
	}
}
