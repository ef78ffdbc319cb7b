/* fuzz-inspect.c: libFuzzer target for the whole "postdesk inspect --json"
 * path: msg_parse() on arbitrary bytes, the JSON rendering the command
 * prints (inspect_json), msg_free().
 *
 * Besides the sanitizers' findings (ASan, UBSan, leaks), it checks what
 * msg.h and the --json contract promise for any input, and traps on a
 * violation after saying which one on stderr:
 *   - the document is valid UTF-8, has no raw control character, and is
 *     one well-formed JSON object;
 *   - every decoded string of the msg is valid UTF-8; header names and
 *     values, ids, subject, addresses, Return-Path, Authentication-Results
 *     and the auto-reply reason hold no control character (so no CR/LF);
 *   - text_new is no longer than text; required strings are never NULL;
 *   - a parse under small limits that hit none of them gives the same
 *     document as a parse under the defaults (limits change nothing until
 *     they are hit, and hitting one is always marked).
 *
 * Built and run by tests/fuzz/run-fuzz.sh; not part of "make check". */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/msg.h"
#include "postdesk/utf8.h"
#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits, so that every limit path (body not parsed, header block
 * cut, depth and part caps) is reached by inputs the fuzzer can make. */
static const struct msg_limits small_limits = {
	.max_message_size = 64 << 10,
	.max_mime_depth = 8,
	.max_mime_parts = 64,
	.max_header_size = 8 << 10,
	.charset_fallback = NULL,
};

/* Say which promise broke, with the value (escaped, cut) when there is
 * one, then stop the way libFuzzer records as a crash. */
static void
fail_value(const char *what, const char *field, const char *val)
{
	fprintf(stderr, "fuzz-inspect: invariant violated: %s (%s)", what, field);
	if (val != NULL) {
		size_t n = 0;

		fputs(": \"", stderr);
		for (const unsigned char *p = (const unsigned char *)val; *p && n < 200; p++, n++) {
			if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
				fprintf(stderr, "\\x%02x", *p);
			else
				fputc(*p, stderr);
		}
		fputs(n == 200 ? "\"..." : "\"", stderr);
	}
	fputc('\n', stderr);
	__builtin_trap();
}

static void
fail(const char *what, const char *field)
{
	fail_value(what, field, NULL);
}

#define S_NONNULL	0x1u	/* must not be NULL */
#define S_NONEMPTY	0x2u	/* must not be "" */
#define S_NOCRLF	0x4u	/* one line: no CR, no LF */
#define S_NOCTRL	0x8u	/* no C0 control character or DEL at all */

static void
check_str(const char *s, unsigned rules, const char *field)
{
	size_t len;

	if (s == NULL) {
		if (rules & S_NONNULL)
			fail("NULL string", field);
		return;
	}
	len = strlen(s);
	if ((rules & S_NONEMPTY) && len == 0)
		fail("empty string", field);
	if (!utf8_valid(s, len))
		fail_value("not valid UTF-8", field, s);
	if ((rules & S_NOCRLF) && strpbrk(s, "\r\n") != NULL)
		fail_value("CR or LF in a one-line field", field, s);
	if (rules & S_NOCTRL)
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				fail_value("control character", field, s);
}

static void
check_addr(const struct msg_addr *a, const char *field)
{
	check_str(a->addr, S_NONNULL | S_NONEMPTY | S_NOCTRL, field);
	check_str(a->name, S_NONEMPTY | S_NOCTRL, field);
}

static void
check_addrs(const struct msg_addrs *a, const char *field)
{
	if (a->n > 0 && a->v == NULL)
		fail("count without array", field);
	for (size_t i = 0; i < a->n; i++)
		check_addr(&a->v[i], field);
}

