/* msg.c: raw bytes → struct msg (see msg.h).
 *
 * The order of work: bound the input, split the top-level header block
 * (our own tolerant splitter: real mail has headers that strict parsers
 * reject, and routing needs every header by name), decode what the
 * headers say (ids, addresses, subject, date), walk the MIME tree
 * (mime.c, on libetpan), strip quoted history, classify, guess the
 * language. Nothing here fails: broken input becomes a defect. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <libetpan/libetpan.h>

#include "mail_internal.h"
#include "postdesk/buf.h"
#include "postdesk/charset.h"
#include "postdesk/lang.h"
#include "postdesk/quote.h"
#include "postdesk/rfc2047.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define MSG_MAX_DEFECTS 64
#define MSG_MAX_HEADERS 10000
#define LANG_SAMPLE 4096	/* bytes of new text the language guess reads */

static const struct msg_limits default_limits = {
	.max_message_size = 50 << 20,
	.max_mime_depth = 100,
	.max_mime_parts = 10000,
	.max_header_size = 1 << 20,
	.charset_fallback = NULL,
};

const char *const *
msg_fallback(const struct msg_limits *lim)
{
	return lim->charset_fallback ? lim->charset_fallback : charset_default_fallback;
}

bool
ascii_starts_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool
mail_clean_word(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return utf8_valid(s, len);
}

const char *
ascii_strcasestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

void
msg_defect(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (m->ndefects >= MSG_MAX_DEFECTS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	/* The same defect once is enough (e.g. one per broken header). */
	for (size_t i = 0; i < m->ndefects; i++) {
		if (strcmp(m->defects[i], s) == 0) {
			free(s);
			return;
		}
	}
	m->defects = xreallocarray(m->defects, m->ndefects + 1, sizeof(char *));
	m->defects[m->ndefects++] = s;
}

void
msg_charset_defects(struct msg *m, const char *where, unsigned defects)
{
	if (defects & CHARSET_DEFECT_UNKNOWN)
		msg_defect(m, "%s: unknown charset", where);
	if (defects & CHARSET_DEFECT_LIED)
		msg_defect(m, "%s: declared charset does not fit the text", where);
	if (defects & CHARSET_DEFECT_UNDECLARED)
		msg_defect(m, "%s: 8-bit text without a declared charset", where);
	if (defects & CHARSET_DEFECT_REPLACED)
		msg_defect(m, "%s: undecodable bytes replaced by U+FFFD", where);
	if (defects & RFC2047_DEFECT_MALFORMED)
		msg_defect(m, "%s: malformed encoded word", where);
}

/* --- header block ------------------------------------------------------- */

/* Length of the line at p (without its terminator) and where the next
 * line starts. */
static size_t
line_len(const char *p, const char *end, const char **next_r)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (nl == NULL) {
		*next_r = end;
		return (size_t)(end - p);
	}
	*next_r = nl + 1;
	n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static void
header_add(struct msg *m, const char *name, size_t nlen, struct pd_buf *val,
    const struct msg_limits *lim)
{
	struct msg_header *h;
	unsigned defects = 0;
	size_t len = val->len, nuls = 0;
	char *raw;

	if (m->nheaders >= MSG_MAX_HEADERS) {
		msg_defect(m, "more than %d header fields; the rest ignored", MSG_MAX_HEADERS);
		return;
	}
	/* A NUL byte would end the value there and hide the rest of it (a
	 * subject cut short): it becomes a space, as in the body it becomes
	 * U+FFFD. */
	raw = pd_buf_steal(val);
	for (size_t i = 0; i < len; i++)
		if (raw[i] == '\0') {
			raw[i] = ' ';
			nuls++;
		}
	if (nuls > 0)
		msg_defect(m, "header %.*s: %zu NUL byte%s replaced by spaces",
		    (int)(nlen < 60 ? nlen : 60), name, nuls, nuls == 1 ? "" : "s");
	/* Trim the whitespace after the colon and at the end. */
	while (len > 0 && (raw[len - 1] == ' ' || raw[len - 1] == '\t'))
		raw[--len] = '\0';
	if (raw[0] == ' ' || raw[0] == '\t') {
		size_t skip = strspn(raw, " \t");

		memmove(raw, raw + skip, len - skip + 1);
		len -= skip;
	}
	/* room doubles at each power of two: no realloc per field */
	if (m->nheaders >= 8 && (m->nheaders & (m->nheaders - 1)) == 0)
		m->headers = xreallocarray(m->headers, 2 * m->nheaders,
		    sizeof(*m->headers));
	else if (m->nheaders == 0)
		m->headers = xreallocarray(NULL, 8, sizeof(*m->headers));
	h = &m->headers[m->nheaders++];
	h->name = xstrndup(name, nlen);
	h->raw = raw;
	h->value = rfc2047_decode(raw, len, msg_fallback(lim), &defects);
	if (defects) {
		char where[80];

		snprintf(where, sizeof(where), "header %.60s", h->name);
		msg_charset_defects(m, where, defects);
	}
}

/* Does the line at p start with a header field name and a colon? */
static bool
looks_like_header(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q > ' ' && *q < 127 && *q != ':')
		q++;
	return q > p && q < end && *q == ':';
}

