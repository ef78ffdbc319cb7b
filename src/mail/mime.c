/* mime.c: walk a message's MIME tree (libetpan) for the text and the
 * attachments.
 *
 * libetpan's mailmime_parse builds the tree; it has no limits of its own,
 * so the raw size is bounded by the caller, a pre-scan refuses pathological
 * multipart counts (its parser and mailmime_free recurse once per level),
 * and the walk here caps depth and part count like Dovecot's
 * message_parser_settings. The body parts' bytes stay inside raw: libetpan
 * does not copy them, so raw outlives the tree. */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "mail_internal.h"
#include "postdesk/buf.h"
#include "postdesk/charset.h"
#include "postdesk/flowed.h"
#include "postdesk/html.h"
#include "postdesk/rfc2047.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define TEXT_MAX ((size_t)16 << 20)	/* best text kept, bytes */
#define REPORT_PART_MAX ((size_t)256 << 10)

struct walk {
	struct msg *m;
	const struct msg_limits *lim;
	struct mime_report *rep;
	int parts;
	struct pd_buf plain;	/* inline text/plain parts of the body, joined */
	char *html;		/* the first HTML body, as UTF-8 */
	size_t html_len;
	bool limit_noted;
	int in_related;		/* inside a non-root part of multipart/related */
	const char *boundary;	/* of the multipart whose parts are walked, or
				   NULL; borrowed from the tree */
};

/* Lower-case "type/subtype" of a part (caller frees). */
static char *
content_type_str(struct mailmime_content *ct)
{
	static const char *const discrete[] = {
		[MAILMIME_DISCRETE_TYPE_TEXT] = "text",
		[MAILMIME_DISCRETE_TYPE_IMAGE] = "image",
		[MAILMIME_DISCRETE_TYPE_AUDIO] = "audio",
		[MAILMIME_DISCRETE_TYPE_VIDEO] = "video",
		[MAILMIME_DISCRETE_TYPE_APPLICATION] = "application",
	};
	const char *type = "text", *sub;
	char *s;

	if (ct == NULL)
		return xstrdup("text/plain");
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		struct mailmime_discrete_type *d = ct->ct_type->tp_data.tp_discrete_type;

		if (d->dt_type == MAILMIME_DISCRETE_TYPE_EXTENSION)
			type = d->dt_extension;
		else if (d->dt_type > 0 && d->dt_type <= MAILMIME_DISCRETE_TYPE_APPLICATION)
			type = discrete[d->dt_type];
	} else {
		struct mailmime_composite_type *c = ct->ct_type->tp_data.tp_composite_type;

		type = c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE ? "message"
		    : c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart"
		    : c->ct_token;
	}
	/* A type without a subtype ("text", "application-x-gzip") is a
	 * syntactically invalid Content-Type: RFC 2045 5.2 says to read the
	 * part as text/plain. libetpan reports the missing subtype as
	 * "unknown". */
	if (ct->ct_subtype == NULL || *ct->ct_subtype == '\0' ||
	    strcasecmp(ct->ct_subtype, "unknown") == 0)
		return xstrdup("text/plain");
	sub = ct->ct_subtype;
	s = xasprintf("%s/%s", type ? type : "application", sub);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static const char *
ct_param(struct mailmime_content *ct, const char *name)
{
	if (ct == NULL || ct->ct_parameters == NULL)
		return NULL;
	for (clistiter *it = clist_begin(ct->ct_parameters); it; it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);

		if (p->pa_name && strcasecmp(p->pa_name, name) == 0)
			return p->pa_value;
	}
	return NULL;
}

/* Gather the parameters that can carry a file name, with lower-cased
 * names (rfc2231_get matches exactly). Names are owned by the arrays. */
struct params {
	struct rfc2231_param v[64];
	char *names[64];
	size_t n;
};

static void
params_add(struct params *p, const char *name, const char *value)
{
	char *lname;

	if (p->n >= 64 || name == NULL || value == NULL)
		return;
	lname = xstrdup(name);
	for (char *c = lname; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p->names[p->n] = lname;
	p->v[p->n].name = lname;
	p->v[p->n].value = value;
	p->n++;
}

static void
params_free(struct params *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->names[i]);
}

