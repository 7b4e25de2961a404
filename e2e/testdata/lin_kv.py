#!/usr/bin/env python3
"""Maelstrom lin-kv: read, write and cas proxied to the lin-kv service,
which is linearizable, so the node is too. Error replies (key does not
exist, precondition failed) are passed through; a service timeout becomes
an indefinite timeout error.

--bug keeps a local cache: writes and successful cas fill it, and reads are
answered from it without asking lin-kv. A write through another node never
reaches this cache, so reads here go stale: not linearizable."""

import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in testdata

from maelstrom_node import Node, RPCError

BUG = "--bug" in sys.argv[1:]
KV = "lin-kv"

node = Node()
lock = threading.Lock()
cache = {}


def forward(msg):
    body = {k: v for k, v in msg["body"].items() if k not in ("msg_id", "in_reply_to")}
    return node.sync_rpc(KV, body, timeout=2.0)


@node.on("read", threaded=True)
def read(msg):
    key = msg["body"]["key"]
    if BUG:
        with lock:
            if key in cache:
                node.reply(msg, {"type": "read_ok", "value": cache[key]})
                return
    value = forward(msg)["value"]
    if BUG:
        with lock:
            cache.setdefault(key, value)
    node.reply(msg, {"type": "read_ok", "value": value})


@node.on("write", threaded=True)
def write(msg):
    forward(msg)
    if BUG:
        with lock:
            cache[msg["body"]["key"]] = msg["body"]["value"]
    node.reply(msg, {"type": "write_ok"})


@node.on("cas", threaded=True)
def cas(msg):
    forward(msg)
    if BUG:
        with lock:
            cache[msg["body"]["key"]] = msg["body"]["to"]
    node.reply(msg, {"type": "cas_ok"})


node.run()
