/* test-template.c: the template renderer (src/pipe/template.c) and every
 * template and canned answer shipped in conf/. */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "postdesk/template.h"
#include "postdesk/xalloc.h"

#define CONF_DIR	TEST_SRCDIR "/../conf"

/* Variables for a render: name/value pairs, NULL-terminated. */
struct vars {
	const char *const *kv;
};

static const char *
lookup(const char *name, void *arg)
{
	const struct vars *v = arg;
	size_t i;

	for (i = 0; v->kv[i] != NULL; i += 2)
		if (strcmp(v->kv[i], name) == 0)
			return v->kv[i + 1];
	return NULL;
}

static const char *const base_kv[] = {
	"customer.name", "Jana Dvořáková",
	"ticket.id", "17",
	"ticket.tag", "[Support #17]",
	"ticket.subject", "Tiskárna netiskne",
	NULL,
};

/* Parse text with tpl_variables, asserting success. */
static struct tpl *
parse_ok(const char *text)
{
	struct tpl *t = NULL;
	char *err = NULL;
	int r = tpl_parse(text, strlen(text), tpl_variables, &t, &err);

	if (r != 0)
		print_error("unexpected parse error: %s\n", err);
	assert_int_equal(r, 0);
	assert_non_null(t);
	assert_null(err);
	return t;
}

/* Parse text, which must fail with exactly want. */
static void
parse_fails(const char *text, const char *want)
{
	struct tpl *t = NULL;
	char *err = NULL;

	assert_int_equal(tpl_parse(text, strlen(text), tpl_variables, &t,
	    &err), -1);
	assert_null(t);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
}

/* Render text (body only expected) with kv and compare the body. */
static void
render_is(const char *text, const char *const *kv, const char *want)
{
	struct vars v = { kv };
	struct tpl *t = parse_ok(text);
	char *subject = NULL, *body = NULL;

	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	assert_null(subject);
	assert_non_null(body);
	assert_string_equal(body, want);
	free(body);
	tpl_free(&t);
	assert_null(t);
}

static void
variables(void **state)
{
	static const char *const kv[] = {
		"customer.name", "Jana", "ticket.id", "17",
		"ticket.due", "", NULL,
	};

	(void)state;
	render_is("Hello {{customer.name}}, ticket {{ ticket.id }}.\n", kv,
	    "Hello Jana, ticket 17.\n");
	/* unset and empty values are empty */
	render_is("[{{agent.name}}][{{ticket.due}}]", kv, "[][]");
	render_is("{{ticket.id}}{{ticket.id}}", kv, "1717");
	render_is("", kv, "");
	/* braces that are no tag stay text */
	render_is("a { b } c }} d {x}", kv, "a { b } c }} d {x}");
}

static void
sections(void **state)
{
	static const char *const kv[] = {
		"customer.name", "Jana", "agent.name", "", NULL,
	};

	(void)state;
	render_is("{{#customer.name}}Hi {{customer.name}}{{/customer.name}}!",
	    kv, "Hi Jana!");
	/* empty and unset are both "not set" */
	render_is("<{{#agent.name}}x{{/agent.name}}>", kv, "<>");
	render_is("<{{#ticket.due}}x{{/ticket.due}}>", kv, "<>");
	render_is("<{{ #customer.name }}yes{{ /customer.name }}>", kv,
	    "<yes>");
}

static void
inverted_sections(void **state)
{
	static const char *const kv[] = {
		"customer.name", "Jana", "agent.name", "", NULL,
	};
	static const char pair[] =
	    "{{#customer.name}}Hello {{customer.name}},{{/customer.name}}"
	    "{{^customer.name}}Hello,{{/customer.name}}";
	static const char *const no_name[] = { "customer.name", "", NULL };
	static const char *const nothing[] = { NULL };

	(void)state;
	render_is("<{{^agent.name}}nobody{{/agent.name}}>", kv, "<nobody>");
	render_is("<{{^ticket.due}}none{{/ticket.due}}>", kv, "<none>");
	render_is("<{{^customer.name}}x{{/customer.name}}>", kv, "<>");
	render_is(pair, kv, "Hello Jana,");
	render_is(pair, no_name, "Hello,");
	render_is(pair, nothing, "Hello,");
}

