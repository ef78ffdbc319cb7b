/* route.c: the routing rules (see route.h for the grammar).
 *
 * The regexes come from the administrator, the values they look at from
 * strangers. A careless regex such as "(a+)+$" or "(?:x|y)*z" can take
 * exponential or quadratic time on a value crafted for it, so every match
 * runs under limits, chosen from measurements with PCRE2 10.42:
 *
 * - ROUTE_MATCH_LIMIT (1,000,000; PCRE2's default is 10,000,000) bounds
 *   the backtracking from one starting point. A sane pattern backtracks
 *   about once per character of the value at most, and no single value a
 *   rule needs to scan is near a million characters; a catastrophic one
 *   reaches the limit in about 20 ms with JIT, 80 ms without.
 * - The match limit counts from each starting point afresh. A value made
 *   of short runs ("xxxxxxxxxxxxxxxxz" repeated) keeps every start under
 *   it for "(x+x+)+y": 20 KB took 0.34 s with JIT, 4 s without, and a
 *   header may be 1 MB. Patterns linear per start ("(?:x|y)*z") are
 *   quadratic over a value the same way. Only a clock stops that: the
 *   patterns are compiled with PCRE2_AUTO_CALLOUT, the callout reads the
 *   clock every 32 calls, and a rule whose regexes have used
 *   ROUTE_RULE_BUDGET_MS (200 ms) is stopped. The callouts cost 1-5x on
 *   large texts (a 1 MB body: 1 ms for "(?i)invoice", 140 ms for
 *   "(?:\w|-)+@..." with JIT) and nothing that matters on headers. They
 *   also turn off a JIT shortcut for a leading repeat ("\w*@example"):
 *   on one unbroken "word" of some 30,000 characters or more such a rule
 *   now runs out of time where it would have said "no match" quickly.
 * - ROUTE_HEAP_LIMIT_KIB (16 MiB, the interpreter's backtracking frames)
 *   and ROUTE_JIT_STACK_MAX (1 MiB) bound memory; the depth limit is set
 *   to the match limit, which it can never usefully exceed.
 *
 * Everything mutable during a match (match context with the callout's
 * clock, match data, JIT stack) is made per route_eval call, so one
 * compiled rule set serves any number of threads. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "postdesk/config.h"
#include "postdesk/log.h"
#include "postdesk/msg.h"
#include "postdesk/route.h"
#include "postdesk/xalloc.h"

#define ROUTE_JIT_STACK_START	(32 * 1024)
#define CALLOUTS_PER_CLOCK	32	/* a power of two */

struct route_rules {
	const struct pd_config *cfg;	/* borrowed */
	pcre2_general_context *gctx;	/* allocation through xmalloc */
	pcre2_code **codes;		/* every rule's conditions, in order */
	size_t ncodes;
	size_t maxmatch;		/* most conditions in one rule */
	bool jit;			/* at least one pattern is JIT-compiled */
};

/* Per route_eval call: what a match changes. */
struct scratch {
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	pcre2_jit_stack *stack;		/* NULL: JIT's default 32 KiB */
	int64_t deadline;		/* CLOCK_MONOTONIC ns for the current rule */
	unsigned calls;
	bool timed_out;
};

/* pcre2 allocates through these, so that out of memory behaves as in the
 * rest of postdesk (xalloc.h) and no create call can return NULL. */
static void *
pcre_alloc(PCRE2_SIZE size, void *arg)
{
	(void)arg;
	return xmalloc(size);
}