/* Split the top-level header block into m->headers; returns the offset of
 * the body. Folded lines are unfolded (the CRLF removed, the WSP kept). */
static size_t
headers_split(struct msg *m, const char *raw, size_t len, const struct msg_limits *lim,
    bool *skipped_r)
{
	const char *p = raw, *end = raw + len, *next;
	const char *name = NULL;
	size_t nlen = 0, total = 0;
	struct pd_buf val;
	bool capped = false;

	pd_buf_init(&val, (size_t)lim->max_header_size);
	while (p < end) {
		const char *line = p;
		size_t n = line_len(p, end, &next);
		const char *colon;

		p = next;
		if (n == 0)
			break;		/* the empty line: body follows */
		total += n;
		if (total > (size_t)lim->max_header_size) {
			if (!capped)
				msg_defect(m, "header block larger than %lld bytes; truncated",
				    (long long)lim->max_header_size);
			capped = true;
			m->over_limit = true;
			continue;	/* keep scanning for the body start */
		}
		if ((line[0] == ' ' || line[0] == '\t') && name != NULL) {
			if (pd_buf_add(&val, line, n) < 0)
				m->over_limit = true;
			continue;
		}
		if (name != NULL) {
			header_add(m, name, nlen, &val, lim);
			name = NULL;
		}
		colon = memchr(line, ':', n);
		if (!looks_like_header(line, line + n)) {
			/* Not a header. When header fields follow, it is a broken
			 * one ("X-Mailer PHP/7.4"): skip it but say so. Otherwise
			 * the sender forgot the empty line and the body starts
			 * here (RFC 5322 readers take it so). */
			if (!looks_like_header(next, end)) {
				msg_defect(m, "no empty line between the headers and the body");
				*skipped_r = true;	/* hand the MIME parser a clean block */
				p = line;
				break;
			}
			msg_defect(m, "header line without a field name; skipped");
			*skipped_r = true;
			continue;
		}
		name = line;
		nlen = (size_t)(colon - line);
		pd_buf_reset(&val);
		if (pd_buf_add(&val, colon + 1, n - nlen - 1) < 0)
			m->over_limit = true;
	}
	if (name != NULL)
		header_add(m, name, nlen, &val, lim);
	pd_buf_free(&val);
	return (size_t)(p - raw);
}

/* The first field named name (any case). The first bytes are compared
 * before strcasecmp: classify.c alone asks for a dozen fields a message. */
static const struct msg_header *
header_find(const struct msg *m, const char *name)
{
	unsigned char c = (unsigned char)name[0] | 32;

	for (size_t i = 0; i < m->nheaders; i++)
		if (((unsigned char)m->headers[i].name[0] | 32) == c &&
		    strcasecmp(m->headers[i].name, name) == 0)
			return &m->headers[i];
	return NULL;
}

const char *
msg_header(const struct msg *m, const char *name)
{
	const struct msg_header *h = header_find(m, name);

	return h != NULL ? h->value : NULL;
}