static char *
part_filename(struct walk *w, struct mailmime *mime, bool *is_attachment_r, bool *is_inline_r)
{
	struct params disp = { .n = 0 }, ctp = { .n = 0 };
	unsigned defects = 0;
	char *name = NULL;

	*is_attachment_r = false;
	*is_inline_r = false;
	if (mime->mm_mime_fields != NULL) {
		for (clistiter *it = clist_begin(mime->mm_mime_fields->fld_list); it; it = clist_next(it)) {
			struct mailmime_field *f = clist_content(it);
			struct mailmime_disposition *d;

			if (f->fld_type != MAILMIME_FIELD_DISPOSITION)
				continue;
			d = f->fld_data.fld_disposition;
			if (d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
				*is_attachment_r = true;
			else if (d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_INLINE)
				*is_inline_r = true;
			for (clistiter *pi = clist_begin(d->dsp_parms); pi; pi = clist_next(pi)) {
				struct mailmime_disposition_parm *dp = clist_content(pi);

				if (dp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
					params_add(&disp, "filename", dp->pa_data.pa_filename);
				else if (dp->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER)
					params_add(&disp, dp->pa_data.pa_parameter->pa_name,
					    dp->pa_data.pa_parameter->pa_value);
			}
		}
	}
	if (mime->mm_content_type && mime->mm_content_type->ct_parameters) {
		for (clistiter *it = clist_begin(mime->mm_content_type->ct_parameters); it; it = clist_next(it)) {
			struct mailmime_parameter *p = clist_content(it);

			params_add(&ctp, p->pa_name, p->pa_value);
		}
	}
	name = rfc2231_get(disp.v, disp.n, "filename", msg_fallback(w->lim), &defects);
	if (name == NULL)
		name = rfc2231_get(ctp.v, ctp.n, "name", msg_fallback(w->lim), &defects);
	if (defects)
		msg_defect(w->m, "attachment file name: badly encoded");
	params_free(&disp);
	params_free(&ctp);
	return name;
}

static void
attachment_add(struct walk *w, char *filename, const char *ctype, size_t size, bool is_inline)
{
	struct msg *m = w->m;
	struct msg_attachment *a;

	m->attachments = xreallocarray(m->attachments, m->nattachments + 1, sizeof(*a));
	a = &m->attachments[m->nattachments++];
	a->filename = filename;
	a->content_type = xstrdup(ctype);
	a->size = size;
	a->is_inline = is_inline;
}

/* A part's content with its transfer encoding undone. The decoders are
 * ours, not libetpan's mailmime_part_parse: that one grows its output a
 * few bytes at a time, and was the costliest step of the whole parse. They
 * give the same bytes (each was compared with libetpan's on random
 * input). */
struct decoded {
	const char *p;	/* the bytes: borrowed from the message, or own */
	size_t len;
	char *own;	/* owned (free) */
};

static void
decoded_free(struct decoded *dc)
{
	free(dc->own);
}

/* The value of each byte as a base64 digit, or -1 ('=' and everything
 * else). A table, not comparisons: attachments are random bytes, and
 * their digits defeat branch prediction. */
static const signed char b64_value[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* Base64 as libetpan's mailmime_base64_body_parse decodes it: every byte
 * that is not a digit is skipped, '=' included; digits left over at the
 * end give one byte (one or two digits) or two (three digits). With out
 * NULL only the length is counted. Returns the decoded length. */
static size_t
b64_decode(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t acc = 0;
	size_t o = 0, digits = 0;
	int k = 0, v;

	if (out == NULL) {
		for (size_t i = 0; i < len; i++)
			digits += b64_value[s[i]] >= 0;
		return digits / 4 * 3 + (digits % 4 == 3 ? 2 : digits % 4 != 0);
	}
	for (size_t i = 0; i < len; i++) {
		if ((v = b64_value[s[i]]) < 0)
			continue;
		acc = acc << 6 | (uint32_t)v;
		if (++k == 4) {
			out[o++] = (char)(acc >> 16);
			out[o++] = (char)(acc >> 8 & 0xff);
			out[o++] = (char)(acc & 0xff);
			acc = 0;
			k = 0;
		}
	}
	if (k > 0) {
		acc <<= 6 * (4 - k);
		out[o++] = (char)(acc >> 16);
		if (k == 3)
			out[o++] = (char)(acc >> 8 & 0xff);
	}
	return o;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;	/* as libetpan: a bad digit counts as 0 */
}

/* 0x80 in each byte of w that is zero, else 0 (exact, unlike the
 * shorter test that may also mark the byte after a zero). */
static uint64_t
zero_bytes(uint64_t w)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu;

	return ~(((w & low7) + low7) | w | low7);
}

/* How many bytes at in[0..len) are none of '=', CR, LF: eight at a time,
 * each xor'ed word tested for a zero byte. */
static size_t
qp_plain_span(const char *in, size_t len)
{
	const uint64_t ones = 0x0101010101010101u;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w, hit;

		memcpy(&w, in + i, 8);
		hit = zero_bytes(w ^ ones * '=') | zero_bytes(w ^ ones * '\r') |
		    zero_bytes(w ^ ones * '\n');
		if (hit != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(hit) / 8;
#else
			break;
#endif
		}
	}
	while (i < len && in[i] != '=' && in[i] != '\r' && in[i] != '\n')
		i++;
	return i;
}

/* Quoted-printable as libetpan's mailmime_quoted_printable_body_parse
 * decodes a body (its state machine, step for step, but copying runs of
 * plain bytes whole). Line ends come out as CRLF (a lone CR or LF too); a
 * soft break "=" CRLF, "=" LF or "=" CR goes; "=XY" is a byte, with 0 for
 * a character that is no hex digit; a CR at the very end goes, and so
 * does everything after "=" CR at the end. One quirk is kept: "=X" at the
 * very end gives X and the byte after the end, in[len], which the caller
 * must have (part_decode cuts such an end off, so in[len] is the '=' it
 * cut). out needs 2 * len + 2 bytes. Returns the decoded length. */
static size_t
qp_decode(const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0, j;

	while (i < len) {
		j = i + qp_plain_span(in + i, len - i);
		memcpy(out + o, in + i, j - i);
		o += j - i;
		if ((i = j) >= len)
			break;
		if (in[i] == '\n' || in[i] == '\r') {
			out[o++] = '\r';
			out[o++] = '\n';
			/* CR LF as one; a lone CR: what follows is read
			 * as usual; a CR at the very end gives nothing */
			if (in[i] == '\r' && i + 1 >= len)
				o -= 2;
			i += in[i] == '\r' && i + 1 < len && in[i + 1] == '\n' ?
			    2 : 1;
			continue;
		}
		if (i + 1 >= len) {		/* '=' at the end: itself */
			out[o++] = '=';
			break;
		}
		if (in[i + 1] == '\n') {	/* soft line break */
			i += 2;
			continue;
		}
		if (in[i + 1] == '\r') {
			if (i + 2 >= len)	/* "=" CR at the end: stop */
				break;
			i += in[i + 2] == '\n' ? 3 : 2;
			continue;
		}
		if (i + 2 >= len) {		/* "=X" at the end */
			out[o++] = in[i + 1];
			out[o++] = in[i + 1] == '=' ? '=' : in[len];
			break;
		}
		out[o++] = (char)(hex_value(in[i + 1]) << 4 |
		    hex_value(in[i + 2]));
		i += 3;
	}
	return o;
}

/* Undo a single part's content transfer encoding into *dc (free it with
 * decoded_free). With size_only, dc->len may be all that is set. Returns
 * 0, or -1 (nothing to free). */
static int
part_decode(struct walk *w, struct mailmime_data *d, struct decoded *dc,
    bool size_only)
{
	size_t len;
	const char *data;

	memset(dc, 0, sizeof(*dc));
	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return -1;
	data = d->dt_data.dt_text.dt_data;
	len = d->dt_data.dt_text.dt_length;
	switch (d->dt_encoding) {
	case MAILMIME_MECHANISM_QUOTED_PRINTABLE:
		break;
	case MAILMIME_MECHANISM_BASE64:
		if (size_only)
			dc->len = b64_decode(data, len, NULL);
		else {
			dc->own = xmalloc(len / 4 * 3 + 3);
			dc->len = b64_decode(data, len, dc->own);
			dc->p = dc->own;
		}
		return 0;
	default:
		/* 7bit, 8bit, binary: the bytes as they are (libetpan
		 * would copy them) */
		dc->p = data;
		dc->len = len;
		return 0;
	}
	/* libetpan's quoted-printable decoder read up to two bytes past the
	 * end of data that ends in '=' and one more byte (not a line break):
	 * past the message itself for the last part. That broken escape is
	 * left out (qp_decode keeps libetpan's results otherwise). */
	if (len >= 2 &&
	    data[len - 2] == '=' && data[len - 1] != '\r' && data[len - 1] != '\n') {
		msg_defect(w->m, "quoted-printable part ends in a broken escape");
		len -= 2;
	}
	dc->own = xmalloc(2 * len + 2);
	dc->len = qp_decode(data, len, dc->own);
	dc->p = dc->own;
	return 0;
}

/* Texts are kept with LF line ends, whatever the wire had: CRLF and a
 * lone CR (old Mac mail) become LF, in place. Returns the new length. */
static size_t
crlf_to_lf(char *s, size_t len)
{
	char *cr = memchr(s, '\r', len), *end = s + len, *o;

	if (cr == NULL) {	/* LF already */
		s[len] = '\0';
		return len;
	}
	/* from each CR to the next, moving the run between them down */
	for (o = cr; cr != NULL;) {
		char *from = cr + 1, *next;

		*o++ = '\n';
		if (from < end && *from == '\n')
			from++;
		next = memchr(from, '\r', (size_t)(end - from));
		memmove(o, from, (size_t)((next ? next : end) - from));
		o += (next ? next : end) - from;
		cr = next;
	}
	*o = '\0';
	return (size_t)(o - s);
}

/* A text part's content as UTF-8, LF line ends (caller frees). */
static char *
part_text(struct walk *w, struct mailmime *mime, size_t *len_r)
{
	struct mailmime_content *ct = mime->mm_content_type;
	const char *charset = ct_param(ct, "charset");
	const char *format = ct_param(ct, "format");
	struct decoded dc;
	char *txt;
	unsigned defects = 0;

	if (part_decode(w, mime->mm_data.mm_single, &dc, false) < 0) {
		*len_r = 0;
		return xstrdup("");
	}
	txt = charset_to_utf8(charset, dc.p, dc.len, msg_fallback(w->lim), len_r, &defects, NULL);
	decoded_free(&dc);
	if (defects)
		msg_charset_defects(w->m, "body", defects);
	if (format && strcasecmp(format, "flowed") == 0) {
		const char *delsp = ct_param(ct, "delsp");
		char *fl = flowed_decode(txt, *len_r, delsp && strcasecmp(delsp, "yes") == 0);

		free(txt);
		txt = fl;
		*len_r = strlen(txt);
	}
	*len_r = crlf_to_lf(txt, *len_r);
	return txt;
}

/* Cut t (LF line ends) before its first line that is a delimiter of the
 * enclosing multipart ("--boundary" or "--boundary--", maybe with blanks
 * after): libetpan leaves such lines inside a text part when it cannot
 * split the parts around them (an empty first part, empty parts in a row),
 * and they are no text. Returns the new length; *rest_r is where the
 * parts after a delimiter start (the length when there are none: nothing
 * was cut, or the delimiter was the closing one). */
static size_t
cut_delimiter(struct walk *w, char *t, size_t len, size_t *rest_r)
{
	size_t bl, i = 0;

	*rest_r = len;
	if (w->boundary == NULL || (bl = strlen(w->boundary)) == 0)
		return len;
	while (i < len) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - t) : len, k = i + 2 + bl;

		if (end - i >= 2 + bl && t[i] == '-' && t[i + 1] == '-' &&
		    memcmp(t + i + 2, w->boundary, bl) == 0) {
			bool close = end - k >= 2 && t[k] == '-' &&
			    t[k + 1] == '-';

			k += close ? 2 : 0;
			while (k < end && (t[k] == ' ' || t[k] == '\t'))
				k++;
			if (k == end) {
				if (!close && end < len)
					*rest_r = end + 1;
				msg_defect(w->m, "MIME delimiter inside a text part "
				    "(parts the MIME parser could not split); "
				    "text cut there");
				t[i] = '\0';
				return i;
			}
		}
		i = end + 1;
	}
	return len;
}

