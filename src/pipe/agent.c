/* agent.c: see agent.h. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "postdesk/agent.h"
#include "postdesk/buf.h"
#include "postdesk/command.h"
#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/msg.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/timers.h"
#include "postdesk/xalloc.h"

static const struct pd_agent *
agent_named(const struct pd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nagents; i++)
		if (strcasecmp(cfg->agents[i].email, name) == 0 ||
		    strcasecmp(cfg->agents[i].name, name) == 0)
			return &cfg->agents[i];
	return NULL;
}

static bool
queue_exists(const struct pd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, name) == 0)
			return true;
	return false;
}

/* conf/answers/<lang>/NAME.txt beside the templates directory; the
 * caller frees the path. */
static char *
answer_path(const struct pd_config *cfg, const char *lang, const char *name)
{
	char *p = xasprintf("%s/../answers/%s/%s.txt", cfg->templates_dir, lang, name);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	p = xasprintf("%s/../answers/%s/%s.txt", cfg->templates_dir, cfg->default_language, name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* The canned answer's text (caller frees), or NULL. Its variables are
 * left to the reply template that wraps it; here it is plain text. */
static char *
answer_text(const char *path)
{
	FILE *f = fopen(path, "r");
	struct pd_buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	pd_buf_init(&b, 64 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (pd_buf_add(&b, chunk, n) < 0)
			break;
	fclose(f);
	return pd_buf_steal(&b);
}

/* A status command: the change, and the timers it starts or stops. */
static int
set_status(struct ingest *ig, int64_t ticket, const char *to, int64_t now)
{
	char from[16];
	int64_t closed;

	if (store_ticket_status(ig->st, ticket, from, &closed) <= 0 ||
	    store_ticket_set_status(ig->st, ticket, to, now) < 0)
		return -1;
	return timers_status_changed(ig->st, ig->cfg, ticket, from, to, now);
}

static void __attribute__((format(printf, 3, 4)))
add_error(struct pd_buf *e, int line, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pd_buf_printf(e, "line %d: %s\n", line, text);
}

int
agent_apply(struct ingest *ig, const struct msg *m, const struct pd_agent *agent,
    int64_t ticket, const char *lang, int64_t now, struct agent_outcome *out)
{
	const struct pd_config *cfg = ig->cfg;
	struct store *st = ig->st;
	struct cmd_list cl;
	struct pd_buf errs;
	char *canned = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	pd_buf_init(&errs, 64 * 1024);
	cmd_parse(m->text_new, strlen(m->text_new), now, cfg->hours.timezone, &cl);
	for (size_t i = 0; i < cl.nerr; i++)
		add_error(&errs, cl.err[i].line, "%s", cl.err[i].text);
	/* Check what the parser cannot know before anything is applied. */
	for (size_t i = 0; i < cl.n; i++) {
		const struct cmd *c = &cl.v[i];

		if (c->kind == CMD_ASSIGN && agent_named(cfg, c->arg) == NULL)
			add_error(&errs, c->line, "#assign: no agent is called '%s'", c->arg);
		else if (c->kind == CMD_QUEUE && !queue_exists(cfg, c->arg))
			add_error(&errs, c->line, "#queue: there is no queue '%s'", c->arg);
		else if (c->kind == CMD_ANSWER) {
			char *p = answer_path(cfg, lang, c->arg);

			if (p == NULL)
				add_error(&errs, c->line, "#answer: there is no canned answer '%s'",
				    c->arg);
			else {
				free(canned);
				canned = answer_text(p);
			}
			free(p);
		}
	}
	if (errs.len > 0) {
		out->errors = pd_buf_steal(&errs);
		log_warn("commands: msgid=<%s> ticket=%" PRId64 " from=%s refused, nothing "
		    "applied: %s", m->message_id, ticket, agent->email, out->errors);
		goto done;
	}
	for (size_t i = 0; i < cl.n && rc == 0; i++) {
		const struct cmd *c = &cl.v[i];
		const char *name = cmd_name(c->kind);

		switch (c->kind) {
		case CMD_CLOSE:
			rc = set_status(ig, ticket, "closed", now);
			break;
		case CMD_RESOLVE:
			rc = set_status(ig, ticket, "resolved", now);
			break;
		case CMD_PENDING:
			rc = set_status(ig, ticket, "pending", now);
			break;
		case CMD_OPEN:
			rc = set_status(ig, ticket, "open", now);
			break;
		case CMD_ASSIGN:
			rc = store_ticket_set(st, ticket, STORE_TICKET_ASSIGNEE,
			    agent_named(cfg, c->arg)->email, now);
			break;
		case CMD_QUEUE:
			rc = store_ticket_set(st, ticket, STORE_TICKET_QUEUE, c->arg, now);
			break;
		case CMD_PRIORITY:
			rc = store_ticket_set(st, ticket, STORE_TICKET_PRIORITY, c->arg, now);
			break;
		case CMD_TAG:
			rc = store_tag_add(st, ticket, c->arg);
			break;
		case CMD_CC:
		case CMD_REQUESTER:
			rc = store_participant_add(st, ticket, c->arg, c->name,
			    c->kind == CMD_CC ? "cc" : "requester");
			break;
		case CMD_NOTE:
			out->note = true;
			break;
		case CMD_REMIND:
			rc = store_timer_add(st, ticket, "remind", c->when, agent->email, now);
			break;
		case CMD_ANSWER:
			break;	/* the canned text goes before the relayed one */
		}
		if (rc == 0)
			rc = store_event_add(st, ticket, name, agent->email, c->arg, now);
	}
	if (rc == 0 && cl.n > 0)
		log_info("commands: msgid=<%s> ticket=%" PRId64 " from=%s applied %zu command%s",
		    m->message_id, ticket, agent->email, cl.n, cl.n == 1 ? "" : "s");
	if (!out->note) {
		const char *rest = cl.rest ? cl.rest : "";
		size_t skip = strspn(rest, " \t\r\n");

		if (canned != NULL)
			out->relay = rest[skip] ? xasprintf("%s\n%s", canned, rest + skip)
			    : xstrdup(canned);
		else if (rest[skip] != '\0')
			out->relay = xstrdup(rest + skip);
	}
done:
	free(canned);
	pd_buf_free(&errs);
	cmd_list_free(&cl);
	return rc;
}

void
agent_outcome_free(struct agent_outcome *o)
{
	free(o->relay);
	free(o->errors);
	o->relay = o->errors = NULL;
}