const char *
msg_header_raw(const struct msg *m, const char *name)
{
	const struct msg_header *h = header_find(m, name);

	return h != NULL ? h->raw : NULL;
}

/* --- Message-IDs --------------------------------------------------------- */

static void
ids_push(char ***ids, size_t *n, const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	/* An id with control characters or bytes that are not UTF-8 can
	 * neither be stored nor written into our References: drop it. */
	if (len == 0 || len > 998 || !mail_clean_word(s, len))
		return;
	*ids = xreallocarray(*ids, *n + 1, sizeof(char *));
	(*ids)[(*n)++] = xstrndup(s, len);
}

size_t
msgid_extract(const char *value, char ***ids_r)
{
	const char *p = value;
	char **ids = NULL;
	size_t n = 0;

	*ids_r = NULL;
	if (value == NULL)
		return 0;
	/* The usual form: <id> <id> ...; comments and junk between them
	 * are ignored. */
	while ((p = strchr(p, '<')) != NULL) {
		const char *q = strchr(p + 1, '>');

		if (q == NULL)
			break;
		ids_push(&ids, &n, p + 1, (size_t)(q - p - 1));
		p = q + 1;
	}
	if (n == 0) {
		/* Bare ids without brackets: any whitespace-separated word
		 * with an '@' in it. */
		p = value;
		while (*p) {
			size_t w;

			p += strspn(p, " \t,");
			w = strcspn(p, " \t,");
			if (w > 0 && memchr(p, '@', w))
				ids_push(&ids, &n, p, w);
			p += w;
		}
	}
	*ids_r = ids;
	return n;
}

static void
ids_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void
parse_ids(struct msg *m)
{
	char **ids;
	size_t n;

	n = msgid_extract(msg_header_raw(m, "Message-ID"), &ids);
	if (n > 0) {
		m->message_id = ids[0];
		ids[0] = NULL;
	} else if (msg_header_raw(m, "Message-ID") != NULL)
		msg_defect(m, "unparsable Message-ID");
	ids_free(ids, n);

	n = msgid_extract(msg_header_raw(m, "In-Reply-To"), &ids);
	if (n > 0) {
		m->in_reply_to = ids[0];
		ids[0] = NULL;
	}
	ids_free(ids, n);

	m->nreferences = msgid_extract(msg_header_raw(m, "References"), &m->references);
}

/* A stable id for a message without one: derived from what stays the same
 * when the same mail is delivered twice (not Received or Delivered-To), so
 * that both copies are recognised as one. */
static void
synthesize_id(struct msg *m, const char *body, size_t body_len)
{
	static const char *const keys[] = { "From", "To", "Cc", "Date", "Subject" };
	unsigned char digest[32];
	gnutls_hash_hd_t h;
	char hex[65];

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		log_fatal("gnutls: SHA-256 unavailable");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = msg_header_raw(m, keys[i]);

		gnutls_hash(h, keys[i], strlen(keys[i]));
		if (v)
			gnutls_hash(h, v, strlen(v));
		gnutls_hash(h, "\n", 1);
	}
	gnutls_hash(h, body, body_len);
	gnutls_hash_deinit(h, digest);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	m->message_id = xasprintf("%s@synthetic.postdesk.invalid", hex);
	m->message_id_synthetic = true;
}

static void
content_hash(struct msg *m, const char *raw, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char digest[32];
	char hex[65];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, raw, len, digest) < 0)
		log_fatal("gnutls: SHA-256 unavailable");
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[64] = '\0';
	m->content_hash = xstrdup(hex);
}

/* --- addresses ---------------------------------------------------------- */

static void
addr_lower_domain(char *addr)
{
	char *at = strrchr(addr, '@');

	if (at)
		for (char *p = at + 1; *p; p++)
			*p = (char)tolower((unsigned char)*p);
}

/* "\"Jana Nováková\"" → Jana Nováková; backslash escapes undone. libetpan
 * keeps the quotes of a quoted display name that held encoded words. */
static void
unquote(char *s)
{
	size_t n = strlen(s);
	char *o = s;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return;
	s[n - 1] = '\0';
	for (char *p = s + 1; *p; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		*o++ = *p;
	}
	*o = '\0';
}

