/* timers.c: see timers.h.
 *
 * Two halves. Scheduling (timers_ticket_opened ... timers_status_changed)
 * only adds and cancels rows, inside the transaction of the change that
 * calls for them. Firing (timers_run) takes the due rows in batches; for
 * each, in one transaction: read the ticket, ask the kind's handler
 * whether the ticket still calls for it, mark the timer done (fired or
 * skipped; a timer another process marked first is left alone), act
 * (mail through answer_followup, events, status), commit.
 *
 * Mail to customers follows the loop rules of acknowledgements: never to
 * an address of ours or an agent, never when the customer's latest mail
 * was automatic (auto-reply, bulk, bounce), at most ack_limit per address
 * and period (one count for acknowledgements and follow-ups together). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postdesk/answer.h"
#include "postdesk/bizhours.h"
#include "postdesk/buf.h"
#include "postdesk/compose.h"
#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/msg.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/thread.h"
#include "postdesk/timers.h"
#include "postdesk/xalloc.h"

#define TIMERS_BATCH	50
#define WARN_PERCENT	80	/* the warning comes at this share of a target */
#define MAX_RCPT	64
#define MAX_REFS	12

/* The SLA targets: their timers and the detail of their events. */
struct target {
	const char *name;
	const char *warning, *breach;	/* timer kinds */
	size_t off;			/* of the target in struct pd_sla */
};

enum { T_FIRST, T_NEXT, T_RESOLUTION, NTARGETS };

static const struct target targets[NTARGETS] = {
	[T_FIRST] = { "first_response", "first_response-warning", "first_response-breach",
		offsetof(struct pd_sla, first_response) },
	[T_NEXT] = { "next_response", "next_response-warning", "next_response-breach",
		offsetof(struct pd_sla, next_response) },
	[T_RESOLUTION] = { "resolution", "resolution-warning", "resolution-breach",
		offsetof(struct pd_sla, resolution) },
};

static int64_t
target_secs(const struct pd_queue *q, const struct target *tg)
{
	int64_t v;

	memcpy(&v, (const char *)&q->sla + tg->off, sizeof(v));
	return v;
}

static const struct pd_queue *
queue_or_first(const struct pd_config *cfg, const char *name)
{
	const struct pd_queue *q = config_queue(cfg, name);

	return q != NULL ? q : &cfg->queues[0];
}

static bool
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

static bool
done_status(const char *status)
{
	return is(status, "resolved") || is(status, "closed");
}

/* --- scheduling ------------------------------------------------------------ */

/* Start target tg's clock at start: the warning and the breach. */
static int
start_target(struct store *st, const struct pd_config *cfg, const struct pd_queue *q,
    int64_t ticket, const struct target *tg, int64_t start)
{
	const struct pd_business_hours *bh = config_queue_hours(cfg, q);
	int64_t secs = target_secs(q, tg);

	if (secs <= 0)
		return 0;
	if (store_timer_add(st, ticket, tg->warning,
	    bizhours_add(bh, start, secs * WARN_PERCENT / 100), NULL, start) < 0 ||
	    store_timer_add(st, ticket, tg->breach, bizhours_add(bh, start, secs), NULL,
	    start) < 0)
		return -1;
	return 0;
}

static int
stop_target(struct store *st, int64_t ticket, const struct target *tg, int64_t now)
{
	if (store_timer_cancel(st, ticket, tg->warning, now) < 0 ||
	    store_timer_cancel(st, ticket, tg->breach, now) < 0)
		return -1;
	return 0;
}

static int
stop_pending(struct store *st, int64_t ticket, int64_t now)
{
	if (store_timer_cancel(st, ticket, "pending-reminder", now) < 0 ||
	    store_timer_cancel(st, ticket, "pending-close", now) < 0)
		return -1;
	return 0;
}

int
timers_ticket_opened(struct store *st, const struct pd_config *cfg, int64_t ticket,
    int64_t now)
{
	struct store_ticket_brief b;
	const struct pd_queue *q;
	int found = store_ticket_brief(st, ticket, &b);

	if (found <= 0)
		return found;
	if (done_status(b.status))
		return 0;	/* spam: closed from the start */
	q = queue_or_first(cfg, b.queue);
	if (start_target(st, cfg, q, ticket, &targets[T_FIRST], now) < 0 ||
	    start_target(st, cfg, q, ticket, &targets[T_RESOLUTION], now) < 0)
		return -1;
	return 0;
}

