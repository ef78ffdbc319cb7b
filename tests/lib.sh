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

done_testing() {
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