static void
addrs_push(struct msg *m, struct msg_addrs *a, const char *name, const char *addr,
    const struct msg_limits *lim)
{
	struct msg_addr *x;
	unsigned defects = 0;

	if (addr == NULL || *addr == '\0')
		return;
	if (!mail_clean_word(addr, strlen(addr))) {
		/* Nobody can be answered at it, and it must not reach a
		 * header we write. */
		msg_defect(m, "address with control characters or bytes that are not UTF-8; dropped");
		return;
	}
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	x = &a->v[a->n++];
	x->addr = xstrdup(addr);
	addr_lower_domain(x->addr);
	x->name = NULL;
	if (name != NULL && *name != '\0') {
		x->name = rfc2047_decode(name, strlen(name), msg_fallback(lim), &defects);
		unquote(x->name);
		if (*x->name == '\0') {
			free(x->name);
			x->name = NULL;
		}
	}
}

/* The tolerant fallback for lists libetpan rejects (8-bit names, missing
 * quotes, stray brackets): split on commas outside quotes and brackets;
 * each item is "name <addr>" or a bare word with an '@'. */
static void
addrs_fallback(struct msg *m, struct msg_addrs *a, const char *value,
    const struct msg_limits *lim)
{
	const char *p = value;
	char *pending = NULL;	/* a name-only item before this one */

	while (*p) {
		const char *start = p, *lt, *gt;
		bool q = false;
		int depth = 0;
		char *item;

		for (; *p; p++) {
			if (*p == '"')
				q = !q;
			else if (!q && *p == '<')
				depth++;
			else if (!q && *p == '>' && depth > 0)
				depth--;
			else if (!q && depth == 0 && *p == ',')
				break;
		}
		item = xstrndup(start, (size_t)(p - start));
		if (*p == ',')
			p++;
		lt = strchr(item, '<');
		gt = lt ? strchr(lt, '>') : NULL;
		if (lt && gt && memchr(lt, '@', (size_t)(gt - lt))) {
			char *addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
			char *name = xstrndup(item, (size_t)(lt - item));
			char *n = name, *joined = NULL;
			size_t nl;

			n += strspn(n, " \t\"");
			nl = strlen(n);
			while (nl > 0 && strchr(" \t\"", n[nl - 1]))
				n[--nl] = '\0';
			/* "Nowak, Jan <jan@x>": the unquoted comma split the
			 * display name; the word before it had no address. */
			if (pending != NULL) {
				joined = *n ? xasprintf("%s, %s", pending, n) : xstrdup(pending);
				n = joined;
			}
			addrs_push(m, a, n, addr, lim);
			free(joined);
			free(addr);
			free(name);
		} else if (strchr(item, '@') == NULL && strcspn(item, "<>\"") == strlen(item) &&
		    item[strspn(item, " \t")] != '\0') {
			char *w = item + strspn(item, " \t");
			size_t wl = strlen(w);

			while (wl > 0 && (w[wl - 1] == ' ' || w[wl - 1] == '\t'))
				wl--;
			free(pending);
			pending = xstrndup(w, wl);
			free(item);
			continue;
		} else {
			char *w = item;

			while (*w) {
				size_t len;

				w += strspn(w, " \t\"<>");
				len = strcspn(w, " \t\"<>");
				if (len > 0 && memchr(w, '@', len)) {
					char *addr = xstrndup(w, len);

					addrs_push(m, a, NULL, addr, lim);
					free(addr);
					break;
				}
				w += len;
			}
		}
		free(pending);
		pending = NULL;
		free(item);
	}
	free(pending);
}

static void
mailbox_push(struct msg *m, struct msg_addrs *a, struct mailimf_mailbox *mb,
    const struct msg_limits *lim)
{
	if (mb != NULL)
		addrs_push(m, a, mb->mb_display_name, mb->mb_addr_spec, lim);
}

/* Only blanks, separators and (comments) left after an address list?
 * "MAILER-DAEMON@host (Mail Delivery System)" is valid RFC 5322. */
