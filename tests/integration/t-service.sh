# t-service: postdesk daemon as a service, against the real mail stack
# (t-daemon covers start-up mail, SIGUSR1 and reconnecting):
# - the service manager's protocol, under a fake NOTIFY_SOCKET: READY=1,
#   a STATUS= line with the mailbox count (and a failing mailbox in it),
#   WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1;
# - IDLE wakes it for new mail within 2 seconds, with the watchdog's
#   wake-ups going on at the same time;
# - SIGHUP: a broken config is refused and the old one stays; a good one
#   takes effect (a new routing rule, the debug log level, a renamed
#   mailbox whose old name another daemon may then serve);
# - a second daemon on the same mailbox is refused (exit 75, a clear
#   message), one with a mailbox of its own is not; deliver and ticket
#   list work beside a running daemon;
# - SIGTERM in the middle of a fetch and in the middle of sending the
#   outbox: exit 0 within 5 seconds, nothing lost, nothing stored twice.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
export PD_SMTP=1
export PD_EXTRA='ack_limit = { count = 10000; period = "1h"; };'
postdesk_config "$CONF"
cp "$CONF" "$TEST_TMP/good.conf"
LOG=$TEST_TMP/daemon.log
BOX=support@example.test@127.0.0.1/INBOX	# the mailbox's default name
NOTES=$TEST_TMP/notify.log

# The service manager's end of NOTIFY_SOCKET: one line per datagram.
cat >"$TEST_TMP/notify.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a")
s.settimeout(300)
while True:
    try:
        data = s.recv(4096)
    except socket.timeout:
        break
    out.write(data.decode("utf-8", "replace").replace("\n", " | ") + "\n")
    out.flush()
