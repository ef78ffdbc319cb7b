/* authres.c: Authentication-Results (RFC 8601) → msg.auth.
 *
 * Only the parse lives here; which header counts (the topmost one from the
 * trusted authserv-id: lower ones may be forged by the sender) is decided
 * where agents are verified. Each result keeps the index of its header
 * from the top so that decision can be made. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mail_internal.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

/* Copy value without (comments), respecting "quoted strings"; the caller
 * frees. Unbalanced parentheses end the comment at the end of the value. */
static char *
strip_comments(const char *v)
{
	char *out = xmalloc(strlen(v) + 1), *o = out;
	int depth = 0;
	bool quoted = false;

	for (; *v; v++) {
		if (!quoted && *v == '(') {
			depth++;
			continue;
		}
		if (!quoted && *v == ')' && depth > 0) {
			depth--;
			*o++ = ' ';
			continue;
		}
		if (depth > 0)
			continue;
		if (*v == '"')
			quoted = !quoted;
		else
			*o++ = *v;
	}
	*o = '\0';
	return out;
}

static char *
lower_dup(const char *s, size_t n)
{
	char *d = xstrndup(s, n);

	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* The domain a property names: header.d=example.com, header.i=@example.com,
 * smtp.mailfrom=user@example.com → example.com. Rank: lower is better. */
static int
prop_rank(const char *prop, size_t n)
{
	static const char *const order[] = {
		"header.d", "header.from", "header.i", "smtp.mailfrom", "smtp.helo",
		"policy.dmarc",
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strlen(order[i]) == n && strncasecmp(prop, order[i], n) == 0)
			return (int)i;
	return -1;
}

static void
parse_resinfo(struct msg *m, const char *authserv, char *ri, int index)
{
	struct msg_auth_result *r;
	char *tok, *save = NULL, *eq;
	char *domain = NULL;
	int best = 100;

	tok = strtok_r(ri, " \t\r\n", &save);
	if (tok == NULL || (eq = strchr(tok, '=')) == NULL)
		return;
	m->auth = xreallocarray(m->auth, m->nauth + 1, sizeof(*m->auth));
	r = &m->auth[m->nauth++];
	r->authserv_id = xstrdup(authserv);
	/* "dkim/1=pass": drop the version. */
	r->method = lower_dup(tok, strcspn(tok, "=/"));
	r->result = lower_dup(eq + 1, strlen(eq + 1));
	r->header_index = index;
	while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		const char *val, *at;
		int rank;

		eq = strchr(tok, '=');
		if (eq == NULL)
			continue;
		rank = prop_rank(tok, (size_t)(eq - tok));
		if (rank < 0 || rank >= best)
			continue;
		val = eq + 1;
		at = strrchr(val, '@');
		if (at)
			val = at + 1;
		if (*val == '\0')
			continue;
		free(domain);
		domain = lower_dup(val, strlen(val));
		best = rank;
	}
	r->domain = domain;
}

/* A machine-written header: UTF-8 with no controls but blanks (the raw
 * value may still hold a bare CR). */
static bool
value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\r') || *p == 0x7f)
			return false;
	return utf8_valid(v, strlen(v));
}

void
authres_parse(struct msg *m, const char *value, int index)
{
	char *v, *part, *save = NULL, *authserv = NULL;

	if (!value_ok(value)) {
		msg_defect(m, "Authentication-Results with control characters or bytes that are not UTF-8; ignored");
		return;
	}
	v = strip_comments(value);
	part = strtok_r(v, ";", &save);
	if (part != NULL) {
		/* authserv-id, optionally followed by a version number */
		size_t skip = strspn(part, " \t\r\n");

		authserv = lower_dup(part + skip, strcspn(part + skip, " \t\r\n"));
	}
	if (authserv == NULL || *authserv == '\0') {
		msg_defect(m, "Authentication-Results without an authserv-id");
		free(authserv);
		free(v);
		return;
	}
	while ((part = strtok_r(NULL, ";", &save)) != NULL)
		parse_resinfo(m, authserv, part, index);
	free(authserv);
	free(v);
}

void
authres_parse_all(struct msg *m)
{
	int index = 0;

	for (size_t i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, "Authentication-Results") != 0)
			continue;
		authres_parse(m, m->headers[i].raw, index++);
	}
}
