/* test-config.c: loading and validating postdesk.conf.
 *
 * Each bad-input case writes a small config into a private temp directory
 * (the tests chdir there, so the file is "postdesk.conf") and asserts the
 * exact "FILE:LINE: message" lines. In expected lines "@D@" stands for that
 * directory, which appears in messages about files. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "postdesk/config.h"
#include "postdesk/xalloc.h"

static char dir[PATH_MAX];	/* the temp directory, our cwd during the tests */

static void
write_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);	/* whatever the umask */
	close(fd);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
group_setup(void **state)
{
	char tmpl[] = "/tmp/pd-test-config.XXXXXX";

	if (mkdtemp(tmpl) == NULL || chdir(tmpl) < 0 || getcwd(dir, sizeof(dir)) == NULL)
		return -1;
	write_file("imap.pass", "imap-password\n", 0600);
	write_file("smtp.pass", "smtp-password\n", 0600);
	write_file("open.pass", "everyone can read me\n", 0644);
	if (mkdir("creds", 0700) < 0 || mkdir("tpl", 0755) < 0)
		return -1;
	/* systemd credentials: the mode is systemd's business (see confval.c) */
	write_file("creds/hmac", "hmac-key\n", 0440);
	write_file("creds/imap-token", "oauth-token\n", 0400);
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("POSTDESK_CONFIG");
	return 0;
}

static int
group_teardown(void **state)
{
	if (chdir("/") < 0)
		return -1;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* want with every "@D@" replaced by dir; caller frees. */
static char *
expand(const char *want)
{
	size_t n = strlen(want) + 1;
	char *out, *o;

	for (const char *p = strstr(want, "@D@"); p != NULL; p = strstr(p + 3, "@D@"))
		n += strlen(dir);
	o = out = xmalloc(n);
	while (*want != '\0') {
		if (strncmp(want, "@D@", 3) == 0) {
			o = stpcpy(o, dir);
			want += 3;
		} else
			*o++ = *want++;
	}
	*o = '\0';
	return out;
}

/* Load text as postdesk.conf and compare every error line with want. */
static void
assert_errors(const char *text, const char *const *want, size_t n)
{
	struct config_errors e;
	struct pd_config *cfg = (struct pd_config *)1;

	write_file("postdesk.conf", text, 0644);
	assert_int_equal(config_load("postdesk.conf", &cfg, &e), -1);
	assert_null(cfg);
	if (e.count != n)
		for (size_t i = 0; i < e.count; i++)
			print_message("got: %s\n", e.lines[i]);
	assert_int_equal(e.count, n);
	for (size_t i = 0; i < n; i++) {
		char *w = expand(want[i]);

		if (strcmp(e.lines[i], w) != 0)
			for (size_t j = 0; j < e.count; j++)
				print_message("got: %s\n", e.lines[j]);

		assert_string_equal(e.lines[i], w);
		free(w);
	}
	config_errors_free(&e);
}

#define ASSERT_ERRORS(text, ...) do {						\
	static const char *const want_[] = { __VA_ARGS__ };			\
	assert_errors(text, want_, sizeof(want_) / sizeof(want_[0]));		\
} while (0)

/* A mailbox that is right, for configs that test something else. */
#define IMAP_OK "imap = { host = \"imap.example.com\"; user = \"support@example.com\"; " \
	"password_file = \"imap.pass\"; };\n"

static struct pd_config *
load_ok(const char *text)
{
	struct config_errors e;
	struct pd_config *cfg = NULL;

	write_file("postdesk.conf", text, 0644);
	if (config_load("postdesk.conf", &cfg, &e) < 0)
		for (size_t i = 0; i < e.count; i++)
			print_message("unexpected: %s\n", e.lines[i]);
	assert_int_equal(e.count, 0);
	assert_non_null(cfg);
	config_errors_free(&e);
	return cfg;
}

/* --- one case per kind of bad input ------------------------------------------ */

static void
syntax_error(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = {\n"
	    "  host = \"imap.example.com\";\n"
	    "  user = ;\n"
	    "};\n",
	    "postdesk.conf:4: syntax error (look for a missing ';', '\"', ',' or brace on "
	    "this line or above)");
}

static void
duplicate_key(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\ndatabase = \"u.db\";\n",
	    "postdesk.conf:2: duplicate key: it is already set above in the same group; "
	    "keep only one");
}

static void
unknown_key_top_level(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK "log_levle = \"debug\";\nfoo = 1;\n",
	    "postdesk.conf:3: unknown key 'log_levle' (did you mean 'log_level'?)",
	    "postdesk.conf:4: unknown key 'foo' (known keys: database tag secret_file log "
	    "log_level imap smtp agents queues business_hours rules templates ack_limit "
	    "agent_auth trusted_authserv_id limits charset_fallback)");
}

static void
unknown_key_nested(void **state)
{
	/* a typo for a required key: both the typo and the missing key */
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = {\n"
	    "  hots = \"imap.example.com\";\n"
	    "  user = \"support@example.com\"; password_file = \"imap.pass\";\n"
	    "};\n"
	    "queues = ( { name = \"general\"; sla = { first = \"4h\"; }; } );\n",
	    "postdesk.conf:2: imap: missing required key 'host' (e.g. host = \"imap.example.com\";)",
	    "postdesk.conf:3: unknown key 'hots' in imap (did you mean 'host'?)",
	    "postdesk.conf:6: unknown key 'first' in queues[0].sla (known keys: first_response "
	    "next_response resolution)");
}

