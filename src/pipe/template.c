/* template.c: parse and render mail templates. See template.h.
 *
 * A parsed template is a flat array of nodes (text slices, variables,
 * section starts and ends); a section start knows the index of its end, so
 * rendering is one loop with no recursion and no depth limit, and a false
 * section is skipped by a jump. The subject and the body are two ranges of
 * the same array. Parsing is one pass over the text: every byte is looked
 * at a bounded number of times (a tag's "}}" is searched only up to the end
 * of its line, except in comments, and the scan resumes after it). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postdesk/buf.h"
#include "postdesk/template.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define ERR_TAG_MAX	40	/* bytes of a bad tag quoted in an error */

const char *const tpl_variables[] = {
	"customer.name", "customer.email",
	"ticket.id", "ticket.subject", "ticket.status", "ticket.queue",
	"ticket.priority", "ticket.due", "ticket.tag",
	"agent.name", "support.name", "support.email", "message.text",
	"survey.good", "survey.bad", "remind.date",
	"sla.first_response", "sla.next_response", "sla.resolution",
	NULL
};

enum node_kind { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_END };

struct node {
	enum node_kind kind;
	size_t off, len;	/* N_TEXT: a slice of tpl.text */
	const char *name;	/* borrowed from tpl.names; not N_TEXT */
	size_t end;		/* N_SECTION, N_INVERTED: index of its N_END */
};

struct tpl {
	char *text;		/* owned: the template, CRLF turned into LF */
	char **names;		/* owned: the distinct variable names used */
	size_t nnames;
	struct node *nodes;	/* owned */
	size_t nnodes, nalloc;
	bool has_subject;
	size_t subj_first, subj_count;
	size_t body_first, body_count;
};

struct open_section {
	size_t node;
	unsigned line;
};

struct parser {
	struct tpl *t;
	const char *s;			/* borrowed: t->text */
	const char *const *allowed;	/* borrowed */
	unsigned line;
	unsigned err_line;		/* 0: the error has no line */
	char *err;			/* owned until handed out */
	struct open_section *stack;	/* owned */
	size_t depth, stack_alloc;
};

/* The state of the scan through one part (the subject or the body). */
struct scan {
	size_t pos, end;
	size_t text_start;	/* literal text not yet made a node */
	size_t line_start;
	bool line_clean;	/* only blanks since line_start, and no tag */
	bool standalone_ok;	/* false in the one-line subject */
};

static int PD_PRINTF(3, 4)
fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		log_fatal("out of memory");
	va_end(ap);
	free(p->err);
	p->err = msg;
	p->err_line = line;
	return -1;
}

static size_t
add_node(struct tpl *t, enum node_kind kind)
{
	if (t->nnodes == t->nalloc) {
		t->nalloc = t->nalloc ? t->nalloc * 2 : 32;
		t->nodes = xreallocarray(t->nodes, t->nalloc,
		    sizeof(*t->nodes));
	}
	memset(&t->nodes[t->nnodes], 0, sizeof(*t->nodes));
	t->nodes[t->nnodes].kind = kind;
	return t->nnodes++;
}

static void
add_text(struct tpl *t, size_t off, size_t end)
{
	size_t i;

	if (end <= off)
		return;
	i = add_node(t, N_TEXT);
	t->nodes[i].off = off;
	t->nodes[i].len = end - off;
}

/* The template's own copy of an allowed name (at most one per name). */
static const char *
intern(struct tpl *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nnames; i++)
		if (strcmp(t->names[i], name) == 0)
			return t->names[i];
	t->names = xreallocarray(t->names, t->nnames + 1, sizeof(*t->names));
	t->names[t->nnames] = xstrdup(name);
	return t->names[t->nnames++];
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* How much of a bad tag to quote: at most ERR_TAG_MAX bytes, not cutting
 * a UTF-8 sequence in two. */
static int
quote_len(const char *s, size_t len)
{
	if (len <= ERR_TAG_MAX)
		return (int)len;
	len = ERR_TAG_MAX;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	return (int)len;
}

/* Check the name in s[a, b) (blanks around it allowed) against the
 * allowed list; returns the interned name or NULL after fail(). */