static void
pcre_release(void *p, void *arg)
{
	(void)arg;
	free(p);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- compiling --------------------------------------------------------------- */

static pcre2_code *
compile_one(const struct route_rules *r, const struct pd_rule *rule, size_t i,
    char **error_r)
{
	const struct pd_match *c = &rule->match[i];
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_compile_context *cctx = pcre2_compile_context_create(r->gctx);
	pcre2_code *code;
	int err;

	code = pcre2_compile((PCRE2_SPTR)c->regex, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | PCRE2_AUTO_CALLOUT, &err, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (code == NULL) {
		if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", err);
		*error_r = xasprintf("rule \"%s\" (line %d), condition %zu: regex \"%s\" does "
		    "not compile: %s at offset %zu", rule->name, rule->line, i + 1, c->regex,
		    (const char *)msg, (size_t)off);
	}
	return code;
}

int
route_compile(const struct pd_config *cfg, struct route_rules **r_r, char **error_r)
{
	struct route_rules *r = xcalloc(1, sizeof(*r));
	const char *nojit = getenv("POSTDESK_NO_JIT");
	bool use_jit = nojit == NULL || *nojit == '\0', warned = false;
	size_t n = 0;

	r->cfg = cfg;
	r->gctx = pcre2_general_context_create(pcre_alloc, pcre_release, NULL);
	for (size_t i = 0; i < cfg->nrules; i++) {
		n += cfg->rules[i].nmatch;
		if (cfg->rules[i].nmatch > r->maxmatch)
			r->maxmatch = cfg->rules[i].nmatch;
	}
	r->codes = xcalloc(n, sizeof(*r->codes));
	for (size_t i = 0; i < cfg->nrules; i++) {
		for (size_t j = 0; j < cfg->rules[i].nmatch; j++) {
			pcre2_code *code = compile_one(r, &cfg->rules[i], j, error_r);

			if (code == NULL) {
				route_free(&r);
				return -1;
			}
			r->codes[r->ncodes++] = code;
			/* Without JIT (not built in, no executable memory,
			 * POSTDESK_NO_JIT) pcre2_match uses the interpreter:
			 * slower, as safe. */
			if (use_jit && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0)
				r->jit = true;
			else if (use_jit && !warned) {
				log_debug("route: PCRE2's JIT is not available here (no "
				    "executable memory?); the rules run in the interpreter");
				warned = true;
			}
		}
	}
	*r_r = r;
	return 0;
}

bool
route_jit(const struct route_rules *r)
{
	return r->jit;
}

void
route_free(struct route_rules **rp)
{
	struct route_rules *r = *rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ncodes; i++)
		pcre2_code_free(r->codes[i]);
	free(r->codes);
	pcre2_general_context_free(r->gctx);
	free(r);
	*rp = NULL;
}

/* --- matching ---------------------------------------------------------------- */

/* Called before every pattern item (PCRE2_AUTO_CALLOUT): the clock. */
static int
on_callout(pcre2_callout_block *cb, void *arg)
{
	struct scratch *s = arg;

	(void)cb;
	if ((++s->calls & (CALLOUTS_PER_CLOCK - 1)) != 0 || now_ns() < s->deadline)
		return 0;
	s->timed_out = true;
	return PCRE2_ERROR_CALLOUT;	/* pcre2_match returns it */
}

static void
scratch_init(struct scratch *s, const struct route_rules *r)
{
	memset(s, 0, sizeof(*s));
	s->mctx = pcre2_match_context_create(r->gctx);
	pcre2_set_match_limit(s->mctx, ROUTE_MATCH_LIMIT);
	pcre2_set_depth_limit(s->mctx, ROUTE_MATCH_LIMIT);
	pcre2_set_heap_limit(s->mctx, ROUTE_HEAP_LIMIT_KIB);
	pcre2_set_callout(s->mctx, on_callout, s);
	if (r->jit) {
		s->stack = pcre2_jit_stack_create(ROUTE_JIT_STACK_START, ROUTE_JIT_STACK_MAX,
		    r->gctx);
		if (s->stack != NULL)	/* else the default stack: smaller, as safe */
			pcre2_jit_stack_assign(s->mctx, NULL, s->stack);
	}
	s->md = pcre2_match_data_create(1, r->gctx);
}

static void
scratch_free(struct scratch *s)
{
	pcre2_match_data_free(s->md);
	pcre2_jit_stack_free(s->stack);
	pcre2_match_context_free(s->mctx);
}

/* Why a match stopped, for a negative pcre2_match result other than
 * "no match". Static strings. */
static const char *
limit_why(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
		return "match limit reached";
	case PCRE2_ERROR_DEPTHLIMIT:
		return "depth limit reached";
	case PCRE2_ERROR_HEAPLIMIT:
		return "memory limit reached";
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return "JIT stack limit reached";
	case PCRE2_ERROR_CALLOUT:
		return "time limit reached";
	case PCRE2_ERROR_NOMEMORY:
		return "out of memory";
	default:
		if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
			return "invalid UTF-8";
		return "matching failed";
	}
}