PY
python3 "$TEST_TMP/notify.py" "$TEST_TMP/notify.sock" "$NOTES" &
NPID=$!
i=0
while [ ! -S "$TEST_TMP/notify.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

msg() {	# msg FROM SUBJECT MSGID
	printf 'From: %s\r\nTo: support@example.test\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nHello.\r\n' \
		"$1" "$2" "$3" "$(date -R)" >"$TEST_TMP/$3.eml"
	smtp_send "$1" support@example.test "$TEST_TMP/$3.eml"
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
in_ticket() { [ "$(db "SELECT count(*) FROM messages WHERE message_id='$1' AND ticket_id > 0" 2>/dev/null)" = 1 ]; }
noted() { grep -Eq -- "$1" "$NOTES"; }
logged() { grep -Eq -- "$1" "$LOG"; }
start_daemon() {
	NOTIFY_SOCKET=$TEST_TMP/notify.sock WATCHDOG_USEC=2000000 \
		"$POSTDESK" -c "$CONF" daemon 2>>"$LOG" &
	PID=$!
}
# stop_daemon: SIGTERM; sets RC and SECS.
stop_daemon() {
	t0=$(date +%s%N)
	kill -TERM $PID
	wait $PID
	RC=$?
	SECS=$(( ($(date +%s%N) - t0) / 1000000000 ))
}

start_daemon
ok "READY=1 once the mailbox was tried" wait_for 10 noted '^READY=1$'
ok "a STATUS= line with the mailbox count" wait_for 5 noted '^STATUS=1 mailbox, [0-9]+ open tickets?, outbox [0-9]+, last fetch [0-9]+ s ago$'
diag "$(grep -m1 '^STATUS=' "$NOTES")"
before=$(grep -c '^WATCHDOG=1$' "$NOTES")
sleep 3
after=$(grep -c '^WATCHDOG=1$' "$NOTES")
diag "WATCHDOG=1 pings in 3 s: $((after - before))"
ok "WATCHDOG=1 at half of WATCHDOG_USEC (2 s): 2 or more pings in 3 s" test $((after - before)) -ge 2

# IDLE, while the watchdog wakes the loop every second.
start=$(date +%s%N)
msg customer1@example.test "While idling" s1@example.test
ok "IDLE: a new mail is in a ticket within 2 seconds of its delivery" wait_for 2 in_ticket s1@example.test
diag "in a ticket after $(( ($(date +%s%N) - start) / 1000000 )) ms (including SMTP and LMTP)"

# A second daemon on the same database and mailbox.
NOTIFY_SOCKET= "$POSTDESK" -c "$CONF" daemon 2>"$TEST_TMP/second.log"
is "$?" 75 "a second daemon on the same mailbox exits 75"
like "$(cat "$TEST_TMP/second.log")" "mailbox $BOX of .*postdesk.db is served by another postdesk daemon \(pid $PID\)" \
	"... and says which mailbox and which process"
# One whose configuration has a mailbox of its own may run beside it.
sed 's|^imap = {|imap = { name = "second";|' "$CONF" >"$TEST_TMP/second.conf"
"$POSTDESK" -c "$TEST_TMP/second.conf" daemon 2>"$TEST_TMP/second2.log" &
P2=$!
ok "a daemon with a mailbox of its own starts beside it" \
	wait_for 10 grep -q 'another postdesk (pid [0-9]*) sends the outbox' "$TEST_TMP/second2.log"
kill -TERM $P2
wait $P2
is "$?" 0 "... and stops with 0"
printf 'From: walkin@example.test\r\nTo: support@example.test\r\nSubject: By pipe\r\nMessage-ID: <s-pipe@example.test>\r\n\r\nHi.\r\n' |
	"$POSTDESK" -c "$CONF" deliver 2>"$TEST_TMP/deliver.log"
is "$?" 0 "deliver works beside the daemon (it takes no lock)"
"$POSTDESK" -c "$CONF" ticket list >/dev/null 2>&1
is "$?" 0 "ticket list works beside the daemon"

# SIGHUP with a broken config: refused, the old one stays.
printf 'database = "postdesk.db";\nimap = { host = 12; };\nbogus_key = 1;\n' >"$CONF"
kill -HUP $PID
ok "a broken config: every error is logged" wait_for 5 logged 'reload: .*postdesk.conf:2: .*host'
ok "... and the old one stays" wait_for 5 logged 'the new configuration has errors; keeping the one in force'
msg customer2@example.test "After a bad reload" s2@example.test
ok "... and mail still comes in" wait_for 5 in_ticket s2@example.test
ok "the daemon is still running" kill -0 $PID

# SIGHUP with a good config: a new rule and the debug level.
{
	grep -v '^ack_limit' "$TEST_TMP/good.conf"
	printf 'log_level = "debug";\n'
	printf 'ack_limit = { count = 10000; period = "1h"; };\n'
	printf 'rules = ( { name = "urgent"; header = "Subject"; regex = "(?i)urgent"; priority = "urgent"; } );\n'
} >"$CONF"
kill -HUP $PID
ok "a good config is swapped in" wait_for 5 logged 'configuration reloaded, 1 mailbox'
msg customer3@example.test "URGENT: the server is down" s3@example.test
ok "... the new rule applies to new mail" wait_for 5 in_ticket s3@example.test
is "$(db "SELECT priority FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 's3@example.test'")" \
	urgent "... (priority urgent)"
ok "... and the debug level is on" logged "debug: fetch: mailbox=$BOX folder=INBOX"

# A reload that renames the mailbox gives its lock up: another daemon may
# now serve the old name; renaming it back takes the lock again.
cp "$CONF" "$TEST_TMP/debug.conf"
sed 's|^imap = {|imap = { name = "renamed";|' "$TEST_TMP/debug.conf" >"$CONF"
kill -HUP $PID
ok "a renamed mailbox: the new name is taken" wait_for 5 logged 'daemon: mailbox renamed added'
ok "... and the old one given up" wait_for 5 logged "daemon: mailbox $BOX removed"
"$POSTDESK" -c "$TEST_TMP/good.conf" daemon 2>"$TEST_TMP/third.log" &
P3=$!
ok "another daemon may now serve the old name" \
	wait_for 10 grep -q 'daemon: started, 1 mailbox' "$TEST_TMP/third.log"
kill -TERM $P3
wait $P3
is "$?" 0 "... (stopped again with 0)"
cp "$TEST_TMP/debug.conf" "$CONF"
kill -HUP $PID
ok "renamed back" wait_for 5 logged 'daemon: mailbox renamed removed'

# A failing mailbox shows in STATUS=.
"$SRCDIR/tests/mailstack/mailstack" stop-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
kill -USR1 $PID
ok "STATUS= names a failing mailbox and when it is retried" \
	wait_for 10 noted "^STATUS=1 mailbox, .*; mailbox $BOX: .*, retry in [0-9]+ s"
diag "$(grep -m1 'retry in' "$NOTES")"
"$SRCDIR/tests/mailstack/mailstack" start-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1

stop_daemon
is "$RC" 0 "SIGTERM: exit 0"
ok "STOPPING=1" wait_for 2 noted '^STOPPING=1$'

# SIGTERM in the middle of a fetch: N messages wait in INBOX.
N=300
MBOX=$TEST_TMP/imp/INBOX
mkdir -p "$TEST_TMP/imp"
i=0
while [ $i -lt $N ]; do
	printf 'From MAILER-DAEMON Sun Nov 22 10:00:00 2026\nFrom: bulk%d@example.test\nTo: support@example.test\nSubject: Question %d\nMessage-ID: <b%d@example.test>\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n\nMessage %d.\n\n' \
		$((i % 7)) $i $i $i >>"$MBOX"
	i=$((i + 1))
done
chmod -R a+rwX "$TEST_TMP/imp"
doveadm -c "$MAILSTACK_DOVECOT_CONF" import -u support@example.test "mbox:$TEST_TMP/imp:INBOX=$MBOX" "" ALL
is "$(mailbox_count support@example.test INBOX)" $N "$N messages wait in INBOX"
bulk() { db "SELECT count(*) FROM messages WHERE message_id LIKE 'b%@example.test'"; }
some_stored() { [ "$(bulk)" -ge 10 ]; }
start_daemon
ok "the daemon is storing them" wait_for 30 some_stored
stop_daemon
stored=$(bulk)
left=$(mailbox_count support@example.test INBOX)
diag "SIGTERM after $stored of $N stored; $left still in INBOX; exit after ${SECS} s"
is "$RC" 0 "SIGTERM mid-fetch: exit 0"
ok "SIGTERM mid-fetch: stopped within 5 seconds" test "$SECS" -le 5
ok "it was mid-fetch: not everything was stored yet" test "$stored" -lt $N
is "$((stored + left))" $N "nothing lost: each message stored and moved, or still in INBOX"
ok "the log says where it stopped" logged "fetch: mailbox=$BOX uid=[0-9]+: stopping here"

# SIGTERM in the middle of sending the outbox (an acknowledgement and an
# agent notification for each new ticket).
sent() { db "SELECT count(*) FROM outbox WHERE state = 'sent'"; }
sent0=$(sent)
some_sent() { [ "$(sent)" -ge $((sent0 + 5)) ]; }
start_daemon
ok "the daemon is sending the outbox" wait_for 60 some_sent
stop_daemon
is "$RC" 0 "SIGTERM mid-outbox: exit 0"
ok "SIGTERM mid-outbox: stopped within 5 seconds" test "$SECS" -le 5
pending=$(db "SELECT count(*) FROM outbox WHERE state = 'pending'")
diag "outbox at the stop: $(sent) sent, $pending pending; exit after ${SECS} s"
ok "it was mid-outbox: rows still pending" test "$pending" -gt 0
is "$(db "SELECT count(*) FROM outbox WHERE state = 'sending'")" 0 "no row left half-sent"

# Start again: everything is finished, nothing twice.
all_done() {
	[ "$(mailbox_count support@example.test INBOX)" = 0 ] &&
	[ "$(db "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")" = 0 ]
}
start_daemon
ok "after a restart everything is fetched and sent" wait_for 120 all_done
stop_daemon
is "$RC" 0 "exit 0"
is "$(bulk)" $N "every message stored"
is "$(db "SELECT count(DISTINCT message_id) FROM messages WHERE message_id LIKE 'b%@example.test'")" $N "none stored twice"
is "$(mailbox_count support@example.test Processed)" $((N + 3)) "every message in Processed once"
is "$(db "SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id LIKE 'b%@example.test'")" $N "one ticket each"
kill $NPID 2>/dev/null
done_testing
