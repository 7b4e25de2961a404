#!/usr/bin/env python3
"""A Maelstrom echo node in the standard library alone: the kind of node,
in any language, that the process runtime must run unchanged."""
import json
import sys

node_id = None
next_id = 0

for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    reply = None
    if body["type"] == "init":
        node_id = body["node_id"]
        print(f"python node {node_id} ready", file=sys.stderr, flush=True)
        reply = {"type": "init_ok"}
    elif body["type"] == "echo":
        reply = {"type": "echo_ok", "echo": body["echo"]}
    if reply is not None:
        next_id += 1
        reply["msg_id"] = next_id
        reply["in_reply_to"] = body["msg_id"]
        out = {"src": node_id, "dest": msg["src"], "body": reply}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