static bool
list_rest_blank(const char *s)
{
	int depth = 0;

	for (; *s; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !strchr(" \t;,", *s))
			return false;
	}
	return true;
}

/* Does every mailbox libetpan found have an '@'? "Nowak, Jan <j@x>"
 * parses as the two mailboxes "Nowak" and "Jan <j@x>". */
static bool
list_all_at(struct mailimf_address_list *list)
{
	for (clistiter *it = clist_begin(list->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *ad = clist_content(it);

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			if (strchr(ad->ad_data.ad_mailbox->mb_addr_spec, '@') == NULL)
				return false;
		} else if (ad->ad_data.ad_group->grp_mb_list != NULL) {
			clist *l = ad->ad_data.ad_group->grp_mb_list->mb_list;

			for (clistiter *g = clist_begin(l); g; g = clist_next(g)) {
				struct mailimf_mailbox *mb = clist_content(g);

				if (strchr(mb->mb_addr_spec, '@') == NULL)
					return false;
			}
		}
	}
	return true;
}

static void
parse_addrs(struct msg *m, const char *header, struct msg_addrs *a,
    const struct msg_limits *lim)
{
	struct mailimf_address_list *list = NULL;
	size_t idx = 0;

	for (size_t h = 0; h < m->nheaders; h++) {
		const char *raw = m->headers[h].raw;

		if (strcasecmp(m->headers[h].name, header) != 0)
			continue;
		idx = 0;
		list = NULL;
		if (mailimf_address_list_parse(raw, strlen(raw), &idx, &list) == MAILIMF_NO_ERROR &&
		    list_rest_blank(raw + idx) && list_all_at(list)) {
			for (clistiter *it = clist_begin(list->ad_list); it; it = clist_next(it)) {
				struct mailimf_address *ad = clist_content(it);

				if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX)
					mailbox_push(m, a, ad->ad_data.ad_mailbox, lim);
				else if (ad->ad_data.ad_group->grp_mb_list != NULL) {
					clist *l = ad->ad_data.ad_group->grp_mb_list->mb_list;

					for (clistiter *g = clist_begin(l); g; g = clist_next(g))
						mailbox_push(m, a, clist_content(g), lim);
				}
			}
		} else if (strspn(raw, " \t") != strlen(raw)) {
			msg_defect(m, "%s: malformed address list; read leniently", header);
			addrs_fallback(m, a, raw, lim);
		}
		if (list != NULL)
			mailimf_address_list_free(list);
	}
}

static void
addrs_free(struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].addr);
	}
	free(a->v);
}

static void
parse_from(struct msg *m, const struct msg_limits *lim)
{
	struct msg_addrs from = { NULL, 0 };

	parse_addrs(m, "From", &from, lim);
	if (from.n > 0) {
		m->from = from.v[0];
		from.v[0].name = from.v[0].addr = NULL;
	} else if (msg_header_raw(m, "From") == NULL)
		msg_defect(m, "no From header");
	addrs_free(&from);
	parse_addrs(m, "Reply-To", &m->reply_to, lim);
	parse_addrs(m, "To", &m->to, lim);
	parse_addrs(m, "Cc", &m->cc, lim);
}

