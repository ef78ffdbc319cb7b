#!/bin/sh
# t-check-config.sh: "postdesk check-config" with the real binary, and the
# command line's exit codes (sysexits). No mail servers are needed.
. "$SRCDIR/tests/lib.sh"
unset POSTDESK_CONFIG CREDENTIALS_DIRECTORY

# pd ARGS...: run postdesk; sets rc, out (stdout) and err (stderr).
pd() {
	"$POSTDESK" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
}

# pde NAME=VALUE ARGS...: pd with one more variable in its environment.
pde() {
	pde_var=$1
	shift
	env "$pde_var" "$POSTDESK" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
}

# The shipped example, with the two secret files it names next to it.
conf=$TEST_TMP/conf
mkdir "$conf"
cp "$SRCDIR/conf/postdesk.conf.example" "$conf/postdesk.conf"
cp -r "$SRCDIR/conf/templates" "$conf/templates"
printf 'imap-password\n' >"$conf/imap.pass"
printf 'c2VjcmV0LWtleS1mb3ItdGVzdHM=\n' >"$conf/secret"
chmod 600 "$conf/imap.pass" "$conf/secret"

pd -c "$conf/postdesk.conf" check-config
is "$rc" 0 "example config: exit 0"
is "$out" "OK" "example config: prints OK"
is "$err" "" "example config: nothing on stderr"

# A relative -c: the secret files are found next to the config, not in cwd.
cd "$TEST_TMP" || exit 1
pd -c conf/postdesk.conf check-config
is "$rc:$out" "0:OK" "relative -c path: files resolved against the config's directory"
cd / || exit 1

pde POSTDESK_CONFIG="$conf/postdesk.conf" check-config
is "$rc:$out" "0:OK" "POSTDESK_CONFIG names the config"

# A secret that others can read is refused, with the fix in the message.
chmod 644 "$conf/secret"
pd -c "$conf/postdesk.conf" check-config
is "$rc" 78 "world-readable secret file: exit 78"
like "$err" "^$conf/postdesk.conf:[0-9]+: secret_file: $conf/secret is readable or writable by group or others \\(mode 0644\\): chmod 600 $conf/secret\$" \
	"world-readable secret file: FILE:LINE and chmod 600"
chmod 600 "$conf/secret"

# Every error at once, in line order, on stderr; nothing on stdout.
cat >"$TEST_TMP/broken.conf" <<'EOF'
database = "/var/lib/postdesk/postdesk.db";
imap = {
	hots = "imap.example.com";
	user = "support@example.com";
	password = "hunter2";
	port = 70000;
};
rules = ( { name = "billing"; header = "Subject"; regex = "(invoice"; queue = "billing"; } );
EOF
b=$TEST_TMP/broken.conf
pd -c "$b" check-config
is "$rc" 78 "broken config: exit 78 (EX_CONFIG)"
is "$out" "" "broken config: nothing on stdout"
is "$err" "$b:2: imap: missing required key 'host' (e.g. host = \"imap.example.com\";)
$b:2: imap: missing password_file (or oauth2_token_file): the password goes in a file readable only by postdesk, e.g. password_file = \"imap.pass\";
$b:3: unknown key 'hots' in imap (did you mean 'host'?)
$b:5: imap.password: inline secrets are not allowed: put the password in a file readable only by postdesk (chmod 600) and set password_file
$b:6: imap.port: 70000 is out of range (1-65535)
$b:8: rules[0].regex: \"(invoice\" does not compile: missing closing parenthesis at offset 8
$b:8: rules[0].queue: unknown queue \"billing\" (the queues are \"general\"; add it to queues = ( ... ) or use one of them)" \
	"broken config: every error as FILE:LINE: message"

printf 'database = "x.db";\nimap = {\n  host = "h"\n  user = ;\n};\n' >"$TEST_TMP/syntax.conf"
pd -c "$TEST_TMP/syntax.conf" check-config
is "$rc:$err" "78:$TEST_TMP/syntax.conf:4: syntax error (look for a missing ';', '\"', ',' or brace on this line or above)" \
	"syntax error: exit 78, FILE:LINE"

pd -c "$TEST_TMP/nonexistent.conf" check-config
is "$rc:$err" "78:$TEST_TMP/nonexistent.conf: cannot read the configuration: No such file or directory (give another file with -c FILE or \$POSTDESK_CONFIG)" \
	"missing config file: exit 78"

# systemd credentials: credential:NAME is $CREDENTIALS_DIRECTORY/NAME.
mkdir "$TEST_TMP/creds"
printf 'pw\n' >"$TEST_TMP/creds/imap"
chmod 400 "$TEST_TMP/creds/imap"
cat >"$TEST_TMP/cred.conf" <<'EOF'
database = "/var/lib/postdesk/postdesk.db";
imap = { host = "imap.example.com"; user = "support@example.com"; password_file = "credential:imap"; };
EOF
pde CREDENTIALS_DIRECTORY="$TEST_TMP/creds" -c "$TEST_TMP/cred.conf" check-config
is "$rc:$out" "0:OK" "credential: read from \$CREDENTIALS_DIRECTORY"
pd -c "$TEST_TMP/cred.conf" check-config
is "$rc" 78 "credential: without \$CREDENTIALS_DIRECTORY: exit 78"
like "$err" "cred.conf:2: imap.password_file: credential:imap needs \\\$CREDENTIALS_DIRECTORY, which is not set" \
	"credential: without \$CREDENTIALS_DIRECTORY: says so"

# The command line: usage errors are 64, help and version 0.
pd -c "$conf/postdesk.conf" check-config extra-arg
is "$rc" 64 "check-config extra-arg: exit 64 (EX_USAGE)"
like "$err" "unexpected argument 'extra-arg'" "check-config extra-arg: says why"

pd --version
is "$rc" 0 "--version: exit 0"
like "$out" '^postdesk [0-9]+\.[0-9]+' "--version: prints the version"

pd --help
is "$rc" 0 "--help: exit 0"
like "$out" '^usage: postdesk ' "--help: usage line"
like "$out" '^  check-config ' "--help: lists the commands"

pd inspect --help
is "$rc:$err" "0:" "inspect --help: exit 0, nothing on stderr"
like "$out" '^usage: postdesk \[-c FILE\] inspect ' "inspect --help: the command's usage"

pd nosuchcommand
is "$rc" 64 "unknown command: exit 64"
like "$err" "unknown command 'nosuchcommand'" "unknown command: says so"

pd
is "$rc" 64 "no command: exit 64"

pd --no-such-option check-config
is "$rc" 64 "unknown option: exit 64"

# A template that uses an unknown variable is a configuration error,
# reported with its file and line, never a half-rendered mail later.
printf 'Subject: {{ticket.tag}}\n\nHello {{customer.nmae}}\n' >"$conf/templates/cs/ack.txt"
pd -c "$conf/postdesk.conf" check-config
is "$rc" 78 "a broken template: exit 78"
like "$err" "templates/cs/ack.txt:3: .*customer.nmae" "the error names the template file, line and variable"
cp "$SRCDIR/conf/templates/cs/ack.txt" "$conf/templates/cs/ack.txt"

done_testing