static bool
is_lower_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void
check_headers(const struct msg *m)
{
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct msg_header *h = &m->headers[i];

		check_str(h->name, S_NONNULL | S_NONEMPTY | S_NOCTRL, "header name");
		if (strchr(h->name, ':') != NULL)
			fail("colon in a header name", "header name");
		check_str(h->value, S_NONNULL | S_NOCTRL, "header value");
		/* raw is the undecoded value: any bytes, but unfolded. */
		if (h->raw == NULL || strchr(h->raw, '\n') != NULL)
			fail("raw value NULL or still folded", "header raw");
	}
}

static void
check_ids(const struct msg *m)
{
	static const char synth[] = "@synthetic.postdesk.invalid";
	size_t n;

	check_str(m->message_id, S_NONNULL | S_NONEMPTY | S_NOCTRL, "message_id");
	n = strlen(m->message_id);
	if (m->message_id_synthetic &&
	    (n < sizeof(synth) - 1 || strcmp(m->message_id + n - (sizeof(synth) - 1), synth) != 0))
		fail("synthetic id not in the synthetic domain", "message_id");
	check_str(m->in_reply_to, S_NONEMPTY | S_NOCTRL, "in_reply_to");
	if (m->nreferences > 0 && m->references == NULL)
		fail("count without array", "references");
	for (size_t i = 0; i < m->nreferences; i++)
		check_str(m->references[i], S_NONNULL | S_NONEMPTY | S_NOCTRL, "references");
	check_str(m->bounce_original_id, S_NONEMPTY | S_NOCTRL, "bounce_original_id");
}

static void
check_class(const struct msg *m)
{
	static const char *const langs[] = { "en", "cs", "sk", "pl", "hu", "de" };
	bool lang_ok = m->language == NULL;

	if (!m->auto_reply && m->auto_reply_reason != NULL)
		fail("a reason without auto_reply", "auto_reply_reason");
	check_str(m->auto_reply_reason, S_NOCTRL, "auto_reply_reason");
	for (size_t i = 0; i < m->nbounce_rcpts; i++) {
		check_str(m->bounce_rcpts[i].addr, S_NOCTRL, "bounce_rcpts.addr");
		check_str(m->bounce_rcpts[i].action, S_NOCRLF, "bounce_rcpts.action");
		check_str(m->bounce_rcpts[i].status, S_NOCRLF, "bounce_rcpts.status");
	}
	for (size_t i = 0; i < m->nauth; i++) {
		check_str(m->auth[i].authserv_id, S_NOCTRL, "auth.authserv_id");
		check_str(m->auth[i].method, S_NOCTRL, "auth.method");
		check_str(m->auth[i].result, S_NOCTRL, "auth.result");
		check_str(m->auth[i].domain, S_NOCTRL, "auth.domain");
	}
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (m->language != NULL && strcmp(m->language, langs[i]) == 0)
			lang_ok = true;
	if (!lang_ok)
		fail("unknown language code", "language");
}

