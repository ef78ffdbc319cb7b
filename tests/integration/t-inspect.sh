# t-inspect: `postdesk inspect` reads real-world mail as the fixtures under
# tests/fixtures/mail say. Each NNNN-name.eml there has a NNNN-name.expect
# ("PATH = JSON" lines, see check_expect.py) and gets one TAP line; then the
# command's contract: standard input, exit codes, the human output, valid
# JSON with every documented key, silence on standard error, and stable
# synthetic Message-IDs. No mail stack needed.
. "$SRCDIR/tests/lib.sh"
FX=$SRCDIR/tests/fixtures/mail
CHECK=$SRCDIR/tests/integration/check_expect.py
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# show FILE: a file's lines as TAP diagnostics (at most 40).
show() { head -n 40 "$1" | sed 's/^/# /'; }

# --- every fixture against its expectations ----------------------------------
count=0
bad_exit='' bad_stderr='' bad_keys='' bad_stdin=''
for eml in "$FX"/*.eml; do
	[ -f "$eml" ] || continue
	name=$(basename "$eml" .eml)
	out=$TEST_TMP/$name.json
	count=$((count + 1))
	"$POSTDESK" inspect --json "$eml" >"$out" 2>"$TEST_TMP/$name.err"
	rc=$?
	[ "$rc" -eq 0 ] || bad_exit="$bad_exit $name($rc)"
	[ -s "$TEST_TMP/$name.err" ] && bad_stderr="$bad_stderr $name"
	"$PY" "$CHECK" keys "$eml" "$out" >"$TEST_TMP/$name.keys" 2>&1 ||
		bad_keys="$bad_keys $name"
	"$POSTDESK" inspect --json - <"$eml" >"$TEST_TMP/$name.stdin.json" 2>/dev/null
	cmp -s "$out" "$TEST_TMP/$name.stdin.json" || bad_stdin="$bad_stdin $name"

	tap_n=$((tap_n + 1))
	if [ ! -f "$FX/$name.expect" ]; then
		echo "not ok $tap_n - $name: no $name.expect"
		tap_failed=$((tap_failed + 1))
	elif [ "$rc" -eq 0 ] && "$PY" "$CHECK" check "$FX/$name.expect" "$out" \
	    >"$TEST_TMP/$name.diag" 2>&1; then
		echo "ok $tap_n - $name"
	else
		echo "not ok $tap_n - $name"
		[ "$rc" -eq 0 ] || echo "#   postdesk exited with $rc"
		head -n 60 "$TEST_TMP/$name.diag"	# already "#" lines
		show "$TEST_TMP/$name.err"
		tap_failed=$((tap_failed + 1))
	fi
done
ok "there are fixtures ($count)" test "$count" -ge 30

# --- the whole set -------------------------------------------------------------
is "$bad_exit" "" "inspect --json exits 0 on every fixture"
is "$bad_stderr" "" "and writes nothing to standard error"
is "$bad_keys" "" "every output is one valid JSON object with all documented keys, typed, size and content_hash of the file"
for n in $bad_keys; do
	diag "$n:"
	head -n 20 "$TEST_TMP/$n.keys"
done
is "$bad_stdin" "" "inspect --json - (standard input) prints the same as the file form"

# --- synthetic Message-ID ------------------------------------------------------
# The same mail delivered twice (another Received on top) keeps its
# synthetic id; another mail without a Message-ID gets another one.
noid=$FX/0023-missing-message-id.eml
id_of() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)["message_id"])'; }
{
	printf 'Received: from mx2.example.com by mx.example.com; Wed, 23 Oct 2024 07:01:00 +0200\r\n'
	cat "$noid"
} >"$TEST_TMP/again.eml"
sed 's/poslat novy/poslat dva nove/' "$noid" >"$TEST_TMP/other.eml"
id1=$("$POSTDESK" inspect --json "$noid" | id_of)
id2=$("$POSTDESK" inspect --json "$TEST_TMP/again.eml" | id_of)
id3=$("$POSTDESK" inspect --json "$TEST_TMP/other.eml" | id_of)
like "$id1" '^<[0-9a-f]{16,}@synthetic\.postdesk\.invalid>$' "a message without Message-ID gets a synthetic one"
is "$id2" "$id1" "a second delivery of it (one more Received) gets the same one"
ok "another message without Message-ID gets another one" test "$id3" != "$id1"

# --- the human-readable form ---------------------------------------------------
human=$("$POSTDESK" inspect "$FX/0007-mixed-alt-rfc2231-attachment.eml" 2>&1)
is "$?" 0 "inspect without --json exits 0"
like "$human" '^Subject: +Faktura říjen$' "the human output shows the decoded subject"
like "$human" '^Attachment: +faktura říjen\.pdf \(application/pdf, 3000 bytes\)$' \
	"and one Attachment: line per attachment"
is "$(printf '%s\n' "$human" | grep -c '^Attachment:')" 2 "two of them here"
like "$human" '^From: +Martin Král <martin\.kral@example\.cz>$' "and the sender"
is "$("$POSTDESK" inspect - <"$FX/0007-mixed-alt-rfc2231-attachment.eml" 2>&1)" "$human" \
	"inspect - (human) prints the same as the file form"

# --- exit codes ----------------------------------------------------------------
"$POSTDESK" inspect --json "$TEST_TMP/does-not-exist.eml" >"$TEST_TMP/noent.out" 2>"$TEST_TMP/noent.err"
is "$?" 66 "inspect of a file that does not exist exits 66 (EX_NOINPUT)"
like "$(cat "$TEST_TMP/noent.err")" 'does-not-exist\.eml' "and names the file on standard error"
is "$(cat "$TEST_TMP/noent.out")" "" "and prints nothing on standard output"
"$POSTDESK" inspect >/dev/null 2>"$TEST_TMP/noarg.err"
is "$?" 64 "inspect without arguments exits 64 (EX_USAGE)"
like "$(cat "$TEST_TMP/noarg.err")" 'usage' "and prints the usage"
"$POSTDESK" inspect --json a.eml b.eml >/dev/null 2>&1
is "$?" 64 "inspect with two files exits 64"
"$POSTDESK" inspect --bogus "$FX/0001-plain-ascii-en.eml" >/dev/null 2>&1
is "$?" 64 "inspect with an unknown option exits 64"

# An empty input is a message too: no headers, no body.
"$POSTDESK" inspect --json - </dev/null >"$TEST_TMP/empty.json" 2>"$TEST_TMP/empty.err"
is "$?" 0 "inspect of an empty input exits 0"
: >"$TEST_TMP/empty.eml"
ok "and prints a valid document with every key" \
	"$PY" "$CHECK" keys "$TEST_TMP/empty.eml" "$TEST_TMP/empty.json"

done_testing
