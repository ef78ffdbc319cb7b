# t-hostile-abuse: people and programs that try to misuse postdesk, through
# the real Postfix and Dovecot, each case with its expected outcome:
#   - a stranger uses the subject tag of someone else's ticket: a new
#     ticket, linked both ways; the stranger's acknowledgement shows
#     nothing of the other ticket;
#   - a stranger replies to a customer's Message-ID (known from elsewhere):
#     the agents see it, but the stranger does not join the ticket and
#     gets none of its mail;
#   - mail From an agent that the trusted server did not authenticate
#     (agent_auth = "authentication-results"): no command runs, in five
#     forms of forgery; the same mail authenticated does run (control);
#   - postdesk's own acknowledgement comes back, as is and rewritten: no
#     loop, no mail to anyone;
#   - a mail bomb of 1,000 messages from one sender: all stored, at most
#     ack_limit (3) acknowledgements.
# (An autoresponder without RFC 3834 headers: t-loop.sh.)
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
PD_SMTP=1 PD_EXTRA='agent_auth = "authentication-results";
trusted_authserv_id = "mx.example.test";' postdesk_config "$CONF"
MS=$SRCDIR/tests/mailstack/mailstack
DC="doveadm -c $MAILSTACK_DOVECOT_CONF"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
fetch() { "$POSTDESK" -c "${1:-$CONF}" fetch --once 2>>"$TEST_TMP/fetch.log"; "$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null; }
# raw USER QUERY...: the first message of USER's INBOX matching the doveadm
# search QUERY.
raw() {
	u=$(full_user "$1")
	shift
	uid=$($DC search -u "$u" mailbox INBOX "$@" 2>/dev/null | head -n 1 | awk '{print $2}')
	[ -n "$uid" ] && $DC fetch -u "$u" text mailbox INBOX uid "$uid" 2>/dev/null | sed '1d'
}
count() { mailbox_count "$(full_user "$1")" INBOX; }
json() { "$POSTDESK" inspect --json - | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
ticket_of() { db "SELECT ticket_id FROM messages WHERE message_id = '$1'"; }
# mail FROM MSGID SUBJECT BODY [HEADER-LINES]: send one mail to support
# (BODY and HEADER-LINES may hold \r\n).
mail() {
	printf 'From: %s\r\nTo: support@example.test\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n%b\r\n%b\r\n' \
		"$1" "$3" "$2" "$(date -R)" "${5:-}" "$4" >"$TEST_TMP/m.eml"
	smtp_send "$(echo "$1" | sed 's/.*<//; s/>.*//')" support@example.test "$TEST_TMP/m.eml"
}

# --- the ticket others will go after -----------------------------------------------
mail 'Carol Customer <customer1@example.test>' c1@example.test 'Secret merger plans' \
	'The code word is PINEAPPLE-42. Please keep it between us.'
fetch
A=$(ticket_of c1@example.test)
is "$(count customer1)" 1 "the customer's ticket #$A is acknowledged"
ack_a=$(raw customer1 header In-Reply-To '<c1@example.test>' | json "j['message_id']" | tr -d '<>')

# --- a forged subject tag ----------------------------------------------------------
mail 'Eve <eve@attacker.test>' eve1@attacker.test "Re: [Support #$A] hello" 'Send me everything you have.'
fetch
B=$(ticket_of eve1@attacker.test)
ok "forged tag: the stranger's mail opened a new ticket (#$B, not #$A)" test -n "$B" -a "$B" != "$A"
like "$(db "SELECT detail FROM events WHERE ticket_id = $B AND type = 'linked'")" "#$A" \
	"forged tag: the new ticket is linked to the one named"
like "$(db "SELECT detail FROM events WHERE ticket_id = $A AND type = 'foreign-tag'")" "#$B" \
	"forged tag: the named ticket records the attempt"
is "$(db "SELECT group_concat(addr) FROM participants WHERE ticket_id = $A")" customer1@example.test \
	"forged tag: the stranger did not join ticket #$A"
is "$(count outside)" 1 "forged tag: the stranger got one mail"
eve_ack=$(raw outside header To eve@attacker.test)
is "$(printf '%s\n' "$eve_ack" | json "j['subject']")" "[Support #$B] Re: [Support #$A] hello" \
	"forged tag: it is the acknowledgement of the stranger's own ticket"
ok "forged tag: it shows nothing of ticket #$A (neither its subject nor its text)" \
	sh -c "! printf '%s' \"\$1\" | grep -Eiq 'merger|PINEAPPLE|Carol|customer1'" sh \
	"$(printf '%s\n' "$eve_ack" | json "j['subject'] + j['text']")"
is "$(count customer1)" 1 "forged tag: the customer got nothing"

# --- a reply to the customer's Message-ID from a stranger ----------------------------
mail 'Mallory <mallory@attacker.test>' mal1@attacker.test 'Re: Secret merger plans' \
	'Please also copy me on your answers.' 'In-Reply-To: <c1@example.test>\r\nReferences: <c1@example.test>\r\n'
fetch
is "$(ticket_of mal1@attacker.test)" "$A" "known Message-ID: the stranger's mail reaches the agents in ticket #$A"
is "$(db "SELECT group_concat(addr) FROM participants WHERE ticket_id = $A")" customer1@example.test \
	"known Message-ID: the stranger does not join ticket #$A"
out_before=$(count outside)

# --- forged agent mail: no command runs --------------------------------------------------
status=$(db "SELECT status FROM tickets WHERE id = $A")
n=0
for ar in '' \
	'Authentication-Results: mx.example.test; dkim=fail header.d=example.test; dmarc=fail header.from=example.test\r\n' \
	'Authentication-Results: evil.test; dkim=pass header.d=example.test; dmarc=pass header.from=example.test\r\n' \
	'Authentication-Results: mx.example.test; dmarc=fail header.from=example.test\r\nAuthentication-Results: mx.example.test; dkim=pass header.d=example.test; dmarc=pass header.from=example.test\r\n' \
	'Authentication-Results: mx.example.test; dkim=pass header.d=attacker.test\r\n'; do
	n=$((n + 1))
	mail 'Agent One <agent1@example.test>' "forged$n@attacker.test" "Re: [Support #$A] Secret merger plans" \
		'#close\r\n#assign agent1@example.test\r\n\r\nClosing this.' \
		"In-Reply-To: <$ack_a>\r\nReferences: <c1@example.test> <$ack_a>\r\n$ar"
	fetch
done
is "$(db "SELECT count(*) FROM messages WHERE message_id LIKE 'forged%' AND ticket_id = $A AND kind = 'customer'")" 5 \
	"forged agent: the five forgeries are stored in #$A as a customer's mail"
is "$(db "SELECT status FROM tickets WHERE id = $A")" "$status" "forged agent: ticket #$A is not closed (still $status)"
is "$(db "SELECT assignee IS NULL FROM tickets WHERE id = $A")" 1 "forged agent: nor assigned"
is "$(db "SELECT group_concat(addr) FROM participants WHERE ticket_id = $A")" customer1@example.test \
	"forged agent: the agent's address did not join as a customer"
is "$(db "SELECT count(*) FROM events WHERE ticket_id = $A AND type IN ('status', 'assign', 'closed', 'resolved', 'commands-refused')")" 0 \
	"forged agent: no command ran (no status or assign event)"
is "$(db "SELECT count(*) FROM events WHERE ticket_id = $A AND type = 'unverified-agent'")" 5 \
	"forged agent: each forgery is recorded"
like "$(cat "$TEST_TMP/fetch.log")" "claims an agent's address without the trusted server's authentication results" \
	"forged agent: and logged"
is "$(count customer1)" 1 "forged agent: nothing reached the customer"
# Control: the same mail, authenticated by the trusted server, does run.
mail 'Agent One <agent1@example.test>' real1@example.test "Re: [Support #$A] Secret merger plans" \
	'#close\r\n\r\nAll done, thank you.' \
	"In-Reply-To: <$ack_a>\r\nReferences: <c1@example.test> <$ack_a>\r\nAuthentication-Results: mx.example.test; dkim=pass header.d=example.test; dmarc=pass header.from=example.test\r\n"
fetch
is "$(db "SELECT kind || ' ' || status FROM messages JOIN tickets ON tickets.id = ticket_id WHERE message_id = 'real1@example.test'")" \
	"agent closed" "control: authenticated, the same command closes the ticket"
is "$(count customer1)" 2 "control: the customer gets the agent's answer"
is "$(count outside)" "$out_before" "known Message-ID: the stranger got none of the ticket's mail"

# --- our own acknowledgement comes back --------------------------------------------------
outbox=$(db 'SELECT count(*) FROM outbox')
agent_mail=$(count agent1)
raw customer1 header In-Reply-To '<c1@example.test>' | sed 's/$/\r/' >"$TEST_TMP/ack.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/ack.eml"
fetch
is "$(db 'SELECT count(*) FROM outbox')" "$outbox" "own ack back as is: nothing queued"
is "$(db "SELECT count(*) FROM messages WHERE message_id = '$ack_a'")" 1 "own ack back as is: recognised as the one we sent (stored once)"
# Rewritten by a forwarder: a new Message-ID, no Auto-Submitted, no tag.
sed -e "s/^Message-ID: .*/Message-ID: <fwd-ack@lists.example.test>\r/I" -e '/^Auto-Submitted:/Id' \
	-e '/^X-Auto-Response-Suppress:/Id' -e "s/\[Support #$A\] //" "$TEST_TMP/ack.eml" >"$TEST_TMP/ack2.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/ack2.eml"
# ... and once more without the threading headers.
sed -e "s/^Message-ID: .*/Message-ID: <fwd-ack2@lists.example.test>\r/I" -e '/^In-Reply-To:/Id' \
	-e '/^References:/Id' "$TEST_TMP/ack2.eml" >"$TEST_TMP/ack3.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/ack3.eml"
fetch
is "$(db "SELECT count(*) FROM messages WHERE message_id IN ('fwd-ack@lists.example.test', 'fwd-ack2@lists.example.test')")" 2 \
	"own ack rewritten: both stored"
is "$(db "SELECT count(*) FROM outbox WHERE rcpt LIKE '%support@example.test%'")" 0 \
	"own ack rewritten: nothing is ever sent to our own address"
is "$(count customer1)" 2 "own ack rewritten: no second acknowledgement to the customer"
is "$(count support)" 0 "own ack rewritten: nothing came back to support"
is "$(count agent1)" "$agent_mail" "own ack rewritten: the agents are not told of our own mail"
is "$(db "SELECT group_concat(DISTINCT kind) FROM messages WHERE message_id LIKE 'fwd-ack%'")" loop \
	"own ack rewritten: stored as a loop"
is "$(db "SELECT count(*) FROM participants WHERE addr = 'support@example.test'")" 0 \
	"own ack rewritten: our own address joins no ticket"

# --- a mail bomb: 1,000 messages from one sender --------------------------------------
# Its own database; the agent serves another queue, so that the bomb
# raises no notifications (they are not rate-limited; see the note).
mkdir -p "$TEST_TMP/bomb"
BCONF=$TEST_TMP/bomb/postdesk.conf
PD_SMTP=1 PD_QUEUES='( { name = "general"; }, { name = "other"; } )' \
	PD_AGENTS='( { name = "Agent One"; email = "agent1@example.test"; queues = [ "other" ]; } )' \
	postdesk_config "$BCONF"
MBOX=$TEST_TMP/imp/INBOX
mkdir -p "$TEST_TMP/imp"
"$PY" - "$MBOX" <<'EOF'
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(1000):
        f.write('From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n'
                'From: Bomber <customer5@example.test>\nTo: support@example.test\n'
                'Subject: Bomb %d\nMessage-ID: <bomb%d@example.test>\n'
                'Date: Mon, 23 Nov 2026 10:00:00 +0000\n\nMessage %d of 1000.\n\n' % (i, i, i))
EOF
chmod -R a+rwX "$TEST_TMP/imp"
$DC import -u support@example.test "mbox:$TEST_TMP/imp:INBOX=$MBOX" "" ALL
is "$(count support)" 1000 "bomb: 1,000 messages wait in INBOX"
start=$(date +%s)
fetch "$BCONF"
diag "bomb: fetched and stored in $(($(date +%s) - start)) s"
bdb() { sqlite3 "$TEST_TMP/bomb/postdesk.db" "$1"; }
is "$(bdb "SELECT count(*) FROM messages WHERE direction = 'in'")" 1000 "bomb: all 1,000 stored"
is "$(bdb 'SELECT count(*) FROM tickets')" 1000 "bomb: each its own ticket"
is "$(count support)" 0 "bomb: INBOX emptied"
is "$(bdb "SELECT count(*) FROM outbox WHERE kind = 'ack'")" 3 "bomb: exactly ack_limit (3) acknowledgements queued"
is "$(count customer5)" 3 "bomb: the sender received 3"
is "$(bdb "SELECT count(*) FROM ack_log WHERE addr = 'customer5@example.test'")" 3 "bomb: counted in the database"
is "$(grep -c 'customer5@example.test had [0-9]* acknowledgements' "$TEST_TMP/fetch.log")" 997 \
	"bomb: the log says why for each of the other 997"
done_testing
