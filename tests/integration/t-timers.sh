# t-timers: the promises kept by the clock, through the real mail stack,
# with postdesk's clock driven by faketime (each run starts at a given
# moment and runs on from there; nothing sleeps). Business hours Mon-Fri
# 08:00-17:00 UTC; a first answer is due in 4 working hours.
#   customer1: nobody answers: a warning at 80% to the agent, then the
#              breach to the agent and the supervisor;
#   customer2: answered in time: no warning, ever;
#   customer3: the agent's "#remind 2h" reminds the agent, and (still no
#              answer) tells the customer we are still working on it;
#   customer4: answered, then waiting on the customer: a reminder after 3
#              days, closed after 7 with a notice; a reply reopens it;
#   customer5: resolved: the survey the next day; "5" records a 5 and the
#              ticket stays resolved; "1" records a 1 and reopens it.
# Tuesday 2026-12-01 is a working day.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
MS=$SRCDIR/tests/mailstack/mailstack
export PD_SMTP=1
export PD_QUEUES='( { name = "general"; supervisor = "agent2@example.test";
	sla = { first_response = "4h"; next_response = "4h"; };
	still_working = true; pending_reminder = "3d"; pending_close = "7d";
	survey = true; survey_delay = "1d"; } )'
export PD_AGENTS='( { name = "Agent One"; email = "agent1@example.test"; } )'
export PD_EXTRA='business_hours = { timezone = "UTC"; days = "Mon-Fri"; hours = "08:00-17:00"; };'
postdesk_config "$CONF"

# at TIME ARGS...: postdesk with its clock starting at TIME (UTC) and
# running on. libfaketime (Debian's faketime) is preloaded directly rather
# than through the faketime wrapper, which would stand between a signal
# and the daemon; an ASan build must then not insist on coming first.
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$FAKETIME_LIB" ] || { echo "Bail out! libfaketime not found (apt-get install faketime)"; exit 1; }
at() {
	t=$1
	shift
	TZ=UTC LD_PRELOAD=$FAKETIME_LIB FAKETIME="@$t" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$POSTDESK" -c "$CONF" "$@"
}
fetch_at() {
	echo "--- fetch at $1" >>"$TEST_TMP/fetch.log"
	at "$1" fetch --once 2>>"$TEST_TMP/fetch.log"
	"$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null
}
field() { decoded_mail_of "$1" | sed -n "$2p" | python3 -c "import json,sys; j=json.load(sys.stdin); print($3)"; }
# mail FROM ID SUBJECT BODY [IN-REPLY-TO]: FROM@example.test writes to support.
mail() {
	irt=
	[ -n "${5:-}" ] && irt="In-Reply-To: $5\r\nReferences: $5\r\n"
	printf "From: $1@example.test\r\nTo: support@example.test\r\nSubject: %s\r\nMessage-ID: <%s@example.test>\r\n${irt}Content-Type: text/plain; charset=utf-8\r\n\r\n%b\r\n" \
		"$3" "$2" "$4" >"$TEST_TMP/m.eml"
	smtp_send "$1@example.test" support@example.test "$TEST_TMP/m.eml"
}
# answer TICKET BODY: the agent answers the notification of TICKET.
answer() {
	nid=$(db "SELECT '<' || message_id || '>' FROM messages WHERE ticket_id = $1 AND kind = 'notification' ORDER BY id LIMIT 1")
	printf 'From: Agent One <agent1@example.test>\r\nTo: support@example.test\r\nSubject: Re: [Support #%s]\r\nMessage-ID: <a%s-%s@example.test>\r\nIn-Reply-To: %s\r\nReferences: %s\r\n\r\n%b\r\n' \
		"$1" "$1" "$(date +%s%N)" "$nid" "$nid" "$2" >"$TEST_TMP/a.eml"
	smtp_send agent1@example.test support@example.test "$TEST_TMP/a.eml"
}
# minute TIME-COLUMN: as "YYYY-MM-DD HH:MM" (a fetch takes a few seconds
# of the faked clock too).
minute() { echo "strftime('%Y-%m-%d %H:%M', $1, 'unixepoch')"; }
sla_events() { db "SELECT group_concat(type || ':' || detail, ' ') FROM (SELECT type, detail FROM events WHERE ticket_id = $1 AND type LIKE 'sla-%' ORDER BY id)"; }

for i in 1 2 3 4 5; do
	mail customer$i c$i "Problem $i" "Hello, problem number $i."
done
fetch_at "2026-12-01 09:00:00"
is "$(db "SELECT group_concat(id || '@' || $(minute created_at), ' ') FROM (SELECT id, created_at FROM tickets ORDER BY id)")" \
	"1@2026-12-01 09:00 2@2026-12-01 09:00 3@2026-12-01 09:00 4@2026-12-01 09:00 5@2026-12-01 09:00" \
	"five tickets, created at the faked time"
