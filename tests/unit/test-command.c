/* test-command.c: cmd_parse, the command lines at the top of an agent's
 * mail: every command with good and bad arguments, where commands are
 * read, #remind in Europe/Prague across both DST changes, line endings,
 * Outlook's spaces, and hostile input in linear time.
 *
 * Times: NOW is Friday 2025-10-24 10:00 CEST; the clocks go back on
 * Sunday 2025-10-26 (03:00 CEST → 02:00 CET) and forward on Sunday
 * 2026-03-29 (02:00 CET → 03:00 CEST). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "postdesk/command.h"
#include "postdesk/utf8.h"

#define NOW	1761292800LL	/* 2025-10-24 10:00 CEST = 08:00Z */
#define TZ	"Europe/Prague"
#define HOUR	3600LL
#define DAY	86400LL

/* What every result must be, whatever the input: error texts are one
 * line of valid UTF-8 without controls; arguments likewise; rest is a
 * suffix of the input (or all of it). */
static void
check_invariants(const char *in, size_t len, const struct cmd_list *l)
{
	assert_non_null(l->rest);
	assert_true(l->rest_len <= len);
	assert_memory_equal(l->rest, in + len - l->rest_len, l->rest_len);
	assert_int_equal(l->rest[l->rest_len], '\0');
	for (size_t i = 0; i < l->nerr; i++) {
		const char *t = l->err[i].text;

		assert_true(utf8_valid(t, strlen(t)));
		for (const char *p = t; *p; p++)
			assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
		assert_true(l->err[i].line >= 1);
		if (i > 0)
			assert_true(l->err[i - 1].line <= l->err[i].line);
	}
	for (size_t i = 0; i < l->n; i++) {
		const char *a = l->v[i].arg;

		if (a != NULL) {
			assert_true(utf8_valid(a, strlen(a)));
			assert_null(strpbrk(a, "\r\n\t"));
		}
		assert_true(l->v[i].line >= 1);
	}
}

static struct cmd_list
parse_at(const char *in, int64_t now)
{
	struct cmd_list l;

	assert_int_equal(cmd_parse(in, strlen(in), now, TZ, &l), 0);
	check_invariants(in, strlen(in), &l);
	return l;
}

static struct cmd_list
parse(const char *in)
{
	return parse_at(in, NOW);
}

/* in is exactly one command (kind, arg) and nothing else. */
static void
one(const char *in, enum cmd_kind kind, const char *arg)
{
	struct cmd_list l = parse(in);

	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, kind);
	if (arg == NULL)
		assert_null(l.v[0].arg);
	else
		assert_string_equal(l.v[0].arg, arg);
	assert_null(l.v[0].name);
	assert_int_equal(l.v[0].line, 1);
	assert_string_equal(l.rest, "");
	cmd_list_free(&l);
}

/* in gives no command and exactly one error, on line `line`. */
static void
err1(const char *in, int line, const char *want)
{
	struct cmd_list l = parse(in);

	assert_int_equal(l.n, 0);
	assert_int_equal(l.nerr, 1);
	assert_string_equal(l.err[0].text, want);
	assert_int_equal(l.err[0].line, line);
	cmd_list_free(&l);
}

/* in is one #remind at `now` for the time want. */
static void
remind_at(const char *in, int64_t now, int64_t want, const char *want_arg)
{
	struct cmd_list l = parse_at(in, now);

	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, CMD_REMIND);
	assert_int_equal(l.v[0].when, want);
	assert_string_equal(l.v[0].arg, want_arg);
	cmd_list_free(&l);
}

static double
seconds_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* --- each command ------------------------------------------------------ */

static void
status_commands(void **state)
{
	(void)state;
	one("#close", CMD_CLOSE, NULL);
	one("#resolve\n", CMD_RESOLVE, NULL);
	one("#pending\n", CMD_PENDING, NULL);
	one("#open\n", CMD_OPEN, NULL);
	err1("#close now\n", 1, "#close takes no argument, but 'now' follows it.");
	err1("#open the ticket again\n", 1,
	    "#open takes no argument, but 'the ticket again' follows it.");
}