static void
nested_sections(void **state)
{
	static const char text[] =
	    "{{#agent.name}}A{{#ticket.due}}D{{^remind.date}}n"
	    "{{/remind.date}}{{/ticket.due}}{{#agent.name}}a{{/agent.name}}"
	    "{{/agent.name}}.";
	static const char *const all[] = {
		"agent.name", "x", "ticket.due", "y", NULL,
	};
	static const char *const no_due[] = { "agent.name", "x", NULL };
	static const char *const none[] = { "ticket.due", "y", NULL };
	static const char *const rem[] = {
		"agent.name", "x", "ticket.due", "y", "remind.date", "z", NULL,
	};

	(void)state;
	render_is(text, all, "ADna.");
	render_is(text, no_due, "Aa.");
	/* a false outer section hides everything inside, set or not */
	render_is(text, none, ".");
	render_is(text, rem, "ADa.");
}

/* Section and comment tags alone on a line take the line with them;
 * variables do not; tags sharing a line with text keep the text. */
static void
standalone_lines(void **state)
{
	static const char text[] =
	    "Hello\n"
	    "{{#customer.name}}\n"
	    "  Name: {{customer.name}}\n"
	    "  {{/customer.name}}  \n"
	    "{{^customer.name}}\n"
	    "No name\n"
	    "{{/customer.name}}\n"
	    "{{! a note for the translator }}\n"
	    "x {{#customer.name}}in line{{/customer.name}}\n"
	    "{{ticket.id}}\n"
	    "Bye\n"
	    "{{! the end, no newline }}";
	static const char *const kv[] = {
		"customer.name", "Jana", "ticket.id", "17", NULL,
	};
	static const char *const empty[] = { NULL };

	(void)state;
	render_is(text, kv,
	    "Hello\n  Name: Jana\nx in line\n17\nBye\n");
	render_is(text, empty, "Hello\nNo name\nx \n\nBye\n");
}

static void
comments(void **state)
{
	static const char *const kv[] = { "ticket.id", "17", NULL };

	(void)state;
	render_is("a{{! anything {{ticket.id goes }}b", kv, "ab");
	render_is("a {{! one\ntwo\nthree }} b {{ticket.id}}", kv, "a  b 17");
	/* a comment may name variables nobody allows */
	render_is("{{! no.such }}x", kv, "x");
	/* and ends at the first "}}", as in Mustache */
	render_is("a{{! {{ticket.id}} }}b", kv, "a }}b");
	/* standalone multi-line comment: its lines vanish */
	render_is("one\n{{! two\n    three }}\nfour\n", kv, "one\nfour\n");
	parse_fails("a\nb {{! never closed\n}\n", "2: unclosed comment '{{!'");
}

static void
unknown_variable(void **state)
{
	(void)state;
	parse_fails("Hello\n\n{{ticket.nope}}\n",
	    "3: unknown variable 'ticket.nope'");
	parse_fails("x\n{{#secret}}y{{/secret}}",
	    "2: unknown variable 'secret'");
	parse_fails("{{customer}}", "1: unknown variable 'customer'");
	/* case matters */
	parse_fails("{{Ticket.ID}}", "1: unknown variable 'Ticket.ID'");

	/* a narrower allowed list */
	{
		static const char *const only[] = { "ticket.id", NULL };
		struct tpl *t = NULL;
		char *err = NULL;

		assert_int_equal(tpl_parse("{{ticket.id}}", 13, only, &t,
		    &err), 0);
		tpl_free(&t);
		assert_int_equal(tpl_parse("{{ticket.tag}}", 14, only, &t,
		    &err), -1);
		assert_string_equal(err, "1: unknown variable 'ticket.tag'");
		free(err);
	}
}

