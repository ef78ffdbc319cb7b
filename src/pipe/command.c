/* command.c: the command lines at the top of an agent's mail. See command.h.
 *
 * Grammar. Lines end in LF or CRLF. WS is SP, HT, VT, FF, CR, U+00A0
 * (Outlook's non-breaking space), U+2000..U+200B, U+202F, U+205F, U+3000
 * and U+FEFF (a byte order mark).
 *
 *   mail    = *( blank / command ) [ rest ]
 *   blank   = *WS EOL
 *   command = *WS "#" ALPHA *NON-WS [ 1*WS arg ] *WS EOL
 *   rest    = the first other line and everything below it
 *
 * So commands are read only at the top: the first line that is neither
 * blank nor a command ends them, and a "#word" below it is text. A line
 * whose '#' is followed by anything but an ASCII letter ("#1234", "# Title",
 * "##", "#" alone) is text. "#" ALPHA ... is a command line even when the
 * word is unknown: "#clsoe" is reported, so that a typo never reaches the
 * customer as text. Words are compared without regard to case; the word
 * ends at the first WS ("#close." is the unknown word "close.").
 *
 * Arguments (what follows the word, WS at both ends dropped; "one word"
 * = no WS inside; control characters and invalid UTF-8 are refused):
 *   #close #resolve #pending #open #note    none
 *   #assign NAME      one word, at most 254 characters
 *   #queue NAME       one word, at most 64 characters
 *   #priority P       low | normal | high | urgent (any case; stored lower)
 *   #tag WORD         [A-Za-z0-9._-]{1,64}
 *   #answer NAME      [A-Za-z0-9_-][A-Za-z0-9._-]{0,63} (a safe file name)
 *   #cc ADDR, #requester ADDR
 *                     addr | <addr> | Name <addr> | "Name" <addr>, where
 *                     addr may start with "mailto:"; Outlook's plain-text
 *                     "addr <mailto:addr>" is addr. addr = local@domain,
 *                     local 1-64 of atext and inner dots, domain 2+ labels
 *                     of letters, digits, '-' (non-ASCII allowed), <= 254.
 *   #remind WHEN      1*( 1*6DIGIT ( m | h | d | w ) )   e.g. 30m 4h 2d 1w 1d12h
 *                     | YYYY-MM-DD [ H:MM | HH:MM ]     (date alone = 09:00)
 *                     d and w are calendar days in tz (the wall-clock time
 *                     is kept across a DST change), h and m exact seconds.
 *                     A local time that occurs twice (autumn) is the first;
 *                     one that does not exist (spring) is an error. The
 *                     time must be after now and at most 366 days ahead.
 *
 * Repeats: the same command with the same argument (any case) counts
 * once. #tag and #cc may be given with several values. Two different
 * status commands, two different values of any other command, and #note
 * with #answer are errors; so is #note with no text below the commands.
 * A rest that begins with a signature separator ("-- " or "--") is empty.
 *
 * Bounds: CMD_MAX command lines are parsed; more are one error (and are
 * only scanned for where the commands end). ERR_MAX errors are listed,
 * then one "N more" error. Every line is looked at once, with bounded
 * work per byte, so the whole is linear. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "postdesk/command.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define CMD_MAX		64	/* command lines parsed in one mail */
#define ERR_MAX		20	/* errors listed; the rest are counted */
#define SHOW_MAX	40	/* characters of an argument quoted in an error */
#define SHOW_BUF	(SHOW_MAX * 4 + 8)
#define NAME_MAX_CH	200	/* display name of #cc, #requester */
#define ADDR_ARG_MAX	(254 + 4 * NAME_MAX_CH + 16)	/* bytes: Name <addr> */
#define WORD_SCAN	(SHOW_MAX * 4 + 1)	/* bytes of an unknown word read */
#define REMIND_MAX	(366 * 86400LL)
#define REMIND_TOK_MAX	32	/* longest "1d12h" a reminder may have */
#define TOK_KEEP	4	/* tokens of an argument looked at */

enum argtype { A_NONE, A_TOKEN, A_PRIORITY, A_TAG, A_ANSWER, A_ADDR, A_REMIND };
enum klass { K_STATUS, K_ONCE, K_MANY };

/* In enum cmd_kind order. need: the sentence when the argument is missing
 * (whole sentences, so that they can be translated as they stand). */
