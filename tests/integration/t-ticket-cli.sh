#!/bin/sh
# t-ticket-cli.sh: "postdesk ticket list|show" and "postdesk export" with the
# real binary, against a database filled with a known history by plain SQL
# (sqlite3 command-line tool). No mail servers are needed.
. "$SRCDIR/tests/lib.sh"
unset POSTDESK_CONFIG CREDENTIALS_DIRECTORY

if ! command -v sqlite3 >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP needs sqlite3 and python3"
	exit 0
fi

# pd ARGS...: run postdesk with the test config; sets rc, out, err.
pd() {
	"$POSTDESK" -c "$conf/postdesk.conf" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
}

# py DESC SCRIPT: run a python3 check on $TEST_TMP/out; it prints why it fails.
py() {
	ok "$1" python3 -c "$2" "$TEST_TMP/out"
}

conf=$TEST_TMP/conf
db=$conf/postdesk.db
mkdir "$conf"
printf 'imap-password\n' >"$conf/imap.pass"
printf 'c2VjcmV0LWtleS1mb3ItdGVzdHM=\n' >"$conf/secret"
chmod 600 "$conf/imap.pass" "$conf/secret"
cat >"$conf/postdesk.conf" <<'EOF'
database = "postdesk.db";
secret_file = "secret";
imap = { host = "imap.example.com"; user = "support@example.com"; password_file = "imap.pass"; };
smtp = { url = "smtp://smtp.example.com:587"; from = "Example Support <support@example.com>"; };
queues = ( { name = "general"; }, { name = "billing"; } );
EOF

# --- no database yet ----------------------------------------------------------
for cmd in "ticket list" "ticket show 1" "export"; do
	# shellcheck disable=SC2086
	pd $cmd
	is "$rc" 66 "$cmd without a database: exit 66"
	is "$err" "postdesk: ${cmd%% *}: no database yet at $db (it is created by fetch or deliver)" \
		"$cmd without a database: says where and who creates it"
done
ok "the read-only commands did not create the database" test ! -e "$db"

pd ticket
is "$rc" 64 "ticket without a subcommand: exit 64"
pd ticket frobnicate
is "$rc" 64 "ticket frobnicate: exit 64"
pd ticket list --status bogus
is "$rc" 64 "ticket list --status bogus: exit 64"
like "$err" "one of new, open, pending, resolved, closed" "bad --status: lists the statuses"
pd ticket list extra
is "$rc" 64 "ticket list with an argument: exit 64"
pd export --csv
is "$rc" 64 "export --csv: exit 64"
for id in abc 0 -3 12x ""; do
	pd ticket show "$id"
	is "$rc" 64 "ticket show '$id': exit 64"
done
pd ticket show
is "$rc" 64 "ticket show without an id: exit 64"
pd ticket show 1 2
is "$rc" 64 "ticket show with two ids: exit 64"

# --- an empty database (an empty file gets the schema) ------------------------
(umask 077 && : >"$db")
pd ticket list
is "$rc:$out" "0:     ID STATUS   QUEUE       AGE REQUESTER                SUBJECT" \
	"empty database: ticket list prints the header only"
pd ticket list --json
is "$rc:$out" "0:[]" "empty database: ticket list --json is []"
pd export
is "$rc:$out" "0:" "empty database: export prints nothing"
pd ticket show 999
is "$rc" 66 "ticket show 999: exit 66"
is "$err" "postdesk: ticket 999: no such ticket" "ticket show 999: the message"
is "$out" "" "ticket show 999: nothing on stdout"

# --- a known history ---------------------------------------------------------
now=$(date +%s)
c2=$((now - 3 * 86400 - 100))
c3=$((now - 5 * 3600 - 10))
c4=$((now - 90))
age1=$(( (now - 1700000000) / (365 * 86400) ))y
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
hm() { date -u -d "@$1" '+%Y-%m-%d %H:%M UTC'; }
sqlite3 "$db" <<EOF || echo "Bail out! could not fill the database"
INSERT INTO tickets (id, subject, requester_addr, requester_name, queue, priority, status,
    language, assignee, created_at, updated_at) VALUES
  (1, 'Faktura je špatně', 'jan@example.cz', 'Jan Novák', 'billing', 'high', 'open',
    'cs', NULL, 1700000000, 1700003600),
  (2, 'Password reset', 'eva@example.org', NULL, 'general', 'normal', 'new',
    NULL, NULL, $c2, $c2),
  (3, 'Cannot log in: the reset link in your e-mail has expired already',
    'someone.with.a.long.name@example.net', 'Someone', 'general', 'low', 'open',
    'en', 'alice@example.com', $c3, $c3),
  (4, 'Spam' || char(27) || '[31m alert', 'x@example.com', NULL, 'general', 'normal',
    'closed', NULL, NULL, $c4, $c4);
