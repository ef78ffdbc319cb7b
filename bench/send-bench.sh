#!/bin/sh
# send-bench.sh: postdesk's SMTP sender against one swaks process per
# message, on the real mail stack (tests/mailstack). Run as root.
#
# usage: bench/send-bench.sh [N] [RUNS]      (defaults 2000 and 5)
#   POSTDESK=path   the binary (default: ./postdesk, else beside bench/)
#   KEEP=1          keep the temporary directory (its path is printed)
#
# Generates N outgoing replies once (seed 1: 2-6 KB of UTF-8 text,
# quoted-printable, From support@example.test, to customer1..5, in turn).
# Then RUNS rounds, each running both senders in turn (the order
# alternates), every customer INBOX expunged before each run:
#   postdesk  a fresh database (made by one untimed "fetch --once" against
#             the empty support INBOX), then N messages rows and N outbox
#             rows (pending, next_try_at 0) inserted with the sqlite3 CLI;
#             timed: "postdesk fetch --once" run again and again until no
#             outbox row is pending (one run sends at most one batch of
#             OUTBOX_BATCH = 50 rows, src/pipe/outbox.c), each run one IMAP
#             login (nothing to fetch) and one SMTP session for its batch
#   swaks     one "swaks --tls --auth" process per message, one after the
#             other, on the same submission port
# Both use the submission port (STARTTLS, AUTH PLAIN as support@example.test).
# Each run reports the hand-over time (the sender's wall time: every
# message got its 250) and the delivered time (until "mailstack
# wait-queue" sees Postfix's queue empty), then checks that all N arrived
# (doveadm search in customer1..5's INBOX). Prints every run, the medians
# in messages/s and the ratio postdesk/swaks.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
MAILSTACK=$SRC/tests/mailstack/mailstack
N=${1:-2000}
RUNS=${2:-5}
U=support@example.test

die() { echo "send-bench: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (the mail stack needs it)"
case $N$RUNS in *[!0-9]*) die "usage: send-bench.sh [N] [RUNS]";; esac
[ "$N" -gt 0 ] && [ "$RUNS" -gt 0 ] || die "N and RUNS must be positive"
if [ -z "${POSTDESK:-}" ]; then
	for p in ./postdesk "$SRC/postdesk"; do
		[ -x "$p" ] && { POSTDESK=$(cd "$(dirname "$p")" && pwd)/postdesk; break; }
	done
fi
[ -x "${POSTDESK:-}" ] || die "no postdesk binary: set POSTDESK=path"
PATH=$PATH:/usr/sbin
for t in swaks doveadm python3 sqlite3; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t is missing (apt-get install swaks dovecot-core python3 sqlite3)"
done
swaks --support 2>&1 | grep -q '^=== TLS supported' ||
	die "swaks cannot speak TLS: apt-get install libnet-ssleay-perl"