static void
assign_and_queue(void **state)
{
	(void)state;
	one("#assign alice\n", CMD_ASSIGN, "alice");
	one("#assign alice@example.com\n", CMD_ASSIGN, "alice@example.com");
	one("#assign jiří\n", CMD_ASSIGN, "jiří");
	one("#queue billing\n", CMD_QUEUE, "billing");
	err1("#assign\n", 1, "#assign needs an agent's name or address, e.g. #assign alice.");
	err1("#assign   \n", 1, "#assign needs an agent's name or address, e.g. #assign alice.");
	err1("#assign Alice Novák\n", 1, "#assign takes one word, not 'Alice Novák'.");
	err1("#assign al\x01ice\n", 1, "#assign: 'al?ice' has characters that cannot be in a name.");
	err1("#assign \xff\xfe\n", 1,
	    "#assign: '\xef\xbf\xbd\xef\xbf\xbd' has characters that cannot be in a name.");
	err1("#queue\n", 1, "#queue needs the name of a queue, e.g. #queue billing.");
	err1("#queue first line\n", 1, "#queue takes one word, not 'first line'.");
	err1("#queue aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 1,
	    "#queue: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xe2\x80\xa6' is too long "
	    "(at most 64 characters).");
}

static void
priority(void **state)
{
	(void)state;
	one("#priority low\n", CMD_PRIORITY, "low");
	one("#priority normal\n", CMD_PRIORITY, "normal");
	one("#priority high\n", CMD_PRIORITY, "high");
	one("#priority Urgent\n", CMD_PRIORITY, "urgent");
	err1("#priority hgih\n", 1, "#priority: 'hgih' is not low, normal, high or urgent.");
	err1("#priority very high\n", 1,
	    "#priority: 'very high' is not low, normal, high or urgent.");
	err1("#priority\n", 1, "#priority needs low, normal, high or urgent, e.g. #priority high.");
}

static void
tags(void **state)
{
	struct cmd_list l;

	(void)state;
	one("#tag refund-2025_q4.x\n", CMD_TAG, "refund-2025_q4.x");
	err1("#tag a/b\n", 1, "#tag: 'a/b' is not one word of letters, digits, '.', '_' and '-'.");
	err1("#tag vrácení\n", 1,
	    "#tag: 'vrácení' is not one word of letters, digits, '.', '_' and '-'.");
	err1("#tag two words\n", 1, "#tag takes one word, not 'two words'.");
	err1("#tag\n", 1, "#tag needs a word, e.g. #tag refund.");
	/* Several tags are kept in order; a repeat (any case) counts once. */
	l = parse("#tag refund\n#tag vip\n#tag REFUND\n");
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].arg, "refund");
	assert_string_equal(l.v[1].arg, "vip");
	assert_int_equal(l.v[1].line, 2);
	cmd_list_free(&l);
}

/* #cc and #requester share the address grammar. */
static void
check_addr(const char *in, enum cmd_kind kind, const char *addr, const char *name)
{
	struct cmd_list l = parse(in);

	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, kind);
	assert_string_equal(l.v[0].arg, addr);
	if (name == NULL)
		assert_null(l.v[0].name);
	else
		assert_string_equal(l.v[0].name, name);
	cmd_list_free(&l);
}

