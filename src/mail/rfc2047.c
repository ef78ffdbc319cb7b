/* rfc2047.c: see rfc2047.h.
 *
 * A header value is scanned once, left to right. Plain text collects in
 * d->raw, the decoded bytes of adjacent encoded words of one charset in
 * d->enc; each is converted to UTF-8 when something else begins. Encoded
 * words are recognised anywhere (not only between spaces, as RFC 2047
 * asks): mail puts them inside quoted strings and words, and a false match
 * needs the unlikely "=?x?q?...?=" in plain text. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postdesk/buf.h"
#include "postdesk/charset.h"
#include "postdesk/rfc2047.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define LABEL_MAX	64	/* longest charset label in an encoded word */

struct dec {
	struct pd_buf out;	/* UTF-8 so far */
	struct pd_buf raw;	/* pending plain text, maybe 8-bit */
	struct pd_buf enc;	/* pending bytes of adjacent encoded words */
	char label[LABEL_MAX + 1];	/* their charset label, "" if none */
	struct pd_buf word;	/* the bytes of the word just decoded */
	char wlabel[LABEL_MAX + 1];	/* and its charset label */
	bool have_enc;		/* enc and label hold a group */
	bool raw_ws;		/* raw holds only spaces and tabs */
	const char *const *fallback;
	unsigned defects;
	/* There is no "?=" in [noterm_from, noterm_to): remembered so that
	 * "=?a?q?=?a?q?=?a?q?..." is not rescanned for every "=?". */
	size_t noterm_from, noterm_to;
};

/* An encoded word as found: offsets into the scanned text. */
struct word {
	size_t label, label_len;	/* "*lang" (RFC 2231) and all: charset.c
					   drops it */
	char enc;			/* 'B' or 'Q' */
	size_t text, text_len;
	size_t end;			/* just after "?=" */
};

/* Output of a decoder is at most 4 bytes per input byte (3-byte UTF-8 for
 * each byte of a legacy charset, a 2-byte pair giving two characters);
 * plus room, guarded against overflow. */
static size_t
out_cap(size_t len)
{
	return len > (SIZE_MAX - 1024) / 4 ? SIZE_MAX : len * 4 + 1024;
}

static bool
is_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Text bytes for the output: 7-bit as is, else through the charset module
 * (charset NULL = undeclared: the fallback list). UTF-8 in plain header
 * text (raw) is no defect: RFC 6532 allows it. */
static void
emit(struct dec *d, const char *charset, const char *s, size_t len, bool raw)
{
	unsigned defects = 0;
	size_t n;
	char *u;

	if (len == 0)
		return;
	if (charset == NULL &&
	    (!is_8bit(s, len) || (raw && utf8_valid(s, len)))) {
		pd_buf_add(&d->out, s, len);
		return;
	}
	u = charset_to_utf8(charset, s, len, d->fallback, &n, &defects, NULL);
	pd_buf_add(&d->out, u, n);
	d->defects |= defects;
	free(u);
}

static void
flush_enc(struct dec *d)
{
	if (!d->have_enc)
		return;
	/* Even 7-bit bytes: the charset may be UTF-16 or ISO-2022-JP. */
	if (d->enc.len > 0)
		emit(d, d->label[0] ? d->label : NULL, d->enc.data,
		    d->enc.len, false);
	pd_buf_reset(&d->enc);
	d->have_enc = false;
}

static void
flush_raw(struct dec *d)
{
	emit(d, NULL, pd_buf_str(&d->raw), d->raw.len, true);
	pd_buf_reset(&d->raw);
	d->raw_ws = true;
}

/* The same charset? Labels as written, else as normalised. */
static bool
same_label(const char *a, const char *b)
{
	char ba[LABEL_MAX + 1], bb[LABEL_MAX + 1];
	const char *na, *nb;

	if (strcasecmp(a, b) == 0)
		return true;
	na = charset_normalize(a, ba, sizeof(ba));
	nb = charset_normalize(b, bb, sizeof(bb));
	return na != NULL && nb != NULL && strcasecmp(na, nb) == 0;
}

static bool
word_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

/* Is there an encoded word at s[p] ("=?" known)? *broken is set when it
 * has the shape "=?charset?X?" but no valid end or encoding. */
static bool
word_parse(struct dec *d, const char *s, size_t len, size_t p,
    struct word *w, bool *broken)
{
	size_t q = p + 2, k;