int
timers_customer_wrote(struct store *st, const struct pd_config *cfg, int64_t ticket,
    int64_t now)
{
	struct store_ticket_brief b;
	int64_t due;
	int found;

	if (stop_pending(st, ticket, now) < 0)
		return -1;
	found = store_ticket_brief(st, ticket, &b);
	if (found <= 0)
		return found;
	/* Before the first answer the first response clock runs; a done
	 * ticket owes nothing. */
	if (b.first_response_at == 0 || done_status(b.status))
		return 0;
	found = store_timer_waiting(st, ticket, targets[T_NEXT].breach, &due);
	if (found != 0)
		return found < 0 ? -1 : 0;	/* the earlier promise stands */
	return start_target(st, cfg, queue_or_first(cfg, b.queue), ticket, &targets[T_NEXT], now);
}

int
timers_agent_answered(struct store *st, const struct pd_config *cfg, int64_t ticket,
    int64_t now)
{
	(void)cfg;
	if (stop_target(st, ticket, &targets[T_FIRST], now) < 0 ||
	    stop_target(st, ticket, &targets[T_NEXT], now) < 0)
		return -1;
	return 0;
}

int
timers_status_changed(struct store *st, const struct pd_config *cfg, int64_t ticket,
    const char *from, const char *to, int64_t now)
{
	struct store_ticket_brief b;
	const struct pd_queue *q;
	int found;

	if (to == NULL || is(from, to))
		return 0;
	found = store_ticket_brief(st, ticket, &b);
	if (found <= 0)
		return found;
	q = queue_or_first(cfg, b.queue);
	if (is(from, "pending") || is(to, "pending"))
		if (stop_pending(st, ticket, now) < 0)
			return -1;
	if (is(to, "pending")) {
		if (q->pending_reminder > 0 &&
		    store_timer_add(st, ticket, "pending-reminder", now + q->pending_reminder,
		    NULL, now) < 0)
			return -1;
		if (q->pending_close > 0 &&
		    store_timer_add(st, ticket, "pending-close", now + q->pending_close,
		    NULL, now) < 0)
			return -1;
	}
	if (done_status(to))
		for (int i = 0; i < NTARGETS; i++)
			if (stop_target(st, ticket, &targets[i], now) < 0)
				return -1;
	if (is(from, "resolved") || is(to, "resolved") || is(to, "closed"))
		if (store_timer_cancel(st, ticket, "survey", now) < 0)
			return -1;
	if (is(to, "resolved") && q->survey &&
	    store_timer_add(st, ticket, "survey", now + q->survey_delay, NULL, now) < 0)
		return -1;
	return 0;
}

/* --- firing: what the handlers share ---------------------------------------- */

/* A due timer, copied out of the query. */
struct due_timer {
	int64_t id, ticket, due_at, created_at;
	char *kind;
	char *actor;	/* NULL: postdesk */
};

struct fire {
	struct ingest *ig;
	const struct due_timer *tm;
	const struct store_ticket_view *t;
	const struct pd_queue *q;
	int64_t now;
};

/* An event of type on the ticket at or after since. */
static bool
event_since(const struct store_ticket_view *t, const char *type, int64_t since)
{
	for (size_t i = 0; i < t->nevents; i++)
		if (t->events[i].at >= since && is(t->events[i].type, type))
			return true;
	return false;
}

/* A customer's mail on the ticket at or after since. */
static bool
customer_wrote_since(const struct store_ticket_view *t, int64_t since)
{
	for (size_t i = 0; i < t->nmessages; i++) {
		const struct store_message_view *m = &t->messages[i];

		if (m->received_at >= since && is(m->direction, "in") &&
		    (is(m->kind, "customer") || is(m->kind, "rating")))
			return true;
	}
	return false;
}

/* Mail a customer has seen: their own and what we sent them. */
static bool
customer_visible(const struct store_message_view *m)
{
	static const char *const ours[] = { "ack", "reply", "still-working",
		"pending-reminder", "autoclose", "survey", NULL };

	if (is(m->direction, "in"))
		return is(m->kind, "customer") || is(m->kind, "rating");
	for (const char *const *k = ours; *k != NULL; k++)
		if (is(m->kind, *k))
			return true;
	return false;
}

