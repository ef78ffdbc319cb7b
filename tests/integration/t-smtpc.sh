# t-smtpc: postdesk's SMTP client (src/net/smtpc.c) against the real
# Postfix (and Dovecot, for the mailboxes) of tests/mailstack. This script
# starts a stack; the cases are in tests/unit/test-smtpc.c, which checks
# delivery with doveadm and sessions in Postfix's log, and whose TAP lines
# the runner counts.
. "$SRCDIR/tests/lib.sh"
prog=$BUILDDIR/tests/unit/test-smtpc
if [ ! -x "$prog" ]; then
	echo "Bail out! $prog is not built (make check builds it)"
	exit 1
fi

mailstack_start
start=$(date +%s)
CMOCKA_MESSAGE_OUTPUT=TAP vg "$prog"
rc=$?
vg_check || rc=1
echo "# test-smtpc took $(($(date +%s) - start)) s"
exit $rc
