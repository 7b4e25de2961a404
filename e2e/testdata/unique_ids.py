#!/usr/bin/env python3
"""Maelstrom unique-ids: generate -> generate_ok with "<node id>-<counter>",
unique without any coordination, so it stays available under partitions.

--bug drops the node id: every node counts 0, 1, 2, ... and the IDs collide
across nodes.

--delay SECONDS answers each generate that much later (without blocking
other requests): a slow but correct node."""

import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in testdata

from maelstrom_node import Node

BUG = "--bug" in sys.argv[1:]
DELAY = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0.0

node = Node()
lock = threading.Lock()
counter = 0


@node.on("generate")
def generate(msg):
    global counter
    with lock:
        n = counter
        counter += 1
    ident = n if BUG else "%s-%d" % (node.node_id, n)
    reply = {"type": "generate_ok", "id": ident}
    if DELAY > 0:
        threading.Timer(DELAY, node.reply, args=(msg, reply)).start()
    else:
        node.reply(msg, reply)


node.run()
