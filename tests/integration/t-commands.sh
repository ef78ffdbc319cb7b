# t-commands: routing rules and commands by email through the real mail
# stack. A billing mail is routed to the billing queue and its agent; an
# agent's #note never reaches the customer; #close closes and the rest of
# the mail is relayed; a mistyped command applies nothing and tells the
# agent; with agent_auth = "authentication-results", a forged agent From
# commands nothing, and the trusted server's passing result does.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
MS=$SRCDIR/tests/mailstack/mailstack
export PD_SMTP=1
export PD_QUEUES='( { name = "general"; }, { name = "billing"; } )'
export PD_AGENTS='( { name = "Agent One"; email = "agent1@example.test"; queues = ["general"]; },
	{ name = "Agent Two"; email = "agent2@example.test"; queues = ["billing"]; } )'
export PD_EXTRA='rules = ( { name = "billing"; header = "Subject"; regex = "(?i)invoice|faktur"; queue = "billing"; priority = "high"; tags = ["money"]; } );'
postdesk_config "$CONF"
fetch() { "$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"; "$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null; }
field() { decoded_mail_of "$1" | sed -n "$2p" | python3 -c "import json,sys; j=json.load(sys.stdin); print($3)"; }
# agent_mail N BODY: agent2 answers its Nth notification with BODY.
agent_mail() {
	nid=$(field agent2 "$1" "j['message_id']")
	nsubj=$(field agent2 "$1" "j['subject']")
	printf 'From: Agent Two <agent2@example.test>\r\nTo: support@example.test\r\nSubject: Re: %s\r\nMessage-ID: <a%s-%s@example.test>\r\nIn-Reply-To: %s\r\nReferences: %s\r\n\r\n%b' \
		"$nsubj" "$1" "$(date +%s%N)" "$nid" "$nid" "$2" >"$TEST_TMP/a.eml"
	smtp_send agent2@example.test support@example.test "$TEST_TMP/a.eml"
}

printf 'From: Jane <customer1@example.test>\r\nTo: support@example.test\r\nSubject: Invoice missing\r\nMessage-ID: <b1@example.test>\r\n\r\nI did not get my invoice for November.\r\n' >"$TEST_TMP/b1.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/b1.eml"
fetch
is "$(db 'SELECT queue || " " || priority FROM tickets WHERE id = 1')" "billing high" "the billing rule routed the ticket"
is "$(db "SELECT tag FROM tags WHERE ticket_id = 1")" money "and tagged it"
is "$(db "SELECT detail FROM events WHERE ticket_id = 1 AND type = 'routed'")" billing "the rule is named in the events"
is "$(mailbox_count agent2@example.test INBOX)" 1 "the billing agent was notified"
is "$(mailbox_count agent1@example.test INBOX)" 0 "the general agent was not"
out=$("$POSTDESK" -c "$CONF" route --explain "$TEST_TMP/b1.eml" 2>&1)
like "$out" "billing.*MATCH" "route --explain shows the rule matching"

# An internal note: stored, never sent to the customer.
agent_mail 1 '#note\r\nAccounting says the invoice run failed on the 2nd.\r\n'
fetch
is "$(db "SELECT kind FROM messages WHERE from_addr = 'agent2@example.test'")" note "the agent's #note is stored as a note"
is "$(mailbox_count customer1@example.test INBOX)" 1 "the customer got only the acknowledgement"
is "$(db 'SELECT status FROM tickets WHERE id = 1')" new "a note changes no status"

# A mistyped command: nothing applied, nothing sent, the agent is told.
agent_mail 1 '#clsoe\r\nHere is your invoice.\r\n'
fetch
is "$(mailbox_count customer1@example.test INBOX)" 1 "nothing was relayed to the customer"
is "$(db 'SELECT status FROM tickets WHERE id = 1')" new "nothing was applied"
is "$(mailbox_count agent2@example.test INBOX)" 2 "the agent got a reply"
like "$(field agent2 2 "j['text']")" "clsoe" "saying which command was not understood"

# #close with text: closed, and the text relayed.
agent_mail 1 '#close\r\n#tag resolved-by-mail\r\nYour invoice is on its way again. Sorry for the trouble.\r\n'
fetch
is "$(db 'SELECT status FROM tickets WHERE id = 1')" closed "#close closed the ticket"
is "$(db "SELECT count(*) FROM tags WHERE ticket_id = 1 AND tag = 'resolved-by-mail'")" 1 "#tag tagged it"
is "$(mailbox_count customer1@example.test INBOX)" 2 "the customer got the answer"
like "$(field customer1@example.test 2 "j['text']")" "on its way again" "with the agent's text"
ok "without the command lines" sh -c "! printf '%s' \"\$(field customer1@example.test 2 \"j['text']\")\" | grep -q '#close'"

# agent_auth = "authentication-results": a forged agent From commands nothing.
PD_EXTRA="$PD_EXTRA
agent_auth = \"authentication-results\";
trusted_authserv_id = \"mx.example.test\";" postdesk_config "$CONF"
printf 'From: Agent Two <agent2@example.test>\r\nTo: support@example.test\r\nSubject: Re: [Support #1] Invoice missing\r\nMessage-ID: <forged@example.org>\r\n\r\n#open\r\nI am not really an agent.\r\n' >"$TEST_TMP/f.eml"
doveadm -c "$MAILSTACK_DOVECOT_CONF" save -u support@example.test -m INBOX <"$TEST_TMP/f.eml"
fetch
is "$(db 'SELECT status FROM tickets WHERE id = 1')" open "the forged mail is a customer reply (it reopens), not a command"
is "$(db "SELECT kind FROM messages WHERE message_id = 'forged@example.org'")" customer "stored as a customer's mail"
is "$(db "SELECT count(*) FROM events WHERE type = 'unverified-agent'")" 1 "and flagged in the ticket's events"
like "$(cat "$TEST_TMP/fetch.log")" "claims an agent's address" "and in the log"

# The trusted server's topmost passing result makes it the agent's.
printf 'Authentication-Results: mx.example.test; dkim=pass header.d=example.test; spf=pass smtp.mailfrom=agent2@example.test\r\nAuthentication-Results: mx.example.test; dkim=fail header.d=example.test\r\nFrom: Agent Two <agent2@example.test>\r\nTo: support@example.test\r\nSubject: Re: [Support #1] Invoice missing\r\nMessage-ID: <real@example.test>\r\n\r\n#resolve\r\n' >"$TEST_TMP/r.eml"
doveadm -c "$MAILSTACK_DOVECOT_CONF" save -u support@example.test -m INBOX <"$TEST_TMP/r.eml"
fetch
is "$(db "SELECT kind FROM messages WHERE message_id = 'real@example.test'")" agent "with dkim=pass from the trusted server it is the agent's"
is "$(db 'SELECT status FROM tickets WHERE id = 1')" resolved "and its #resolve applies"
done_testing