static void
cc_and_requester(void **state)
{
	struct cmd_list l;

	(void)state;
	check_addr("#cc jan@example.com\n", CMD_CC, "jan@example.com", NULL);
	check_addr("#cc <jan@example.com>\n", CMD_CC, "jan@example.com", NULL);
	check_addr("#cc mailto:jan@example.com\n", CMD_CC, "jan@example.com", NULL);
	check_addr("#cc Jan Novák <jan.novak@example.cz>\n", CMD_CC,
	    "jan.novak@example.cz", "Jan Novák");
	check_addr("#cc \"Novák, Jan\" <jan@example.cz>\n", CMD_CC,
	    "jan@example.cz", "Novák, Jan");
	/* Outlook's plain text part: the link target after the link text. */
	check_addr("#cc jan@example.com <mailto:jan@example.com>\n", CMD_CC,
	    "jan@example.com", NULL);
	check_addr("#requester petr+orders@sub.example.co.uk\n", CMD_REQUESTER,
	    "petr+orders@sub.example.co.uk", NULL);
	check_addr("#requester Petr <petr@příklad.cz>\n", CMD_REQUESTER,
	    "petr@příklad.cz", "Petr");
	err1("#cc jan@\n", 1, "#cc: 'jan@' is not an e-mail address.");
	err1("#cc jan\n", 1, "#cc: 'jan' is not an e-mail address.");
	err1("#cc jan@localhost\n", 1, "#cc: 'jan@localhost' is not an e-mail address.");
	err1("#cc jan..n@example.com\n", 1, "#cc: 'jan..n@example.com' is not an e-mail address.");
	err1("#cc jan@-example.com\n", 1, "#cc: 'jan@-example.com' is not an e-mail address.");
	err1("#cc a@example.com, b@example.com\n", 1,
	    "#cc: 'a@example.com, b@example.com' is not an e-mail address.");
	err1("#cc Jan <jan@example.com\n", 1,
	    "#cc: 'Jan <jan@example.com' is not an e-mail address.");
	err1("#cc\n", 1, "#cc needs an e-mail address, e.g. #cc jan@example.com.");
	err1("#requester\n", 1,
	    "#requester needs the customer's e-mail address, e.g. #requester jan@example.com.");
	err1("#requester jan at example.com\n", 1,
	    "#requester: 'jan at example.com' is not an e-mail address.");
	/* Several #cc; one requester only. */
	l = parse("#cc a@example.com\n#cc b@example.com\n#cc A@EXAMPLE.COM\n");
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].arg, "b@example.com");
	cmd_list_free(&l);
	l = parse("#requester a@example.com\n#requester b@example.com\n");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 2);
	assert_string_equal(l.err[0].text, "#requester b@example.com conflicts with "
	    "#requester a@example.com on line 1: give it once.");
	cmd_list_free(&l);
}

static void
note(void **state)
{
	struct cmd_list l;

	(void)state;
	l = parse("#note\nCalled the customer; she will send the invoice.\n");
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, CMD_NOTE);
	assert_null(l.v[0].arg);
	assert_string_equal(l.rest, "Called the customer; she will send the invoice.\n");
	cmd_list_free(&l);

	l = parse("#pending\n#note\n\nWaiting for the courier.\n");
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].kind, CMD_PENDING);
	assert_int_equal(l.v[1].kind, CMD_NOTE);
	assert_int_equal(l.v[1].line, 2);
	assert_string_equal(l.rest, "Waiting for the courier.\n");
	cmd_list_free(&l);

	/* A note needs text; a signature alone is none. */
	l = parse("#close\n#note\n\n");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 2);
	assert_string_equal(l.err[0].text,
	    "#note: there is no text below the commands to keep as the note.");
	cmd_list_free(&l);
	l = parse("#note\n-- \nAlice\n");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 1);
	assert_string_equal(l.err[0].text,
	    "#note: there is no text below the commands to keep as the note.");
	assert_string_equal(l.rest, "");
	cmd_list_free(&l);
	err1("#note called her\nok\n", 1, "#note takes no argument, but 'called her' "
	    "follows it. Write the note on the lines below the commands.");
}

static void
answer(void **state)
{
	struct cmd_list l;

	(void)state;
	l = parse("#answer password-reset\n\nAnd your account is unlocked.\n");
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, CMD_ANSWER);
	assert_string_equal(l.v[0].arg, "password-reset");
	assert_string_equal(l.rest, "And your account is unlocked.\n");
	cmd_list_free(&l);
	one("#answer known_outage.v2\n", CMD_ANSWER, "known_outage.v2");
	err1("#answer ../../etc/passwd\n", 1, "#answer: '../../etc/passwd' is not the name "
	    "of a canned answer (letters, digits, '.', '_' and '-', not first '.').");
	err1("#answer .hidden\n", 1, "#answer: '.hidden' is not the name "
	    "of a canned answer (letters, digits, '.', '_' and '-', not first '.').");
	err1("#answer\n", 1,
	    "#answer needs the name of a canned answer, e.g. #answer password-reset.");
	/* A note is never sent: a canned answer cannot go with it. */
	l = parse("#note\n#answer more-details\nInternal.\n");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 2);
	assert_string_equal(l.err[0].text, "#answer cannot go with #note on line 1: "
	    "a note is never sent to the customer.");
	cmd_list_free(&l);
}