static enum route_outcome
match_value(struct scratch *s, const pcre2_code *code, const char *v,
    struct route_cond_report *cr)
{
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(code, (PCRE2_SPTR)v, strlen(v), 0, 0, s->md, s->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return ROUTE_NO_MATCH;
	if (rc < 0) {
		cr->why = limit_why(rc);
		return ROUTE_LIMITED;
	}
	ov = pcre2_get_ovector_pointer(s->md);
	cr->off = ov[0];
	/* \K in a lookahead can end a match before its start */
	cr->len = ov[1] > ov[0] ? ov[1] - ov[0] : 0;
	return ROUTE_MATCHED;
}

/* The next value condition c looks at in m, from *pos on; NULL after the
 * last. Borrowed from m. */
static const char *
next_value(const struct pd_match *c, const struct msg *m, size_t *pos)
{
	size_t i = (*pos)++;

	switch (c->on) {
	case PD_ON_HEADER:
		for (; i < m->nheaders; i++)
			if (strcasecmp(m->headers[i].name, c->header) == 0) {
				*pos = i + 1;
				return m->headers[i].value;
			}
		return NULL;
	case PD_ON_SENDER:
		return i == 0 ? m->from.addr : NULL;
	case PD_ON_RECIPIENT:
		for (; i < m->to.n + m->cc.n; i++) {
			const char *a = i < m->to.n ? m->to.v[i].addr : m->cc.v[i - m->to.n].addr;

			if (a != NULL) {
				*pos = i + 1;
				return a;
			}
		}
		return NULL;
	case PD_ON_TEXT:
		return i == 0 ? m->text : NULL;
	case PD_ON_TEXT_NEW:
		return i == 0 ? m->text_new : NULL;
	case PD_ON_ATTACHMENT:
		for (; i < m->nattachments; i++)
			if (m->attachments[i].filename != NULL) {
				*pos = i + 1;
				return m->attachments[i].filename;
			}
		return NULL;
	}
	return NULL;
}

/* One condition over all its values. A match on any value settles it; a
 * value stopped by a limit leaves it undecided (LIMITED) unless another
 * value matches. */
static void
eval_cond(struct scratch *s, const pcre2_code *code, const struct pd_match *c,
    const struct msg *m, struct route_cond_report *cr)
{
	const char *v, *limited = NULL, *why = NULL;
	size_t pos = 0;

	cr->outcome = ROUTE_NO_MATCH;
	while (!s->timed_out && (v = next_value(c, m, &pos)) != NULL) {
		enum route_outcome o;

		if (cr->nvalues++ == 0)
			cr->value = v;
		o = match_value(s, code, v, cr);
		if (o == ROUTE_MATCHED) {
			cr->outcome = o;
			cr->value = v;
			break;
		}
		if (o == ROUTE_LIMITED && limited == NULL) {
			limited = v;
			why = cr->why;
		}
	}
	if (cr->outcome != ROUTE_MATCHED && limited != NULL) {
		cr->outcome = ROUTE_LIMITED;
		cr->value = limited;
		cr->why = why;
	}
	cr->holds = cr->outcome == ROUTE_MATCHED ? !c->negate
	    : cr->outcome == ROUTE_NO_MATCH ? c->negate : false;
}

/* All conditions of one rule, under one time budget. all: evaluate every
 * condition (for explain) rather than stop at the first that fails. */
static bool
eval_rule(struct scratch *s, pcre2_code *const *codes, const struct pd_rule *rule,
    const struct msg *m, bool all, struct route_cond_report *crs, size_t *nlimited)
{
	bool matched = true;
	char where[128];

	s->deadline = now_ns() + (int64_t)ROUTE_RULE_BUDGET_MS * 1000000;
	s->timed_out = false;
	for (size_t i = 0; i < rule->nmatch; i++) {
		struct route_cond_report *cr = &crs[i];

		memset(cr, 0, sizeof(*cr));
		cr->match = &rule->match[i];
		if ((!matched && !all) || s->timed_out)
			continue;	/* ROUTE_NOT_EVALUATED */
		eval_cond(s, codes[i], &rule->match[i], m, cr);
		if (cr->outcome == ROUTE_LIMITED) {
			(*nlimited)++;
			log_warn("route: msgid=<%s> rule=%s: condition %zu (%s): %s; it does not "
			    "hold", m->message_id, rule->name, i + 1,
			    route_cond_where(cr->match, where, sizeof(where)), cr->why);
		}
		if (!cr->holds)
			matched = false;
	}
	return matched;
}

/* --- actions ------------------------------------------------------------------- */

static void
add_unique(const char **v, size_t *n, size_t max, char *const *add,
    int (*cmp)(const char *, const char *), const struct pd_rule *rule, const char *what)
{
	for (; add != NULL && *add != NULL; add++) {
		size_t i;

		for (i = 0; i < *n; i++)
			if (cmp(v[i], *add) == 0)
				break;
		if (i < *n)
			continue;
		if (*n == max) {
			log_warn("route: rule=%s: more than %zu %s; \"%s\" is left out", rule->name,
			    max, what, *add);
			continue;
		}
		v[(*n)++] = *add;
	}
}

static void
apply(const struct pd_rule *rule, struct route_result *res)
{
	if (rule->queue != NULL)
		res->queue = rule->queue;
	if (rule->priority >= 0)
		res->priority = rule->priority;
	if (rule->assign != NULL)
		res->assign = rule->assign;
	if (rule->language != NULL)
		res->language = rule->language;
	if (rule->template != NULL)
		res->template = rule->template;
	if (rule->ack >= 0)
		res->ack = rule->ack;
	add_unique(res->tags, &res->ntags, ROUTE_MAX_TAGS, rule->tags, strcmp, rule, "tags");
	add_unique(res->notify, &res->nnotify, ROUTE_MAX_NOTIFY, rule->notify, strcasecmp,
	    rule, "notify addresses");
	res->ignore |= rule->ignore;
	res->spam |= rule->spam;
	if (res->nmatched < ROUTE_MAX_MATCHED)
		res->matched[res->nmatched++] = rule->name;
}

void
route_eval(const struct route_rules *r, const struct msg *m, bool created,
    struct route_result *res, route_explain_fn *explain, void *arg)
{
	const struct pd_config *cfg = r->cfg;
	const struct pd_rule *stopped_by = NULL;
	struct route_cond_report *crs;
	struct scratch s;
	size_t base = 0;