/* Threading: In-Reply-To the latest message (that the customer saw, for
 * mail to customers), References the first and the latest ones. */
struct threading {
	const char *in_reply_to;
	const char *refs[MAX_REFS];
	size_t nrefs;
};

static void
threading_of(const struct store_ticket_view *t, bool customer, struct threading *th)
{
	size_t idx[MAX_REFS], n = 0, seen = 0;

	memset(th, 0, sizeof(*th));
	for (size_t i = 0; i < t->nmessages; i++) {
		if (customer && !customer_visible(&t->messages[i]))
			continue;
		/* keep the first, then a window of the latest */
		if (n < MAX_REFS)
			idx[n++] = i;
		else {
			memmove(&idx[1], &idx[2], (MAX_REFS - 2) * sizeof(idx[0]));
			idx[MAX_REFS - 1] = i;
		}
		seen++;
	}
	for (size_t k = 0; k < n; k++)
		th->refs[k] = t->messages[idx[k]].message_id;
	th->nrefs = n;
	if (seen > 0)
		th->in_reply_to = th->refs[n - 1];
}

static bool
agent_in_queue(const struct pd_agent *a, const char *queue)
{
	if (a->queues == NULL || a->nqueues == 0)
		return true;
	for (size_t i = 0; i < a->nqueues; i++)
		if (is(a->queues[i], queue))
			return true;
	return false;
}

static void
add_rcpt(const struct pd_config *cfg, struct compose_addr *to, size_t *n,
    const char *name, const char *addr)
{
	if (addr == NULL || *n >= MAX_RCPT || thread_addr_is_ours(cfg, addr))
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(to[i].addr, addr) == 0)
			return;
	to[*n].name = name;
	to[*n].addr = addr;
	(*n)++;
}

/* The assignee, or else the queue's agents. */
static size_t
agents_of(const struct fire *f, struct compose_addr *to)
{
	const struct pd_config *cfg = f->ig->cfg;
	size_t n = 0;

	if (f->t->assignee != NULL) {
		const struct pd_agent *a = thread_agent(cfg, f->t->assignee);

		add_rcpt(cfg, to, &n, a ? a->name : NULL, f->t->assignee);
		return n;
	}
	for (size_t i = 0; i < cfg->nagents; i++)
		if (agent_in_queue(&cfg->agents[i], f->t->queue))
			add_rcpt(cfg, to, &n, cfg->agents[i].name, cfg->agents[i].email);
	return n;
}

/* Whether the customer's latest mail on the ticket was written by a
 * program (auto-reply, bulk or list mail, a bounce): then no automatic
 * mail answers it (RFC 3834). *why_r: static text. 1, 0, or -1. */
static int
customer_automatic(struct fire *f, const char **why_r)
{
	const struct store_message_view *last = NULL;
	struct msg *m;
	char *raw;
	size_t len;
	int found, rc = 0;

	for (size_t i = 0; i < f->t->nmessages; i++)
		if (is(f->t->messages[i].direction, "in") && is(f->t->messages[i].kind, "customer"))
			last = &f->t->messages[i];
	if (last == NULL)
		return 0;
	found = store_message_raw(f->ig->st, last->id, &raw, &len);
	if (found <= 0)
		return found;
	m = msg_parse(raw, len, &f->ig->limits);
	if (m->bounce || m->machine || m->auto_reply || m->bulk) {
		*why_r = m->bounce ? "the customer's mail was a bounce" :
		    m->bulk ? "the customer's mail was bulk or list mail" :
		    "the customer's mail was automatic";
		rc = 1;
	}
	msg_free(&m);
	free(raw);
	return rc;
}

/* The customers to write to, after the loop rules. *why_r (static text)
 * says why nobody is left. 0, or -1. */
