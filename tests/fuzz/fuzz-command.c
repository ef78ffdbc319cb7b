/* fuzz-command.c: libFuzzer target for the commands by email
 * (cmd_parse, src/pipe/command.c): the lines at the top of an agent's
 * mail that close, assign, tag ... a ticket.
 *
 * Input: one byte choosing the time zone and the clock, then the text.
 * Besides the sanitizers' findings it checks what command.h promises, and
 * traps after saying which one:
 *   - rest is the input's own tail (rest_len bytes, NUL-terminated), the
 *     whole text when there is neither a command nor an error;
 *   - commands and errors come in line order, lines within the text;
 *   - every argument has its documented shape: none for #close ...
 *     #note; #priority one of four words; #tag and #answer safe names
 *     (an #answer never holds '/' nor starts with '.', so it can never
 *     name a file outside the answers directory); #cc and #requester one
 *     address with one '@'; #remind a time after now, within 366 days;
 *     every string valid UTF-8 without control characters (they reach
 *     mail headers and the database);
 *   - error texts are non-empty one-line UTF-8; at most a few dozen;
 *   - no command is listed twice with the same argument;
 *   - the same input parses the same way twice, and TZ is left as it was.
 *
 * Built and run by tests/fuzz/run-fuzz.sh (target "command"). */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postdesk/command.h"
#include "postdesk/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *val)
{
	fprintf(stderr, "fuzz-command: invariant violated: %s", what);
	if (val != NULL) {
		fputs(": \"", stderr);
		for (size_t n = 0; val[n] && n < 200; n++) {
			unsigned char c = (unsigned char)val[n];

			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				fprintf(stderr, "\\x%02x", c);
			else
				fputc(c, stderr);
		}
		fputc('"', stderr);
	}
	fputc('\n', stderr);
	__builtin_trap();
}

/* Valid UTF-8, no C0 control character, no DEL. */
static void
check_clean(const char *s, const char *what)
{
	size_t len;

	if (s == NULL)
		fail("NULL string", what);
	len = strlen(s);
	if (!utf8_valid(s, len))
		fail("not valid UTF-8", what);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fail("control character", what);
}

static bool
safe_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static void
check_cmd(const struct cmd *c, int64_t now, int nlines)
{
	const char *a = c->arg;

	if (c->line < 1 || c->line > nlines)
		fail("command line number outside the text", a);
	if (c->name != NULL && c->kind != CMD_CC && c->kind != CMD_REQUESTER)
		fail("a name on a command that takes none", c->name);
	if (c->name != NULL)
		check_clean(c->name, "name");
	if (c->kind != CMD_REMIND && c->when != 0)
		fail("a time on a command that is no #remind", a);
	switch (c->kind) {
	case CMD_CLOSE: case CMD_RESOLVE: case CMD_PENDING: case CMD_OPEN: case CMD_NOTE:
		if (a != NULL)
			fail("an argument on a command that takes none", a);
		return;
	case CMD_PRIORITY:
		if (a == NULL || (strcmp(a, "low") && strcmp(a, "normal") && strcmp(a, "high") &&
		    strcmp(a, "urgent")))
			fail("#priority not one of its four words", a);
		return;
	case CMD_TAG:
		if (a == NULL || !safe_name(a, 64))
			fail("#tag not a safe word", a);
		return;
	case CMD_ANSWER:
		if (a == NULL || !safe_name(a, 64) || a[0] == '.' || strchr(a, '/'))
			fail("#answer not a safe file name", a);
		return;
	case CMD_CC: case CMD_REQUESTER:
		check_clean(a, "address");
		if (strchr(a, '@') == NULL || strchr(a, '@') != strrchr(a, '@') ||
		    strpbrk(a, " <>\"") != NULL || strlen(a) > 254)
			fail("#cc/#requester not one plain address", a);
		return;
	case CMD_ASSIGN: case CMD_QUEUE:
		check_clean(a, "name");
		if (a[0] == '\0' || strpbrk(a, " \t") != NULL)
			fail("#assign/#queue not one word", a);
		return;
	case CMD_REMIND:
		check_clean(a, "remind");
		if (c->when <= now || c->when > now + 366 * 86400LL)
			fail("#remind time not within (now, now + 366 days]", a);
		return;
	}
	fail("unknown command kind", a);
}

