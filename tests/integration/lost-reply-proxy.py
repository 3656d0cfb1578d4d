#!/usr/bin/env python3
"""A Docker socket proxy that withholds one reply (used by t0509).

lost-reply-proxy.py LISTEN_SOCKET DOCKER_SOCKET PATTERN MARKER

Forwards every connection on LISTEN_SOCKET to DOCKER_SOCKET. The first
request whose request line contains PATTERN is forwarded, and Docker does
it, but its reply is read and thrown away and the client's connection is
closed: a reply that never arrives. MARKER is written when that happens.
Runs until killed; at most 10 minutes.
"""
import os
import socket
import sys
import threading
import time

listen_path, docker_path, pattern, marker = sys.argv[1:5]
pattern = pattern.encode()
withheld = threading.Event()


def pump_up(client, upstream, state):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if not withheld.is_set() and pattern in data:
                withheld.set()
                state["withhold"] = True
            upstream.sendall(data)
    except OSError:
        pass
    finally:
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def pump_down(client, upstream, state):
    try:
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            if state.get("withhold"):
                # Docker answered; the client never hears it.
                with open(marker, "w") as f:
                    f.write(data.split(b"\r\n", 1)[0].decode(errors="replace") + "\n")
                break
            client.sendall(data)
    except OSError:
        pass
    finally:
        # shutdown() first: a close() alone would wait for the other pump's recv.
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass


def serve(client):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(docker_path)
    except OSError:
        client.close()
        return
    state = {}
    threading.Thread(target=pump_up, args=(client, upstream, state), daemon=True).start()
    pump_down(client, upstream, state)


def main():
    if os.path.exists(listen_path):
        os.unlink(listen_path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen_path)
    srv.listen(16)
    srv.settimeout(1.0)
    end = time.time() + 600
    while time.time() < end:
        try:
            client, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(client,), daemon=True).start()


main()
