/* test-route.c: the routing rules (route.c) on messages parsed by msg_parse,
 * with a config built in code as config_load would fill it. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <cmocka.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "postdesk/config.h"
#include "postdesk/msg.h"
#include "postdesk/route.h"
#include "postdesk/xalloc.h"

static bool under_valgrind;

/* Which group runs: what route_jit() must say. */
enum jit_mode { MODE_JIT, MODE_INTERPRETER, MODE_NO_EXEC_MEMORY };
static enum jit_mode mode;

/* --- a config in code ---------------------------------------------------------- */

#define MAX_RULES	16
#define MAX_CONDS	32

struct fx {
	struct pd_config cfg;
	struct pd_queue queues[3];
	struct pd_rule rules[MAX_RULES];
	struct pd_match conds[MAX_CONDS];
	size_t nconds;
	struct route_rules *rr;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	f->queues[0].name = "general";
	f->queues[1].name = "billing";
	f->queues[2].name = "vip";
	f->cfg.queues = f->queues;
	f->cfg.nqueues = 3;
	f->cfg.rules = f->rules;
	f->cfg.default_language = "en";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	route_free(&f->rr);
	free(f);
	return 0;
}

/* A rule with no actions yet; add its conditions right after it. */
static struct pd_rule *
rule(struct fx *f, const char *name)
{
	struct pd_rule *r = &f->rules[f->cfg.nrules++];

	assert_true(f->cfg.nrules <= MAX_RULES);
	r->name = (char *)name;
	r->priority = -1;
	r->ack = -1;
	r->match = &f->conds[f->nconds];
	r->line = (int)f->cfg.nrules;
	return r;
}

static void
cond(struct fx *f, struct pd_rule *r, enum pd_match_on on, const char *header,
    const char *re, bool negate)
{
	struct pd_match *c = &f->conds[f->nconds++];

	assert_true(f->nconds <= MAX_CONDS);
	assert_ptr_equal(c, r->match + r->nmatch);	/* a rule's conditions are adjacent */
	c->on = on;
	c->header = (char *)header;
	c->regex = (char *)re;
	c->negate = negate;
	r->nmatch++;
}

static void
compile(struct fx *f)
{
	char *err = NULL;

	if (route_compile(&f->cfg, &f->rr, &err) < 0)
		fail_msg("route_compile: %s", err);
}

/* --- explain, captured ------------------------------------------------------- */

struct cap_cond {
	enum route_outcome outcome;
	bool holds;
	size_t nvalues;
	char value[256];	/* the whole value */
	char span[256];		/* the matched part */
	const char *why;
};

struct cap_rule {
	const char *name;
	enum route_skip skipped;
	const char *stopped_by;
	bool matched;
	struct cap_cond c[4];
};

struct cap {
	struct cap_rule r[MAX_RULES];
	size_t n;
};