static const struct cmd_def {
	const char *name;
	enum cmd_kind kind;
	enum argtype arg;
	enum klass klass;
	size_t max;	/* longest argument, characters */
	const char *need;
} defs[] = {
	{ "close", CMD_CLOSE, A_NONE, K_STATUS, 0, NULL },
	{ "resolve", CMD_RESOLVE, A_NONE, K_STATUS, 0, NULL },
	{ "pending", CMD_PENDING, A_NONE, K_STATUS, 0, NULL },
	{ "open", CMD_OPEN, A_NONE, K_STATUS, 0, NULL },
	{ "assign", CMD_ASSIGN, A_TOKEN, K_ONCE, 254,
	    "#assign needs an agent's name or address, e.g. #assign alice." },
	{ "queue", CMD_QUEUE, A_TOKEN, K_ONCE, 64,
	    "#queue needs the name of a queue, e.g. #queue billing." },
	{ "priority", CMD_PRIORITY, A_PRIORITY, K_ONCE, 6,
	    "#priority needs low, normal, high or urgent, e.g. #priority high." },
	{ "tag", CMD_TAG, A_TAG, K_MANY, 64,
	    "#tag needs a word, e.g. #tag refund." },
	{ "cc", CMD_CC, A_ADDR, K_MANY, 254,
	    "#cc needs an e-mail address, e.g. #cc jan@example.com." },
	{ "note", CMD_NOTE, A_NONE, K_ONCE, 0, NULL },
	{ "remind", CMD_REMIND, A_REMIND, K_ONCE, 0,
	    "#remind needs a time: 2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00." },
	{ "requester", CMD_REQUESTER, A_ADDR, K_ONCE, 254,
	    "#requester needs the customer's e-mail address, e.g. #requester jan@example.com." },
	{ "answer", CMD_ANSWER, A_ANSWER, K_ONCE, 64,
	    "#answer needs the name of a canned answer, e.g. #answer password-reset." },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

struct tok {
	const char *p;
	size_t n;
};

/* One command line's argument: the whole (WS at both ends dropped) and
 * its first TOK_KEEP words; ntok counts all of them. */
struct args {
	const char *p;
	size_t n;
	struct tok t[TOK_KEEP];
	size_t ntok;
};

struct parser {
	struct cmd_list *out;
	size_t cap_v, cap_err;
	size_t lines;		/* command lines parsed */
	size_t lost;		/* errors beyond ERR_MAX */
	int lost_line;		/* line of the first of them */
	bool too_many;		/* the CMD_MAX error was given */
	int64_t now;
	const char *tz;
	bool tz_on;		/* TZ switched to tz (until parser_end) */
	char *tz_old;		/* TZ before, NULL when it was unset */
};

/* --- characters -------------------------------------------------------- */

/* Length of the WS character at p (see the grammar), or 0. */
static size_t
ws_len(const unsigned char *p, const unsigned char *e)
{
	size_t n = (size_t)(e - p);

	if (n == 0)
		return 0;
	switch (p[0]) {
	case ' ': case '\t': case '\v': case '\f': case '\r':
		return 1;
	case 0xc2:	/* U+00A0 */
		return n >= 2 && p[1] == 0xa0 ? 2 : 0;
	case 0xe2:	/* U+2000..U+200B, U+202F, U+205F */
		if (n < 3 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (p[1] == 0x80 && (p[2] <= 0x8b || p[2] == 0xaf))
			return 3;
		return p[1] == 0x81 && p[2] == 0x9f ? 3 : 0;
	case 0xe3:	/* U+3000 */
		return n >= 3 && p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
	case 0xef:	/* U+FEFF */
		return n >= 3 && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
	}
	return 0;
}

static const unsigned char *
skip_ws(const unsigned char *p, const unsigned char *e)
{
	size_t k;

	while ((k = ws_len(p, e)) > 0)
		p += k;
	return p;
}

/* [b, e) without the WS at its end. Read backwards: C2 and E2/E3/EF are
 * lead bytes, so a WS sequence that ends at e is never part of another. */
static const unsigned char *
trim_back(const unsigned char *b, const unsigned char *e)
{
	bool more = true;

	while (more) {
		more = false;
		for (size_t k = 1; k <= 3 && (size_t)(e - b) >= k; k++)
			if (ws_len(e - k, e) == k) {
				e -= k;
				more = true;
				break;
			}
	}
	return e;
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static bool
str_eq_ci(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return eq_ci(a, strlen(a), b, strlen(b));
}

/* A C0 or C1 control or DEL, given the sequence at p of k bytes. */
static bool
is_control(const unsigned char *p, size_t k)
{
	if (k == 1)
		return p[0] < 0x20 || p[0] == 0x7f;
	return k == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/* Valid UTF-8 without controls; *chars_r = its length in characters. */
static bool
printable(const char *s, size_t n, size_t *chars_r)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0;

	while (i < n) {
		size_t k = utf8_seq_len(p + i, n - i);

		if (k == 0 || is_control(p + i, k))
			return false;
		i += k;
		chars++;
	}
	*chars_r = chars;
	return true;
}

/* s (n bytes) as it may be quoted in an error: at most SHOW_MAX
 * characters (then "…"), WS as a space, controls as '?', invalid bytes as
 * U+FFFD. Returns buf. */
static const char *
show(char *buf, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t o = 0, chars = 0;

	while (p < e) {
		size_t k = utf8_seq_len(p, (size_t)(e - p)), w;

		if (chars == SHOW_MAX) {
			memcpy(buf + o, "\xe2\x80\xa6", 3);
			o += 3;
			break;
		}
		if (k == 0) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
		} else if ((w = ws_len(p, e)) > 0) {
			buf[o++] = ' ';
			p += w;
		} else if (is_control(p, k)) {
			buf[o++] = '?';
			p += k;
		} else {
			memcpy(buf + o, p, k);
			o += k;
			p += k;
		}
		chars++;
	}
	buf[o] = '\0';
	return buf;
}

/* --- results ----------------------------------------------------------- */

/* Take text (owned) into the list at its place in line order: most errors
 * come in order, the end-of-mail checks and the summary come late. */
static void
push_error(struct parser *ps, int line, char *text)
{
	struct cmd_list *l = ps->out;
	size_t i = l->nerr;

	if (l->nerr == ps->cap_err) {
		ps->cap_err = ps->cap_err ? 2 * ps->cap_err : 4;
		l->err = xreallocarray(l->err, ps->cap_err, sizeof(*l->err));
	}
	while (i > 0 && l->err[i - 1].line > line)
		i--;
	memmove(l->err + i + 1, l->err + i, (l->nerr - i) * sizeof(*l->err));
	l->err[i].line = line;
	l->err[i].text = text;
	l->nerr++;
}

/* An error, listed while fewer than ERR_MAX are, else only counted. */
static void PD_PRINTF(3, 4)
add_error(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (ps->out->nerr >= ERR_MAX) {
		if (ps->lost++ == 0)
			ps->lost_line = line;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	push_error(ps, line, text ? text : xstrdup("?"));	/* NULL: OOM */
}

static bool
errors_full(const struct parser *ps)
{
	return ps->out->nerr >= ERR_MAX;
}

static bool
is_status(enum cmd_kind k)
{
	return k == CMD_CLOSE || k == CMD_RESOLVE || k == CMD_PENDING || k == CMD_OPEN;
}

static const struct cmd *
find_kind(const struct cmd_list *l, enum cmd_kind k)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == k)
			return &l->v[i];
	return NULL;
}

/* Can c not go with the commands so far? Then give the error, say true. */
static bool
conflicts(struct parser *ps, const struct cmd_def *d, const struct cmd *c)
{
	const struct cmd_list *l = ps->out;
	char a[SHOW_BUF], b[SHOW_BUF];
	const struct cmd *o;

	for (size_t i = 0; i < l->n; i++) {
		o = &l->v[i];
		if (d->klass == K_STATUS && is_status(o->kind) && o->kind != c->kind) {
			add_error(ps, c->line, "#%s conflicts with #%s on line %d: "
			    "a mail can set one status.", d->name, cmd_name(o->kind),
			    o->line);
			return true;
		}
		if (d->klass == K_ONCE && o->kind == c->kind) {
			add_error(ps, c->line, "#%s %s conflicts with #%s %s on line %d: "
			    "give it once.", d->name, show(a, c->arg, c->arg ? strlen(c->arg) : 0),
			    d->name, show(b, o->arg, o->arg ? strlen(o->arg) : 0), o->line);
			return true;
		}
	}
	o = find_kind(l, c->kind == CMD_NOTE ? CMD_ANSWER : CMD_NOTE);
	if ((c->kind == CMD_NOTE || c->kind == CMD_ANSWER) && o != NULL) {
		add_error(ps, c->line, "#%s cannot go with #%s on line %d: "
		    "a note is never sent to the customer.", d->name,
		    cmd_name(o->kind), o->line);
		return true;
	}
	return false;
}

/* A repeat: the same argument in any case; for #remind the same time
 * ("2d" and "48h" differ across a DST change, so only `when` decides). */
static bool
same_cmd(const struct cmd *a, const struct cmd *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == CMD_REMIND)
		return a->when == b->when;
	return str_eq_ci(a->arg, b->arg);
}