INSERT INTO messages (id, ticket_id, direction, kind, message_id, from_addr, from_name,
    subject, date, received_at, thread_via, size, text, text_new) VALUES
  (1, 1, 'in', 'customer', 'a1@example.cz', 'jan@example.cz', 'Jan Novák',
    'Faktura je špatně', 1700000000, 1700000005, 'new', 100,
    'Dobrý den, faktura je špatně.', 'Dobrý den, faktura je špatně.'),
  (2, 1, 'out', 'ack', 'ack1@support.example.com', 'support@example.com', 'Example Support',
    '[Support #1] Faktura je špatně', NULL, 1700000010, NULL, 100,
    'We got your message.', 'We got your message.'),
  (3, 1, 'in', 'customer', 'a2@example.cz', 'jan@example.cz', 'Jan Novák',
    'Re: [Support #1] Faktura je špatně', 1700003000, 1700003600, 'in-reply-to', 100,
    'Díky.' || char(10) || '> We got your message.', 'Díky.'),
  (4, 3, 'in', 'customer', 'c1@example.net', 'someone.with.a.long.name@example.net', NULL,
    'Cannot log in', 1700200000, 1700200001, 'new', 100, 'Help', 'Help'),
  (5, NULL, 'in', 'bounce', 'loose@example.com', NULL, NULL, NULL, NULL, 1700300000,
    NULL, 100, NULL, NULL);
INSERT INTO participants (ticket_id, addr, name, role, failing) VALUES
  (1, 'jan@example.cz', 'Jan Novák', 'requester', 0),
  (1, 'alice@example.com', 'Alice Nováková', 'agent', 1),
  (1, 'bob@example.cz', 'Bob', 'cc', 0),
  (3, 'someone.with.a.long.name@example.net', 'Someone', 'requester', 0);
INSERT INTO tags (ticket_id, tag) VALUES (1, 'vip'), (1, 'invoice');
INSERT INTO events (ticket_id, at, type, actor, detail) VALUES
  (1, 1700000005, 'created', NULL, NULL),
  (1, 1700000600, 'assign', 'alice@example.com', 'alice@example.com'),
  (1, 1700000600, 'status', 'alice@example.com', 'new -> open');
EOF

# --- ticket list ------------------------------------------------------------------
pd ticket list
is "$rc" 0 "ticket list: exit 0"
is "$out" "     ID STATUS   QUEUE       AGE REQUESTER                SUBJECT
      4 closed   general      1m x@example.com            Spam?[31m alert
      3 open     general      5h someone.with.a.long.nam… Cannot log in: the reset link in your e-m…
      2 new      general      3d eva@example.org          Password reset
      1 open     billing    $(printf '%4s' "$age1") jan@example.cz           Faktura je špatně" \
	"ticket list: newest first, ages, cut to 100 columns, escape codes defused"
ok "ticket list: no line wider than 100 columns" \
	test "$(python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$TEST_TMP/out")" -le 100

pd ticket list --json --status open
is "$rc" 0 "ticket list --json --status open: exit 0"
py "ticket list --json --status open: one array, exact fields" "
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
assert [t['id'] for t in d] == [3, 1], [t['id'] for t in d]
want = {'id': 1, 'status': 'open', 'queue': 'billing', 'priority': 'high',
    'requester': {'name': 'Jan Novák', 'addr': 'jan@example.cz'},
    'assignee': None, 'subject': 'Faktura je špatně',
    'created_at': '2023-11-14T22:13:20Z', 'updated_at': '2023-11-14T23:13:20Z',
    'messages': 3, 'last_message_at': '2023-11-14T23:13:20Z'}
