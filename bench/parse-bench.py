#!/usr/bin/env python3
"""parse-bench.py: the Python baseline for bench/parse-bench.c.

usage: parse-bench.py [-n ITERATIONS] DIR...

Loads every *.eml under the DIRs (recursively, sorted by path) into memory
once, does one untimed warm-up pass, then ITERATIONS passes (default 3) of
what postdesk's msg_parse gives the pipeline, as far as Python's email
package offers it:

  email.message_from_bytes(raw, policy=policy.default)
  Subject, From, To, Cc, Message-ID, References: the parsed header objects
      (addresses as (display name, addr-spec) pairs)
  get_body(('plain', 'html')).get_content()      the text, decoded to str
  iter_attachments(): file name, content type and decoded size
  walk(): every part's content type

It does not turn HTML into text, strip quoted history, classify, detect
the language, parse Authentication-Results or hash the raw bytes, which
msg_parse does. A message that raises is counted in errors= and the pass
goes on. The last line is for bench/parse-bench.sh:
  RESULT side=python messages=N bytes=N iterations=N seconds=S
         msgs_per_s=R mb_per_s=R attachments=N text_chars=N errors=N
"""
import argparse
import email
import os
import sys
import time
from email import policy


def load(dirs):
    paths = []
    for d in dirs:
        for root, _, files in os.walk(d):
            paths.extend(os.path.join(root, f) for f in files if f.endswith(".eml"))
    paths.sort()
    mails = []
    for p in paths:
        with open(p, "rb") as f:
            mails.append(f.read())
    return mails


def addresses(header):
    if header is None:
        return []
    return [(a.display_name, a.addr_spec) for a in header.addresses]


def parse_one(raw):
    m = email.message_from_bytes(raw, policy=policy.default)
    subject = m["subject"]
    subject = str(subject) if subject is not None else ""
    addrs = addresses(m["from"]) + addresses(m["to"]) + addresses(m["cc"])
    ids = (m["message-id"], m["references"])
    body = m.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    atts = []
    for a in m.iter_attachments():
        payload = a.get_payload(decode=True)
        atts.append((a.get_filename(), a.get_content_type(),
                     len(payload) if isinstance(payload, bytes) else 0))
    types = [p.get_content_type() for p in m.walk()]
    return subject, addrs, ids, text, atts, types


def one_pass(mails):
    atts = text = errors = 0
    for raw in mails:
        try:
            _, _, _, t, a, _ = parse_one(raw)
        except Exception:  # a broken message must not stop the benchmark
            errors += 1
            continue
        atts += len(a)
        text += len(t)
    return atts, text, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="timed passes (default 3)")
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    mails = load(args.dirs)
    if not mails:
        print("parse-bench.py: no .eml files found", file=sys.stderr)
        return 66
    nbytes = sum(len(m) for m in mails)
    one_pass(mails)  # warm-up, untimed
    t0 = time.perf_counter()
    for _ in range(args.n):
        atts, text, errors = one_pass(mails)
    secs = time.perf_counter() - t0
    rate = len(mails) * args.n / secs
    mbs = nbytes * args.n / secs / 1e6
    print(f"parse-bench.py: python email (policy.default): {len(mails)} messages, "
          f"{nbytes / 1e6:.2f} MB, {args.n} iterations in {secs:.3f} s: "
          f"{rate:.1f} messages/s, {mbs:.2f} MB/s")
    print(f"RESULT side=python messages={len(mails)} bytes={nbytes} iterations={args.n} "
          f"seconds={secs:.3f} msgs_per_s={rate:.1f} mb_per_s={mbs:.2f} "
          f"attachments={atts} text_chars={text} errors={errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
