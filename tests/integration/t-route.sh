#!/bin/sh
# t-route.sh: "postdesk route --explain" with the real binary: which rules
# match a message and what the ticket gets, the exit codes (sysexits), and
# a hostile message against a careless rule. No mail servers are needed.
. "$SRCDIR/tests/lib.sh"
unset POSTDESK_CONFIG CREDENTIALS_DIRECTORY

# pd ARGS...: run postdesk; sets rc, out (stdout) and err (stderr).
pd() {
	"$POSTDESK" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	out=$(cat "$TEST_TMP/out")
	err=$(cat "$TEST_TMP/err")
}

# line PATTERN: the first line of $out that contains PATTERN (fixed string).
line() {
	printf '%s\n' "$out" | grep -F -- "$1" | head -n 1
}

conf=$TEST_TMP/postdesk.conf
cat >"$conf" <<'EOF'
database = "postdesk.db";
queues = ( { name = "general"; }, { name = "billing"; }, { name = "vip"; } );
agents = ( { name = "Alice Novák"; email = "alice@example.test"; } );
rules = (
	{
		name = "monitoring";
		match = (
			{ field = "sender"; regex = "^alerts@monitoring\\.example\\.test$"; },
			{ header = "Subject"; regex = "^\\[RESOLVED\\]"; }
		);
		ignore = true;
		stop = true;
	},
	{
		name = "billing";
		header = "Subject";
		regex = "(?i)\\b(invoice|refund|faktur[auy]?|platb[auy])\\b";
		queue = "billing";
		priority = "high";
		tags = [ "billing" ];
	},
	{
		name = "czech";
		field = "text_new";
		regex = "(?i)\\b(dobrý den|děkuji|prosím)\\b";
		language = "cs";
	},
	{
		name = "outsider";
		field = "sender";
		regex = "@example\\.test$";
		not = true;
		tags = [ "external" ];
		notify = [ "lead@example.test" ];
	},
	{
		name = "pdf";
		field = "attachment";
		regex = "(?i)\\.pdf$";
		tags = [ "pdf" ];
	},
	{
		name = "big-customer";
		field = "sender";
		regex = "(?i)@bigcustomer\\.example$";
		on = "every";
		priority = "urgent";
		assign = "Alice Novák";
		ack = false;
	},
	{
		name = "careless";
		header = "X-Ticket-Ref";
		regex = "(x+x+)+y";
		spam = true;
	}
);
EOF

# A Czech customer asking about a payment; the Subject is RFC 2047-encoded.
m1=$TEST_TMP/m1.eml
cat >"$m1" <<'EOF'
From: =?UTF-8?Q?Jan_Nov=C3=A1k?= <jan@example.cz>
To: support@example.test
Subject: =?UTF-8?Q?Faktura_=C4=8D=2E_17?=
Message-ID: <m1@example.cz>
Date: Mon, 6 May 2024 10:00:00 +0200
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Dobrý den,
kde je moje platba?

Děkuji, Jan
EOF

pd -c "$conf" route --explain "$m1"
is "$rc" 0 "route --explain: exit 0"
is "$err" "" "route --explain: nothing on stderr"
is "$(line 'message:')" "message:  <m1@example.cz>" "the message is named"
is "$(line 'routed as')" "routed as a new ticket" "evaluated as a new ticket"
is "$(line 'rule 1 ')" 'rule 1 "monitoring" (line 5): no' "rule 1: name, config line, no"
is "$(line 'sender =~ /^alerts')" \
	'  sender =~ /^alerts@monitoring\.example\.test$/: no match in "jan@example.cz"' \
	"a failing condition shows what it looked at"
is "$(line 'rule 2 ')" 'rule 2 "billing" (line 14): MATCH' "rule 2 matches"
is "$(line 'header Subject =~ /(?i)')" \
	'  header Subject =~ /(?i)\b(invoice|refund|faktur[auy]?|platb[auy])\b/: matched "Faktura" in "Faktura č. 17"' \
	"the matched text, in the decoded Subject"
is "$(line '=> queue=billing')" "  => queue=billing priority=high tags=billing" "a matching rule's actions"
is "$(line 'text_new =~')" '  text_new =~ /(?i)\b(dobrý den|děkuji|prosím)\b/: matched "Dobrý den"' \
	"text_new: the Czech greeting, case folded"
is "$(line 'sender !~')" '  sender !~ /@example\.test$/: no match in "jan@example.cz" (not: holds)' \
	"not = true: no match, so it holds"
is "$(line 'attachment =~')" '  attachment =~ /(?i)\.pdf$/: no match (nothing to look at)' \
	"no attachment: nothing to look at"
is "$(line 'header X-Ticket-Ref')" '  header X-Ticket-Ref =~ /(x+x+)+y/: no match (no such header)' \
	"an absent header"