static int
customers_of(struct fire *f, struct compose_addr *to, size_t *n_r, const char **why_r)
{
	const struct pd_config *cfg = f->ig->cfg;
	struct compose_addr all[MAX_RCPT];
	size_t n = 0;
	int autom;

	*n_r = 0;
	*why_r = "the ticket has no customer to write to";
	for (size_t i = 0; i < f->t->nparticipants; i++) {
		const struct store_participant_view *p = &f->t->participants[i];

		if (is(p->role, "agent") || p->failing || thread_agent(cfg, p->addr) != NULL)
			continue;
		add_rcpt(cfg, all, &n, p->name, p->addr);
	}
	if (n == 0)
		return 0;
	if ((autom = customer_automatic(f, why_r)) != 0)
		return autom < 0 ? -1 : 0;
	*why_r = "ack_limit reached for every recipient";
	for (size_t i = 0; i < n; i++) {
		int64_t sent;

		if (store_ack_count(f->ig->st, all[i].addr, f->now - cfg->ack_limit_period,
		    &sent) < 0)
			return -1;
		if (sent >= cfg->ack_limit_count) {
			log_info("timers: ticket=%" PRId64 " %s had %" PRId64 " automatic mails "
			    "within %" PRId64 " s; no more (ack_limit)", f->t->id, all[i].addr,
			    sent, cfg->ack_limit_period);
			continue;
		}
		to[(*n_r)++] = all[i];
	}
	return 0;
}

static char *
join_addrs(const struct compose_addr *to, size_t n)
{
	struct pd_buf b;

	pd_buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < n; i++)
		pd_buf_printf(&b, "%s%s", i > 0 ? " " : "", to[i].addr);
	return pd_buf_steal(&b);
}

/* Write f->mail to the ticket's customers and record event (NULL: none)
 * with them as detail; when the loop rules leave nobody, record
 * mail-suppressed instead. Nothing without smtp. 0, or -1. */
static int
customer_mail(struct fire *f, struct answer_followup_mail *mail, const char *event)
{
	struct compose_addr to[MAX_RCPT];
	struct threading th;
	const char *why;
	char *who, *detail;
	size_t n;
	int rc;

	if (f->ig->answers == NULL)
		return 0;
	if (customers_of(f, to, &n, &why) < 0)
		return -1;
	if (n == 0) {
		detail = xasprintf("%s: %s", mail->kind, why);
		log_info("timers: ticket=%" PRId64 " no %s sent: %s", f->t->id, mail->kind, why);
		rc = store_event_add(f->ig->st, f->t->id, "mail-suppressed", NULL, detail, f->now);
		free(detail);
		return rc;
	}
	threading_of(f->t, true, &th);
	mail->to = to;
	mail->nto = n;
	mail->in_reply_to = th.in_reply_to;
	mail->refs = th.refs;
	mail->nrefs = th.nrefs;
	if ((rc = answer_followup(f->ig, f->t, mail, f->now)) <= 0)
		return rc;	/* nothing sent, nothing to record */
	for (size_t i = 0; i < n; i++)
		if (store_ack_add(f->ig->st, to[i].addr, f->now) < 0)
			return -1;
	if (event == NULL)
		return 0;
	who = join_addrs(to, n);
	rc = store_event_add(f->ig->st, f->t->id, event, NULL, who, f->now);
	free(who);
	return rc;
}

/* Write mail to agents (to, n) in the default language. 0, or -1. */
static int
agent_mail(struct fire *f, struct answer_followup_mail *mail, const struct compose_addr *to,
    size_t n)
{
	const struct pd_agent *a = f->t->assignee ? thread_agent(f->ig->cfg, f->t->assignee) : NULL;
	struct threading th;

	if (f->ig->answers == NULL || n == 0)
		return 0;
	threading_of(f->t, false, &th);
	mail->to = to;
	mail->nto = n;
	mail->lang = f->ig->cfg->default_language;
	mail->in_reply_to = th.in_reply_to;
	mail->refs = th.refs;
	mail->nrefs = th.nrefs;
	mail->agent_name = a != NULL ? a->name : f->t->assignee;
	return answer_followup(f->ig, f->t, mail, f->now) < 0 ? -1 : 0;
}

static void
format_time(const struct fire *f, int64_t at, const char *lang, char *buf, size_t size)
{
	bizhours_format(config_queue_hours(f->ig->cfg, f->q), at,
	    lang ? lang : f->ig->cfg->default_language, buf, size);
}

/* When the customer should hear from us next: the earliest response
 * breach still waiting; 0 when none. */
