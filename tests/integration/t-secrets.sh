# t-secrets: no secret in any log at the most verbose level. A whole
# conversation (customer, acknowledgement, agent notification, the agent's
# answer, the customer's reply) runs with log_level = "debug", which
# writes the IMAP and SMTP protocol traces, through fetch --once and the
# daemon; a second mailbox logs in with an OAuth2 token (XOAUTH2, to a fake
# IMAP server on loopback, since Dovecot here has no OAuth2). Then every
# line of every log is searched for the IMAP/SMTP password, the OAuth2
# token and the HMAC secret, as they are and in the encodings they travel
# in (base64 of AUTH PLAIN, of XOAUTH2, of the bare value). None appears.
. "$SRCDIR/tests/lib.sh"
mailstack_start
MS=$SRCDIR/tests/mailstack/mailstack
DC="doveadm -c $MAILSTACK_DOVECOT_CONF"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
PASS=pw-$(rnd)
TOKEN=tok-$(rnd)
HMAC=hmac-$(rnd)
# support@example.test gets a password of its own (the stack's "secret" is
# a word that appears in logs for other reasons); Dovecot rereads the file.
sed -i "s/^support@example.test:{PLAIN}[^:]*:/support@example.test:{PLAIN}$PASS:/" "$MAILSTACK_DIR/dovecot/users"
MAILSTACK_PASSWORD=$PASS