is "$(printf '%s\n' "$out" | sed -n '/^result:/,$p')" "result:
  queue:    billing
  priority: high
  assignee: (not set)
  tags:     billing, external
  language: cs
  template: (not set: the queue's acknowledgement)
  ack:      (not set)
  notify:   lead@example.test
  ignore:   no
  spam:     no" "the resulting ticket fields"

# The same from standard input.
"$POSTDESK" -c "$conf" route --explain - <"$m1" >"$TEST_TMP/stdin.out" 2>&1
is "$?:$(cat "$TEST_TMP/stdin.out")" "0:$out" "FILE - reads standard input"

# As a reply: only on = "every" rules run.
pd -c "$conf" route --explain --reply "$m1"
is "$rc" 0 "--reply: exit 0"
is "$(line 'rule 2 ')" 'rule 2 "billing" (line 14): skipped (new tickets only, and this is a reply)' \
	"--reply: new-ticket rules are skipped"
is "$(line 'rule 6 ')" 'rule 6 "big-customer" (line 42): no' "--reply: on = every rules run"
is "$(line 'queue:')" "  queue:    (not set: the mailbox's queue, else \"general\")" \
	"--reply: nothing set"

# Monitoring: both conditions hold, ignore, stop; later rules are skipped.
m2=$TEST_TMP/m2.eml
printf 'From: alerts@monitoring.example.test\nTo: support@example.test\nSubject: [RESOLVED] disk full on invoice server\nMessage-ID: <m2@monitoring.example.test>\n\nok\n' >"$m2"
pd -c "$conf" route --explain "$m2"
is "$(line 'rule 1 ')" 'rule 1 "monitoring" (line 5): MATCH' "AND: both conditions hold"
is "$(line '=> ignore')" "  => ignore stop" "ignore and stop"
is "$(line 'rule 2 ')" 'rule 2 "billing" (line 14): skipped (rule "monitoring" has stop)' \
	"stop: the next rule is skipped though its Subject would match"
is "$(line 'ignore:')" "  ignore:   yes" "result: ignore"
is "$(line 'queue:')" "  queue:    (not set: the mailbox's queue, else \"general\")" \
	"stop: no later rule set the queue"

# A big customer with a PDF and an invoice: later rules override earlier
# ones, tags accumulate.
m3=$TEST_TMP/m3.eml
cat >"$m3" <<'EOF'
From: Eva <eva@BigCustomer.example>
To: support@example.test
Subject: Invoice 2024-17
Message-ID: <m3@bigcustomer.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Please see the attached invoice.
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="invoice-2024-17.PDF"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1--
EOF
pd -c "$conf" route --explain "$m3"
is "$(line 'attachment =~')" '  attachment =~ /(?i)\.pdf$/: matched ".PDF" in "invoice-2024-17.PDF"' \
	"attachment: the file name"
is "$(line 'priority:')" "  priority: urgent" "a later rule overrides the priority"
is "$(line 'assignee:')" "  assignee: alice@example.test" "assign by agent name: the agent's email"
is "$(line 'tags:')" "  tags:     billing, external, pdf" "tags accumulate"
is "$(line 'ack:')" "  ack:      no" "ack = false"

# A hostile header against the careless rule: stopped by a limit, counted
# as failing, logged, and quick; the other rules still decide.
m4=$TEST_TMP/m4.eml
{
	printf 'From: x@evil.example\nTo: support@example.test\nSubject: refund\n'
	printf 'Message-ID: <m4@evil.example>\nX-Ticket-Ref: '
	head -c 5000 /dev/zero | tr '\0' x
	printf 'zy\n\nhi\n'
} >"$m4"
start=$(date +%s)
pd -c "$conf" route --explain "$m4"
secs=$(($(date +%s) - start))
is "$rc" 0 "hostile header: exit 0"
# (under valgrind, VALGRIND=1, everything runs some 30 times slower)
limit=3
[ -n "$VG_DIR" ] && limit=90
ok "hostile header: done within $limit s (took ${secs}s)" [ "$secs" -le $limit ]
like "$(line 'header X-Ticket-Ref')" \
	'^  header X-Ticket-Ref =~ /\(x\+x\+\)\+y/: (match|time) limit reached on "x{60}"\.\.\., counted as failing$' \
	"hostile header: the limit is shown"
is "$(line 'spam:')" "  spam:     no" "hostile header: the rule did not fire"
is "$(line 'queue:')" "  queue:    billing" "hostile header: other rules still apply"
like "$(line '(1 condition')" '^  \(1 condition stopped by a limit\)$' "the limited condition is counted"
like "$err" 'route: msgid=<m4@evil\.example> rule=careless: condition 1 \(header X-Ticket-Ref\): (match|time) limit reached; it does not hold' \
	"the limit is logged with the rule and the Message-ID"

# Exit codes.
pd -c "$conf" route "$m1"
is "$rc" 64 "without --explain: usage error 64"
like "$err" "--explain is required" "without --explain: says so"
pd -c "$conf" route --explain
is "$rc" 64 "no file: 64"
pd -c "$conf" route --explain "$m1" "$m2"
is "$rc" 64 "two files: 64"
pd -c "$conf" route --explain --frobnicate "$m1"
is "$rc" 64 "unknown option: 64"
pd -c "$conf" route --explain "$TEST_TMP/missing.eml"
is "$rc:$out" "66:" "missing message file: 66, nothing on stdout"
like "$err" "missing\\.eml: No such file or directory" "missing message file: says which"
pd -c "$TEST_TMP/missing.conf" route --explain "$m1"
is "$rc" 78 "missing config: 78"
printf 'database = "x.db";\nrules = ( { name = "r"; header = "Subject"; regex = "(open"; } );\n' \
	>"$TEST_TMP/bad.conf"
pd -c "$TEST_TMP/bad.conf" route --explain "$m1"
is "$rc" 78 "a rule that does not compile: 78"
like "$err" 'rules\[0\]\.regex: "\(open" does not compile' "the config error is shown"
pd -c "$conf" route --help
is "$rc:$(printf '%s' "$out" | head -n 1)" "0:usage: postdesk [-c FILE] route --explain [--reply] FILE.eml|-" \
	"route --help"

done_testing