assert d[1] == want, d[1]
assert d[0]['assignee'] == 'alice@example.com' and d[0]['messages'] == 1, d[0]
assert d[0]['created_at'] == '$(iso "$c3")', d[0]['created_at']
"
pd ticket list --json
py "ticket list --json: every ticket; none without messages has a last one" "
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
assert [t['id'] for t in d] == [4, 3, 2, 1], d
assert d[2]['messages'] == 0 and d[2]['last_message_at'] is None, d[2]
assert d[2]['requester'] == {'name': None, 'addr': 'eva@example.org'}, d[2]
assert d[0]['subject'] == 'Spam\x1b[31m alert', d[0]
"
pd ticket list --queue general --json
py "ticket list --queue general" "
import json, sys
assert [t['id'] for t in json.load(open(sys.argv[1]))] == [4, 3, 2]"
pd ticket list --queue general --status new --json
py "ticket list --queue general --status new" "
import json, sys
assert [t['id'] for t in json.load(open(sys.argv[1]))] == [2]"
pd ticket list --status pending
is "$rc:$out" "0:     ID STATUS   QUEUE       AGE REQUESTER                SUBJECT" \
	"ticket list --status pending: none"

# --- ticket show -----------------------------------------------------------------
pd ticket show 1
is "$rc" 0 "ticket show 1: exit 0"
is "$out" "Ticket #1: Faktura je špatně
Status:       open
Queue:        billing
Priority:     high
Assignee:     -
Requester:    Jan Novák <jan@example.cz>
Participants: Jan Novák <jan@example.cz> (requester), Bob <bob@example.cz> (cc), Alice Nováková <alice@example.com> (agent, failing)
Tags:         invoice, vip
Created:      2023-11-14 22:13 UTC
Updated:      2023-11-14 23:13 UTC

--- 1. → in, customer, 2023-11-14 22:13 UTC ---
From:    Jan Novák <jan@example.cz>
Subject: Faktura je špatně
Thread:  new

Dobrý den, faktura je špatně.

