#!/usr/bin/env python3
"""bigdb-fill.py: fill a postdesk database with many old tickets, fast.

usage: bench/bigdb-fill.py [--tickets N] [--seed S] [--pick K PICKFILE] DB

DB must already have postdesk's schema (run "postdesk deliver" once on it:
the schema is whatever this postdesk creates, nothing is guessed here). In
one transaction it adds N tickets (default 1,000,000) of realistic shape:
  - tickets spread over five years, nearly all of them closed;
  - the requester (one of 200,000 outside addresses), sometimes a Cc'd
    colleague, and the agent who answered, as participants;
  - 1 to 8 messages each (mean about 2.1): the customer's mail, then the
    agent's answer and the customer's replies in turn, each with In-Reply-To
    and References, their message_refs rows, the events ("created",
    "message", "status"), and the IMAP identity of each incoming one;
  - short text (a few sentences) and a small raw (its headers only): the
    size column says what the mail weighed, the database stays ~1 GB.
Agents' Message-IDs have their MUA's shape (not postdesk's pd.N.X.Y), so
that a reply to one is threaded by looking it up in messages.

--pick K PICKFILE writes K existing messages, the last of K tickets spread
over the whole id range, as "MESSAGE-ID<TAB>FROM<TAB>NAME<TAB>SUBJECT<TAB>
LANG" lines (the requester and subject of the ticket), for gen-mailbox.py
--existing: mail that answers them threads onto those old tickets by
In-Reply-To. Prints the ticket ids too, one per line, to PICKFILE.ids."""
import argparse
import hashlib
import importlib.util
import os
import random
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("genmb", os.path.join(HERE, "gen-mailbox.py"))
genmb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(genmb)