/* Count "multipart/" and "message/" (any case) in the raw bytes: an upper
 * bound on the number of levels libetpan would recurse into. */
static size_t
count_multipart(const char *raw, size_t len)
{
	/* message/rfc822 nests too: libetpan recurses once per attached
	 * message, and 40,000 of them (1.3 MB) overflowed an 8 MiB stack. */
	static const char pat[] = "multipart", pat2[] = "message";
	const size_t l1 = sizeof(pat) - 1, l2 = sizeof(pat2) - 1;
	const char *p = raw, *end = raw + len, *slash;
	size_t n = 0;

	/* Both end in the only '/' they hold, so they never overlap: look
	 * for the slashes (memchr is fast; '/' is rare in text) and at what
	 * comes before each. */
	while ((slash = memchr(p, '/', (size_t)(end - p))) != NULL) {
		size_t before = (size_t)(slash - raw);

		if ((before >= l1 && strncasecmp(slash - l1, pat, l1) == 0) ||
		    (before >= l2 && strncasecmp(slash - l2, pat2, l2) == 0))
			n++;
		p = slash + 1;
	}
	return n;
}

static void walk_part(struct walk *w, struct mailmime *mime, int depth, bool in_body);

/* The parts cut_delimiter found after a delimiter inside a text part:
 * parsed again as an entity of their own (part headers, then the body)
 * and walked as the parts they are. s must outlive the walk. */
