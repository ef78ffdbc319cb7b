#!/bin/sh
# t-stats.sh: "postdesk stats" against a known history. The history is
# written by plain SQL below, every time explicit (Prague local time,
# CEST = UTC+2), and every figure is asserted exactly, for everything, one
# queue and one agent, in the table, JSON and Prometheus outputs, and with
# --since/--until/--queue. "Now" is fixed with faketime. How each figure
# is defined: README, "Numbers"; the arithmetic is worked out next to the
# expected values.
. "$SRCDIR/tests/lib.sh"
unset POSTDESK_CONFIG CREDENTIALS_DIRECTORY TZ

for tool in sqlite3 python3 faketime promtool; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "Bail out! $tool is missing (contrib/install-deps.sh installs it)"
		exit 1
	fi
done

conf=$TEST_TMP/conf
db=$conf/postdesk.db
mkdir "$conf"
cat >"$conf/postdesk.conf" <<'EOF'
database = "postdesk.db";
queues = (
	{ name = "general"; sla = { first_response = "4h"; resolution = "16h"; }; },
	{ name = "billing"; sla = { first_response = "1h"; }; },
	{ name = "sales"; }
);
agents = (
	{ name = "Alice"; email = "alice@example.com"; queues = [ "general", "billing" ]; },
	{ name = "Bob"; email = "bob@example.com"; queues = [ "general" ]; }
);
business_hours = { timezone = "Europe/Prague"; days = "Mon-Fri"; hours = "09:00-17:00";
	holidays = [ "2026-06-05" ]; };
EOF

# Now is Monday 15 June 2026, 12:00 in Prague (10:00 UTC). ASan must be
# told that libfaketime comes before it (a --enable-sanitizers build).
NOW_UTC="2026-06-15 10:00:00"
pd() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	faketime "$NOW_UTC" "$POSTDESK" -c "$conf/postdesk.conf" "$@" \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
}

pd stats
is "$rc" 66 "no database yet: exit 66"
pd stats --json --prometheus
is "$rc" 64 "--json and --prometheus together: exit 64"
pd stats --since yesterday
is "$rc" 64 "--since yesterday: exit 64"
like "$err" "a date \(2024-05-01" "a bad date: says what a date is"
pd stats --until 2026-02-29
is "$rc" 64 "--until 2026-02-29 (not a leap year): exit 64"
pd stats --since 2026-06-10 --until 2026-06-09
is "$rc" 64 "--since after --until: exit 64"
pd stats extra
is "$rc" 64 "an argument: exit 64"

# --- the history ------------------------------------------------------------------
# t ID QUEUE STATUS ASSIGNEE CREATED; e ID WHEN TYPE ACTOR DETAIL. Times are
# Prague local (CEST); the events of one second keep the order written.
(umask 077 && : >"$db")
pd stats
is "$rc" 0 "an empty database: exit 0"

