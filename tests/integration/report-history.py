#!/usr/bin/env python3
"""report-history.py: a month of plausible help-desk history, as SQL.

usage: report-history.py NOW [DAYS] [SEED]  > history.sql

NOW is Unix time. Writes INSERTs for the tickets and events tables of
postdesk's schema (the database must exist already): about eight tickets a
working day and two a weekend day over DAYS (default 30) days before NOW,
in three queues, answered by four agents, resolved, reopened now and
then, surveyed and rated, a few still waiting. Deterministic for a SEED
(default 1). It feeds tests/integration/t-report.sh and the screenshot in
doc/report.png; no figure is asserted from it (t-stats.sh does that with
a history written by hand)."""
import random
import sys

now = int(sys.argv[1])
days = int(sys.argv[2]) if len(sys.argv) > 2 else 30
r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
H, D = 3600, 86400
TZ = 2 * H  # the test's business hours are Europe/Prague; summer time

QUEUES = [("general", 0.6), ("billing", 0.3), ("sales", 0.1)]
AGENTS = {"general": ["alice@example.com", "bob@example.com", "carol@example.com"],
          "billing": ["alice@example.com", "dan@example.com"],
          "sales": ["dan@example.com"]}


def q(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def working(t):
    """A moment moved into the next working hour (09-17 local, Mon-Fri)."""
    while True:
        lt = t + TZ
        wd = (lt // D + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
        sec = lt % D
        if wd >= 5:
            t += (7 - wd) * D - sec + 9 * H
        elif sec < 9 * H:
            t += 9 * H - sec
        elif sec >= 17 * H:
            t += D - sec + 9 * H
        else:
            return t


out = ["BEGIN;"]
tid = 0
start = now - days * D
day0 = start - (start + TZ) % D
for d in range(days + 1):
    base = day0 + d * D
    weekday = ((base + TZ) // D + 3) % 7 < 5
    for _ in range(r.randint(5, 11) if weekday else r.randint(0, 3)):
        created = base + (int(r.triangular(7, 19, 10) * H) if weekday else r.randrange(D))
        if created >= now or created < start:
            continue
        tid += 1
        queue = r.choices([x for x, _ in QUEUES], [w for _, w in QUEUES])[0]
        agent = r.choice(AGENTS[queue])
        assignee = agent if r.random() < 0.7 else None
        ev = [(created, "created", "c%d@example.net" % tid, queue)]
        if assignee:
            ev.append((created, "assign", None, assignee))
        if r.random() < 0.02:
            ev.append((created, "spam", None, None))
            status = "closed"
        else:
            status = "new"
            t = working(created) + int(r.lognormvariate(7.8, 1.0))
            replies = 1 if r.random() < 0.62 else r.randint(2, 4)
            for i in range(replies):
                if t >= now:
                    break
                ev.append((t, "replied", agent, None))
                status = "pending"
                t = working(t + int(r.lognormvariate(10.5, 0.9)))
            if status == "pending" and t < now and r.random() < 0.9:
                t = min(t + r.randrange(3 * H), now - 1)
                ev.append((t, "resolve", agent, None))
                status = "resolved"
                if r.random() < 0.1 and t + 2 * D < now:
                    t += int(r.uniform(1, 3) * D)
                    ev.append((t, "reopened", "c%d@example.net" % tid, "resolved"))
                    t = working(t + int(r.lognormvariate(8.5, 0.8)))
                    status = "open"
                    if t < now:
                        ev.append((t, "replied", agent, None))
                        ev.append((t, "resolve", agent, None))
                        status = "resolved"
                if status == "resolved" and t + D < now:
                    ev.append((t + D, "survey-sent", None, None))
                    if r.random() < 0.55 and t + D + 6 * H < now:
                        score = r.choices("12345", [4, 5, 8, 30, 53])[0]
                        ev.append((t + D + r.randrange(6 * H), "rating",
                                   "c%d@example.net" % tid, score))
            elif status == "pending" and r.random() < 0.3:
                status = "open"
        out.append("INSERT INTO tickets (id, subject, requester_addr, queue, status, "
                   "assignee, created_at, updated_at) VALUES (%d, %s, %s, %s, %s, %s, "
                   "%d, %d);" % (tid, q("Question %d" % tid), q("c%d@example.net" % tid),
                                 q(queue), q(status), q(assignee), created,
                                 max(e[0] for e in ev)))
        for at, typ, actor, detail in sorted(ev, key=lambda e: e[0]):
            out.append("INSERT INTO events (ticket_id, at, type, actor, detail) VALUES "
                       "(%d, %d, %s, %s, %s);" % (tid, at, q(typ), q(actor), q(detail)))
out.append("COMMIT;")
print("\n".join(out))
