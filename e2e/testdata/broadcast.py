#!/usr/bin/env python3
"""Maelstrom broadcast: topology, broadcast, read.

A node gossips every message it learns to its neighbours in the topology
(all but the one it heard it from) and keeps resending, every 150 ms, each
neighbour the messages that neighbour has not acknowledged yet, so messages
cross a partition once it heals.

--bug never forwards anything: a message is only on the node it was
broadcast to, so reads on the other nodes lose it.

--no-retry gossips each message once and never resends it: fine on a healthy
network, but a message gossiped across a partition is lost for good.

--null-when-empty answers a read with "messages": null while the node has no
message, as a Go node does whose message slice is still nil: Maelstrom's
schema takes null for an empty list, so the node is correct."""

import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in testdata

from maelstrom_node import Node

BUG = "--bug" in sys.argv[1:]
NO_RETRY = "--no-retry" in sys.argv[1:]
NULL_WHEN_EMPTY = "--null-when-empty" in sys.argv[1:]
RESEND = 0.15  # seconds between resends of unacknowledged messages

node = Node()
lock = threading.Lock()
messages = set()
neighbours = []
unacked = {}  # neighbour -> set of messages it has not acknowledged


def learn(new, source):
    """Adds messages; queues the new ones for every neighbour but source.
    Returns the new ones. Call with lock held."""
    fresh = [m for m in new if m not in messages]
    messages.update(fresh)
    if BUG:
        return fresh
    for n in neighbours:
        if n != source and fresh:
            unacked.setdefault(n, set()).update(fresh)
    return fresh


def flush():
    with lock:
        batches = [(n, sorted(ms)) for n, ms in unacked.items() if ms]
        if NO_RETRY:
            unacked.clear()
    for n, ms in batches:
        node.send(n, {"type": "gossip", "messages": ms})


@node.on_init
def init():
    # A sensible default until the topology arrives: everyone else.
    global neighbours
    neighbours = [n for n in node.node_ids if n != node.node_id]


@node.on("topology")
def topology(msg):
    global neighbours
    topo = msg["body"].get("topology", {})
    with lock:
        if node.node_id in topo:
            neighbours = list(topo[node.node_id])
    node.reply(msg, {"type": "topology_ok"})


@node.on("broadcast")
def broadcast(msg):
    with lock:
        fresh = learn([msg["body"]["message"]], msg["src"])
    node.reply(msg, {"type": "broadcast_ok"})
    if fresh:
        flush()


@node.on("read")
def read(msg):
    with lock:
        ms = sorted(messages)
    if NULL_WHEN_EMPTY and not ms:
        ms = None
    node.reply(msg, {"type": "read_ok", "messages": ms})


@node.on("gossip")
def gossip(msg):
    src, ms = msg["src"], msg["body"]["messages"]
    with lock:
        fresh = learn(ms, src)
        # The sender knows these already: no need to send them back.
        if src in unacked:
            unacked[src].difference_update(ms)
    node.send(src, {"type": "gossip_ack", "messages": ms})
    if fresh:
        flush()


@node.on("gossip_ack")
def gossip_ack(msg):
    with lock:
        unacked.get(msg["src"], set()).difference_update(msg["body"]["messages"])


if not NO_RETRY:
    node.every(RESEND, flush)
node.run()