# A fake IMAP server that takes XOAUTH2 in clear (tls = "none": only on
# loopback, for this test) and has an empty INBOX. It writes what it got.
"$PY" - "$TEST_TMP/fake.port" "$TEST_TMP/fake.got" <<'EOF' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(8)
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
got = open(sys.argv[2], 'ab')
CAPS = b'IMAP4rev1 AUTH=XOAUTH2 SASL-IR IDLE UIDPLUS MOVE'
def serve(c):
    c.settimeout(120)
    c.sendall(b'* OK [CAPABILITY ' + CAPS + b'] fake\r\n')
    buf = b''
    while True:
        try:
            d = c.recv(4096)
        except OSError:
            return
        if not d:
            return
        got.write(d); got.flush()
        buf += d
        while b'\r\n' in buf:
            line, buf = buf.split(b'\r\n', 1)
            parts = line.split(b' ')
            tag, cmd = parts[0], (parts[1].upper() if len(parts) > 1 else b'')
            if cmd == b'CAPABILITY':
                c.sendall(b'* CAPABILITY ' + CAPS + b'\r\n' + tag + b' OK done\r\n')
            elif cmd == b'AUTHENTICATE':
                c.sendall(b'* CAPABILITY ' + CAPS + b'\r\n' + tag + b' OK logged in\r\n')
            elif cmd in (b'SELECT', b'EXAMINE'):
                c.sendall(b'* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] v\r\n'
                          b'* OK [UIDNEXT 1] n\r\n' + tag + b' OK [READ-WRITE] done\r\n')
            elif cmd == b'UID':
                c.sendall(b'* SEARCH\r\n' + tag + b' OK done\r\n')
            elif cmd == b'LOGOUT':
                c.sendall(b'* BYE bye\r\n' + tag + b' OK done\r\n'); return
            elif cmd == b'IDLE':
                c.sendall(b'+ idling\r\n')
            elif line.upper() == b'DONE':
                c.sendall(b'x OK done\r\n')
            else:
                c.sendall(tag + b' OK done\r\n')
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
n=0
until [ -s "$TEST_TMP/fake.port" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done

CONF=$TEST_TMP/postdesk.conf
printf '%s\n' "$PASS" >"$TEST_TMP/support.pass"
printf '%s\n' "$TOKEN" >"$TEST_TMP/oauth.token"
printf '%s\n' "$HMAC" >"$TEST_TMP/hmac.secret"
chmod 600 "$TEST_TMP/support.pass" "$TEST_TMP/oauth.token" "$TEST_TMP/hmac.secret"
cat >"$CONF" <<CONF
database = "postdesk.db";
log_level = "debug";
secret_file = "hmac.secret";
imap = (
	{ name = "support"; host = "127.0.0.1"; port = $MAILSTACK_IMAPS_PORT; ca_file = "$MAILSTACK_CA";
	  user = "support@example.test"; password_file = "support.pass"; },
	{ name = "oauth"; host = "127.0.0.1"; port = $(cat "$TEST_TMP/fake.port"); tls = "none";
	  user = "support@example.test"; oauth2_token_file = "oauth.token"; }
);
smtp = {
	url = "smtp://127.0.0.1:$MAILSTACK_SUBMISSION_PORT";
	tls = "starttls";
	ca_file = "$MAILSTACK_CA";
	user = "support@example.test";
	password_file = "support.pass";
	from = "Example Support <support@example.test>";
};
agents = ( { name = "Agent One"; email = "agent1@example.test"; } );
queues = ( { name = "general"; sla = { first_response = "4h"; }; } );
templates = { dir = "$SRCDIR/conf/templates"; default_language = "en"; };
CONF
fetch() { "$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/log"; "$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null; }
first() { $DC fetch -u "$1" text mailbox INBOX uid 1 2>/dev/null | sed "1d"; }
json() { "$POSTDESK" inspect --json - | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# The conversation.
printf 'From: Jane <customer1@example.test>\r\nTo: support@example.test\r\nSubject: Password trouble\r\nMessage-ID: <s1@example.test>\r\n\r\nMy password does not work.\r\n' >"$TEST_TMP/m.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/m.eml"
fetch
is "$(mailbox_count customer1@example.test INBOX) $(mailbox_count agent1@example.test INBOX)" "1 1" \
	"the customer was acknowledged and the agent notified"
nid=$(first agent1@example.test | json "j['message_id']")
printf 'From: Agent One <agent1@example.test>\r\nTo: support@example.test\r\nSubject: Re: [Support #1] Password trouble\r\nMessage-ID: <s2@example.test>\r\nIn-Reply-To: %s\r\nReferences: %s\r\n\r\n#pending\r\nPlease try the reset link.\r\n' \
	"$nid" "$nid" >"$TEST_TMP/m.eml"
smtp_send agent1@example.test support@example.test "$TEST_TMP/m.eml"
# This round through the daemon, for its traces (IDLE, reconnects).
"$POSTDESK" -c "$CONF" daemon 2>>"$TEST_TMP/log" &
DPID=$!
n=0
until [ "$(mailbox_count customer1@example.test INBOX)" = 2 ] || [ $n -ge 200 ]; do sleep 0.1; n=$((n + 1)); done
is "$(mailbox_count customer1@example.test INBOX)" 2 "the daemon relayed the agent's answer"
rid=$($DC fetch -u customer1@example.test text mailbox INBOX uid 2 2>/dev/null | sed '1d' | json "j['message_id']")
printf 'From: Jane <customer1@example.test>\r\nTo: support@example.test\r\nSubject: Re: [Support #1] Password trouble\r\nMessage-ID: <s3@example.test>\r\nIn-Reply-To: %s\r\nReferences: <s1@example.test> %s\r\n\r\nThat worked.\r\n' \
	"$rid" "$rid" >"$TEST_TMP/m.eml"
smtp_send customer1@example.test support@example.test "$TEST_TMP/m.eml"
n=0
until [ "$(mailbox_count agent1@example.test INBOX)" = 2 ] || [ $n -ge 200 ]; do sleep 0.1; n=$((n + 1)); done
kill -TERM $DPID
wait $DPID
is "$(db "SELECT count(*) FROM messages WHERE direction = 'in'")" 3 "all three mails stored"
"$POSTDESK" -c "$CONF" outbox list >>"$TEST_TMP/log" 2>&1
"$POSTDESK" -c "$CONF" check-config >>"$TEST_TMP/log" 2>&1
"$POSTDESK" -c "$CONF" -d ticket show 1 >>"$TEST_TMP/log" 2>&1

# The logs are about something: both protocols traced, both logins done.
log=$(cat "$TEST_TMP/log")
like "$log" "debug: imap 127.0.0.1 C: .*UID" "the IMAP trace is in the log"
like "$log" "debug: smtp 127.0.0.1:[0-9]+ C: MAIL FROM" "the SMTP trace is in the log"
like "$log" "debug: imap 127.0.0.1 C: \\([0-9]+ bytes (of credentials|while logging in), not shown\\)" \
	"the IMAP login is in it, hidden"
like "$log" "debug: smtp 127.0.0.1:[0-9]+ C: AUTH PLAIN \\(credentials not shown\\)" "the SMTP login is in it, hidden"
like "$log" "logged in as support@example.test via XOAUTH2|imap 127.0.0.1:[0-9]+: logged in as support@example.test" \
	"the OAuth2 mailbox logged in"
ok "the fake server did receive the token (XOAUTH2)" grep -q "AUTHENTICATE XOAUTH2" "$TEST_TMP/fake.got"
diag "$(wc -l <"$TEST_TMP/log") log lines at debug level"

# The secrets, as they are and as they travel.
b64() { printf '%b' "$1" | base64 -w0; }
set -- "$PASS" "$TOKEN" "$HMAC" \
	"$(b64 "\\0support@example.test\\0$PASS")" "$(b64 "support@example.test\\0support@example.test\\0$PASS")" \
	"$(b64 "$PASS")" "$(b64 "$TOKEN")" "$(b64 "user=support@example.test\\001auth=Bearer $TOKEN\\001\\001")" \
	"$(b64 "$HMAC")"
for s in "$@"; do
	is "$(grep -c -F -- "$s" "$TEST_TMP/log")" 0 "no log line holds '$(printf '%s' "$s" | cut -c1-24)...'"
done
# And nothing on the fake server's side went into the log either (it
# saw the token base64-encoded in AUTHENTICATE).
tokline=$(grep -a "AUTHENTICATE XOAUTH2" "$TEST_TMP/fake.got" | head -n 1 | awk '{print $4}' | tr -d '\r')
ok "the XOAUTH2 line the server got holds the token" sh -c "printf '%s' '$tokline' | base64 -d 2>/dev/null | grep -q -- '$TOKEN'"
is "$(grep -c -F -- "$tokline" "$TEST_TMP/log")" 0 "the XOAUTH2 line itself is not in the log"
done_testing
