#!/usr/bin/env python3
"""notify-receiver.py - a webhook receiver for the integration tests, on 127.0.0.1.

  notify-receiver.py record PORTFILE DIR [STATUS]
      Answer every request with STATUS (default 200); each POST body is written to
      DIR/<n>.json and its request line and headers to DIR/<n>.head.
  notify-receiver.py hang PORTFILE
      Accept connections and never answer (read and hold them).
The port it listens on is written to PORTFILE. Every mode exits by itself after
--lifetime seconds (default 120), so a test that forgets it leaves nothing behind.
"""
import http.server
import os
import socket
import sys
import threading
import time


def lifetime():
    for i, a in enumerate(sys.argv):
        if a == "--lifetime" and i + 1 < len(sys.argv):
            return float(sys.argv[i + 1])
    return 120.0


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


def record(portfile, outdir, status):
    count = [0]
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(n, 1 << 20)) if n else b""
            with lock:
                count[0] += 1
                k = count[0]
            with open(os.path.join(outdir, "%d.head" % k), "w") as f:
                f.write("%s %s\n%s" % (self.command, self.path, self.headers))
            with open(os.path.join(outdir, "%d.json" % k), "wb") as f:
                f.write(body)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok\n")

        do_POST = _answer
        do_GET = _answer

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    write_port(portfile, srv.server_address[1])
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(lifetime())


def hang(portfile):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    write_port(portfile, s.getsockname()[1])
    held = []
    s.settimeout(0.5)
    end = time.time() + lifetime()
    while time.time() < end:
        try:
            c, _ = s.accept()
            held.append(c)
        except socket.timeout:
            pass


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "record":
        st = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4].isdigit() else 200
        record(sys.argv[2], sys.argv[3], st)
    elif len(sys.argv) >= 3 and sys.argv[1] == "hang":
        hang(sys.argv[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