static void
walk_rest(struct walk *w, const char *s, size_t n, int depth, bool in_body)
{
	struct mailmime *mime = NULL;
	size_t idx = 0;

	/* the same guard as for the message: decoded text can declare
	 * more nesting than libetpan's recursion survives */
	if (count_multipart(s, n) > (size_t)w->lim->max_mime_parts ||
	    mailmime_parse(s, n, &idx, &mime) != MAILIMF_NO_ERROR || mime == NULL)
		return;
	if (mime->mm_type == MAILMIME_MESSAGE &&
	    mime->mm_data.mm_message.mm_msg_mime != NULL)
		walk_part(w, mime->mm_data.mm_message.mm_msg_mime, depth + 1,
		    in_body);
	mailmime_free(mime);
}

static bool
blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* The decoded size of a single part, for the attachment list. */
static size_t
mime_decoded_size(struct walk *w, struct mailmime *mime)
{
	struct decoded dc;

	if (part_decode(w, mime->mm_data.mm_single, &dc, true) < 0)
		return 0;
	decoded_free(&dc);
	return dc.len;
}

/* Machine-readable parts of reports: they feed classify.c, and count as
 * attachments only when the sender named them. */
static bool
report_part(const char *ctype)
{
	static const char *const types[] = {
		"message/delivery-status", "message/global-delivery-status",
		"message/feedback-report", "message/disposition-notification",
		"text/rfc822-headers", "message/rfc822-headers",
		"message/global-headers",
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(ctype, types[i]) == 0)
			return true;
	return false;
}

