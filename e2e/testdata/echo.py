#!/usr/bin/env python3
"""Maelstrom echo: echo -> echo_ok carrying the same payload.

Like the Go demo, it hands back the request's own body with the type
changed, so the reply also carries the request's msg_id."""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in testdata

from maelstrom_node import Node

node = Node()


@node.on("echo")
def echo(msg):
    body = dict(msg["body"])
    body["type"] = "echo_ok"
    node.reply(msg, body)


node.run()