AGENTS = [("Agent One", "agent1@example.test"), ("Agent Two", "agent2@example.test")]
ACCOUNT = "support@example.test@127.0.0.1"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("--tickets", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pick", nargs=2, metavar=("K", "PICKFILE"))
    a = ap.parse_args()
    r = random.Random(a.seed)

    addrs = []
    for i in range(200000):
        f, l = r.choice(genmb.FIRST), r.choice(genmb.LAST)
        local = (f + "." + l).lower().translate(genmb.ASCII)
        addrs.append(("%s %s" % (f, l), "%s%d@%s" % (local, i, r.choice(genmb.DOMAINS))))
    sentences = {"en": genmb.EN, "cs": genmb.CS, "pl": genmb.PL}

    db = sqlite3.connect(a.db, isolation_level=None)
    if db.execute("PRAGMA user_version").fetchone()[0] < 1:
        sys.exit("bigdb-fill: %s has no postdesk schema (deliver one message first)" % a.db)
    if db.execute("SELECT count(*) FROM tickets").fetchone()[0] > 10:
        sys.exit("bigdb-fill: %s is not an empty database" % a.db)
    base_id = db.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
    base_msg = db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    # Bulk-load settings for this connection only; WAL again at the end
    # (postdesk insists on it anyway).
    db.execute("PRAGMA journal_mode = MEMORY")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -2000000")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("BEGIN")

    now = int(time.time())
    start = now - 5 * 365 * 86400
    span = now - 30 * 86400 - start
    picks = set()
    if a.pick:
        k = int(a.pick[0])
        step = a.tickets / k
        picks = {base_id + 1 + int(step * j + r.random() * step * 0.9) for j in range(k)}
    picked = []
    tickets, parts, msgs, refs, events, seen = [], [], [], [], [], []
    mid = base_msg
    uid = 0
    t0 = time.time()

    def flush():
        db.executemany("INSERT INTO tickets (id, subject, requester_addr, requester_name, "
                       "queue, priority, status, language, assignee, created_at, updated_at, "
                       "first_response_at, resolved_at, closed_at, satisfaction) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tickets)
        db.executemany("INSERT OR IGNORE INTO participants (ticket_id, addr, name, role) "
                       "VALUES (?,?,?,?)", parts)
        db.executemany("INSERT INTO messages (id, ticket_id, direction, kind, message_id, "
                       "in_reply_to, refs, from_addr, from_name, subject, date, received_at, "
                       "thread_via, size, content_hash, text, text_new, raw) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", msgs)
        db.executemany("INSERT OR IGNORE INTO message_refs (ref, message) VALUES (?,?)", refs)
        db.executemany("INSERT INTO events (ticket_id, at, type, actor, detail) "
                       "VALUES (?,?,?,?,?)", events)
        db.executemany("INSERT INTO imap_seen (account, mailbox, uidvalidity, uid, message) "
                       "VALUES (?,?,?,?,?)", seen)
        for l in (tickets, parts, msgs, refs, events, seen):
            l.clear()

    for n in range(a.tickets):
        tid = base_id + 1 + n
        created = start + int(span * n / a.tickets) + r.randrange(60)
        lang = r.choices(["en", "cs", "pl"], [0.6, 0.25, 0.15])[0]
        subj = r.choice(genmb.SUBJECTS[lang])
        name, addr = addrs[min(int(r.expovariate(1 / 20000)), len(addrs) - 1)]
        domain = addr.split("@")[1]
        agent = AGENTS[tid % 2]
        nmsg = 1 + min(int(r.expovariate(1 / 1.6)), 7)
        t = created
        ids, last_in = [], None
        for j in range(nmsg):
            mid += 1
            out = j % 2 == 1
            if out:
                msgid = "%016x.%d@mail.example.test" % (r.getrandbits(64), mid)
                fa, fn, kind = agent[1], agent[0], "agent"
            else:
                msgid = "%08x.%d.old@%s" % (r.getrandbits(32), mid, domain)
                fa, fn, kind = addr, name, "customer"
            irt = ids[-1] if ids else None
            text = " ".join(r.choice(sentences[lang]) for _ in range(r.randint(2, 6)))
            raw = ("Message-ID: <%s>\r\nFrom: %s\r\nSubject: %s\r\nDate: %d\r\n\r\n" %
                   (msgid, fa, subj, t)).encode()
            msgs.append((mid, tid, "out" if out else "in", kind, msgid, irt,
                         " ".join(ids[-10:]) or None, fa, fn,
                         ("Re: " if j else "") + subj, t, t + r.randrange(1, 120),
                         "new" if j == 0 else ("in-reply-to" if not out else None),
                         int(r.lognormvariate(8.7, 0.95)),
                         hashlib.sha256(msgid.encode()).hexdigest(), text, text, raw))
            for x in ([irt] if irt else []) + ids[-10:]:
                refs.append((x, mid))
            if not out:
                uid += 1
                seen.append((ACCOUNT, "INBOX", 1700000000, uid, mid))
                last_in = msgid
            events.append((tid, t, "created" if j == 0 else "message", fa,
                           "general" if j == 0 else kind))
            ids.append(msgid)
            t += r.randrange(600, 3 * 86400)
        old = n < a.tickets * 0.97
        status = "closed" if old else r.choice(["new", "open", "pending", "resolved", "closed"])
        resolved = t + 3600 if status in ("resolved", "closed") else None
        closed = t + 7 * 86400 if status == "closed" else None
        first = created + 3600 if nmsg > 1 else None
        if resolved:
            events.append((tid, resolved, "status", agent[1], "open resolved"))
        if closed:
            events.append((tid, closed, "status", None, "resolved closed"))
        tickets.append((tid, subj, addr, name, "general", "normal", status, lang,
                        agent[1] if nmsg > 1 else None, created,
                        closed or resolved or t, first, resolved, closed,
                        r.randint(3, 5) if closed and r.random() < 0.2 else None))
        parts.append((tid, addr, name, "requester"))
        if r.random() < 0.1:
            cn, ca = addrs[r.randrange(len(addrs))]
            parts.append((tid, ca, cn, "cc"))
        if nmsg > 1:
            parts.append((tid, agent[1], agent[0], "agent"))
        if tid in picks:
            picked.append((tid, ids[-1], addr, name, subj, lang))
        if len(tickets) >= 20000:
            flush()
            if (n + 1) % 200000 == 0:
                print("bigdb-fill: %d tickets, %d messages, %.0f s" %
                      (n + 1, mid - base_msg, time.time() - t0), file=sys.stderr)
    flush()
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    if a.pick:
        with open(a.pick[1], "w", encoding="utf-8") as f:
            for tid, m, ad, nm, sj, lg in picked:
                f.write("%s\t%s\t%s\t%s\t%s\n" % (m, ad, nm, sj, lg))
        with open(a.pick[1] + ".ids", "w") as f:
            f.write("".join("%d\n" % p[0] for p in picked))
    print("bigdb-fill: %d tickets, %d messages in %.0f s" %
          (a.tickets, mid - base_msg, time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
