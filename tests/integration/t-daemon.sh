# t-daemon: postdesk daemon against the real mail stack: it stores mail
# that was waiting at start, IMAP IDLE wakes it for new mail within a few
# seconds, SIGUSR1 fetches at once, a Dovecot restart is survived (it
# reconnects with backoff), and SIGTERM stops it cleanly with exit 0.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
postdesk_config "$CONF"
LOG=$TEST_TMP/daemon.log

msg() {
	printf 'From: %s\r\nTo: support@example.test\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nHello.\r\n' \
		"$1" "$2" "$3" "$(date -R)" >"$TEST_TMP/$3.eml"
	smtp_send "$1" support@example.test "$TEST_TMP/$3.eml"
}

# wait_stored MSGID SECONDS: poll the database until the message is there.
wait_stored() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ "$(db "SELECT count(*) FROM messages WHERE message_id='$1'" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

msg customer1@example.test "Before the start" d1@example.test
"$POSTDESK" -c "$CONF" daemon 2>"$LOG" &
PID=$!
ok "mail waiting at start is stored" wait_stored d1@example.test 10

start=$(date +%s%N)
msg customer2@example.test "While idling" d2@example.test
ok "IDLE: a new mail is stored within 2 seconds of its delivery" wait_stored d2@example.test 2
diag "stored after $(( ($(date +%s%N) - start) / 1000000 )) ms (including SMTP and LMTP)"

# Dovecot goes away and comes back: the daemon reconnects by itself.
"$SRCDIR/tests/mailstack/mailstack" stop-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
sleep 1
"$SRCDIR/tests/mailstack/mailstack" start-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
msg customer3@example.test "After the restart" d3@example.test
kill -USR1 $PID
ok "after a Dovecot restart the daemon reconnects and stores new mail" wait_stored d3@example.test 15
like "$(cat "$LOG")" "retrying in [0-9]+ s|reconnecting" "the outage is in the log"

kill -TERM $PID
t0=$(date +%s)
wait $PID
is "$?" 0 "SIGTERM: exit status 0"
ok "SIGTERM: stopped within 5 seconds" test $(($(date +%s) - t0)) -le 5
like "$(tail -n 1 "$LOG")" "daemon: stopping" "the log says it stopped"
is "$(mailbox_count support@example.test INBOX)" 0 "nothing left in INBOX"
done_testing
