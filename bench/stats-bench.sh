#!/bin/sh
# stats-bench.sh: how long "postdesk stats" and "report" take, and how much
# memory they use, on a database with TICKETS tickets (default 1,000,000)
# and their events.
#
# usage: bench/stats-bench.sh [TICKETS]
#   POSTDESK=path   the binary (default: ./postdesk, else beside bench/);
#                   use an optimised build, not --enable-sanitizers
#   KEEP=dir        keep (and reuse) the filled database in dir
#
# The history is made by SQL alone (a recursive CTE), one ticket every 63
# seconds (two years for a million), in three queues, two thirds assigned
# to one of seven agents: created, two "message" events (read by nobody
# here: the walk must skip them), one agent reply (a second one for every
# third ticket), a resolve, a survey for every second ticket and a rating
# for every fourth; the last thousand tickets are still open. About seven
# events a ticket. Each command runs under /usr/bin/time -v (Debian
# package "time"): wall time and peak RSS.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
TICKETS=${1:-1000000}
POSTDESK=${POSTDESK:-}
if [ -z "$POSTDESK" ]; then
	if [ -x ./postdesk ]; then POSTDESK=./postdesk; else POSTDESK=$HERE/../postdesk; fi
fi
dir=${KEEP:-$(mktemp -d /tmp/stats-bench.XXXXXX)}
mkdir -p "$dir"
cat >"$dir/postdesk.conf" <<'EOF'
database = "postdesk.db";
queues = ( { name = "general"; sla = { first_response = "4h"; resolution = "16h"; }; },
	{ name = "billing"; sla = { first_response = "1h"; }; }, { name = "sales"; } );
business_hours = { timezone = "Europe/Prague"; days = "Mon-Fri"; hours = "08:00-12:00, 13:00-17:00";
	holidays = [ "01-01", "12-24", "12-25", "12-26" ]; };
EOF
db=$dir/postdesk.db
if [ ! -s "$db" ] || [ "$(sqlite3 "$db" 'SELECT count(*) FROM tickets')" != "$TICKETS" ]; then
	rm -f "$db" "$db-wal" "$db-shm"
	: >"$db"
	"$POSTDESK" -c "$dir/postdesk.conf" stats >/dev/null 2>&1	# the schema
	echo "filling $TICKETS tickets ..."
	start=$(date +%s)
	sqlite3 "$db" <<EOF
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $TICKETS)
INSERT INTO tickets (id, subject, requester_addr, queue, status, assignee, created_at, updated_at)
SELECT i, 'ticket ' || i, 'c' || (i % 200000) || '@example.net',
	CASE i % 10 WHEN 0 THEN 'sales' WHEN 1 THEN 'billing' WHEN 2 THEN 'billing'
	    WHEN 3 THEN 'billing' ELSE 'general' END,
	CASE WHEN i > $TICKETS - 1000 THEN 'open' ELSE 'closed' END,
	CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent' || (i % 7) || '@example.com' END,
	1700000000 + i * 63, 1700000000 + i * 63 FROM n;
CREATE TEMP TABLE k AS SELECT id, created_at AS c,
	'agent' || (id % 7) || '@example.com' AS a FROM tickets;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c, 'created', 'x', 'general' FROM k;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c, 'message', 'x', 'customer' FROM k;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c + (id * 7919) % 86400, 'replied', a, NULL FROM k;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c + (id * 7919) % 86400, 'message', a, 'agent' FROM k;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c + 90000 + (id * 13) % 86400, 'replied', a, NULL FROM k WHERE id % 3 = 0;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c + 180000 + (id * 104729) % 400000, 'resolve', a, NULL FROM k WHERE id <= $TICKETS - 1000;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c + 700000, 'survey-sent', NULL, NULL FROM k WHERE id % 2 = 0 AND id <= $TICKETS - 1000;
INSERT INTO events (ticket_id, at, type, actor, detail) SELECT id, c + 750000, 'rating', 'x', (id % 5) + 1 FROM k WHERE id % 4 = 0 AND id <= $TICKETS - 1000;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
	echo "filled in $(($(date +%s) - start)) s: $(sqlite3 "$db" 'SELECT count(*) FROM events') events, $(du -m "$db" | cut -f1) MB"
fi
until=$(sqlite3 "$db" "SELECT strftime('%Y-%m-%d', max(created_at), 'unixepoch') FROM tickets")
since=$(sqlite3 "$db" "SELECT strftime('%Y-%m-%d', max(created_at) - 29 * 86400, 'unixepoch') FROM tickets")
run() {
	desc=$1; shift
	/usr/bin/time -v "$POSTDESK" -c "$dir/postdesk.conf" "$@" >"$dir/out" 2>"$dir/time" ||
		{ echo "$desc: failed"; cat "$dir/time"; return; }
	printf '%-44s %8s s  %6d MB peak\n' "$desc" \
		"$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/time")" \
		$(($(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time") / 1024))
}
run "stats, everything" stats --json
run "stats --prometheus, everything" stats --prometheus
run "stats --queue billing" stats --json --queue billing
run "stats, the last 30 days" stats --json --since "$since" --until "$until"
run "report, the last 30 days" report --html "$dir/report.html" --until "$until"
[ -n "${KEEP:-}" ] || rm -rf "$dir"