/* Take c (its strings) into the list, or drop it as a repeat, or refuse
 * it with an error. */
static void
add_cmd(struct parser *ps, const struct cmd_def *d, struct cmd *c)
{
	struct cmd_list *l = ps->out;

	for (size_t i = 0; i < l->n; i++)
		if (same_cmd(&l->v[i], c))
			goto drop;
	if (conflicts(ps, d, c))
		goto drop;
	if (l->n == ps->cap_v) {
		ps->cap_v = ps->cap_v ? 2 * ps->cap_v : 4;
		l->v = xreallocarray(l->v, ps->cap_v, sizeof(*l->v));
	}
	l->v[l->n++] = *c;
	return;
drop:
	free(c->arg);
	free(c->name);
}

/* --- arguments --------------------------------------------------------- */

/* [p, e) without WS at both ends into a->p, a->n, and its first words
 * into a->t. Words are read only as far as needed to tell one from
 * several: ntok stops at TOK_KEEP + 1, which means "more". */
static void
split_args(const unsigned char *p, const unsigned char *e, struct args *a)
{
	memset(a, 0, sizeof(*a));
	p = skip_ws(p, e);
	e = trim_back(p, e);
	a->p = (const char *)p;
	a->n = (size_t)(e - p);
	while (p < e && a->ntok <= TOK_KEEP) {
		const unsigned char *s = p;

		while (p < e && ws_len(p, e) == 0)
			p++;
		if (a->ntok < TOK_KEEP)
			a->t[a->ntok] = (struct tok){ (const char *)s, (size_t)(p - s) };
		a->ntok++;
		p = skip_ws(p, e);
	}
}

