#!/bin/sh
# The demo: postdesk's daemon against a throwaway local mail stack (a real
# Dovecot and Postfix on loopback ports, under a temporary directory; needs
# root), playing one support conversation through real mail:
#
#   1. a customer writes in Czech; postdesk opens a ticket, acknowledges
#      it at once in Czech and notifies the agent;
#   2. the agent answers the notification from "their mail client", with a
#      #resolve command; postdesk relays the answer to the customer under
#      the support address and resolves the ticket;
#   3. the customer gets the satisfaction survey and answers it with "5";
#
# then it prints the ticket, the mail each party received and the numbers
# (postdesk stats), and stops and removes everything.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pd=${POSTDESK:-$top/postdesk}	# POSTDESK=path: a binary built elsewhere
ms=$top/tests/mailstack/mailstack
[ -x "$pd" ] || { echo "demo: build postdesk first (make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it starts Dovecot and Postfix)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/postdesk-demo.XXXXXX)
chmod 755 "$tmp"
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	"$ms" stop "$tmp/ms" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step() { printf '\n== %s\n' "$*"; }

step "starting a throwaway Dovecot + Postfix under $tmp/ms"
"$ms" start "$tmp/ms" >"$tmp/ms.log" 2>&1 || { cat "$tmp/ms.log"; exit 1; }
eval "$("$ms" env "$tmp/ms")"
dove() { doveadm -c "$MAILSTACK_DOVECOT_CONF" "$@" 2>/dev/null; }

printf '%s\n' "$MAILSTACK_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/secret"
chmod 600 "$tmp/secret"
cat >"$tmp/postdesk.conf" <<CONF
# The demo's configuration: one IMAPS mailbox, SMTP submission with
# STARTTLS, both verified against the stack's throwaway CA.
database = "postdesk.db";
tag = "Support";
secret_file = "secret";
imap = { host = "127.0.0.1"; port = $MAILSTACK_IMAPS_PORT; tls = "implicit";
         ca_file = "$MAILSTACK_CA";
         user = "support@example.test"; password_file = "imap.pass"; };
smtp = { url = "smtp://127.0.0.1:$MAILSTACK_SUBMISSION_PORT"; tls = "starttls";
         ca_file = "$MAILSTACK_CA";
         user = "support@example.test"; password_file = "imap.pass";
         from = "Example Support <support@example.test>"; };
templates = { dir = "$top/conf/templates"; default_language = "en"; };
business_hours = { timezone = "Europe/Prague"; days = "Mon-Fri"; hours = "08:00-17:00"; };
# survey_delay: the satisfaction survey goes 2 s after the ticket is
# resolved (the default is a day, so that the customer could try first).
queues = ( { name = "general"; sla = { first_response = "4h"; resolution = "2d"; };
             survey_delay = "2s"; } );
agents = ( { name = "Eva Agentová"; email = "agent1@example.test"; } );
CONF
step "postdesk check-config"
"$pd" -c "$tmp/postdesk.conf" check-config

step "postdesk daemon (in the background; its log is printed at the end)"
"$pd" -c "$tmp/postdesk.conf" daemon 2>"$tmp/daemon.log" &
daemon_pid=$!

send() {	# send FROM FILE: through Postfix, as an outside sender would
	curl -sS --max-time 20 "smtp://127.0.0.1:$MAILSTACK_SMTP_PORT" --mail-from "$1" \
		--mail-rcpt support@example.test --upload-file "$2"
	"$ms" wait-queue "$tmp/ms" 30 >/dev/null
}
count() { dove search -u "$1@example.test" mailbox INBOX ALL | wc -l | tr -d ' '; }
wait_for() {	# wait_for USER N: until USER has N messages (the daemon works)
	i=0
	while [ "$(count "$1")" -lt "$2" ]; do
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			echo "demo: $1 did not receive mail $2 in 30 s; the daemon's log:" >&2
			cat "$tmp/daemon.log" >&2
			exit 1
		fi
		kill -USR1 "$daemon_pid" 2>/dev/null || true
		sleep 0.2
	done
	"$ms" wait-queue "$tmp/ms" 30 >/dev/null
}
nth() {	# nth USER N: the Nth message of USER as postdesk inspect --json
	dove search -u "$1@example.test" mailbox INBOX ALL | sed -n "$2p" | {
		read -r guid uid
		dove fetch -u "$1@example.test" text mailbox-guid "$guid" uid "$uid" |
			sed '1{/^text:$/d;s/^text://;}' | "$pd" inspect --json -
	}
}
show() {	# show USER N: the Nth message as a mail client would show it
	nth "$1" "$2" | python3 -c '
import json, sys
j = json.load(sys.stdin)
f = j["from"] or {}
print("  From:    %s <%s>" % (f.get("name") or "", f.get("addr") or ""))
print("  Subject: %s" % j["subject"])
for line in j["text"].rstrip().split("\n"):
    print("  | " + line)'
}
field() { nth "$1" "$2" | python3 -c "import json,sys; j=json.load(sys.stdin); print($3)"; }

step "1. Jana writes to support, in Czech"
cat >"$tmp/1.eml" <<'MAIL'
From: =?UTF-8?Q?Jana_Nov=C3=A1kov=C3=A1?= <customer1@example.test>
To: support@example.test
Subject: =?UTF-8?Q?Nefunguje_p=C5=99ihl=C3=A1=C5=A1en=C3=AD?=
Message-ID: <demo-1@example.test>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Dobrý den,

od včerejška se nemohu přihlásit do svého účtu. Můžete mi prosím pomoci?

Děkuji,
Jana Nováková
MAIL
send customer1@example.test "$tmp/1.eml"
wait_for customer1 1
echo "Jana received the acknowledgement:"
show customer1 1
wait_for agent1 1
echo "The agent was notified:"
show agent1 1

step "2. The agent answers from their mail client, and resolves the ticket"
nid=$(field agent1 1 "j['message_id']")
nsubj=$(field agent1 1 "j['subject']")
cat >"$tmp/2.eml" <<MAIL
From: =?UTF-8?Q?Eva_Agentov=C3=A1?= <agent1@example.test>
To: support@example.test
Subject: Re: $nsubj
Message-ID: <demo-2@example.test>
In-Reply-To: $nid
References: $nid
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

#resolve
Dobrý den, paní Nováková,

heslo si můžete obnovit na https://example.test/reset. Kdyby to
nepomohlo, stačí odpovědět na tento e-mail.

Eva
MAIL
send agent1@example.test "$tmp/2.eml"
wait_for customer1 2
echo "Jana received the answer, from the support address:"
show customer1 2

step "3. Jana gets the satisfaction survey and answers it with a 5"
wait_for customer1 3
show customer1 3
sid=$(field customer1 3 "j['message_id']")
ssubj=$(field customer1 3 "j['subject']")
cat >"$tmp/3.eml" <<MAIL
From: =?UTF-8?Q?Jana_Nov=C3=A1kov=C3=A1?= <customer1@example.test>
To: support@example.test
Subject: Re: $ssubj
Message-ID: <demo-3@example.test>
In-Reply-To: $sid
References: <demo-1@example.test> $sid
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

5

Funguje to, děkuji!
MAIL
send customer1@example.test "$tmp/3.eml"
i=0
until [ "$(sqlite3 "$tmp/postdesk.db" 'SELECT satisfaction FROM tickets WHERE id = 1')" = 5 ]; do
	i=$((i + 1))
	[ $i -le 150 ] || { echo "demo: the rating was not recorded" >&2; cat "$tmp/daemon.log" >&2; exit 1; }
	kill -USR1 "$daemon_pid"
	sleep 0.2
done
echo "The rating is recorded: satisfaction 5, and the ticket stays resolved."

step "postdesk ticket show 1"
"$pd" -c "$tmp/postdesk.conf" ticket show 1

step "the mail each party received"
for u in customer1 agent1; do
	echo "$u@example.test: $(count $u) messages"
	n=1
	while [ $n -le "$(count $u)" ]; do
		field $u $n "'  %s  %s' % (j['date'], j['subject'])"
		n=$((n + 1))
	done
done

step "postdesk stats"
"$pd" -c "$tmp/postdesk.conf" stats

step "stopping the daemon (SIGTERM); its log:"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=
cat "$tmp/daemon.log"
step "done: the mail stack is stopped and $tmp removed"
