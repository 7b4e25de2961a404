#!/usr/bin/env python3
"""Maelstrom g-counter on the seq-kv service.

Each node owns one key in seq-kv, its node id, holding the sum of the adds
it accepted; only that node writes it. An add raises the local total and
replies once a write of a total that includes it has been acknowledged.
Writes go one at a time (later adds ride along with the next write), so
they cannot overtake each other.

A read sums every node's key. seq-kv may serve a node stale values, but
never older than what the node has seen itself; so a read first writes a
fresh value to a key of its own, which moves the node up to seq-kv's newest
state, and only then reads the counters: it sees every add acknowledged
before it began.

--bug reads only this node's own key: each node reports just the adds it
accepted itself, so final reads miss the other nodes' adds."""

import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in testdata

from maelstrom_node import Node, RPCError

BUG = "--bug" in sys.argv[1:]
KV = "seq-kv"
KEY_DOES_NOT_EXIST = 20

node = Node()
lock = threading.Lock()
write_lock = threading.Lock()  # one write of our counter at a time
total = 0  # sum of the adds this node accepted
written = 0  # the greatest total seq-kv acknowledged
fresh = 0  # counter for the freshness writes


def persist(target):
    """Returns once seq-kv holds a total of at least target."""
    global written
    while True:
        with write_lock:
            with lock:
                if written >= target:
                    return
                value = total
            try:
                node.sync_rpc(KV, {"type": "write", "key": node.node_id, "value": value})
            except RPCError as e:
                node.log("write of", value, "failed:", e)
                continue
            with lock:
                written = max(written, value)


@node.on("add", threaded=True)
def add(msg):
    global total
    delta = msg["body"]["delta"]
    with lock:
        total += delta
        target = total
    persist(target)
    node.reply(msg, {"type": "add_ok"})


@node.on("read", threaded=True)
def read(msg):
    global fresh
    with lock:
        fresh += 1
        stamp = fresh
    node.sync_rpc(KV, {"type": "write", "key": "fresh-" + node.node_id, "value": stamp})
    value = 0
    for n in [node.node_id] if BUG else node.node_ids:
        try:
            value += node.sync_rpc(KV, {"type": "read", "key": n})["value"]
        except RPCError as e:
            if e.code != KEY_DOES_NOT_EXIST:
                raise
    node.reply(msg, {"type": "read_ok", "value": value})


node.run()