static int
next_answer_due(struct fire *f, int64_t *due_r)
{
	*due_r = 0;
	for (int i = T_FIRST; i <= T_NEXT; i++) {
		int64_t due;
		int found = store_timer_waiting(f->ig->st, f->t->id, targets[i].breach, &due);

		if (found < 0)
			return -1;
		if (found > 0 && (*due_r == 0 || due < *due_r))
			*due_r = due;
	}
	return 0;
}

/* --- firing: one handler per kind ---------------------------------------------
 * handler(f, false): 1 when the ticket still calls for the timer, 0 when
 * not, -1 on error; handler(f, true): act (0 or -1). */

typedef int fire_fn(struct fire *f, bool act);

static int
fire_sla(struct fire *f, bool act)
{
	const struct pd_config *cfg = f->ig->cfg;
	const struct target *tg = NULL;
	struct compose_addr to[MAX_RCPT];
	struct answer_followup_mail mail;
	char due[96];
	bool breach = false;
	int64_t secs, due_at;
	size_t n;

	for (int i = 0; i < NTARGETS; i++)
		if (is(f->tm->kind, targets[i].warning) || is(f->tm->kind, targets[i].breach)) {
			tg = &targets[i];
			breach = is(f->tm->kind, targets[i].breach);
		}
	if (!act) {
		/* answered, or done, in time: nothing to say */
		if (tg == NULL || done_status(f->t->status))
			return 0;
		if (tg == &targets[T_FIRST] && f->t->first_response_at != 0)
			return 0;
		if (tg == &targets[T_NEXT] && event_since(f->t, "replied", f->tm->created_at))
			return 0;
		return 1;
	}
	n = agents_of(f, to);
	if (breach && f->q->supervisor != NULL)
		add_rcpt(cfg, to, &n, NULL, f->q->supervisor);
	/* The warning tells when the breach comes. */
	secs = target_secs(f->q, tg);
	due_at = breach || secs <= 0 ? f->tm->due_at :
	    bizhours_add(config_queue_hours(cfg, f->q), f->tm->created_at, secs);
	format_time(f, due_at, cfg->default_language, due, sizeof(due));
	memset(&mail, 0, sizeof(mail));
	mail.what = breach ? ANSWER_SLA_BREACH : ANSWER_SLA_WARNING;
	mail.kind = breach ? "sla-breach" : "sla-warning";
	mail.due = due;
	mail.sla = tg->name;
	if (agent_mail(f, &mail, to, n) < 0)
		return -1;
	log_info("timers: ticket=%" PRId64 " %s %s (due %s), %zu recipient%s", f->t->id,
	    tg->name, breach ? "breached" : "at 80%", due, n, n == 1 ? "" : "s");
	return store_event_add(f->ig->st, f->t->id, breach ? "sla-breach" : "sla-warning", NULL,
	    tg->name, f->now);
}

static int
fire_remind(struct fire *f, bool act)
{
	const struct pd_config *cfg = f->ig->cfg;
	const char *agent = f->tm->actor ? f->tm->actor : f->t->assignee;
	struct answer_followup_mail mail;
	struct compose_addr to[1];
	char due[96] = "";
	int64_t due_at;
	size_t n = 0;

	if (!act)
		return 1;	/* the agent asked: always */
	if (next_answer_due(f, &due_at) < 0)
		return -1;
	if (agent != NULL) {
		const struct pd_agent *a = thread_agent(cfg, agent);

		if (due_at != 0)
			format_time(f, due_at, cfg->default_language, due, sizeof(due));
		add_rcpt(cfg, to, &n, a ? a->name : NULL, agent);
		memset(&mail, 0, sizeof(mail));
		mail.what = ANSWER_REMIND;
		mail.kind = "reminder";
		mail.due = due[0] ? due : NULL;
		if (agent_mail(f, &mail, to, n) < 0)
			return -1;
	}
	log_info("timers: ticket=%" PRId64 " reminded %s", f->t->id, agent ? agent : "nobody");
	if (store_event_add(f->ig->st, f->t->id, "reminded", NULL, agent, f->now) < 0)
		return -1;
	/* The promise to the customer: still no answer since the #remind? */
	if (!f->q->still_working || !(is(f->t->status, "new") || is(f->t->status, "open")) ||
	    event_since(f->t, "replied", f->tm->created_at))
		return 0;
	due[0] = '\0';
	if (due_at != 0)
		format_time(f, due_at, f->t->language, due, sizeof(due));
	memset(&mail, 0, sizeof(mail));
	mail.what = ANSWER_STILL_WORKING;
	mail.kind = "still-working";
	mail.due = due[0] ? due : NULL;
	return customer_mail(f, &mail, "still-working");
}