	*broken = false;
	while (q < len && s[q] != '?' && word_char((unsigned char)s[q]) &&
	    q - (p + 2) <= LABEL_MAX)
		q++;
	if (q + 2 >= len || s[q] != '?' || s[q + 2] != '?' ||
	    q - (p + 2) > LABEL_MAX)
		return false;
	w->label = p + 2;
	w->label_len = q - (p + 2);
	w->enc = (char)(s[q + 1] & ~0x20);	/* upper case */
	w->text = q + 3;
	if (w->enc != 'B' && w->enc != 'Q') {
		*broken = true;
		return false;
	}
	if (w->text >= d->noterm_from && w->text < d->noterm_to) {
		*broken = true;
		return false;
	}
	for (k = w->text; k < len && word_char((unsigned char)s[k]); k++)
		if (s[k] == '?' && k + 1 < len && s[k + 1] == '=')
			break;
	if (w->enc == 'Q' && k < len && s[k] == ' ') {
		/* Broken mailers leave spaces in Q words ("=?UTF-8?Q?Zm=C4=9Bna
		 * dodac=C3=AD?="): accept them if "?=" still ends the word and
		 * no other word starts before it. */
		size_t e = k;

		while (e < len && (word_char((unsigned char)s[e]) || s[e] == ' ') &&
		    s[e] != '?' && !(s[e] == '=' && e + 1 < len && s[e + 1] == '?'))
			e++;
		if (e + 1 < len && s[e] == '?' && s[e + 1] == '=') {
			d->defects |= RFC2047_DEFECT_MALFORMED;
			k = e;
		}
	}
	if (k >= len || !word_char((unsigned char)s[k])) {
		d->noterm_from = w->text;
		d->noterm_to = k;
		*broken = true;
		return false;
	}
	w->text_len = k - w->text;
	w->end = k + 2;
	return true;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64 to out. Padding is optional, and "=" ends a quantum anywhere
 * (some encoders glue padded words together). -1 on a character that is
 * not base64; *lossy when a lone sextet had to be dropped. */
static int
b64_decode(const char *s, size_t n, struct pd_buf *out, bool *lossy)
{
	uint32_t acc = 0;
	unsigned bits = 0, sextets = 0;
	int v;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=') {
			if (sextets % 4 == 1)
				*lossy = true;
			acc = bits = sextets = 0;
			continue;
		}
		if ((v = b64_value((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		sextets++;
		if (bits >= 8) {
			bits -= 8;
			pd_buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	if (sextets % 4 == 1)
		*lossy = true;
	return 0;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Q to out: "_" is a space, "=XX" a byte; a stray "=" stays (*lossy). */
static void
q_decode(const char *s, size_t n, struct pd_buf *out, bool *lossy)
{
	int hi, lo;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_')
			pd_buf_addc(out, ' ');
		else if (s[i] == '=' && i + 2 < n &&
		    (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
			pd_buf_addc(out, (char)(hi << 4 | lo));
			i += 2;
		} else {
			if (s[i] == '=')
				*lossy = true;
			pd_buf_addc(out, s[i]);
		}
	}
}

/* Decode word w into d->word (its bytes) and d->wlabel (its charset).
 * False if the encoded text is not decodable. */
static bool
word_decode(struct dec *d, const char *s, const struct word *w)
{
	bool lossy = false;

	memcpy(d->wlabel, s + w->label, w->label_len);
	d->wlabel[w->label_len] = '\0';
	pd_buf_reset(&d->word);
	if (w->enc == 'B') {
		if (b64_decode(s + w->text, w->text_len, &d->word, &lossy) < 0)
			return false;
	} else
		q_decode(s + w->text, w->text_len, &d->word, &lossy);
	if (lossy)
		d->defects |= RFC2047_DEFECT_MALFORMED;
	return true;
}

/* A decoded word arrives: whitespace since the previous word goes
 * (RFC 2047 6.2), other pending text is written out; the word's bytes join
 * the pending group if the charset is the same. */
static void
word_add(struct dec *d)
{
	if (d->raw.len > 0 && !(d->raw_ws && d->have_enc)) {
		flush_enc(d);
		flush_raw(d);
	}
	pd_buf_reset(&d->raw);
	d->raw_ws = true;
	if (d->have_enc && !same_label(d->label, d->wlabel))
		flush_enc(d);
	if (!d->have_enc) {
		memcpy(d->label, d->wlabel, sizeof(d->label));
		d->have_enc = true;
	}
	pd_buf_add(&d->enc, d->word.data, d->word.len);
}

/* Line breaks of folding go (CRLF + WSP → WSP), any other becomes a
 * space, NUL too. */
static void
unfold(const char *v, size_t len, struct pd_buf *u)
{
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		size_t j = i;

		/* most of a value is copied as it is, in runs */
		while (j < len && v[j] != '\r' && v[j] != '\n' && v[j] != '\0')
			j++;
		if (j > i) {
			pd_buf_add(u, v + i, j - i);
			i = j - 1;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (c == '\r' && j + 1 < len && v[j + 1] == '\n')
				j++;
			if (j + 1 >= len || (v[j + 1] != ' ' && v[j + 1] != '\t'))
				pd_buf_addc(u, ' ');
			i = j;
		} else
			pd_buf_addc(u, c == '\0' ? ' ' : c);
	}
}

/* The final line: controls → space (C0, DEL, C1 U+0080-U+009F, U+2028,
 * U+2029), spaces trimmed at both ends. s is valid UTF-8. */
static char *
clean_line(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *r = xmalloc(len + 1);
	size_t n = 0, start;

	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			r[n++] = ' ';
		else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f) {
			r[n++] = ' ';
			i++;
		} else if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			r[n++] = ' ';
			i += 2;
		} else
			r[n++] = (char)p[i];
	}
	for (start = 0; start < n && r[start] == ' '; start++)
		;
	while (n > start && r[n - 1] == ' ')
		n--;
	memmove(r, r + start, n - start);
	r[n - start] = '\0';
	return r;
}

/* Nothing to decode or convert: printable ASCII and tabs, no "=?". Most
 * header fields (Received, DKIM-Signature, Message-ID...) are. */
static bool
plain_value(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c > 0x7e ||
		    (c == '=' && i + 1 < len && v[i + 1] == '?'))
			return false;
	}
	return true;
}