static bool
tag_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
}

static bool
all_tag_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!tag_char((unsigned char)s[i]))
			return false;
	return true;
}

static bool
atext(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c >= 0x80 ||
	    strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static bool
local_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' ? s[i - 1] == '.' : (c == '\0' || !atext(c)))
			return false;
	}
	return true;
}

static bool
domain_ok(const char *s, size_t n)
{
	size_t labels = 0, i = 0;

	if (n == 0 || n > 253)
		return false;
	while (i <= n) {
		size_t j = i;

		while (j < n && s[j] != '.')
			j++;
		if (j == i || j - i > 63 || s[i] == '-' || s[j - 1] == '-')
			return false;
		for (size_t k = i; k < j; k++) {
			unsigned char c = (unsigned char)s[k];

			if (!is_alpha(c) && !is_digit(c) && c != '-' && c < 0x80)
				return false;
		}
		labels++;
		i = j + 1;
	}
	return labels >= 2;
}

static bool
addr_ok(const char *s, size_t n)
{
	const char *at;
	size_t chars;

	if (n < 3 || n > 254 || !printable(s, n, &chars))
		return false;
	at = memrchr(s, '@', n);
	return at != NULL && local_ok(s, (size_t)(at - s)) &&
	    domain_ok(at + 1, n - (size_t)(at - s) - 1);
}

static void
trim(const char **s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)*s, *e = p + *n;

	p = skip_ws(p, e);
	e = trim_back(p, e);
	*s = (const char *)p;
	*n = (size_t)(e - p);
}

static void
strip_mailto(const char **s, size_t *n)
{
	if (*n >= 7 && eq_ci(*s, 7, "mailto:", 7)) {
		*s += 7;
		*n -= 7;
	}
}

/* "addr", "<addr>", "Name <addr>", "\"Name\" <addr>", "mailto:" anywhere
 * an addr may be. Returns false when it is none of these. */
static bool
parse_address(const char *s, size_t n, char **addr_r, char **name_r)
{
	const char *in = s, *nm = NULL, *lt;
	size_t in_n = n, nm_n = 0, chars;

	*addr_r = *name_r = NULL;
	if (n > ADDR_ARG_MAX)
		return false;
	if (n > 0 && s[n - 1] == '>') {
		if ((lt = memrchr(s, '<', n)) == NULL)
			return false;
		in = lt + 1;
		in_n = (size_t)(s + n - 1 - in);
		nm = s;
		nm_n = (size_t)(lt - s);
		trim(&in, &in_n);
		trim(&nm, &nm_n);
	}
	strip_mailto(&in, &in_n);
	if (!addr_ok(in, in_n))
		return false;
	if (nm_n >= 2 && nm[0] == '"' && nm[nm_n - 1] == '"') {
		nm++;
		nm_n -= 2;
		trim(&nm, &nm_n);
	}
	if (nm_n > 0) {
		const char *bare = nm;
		size_t bare_n = nm_n;

		/* Outlook's plain text writes a link as "addr <mailto:addr>". */
		strip_mailto(&bare, &bare_n);
		if (eq_ci(bare, bare_n, in, in_n))
			nm_n = 0;
		else if (!printable(nm, nm_n, &chars) || chars > NAME_MAX_CH ||
		    memchr(nm, '<', nm_n) || memchr(nm, '>', nm_n) ||
		    memchr(nm, '"', nm_n))
			return false;
	}
	*addr_r = xstrndup(in, in_n);
	*name_r = nm_n > 0 ? xstrndup(nm, nm_n) : NULL;
	return true;
}

