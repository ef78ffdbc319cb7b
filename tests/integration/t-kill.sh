# t-kill: exactly once under SIGKILL. 1,200 messages (400 conversations
# of three) wait in the real Dovecot; postdesk fetch is killed with SIGKILL at
# random moments, again and again, then run to the end. Every message must
# be stored exactly once, every conversation must be one ticket, and
# nothing may be left in INBOX.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
postdesk_config "$CONF"
N=400

# Deliver straight into the mailbox: one mbox imported with doveadm (fast,
# and the order is ours: replies before their parents for one in three
# conversations).
MBOX=$TEST_TMP/imp/INBOX
mkdir -p "$TEST_TMP/imp"
save() {
	printf 'From MAILER-DAEMON Sun Nov 22 10:00:00 2026\n' >>"$MBOX"
	tr -d '\r' <"$1" >>"$MBOX"
	printf '\n' >>"$MBOX"
}
mk() {	# mk FILE N PART PARENT
	{
		printf 'From: customer%d@example.test\r\nTo: support@example.test\r\n' $(($2 % 5 + 1))
		printf 'Subject: %sQuestion %d\r\nMessage-ID: <k%d.%d@example.test>\r\n' \
			"$([ "$3" -gt 0 ] && echo 'Re: ')" "$2" "$2" "$3"
		[ -n "$4" ] && printf 'In-Reply-To: <%s>\r\nReferences: <%s>\r\n' "$4" "$4"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nMessage %d of conversation %d.\r\n' "$3" "$2"
	} >"$1"
}
i=0
while [ $i -lt $N ]; do
	mk "$TEST_TMP/a.eml" $i 0 ""
	mk "$TEST_TMP/b.eml" $i 1 "k$i.0@example.test"
	mk "$TEST_TMP/c.eml" $i 2 "k$i.1@example.test"
	if [ $((i % 3)) -eq 0 ]; then
		save "$TEST_TMP/c.eml"; save "$TEST_TMP/b.eml"; save "$TEST_TMP/a.eml"
	else
		save "$TEST_TMP/a.eml"; save "$TEST_TMP/b.eml"; save "$TEST_TMP/c.eml"
	fi
	i=$((i + 1))
done
chmod -R a+rwX "$TEST_TMP/imp"
doveadm -c "$MAILSTACK_DOVECOT_CONF" import -u support@example.test \
	"mbox:$TEST_TMP/imp:INBOX=$MBOX" "" ALL
is "$(mailbox_count support@example.test INBOX)" $((N * 3)) "$((N * 3)) messages wait in INBOX"

kills=0
round=0
while [ $round -lt 40 ] && [ "$(mailbox_count support@example.test INBOX)" -gt 0 ]; do
	"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log" &
	pid=$!
	# 10 ms ... 150 ms, from /dev/urandom: a fetch of the whole mailbox
	# takes about a second on a quiet machine, so most runs die mid-way
	# (some before the first message, in the TLS handshake or the login)
	ms=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 140 + 10 ))
	sleep "$(printf '0.%03d' "$ms")"
	if kill -KILL $pid 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait $pid 2>/dev/null
	round=$((round + 1))
done
diag "$kills SIGKILLs in $round rounds"
ok "postdesk was killed at least 5 times mid-run" test "$kills" -ge 5
"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"
is "$?" 0 "the last fetch finishes"

is "$(db 'SELECT count(*) FROM messages')" $((N * 3)) "every message stored"
is "$(db 'SELECT count(DISTINCT message_id) FROM messages')" $((N * 3)) "none stored twice"
is "$(db 'SELECT count(*) FROM tickets')" $N "one ticket per conversation"
is "$(db "SELECT count(*) FROM (SELECT substr(message_id, 1, instr(message_id, '.') - 1) c,
	count(DISTINCT ticket_id) t FROM messages GROUP BY c HAVING t <> 1)")" 0 \
	"no conversation spread over two tickets"
is "$(mailbox_count support@example.test INBOX)" 0 "nothing left in INBOX"
is "$(mailbox_count support@example.test Processed)" $((N * 3)) "every message in Processed once"
is "$(db 'PRAGMA integrity_check')" ok "the database is intact"
done_testing
