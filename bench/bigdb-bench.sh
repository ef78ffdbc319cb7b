#!/bin/sh
# bigdb-bench.sh: does ingest slow down when the database is big? Time
# "postdesk deliver" per message into a database with TICKETS old tickets
# and into a nearly empty one (target: big within 1.25x of small).
#
# usage: bench/bigdb-bench.sh [TICKETS] [MESSAGES] [RUNS]
#        (defaults 1000000, 500, 3)
#   POSTDESK=path     the binary (default: ./postdesk, else beside bench/)
#   BIGDB_CACHE=dir   keep the filled database there and reuse it next time
#                     (about 3.3 GB for a million tickets; filling takes
#                     several minutes)
#   KEEP=1            keep the temporary directory
#   ASSIGN=least-open the queue's assign setting (default none): least-open
#                     counts each agent's open tickets for every new ticket
#
# 1. An empty database with postdesk's own schema: "postdesk deliver" of an
#    empty message opens (and creates) it, then refuses the message.
# 2. big.db: a copy filled by bigdb-fill.py with TICKETS tickets of
#    realistic shape (participants, messages, message_refs, events,
#    imap_seen), which also picks 150 old messages spread over all ticket
#    ids.
# 3. small.db: the empty database plus just those 150 tickets (all their
#    rows copied from big.db), so that both do exactly the same work.
# 4. MESSAGES mails from gen-mailbox.py (seed 2): new conversations, their
#    replies, and 30 % replies by In-Reply-To to the 150 old messages.
#    The config's tag is "Bench", so the mails' "[Support #n]" tags play no
#    part (they would name unrelated old tickets in big.db).
# 5. RUNS passes, each on fresh copies of both databases: every message is
#    delivered into both, one process each, alternating which goes first;
#    each deliver is timed. After a pass both databases must have threaded
#    the mails identically.
# Prints per-message medians (and p90) for both, the ratio big/small, and
# the EXPLAIN QUERY PLAN of every statement of src/store/store.c on big.db.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
TICKETS=${1:-1000000}
MESSAGES=${2:-500}
RUNS=${3:-3}
PICK=150

die() { echo "bigdb-bench: $*" >&2; exit 1; }

case $TICKETS$MESSAGES$RUNS in *[!0-9]*) die "usage: bigdb-bench.sh [TICKETS] [MESSAGES] [RUNS]";; esac
if [ -z "${POSTDESK:-}" ]; then
	for p in ./postdesk "$SRC/postdesk"; do
		[ -x "$p" ] && { POSTDESK=$(cd "$(dirname "$p")" && pwd)/postdesk; break; }
	done
fi
[ -x "${POSTDESK:-}" ] || die "no postdesk binary: set POSTDESK=path"
command -v sqlite3 >/dev/null && command -v python3 >/dev/null || die "needs sqlite3 and python3"

T=$(mktemp -d /tmp/pdbb.XXXXXX) || die "mktemp failed"
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then echo "bigdb-bench: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# tag "Bench": see 4. above; no imap section: deliver needs none.
conf() {
	cat >"$T/$1.conf" <<EOF
database = "$T/$1.db";
tag = "Bench";
queues = ( { name = "general"; assign = "${ASSIGN:-none}"; } );
agents = ( { name = "Agent One"; email = "agent1@example.test"; },
	{ name = "Agent Two"; email = "agent2@example.test"; } );
EOF
}
conf empty
: | "$POSTDESK" -c "$T/empty.conf" deliver 2>/dev/null
[ "$(sqlite3 "$T/empty.db" 'PRAGMA user_version')" -ge 1 ] || die "postdesk did not create the schema"

# --- big.db ------------------------------------------------------------
if [ -n "${BIGDB_CACHE:-}" ]; then
	mkdir -p "$BIGDB_CACHE" || die "cannot create $BIGDB_CACHE"
	BIG=$BIGDB_CACHE/big-$TICKETS.db
else
	BIG=$T/big-$TICKETS.db
fi
# The schema as this postdesk creates it: a cached database made by an
# older one (another index, say) is filled again.
schema() {
	sqlite3 "$1" "PRAGMA user_version; SELECT sql FROM sqlite_master
	    WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY name"
}
if [ -s "$BIG" ] && [ -s "$BIG.pick" ] && [ "$(schema "$BIG")" = "$(schema "$T/empty.db")" ]; then
	echo "bigdb-bench: reusing $BIG"
else
	rm -f "$BIG" "$BIG-wal" "$BIG-shm" "$BIG.pick"
	cp "$T/empty.db" "$BIG.tmp" || die "cannot write $BIG"
	python3 "$HERE/bigdb-fill.py" --tickets "$TICKETS" --pick "$PICK" "$BIG.pick" "$BIG.tmp" ||
		die "bigdb-fill failed"
	mv "$BIG.tmp" "$BIG"
	mv "$BIG.pick.ids" "$BIG.pick.ids.tmp" 2>/dev/null	# keep .pick last: it marks "done"
	mv "$BIG.pick.ids.tmp" "$BIG.pick.ids"
fi

# --- small.db: the empty schema plus the picked tickets ------------------
cp "$T/empty.db" "$T/small.db"
ids=$(paste -sd, "$BIG.pick.ids")
sqlite3 "$T/small.db" <<EOF || die "building small.db failed"
ATTACH '$BIG' AS big;
BEGIN;
INSERT INTO tickets SELECT * FROM big.tickets WHERE id IN ($ids);
INSERT INTO participants SELECT * FROM big.participants WHERE ticket_id IN ($ids);
INSERT INTO messages SELECT * FROM big.messages WHERE ticket_id IN ($ids);
INSERT INTO message_refs SELECT r.* FROM big.message_refs r
    JOIN big.messages m ON m.id = r.message WHERE m.ticket_id IN ($ids);
