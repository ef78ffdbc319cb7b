# t-fault-net: the mail servers fail under postdesk, for real:
#   - Dovecot is stopped in the middle of a fetch (fetch --once, then the
#     daemon): nothing is in Processed that is not stored (read from the
#     Maildir on disk while Dovecot is down), and after the restart
#     everything is stored exactly once;
#   - Postfix is down for a while (runs "later" through faketime): the
#     mail waits in the outbox, is retried on its schedule, and goes out
#     once, when Postfix is back;
#   - the servers present an expired certificate: fetch exits 75 and says
#     "expired on ..."; the outbox defers with the same reason;
#   - an IMAP server that does not offer STARTTLS (a fake on loopback):
#     refused, and the password never sent;
#   - a missing password file: at start, a clear error and exit 78; while
#     the daemon runs, that mailbox retries with the reason in the log and
#     the other mailbox keeps working.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
PD_SMTP=1 postdesk_config "$CONF"
MS=$SRCDIR/tests/mailstack/mailstack
DC="doveadm -c $MAILSTACK_DOVECOT_CONF"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
MAILDIR=$MAILSTACK_DIR/mail/example.test/support/Maildir
# faketime under ASan: libfaketime must come before libasan, which ASan
# refuses unless told not to check.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# import FIRST N: N messages <fN@example.test> ... into support's INBOX at once.
import() {
	mkdir -p "$TEST_TMP/imp"
	rm -f "$TEST_TMP/imp/INBOX"
	"$PY" - "$TEST_TMP/imp/INBOX" "$1" "$2" <<'EOF'
import sys
path, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, 'w') as f:
    for i in range(first, first + n):
        f.write('From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n'
                'From: customer%d@example.test\nTo: support@example.test\n'
                'Subject: Fault %d\nMessage-ID: <f%d@example.test>\n'
                'Date: Mon, 23 Nov 2026 10:00:00 +0000\n\n%s\n\n'
                % (i % 5 + 1, i, i, ('Line %d of a message.\n' % i) * 40))
