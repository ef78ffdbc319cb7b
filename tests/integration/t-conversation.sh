# t-conversation: the whole conversation through the real Postfix and
# Dovecot. A customer writes to support; postdesk opens a ticket, sends the
# customer an acknowledgement and the agent a notification; the agent
# answers the notification from "their mail client"; the customer gets the
# answer threaded under their mail, without the agent's quoted history;
# the customer replies and the agent is notified again. The same in Czech.
# With Postfix down the mail waits in the outbox and goes out after.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
PD_SMTP=1 PD_AGENTS='( { name = "Agent One"; email = "agent1@example.test"; },
	{ name = "Agent Two"; email = "agent2@example.test"; } )' postdesk_config "$CONF"
MS=$SRCDIR/tests/mailstack/mailstack
fetch() { "$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"; "$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null; }
# field USER N EXPR: a python expression over the Nth decoded message (j) of USER.
field() {
	decoded_mail_of "$1" | sed -n "$2p" | python3 -c "import json,sys; j=json.load(sys.stdin); print($3)"
}
header() {	# header USER N NAME: a raw header of USER's Nth message
	mail_of "$1" | awk -v n="$2" -v h="$3:" 'BEGIN{IGNORECASE=1} /^text:/{k++} k==n && tolower($1)==tolower(h) {sub(/^[^:]*: */,""); print; exit}' | tr -d '\r'
}

printf 'From: Jane Customer <customer1@example.test>\r\nTo: support@example.test\r\nSubject: Cannot log in\r\nMessage-ID: <c1@example.test>\r\nDate: %s\r\n\r\nHello, I cannot log in to my account since yesterday.\r\nJane\r\n' "$(date -R)" >"$TEST_TMP/c1.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/c1.eml"
fetch
is "$(db 'SELECT count(*) FROM tickets')" 1 "the customer's mail opened ticket 1"
is "$(mailbox_count customer1@example.test INBOX)" 1 "the customer received one mail"
like "$(field customer1 1 "j['subject']")" '^\[Support #1\] Cannot log in$' "the acknowledgement's subject carries the tag"
like "$(field customer1 1 "j['text']")" 'Jane Customer' "it greets the customer by name"
like "$(field customer1 1 "j['text']")" '(number|#) ?1\b' "it gives the ticket number"
like "$(field customer1 1 "j['text']")" '(Mon|Tue|Wednes|Thurs|Fri|Satur|Sun)day [0-9]+ [A-Z][a-z]+, [0-9]{2}:[0-9]{2}' \
	"it says when a person will answer"
is "$(field customer1 1 "j['auto_reply_reason']")" "auto-submitted: auto-replied" "it is marked Auto-Submitted"
is "$(header customer1 1 X-Auto-Response-Suppress)" "All" "and X-Auto-Response-Suppress: All"
is "$(header customer1 1 Return-Path)" "<>" "it was sent with the null reverse-path (RFC 3834)"
is "$(field customer1 1 "j['in_reply_to']")" "<c1@example.test>" "it is threaded under the customer's mail"
is "$(mailbox_count agent1@example.test INBOX)" 1 "the agent received a notification"
is "$(field agent1 1 "j['from']['name']")" "Jane Customer via Example Support" "from the customer via support"
is "$(field agent1 1 "j['reply_to'][0]['addr']")" "support@example.test" "Reply-To is the support address"
like "$(field agent1 1 "j['text']")" 'cannot log in to my account' "with the customer's text"

# The agent answers the notification from their mail client.
nid=$(field agent1 1 "j['message_id']")
nsubj=$(field agent1 1 "j['subject']")
printf 'From: Agent One <agent1@example.test>\r\nTo: support@example.test\r\nSubject: Re: %s\r\nMessage-ID: <a1@example.test>\r\nIn-Reply-To: %s\r\nReferences: %s\r\nDate: %s\r\n\r\nPlease reset your password at https://example.test/reset and tell us if it works.\r\n\r\nOn Sun, 22 Nov 2026, Jane Customer via Example Support wrote:\r\n> Hello, I cannot log in to my account since yesterday.\r\n> Jane\r\n' \
	"$nsubj" "$nid" "$nid" "$(date -R)" >"$TEST_TMP/a1.eml"
smtp_send agent1@example.test support@example.test "$TEST_TMP/a1.eml"
fetch
is "$(db "SELECT ticket_id || ' ' || kind FROM messages WHERE message_id = 'a1@example.test'")" "1 agent" \
	"the agent's mail joined ticket 1 as an agent reply"
is "$(mailbox_count customer1@example.test INBOX)" 2 "the customer received the answer"
is "$(field customer1 2 "j['from']['name']")" "Agent One (Example Support)" "from the agent, under the support name"
is "$(field customer1 2 "j['from']['addr']")" "support@example.test" "at the support address"
is "$(field customer1 2 "j['in_reply_to']")" "<c1@example.test>" "threaded under the customer's mail"
like "$(field customer1 2 "j['text']")" 'reset your password' "with the agent's words"
ok "without the agent's quoted history" sh -c "! printf '%s' \"\$(field customer1 2 \"j['text']\")\" | grep -q 'cannot log in'" 2>/dev/null
like "$(field customer1 2 "j['subject']")" '\[Support #1\]' "the subject keeps the tag"
is "$(db 'SELECT status FROM tickets WHERE id = 1')" pending "the ticket waits on the customer"
is "$(db 'SELECT first_response_at IS NOT NULL FROM tickets WHERE id = 1')" 1 "its first response time is kept"
is "$(mailbox_count agent1@example.test INBOX)" 1 "the agent does not get their own words back"
is "$(mailbox_count agent2@example.test INBOX)" 2 "the other agent got the notification and a copy of the answer"
like "$(field agent2 2 "j['text']")" 'reset your password' "the copy holds the answer"

# The customer replies to the answer: same ticket, the agent is told.
rid=$(field customer1 2 "j['message_id']")
printf 'From: Jane Customer <customer1@example.test>\r\nTo: support@example.test\r\nSubject: Re: [Support #1] Cannot log in\r\nMessage-ID: <c2@example.test>\r\nIn-Reply-To: %s\r\nReferences: <c1@example.test> %s\r\nDate: %s\r\n\r\nThat worked, thank you!\r\n' \
	"$rid" "$rid" "$(date -R)" >"$TEST_TMP/c2.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/c2.eml"
fetch
is "$(db "SELECT ticket_id FROM messages WHERE message_id = 'c2@example.test'")" 1 "the customer's reply is in ticket 1"
is "$(db 'SELECT count(*) FROM tickets')" 1 "still one ticket"
is "$(db 'SELECT status FROM tickets WHERE id = 1')" open "the ticket is open again"
is "$(mailbox_count agent1@example.test INBOX)" 2 "the agent was notified of the reply"
like "$(field agent1 2 "j['text']")" 'That worked' "with the customer's new text"
is "$(mailbox_count customer1@example.test INBOX)" 2 "no second acknowledgement for a reply"

# In Czech.
printf 'From: =?UTF-8?Q?Jana_Nov=C3=A1kov=C3=A1?= <customer2@example.test>\r\nTo: support@example.test\r\nSubject: =?UTF-8?Q?Nefunguje_p=C5=99ihl=C3=A1=C5=A1en=C3=AD?=\r\nMessage-ID: <cz1@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nDate: %s\r\n\r\nDobrý den, nemohu se přihlásit do účtu. Můžete mi prosím pomoci? Děkuji.\r\n' \
	"$(date -R)" >"$TEST_TMP/cz1.eml"
smtp_send customer2@example.test support@example.test "$TEST_TMP/cz1.eml"
fetch
is "$(db "SELECT language FROM tickets WHERE id = 2")" cs "the Czech mail is recognised as Czech"
is "$(field customer2 1 "j['subject']")" "[Support #2] Nefunguje přihlášení" "the acknowledgement's subject, decoded"
like "$(field customer2 1 "j['text']")" 'Dobrý den' "the acknowledgement is in Czech"
like "$(field customer2 1 "j['text']")" '(pondělí|úterý|středa|čtvrtek|pátek|sobota|neděle) [0-9]+\. [0-9]+\.' \
	"with the promised time in Czech"
is "$(field customer2 1 "j['language']")" cs "and reads as Czech"

# Postfix down: the mail waits in the outbox, then goes out.
printf 'From: customer3@example.test\r\nTo: support@example.test\r\nSubject: Invoice\r\nMessage-ID: <c3@example.test>\r\n\r\nWhere is my invoice?\r\n' >"$TEST_TMP/c3.eml"
doveadm -c "$MAILSTACK_DOVECOT_CONF" save -u support@example.test -m INBOX <"$TEST_TMP/c3.eml"
"$MS" stop-postfix "$MAILSTACK_DIR" >/dev/null 2>&1
"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"
is "$?" 0 "with Postfix down, fetch still stores the mail (exit 0)"
is "$(db "SELECT count(*) FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL")" 2 \
	"the acknowledgement and the notification wait in the outbox with the error"
like "$("$POSTDESK" -c "$CONF" outbox list 2>/dev/null)" "pending .*customer3@example.test" "outbox list shows them"
"$MS" start-postfix "$MAILSTACK_DIR" >/dev/null 2>&1
for id in $(db "SELECT id FROM outbox WHERE state = 'pending'"); do
	"$POSTDESK" -c "$CONF" outbox retry "$id" >/dev/null 2>&1
done
fetch
is "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" 0 "after the restart everything is sent"
is "$(mailbox_count customer3@example.test INBOX)" 1 "the customer got the acknowledgement"
done_testing