/* --- #remind ----------------------------------------------------------- */

/* TZ is switched once per parse, on the first #remind, and put back by
 * parser_end: postdesk is single-threaded. */
static void
tz_enter(struct parser *ps)
{
	const char *old;

	if (ps->tz_on)
		return;
	old = getenv("TZ");
	ps->tz_old = old ? xstrdup(old) : NULL;
	setenv("TZ", ps->tz && *ps->tz ? ps->tz : "UTC", 1);
	tzset();
	ps->tz_on = true;
}

static void
tz_leave(struct parser *ps)
{
	if (!ps->tz_on)
		return;
	if (ps->tz_old)
		setenv("TZ", ps->tz_old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(ps->tz_old);
	ps->tz_old = NULL;
	ps->tz_on = false;
}

/* "1d12h": whole days (calendar) and seconds; false if not that shape. */
static bool
parse_duration(const char *s, size_t n, int64_t *days_r, int64_t *secs_r)
{
	size_t i = 0;

	*days_r = *secs_r = 0;
	if (n == 0 || n > REMIND_TOK_MAX)
		return false;
	while (i < n) {
		int64_t v = 0;
		size_t digits = 0;

		while (i < n && is_digit((unsigned char)s[i])) {
			if (++digits > 6)
				return false;
			v = v * 10 + (s[i++] - '0');
		}
		if (digits == 0 || i == n)
			return false;
		switch (lower((unsigned char)s[i++])) {
		case 'm': *secs_r += v * 60; break;
		case 'h': *secs_r += v * 3600; break;
		case 'd': *days_r += v; break;
		case 'w': *days_r += 7 * v; break;
		default: return false;
		}
	}
	return true;
}

static int
num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return true;
}

/* "YYYY-MM-DD": 1 = the shape with *y, *m, *d set; 0 = not the shape. */
static int
date_shape(const struct tok *t, int *y, int *m, int *d)
{
	const char *s = t->p;

	if (t->n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) ||
	    !digits(s + 5, 2) || !digits(s + 8, 2))
		return 0;
	*y = num(s, 4);
	*m = num(s + 5, 2);
	*d = num(s + 8, 2);
	return 1;
}

static bool
date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* "H:MM" or "HH:MM" → 1 with *h, *mi; 0 = not the shape. */
static int
time_shape(const struct tok *t, int *h, int *mi)
{
	const char *c = memchr(t->p, ':', t->n);
	size_t hn;

	if (c == NULL)
		return 0;
	hn = (size_t)(c - t->p);
	if (hn < 1 || hn > 2 || t->n - hn - 1 != 2 || !digits(t->p, hn) ||
	    !digits(c + 1, 2))
		return 0;
	*h = num(t->p, hn);
	*mi = num(c + 1, 2);
	return 1;
}

/* The earliest Unix time whose wall clock in the current TZ is
 * y-m-d h:mi; -1 when there is none (the hour skipped in spring). */
static int
local_to_unix(int y, int m, int d, int h, int mi, int64_t *t_r)
{
	bool found = false;

	for (int dst = 0; dst <= 1; dst++) {
		struct tm tm, back;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_isdst = dst;
		t = mktime(&tm);
		if (localtime_r(&t, &back) == NULL || back.tm_year != y - 1900 ||
		    back.tm_mon != m - 1 || back.tm_mday != d ||
		    back.tm_hour != h || back.tm_min != mi || back.tm_sec != 0)
			continue;
		if (!found || (int64_t)t < *t_r)
			*t_r = (int64_t)t;
		found = true;
	}
	return found ? 0 : -1;
}

