# t-syslog: log = "syslog" sends every line to syslog(3) with the ident
# postdesk, its pid, facility mail and the level's priority, and nothing
# to standard error. /dev/log is a listener of the test's own, in a
# private mount namespace (unshare -m) with a /dev of its own, so the
# machine's /dev is never touched.
. "$SRCDIR/tests/lib.sh"
CONF=$TEST_TMP/postdesk.conf
cat >"$CONF" <<CONF
database = "$TEST_TMP/postdesk.db";
log = "syslog";
queues = ( { name = "general"; } );
CONF
printf 'From: Ann <ann@example.test>\r\nTo: support@example.test\r\nSubject: Syslog\r\nMessage-ID: <sl1@example.test>\r\n\r\nHello.\r\n' >"$TEST_TMP/m.eml"

cat >"$TEST_TMP/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[2], "w").close()	# ready
out = open(sys.argv[1], "a")
s.settimeout(30)
while True:
    try:
        data = s.recv(8192)
    except socket.timeout:
        break
    out.write(data.decode("utf-8", "replace") + "\n")
    out.flush()
PY
cat >"$TEST_TMP/inner.sh" <<'SH'
set -e
T=$1
mkdir -p "$T/olddev"
mount --bind /dev "$T/olddev"
mount -t tmpfs -o mode=755 tmpfs /dev
for d in null zero random urandom full; do
	touch "/dev/$d"
	mount --bind "$T/olddev/$d" "/dev/$d"
done
ln -s /proc/self/fd /dev/fd
umount "$T/olddev"
set +e
python3 "$T/listen.py" "$T/syslog.out" "$T/ready" &
L=$!
i=0
while [ ! -e "$T/ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$POSTDESK" -c "$T/postdesk.conf" deliver --mailbox nosuch <"$T/m.eml" 2>"$T/deliver.err"
echo $? >"$T/deliver.rc"
"$POSTDESK" -c "$T/postdesk.conf" daemon 2>"$T/daemon.err" &
D=$!
sleep 1
kill -TERM $D
wait $D
echo $? >"$T/daemon.rc"
sleep 0.5
kill $L
SH
unshare -m --propagation private sh "$TEST_TMP/inner.sh" "$TEST_TMP"
is "$?" 0 "a private /dev/log could be set up"
LINES=$(cat "$TEST_TMP/syslog.out" 2>/dev/null)
diag "$(printf '%s\n' "$LINES" | head -n 3)"
is "$(cat "$TEST_TMP/deliver.rc")" 0 "deliver: stored"
is "$(cat "$TEST_TMP/deliver.err")" "" "deliver: nothing on standard error"
# <PRI> = facility mail (2) * 8 + severity: warning 4, info 6
like "$LINES" "^<20>.* postdesk\[[0-9]+\]: deliver: no mailbox or queue named nosuch" \
	"a warning: mail.warning, ident postdesk with the pid"
like "$LINES" "^<22>.* postdesk\[[0-9]+\]: thread: mailbox=nosuch uid=0 msgid=<sl1@example.test> ticket=1 " \
	"an info line: mail.info, with the message's keys"
is "$(cat "$TEST_TMP/daemon.rc")" 0 "daemon: stopped with 0"
is "$(cat "$TEST_TMP/daemon.err")" "" "daemon: nothing on standard error"
like "$LINES" "^<22>.* postdesk\[[0-9]+\]: daemon: started, 0 mailboxes" "daemon: its lines go to syslog"
like "$LINES" "^<22>.* postdesk\[[0-9]+\]: daemon: stopping" "... to the last"
done_testing