static const char *
tag_name(struct parser *p, unsigned line, size_t a, size_t b,
    size_t tag_a, size_t tag_b)
{
	const char *s = p->s, *const *v;
	size_t i;
	int ql = quote_len(s + tag_a, tag_b - tag_a);

	while (a < b && is_blank(s[a]))
		a++;
	while (b > a && is_blank(s[b - 1]))
		b--;
	if (a == b) {
		fail(p, line, "tag '%.*s%s' has no variable name", ql,
		    s + tag_a, ql < (int)(tag_b - tag_a) ? "..." : "");
		return NULL;
	}
	for (i = a; i < b; i++)
		if (!is_name_char(s[i])) {
			fail(p, line, "bad variable name in '%.*s%s'", ql,
			    s + tag_a, ql < (int)(tag_b - tag_a) ? "..." : "");
			return NULL;
		}
	for (v = p->allowed; *v != NULL; v++)
		if (strlen(*v) == b - a && memcmp(*v, s + a, b - a) == 0)
			return intern(p->t, *v);
	fail(p, line, "unknown variable '%.*s'", quote_len(s + a, b - a),
	    s + a);
	return NULL;
}

static int
open_section(struct parser *p, enum node_kind kind, const char *name,
    unsigned line)
{
	size_t i = add_node(p->t, kind);

	p->t->nodes[i].name = name;
	if (p->depth == p->stack_alloc) {
		p->stack_alloc = p->stack_alloc ? p->stack_alloc * 2 : 8;
		p->stack = xreallocarray(p->stack, p->stack_alloc,
		    sizeof(*p->stack));
	}
	p->stack[p->depth].node = i;
	p->stack[p->depth].line = line;
	p->depth++;
	return 0;
}

static int
close_section(struct parser *p, const char *name, unsigned line)
{
	struct tpl *t = p->t;
	struct node *open;
	size_t i;

	if (p->depth == 0)
		return fail(p, line, "'{{/%s}}' closes no open section", name);
	open = &t->nodes[p->stack[p->depth - 1].node];
	if (open->name != name)
		return fail(p, line, "'{{/%s}}' does not close '{{%c%s}}' "
		    "opened on line %u", name,
		    open->kind == N_SECTION ? '#' : '^', open->name,
		    p->stack[p->depth - 1].line);
	p->depth--;
	i = add_node(t, N_END);
	t->nodes[i].name = name;
	/* add_node may have moved the array: index again */
	t->nodes[p->stack[p->depth].node].end = i;
	return 0;
}

/* Whether only blanks follow pos up to the end of its line; *next_r is
 * where the next line begins (or end). */
static bool
rest_blank(const char *s, size_t pos, size_t end, size_t *next_r)
{
	while (pos < end && is_blank(s[pos]))
		pos++;
	if (pos < end && s[pos] != '\n')
		return false;
	*next_r = pos < end ? pos + 1 : pos;
	return true;
}

/* Find "}}" from pos; a comment may span lines, any other tag ends on its
 * own line. Counts the newlines passed in p->line. */
static size_t
find_close(struct parser *p, size_t pos, size_t end, bool comment)
{
	const char *s = p->s;

	for (; pos + 1 < end; pos++) {
		if (s[pos] == '}' && s[pos + 1] == '}')
			return pos;
		if (s[pos] == '\n') {
			if (!comment)
				return end;
			p->line++;
		}
	}
	return end;
}