static void
parse_return_path(struct msg *m)
{
	const char *rp = msg_header_raw(m, "Return-Path");
	const char *lt, *gt;

	if (rp == NULL)
		return;
	lt = strchr(rp, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		m->return_path = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		m->return_path = xstrdup(rp);
	if (!mail_clean_word(m->return_path, strlen(m->return_path))) {
		msg_defect(m, "Return-Path with control characters or bytes that are not UTF-8; ignored");
		free(m->return_path);
		m->return_path = NULL;
	}
}

/* --- date ---------------------------------------------------------------- */

static void
parse_date(struct msg *m)
{
	const char *v = msg_header_raw(m, "Date");
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	struct tm tm;
	int zone, off;

	if (v == NULL)
		return;
	if (mailimf_date_time_parse(v, strlen(v), &idx, &dt) != MAILIMF_NO_ERROR) {
		msg_defect(m, "unparsable Date header");
		return;
	}
	/* libetpan takes any run of digits: bound every field before the
	 * arithmetic below can overflow (a zone of +0008888888888 did). */
	if (dt->dt_year < 0 || dt->dt_year > 9999 || dt->dt_zone < -9959 || dt->dt_zone > 9959 ||
	    dt->dt_hour < 0 || dt->dt_hour > 99 || dt->dt_min < 0 || dt->dt_min > 99 ||
	    dt->dt_sec < 0 || dt->dt_sec > 99) {
		mailimf_date_time_free(dt);
		msg_defect(m, "unparsable Date header");
		return;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt->dt_year < 100 ? dt->dt_year + (dt->dt_year < 50 ? 100 : 0)
	    : dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	zone = dt->dt_zone;	/* e.g. +0130 comes as 130 */
	off = (zone / 100) * 3600 + (zone % 100) * 60;
	mailimf_date_time_free(dt);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31) {
		msg_defect(m, "unparsable Date header");
		return;
	}
	m->date = (int64_t)timegm(&tm) - off;
}

/* --- the whole message --------------------------------------------------- */

/* The fields libetpan reads to build the MIME tree (mailmime_field_parse:
 * exact names, any case; MIME-Version only with a capital M). */
static bool
mime_field_name(const char *name, size_t n)
{
	static const char *const names[] = {
		"Content-Type", "Content-Transfer-Encoding", "Content-ID",
		"Content-Description", "Content-Disposition",
		"Content-Language", "Content-Location",
	};

	if (n == 12 && name[0] == 'M' && strncasecmp(name, "MIME-Version", 12) == 0)
		return true;
	if (n < 10 || strncasecmp(name, "Content-", 8) != 0)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(name, names[i], n) == 0)
			return true;
	return false;
}

/* What libetpan's MIME parser is given for a message whose header block
 * raw[0..body_off) headers_split read without a skipped line: the MIME
 * fields with their original bytes, folding and line ends, then the empty
 * line and the body. libetpan would otherwise parse every Received, DKIM
 * and address field into structures nobody reads, about a tenth of the
 * whole parse. Returns false (b untouched) when a byte in the block could
 * make libetpan's reading of the fields end before the empty line (a NUL,
 * a CR not before LF): then it gets the message as it is. */
static bool
mime_view(const char *raw, size_t len, size_t body_off, struct pd_buf *b)
{
	const char *p = raw, *end = raw + body_off, *next, *field = NULL;
	bool keep = false;

	for (const char *q = raw; q < end; q++)
		if (*q == '\0' || (*q == '\r' && (q + 1 == end || q[1] != '\n')))
			return false;
	pd_buf_init(b, len + 2);
	while (p < end) {
		size_t n = line_len(p, end, &next);
		const char *colon;

		if (n == 0)
			break;		/* the empty line: kept below */
		if (p[0] != ' ' && p[0] != '\t') {
			if (keep)
				pd_buf_add(b, field, (size_t)(p - field));
			colon = memchr(p, ':', n);
			field = p;
			keep = colon != NULL &&
			    mime_field_name(p, (size_t)(colon - p));
		}
		p = next;
	}
	if (keep)
		pd_buf_add(b, field, (size_t)(p - field));
	pd_buf_add(b, p, len - (size_t)(p - raw));
	return true;
}

/* Where the headers really start: after blank lines some tools write
 * first, and after an mbox "From " line (archives and MTAs leave it). The
 * MIME parser is given the message from there too. */
static size_t
skip_preamble(struct msg *m, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len, *next;

	while (p < end) {
		size_t n = line_len(p, end, &next);

		if (p == raw && n >= 5 && memcmp(p, "From ", 5) == 0)
			msg_defect(m, "mbox From_ line before the headers");
		else if (n > 0 && strspn(p, " \t") >= n)
			msg_defect(m, "blank line before the headers");
		else
			break;
		p = next;
	}
	return (size_t)(p - raw);
}