	memset(res, 0, sizeof(*res));
	res->priority = -1;
	res->ack = -1;
	if (cfg->nrules == 0)
		return;
	scratch_init(&s, r);
	crs = xcalloc(r->maxmatch, sizeof(*crs));
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct pd_rule *rule = &cfg->rules[i];
		struct route_rule_report rep = { .rule = rule };

		if (stopped_by != NULL) {
			rep.skipped = ROUTE_SKIP_STOPPED;
			rep.stopped_by = stopped_by;
		} else if (!created && !rule->every) {
			rep.skipped = ROUTE_SKIP_REPLY;
		} else {
			rep.matched = eval_rule(&s, r->codes + base, rule, m, explain != NULL, crs,
			    &res->nlimited);
			rep.conds = crs;
			if (rep.matched) {
				apply(rule, res);
				if (rule->stop)
					stopped_by = rule;
			}
		}
		base += rule->nmatch;
		if (explain != NULL)
			explain(&rep, arg);
		else if (stopped_by != NULL)
			break;
	}
	free(crs);
	scratch_free(&s);
}

const char *
route_cond_where(const struct pd_match *c, char *buf, size_t size)
{
	static const char *const names[] = {
		[PD_ON_HEADER] = "header", [PD_ON_SENDER] = "sender",
		[PD_ON_RECIPIENT] = "recipient", [PD_ON_TEXT] = "text",
		[PD_ON_TEXT_NEW] = "text_new", [PD_ON_ATTACHMENT] = "attachment",
	};
	const char *name = (size_t)c->on < sizeof(names) / sizeof(names[0]) &&
	    names[c->on] != NULL ? names[c->on] : "?";

	if (c->on == PD_ON_HEADER)
		snprintf(buf, size, "header %s", c->header != NULL ? c->header : "?");
	else
		snprintf(buf, size, "%s", name);
	return buf;
}