static void
wrong_type(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"imap.pass\";\n"
	    "  port = \"993\";\n"
	    "  idle = \"yes\"; };\n"
	    "agents = { email = \"a@example.com\"; };\n"
	    "limits = { max_mime_depth = 2.5; };\n",
	    "postdesk.conf:4: imap.port: must be an integer, not a string",
	    "postdesk.conf:5: imap.idle: must be true or false, not a string",
	    "postdesk.conf:6: agents: must be a list of groups ( { ... }, { ... } ), not a group { ... }",
	    "postdesk.conf:7: limits.max_mime_depth: must be an integer, not a decimal number");
}

static void
missing_database(void **state)
{
	ASSERT_ERRORS("tag = \"Help\";\n" IMAP_OK,
	    "postdesk.conf:1: missing required key 'database' (e.g. database = "
	    "\"/var/lib/postdesk/postdesk.db\";)");
}

static void
missing_imap_host(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = (\n"
	    "  { host = \"a.example.com\"; user = \"a\"; password_file = \"imap.pass\"; },\n"
	    "  { user = \"b\"; password_file = \"imap.pass\"; }\n"
	    ");\n",
	    "postdesk.conf:4: imap[1]: missing required key 'host' (e.g. host = \"imap.example.com\";)");
}

static void
port_out_of_range(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"imap.pass\";\n"
	    "  port = 70000; };\n",
	    "postdesk.conf:4: imap.port: 70000 is out of range (1-65535)");
}

static void
unknown_tls_mode(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"imap.pass\"; tls = \"ssl\"; };\n",
	    "postdesk.conf:3: imap.tls: unknown value \"ssl\" (use \"implicit\", \"starttls\" "
	    "or \"none\")");
}

static void
bad_regex(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "rules = ( { name = \"billing\";\n"
	    "  header = \"Subject\";\n"
	    "  regex = \"(?i)(invoice|refund\"; } );\n",
	    "postdesk.conf:5: rules[0].regex: \"(?i)(invoice|refund\" does not compile: "
	    "missing closing parenthesis at offset 19");
}

static void
inline_password(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password = \"hunter2\"; };\n",
	    "postdesk.conf:2: imap: missing password_file (or oauth2_token_file): the password "
	    "goes in a file readable only by postdesk, e.g. password_file = \"imap.pass\";",
	    "postdesk.conf:3: imap.password: inline secrets are not allowed: put the password "
	    "in a file readable only by postdesk (chmod 600) and set password_file");
}

static void
inline_secrets_anywhere(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "secret = \"k\";\n"
	    "smtp = { url = \"smtp://u:pw@mail.example.com\"; from = \"s@example.com\";\n"
	    "  token = \"t\"; };\n",
	    "postdesk.conf:3: secret: inline secrets are not allowed: put the secret in a file "
	    "readable only by postdesk (chmod 600) and set secret_file",
	    "postdesk.conf:4: smtp.url: inline secrets are not allowed: put the password in a "
	    "file readable only by postdesk (chmod 600) and set password_file (and user), not "
	    "user:password@ in the url",
	    "postdesk.conf:5: smtp.token: inline secrets are not allowed: put the token in a "
	    "file readable only by postdesk (chmod 600) and set oauth2_token_file");
}

static void
password_file_mode(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"open.pass\"; };\n",
	    "postdesk.conf:3: imap.password_file: @D@/open.pass is readable or writable by group "
	    "or others (mode 0644): chmod 600 @D@/open.pass");
}

static void
password_file_missing(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"/nonexistent/imap.pass\"; };\n",
	    "postdesk.conf:3: imap.password_file: /nonexistent/imap.pass does not exist: create "
	    "it with the secret on one line, then chmod 600 /nonexistent/imap.pass");
}

static void
both_secret_files(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"imap.pass\";\n"
	    "  oauth2_token_file = \"smtp.pass\"; };\n",
	    "postdesk.conf:4: imap: give either password_file or oauth2_token_file, not both");
}

static void
credential_without_directory(void **state)
{
	unsetenv("CREDENTIALS_DIRECTORY");
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"credential:imap\"; };\n",
	    "postdesk.conf:3: imap.password_file: credential:imap needs $CREDENTIALS_DIRECTORY, "
	    "which is not set (systemd sets it for a service with LoadCredential=imap:FILE; "
	    "outside systemd give a file path instead)");
}

static void
unknown_queue_in_rule(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "queues = ( { name = \"general\"; }, { name = \"billing\"; } );\n"
	    "rules = ( { name = \"sales\"; field = \"recipient\"; regex = \"^sales@\";\n"
	    "  queue = \"sales\"; } );\n",
	    "postdesk.conf:5: rules[0].queue: unknown queue \"sales\" (the queues are \"general\", "
	    "\"billing\"; add it to queues = ( ... ) or use one of them)");
}

static void
bad_duration(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "queues = ( { name = \"general\";\n"
	    "  sla = { first_response = \"4 hours\"; }; } );\n",
	    "postdesk.conf:4: queues[0].sla.first_response: \"4 hours\" is not a duration (use "
	    "e.g. \"90s\", \"15m\", \"4h\", \"2d\", \"1w\", \"1h30m\", or a number of seconds)");
}