sql=$TEST_TMP/history.sql
at() { echo "CAST(strftime('%s', '$1+02:00') AS INTEGER)"; }
q() { if [ "$1" = - ]; then echo NULL; else echo "'$1'"; fi; }
t() {
	echo "INSERT INTO tickets (id, subject, requester_addr, queue, status, assignee," \
		"created_at, updated_at) VALUES ($1, 'ticket $1', 'c$1@example.net', '$2'," \
		"'$3', $(q "$4"), $(at "$5"), $(at "$5"));"
	echo "INSERT INTO events (ticket_id, at, type, actor, detail) VALUES" \
		"($1, $(at "$5"), 'created', 'c$1@example.net', '$2');"
}
e() {
	echo "INSERT INTO events (ticket_id, at, type, actor, detail) VALUES" \
		"($1, $(at "$2"), '$3', $(q "$4"), $(q "${5:--}"));"
}
A=alice@example.com B=bob@example.com
{
	echo "BEGIN;"
	# 1: answered 1h30 after it came, resolved with that one answer
	#    (#resolve is recorded just before its reply, in the same second)
	t 1 general resolved $A "2026-06-01 10:00"
	e 1 "2026-06-01 11:30" resolve $A
	e 1 "2026-06-01 11:30" replied $A
	e 1 "2026-06-02 09:00" survey-sent -
	e 1 "2026-06-02 10:00" rating c1@example.net 5
	# 2: Thursday 16:00, Friday is a holiday, answered Monday 10:00 (2 h of
	#    business time, 90 h of calendar time); resolved, reopened by the
	#    customer, answered again and closed
	t 2 general closed $B "2026-06-04 16:00"
	e 2 "2026-06-08 10:00" replied $B
	e 2 "2026-06-08 12:00" resolve $B
	e 2 "2026-06-09 09:30" reopened c2@example.net resolved
	e 2 "2026-06-09 11:00" replied $B
	e 2 "2026-06-09 11:00" close $B
	e 2 "2026-06-09 12:00" survey-sent -
	e 2 "2026-06-10 09:00" rating c2@example.net 2
	# 3: Saturday, answered and resolved Monday 09:30; surveyed, no rating
	t 3 billing resolved $A "2026-06-06 10:00"
	e 3 "2026-06-08 09:30" resolve $A
	e 3 "2026-06-08 09:30" replied $A
	e 3 "2026-06-08 10:00" survey-sent -
	# 4: nobody assigned, Bob answers after 2 h (billing promises 1 h)
	t 4 billing pending - "2026-06-08 09:00"
	e 4 "2026-06-08 11:00" replied $B
	# 5: never answered
	t 5 general new - "2026-06-10 09:00"
	# 6: came in this morning
	t 6 general open $A "2026-06-15 10:00"
	# 7: sales (no targets), from May; answered, closed by the timers
	t 7 sales closed $B "2026-05-29 14:00"
	e 7 "2026-05-29 15:00" replied $B
	e 7 "2026-06-12 15:00" autoclosed - pending
	# 8: spam: counts nowhere
	t 8 general closed - "2026-06-02 10:00"
	e 8 "2026-06-02 10:00" spam -
	# 9: two answers; rated 4, then 1 (the last rating counts)
	t 9 general resolved $A "2026-06-02 09:00"
	e 9 "2026-06-02 09:45" replied $A
	e 9 "2026-06-03 10:00" resolve $A
	e 9 "2026-06-03 10:00" replied $A
	e 9 "2026-06-03 11:00" survey-sent -
	e 9 "2026-06-03 12:00" rating c9@example.net 4
	e 9 "2026-06-04 09:00" rating c9@example.net 1
	# 10: 16:30, answered a day later (8 h of business time: late), resolved
	#     Wednesday 09:00, rated 4, reopened a week later and open since
	t 10 general open $B "2026-06-01 16:30"
	e 10 "2026-06-02 16:30" replied $B
	e 10 "2026-06-03 09:00" resolve $B
	e 10 "2026-06-03 09:00" close $B
	e 10 "2026-06-03 10:00" survey-sent -
	e 10 "2026-06-04 10:00" rating c10@example.net 4
	e 10 "2026-06-11 10:00" reopened c10@example.net closed
	echo "COMMIT;"
} >"$sql"
ok "the history is written" sqlite3 "$db" ".read $sql"

# jcheck DESC PYTHON-DICT: every path (a/b/c, "agent=bob@..." picks the
# element of a list) in the JSON output has the value given.
jcheck() {
	ok "$1" python3 - "$TEST_TMP/out" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
want = eval(sys.argv[2])
bad = 0
for path, value in want.items():
    node = doc
    for part in path.split("/"):
        if "=" in part:
            key, name = part.split("=", 1)
            node = next(x for x in node[key + "s"] if x[key] == name)
        else:
            node = node[part]
    if node != value:
        print("# %s: got %r, want %r" % (path, node, value))
        bad += 1
sys.exit(1 if bad else 0)
EOF
}