static void
bad_syntax(void **state)
{
	(void)state;
	parse_fails("a\n{{ }}", "2: tag '{{ }}' has no variable name");
	parse_fails("{{}}", "1: tag '{{}}' has no variable name");
	parse_fails("{{#}}x{{/}}", "1: tag '{{#}}' has no variable name");
	parse_fails("a\nb\nc {{ticket.id\n}}",
	    "3: unclosed '{{' (no '}}' on this line)");
	parse_fails("x {{", "1: unclosed '{{' (no '}}' on this line)");
	parse_fails("{{ticket id}}", "1: bad variable name in '{{ticket id}}'");
	parse_fails("{{{ticket.id}}}",
	    "1: bad variable name in '{{{ticket.id}}'");
	parse_fails("{{>partial}}", "1: bad variable name in '{{>partial}}'");
	/* a long bad tag is cut in the message */
	parse_fails("{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aa}}",
	    "1: bad variable name in "
	    "'{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}

static void
unbalanced_sections(void **state)
{
	(void)state;
	parse_fails("a\n{{#ticket.due}}\nb\n",
	    "2: '{{#ticket.due}}' is never closed");
	parse_fails("{{#ticket.due}}\n{{^agent.name}}\nx\n{{/agent.name}}\n",
	    "1: '{{#ticket.due}}' is never closed");
	parse_fails("{{#ticket.due}}{{^agent.name}}{{/ticket.due}}",
	    "1: '{{/ticket.due}}' does not close '{{^agent.name}}' "
	    "opened on line 1");
	parse_fails("a\n\nb {{/ticket.due}}",
	    "3: '{{/ticket.due}}' closes no open section");
	parse_fails("{{#ticket.due}}{{/ticket.due}}{{/ticket.due}}",
	    "1: '{{/ticket.due}}' closes no open section");
	/* sections must balance inside the subject */
	parse_fails("Subject: {{#ticket.due}}x\n\n{{/ticket.due}}\n",
	    "1: '{{#ticket.due}}' is never closed");
}

/* A value is never template text, in the body or in the subject. */
static void
values_are_literal(void **state)
{
	static const char *const kv[] = {
		"ticket.subject", "{{support.email}} {{#x}}",
		"message.text", "{{ticket.id}}}}{{",
		"support.email", "secret@example.com",
		"ticket.tag", "[Support #17]",
		NULL,
	};
	struct vars v = { kv };
	struct tpl *t = parse_ok("Subject: {{ticket.tag}} {{ticket.subject}}\n"
	    "\n{{message.text}}|{{ticket.subject}}\n");
	char *subject, *body;

	(void)state;
	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	assert_string_equal(subject, "[Support #17] {{support.email}} {{#x}}");
	assert_string_equal(body,
	    "{{ticket.id}}}}{{|{{support.email}} {{#x}}\n");
	free(subject);
	free(body);
	tpl_free(&t);
}

static void
subject_controls(void **state)
{
	static const char *const kv[] = {
		"ticket.subject",
		"Printer\r\nBcc: victim@example.com\n\nbody\tend\x7f!",
		"customer.name", "\r\nJana\xc2\x85Nov\xe2\x80\xa8\xc3\xa1k\r\n",
		"ticket.tag", "[Support #17]",
		"message.text", "line one\r\nline two\n",
		NULL,
	};
	struct vars v = { kv };
	struct tpl *t = parse_ok("Subject: {{ticket.tag}} {{ticket.subject}} "
	    "({{customer.name}})\n\n{{ticket.subject}}|{{message.text}}");
	char *subject, *body;

	(void)state;
	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	assert_string_equal(subject, "[Support #17] Printer Bcc: "
	    "victim@example.com body end ! ( Jana Nov \xc3\xa1k )");
	assert_null(strpbrk(subject, "\r\n"));
	/* the body keeps the values as they are */
	assert_string_equal(body,
	    "Printer\r\nBcc: victim@example.com\n\nbody\tend\x7f!|"
	    "line one\r\nline two\n");
	free(subject);
	free(body);
	tpl_free(&t);
}

static void
subject_trimmed(void **state)
{
	static const char *const kv[] = {
		"ticket.tag", "[Support #17]", "ticket.subject", "\n", NULL,
	};
	struct vars v = { kv };
	struct tpl *t = parse_ok("Subject:   {{ticket.tag}} {{ticket.subject}}"
	    "{{#agent.name}} x{{/agent.name}}   \n\nBody\n");
	char *subject, *body;

	(void)state;
	assert_true(tpl_has_subject(t));
	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	assert_string_equal(subject, "[Support #17]");
	assert_string_equal(body, "Body\n");
	free(subject);
	free(body);
	/* subject_r may be NULL */
	assert_int_equal(tpl_render(t, lookup, &v, NULL, &body), 0);
	assert_string_equal(body, "Body\n");
	free(body);
	tpl_free(&t);
}

static void
header_part(void **state)
{
	struct vars v = { base_kv };
	struct tpl *t;
	char *subject, *body;

	(void)state;
	/* no header: all body, no subject */
	t = parse_ok("Dear customer,\n\nthanks.\n");
	assert_false(tpl_has_subject(t));
	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	assert_null(subject);
	assert_string_equal(body, "Dear customer,\n\nthanks.\n");
	free(body);
	tpl_free(&t);

	/* "Note:" is no header: only Subject starts a header block */
	render_is("Note: {{ticket.id}}\n\nx\n", base_kv, "Note: 17\n\nx\n");

	/* case-insensitive name; comment lines above it; empty body */
	t = parse_ok("{{! ack: the first answer }}\n{{! two }}\n"
	    "SUBJECT:{{ticket.tag}}\n\n");
	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	assert_string_equal(subject, "[Support #17]");
	assert_string_equal(body, "");
	free(subject);
	free(body);
	tpl_free(&t);

	parse_fails("Subject: x\nDear customer,\n",
	    "2: expected a header line (\"Subject: ...\") or the empty line "
	    "before the body");
	parse_fails("Subject: x\nFrom: y\n\nz\n",
	    "2: unknown header 'From' (only Subject is known)");
	parse_fails("Subject: x\nsubject: y\n\nz\n",
	    "2: a second Subject header");
	parse_fails("Subject: x\n",
	    "2: the header lines must be followed by an empty line and the "
	    "body");
	parse_fails("Subject: x", "2: the header lines must be followed by an "
	    "empty line and the body");
	/* errors in the body count lines from the top of the file */
	parse_fails("{{! c }}\nSubject: x\n\nok\n{{bad.name}}\n",
	    "5: unknown variable 'bad.name'");
}

static void
line_ends_and_bom(void **state)
{
	(void)state;
	render_is("\xef\xbb\xbf" "a\r\n{{#ticket.id}}\r\nb {{ticket.id}}\r\n"
	    "{{/ticket.id}}\r\nc\rd\r\n", base_kv, "a\nb 17\nc\rd\n");
	{
		struct vars v = { base_kv };
		struct tpl *t = parse_ok("\xef\xbb\xbfSubject: {{ticket.tag}}"
		    "\r\n\r\nHi\r\n");
		char *subject, *body;

		assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
		assert_string_equal(subject, "[Support #17]");
		assert_string_equal(body, "Hi\n");
		free(subject);
		free(body);
		tpl_free(&t);
	}
	parse_fails("ok\nDobr\xfd den\n", "2: not valid UTF-8");
	{
		struct tpl *t = NULL;
		char *err = NULL;

		assert_int_equal(tpl_parse("a\n\nb\0c", 6, tpl_variables, &t,
		    &err), -1);
		assert_string_equal(err, "3: NUL byte in the template");
		free(err);
	}
}

static void
size_limit(void **state)
{
	char *big = xmalloc(TPL_MAX + 2), *err = NULL, *body;
	struct vars v = { base_kv };
	struct tpl *t = NULL;

	(void)state;
	memset(big, 'x', TPL_MAX + 1);
	big[TPL_MAX + 1] = '\0';
	memcpy(big + TPL_MAX - 13, "{{ticket.id}}", 13);
	/* exactly 64 KiB is fine */
	assert_int_equal(tpl_parse(big, TPL_MAX, tpl_variables, &t, &err), 0);
	assert_int_equal(tpl_render(t, lookup, &v, NULL, &body), 0);
	assert_int_equal(strlen(body), TPL_MAX - 13 + 2);
	assert_string_equal(body + TPL_MAX - 13, "17");
	free(body);
	tpl_free(&t);
	assert_int_equal(tpl_parse(big, TPL_MAX + 1, tpl_variables, &t, &err),
	    -1);
	assert_null(t);
	assert_string_equal(err, "template too large (65537 bytes; at most "
	    "65536)");
	free(err);
	free(big);
}

/* Nesting as deep as 64 KiB allows: parse and render are loops. */
static void
deep_nesting(void **state)
{
	static const char open[] = "{{#ticket.id}}", close[] = "{{/ticket.id}}";
	size_t depth = 2000, ol = strlen(open), cl = strlen(close), i;
	char *text = xmalloc(depth * (ol + cl) + 2), *p = text, *body, *err;
	static const char *const none[] = { NULL };
	struct vars v = { base_kv }, nv = { none };
	struct tpl *t = NULL;

	(void)state;
	for (i = 0; i < depth; i++, p += ol)
		memcpy(p, open, ol);
	*p++ = 'x';
	for (i = 0; i < depth; i++, p += cl)
		memcpy(p, close, cl);
	*p = '\0';
	assert_true(strlen(text) <= TPL_MAX);
	t = parse_ok(text);
	assert_int_equal(tpl_render(t, lookup, &v, NULL, &body), 0);
	assert_string_equal(body, "x");
	free(body);
	assert_int_equal(tpl_render(t, lookup, &nv, NULL, &body), 0);
	assert_string_equal(body, "");
	free(body);
	tpl_free(&t);

	/* and without the closes: an error, not a crash */
	text[depth * ol + 1] = '\0';
	assert_int_equal(tpl_parse(text, strlen(text), tpl_variables, &t,
	    &err), -1);
	assert_string_equal(err, "1: '{{#ticket.id}}' is never closed");
	free(err);
	free(text);
}

static void
output_limit(void **state)
{
	size_t vlen = 1024 * 1024, i;
	char *value = xmalloc(vlen + 1), *body = (char *)"unchanged";
	char *subject = (char *)"unchanged";
	const char *kv[] = { "message.text", value, "ticket.tag", "t", NULL };
	struct vars v = { kv };
	char text[70 * 16 + 40];
	struct tpl *t;

	(void)state;
	memset(value, 'v', vlen);
	value[vlen] = '\0';
	strcpy(text, "Subject: {{ticket.tag}}\n\n");
	for (i = 0; i < 70; i++)
		strcat(text, "{{message.text}}");
	t = parse_ok(text);
	/* 70 MiB would exceed TPL_OUTPUT_MAX (64 MiB) */
	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), -1);
	assert_null(subject);
	assert_null(body);
	tpl_free(&t);
	free(value);
}