static void
bad_references_and_values(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "agents = ( { name = \"Alice\"; email = \"alice@example.com\"; queues = [ \"nope\" ]; } );\n"
	    "rules = ( { name = \"r\"; field = \"body\"; regex = \"x\"; assign = \"carol\"; } );\n"
	    "business_hours = { timezone = \"Europe/Prag\"; days = \"Mon-Fry\"; };\n"
	    "smtp = { url = \"http://mail.example.com\"; from = \"Support <nobody>\"; };\n",
	    "postdesk.conf:3: agents[0].queues[0]: unknown queue \"nope\" (the queues are "
	    "\"general\"; add it to queues = ( ... ) or use one of them)",
	    "postdesk.conf:4: rules[0].field: unknown value \"body\" (use \"sender\", "
	    "\"recipient\", \"text\", \"text_new\" or \"attachment\")",
	    "postdesk.conf:4: rules[0].assign: \"carol\" is not an agent (give the email or name "
	    "of one of agents = ( ... ))",
	    "postdesk.conf:5: business_hours.timezone: \"Europe/Prag\" is not a time zone: there "
	    "is no such file under /usr/share/zoneinfo (use an IANA name such as "
	    "\"Europe/Prague\"; see timedatectl list-timezones)",
	    "postdesk.conf:5: business_hours.days: \"Mon-Fry\": expected day names like "
	    "\"Mon-Fri\" or \"Mon,Wed,Fri\" (Sun Mon Tue Wed Thu Fri Sat)",
	    "postdesk.conf:6: smtp.url: \"http://mail.example.com\" must start with smtp:// "
	    "(port 587 or 25, STARTTLS or plain) or smtps:// (port 465, TLS)",
	    "postdesk.conf:6: smtp.from: \"Support <nobody>\": the address is not valid "
	    "(expected \"Name <address>\" or a bare address)");
}

/* Found by fuzz-config: a string may hold a line break, and an error that
 * quotes it must stay one line (check-config's output, the journal). */
static void
errors_stay_one_line(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\"; "
	    "password_file = \"imap.pass\"; tls = \"maybe\nBcc: x\x7f\"; };\n",
	    "postdesk.conf:2: imap.tls: unknown value \"maybe\\x0aBcc: x\\x7f\" (use "
	    "\"implicit\", \"starttls\" or \"none\")");
}

/* Found by fuzz-config: a url with another scheme was quoted whole, with
 * the password of its user:password@. */
static void
url_error_hides_password(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "smtp = { url = \"submission://bob:hunter2pw@mail.example.com\"; "
	    "from = \"s@example.com\"; };\n",
	    "postdesk.conf:3: smtp.url: \"submission://...@mail.example.com\" must start "
	    "with smtp:// (port 587 or 25, STARTTLS or plain) or smtps:// (port 465, TLS)");
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "smtp = { url = \"bob:hunter2pw@mail.example.com\"; from = \"s@example.com\"; };\n",
	    "postdesk.conf:3: smtp.url: \"...@mail.example.com\" must start with smtp:// "
	    "(port 587 or 25, STARTTLS or plain) or smtps:// (port 465, TLS)");
	/* The long run found the other quotes: an '@' after the first '/'
	 * passed the user:password@ check and the whole url was shown. */
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "smtp = { url = \"smtp://submission://bob:hunter2pw@mail.example.com\"; "
	    "from = \"s@example.com\"; };\n",
	    "postdesk.conf:3: smtp.url: \"smtp://...@mail.example.com\" has a bad port (1-65535)");
}

static void
rule_conditions(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "rules = (\n"
	    "  { name = \"a\"; queue = \"general\"; },\n"
	    "  { name = \"b\"; regex = \"x\"; },\n"
	    "  { name = \"c\"; header = \"Subject\"; field = \"sender\"; regex = \"x\"; },\n"
	    "  { name = \"d\"; match = ( { header = \"X-Spam\"; regex = \"yes\"; bogus = 1; } ); },\n"
	    "  { name = \"a\"; header = \"Subject:\"; regex = \"x\"; on = \"always\"; }\n"
	    ");\n",
	    "postdesk.conf:4: rules[0]: no condition: add header = \"...\" (or field = \"...\") "
	    "and regex = \"...\", or match = ( { ... }, ... )",
	    "postdesk.conf:5: rules[1].regex: say where to look: header = \"Subject\"; or field "
	    "= \"sender\" (or \"recipient\", \"text\", \"text_new\", \"attachment\")",
	    "postdesk.conf:6: rules[2].field: give either header or field, not both",
	    "postdesk.conf:7: unknown key 'bogus' in rules[3].match[0] (known keys: header "
	    "field regex not)",
	    "postdesk.conf:8: rules[4].header: \"Subject:\" is not a header name (write it "
	    "without ':', e.g. \"Subject\")",
	    "postdesk.conf:8: rules[4].on: unknown value \"always\" (use \"new\" or \"every\")",
	    "postdesk.conf:8: rules[4].name: rule \"a\" is already defined at line 4; rule "
	    "names must be unique");
}

/* Everything wrong at once is reported at once, in line order. */
static void
several_errors_together(void **state)
{
	ASSERT_ERRORS("tag = \"My Support\";\n"
	    "imap = { host = \"imap.example.com\"; user = \"support@example.com\";\n"
	    "  password_file = \"open.pass\"; port = 0; tls = \"tls\"; };\n"
	    "queues = ( { name = \"general\"; }, { name = \"general\"; } );\n"
	    "agent_auth = \"authentication-results\";\n"
	    "limits = { max_message_size = \"50Q\"; };\n"
	    "charset_fallback = [ \"utf-8\", \"klingon-8\" ];\n",
	    "postdesk.conf:1: tag: \"My Support\" is not a valid tag (1-32 letters, digits, "
	    "'.', '_' or '-'; it appears as [Tag #123])",
	    "postdesk.conf:1: missing required key 'database' (e.g. database = "
	    "\"/var/lib/postdesk/postdesk.db\";)",
	    "postdesk.conf:3: imap.password_file: @D@/open.pass is readable or writable by "
	    "group or others (mode 0644): chmod 600 @D@/open.pass",
	    "postdesk.conf:3: imap.port: 0 is out of range (1-65535)",
	    "postdesk.conf:3: imap.tls: unknown value \"tls\" (use \"implicit\", \"starttls\" "
	    "or \"none\")",
	    "postdesk.conf:4: queues[1].name: queue \"general\" is already defined at line 4; "
	    "queue names must be unique",
	    "postdesk.conf:5: agent_auth: \"authentication-results\" needs trusted_authserv_id, "
	    "the authserv-id your receiving server writes in Authentication-Results (e.g. "
	    "trusted_authserv_id = \"mx.example.com\";)",
	    "postdesk.conf:6: limits.max_message_size: \"50Q\" is not a size (use e.g. "
	    "\"512K\", \"50M\", \"1G\", or a number of bytes)",
	    "postdesk.conf:7: charset_fallback[1]: \"klingon-8\" is not a charset iconv knows "
	    "(see iconv -l)");
}

