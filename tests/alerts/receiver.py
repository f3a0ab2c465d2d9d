#!/usr/bin/env python3
"""receiver: a webhook and Slack receiver for orgaudit's tests and demo.

Accepts POSTs on any path, checks the Orgaudit-Signature header against
--secret (t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>) when it is
given, and records every request.  Faults on demand, in order: each
POST /_ctl/faults {"faults": ["500", "429", "410", "timeout", "cut", ...]}
queues answers for the next deliveries ("429" carries Retry-After: 120).

    GET  /_ctl/received   {"count", "requests": [{path, headers, body,
                           signature_ok, answered}]}
    GET  /_ctl/ids        {"ids": the "id" of each accepted body, in order}
    POST /_ctl/reset      forgets everything
    POST /_ctl/faults     queues faults

Python 3 standard library only.
"""
import argparse
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"requests": [], "faults": []}


def signature_ok(secret, header, body):
    if not secret:
        return None
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + body,
                       hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts["v1"]) and \
            abs(time.time() - int(parts["t"])) < 300
    except (KeyError, ValueError):
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("receiver: " + fmt % args + "\n")

    def answer(self, status, obj=None, headers=()):
        body = json.dumps(obj if obj is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with LOCK:
            if self.path == "/_ctl/received":
                return self.answer(200, {"count": len(STATE["requests"]),
                                         "requests": STATE["requests"]})
            if self.path == "/_ctl/ids":
                return self.answer(200, {"ids": [
                    r["id"] for r in STATE["requests"]
                    if r["answered"] == 200 and r["id"]]})
        self.answer(404, {"error": "no such path"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        if self.path == "/_ctl/reset":
            with LOCK:
                STATE["requests"].clear()
                STATE["faults"].clear()
            return self.answer(200, {})
        if self.path == "/_ctl/faults":
            with LOCK:
                STATE["faults"].extend(json.loads(body)["faults"])
            return self.answer(200, {"queued": len(STATE["faults"])})
        with LOCK:
            fault = STATE["faults"].pop(0) if STATE["faults"] else None
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        rec = {"path": self.path, "headers": dict(self.headers),
               "body": body.decode("utf-8", "replace"),
               "id": doc.get("id") if isinstance(doc, dict) else None,
               "signature_ok": signature_ok(
                   self.server.secret,
                   self.headers.get("Orgaudit-Signature", ""), body),
               "answered": None}
        if fault == "timeout":
            rec["answered"] = "timeout"
            with LOCK:
                STATE["requests"].append(rec)
            time.sleep(self.server.timeout_s)
            return
        if fault == "cut":
            rec["answered"] = "cut"
            with LOCK:
                STATE["requests"].append(rec)
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if rec["signature_ok"] is False:
            status = 401
        elif fault in ("500", "410", "429", "400", "503"):
            status = int(fault)
        else:
            status = 200
        rec["answered"] = status
        with LOCK:
            STATE["requests"].append(rec)
        self.answer(status, {"ok": status == 200},
                    [("Retry-After", "120")] if status == 429 else ())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--secret", default="")
    ap.add_argument("--timeout-seconds", type=float, default=5.0,
                    help="how long a 'timeout' fault holds the request")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.secret = a.secret
    srv.timeout_s = a.timeout_seconds
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        import os
        os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
