/* quote.c: keep the new part of a reply. See quote.h.
 *
 * The text is walked line by line with cursors (byte offsets) instead of a
 * line array, so a hostile text of ten million empty lines costs no memory
 * beyond the result. Every line is classified from its own bytes, with a
 * bounded amount of work (long lines are never attributions or headers);
 * each line is classified a bounded number of times, so the whole is linear.
 *
 * The rules, top to bottom:
 *  1. Scan down for the first history marker outside ">"-quoted lines:
 *     - a signature separator "-- " (or "--"): cut there;
 *     - a forwarded-message marker: cut there if new text is above it;
 *       with nothing above, the forwarded mail IS the message: keep all;
 *     - an Outlook header block (at the left margin, two header lines in
 *       a row, or Outlook web's one-line form): cut there if new text is
 *       above it; with nothing above keep all (an Outlook forward),
 *       unless only quoted lines follow (then nothing is new);
 *     - an attribution ("... wrote:") followed by quoted lines: cut there
 *       if no new text follows the quote; otherwise the reply is bottom-
 *       posted or interleaved and the scan goes on below the quote.
 *  2. From the cut upwards drop blank lines, trailing ">"-quoted blocks
 *     and mobile footers ("Sent from my iPhone"). A short lower-case line
 *     between a long quoted line and a quoted line is the overflow of a
 *     re-wrapped quote and counts as quoted (see is_spill).
 *  3. A reply that opens with an attribution and its quote, and has no
 *     quoted line below its new text, is bottom-posted: drop that opening.
 *     (Without an attribution a leading quote is kept: it may be a pasted
 *     error message rather than history.)
 * Only a prefix and a suffix are ever removed, so the result is one piece
 * of the input, and stripping the result again changes nothing. "what" is
 * the kind of the topmost removed piece (a footer above a trailing quote
 * makes it "signature"). */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/quote.h"
#include "postdesk/xalloc.h"

/* Longest line that may be part of an attribution, a footer, a separator;
 * how far into a line Outlook web's one-line header block is searched. */
#define ATTR_MAX	512
#define ATTR_TAIL_MAX	160	/* after the verb: " Name <addr>" or " (date)" */
#define FOOTER_MAX	64	/* a footer is short; a long line is a sentence */
#define COLON_MAX	120
#define SEP_MAX		200
#define HDR_SCAN_MAX	4096
#define SPILL_PREV_MIN	60	/* a quoted line this long was wrapped */

enum lkind { L_BLANK, L_QUOTE, L_SIGSEP, L_TEXT };

/* Flags of L_TEXT lines. */
#define F_ATTR_END	0x001	/* ends in "wrote:" or a localised verb */
#define F_COLON		0x004	/* short, ends in ':' */
#define F_HDR		0x010	/* "Key: value" with an Outlook header key */
#define F_HDR_FROM	0x020	/* ... the key is From/Od/Von/Feladó/De */
#define F_HDR_ONELINE	0x040	/* Outlook web: From: and 2 more keys inline */
#define F_SEP_ORIG	0x080	/* "-----Original Message-----" and kin */
#define F_SEP_LINE	0x100	/* a line of underscores */
#define F_FWD		0x200	/* forwarded-message marker */
#define F_FOOTER	0x400	/* "Sent from my iPhone" and kin */
#define F_STOP		0x800	/* ends a sentence: '.', '!' or '?' */

struct line {
	size_t off;	/* first byte */
	size_t len;	/* without "\n" or "\r\n" */
	size_t next;	/* first byte of the next line, or the text length */
	enum lkind kind;
	unsigned flags;
};

struct doc {
	const char *t;	/* borrowed: the caller's text */
	size_t len;
};

/* A string of the tables below with its length, so that no compare has to
 * measure it: every line of every mail is held against these. */
struct pat {
	const char *s;
	size_t len;
};

#define P(lit) { lit, sizeof(lit) - 1 }