/* A leaf part is body text, a report part, an attachment, or (unnamed and
 * not marked as an attachment: signature logos, spacer images) nothing
 * an agent would call an attachment. A named text part shown inline is
 * the body when no body text came before it (a common way of sending a
 * text file as the message). */
static void
walk_single(struct walk *w, struct mailmime *mime, int depth, bool in_body)
{
	char *ctype = content_type_str(mime->mm_content_type);
	bool is_att, is_inline;
	char *filename = part_filename(w, mime, &is_att, &is_inline);
	struct mime_report *rep = w->rep;
	bool plain = strcmp(ctype, "text/plain") == 0;
	bool html = strcmp(ctype, "text/html") == 0;
	size_t len, rest;

	if (in_body && !is_att && plain && (filename == NULL || w->plain.len == 0)) {
		char *t = part_text(w, mime, &len);
		size_t full = len;

		len = cut_delimiter(w, t, len, &rest);
		if (w->plain.len > 0 && !blank(t))
			pd_buf_adds(&w->plain, "\n");
		if (pd_buf_add(&w->plain, t, len) < 0 && !w->limit_noted) {
			msg_defect(w->m, "text body longer than %zu bytes; truncated", TEXT_MAX);
			w->limit_noted = true;
		}
		if (rest < full)
			walk_rest(w, t + rest, full - rest, depth, in_body);
		free(t);
	} else if (in_body && !is_att && html && (filename == NULL || w->html == NULL)) {
		w->m->html = true;
		if (w->html == NULL) {
			w->html = part_text(w, mime, &w->html_len);
			w->html_len = cut_delimiter(w, w->html, w->html_len,
			    &rest);
		}
	} else if (report_part(ctype)) {
		if (strstr(ctype, "headers") != NULL) {
			if (rep->original_headers == NULL)
				rep->original_headers = part_text(w, mime, &len);
		} else if (strstr(ctype, "delivery-status") != NULL && rep->delivery_status == NULL)
			rep->delivery_status = part_text(w, mime, &len);
		if (filename != NULL || is_att) {
			attachment_add(w, filename, ctype, mime_decoded_size(w, mime), false);
			filename = NULL;
		}
	} else if (filename != NULL || is_att) {
		/* The parts of multipart/related after the root are shown
		 * inside it (RFC 2387), with or without a disposition. */
		attachment_add(w, filename, ctype, mime_decoded_size(w, mime),
		    (is_inline || w->in_related > 0) && !is_att);
		filename = NULL;
	}
	free(filename);
	free(ctype);
}