/* One tag at sc->pos ("{{"). Adds the nodes, moves the scan past it. */
static int
parse_tag(struct parser *p, struct scan *sc)
{
	const char *s = p->s, *name = NULL;
	size_t open = sc->pos, close, after, next, text_end;
	unsigned line = p->line;
	size_t in = open + 2, var;
	char sigil;
	enum node_kind kind;

	/* "{{ #name }}" is "{{#name}}" */
	while (in < sc->end && is_blank(s[in]))
		in++;
	sigil = in < sc->end ? s[in] : '\0';

	close = find_close(p, in, sc->end, sigil == '!');
	if (close >= sc->end)
		return fail(p, line, sigil == '!' ? "unclosed comment '{{!'" :
		    "unclosed '{{' (no '}}' on this line)");
	after = close + 2;
	if (sigil == '#' || sigil == '^' || sigil == '/') {
		name = tag_name(p, line, in + 1, close, open, after);
		if (name == NULL)
			return -1;
	} else if (sigil != '!') {
		name = tag_name(p, line, open + 2, close, open, after);
		if (name == NULL)
			return -1;
		add_text(p->t, sc->text_start, open);
		var = add_node(p->t, N_VAR);
		p->t->nodes[var].name = name;
		sc->pos = sc->text_start = after;
		sc->line_clean = false;
		return 0;
	}

	/* A section or comment tag alone on its line vanishes with the line
	 * (the Mustache "standalone" rule). */
	if (sc->standalone_ok && sc->line_clean &&
	    rest_blank(s, after, sc->end, &next)) {
		text_end = sc->line_start;
		if (next > after && s[next - 1] == '\n')
			p->line++;
		sc->line_start = next;
		sc->line_clean = true;
	} else {
		text_end = open;
		next = after;
		sc->line_clean = false;
	}
	add_text(p->t, sc->text_start, text_end);
	sc->pos = sc->text_start = next;

	if (sigil == '#' || sigil == '^') {
		kind = sigil == '#' ? N_SECTION : N_INVERTED;
		return open_section(p, kind, name, line);
	}
	if (sigil == '/')
		return close_section(p, name, line);
	return 0;
}

/* Parse s[sc->pos, sc->end) into nodes; sections must balance inside. */
static int
parse_part(struct parser *p, struct scan *sc)
{
	const char *s = p->s;
	char c;

	while (sc->pos < sc->end) {
		c = s[sc->pos];
		if (c == '{' && sc->pos + 1 < sc->end &&
		    s[sc->pos + 1] == '{') {
			if (parse_tag(p, sc) < 0)
				return -1;
			continue;
		}
		if (c == '\n') {
			p->line++;
			sc->line_start = sc->pos + 1;
			sc->line_clean = true;
		} else if (!is_blank(c))
			sc->line_clean = false;
		sc->pos++;
	}
	add_text(p->t, sc->text_start, sc->end);
	if (p->depth > 0) {
		struct open_section *o = &p->stack[p->depth - 1];
		struct node *n = &p->t->nodes[o->node];

		return fail(p, o->line, "'{{%c%s}}' is never closed",
		    n->kind == N_SECTION ? '#' : '^', n->name);
	}
	return 0;
}

static void
scan_init(struct scan *sc, size_t start, size_t end, bool standalone_ok)
{
	sc->pos = sc->text_start = sc->line_start = start;
	sc->end = end;
	sc->line_clean = true;
	sc->standalone_ok = standalone_ok;
}

/* Lines at the top holding nothing but a comment are skipped, so that a
 * file can say what it is before its Subject line. */
static size_t
skip_leading_comments(struct parser *p, size_t pos, size_t n)
{
	const char *s = p->s;
	size_t close, next, i;

	while (n - pos >= 3 && memcmp(s + pos, "{{!", 3) == 0) {
		close = pos + 3;
		while (close + 1 < n &&
		    !(s[close] == '}' && s[close + 1] == '}'))
			close++;
		if (close + 1 >= n || !rest_blank(s, close + 2, n, &next))
			break;	/* the body parser will take it */
		for (i = pos; i < next; i++)
			if (s[i] == '\n')
				p->line++;
		pos = next;
	}
	return pos;
}

static bool
starts_subject(const char *s, size_t n)
{
	return n >= 8 && strncasecmp(s, "subject:", 8) == 0;
}

/* The header lines, if the text at *pos starts with "Subject:"; leaves
 * *pos at the body. */
