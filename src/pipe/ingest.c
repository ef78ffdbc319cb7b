/* ingest.c: see ingest.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>

#include "postdesk/agent.h"
#include "postdesk/answer.h"
#include "postdesk/buf.h"
#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/rating.h"
#include "postdesk/route.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/thread.h"
#include "postdesk/timers.h"
#include "postdesk/xalloc.h"

#define META_HMAC_KEY "ourid_key"

static const char *const prio_names[] = { "low", "normal", "high", "urgent" };

/* The key under which our Message-IDs are signed: the configured secret,
 * or one postdesk made for itself on first use, so that a minimal config
 * works and the ids survive a restart. */
static int
load_key(struct ingest *ig, char **error_r)
{
	char *secret = NULL;
	int found;

	if (ig->cfg->secret_file != NULL) {
		secret = config_read_secret(ig->cfg->secret_file, error_r);
		if (secret == NULL)
			return -1;
	} else {
		found = store_meta_get(ig->st, META_HMAC_KEY, &secret);
		if (found < 0) {
			*error_r = xstrdup(store_error(ig->st));
			return -1;
		}
		if (found == 0) {
			unsigned char r[32];
			char hex[65];

			if (gnutls_rnd(GNUTLS_RND_KEY, r, sizeof(r)) < 0)
				log_fatal("gnutls: no random numbers");
			for (size_t i = 0; i < sizeof(r); i++)
				snprintf(hex + 2 * i, 3, "%02x", r[i]);
			if (store_meta_set(ig->st, META_HMAC_KEY, hex) < 0) {
				*error_r = xstrdup(store_error(ig->st));
				return -1;
			}
			secret = xstrdup(hex);
		}
	}
	ourid_key_set(&ig->key, secret, strlen(secret));
	memset(secret, 0, strlen(secret));
	free(secret);
	return 0;
}

int
ingest_init(struct ingest *ig, struct store *st, const struct pd_config *cfg,
    char **error_r)
{
	memset(ig, 0, sizeof(*ig));
	ig->st = st;
	ig->cfg = cfg;
	ig->limits.max_message_size = cfg->max_message_size;
	ig->limits.max_mime_depth = cfg->max_mime_depth;
	ig->limits.max_mime_parts = cfg->max_mime_parts;
	ig->limits.max_header_size = cfg->max_header_size;
	ig->limits.charset_fallback = (const char *const *)cfg->charset_fallback;
	if (load_key(ig, error_r) < 0 || route_compile(cfg, &ig->rules, error_r) < 0)
		return -1;
	if (answers_load(cfg, &ig->answers, error_r) < 0) {
		route_free(&ig->rules);
		return -1;
	}
	return 0;
}

void
ingest_done(struct ingest *ig)
{
	answers_free(&ig->answers);
	route_free(&ig->rules);
}

static const struct pd_queue *
queue_for(const struct pd_config *cfg, const char *name)
{
	for (size_t i = 0; name != NULL && i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, name) == 0)
			return &cfg->queues[i];
	return &cfg->queues[0];
}

/* References as stored: the ids, space-separated, in order. */
static char *
refs_join(const struct msg *m)
{
	struct pd_buf b;

	pd_buf_init(&b, (size_t)1 << 20);
	for (size_t i = 0; i < m->nreferences; i++) {
		if (i > 0)
			pd_buf_addc(&b, ' ');
		if (pd_buf_adds(&b, m->references[i]) < 0)
			break;
	}
	return pd_buf_steal(&b);
}

static const char *
kind_of(const struct ingest *ig, const struct msg *m, const struct thread_result *tr,
    const struct pd_agent **agent_r, bool *forged_r)
{
	*agent_r = NULL;
	*forged_r = false;
	if (tr->loop)
		return "loop";
	if (m->bounce)
		return "bounce";
	/* Our own mail back in a ticket (a forwarder rewrote the Message-ID of
	 * an acknowledgement): kept in the ticket, never answered, no agent
	 * told. */
	if (thread_addr_is_ours(ig->cfg, m->from.addr))
		return "loop";
	if (m->machine)
		return "auto-reply";
	*agent_r = thread_verified_agent(ig->cfg, m, forged_r);
	if (*agent_r != NULL)
		return "agent";
	return "customer";
}