char *
rfc2047_decode(const char *value, size_t len, const char *const *fallback,
    unsigned *defects_r)
{

	struct dec d;
	struct pd_buf u;
	struct word w;
	const char *s;
	size_t i = 0, j;
	bool broken;
	char *r;

	/* what the general path below would give, without its buffers */
	if (plain_value(value, len)) {
		if (defects_r)
			*defects_r = 0;
		return clean_line(value, len);
	}
	memset(&d, 0, sizeof(d));
	pd_buf_init(&d.out, out_cap(len));
	pd_buf_init(&d.raw, len);
	pd_buf_init(&d.enc, len);
	pd_buf_init(&d.word, len);
	pd_buf_init(&u, len);
	d.raw_ws = true;
	d.fallback = fallback;
	unfold(value, len, &u);
	s = pd_buf_str(&u);
	while (i < u.len) {
		if (s[i] == '=' && i + 1 < u.len && s[i + 1] == '?') {
			if (word_parse(&d, s, u.len, i, &w, &broken)) {
				if (word_decode(&d, s, &w)) {
					word_add(&d);
					i = w.end;
					continue;
				}
				broken = true;
			}
			if (broken)
				d.defects |= RFC2047_DEFECT_MALFORMED;
		}
		/* up to the next "=?" (or this '=' of a broken one) */
		j = i + 1;
		while (j < u.len && !(s[j] == '=' && j + 1 < u.len &&
		    s[j + 1] == '?'))
			j++;
		for (size_t k = i; k < j && d.raw_ws; k++)
			if (s[k] != ' ' && s[k] != '\t')
				d.raw_ws = false;
		pd_buf_add(&d.raw, s + i, j - i);
		i = j;
	}
	flush_enc(&d);
	flush_raw(&d);
	r = clean_line(pd_buf_str(&d.out), d.out.len);
	pd_buf_free(&d.out);
	pd_buf_free(&d.raw);
	pd_buf_free(&d.enc);
	pd_buf_free(&d.word);
	pd_buf_free(&u);
	if (defects_r)
		*defects_r = d.defects;
	return r;
}

/* --- RFC 2231 ------------------------------------------------------------ */

/* One continuation "name*N" or "name*N*". */
struct part {
	unsigned long idx;
	size_t order;		/* position among the parameters: ties */
	bool ext;		/* "*N*": %XX-encoded */
	const char *value;	/* borrowed from the caller's params */
};

enum pform { P_OTHER, P_PLAIN, P_EXT, P_CONT };

/* Which form of parameter name is pname? */
static enum pform
param_form(const char *pname, const char *name, size_t nlen,
    unsigned long *idx, bool *ext)
{
	const char *p;
	size_t digits = 0;

	if (pname == NULL || strncasecmp(pname, name, nlen) != 0)
		return P_OTHER;
	p = pname + nlen;
	if (*p == '\0')
		return P_PLAIN;
	if (*p++ != '*')
		return P_OTHER;
	if (*p == '\0')
		return P_EXT;
	*idx = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits >= 6)	/* no sender needs a millionth part */
			return P_OTHER;
		*idx = *idx * 10 + (unsigned long)(*p - '0');
	}
	if (digits == 0)
		return P_OTHER;
	*ext = *p == '*';
	if (*ext)
		p++;
	return *p == '\0' ? P_CONT : P_OTHER;
}