static void
copy_str(char *dst, size_t size, const char *s, size_t len)
{
	if (s == NULL) {
		dst[0] = '\0';
		return;
	}
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void
capture(const struct route_rule_report *rep, void *arg)
{
	struct cap *cap = arg;
	struct cap_rule *cr = &cap->r[cap->n++];

	cr->name = rep->rule->name;
	cr->skipped = rep->skipped;
	cr->stopped_by = rep->stopped_by ? rep->stopped_by->name : NULL;
	cr->matched = rep->matched;
	if (rep->conds == NULL)
		return;
	for (size_t i = 0; i < rep->rule->nmatch && i < 4; i++) {
		const struct route_cond_report *c = &rep->conds[i];

		assert_ptr_equal(c->match, &rep->rule->match[i]);
		cr->c[i].outcome = c->outcome;
		cr->c[i].holds = c->holds;
		cr->c[i].nvalues = c->nvalues;
		cr->c[i].why = c->why;
		copy_str(cr->c[i].value, sizeof(cr->c[i].value), c->value,
		    c->value ? strlen(c->value) : 0);
		if (c->outcome == ROUTE_MATCHED)
			copy_str(cr->c[i].span, sizeof(cr->c[i].span), c->value + c->off, c->len);
	}
}

/* Parse s, route it, free the message. cap may be NULL. */
static void
route(struct fx *f, const char *s, bool created, struct route_result *res, struct cap *cap)
{
	struct msg *m = msg_parse(s, strlen(s), NULL);

	if (cap != NULL)
		memset(cap, 0, sizeof(*cap));
	route_eval(f->rr, m, created, res, cap ? capture : NULL, cap);
	msg_free(&m);
}

/* --- messages --------------------------------------------------------------- */

#define HDRS(from, subject) \
	"From: " from "\n" \
	"To: Support <support@example.test>\n" \
	"Subject: " subject "\n" \
	"Message-ID: <t1@example.cz>\n" \
	"Date: Mon, 6 May 2024 10:00:00 +0200\n" \
	"MIME-Version: 1.0\n"

#define PLAIN(from, subject, body) \
	HDRS(from, subject) "Content-Type: text/plain; charset=utf-8\n" \
	"Content-Transfer-Encoding: 8bit\n\n" body

static const char msg_invoice[] = PLAIN("Jan Novák <jan@example.cz>",
    "Invoice 2024-17 overdue", "Hello,\nwhere is my refund?\n");

/* --- header, sender, recipient ------------------------------------------------ */

static void
header_rule(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r;

	r = rule(f, "billing");
	cond(f, r, PD_ON_HEADER, "subject", "(?i)\\binvoice\\b", false);
	r->queue = "billing";
	r = rule(f, "tagged");	/* the second occurrence of X-Tag matches */
	cond(f, r, PD_ON_HEADER, "X-Tag", "^beta$", false);
	r->priority = PD_PRIO_LOW;
	r = rule(f, "absent");
	cond(f, r, PD_ON_HEADER, "X-Nothing", "", false);
	r->priority = PD_PRIO_URGENT;
	compile(f);

	route(f, "X-Tag: alpha\nX-Tag: beta\n" PLAIN("jan@example.cz", "Re: INVOICE 17", "x\n"),
	    true, &res, &cap);
	assert_string_equal(res.queue, "billing");
	assert_int_equal(res.priority, PD_PRIO_LOW);
	assert_int_equal(cap.n, 3);
	assert_true(cap.r[0].matched);
	assert_int_equal(cap.r[0].c[0].outcome, ROUTE_MATCHED);
	assert_string_equal(cap.r[0].c[0].value, "Re: INVOICE 17");
	assert_string_equal(cap.r[0].c[0].span, "INVOICE");
	assert_int_equal(cap.r[1].c[0].nvalues, 2);
	assert_string_equal(cap.r[1].c[0].value, "beta");
	/* an empty regex matches anything, but there is nothing to look at */
	assert_false(cap.r[2].matched);
	assert_int_equal(cap.r[2].c[0].outcome, ROUTE_NO_MATCH);
	assert_int_equal(cap.r[2].c[0].nvalues, 0);

	route(f, msg_invoice, true, &res, NULL);
	assert_string_equal(res.queue, "billing");
	assert_int_equal(res.priority, -1);
	assert_int_equal(res.nmatched, 1);
	assert_string_equal(res.matched[0], "billing");

	/* "invoices" is not the word invoice */
	route(f, PLAIN("jan@example.cz", "invoices", "x\n"), true, &res, NULL);
	assert_null(res.queue);
	assert_int_equal(res.nmatched, 0);
}

/* The header condition sees the decoded value, not the encoded word. */
static void
header_decoded(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct pd_rule *r = rule(f, "faktura");

	cond(f, r, PD_ON_HEADER, "Subject", "^Faktura č\\. \\d+$", false);
	r->queue = "billing";
	compile(f);
	route(f, PLAIN("jan@example.cz", "=?UTF-8?Q?Faktura_=C4=8D=2E_42?=", "x\n"), true,
	    &res, NULL);
	assert_non_null(res.queue);
	assert_string_equal(res.queue, "billing");
}

static void
sender_rule(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct pd_rule *r = rule(f, "big-customer");

	cond(f, r, PD_ON_SENDER, NULL, "@bigcustomer\\.example$", false);
	r->queue = "vip";
	compile(f);

	route(f, PLAIN("Eva <eva@BigCustomer.example>", "hi", "x\n"), true, &res, NULL);
	assert_non_null(res.queue);
	assert_string_equal(res.queue, "vip");	/* the domain is lower-cased */
	/* the display name is not the sender */
	route(f, PLAIN("\"eva@bigcustomer.example\" <eva@elsewhere.example>", "hi", "x\n"),
	    true, &res, NULL);
	assert_null(res.queue);
	/* no From at all: nothing to look at, no match */
	route(f, "To: support@example.test\nSubject: hi\n\nx\n", true, &res, NULL);
	assert_null(res.queue);
}

static void
recipient_rule(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r = rule(f, "sales-address");

	cond(f, r, PD_ON_RECIPIENT, NULL, "^sales@", false);
	r->queue = "billing";
	compile(f);

	route(f, "From: a@example.cz\nTo: x@example.test, y@example.test\n"
	    "Cc: Sales <sales@example.test>\nSubject: s\n\nbody\n", true, &res, &cap);
	assert_non_null(res.queue);
	assert_string_equal(res.queue, "billing");
	assert_int_equal(cap.r[0].c[0].nvalues, 3);
	assert_string_equal(cap.r[0].c[0].value, "sales@example.test");
	/* To alone */
	route(f, "From: a@example.cz\nTo: sales@example.test\nSubject: s\n\nbody\n", true,
	    &res, NULL);
	assert_non_null(res.queue);
	/* Bcc and Reply-To are not recipients */
	route(f, "From: a@example.cz\nTo: x@example.test\nBcc: sales@example.test\n"
	    "Reply-To: sales@example.test\nSubject: s\n\nbody\n", true, &res, &cap);
	assert_null(res.queue);
	assert_int_equal(cap.r[0].c[0].nvalues, 1);
}

/* --- body and attachments --------------------------------------------------- */

static const char msg_quoted[] = PLAIN("jan@example.cz", "Re: question",
    "Thanks, that helps.\n"
    "\n"
    "On Mon, 6 May 2024 at 09:00, Support <support@example.test> wrote:\n"
    "> Please send us the invoice number.\n"
    "> Regards\n");

static void
text_new_vs_text(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r;

	r = rule(f, "new-mentions-invoice");
	cond(f, r, PD_ON_TEXT_NEW, NULL, "(?i)invoice", false);
	r->tags = (char *[]){ "new-text", NULL };
	r = rule(f, "any-mentions-invoice");
	cond(f, r, PD_ON_TEXT, NULL, "(?i)invoice", false);
	r->tags = (char *[]){ "full-text", NULL };
	compile(f);

	/* the word is only in the quoted history */
	route(f, msg_quoted, true, &res, &cap);
	assert_int_equal(res.ntags, 1);
	assert_string_equal(res.tags[0], "full-text");
	assert_false(cap.r[0].matched);
	assert_true(cap.r[1].matched);
	assert_string_equal(cap.r[1].c[0].span, "invoice");

	/* in the new text both match */
	route(f, msg_invoice, true, &res, NULL);
	assert_int_equal(res.ntags, 0);	/* "refund", not invoice, in this body */
	route(f, PLAIN("jan@example.cz", "x", "My Invoice is wrong.\n"), true, &res, NULL);
	assert_int_equal(res.ntags, 2);
	assert_string_equal(res.tags[0], "new-text");
	assert_string_equal(res.tags[1], "full-text");
}

static const char msg_attachment[] =
    HDRS("jan@example.cz", "papers")
    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "See the attachments.\n"
    "--b1\n"
    "Content-Type: image/png\n"
    "Content-Disposition: inline\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "iVBORw0KGgo=\n"
    "--b1\n"
    "Content-Type: application/pdf; name=\"x.pdf\"\n"
    "Content-Disposition: attachment; filename=\"Faktura 2024-17.PDF\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQK\n"
    "--b1--\n";

static void
attachment_rule(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r = rule(f, "pdf");

	cond(f, r, PD_ON_ATTACHMENT, NULL, "(?i)\\.pdf$", false);
	r->tags = (char *[]){ "pdf", NULL };
	compile(f);

	route(f, msg_attachment, true, &res, &cap);
	assert_int_equal(res.ntags, 1);
	assert_string_equal(res.tags[0], "pdf");
	assert_string_equal(cap.r[0].c[0].value, "Faktura 2024-17.PDF");
	assert_string_equal(cap.r[0].c[0].span, ".PDF");
	/* the text body's name is not an attachment name */
	route(f, msg_invoice, true, &res, &cap);
	assert_int_equal(res.ntags, 0);
	assert_int_equal(cap.r[0].c[0].nvalues, 0);
}

/* --- not, and, order ----------------------------------------------------------- */

static void
not_and(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r;

	/* an outsider writing about money */
	r = rule(f, "outside-billing");
	cond(f, r, PD_ON_HEADER, "Subject", "(?i)invoice|refund", false);
	cond(f, r, PD_ON_SENDER, NULL, "@example\\.test$", true);
	r->queue = "billing";
	/* not on an absent header: holds */
	r = rule(f, "no-list");
	cond(f, r, PD_ON_HEADER, "List-Id", ".", true);
	r->tags = (char *[]){ "direct", NULL };
	compile(f);

	route(f, msg_invoice, true, &res, &cap);
	assert_non_null(res.queue);
	assert_string_equal(res.queue, "billing");
	assert_int_equal(cap.r[0].c[1].outcome, ROUTE_NO_MATCH);
	assert_true(cap.r[0].c[1].holds);
	assert_int_equal(res.ntags, 1);
	assert_true(cap.r[1].c[0].holds);
	assert_int_equal(cap.r[1].c[0].nvalues, 0);

	/* an insider: the second condition fails, so the rule does */
	route(f, PLAIN("ops@example.test", "Refund request", "x\n"), true, &res, &cap);
	assert_null(res.queue);
	assert_false(cap.r[0].matched);
	assert_true(cap.r[0].c[0].holds);
	assert_int_equal(cap.r[0].c[1].outcome, ROUTE_MATCHED);
	assert_false(cap.r[0].c[1].holds);

	/* the first fails: with explain the second is still evaluated... */
	route(f, "List-Id: <news.example.org>\n" PLAIN("jan@example.cz", "Hello", "x\n"), true,
	    &res, &cap);
	assert_null(res.queue);
	assert_int_equal(res.ntags, 0);
	assert_int_equal(cap.r[0].c[0].outcome, ROUTE_NO_MATCH);
	assert_int_equal(cap.r[0].c[1].outcome, ROUTE_NO_MATCH);
	assert_false(cap.r[1].matched);
	/* ...and the result without explain is the same */
	route(f, "List-Id: <news.example.org>\n" PLAIN("jan@example.cz", "Hello", "x\n"), true,
	    &res, NULL);
	assert_null(res.queue);
	assert_int_equal(res.ntags, 0);
}

static void
order_override_accumulate(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct pd_rule *r;

	r = rule(f, "one");
	cond(f, r, PD_ON_HEADER, "Subject", "Invoice", false);
	r->queue = "billing";
	r->priority = PD_PRIO_HIGH;
	r->language = "cs";
	r->ack = 0;
	r->tags = (char *[]){ "billing", "money", NULL };
	r->notify = (char *[]){ "lead@example.test", NULL };
	r = rule(f, "not-matching");
	cond(f, r, PD_ON_HEADER, "Subject", "^never$", false);
	r->queue = "general";
	r->tags = (char *[]){ "never", NULL };
	r = rule(f, "two");
	cond(f, r, PD_ON_SENDER, NULL, "@example\\.cz$", false);
	r->queue = "vip";
	r->assign = "alice@example.test";
	r->template = "ack-vip";
	r->ack = 1;
	r->tags = (char *[]){ "money", "czech", NULL };
	r->notify = (char *[]){ "LEAD@example.test", "boss@example.test", NULL };
	compile(f);

	route(f, msg_invoice, true, &res, NULL);
	assert_string_equal(res.queue, "vip");		/* the later rule wins */
	assert_int_equal(res.priority, PD_PRIO_HIGH);	/* set once, kept */
	assert_string_equal(res.language, "cs");
	assert_string_equal(res.assign, "alice@example.test");
	assert_string_equal(res.template, "ack-vip");
	assert_int_equal(res.ack, 1);
	assert_int_equal(res.ntags, 3);
	assert_string_equal(res.tags[0], "billing");
	assert_string_equal(res.tags[1], "money");
	assert_string_equal(res.tags[2], "czech");
	assert_int_equal(res.nnotify, 2);		/* addresses without case */
	assert_string_equal(res.notify[0], "lead@example.test");
	assert_string_equal(res.notify[1], "boss@example.test");
	assert_int_equal(res.nmatched, 2);
	assert_string_equal(res.matched[0], "one");
	assert_string_equal(res.matched[1], "two");
	assert_false(res.ignore);
	assert_false(res.spam);
}

static void
stop_rule(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r;

	r = rule(f, "stop-but-no-match");
	cond(f, r, PD_ON_HEADER, "Subject", "^never$", false);
	r->stop = true;
	r = rule(f, "monitoring");
	cond(f, r, PD_ON_HEADER, "Subject", "overdue", false);
	r->queue = "general";
	r->ignore = true;
	r->stop = true;
	r = rule(f, "billing");
	cond(f, r, PD_ON_HEADER, "Subject", "Invoice", false);
	r->queue = "billing";
	compile(f);

	route(f, msg_invoice, true, &res, &cap);
	assert_string_equal(res.queue, "general");
	assert_true(res.ignore);
	assert_int_equal(cap.n, 3);			/* explain sees every rule */
	assert_int_equal(cap.r[0].skipped, ROUTE_APPLIED);
	assert_int_equal(cap.r[2].skipped, ROUTE_SKIP_STOPPED);
	assert_string_equal(cap.r[2].stopped_by, "monitoring");
	assert_false(cap.r[2].matched);
	route(f, msg_invoice, true, &res, NULL);
	assert_string_equal(res.queue, "general");
	assert_int_equal(res.nmatched, 1);
}

static void
every_vs_replies(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r;

	r = rule(f, "new-only");
	cond(f, r, PD_ON_HEADER, "Subject", "Invoice", false);
	r->queue = "billing";
	r = rule(f, "always");
	cond(f, r, PD_ON_SENDER, NULL, "@example\\.cz$", false);
	r->every = true;
	r->priority = PD_PRIO_URGENT;
	compile(f);

	route(f, msg_invoice, false, &res, &cap);
	assert_null(res.queue);
	assert_int_equal(res.priority, PD_PRIO_URGENT);
	assert_int_equal(cap.r[0].skipped, ROUTE_SKIP_REPLY);
	assert_false(cap.r[0].matched);
	assert_true(cap.r[1].matched);
	route(f, msg_invoice, true, &res, NULL);
	assert_string_equal(res.queue, "billing");
	assert_int_equal(res.priority, PD_PRIO_URGENT);
}

static void
ignore_spam(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct pd_rule *r;

	r = rule(f, "spam");
	cond(f, r, PD_ON_HEADER, "X-Spam-Flag", "^(?i)yes$", false);
	r->spam = true;
	r = rule(f, "newsletter");
	cond(f, r, PD_ON_HEADER, "List-Unsubscribe", ".", false);
	r->ignore = true;
	r = rule(f, "later-no-flags");	/* cannot clear them */
	cond(f, r, PD_ON_HEADER, "Subject", ".", false);
	r->queue = "general";
	compile(f);

	route(f, "X-Spam-Flag: YES\n" PLAIN("x@spam.example", "win", "x\n"), true, &res, NULL);
	assert_true(res.spam);
	assert_false(res.ignore);
	route(f, "List-Unsubscribe: <mailto:u@news.example>\n" PLAIN("n@news.example", "news",
	    "x\n"), true, &res, NULL);
	assert_false(res.spam);
	assert_true(res.ignore);
	assert_string_equal(res.queue, "general");
	route(f, msg_invoice, true, &res, NULL);
	assert_false(res.spam);
	assert_false(res.ignore);
}

/* --- limits ------------------------------------------------------------------ */

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A subject of n copies of c, then tail, in a message. */
static char *
long_subject_msg(size_t n, char c, const char *tail)
{
	char *subj = xmalloc(n + strlen(tail) + 1), *s;

	memset(subj, c, n);
	strcpy(subj + n, tail);
	s = xasprintf("From: x@evil.example\nX-Long: %s\nSubject: hi\n\nbody\n", subj);
	free(subj);
	return s;
}

/* Exponential backtracking: stopped by the match limit at the first start,
 * fast, deterministic; counts as no match, even under not = true. */
static void
catastrophic_regex(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct timespec t0;
	struct pd_rule *r;
	char *msg;
	double secs;

	r = rule(f, "nested");
	cond(f, r, PD_ON_HEADER, "X-Long", "(x+x+)+y", false);
	r->spam = true;
	r = rule(f, "nested-not");
	cond(f, r, PD_ON_HEADER, "X-Long", "(x+x+)+y", true);
	r->ignore = true;
	r = rule(f, "anchored");
	cond(f, r, PD_ON_HEADER, "X-Long", "^(a|x+)+$", false);
	r->queue = "vip";
	r = rule(f, "after");	/* later rules still run */
	cond(f, r, PD_ON_SENDER, NULL, "evil", false);
	r->queue = "billing";
	compile(f);

	/* "zy": the required y is there, so PCRE2 cannot give up early */
	msg = long_subject_msg(5000, 'x', "zy");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	route(f, msg, true, &res, &cap);
	secs = seconds_since(&t0);
	print_message("catastrophic: %.3f s for four rules\n", secs);
	assert_true(secs < 2.0);
	assert_false(res.spam);
	assert_false(res.ignore);		/* undecided is not "does not match" */
	assert_string_equal(res.queue, "billing");
	assert_int_equal(cap.r[0].c[0].outcome, ROUTE_LIMITED);
	/* under valgrind the clock can come first */
	if (strcmp(cap.r[0].c[0].why, "time limit reached") != 0 || !under_valgrind)
		assert_string_equal(cap.r[0].c[0].why, "match limit reached");
	assert_false(cap.r[0].c[0].holds);
	assert_int_equal(cap.r[1].c[0].outcome, ROUTE_LIMITED);
	assert_false(cap.r[1].c[0].holds);
	assert_false(cap.r[1].matched);
	assert_int_equal(cap.r[2].c[0].outcome, ROUTE_LIMITED);
	assert_true(cap.r[3].matched);
	assert_int_equal(res.nlimited, 3);
	free(msg);

	/* the same rules on an ordinary value decide normally */
	msg = long_subject_msg(10, 'x', "y");
	route(f, msg, true, &res, &cap);
	assert_true(res.spam);
	assert_false(res.ignore);
	assert_int_equal(res.nlimited, 0);
	assert_string_equal(cap.r[0].c[0].span, "xxxxxxxxxxy");
	free(msg);
}

/* The match limit counts from each starting point afresh: runs of 16 x
 * keep every start under it (2^16 steps), but 200 KB of them would take
 * about 3 s with JIT and 40 s without. The rule's clock stops it. */
static void
many_starts_regex(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct timespec t0;
	struct pd_rule *r;
	char *msg, *runs;
	double secs;
	size_t n = 200000;

	r = rule(f, "nested");
	cond(f, r, PD_ON_HEADER, "X-Long", "(x+x+)+y", false);
	r->spam = true;
	r = rule(f, "after");
	cond(f, r, PD_ON_HEADER, "X-Long", "(x+x+)+y", false);
	cond(f, r, PD_ON_SENDER, NULL, "evil", false);
	r->queue = "billing";
	r = rule(f, "unaffected");	/* a later rule has its own time */
	cond(f, r, PD_ON_SENDER, NULL, "evil", false);
	r->queue = "vip";
	compile(f);

	runs = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		runs[i] = i % 17 == 16 ? 'z' : 'x';
	strcpy(runs + n - 2, "zy");
	msg = long_subject_msg(0, 'x', runs);
	free(runs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	route(f, msg, true, &res, &cap);
	secs = seconds_since(&t0);
	print_message("many starts: %.3f s for three rules\n", secs);
	assert_true(secs < 2.0);
	assert_false(res.spam);
	assert_int_equal(cap.r[0].c[0].outcome, ROUTE_LIMITED);
	assert_string_equal(cap.r[0].c[0].why, "time limit reached");
	/* after the time is up the rule's other conditions are not run */
	assert_int_equal(cap.r[1].c[0].outcome, ROUTE_LIMITED);
	assert_int_equal(cap.r[1].c[1].outcome, ROUTE_NOT_EVALUATED);
	assert_false(cap.r[1].matched);
	assert_true(cap.r[2].matched);
	assert_string_equal(res.queue, "vip");
	assert_int_equal(res.nlimited, 2);
	free(msg);
}

/* --- Czech, Unicode -------------------------------------------------------------- */

static void
czech_unicode(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;
	struct pd_rule *r;

	r = rule(f, "faktura");	/* (?i) folds Č/č; \b knows letters */
	cond(f, r, PD_ON_HEADER, "Subject", "(?i)\\bfaktur[auy]?\\b.*č\\. \\d+", false);
	r->queue = "billing";
	r = rule(f, "czech");
	cond(f, r, PD_ON_TEXT_NEW, NULL, "(?i)\\b(dobrý den|děkuji|prosím)\\b", false);
	r->language = "cs";
	r = rule(f, "word");	/* UCP: \w and [[:alpha:]] are letters */
	cond(f, r, PD_ON_HEADER, "X-Word", "^\\w+$", false);
	cond(f, r, PD_ON_HEADER, "X-Word", "^[[:alpha:]]{7}$", false);
	r->tags = (char *[]){ "one-word", NULL };
	r = rule(f, "not-a-prefix");	/* no \b between "n" and "í" */
	cond(f, r, PD_ON_TEXT, NULL, "(?i)\\bfakturačn\\b", false);
	r->tags = (char *[]){ "wrong", NULL };
	compile(f);

	route(f, "X-Word: Žluťouč\n" PLAIN("jan@example.cz",
	    "=?UTF-8?Q?FAKTURA_=C4=8C=2E_2024?=",
	    "DOBRÝ DEN,\nposílám fakturační údaje. Děkuji.\n"), true, &res, &cap);
	assert_non_null(res.queue);
	assert_string_equal(res.queue, "billing");
	assert_string_equal(cap.r[0].c[0].value, "FAKTURA Č. 2024");
	assert_string_equal(cap.r[0].c[0].span, "FAKTURA Č. 2024");
	assert_non_null(res.language);
	assert_string_equal(res.language, "cs");
	assert_string_equal(cap.r[1].c[0].span, "DOBRÝ DEN");
	assert_int_equal(res.ntags, 1);
	assert_string_equal(res.tags[0], "one-word");

	/* "Dobrý dení" is not the phrase: \b after a Unicode letter */
	route(f, "X-Word: Žluťouč kůň\n" PLAIN("jan@example.cz", "Fakturace",
	    "Dobrý dení.\n"), true, &res, NULL);
	assert_null(res.queue);
	assert_null(res.language);
	assert_int_equal(res.ntags, 0);
}

/* --- the rest ----------------------------------------------------------------- */

static void
no_rules(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct cap cap;

	compile(f);
	route(f, msg_invoice, true, &res, &cap);
	assert_int_equal(cap.n, 0);
	assert_null(res.queue);
	assert_int_equal(res.priority, -1);
	assert_int_equal(res.ack, -1);
	assert_int_equal(res.ntags + res.nnotify + res.nmatched + res.nlimited, 0);
}

static void
compile_error(void **state)
{
	struct fx *f = *state;
	struct pd_rule *r = rule(f, "broken");
	char *err = NULL;

	cond(f, r, PD_ON_SENDER, NULL, "x", false);
	cond(f, r, PD_ON_HEADER, "Subject", "(unclosed", false);
	assert_int_equal(route_compile(&f->cfg, &f->rr, &err), -1);
	assert_null(f->rr);
	assert_non_null(err);
	assert_non_null(strstr(err, "rule \"broken\" (line 1), condition 2: regex \"(unclosed\""));
	assert_non_null(strstr(err, "missing closing parenthesis"));
	free(err);
}

/* JIT in the JIT group; the interpreter when POSTDESK_NO_JIT says so, and
 * when pcre2_jit_compile fails for want of executable memory (then every
 * other case of this file runs on the interpreter too, and passes). */
static void
jit_state(void **state)
{
	struct fx *f = *state;
	struct route_result res;
	struct pd_rule *r;

	r = rule(f, "billing");
	cond(f, r, PD_ON_HEADER, "Subject", "(?i)invoice", false);
	r->queue = "billing";
	compile(f);
	if (mode == MODE_JIT)
		assert_true(route_jit(f->rr));
	else
		assert_false(route_jit(f->rr));
	route(f, PLAIN("jan@example.cz", "Invoice 17", "x\n"), true, &res, NULL);
	assert_string_equal(res.queue, "billing");
}

/* What systemd's MemoryDenyWriteExecute=yes does (systemd 252 installs
 * this seccomp filter): mmap asking for a writable and executable
 * mapping, and mprotect or pkey_mprotect adding PROT_EXEC, fail with
 * EPERM. Returns 0, or -1 when the filter cannot be installed. */
static int
deny_write_execute(void)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG2_LOW offsetof(struct seccomp_data, args[2])
#else
#define ARG2_LOW (offsetof(struct seccomp_data, args[2]) + 4)
#endif
	struct sock_filter prog[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 3),
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG2_LOW),
		/* 3 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 9, 8),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 3),
		/* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG2_LOW),
		/* 7 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_EXEC),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_EXEC, 5, 4),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 0, 3),
		/* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG2_LOW),
		/* 11 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_EXEC),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_EXEC, 1, 0),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog fp = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };
	void *p;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0)
		return -1;
	/* It works: a W+X mapping is refused. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return -1;
	return 0;
}

static void
cond_where(void **state)
{
	struct pd_match c = { .on = PD_ON_HEADER, .header = "List-Id" };
	char buf[64];

	(void)state;
	assert_string_equal(route_cond_where(&c, buf, sizeof(buf)), "header List-Id");
	c.on = PD_ON_TEXT_NEW;
	assert_string_equal(route_cond_where(&c, buf, sizeof(buf)), "text_new");
	c.on = PD_ON_ATTACHMENT;
	assert_string_equal(route_cond_where(&c, buf, sizeof(buf)), "attachment");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* Every case runs twice: with PCRE2's JIT and with its interpreter (what
 * a system without JIT gets). Under valgrind only the interpreter: the
 * JIT's SIMD scans read aligned words past a value's end, which valgrind
 * reports though they are harmless. */
int
main(void)
{
	int failed = 0;
	const struct CMUnitTest tests[] = {
		T(header_rule),
		T(header_decoded),
		T(sender_rule),
		T(recipient_rule),
		T(text_new_vs_text),
		T(attachment_rule),
		T(not_and),
		T(order_override_accumulate),
		T(stop_rule),
		T(every_vs_replies),
		T(ignore_spam),
		T(catastrophic_regex),
		T(many_starts_regex),
		T(czech_unicode),
		T(no_rules),
		T(compile_error),
		T(jit_state),
		cmocka_unit_test(cond_where),
	};
	pid_t pid;
	int st;

	under_valgrind = RUNNING_ON_VALGRIND != 0;
	if (!under_valgrind) {
		unsetenv("POSTDESK_NO_JIT");
		/* JIT wanted, but no W+X memory (MemoryDenyWriteExecute=), in a
		 * child, since the filter cannot be taken off again, and first:
		 * PCRE2 keeps the executable memory it once mapped for later
		 * patterns, and a child would inherit it. */
		fflush(stdout);
		if ((pid = fork()) == 0) {
			if (deny_write_execute() < 0) {
				printf("not ok - cannot install the MemoryDenyWriteExecute filter: %s\n",
				    strerror(errno));
				_exit(1);
			}
			mode = MODE_NO_EXEC_MEMORY;
			_exit(cmocka_run_group_tests_name("route (JIT refused: no W+X memory)", tests,
			    NULL, NULL) != 0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			failed++;
		mode = MODE_JIT;
		failed += cmocka_run_group_tests_name("route (JIT)", tests, NULL, NULL);
	}
	setenv("POSTDESK_NO_JIT", "1", 1);
	mode = MODE_INTERPRETER;
	failed += cmocka_run_group_tests_name("route (interpreter)", tests, NULL, NULL);
	return failed;
}
