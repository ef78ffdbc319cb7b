# t-hostile-input: broken and hostile mail through the real mail stack,
# each case with its expected outcome. The inputs are made here (python3),
# never committed:
#   - a 60 MiB message (over the 50 MiB limit), fetched over IMAP: stored
#     whole, an over-limit event, moved to Processed, peak RSS bounded;
#   - 20,000 MIME parts, multipart nesting 1,000 deep, a 2 MiB header
#     line (postdesk deliver): stored whole, over-limit, the rest read;
#   - NUL bytes in a header and the body: stored byte for byte, nothing
#     after a NUL lost;
#   - invalid UTF-8 and unknown charsets (over SMTP): only valid UTF-8 in
#     the database and in the acknowledgement;
#   - encoded words that decode to CR LF plus a header, in the Subject and
#     the From name: no header injection in the acknowledgement or the
#     agent's notification (their header blocks fetched and read);
#   - an attachment named ../../etc/passwd: postdesk writes no file but
#     its database, while storing, exporting or showing it (strace);
#   - a subject and body full of SQL and template syntax: stored and
#     echoed literally, the tables intact.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
PD_SMTP=1 postdesk_config "$CONF"
MS=$SRCDIR/tests/mailstack/mailstack
DC="doveadm -c $MAILSTACK_DOVECOT_CONF"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
fetch() { "$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"; "$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null; }
deliver() { "$POSTDESK" -c "$CONF" deliver <"$1" 2>>"$TEST_TMP/deliver.log"; }
# raw USER QUERY...: the first message of USER's INBOX that matches the
# doveadm search QUERY (LF line ends, as doveadm gives it).
raw() {
	u=$(full_user "$1")
	shift
	uid=$($DC search -u "$u" mailbox INBOX "$@" 2>/dev/null | head -n 1 | awk '{print $2}')
	[ -n "$uid" ] && $DC fetch -u "$u" text mailbox INBOX uid "$uid" 2>/dev/null | sed '1d'
}
# hits USER QUERY...: how many messages of USER's INBOX match.
hits() {
	u=$(full_user "$1")
	shift
	$DC search -u "$u" mailbox INBOX "$@" 2>/dev/null | wc -l | tr -d ' '
}
# reply_to USER MSGID: the first mail to USER that answers MSGID.
reply_to() { raw "$1" header In-Reply-To "<$2>"; }
# about USER TICKET: the first mail to USER with the ticket's tag.
about() { raw "$1" header Subject "[Support #$2]"; }
# json EXPR: a python expression over a message on stdin, decoded (j).
json() { "$POSTDESK" inspect --json - | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
# ticket_of MSGID: the ticket a stored message is in.
ticket_of() { db "SELECT ticket_id FROM messages WHERE message_id = '$1'"; }

cat >"$TEST_TMP/gen.py" <<'EOF'
import sys
case, path = sys.argv[1], sys.argv[2]
def head(mid, subj, frm=b'Sender <sender@example.net>', extra=b''):
    return (b'From: ' + frm + b'\r\nTo: support@example.test\r\nSubject: ' + subj +
            b'\r\nMessage-ID: <' + mid + b'>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n'
            b'MIME-Version: 1.0\r\n' + extra)
out = open(path, 'wb')
if case == 'big':
    # 60 MiB: a short text and one big base64 attachment.
    out.write(head(b'big60@example.net', b'Huge attachment', b'Big <big@example.net>',
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b'Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--b\r\n'
        b'Content-Type: application/octet-stream; name="big.bin"\r\n'
        b'Content-Transfer-Encoding: base64\r\n\r\n'))
    line = b'QUJD' * 19 + b'\r\n'
    for _ in range(60 * 1024 * 1024 // len(line) + 1):
        out.write(line)
    out.write(b'--b--\r\n')
elif case == 'parts':
    out.write(head(b'parts@example.net', b'Many parts', b'Parts <parts@example.net>',
        b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n'
        b'--p\r\nContent-Type: text/plain\r\n\r\nThe first of 20000 parts.\r\n'))
    for i in range(1, 20000):
        out.write(b'--p\r\nContent-Type: application/octet-stream; name="f%d.bin"\r\n\r\nx\r\n' % i)
    out.write(b'--p--\r\n')
elif case == 'deep':
    out.write(head(b'deep@example.net', b'Deep nesting', b'Deep <deep@example.net>',
        b'Content-Type: multipart/mixed; boundary="d0"\r\n\r\n'))
    for i in range(1, 1000):
        out.write(b'--d%d\r\nContent-Type: multipart/mixed; boundary="d%d"\r\n\r\n' % (i - 1, i))
    out.write(b'--d999\r\nContent-Type: text/plain\r\n\r\nAt the bottom.\r\n--d999--\r\n')
    for i in range(998, -1, -1):
        out.write(b'--d%d--\r\n' % i)
elif case == 'longheader':
    out.write(head(b'longheader@example.net', b'A long header', b'Long <long@example.net>',
        b'X-Long: ' + b'a' * (2 * 1024 * 1024) + b'\r\n'
        b'Content-Type: text/plain\r\n\r\nThe body after a 2 MiB header line.\r\n'))
elif case == 'nul':
    out.write(head(b'nul@example.net', b'Before\x00after the NUL', b'Nul <nul@example.net>',
        b'Content-Type: text/plain; charset=utf-8\r\n\r\n'
        b'Text before\x00and after a NUL.\r\n\x00\x00\r\nThe end.\r\n'))
elif case == 'charset':
    out.write(head(b'charset@example.net',
        b'=?x-unknown-42?Q?Caf=E9?= raw \xff\xfe bytes \xc3\x28 =?utf-8?B?wyg=?=',
        b'=?x-klingon?Q?N=FF?= <charset@example.net>',
        b'Content-Type: text/plain; charset="x-klingon-9"\r\n'
        b'Content-Transfer-Encoding: 8bit\r\n\r\n'
        b'Invalid \xc3\x28 and \xff\xfe, a surrogate \xed\xa0\x80, overlong \xc0\xaf.\r\n'))
elif case == 'inject':
    out.write(head(b'inject@example.test',
        b'=?UTF-8?Q?Help=0D=0ABcc:_victim@example.test=0D=0AX-Injected:_subject?=',
        b'=?UTF-8?Q?Eve=0D=0AX-Injected:_from=0A=0D=0A?= <customer2@example.test>',
        b'Content-Type: text/plain\r\n\r\nPlease help.\r\n'))
elif case == 'passwd':
    out.write(head(b'passwd@example.net', b'Files', b'Att <att@example.net>',
        b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n'
        b'--a\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n'
        b'--a\r\nContent-Type: text/plain; name="../../etc/passwd"\r\n'
        b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\n'
        b'root::0:0:owned:/root:/bin/sh\r\n'
        b'--a\r\nContent-Type: application/octet-stream\r\n'
        b'Content-Disposition: attachment; filename*=utf-8\'\'%2E%2E%2F%2E%2E%2Ftmp%2Fpd-escape\r\n\r\n'
        b'escaped\r\n'
        b'--a\r\nContent-Type: application/octet-stream\r\n'
        b'Content-Disposition: attachment; filename="/tmp/pd-absolute"\r\n\r\n'
        b'absolute\r\n--a--\r\n'))
elif case == 'syntax':
    out.write(head(b'syntax@example.test',
        b"'); DROP TABLE tickets;-- {{secret}} {{#each tickets}}{{ticket.id}}{{/each}} ${HOME} %s%n",
        b'"Robert\'); DROP TABLE messages;--" <customer3@example.test>',
        b'Content-Type: text/plain; charset=utf-8\r\n\r\n'
        b"1'; DELETE FROM outbox; SELECT '{{ticket.tag}} {{> partial}} {{{raw}}} {{customer.email}}\r\n"))
out.close()
EOF
gen() { "$PY" "$TEST_TMP/gen.py" "$1" "$TEST_TMP/$1.eml"; }

# --- 60 MiB over IMAP ----------------------------------------------------------
gen big
size=$(wc -c <"$TEST_TMP/big.eml")
$DC save -u support@example.test -m INBOX <"$TEST_TMP/big.eml"
# ASan keeps freed memory in a quarantine (256 MiB by default): that is the
# sanitizer's, not postdesk's, so it is turned off for the measurement.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	/usr/bin/time -f '%M %e' -o "$TEST_TMP/big.time" \
	"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch.log"
is "$?" 0 "60 MiB: fetch --once exits 0"
read -r rss secs <"$TEST_TMP/big.time"
diag "60 MiB message ($size bytes): peak RSS $((rss / 1024)) MiB, ${secs} s"
is "$(db "SELECT size = $size AND length(raw) = $size AND content_hash = '$(sha256sum <"$TEST_TMP/big.eml" | cut -c1-64)'
	FROM messages WHERE message_id = 'big60@example.net'")" 1 "60 MiB: stored whole, byte for byte"
like "$(db "SELECT detail FROM events WHERE type = 'over-limit' AND ticket_id = $(ticket_of big60@example.net)")" \
	"over the 52428800-byte limit.*all $size bytes are stored" "60 MiB: marked with an over-limit event"
is "$(mailbox_count support@example.test Processed)" 1 "60 MiB: moved to Processed"
is "$(mailbox_count support@example.test INBOX)" 0 "60 MiB: nothing left in INBOX"
if [ -n "${VALGRIND:-}" ]; then
	diag "under valgrind: no RSS bound"
else
	# An ASan build adds its shadow memory (1/8) and redzones: a looser bound.
	factor=3
	ldd "$POSTDESK" 2>/dev/null | grep -q libasan && factor=4
	ok "60 MiB: peak RSS $((rss / 1024)) MiB is at most $factor times the message" \
		test "$rss" -le $((size * factor / 1024))
fi
rm -f "$TEST_TMP/big.eml"

# --- limits: parts, depth, a long header line (postdesk deliver) ---------------
for c in parts deep longheader; do
	gen $c
	/usr/bin/time -f '%M %e' -o "$TEST_TMP/$c.time" "$POSTDESK" -c "$CONF" deliver \
		<"$TEST_TMP/$c.eml" 2>>"$TEST_TMP/deliver.log"
	is "$?" 0 "$c: deliver exits 0 (stored)"
	read -r rss secs <"$TEST_TMP/$c.time"
	diag "$c: $(wc -c <"$TEST_TMP/$c.eml") bytes, peak RSS $((rss / 1024)) MiB, ${secs} s"
	is "$(db "SELECT length(raw) FROM messages WHERE message_id = '$c@example.net'")" \
		"$(wc -c <"$TEST_TMP/$c.eml" | tr -d ' ')" "$c: stored whole"
done
like "$(db "SELECT detail FROM events WHERE type = 'over-limit' AND ticket_id = $(ticket_of parts@example.net)")" \
	"more than 10000 MIME parts" "20,000 parts: marked over the part limit"
is "$(db "SELECT text FROM messages WHERE message_id = 'parts@example.net'")" "The first of 20000 parts." \
	"20,000 parts: the text part is read"
like "$(db "SELECT detail FROM events WHERE type = 'over-limit' AND ticket_id = $(ticket_of deep@example.net)")" \
	"MIME nesting deeper than 100" "1,000 deep: marked over the depth limit"
like "$(db "SELECT detail FROM events WHERE type = 'over-limit' AND ticket_id = $(ticket_of longheader@example.net)")" \
	"header block larger than 1048576 bytes" "2 MiB header line: marked over the header limit"
is "$(db "SELECT subject || '|' || text FROM messages WHERE message_id = 'longheader@example.net'")" \
	"A long header|The body after a 2 MiB header line." "2 MiB header line: subject and body still read"

# --- NUL bytes -----------------------------------------------------------------
gen nul
deliver "$TEST_TMP/nul.eml"
is "$?" 0 "NUL bytes: stored"
is "$(db "SELECT content_hash FROM messages WHERE message_id = 'nul@example.net'")" \
	"$(sha256sum <"$TEST_TMP/nul.eml" | cut -c1-64)" "NUL bytes: the raw message byte for byte"
is "$(db "SELECT subject FROM messages WHERE message_id = 'nul@example.net'")" "Before after the NUL" \
	"NUL bytes: nothing of the subject after the NUL is lost"
is "$(db "SELECT text FROM messages WHERE message_id = 'nul@example.net'")" "$(printf 'Text before\357\277\275and after a NUL.\n\357\277\275\357\277\275\nThe end.')" \
	"NUL bytes: each NUL of the body is U+FFFD, nothing lost"

# --- invalid UTF-8 and unknown charsets, over SMTP --------------------------------
gen charset
smtp_send charset@example.net support@example.test "$TEST_TMP/charset.eml"
fetch
is "$(db "SELECT count(*) FROM messages WHERE message_id = 'charset@example.net'")" 1 "bad charsets: stored"
utf8_ok=$("$PY" - "$TEST_TMP/postdesk.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.text_factory = bytes
bad = 0
for row in c.execute("SELECT subject, from_name, text, text_new FROM messages"):
    for v in row:
        try:
            v is None or v.decode('utf-8', 'strict')
        except UnicodeDecodeError:
            bad += 1
for row in c.execute("SELECT subject, requester_name FROM tickets"):
    for v in row:
        try:
            v is None or v.decode('utf-8', 'strict')
        except UnicodeDecodeError:
            bad += 1
print(bad)
EOF
)
is "$utf8_ok" 0 "bad charsets: every text in the database is valid UTF-8"
t=$(ticket_of charset@example.net)
is "$(reply_to outside charset@example.net | json "j['subject']")" \
	"[Support #$t] $(db "SELECT subject FROM tickets WHERE id = $t")" \
	"bad charsets: the acknowledgement carries the stored subject"
is "$(reply_to outside charset@example.net | "$PY" -c 'import sys; d=sys.stdin.buffer.read(); d.decode("ascii"); print("ascii")' 2>&1)" ascii \
	"bad charsets: the acknowledgement is plain ASCII on the wire (MIME-encoded)"

# --- encoded CR LF: no header injection -------------------------------------------
gen inject
smtp_send customer2@example.test support@example.test "$TEST_TMP/inject.eml"
fetch
t=$(ticket_of inject@example.test)
is "$(mailbox_count customer2@example.test INBOX)" 1 "injection: the customer got one acknowledgement"
h=$(reply_to customer2 inject@example.test | sed '/^$/q')
like "$h" "^From: " "injection: the acknowledgement's header block is there"
ok "injection: no Bcc or X-Injected field in the acknowledgement's header block" \
	sh -c "! printf '%s\n' \"\$1\" | grep -Eiq '^(bcc|x-injected):'" sh "$h"
is "$(printf '%s\n' "$h" | grep -ci '^to:')" 1 "injection: one To field"
like "$(reply_to customer2 inject@example.test | json "j['subject']")" \
	"^\[Support #$t\] Help Bcc: victim@example.test X-Injected: subject$" \
	"injection: the words stay inside the one Subject"
is "$(reply_to customer2 inject@example.test | json "[a['addr'] for a in j['to']]")" \
	"['customer2@example.test']" "injection: addressed to the customer only"
h=$(about agent1 "$t" | sed '/^$/q')
like "$h" "^From: " "injection: the agent's notification is there"
ok "injection: none in the agent's notification either" \
	sh -c "! printf '%s\n' \"\$1\" | grep -Eiq '^(bcc|x-injected):'" sh "$h"
is "$(grep -c 'victim@example.test' "$MAILSTACK_DIR/log/postfix.log")" 0 \
	"injection: Postfix never saw victim@example.test"

# --- an attachment named ../../etc/passwd -------------------------------------------
gen passwd
before=$(sha256sum /etc/passwd)
rm -f /tmp/pd-escape /tmp/pd-absolute
files_before=$(cd "$TEST_TMP" && find . -path ./ms -prune -o -type f -print | sort)
# Every system call that could make, change or remove a file, while the
# message is stored, shown and exported. (LeakSanitizer cannot run under
# ptrace: in an ASan build the leak check is off for these runs.)
STRACE="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=open,openat,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,mkdir,mkdirat,unlink,unlinkat,truncate"
$STRACE -o "$TEST_TMP/st.deliver" "$POSTDESK" -c "$CONF" deliver <"$TEST_TMP/passwd.eml" 2>>"$TEST_TMP/deliver.log"
is "$?" 0 "../../etc/passwd: stored"
t=$(ticket_of passwd@example.net)
$STRACE -o "$TEST_TMP/st.show" "$POSTDESK" -c "$CONF" ticket show "$t" >"$TEST_TMP/show.out" 2>&1
$STRACE -o "$TEST_TMP/st.export" "$POSTDESK" -c "$CONF" export --json >"$TEST_TMP/export.out" 2>&1
$STRACE -o "$TEST_TMP/st.inspect" "$POSTDESK" inspect --json "$TEST_TMP/passwd.eml" >"$TEST_TMP/inspect.out" 2>&1
writes=$(cat "$TEST_TMP"/st.* | grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|^[0-9]+ +(creat|rename|link|symlink|mkdir|unlink|truncate)' |
	grep -v -E "\"$TEST_TMP/postdesk\\.db(-wal|-shm|-journal)?\"" | grep -v '"/dev/null"' |
	{ if [ -n "$VG_DIR" ]; then grep -v -e "\"$VG_DIR/" -e '"/tmp/valgrind_proc_'; else cat; fi; })
ok "../../etc/passwd: the trace works (it shows the database opened for writing)" \
	grep -q "postdesk\\.db\", O_RDWR" "$TEST_TMP/st.deliver"
is "$writes" "" "../../etc/passwd: postdesk writes no file but its database (strace of deliver, ticket show, export, inspect)"
ok "../../etc/passwd: no file named by an attachment appeared" test ! -e /tmp/pd-escape -a ! -e /tmp/pd-absolute
is "$(sha256sum /etc/passwd)" "$before" "../../etc/passwd: /etc/passwd unchanged"
is "$(cd "$TEST_TMP" && find . -path ./ms -prune -o -type f -print | sort | grep -v -E '^\./(st\.|show\.out|export\.out|inspect\.out|postdesk\.db)')" \
	"$(printf '%s\n' "$files_before" | grep -v -E '^\./postdesk\.db')" "../../etc/passwd: no new file in the state directory"
is "$("$PY" -c 'import json,sys; print([a["filename"] for a in json.load(open(sys.argv[1]))["attachments"]])' "$TEST_TMP/inspect.out")" \
	"['../../etc/passwd', '../../tmp/pd-escape', '/tmp/pd-absolute']" "../../etc/passwd: the names are kept as data, literally"

# --- SQL and template syntax ----------------------------------------------------------
tickets=$(db 'SELECT count(*) FROM tickets')
gen syntax
smtp_send customer3@example.test support@example.test "$TEST_TMP/syntax.eml"
fetch
t=$(ticket_of syntax@example.test)
subj="'); DROP TABLE tickets;-- {{secret}} {{#each tickets}}{{ticket.id}}{{/each}} \${HOME} %s%n"
is "$(db "SELECT subject FROM tickets WHERE id = $t")" "$subj" "syntax: the subject is stored literally"
is "$(db 'SELECT count(*) FROM tickets')" $((tickets + 1)) "syntax: the tickets table is intact (one more ticket)"
is "$(db "SELECT count(*) FROM sqlite_master WHERE name IN ('tickets', 'messages', 'outbox')")" 3 "syntax: no table dropped"
is "$(db 'PRAGMA integrity_check')" ok "syntax: the database is intact"
is "$(reply_to customer3 syntax@example.test | json "j['subject']")" "[Support #$t] $subj" \
	"syntax: the acknowledgement echoes the subject literally"
like "$(reply_to customer3 syntax@example.test | json "j['text']")" "^Hello Robert'\\); DROP TABLE messages;--," \
	"syntax: and the name, literally"
like "$(about agent1 "$t" | json "j['text']")" "1'; DELETE FROM outbox; SELECT '\\{\\{ticket.tag\\}\\} \\{\\{> partial\\}\\} \\{\\{\\{raw\\}\\}\\} \\{\\{customer.email\\}\\}" \
	"syntax: the agent's notification quotes the body literally"
like "$("$POSTDESK" -c "$CONF" ticket show "$t")" "DROP TABLE tickets;-- \\{\\{secret\\}\\}" "syntax: ticket show echoes it literally"
is "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" 0 "syntax: the outbox is intact, everything sent"
done_testing
