# t-deliver: postdesk deliver, the MTA pipe: sysexits codes an MTA
# understands (0 stored, 75 try later, 65 never), nothing lost.
. "$SRCDIR/tests/lib.sh"
CONF=$TEST_TMP/postdesk.conf
printf 'database = "postdesk.db";\nqueues = ( { name = "general"; }, { name = "billing"; } );\n' >"$CONF"
MSG='From: Jana <jana@example.cz>\r\nTo: support@example.test\r\nSubject: Faktura\r\nMessage-ID: <d1@example.cz>\r\n\r\nDobry den.\r\n'

printf "$MSG" | "$POSTDESK" -c "$CONF" deliver 2>/dev/null
is "$?" 0 "a message is stored: 0"
printf "$MSG" | "$POSTDESK" -c "$CONF" deliver 2>/dev/null
is "$?" 0 "the MTA retries the same message: 0 again"
is "$(db 'SELECT count(*) FROM messages')" 1 "stored once"
printf 'From: a@example.cz\r\nSubject: x\r\nMessage-ID: <d2@example.cz>\r\n\r\nx\r\n' |
	"$POSTDESK" -c "$CONF" deliver --mailbox billing 2>/dev/null
is "$(db "SELECT queue FROM tickets WHERE subject = 'x'")" billing "--mailbox names the queue"
"$POSTDESK" -c "$CONF" deliver </dev/null 2>/dev/null
is "$?" 65 "an empty message: 65 (can never be stored)"
printf "$MSG" | "$POSTDESK" -c "$TEST_TMP/missing.conf" deliver 2>/dev/null
is "$?" 75 "a missing config: 75, so the MTA keeps the mail"
mkdir "$TEST_TMP/ro" && printf 'database = "%s/ro/sub/none.db";\n' "$TEST_TMP" >"$TEST_TMP/ro.conf"
printf "$MSG" | "$POSTDESK" -c "$TEST_TMP/ro.conf" deliver 2>"$TEST_TMP/err"
is "$?" 75 "a database that cannot be opened: 75"
like "$(cat "$TEST_TMP/err")" "none.db" "the error names the database"
"$POSTDESK" -c "$CONF" deliver extra </dev/null 2>/dev/null
is "$?" 64 "a usage error: 64"
done_testing
