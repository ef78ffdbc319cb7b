#!/usr/bin/env python3
"""Port helpers for tests/mailstack/mailstack (standard library only).

  netcheck.py free-base LOW HIGH STEP OFFSET...
      Print a random base port B (LOW <= B < HIGH, a multiple of STEP) such
      that every B+OFFSET can be bound on 127.0.0.1 right now; exit 1 if
      50 tries found none.
  netcheck.py ports-free BASE OFFSET...
      Exit 0 if every BASE+OFFSET can be bound on 127.0.0.1, 1 otherwise.
  netcheck.py wait SECONDS KIND:PORT...
      Wait until every port answers with its greeting: KIND is imap
      ("* OK"), smtp or lmtp ("220"), and imaps or smtps (the same after a
      TLS handshake). The handshake does not verify the certificate: this
      only asks "is it up?", and the stack may serve a wrong-name cert on
      purpose. Exit 1 (naming what did not answer) after SECONDS.
"""
import random
import socket
import ssl
import sys
import threading
import time

GREETING = {"imap": b"* OK", "imaps": b"* OK", "smtp": b"220",
            "smtps": b"220", "lmtp": b"220"}


def bindable(port):
    # SO_REUSEADDR as the daemons use it: a listener makes the port taken,
    # a connection in TIME_WAIT (left by a stopped daemon) does not.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def all_free(base, offsets):
    return all(bindable(base + o) for o in offsets)


def answers(kind, port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
            sock = raw
            if kind in ("imaps", "smtps"):
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(raw)
            line = sock.recv(512)
            return line.startswith(GREETING[kind])
    except (OSError, ssl.SSLError):
        return False


def main(argv):
    if len(argv) >= 5 and argv[1] == "free-base":
        low, high, step = int(argv[2]), int(argv[3]), int(argv[4])
        offsets = [int(o) for o in argv[5:]]
        for _ in range(50):
            base = random.randrange(low // step, high // step) * step
            if all_free(base, offsets):
                print(base)
                return 0
        return 1
    if len(argv) >= 3 and argv[1] == "ports-free":
        return 0 if all_free(int(argv[2]), [int(o) for o in argv[3:]]) else 1
    if len(argv) >= 3 and argv[1] == "wait":
        deadline = time.monotonic() + float(argv[2])
        todo = [(k, int(p)) for k, p in (a.split(":") for a in argv[3:])]
        late = []

        # One thread a port: each waits for its own daemon to spawn the
        # process that answers, so the total is the slowest, not the sum.
        def wait_one(kind, port):
            while not answers(kind, port):
                if time.monotonic() > deadline:
                    late.append("%s:%d" % (kind, port))
                    return
                time.sleep(0.05)

        threads = [threading.Thread(target=wait_one, args=t) for t in todo]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if late:
            print("not answering: " + " ".join(sorted(late)),
                  file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