EOF
	chmod -R a+rwX "$TEST_TMP/imp"
	$DC import -u support@example.test "mbox:$TEST_TMP/imp:INBOX=$TEST_TMP/imp/INBOX" "" ALL
}
stored() { db "SELECT count(DISTINCT message_id) FROM messages WHERE message_id LIKE 'f%@example.test'"; }
# wait_for SECONDS 'SHELL CONDITION': poll until the condition holds.
wait_for() {
	n=0
	while [ $n -lt $(($1 * 10)) ]; do
		sh -c "$2" 2>/dev/null && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
# daemon_start CONF LOG: start the daemon, and wait until it has set up its
# signals (a SIGUSR1 before that would end it), into DPID.
daemon_start() {
	"$POSTDESK" -c "$1" daemon 2>"$2" &
	DPID=$!
	wait_for 60 "grep -q 'daemon: started' '$2'"
}
# on_disk FOLDER: the Message-IDs of the messages in a Maildir folder
# ("" = INBOX), read from the files, with Dovecot up or down.
on_disk() {
	d=$MAILDIR${1:+/.$1}
	cat "$d"/cur/* "$d"/new/* 2>/dev/null | grep -i '^Message-ID:' | sed 's/.*<//; s/>.*//' | sort
}
# processed_not_stored: Message-IDs in Processed that the database lacks.
processed_not_stored() {
	on_disk Processed >"$TEST_TMP/proc.ids"
	db "SELECT message_id FROM messages WHERE direction = 'in'" | sort >"$TEST_TMP/db.ids"
	comm -23 "$TEST_TMP/proc.ids" "$TEST_TMP/db.ids" | wc -l | tr -d ' '
}

# --- Dovecot stops in the middle of fetch --once ----------------------------------
"$POSTDESK" -c "$CONF" fetch --once 2>/dev/null	# the database, the Processed folder
import 0 400
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch1.log" &
pid=$!
ok "fetch --once: under way (20 messages stored)" wait_for 30 "[ \"\$(sqlite3 '$TEST_TMP/postdesk.db' \"SELECT count(*) FROM messages WHERE message_id LIKE 'f%'\" 2>/dev/null || echo 0)\" -ge 20 ]"
"$MS" stop-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
wait $pid
rc=$?
is "$rc" 75 "fetch --once: Dovecot gone mid-fetch: exit 75"
like "$(cat "$TEST_TMP/fetch1.log")" "error: fetch: mailbox=support@example.test@127.0.0.1/INBOX: " \
	"fetch --once: the failure is in the log"
diag "stopped after $(stored) of 400 stored; on disk: $(on_disk | wc -l) in INBOX, $(on_disk Processed | wc -l) in Processed"
is "$(processed_not_stored)" 0 "fetch --once: nothing is in Processed that is not stored"
ok "fetch --once: the run was really cut short" test "$(stored)" -lt 400
"$MS" start-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
"$POSTDESK" -c "$CONF" fetch --once 2>>"$TEST_TMP/fetch1.log"
is "$?" 0 "fetch --once after the restart: exit 0"
is "$(stored)" 400 "fetch --once: all 400 stored"
is "$(db "SELECT count(*) FROM messages WHERE message_id LIKE 'f%@example.test'")" 400 "fetch --once: none twice"
is "$(mailbox_count support@example.test INBOX)" 0 "fetch --once: INBOX empty"
is "$(on_disk Processed | uniq | wc -l | tr -d ' ')" 400 "fetch --once: the 400 are in Processed"

# --- ... and under the daemon -------------------------------------------------------
daemon_start "$CONF" "$TEST_TMP/daemon.log"
import 400 400
ok "daemon: under way (20 more stored)" wait_for 30 "[ \"\$(sqlite3 '$TEST_TMP/postdesk.db' \"SELECT count(*) FROM messages WHERE message_id LIKE 'f%'\" 2>/dev/null || echo 0)\" -ge 420 ]"
"$MS" stop-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
sleep 1
diag "daemon: stopped after $(($(stored) - 400)) of 400 stored"
is "$(processed_not_stored)" 0 "daemon: nothing is in Processed that is not stored"
"$MS" start-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
kill -USR1 $DPID
ok "daemon: after the restart all 800 are stored" wait_for 60 "[ \"\$(sqlite3 '$TEST_TMP/postdesk.db' \"SELECT count(DISTINCT message_id) FROM messages WHERE message_id LIKE 'f%'\")\" = 800 ]"
ok "daemon: and INBOX is emptied" wait_for 20 "[ \"\$(doveadm -c '$MAILSTACK_DOVECOT_CONF' search -u support@example.test mailbox INBOX ALL | wc -l)\" = 0 ]"
is "$(db "SELECT count(*) FROM messages WHERE message_id LIKE 'f%@example.test'")" 800 "daemon: none twice"
like "$(cat "$TEST_TMP/daemon.log")" "retrying in [0-9]+ s|reconnecting" "daemon: the outage is in the log"
kill -TERM $DPID
wait $DPID
is "$?" 0 "daemon: stops cleanly afterwards"

# --- Postfix down for a while ------------------------------------------------------------
# What the 800 called for: some of it was deferred while Dovecot (Postfix's
# SASL) was down; an hour later everything has gone.
faketime -f +3600 "$POSTDESK" -c "$CONF" fetch --once 2>/dev/null
"$MS" wait-queue "$MAILSTACK_DIR" 60 >/dev/null
is "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" 0 "after both outages the outbox is all sent"
# Senders of their own (the 800 used up customer1-5's ack_limit); their
# mail lands in outside@example.test.
for c in late1 late2 late3; do
	printf 'From: %s@example.net\r\nTo: support@example.test\r\nSubject: While Postfix is down\r\nMessage-ID: <pf-%s@example.test>\r\n\r\nHello?\r\n' \
		$c $c >"$TEST_TMP/pf.eml"
	$DC save -u support@example.test -m INBOX <"$TEST_TMP/pf.eml"
done
acks() { $DC search -u outside@example.test mailbox INBOX header To late 2>/dev/null | wc -l | tr -d ' '; }
"$MS" stop-postfix "$MAILSTACK_DIR" >/dev/null 2>&1
pending="SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message WHERE m.ticket_id IN
	(SELECT ticket_id FROM messages WHERE message_id LIKE 'pf-%') AND o.state = 'pending'"
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/pf.log"
is "$?" 0 "Postfix down: fetch stores the mail all the same (exit 0)"
is "$(db "$pending")" 6 "Postfix down: 3 acknowledgements and 3 notifications wait in the outbox"
like "$(cat "$TEST_TMP/pf.log")" "deferred, next try in 60 s: cannot connect to 127.0.0.1:[0-9]+: Connection refused" \
	"Postfix down: the log says why and when it tries again"
# A run 90 s later: the rows are due, Postfix is still down.
faketime -f +90 "$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/pf2.log"
is "$(db "$pending AND o.attempts = 2")" 6 "Postfix down: retried on schedule (second attempt after 60 s)"
like "$(cat "$TEST_TMP/pf2.log")" "next try in 120 s" "Postfix down: the next wait doubles"
"$MS" start-postfix "$MAILSTACK_DIR" >/dev/null 2>&1
# Back, but the next try is not due yet: nothing goes out early.
faketime -f +150 "$POSTDESK" -c "$CONF" fetch --once 2>/dev/null
is "$(db "$pending")" 6 "Postfix back: nothing is sent before its time"
faketime -f +240 "$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/pf3.log"
"$MS" wait-queue "$MAILSTACK_DIR" 30 >/dev/null
is "$(db "$pending")" 0 "Postfix back: the outbox is sent at the next try"
is "$(acks)" 3 "Postfix back: each of the three got one acknowledgement, not more"
is "$(db "SELECT count(*) FROM outbox WHERE state <> 'sent'")" 0 "Postfix back: nothing lost, nothing failed"

# --- expired certificates ------------------------------------------------------------------
printf 'From: customer4@example.test\r\nTo: support@example.test\r\nSubject: Expired\r\nMessage-ID: <exp@example.test>\r\n\r\nHi.\r\n' |
	$DC save -u support@example.test -m INBOX
MAILSTACK_CERT=expired "$MS" restart-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/exp.log"
is "$?" 75 "expired IMAP certificate: fetch exits 75"
like "$(cat "$TEST_TMP/exp.log")" "certificate for 127.0.0.1 is not trusted \\(expired on [0-9-]+ [0-9:]+ UTC" \
	"expired IMAP certificate: the log says it expired, and when"
"$MS" restart-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
is "$(mailbox_count support@example.test INBOX)" 1 "expired IMAP certificate: the mail waits in INBOX"
MAILSTACK_CERT=expired "$MS" restart-postfix "$MAILSTACK_DIR" >/dev/null 2>&1
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/exp2.log"
is "$(db "SELECT count(*) FROM messages WHERE message_id = 'exp@example.test'")" 1 "expired SMTP certificate: the mail is stored"
like "$(db "SELECT group_concat(last_error) FROM outbox WHERE state = 'pending'")" \
	"not accepted: certificate for 127.0.0.1 is not trusted \\(expired on " \
	"expired SMTP certificate: the outbox defers, saying it expired"
"$MS" restart-postfix "$MAILSTACK_DIR" >/dev/null 2>&1

# --- an IMAP server without STARTTLS ------------------------------------------------------
"$PY" - "$TEST_TMP/fake.port" "$TEST_TMP/fake.got" <<'EOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(1)
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
s.settimeout(30)
c, _ = s.accept(); c.settimeout(10)
got = open(sys.argv[2], 'wb')
c.sendall(b'* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN] fake server ready\r\n')
buf = b''
try:
    while True:
        d = c.recv(4096)
        if not d:
            break
        got.write(d); got.flush()
        buf += d
        while b'\r\n' in buf:
            line, buf = buf.split(b'\r\n', 1)
            tag = line.split(b' ', 1)[0]
            if b'CAPABILITY' in line.upper():
                c.sendall(b'* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN\r\n' + tag + b' OK done\r\n')
            else:
                c.sendall(tag + b' OK whatever\r\n')
except socket.timeout:
    pass
EOF
FAKE=$!
wait_for 10 "[ -s '$TEST_TMP/fake.port' ]"
mkdir -p "$TEST_TMP/st"
PD_IMAP_TLS=starttls PD_IMAP_PORT=$(cat "$TEST_TMP/fake.port") postdesk_config "$TEST_TMP/st/postdesk.conf"
"$POSTDESK" -c "$TEST_TMP/st/postdesk.conf" fetch --once 2>"$TEST_TMP/st.log"
is "$?" 75 "no STARTTLS: fetch exits 75"
like "$(cat "$TEST_TMP/st.log")" "does not offer STARTTLS" "no STARTTLS: the log says so"
kill $FAKE 2>/dev/null
wait $FAKE 2>/dev/null
ok "no STARTTLS: neither LOGIN nor AUTHENTICATE reached the server" \
	sh -c "! grep -Eiq 'LOGIN|AUTHENTICATE|$MAILSTACK_PASSWORD' '$TEST_TMP/fake.got'"

# --- a missing password file ----------------------------------------------------------------
mkdir -p "$TEST_TMP/pw"
PCONF=$TEST_TMP/pw/postdesk.conf
printf '%s\n' "$MAILSTACK_PASSWORD" >"$TEST_TMP/pw/support.pass"
chmod 600 "$TEST_TMP/pw/support.pass"
cat >"$PCONF" <<CONF
database = "postdesk.db";
imap = (
	{ name = "support"; host = "127.0.0.1"; port = $MAILSTACK_IMAPS_PORT; ca_file = "$MAILSTACK_CA";
	  user = "support@example.test"; password_file = "support.pass"; },
	{ name = "billing"; host = "127.0.0.1"; port = $MAILSTACK_IMAPS_PORT; ca_file = "$MAILSTACK_CA";
	  user = "customer5@example.test"; password_file = "billing.pass"; }
);
CONF
out=$("$POSTDESK" -c "$PCONF" check-config 2>&1)
is "$?" 78 "missing password file at start: check-config exits 78"
like "$out" "postdesk.conf:[0-9]+: imap\\[1\\]\\.password_file: .*billing\\.pass" "missing password file at start: the error names the key and the file"
"$POSTDESK" -c "$PCONF" daemon 2>"$TEST_TMP/pw/start.log"
is "$?" 78 "missing password file at start: the daemon refuses to start (78)"
cp "$TEST_TMP/pw/support.pass" "$TEST_TMP/pw/billing.pass"
pw_stored() { sqlite3 "$TEST_TMP/pw/postdesk.db" "SELECT count(*) FROM messages WHERE message_id = '$1'" 2>/dev/null; }
daemon_start "$PCONF" "$TEST_TMP/pw/daemon.log"
for box in support customer5; do
	printf 'From: customer1@example.test\r\nTo: %s@example.test\r\nSubject: to %s\r\nMessage-ID: <pw1-%s@example.test>\r\n\r\nHi.\r\n' \
		$box $box $box | $DC save -u $box@example.test -m INBOX
done
kill -USR1 $DPID
r=0
wait_for 20 "[ \"\$(sqlite3 '$TEST_TMP/pw/postdesk.db' \"SELECT count(*) FROM messages WHERE message_id LIKE 'pw1-%'\" 2>/dev/null)\" = 2 ]" || {
	r=1
	sed 's/^/# /' "$TEST_TMP/pw/daemon.log"
}
is "$r" 0 "password file back: both mailboxes work"
# The file goes away while the daemon runs; a Dovecot restart makes it log in again.
rm "$TEST_TMP/pw/billing.pass"
"$MS" restart-dovecot "$MAILSTACK_DIR" >/dev/null 2>&1
for box in support customer5; do
	printf 'From: customer1@example.test\r\nTo: %s@example.test\r\nSubject: to %s\r\nMessage-ID: <pw2-%s@example.test>\r\n\r\nHi.\r\n' \
		$box $box $box | $DC save -u $box@example.test -m INBOX
done
kill -USR1 $DPID
ok "password file gone: the other mailbox keeps working" wait_for 20 "[ \"\$(sqlite3 '$TEST_TMP/pw/postdesk.db' \"SELECT count(*) FROM messages WHERE message_id = 'pw2-support@example.test'\")\" = 1 ]"
ok "password file gone: the log names the mailbox and the file" \
	wait_for 10 "grep -Eq 'fetch: mailbox=billing: .*billing\\.pass.*retrying in' '$TEST_TMP/pw/daemon.log'"
is "$(pw_stored pw2-customer5@example.test)" 0 "password file gone: that mailbox's mail waits"
kill -0 $DPID 2>/dev/null
is "$?" 0 "password file gone: the daemon keeps running"
cp "$TEST_TMP/pw/support.pass" "$TEST_TMP/pw/billing.pass"
kill -USR1 $DPID
ok "password file back: the waiting mail is stored" wait_for 20 "[ \"\$(sqlite3 '$TEST_TMP/pw/postdesk.db' \"SELECT count(*) FROM messages WHERE message_id = 'pw2-customer5@example.test'\")\" = 1 ]"
kill -TERM $DPID
wait $DPID
done_testing