/* An attached message (message/rfc822) is an attachment, not the body; its
 * name is its Subject. In a bounce report it also carries the original
 * headers. */
static void
walk_message(struct walk *w, struct mailmime *mime)
{
	bool is_att, is_inline;
	char *filename = part_filename(w, mime, &is_att, &is_inline);
	const char *start = mime->mm_mime_start;
	size_t len = mime->mm_length;

	if (w->rep->report_type != NULL && w->rep->original_headers == NULL && start != NULL) {
		size_t n = len < REPORT_PART_MAX ? len : REPORT_PART_MAX;

		w->rep->original_headers = xstrndup(start, n);
	}
	if (filename == NULL && mime->mm_data.mm_message.mm_fields != NULL) {
		struct mailimf_single_fields sf;

		mailimf_single_fields_init(&sf, mime->mm_data.mm_message.mm_fields);
		if (sf.fld_subject && sf.fld_subject->sbj_value) {
			unsigned defects = 0;
			char *subj = rfc2047_decode(sf.fld_subject->sbj_value,
			    strlen(sf.fld_subject->sbj_value), msg_fallback(w->lim), &defects);

			filename = xasprintf("%s.eml", subj);
			free(subj);
		}
	}
	attachment_add(w, filename, "message/rfc822", len, false);
}

