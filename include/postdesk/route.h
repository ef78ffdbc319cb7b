/* route.h: the routing rules, compiled once, evaluated per message.
 *
 * Grammar (postdesk.conf, rules = ( RULE, ... ); checked by config.c):
 *
 *   RULE   = { name = "NAME";                 required, unique
 *              COND | match = ( { COND }, ... );   one condition, or several
 *              [on = "new" | "every";]        default "new"
 *              ACTION... }
 *   COND   = header = "NAME"; regex = "RE"; [not = true;]
 *          | field = FIELD; regex = "RE"; [not = true;]
 *   FIELD  = "sender"       the From address (addr-spec, domain lower-case)
 *          | "recipient"    each To and Cc address
 *          | "text"         the whole text body (HTML rendered to text)
 *          | "text_new"     the text without quoted history and signature
 *          | "attachment"   each attachment's file name
 *   header = "NAME"         each occurrence of that header (name compared
 *                           without case), RFC 2047-decoded and unfolded
 *   ACTION = queue = "Q"; | priority = "low"|"normal"|"high"|"urgent";
 *          | assign = "AGENT";            (an agent's email or name)
 *          | tags = ["T", ...];  | notify = ["ADDR", ...];
 *          | language = "en"|"cs"|"sk"|"pl"|"hu"|"de"; | template = "T";
 *          | ack = true|false; | ignore = true; | spam = true; | stop = true;
 *
 * Semantics:
 * - RE is PCRE2 with UTF and UCP: it sees characters, not bytes, and \w,
 *   \d, \b and [[:alpha:]] know letters such as "č" and "ő"; (?i) folds
 *   case for all of Unicode. It is unanchored: add ^ and $ to match a
 *   whole value. Header values are one line; in text and text_new, (?m)
 *   makes ^ and $ match at each line and (?s) lets . cross lines.
 * - A condition with several values (a header given twice, recipients,
 *   attachments) matches when RE matches any one of them. A condition
 *   with no value (header absent, no From, no attachment with a name)
 *   does not match. not = true inverts: the condition holds when RE
 *   matches none of the values (so also when there are none).
 * - A rule matches when all its conditions hold. Rules apply to messages
 *   that open a new ticket; on = "every" makes a rule apply to replies to
 *   existing tickets too.
 * - Rules are tried in order. Each matching rule's actions apply, a later
 *   rule's value replacing an earlier one's (queue, priority, assign,
 *   language, template, ack); tags and notify accumulate (without
 *   duplicates); ignore and spam, once set, stay set. stop = true ends
 *   the evaluation after a matching rule.
 * - Limits: a regex gives up after ROUTE_MATCH_LIMIT backtracking steps
 *   from one starting point (catastrophic patterns such as "(a+)+$"), on
 *   its memory limits, or when its rule has run ROUTE_RULE_BUDGET_MS.
 *   A condition stopped by a limit does not hold, whether or not it has
 *   not = true (a slow regex must never make a rule fire), and is logged.
 */
#ifndef POSTDESK_ROUTE_H
#define POSTDESK_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

struct pd_config;
struct pd_match;
struct pd_rule;
struct msg;

/* See the grammar above for why these values (route.c explains). */
#define ROUTE_MATCH_LIMIT	1000000		/* backtracking steps per start */
#define ROUTE_HEAP_LIMIT_KIB	16384		/* interpreter backtracking memory */
#define ROUTE_JIT_STACK_MAX	(1024 * 1024)	/* JIT backtracking stack, bytes */
#define ROUTE_RULE_BUDGET_MS	200		/* time for one rule's regexes */

#define ROUTE_MAX_TAGS		32
#define ROUTE_MAX_NOTIFY	32
#define ROUTE_MAX_MATCHED	32

struct route_rules;

/* Compile every rule's regexes, with PCRE2's JIT when it is available and
 * the environment has no POSTDESK_NO_JIT (for valgrind, which reports the
 * JIT's aligned reads past a value's end; results are the same). cfg is
 * borrowed and must outlive *r_r. Returns 0, or -1 with *error_r (caller
 * frees). */
int route_compile(const struct pd_config *cfg, struct route_rules **r_r,
    char **error_r);
void route_free(struct route_rules **r);
/* Whether any regex runs JIT-compiled. False when JIT is turned off, not
 * built into PCRE2, or cannot get executable memory: systemd's
 * MemoryDenyWriteExecute= refuses the writable and executable mapping
 * PCRE2's JIT asks for, pcre2_jit_compile fails, and the interpreter
 * matches instead, with the same results and limits. */
bool route_jit(const struct route_rules *r);

/* What the matching rules decided. Every string is borrowed from the
 * config given to route_compile. NULL / -1: no rule set it. */
struct route_result {
	const char *queue;
	int priority;			/* enum pd_priority */
	const char *assign;		/* agent email */
	const char *tags[ROUTE_MAX_TAGS];
	size_t ntags;
	const char *language;
	const char *template;
	int ack;			/* 0 no acknowledgement, 1 send one */
	const char *notify[ROUTE_MAX_NOTIFY];
	size_t nnotify;
	bool ignore;			/* make no ticket */
	bool spam;
	const char *matched[ROUTE_MAX_MATCHED];	/* names of the rules that matched */
	size_t nmatched;
	size_t nlimited;		/* conditions stopped by a limit */
};

/* How one condition went, for route --explain. */
enum route_outcome {
	ROUTE_NOT_EVALUATED = 0,	/* an earlier condition already failed */
	ROUTE_NO_MATCH,			/* RE matched none of the values */
	ROUTE_MATCHED,			/* RE matched value[off, off+len) */
	ROUTE_LIMITED,			/* a limit stopped it (why); it fails */
};

struct route_cond_report {
	const struct pd_match *match;	/* borrowed from the config */
	enum route_outcome outcome;
	bool holds;			/* after not = true */
	size_t nvalues;			/* values looked at (0: nothing to look at) */
	const char *value;		/* the one matched or stopped (else the first
					 * one looked at); NULL when none; borrowed
					 * from the msg */
	size_t off, len;		/* the match within value (ROUTE_MATCHED) */
	const char *why;		/* static, for ROUTE_LIMITED */
};

enum route_skip {
	ROUTE_APPLIED = 0,		/* evaluated */
	ROUTE_SKIP_REPLY,		/* a reply, and the rule is for new tickets */
	ROUTE_SKIP_STOPPED,		/* an earlier rule had stop = true */
};

struct route_rule_report {
	const struct pd_rule *rule;	/* borrowed from the config */
	enum route_skip skipped;
	const struct pd_rule *stopped_by;	/* ROUTE_SKIP_STOPPED */
	bool matched;
	const struct route_cond_report *conds;	/* rule->nmatch of them; NULL when skipped */
};

typedef void route_explain_fn(const struct route_rule_report *rep, void *arg);

/* Evaluate the rules in order for m into *res (which this initialises).
 * created: m opens a new ticket. explain (may be NULL) is called once per
 * rule, skipped ones included; with it every condition of a rule is
 * evaluated (without it evaluation stops at the first that fails), which
 * never changes the result. Never fails: a condition stopped by a limit is
 * logged (log_warn, rule and msgid) and does not hold. Safe to call from
 * several threads on one route_rules. */
void route_eval(const struct route_rules *r, const struct msg *m, bool created,
    struct route_result *res, route_explain_fn *explain, void *arg);

/* "header Subject", "sender", "text_new" ... into buf; returns buf. */
const char *route_cond_where(const struct pd_match *c, char *buf, size_t size);

#endif