static bool
in_queue(const struct pd_agent *a, const char *queue)
{
	if (a->queues == NULL || a->nqueues == 0)
		return true;
	for (size_t i = 0; i < a->nqueues; i++)
		if (strcmp(a->queues[i], queue) == 0)
			return true;
	return false;
}

/* The agent a new ticket of queue q goes to: none, the next one in turn
 * (round-robin, remembered in the database so a restart keeps the turn),
 * or the one with the fewest open tickets (least-open; ties go to the
 * first in the config). 0 and *agent_r (NULL: nobody), or -1. */
static int
assign_for(struct ingest *ig, const struct pd_queue *q, const char **agent_r)
{
	const struct pd_config *cfg = ig->cfg;
	int64_t best = -1;
	char key[128], *last = NULL;
	bool next = false;

	*agent_r = NULL;
	if (q->assign == PD_ASSIGN_NONE)
		return 0;
	if (q->assign == PD_ASSIGN_ROUND_ROBIN) {
		snprintf(key, sizeof(key), "round-robin.%s", q->name);
		if (store_meta_get(ig->st, key, &last) < 0)
			return -1;
		/* Two passes: the agent after the last one, wrapping around. */
		for (int pass = 0; pass < 2 && *agent_r == NULL; pass++) {
			for (size_t i = 0; i < cfg->nagents && *agent_r == NULL; i++) {
				const struct pd_agent *a = &cfg->agents[i];

				if (!in_queue(a, q->name))
					continue;
				if (last == NULL || next || pass == 1)
					*agent_r = a->email;
				else if (strcasecmp(a->email, last) == 0)
					next = true;
			}
		}
		free(last);
		return *agent_r ? store_meta_set(ig->st, key, *agent_r) : 0;
	}
	for (size_t i = 0; i < cfg->nagents; i++) {
		const struct pd_agent *a = &cfg->agents[i];
		int64_t n;

		if (!in_queue(a, q->name))
			continue;
		if (store_open_count(ig->st, a->email, &n) < 0)
			return -1;
		if (best < 0 || n < best) {
			best = n;
			*agent_r = a->email;
		}
	}
	return 0;
}

/* A new ticket for m: the requester, the Cc'd customers as participants
 * (never our own addresses or the agents), the "created" event. */
static int
ticket_open(struct ingest *ig, const struct msg *m, const struct ingest_source *src,
    const struct route_result *rr, int64_t now, int64_t *ticket_r)
{
	const struct pd_queue *q = queue_for(ig->cfg, rr->queue ? rr->queue : src->queue);
	struct store_ticket t = {
		.subject = m->subject,
		.requester_addr = m->from.addr ? m->from.addr : "",
		.requester_name = m->from.name,
		.queue = q->name,
		.priority = prio_names[rr->priority >= 0 ? rr->priority : (int)q->priority],
		.status = rr->spam ? "closed" : "new",
		.language = rr->language ? rr->language :
		    m->language ? m->language : ig->cfg->default_language,
		.assignee = rr->assign,
		.created_at = now,
	};
	struct store *st = ig->st;

	if (t.assignee == NULL && assign_for(ig, q, &t.assignee) < 0)
		return -1;
	if (store_ticket_add(st, &t, ticket_r) < 0)
		return -1;
	if (t.assignee != NULL &&
	    store_event_add(st, *ticket_r, "assign", NULL, t.assignee, now) < 0)
		return -1;
	for (size_t i = 0; i < rr->ntags; i++)
		if (store_tag_add(st, *ticket_r, rr->tags[i]) < 0)
			return -1;
	if (rr->spam && (store_tag_add(st, *ticket_r, "spam") < 0 ||
	    store_event_add(st, *ticket_r, "spam", NULL, NULL, now) < 0))
		return -1;
	for (size_t i = 0; i < rr->nmatched; i++)
		if (store_event_add(st, *ticket_r, "routed", NULL, rr->matched[i], now) < 0)
			return -1;
	if (m->from.addr != NULL &&
	    store_participant_add(st, *ticket_r, m->from.addr, m->from.name, "requester") < 0)
		return -1;
	for (size_t i = 0; i < m->cc.n; i++) {
		const struct msg_addr *a = &m->cc.v[i];

		if (thread_addr_is_ours(ig->cfg, a->addr) || thread_agent(ig->cfg, a->addr))
			continue;
		if (store_participant_add(st, *ticket_r, a->addr, a->name, "cc") < 0)
			return -1;
	}
	return store_event_add(st, *ticket_r, "created", m->from.addr, q->name, now);
}

