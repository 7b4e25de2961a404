#!/usr/bin/env python3
"""Maelstrom echo: echo -> echo_ok carrying the same payload.

Like the Go demo, it hands back the request's own body with the type
changed, so the reply also carries the request's msg_id.

--exit-after N exits (status 3) after answering N echoes: a node that
crashes mid-run.

--reply-twice answers every echo twice, and --stray-reply also sends, after
each answer, a reply to a request nobody made (in_reply_to 999999) and a
message that is no reply at all: protocol warnings, not errors."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in testdata

from maelstrom_node import Node

args = sys.argv[1:]
EXIT_AFTER = int(args[args.index("--exit-after") + 1]) if "--exit-after" in args else None
REPLY_TWICE = "--reply-twice" in args
STRAY = "--stray-reply" in args

node = Node()
answered = 0


@node.on("echo")
def echo(msg):
    global answered
    body = dict(msg["body"])
    body["type"] = "echo_ok"
    node.reply(msg, body)
    if REPLY_TWICE:
        node.reply(msg, body)
    if STRAY:
        node.send(msg["src"], {"type": "echo_ok", "echo": "stray", "in_reply_to": 999999})
        node.send(msg["src"], {"type": "echo_ok", "echo": "unsolicited"})
    answered += 1
    if EXIT_AFTER is not None and answered >= EXIT_AFTER:
        sys.stdout.flush()
        os._exit(3)


node.run()