is "$(db "SELECT $(minute due_at) FROM timers WHERE ticket_id = 1 AND kind = 'first_response-breach'")" \
	"2026-12-01 13:00" "the first answer is due 4 working hours later"
is "$(mailbox_count agent1@example.test INBOX)" 5 "the agent was notified of each"

# Ticket 2 is answered, ticket 3 gets a #remind (no answer), ticket 4 is
# answered (and so waits on the customer), ticket 5 is resolved.
answer 2 "Please restart the router."
answer 3 "#remind 2h"
answer 4 "Which version do you use?"
answer 5 "#resolve\r\nFixed on our side, please try again."
fetch_at "2026-12-01 10:00:00"
is "$(db "SELECT group_concat(id || ':' || status, ' ') FROM (SELECT id, status FROM tickets ORDER BY id)")" \
	"1:new 2:pending 3:new 4:pending 5:resolved" "the answers took effect"
is "$(db "SELECT count(*) FROM timers WHERE ticket_id = 2 AND kind LIKE 'first_response-%' AND outcome = 'cancelled'")" 2 \
	"the answer cancelled ticket 2's first response clock"

fetch_at "2026-12-01 11:59:00"
is "$(db "SELECT count(*) FROM events WHERE type IN ('sla-warning', 'reminded')")" 0 "nothing is due before noon"

# 12:00: the #remind. Ticket 3 still has no answer: the customer is told.
fetch_at "2026-12-01 12:01:00"
is "$(db "SELECT coalesce(actor, 'postdesk') || ' ' || detail FROM events WHERE ticket_id = 3 AND type = 'reminded'")" \
	"postdesk agent1@example.test" "the #remind fired (reminded, the agent in the detail)"
is "$(db "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM messages WHERE ticket_id = 3 AND direction = 'out' AND id > (SELECT max(id) FROM messages WHERE ticket_id = 3 AND direction = 'in') ORDER BY id)")" \
	"reminder still-working" "a reminder for the agent and a still-working mail for the customer"
is "$(mailbox_count customer3@example.test INBOX)" 2 "the customer got the acknowledgement and the update"
like "$(field customer3 2 "j['text']")" "still working on ticket" "saying we are still working on it"
like "$(field customer3 2 "j['text']")" "by Tuesday 1 December, 13:00 UTC" "and by when they hear from us"
like "$(field customer3 2 "j['subject']")" '^\[Support #3\] Problem 3$' "tagged"
is "$(field customer3 2 "j['auto_reply_reason']")" "auto-submitted: auto-replied" "marked as automatic"
like "$(field customer3 2 "' '.join(j['references'])")" "<c3@example.test>" "threaded under the customer's mail"
is "$(field customer3 2 "j['in_reply_to']")" "$(field customer3 1 "j['message_id']")" "in reply to the last mail the customer saw"
like "$(decoded_mail_of agent1 | python3 -c "import json,sys; print([j['subject'] for j in map(json.loads, sys.stdin)])")" \
	"Reminder: Problem 3" "the agent got the reminder"

# 12:12 is 80% of the four hours: warnings for 1 and 3, none for 2.
fetch_at "2026-12-01 12:13:00"
is "$(sla_events 1)" "sla-warning:first_response" "ticket 1: the warning"
is "$(sla_events 3)" "sla-warning:first_response" "ticket 3: the warning too"
is "$(mailbox_count agent2@example.test INBOX)" 0 "the supervisor hears nothing of a warning"
like "$(decoded_mail_of agent1 | python3 -c "import json,sys; print([j['subject'] for j in map(json.loads, sys.stdin)])")" \
	"SLA warning: Problem 1" "the agent got the warning"

fetch_at "2026-12-01 13:01:00"
is "$(sla_events 1)" "sla-warning:first_response sla-breach:first_response" "ticket 1: then the breach"
is "$(mailbox_count agent2@example.test INBOX)" 2 "the supervisor got the breaches of tickets 1 and 3"
like "$(field agent2 1 "j['subject']")" "^\[Support #[13]\] SLA missed: Problem [13]$" "an SLA-missed mail"
like "$(field agent2 1 "j['text']")" "has not had a first response" "about the first response"
is "$(sla_events 2)" "" "ticket 2, answered in time, sent nothing"
is "$(sla_events 4)" "" "nor ticket 4"