/* Whether m answers ticket's satisfaction survey: a reply to a resolved
 * ticket, or to the survey mail itself, that reads as a rating (see
 * rating.h). 1 and *r, 0, or -1. */
static int
survey_answer(struct ingest *ig, const struct msg *m, int64_t ticket, const char *status,
    struct rating *r)
{
	bool to_survey = false;

	if (m->in_reply_to != NULL) {
		char kind[32];
		int64_t t;
		int found = store_message_kind(ig->st, m->in_reply_to, &t, kind);

		if (found < 0)
			return -1;
		to_survey = found > 0 && t == ticket && strcmp(kind, "survey") == 0;
	}
	if (strcmp(status, "resolved") != 0 && !to_survey)
		return 0;
	return rating_parse(m->subject, m->text_new, r) ? 1 : 0;
}

/* Record a survey answer: the score, and "not-solved" for a bad one.
 * *reopen_r: the answer reopens the ticket. */
static int
survey_record(struct ingest *ig, const struct msg *m, int64_t ticket, const struct rating *r,
    int64_t now, bool *reopen_r)
{
	struct store *st = ig->st;
	char score[8];

	*reopen_r = r->not_solved || (r->score >= 1 && r->score <= 2);
	snprintf(score, sizeof(score), "%d", r->score);
	if (r->score > 0 && (store_ticket_set_satisfaction(st, ticket, r->score, now) < 0 ||
	    store_event_add(st, ticket, "rating", m->from.addr, score, now) < 0))
		return -1;
	if (*reopen_r && store_event_add(st, ticket, "not-solved", m->from.addr,
	    r->score > 0 ? score : NULL, now) < 0)
		return -1;
	log_info("survey: ticket=%" PRId64 " msgid=<%s> rating %d%s", ticket, m->message_id,
	    r->score, r->not_solved ? ", not solved" : "");
	return 0;
}

/* A customer's mail on an existing ticket: wake the ticket up if it was
 * waiting or done, unless the mail is a good answer to the survey (then
 * *rating_only says whether it is nothing but that: no message for the
 * agents). The sender joins the ticket when they answer mail of the
 * ticket that we sent (one of our HMAC-signed ids): they were on it. Mail
 * that found the ticket otherwise (a Message-ID of the thread, known from
 * a list or a forward) reaches the agents, but its sender gets none of
 * the ticket's mail: an agent adds them with #cc if they belong. Our own
 * addresses and the agents never become customers of a ticket (that would
 * send the ticket's mail back to us, or an agent's to the wrong side). */
static int
ticket_customer_reply(struct ingest *ig, const struct msg *m, int64_t ticket, int64_t now,
    bool *rating_only)
{
	struct store *st = ig->st;
	const char *addr = m->from.addr;
	struct rating r;
	char status[16];
	const char *to = NULL;
	int64_t closed;
	bool reopen;
	int found;

	*rating_only = false;
	if (addr != NULL && !thread_addr_is_ours(ig->cfg, addr) &&
	    thread_agent(ig->cfg, addr) == NULL) {
		found = store_participant_has(st, ticket, addr);
		if (found < 0)
			return -1;
		if (found == 0 && !thread_cites_our_id(&ig->key, m, ticket))
			log_info("thread: ticket=%" PRId64 " msgid=<%s> from=%s does not join the "
			    "ticket (not a reply to its mail)", ticket, m->message_id, addr);
		else if (found == 0 &&
		    store_participant_add(st, ticket, addr, m->from.name, "cc") < 0)
			return -1;
	}
	found = store_ticket_status(st, ticket, status, &closed);
	if (found <= 0)
		return -1;
	if ((found = survey_answer(ig, m, ticket, status, &r)) < 0)
		return -1;
	if (found > 0) {
		if (survey_record(ig, m, ticket, &r, now, &reopen) < 0)
			return -1;
		if (!reopen) {
			/* a good score leaves a resolved ticket resolved */
			*rating_only = !r.more;
			return store_ticket_touch(st, ticket, now);
		}
	}
	if (strcmp(status, "resolved") == 0 || strcmp(status, "closed") == 0) {
		to = "open";
		if (store_ticket_set_status(st, ticket, to, now) < 0 ||
		    store_event_add(st, ticket, "reopened", m->from.addr, status, now) < 0)
			return -1;
	} else if (strcmp(status, "pending") == 0) {
		to = "open";
		if (store_ticket_set_status(st, ticket, to, now) < 0 ||
		    store_event_add(st, ticket, "status", m->from.addr, "pending open", now) < 0)
			return -1;
	}
	if (to != NULL && timers_status_changed(st, ig->cfg, ticket, status, to, now) < 0)
		return -1;
	if (timers_customer_wrote(st, ig->cfg, ticket, now) < 0)
		return -1;
	return store_ticket_touch(st, ticket, now);
}