T=$(mktemp -d /tmp/pdsb.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
cleanup() {
	"$MAILSTACK" stop "$T/ms" >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then
		echo "send-bench: kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the messages: T/out/NNNNN.eml (CRLF) and T/out/rcpt (one a line) ----
python3 - "$N" "$T/out" <<'EOF' || die "generating the messages failed"
import os, quopri, random, sys
from email.utils import format_datetime
from datetime import datetime, timezone, timedelta
n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out)
rnd = random.Random(1)
words = ("the invoice order delivery account password printer router update "
         "refund warranty screen battery licence server backup mailbox "
         "faktura objednávka doručení účet heslo tiskárna záruka baterie "
         "zamówienie dostawa konto hasło drukarka gwarancja żółć łódź").split()
names = ["Jana Nováková", "Piotr Wiśniewski", "Anna Łukasiewicz",
         "Tomáš Dvořák", "Zuzana Černá"]
subjects = ["Problém s fakturou", "Zamówienie nie dotarło", "Printer offline",
            "Heslo nefunguje", "Refund for order", "Zwrot pieniędzy"]
t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
def para(k):
    s = " ".join(rnd.choice(words) for _ in range(k))
    return s[0].upper() + s[1:] + "."
rc = open(os.path.join(out, "rcpt"), "w")
for i in range(1, n + 1):
    c = (i - 1) % 5
    rcpt = "customer%d@example.test" % (c + 1)
    tk = rnd.randint(1, 5000)
    size = rnd.randint(2000, 6000)
    body = ["Dobrý den / Hello %s," % names[c], ""]
    while sum(len(l) + 1 for l in body) < size * 2 // 3:
        body += [para(rnd.randint(15, 40)), ""]
    body += ["S pozdravem / Best regards,", "Agent One", "Example Support", "",
             "On Mon, 2 Mar 2026, %s <%s> wrote:" % (names[c], rcpt)]
    while sum(len(l) + 1 for l in body) < size:
        body.append("> " + para(rnd.randint(8, 14)))
    text = "\n".join(body).encode("utf-8")
    qp = quopri.encodestring(text).decode("ascii").replace("\n", "\r\n")
    subj = "Re: [Support #%d] %s" % (tk, rnd.choice(subjects))
    from email.header import Header
    hdr = [
        "From: Example Support <support@example.test>",
        "To: %s <%s>" % (Header(names[c], "utf-8").encode(), rcpt),
        "Subject: %s" % Header(subj, "utf-8").encode(),
        "Date: %s" % format_datetime(t0 + timedelta(seconds=7 * i)),
        "Message-ID: <bench-%05d.%d@support.example.test>" % (i, tk),
        "In-Reply-To: <c%d-%d@customer.example.test>" % (tk, i),
        "References: <c%d-%d@customer.example.test>" % (tk, i),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "Auto-Submitted: auto-replied",
    ]
    with open(os.path.join(out, "%05d.eml" % i), "wb") as f:
        f.write(("\r\n".join(hdr) + "\r\n\r\n" + qp + "\r\n").encode("ascii"))
    rc.write(rcpt + "\n")
EOF
BYTES=$(cat "$T"/out/*.eml | wc -c)

"$MAILSTACK" start "$T/ms" >"$T/mailstack.log" 2>&1 || {
	cat "$T/mailstack.log" >&2
	die "the mail stack did not start"
}
eval "$("$MAILSTACK" env "$T/ms")"
dv() { doveadm -c "$MAILSTACK_DOVECOT_CONF" "$@"; }
dv mailbox create -u $U Processed || die "mailbox create failed"
arrived() {
	a=0
	for c in 1 2 3 4 5; do
		k=$(dv search -u customer$c@example.test mailbox INBOX ALL | wc -l)
		a=$((a + k))
	done
	echo $a
}
empty_inboxes() {
	for c in 1 2 3 4 5; do
		dv expunge -u customer$c@example.test mailbox INBOX ALL
	done
	[ "$(arrived)" = 0 ] || die "customer INBOXes not empty"
	sync
}

# --- postdesk's configuration and database ------------------------------
mkdir -p "$T/pd"
printf '%s\n' "$MAILSTACK_PASSWORD" >"$T/pd/imap.pass"
chmod 600 "$T/pd/imap.pass"
PD_DB=$T/pd/postdesk.db
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
	mark = "move";
};
queues = ( { name = "general"; } );
agents = ( { name = "Agent One"; email = "agent1@example.test"; } );
smtp = {
	url = "smtp://127.0.0.1:$MAILSTACK_SUBMISSION_PORT";
	tls = "starttls";
	ca_file = "$MAILSTACK_CA";
	user = "$U";
	password_file = "imap.pass";
	from = "Example Support <$U>";
};
templates = { dir = "$SRC/conf/templates"; default_language = "en"; };
EOF
(cd "$T/pd" && "$POSTDESK" -c postdesk.conf check-config) >"$T/check.log" 2>&1 ||
	{ cat "$T/check.log" >&2; die "check-config failed"; }
# The inserts, built once: readfile() is the sqlite3 shell's.
awk -v d="$T/out" '{
	printf "INSERT INTO messages (direction, kind, message_id, from_addr, " \
	    "subject, received_at, size, raw) VALUES (\x27out\x27, \x27reply\x27, " \
	    "\x27<bench-%05d@support.example.test>\x27, \x27support@example.test\x27, " \
	    "\x27bench\x27, strftime(\x27%%s\x27), length(readfile(\x27%s/%05d.eml\x27)), " \
	    "readfile(\x27%s/%05d.eml\x27));\n", NR, d, NR, d, NR
	printf "INSERT INTO outbox (message, kind, env_from, rcpt, state, " \
	    "next_try_at, created_at) VALUES (last_insert_rowid(), \x27reply\x27, " \
	    "\x27support@example.test\x27, \x27%s\x27, \x27pending\x27, 0, " \
	    "strftime(\x27%%s\x27));\n", $1
}' "$T/out/rcpt" >"$T/fill.sql"

now() { date +%s.%N; }
# result NAME START HANDED DELIVERED EXTRA: one line to $T/results.
result() {
	awk -v n="$1" -v s="$2" -v h="$3" -v d="$4" -v x="$5" \
	    'BEGIN { printf "%s %.3f %.3f %s\n", n, h - s, d - s, x }' >>"$T/results"
}
drain_and_check() {
	"$MAILSTACK" wait-queue "$T/ms" 900 || die "$1: Postfix's queue did not drain"
	d=$(now)
	got=$(arrived)
	[ "$got" -eq "$N" ] || die "$1: $got of $N messages arrived"
}

run_postdesk() {
	rm -f "$PD_DB" "$PD_DB-wal" "$PD_DB-shm"
	(cd "$T/pd" && "$POSTDESK" -c postdesk.conf fetch --once) >"$T/postdesk.log" 2>&1 ||
		{ tail -5 "$T/postdesk.log" >&2; die "postdesk: creating the database failed"; }
	{ echo "BEGIN;"; cat "$T/fill.sql"; echo "COMMIT;"; } | sqlite3 -bail "$PD_DB" ||
		die "postdesk: filling the outbox failed"
	[ "$(sqlite3 "$PD_DB" "SELECT count(*) FROM outbox WHERE state = 'pending'")" = "$N" ] ||
		die "postdesk: the outbox does not hold $N pending rows"
	empty_inboxes
	inv=0
	s=$(now)
	while :; do
		(cd "$T/pd" && "$POSTDESK" -c postdesk.conf fetch --once) >>"$T/postdesk.log" 2>&1 ||
			{ tail -5 "$T/postdesk.log" >&2; die "postdesk fetch --once failed"; }
		inv=$((inv + 1))
		left=$(sqlite3 "$PD_DB" "SELECT count(*) FROM outbox WHERE state = 'pending'")
		[ "$left" -eq 0 ] && break
		[ "$inv" -le "$N" ] || die "postdesk: $left rows still pending after $inv runs"
	done
	h=$(now)
	sent=$(sqlite3 "$PD_DB" "SELECT count(*) FROM outbox WHERE state = 'sent'")
	[ "$sent" -eq "$N" ] || die "postdesk: $sent of $N rows sent"
	drain_and_check postdesk
	result postdesk "$s" "$h" "$d" "fetch_runs=$inv"
}

run_swaks() {
	empty_inboxes
	s=$(now)
	j=1
	while read -r rcpt; do
		f=$(printf '%s/out/%05d.eml' "$T" "$j")
		swaks --silent 1 --server 127.0.0.1:"$MAILSTACK_SUBMISSION_PORT" --tls \
			--auth PLAIN --auth-user $U --auth-password "$MAILSTACK_PASSWORD" \
			--from $U --to "$rcpt" --data "@$f" >>"$T/swaks.log" 2>&1 ||
			{ tail -5 "$T/swaks.log" >&2; die "swaks failed on message $j"; }
		j=$((j + 1))
	done <"$T/out/rcpt"
	h=$(now)
	drain_and_check swaks
	result swaks "$s" "$h" "$d" "processes=$N"
}

echo "send-bench: N=$N messages, $(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, $RUNS runs each; postdesk=$POSTDESK"
: >"$T/results"
i=1
while [ "$i" -le "$RUNS" ]; do
	if [ $((i % 2)) = 1 ]; then run_postdesk; run_swaks; else run_swaks; run_postdesk; fi
	tail -2 "$T/results" | sed "s/^/  run $i: /"
	i=$((i + 1))
done

python3 - "$T/results" "$N" <<'EOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
n = int(sys.argv[2])
print("(columns: sender, hand-over s, delivered s)")
med = {}
for who in ("postdesk", "swaks"):
    h = [float(r[1]) for r in rows if r[0] == who]
    d = [float(r[2]) for r in rows if r[0] == who]
    med[who] = (n / st.median(h), n / st.median(d))
    print("%-9s hand-over median %7.2f s %7.1f msg/s (runs %.2f..%.2f s);  "
          "delivered median %7.2f s %7.1f msg/s" %
          (who, st.median(h), n / st.median(h), min(h), max(h),
           st.median(d), n / st.median(d)))
print("ratio postdesk/swaks (messages/s): hand-over %.2f, delivered %.2f" %
      (med["postdesk"][0] / med["swaks"][0], med["postdesk"][1] / med["swaks"][1]))
EOF