/* Still pending, and no word from the customer since it went pending. */
static bool
still_pending(const struct fire *f)
{
	return is(f->t->status, "pending") && !customer_wrote_since(f->t, f->tm->created_at);
}

static int
fire_pending_reminder(struct fire *f, bool act)
{
	struct answer_followup_mail mail;
	char when[96] = "";
	int64_t close_at;
	int found;

	if (!act)
		return still_pending(f);
	found = store_timer_waiting(f->ig->st, f->t->id, "pending-close", &close_at);
	if (found < 0)
		return -1;
	if (found > 0)
		format_time(f, close_at, f->t->language, when, sizeof(when));
	memset(&mail, 0, sizeof(mail));
	mail.what = ANSWER_PENDING_REMINDER;
	mail.kind = "pending-reminder";
	mail.remind_date = when[0] ? when : NULL;
	log_info("timers: ticket=%" PRId64 " pending since %" PRId64 ": reminding the customer",
	    f->t->id, f->tm->created_at);
	return customer_mail(f, &mail, "pending-reminder");
}

static int
fire_pending_close(struct fire *f, bool act)
{
	struct answer_followup_mail mail;
	struct store *st = f->ig->st;

	if (!act)
		return still_pending(f);
	if (store_ticket_set_status(st, f->t->id, "closed", f->now) < 0 ||
	    store_event_add(st, f->t->id, "autoclosed", NULL, NULL, f->now) < 0 ||
	    timers_status_changed(st, f->ig->cfg, f->t->id, "pending", "closed", f->now) < 0)
		return -1;
	log_info("timers: ticket=%" PRId64 " closed: no reply from the customer", f->t->id);
	memset(&mail, 0, sizeof(mail));
	mail.what = ANSWER_AUTOCLOSE;
	mail.kind = "autoclose";
	return customer_mail(f, &mail, NULL);
}

/* mailto:SUPPORT?subject=Re: [Tag #N] rating S, percent-encoded; the
 * caller frees it. The tag threads it; rating.c reads the score. */
static char *
rating_link(const struct pd_config *cfg, int64_t ticket, int score)
{
	char *subject = xasprintf("Re: [%s #%" PRId64 "] rating %d", cfg->tag, ticket, score);
	struct pd_buf b;

	pd_buf_init(&b, 4096);
	pd_buf_printf(&b, "mailto:%s?subject=", cfg->smtp.from_addr);
	for (const unsigned char *p = (const unsigned char *)subject; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			pd_buf_addc(&b, (char)*p);
		else
			pd_buf_printf(&b, "%%%02X", *p);
	}
	free(subject);
	return pd_buf_steal(&b);
}

static int
fire_survey(struct fire *f, bool act)
{
	struct answer_followup_mail mail;
	char *good, *bad;
	int rc;

	if (!act)
		return is(f->t->status, "resolved") && f->q->survey && f->t->satisfaction == 0;
	good = rating_link(f->ig->cfg, f->t->id, 5);
	bad = rating_link(f->ig->cfg, f->t->id, 1);
	memset(&mail, 0, sizeof(mail));
	mail.what = ANSWER_SURVEY;
	mail.kind = "survey";
	mail.survey_good = good;
	mail.survey_bad = bad;
	log_info("timers: ticket=%" PRId64 " resolved: asking for a rating", f->t->id);
	rc = customer_mail(f, &mail, "survey-sent");
	free(good);
	free(bad);
	return rc;
}

static fire_fn *
handler_of(const char *kind)
{
	static const struct {
		const char *kind;
		fire_fn *fn;
	} h[] = {
		{ "remind", fire_remind },
		{ "pending-reminder", fire_pending_reminder },
		{ "pending-close", fire_pending_close },
		{ "survey", fire_survey },
	};

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (is(kind, h[i].kind))
			return h[i].fn;
	for (int i = 0; i < NTARGETS; i++)
		if (is(kind, targets[i].warning) || is(kind, targets[i].breach))
			return fire_sla;
	return NULL;
}