static void
smtp_checks(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "smtp = {\n"
	    "  url = \"smtp://mail.example.com:587\";\n"
	    "  tls = \"implicit\";\n"
	    "  user = \"support@example.com\";\n"
	    "};\n",
	    "postdesk.conf:3: smtp: missing required key 'from' (e.g. from = "
	    "\"Example Support <support@example.com>\";)",
	    "postdesk.conf:3: smtp: missing password_file (or oauth2_token_file): the password "
	    "goes in a file readable only by postdesk, e.g. password_file = \"smtp.pass\";",
	    "postdesk.conf:5: smtp.tls: \"implicit\" needs an smtps:// url (smtp:// is plain or "
	    "STARTTLS)");
}

static void
hours_and_holidays(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "business_hours = {\n"
	    "  hours = ( \"08:00-12:00\", \"11:30-17:00\" );\n"
	    "  holidays = [ \"2026-02-29\", \"02-29\", \"12-32\" ];\n"
	    "};\n"
	    "queues = ();\n",
	    "postdesk.conf:4: business_hours.hours: two ranges overlap; merge them into one",
	    "postdesk.conf:5: business_hours.holidays[0]: \"2026-02-29\" is not a date (use "
	    "\"YYYY-MM-DD\", or \"MM-DD\" for every year)",
	    "postdesk.conf:5: business_hours.holidays[2]: \"12-32\" is not a date (use "
	    "\"YYYY-MM-DD\", or \"MM-DD\" for every year)",
	    "postdesk.conf:7: queues: the list is empty: add { ... } groups to it, or remove it");
}

/* The follow-up keys of a queue, and a queue's own business hours, whose
 * messages name the queue. */
static void
followups_and_queue_hours(void **state)
{
	ASSERT_ERRORS("database = \"t.db\";\n" IMAP_OK
	    "queues = (\n"
	    "  { name = \"a\"; pending_reminder = \"5d\"; pending_close = \"2d\"; },\n"
	    "  { name = \"b\"; pending_reminder = \"8d\"; survey = \"yes\";\n"
	    "    still_working = 1; survey_delay = \"100d\"; },\n"
	    "  { name = \"c\"; pending_reminder = \"soon\";\n"
	    "    business_hours = { days = \"Mon-Fry\"; hours = \"17:00-09:00\"; timezone = \"Mars/Base\"; }; },\n"
	    "  { name = \"d\"; business_hours = \"9-17\"; }\n"
	    ");\n",
	    "postdesk.conf:4: queues[0].pending_close: must be later than pending_reminder (the "
	    "ticket would be closed before the customer is reminded); set pending_reminder = "
	    "\"0\" for no reminder",
	    "postdesk.conf:5: queues[1].survey: must be true or false, not a string",
	    "postdesk.conf:5: queues[1].pending_close: must be later than pending_reminder (the "
	    "ticket would be closed before the customer is reminded); set pending_reminder = "
	    "\"0\" for no reminder",
	    "postdesk.conf:6: queues[1].still_working: must be true or false, not an integer",
	    "postdesk.conf:6: queues[1].survey_delay: \"100d\" is out of range (0-7776000 seconds)",
	    "postdesk.conf:7: queues[2].pending_reminder: \"soon\" is not a duration (use e.g. "
	    "\"90s\", \"15m\", \"4h\", \"2d\", \"1w\", \"1h30m\", or a number of seconds)",
	    "postdesk.conf:8: queues[2].business_hours.timezone: \"Mars/Base\" is not a time zone: "
	    "there is no such file under /usr/share/zoneinfo (use an IANA name such as "
	    "\"Europe/Prague\"; see timedatectl list-timezones)",
	    "postdesk.conf:8: queues[2].business_hours.days: \"Mon-Fry\": expected day names like "
	    "\"Mon-Fri\" or \"Mon,Wed,Fri\" (Sun Mon Tue Wed Thu Fri Sat)",
	    "postdesk.conf:8: queues[2].business_hours.hours: \"17:00-09:00\": a range must end "
	    "after it starts (\"22:00-06:00\" is two ranges: \"00:00-06:00,22:00-24:00\")",
	    "postdesk.conf:9: queues[3].business_hours: must be a group { ... }, not a string");
}

static void
unreadable_file(void **state)
{
	struct config_errors e;
	struct pd_config *cfg;

	assert_int_equal(config_load("nonexistent.conf", &cfg, &e), -1);
	assert_null(cfg);
	assert_int_equal(e.count, 1);
	assert_string_equal(e.lines[0], "nonexistent.conf: cannot read the configuration: No "
	    "such file or directory (give another file with -c FILE or $POSTDESK_CONFIG)");
	config_errors_free(&e);
}

/* --- good configs --------------------------------------------------------------- */

