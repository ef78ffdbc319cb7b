/* cmd_route.c: postdesk route --explain [--reply] FILE.eml|-
 *
 * Parse one message as ingest would (the config's parser limits), run the
 * routing rules on it as for a new ticket (--reply: as for a reply to an
 * existing one), and print every rule with what each condition looked at
 * and found, then the ticket fields the rules set. Needs the config, not
 * the database. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/buf.h"
#include "postdesk/config.h"
#include "postdesk/msg.h"
#include "postdesk/route.h"
#include "postdesk/utf8.h"

#define SNIPPET_CHARS	60	/* characters of a value or match shown */

static const char *const prio_names[] = { "low", "normal", "high", "urgent" };

/* s[0..len) quoted, at most max characters, control characters escaped
 * so that one condition stays on one line. */
static void
print_snippet(const char *s, size_t len, size_t max)
{
	size_t i = 0, chars = 0;

	putchar('"');
	while (i < len && chars < max) {
		unsigned char c = (unsigned char)s[i];
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f || n == 0)
			printf("\\x%02x", c);
		else
			fwrite(s + i, 1, n, stdout);
		i += n == 0 ? 1 : n;
		chars++;
	}
	putchar('"');
	if (i < len)
		fputs("...", stdout);
}

static bool
is_text(const struct pd_match *c)
{
	return c->on == PD_ON_TEXT || c->on == PD_ON_TEXT_NEW;
}

static void
print_values(const struct route_cond_report *cr)
{
	if (cr->nvalues == 0)
		printf(cr->match->on == PD_ON_HEADER ? " (no such header)" : " (nothing to look at)");
	else if (cr->nvalues > 1)
		printf(" in %zu values", cr->nvalues);
	else if (!is_text(cr->match)) {
		fputs(" in ", stdout);
		print_snippet(cr->value, strlen(cr->value), SNIPPET_CHARS);
	}
}

static void
print_cond(const struct route_cond_report *cr)
{
	char where[128];

	printf("  %s %s /%s/: ", route_cond_where(cr->match, where, sizeof(where)),
	    cr->match->negate ? "!~" : "=~", cr->match->regex);
	switch (cr->outcome) {
	case ROUTE_NOT_EVALUATED:
		printf("not evaluated\n");
		return;
	case ROUTE_MATCHED:
		fputs("matched ", stdout);
		print_snippet(cr->value + cr->off, cr->len, SNIPPET_CHARS);
		if (!is_text(cr->match)) {
			fputs(" in ", stdout);
			print_snippet(cr->value, strlen(cr->value), SNIPPET_CHARS);
		}
		break;
	case ROUTE_NO_MATCH:
		fputs("no match", stdout);
		print_values(cr);
		break;
	case ROUTE_LIMITED:
		printf("%s", cr->why);
		if (!is_text(cr->match)) {
			fputs(" on ", stdout);
			print_snippet(cr->value, strlen(cr->value), SNIPPET_CHARS);
		}
		fputs(", counted as failing", stdout);
		break;
	}
	if (cr->match->negate && cr->outcome != ROUTE_LIMITED)
		printf(" (not: %s)", cr->holds ? "holds" : "fails");
	putchar('\n');
}

static void
print_list(const char *label, char *const *v)
{
	if (v == NULL || v[0] == NULL)
		return;
	printf(" %s=", label);
	for (size_t i = 0; v[i] != NULL; i++)
		printf("%s%s", i ? "," : "", v[i]);
}

static void
print_actions(const struct pd_rule *r)
{
	fputs("  =>", stdout);
	if (r->queue)
		printf(" queue=%s", r->queue);
	if (r->priority >= 0 && r->priority <= PD_PRIO_URGENT)
		printf(" priority=%s", prio_names[r->priority]);
	if (r->assign)
		printf(" assign=%s", r->assign);
	print_list("tags", r->tags);
	if (r->language)
		printf(" language=%s", r->language);
	if (r->template)
		printf(" template=%s", r->template);
	if (r->ack >= 0)
		printf(" ack=%s", r->ack ? "yes" : "no");
	print_list("notify", r->notify);
	if (r->ignore)
		fputs(" ignore", stdout);
	if (r->spam)
		fputs(" spam", stdout);
	if (r->stop)
		fputs(" stop", stdout);
	putchar('\n');
}

struct explain_state {
	size_t n;
};

