# t-quarantine: a message that can never be stored is kept, not lost: it
# goes to the quarantine table and the Quarantine folder, the rest of the
# mailbox goes on, and "postdesk quarantine retry" stores it after the fix.
# The permanent failure is real: an SQLite trigger in the database refuses
# the message (as a corrupt or incompatible database would).
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
postdesk_config "$CONF"
"$POSTDESK" -c "$CONF" fetch --once 2>/dev/null	# creates the database
db "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.subject LIKE '%POISON%'
	BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END"

for s in "First" "POISON pill" "Third"; do
	printf 'From: customer1@example.test\r\nTo: support@example.test\r\nSubject: %s\r\nMessage-ID: <q-%s@example.test>\r\n\r\nBody.\r\n' \
		"$s" "$(echo "$s" | tr ' ' _)" >"$TEST_TMP/q.eml"
	doveadm -c "$MAILSTACK_DOVECOT_CONF" save -u support@example.test -m INBOX <"$TEST_TMP/q.eml"
done
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch.log"
is "$?" 0 "fetch goes on past the bad message and exits 0"
is "$(db 'SELECT count(*) FROM messages')" 2 "the two good messages are stored"
is "$(db 'SELECT count(*) FROM quarantine')" 1 "the bad one is in the quarantine table"
like "$(db 'SELECT reason FROM quarantine')" "poisoned by the test" "with the reason"
is "$(db 'SELECT length(raw) > 0 FROM quarantine')" 1 "and its raw bytes"
is "$(mailbox_count support@example.test Quarantine)" 1 "moved to the Quarantine folder"
is "$(mailbox_count support@example.test INBOX)" 0 "INBOX is empty"
like "$(cat "$TEST_TMP/fetch.log")" "quarantine: .*poisoned" "the log says so"

out=$("$POSTDESK" -c "$CONF" quarantine list 2>&1)
like "$out" "^1 .*held.*poisoned" "quarantine list shows it"
"$POSTDESK" -c "$CONF" quarantine retry 1 >/dev/null 2>&1
is "$?" 65 "retry before the fix: still refused (65)"
db "DROP TRIGGER poison"
out=$("$POSTDESK" -c "$CONF" quarantine retry 1 2>&1)
is "$?" 0 "retry after the fix: exit 0"
like "$out" "stored in ticket [0-9]+" "and says where it went"
is "$(db "SELECT count(*) FROM messages WHERE subject = 'POISON pill'")" 1 "the message is stored"
is "$(db 'SELECT state FROM quarantine WHERE id = 1')" released "the quarantine entry is released"
is "$("$POSTDESK" -c "$CONF" quarantine list 2>/dev/null | wc -l | tr -d ' ')" 1 \
	"list shows no held message any more (header only)"
"$POSTDESK" -c "$CONF" quarantine retry 99 2>/dev/null
is "$?" 66 "an unknown id: 66"
"$POSTDESK" -c "$CONF" quarantine retry x 2>/dev/null
is "$?" 64 "a bad id: 64"
done_testing