static void
defaults_filled(void **state)
{
	struct pd_config *cfg = load_ok("database = \":memory:\";\n");

	assert_string_equal(cfg->path, "postdesk.conf");
	assert_string_equal(cfg->database, ":memory:");
	assert_string_equal(cfg->tag, "Support");
	assert_null(cfg->secret_file);
	assert_string_equal(cfg->log, "stderr");
	assert_string_equal(cfg->log_level, "info");
	assert_int_equal(cfg->nimap, 0);
	assert_false(cfg->has_smtp);
	assert_int_equal(cfg->smtp.retry_for, 5 * 86400);
	assert_int_equal(cfg->nagents, 0);
	assert_int_equal(cfg->nqueues, 1);
	assert_string_equal(cfg->queues[0].name, "general");
	assert_int_equal(cfg->queues[0].priority, PD_PRIO_NORMAL);
	assert_int_equal(cfg->queues[0].assign, PD_ASSIGN_NONE);
	assert_string_equal(cfg->queues[0].ack_template, "ack");
	assert_int_equal(cfg->queues[0].sla.first_response, 0);
	assert_int_equal(cfg->queues[0].pending_reminder, 3 * 86400);
	assert_int_equal(cfg->queues[0].pending_close, 7 * 86400);
	assert_false(cfg->queues[0].still_working);
	assert_true(cfg->queues[0].survey);
	assert_int_equal(cfg->queues[0].survey_delay, 86400);
	assert_null(cfg->queues[0].hours);
	assert_ptr_equal(config_queue_hours(cfg, &cfg->queues[0]), &cfg->hours);
	assert_ptr_equal(config_queue(cfg, "general"), &cfg->queues[0]);
	assert_null(config_queue(cfg, "nope"));
	assert_null(config_queue(cfg, NULL));
	/* no business_hours: the clock always runs */
	assert_string_equal(cfg->hours.timezone, "UTC");
	assert_int_equal(cfg->hours.days, 0x7f);
	assert_int_equal(cfg->hours.nranges, 1);
	assert_int_equal(cfg->hours.ranges[0].start, 0);
	assert_int_equal(cfg->hours.ranges[0].end, 24 * 60);
	assert_int_equal(cfg->hours.nholidays, 0);
	assert_int_equal(cfg->nrules, 0);
	assert_string_equal(cfg->templates_dir, SYSCONFDIR "/postdesk/templates");
	assert_string_equal(cfg->default_language, "en");
	assert_int_equal(cfg->ack_limit_count, 3);
	assert_int_equal(cfg->ack_limit_period, 3600);
	assert_false(cfg->agent_auth_results);
	assert_null(cfg->trusted_authserv_id);
	assert_int_equal(cfg->max_message_size, 50 * 1024 * 1024);
	assert_int_equal(cfg->max_mime_depth, 100);
	assert_int_equal(cfg->max_mime_parts, 10000);
	assert_int_equal(cfg->max_header_size, 1024 * 1024);
	assert_string_equal(cfg->charset_fallback[0], "utf-8");
	assert_string_equal(cfg->charset_fallback[1], "windows-1250");
	assert_string_equal(cfg->charset_fallback[2], "iso-8859-2");
	assert_string_equal(cfg->charset_fallback[3], "windows-1252");
	assert_null(cfg->charset_fallback[4]);
	config_free(&cfg);
	assert_null(cfg);
}

static const char good_config[] =
    "database = \"db/postdesk.db\";\n"
    "tag = \"Help\";\n"
    "secret_file = \"credential:hmac\";\n"
    "log = \"syslog\";\n"
    "log_level = \"debug\";\n"
    "imap = (\n"
    "  { name = \"support\"; host = \"imap.example.com\"; user = \"support@example.com\";\n"
    "    password_file = \"imap.pass\"; },\n"
    "  { host = \"mail.example.org\"; tls = \"starttls\"; user = \"billing@example.org\";\n"
    "    oauth2_token_file = \"credential:imap-token\"; mailbox = \"Billing\";\n"
    "    mark = \"seen\"; idle = false; poll_interval = \"2m\"; timeout = 30;\n"
    "    queue = \"billing\"; }\n"
    ");\n"
    "smtp = { url = \"smtps://smtp.example.com\"; user = \"support@example.com\";\n"
    "  password_file = \"smtp.pass\"; from = \"\\\"Example Support\\\" <Support@Example.com>\";\n"
    "  bounce_address = \"bounces@example.com\"; retry_for = \"2d12h\"; };\n"
    "queues = (\n"
    "  { name = \"general\"; sla = { first_response = \"4h\"; resolution = \"2d\"; }; },\n"
    "  { name = \"billing\"; priority = \"high\"; assign = \"round-robin\";\n"
    "    supervisor = \"Boss@Example.com\"; ack_template = \"ack-billing\";\n"
    "    sla = { first_response = 7200; next_response = \"1h30m\"; };\n"
    "    pending_reminder = \"2d\"; pending_close = \"5d\"; still_working = true;\n"
    "    survey = false; survey_delay = \"2h\";\n"
    "    business_hours = { timezone = \"Europe/Warsaw\"; days = \"Mon-Sat\";\n"
    "      hours = \"07:00-19:00\"; holidays = [ \"11-11\" ]; }; }\n"
    ");\n"
    "agents = (\n"
    "  { name = \"Alice Nov\xc3\xa1k\"; email = \"Alice@Example.COM\";\n"
    "    queues = [ \"billing\" ]; },\n"
    "  { email = \"bob@example.com\"; }\n"
    ");\n"
    "business_hours = { timezone = \"Europe/Prague\"; days = \"Mon-Wed,Fri\";\n"
    "  hours = ( \"13:00-17:00\", \"08:00-12:00\" ); holidays = [ \"12-24\", \"2026-04-06\" ]; };\n"
    "rules = (\n"
    "  { name = \"billing\"; header = \"Subject\"; regex = \"(?i)invoice|faktura\";\n"
    "    queue = \"billing\"; priority = \"urgent\"; assign = \"Alice Nov\xc3\xa1k\";\n"
    "    tags = [ \"money\", \"vip\" ]; ack = false; stop = true; },\n"
    "  { name = \"noise\"; on = \"every\"; ignore = true; language = \"cs\";\n"
    "    match = ( { field = \"sender\"; regex = \"^noreply@\"; },\n"
    "              { field = \"text_new\"; regex = \"unsubscribe\"; not = true; } );\n"
    "    notify = [ \"boss@example.com\" ]; }\n"
    ");\n"
    "templates = { dir = \"tpl\"; default_language = \"cs\"; };\n"
    "ack_limit = { count = 5; period = \"2h\"; };\n"
    "agent_auth = \"authentication-results\";\n"
    "trusted_authserv_id = \"mx.example.com\";\n"
    "limits = { max_message_size = \"10M\"; max_mime_depth = 20; max_mime_parts = 500;\n"
    "  max_header_size = 65536; };\n"
    "charset_fallback = [ \"utf-8\", \"iso-8859-2\" ];\n";