# Ticket 4 waits on the customer: reminded after 3 days, closed after 7.
fetch_at "2026-12-04 10:01:00"
is "$(db "SELECT count(*) FROM events WHERE ticket_id = 4 AND type = 'pending-reminder'")" 1 "ticket 4: the pending reminder"
is "$(mailbox_count customer4@example.test INBOX)" 3 "the customer got the ack, the answer and the reminder"
like "$(field customer4 3 "j['text']")" "we are waiting for your reply" "asking for their reply"
like "$(field customer4 3 "j['text']")" "close the ticket on Tuesday 8 December, 10:00 UTC" "and saying when it closes"
is "$(db 'SELECT status FROM tickets WHERE id = 4')" pending "still pending"
fetch_at "2026-12-08 10:01:00"
is "$(db 'SELECT status FROM tickets WHERE id = 4')" closed "closed after 7 days without a reply"
is "$(db "SELECT count(*) FROM events WHERE ticket_id = 4 AND type = 'autoclosed' AND actor IS NULL")" 1 "an autoclosed event"
is "$(mailbox_count customer4@example.test INBOX)" 4 "the customer got the notice"
like "$(field customer4 4 "j['text']")" "simply reply to this email: the ticket will" "saying a reply reopens it"
rid=$(field customer4 4 "j['message_id']")
mail customer4 c4b "Re: [Support #4] Problem 4" "Sorry, I was away. Version 2.1." "$rid"
fetch_at "2026-12-08 11:00:00"
is "$(db 'SELECT status FROM tickets WHERE id = 4')" open "the customer's reply reopened it"
is "$(db "SELECT $(minute due_at) FROM timers WHERE ticket_id = 4 AND kind = 'next_response-breach' AND fired_at IS NULL")" \
	"2026-12-08 15:00" "and a next answer is due"

# Ticket 5 was resolved on the 1st at 10:00: the survey came a day later.
is "$(db "SELECT count(*) FROM events WHERE ticket_id = 5 AND type = 'survey-sent'")" 1 "ticket 5: the survey was sent"
is "$(mailbox_count customer5@example.test INBOX)" 3 "the customer got the ack, the answer and the survey"
survey=$(field customer5 3 "j['text']")
like "$survey" "reply with a number" "asking for a rating"
like "$survey" "mailto:support@example.test\?subject=Re%3A%20%5BSupport%20%235%5D%20rating%205" "with a link for a good rating"
sid=$(field customer5 3 "j['message_id']")
mail customer5 r5a "Re: [Support #5] Problem 5" "5" "$sid"
fetch_at "2026-12-08 11:10:00"
is "$(db 'SELECT status || " " || satisfaction FROM tickets WHERE id = 5')" "resolved 5" "a 5: recorded, and the ticket stays resolved"
is "$(db "SELECT actor || ' ' || detail FROM events WHERE ticket_id = 5 AND type = 'rating'")" "customer5@example.test 5" "a rating event"
is "$(db "SELECT kind FROM messages WHERE message_id = 'r5a@example.test'")" rating "the mail is kept as a rating"
mail customer5 r5b "Re: [Support #5] rating 1" "It broke again." "$sid"
fetch_at "2026-12-08 11:20:00"
is "$(db 'SELECT status || " " || satisfaction FROM tickets WHERE id = 5')" "open 1" "a 1: recorded, and the ticket is open again"
is "$(db "SELECT group_concat(type, ' ') FROM (SELECT type FROM events WHERE ticket_id = 5 AND type IN ('rating', 'not-solved', 'reopened') ORDER BY id)")" \
	"rating rating not-solved reopened" "rating, not-solved and reopened events"
like "$(decoded_mail_of agent1 | python3 -c "import json,sys; print([j['text'] for j in map(json.loads, sys.stdin)])")" \
	"It broke again" "the agent was told, with the customer's words"

is "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" 0 "everything was sent"

# The daemon fires timers too, and wakes up for the next one: started 3
# seconds before ticket 4's next-response warning, with nothing else to do
# (it would otherwise wait in IMAP IDLE for many minutes).
due=$(db "SELECT due_at FROM timers WHERE ticket_id = 4 AND kind = 'next_response-warning'")
# (a simple command, not the function: $! must be the daemon itself)
TZ=UTC LD_PRELOAD=$FAKETIME_LIB FAKETIME="@$(date -u -d "@$((due - 3))" '+%Y-%m-%d %H:%M:%S')" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	"$POSTDESK" -c "$CONF" daemon 2>"$TEST_TMP/daemon.log" &
PID=$!
fired() {
	i=0
	while [ $i -lt 150 ]; do
		[ "$(db "SELECT count(*) FROM events WHERE ticket_id = 4 AND type = 'sla-warning' AND detail = 'next_response'")" = 1 ] &&
			[ "$(db "SELECT count(*) FROM outbox WHERE ticket_id = 4 AND kind = 'sla-warning' AND state = 'sent'")" = 1 ] &&
			return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
ok "the daemon fired the warning when it came due, and sent it" fired
kill -TERM $PID
wait $PID
is "$?" 0 "the daemon stops cleanly"
like "$(cat "$TEST_TMP/daemon.log")" "timers: fired=1" "its log says so"
if cat "$TEST_TMP/fetch.log" "$TEST_TMP/daemon.log" | grep -q 'ERROR: AddressSanitizer\|runtime error:'; then
	cat "$TEST_TMP/fetch.log" "$TEST_TMP/daemon.log" | sed 's/^/# /' | head -40
	ok "no sanitizer reports" false
fi
done_testing
