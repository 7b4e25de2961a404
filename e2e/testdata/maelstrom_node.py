"""A minimal Maelstrom node library for Python 3, standard library only.

Messages are one JSON object per line on stdin and stdout; logs go to
stderr. Handlers run on the reader thread unless registered with
threaded=True, in which case each message gets its own thread and may block
on sync_rpc (the shape of Maelstrom's Go demo library, where every handler
runs in its own goroutine).
"""

import json
import sys
import threading
import traceback


class RPCError(Exception):
    """An error reply from an RPC, or a timeout (code 0)."""

    def __init__(self, code, text=""):
        super().__init__("error %d: %s" % (code, text))
        self.code = code
        self.text = text


class Node:
    def __init__(self):
        self.node_id = None
        self.node_ids = []
        self._out = threading.Lock()  # stdout and msg ids
        self._next_msg_id = 0
        self._handlers = {}
        self._callbacks = {}  # msg_id -> callable(body)
        self._on_init = []

    # ---- logging and sending ----

    def log(self, *parts):
        sys.stderr.write(" ".join(str(p) for p in parts) + "\n")
        sys.stderr.flush()

    def _write(self, msg):
        line = json.dumps(msg, separators=(",", ":"))
        with self._out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def new_msg_id(self):
        with self._out:
            self._next_msg_id += 1
            return self._next_msg_id

    def send(self, dest, body):
        self._write({"src": self.node_id, "dest": dest, "body": body})

    def reply(self, req, body):
        """Replies to req. Like the Go library, body keeps whatever fields it
        has (echo.py hands back the request's body, msg_id included)."""
        body = dict(body)
        body["in_reply_to"] = req["body"].get("msg_id")
        self.send(req["src"], body)

    def reply_error(self, req, code, text):
        if req["body"].get("msg_id") is None:
            return
        self.reply(req, {"type": "error", "code": code, "text": text})

    def rpc(self, dest, body, callback):
        """Sends body to dest with a fresh msg_id; callback(reply_body) runs
        on the reader thread when the reply comes. Returns the msg_id."""
        msg_id = self.new_msg_id()
        body = dict(body)
        body["msg_id"] = msg_id
        with self._out:
            self._callbacks[msg_id] = callback
        self.send(dest, body)
        return msg_id

    def forget(self, msg_id):
        with self._out:
            self._callbacks.pop(msg_id, None)

    def sync_rpc(self, dest, body, timeout=1.0):
        """Sends body and waits for the reply body; raises RPCError on an
        error reply or after timeout seconds (code 0). Only from a threaded
        handler or another thread: never on the reader thread."""
        done = threading.Event()
        box = {}

        def got(reply):
            box["reply"] = reply
            done.set()

        msg_id = self.rpc(dest, body, got)
        if not done.wait(timeout):
            self.forget(msg_id)
            raise RPCError(0, "timed out waiting for %s" % dest)
        reply = box["reply"]
        if reply.get("type") == "error":
            raise RPCError(reply.get("code", 13), reply.get("text", ""))
        return reply

    # ---- handlers ----

    def on(self, typ, threaded=False):
        """Decorator: @node.on("echo") def handle(msg): ..."""

        def register(fn):
            self._handlers[typ] = (fn, threaded)
            return fn

        return register

    def on_init(self, fn):
        self._on_init.append(fn)
        return fn

    def every(self, seconds, fn):
        """Calls fn every `seconds` on a daemon thread."""

        def loop():
            stop = threading.Event()
            while not stop.wait(seconds):
                try:
                    fn()
                except Exception:
                    self.log(traceback.format_exc())

        threading.Thread(target=loop, daemon=True).start()

    def _call(self, fn, msg):
        try:
            fn(msg)
        except RPCError as e:
            self.reply_error(msg, e.code, e.text)
        except Exception as e:
            self.log(traceback.format_exc())
            self.reply_error(msg, 13, "crash: %r" % e)

    def _dispatch(self, msg):
        body = msg.get("body", {})
        reply_to = body.get("in_reply_to")
        if reply_to is not None:
            with self._out:
                cb = self._callbacks.pop(reply_to, None)
            if cb is not None:
                cb(body)
                return
        typ = body.get("type")
        if typ == "init":
            self.node_id = body["node_id"]
            self.node_ids = list(body["node_ids"])
            for fn in self._on_init:
                fn()
            self.reply(msg, {"type": "init_ok"})
            return
        entry = self._handlers.get(typ)
        if entry is None:
            if reply_to is None:
                self.log("no handler for", json.dumps(msg))
                self.reply_error(msg, 10, "not supported: %s" % typ)
            return
        fn, threaded = entry
        if threaded:
            threading.Thread(target=self._call, args=(fn, msg), daemon=True).start()
        else:
            self._call(fn, msg)

    def run(self):
        while True:
            line = sys.stdin.readline()
            if not line:
                return
            line = line.strip()
            if not line:
                continue
            self._dispatch(json.loads(line))