/* --- #remind ----------------------------------------------------------- */

static void
remind_relative(void **state)
{
	(void)state;
	remind_at("#remind 30m\n", NOW, NOW + 1800, "30m");
	remind_at("#remind 4h\n", NOW, NOW + 4 * HOUR, "4h");
	remind_at("#remind 4H\n", NOW, NOW + 4 * HOUR, "4H");
	/* Days keep the wall-clock time: Sunday 10:00 CET is 49 hours away,
	 * 48 hours is Sunday 09:00 CET. */
	remind_at("#remind 2d\n", NOW, 1761469200LL, "2d");
	assert_int_equal(1761469200LL - NOW, 49 * HOUR);
	remind_at("#remind 48h\n", NOW, NOW + 48 * HOUR, "48h");
	remind_at("#remind 1w\n", NOW, 1761901200LL, "1w");	/* Fri 31 Oct 10:00 CET */
	remind_at("#remind 1d12h\n", NOW, 1761422400LL, "1d12h");	/* Sat 22:00 CEST */
	remind_at("#remind 52w\n", NOW, NOW + 364 * DAY, "52w");	/* still CEST */
	err1("#remind 0d\n", 1, "#remind: '0d' is not in the future.");
	err1("#remind 53w\n", 1, "#remind: '53w' is more than a year ahead.");
	err1("#remind 9000h\n", 1, "#remind: '9000h' is more than a year ahead.");
	err1("#remind 2x\n", 1, "#remind: '2x' is not a time. Write for example "
	    "2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00.");
	err1("#remind 2 d\n", 1, "#remind: '2 d' is not a time. Write for example "
	    "2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00.");
	err1("#remind tomorrow\n", 1, "#remind: 'tomorrow' is not a time. Write for "
	    "example 2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00.");
	err1("#remind 1234567d\n", 1, "#remind: '1234567d' is not a time. Write for "
	    "example 2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00.");
	err1("#remind\n", 1,
	    "#remind needs a time: 2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00.");
}

static void
remind_absolute(void **state)
{
	(void)state;
	remind_at("#remind 2025-12-01 10:00\n", NOW, 1764579600LL, "2025-12-01 10:00");
	remind_at("#remind 2025-12-01\n", NOW, 1764576000LL, "2025-12-01");	/* 09:00 */
	remind_at("#remind 2025-12-01   9:00\n", NOW, 1764576000LL, "2025-12-01 09:00");
	remind_at("#remind 2025-10-24 10:01\n", NOW, NOW + 60, "2025-10-24 10:01");
	/* 02:30 happens twice on 26 October: the first, in CEST. */
	remind_at("#remind 2025-10-26 02:30\n", NOW, 1761438600LL, "2025-10-26 02:30");
	remind_at("#remind 2026-10-23\n", NOW, 1792738800LL, "2026-10-23");
	err1("#remind 2026-03-29 02:30\n", 1, "#remind: 2026-03-29 02:30 does not exist "
	    "in Europe/Prague: the clocks skip that hour.");
	err1("#remind 2025-10-24 10:00\n", 1, "#remind: 2025-10-24 10:00 is in the past.");
	err1("#remind 2025-10-24\n", 1, "#remind: 2025-10-24 is in the past.");
	err1("#remind 2024-12-01 10:00\n", 1, "#remind: 2024-12-01 10:00 is in the past.");
	err1("#remind 2027-01-01\n", 1, "#remind: 2027-01-01 is more than a year ahead.");
	err1("#remind 2025-02-29\n", 1, "#remind: '2025-02-29' is not a valid date.");
	err1("#remind 2025-13-01\n", 1, "#remind: '2025-13-01' is not a valid date.");
	err1("#remind 2025-12-01 24:00\n", 1, "#remind: '24:00' is not a valid time of day.");
	err1("#remind 2025-12-01 10:60\n", 1, "#remind: '10:60' is not a valid time of day.");
	err1("#remind 1.12.2025\n", 1, "#remind: '1.12.2025' is not a time. Write for "
	    "example 2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00.");
	err1("#remind 2025-12-01 10:00 call her\n", 1, "#remind: '2025-12-01 10:00 call "
	    "her' is not a time. Write for example 2d, 4h, 30m, 1w, 2025-12-01 or "
	    "2025-12-01 10:00.");
}