static void
load_errors(void **state)
{
	char path[] = "/tmp/test-template-XXXXXX", *err = NULL, *want;
	struct tpl *t = NULL;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("Subject: {{ticket.tag}}\n\nHello\n{{#agent.name}}\n", f);
	fclose(f);
	assert_int_equal(tpl_load(path, tpl_variables, &t, &err), -1);
	want = xasprintf("%s:4: '{{#agent.name}}' is never closed", path);
	assert_string_equal(err, want);
	free(want);
	free(err);

	f = fopen(path, "w");
	assert_non_null(f);
	for (fd = 0; fd <= TPL_MAX; fd++)
		fputc('x', f);
	fclose(f);
	assert_int_equal(tpl_load(path, tpl_variables, &t, &err), -1);
	want = xasprintf("%s: template too large (65537 bytes; at most "
	    "65536)", path);
	assert_string_equal(err, want);
	free(want);
	free(err);
	unlink(path);

	assert_int_equal(tpl_load(path, tpl_variables, &t, &err), -1);
	assert_null(t);
	want = xasprintf("%s: No such file or directory", path);
	assert_string_equal(err, want);
	free(want);
	free(err);
}

/* --- the shipped templates and canned answers ------------------------- */

static const char *const languages[] = { "cs", "en", "hu", "pl", "sk", NULL };
static const char *const template_names[] = {
	"ack.txt", "autoclose.txt", "escalation-breach.txt",
	"escalation-warning.txt", "notify-new.txt", "notify-reply.txt",
	"pending-reminder.txt", "remind.txt", "reply.txt", "still-working.txt", "survey.txt",
	NULL,
};
static const char *const answer_names[] = {
	"known-outage.txt", "more-details.txt", "password-reset.txt", NULL,
};