/* --- firing: the loop ---------------------------------------------------------- */

struct due_batch {
	struct due_timer v[TIMERS_BATCH];
	size_t n;
};

static int
collect(const struct store_timer *t, void *arg)
{
	struct due_batch *b = arg;
	struct due_timer *d = &b->v[b->n++];

	d->id = t->id;
	d->ticket = t->ticket;
	d->due_at = t->due_at;
	d->created_at = t->created_at;
	d->kind = xstrdup(t->kind);
	d->actor = t->actor ? xstrdup(t->actor) : NULL;
	return b->n == TIMERS_BATCH;
}

static void
batch_free(struct due_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].kind);
		free(b->v[i].actor);
	}
	b->n = 0;
}

/* Check, mark and act on one timer in one transaction. 1 fired, 0
 * skipped (or fired elsewhere), -1 on a store error (rolled back). */
static int
fire_one(struct ingest *ig, const struct due_timer *tm, int64_t now)
{
	struct store_ticket_view t;
	struct fire f = { ig, tm, &t, NULL, now };
	fire_fn *fn = handler_of(tm->kind);
	int found, will = 0, claimed;

	if (store_begin(ig->st) < 0)
		return -1;
	found = store_ticket_get(ig->st, tm->ticket, 0, &t);
	if (found < 0)
		goto fail;
	if (found > 0 && fn != NULL) {
		f.q = queue_or_first(ig->cfg, t.queue);
		if ((will = fn(&f, false)) < 0)
			goto fail;
	} else if (fn == NULL)
		log_warn("timers: ticket=%" PRId64 " timer %" PRId64 " of unknown kind '%s' "
		    "skipped", tm->ticket, tm->id, tm->kind);
	claimed = store_timer_done(ig->st, tm->id, will ? "fired" : "skipped", now);
	if (claimed < 0)
		goto fail;
	if (claimed == 0) {
		/* another postdesk process took it meanwhile */
		store_rollback(ig->st);
		store_ticket_view_free(&t);
		return 0;
	}
	if (will && fn(&f, true) < 0)
		goto fail;
	store_ticket_view_free(&t);
	if (store_commit(ig->st) < 0)
		return -1;
	if (!will)
		log_debug("timers: ticket=%" PRId64 " %s due %" PRId64 ": nothing left to do",
		    tm->ticket, tm->kind, tm->due_at);
	return will ? 1 : 0;
fail:
	store_ticket_view_free(&t);
	store_rollback(ig->st);
	return -1;
}

/* A timer that cannot be acted on for good: mark it so, to go on with
 * the others. */
static int
give_up(struct ingest *ig, const struct due_timer *tm, int64_t now)
{
	log_error("timers: ticket=%" PRId64 " timer %" PRId64 " (%s) failed: %s; skipped",
	    tm->ticket, tm->id, tm->kind, store_error(ig->st));
	if (store_begin(ig->st) < 0)
		return -1;
	if (store_timer_done(ig->st, tm->id, "skipped", now) < 0) {
		store_rollback(ig->st);
		return -1;
	}
	return store_commit(ig->st);
}

int
timers_run(struct ingest *ig, int64_t now, struct timers_stats *stats, char **error_r)
{
	struct due_batch b = { .n = 0 };

	for (;;) {
		size_t got;

		if (store_timer_due(ig->st, now, TIMERS_BATCH, collect, &b) < 0) {
			batch_free(&b);
			goto fail;
		}
		got = b.n;
		for (size_t i = 0; i < b.n; i++) {
			int r = fire_one(ig, &b.v[i], now);

			if (r > 0)
				stats->fired++;
			else if (r == 0)
				stats->skipped++;
			else if (!store_error_temporary(ig->st) && give_up(ig, &b.v[i], now) == 0)
				stats->failed++;
			else {
				batch_free(&b);
				goto fail;
			}
		}
		batch_free(&b);
		if (got < TIMERS_BATCH)
			return 0;
	}
fail:
	*error_r = xasprintf("timers: %s", store_error(ig->st));
	return -1;
}

int
timers_next(struct store *st, int64_t *at_r)
{
	return store_timer_next(st, at_r);
}