static void
remind_spring_forward(void **state)
{
	const int64_t sat = 1774688400LL;	/* 2026-03-28 10:00 CET */

	(void)state;
	/* Sunday 10:00 CEST is only 23 hours later. */
	remind_at("#remind 1d\n", sat, 1774771200LL, "1d");
	assert_int_equal(1774771200LL - sat, 23 * HOUR);
	remind_at("#remind 24h\n", sat, sat + 24 * HOUR, "24h");
}

/* TZ is put back as it was, set or unset. */
static void
remind_restores_tz(void **state)
{
	struct cmd_list l;

	(void)state;
	setenv("TZ", "America/New_York", 1);
	tzset();
	l = parse("#remind 2025-12-01 10:00\n");
	assert_int_equal(l.v[0].when, 1764579600LL);
	assert_string_equal(getenv("TZ"), "America/New_York");
	cmd_list_free(&l);
	unsetenv("TZ");
	tzset();
	l = parse("#remind 2d\n");
	assert_int_equal(l.v[0].when, 1761469200LL);
	assert_null(getenv("TZ"));
	cmd_list_free(&l);
	/* No zone: UTC. */
	assert_int_equal(cmd_parse("#remind 2025-12-01 10:00", 24, NOW, NULL, &l), 0);
	assert_int_equal(l.v[0].when, 1764583200LL);
	cmd_list_free(&l);
}

/* --- where commands are ------------------------------------------------ */

static void
only_at_the_top(void **state)
{
	struct cmd_list l;
	const char *in;

	(void)state;
	/* After the first line of text, "#close" is text. */
	in = "Hello,\n#close\nthe ticket stays open.\n";
	l = parse(in);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.nerr, 0);
	assert_string_equal(l.rest, in);
	cmd_list_free(&l);

	in = "#close\n\nDone, see the attached invoice.\n#tag invoice\n";
	l = parse(in);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nerr, 0);
	assert_string_equal(l.rest, "Done, see the attached invoice.\n#tag invoice\n");
	cmd_list_free(&l);

	/* Blank lines before and between commands. */
	l = parse("\n  \n#close\n\n#priority low\n\nThanks.\n");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].line, 3);
	assert_int_equal(l.v[1].line, 5);
	assert_int_equal(l.v[1].kind, CMD_PRIORITY);
	assert_string_equal(l.rest, "Thanks.\n");
	cmd_list_free(&l);
}

static void
commands_only(void **state)
{
	struct cmd_list l;

	(void)state;
	l = parse("#resolve\n#tag done\n\n\n");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nerr, 0);
	assert_string_equal(l.rest, "");
	assert_int_equal(l.rest_len, 0);
	cmd_list_free(&l);
	/* A signature below the commands is not relayed. */
	l = parse("#resolve\n\n-- \nAlice Novák\nExample Support\n");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.rest, "");
	cmd_list_free(&l);
	l = parse("#resolve\r\n--\r\nAlice\r\n");
	assert_string_equal(l.rest, "");
	cmd_list_free(&l);
	/* ... but text above a signature is kept with it. */
	l = parse("#resolve\nFixed.\n-- \nAlice\n");
	assert_string_equal(l.rest, "Fixed.\n-- \nAlice\n");
	cmd_list_free(&l);
}

static void
no_commands(void **state)
{
	struct cmd_list l;
	const char *in = "\n\nThanks, we'll look at it.\n-- \nAlice\n";

	(void)state;
	l = parse(in);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.nerr, 0);
	assert_string_equal(l.rest, in);	/* unchanged, blank lines too */
	cmd_list_free(&l);
	l = parse("");
	assert_int_equal(l.n + l.nerr, 0);
	assert_string_equal(l.rest, "");
	cmd_list_free(&l);
	assert_int_equal(cmd_parse(NULL, 0, NOW, TZ, &l), 0);
	assert_string_equal(l.rest, "");
	cmd_list_free(&l);
}