static int
parse_headers(struct parser *p, size_t *pos, size_t n)
{
	const char *s = p->s, *eol;
	struct tpl *t = p->t;
	struct scan sc;
	size_t a, k, e, v;

	if (!starts_subject(s + *pos, n - *pos))
		return 0;
	for (a = *pos;; a = e + 1, p->line++) {
		if (a >= n)
			return fail(p, p->line, "the header lines must be "
			    "followed by an empty line and the body");
		eol = memchr(s + a, '\n', n - a);
		e = eol != NULL ? (size_t)(eol - s) : n;
		if (e == a)
			break;
		for (k = a; k < e && (is_name_char(s[k]) && s[k] != '.'); k++)
			;
		if (k == a || k == e || s[k] != ':')
			return fail(p, p->line, "expected a header line "
			    "(\"Subject: ...\") or the empty line before "
			    "the body");
		if (k - a != 7 || strncasecmp(s + a, "subject", 7) != 0)
			return fail(p, p->line, "unknown header '%.*s' (only "
			    "Subject is known)", quote_len(s + a, k - a),
			    s + a);
		if (t->has_subject)
			return fail(p, p->line, "a second Subject header");
		for (v = k + 1; v < e && is_blank(s[v]); v++)
			;
		while (e > v && is_blank(s[e - 1]))
			e--;
		t->has_subject = true;
		t->subj_first = t->nnodes;
		scan_init(&sc, v, e, false);
		if (parse_part(p, &sc) < 0)
			return -1;
		t->subj_count = t->nnodes - t->subj_first;
		e = eol != NULL ? (size_t)(eol - s) : n;
	}
	*pos = a + 1;
	p->line++;
	return 0;
}

/* No NUL, valid UTF-8; the line of the first bad byte otherwise. */
static int
check_bytes(struct parser *p, const char *s, size_t n)
{
	unsigned line = 1;
	size_t i = 0, l;

	while (i < n) {
		if (s[i] == '\0')
			return fail(p, line, "NUL byte in the template");
		if ((unsigned char)s[i] < 0x80) {
			if (s[i] == '\n')
				line++;
			i++;
			continue;
		}
		l = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (l == 0)
			return fail(p, line, "not valid UTF-8");
		i += l;
	}
	return 0;
}

/* The owned copy of text: BOM dropped, CRLF made LF. */
static char *
normalize(const char *text, size_t len, size_t *len_r)
{
	char *out = xmalloc(len + 1);
	size_t i = 0, o = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	for (; i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		out[o++] = text[i];
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

/* tpl_parse() with the error's line (0: none) and message apart. */
static int
parse(const char *text, size_t len, const char *const *allowed,
    struct tpl **t_r, unsigned *line_r, char **msg_r)
{
	struct parser p = { .line = 1, .allowed = allowed };
	struct scan sc;
	size_t n, pos;
	int ret = -1;

	*t_r = NULL;
	if (len > TPL_MAX) {
		*line_r = 0;
		*msg_r = xasprintf("template too large (%zu bytes; at most %d)",
		    len, TPL_MAX);
		return -1;
	}
	p.t = xcalloc(1, sizeof(*p.t));
	if (check_bytes(&p, text, len) < 0)
		goto out;
	p.t->text = normalize(text, len, &n);
	p.s = p.t->text;
	pos = skip_leading_comments(&p, 0, n);
	if (parse_headers(&p, &pos, n) < 0)
		goto out;
	p.t->body_first = p.t->nnodes;
	scan_init(&sc, pos, n, true);
	if (parse_part(&p, &sc) < 0)
		goto out;
	p.t->body_count = p.t->nnodes - p.t->body_first;
	*t_r = p.t;
	p.t = NULL;
	ret = 0;
out:
	if (ret < 0) {
		*line_r = p.err_line;
		*msg_r = p.err;		/* ownership to the caller */
		tpl_free(&p.t);
	}
	free(p.stack);
	return ret;
}

int
tpl_parse(const char *text, size_t len, const char *const *allowed,
    struct tpl **t_r, char **error_r)
{
	unsigned line;
	char *msg;

	if (parse(text, len, allowed, t_r, &line, &msg) == 0)
		return 0;
	*error_r = line > 0 ? xasprintf("%u: %s", line, msg) : msg;
	if (line > 0)
		free(msg);
	return -1;
}

int
tpl_load(const char *path, const char *const *allowed, struct tpl **t_r,
    char **error_r)
{
	char *data = xmalloc(TPL_MAX + 1), *msg;
	size_t len;
	unsigned line;
	FILE *f;
	int ret;

	*t_r = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		free(data);
		return -1;
	}
	/* one byte more than allowed tells "too large" from "exactly full" */
	len = fread(data, 1, TPL_MAX + 1, f);
	if (ferror(f)) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	ret = parse(data, len, allowed, t_r, &line, &msg);
	free(data);
	if (ret == 0)
		return 0;
	*error_r = line > 0 ? xasprintf("%s:%u: %s", path, line, msg) :
	    xasprintf("%s: %s", path, msg);
	free(msg);
	return -1;
}

/* Bytes of a control character at s (C0, DEL, C1 as UTF-8, U+2028 and
 * U+2029), or 0. Anything of these in a header value could break the
 * header or, with CR/LF, start a new one. */
static size_t
control_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x20 || s[0] == 0x7F)
		return 1;
	if (n >= 2 && s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
		return 2;
	if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
	    (s[2] == 0xA8 || s[2] == 0xA9))
		return 3;
	return 0;
}