/* now plus days calendar days (same wall-clock time in TZ) plus secs. */
static int64_t
add_days(int64_t now, int64_t days, int64_t secs)
{
	struct tm tm;
	time_t t = (time_t)now;

	if (days == 0)
		return now + secs;
	localtime_r(&t, &tm);
	tm.tm_mday += (int)days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) + secs;
}

/* Sets *when_r and *arg_r (owned) or gives an error and returns -1. */
static int
parse_remind(struct parser *ps, int line, const struct args *a,
    int64_t *when_r, char **arg_r)
{
	char buf[SHOW_BUF], arg[64];
	int64_t days, secs, when = 0;
	int y = 0, m = 0, d = 0, h = 9, mi = 0;

	if (a->ntok == 1 && parse_duration(a->t[0].p, a->t[0].n, &days, &secs)) {
		if (days * 86400 + secs == 0) {
			add_error(ps, line, "#remind: '%s' is not in the future.",
			    show(buf, a->p, a->n));
			return -1;
		}
		if (days * 86400 + secs > REMIND_MAX) {
			add_error(ps, line, "#remind: '%s' is more than a year ahead.",
			    show(buf, a->p, a->n));
			return -1;
		}
		tz_enter(ps);
		*when_r = add_days(ps->now, days, secs);
		*arg_r = xstrndup(a->t[0].p, a->t[0].n);
		return 0;
	}
	if (a->ntok > 2 || !date_shape(&a->t[0], &y, &m, &d) ||
	    (a->ntok == 2 && !time_shape(&a->t[1], &h, &mi))) {
		add_error(ps, line, "#remind: '%s' is not a time. Write for example "
		    "2d, 4h, 30m, 1w, 2025-12-01 or 2025-12-01 10:00.",
		    show(buf, a->p, a->n));
		return -1;
	}
	if (!date_valid(y, m, d)) {
		add_error(ps, line, "#remind: '%s' is not a valid date.",
		    show(buf, a->t[0].p, a->t[0].n));
		return -1;
	}
	if (h > 23 || mi > 59) {
		add_error(ps, line, "#remind: '%s' is not a valid time of day.",
		    show(buf, a->t[1].p, a->t[1].n));
		return -1;
	}
	snprintf(arg, sizeof(arg), "%04d-%02d-%02d %02d:%02d", y, m, d, h, mi);
	if (a->ntok == 1)
		arg[10] = '\0';
	tz_enter(ps);
	if (local_to_unix(y, m, d, h, mi, &when) < 0) {
		add_error(ps, line, "#remind: %04d-%02d-%02d %02d:%02d does not exist "
		    "in %s: the clocks skip that hour.", y, m, d, h, mi,
		    show(buf, ps->tz && *ps->tz ? ps->tz : "UTC",
		    strlen(ps->tz && *ps->tz ? ps->tz : "UTC")));
		return -1;
	}
	if (when <= ps->now) {
		add_error(ps, line, "#remind: %s is in the past.", arg);
		return -1;
	}
	if (when - ps->now > REMIND_MAX) {
		add_error(ps, line, "#remind: %s is more than a year ahead.", arg);
		return -1;
	}
	*when_r = when;
	*arg_r = xstrdup(arg);
	return 0;
}

/* --- one command line -------------------------------------------------- */

/* One word checked against what the command allows; the argument, owned,
 * or NULL after an error. */
static char *
one_word(struct parser *ps, const struct cmd_def *d, int line, const struct args *a)
{
	char buf[SHOW_BUF];
	const struct tok *t = &a->t[0];
	size_t chars = t->n;

	if (a->ntok > 1) {
		add_error(ps, line, "#%s takes one word, not '%s'.", d->name,
		    show(buf, a->p, a->n));
		return NULL;
	}
	if (t->n > 4 * d->max)	/* too long in any encoding: spare the scan */
		goto too_long;
	if (d->arg == A_TOKEN && !printable(t->p, t->n, &chars)) {
		add_error(ps, line, "#%s: '%s' has characters that cannot be in a name.",
		    d->name, show(buf, t->p, t->n));
		return NULL;
	}
	if (d->arg == A_TAG && !all_tag_chars(t->p, t->n)) {
		add_error(ps, line, "#tag: '%s' is not one word of letters, digits, "
		    "'.', '_' and '-'.", show(buf, t->p, t->n));
		return NULL;
	}
	if (d->arg == A_ANSWER && (!all_tag_chars(t->p, t->n) || t->p[0] == '.')) {
		add_error(ps, line, "#answer: '%s' is not the name of a canned answer "
		    "(letters, digits, '.', '_' and '-', not first '.').",
		    show(buf, t->p, t->n));
		return NULL;
	}
	if (chars > d->max)
		goto too_long;
	return xstrndup(t->p, t->n);
too_long:
	add_error(ps, line, "#%s: '%s' is too long (at most %zu characters).",
	    d->name, show(buf, t->p, t->n), d->max);
	return NULL;
}