static char *
in_dir(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
assert_path(const char *got, const char *name)
{
	char *want = in_dir(name);

	assert_string_equal(got, want);
	free(want);
}

static void
good_config_top_and_imap(void **state)
{
	struct pd_config *cfg;
	const struct pd_imap *im;
	char *creds = in_dir("creds");

	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	cfg = load_ok(good_config);
	assert_path(cfg->database, "db/postdesk.db");
	assert_string_equal(cfg->tag, "Help");
	assert_path(cfg->secret_file, "creds/hmac");
	assert_string_equal(cfg->log, "syslog");
	assert_string_equal(cfg->log_level, "debug");

	assert_int_equal(cfg->nimap, 2);
	im = &cfg->imap[0];
	assert_string_equal(im->name, "support");
	assert_string_equal(im->host, "imap.example.com");
	assert_int_equal(im->port, 993);
	assert_int_equal(im->tls, PD_TLS_IMPLICIT);
	assert_null(im->ca_file);
	assert_path(im->password_file, "imap.pass");
	assert_null(im->oauth2_token_file);
	assert_string_equal(im->mailbox, "INBOX");
	assert_string_equal(im->processed, "Processed");
	assert_string_equal(im->quarantine, "Quarantine");
	assert_int_equal(im->mark, PD_MARK_MOVE);
	assert_true(im->idle);
	assert_int_equal(im->poll_interval, 60);
	assert_int_equal(im->timeout, 60);
	assert_null(im->queue);
	assert_int_equal(im->line, 7);
	im = &cfg->imap[1];
	assert_string_equal(im->name, "billing@example.org@mail.example.org/Billing");
	assert_int_equal(im->port, 143);
	assert_int_equal(im->tls, PD_TLS_STARTTLS);
	assert_null(im->password_file);
	assert_path(im->oauth2_token_file, "creds/imap-token");
	assert_string_equal(im->mailbox, "Billing");
	assert_int_equal(im->mark, PD_MARK_SEEN);
	assert_false(im->idle);
	assert_int_equal(im->poll_interval, 120);
	assert_int_equal(im->timeout, 30);
	assert_string_equal(im->queue, "billing");
	config_free(&cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(creds);
}

static void
good_config_smtp_queues_agents(void **state)
{
	struct pd_config *cfg;
	char *creds = in_dir("creds");

	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	cfg = load_ok(good_config);
	assert_true(cfg->has_smtp);
	assert_string_equal(cfg->smtp.url, "smtps://smtp.example.com");
	assert_int_equal(cfg->smtp.tls, PD_TLS_IMPLICIT);	/* from smtps:// */
	assert_string_equal(cfg->smtp.user, "support@example.com");
	assert_path(cfg->smtp.password_file, "smtp.pass");
	assert_string_equal(cfg->smtp.from_name, "Example Support");
	assert_string_equal(cfg->smtp.from_addr, "Support@Example.com");
	assert_string_equal(cfg->smtp.bounce_address, "bounces@example.com");
	assert_int_equal(cfg->smtp.timeout, 60);
	assert_int_equal(cfg->smtp.retry_for, 2 * 86400 + 12 * 3600);

	assert_int_equal(cfg->nqueues, 2);
	assert_int_equal(cfg->queues[0].sla.first_response, 4 * 3600);
	assert_int_equal(cfg->queues[0].sla.next_response, 0);
	assert_int_equal(cfg->queues[0].sla.resolution, 2 * 86400);
	assert_string_equal(cfg->queues[1].name, "billing");
	assert_int_equal(cfg->queues[1].priority, PD_PRIO_HIGH);
	assert_int_equal(cfg->queues[1].assign, PD_ASSIGN_ROUND_ROBIN);
	assert_string_equal(cfg->queues[1].supervisor, "boss@example.com");
	assert_string_equal(cfg->queues[1].ack_template, "ack-billing");
	assert_int_equal(cfg->queues[1].sla.first_response, 7200);
	assert_int_equal(cfg->queues[1].sla.next_response, 5400);
	assert_int_equal(cfg->queues[1].pending_reminder, 2 * 86400);
	assert_int_equal(cfg->queues[1].pending_close, 5 * 86400);
	assert_true(cfg->queues[1].still_working);
	assert_false(cfg->queues[1].survey);
	assert_int_equal(cfg->queues[1].survey_delay, 7200);
	/* billing has its own business hours, general the global ones */
	assert_non_null(cfg->queues[1].hours);
	assert_ptr_equal(config_queue_hours(cfg, &cfg->queues[1]), cfg->queues[1].hours);
	assert_string_equal(cfg->queues[1].hours->timezone, "Europe/Warsaw");
	assert_int_equal(cfg->queues[1].hours->days, 0x7e);
	assert_int_equal(cfg->queues[1].hours->nranges, 1);
	assert_int_equal(cfg->queues[1].hours->ranges[0].start, 7 * 60);
	assert_int_equal(cfg->queues[1].hours->ranges[0].end, 19 * 60);
	assert_int_equal(cfg->queues[1].hours->nholidays, 1);
	assert_string_equal(cfg->queues[1].hours->holidays[0], "11-11");
	assert_ptr_equal(config_queue_hours(cfg, &cfg->queues[0]), &cfg->hours);
	assert_ptr_equal(config_queue_hours(cfg, NULL), &cfg->hours);
	assert_int_equal(cfg->queues[0].pending_reminder, 3 * 86400);

	assert_int_equal(cfg->nagents, 2);
	assert_string_equal(cfg->agents[0].name, "Alice Nov\xc3\xa1k");
	assert_string_equal(cfg->agents[0].email, "alice@example.com");
	assert_int_equal(cfg->agents[0].nqueues, 1);
	assert_string_equal(cfg->agents[0].queues[0], "billing");
	assert_null(cfg->agents[0].queues[1]);
	assert_string_equal(cfg->agents[1].name, "bob@example.com");
	assert_null(cfg->agents[1].queues);
	config_free(&cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(creds);
}

static void
good_config_hours_rules_rest(void **state)
{
	struct pd_config *cfg;
	const struct pd_rule *r;
	char *creds = in_dir("creds");

	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	cfg = load_ok(good_config);
	assert_string_equal(cfg->hours.timezone, "Europe/Prague");
	assert_int_equal(cfg->hours.days, (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5));
	assert_int_equal(cfg->hours.nranges, 2);	/* sorted */
	assert_int_equal(cfg->hours.ranges[0].start, 8 * 60);
	assert_int_equal(cfg->hours.ranges[0].end, 12 * 60);
	assert_int_equal(cfg->hours.ranges[1].start, 13 * 60);
	assert_int_equal(cfg->hours.ranges[1].end, 17 * 60);
	assert_int_equal(cfg->hours.nholidays, 2);
	assert_string_equal(cfg->hours.holidays[1], "2026-04-06");

	assert_int_equal(cfg->nrules, 2);
	r = &cfg->rules[0];
	assert_string_equal(r->name, "billing");
	assert_int_equal(r->nmatch, 1);
	assert_int_equal(r->match[0].on, PD_ON_HEADER);
	assert_string_equal(r->match[0].header, "Subject");
	assert_string_equal(r->match[0].regex, "(?i)invoice|faktura");
	assert_false(r->match[0].negate);
	assert_false(r->every);
	assert_string_equal(r->queue, "billing");
	assert_int_equal(r->priority, PD_PRIO_URGENT);
	assert_string_equal(r->assign, "alice@example.com");	/* named, stored by email */
	assert_string_equal(r->tags[0], "money");
	assert_string_equal(r->tags[1], "vip");
	assert_null(r->tags[2]);
	assert_null(r->language);
	assert_int_equal(r->ack, 0);
	assert_true(r->stop);
	assert_false(r->ignore);
	r = &cfg->rules[1];
	assert_int_equal(r->nmatch, 2);
	assert_int_equal(r->match[0].on, PD_ON_SENDER);
	assert_null(r->match[0].header);
	assert_int_equal(r->match[1].on, PD_ON_TEXT_NEW);
	assert_true(r->match[1].negate);
	assert_true(r->every);
	assert_true(r->ignore);
	assert_null(r->queue);
	assert_int_equal(r->priority, -1);
	assert_int_equal(r->ack, -1);
	assert_string_equal(r->language, "cs");
	assert_string_equal(r->notify[0], "boss@example.com");
	assert_null(r->notify[1]);

	assert_path(cfg->templates_dir, "tpl");
	assert_string_equal(cfg->default_language, "cs");
	assert_int_equal(cfg->ack_limit_count, 5);
	assert_int_equal(cfg->ack_limit_period, 7200);
	assert_true(cfg->agent_auth_results);
	assert_string_equal(cfg->trusted_authserv_id, "mx.example.com");
	assert_int_equal(cfg->max_message_size, 10 * 1024 * 1024);
	assert_int_equal(cfg->max_mime_depth, 20);
	assert_int_equal(cfg->max_mime_parts, 500);
	assert_int_equal(cfg->max_header_size, 65536);
	assert_string_equal(cfg->charset_fallback[1], "iso-8859-2");
	assert_null(cfg->charset_fallback[2]);
	config_free(&cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(creds);
}

static void
include_is_relative_to_config(void **state)
{
	struct pd_config *cfg;

	write_file("inc.conf", "tag = \"Included\";\n", 0644);
	cfg = load_ok("database = \"t.db\";\n@include \"inc.conf\"\n");
	assert_string_equal(cfg->tag, "Included");
	config_free(&cfg);
	write_file("inc.conf", "tag = \"not a tag\";\n", 0644);
	ASSERT_ERRORS("database = \"t.db\";\n@include \"inc.conf\"\n",
	    "inc.conf:1: tag: \"not a tag\" is not a valid tag (1-32 letters, digits, '.', "
	    "'_' or '-'; it appears as [Tag #123])");
}

/* --- values, secrets, the default path -------------------------------------------- */

static void
durations(void **state)
{
	static const struct { const char *s; int64_t secs; } good[] = {
		{ "0", 0 }, { "3600", 3600 }, { "90s", 90 }, { "15m", 900 }, { "4h", 14400 },
		{ "2d", 172800 }, { "1w", 604800 }, { "1h30m", 5400 },
		{ "1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
		{ "9223372036854775807", INT64_MAX },
	};
	static const char *const bad[] = {
		"", "h", "1x", "-1h", "+1h", "1h30", "30m1h", "1h1h", "1 h", " 1h", "1h ",
		"1.5h", "1H", "99999999999999999999", "15250284452472w",
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		assert_int_equal(config_parse_duration(good[i].s, &v), 0);
		assert_int_equal(v, good[i].secs);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_parse_duration(bad[i], &v) != -1)
			fail_msg("\"%s\" parsed as a duration", bad[i]);
	}
	assert_int_equal(config_parse_duration(NULL, &v), -1);
}

static void
sizes(void **state)
{
	static const struct { const char *s; int64_t bytes; } good[] = {
		{ "0", 0 }, { "512", 512 }, { "64K", 65536 }, { "64k", 65536 },
		{ "50M", 50 * 1048576 }, { "50MB", 50 * 1048576 }, { "1G", 1073741824 },
		{ "2T", INT64_C(2) << 40 }, { "8388607T", INT64_C(8388607) << 40 },
	};
	static const char *const bad[] = {
		"", "M", "50X", "50MiB", "50 M", " 50M", "-1", "1.5M", "50Mb",
		"8388608T", "99999999999999999999",
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		assert_int_equal(config_parse_size(good[i].s, &v), 0);
		assert_int_equal(v, good[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_size(bad[i], &v) != -1)
			fail_msg("\"%s\" parsed as a size", bad[i]);
}

static void
read_secret(void **state)
{
	char *err = NULL, *s, *want, *creds = in_dir("creds");

	write_file("crlf.pass", "s3cret word\r\n\r\n", 0600);
	s = config_read_secret("crlf.pass", &err);
	assert_string_equal(s, "s3cret word");
	free(s);

	write_file("nl.pass", "\n", 0600);
	assert_null(config_read_secret("nl.pass", &err));
	assert_string_equal(err, "nl.pass is empty: put the secret in it, on one line");
	free(err);

	write_file("empty.pass", "", 0600);
	assert_null(config_read_secret("empty.pass", &err));
	assert_string_equal(err, "empty.pass is empty: put the secret in it, on one line");
	free(err);

	assert_null(config_read_secret("open.pass", &err));
	assert_string_equal(err, "open.pass is readable or writable by group or others "
	    "(mode 0644): chmod 600 open.pass");
	free(err);

	assert_null(config_read_secret("no.pass", &err));
	assert_string_equal(err, "cannot read no.pass: No such file or directory");
	free(err);

	unsetenv("CREDENTIALS_DIRECTORY");
	assert_null(config_read_secret("credential:hmac", &err));
	assert_non_null(strstr(err, "credential:hmac needs $CREDENTIALS_DIRECTORY"));
	free(err);

	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	s = config_read_secret("credential:hmac", &err);	/* mode 0440: systemd's */
	assert_string_equal(s, "hmac-key");
	free(s);
	want = in_dir("creds/hmac");
	s = config_read_secret(want, &err);	/* the resolved path, as config_load stores it */
	assert_string_equal(s, "hmac-key");
	free(s);
	free(want);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(creds);
}

static void
default_path(void **state)
{
	unsetenv("POSTDESK_CONFIG");
	assert_string_equal(config_default_path(), SYSCONFDIR "/postdesk/postdesk.conf");
	setenv("POSTDESK_CONFIG", "", 1);
	assert_string_equal(config_default_path(), SYSCONFDIR "/postdesk/postdesk.conf");
	setenv("POSTDESK_CONFIG", "/srv/pd.conf", 1);
	assert_string_equal(config_default_path(), "/srv/pd.conf");
	unsetenv("POSTDESK_CONFIG");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syntax_error),
		cmocka_unit_test(duplicate_key),
		cmocka_unit_test(unknown_key_top_level),
		cmocka_unit_test(unknown_key_nested),
		cmocka_unit_test(wrong_type),
		cmocka_unit_test(missing_database),
		cmocka_unit_test(missing_imap_host),
		cmocka_unit_test(port_out_of_range),
		cmocka_unit_test(unknown_tls_mode),
		cmocka_unit_test(bad_regex),
		cmocka_unit_test(inline_password),
		cmocka_unit_test(inline_secrets_anywhere),
		cmocka_unit_test(password_file_mode),
		cmocka_unit_test(password_file_missing),
		cmocka_unit_test(both_secret_files),
		cmocka_unit_test(credential_without_directory),
		cmocka_unit_test(unknown_queue_in_rule),
		cmocka_unit_test(bad_duration),
		cmocka_unit_test(bad_references_and_values),
		cmocka_unit_test(rule_conditions),
		cmocka_unit_test(errors_stay_one_line),
		cmocka_unit_test(url_error_hides_password),
		cmocka_unit_test(several_errors_together),
		cmocka_unit_test(smtp_checks),
		cmocka_unit_test(hours_and_holidays),
		cmocka_unit_test(followups_and_queue_hours),
		cmocka_unit_test(unreadable_file),
		cmocka_unit_test(defaults_filled),
		cmocka_unit_test(good_config_top_and_imap),
		cmocka_unit_test(good_config_smtp_queues_agents),
		cmocka_unit_test(good_config_hours_rules_rest),
		cmocka_unit_test(include_is_relative_to_config),
		cmocka_unit_test(durations),
		cmocka_unit_test(sizes),
		cmocka_unit_test(read_secret),
		cmocka_unit_test(default_path),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
