/* compose.c: see compose.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postdesk/buf.h"
#include "postdesk/compose.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

/* A composed message is a template rendered with ticket data and an
 * agent's text: 32 MiB is far beyond any of it. */
#define COMPOSE_MAX ((size_t)32 << 20)
#define FOLD 78

static void
add(struct pd_buf *b, const char *s, size_t n)
{
	if (pd_buf_add(b, s, n) < 0)
		log_fatal("compose: message larger than %zu bytes", COMPOSE_MAX);
}

static void
adds(struct pd_buf *b, const char *s)
{
	add(b, s, strlen(s));
}

char *
compose_clean(const char *s)
{
	struct pd_buf b;
	size_t len = strlen(s), i = 0;
	bool space = true;	/* trims the start */

	pd_buf_init(&b, len + 1);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);
		bool ctl = n == 0 || c < 0x20 || c == 0x7f ||
		    (n == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0) ||
		    (n == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9));

		if (ctl || c == ' ') {
			if (!space)
				pd_buf_addc(&b, ' ');
			space = true;
			i += n ? n : 1;
			continue;
		}
		pd_buf_add(&b, s + i, n);
		space = false;
		i += n;
	}
	if (b.len > 0 && b.data[b.len - 1] == ' ')
		pd_buf_truncate(&b, b.len - 1);
	return pd_buf_steal(&b);
}

static bool
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64(struct pd_buf *b, const unsigned char *p, size_t n)
{
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		add(b, q, 4);
	}
}

/* A header line under construction: it folds before a word that would
 * pass FOLD columns. */
struct hdr {
	struct pd_buf *b;
	size_t col;
};

static void
hdr_start(struct hdr *h, struct pd_buf *b, const char *name)
{
	h->b = b;
	adds(b, name);
	adds(b, ":");
	h->col = strlen(name) + 1;
}

/* Append one unbreakable word, preceded by a space (or a fold). */
static void
hdr_word(struct hdr *h, const char *w, size_t n)
{
	if (h->col + 1 + n > FOLD && h->col > 1) {
		adds(h->b, "\r\n");
		h->col = 0;
	}
	adds(h->b, " ");
	add(h->b, w, n);
	h->col += 1 + n;
}

static void
hdr_end(struct hdr *h)
{
	adds(h->b, "\r\n");
}

/* RFC 2047 encoded words for a UTF-8 text, each within 75 characters and
 * cut only between characters (B encoding: 45 bytes of text at most). */
static void
hdr_encoded(struct hdr *h, const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t start = i, n;
		struct pd_buf w;

		while (i < len) {
			n = utf8_seq_len((const unsigned char *)s + i, len - i);
			if (n == 0)
				n = 1;
			if (i + n - start > 45)
				break;
			i += n;
		}
		pd_buf_init(&w, 128);
		pd_buf_adds(&w, "=?UTF-8?B?");
		base64(&w, (const unsigned char *)s + start, i - start);
		pd_buf_adds(&w, "?=");
		hdr_word(h, w.data, w.len);
		pd_buf_free(&w);
	}
}

/* Free text (a subject): ASCII words as they are, else encoded words. */
static void
hdr_text(struct hdr *h, const char *text)
{
	char *s = compose_clean(text);

	if (!is_ascii(s))
		hdr_encoded(h, s);
	else {
		const char *p = s;

		while (*p) {
			size_t n = strcspn(p, " ");

			if (n > 0)
				hdr_word(h, p, n);
			p += n;
			p += strspn(p, " ");
		}
	}
	free(s);
}

/* RFC 5322 "specials" that force a display name into quotes. */
static bool
needs_quotes(const char *s)
{
	return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

static void
hdr_addr(struct hdr *h, const struct compose_addr *a, bool comma)
{
	char *name = a->name ? compose_clean(a->name) : NULL;
	char *addr = compose_clean(a->addr);
	char *w;

	if (name != NULL && *name != '\0') {
		if (!is_ascii(name))
			hdr_encoded(h, name);
		else if (needs_quotes(name)) {
			struct pd_buf q;

			pd_buf_init(&q, strlen(name) * 2 + 3);
			pd_buf_addc(&q, '"');
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					pd_buf_addc(&q, '\\');
				pd_buf_addc(&q, *p);
			}
			pd_buf_addc(&q, '"');
			hdr_word(h, q.data, q.len);
			pd_buf_free(&q);
		} else
			hdr_text(h, name);
		w = xasprintf("<%s>%s", addr, comma ? "," : "");
	} else
		w = xasprintf("%s%s", addr, comma ? "," : "");
	hdr_word(h, w, strlen(w));
	free(w);
	free(name);
	free(addr);
}

static void
header_addrs(struct pd_buf *b, const char *name, const struct compose_addr *v, size_t n)
{
	struct hdr h;

	if (n == 0)
		return;
	hdr_start(&h, b, name);
	for (size_t i = 0; i < n; i++)
		hdr_addr(&h, &v[i], i + 1 < n);
	hdr_end(&h);
}

static void
header_id(struct pd_buf *b, const char *name, const char *id)
{
	struct hdr h;
	char *w = xasprintf("<%s>", id);

	hdr_start(&h, b, name);
	hdr_word(&h, w, strlen(w));
	hdr_end(&h);
	free(w);
}

/* Outlook threads by Thread-Index: 22 bytes (6 of a FILETIME, 16 of a
 * GUID) for the thread, plus a 5-byte block for each later message. */