static void
hash_lines_that_are_text(void **state)
{
	static const char *const texts[] = {
		"#1234 is the ticket you mean.\n#close\n",
		"# Summary\n#close\n",
		"#\n#close\n",
		"##close\n",
		"#\xc3\xa9t\xc3\xa9\n",	/* '#' and a non-ASCII letter */
		"> #close\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cmd_list l = parse(texts[i]);

		assert_int_equal(l.n, 0);
		assert_int_equal(l.nerr, 0);
		assert_string_equal(l.rest, texts[i]);
		cmd_list_free(&l);
	}
}

static void
unknown_commands(void **state)
{
	struct cmd_list l;

	(void)state;
	err1("#clsoe\n", 1, "#clsoe is not a command; did you mean #close?");
	err1("#reopen\n", 1, "#reopen is not a command; did you mean #open?");
	err1("#prio high\n", 1, "#prio is not a command; did you mean #priority?");
	err1("#close.\n", 1, "#close. is not a command; did you mean #close?");
	err1("#hashtag\n", 1, "#hashtag is not a command. The commands are #close, "
	    "#resolve, #pending, #open, #assign, #queue, #priority, #tag, #cc, #note, "
	    "#remind, #requester and #answer.");
	/* An unknown command is a command line: the block goes on. */
	l = parse("#close\n#foo bar\n#tag x\nText.\n");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 2);
	assert_string_equal(l.rest, "Text.\n");
	cmd_list_free(&l);
}

static void
conflicts_and_repeats(void **state)
{
	struct cmd_list l;

	(void)state;
	l = parse("#close\n#open\n");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].kind, CMD_CLOSE);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 2);
	assert_string_equal(l.err[0].text,
	    "#open conflicts with #close on line 1: a mail can set one status.");
	cmd_list_free(&l);
	l = parse("#resolve\n#assign bob\n#pending\n");
	assert_int_equal(l.nerr, 1);
	assert_string_equal(l.err[0].text,
	    "#pending conflicts with #resolve on line 1: a mail can set one status.");
	cmd_list_free(&l);
	/* The same command twice is once. */
	l = parse("#close\n#CLOSE\n#assign bob\n#assign Bob\n#remind 2d\n#remind 2D\n");
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].kind, CMD_CLOSE);
	assert_int_equal(l.v[1].kind, CMD_ASSIGN);
	assert_string_equal(l.v[1].arg, "bob");
	assert_int_equal(l.v[2].kind, CMD_REMIND);
	cmd_list_free(&l);
	l = parse("#priority high\n#priority low\n#remind 2d\n#remind 3d\n");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nerr, 2);
	assert_string_equal(l.err[0].text,
	    "#priority low conflicts with #priority high on line 1: give it once.");
	assert_string_equal(l.err[1].text,
	    "#remind 3d conflicts with #remind 2d on line 3: give it once.");
	cmd_list_free(&l);
}

/* Good commands are kept beside errors (the caller applies none of them
 * and can say which were not done); errors are in line order. */
static void
errors_beside_commands(void **state)
{
	struct cmd_list l;

	(void)state;
	l = parse("#close\n#priority hgih\n#tag ok\n#note\n#assign\n");
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].kind, CMD_CLOSE);
	assert_int_equal(l.v[1].kind, CMD_TAG);
	assert_int_equal(l.v[2].kind, CMD_NOTE);
	assert_int_equal(l.nerr, 3);
	assert_int_equal(l.err[0].line, 2);
	assert_int_equal(l.err[1].line, 4);	/* #note without text: found last */
	assert_int_equal(l.err[2].line, 5);
	assert_string_equal(l.err[1].text,
	    "#note: there is no text below the commands to keep as the note.");
	cmd_list_free(&l);
}

static void
case_insensitive(void **state)
{
	(void)state;
	one("#CLOSE\n", CMD_CLOSE, NULL);
	one("#Resolve\n", CMD_RESOLVE, NULL);
	one("#Assign Bob\n", CMD_ASSIGN, "Bob");
	one("#PRIORITY HIGH\n", CMD_PRIORITY, "high");
	one("#ReMiNd 2D\n", CMD_REMIND, "2D");
	one("#CC Jan@Example.COM\n", CMD_CC, "Jan@Example.COM");
}

/* --- what mail clients do ---------------------------------------------- */