static const char *const sample_kv[] = {
	"customer.name", "Jana Dvořáková",
	"customer.email", "jana@example.org",
	"ticket.id", "4711",
	"ticket.subject", "Tiskárna netiskne",
	"ticket.status", "open",
	"ticket.queue", "general",
	"ticket.priority", "high",
	"ticket.due", "pondělí 10:00",
	"ticket.tag", "[Support #4711]",
	"agent.name", "Alice Novák",
	"support.name", "Example Support",
	"support.email", "support@example.com",
	"message.text", "SAMPLE MESSAGE TEXT",
	"survey.good", "mailto:support@example.com?subject=good",
	"survey.bad", "mailto:support@example.com?subject=bad",
	"remind.date", "15. 3. 2025",
	"sla.first_response", "1",
	NULL,
};

/* Only what must be there; everything optional is unset. */
static const char *const sparse_kv[] = {
	"customer.email", "jana@example.org",
	"ticket.id", "4711",
	"ticket.subject", "Tiskárna netiskne",
	"ticket.status", "open",
	"ticket.queue", "general",
	"ticket.priority", "high",
	"ticket.tag", "[Support #4711]",
	"support.name", "Example Support",
	"support.email", "support@example.com",
	"message.text", "SAMPLE MESSAGE TEXT",
	"survey.good", "good",
	"survey.bad", "bad",
	NULL,
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted entries of dir not starting with '.'; *n_r their count.
 * Caller frees the strings and the array. */
static char **
list_dir(const char *dir, size_t *n_r)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL)
		print_error("cannot open %s\n", dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	*n_r = n;
	return names;
}

