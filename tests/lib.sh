# tests/lib.sh: helpers for integration tests (sourced). Output is TAP.
#
#   . "$SRCDIR/tests/lib.sh"
#   mailstack_start            # a private Dovecot+Postfix; stopped on exit
#   ok "what it shows" test ...   /  is "got" "want" "what it shows"
#   done_testing
set -u
: "${SRCDIR:?run through tests/run-tests or make check}"
: "${POSTDESK:?}"
tap_n=0
tap_failed=0
TEST_TMP=$(mktemp -d /tmp/pdt.XXXXXX)
chmod 755 "$TEST_TMP"
MAILSTACK_DIR=
cleanup() {
	if [ -n "$MAILSTACK_DIR" ]; then
		"$SRCDIR/tests/mailstack/mailstack" stop "$MAILSTACK_DIR" >/dev/null 2>&1
	fi
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# VALGRIND=1: every run of "$POSTDESK" in an integration test goes through
# valgrind's memcheck (its exit code left alone: tests check exit codes).
# Each process writes its report to $BUILDDIR/tests/logs/valgrind/TEST/PID;
# with -q a report holds only errors and definite or indirect leaks, so
# done_testing fails the test when any report is not empty. Runs killed
# with SIGKILL leave an empty report (no leak check at exit). PCRE2's JIT
# code is opaque to valgrind (false "uninitialised value" reports without
# a stack): the routing rules run on PCRE2's interpreter there instead.
VG_DIR=
if [ -n "${VALGRIND:-}" ]; then
	VG_DIR=${BUILDDIR:-$TEST_TMP}/tests/logs/valgrind/$(basename "$0" .sh)
	mkdir -p "$VG_DIR"
	rm -f "$VG_DIR"/*
	cat >"$TEST_TMP/postdesk-vg" <<EOF
#!/bin/sh
POSTDESK_NO_JIT=1 exec valgrind -q --vgdb=no --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-origins=yes \
	--log-file="$VG_DIR/%p" "$POSTDESK" "\$@"
EOF
	chmod 755 "$TEST_TMP/postdesk-vg"
	POSTDESK=$TEST_TMP/postdesk-vg
fi

ok() {
	desc=$1; shift
	tap_n=$((tap_n + 1))
	if "$@"; then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		tap_failed=$((tap_failed + 1))
	fi
}

# is GOT WANT DESC: string equality with a diagnostic.
is() {
	tap_n=$((tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		tap_failed=$((tap_failed + 1))
	fi
}

# like TEXT PATTERN DESC: grep -E match.
like() {
	tap_n=$((tap_n + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		echo "ok $tap_n - $3"
	else
		echo "not ok $tap_n - $3"
		echo "#   text: '$(printf '%s' "$1" | head -c 400)'"
		echo "#   does not match: '$2'"
		tap_failed=$((tap_failed + 1))
	fi
}

diag() { echo "# $*"; }

# vg PROGRAM ARGS...: run a test program (not postdesk) under valgrind when
# VALGRIND=1, with the same report directory; as is otherwise.
vg() {
	if [ -n "$VG_DIR" ]; then
		valgrind -q --vgdb=no --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect --track-origins=yes \
			--log-file="$VG_DIR/%p" "$@"
	else
		"$@"
	fi
}

# vg_check: for scripts that hand TAP over to a test program (t-imapc,
# t-smtpc): "not ok" and status 1 when a valgrind report is not empty.
vg_check() {
	[ -n "$VG_DIR" ] || return 0
	bad=$(find "$VG_DIR" -type f -size +0 | wc -l | tr -d ' ')
	if [ "$bad" -gt 0 ]; then
		echo "not ok - valgrind: $bad runs with errors or leaks (reports in $VG_DIR)"
		find "$VG_DIR" -type f -size +0 | head -n 3 | xargs cat | head -n 60 | sed 's/^/# /'
		return 1
	fi
	echo "# valgrind: no error, no leak"
}

done_testing() {
	if [ -n "$VG_DIR" ]; then
		bad=$(find "$VG_DIR" -type f -size +0 | wc -l | tr -d ' ')
		tap_n=$((tap_n + 1))
		if [ "$bad" -eq 0 ]; then
			echo "ok $tap_n - valgrind: no error, no leak in $(find "$VG_DIR" -type f | wc -l | tr -d ' ') runs of postdesk"
		else
			echo "not ok $tap_n - valgrind: $bad runs of postdesk with errors or leaks (reports in $VG_DIR)"
			find "$VG_DIR" -type f -size +0 | head -n 3 | xargs cat | head -n 60 | sed 's/^/# /'
			tap_failed=$((tap_failed + 1))
		fi
	fi
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# Start a private mail stack under $TEST_TMP/ms; sets MAILSTACK_* variables
# (see tests/mailstack/mailstack env).
mailstack_start() {
	MAILSTACK_DIR=$TEST_TMP/ms
	if ! "$SRCDIR/tests/mailstack/mailstack" start "$MAILSTACK_DIR" >"$TEST_TMP/mailstack.log" 2>&1; then
		echo "Bail out! mail stack did not start"
		sed 's/^/# /' "$TEST_TMP/mailstack.log"
		exit 1
	fi
	eval "$("$SRCDIR/tests/mailstack/mailstack" env "$MAILSTACK_DIR")"
}

# smtp_send FROM TO FILE: hand FILE (a whole message) to the stack's Postfix
# on its SMTP port, as an outside sender would. Waits for the queue to
# drain, so the mail is in Dovecot when this returns.
smtp_send() {
	curl -sS --max-time 20 "smtp://127.0.0.1:$MAILSTACK_SMTP_PORT" \
		--mail-from "$1" --mail-rcpt "$2" --upload-file "$3" \
		>"$TEST_TMP/smtp_send.out" 2>&1 || {
		sed 's/^/# smtp_send: /' "$TEST_TMP/smtp_send.out"
		return 1
	}
	"$SRCDIR/tests/mailstack/mailstack" wait-queue "$MAILSTACK_DIR" 30 >/dev/null
}

# mailbox_count USER MAILBOX: how many messages USER@example.test has there.
mailbox_count() {
	doveadm -c "$MAILSTACK_DOVECOT_CONF" search -u "$1" mailbox "$2" ALL 2>/dev/null |
		wc -l | tr -d ' '
}

# postdesk_config FILE [extra config lines]: a config for the stack's
# support mailbox over IMAPS with the stack's CA, its database and secrets
# beside FILE. Extra lines are appended (libconfig: a later key wins not;
# so give only keys not written here).
postdesk_config() {
	cfgdir=$(dirname "$1")
	# (defaults set apart: a '}' inside ${VAR:-...} would end it early)
	pd_queues='( { name = "general"; sla = { first_response = "4h"; }; } )'
	pd_agents='( { name = "Agent One"; email = "agent1@example.test"; } )'
	[ -n "${PD_QUEUES:-}" ] && pd_queues=$PD_QUEUES
	[ -n "${PD_AGENTS:-}" ] && pd_agents=$PD_AGENTS
	printf '%s\n' "$MAILSTACK_PASSWORD" >"$cfgdir/imap.pass"
	chmod 600 "$cfgdir/imap.pass"
	cat >"$1" <<CONF
database = "postdesk.db";
tag = "Support";
imap = {
	host = "127.0.0.1";
	port = ${PD_IMAP_PORT:-$MAILSTACK_IMAPS_PORT};
	tls = "${PD_IMAP_TLS:-implicit}";
	ca_file = "${PD_CA:-$MAILSTACK_CA}";
	user = "support@example.test";
	password_file = "imap.pass";
	processed = "Processed";
	mark = "${PD_MARK:-move}";
};
queues = $pd_queues;
agents = $pd_agents;
${PD_EXTRA:-}
CONF
	# PD_SMTP=1: send mail through the stack's submission port (STARTTLS,
	# AUTH as support@example.test), with the shipped templates.
	if [ -n "${PD_SMTP:-}" ]; then
		cat >>"$1" <<CONF
smtp = {
	url = "smtp://127.0.0.1:${PD_SMTP_PORT:-$MAILSTACK_SUBMISSION_PORT}";
	tls = "starttls";
	ca_file = "$MAILSTACK_CA";
	user = "support@example.test";
	password_file = "imap.pass";
	from = "Example Support <support@example.test>";
};
templates = { dir = "$SRCDIR/conf/templates"; default_language = "en"; };
CONF
	fi
}

# full_user USER: USER, with @example.test added when it has no domain.
full_user() {
	case $1 in *@*) echo "$1" ;; *) echo "$1@example.test" ;; esac
}

# mail_of USER: every message in USER's INBOX, as text.
mail_of() {
	doveadm -c "$MAILSTACK_DOVECOT_CONF" fetch -u "$(full_user "$1")" text mailbox INBOX ALL 2>/dev/null
}

# decoded_mail_of USER: the same, each message run through postdesk
# inspect (decoded subject, text), as JSON lines.
decoded_mail_of() {
	u=$(full_user "$1")
	doveadm -c "$MAILSTACK_DOVECOT_CONF" search -u "$u" mailbox INBOX ALL 2>/dev/null |
	while read -r guid uid; do
		doveadm -c "$MAILSTACK_DOVECOT_CONF" fetch -u "$u" text mailbox-guid "$guid" uid "$uid" 2>/dev/null |
			sed '1{/^text:$/d;s/^text://;}' | "$POSTDESK" inspect --json -
	done
}

# db SQL: run SQL on the test's postdesk database.
db() {
	sqlite3 "$TEST_TMP/postdesk.db" "$1"
}