/* A bounce of our mail goes to the ticket of the bounced message, marks
 * the failed addresses, and is never answered. */
static int
bounce_attach(struct ingest *ig, const struct msg *m, int64_t *ticket_r, int64_t now)
{
	struct pd_buf detail;
	int64_t t = 0;
	int found;

	*ticket_r = 0;
	if (m->bounce_original_id == NULL)
		return 0;
	found = store_ticket_of_msgid(ig->st, m->bounce_original_id, &t);
	if (found < 0)
		return -1;
	if (found == 0 || t == 0)
		return 0;
	*ticket_r = t;
	pd_buf_init(&detail, 4096);
	for (size_t i = 0; i < m->nbounce_rcpts; i++) {
		const struct msg_bounce_rcpt *r = &m->bounce_rcpts[i];

		if (r->action && strcmp(r->action, "failed") != 0)
			continue;
		pd_buf_printf(&detail, "%s%s %s", detail.len ? ", " : "", r->addr,
		    r->status ? r->status : "");
		if (store_participant_set_failing(ig->st, t, r->addr) < 0) {
			pd_buf_free(&detail);
			return -1;
		}
	}
	found = store_event_add(ig->st, t, "delivery-failure", NULL, pd_buf_str(&detail), now);
	pd_buf_free(&detail);
	return found;
}

/* An agent's mail on a ticket: its commands, in the ticket's language
 * (for #answer). */
static int
agent_commands(struct ingest *ig, const struct msg *m, const struct pd_agent *agent,
    int64_t ticket, int64_t now, struct agent_outcome *ao)
{
	struct store_ticket_view t;
	int found = store_ticket_get(ig->st, ticket, 0, &t), rc;

	if (found <= 0)
		return -1;
	rc = agent_apply(ig, m, agent, ticket, t.language, now, ao);
	store_ticket_view_free(&t);
	return rc;
}

/* The mailbox= of a log line: the configured mailbox's name, or for
 * deliver its --mailbox argument (log.h). */
static const char *
source_name(const struct ingest_source *src)
{
	return src->account ? src->account : src->mailbox ? src->mailbox : "-";
}

/* A message over a parser limit (size, MIME depth or parts, header block)
 * is stored whole but read only in part: its text may be empty or cut.
 * Say so where an agent looks (the ticket's events) and in the log, with
 * what the parser hit. */
static int
over_limit_event(struct ingest *ig, const struct msg *m, int64_t ticket, int64_t now)
{
	struct pd_buf d;
	int rc;

	pd_buf_init(&d, 1024);
	pd_buf_adds(&d, "read only in part");
	for (size_t i = 0, n = 0; i < m->ndefects; i++)
		if (strstr(m->defects[i], "limit") || strstr(m->defects[i], "more than") ||
		    strstr(m->defects[i], "deeper than") || strstr(m->defects[i], "larger than"))
			pd_buf_printf(&d, "%s%s", n++ ? "; " : ": ", m->defects[i]);
	pd_buf_printf(&d, " (all %zu bytes are stored)", m->size);
	log_warn("ingest: msgid=<%s> ticket=%" PRId64 " over a limit: %s", m->message_id,
	    ticket, pd_buf_str(&d));
	rc = store_event_add(ig->st, ticket, "over-limit", NULL, pd_buf_str(&d), now);
	pd_buf_free(&d);
	return rc;
}

/* Everything for one new message, inside the open transaction. */
static int
ingest_store(struct ingest *ig, const struct msg *m, const char *raw, size_t len,
    const struct ingest_source *src, const struct store_identity *id,
    struct ingest_result *res)
{
	struct thread_result tr;
	struct store *st = ig->st;
	int64_t now = (int64_t)time(NULL), ticket = 0;
	const struct pd_agent *agent;
	struct agent_outcome ao = { false, NULL, NULL };
	struct route_result rr;
	bool forged;
	char *refs;
	int rc;