static const struct pat attr_verbs[] = {
	P("wrote"), P("writes"), P("napsal"), P("napsala"), P("napísal"),
	P("napísala"), P("pisze"), P("napisał"), P("napisała"), P("írta"),
	P("schrieb"), P("a écrit"), P("escribió"), P("ha scritto"),
	P("escreveu"), P("schreef"), P("skrev"),
};

/* How wrapped attributions begin; the line must also hold a digit. */
static const struct pat attr_openers[] = {
	P("On "), P("Dne "), P("Dňa "), P("W dniu "), P("Am "), P("Le "),
	P("El "), P("Em "), P("Il "), P("Op "),
};

static const struct hkey {
	struct pat k;
	bool from;
} hkeys[] = {
	{ P("From"), true }, { P("Od"), true }, { P("Feladó"), true },
	{ P("Von"), true }, { P("De"), true },
	{ P("Sent"), false }, { P("Date"), false }, { P("To"), false },
	{ P("Cc"), false }, { P("Bcc"), false }, { P("Subject"), false },
	{ P("Reply-To"), false },
	{ P("Odesláno"), false }, { P("Komu"), false }, { P("Kopie"), false },
	{ P("Předmět"), false }, { P("Datum"), false },
	{ P("Odoslané"), false }, { P("Kópia"), false },
	{ P("Predmet"), false }, { P("Dátum"), false },
	{ P("Wysłano"), false }, { P("Do"), false }, { P("DW"), false },
	{ P("Temat"), false }, { P("Data"), false },
	{ P("Elküldve"), false }, { P("Címzett"), false },
	{ P("Másolatot kap"), false }, { P("Másolat"), false },
	{ P("Tárgy"), false },
	{ P("Gesendet"), false }, { P("An"), false }, { P("Betreff"), false },
	{ P("Envoyé"), false }, { P("À"), false }, { P("Objet"), false },
	{ P("Enviado el"), false }, { P("Enviado"), false }, { P("Para"), false },
	{ P("Asunto"), false }, { P("Fecha"), false },
};

/* Between dashes: "-----Original Message-----", "-------- ... --------". */
static const struct pat sep_orig[] = {
	P("Original Message"), P("Original-Nachricht"),
	P("Ursprüngliche Nachricht"), P("Původní zpráva"),
	P("Původní e-mail"), P("Pôvodná správa"), P("Oryginalna wiadomość"),
	P("Wiadomość oryginalna"), P("Eredeti üzenet"), P("Eredeti levél"),
	P("Message d'origine"), P("Message original"), P("Mensaje original"),
};

static const struct pat sep_fwd[] = {
	P("Forwarded message"), P("Přeposlaná zpráva"), P("Preposlaná správa"),
	P("Przekazana wiadomość"), P("Wiadomość przekazana"),
	P("Weitergeleitete Nachricht"), P("Továbbított üzenet"),
	P("Továbbított levél"), P("Message transféré"),
	P("Mensaje reenviado"),
};

/* Apple Mail's forward line, whole. */
static const struct pat fwd_lines[] = {
	P("Begin forwarded message:"),
	P("Anfang der weitergeleiteten Nachricht:"),
	P("Začátek přeposílané zprávy:"), P("Začiatok preposlanej správy:"),
	P("Początek przekazywanej wiadomości:"),
	P("Továbbított üzenet kezdete:"), P("Début du message réexpédié :"),
	P("Inicio del mensaje reenviado:"),
};