static bool
same_list(const struct cmd_list *x, const struct cmd_list *y)
{
	if (x->n != y->n || x->nerr != y->nerr || x->rest_len != y->rest_len ||
	    memcmp(x->rest, y->rest, x->rest_len) != 0)
		return false;
	for (size_t i = 0; i < x->n; i++) {
		const struct cmd *a = &x->v[i], *b = &y->v[i];

		if (a->kind != b->kind || a->line != b->line || a->when != b->when ||
		    (a->arg == NULL) != (b->arg == NULL) || (a->arg && strcmp(a->arg, b->arg)) ||
		    (a->name == NULL) != (b->name == NULL) || (a->name && strcmp(a->name, b->name)))
			return false;
	}
	for (size_t i = 0; i < x->nerr; i++)
		if (x->err[i].line != y->err[i].line || strcmp(x->err[i].text, y->err[i].text))
			return false;
	return true;
}

static void
check_list(const struct cmd_list *l, const char *text, size_t len, int64_t now)
{
	int nlines = 1, last = 0;

	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			nlines++;
	if (l->rest == NULL || l->rest_len > len || l->rest[l->rest_len] != '\0' ||
	    (l->rest_len > 0 && memcmp(l->rest, text + len - l->rest_len, l->rest_len) != 0))
		fail("rest is not the tail of the text", NULL);
	if (l->n == 0 && l->nerr == 0 && l->rest_len != len)
		fail("text without commands was not kept whole", NULL);
	if (l->nerr > 40)
		fail("more than 40 errors listed", NULL);
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].line < last)
			fail("commands out of line order", l->v[i].arg);
		last = l->v[i].line;
		check_cmd(&l->v[i], now, nlines);
		for (size_t j = 0; j < i; j++)
			if (l->v[j].kind == l->v[i].kind && l->v[j].kind != CMD_REMIND &&
			    ((l->v[j].arg == NULL && l->v[i].arg == NULL) ||
			    (l->v[j].arg && l->v[i].arg && strcasecmp(l->v[j].arg, l->v[i].arg) == 0)))
				fail("the same command listed twice", l->v[i].arg);
	}
	last = 0;
	for (size_t i = 0; i < l->nerr; i++) {
		if (l->err[i].line < last || l->err[i].line < 1 || l->err[i].line > nlines)
			fail("error line out of order or outside the text", l->err[i].text);
		last = l->err[i].line;
		check_clean(l->err[i].text, "error text");
		if (l->err[i].text[0] == '\0')
			fail("empty error text", NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const zones[] = { "UTC", "Europe/Prague", "America/New_York",
		"Australia/Lord_Howe", "Pacific/Chatham", "", NULL, "Nowhere/Invalid" };
	struct cmd_list a, b;
	const char *text;
	const char *tz_env;
	char tz_before[256] = "";
	bool tz_set;
	int64_t now;
	size_t len;

	if (size < 1)
		return 0;
	/* The clock: 2025-03-30 00:30 UTC (a DST change in Europe) plus up
	 * to ~8 months in steps of a week and a quarter hour. */
	now = 1743294600LL + (int64_t)(data[0] >> 3) * (7 * 86400 + 900);
	text = (const char *)data + 1;
	len = size - 1;
	tz_env = getenv("TZ");
	tz_set = tz_env != NULL;
	if (tz_set)
		snprintf(tz_before, sizeof(tz_before), "%s", tz_env);
	cmd_parse(text, len, now, zones[data[0] & 7], &a);
	tz_env = getenv("TZ");
	if ((tz_env != NULL) != tz_set || (tz_set && strcmp(tz_env, tz_before) != 0))
		fail("TZ was not put back", tz_env);
	check_list(&a, text, len, now);
	cmd_parse(text, len, now, zones[data[0] & 7], &b);
	if (!same_list(&a, &b))
		fail("the same text parsed differently twice", NULL);
	cmd_list_free(&a);
	cmd_list_free(&b);
	return 0;
}
