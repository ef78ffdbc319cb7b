# t-ack-template: the acknowledgement a queue (ack_template) or a routing
# rule (template) names instead of the standard one, through the real
# mail stack; check-config refuses a name with no file and a name that
# would reach outside the templates directory.
. "$SRCDIR/tests/lib.sh"
mailstack_start
CONF=$TEST_TMP/postdesk.conf
TPL=$TEST_TMP/templates
cp -R "$SRCDIR/conf/templates" "$TPL"
printf 'Subject: {{ticket.tag}} VIP: {{ticket.subject}}\n\nDear {{customer.name}}, a senior engineer has ticket {{ticket.id}}.\n' \
	>"$TPL/en/ack-vip.txt"
printf 'Subject: {{ticket.tag}} Billing: {{ticket.subject}}\n\nThe billing team has ticket {{ticket.id}}.\n' \
	>"$TPL/en/ack-billing.txt"
PD_SMTP=1 PD_QUEUES='( { name = "general"; }, { name = "billing"; ack_template = "ack-billing"; } )' \
PD_EXTRA='rules = (
	{ name = "vip"; field = "sender"; regex = "^customer1@"; template = "ack-vip"; },
	{ name = "billing"; header = "Subject"; regex = "(?i)invoice"; queue = "billing"; }
);' postdesk_config "$CONF"
# the shipped templates, then ours: point templates.dir at the copy
sed -i "s|dir = \"$SRCDIR/conf/templates\"|dir = \"$TPL\"|" "$CONF"

"$POSTDESK" -c "$CONF" check-config >/dev/null 2>"$TEST_TMP/err"
is "$?" 0 "check-config accepts the named templates"

mail() {	# mail NAME USER SUBJECT ID
	printf 'From: %s <%s@example.test>\r\nTo: support@example.test\r\nSubject: %s\r\nMessage-ID: <%s@example.test>\r\nDate: %s\r\n\r\nHello.\r\n' \
		"$1" "$2" "$3" "$4" "$(date -R)" >"$TEST_TMP/$4.eml"
	smtp_send "$2@example.test" support@example.test "$TEST_TMP/$4.eml"
}
mail 'Very Important' customer1 'Server down' m1
mail 'Ann Payer' customer2 'Invoice 2026-11' m2
mail 'Joe Plain' customer3 'A question' m3
"$POSTDESK" -c "$CONF" fetch --once 2>"$TEST_TMP/fetch.log"
is "$?" 0 "fetch --once"
"$SRCDIR/tests/mailstack/mailstack" wait-queue "$MAILSTACK_DIR" 30 >/dev/null
subj() { decoded_mail_of "$1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["subject"])'; }
text() { decoded_mail_of "$1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["text"])'; }
is "$(subj customer1)" "[Support #1] VIP: Server down" "the rule's template acknowledged the VIP"
like "$(text customer1)" "Dear Very Important, a senior engineer has ticket 1" "with its own text"
is "$(subj customer2)" "[Support #2] Billing: Invoice 2026-11" "the billing queue's ack_template acknowledged the invoice"
is "$(subj customer3)" "[Support #3] A question" "everyone else gets the standard acknowledgement"
like "$(text customer3)" "logged it as ticket" "with the standard text"

# A name with no file in any language, and a name with a slash.
sed -i 's|template = "ack-vip"|template = "ack-gold"|' "$CONF"
"$POSTDESK" -c "$CONF" check-config >/dev/null 2>"$TEST_TMP/err"
is "$?" 78 "check-config refuses a template that does not exist"
like "$(cat "$TEST_TMP/err")" "rule vip, template: template 'ack-gold': no .*/<language>/ack-gold.txt" \
	"and says which rule names it"
sed -i 's|template = "ack-gold"|template = "../en/ack"|' "$CONF"
"$POSTDESK" -c "$CONF" check-config >/dev/null 2>"$TEST_TMP/err"
is "$?" 78 "check-config refuses a name that leaves the templates directory"
like "$(cat "$TEST_TMP/err")" "may hold only letters" "with the reason"
done_testing