# --- everything, JSON ------------------------------------------------------------------
pd stats --json
is "$rc" 0 "stats --json: exit 0"
ok "stats --json: one JSON document" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TEST_TMP/out"
# Tickets 1-7, 9, 10 (8 is spam). Resolved: 1, 2, 3, 7, 9, 10. Backlog
# now: 5 new (5 d 3 h old), 6 open (2 h), 10 open (13 d), 4 pending (7 d).
# First responses, business: 1800 (3), 2700 (9), 3600 (7), 5400 (1),
# 7200 (2), 7200 (4), 28800 (10): median the 4th, p90 the 7th of 7;
# calendar: 2700, 3600, 5400, 7200, 86400, 171000, 324000.
# Resolution (to the last resolve or close), business: 1800 (3),
# 5400 (1), 30600 (10), 32400 (9), 39600 (2: Thu 1 h, Mon 8 h, Tue 2 h),
# 262800 (7: 73 h over two weeks and a holiday); calendar 5400 (1),
# 90000 (9), 145800 (10), 171000 (3), 414000 (2), 1213200 (7).
# One agent reply: 1, 3, 7, 10 of 6; reopened: 2, 10 of 6.
# SLA first response (created in the period, queue with a target): met
# 1, 2, 3, 9; missed 4 (2 h > 1 h), 5 (27 h unanswered), 10 (8 h); 6 is
# still within its 4 h. Resolution (general, 16 h): met 1, 2 (its first
# resolve, 4 h), 9 (9 h), 10 (8 h 30); missed 5 (27 h); 6 not yet.
# Ratings: 1 → 5, 2 → 2, 9 → 1 (its last), 10 → 4: 2 of 4 good.
# Surveys: 1, 2, 3, 9, 10; answered but 3.
jcheck "stats --json: everything" '{
	"since": None, "until": "2026-06-15T10:00:00Z", "now": "2026-06-15T10:00:00Z",
	"timezone": "Europe/Prague",
	"all/created": 9, "all/resolved": 6,
	"all/backlog": {"total": 4, "new": 1, "open": 2, "pending": 1,
		"age": {"0-1d": 1, "1-3d": 0, "3-7d": 1, "7-30d": 2, "30d+": 0}},
	"all/first_response": {"count": 7, "business": {"median": 5400, "p90": 28800},
		"calendar": {"median": 7200, "p90": 324000}},
	"all/resolution": {"count": 6, "business": {"median": 30600, "p90": 262800},
		"calendar": {"median": 145800, "p90": 1213200}},
	"all/first_contact_resolution": {"one_reply": 4, "resolved": 6, "rate": 0.666667},
	"all/reopen": {"reopened": 2, "resolved": 6, "rate": 0.333333},
	"all/sla/first_response": {"met": 4, "counted": 7, "rate": 0.571429},
	"all/sla/resolution": {"met": 4, "counted": 5, "rate": 0.8},
	"all/csat": {"good": 2, "ratings": 4, "rate": 0.5},
	"all/survey_response": {"answered": 4, "surveys": 5, "rate": 0.8},
}'
# The general queue: tickets 1, 2, 5, 6, 9, 10. First responses, business
# 2700, 5400, 7200, 28800 (median the 2nd of 4, p90 the 4th), calendar
# 2700, 5400, 86400, 324000. Resolution business 5400, 30600, 32400,
# 39600, calendar 5400, 90000, 145800, 414000.
jcheck "stats --json: the general queue" '{
	"queue=general/created": 6, "queue=general/resolved": 4,
	"queue=general/backlog": {"total": 3, "new": 1, "open": 2, "pending": 0,
		"age": {"0-1d": 1, "1-3d": 0, "3-7d": 1, "7-30d": 1, "30d+": 0}},
	"queue=general/first_response": {"count": 4, "business": {"median": 5400, "p90": 28800},
		"calendar": {"median": 5400, "p90": 324000}},
	"queue=general/resolution": {"count": 4, "business": {"median": 30600, "p90": 39600},
		"calendar": {"median": 90000, "p90": 414000}},
	"queue=general/first_contact_resolution": {"one_reply": 2, "resolved": 4, "rate": 0.5},
	"queue=general/reopen": {"reopened": 2, "resolved": 4, "rate": 0.5},
	"queue=general/sla/first_response": {"met": 3, "counted": 5, "rate": 0.6},
	"queue=general/sla/resolution": {"met": 4, "counted": 5, "rate": 0.8},
	"queue=general/csat": {"good": 2, "ratings": 4, "rate": 0.5},
	"queue=general/survey_response": {"answered": 4, "surveys": 4, "rate": 1},
	"queue=sales/created": 1, "queue=sales/sla/first_response/counted": 0,
}'
# Bob: assigned 2, 7, 10, and 4 (nobody assigned; he answered first).
# First responses business 3600, 7200, 7200, 28800; calendar 3600, 7200,
# 86400, 324000. Resolution business 30600, 39600, 262800 (median the 2nd
# of 3, p90 the 3rd); calendar 145800, 414000, 1213200.
jcheck "stats --json: agent Bob" '{
	"agent=bob@example.com/created": 4, "agent=bob@example.com/resolved": 3,
	"agent=bob@example.com/backlog": {"total": 2, "new": 0, "open": 1, "pending": 1,
		"age": {"0-1d": 0, "1-3d": 0, "3-7d": 0, "7-30d": 2, "30d+": 0}},
	"agent=bob@example.com/first_response": {"count": 4,
		"business": {"median": 7200, "p90": 28800},
		"calendar": {"median": 7200, "p90": 324000}},
	"agent=bob@example.com/resolution": {"count": 3,
		"business": {"median": 39600, "p90": 262800},
		"calendar": {"median": 414000, "p90": 1213200}},
	"agent=bob@example.com/first_contact_resolution": {"one_reply": 2, "resolved": 3,
		"rate": 0.666667},
	"agent=bob@example.com/reopen": {"reopened": 2, "resolved": 3, "rate": 0.666667},
	"agent=bob@example.com/sla/first_response": {"met": 1, "counted": 3, "rate": 0.333333},
	"agent=bob@example.com/sla/resolution": {"met": 2, "counted": 2, "rate": 1},
	"agent=bob@example.com/csat": {"good": 1, "ratings": 2, "rate": 0.5},
	"agent=bob@example.com/survey_response": {"answered": 2, "surveys": 2, "rate": 1},
	"agent=alice@example.com/created": 4, "agent=alice@example.com/resolved": 3,
}'
ok "stats --json: queues and agents by name, spam's nobody" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [q["queue"] for q in d["queues"]] == ["billing", "general", "sales"], d["queues"]
assert [a["agent"] for a in d["agents"]] == ["alice@example.com", "bob@example.com"]
' "$TEST_TMP/out"