static const struct pat footers[] = {
	P("Sent from my "), P("Sent from Outlook"), P("Get Outlook for "),
	P("Sent from Mail for Windows"), P("Sent from Yahoo Mail"),
	P("Sent from Samsung"), P("Sent with Proton Mail"),
	P("Odesláno z "), P("Odoslané z "), P("Wysłane z "), P("Wysłano z "),
	P("Von meinem "), P("Gesendet von meinem "), P("Gesendet mit "),
	P("Az iPhone-omról küldve"), P("Küldve az "),
	P("Envoyé de mon "), P("Envoyé depuis "), P("Enviado desde mi "),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* For each first byte (ASCII letters in both cases), the entries of a
 * table that begin with it, as a bit set: one look rules out most lines
 * and most words, and the rest are compared with a few entries, not all.
 * Built once from the tables above. */
static struct {
	uint64_t hkey[256];
	uint32_t verb[256], footer[256], opener[256];
	size_t hkey_max;	/* the longest key */
} first_bytes;
static pthread_once_t first_once = PTHREAD_ONCE_INIT;

_Static_assert(NELEM(hkeys) <= 64 && NELEM(attr_verbs) <= 32 &&
    NELEM(footers) <= 32 && NELEM(attr_openers) <= 32,
    "first_bytes holds one bit per table entry");

static void
first_mark(uint64_t *set, const char *s, size_t i)
{
	unsigned char c = (unsigned char)s[0];

	set[c] |= (uint64_t)1 << i;
	if (c >= 'a' && c <= 'z')
		set[c - 'a' + 'A'] |= (uint64_t)1 << i;
	else if (c >= 'A' && c <= 'Z')
		set[c - 'A' + 'a'] |= (uint64_t)1 << i;
}

static void
first_mark_pats(uint32_t *set, const struct pat *list, size_t count)
{
	uint64_t wide[256] = { 0 };

	for (size_t i = 0; i < count; i++)
		first_mark(wide, list[i].s, i);
	for (size_t c = 0; c < 256; c++)
		set[c] = (uint32_t)wide[c];
}

static void
first_init(void)
{
	for (size_t i = 0; i < NELEM(hkeys); i++) {
		first_mark(first_bytes.hkey, hkeys[i].k.s, i);
		if (hkeys[i].k.len > first_bytes.hkey_max)
			first_bytes.hkey_max = hkeys[i].k.len;
	}
	first_mark_pats(first_bytes.verb, attr_verbs, NELEM(attr_verbs));
	first_mark_pats(first_bytes.footer, footers, NELEM(footers));
	first_mark_pats(first_bytes.opener, attr_openers,
	    NELEM(attr_openers));
}

/* The lowest entry of a bit set, which the caller removes. */
static size_t
set_next(uint64_t set)
{
	return (size_t)__builtin_ctzll(set);
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does s[0..n) start with p, ASCII letters compared without case? */
static bool
ci_prefix(const char *s, size_t n, const struct pat *p)
{
	size_t i;

	if (p->len > n)
		return false;
	for (i = 0; i < p->len; i++)
		if (lower(s[i]) != lower(p->s[i]))
			return false;
	return true;
}

static bool
in_list(const char *s, size_t n, const struct pat *list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (list[i].len == n && ci_prefix(s, n, &list[i]))
			return true;
	return false;
}

/* An Outlook header key at s ("From:", "*From:*", "Sent:"), followed by
 * a space or the end. Returns the bytes up to the value, or 0; the key's
 * index in hkeys[] goes to *idx_r. */
static size_t
hdr_key(const char *s, size_t n, size_t *idx_r)
{
	uint64_t set;
	size_t i, j, k0 = 0;

	if (n > 0 && s[0] == '*')	/* bold, as HTML renderers write it */
		k0 = 1;
	/* the colon follows the key (and a '*'): most lines have none
	 * that early */
	if (k0 >= n || memchr(s, ':', n < first_bytes.hkey_max + 3 ? n :
	    first_bytes.hkey_max + 3) == NULL)
		return 0;
	for (set = first_bytes.hkey[(unsigned char)s[k0]]; set != 0;
	    set &= set - 1) {
		i = set_next(set);
		if (!ci_prefix(s + k0, n - k0, &hkeys[i].k))
			continue;
		j = k0 + hkeys[i].k.len;
		if (j < n && s[j] == '*')
			j++;
		if (j >= n || s[j] != ':')
			continue;
		j++;
		if (j < n && s[j] == '*')
			j++;
		if (j < n && s[j] != ' ' && s[j] != '\t')
			continue;
		*idx_r = i;
		return j;
	}
	return 0;
}

/* Outlook on the web writes the whole block on one line:
 * "From: X <x@y> Sent: Monday, ... To: ... Subject: ...". */
static bool
hdr_oneline(const char *s, size_t n, size_t from)
{
	uint64_t seen = 0;
	size_t p, idx, count = 0;

	if (n > HDR_SCAN_MAX)
		n = HDR_SCAN_MAX;
	for (p = from + 1; p < n; p++) {
		if (s[p - 1] != ' ' || hdr_key(s + p, n - p, &idx) == 0 ||
		    hkeys[idx].from || (seen & ((uint64_t)1 << idx)))
			continue;
		seen |= (uint64_t)1 << idx;
		if (++count >= 2)
			return true;
	}
	return false;
}

/* Where does a verb of attr_verbs[] occur as a word in s[0..n)? Returns the
 * end of the last one, or 0 if none. */
static size_t
verb_end(const char *s, size_t n)
{
	uint64_t set;
	size_t p, i, vl, best = 0;

	for (p = 0; p < n; p++) {
		set = first_bytes.verb[(unsigned char)s[p]];
		if (set == 0 || (p > 0 && s[p - 1] != ' ' &&
		    (unsigned char)s[p - 1] != 0xa0))
			continue;
		for (; set != 0; set &= set - 1) {
			i = set_next(set);
			vl = attr_verbs[i].len;
			if (ci_prefix(s + p, n - p, &attr_verbs[i]) &&
			    (p + vl == n || !is_alpha(s[p + vl])))
				best = p + vl;
		}
	}
	return best;
}

/* Could this line begin a wrapped attribution? It names a date: a known
 * opening word ("On ", "Dne ", "Am "...) and a digit, a leading date
 * ("2024. márc. 5.", "05.03.2024"), or a time ("po 4. 3. 2024 v 10:12
 * odesílatel ..." as Czech Gmail writes it). */
static bool
is_opener(const char *s, size_t n)
{
	uint64_t set;
	size_t i, d = 0;
	bool digit = false;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			continue;
		digit = true;
		if (i + 3 < n && s[i + 1] == ':' && is_digit(s[i + 2]) &&
		    is_digit(s[i + 3]))
			return true;
	}
	if (!digit)
		return false;
	for (set = first_bytes.opener[(unsigned char)s[0]]; set != 0;
	    set &= set - 1)
		if (ci_prefix(s, n, &attr_openers[set_next(set)]))
			return true;
	while (d < n && d < 4 && is_digit(s[d]))
		d++;
	return (d == 4 || d == 1 || d == 2) && d < n &&
	    (s[d] == '.' || s[d] == '-' || s[d] == '/');
}

/* "-----Original Message-----" → "Original Message"; NULL if not dashed. */
static const char *
dash_inner(const char *s, size_t n, size_t *in_r)
{
	size_t a = 0, b = n;

	if (n < 3 || s[0] != '-' || s[1] != '-')
		return NULL;
	while (a < b && (s[a] == '-' || s[a] == ' '))
		a++;
	while (b > a && (s[b - 1] == '-' || s[b - 1] == ' '))
		b--;
	*in_r = b - a;
	return s + a;
}

static unsigned
text_flags(const char *s, size_t n)
{
	uint64_t set;
	unsigned f = 0;
	size_t i, in, idx, end, body;
	const char *inner;

	for (set = n <= FOOTER_MAX ? first_bytes.footer[(unsigned char)s[0]] :
	    0; set != 0; set &= set - 1)
		if (ci_prefix(s, n, &footers[set_next(set)]))
			f |= F_FOOTER;
	if (n <= SEP_MAX) {
		for (i = 0; i < n && s[i] == '_'; i++)
			;
		if (i == n && n >= 10)
			f |= F_SEP_LINE;
		if ((inner = dash_inner(s, n, &in)) != NULL) {
			if (in_list(inner, in, sep_orig, NELEM(sep_orig)))
				f |= F_SEP_ORIG;
			if (in_list(inner, in, sep_fwd, NELEM(sep_fwd)))
				f |= F_FWD;
		}
		if (in_list(s, n, fwd_lines, NELEM(fwd_lines)))
			f |= F_FWD;
	}
	if ((end = hdr_key(s, n, &idx)) > 0) {
		f |= F_HDR;
		if (hkeys[idx].from) {
			f |= F_HDR_FROM;
			if (hdr_oneline(s, n, end))
				f |= F_HDR_ONELINE;
		}
	}
	if (n <= ATTR_MAX) {
		if (s[n - 1] == ':') {
			if (n <= COLON_MAX)
				f |= F_COLON;
			/* French "a écrit :" (often with U+202F before
			 * the colon) leaves a short tail after the verb */
			body = n - 1;
			end = verb_end(s, body);
			if (end > 0 && body - end <= ATTR_TAIL_MAX)
				f |= F_ATTR_END;
		}
	}
	if (s[n - 1] == '.' || s[n - 1] == '!' || s[n - 1] == '?')
		f |= F_STOP;
	return f;
}

/* The line's bytes without the blanks around them: [*a_r, *b_r). */
static void
line_trim(const struct doc *d, const struct line *l, size_t *a_r,
    size_t *b_r)
{
	const char *s = d->t + l->off;
	size_t a = 0, b = l->len;

	while (a < b && is_ws(s[a]))
		a++;
	while (b > a && is_ws(s[b - 1]))
		b--;
	*a_r = a;
	*b_r = b;
}

/* Two properties few lines are asked about (those next to an attribution),
 * so they are not part of the flags every line gets. Could the text line l
 * begin a wrapped attribution (is_opener)? */
static bool
line_opener(const struct doc *d, const struct line *l)
{
	size_t a, b;

	line_trim(d, l, &a, &b);
	return l->kind == L_TEXT && b - a <= ATTR_MAX &&
	    is_opener(d->t + l->off + a, b - a);
}

/* Does the text line l hold an attribution verb (a wrapped attribution)? */
static bool
line_verb(const struct doc *d, const struct line *l)
{
	size_t a, b;

	line_trim(d, l, &a, &b);
	return l->kind == L_TEXT && b - a <= ATTR_MAX &&
	    verb_end(d->t + l->off + a, b - a) > 0;
}

static void
line_classify(const struct doc *d, struct line *l)
{
	const char *s = d->t + l->off;
	size_t a, b;

	l->flags = 0;
	line_trim(d, l, &a, &b);
	if (a == b)
		l->kind = L_BLANK;
	else if (s[0] == '>')
		l->kind = L_QUOTE;
	else if (a == 0 && b == 2 && s[0] == '-' && s[1] == '-')
		l->kind = L_SIGSEP;	/* "-- ", or "--" once the space is lost */
	else {
		l->kind = L_TEXT;
		l->flags = text_flags(s + a, b - a);
		if (a > 0)	/* Outlook's headers start at the margin */
			l->flags &= ~(F_HDR | F_HDR_FROM | F_HDR_ONELINE);
	}
}

/* The line starting at off; false at the end of the text. */
static bool
line_at(const struct doc *d, size_t off, struct line *l)
{
	const char *nl;

	if (off >= d->len)
		return false;
	nl = memchr(d->t + off, '\n', d->len - off);
	l->off = off;
	l->len = nl != NULL ? (size_t)(nl - (d->t + off)) : d->len - off;
	l->next = nl != NULL ? off + l->len + 1 : d->len;
	if (l->len > 0 && d->t[off + l->len - 1] == '\r')
		l->len--;
	line_classify(d, l);
	return true;
}

/* The line that ends just before off (a line start); false at the top. */
static bool
line_before(const struct doc *d, size_t off, struct line *l)
{
	size_t p;

	if (off == 0)
		return false;
	p = off - 1;	/* the '\n' ending that line, or the last byte */
	if (d->t[p] != '\n')
		p++;
	while (p > 0 && d->t[p - 1] != '\n')
		p--;
	return line_at(d, p, l);
}

/* Outlook's "prefix each line" quoting re-wraps after quoting, so a long
 * quoted line spills its end onto an unquoted line:
 *   > Subject: RE: [Support #123] The router drops the connection every
 *   evening
 *   > ...
 * A short line that starts in lower case, between a long quoted line and
 * a quoted line, is such a spill (an answer would start a sentence). */
static bool
is_spill(const struct doc *d, const struct line *prev, const struct line *l,
    const struct line *next)
{
	char c = d->t[l->off];

	return prev->kind == L_QUOTE && prev->len >= SPILL_PREV_MIN &&
	    l->kind == L_TEXT && l->len < SPILL_PREV_MIN &&
	    c >= 'a' && c <= 'z' && next->kind == L_QUOTE;
}

/* The first line at or after off that is not blank, quoted or a footer:
 * where new text would start again. Returns its offset (or d->len) and
 * fills *l when there is one. */
static size_t
skip_history(const struct doc *d, size_t off, struct line *l)
{
	struct line prev = { 0, 0, 0, L_BLANK, 0 }, next;

	while (line_at(d, off, l)) {
		if (l->kind != L_BLANK && l->kind != L_QUOTE &&
		    !(l->kind == L_TEXT && (l->flags & F_FOOTER)) &&
		    !(line_at(d, l->next, &next) &&
		    is_spill(d, &prev, l, &next)))
			return off;
		prev = *l;
		off = l->next;
	}
	return d->len;
}

/* The non-blank line after l, skipping at most max blank lines. */
static bool
next_nonblank(const struct doc *d, const struct line *l, int max,
    struct line *r)
{
	size_t off = l->next;

	while (line_at(d, off, r)) {
		if (r->kind != L_BLANK)
			return true;
		if (max-- == 0)
			return false;
		off = r->next;
	}
	return false;
}

/* At least two Outlook header lines in a row at h (one wrapped value line
 * may sit between them), or Outlook web's one-line block. */
static bool
hdr_block(const struct doc *d, const struct line *h, bool need_from)
{
	struct line n1, n2;

	if (h->kind != L_TEXT || !(h->flags & F_HDR) ||
	    (need_from && !(h->flags & F_HDR_FROM)))
		return false;
	if (h->flags & F_HDR_ONELINE)
		return true;
	if (!line_at(d, h->next, &n1) || n1.kind != L_TEXT)
		return false;
	if (n1.flags & F_HDR)
		return true;
	return line_at(d, n1.next, &n2) && n2.kind == L_TEXT &&
	    (n2.flags & F_HDR);
}

/* An Outlook reply header block starting at l: a separator (underscores,
 * "-----Original Message-----") then headers, or the headers alone. */
static bool
outlook_at(const struct doc *d, const struct line *l)
{
	struct line h;

	if (l->kind != L_TEXT)
		return false;
	if (l->flags & F_SEP_ORIG)
		return next_nonblank(d, l, 2, &h) && h.kind == L_TEXT &&
		    (h.flags & F_HDR);
	if (l->flags & F_SEP_LINE)
		return next_nonblank(d, l, 2, &h) && hdr_block(d, &h, false);
	return hdr_block(d, l, true);
}

/* Where the attribution that ends at l starts: clients wrap it over up to
 * three lines, the first one looking like "On <date>,". With need_opener
 * (the verb is not on l itself) a span without such a first line is not an
 * attribution: SIZE_MAX. */
static size_t
attr_start(const struct doc *d, const struct line *l, bool need_opener)
{
	struct line p1, p2;

	if (!need_opener && line_opener(d, l))
		return l->off;
	if (!line_before(d, l->off, &p1) || p1.kind != L_TEXT ||
	    (p1.flags & F_STOP))
		return need_opener ? SIZE_MAX : l->off;
	if (line_opener(d, &p1))
		return p1.off;
	if (line_before(d, p1.off, &p2) && p2.kind == L_TEXT &&
	    !(p2.flags & F_STOP) && line_opener(d, &p2))
		return p2.off;
	return need_opener ? SIZE_MAX : l->off;
}

/* Is l the last line of an attribution, followed (after at most two blank
 * lines) by quoted text? *start_r gets its first line, *q_r the first
 * quoted line. A short line ending in ':' without the verb counts when the
 * line above has it and the whole begins like "Am <date>" (German Gmail
 * wraps "... schrieb Max Mustermann <\nmax@example.de>:"). */
static bool
attr_find(const struct doc *d, const struct line *l, size_t *start_r,
    size_t *q_r)
{
	struct line p, q;
	bool wrapped = false;

	if (l->kind != L_TEXT)
		return false;
	if (!(l->flags & F_ATTR_END)) {
		if (!(l->flags & F_COLON) || !line_before(d, l->off, &p) ||
		    p.kind != L_TEXT || !line_verb(d, &p))
			return false;
		wrapped = true;
	}
	if (!next_nonblank(d, l, 2, &q) || q.kind != L_QUOTE)
		return false;
	if ((*start_r = attr_start(d, l, wrapped)) == SIZE_MAX)
		return false;
	*q_r = q.off;
	return true;
}

/* Does quoted history (an attribution, an Outlook block or a forward)
 * start at line m? */
static bool
history_at(const struct doc *d, const struct line *m)
{
	struct line l = *m;
	size_t q, start;
	int i;

	if (m->kind != L_TEXT)
		return false;
	if ((m->flags & F_FWD) || outlook_at(d, m))
		return true;
	for (i = 0; i < 3; i++) {
		if (l.kind != L_TEXT)
			return false;
		if (attr_find(d, &l, &start, &q))
			return start == m->off;
		if (!line_at(d, l.next, &l))
			return false;
	}
	return false;
}

static bool
fwd_below(const struct doc *d, size_t off)
{
	struct line l;

	for (; line_at(d, off, &l); off = l.next)
		if (l.kind == L_TEXT && (l.flags & F_FWD))
			return true;
	return false;
}

/* Only quoted lines (or nothing) after the Outlook block at l? */
static bool
only_quotes_after_block(const struct doc *d, const struct line *l)
{
	struct line b = *l, m;
	size_t off;

	/* The block: separator, blank lines, header and wrapped lines. */
	for (off = l->next; line_at(d, off, &b); off = b.next)
		if (b.kind != L_BLANK)
			break;
	for (; line_at(d, off, &b) && b.kind == L_TEXT; off = b.next)
		;
	return skip_history(d, off, &m) == d->len;
}

struct strip {
	size_t cut;		/* the kept text ends before this offset */
	size_t lead;		/* opening attribution (bottom-post), or SIZE_MAX */
	size_t lead_text;	/* the first new line below its quote */
	bool whole;		/* a forward: keep everything */
	size_t what_off;	/* topmost thing cut, and what it was */
	const char *what;
};

static void
strip_note(struct strip *st, size_t off, const char *what)
{
	if (st->what == NULL || off < st->what_off) {
		st->what_off = off;
		st->what = what;
	}
}

static void
strip_cut(struct strip *st, size_t off, const char *what)
{
	st->cut = off;
	strip_note(st, off, what);
}

/* Rule 1: scan down for the first history marker. */
static void
strip_scan(const struct doc *d, struct strip *st)
{
	struct line l, m;
	size_t off = 0, first = SIZE_MAX, q, start;
	bool seen = false;	/* new text above */

	while (line_at(d, off, &l)) {
		if (l.kind != L_BLANK && first == SIZE_MAX)
			first = l.off;
		if (l.kind == L_BLANK || l.kind == L_QUOTE) {
			off = l.next;
			continue;
		}
		if (l.kind == L_SIGSEP) {
			/* A signature above a forward (Thunderbird puts
			 * it there) with nothing written: a forward. */
			if (!seen && fwd_below(d, l.next))
				st->whole = true;
			else
				strip_cut(st, l.off, "signature");
			return;
		}
		if (l.flags & F_FWD) {
			if (seen)
				strip_cut(st, l.off, "forward");
			else
				st->whole = true;
			return;
		}
		if (outlook_at(d, &l)) {
			if (seen || only_quotes_after_block(d, &l))
				strip_cut(st, l.off, "attribution:outlook");
			else
				st->whole = true;
			return;
		}
		if (attr_find(d, &l, &start, &q)) {
			if (skip_history(d, q, &m) == d->len ||
			    m.kind == L_SIGSEP || history_at(d, &m)) {
				strip_cut(st, start, "attribution:gmail");
				return;
			}
			/* New text follows the quote: bottom-posted or
			 * interleaved; go on from that text (jumping there
			 * keeps the scan linear). */
			if (start == first && st->lead == SIZE_MAX) {
				st->lead = start;
				st->lead_text = m.off;
			}
			off = m.off;
			continue;
		}
		if (!(l.flags & F_FOOTER))
			seen = true;
		off = l.next;
	}
}

/* Rule 2: drop trailing blank lines, quoted blocks and footers above end;
 * returns the new end (a line start). */
static size_t
strip_tail(const struct doc *d, struct strip *st, size_t end)
{
	struct line l, below = { 0, 0, 0, L_BLANK, 0 }, above;

	while (line_before(d, end, &l)) {
		if (l.kind == L_QUOTE)
			strip_note(st, l.off, "quote-prefix");
		else if (l.kind == L_TEXT && (l.flags & F_FOOTER))
			strip_note(st, l.off, "signature");
		else if (l.kind != L_BLANK &&
		    !(line_before(d, l.off, &above) &&
		    is_spill(d, &above, &l, &below)))
			break;
		below = l;
		end = l.off;
	}
	return end;
}

/* Rule 3: the start of the kept text (a bottom-posted reply loses its
 * opening attribution and quote). */
static size_t
strip_head(const struct doc *d, struct strip *st, size_t end)
{
	struct line l;
	size_t off;

	if (st->lead == SIZE_MAX || st->lead_text >= end)
		return 0;
	for (off = st->lead_text; off < end && line_at(d, off, &l);
	    off = l.next)
		if (l.kind == L_QUOTE)
			return 0;	/* interleaved: keep the quotes */
	strip_note(st, st->lead, "attribution:gmail");
	return st->lead_text;
}

char *
quote_strip(const char *text, size_t len, const char **what_r)
{
	struct doc d = { text, len };
	struct strip st = { len, SIZE_MAX, len, false, 0, NULL };
	struct line l;
	size_t a = 0, end;
	char *r;

	pthread_once(&first_once, first_init);
	strip_scan(&d, &st);
	if (st.whole) {
		st.what = NULL;
		end = len;
		while (line_before(&d, end, &l) && l.kind == L_BLANK)
			end = l.off;
	} else {
		end = strip_tail(&d, &st, st.cut);
		a = strip_head(&d, &st, end);
	}
	/* end is a line start; the kept text stops before that line break */
	if (a < end && line_before(&d, end, &l))
		end = l.off + l.len;
	else
		end = a;
	r = xmalloc(end - a + 1);	/* returned; caller frees */
	memcpy(r, text + a, end - a);
	r[end - a] = '\0';
	if (what_r != NULL)
		*what_r = st.what != NULL ? st.what : "none";
	return r;
}