static void
free_list(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* dir's entries are exactly want (sorted, NULL-terminated). */
static void
assert_dir_is(const char *dir, const char *const *want)
{
	size_t n, i;
	char **got = list_dir(dir, &n);

	for (i = 0; i < n && want[i] != NULL; i++) {
		if (strcmp(got[i], want[i]) != 0)
			print_error("%s: found %s, expected %s\n", dir, got[i],
			    want[i]);
		assert_string_equal(got[i], want[i]);
	}
	if (i < n || want[i] != NULL)
		print_error("%s: %zu entries, expected a different number\n",
		    dir, n);
	assert_true(i == n && want[i] == NULL);
	free_list(got, n);
}

static void
shipped_file_sets(void **state)
{
	char *dir;
	size_t l;

	(void)state;
	assert_dir_is(CONF_DIR "/templates", languages);
	assert_dir_is(CONF_DIR "/answers", languages);
	for (l = 0; languages[l] != NULL; l++) {
		dir = xasprintf("%s/templates/%s", CONF_DIR, languages[l]);
		assert_dir_is(dir, template_names);
		free(dir);
		dir = xasprintf("%s/answers/%s", CONF_DIR, languages[l]);
		assert_dir_is(dir, answer_names);
		free(dir);
	}
}

static struct tpl *
load_ok(const char *path)
{
	struct tpl *t = NULL;
	char *err = NULL;

	if (tpl_load(path, tpl_variables, &t, &err) != 0)
		print_error("%s\n", err);
	assert_null(err);
	assert_non_null(t);
	return t;
}

/* Checks that hold for every render of every shipped file. */
static void
check_text(const char *path, const char *what, const char *s)
{
	if (strstr(s, "{{") != NULL || strstr(s, "}}") != NULL)
		print_error("%s: braces left in the %s\n", path, what);
	assert_null(strstr(s, "{{"));
	assert_null(strstr(s, "}}"));
	/* a vanished name or section leaves no "Hello ," or a gap */
	if (strstr(s, " ,") != NULL || strstr(s, "\n\n\n") != NULL ||
	    strstr(s, " !") != NULL || strstr(s, " .") != NULL)
		print_error("%s: a gap in the %s:\n%s\n", path, what, s);
	assert_null(strstr(s, " ,"));
	assert_null(strstr(s, " !"));
	assert_null(strstr(s, " ."));
	assert_null(strstr(s, "\n\n\n"));
}

static void
check_template(const char *lang, const char *name, const char *const *kv)
{
	char *path = xasprintf("%s/templates/%s/%s", CONF_DIR, lang, name);
	struct vars v = { kv };
	struct tpl *t = load_ok(path);
	char *subject = NULL, *body = NULL;

	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	if (subject == NULL || strstr(subject, "[Support #4711]") == NULL)
		print_error("%s: subject without the tag: %s\n", path,
		    subject != NULL ? subject : "(none)");
	assert_non_null(subject);
	assert_non_null(strstr(subject, "[Support #4711]"));
	assert_null(strpbrk(subject, "\r\n"));
	check_text(path, "subject", subject);
	check_text(path, "body", body);
	if (strstr(body, "4711") == NULL)
		print_error("%s: no ticket number in the body\n", path);
	assert_non_null(strstr(body, "4711"));
	assert_true(body[0] != '\n' && body[0] != ' ');
	assert_true(strlen(body) > 40 && body[strlen(body) - 1] == '\n');
	if (strncmp(name, "notify-", 7) == 0 || strcmp(name, "reply.txt") == 0)
		assert_non_null(strstr(body, "SAMPLE MESSAGE TEXT\n"));
	if (strncmp(name, "notify-", 7) == 0) {
		assert_non_null(strstr(body, "#note"));
		assert_non_null(strstr(body, "#close"));
	}
	if (strcmp(name, "survey.txt") == 0) {
		assert_non_null(strstr(body, lookup("survey.good", &v)));
		assert_non_null(strstr(body, lookup("survey.bad", &v)));
		assert_non_null(strstr(body, "5"));
	}
	if (strcmp(name, "ack.txt") == 0) {
		assert_non_null(strstr(body, "Example Support"));
		if (lookup("ticket.due", &v) != NULL)
			assert_non_null(strstr(body, "pondělí 10:00"));
	}
	free(subject);
	free(body);
	tpl_free(&t);
	free(path);
}

static void
check_answer(const char *lang, const char *name, const char *const *kv)
{
	char *path = xasprintf("%s/answers/%s/%s", CONF_DIR, lang, name);
	struct vars v = { kv };
	struct tpl *t = load_ok(path);
	char *subject = NULL, *body = NULL;

	assert_false(tpl_has_subject(t));
	assert_int_equal(tpl_render(t, lookup, &v, &subject, &body), 0);
	assert_null(subject);
	check_text(path, "body", body);
	assert_true(strlen(body) > 40 && body[strlen(body) - 1] == '\n');
	free(body);
	tpl_free(&t);
	free(path);
}

static void
shipped_files_render(void **state)
{
	size_t l, i;

	(void)state;
	for (l = 0; languages[l] != NULL; l++) {
		for (i = 0; template_names[i] != NULL; i++) {
			check_template(languages[l], template_names[i],
			    sample_kv);
			check_template(languages[l], template_names[i],
			    sparse_kv);
		}
		for (i = 0; answer_names[i] != NULL; i++) {
			check_answer(languages[l], answer_names[i], sample_kv);
			check_answer(languages[l], answer_names[i], sparse_kv);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(variables),
		cmocka_unit_test(sections),
		cmocka_unit_test(inverted_sections),
		cmocka_unit_test(nested_sections),
		cmocka_unit_test(standalone_lines),
		cmocka_unit_test(comments),
		cmocka_unit_test(unknown_variable),
		cmocka_unit_test(bad_syntax),
		cmocka_unit_test(unbalanced_sections),
		cmocka_unit_test(values_are_literal),
		cmocka_unit_test(subject_controls),
		cmocka_unit_test(subject_trimmed),
		cmocka_unit_test(header_part),
		cmocka_unit_test(line_ends_and_bom),
		cmocka_unit_test(size_limit),
		cmocka_unit_test(deep_nesting),
		cmocka_unit_test(output_limit),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(shipped_file_sets),
		cmocka_unit_test(shipped_files_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