static void
crlf(void **state)
{
	struct cmd_list l;

	(void)state;
	l = parse("#close\r\n#tag x\r\n\r\nText\r\nmore\r\n");
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].arg, "x");
	assert_string_equal(l.rest, "Text\r\nmore\r\n");
	cmd_list_free(&l);
	one("#priority high\r\n", CMD_PRIORITY, "high");
	one("#close\r", CMD_CLOSE, NULL);
}

static void
outlook_spaces(void **state)
{
	struct cmd_list l;

	(void)state;
	one("#assign\xc2\xa0" "alice\xc2\xa0\n", CMD_ASSIGN, "alice");
	one("\xc2\xa0\xc2\xa0#close\xc2\xa0\r\n", CMD_CLOSE, NULL);
	one("\xef\xbb\xbf#pending\n", CMD_PENDING, NULL);	/* byte order mark */
	one("\t #queue \t billing \t\n", CMD_QUEUE, "billing");
	one("#remind\xc2\xa0" "2025-12-01\xc2\xa0" "10:00\n", CMD_REMIND, "2025-12-01 10:00");
	/* Paragraphs in HTML mail: an NBSP-only line between commands is blank. */
	l = parse("#close\n\xc2\xa0\n#tag a\n\xe2\x80\x8b\nThanks.\n");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nerr, 0);
	assert_string_equal(l.rest, "Thanks.\n");
	cmd_list_free(&l);
	err1("#tag a\xc2\xa0" "b\n", 1, "#tag takes one word, not 'a b'.");
}

/* Bytes the parser must survive: a NUL, controls, broken UTF-8. */
static void
odd_bytes(void **state)
{
	struct cmd_list l;
	const char in[] = "#close\0x\n#tag a\nText\0more";

	(void)state;
	assert_int_equal(cmd_parse(in, sizeof(in) - 1, NOW, TZ, &l), 0);
	check_invariants(in, sizeof(in) - 1, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nerr, 1);
	assert_string_equal(l.err[0].text, "#close?x is not a command; did you mean #close?");
	assert_int_equal(l.rest_len, 9);
	assert_memory_equal(l.rest, "Text\0more", 9);
	cmd_list_free(&l);
	err1("#a\xc3\n", 1, "#a\xef\xbf\xbd is not a command. The commands are #close, "
	    "#resolve, #pending, #open, #assign, #queue, #priority, #tag, #cc, #note, "
	    "#remind, #requester and #answer.");
}

static void
names(void **state)
{
	static const char *const want[] = { "close", "resolve", "pending", "open",
		"assign", "queue", "priority", "tag", "cc", "note", "remind",
		"requester", "answer" };

	(void)state;
	for (int k = CMD_CLOSE; k <= CMD_ANSWER; k++)
		assert_string_equal(cmd_name((enum cmd_kind)k), want[k]);
	assert_string_equal(cmd_name((enum cmd_kind)99), "?");
}

/* --- hostile input ----------------------------------------------------- */

#define QUICK	3.0	/* seconds; linear work takes milliseconds */

static char *
repeat(const char *line, size_t times, size_t *len_r)
{
	size_t n = strlen(line);
	char *s = malloc(n * times + 1);

	assert_non_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * n, line, n);
	s[n * times] = '\0';
	*len_r = n * times;
	return s;
}