	if (thread_resolve(st, ig->cfg, &ig->key, m, &tr) < 0)
		return -1;
	res->kind = kind_of(ig, m, &tr, &agent, &forged);
	res->via = tr.via;
	if (forged)
		log_warn("agent: mailbox=%s uid=%u msgid=<%s> from=%s claims an agent's "
		    "address without the trusted server's authentication results; taken as "
		    "a customer's mail", source_name(src), src->uid, m->message_id,
		    m->from.addr);
	/* Routing: for new tickets, and for replies where a rule says so. */
	route_eval(ig->rules, m, tr.ticket == 0 && !tr.loop, &rr, NULL, NULL);
	if (rr.ignore && tr.ticket == 0 && strcmp(res->kind, "customer") == 0) {
		res->kind = "ignored";
		res->via = "none";
		tr.loop = true;	/* stored, no ticket, no answer */
	}
	if (strcmp(res->kind, "bounce") == 0) {
		if (bounce_attach(ig, m, &ticket, now) < 0)
			return -1;
		res->via = ticket ? "bounce" : "none";
	} else if (tr.loop) {
		ticket = 0;
	} else if (tr.ticket != 0) {
		ticket = tr.ticket;
		bool rating_only = false;

		if (strcmp(res->kind, "customer") == 0 &&
		    ticket_customer_reply(ig, m, ticket, now, &rating_only) < 0)
			return -1;
		if (rating_only)
			res->kind = "rating";	/* recorded; nothing for the agents */
		for (size_t i = 0; i < rr.ntags; i++)
			if (store_tag_add(st, ticket, rr.tags[i]) < 0)
				return -1;
		if (agent != NULL && agent_commands(ig, m, agent, ticket, now, &ao) < 0) {
			agent_outcome_free(&ao);
			return -1;
		}
		if (ao.note)
			res->kind = "note";
		if (strcmp(res->kind, "customer") != 0 && store_ticket_touch(st, ticket, now) < 0)
			return -1;
	} else if (strcmp(res->kind, "auto-reply") == 0) {
		/* An automatic mail that answers nothing we know opens no
		 * ticket: nobody is waiting for an answer. */
		res->via = "none";
	} else {
		if (ticket_open(ig, m, src, &rr, now, &ticket) < 0)
			return -1;
		res->created = true;
		if (strcmp(res->kind, "customer") == 0 &&
		    timers_ticket_opened(st, ig->cfg, ticket, now) < 0)
			return -1;
		if (tr.refused != 0) {
			char d[96];

			snprintf(d, sizeof(d), "subject tag names #%" PRId64
			    "; sender is not a participant", tr.refused);
			if (store_event_add(st, ticket, "linked", m->from.addr, d, now) < 0)
				return -1;
			snprintf(d, sizeof(d), "mail with this ticket's tag from a "
			    "non-participant became #%" PRId64, ticket);
			if (store_event_add(st, tr.refused, "foreign-tag", m->from.addr, d, now) < 0)
				return -1;
		}
	}

	refs = refs_join(m);
	{
		struct store_message sm = {
			.ticket_id = ticket,
			.direction = "in",
			.kind = res->kind,
			.message_id = m->message_id,
			.in_reply_to = m->in_reply_to,
			.references = refs,
			.from_addr = m->from.addr,
			.from_name = m->from.name,
			.subject = m->subject,
			.date = m->date,
			.thread_via = res->via,
			.text = m->text,
			.text_new = m->text_new,
			.raw = raw,
			.raw_len = len,
			.content_hash = m->content_hash,
		};

		rc = store_message_add(st, &sm, id, &res->message);
	}
	free(refs);
	if (rc == 0 && m->in_reply_to != NULL)
		rc = store_refs_add(st, res->message, (const char *const *)&m->in_reply_to, 1);
	if (rc == 0)
		rc = store_refs_add(st, res->message, (const char *const *)m->references,
		    m->nreferences);
	if (rc < 0) {
		agent_outcome_free(&ao);
		return -1;
	}
	if (ticket != 0 && !res->created && strcmp(res->kind, "bounce") != 0 &&
	    store_event_add(st, ticket, "message", m->from.addr, res->kind, now) < 0) {
		agent_outcome_free(&ao);
		return -1;
	}
	res->ticket = ticket;
	if (m->over_limit && ticket != 0 && over_limit_event(ig, m, ticket, now) < 0) {
		agent_outcome_free(&ao);
		return -1;
	}
	/* The mail this calls for, in the same transaction. */
	if (forged && ticket != 0 &&
	    store_event_add(st, ticket, "unverified-agent", m->from.addr,
	    "no passing authentication results from the trusted server", now) < 0) {
		agent_outcome_free(&ao);
		return -1;
	}
	if (!rr.spam && answer_message(ig, m, res->kind, ticket, res->created, now, &rr, &ao) < 0) {
		agent_outcome_free(&ao);
		return -1;
	}
	agent_outcome_free(&ao);
	if (tr.refused != 0)
		log_warn("thread: mailbox=%s uid=%u msgid=<%s> from=%s used the tag of "
		    "ticket %" PRId64 " without being a participant; opened ticket=%" PRId64,
		    source_name(src), src->uid, m->message_id,
		    m->from.addr ? m->from.addr : "-", tr.refused, ticket);
	return 0;
}