struct msg *
msg_parse(const char *raw, size_t len, const struct msg_limits *lim)
{
	struct msg *m = xcalloc(1, sizeof(*m));
	struct mime_report rep = { NULL, NULL, NULL };
	size_t body_off, start;
	bool skipped = false;
	const char *s;

	if (lim == NULL)
		lim = &default_limits;
	m->size = len;
	content_hash(m, raw, len);
	start = skip_preamble(m, raw, len);
	raw += start;
	len -= start;
	body_off = headers_split(m, raw, len, lim, &skipped);
	parse_ids(m);
	parse_from(m, lim);
	parse_return_path(m);
	parse_date(m);
	s = msg_header(m, "Subject");
	m->subject = xstrdup(s ? s : "");
	s = msg_header(m, "Content-Language");
	m->content_language = xstrdup_null(s);

	if ((int64_t)m->size > lim->max_message_size) {
		msg_defect(m, "message of %zu bytes is over the %lld-byte limit; body not parsed",
		    m->size, (long long)lim->max_message_size);
		m->over_limit = true;
		m->text = xstrdup("");
	} else if (skipped) {
		/* libetpan would stop at the line headers_split skipped (or
		 * miss where a body without the empty line starts) and take the
		 * rest for the body: give it the headers as read here. */
		struct pd_buf clean;

		pd_buf_init(&clean, len + 2 * m->nheaders + 3);
		for (size_t i = 0; i < m->nheaders; i++) {
			pd_buf_adds(&clean, m->headers[i].name);
			pd_buf_adds(&clean, ": ");
			pd_buf_adds(&clean, m->headers[i].raw);
			pd_buf_adds(&clean, "\r\n");
		}
		pd_buf_adds(&clean, "\r\n");
		pd_buf_add(&clean, raw + body_off, len - body_off);
		mime_walk(m, pd_buf_str(&clean), clean.len, lim, &rep);
		pd_buf_free(&clean);
	} else {
		struct pd_buf view;

		if (mime_view(raw, len, body_off, &view)) {
			mime_walk(m, pd_buf_str(&view), view.len, lim, &rep);
			pd_buf_free(&view);
		} else
			mime_walk(m, raw, len, lim, &rep);
	}
	m->text_new = quote_strip(m->text, strlen(m->text), NULL);
	if (m->message_id == NULL)
		synthesize_id(m, raw + body_off, len - body_off);
	classify_msg(m, &rep);
	authres_parse_all(m);
	/* The first few KiB of the new text tell the language as well as
	 * the whole of it, and the guess is the costliest step per byte. */
	{
		size_t tl = strlen(m->text_new);

		m->language = lang_detect_mail(m->subject, m->text_new,
		    tl < LANG_SAMPLE ? tl : LANG_SAMPLE, m->content_language);
	}
	mime_report_free(&rep);
	return m;
}

void
msg_free(struct msg **mp)
{
	struct msg *m = *mp;

	if (m == NULL)
		return;
	free(m->content_hash);
	for (size_t i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
		free(m->headers[i].raw);
	}
	free(m->headers);
	free(m->message_id);
	free(m->in_reply_to);
	ids_free(m->references, m->nreferences);
	free(m->from.name);
	free(m->from.addr);
	addrs_free(&m->reply_to);
	addrs_free(&m->to);
	addrs_free(&m->cc);
	free(m->return_path);
	free(m->subject);
	free(m->content_language);
	free(m->text);
	free(m->text_new);
	for (size_t i = 0; i < m->nattachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
	}
	free(m->attachments);
	free(m->auto_reply_reason);
	for (size_t i = 0; i < m->nbounce_rcpts; i++) {
		free(m->bounce_rcpts[i].addr);
		free(m->bounce_rcpts[i].action);
		free(m->bounce_rcpts[i].status);
	}
	free(m->bounce_rcpts);
	free(m->bounce_original_id);
	for (size_t i = 0; i < m->nauth; i++) {
		free(m->auth[i].authserv_id);
		free(m->auth[i].method);
		free(m->auth[i].result);
		free(m->auth[i].domain);
	}
	free(m->auth);
	for (size_t i = 0; i < m->ndefects; i++)
		free(m->defects[i]);
	free(m->defects);
	free(m);
	*mp = NULL;
}