static void
hostile_many_lines(void **state)
{
	struct timespec t0;
	struct cmd_list l;
	size_t len;
	char *s;

	(void)state;
	/* 100,000 lines of "#": text from the first line. */
	s = repeat("#\n", 100000, &len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, len, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.n + l.nerr, 0);
	assert_int_equal(l.rest_len, len);
	cmd_list_free(&l);
	free(s);

	/* 100,000 misspelt commands: 64 lines are parsed, 20 of their errors
	 * listed and 44 counted; one error for the lines beyond 64. */
	s = repeat("#clsoe\n", 100000, &len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, len, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	check_invariants(s, len, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.nerr, 22);
	assert_string_equal(l.err[19].text, "#clsoe is not a command; did you mean #close?");
	assert_int_equal(l.err[20].line, 21);
	assert_string_equal(l.err[20].text,
	    "44 more lines have errors that are not listed.");
	assert_int_equal(l.err[21].line, 65);
	assert_string_equal(l.err[21].text,
	    "There are more than 64 command lines; a mail may have at most 64.");
	assert_int_equal(l.rest_len, 0);
	cmd_list_free(&l);
	free(s);

	/* 100,000 commands: 64 kept, one error for the rest. */
	s = malloc(100000 * 16);
	assert_non_null(s);
	len = 0;
	for (int i = 0; i < 100000; i++)
		len += (size_t)sprintf(s + len, "#tag t%d\n", i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, len, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.n, 64);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 65);
	assert_string_equal(l.err[0].text,
	    "There are more than 64 command lines; a mail may have at most 64.");
	assert_string_equal(l.v[63].arg, "t63");
	cmd_list_free(&l);
	free(s);

	/* 64 command lines are fine; repeats count once. */
	s = repeat("#remind 2025-12-01 10:00\n", 64, &len);
	l = parse(s);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nerr, 0);
	assert_int_equal(l.v[0].when, 1764579600LL);
	cmd_list_free(&l);
	free(s);

	/* 100,000 reminders, followed by text. */
	s = repeat("#remind 2025-12-01 10:00\n", 100000, &len);
	s = realloc(s, len + 6);
	assert_non_null(s);
	memcpy(s + len, "Text\n", 6);
	len += 5;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, len, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(l.err[0].line, 65);
	assert_string_equal(l.rest, "Text\n");
	cmd_list_free(&l);
	free(s);
}

static void
hostile_long_line(void **state)
{
	const size_t big = 10u << 20;
	struct timespec t0;
	struct cmd_list l;
	char *s = malloc(big + 16);

	(void)state;
	assert_non_null(s);
	/* A 10 MB tag: refused, quoted short. */
	memcpy(s, "#tag ", 5);
	memset(s + 5, 'a', big);
	s[big + 5] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, big + 5, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.nerr, 1);
	assert_string_equal(l.err[0].text, "#tag: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\xe2\x80\xa6' is too long (at most 64 characters).");
	cmd_list_free(&l);

	/* A 10 MB line of words after #assign; then of NBSPs; then text. */
	memcpy(s, "#assign", 7);
	for (size_t i = 7; i + 1 < big; i += 2)
		memcpy(s + i, " a", 2);
	s[big - 1] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, big - 1, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.nerr, 1);
	assert_int_equal(strncmp(l.err[0].text, "#assign takes one word, not 'a a a", 34), 0);
	cmd_list_free(&l);

	for (size_t i = 0; i + 1 < big; i += 2)
		memcpy(s + i, "\xc2\xa0", 2);
	memcpy(s + big, "#close\nok", 10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, big + 9, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.rest, "ok");
	cmd_list_free(&l);

	memset(s, 'x', big);
	s[0] = '#';
	s[big] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, big, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.nerr, 1);	/* "#xxxx…" is an unknown word */
	assert_int_equal(l.rest_len, 0);
	cmd_list_free(&l);

	memset(s, 'x', big);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_parse(s, big, NOW, TZ, &l);
	assert_true(seconds_since(&t0) < QUICK);
	assert_int_equal(l.n + l.nerr, 0);
	assert_int_equal(l.rest_len, big);
	cmd_list_free(&l);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_commands),
		cmocka_unit_test(assign_and_queue),
		cmocka_unit_test(priority),
		cmocka_unit_test(tags),
		cmocka_unit_test(cc_and_requester),
		cmocka_unit_test(note),
		cmocka_unit_test(answer),
		cmocka_unit_test(remind_relative),
		cmocka_unit_test(remind_absolute),
		cmocka_unit_test(remind_spring_forward),
		cmocka_unit_test(remind_restores_tz),
		cmocka_unit_test(only_at_the_top),
		cmocka_unit_test(commands_only),
		cmocka_unit_test(no_commands),
		cmocka_unit_test(hash_lines_that_are_text),
		cmocka_unit_test(unknown_commands),
		cmocka_unit_test(conflicts_and_repeats),
		cmocka_unit_test(errors_beside_commands),
		cmocka_unit_test(case_insensitive),
		cmocka_unit_test(crlf),
		cmocka_unit_test(outlook_spaces),
		cmocka_unit_test(odd_bytes),
		cmocka_unit_test(names),
		cmocka_unit_test(hostile_many_lines),
		cmocka_unit_test(hostile_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