static void
explain_rule(const struct route_rule_report *rep, void *arg)
{
	struct explain_state *st = arg;
	const struct pd_rule *r = rep->rule;

	printf("rule %zu \"%s\" (line %d): ", ++st->n, r->name, r->line);
	if (rep->skipped == ROUTE_SKIP_STOPPED) {
		printf("skipped (rule \"%s\" has stop)\n", rep->stopped_by->name);
		return;
	}
	if (rep->skipped == ROUTE_SKIP_REPLY) {
		printf("skipped (new tickets only, and this is a reply)\n");
		return;
	}
	printf("%s\n", rep->matched ? "MATCH" : "no");
	for (size_t i = 0; i < r->nmatch; i++)
		print_cond(&rep->conds[i]);
	if (rep->matched)
		print_actions(r);
}

static void
print_field(const char *label, const char *value, const char *unset)
{
	printf("  %-9s %s\n", label, value != NULL ? value : unset);
}

static void
print_strs(const char *label, const char *const *v, size_t n)
{
	printf("  %-9s ", label);
	if (n == 0)
		fputs("(none)", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", v[i]);
	putchar('\n');
}

static void
print_result(const struct pd_config *cfg, const struct msg *m, const struct route_result *res)
{
	char queue_unset[160], lang_unset[64];

	snprintf(queue_unset, sizeof(queue_unset),
	    "(not set: the mailbox's queue, else \"%s\")", cfg->queues[0].name);
	snprintf(lang_unset, sizeof(lang_unset), "(not set: detected %s%s%s)",
	    m->language ? "\"" : "none, default \"",
	    m->language ? m->language : cfg->default_language, "\"");
	printf("\nresult:\n");
	print_field("queue:", res->queue, queue_unset);
	print_field("priority:", res->priority >= 0 && res->priority <= PD_PRIO_URGENT
	    ? prio_names[res->priority] : NULL, "(not set: the queue's)");
	print_field("assignee:", res->assign, "(not set)");
	print_strs("tags:", res->tags, res->ntags);
	print_field("language:", res->language, lang_unset);
	print_field("template:", res->template, "(not set: the queue's acknowledgement)");
	print_field("ack:", res->ack < 0 ? NULL : res->ack ? "yes" : "no", "(not set)");
	print_strs("notify:", res->notify, res->nnotify);
	print_field("ignore:", res->ignore ? "yes" : "no", NULL);
	print_field("spam:", res->spam ? "yes" : "no", NULL);
	if (res->nlimited > 0)
		printf("  (%zu condition%s stopped by a limit)\n", res->nlimited,
		    res->nlimited == 1 ? "" : "s");
}

static void
print_message(const struct msg *m, bool reply)
{
	printf("message:  <%s>\n", m->message_id);
	printf("from:     %s\n", m->from.addr ? m->from.addr : "(none)");
	fputs("subject:  ", stdout);
	print_snippet(m->subject, strlen(m->subject), 200);
	printf("\nrouted as %s\n\n", reply ? "a reply to an existing ticket (--reply)"
	    : "a new ticket");
}

static int
explain_file(const struct pd_config *cfg, const char *path, bool reply)
{
	struct msg_limits lim = {
		.max_message_size = cfg->max_message_size,
		.max_mime_depth = cfg->max_mime_depth,
		.max_mime_parts = cfg->max_mime_parts,
		.max_header_size = cfg->max_header_size,
		.charset_fallback = (const char *const *)cfg->charset_fallback,
	};
	struct explain_state st = { 0 };
	struct route_rules *rules;
	struct route_result res;
	struct pd_buf raw;
	struct msg *m;
	char *err = NULL;

	if (route_compile(cfg, &rules, &err) < 0) {
		fprintf(stderr, "postdesk: route: %s\n", err);
		free(err);
		return EX_CONFIG;
	}
	if (cli_read_input(path, &raw, &err) < 0) {
		fprintf(stderr, "postdesk: route: %s\n", err);
		free(err);
		route_free(&rules);
		return EX_NOINPUT;
	}
	m = msg_parse(pd_buf_str(&raw), raw.len, &lim);
	print_message(m, reply);
	if (cfg->nrules == 0)
		printf("no rules in %s\n", cfg->path);
	route_eval(rules, m, !reply, &res, explain_rule, &st);
	print_result(cfg, m, &res);
	msg_free(&m);
	pd_buf_free(&raw);
	route_free(&rules);
	return cli_output_done("route");
}

int
cmd_route(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "explain", no_argument, NULL, 'e' },
		{ "reply", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd = cli_find("route");
	bool explain = false, reply = false;
	struct pd_config *cfg;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'e')
			explain = true;
		else if (c == 'r')
			reply = true;
		else
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if (!explain)
		return cli_usage_error(cmd, "--explain is required");
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one file name (or - for standard input)");
	if (cli_load_config(cli, &cfg) < 0)
		return EX_CONFIG;
	rc = explain_file(cfg, argv[optind], reply);
	config_free(&cfg);
	return rc;
}