static int
add_header_value(struct pd_buf *b, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v), i = 0, start = 0, cl;

	while (i < n) {
		cl = control_len(s + i, n - i);
		if (cl == 0) {
			i++;
			continue;
		}
		if (pd_buf_add(b, v + start, i - start) < 0 ||
		    pd_buf_addc(b, ' ') < 0)
			return -1;
		for (i += cl; i < n && (cl = control_len(s + i, n - i)) > 0;)
			i += cl;
		start = i;
	}
	return pd_buf_add(b, v + start, n - start);
}

static int
render_part(const struct tpl *t, size_t first, size_t count,
    const char *(*lookup)(const char *, void *), void *arg,
    bool header, struct pd_buf *b)
{
	const struct node *nd;
	const char *v;
	size_t i;
	bool set;
	int r;

	for (i = first; i < first + count; i++) {
		nd = &t->nodes[i];
		switch (nd->kind) {
		case N_TEXT:
			if (pd_buf_add(b, t->text + nd->off, nd->len) < 0)
				return -1;
			break;
		case N_VAR:
			v = lookup(nd->name, arg);
			if (v == NULL)
				break;
			r = header ? add_header_value(b, v) : pd_buf_adds(b, v);
			if (r < 0)
				return -1;
			break;
		case N_SECTION:
		case N_INVERTED:
			v = lookup(nd->name, arg);
			set = v != NULL && *v != '\0';
			if (set != (nd->kind == N_SECTION))
				i = nd->end;	/* the loop steps past it */
			break;
		case N_END:
			break;
		}
	}
	return 0;
}

/* The rendered subject with blanks trimmed at both ends (caller frees). */
static char *
trimmed(struct pd_buf *b)
{
	const char *s = pd_buf_str(b);
	size_t a = 0, e = b->len;

	while (a < e && s[a] == ' ')
		a++;
	while (e > a && s[e - 1] == ' ')
		e--;
	return xstrndup(s + a, e - a);
}

int
tpl_render(const struct tpl *t,
    const char *(*lookup)(const char *name, void *arg), void *arg,
    char **subject_r, char **body_r)
{
	struct pd_buf b;

	if (subject_r != NULL)
		*subject_r = NULL;
	*body_r = NULL;
	pd_buf_init(&b, TPL_OUTPUT_MAX);
	if (render_part(t, t->body_first, t->body_count, lookup, arg,
	    false, &b) < 0) {
		pd_buf_free(&b);
		return -1;
	}
	*body_r = pd_buf_steal(&b);
	if (subject_r == NULL || !t->has_subject)
		return 0;
	/* the subject has the same cap as the body */
	pd_buf_init(&b, TPL_OUTPUT_MAX);
	if (render_part(t, t->subj_first, t->subj_count, lookup, arg,
	    true, &b) < 0) {
		pd_buf_free(&b);
		free(*body_r);
		*body_r = NULL;
		return -1;
	}
	*subject_r = trimmed(&b);
	pd_buf_free(&b);
	return 0;
}

bool
tpl_has_subject(const struct tpl *t)
{
	return t->has_subject;
}

void
tpl_free(struct tpl **tp)
{
	struct tpl *t = *tp;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t->nodes);
	free(t->text);
	free(t);
	*tp = NULL;
}