# --- the same as a table ---------------------------------------------------------------
pd stats
is "$rc" 0 "stats: exit 0"
is "$(echo "$out" | sed -n 1,2p)" "Period: everything before 2026-06-15 12:00 CEST
Business hours: Europe/Prague; backlog as of 2026-06-15 12:00 CEST" "stats: the period heading"
# row NAME: the line of the table (the first that starts with NAME) that
# comes after the heading matching HEADING.
row() { echo "$out" | sed -n "/^$1/,\$p" | grep -m1 "^$2 "; }
is "$(row Tickets all)" \
"all                            9        6        4     1     2       1     1     0     1     2     0" \
	"stats: the tickets table, everything"
is "$(row Tickets 'queue billing')" \
"queue billing                  2        1        1     0     0       1     0     0     0     1     0" \
	"stats: the tickets table, billing"
is "$(row 'First response' 'agent bob@example.com')" \
"agent bob@example.com          4    2h00m    8h00m |    2h00m    3d18h" \
	"stats: Bob's first response, business | calendar"
is "$(row Resolution all)" \
"all                            6    8h30m   73h00m |    1d16h   14d01h" \
	"stats: resolution times of everything (business time in hours)"
is "$(row Quality 'queue general')" \
"queue general                50.0% 2/4      50.0% 2/4      60.0% 3/5      80.0% 4/5      50.0% 2/4     100.0% 4/4" \
	"stats: the general queue's shares"
is "$(row Quality 'queue sales')" \
"queue sales                 100.0% 1/1       0.0% 0/1              -              -              -              -" \
	"stats: no target, no rating: no share"

# --- the same for Prometheus -------------------------------------------------------------
pd stats --prometheus
is "$rc" 0 "stats --prometheus: exit 0"
ok "stats --prometheus: promtool check metrics accepts it" \
	promtool check metrics <"$TEST_TMP/out"
for line in \
	'postdesk_tickets_created 9' \
	'postdesk_tickets_resolved{queue="general"} 4' \
	'postdesk_backlog_tickets{agent="bob@example.com",status="pending",age="7-30d"} 1' \
	'postdesk_first_response_business_seconds{quantile="0.5"} 5400' \
	'postdesk_first_response_business_seconds{quantile="0.9"} 28800' \
	'postdesk_first_response_business_seconds_count 7' \
	'postdesk_first_response_business_seconds_sum 56700' \
	'postdesk_first_response_calendar_seconds{queue="general",quantile="0.9"} 324000' \
	'postdesk_resolution_business_seconds{agent="bob@example.com",quantile="0.5"} 39600' \
	'postdesk_resolution_calendar_seconds{quantile="0.5"} 145800' \
	'postdesk_first_response_business_seconds{queue="sales",quantile="0.5"} 3600' \
	'postdesk_resolution_business_seconds{queue="billing",quantile="0.5"} 1800' \
	'postdesk_first_contact_resolution_ratio 0.666667' \
	'postdesk_reopen_ratio{queue="general"} 0.5' \
	'postdesk_sla_tickets{target="first_response",result="missed"} 3' \
	'postdesk_sla_compliance_ratio{agent="bob@example.com",target="first_response"} 0.333333' \
	'postdesk_sla_compliance_ratio{queue="sales",target="resolution"} NaN' \
	'postdesk_csat_ratio 0.5' \
	'postdesk_satisfaction_ratings{queue="general"} 4' \
	'postdesk_survey_response_ratio 0.8' \
	'postdesk_surveys 5'
do
	ok "stats --prometheus: $line" grep -qxF "$line" "$TEST_TMP/out"
done
is "$(grep -c '^# TYPE ' "$TEST_TMP/out")" "$(grep -c '^# HELP ' "$TEST_TMP/out")" \
	"stats --prometheus: a HELP for every TYPE"