static void
walk_multipart(struct walk *w, struct mailmime *mime, int depth, bool in_body)
{
	char *ctype = content_type_str(mime->mm_content_type);
	clist *parts = mime->mm_data.mm_multipart.mm_mp_list;
	const char *outer = w->boundary;

	w->boundary = ct_param(mime->mm_content_type, "boundary");
	if (strcmp(ctype, "multipart/report") == 0 && w->rep->report_type == NULL) {
		const char *rt = ct_param(mime->mm_content_type, "report-type");

		w->rep->report_type = xstrdup(rt ? rt : "");
		for (char *p = w->rep->report_type; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (strcmp(ctype, "multipart/alternative") == 0 && in_body) {
		/* Alternatives are the same content: take the text/plain
		 * one for the body (the HTML one only flags html and serves
		 * when the plain one is empty); other parts are not body. */
		for (clistiter *it = clist_begin(parts); it; it = clist_next(it))
			walk_part(w, clist_content(it), depth + 1, true);
	} else {
		bool first = true;

		for (clistiter *it = clist_begin(parts); it; it = clist_next(it)) {
			/* In a report, only the first part (the human text)
			 * is body; the rest are machine parts. */
			bool body = in_body && (strcmp(ctype, "multipart/report") != 0 || first);
			bool related = !first && strcmp(ctype, "multipart/related") == 0;

			w->in_related += related;
			walk_part(w, clist_content(it), depth + 1, body);
			w->in_related -= related;
			first = false;
		}
	}
	w->boundary = outer;
	free(ctype);
}

static void
walk_part(struct walk *w, struct mailmime *mime, int depth, bool in_body)
{
	if (depth > w->lim->max_mime_depth || w->parts >= w->lim->max_mime_parts) {
		if (!w->m->over_limit || !w->limit_noted)
			msg_defect(w->m, depth > w->lim->max_mime_depth
			    ? "MIME nesting deeper than %d; inner parts ignored"
			    : "more than %d MIME parts; the rest ignored",
			    depth > w->lim->max_mime_depth ? w->lim->max_mime_depth
			    : w->lim->max_mime_parts);
		w->m->over_limit = true;
		return;
	}
	w->parts++;
	switch (mime->mm_type) {
	case MAILMIME_SINGLE:
		walk_single(w, mime, depth, in_body);
		break;
	case MAILMIME_MULTIPLE:
		walk_multipart(w, mime, depth, in_body);
		break;
	case MAILMIME_MESSAGE:
		/* depth 0 is the message itself; depth 1 is a message whose
		 * whole body is another message (message/rfc822 at the top, as
		 * some forwarders send): its content is what the sender sent. */
		if (depth <= 1) {
			if (mime->mm_data.mm_message.mm_msg_mime != NULL)
				walk_part(w, mime->mm_data.mm_message.mm_msg_mime, depth + 1, in_body);
		} else
			walk_message(w, mime);
		break;
	}
}

/* libetpan reads every MIME field value (Content-Type, -Disposition...)
 * as an encoded phrase and converts its plain text from "us-ascii" to
 * "utf-8" through a fresh iconv_open/iconv/iconv_close: for ASCII, a
 * copy, and a costly one. Its extended_charconv hook does that copy here;
 * anything else goes back to libetpan's iconv (UNKNOWN_CHARSET says so). */
static int
ascii_charconv(const char *tocode, const char *fromcode, const char *str,
    size_t length, char *result, size_t *result_len)
{
	if (strcasecmp(tocode, "utf-8") != 0 ||
	    strcasecmp(fromcode, "us-ascii") != 0 ||
	    utf8_ascii_span((const unsigned char *)str, length) != length)
		return MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET;
	memcpy(result, str, length);
	*result_len = length;
	return MAIL_CHARCONV_NO_ERROR;
}

static pthread_once_t charconv_once = PTHREAD_ONCE_INIT;

static void
charconv_init(void)
{
	if (extended_charconv == NULL)
		extended_charconv = ascii_charconv;
}

void
mime_walk(struct msg *m, const char *raw, size_t len, const struct msg_limits *lim,
    struct mime_report *rep)
{
	struct walk w = { .m = m, .lim = lim, .rep = rep, .parts = 0, .html = NULL };
	struct mailmime *mime = NULL;
	size_t idx = 0;

	pthread_once(&charconv_once, charconv_init);
	pd_buf_init(&w.plain, TEXT_MAX);
	if (count_multipart(raw, len) > (size_t)lim->max_mime_parts) {
		msg_defect(m, "more than %d multipart/ or message/ declarations; MIME structure not parsed",
		    lim->max_mime_parts);
		m->over_limit = true;
		m->text = xstrdup("");
		pd_buf_free(&w.plain);
		return;
	}
	if (mailmime_parse(raw, len, &idx, &mime) != MAILIMF_NO_ERROR || mime == NULL) {
		msg_defect(m, "MIME structure unparsable");
		m->text = xstrdup("");
		pd_buf_free(&w.plain);
		return;
	}
	walk_part(&w, mime, 0, true);
	mailmime_free(mime);

	if (w.plain.len > 0 && !blank(pd_buf_str(&w.plain))) {
		m->text = pd_buf_steal(&w.plain);
	} else if (w.html != NULL) {
		bool trunc = false;

		m->text = html_to_text(w.html, w.html_len, TEXT_MAX, &trunc);
		m->text_from_html = true;
		if (trunc)
			msg_defect(m, "HTML body longer than %zu bytes as text; truncated", TEXT_MAX);
	} else
		m->text = pd_buf_steal(&w.plain);
	pd_buf_free(&w.plain);
	free(w.html);
}

void
mime_report_free(struct mime_report *rep)
{
	free(rep->delivery_status);
	free(rep->original_headers);
	free(rep->report_type);
}
