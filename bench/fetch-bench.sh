#!/bin/sh
# fetch-bench.sh: postdesk's IMAP ingest against mbsync, on the real mail
# stack (tests/mailstack). Run as root (the stack needs it).
#
# usage: bench/fetch-bench.sh [N] [RUNS]      (defaults 5000 and 5)
#   POSTDESK=path   the binary (default: ./postdesk, else beside bench/)
#   KEEP=1          keep the temporary directory (its path is printed)
# Knobs for finding out where postdesk's time goes (the defaults are the
# benchmark; anything else is a diagnostic run, not a result):
#   ONLY=postdesk|mbsync   run one client only
#   PD_MARK=seen           mark = "seen" instead of "move" (no UID MOVE)
#   PD_DBDIR=dir           the database there, e.g. on a tmpfs (/dev/shm:
#                          fsync costs nothing there)
#   PD_WRAP="cmd args"     run postdesk under cmd (strace -c -w, perf record)
#
# Loads N generated support mails (bench/gen-mailbox.py, seed 1) into
# support@example.test with "doveadm import" into a pristine folder
# "Bench". Then RUNS rounds, each of which runs both clients in turn (the
# order alternates from round to round), each on an INBOX freshly refilled
# from Bench (expunge INBOX and Processed, doveadm copy Bench -> INBOX):
#   mbsync   pulls INBOX over IMAPS (stack CA verified) into an empty local
#            Maildir with no sync state: every body is downloaded, written
#            and fsynced (mbsync's default FSync yes)
#   postdesk "fetch --once" with an empty database: every message parsed,
#            threaded, stored and moved to Processed, batch by batch as
#            src/pipe/fetch.c does it (a transaction per message, one sync
#            and one UID MOVE per batch)
# Each run is checked (N files / N rows and N in Processed) and timed (wall
# clock) under /usr/bin/time for the peak RSS. Prints every run and the
# medians: messages/s, the ratio postdesk/mbsync (target >= 0.7, also per
# round) and postdesk's peak RSS (target < 32 MiB). bench/README has a
# baseline.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
MAILSTACK=$SRC/tests/mailstack/mailstack
N=${1:-5000}
RUNS=${2:-5}
U=support@example.test

die() { echo "fetch-bench: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (the mail stack needs it)"
case $N$RUNS in *[!0-9]*) die "usage: fetch-bench.sh [N] [RUNS]";; esac
[ "$N" -gt 0 ] && [ "$RUNS" -gt 0 ] || die "N and RUNS must be positive"
if [ -z "${POSTDESK:-}" ]; then
	for p in ./postdesk "$SRC/postdesk"; do
		[ -x "$p" ] && { POSTDESK=$(cd "$(dirname "$p")" && pwd)/postdesk; break; }
	done
fi
[ -x "${POSTDESK:-}" ] || die "no postdesk binary: set POSTDESK=path"
for t in mbsync doveadm python3 sqlite3 /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$t" >/dev/null 2>&1 ||
		die "$t is missing (apt-get install isync dovecot-core python3 sqlite3 time)"
done
PATH=$PATH:/usr/sbin

