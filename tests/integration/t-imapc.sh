# t-imapc: postdesk's IMAP client (src/net/imapc.c) and certificate check
# (src/net/tlsverify.c) against the real Dovecot and Postfix of
# tests/mailstack. This script starts a stack and delivers four messages
# to support@example.test; the cases themselves are in
# tests/unit/test-imapc.c, whose TAP lines the runner counts.
. "$SRCDIR/tests/lib.sh"
MS=$SRCDIR/tests/mailstack/mailstack
prog=$BUILDDIR/tests/unit/test-imapc
if [ ! -x "$prog" ]; then
	echo "Bail out! $prog is not built (make check builds it)"
	exit 1
fi

mailstack_start
token() { echo "tok$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; }
toks=
for i in 1 2 3 4; do
	tok=$(token)
	if ! swaks --server 127.0.0.1 --port "$MAILSTACK_SMTP_PORT" \
		--from "customer$i@example.test" --to support@example.test \
		--header "Subject: imapc test $tok" --body "body of $tok" \
		>"$TEST_TMP/swaks.$i" 2>&1; then
		echo "Bail out! Postfix did not take message $i"
		sed 's/^/# /' "$TEST_TMP/swaks.$i"
		exit 1
	fi
	toks="$toks $tok"
done
if ! "$MS" wait-queue "$MAILSTACK_DIR" 20 >/dev/null; then
	echo "Bail out! Postfix's queue did not empty"
	exit 1
fi

start=$(date +%s)
IMAPC_TOKENS=$toks CMOCKA_MESSAGE_OUTPUT=TAP vg "$prog"
rc=$?
vg_check || rc=1
echo "# test-imapc took $(($(date +%s) - start)) s"
exit $rc
