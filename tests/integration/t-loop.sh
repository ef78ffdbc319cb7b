# t-loop: a real autoresponder against postdesk. customer4 has a careless
# responder that answers every mail it gets, without any RFC 3834 header,
# with a fresh subject (so each answer looks like a new conversation). The
# exchange must stop by itself: postdesk acknowledges at most ack_limit (3)
# times per sender and period, counted in its database.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
PD_SMTP=1 postdesk_config "$CONF"
MS=$SRCDIR/tests/mailstack/mailstack
DC="doveadm -c $MAILSTACK_DOVECOT_CONF"

# respond: answer every unseen mail in customer4's INBOX, then mark it seen.
respond() {
	n=0
	for uid in $($DC search -u customer4@example.test mailbox INBOX UNSEEN 2>/dev/null | awk '{print $2}'); do
		n=$((n + 1))
		printf 'From: customer4@example.test\r\nTo: support@example.test\r\nSubject: I am away (%s)\r\nMessage-ID: <away-%s-%s@example.test>\r\n\r\nI am out of the office until Monday.\r\n' \
			"$uid" "$uid" "$(date +%s%N)" >"$TEST_TMP/away.eml"
		smtp_send customer4@example.test support@example.test "$TEST_TMP/away.eml"
		$DC flags add -u customer4@example.test '\Seen' mailbox INBOX uid "$uid"
	done
	echo $n
}

printf 'From: customer4@example.test\r\nTo: support@example.test\r\nSubject: Question\r\nMessage-ID: <q4@example.test>\r\n\r\nHi, a question.\r\n' >"$TEST_TMP/q.eml"
smtp_send customer4@example.test support@example.test "$TEST_TMP/q.eml"
rounds=0
answered=1
while [ $rounds -lt 10 ] && [ "$answered" -gt 0 ]; do
	"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"
	"$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null
	answered=$(respond)
	rounds=$((rounds + 1))
done
diag "the exchange ran $rounds rounds"
is "$answered" 0 "the exchange stopped by itself"
is "$(mailbox_count customer4@example.test INBOX)" 3 "the responder got exactly ack_limit (3) acknowledgements"
is "$(db "SELECT count(*) FROM ack_log WHERE addr = 'customer4@example.test'")" 3 "counted in the database"
like "$(cat "$TEST_TMP/fetch.log")" "no more \\(ack_limit\\)" "the log says why the fourth was not sent"
is "$(db "SELECT count(*) FROM messages WHERE direction = 'in' AND from_addr = 'customer4@example.test'")" 4 \
	"every mail of the responder is still stored"

# A well-behaved responder (RFC 3834 Auto-Submitted) gets nothing at all,
# and opens no ticket.
printf 'From: customer5@example.test\r\nTo: support@example.test\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo5@example.test>\r\n\r\nAway.\r\n' >"$TEST_TMP/ooo.eml"
smtp_send customer5@example.test support@example.test "$TEST_TMP/ooo.eml"
tickets=$(db 'SELECT count(*) FROM tickets')
"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"
"$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null
is "$(mailbox_count customer5@example.test INBOX)" 0 "an RFC 3834 auto-reply is never answered"
is "$(db 'SELECT count(*) FROM tickets')" "$tickets" "and opens no ticket"
is "$(db "SELECT kind FROM messages WHERE message_id = 'ooo5@example.test'")" auto-reply "it is stored as an auto-reply"
done_testing
