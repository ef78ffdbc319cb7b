# t-unit: the systemd unit and the sysusers.d file. systemd-analyze (the
# Debian package systemd, which contrib/install-deps.sh installs) must
# be there: without it this test fails rather than pass unchecked.
# - verify: the unit as "make install" writes it (ExecStart= pointing at
#   the binary under test), with its Documentation= man pages found;
# - security --offline: the exposure score must be 2.0 ("OK") or better;
# - sysusers: the file makes the user and group postdesk;
# - the directives the daemon relies on are there.
. "$SRCDIR/tests/lib.sh"
UNIT=$SRCDIR/contrib/postdesk.service
mkdir -p "$TEST_TMP/unit" "$TEST_TMP/man/man8" "$TEST_TMP/man/man5"
sed -e "s|/usr/bin/postdesk|$POSTDESK|" "$UNIT" >"$TEST_TMP/unit/postdesk.service"
cp "$SRCDIR/doc/postdesk.8" "$TEST_TMP/man/man8/"
cp "$SRCDIR/doc/postdesk.conf.5" "$TEST_TMP/man/man5/"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "not ok 1 - systemd-analyze is missing (apt-get install systemd; see contrib/install-deps.sh)"
	echo "1..1"
	exit 1
fi
if command -v man >/dev/null 2>&1; then
	manopt=--man=yes
else
	manopt=--man=no
	diag "man(1) is missing: Documentation= not checked (t-man checks the pages)"
fi
MANPATH=$TEST_TMP/man systemd-analyze verify $manopt "$TEST_TMP/unit/postdesk.service" \
	>"$TEST_TMP/verify.out" 2>&1
rc=$?
sed 's/^/# /' "$TEST_TMP/verify.out"
is "$rc" 0 "systemd-analyze verify passes"
is "$(cat "$TEST_TMP/verify.out")" "" "... without a warning"

systemd-analyze security --offline=true "$TEST_TMP/unit/postdesk.service" >"$TEST_TMP/sec.out" 2>&1
score=$(sed -n 's/.*Overall exposure level for postdesk.service: \([0-9.]*\) .*/\1/p' "$TEST_TMP/sec.out")
diag "systemd-analyze security --offline=true: $(grep 'Overall exposure' "$TEST_TMP/sec.out")"
grep '^✗' "$TEST_TMP/sec.out" | sed 's/  */ /g; s/^/# /'
ok "the exposure score was read" test -n "$score"
# --threshold is in tenths: 20 = 2.0; the exit status says whether it is over.
systemd-analyze security --offline=true --threshold=20 "$TEST_TMP/unit/postdesk.service" \
	>/dev/null 2>&1
is "$?" 0 "exposure 2.0 or better (\"OK\"): $score"
like "$score" '^(0\.[0-9]|1\.[0-9]|2\.0)$' "the score itself reads 2.0 or less"

mkdir -p "$TEST_TMP/root/etc"
systemd-sysusers --root="$TEST_TMP/root" "$SRCDIR/contrib/sysusers.d/postdesk.conf" >/dev/null 2>&1
is "$?" 0 "systemd-sysusers accepts the sysusers.d file"
like "$(cat "$TEST_TMP/root/etc/passwd" 2>/dev/null)" '^postdesk:x:[0-9]+:[0-9]+:.*:/var/lib/postdesk:' \
	"... and makes the user postdesk"
like "$(cat "$TEST_TMP/root/etc/group" 2>/dev/null)" '^postdesk:x:[0-9]+:' "... and its group"

u=$(cat "$UNIT")
for d in 'Type=notify' 'User=postdesk' 'StateDirectory=postdesk' 'ConfigurationDirectory=postdesk' \
	'LoadCredential=imap.pass:' 'ExecReload=kill -HUP \$MAINPID' 'WatchdogSec=' \
	'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'PrivateDevices=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'CapabilityBoundingSet=$' 'SystemCallFilter=@system-service' 'MemoryDenyWriteExecute=yes'; do
	like "$u" "^$d" "the unit has $d"
done
done_testing