# --- a period: Monday 8 to Wednesday 10 June, whole days ------------------------------------
# Created: 4, 5. Resolved in it: 2 (last at Tue 11:00), 3. First
# responses in it: 3 (1800 | 171000), 2 (7200 | 324000), 4 (7200 |
# 7200). Resolution: 3 (1800 | 171000), 2 (39600 | 414000): the median is
# the 1st of 2. SLA: created in it, 4 (missed) and 5 (missed both). A
# rating in it: 2's "2". Surveys in it: 3 (no answer), 2 (answered).
# The backlog is now's, whatever the period.
pd stats --json --since 2026-06-08 --until 2026-06-10
jcheck "stats --since --until: the period's figures" '{
	"since": "2026-06-07T22:00:00Z", "until": "2026-06-10T22:00:00Z",
	"all/created": 2, "all/resolved": 2, "all/backlog/total": 4,
	"all/first_response": {"count": 3, "business": {"median": 7200, "p90": 7200},
		"calendar": {"median": 171000, "p90": 324000}},
	"all/resolution": {"count": 2, "business": {"median": 1800, "p90": 39600},
		"calendar": {"median": 171000, "p90": 414000}},
	"all/first_contact_resolution": {"one_reply": 1, "resolved": 2, "rate": 0.5},
	"all/reopen": {"reopened": 1, "resolved": 2, "rate": 0.5},
	"all/sla/first_response": {"met": 0, "counted": 2, "rate": 0},
	"all/sla/resolution": {"met": 0, "counted": 1, "rate": 0},
	"all/csat": {"good": 0, "ratings": 1, "rate": 0},
	"all/survey_response": {"answered": 1, "surveys": 2, "rate": 0.5},
	"agent=alice@example.com/resolved": 1, "agent=bob@example.com/resolved": 1,
}'
pd stats --json --since "2026-06-08T09:30" --until "2026-06-08T09:30:01Z"
jcheck "stats: local and UTC times, until exclusive" '{
	"since": "2026-06-08T07:30:00Z", "until": "2026-06-08T09:30:01Z",
	"all/first_response/count": 3, "all/resolved": 1,
}'
pd stats --json --since 7d
jcheck "stats --since 7d: a week back from now" '{
	"since": "2026-06-08T10:00:00Z", "all/created": 2, "all/resolved": 2,
}'

# --- one queue ------------------------------------------------------------------------------
# billing: 3 (Alice) and 4 (Bob answered). First responses business 1800,
# 7200, calendar 7200, 171000. Alice is listed (her queues include
# billing), Bob because he answered one of its tickets.
pd stats --json --queue billing
jcheck "stats --queue billing" '{
	"all/created": 2, "all/resolved": 1, "all/backlog/pending": 1,
	"all/first_response": {"count": 2, "business": {"median": 1800, "p90": 7200},
		"calendar": {"median": 7200, "p90": 171000}},
	"all/sla/first_response": {"met": 1, "counted": 2, "rate": 0.5},
	"all/sla/resolution/counted": 0, "all/csat/ratings": 0,
	"all/survey_response": {"answered": 0, "surveys": 1, "rate": 0},
	"agent=alice@example.com/created": 1, "agent=bob@example.com/created": 1,
}'
ok "stats --queue billing: only that queue" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [q["queue"] for q in d["queues"]] == ["billing"], d["queues"]
' "$TEST_TMP/out"
pd stats --prometheus --queue billing --since 2026-06-08
ok "stats --prometheus --queue: promtool accepts it" promtool check metrics <"$TEST_TMP/out"
ok "stats --prometheus --queue: the period's start" \
	grep -qxF 'postdesk_stats_period_start_seconds 1780869600' "$TEST_TMP/out"

# --- names that need escaping ----------------------------------------------------------------
{
	echo "INSERT INTO tickets (id, subject, requester_addr, queue, status, assignee," \
		"created_at, updated_at) VALUES (11, 's', 'c@example.net', 'we \"care\" \\ a lot'," \
		"'new', 'odd\"<agent>@example.com', $(at "2026-06-15 11:00"), 0);"
} >"$sql"
sqlite3 "$db" ".read $sql"
pd stats --prometheus
ok "odd names: promtool accepts the escaped labels" promtool check metrics <"$TEST_TMP/out"
ok "odd names: \\ and \" escaped in a label" grep -qxF \
	'postdesk_tickets_created{queue="we \"care\" \\ a lot"} 1' "$TEST_TMP/out"
pd stats --json
jcheck "odd names: JSON keeps them as they are" '{
	"all/created": 10, "agent=odd\"<agent>@example.com/created": 1,
}'

done_testing