static void
check_msg(const struct msg *m, size_t size, const struct msg_limits *lim)
{
	if (m == NULL)
		fail("msg_parse returned NULL", "msg");
	if (m->size != size)
		fail("size is not the input's size", "size");
	if (m->content_hash == NULL || !is_lower_hex(m->content_hash, 64))
		fail("not 64 lower-case hex digits", "content_hash");
	check_headers(m);
	check_ids(m);
	if (m->from.addr != NULL)
		check_addr(&m->from, "from");
	else
		check_str(m->from.name, S_NOCTRL, "from.name");
	check_addrs(&m->reply_to, "reply_to");
	check_addrs(&m->to, "to");
	check_addrs(&m->cc, "cc");
	check_str(m->return_path, S_NOCTRL, "return_path");
	check_str(m->subject, S_NONNULL | S_NOCTRL, "subject");
	check_str(m->content_language, S_NOCTRL, "content_language");
	check_str(m->text, S_NONNULL, "text");
	check_str(m->text_new, S_NONNULL, "text_new");
	if (strlen(m->text_new) > strlen(m->text))
		fail("text_new longer than text", "text_new");
	if (m->text_from_html && !m->html)
		fail("text from HTML without an HTML body", "text_from_html");
	for (size_t i = 0; i < m->nattachments; i++) {
		const char *ct = m->attachments[i].content_type;

		check_str(m->attachments[i].filename, 0, "attachment filename");
		check_str(ct, S_NONNULL | S_NONEMPTY | S_NOCRLF, "attachment content_type");
		for (const char *p = ct; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				fail("upper case in a content type", "attachment content_type");
	}
	check_class(m);
	if (m->ndefects > 64)
		fail("more than 64 defects", "defects");
	for (size_t i = 0; i < m->ndefects; i++)
		check_str(m->defects[i], S_NONNULL | S_NONEMPTY, "defects");
	if (lim != NULL && (int64_t)size > lim->max_message_size && !m->over_limit)
		fail("over the size limit but not marked", "over_limit");
}

/* --- a strict JSON (RFC 8259) checker ------------------------------------ */

struct jp {
	const char *p, *end;
	int depth;
};

static bool json_value(struct jp *j);

static void
json_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool
json_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool
json_digits(struct jp *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool
json_number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!json_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!json_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!json_digits(j))
			return false;
	}
	return true;
}

static bool
json_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++j->p >= j->end)
				return false;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (j->p + i >= j->end || !strchr("0123456789abcdefABCDEF", j->p[i]) ||
					    j->p[i] == '\0')
						return false;
				j->p += 4;
			} else if (strchr("\"\\/bfnrt", *j->p) == NULL || *j->p == '\0')
				return false;
		}
		j->p++;
	}
	if (j->p >= j->end)
		return false;
	j->p++;
	return true;
}

static bool
json_container(struct jp *j, char close, bool object)
{
	j->p++;
	if (++j->depth > 64)
		return false;
	json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		json_ws(j);
		if (object) {
			if (!json_string(j))
				return false;
			json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return false;
			json_ws(j);
		}
		if (!json_value(j))
			return false;
		json_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return false;
		j->depth--;
		return true;
	}
}

static bool
json_value(struct jp *j)
{
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{': return json_container(j, '}', true);
	case '[': return json_container(j, ']', false);
	case '"': return json_string(j);
	case 't': return json_lit(j, "true");
	case 'f': return json_lit(j, "false");
	case 'n': return json_lit(j, "null");
	default: return json_number(j);
	}
}

static void
check_json(const char *doc)
{
	size_t len = strlen(doc);
	struct jp j = { doc, doc + len, 0 };

	if (!utf8_valid(doc, len))
		fail("JSON output is not valid UTF-8", "json");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)doc[i] < 0x20 || doc[i] == 0x7f)
			fail("raw control character in the JSON output", "json");
	if (len == 0 || doc[0] != '{' || !json_value(&j) || j.p != j.end)
		fail("JSON output is not one well-formed object", "json");
}

/* --- the target ----------------------------------------------------------- */

static char *
parse_render(const uint8_t *data, size_t size, const struct msg_limits *lim, bool *over_r)
{
	struct msg *m = msg_parse((const char *)data, size, lim);
	char *doc;

	check_msg(m, size, lim);
	/* The two lookups every caller uses; they must not trip on odd names. */
	(void)msg_header(m, "Subject");
	(void)msg_header_raw(m, "X-Fuzz-\xff");
	doc = inspect_json(m);
	check_json(doc);
	*over_r = m->over_limit;
	msg_free(&m);
	if (m != NULL)
		fail("msg_free left the pointer set", "msg");
	return doc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool small_over, def_over;
	char *small = parse_render(data, size, &small_limits, &small_over);
	char *def = parse_render(data, size, NULL, &def_over);

	if (!small_over && (def_over || strcmp(small, def) != 0))
		fail("a parse that hit no small limit differs from the default parse",
		    "limits");
	free(small);
	free(def);
	return 0;
}
