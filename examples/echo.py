#!/usr/bin/env python3
"""A Maelstrom echo node in Python's standard library alone.

Maelstrom's protocol is one JSON message per line: the node reads messages
on stdin, writes its messages on stdout and its logs on stderr. Every
message is {"src": ..., "dest": ..., "body": {"type": ..., ...}}; a request
carries a msg_id, and its reply names it in in_reply_to.

The first message is init, which tells the node its id; it answers
init_ok. Then, for the echo workload, every echo request is answered with
an echo_ok carrying the same "echo" payload.

Try it:
    ddbbench test -w echo --bin examples/echo.py --node-count 1 --time-limit 10
"""
import json
import sys

node_id = None
next_msg_id = 0


def send(dest, body):
    global next_msg_id
    next_msg_id += 1
    body["msg_id"] = next_msg_id
    line = json.dumps({"src": node_id, "dest": dest, "body": body})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()  # a reply sitting in a buffer is a reply never sent


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        print(f"echo node {node_id} ready", file=sys.stderr, flush=True)
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif body["type"] == "echo":
        send(msg["src"], {"type": "echo_ok", "in_reply_to": body["msg_id"], "echo": body["echo"]})