static const char *const priorities[] = { "low", "normal", "high", "urgent" };

/* The command on line `line` with its argument: into the list or an error. */
static void
command(struct parser *ps, const struct cmd_def *d, int line, const struct args *a)
{
	struct cmd c = { .kind = d->kind, .line = line };
	char buf[SHOW_BUF];

	if (d->arg == A_NONE) {
		if (a->n > 0) {
			add_error(ps, line, d->kind == CMD_NOTE ?
			    "#%s takes no argument, but '%s' follows it. Write the note "
			    "on the lines below the commands." :
			    "#%s takes no argument, but '%s' follows it.",
			    d->name, show(buf, a->p, a->n));
			return;
		}
		add_cmd(ps, d, &c);
		return;
	}
	if (a->ntok == 0) {
		add_error(ps, line, "%s", d->need);
		return;
	}
	switch (d->arg) {
	case A_PRIORITY:
		for (size_t i = 0; i < 4 && c.arg == NULL; i++)
			if (a->ntok == 1 && eq_ci(a->p, a->n, priorities[i],
			    strlen(priorities[i])))
				c.arg = xstrdup(priorities[i]);
		if (c.arg == NULL) {
			add_error(ps, line, "#priority: '%s' is not low, normal, high "
			    "or urgent.", show(buf, a->p, a->n));
			return;
		}
		break;
	case A_ADDR:
		if (!parse_address(a->p, a->n, &c.arg, &c.name)) {
			add_error(ps, line, "#%s: '%s' is not an e-mail address.",
			    d->name, show(buf, a->p, a->n));
			return;
		}
		break;
	case A_REMIND:
		if (parse_remind(ps, line, a, &c.when, &c.arg) < 0)
			return;
		break;
	default:
		if ((c.arg = one_word(ps, d, line, a)) == NULL)
			return;
		break;
	}
	add_cmd(ps, d, &c);
}

/* --- unknown words ----------------------------------------------------- */

/* Optimal string alignment distance (Levenshtein plus transpositions). */
static size_t
osa(const char *a, size_t an, const char *b, size_t bn)
{
	size_t dd[17][17];

	for (size_t i = 0; i <= an; i++)
		dd[i][0] = i;
	for (size_t j = 0; j <= bn; j++)
		dd[0][j] = j;
	for (size_t i = 1; i <= an; i++)
		for (size_t j = 1; j <= bn; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = dd[i - 1][j - 1] + cost;

			if (dd[i - 1][j] + 1 < v)
				v = dd[i - 1][j] + 1;
			if (dd[i][j - 1] + 1 < v)
				v = dd[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    dd[i - 2][j - 2] + 1 < v)
				v = dd[i - 2][j - 2] + 1;
			dd[i][j] = v;
		}
	return dd[an][bn];
}

/* The command a mistyped word most likely meant, or NULL: the only one
 * it begins (3+ letters), else the only one within 1 edit (2 for words of
 * 5+ letters). */
static const char *
suggest(const char *w, size_t n)
{
	char lw[16];
	const char *best = NULL;
	size_t bestd = SIZE_MAX, nbest = 0, npre = 0;
	const char *pre = NULL;

	if (n > sizeof(lw))
		return NULL;
	for (size_t i = 0; i < n; i++)
		lw[i] = (char)lower((unsigned char)w[i]);
	for (size_t i = 0; i < NDEFS; i++) {
		size_t dn = strlen(defs[i].name), dist;

		if (n >= 3 && n < dn && memcmp(lw, defs[i].name, n) == 0) {
			pre = defs[i].name;
			npre++;
		}
		dist = osa(lw, n, defs[i].name, dn);
		if (dist < bestd) {
			bestd = dist;
			best = defs[i].name;
			nbest = 1;
		} else if (dist == bestd)
			nbest++;
	}
	if (npre == 1)
		return pre;
	return nbest == 1 && bestd <= (n >= 5 ? 2u : 1u) ? best : NULL;
}