static enum pd_disp
fail(struct ingest *ig, struct ingest_result *res, const char *what)
{
	bool temp = store_error_temporary(ig->st);

	res->reason = xasprintf("%s: %s", what, store_error(ig->st));
	store_rollback(ig->st);
	return temp ? PD_RETRY : PD_SKIP;
}

enum pd_disp
ingest_one(struct ingest *ig, const char *raw, size_t len,
    const struct ingest_source *src, struct ingest_result *res)
{
	struct msg *m = msg_parse(raw, len, &ig->limits);
	struct store_identity id = {
		.message_id = m->message_id,
		.content_hash = m->content_hash,
		.account = src->account,
		.mailbox = src->mailbox,
		.uidvalidity = src->uidvalidity,
		.uid = src->uid,
	};
	int64_t existing;
	enum pd_disp d = PD_DONE;
	int found;

	memset(res, 0, sizeof(*res));
	if (store_begin(ig->st) < 0) {
		res->reason = xasprintf("begin: %s", store_error(ig->st));
		d = store_error_temporary(ig->st) ? PD_RETRY : PD_SKIP;
		goto out;
	}
	found = store_identity_find(ig->st, &id, &existing);
	if (found < 0) {
		d = fail(ig, res, "identity");
		goto out;
	}
	if (found > 0) {
		/* Seen before: remember this copy too, so that a rescan
		 * finds it by its IMAP identity. */
		res->duplicate = true;
		res->message = existing;
		res->via = "duplicate";
		res->kind = "duplicate";
		if (src->account != NULL && store_identity_add(ig->st, existing, &id) < 0) {
			d = fail(ig, res, "identity");
			goto out;
		}
	} else if (ingest_store(ig, m, raw, len, src, &id, res) < 0) {
		d = fail(ig, res, "store");
		goto out;
	}
	if (store_commit(ig->st) < 0) {
		res->reason = xasprintf("commit: %s", store_error(ig->st));
		d = store_error_temporary(ig->st) ? PD_RETRY : PD_SKIP;
		goto out;
	}
	log_info("thread: mailbox=%s uid=%u msgid=<%s> ticket=%" PRId64 " via=%s kind=%s%s",
	    source_name(src), src->uid, m->message_id, res->ticket,
	    res->via, res->kind, res->created ? " new" : "");
out:
	if (d != PD_DONE)
		log_error("store: mailbox=%s uid=%u msgid=<%s> not stored (%s): %s",
		    source_name(src), src->uid, m->message_id,
		    d == PD_RETRY ? "will retry" : "permanent", res->reason);
	msg_free(&m);
	return d;
}

void
ingest_result_free(struct ingest_result *res)
{
	free(res->reason);
	res->reason = NULL;
}

int
ingest_quarantine(struct ingest *ig, const char *raw, size_t len,
    const struct ingest_source *src, const char *reason, int64_t *id_r)
{
	struct store_quarantine q = {
		.account = src->account,
		.mailbox = src->mailbox,
		.uidvalidity = src->uidvalidity,
		.uid = src->uid,
		.reason = reason,
		.raw = raw,
		.raw_len = len,
	};

	if (store_begin(ig->st) < 0)
		return -1;
	if (store_quarantine_add(ig->st, &q, id_r) < 0) {
		store_rollback(ig->st);
		return -1;
	}
	return store_commit(ig->st);
}