T=$(mktemp -d /tmp/pdfb.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
cleanup() {
	"$MAILSTACK" stop "$T/ms" >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then
		echo "fetch-bench: kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the mailbox --------------------------------------------------------
python3 "$HERE/gen-mailbox.py" -n "$N" --format maildir "$T/src" || die "gen-mailbox failed"
BYTES=$(cat "$T"/src/cur/* | wc -c)
chown -R mail:mail "$T/src"		# doveadm import writes its index there
"$MAILSTACK" start "$T/ms" >"$T/mailstack.log" 2>&1 || {
	cat "$T/mailstack.log" >&2
	die "the mail stack did not start"
}
eval "$("$MAILSTACK" env "$T/ms")"
dv() { doveadm -c "$MAILSTACK_DOVECOT_CONF" "$@"; }
count() {
	dv mailbox status -u $U messages "$1" | sed 's/.*messages=//'
}
dv import -u $U -s "maildir:$T/src" "" mailbox INBOX ALL || die "doveadm import failed"
dv mailbox create -u $U Bench Processed || die "mailbox create failed"
dv move -u $U Bench mailbox INBOX ALL || die "doveadm move failed"
[ "$(count Bench)" = "$N" ] || die "Bench holds $(count Bench) messages, not $N"
rm -rf "$T/src"

refill() {
	dv expunge -u $U mailbox INBOX ALL
	dv expunge -u $U mailbox Processed ALL
	dv copy -u $U INBOX mailbox Bench ALL
	[ "$(count INBOX)" = "$N" ] || die "refill: INBOX holds $(count INBOX), not $N"
	sync			# the previous run's writeback is not this run's cost
}

# --- the clients' configurations -----------------------------------------
mkdir -p "$T/pd"
printf '%s\n' "$MAILSTACK_PASSWORD" >"$T/pd/imap.pass"
chmod 600 "$T/pd/imap.pass"
PD_DB=${PD_DBDIR:-$T/pd}/postdesk.db
mkdir -p "$(dirname "$PD_DB")"
cat >"$T/pd/postdesk.conf" <<EOF
database = "$PD_DB";
tag = "Support";
imap = {
	host = "127.0.0.1";
	port = $MAILSTACK_IMAPS_PORT;
	tls = "implicit";
	ca_file = "$MAILSTACK_CA";
	user = "$U";
	password_file = "imap.pass";
	processed = "Processed";
	mark = "${PD_MARK:-move}";
};
queues = ( { name = "general"; } );
agents = ( { name = "Agent One"; email = "agent1@example.test"; } );
EOF
# The server certificate names DNS:localhost and IP:127.0.0.1; mbsync 1.4
# checks DNS names only, hence Host localhost (Dovecot listens on 127.0.0.1).
cat >"$T/mbsyncrc" <<EOF
IMAPAccount bench
Host localhost
Port $MAILSTACK_IMAPS_PORT
User $U
Pass $MAILSTACK_PASSWORD
SSLType IMAPS
CertificateFile $MAILSTACK_CA
SystemCertificates no

IMAPStore remote
Account bench

MaildirStore local
Path $T/mb/local/
Inbox $T/mb/local/INBOX

Channel pull
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
SyncState $T/mb/state/
EOF

now() { date +%s.%N; }
# result NAME START END: one line "NAME seconds rss_kib" to $T/results.
result() {
	awk -v n="$1" -v s="$2" -v e="$3" -v r="$(cat "$T/time.out")" \
	    'BEGIN { printf "%s %.3f %s\n", n, e - s, r }' >>"$T/results"
}

run_mbsync() {
	rm -rf "$T/mb"
	mkdir -p "$T/mb/local" "$T/mb/state"
	s=$(now)
	/usr/bin/time -f %M -o "$T/time.out" mbsync -q -c "$T/mbsyncrc" pull \
		>"$T/mbsync.log" 2>&1 || { cat "$T/mbsync.log" >&2; die "mbsync failed"; }
	e=$(now)
	got=$(find "$T/mb/local/INBOX/new" "$T/mb/local/INBOX/cur" -type f | wc -l)
	[ "$got" -eq "$N" ] || die "mbsync wrote $got messages, not $N"
	# whole bodies, not headers: mbsync stores LF line ends, so a little
	# less than the CRLF originals
	got=$(find "$T/mb/local/INBOX" -type f -exec cat {} + | wc -c)
	[ "$got" -gt $((BYTES * 9 / 10)) ] || die "mbsync wrote $got bytes of $BYTES"
	result mbsync "$s" "$e"
}

run_postdesk() {
	rm -f "$PD_DB" "$PD_DB-wal" "$PD_DB-shm"
	s=$(now)
	# PD_WRAP is a command with its arguments: split on purpose.
	# shellcheck disable=SC2086
	(cd "$T/pd" && /usr/bin/time -f %M -o "$T/time.out" ${PD_WRAP:-} "$POSTDESK" \
		-c postdesk.conf fetch --once) 2>"$T/postdesk.log" ||
		{ tail -5 "$T/postdesk.log" >&2; die "postdesk fetch failed"; }
	e=$(now)
	got=$(sqlite3 "$PD_DB" 'SELECT count(*) FROM messages')
	[ "$got" -eq "$N" ] || die "postdesk stored $got messages, not $N"
	if [ "${PD_MARK:-move}" = move ]; then
		[ "$(count Processed)" = "$N" ] || die "Processed holds $(count Processed), not $N"
	fi
	result postdesk "$s" "$e"
}

echo "fetch-bench: N=$N messages, $(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, $RUNS runs each; postdesk=$POSTDESK"
: >"$T/results"
i=1
while [ "$i" -le "$RUNS" ]; do
	case ${ONLY:-both}.$((i % 2)) in
	both.1)	refill; run_mbsync; refill; run_postdesk;;
	both.0)	refill; run_postdesk; refill; run_mbsync;;
	postdesk.*) refill; run_postdesk;;
	mbsync.*) refill; run_mbsync;;
	*)	die "ONLY is postdesk or mbsync";;
	esac
	tail -"$([ "${ONLY:-both}" = both ] && echo 2 || echo 1)" "$T/results" |
		sed "s/^/  run $i: /; s/\$/ KiB/"
	i=$((i + 1))
done
[ "${ONLY:-both}" = mbsync ] ||
echo "  postdesk's last run: $(sqlite3 "$PD_DB" \
	"SELECT count(*) || ' tickets' FROM tickets") for $N messages; by thread_via:" \
	"$(sqlite3 "$PD_DB" "SELECT group_concat(v || '=' || n, ' ') FROM \
	(SELECT thread_via v, count(*) n FROM messages GROUP BY 1 ORDER BY 2 DESC)")"

python3 - "$T/results" "$N" "$BYTES" <<'EOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
n, mib = int(sys.argv[2]), int(sys.argv[3]) / 1048576
med = {}
peak = None
for who in ("mbsync", "postdesk"):
    secs = [float(r[1]) for r in rows if r[0] == who]
    if not secs:
        continue
    rss = [int(r[2]) for r in rows if r[0] == who]
    m = st.median(secs)
    med[who] = n / m
    print("%-9s median %7.2f s  %7.1f msg/s  %6.2f MiB/s  (runs %.2f..%.2f s)  "
          "peak RSS median %.1f MiB, max %.1f MiB" %
          (who, m, n / m, mib / m, min(secs), max(secs),
           st.median(rss) / 1024, max(rss) / 1024))
    if who == "postdesk":
        peak = max(rss) / 1024
if len(med) == 2:
    ratio = med["postdesk"] / med["mbsync"]
    # Both clients of a round ran back to back: the ratio within a round
    # is less exposed to the machine's load drifting between rounds.
    m = [float(r[1]) for r in rows if r[0] == "mbsync"]
    p = [float(r[1]) for r in rows if r[0] == "postdesk"]
    per = sorted(a / b for a, b in zip(m, p))
    print("ratio postdesk/mbsync (messages/s): %.2f  target >= 0.7: %s" %
          (ratio, "met" if ratio >= 0.7 else "NOT met"))
    print("  per round: %s (median %.2f)" %
          (" ".join("%.2f" % x for x in per), st.median(per)))
if peak is not None:
    print("postdesk peak RSS: %.1f MiB  target < 32 MiB: %s" %
          (peak, "met" if peak < 32 else "NOT met"))
EOF