static void
unknown(struct parser *ps, int line, const char *w, size_t n)
{
	char buf[SHOW_BUF];
	const char *s;

	/* Past ERR_MAX errors are only counted: spare the suggestion. */
	if (errors_full(ps)) {
		add_error(ps, line, "?");
		return;
	}
	show(buf, w, n);
	if ((s = suggest(w, n)) != NULL)
		add_error(ps, line, "#%s is not a command; did you mean #%s?", buf, s);
	else
		add_error(ps, line, "#%s is not a command. The commands are #close, "
		    "#resolve, #pending, #open, #assign, #queue, #priority, #tag, "
		    "#cc, #note, #remind, #requester and #answer.", buf);
}

/* --- the text ---------------------------------------------------------- */

static const struct cmd_def *
lookup(const char *w, size_t n)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (eq_ci(w, n, defs[i].name, strlen(defs[i].name)))
			return &defs[i];
	return NULL;
}

/* A line "-- " or "--" (any WS after it) at p. */
static bool
sig_sep(const unsigned char *p, const unsigned char *e)
{
	const unsigned char *eol = memchr(p, '\n', (size_t)(e - p));

	if (eol == NULL)
		eol = e;
	if (eol - p < 2 || p[0] != '-' || p[1] != '-')
		return false;
	return skip_ws(p + 2, eol) == eol;
}

/* Is the line [p, e) a command line? Then handle it and return true. */
static bool
command_line(struct parser *ps, int line, const unsigned char *p, const unsigned char *e)
{
	const unsigned char *w, *we;
	const struct cmd_def *d;
	struct args a;

	if (e - p < 2 || p[0] != '#' || !is_alpha(p[1]))
		return false;
	if (ps->lines++ >= CMD_MAX) {
		if (!ps->too_many)
			push_error(ps, line, xasprintf("There are more than %d command "
			    "lines; a mail may have at most %d.", CMD_MAX, CMD_MAX));
		ps->too_many = true;
		return true;
	}
	/* A word longer than any command is unknown: read only what an
	 * error quotes of it. */
	w = we = p + 1;
	while (we < e && we - w < WORD_SCAN && ws_len(we, e) == 0)
		we++;
	if ((d = lookup((const char *)w, (size_t)(we - w))) == NULL) {
		unknown(ps, line, (const char *)w, (size_t)(we - w));
		return true;
	}
	split_args(we, e, &a);
	command(ps, d, line, &a);
	return true;
}

static void
finish(struct parser *ps, const char *text, size_t len, size_t rest, bool any)
{
	struct cmd_list *l = ps->out;
	const struct cmd *note;
	const unsigned char *t = (const unsigned char *)text;

	if (!any)
		rest = 0;
	else if (rest < len && sig_sep(t + rest, t + len))
		rest = len;
	l->rest_len = len - rest;
	l->rest = xmalloc(l->rest_len + 1);
	if (l->rest_len > 0)
		memcpy(l->rest, text + rest, l->rest_len);
	l->rest[l->rest_len] = '\0';
	/* rest, when not empty, begins with a line that is not blank. */
	if ((note = find_kind(l, CMD_NOTE)) != NULL && rest == len)
		add_error(ps, note->line, "#note: there is no text below the "
		    "commands to keep as the note.");
	if (ps->lost > 0)
		push_error(ps, ps->lost_line, xasprintf("%zu more lines have errors "
		    "that are not listed.", ps->lost));
}

int
cmd_parse(const char *text, size_t len, int64_t now, const char *tz,
    struct cmd_list *out)
{
	struct parser ps = { .out = out, .now = now, .tz = tz };
	const unsigned char *t = (const unsigned char *)(text ? text : "");
	size_t off = 0, rest;
	int line = 0;
	bool any = false;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		len = 0;
	rest = len;
	while (off < len) {
		const unsigned char *eol = memchr(t + off, '\n', len - off);
		const unsigned char *e = eol ? eol : t + len;
		const unsigned char *p = skip_ws(t + off, e);

		if (line < INT_MAX)
			line++;
		if (p < e) {
			if (!command_line(&ps, line, p, e)) {
				rest = off;
				break;
			}
			any = true;
		}
		off = eol ? (size_t)(eol - t) + 1 : len;
	}
	finish(&ps, (const char *)t, len, rest, any);
	tz_leave(&ps);
	return 0;
}

void
cmd_list_free(struct cmd_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].arg);
		free(l->v[i].name);
	}
	for (size_t i = 0; i < l->nerr; i++)
		free(l->err[i].text);
	free(l->v);
	free(l->err);
	free(l->rest);
	memset(l, 0, sizeof(*l));
}

const char *
cmd_name(enum cmd_kind k)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (defs[i].kind == k)
			return defs[i].name;
	return "?";
}
