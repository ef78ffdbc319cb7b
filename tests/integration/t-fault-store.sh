# t-fault-store: the database cannot be written, for real:
#   - another process holds an exclusive lock on it for 40 s (longer than
#     postdesk's 30 s busy timeout): the daemon waits, logs the failure,
#     retries, and stores everything once the lock is gone; fetch --once
#     gives up with exit 75; nothing is moved to Processed before it is
#     stored;
#   - the disk is full: the state directory is a small tmpfs (mount -t
#     tmpfs) filled to the last byte: the daemon logs "disk is full",
#     retries, moves nothing, and catches up once space is freed.
. "$SRCDIR/tests/lib.sh"
mailstack_start
MS=$SRCDIR/tests/mailstack/mailstack
DC="doveadm -c $MAILSTACK_DOVECOT_CONF"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# wait_for SECONDS 'SHELL CONDITION': poll until the condition holds.
wait_for() {
	n=0
	while [ $n -lt $(($1 * 10)) ]; do
		sh -c "$2" 2>/dev/null && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
# put PREFIX N SIZE: N messages <PREFIX-i@example.test> of about SIZE bytes
# into support's INBOX.
put() {
	i=1
	while [ $i -le "$2" ]; do
		"$PY" -c "import sys; sys.stdout.write('From: customer1@example.test\r\nTo: support@example.test\r\nSubject: $1 $i\r\nMessage-ID: <$1-$i@example.test>\r\n\r\n' + ('x' * 76 + '\r\n') * ($3 // 78))" |
			$DC save -u support@example.test -m INBOX
		i=$((i + 1))
	done
}
inbox() { mailbox_count support@example.test INBOX; }
processed() { mailbox_count support@example.test Processed; }

# --- a lock held for 40 s ------------------------------------------------------------
CONF=$TEST_TMP/postdesk.conf
postdesk_config "$CONF"
"$POSTDESK" -c "$CONF" fetch --once 2>/dev/null	# the database, the Processed folder
"$POSTDESK" -c "$CONF" daemon 2>"$TEST_TMP/daemon.log" &
DPID=$!
wait_for 10 "grep -q 'daemon: started' '$TEST_TMP/daemon.log'"
"$PY" - "$TEST_TMP/postdesk.db" "$TEST_TMP/locked" 40 <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute('BEGIN EXCLUSIVE')
open(sys.argv[2], 'w').write('locked\n')
time.sleep(float(sys.argv[3]))
c.execute('ROLLBACK')
EOF
LOCKER=$!
ok "lock: another process holds the database" wait_for 10 "[ -s '$TEST_TMP/locked' ]"
locked_at=$(date +%s)
put lock 5 2000
kill -USR1 $DPID
sleep 15
is "$(db "SELECT count(*) FROM messages WHERE message_id LIKE 'lock-%'")" 0 "lock: 15 s in, nothing stored"
is "$(inbox) $(processed)" "5 0" "lock: 15 s in, all 5 still in INBOX, nothing in Processed"
ok "lock: after the busy timeout (30 s) the daemon logs the failure and retries" \
	wait_for 22 "grep -Eq 'not stored, will retry: .*database is locked; retrying in [0-9]+ s' '$TEST_TMP/daemon.log'"
# The lock is still held (40 s).
kill -0 $LOCKER 2>/dev/null
is "$? $(inbox) $(processed)" "0 5 0" "lock: while it lasts nothing is moved ($(($(date +%s) - locked_at)) s in)"
wait $LOCKER
diag "the lock was held for $(($(date +%s) - locked_at)) s"
diag "$(grep -m 1 'will retry' "$TEST_TMP/daemon.log")"
ok "lock: once it is gone the daemon stores all 5" \
	wait_for 30 "[ \"\$(sqlite3 '$TEST_TMP/postdesk.db' \"SELECT count(*) FROM messages WHERE message_id LIKE 'lock-%'\")\" = 5 ]"
ok "lock: and moves them to Processed" wait_for 10 "[ \"\$(doveadm -c '$MAILSTACK_DOVECOT_CONF' search -u support@example.test mailbox Processed ALL | wc -l)\" = 5 ]"
is "$(inbox)" 0 "lock: INBOX empty"
kill -TERM $DPID
wait $DPID
is "$?" 0 "lock: the daemon stops cleanly afterwards"

# fetch --once under the same lock, without a daemon (beside one it would
# skip the mailbox the daemon serves, see t-service): it waits out the
# busy timeout, gives up with 75 and moves nothing.
"$PY" - "$TEST_TMP/postdesk.db" "$TEST_TMP/locked2" 40 <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute('BEGIN EXCLUSIVE')
open(sys.argv[2], 'w').write('locked\n')
time.sleep(float(sys.argv[3]))
c.execute('ROLLBACK')
EOF
LOCKER=$!
ok "lock again: another process holds the database" wait_for 10 "[ -s '$TEST_TMP/locked2' ]"
put lockf 2 2000
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch.log"
is "$?" 75 "lock: fetch --once gives up with exit 75"
like "$(cat "$TEST_TMP/fetch.log")" "not stored, will retry: .*database is locked" "lock: and says why"
is "$(inbox) $(processed)" "2 5" "lock: fetch --once moved nothing"
wait $LOCKER
"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"
is "$? $(inbox) $(processed)" "0 0 7" "lock: once it is gone fetch --once stores and moves them"

# --- disk full --------------------------------------------------------------------------
FULL=$TEST_TMP/full
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=32m,mode=0755 tmpfs "$FULL" 2>"$TEST_TMP/mount.err"; then
	# Say why, and skip: the rest needs a file system that can fill up.
	diag "mount -t tmpfs failed: $(cat "$TEST_TMP/mount.err")"
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP disk full: tmpfs cannot be mounted here"
	done_testing
	exit $?
fi
trap 'umount "$FULL" 2>/dev/null; cleanup' EXIT
FCONF=$FULL/postdesk.conf
postdesk_config "$FCONF"
fdb() { sqlite3 "$FULL/postdesk.db" "$1"; }
"$POSTDESK" -c "$FCONF" daemon 2>"$TEST_TMP/full.log" &
DPID=$!
wait_for 10 "grep -q 'daemon: started' '$TEST_TMP/full.log'"
# Fill the file system to the last block.
dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null
diag "disk full: $(df -k "$FULL" | awk 'NR == 2 {print $4}') KiB free on the tmpfs"
start_processed=$(processed)
put full 5 600000
kill -USR1 $DPID
ok "disk full: the daemon logs it and retries" \
	wait_for 30 "grep -Eq 'not stored, will retry: .*(disk is full|disk I/O error).*retrying in [0-9]+ s' '$TEST_TMP/full.log'"
diag "$(grep -m 1 'will retry' "$TEST_TMP/full.log")"
is "$(fdb "SELECT count(*) FROM messages WHERE message_id LIKE 'full-%'")" 0 "disk full: nothing half stored"
is "$(inbox) $(processed)" "5 $start_processed" "disk full: all 5 still in INBOX, none moved to Processed"
"$POSTDESK" -c "$FCONF" fetch --once 2>"$TEST_TMP/full-fetch.log"
is "$?" 75 "disk full: fetch --once exits 75"
kill -0 $DPID 2>/dev/null
is "$?" 0 "disk full: the daemon keeps running"
is "$(fdb 'PRAGMA integrity_check')" ok "disk full: the database is intact"
rm -f "$FULL/filler"
kill -USR1 $DPID
ok "space freed: the daemon catches up, all 5 stored" \
	wait_for 30 "[ \"\$(sqlite3 '$FULL/postdesk.db' \"SELECT count(*) FROM messages WHERE message_id LIKE 'full-%'\")\" = 5 ]"
ok "space freed: and moved to Processed" \
	wait_for 10 "[ \"\$(doveadm -c '$MAILSTACK_DOVECOT_CONF' search -u support@example.test mailbox Processed ALL | wc -l)\" = $((start_processed + 5)) ]"
is "$(fdb "SELECT count(*) FROM messages WHERE message_id LIKE 'full-%' AND length(raw) > 590000")" 5 \
	"space freed: each stored whole"
kill -TERM $DPID
wait $DPID
is "$?" 0 "disk full: the daemon stops cleanly afterwards"
is "$(fdb 'PRAGMA integrity_check')" ok "disk full: the database is intact at the end"
done_testing