static int
part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* %XX → byte; a "%" that is not an escape stays (*malformed). */
static void
pct_decode(const char *s, struct pd_buf *out, bool *malformed)
{
	int hi, lo;

	for (; *s; s++) {
		if (*s == '%' && (hi = hex_value((unsigned char)s[1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[2])) >= 0) {
			pd_buf_addc(out, (char)(hi << 4 | lo));
			s += 2;
		} else {
			if (*s == '%')
				*malformed = true;
			pd_buf_addc(out, *s);
		}
	}
}

/* "charset'lang'text": the charset into cs (may be ""), returns text.
 * Without two quotes the whole value is text and cs is "". */
static const char *
ext_prefix(const char *v, char *cs, size_t cssize)
{
	const char *q1 = strchr(v, '\''), *q2;
	size_t n;

	cs[0] = '\0';
	if (q1 == NULL || (q2 = strchr(q1 + 1, '\'')) == NULL)
		return v;
	n = (size_t)(q1 - v);
	if (n < cssize) {
		memcpy(cs, v, n);
		cs[n] = '\0';
	} else
		memcpy(cs, "x-too-long", sizeof("x-too-long"));
	return q2 + 1;
}

/* Bytes in charset cs ("" = undeclared) → a clean line. */
static char *
convert_line(const char *cs, const struct pd_buf *b,
    const char *const *fallback, unsigned *defects)
{
	size_t n;
	unsigned dd = 0;
	char *u, *r;

	u = charset_to_utf8(cs[0] ? cs : NULL, pd_buf_str(b), b->len, fallback,
	    &n, &dd, NULL);
	*defects |= dd;
	r = clean_line(u, n);
	free(u);
	return r;
}

/* Join continuations (sorted here) and decode them. */
static char *
join_parts(struct part *parts, size_t np, size_t cap,
    const char *const *fallback, unsigned *defects)
{
	char cs[LABEL_MAX + 1] = "";
	struct pd_buf b;
	bool any_ext = false, malformed = false;
	unsigned dd = 0;
	char *r;

	qsort(parts, np, sizeof(*parts), part_cmp);
	pd_buf_init(&b, cap);
	for (size_t i = 0; i < np; i++) {
		const char *v = parts[i].value;

		if (i > 0 && parts[i].idx == parts[i - 1].idx)
			continue;	/* a duplicate: the first one counts */
		if (!parts[i].ext) {
			pd_buf_adds(&b, v);
			continue;
		}
		if (i == 0)
			v = ext_prefix(v, cs, sizeof(cs));
		any_ext = true;
		pct_decode(v, &b, &malformed);
	}
	if (malformed)
		*defects |= RFC2047_DEFECT_MALFORMED;
	if (any_ext)
		r = convert_line(cs, &b, fallback, defects);
	else {	/* plain continuations: maybe a long RFC 2047 word, split */
		r = rfc2047_decode(pd_buf_str(&b), b.len, fallback, &dd);
		*defects |= dd;
	}
	pd_buf_free(&b);
	return r;
}

char *
rfc2231_get(const struct rfc2231_param *params, size_t n, const char *name,
    const char *const *fallback, unsigned *defects_r)
{
	size_t nlen = strlen(name), np = 0, cap = 1024;
	const char *plain = NULL, *ext = NULL;
	struct part *parts = NULL;
	unsigned defects = 0, dd = 0;
	char *r = NULL;

	for (size_t i = 0; i < n; i++) {
		unsigned long idx = 0;
		bool isext = false;

		switch (param_form(params[i].name, name, nlen, &idx, &isext)) {
		case P_PLAIN:
			if (plain == NULL && params[i].value)
				plain = params[i].value;
			break;
		case P_EXT:
			if (ext == NULL && params[i].value)
				ext = params[i].value;
			break;
		case P_CONT:
			if (params[i].value == NULL)
				break;
			parts = xreallocarray(parts, np + 1, sizeof(*parts));
			parts[np++] = (struct part){ idx, i, isext,
			    params[i].value };
			cap += strlen(params[i].value);
			break;
		case P_OTHER:
			break;
		}
	}
	if (np > 0)
		r = join_parts(parts, np, cap, fallback, &defects);
	else if (ext != NULL) {
		char cs[LABEL_MAX + 1];
		struct pd_buf b;
		bool malformed = false;

		pd_buf_init(&b, strlen(ext) + 1);
		pct_decode(ext_prefix(ext, cs, sizeof(cs)), &b, &malformed);
		if (malformed)
			defects |= RFC2047_DEFECT_MALFORMED;
		r = convert_line(cs, &b, fallback, &defects);
		pd_buf_free(&b);
	}
	free(parts);
	/* An empty RFC 2231 value does not hide a plain one. */
	if (plain != NULL && (r == NULL || r[0] == '\0')) {
		free(r);
		r = rfc2047_decode(plain, strlen(plain), fallback, &dd);
		defects |= dd;
	}
	if (defects_r)
		*defects_r = r ? defects : 0;
	return r;
}
