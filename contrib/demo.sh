#!/bin/sh
# The demo: postdesk against a throwaway local mail stack (a real Dovecot
# and Postfix on loopback ports, under a temporary directory; needs root).
# A customer writes in Czech, another person Cc'd replies, a third mail
# arrives; postdesk fetches them over IMAPS with certificate verification,
# files them into tickets, and shows what it stored. Everything is
# stopped and removed at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pd=$top/postdesk
ms=$top/tests/mailstack/mailstack
[ -x "$pd" ] || { echo "demo: build postdesk first (make)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it starts Dovecot and Postfix)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/postdesk-demo.XXXXXX)
chmod 755 "$tmp"
trap '"$ms" stop "$tmp/ms" >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM

echo "== starting a throwaway Dovecot + Postfix under $tmp/ms"
"$ms" start "$tmp/ms" >"$tmp/ms.log" 2>&1 || { cat "$tmp/ms.log"; exit 1; }
eval "$("$ms" env "$tmp/ms")"

printf '%s\n' "$MAILSTACK_PASSWORD" >"$tmp/imap.pass"
chmod 600 "$tmp/imap.pass"
cat >"$tmp/postdesk.conf" <<CONF
database = "postdesk.db";
tag = "Support";
imap = { host = "127.0.0.1"; port = $MAILSTACK_IMAPS_PORT; tls = "implicit";
         ca_file = "$MAILSTACK_CA";
         user = "support@example.test"; password_file = "imap.pass"; };
queues = ( { name = "general"; } );
agents = ( { name = "Agent One"; email = "agent1@example.test"; } );
CONF
echo "== postdesk check-config"
"$pd" -c "$tmp/postdesk.conf" check-config

send() {	# send FROM FILE
	curl -sS "smtp://127.0.0.1:$MAILSTACK_SMTP_PORT" --mail-from "$1" \
		--mail-rcpt support@example.test --upload-file "$2"
}
cat >"$tmp/1.eml" <<'MAIL'
From: =?UTF-8?Q?Jana_Nov=C3=A1kov=C3=A1?= <customer1@example.test>
To: support@example.test
Cc: Petr Dvořák <customer2@example.test>
Subject: =?UTF-8?Q?Nefunguje_p=C5=99ihl=C3=A1=C5=A1en=C3=AD?=
Message-ID: <demo-1@example.test>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Dobrý den,

od včerejška se nemohu přihlásit do účtu. Můžete mi prosím pomoci?

Děkuji,
Jana Nováková
MAIL
cat >"$tmp/2.eml" <<'MAIL'
From: Petr Dvořák <customer2@example.test>
To: support@example.test
Subject: Re: Nefunguje přihlášení
Message-ID: <demo-2@example.test>
In-Reply-To: <demo-1@example.test>
References: <demo-1@example.test>
Content-Type: text/plain; charset=utf-8

Mně to také nejde.

Dne 22. 11. 2026 v 10:00 Jana Nováková napsala:
> Dobrý den,
> od včerejška se nemohu přihlásit do účtu.
MAIL
cat >"$tmp/3.eml" <<'MAIL'
From: Anna Kowalska <customer3@example.test>
To: support@example.test
Subject: Faktura za listopad
Message-ID: <demo-3@example.test>
Content-Type: text/plain; charset=utf-8

Dzień dobry, proszę o przesłanie faktury za listopad. Dziękuję.
MAIL
echo "== three customer mails through Postfix into support@example.test"
for i in 1 2 3; do send customer$i@example.test "$tmp/$i.eml"; done
"$ms" wait-queue "$tmp/ms" 30 >/dev/null

echo "== postdesk fetch --once"
"$pd" -c "$tmp/postdesk.conf" fetch --once
echo "== postdesk ticket list"
"$pd" -c "$tmp/postdesk.conf" ticket list
echo "== postdesk ticket show 1"
"$pd" -c "$tmp/postdesk.conf" ticket show 1
echo "== done: the mail stack is stopped and $tmp removed"