INSERT INTO events SELECT * FROM big.events WHERE ticket_id IN ($ids);
INSERT INTO imap_seen SELECT s.* FROM big.imap_seen s
    JOIN big.messages m ON m.id = s.message WHERE m.ticket_id IN ($ids);
COMMIT;
EOF

python3 "$HERE/gen-mailbox.py" -n "$MESSAGES" --seed 2 --existing "$BIG.pick" \
	"$T/mail" >/dev/null || die "gen-mailbox failed"

echo "bigdb-bench: $TICKETS tickets in big.db ($(du -m "$BIG" | cut -f1) MiB;" \
	"$(sqlite3 "$BIG" 'SELECT count(*) FROM messages') messages," \
	"$(sqlite3 "$BIG" 'SELECT count(*) FROM message_refs') message_refs)," \
	"small.db: $(sqlite3 "$T/small.db" 'SELECT count(*) FROM tickets') tickets;" \
	"$MESSAGES messages, $RUNS runs; postdesk=$POSTDESK"

conf big
conf small
python3 - "$POSTDESK" "$T" "$BIG" "$RUNS" <<'EOF' || die "timing failed"
import glob, os, shutil, sqlite3, statistics as st, subprocess, sys, time
postdesk, T, BIG, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
mails = sorted(glob.glob(os.path.join(T, "mail", "*.eml")))
times = {"big": [], "small": []}

def outcome(db, first):
    c = sqlite3.connect(db)
    r = c.execute("SELECT thread_via, count(*) FROM messages WHERE id >= ? "
                  "GROUP BY 1 ORDER BY 1", (first,)).fetchall()
    c.close()
    return r

for run in range(runs):
    first = {}
    for f in glob.glob(os.path.join(T, "big.db*")) + glob.glob(os.path.join(T, "small.db-*")):
        os.unlink(f)
    # fresh copies (the big one is several GB: copied once per pass)
    shutil.copyfile(BIG, os.path.join(T, "big.db"))
    if run == 0:
        shutil.copyfile(os.path.join(T, "small.db"), os.path.join(T, "small.db.orig"))
    shutil.copyfile(os.path.join(T, "small.db.orig"), os.path.join(T, "small.db"))
    for which in ("big", "small"):
        c = sqlite3.connect(os.path.join(T, which + ".db"))
        first[which] = c.execute("SELECT max(id) + 1 FROM messages").fetchone()[0]
        c.close()
    subprocess.run(["sync"])
    for i, m in enumerate(mails):
        order = ("big", "small") if (i + run) % 2 == 0 else ("small", "big")
        for which in order:
            with open(m, "rb") as f:
                t0 = time.perf_counter()
                p = subprocess.run([postdesk, "-c", os.path.join(T, which + ".conf"),
                                    "deliver"], stdin=f, stderr=subprocess.PIPE)
                dt = time.perf_counter() - t0
            if p.returncode != 0:
                sys.exit("deliver %s into %s: exit %d: %s" %
                         (m, which, p.returncode, p.stderr.decode()[-300:]))
            times[which].append(dt)
    ob = outcome(os.path.join(T, "big.db"), first["big"])
    os_ = outcome(os.path.join(T, "small.db"), first["small"])
    if ob != os_:
        sys.exit("big and small threaded differently: %s vs %s" % (ob, os_))
    print("  run %d: big median %.1f ms, small median %.1f ms; threading: %s" %
          (run + 1, st.median(times["big"][-len(mails):]) * 1000,
           st.median(times["small"][-len(mails):]) * 1000,
           " ".join("%s=%d" % kv for kv in ob)))

def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]
for which in ("big", "small"):
    v = times[which]
    print("%-5s per message: median %6.1f ms  mean %6.1f ms  p90 %6.1f ms  (%d delivers)" %
          (which, st.median(v) * 1000, st.mean(v) * 1000, q(v, 0.9) * 1000, len(v)))
ratio = st.median(times["big"]) / st.median(times["small"])
print("ratio big/small (medians): %.2f  target <= 1.25: %s" %
      (ratio, "met" if ratio <= 1.25 else "NOT met"))
EOF

# --- the query plans ------------------------------------------------------
echo "EXPLAIN QUERY PLAN on big.db of src/store/store.c's statements:"
python3 - "$SRC/src/store/store.c" "$BIG" <<'EOF'
import re, sqlite3, sys
src = open(sys.argv[1]).read()
block = src[src.index("stmt_sql[STMT_COUNT]"):]
block = block[:block.index("\n};")]
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True)
bad = 0
for name, lits in re.findall(r"\[(STMT_\w+)\]\s*=\s*((?:\s*\"(?:[^\"\\]|\\.)*\")+)", block):
    sql = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", lits))
    if not re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE)", sql, re.I):
        continue
    nparam = max([int(x) for x in re.findall(r"\?(\d+)", sql)] or [0])
    plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, [None] * nparam)]
    full = [p for p in plan if p.startswith("SCAN") and "INDEX" not in p]
    bad += len(full)
    print("  %-24s %s%s" % (name, "; ".join(plan) or "(no table access)",
                            "   <-- full scan" if full else ""))
print("  %s" % ("no statement scans a whole table" if bad == 0 else
                "%d full scan(s): see above" % bad))
EOF
