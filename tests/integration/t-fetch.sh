# t-fetch: postdesk fetch --once against the real Dovecot of the test mail
# stack: mail sent through Postfix becomes tickets, threaded; each message
# is stored once however often it is seen; it leaves INBOX only after it
# is stored; TLS is verified (untrusted CA, wrong host name refused).
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
postdesk_config "$CONF"

# msg FILE FROM SUBJECT MSGID [IN-REPLY-TO]: write one CRLF message.
msg() {
	{
		printf 'From: %s\r\nTo: support@example.test\r\nSubject: %s\r\n' "$2" "$3"
		printf 'Message-ID: <%s>\r\nDate: %s\r\n' "$4" "$(date -R)"
		[ -n "${5:-}" ] && printf 'In-Reply-To: <%s>\r\nReferences: <%s>\r\n' "$5" "$5"
		printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nText of %s.\r\n' "$4"
	} >"$1"
}

msg "$TEST_TMP/m1.eml" "Customer One <customer1@example.test>" "Login broken" "m1@example.test"
msg "$TEST_TMP/m2.eml" "customer2@example.test" "Re: Login broken" "m2@example.test" "m1@example.test"
msg "$TEST_TMP/m3.eml" "customer3@example.test" "Invoice" "m3@example.test"
for m in m1 m2 m3; do smtp_send customer@example.test support@example.test "$TEST_TMP/$m.eml"; done
is "$(mailbox_count support@example.test INBOX)" 3 "three messages wait in INBOX"

"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch1.log"
is "$?" 0 "fetch --once exits 0"
is "$(db 'SELECT count(*) FROM messages')" 3 "three messages stored"
is "$(db 'SELECT count(*) FROM tickets')" 2 "two tickets (the reply threads)"
is "$(db "SELECT ticket_id || ' ' || thread_via FROM messages WHERE message_id='m2@example.test'")" \
	"1 in-reply-to" "the reply joined ticket 1 by In-Reply-To"
is "$(mailbox_count support@example.test INBOX)" 0 "INBOX is empty after the fetch"
is "$(mailbox_count support@example.test Processed)" 3 "the three messages are in Processed"
like "$(cat "$TEST_TMP/fetch1.log")" "fetched=3 stored=3" "the log says what was done"

# A crash after the commit but before the MOVE leaves the message in INBOX:
# put one back and fetch again: recognised, not stored twice, moved.
doveadm -c "$MAILSTACK_DOVECOT_CONF" move -u support@example.test INBOX mailbox Processed \
	header Message-ID m1@example.test
is "$(mailbox_count support@example.test INBOX)" 1 "one message is back in INBOX"
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch2.log"
is "$?" 0 "second fetch exits 0"
is "$(db 'SELECT count(*) FROM messages')" 3 "still three messages: the copy was recognised"
like "$(cat "$TEST_TMP/fetch2.log")" "duplicates=1" "the copy was counted as a duplicate"
is "$(mailbox_count support@example.test INBOX)" 0 "and moved out of INBOX again"

# STARTTLS on the IMAP port works the same.
msg "$TEST_TMP/m4.eml" "customer4@example.test" "Over STARTTLS" "m4@example.test"
smtp_send customer4@example.test support@example.test "$TEST_TMP/m4.eml"
PD_IMAP_PORT=$MAILSTACK_IMAP_PORT PD_IMAP_TLS=starttls postdesk_config "$CONF"
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch3.log"
is "$?" 0 "fetch over STARTTLS exits 0"
is "$(db "SELECT count(*) FROM messages WHERE message_id='m4@example.test'")" 1 "stored over STARTTLS"

# TLS verification is real: a CA that did not sign the server certificate
# is refused, nothing is stored and nothing leaves INBOX.
msg "$TEST_TMP/m5.eml" "customer5@example.test" "Not yet" "m5@example.test"
smtp_send customer5@example.test support@example.test "$TEST_TMP/m5.eml"
PD_CA=$MAILSTACK_DIR/tls/other-ca.pem postdesk_config "$CONF"
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch4.log"
is "$?" 75 "an untrusted certificate: fetch exits 75 (try later)"
like "$(cat "$TEST_TMP/fetch4.log")" "trust|signer|issuer" "the error says the certificate is not trusted"
is "$(db "SELECT count(*) FROM messages WHERE message_id='m5@example.test'")" 0 "nothing stored"
is "$(mailbox_count support@example.test INBOX)" 1 "the message stays in INBOX"

# A certificate for another host name is refused too.
MAILSTACK_CERT=wrong-name "$SRCDIR/tests/mailstack/mailstack" restart-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
postdesk_config "$CONF"
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch5.log"
is "$?" 75 "a wrong host name: fetch exits 75"
like "$(cat "$TEST_TMP/fetch5.log")" "host ?name|does not match" "the error names the host name"
"$SRCDIR/tests/mailstack/mailstack" restart-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch6.log"
is "$?" 0 "with the right certificate again, fetch works"
is "$(db "SELECT count(*) FROM messages WHERE message_id='m5@example.test'")" 1 "and stores the waiting mail"

# mark = "seen": the message stays, flagged, and is not fetched twice.
msg "$TEST_TMP/m6.eml" "customer1@example.test" "Seen mode" "m6@example.test"
smtp_send customer1@example.test support@example.test "$TEST_TMP/m6.eml"
PD_MARK=seen postdesk_config "$CONF"
"$POSTDESK" -c "$CONF" fetch --once 2>/dev/null
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch7.log"
is "$(mailbox_count support@example.test INBOX)" 1 "seen mode leaves the message in INBOX"
is "$(doveadm -c "$MAILSTACK_DOVECOT_CONF" search -u support@example.test mailbox INBOX SEEN | wc -l | tr -d ' ')" \
	1 "flagged \\Seen"
like "$(cat "$TEST_TMP/fetch7.log")" "fetched=0" "the next fetch does not fetch it again"
is "$(db "SELECT count(*) FROM messages WHERE message_id='m6@example.test'")" 1 "stored once"

done_testing
