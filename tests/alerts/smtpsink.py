#!/usr/bin/env python3
"""smtpsink: an SMTP server for orgaudit's tests and demo that delivers
nowhere: each message it accepts is written whole to --dir as
<n>.eml with a <n>.json beside it (envelope sender and recipients).  It
speaks enough of RFC 5321 for libcurl: EHLO/HELO, MAIL, RCPT, DATA
(dot-unstuffed), RSET, NOOP, QUIT.  --reject-rcpt answers 550 to RCPT.

Python 3 standard library only.
"""
import argparse
import json
import os
import socketserver
import threading

LOCK = threading.Lock()
COUNT = [0]


class Session(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        srv = self.server
        self.reply("220 smtpsink ready")
        sender, rcpts = None, []
        while True:
            raw = self.rfile.readline(8192)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 smtpsink")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                if srv.reject_rcpt:
                    self.reply("550 no such mailbox")
                else:
                    rcpts.append(line.split(":", 1)[1].strip())
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = []
                while True:
                    d = self.rfile.readline(1 << 20)
                    if not d or d in (b".\r\n", b".\n"):
                        break
                    data.append(d[1:] if d.startswith(b"..") else d)
                with LOCK:
                    COUNT[0] += 1
                    n = COUNT[0]
                base = os.path.join(srv.dir, "%06d" % n)
                with open(base + ".eml", "wb") as f:
                    f.write(b"".join(data))
                with open(base + ".json", "w") as f:
                    json.dump({"from": sender, "to": rcpts}, f)
                self.reply("250 OK queued as %d" % n)
            elif verb == "RSET":
                sender, rcpts = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--reject-rcpt", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    srv = Server(("127.0.0.1", a.port), Session)
    srv.dir = a.dir
    srv.reject_rcpt = a.reject_rcpt
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