--- 2. ← out, ack, 2023-11-14 22:13 UTC ---
From:    Example Support <support@example.com>
Subject: [Support #1] Faktura je špatně
Thread:  -

We got your message.

--- 3. → in, customer, 2023-11-14 23:03 UTC ---
From:    Jan Novák <jan@example.cz>
Subject: Re: [Support #1] Faktura je špatně
Thread:  in-reply-to

Díky.

--- events ---
2023-11-14 22:13 UTC  created  postdesk
2023-11-14 22:23 UTC  assign  alice@example.com  alice@example.com
2023-11-14 22:23 UTC  status  alice@example.com  new -> open" \
	"ticket show 1: header, the conversation in order (new text only), events"

pd ticket show --full 1
like "$out" "^Díky\\.$" "ticket show --full: the reply's own text"
like "$out" "^> We got your message\\.$" "ticket show --full: and the quoted part"
pd ticket show '#1'
is "$rc" 0 "ticket show '#1': the tag's form is accepted"
pd ticket show 4
like "$out" "^Ticket #4: Spam\\?\\[31m alert$" "ticket show: escape codes defused"
like "$out" "^\\(no text\\)$|^\\(none\\)$" "ticket show: a ticket without messages or events says so"

pd ticket show --json 1
is "$rc" 0 "ticket show --json 1: exit 0"
py "ticket show --json: one object with every part" "
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
assert sorted(d) == sorted(['id', 'subject', 'status', 'queue', 'priority', 'requester',
    'assignee', 'language', 'created_at', 'updated_at', 'first_response_at', 'resolved_at',
    'closed_at', 'satisfaction', 'participants', 'tags', 'messages', 'events']), sorted(d)
assert d['id'] == 1 and d['status'] == 'open' and d['language'] == 'cs', d
assert d['requester'] == {'name': 'Jan Novák', 'addr': 'jan@example.cz'}
assert d['closed_at'] is None and d['satisfaction'] is None
assert d['participants'] == [
    {'addr': 'jan@example.cz', 'name': 'Jan Novák', 'role': 'requester', 'failing': False},
    {'addr': 'bob@example.cz', 'name': 'Bob', 'role': 'cc', 'failing': False},
    {'addr': 'alice@example.com', 'name': 'Alice Nováková', 'role': 'agent', 'failing': True}], d['participants']
assert d['tags'] == ['invoice', 'vip'], d['tags']
m = d['messages']
assert [x['id'] for x in m] == [1, 2, 3], m
assert m[0] == {'id': 1, 'message_id': '<a1@example.cz>', 'direction': 'in', 'kind': 'customer',
    'from': {'name': 'Jan Novák', 'addr': 'jan@example.cz'}, 'subject': 'Faktura je špatně',
    'date': '2023-11-14T22:13:20Z', 'received_at': '2023-11-14T22:13:25Z', 'thread_via': 'new',
    'text': 'Dobrý den, faktura je špatně.', 'text_new': 'Dobrý den, faktura je špatně.'}, m[0]
assert m[1]['date'] == '2023-11-14T22:13:30Z' and m[1]['thread_via'] is None, m[1]
assert m[2]['text'] == 'Díky.\n> We got your message.' and m[2]['text_new'] == 'Díky.', m[2]
assert d['events'] == [
    {'at': '2023-11-14T22:13:25Z', 'type': 'created', 'actor': None, 'detail': None},
    {'at': '2023-11-14T22:23:20Z', 'type': 'assign', 'actor': 'alice@example.com', 'detail': 'alice@example.com'},
    {'at': '2023-11-14T22:23:20Z', 'type': 'status', 'actor': 'alice@example.com', 'detail': 'new -> open'}], d['events']
"
pd ticket show 999
is "$rc:$err" "66:postdesk: ticket 999: no such ticket" "ticket show 999 (with tickets): exit 66"

# --- export ------------------------------------------------------------------------
pd export --json
is "$rc" 0 "export --json: exit 0"
cp "$TEST_TMP/out" "$TEST_TMP/export.json"
py "export --json: one object a line, oldest first, exact fields" "
import json, sys
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
assert lines[-1] == '' and len(lines) == 5, lines
d = [json.loads(l) for l in lines[:-1]]
assert [t['id'] for t in d] == [1, 2, 3, 4], d
keys = ['id', 'status', 'queue', 'priority', 'subject', 'requester', 'assignee', 'language',
    'created_at', 'updated_at', 'tags', 'participants', 'messages']
for t in d:
    assert sorted(t) == sorted(keys), sorted(t)
    assert t['status'] in ('new', 'open', 'pending', 'resolved', 'closed'), t
t = d[0]
assert (t['status'], t['queue'], t['priority'], t['subject']) == ('open', 'billing', 'high', 'Faktura je špatně'), t
assert t['requester'] == {'name': 'Jan Novák', 'addr': 'jan@example.cz'}, t
assert t['tags'] == ['invoice', 'vip'], t
assert t['participants'] == [
    {'addr': 'jan@example.cz', 'name': 'Jan Novák', 'role': 'requester'},
    {'addr': 'bob@example.cz', 'name': 'Bob', 'role': 'cc'},
    {'addr': 'alice@example.com', 'name': 'Alice Nováková', 'role': 'agent'}], t['participants']
assert t['messages'] == [
    {'message_id': '<a1@example.cz>', 'direction': 'in', 'kind': 'customer',
     'from': {'name': 'Jan Novák', 'addr': 'jan@example.cz'}, 'subject': 'Faktura je špatně',
     'date': '2023-11-14T22:13:20Z', 'thread_via': 'new'},
    {'message_id': '<ack1@support.example.com>', 'direction': 'out', 'kind': 'ack',
     'from': {'name': 'Example Support', 'addr': 'support@example.com'},
     'subject': '[Support #1] Faktura je špatně', 'date': '2023-11-14T22:13:30Z', 'thread_via': None},
    {'message_id': '<a2@example.cz>', 'direction': 'in', 'kind': 'customer',
     'from': {'name': 'Jan Novák', 'addr': 'jan@example.cz'},
     'subject': 'Re: [Support #1] Faktura je špatně', 'date': '2023-11-14T23:03:20Z',
     'thread_via': 'in-reply-to'}], t['messages']
assert d[1]['participants'] == [] and d[1]['messages'] == [] and d[1]['tags'] == [], d[1]
assert d[1]['requester'] == {'name': None, 'addr': 'eva@example.org'}, d[1]
assert d[2]['messages'][0]['from'] == {'name': None, 'addr': 'someone.with.a.long.name@example.net'}
assert d[2]['assignee'] == 'alice@example.com' and d[2]['created_at'] == '$(iso "$c3")', d[2]
assert d[3]['status'] == 'closed' and d[3]['subject'] == 'Spam\x1b[31m alert', d[3]
"
pd export
ok "export without --json: the same output" cmp -s "$TEST_TMP/out" "$TEST_TMP/export.json"

done_testing