static void
header_thread_index(struct pd_buf *b, const struct compose *c)
{
	unsigned char ti[27];
	uint64_t ft = ((uint64_t)c->thread_started + 11644473600ULL) * 10000000ULL;
	uint64_t delta;
	size_t n = 22;
	struct hdr h;
	struct pd_buf v;

	for (int i = 0; i < 6; i++)
		ti[i] = (unsigned char)(ft >> (56 - 8 * i));
	memcpy(ti + 6, c->thread_guid, 16);
	if (c->date > c->thread_started) {
		/* time since the thread began, in units of 2^18 * 100 ns
		 * (about 26 ms), in 31 bits, plus 8 random-ish bits */
		delta = ((uint64_t)(c->date - c->thread_started) * 10000000ULL) >> 18;
		if (delta > 0x7fffffffULL)
			delta = 0x7fffffffULL;
		ti[22] = (unsigned char)(delta >> 23);
		ti[23] = (unsigned char)(delta >> 15);
		ti[24] = (unsigned char)(delta >> 7);
		ti[25] = (unsigned char)(delta << 1);
		ti[26] = c->thread_guid[c->date % 16];
		n = 27;
	}
	pd_buf_init(&v, 64);
	base64(&v, ti, n);
	hdr_start(&h, b, "Thread-Index");
	hdr_word(&h, v.data, v.len);
	hdr_end(&h);
	pd_buf_free(&v);
}

/* The body as quoted-printable (RFC 2045 6.7), lines within 76. */
static void
body_qp(struct pd_buf *b, const char *s)
{
	size_t col = 0;
	char esc[4];

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		size_t need;

		if (c == '\r' && p[1] == '\n')
			continue;
		if (c == '\n') {
			adds(b, "\r\n");
			col = 0;
			continue;
		}
		/* space or tab before a line end must be encoded */
		need = (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t') ||
		    ((c == ' ' || c == '\t') && (p[1] == '\n' || p[1] == '\0' ||
		    (p[1] == '\r' && p[2] == '\n')))) ? 3 : 1;
		if (col + need > 75) {
			adds(b, "=\r\n");
			col = 0;
		}
		if (need == 3) {
			snprintf(esc, sizeof(esc), "=%02X", c);
			adds(b, esc);
		} else
			add(b, (const char *)p, 1);
		col += need;
	}
	if (col > 0 || b->len < 2 || memcmp(b->data + b->len - 2, "\r\n", 2) != 0)
		adds(b, "\r\n");
}

/* 7bit is enough for ASCII text whose lines fit in 998 octets. */
static bool
body_plain_ok(const char *s)
{
	size_t col = 0;

	for (; *s; s++) {
		if ((unsigned char)*s >= 0x80 || *s == '\0')
			return false;
		col = *s == '\n' ? 0 : col + 1;
		if (col > 900)
			return false;
	}
	return true;
}

static void
body_plain(struct pd_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n')
			adds(b, "\r\n");
		else if (*p == '\r')
			;	/* a stray CR is not a line end */
		else
			add(b, p, 1);
	}
	if (b->len < 2 || memcmp(b->data + b->len - 2, "\r\n", 2) != 0)
		adds(b, "\r\n");
}

char *
compose_message(const struct compose *c, size_t *len_r)
{
	struct pd_buf b;
	struct hdr h;
	char date[64];
	time_t t = (time_t)c->date;
	struct tm tm;

	pd_buf_init(&b, COMPOSE_MAX);
	/* Day and month names in English whatever the locale: postdesk
	 * never calls setlocale, so strftime uses the C locale. */
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&t, &tm));
	hdr_start(&h, &b, "Date");
	hdr_word(&h, date, strlen(date));
	hdr_end(&h);
	header_addrs(&b, "From", &c->from, 1);
	if (c->reply_to != NULL)
		header_addrs(&b, "Reply-To", c->reply_to, 1);
	header_addrs(&b, "To", c->to, c->nto);
	header_addrs(&b, "Cc", c->cc, c->ncc);
	hdr_start(&h, &b, "Subject");
	hdr_text(&h, c->subject ? c->subject : "");
	hdr_end(&h);
	header_id(&b, "Message-ID", c->message_id);
	if (c->in_reply_to != NULL)
		header_id(&b, "In-Reply-To", c->in_reply_to);
	if (c->nreferences > 0) {
		hdr_start(&h, &b, "References");
		for (size_t i = 0; i < c->nreferences; i++) {
			char *w = xasprintf("<%s>", c->references[i]);

			hdr_word(&h, w, strlen(w));
			free(w);
		}
		hdr_end(&h);
	}
	if (c->thread_topic != NULL) {
		hdr_start(&h, &b, "Thread-Topic");
		hdr_text(&h, c->thread_topic);
		hdr_end(&h);
	}
	if (c->thread_guid != NULL)
		header_thread_index(&b, c);
	if (c->automatic) {
		adds(&b, "Auto-Submitted: auto-replied\r\n");
		adds(&b, "X-Auto-Response-Suppress: All\r\n");
	}
	adds(&b, "MIME-Version: 1.0\r\n");
	adds(&b, "Content-Type: text/plain; charset=utf-8\r\n");
	if (body_plain_ok(c->body)) {
		adds(&b, "Content-Transfer-Encoding: 7bit\r\n\r\n");
		body_plain(&b, c->body);
	} else {
		adds(&b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		body_qp(&b, c->body);
	}
	if (len_r != NULL)
		*len_r = b.len;
	return pd_buf_steal(&b);
}
