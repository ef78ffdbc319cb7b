# t-mailstack: the real mail stack that every integration test runs against
# behaves as those tests assume: mail sent through Postfix arrives in
# Dovecot, TLS is verified against the throwaway CA and the verification
# can fail, nothing leaves for other domains, unknown users are refused,
# submission wants STARTTLS before AUTH, and stop leaves nothing running.
. "$SRCDIR/tests/lib.sh"
MS=$SRCDIR/tests/mailstack/mailstack
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

now_ms() { echo $(($(date +%s%N) / 1000000)); }
elapsed() { ms=$(($(now_ms) - $1)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
# quiet COMMAND...: run COMMAND, showing its output only when it fails.
quiet() {
	"$@" >"$TEST_TMP/quiet.out" 2>&1 && return 0
	sed 's/^/# /' "$TEST_TMP/quiet.out"
	return 1
}
token() { echo "tok$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; }

# send FROM TO TOKEN: one message through Postfix's SMTP port (no TLS, no
# AUTH: 127.0.0.1 may relay). The message is built here, CRLF, without a
# final line end: swaks appends CRLF.CRLF itself.
send() {
	printf 'From: <%s>\r\nTo: <%s>\r\nSubject: mailstack check %s\r\nMessage-ID: <%s@example.test>\r\nDate: %s\r\n\r\nbody of %s' \
		"$1" "$2" "$3" "$3" "$(date -R)" "$3" >"$TEST_TMP/$3.eml"
	swaks --server 127.0.0.1 --port "$MAILSTACK_SMTP_PORT" \
		--from "$1" --to "$2" --data "@$TEST_TMP/$3.eml" \
		>"$TEST_TMP/$3.swaks" 2>&1
}

# imap URL USER [curl options...]: curl as USER, verifying against the CA.
imap() {
	url=$1 user=$2
	shift 2
	curl -sS --max-time 10 --cacert "$MAILSTACK_CA" \
		--user "$user:$MAILSTACK_PASSWORD" "$@" "$url"
}

# uid_of URL USER TOKEN [curl options...]: the UIDs in USER's INBOX whose
# subject holds TOKEN.
uid_of() {
	url=$1 user=$2 tok=$3
	shift 3
	imap "$url/INBOX" "$user" -X "UID SEARCH SUBJECT $tok" "$@" |
		sed -n 's/^\* SEARCH *//p' | tr -d '\r'
}

# proc_gone PID STARTTIME: that process no longer runs (a zombie is gone).
proc_gone() {
	want=$2 line=
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
	set -- ${line##*) }
	[ "$1" = Z ] || [ "$1" = X ] || [ "${20}" != "$want" ]
}

# session_alive SID: live processes of session SID (the masters' children).
session_alive() {
	sid=$1 out=
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		set -- ${line##*) }
		[ "$4" = "$sid" ] && [ "$1" != Z ] && [ "$1" != X ] || continue
		f=${f#/proc/}
		out="$out ${f%/stat}"
	done
	echo $out
}

# stack_gone DIR: every process recorded in DIR/pid is gone, with its
# children, and no port of the layout is still taken.
stack_gone() {
	for name in dovecot postfix; do
		read -r pid start sid <"$1/pid/$name" || return 1
		proc_gone "$pid" "$start" || { diag "$name $pid runs"; return 1; }
		left=$(session_alive "$sid")
		[ -z "$left" ] || { diag "$name leaves $left"; return 1; }
	done
	"$PY" "$SRCDIR/tests/mailstack/netcheck.py" ports-free \
		"$(cat "$1/base")" 24 25 43 65 87 93
}

t0=$(now_ms)
mailstack_start
diag "start: $(elapsed "$t0") s, base $MAILSTACK_BASE, dir $MAILSTACK_DIR"
imaps=imaps://127.0.0.1:$MAILSTACK_IMAPS_PORT
imap=imap://127.0.0.1:$MAILSTACK_IMAP_PORT

# --- the CA and the certificates -------------------------------------------
tls=$MAILSTACK_DIR/tls
ok "the server certificate verifies against the CA for TLS servers" \
	quiet openssl verify -CAfile "$MAILSTACK_CA" -purpose sslserver "$tls/server.pem"
like "$(openssl x509 -in "$MAILSTACK_CA" -noout -ext basicConstraints,keyUsage)" \
	'Basic Constraints: critical' "the CA's basicConstraints are critical"
like "$(openssl x509 -in "$tls/server.pem" -noout -ext subjectAltName)" \
	'DNS:localhost, IP Address:127.0.0.1, DNS:mx.example.test' \
	"the server certificate names localhost, 127.0.0.1 and mx.example.test"

# --- SMTP in, IMAPS out ------------------------------------------------------
tok=$(token)
ok "Postfix accepts a message for support@example.test over SMTP" \
	send customer1@example.test support@example.test "$tok"
ok "the queue empties" "$MS" wait-queue "$MAILSTACK_DIR" 20
uid=$(uid_of "$imaps" support@example.test "$tok")
like "$uid" '^[0-9]+$' "IMAPS with verification finds exactly that message"
imap "$imaps/INBOX;UID=$uid" support@example.test >"$TEST_TMP/fetched.eml"
like "$(cat "$TEST_TMP/fetched.eml")" "^Message-ID: <$tok@example.test>" \
	"IMAPS fetches it"
# What we sent comes back byte for byte after the trace headers that
# Postfix and Dovecot put on top (swaks' CRLF ends the last line).
printf '\r\n' | cat "$TEST_TMP/$tok.eml" - >"$TEST_TMP/sent.eml"
size=$(wc -c <"$TEST_TMP/sent.eml")
ok "the fetched message ends with the sent bytes" \
	sh -c 'tail -c "$1" "$2" | cmp -s - "$3"' sh "$size" \
	"$TEST_TMP/fetched.eml" "$TEST_TMP/sent.eml"
like "$(sed -n '1,/^\r$/p' "$TEST_TMP/fetched.eml")" \
	"by mx.example.test with LMTP" "Dovecot's LMTP delivered it"

# --- IMAP with STARTTLS ------------------------------------------------------
got=$(imap "$imap/INBOX;UID=$uid" support@example.test --ssl-reqd -v \
	2>"$TEST_TMP/starttls.log")
like "$got" "Subject: mailstack check $tok" "IMAP+STARTTLS fetches it too"
like "$(cat "$TEST_TMP/starttls.log")" '> A[0-9]+ STARTTLS' \
	"curl issued STARTTLS"
like "$(cat "$TEST_TMP/starttls.log")" 'SSL connection using TLSv1\.[23]' \
	"and the session then ran over TLS"

# --- verification is real ----------------------------------------------------
imap "$imaps/INBOX" support@example.test --cacert "$tls/other-ca.pem" \
	-X NOOP >/dev/null 2>"$TEST_TMP/otherca.log"
is "$?" 60 "IMAPS fails when verifying against a different CA (curl 60)"
imap "$imap/INBOX" support@example.test --cacert "$tls/other-ca.pem" \
	--ssl-reqd -X NOOP >/dev/null 2>&1
is "$?" 60 "so does IMAP+STARTTLS"
is "$(uid_of "imaps://mx.example.test:$MAILSTACK_IMAPS_PORT" \
	support@example.test "$tok" \
	--resolve "mx.example.test:$MAILSTACK_IMAPS_PORT:127.0.0.1")" "$uid" \
	"IMAPS verifies by the name mx.example.test too"

# --- recipients ----------------------------------------------------------------
tok2=$(token)
ok "Postfix accepts a message for a gmail.com address" \
	send customer2@example.test "x$tok2@gmail.com" "$tok2"
ok "the queue empties" "$MS" wait-queue "$MAILSTACK_DIR" 20
like "$(uid_of "$imaps" outside@example.test "$tok2")" '^[0-9]+$' \
	"it lands in outside@example.test's INBOX"
is "$(imap "$imaps/INBOX" support@example.test \
	-X "UID SEARCH SUBJECT $tok2" | tr -d '\r')" "* SEARCH" \
	"and not in support's (an empty search result)"
like "$(grep "orig_to=<x$tok2@gmail.com>" "$MAILSTACK_DIR/log/postfix.log")" \
	"to=<outside@example.test>, orig_to=<x$tok2@gmail.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$MAILSTACK_LMTP_PORT,.*status=sent" \
	"Postfix delivered it to Dovecot's LMTP, nowhere else"

tok3=$(token)
send customer3@example.test "nobody$tok3@example.test" "$tok3"
is "$?" 24 "swaks fails at RCPT for an unknown example.test user (24)"
like "$(cat "$TEST_TMP/$tok3.swaks")" \
	"<\*\* +550 5\.1\.1 <nobody$tok3@example.test>: Recipient address rejected: User unknown" \
	"Postfix refuses it with 550 5.1.1 User unknown"

# --- submission and SMTPS ----------------------------------------------------
# Python's smtplib, verifying strictly (as Python 3.13 does by default).
# It is given a HELO name: finding the machine's own would ask DNS.
"$PY" - "$MAILSTACK_SUBMISSION_PORT" "$MAILSTACK_SMTPS_PORT" "$MAILSTACK_CA" \
	>"$TEST_TMP/submission.out" 2>&1 <<'EOF'
import base64, smtplib, ssl, sys
sub, smtps, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.verify_flags |= ssl.VERIFY_X509_STRICT
def plain(user, password):
    return "PLAIN " + base64.b64encode(
        ("\0%s\0%s" % (user, password)).encode()).decode()
s = smtplib.SMTP("127.0.0.1", sub, "localhost", timeout=10)
s.ehlo()
print("plain-auth-offered", s.has_extn("auth"))
print("plain-auth", s.docmd("AUTH", plain("support@example.test", "secret"))[0])
s.starttls(context=ctx)
s.ehlo()
print("tls-auth-offered", s.has_extn("auth"))
s.docmd("MAIL", "FROM:<support@example.test>")
print("tls-noauth-rcpt", s.docmd("RCPT", "TO:<customer4@example.test>")[0])
s.docmd("RSET")
print("tls-bad-auth", s.docmd("AUTH", plain("support@example.test", "wrong"))[0])
print("tls-auth", s.docmd("AUTH", plain("support@example.test", "secret"))[0])
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", smtps, "localhost", timeout=10,
                     context=ctx)
s.ehlo()
print("smtps-auth", s.docmd("AUTH", plain("agent1@example.test", "secret"))[0])
s.quit()
EOF
sub=$(cat "$TEST_TMP/submission.out")
like "$sub" '^plain-auth-offered False$' \
	"submission offers no AUTH before STARTTLS"
like "$sub" '^plain-auth 530$' "and refuses AUTH before STARTTLS (530)"
like "$sub" '^tls-auth-offered True$' "it offers AUTH after STARTTLS"
like "$sub" '^tls-noauth-rcpt 554$' \
	"it refuses mail without AUTH even over TLS (554)"
like "$sub" '^tls-bad-auth 535$' "it refuses a wrong password (535)"
like "$sub" '^tls-auth 235$' "it accepts support@example.test:secret (235)"
like "$sub" '^smtps-auth 235$' "SMTPS (implicit TLS) accepts AUTH (235)"

# --- a certificate for the wrong name (this stack keeps it) ----------------
old=$(cat "$MAILSTACK_DIR/pid/dovecot")
ok "Dovecot restarts serving a certificate for the wrong name" \
	quiet env MAILSTACK_CERT=wrong-name "$MS" restart-dovecot "$MAILSTACK_DIR"
ok "its new master is recorded" \
	test "$(cat "$MAILSTACK_DIR/pid/dovecot")" != "$old"
imap "$imaps/INBOX" support@example.test -X NOOP >/dev/null \
	2>"$TEST_TMP/wrongname.log"
is "$?" 60 "IMAPS fails on the wrong name although the CA is right"
like "$(cat "$TEST_TMP/wrongname.log")" "subject name|does not match" \
	"and curl says the name does not match"
ok "the same server verifies when asked for wrong.example.test" \
	imap "imaps://wrong.example.test:$MAILSTACK_IMAPS_PORT/INBOX" \
	support@example.test -X NOOP \
	--resolve "wrong.example.test:$MAILSTACK_IMAPS_PORT:127.0.0.1"

# --- start again, stop -------------------------------------------------------
pids=$(cat "$MAILSTACK_DIR/pid/dovecot" "$MAILSTACK_DIR/pid/postfix")
like "$("$MS" start "$MAILSTACK_DIR")" "already running" \
	"start on a running stack says so"
is "$(cat "$MAILSTACK_DIR/pid/dovecot" "$MAILSTACK_DIR/pid/postfix")" "$pids" \
	"and starts nothing"
t0=$(now_ms)
ok "stop succeeds" quiet "$MS" stop "$MAILSTACK_DIR"
diag "stop: $(elapsed "$t0") s"
ok "no process of the stack is left, and its ports are free" \
	stack_gone "$MAILSTACK_DIR"
"$MS" status "$MAILSTACK_DIR" >/dev/null
is "$?" 3 "status says stopped (3)"
ok "stopping a stopped stack is fine" quiet "$MS" stop "$MAILSTACK_DIR"

# A second stack, in a fresh directory (lib.sh's cleanup stops it), and
# with MAILSTACK_STRICT_MX=1: its port BASE+25 acts as a public MX.
MAILSTACK_DIR=$TEST_TMP/ms2
t0=$(now_ms)
ok "a second start, in a fresh directory, works" \
	quiet env MAILSTACK_STRICT_MX=1 "$MS" start "$MAILSTACK_DIR"
diag "second start: $(elapsed "$t0") s"
eval "$("$MS" env "$MAILSTACK_DIR")"
is "$(imap "imaps://127.0.0.1:$MAILSTACK_IMAPS_PORT/INBOX" \
	agent2@example.test -X 'UID SEARCH ALL' | tr -d '\r')" "* SEARCH" \
	"its IMAPS serves agent2's empty INBOX"
tok4=$(token)
send customer1@example.test "y$tok4@gmail.com" "$tok4"
is "$?" 24 "a strict MX does not relay for 127.0.0.1 without AUTH"
like "$(cat "$TEST_TMP/$tok4.swaks")" '<\*\* +554 5\.7\.1 .*Relay access denied' \
	"it says 554 Relay access denied"
tok5=$(token)
ok "it still takes mail for example.test" \
	send "y$tok5@gmail.com" agent2@example.test "$tok5"
ok "the queue empties" "$MS" wait-queue "$MAILSTACK_DIR" 20
like "$(uid_of "imaps://127.0.0.1:$MAILSTACK_IMAPS_PORT" agent2@example.test \
	"$tok5")" '^[0-9]+$' "and delivers it"
ok "it stops" quiet "$MS" stop "$MAILSTACK_DIR"
ok "and leaves nothing behind" stack_gone "$MAILSTACK_DIR"
long=/tmp/$(printf '%070d' 0)
"$MS" start "$long" >/dev/null 2>"$TEST_TMP/long.err"
is "$?" 1 "start refuses a directory of more than 70 characters"
like "$(cat "$TEST_TMP/long.err")" "at most 70" "and says why"
ok "and creates nothing" test ! -e "$long"

done_testing
