/* answer.c: see answer.h. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "postdesk/agent.h"
#include "postdesk/answer.h"
#include "postdesk/bizhours.h"
#include "postdesk/buf.h"
#include "postdesk/compose.h"
#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/msg.h"
#include "postdesk/ourid.h"
#include "postdesk/route.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/template.h"
#include "postdesk/thread.h"
#include "postdesk/timers.h"
#include "postdesk/xalloc.h"

static const char *const langs[] = { "en", "cs", "sk", "pl", "hu" };
/* The first four are answer.c's own; the rest, in the order of enum
 * answer_followup (answer.h), are the timers stage's. */
enum {
	T_ACK, T_NOTIFY_NEW, T_NOTIFY_REPLY, T_REPLY,
	T_FOLLOWUP,
	T_COUNT = T_FOLLOWUP + ANSWER_FOLLOWUP_COUNT
};
static const char *const tnames[T_COUNT] = {
	"ack", "notify-new", "notify-reply", "reply",
	[T_FOLLOWUP + ANSWER_PENDING_REMINDER] = "pending-reminder",
	[T_FOLLOWUP + ANSWER_AUTOCLOSE] = "autoclose",
	[T_FOLLOWUP + ANSWER_STILL_WORKING] = "still-working",
	[T_FOLLOWUP + ANSWER_SURVEY] = "survey",
	[T_FOLLOWUP + ANSWER_SLA_WARNING] = "escalation-warning",
	[T_FOLLOWUP + ANSWER_SLA_BREACH] = "escalation-breach",
	[T_FOLLOWUP + ANSWER_REMIND] = "remind",
};
#define NLANG (sizeof(langs) / sizeof(langs[0]))
#define MAX_RCPT 64

/* An acknowledgement template chosen by name: a queue's ack_template or
 * a routing rule's template, e.g. "ack-vip" for DIR/<lang>/ack-vip.txt. */
struct named_tpl {
	char *name;
	struct tpl *t[NLANG];	/* NULL: that language lacks it */
};

struct answers {
	struct tpl *t[NLANG][T_COUNT];	/* NULL: that language lacks it */
	struct named_tpl *named;	/* the names other than "ack" */
	size_t nnamed;
};

/* A template name is a file name in each language's directory: letters,
 * digits, '-' and '_' only, so that no name reaches outside it. */
static bool
tpl_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 64 && strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static const struct named_tpl *
named_find(const struct answers *a, const char *name)
{
	for (size_t i = 0; i < a->nnamed; i++)
		if (strcmp(a->named[i].name, name) == 0)
			return &a->named[i];
	return NULL;
}

/* Load the template called name (what = where the config names it, for
 * the error) in every language that has it; at least one must. */
static int
named_load(struct answers *a, const struct pd_config *cfg, const char *name,
    const char *what, char **error_r)
{
	struct named_tpl *nt;
	size_t have = 0;

	if (name == NULL || strcmp(name, "ack") == 0 || named_find(a, name) != NULL)
		return 0;
	if (!tpl_name_ok(name)) {
		*error_r = xasprintf("%s: template '%s': a name may hold only letters, "
		    "digits, '-' and '_'", what, name);
		return -1;
	}
	a->named = xrealloc(a->named, (a->nnamed + 1) * sizeof(*a->named));
	nt = &a->named[a->nnamed++];
	memset(nt, 0, sizeof(*nt));
	nt->name = xstrdup(name);
	for (size_t l = 0; l < NLANG; l++) {
		char *path = xasprintf("%s/%s/%s.txt", cfg->templates_dir, langs[l], name);
		int rc = 0;

		if (access(path, F_OK) == 0) {
			rc = tpl_load(path, tpl_variables, &nt->t[l], error_r);
			have++;
		}
		free(path);
		if (rc < 0)
			return -1;
	}
	if (have == 0) {
		*error_r = xasprintf("%s: template '%s': no %s/<language>/%s.txt in any "
		    "language", what, name, cfg->templates_dir, name);
		return -1;
	}
	return 0;
}

/* Every acknowledgement template the queues and rules name. */
static int
named_load_all(struct answers *a, const struct pd_config *cfg, char **error_r)
{
	char what[160];

	for (size_t i = 0; i < cfg->nqueues; i++) {
		snprintf(what, sizeof(what), "queue %s, ack_template", cfg->queues[i].name);
		if (named_load(a, cfg, cfg->queues[i].ack_template, what, error_r) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->nrules; i++) {
		snprintf(what, sizeof(what), "rule %s, template",
		    cfg->rules[i].name ? cfg->rules[i].name : "(unnamed)");
		if (named_load(a, cfg, cfg->rules[i].template, what, error_r) < 0)
			return -1;
	}
	return 0;
}

int
answers_load(const struct pd_config *cfg, struct answers **a_r, char **error_r)
{
	struct answers *a;
	size_t have = 0;

	*a_r = NULL;
	if (!cfg->has_smtp)
		return 0;
	a = xcalloc(1, sizeof(*a));
	for (size_t l = 0; l < NLANG; l++) {
		for (int n = 0; n < T_COUNT; n++) {
			char *path = xasprintf("%s/%s/%s.txt", cfg->templates_dir, langs[l], tnames[n]);

			if (access(path, F_OK) == 0) {
				if (tpl_load(path, tpl_variables, &a->t[l][n], error_r) < 0) {
					free(path);
					answers_free(&a);
					return -1;
				}
				have++;
			}
			free(path);
		}
	}
	if (have == 0) {
		*error_r = xasprintf("%s: no templates (expected %s/en/ack.txt and the rest; "
		    "set templates.dir)", cfg->templates_dir, cfg->templates_dir);
		answers_free(&a);
		return -1;
	}
	if (named_load_all(a, cfg, error_r) < 0) {
		answers_free(&a);
		return -1;
	}
	*a_r = a;
	return 0;
}

void
answers_free(struct answers **ap)
{
	struct answers *a = *ap;

	if (a == NULL)
		return;
	for (size_t l = 0; l < NLANG; l++)
		for (int n = 0; n < T_COUNT; n++)
			tpl_free(&a->t[l][n]);
	for (size_t i = 0; i < a->nnamed; i++) {
		for (size_t l = 0; l < NLANG; l++)
			tpl_free(&a->named[i].t[l]);
		free(a->named[i].name);
	}
	free(a->named);
	free(a);
	*ap = NULL;
}

/* The template in the ticket's language, else the default language's,
 * else English's; named (when not NULL) instead of the fixed one. */
static const struct tpl *
pick_in(const struct answers *a, const struct named_tpl *named, const char *lang,
    const char *dflt, int name)
{
	const char *want[3] = { lang, dflt, "en" };

	for (int w = 0; w < 3; w++)
		for (size_t l = 0; want[w] != NULL && l < NLANG; l++) {
			const struct tpl *t = named ? named->t[l] : a->t[l][name];

			if (strcmp(langs[l], want[w]) == 0 && t != NULL)
				return t;
		}
	return NULL;
}

static const struct tpl *
pick(const struct answers *a, const char *lang, const char *dflt, int name)
{
	return pick_in(a, NULL, lang, dflt, name);
}

/* The values a template may use. */
struct vars {
	const char *customer_name, *customer_email;
	char ticket_id[24], tag[96], due[96];
	const char *ticket_subject, *ticket_status, *ticket_queue, *ticket_priority;
	const char *agent_name, *support_name, *support_email, *message_text;
	const char *survey_good, *survey_bad, *remind_date;
	const char *sla_first_response, *sla_next_response, *sla_resolution;
};

static const char *
lookup(const char *name, void *arg)
{
	const struct vars *v = arg;
	static const struct {
		const char *name;
		size_t off;
		bool array;
	} map[] = {
#define S(n, f) { n, offsetof(struct vars, f), false }
#define A(n, f) { n, offsetof(struct vars, f), true }
		S("customer.name", customer_name), S("customer.email", customer_email),
		A("ticket.id", ticket_id), A("ticket.tag", tag), A("ticket.due", due),
		S("ticket.subject", ticket_subject), S("ticket.status", ticket_status),
		S("ticket.queue", ticket_queue), S("ticket.priority", ticket_priority),
		S("agent.name", agent_name), S("support.name", support_name),
		S("support.email", support_email), S("message.text", message_text),
		S("survey.good", survey_good), S("survey.bad", survey_bad),
		S("remind.date", remind_date), S("sla.first_response", sla_first_response),
		S("sla.next_response", sla_next_response), S("sla.resolution", sla_resolution),
#undef S
#undef A
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].name, name) != 0)
			continue;
		if (map[i].array) {
			const char *s = (const char *)v + map[i].off;

			return *s ? s : NULL;
		}
		return *(const char *const *)((const char *)v + map[i].off);
	}
	return NULL;
}

static const struct pd_queue *
queue_of(const struct pd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, name) == 0)
			return &cfg->queues[i];
	return &cfg->queues[0];
}

static bool
agent_in_queue(const struct pd_agent *a, const char *queue)
{
	if (a->queues == NULL || a->nqueues == 0)
		return true;
	for (size_t i = 0; i < a->nqueues; i++)
		if (strcmp(a->queues[i], queue) == 0)
			return true;
	return false;
}

/* What one outgoing mail needs besides the template. */
struct out {
	const char *kind;
	int tpl;
	const struct named_tpl *named;	/* instead of tpl, when not NULL */
	const char *lang;	/* NULL: the ticket's */
	struct compose_addr from;
	bool reply_to_support;
	const struct compose_addr *to;
	size_t nto;
	bool automatic;
	const char *env_from;
	const char *in_reply_to;
	const char *const *refs;
	size_t nrefs;
};

/* Render, compose, store as a message of the ticket and queue it. */
static int
send_mail(struct ingest *ig, const struct store_ticket_view *t, const struct vars *v,
    const struct out *o, int64_t now)
{
	const struct pd_config *cfg = ig->cfg;
	const struct tpl *tp = pick_in(ig->answers, o->named, o->lang ? o->lang : t->language,
	    cfg->default_language, o->tpl);
	const char *tname = o->named ? o->named->name : tnames[o->tpl];
	struct compose_addr support = { cfg->smtp.from_name, cfg->smtp.from_addr };
	unsigned char guid[16], digest[32];
	struct pd_buf rcpt;
	char *subject = NULL, *body = NULL, *raw, *id, *seed;
	const char *domain = strrchr(cfg->smtp.from_addr, '@');
	size_t len;
	int64_t mid;
	int rc;

	if (tp == NULL) {
		log_warn("answer: ticket=%" PRId64 " no %s template for language %s; nothing "
		    "sent", t->id, tname, t->language ? t->language : "-");
		return 0;
	}
	if (tpl_render(tp, lookup, (void *)v, &subject, &body) < 0) {
		log_error("answer: ticket=%" PRId64 " cannot render %s", t->id, tname);
		return 0;
	}
	/* A stable GUID per ticket for Outlook's conversation view. */
	seed = xasprintf("thread.%" PRId64, t->id);
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, ig->key.key, ig->key.len, seed, strlen(seed), digest);
	memcpy(guid, digest, sizeof(guid));
	free(seed);
	id = ourid_make(&ig->key, t->id, domain ? domain + 1 : "postdesk.invalid");
	{
		struct compose c = {
			.from = o->from, .reply_to = o->reply_to_support ? &support : NULL,
			.to = o->to, .nto = o->nto,
			.subject = subject ? subject : t->subject, .message_id = id,
			.in_reply_to = o->in_reply_to, .references = o->refs, .nreferences = o->nrefs,
			.date = now, .automatic = o->automatic, .thread_topic = t->subject,
			.thread_guid = guid, .thread_started = t->created_at, .body = body,
		};

		raw = compose_message(&c, &len);
	}
	{
		struct store_message sm = {
			.ticket_id = t->id, .direction = "out", .kind = o->kind,
			.message_id = id, .in_reply_to = o->in_reply_to,
			.from_addr = cfg->smtp.from_addr, .from_name = o->from.name,
			.subject = subject ? subject : t->subject, .date = now, .thread_via = "ours",
			.text = body, .text_new = body, .raw = raw, .raw_len = len,
		};

		rc = store_message_add(ig->st, &sm, NULL, &mid);
	}
	pd_buf_init(&rcpt, 64 * 1024);
	for (size_t i = 0; i < o->nto; i++) {
		if (i > 0)
			pd_buf_addc(&rcpt, ' ');
		pd_buf_adds(&rcpt, o->to[i].addr);
	}
	if (rc == 0) {
		struct store_outbox ob = { .ticket = t->id, .message = mid, .kind = o->kind,
			.env_from = o->env_from, .rcpt = pd_buf_str(&rcpt), .at = now };

		rc = store_outbox_add(ig->st, &ob, NULL);
	}
	if (rc == 0)
		log_info("answer: ticket=%" PRId64 " queued %s to %s msgid=<%s>", t->id, o->kind,
		    pd_buf_str(&rcpt), id);
	pd_buf_free(&rcpt);
	free(raw);
	free(id);
	free(subject);
	free(body);
	return rc;
}

static void
vars_fill(struct vars *v, const struct pd_config *cfg, const struct store_ticket_view *t,
    const char *text, int64_t now)
{
	const struct pd_queue *q = queue_of(cfg, t->queue);

	memset(v, 0, sizeof(*v));
	v->customer_name = t->requester_name;
	v->customer_email = t->requester_addr;
	snprintf(v->ticket_id, sizeof(v->ticket_id), "%" PRId64, t->id);
	snprintf(v->tag, sizeof(v->tag), "[%s #%" PRId64 "]", cfg->tag, t->id);
	if (q->sla.first_response > 0) {
		const struct pd_business_hours *bh = config_queue_hours(cfg, q);

		bizhours_format(bh, bizhours_add(bh, now, q->sla.first_response),
		    t->language ? t->language : cfg->default_language, v->due, sizeof(v->due));
	}
	v->ticket_subject = t->subject;
	v->ticket_status = t->status;
	v->ticket_queue = t->queue;
	v->ticket_priority = t->priority;
	v->support_name = cfg->smtp.from_name ? cfg->smtp.from_name : cfg->smtp.from_addr;
	v->support_email = cfg->smtp.from_addr;
	v->message_text = text;
}

/* The sender of automatic mail: a bounce address postdesk reads (so
 * bounces come back as bounces), or the null reverse-path (RFC 3834 3.3). */
static const char *
auto_sender(const struct pd_config *cfg)
{
	return cfg->smtp.bounce_address ? cfg->smtp.bounce_address : "";
}

static bool
may_ack(struct ingest *ig, const struct msg *m, int64_t now, int *err)
{
	int64_t n = 0;

	*err = 0;
	if (m->bulk || m->auto_reply || m->machine || m->bounce || m->from.addr == NULL ||
	    thread_addr_is_ours(ig->cfg, m->from.addr))
		return false;
	if (store_ack_count(ig->st, m->from.addr, now - ig->cfg->ack_limit_period, &n) < 0) {
		*err = -1;
		return false;
	}
	if (n >= ig->cfg->ack_limit_count) {
		log_info("answer: msgid=<%s> from=%s had %" PRId64 " acknowledgements within "
		    "%" PRId64 " s; no more (ack_limit)", m->message_id, m->from.addr, n,
		    ig->cfg->ack_limit_period);
		return false;
	}
	return true;
}

static int
notify_agents(struct ingest *ig, const struct msg *m, const struct store_ticket_view *t,
    bool created, const char *refs[], size_t nrefs, const struct route_result *rr, int64_t now)
{
	const struct pd_config *cfg = ig->cfg;
	struct compose_addr to[MAX_RCPT];
	size_t n = 0;
	struct vars v;
	char *from_name;
	int rc;

	for (size_t i = 0; i < cfg->nagents && n < MAX_RCPT; i++) {
		const struct pd_agent *a = &cfg->agents[i];

		if (t->assignee != NULL && strcasecmp(t->assignee, a->email) != 0)
			continue;
		if (t->assignee == NULL && !agent_in_queue(a, t->queue))
			continue;
		to[n].name = a->name;
		to[n].addr = a->email;
		n++;
	}
	for (size_t i = 0; rr != NULL && i < rr->nnotify && n < MAX_RCPT; i++) {
		to[n].name = NULL;
		to[n].addr = rr->notify[i];
		n++;
	}
	if (n == 0)
		return 0;
	vars_fill(&v, cfg, t, m->text_new[0] ? m->text_new : m->text, now);
	from_name = xasprintf("%s via %s", m->from.name ? m->from.name : m->from.addr,
	    cfg->smtp.from_name ? cfg->smtp.from_name : "Support");
	{
		struct out o = {
			.kind = "notification", .tpl = created ? T_NOTIFY_NEW : T_NOTIFY_REPLY,
			.from = { from_name, cfg->smtp.from_addr }, .reply_to_support = true,
			.to = to, .nto = n, .automatic = true, .env_from = auto_sender(cfg),
			.in_reply_to = m->message_id, .refs = refs, .nrefs = nrefs,
		};

		rc = send_mail(ig, t, &v, &o, now);
	}
	free(from_name);
	return rc;
}

/* An agent's answer goes to the customers of the ticket. */
static int
relay_reply(struct ingest *ig, const struct msg *m, const struct store_ticket_view *t,
    const char *text, int64_t now)
{
	const struct pd_config *cfg = ig->cfg;
	const struct pd_agent *agent = thread_agent(cfg, m->from.addr);
	struct compose_addr to[MAX_RCPT];
	const char *refs[12];
	const char *last_in = NULL;
	size_t n = 0, nrefs = 0;
	struct vars v;
	char *from_name;
	int rc;

	if (text == NULL || text[0] == '\0')
		return 0;	/* nothing new to say (commands only, or empty) */
	for (size_t i = 0; i < t->nparticipants && n < MAX_RCPT; i++) {
		const struct store_participant_view *p = &t->participants[i];

		if (strcmp(p->role, "agent") == 0 || p->failing ||
		    thread_agent(cfg, p->addr) || thread_addr_is_ours(cfg, p->addr))
			continue;
		to[n].name = p->name;
		to[n].addr = p->addr;
		n++;
	}
	if (n == 0)
		return 0;
	/* Thread under the customer's last message, referring to the
	 * ticket's history (the first message and the latest ones). */
	for (size_t i = 0; i < t->nmessages; i++) {
		const struct store_message_view *mv = &t->messages[i];

		if (strcmp(mv->direction, "in") == 0 && strcmp(mv->kind, "customer") == 0)
			last_in = mv->message_id;
		if (i == 0 || i + 10 >= t->nmessages)
			if (nrefs < 12 && strcmp(mv->message_id, m->message_id) != 0)
				refs[nrefs++] = mv->message_id;
	}
	vars_fill(&v, cfg, t, text, now);
	v.agent_name = agent ? agent->name : m->from.name;
	from_name = xasprintf("%s (%s)", v.agent_name ? v.agent_name : m->from.addr,
	    cfg->smtp.from_name ? cfg->smtp.from_name : "Support");
	{
		struct out o = {
			.kind = "reply", .tpl = T_REPLY,
			.from = { from_name, cfg->smtp.from_addr }, .reply_to_support = true,
			.to = to, .nto = n, .automatic = false, .env_from = cfg->smtp.from_addr,
			.in_reply_to = last_in, .refs = refs, .nrefs = nrefs,
		};

		rc = send_mail(ig, t, &v, &o, now);
	}
	/* The queue's other agents see what their colleague answered (not
	 * the agent who wrote it: they know). */
	if (rc == 0 && queue_of(cfg, t->queue)->copy_replies) {
		struct compose_addr cc[MAX_RCPT];
		size_t nc = 0;

		for (size_t i = 0; i < cfg->nagents && nc < MAX_RCPT; i++) {
			const struct pd_agent *a = &cfg->agents[i];

			if (strcasecmp(a->email, m->from.addr) == 0 || !agent_in_queue(a, t->queue))
				continue;
			cc[nc].name = a->name;
			cc[nc].addr = a->email;
			nc++;
		}
		if (nc > 0) {
			struct out o = {
				.kind = "copy", .tpl = T_REPLY,
				.from = { from_name, cfg->smtp.from_addr }, .reply_to_support = true,
				.to = cc, .nto = nc, .automatic = true, .env_from = auto_sender(cfg),
				.in_reply_to = last_in, .refs = refs, .nrefs = nrefs,
			};

			rc = send_mail(ig, t, &v, &o, now);
		}
	}
	free(from_name);
	/* The answer leaves the ticket waiting on the customer, unless the
	 * agent's own command closed or resolved it. */
	if (rc == 0 && (strcmp(t->status, "new") == 0 || strcmp(t->status, "open") == 0)) {
		rc = store_ticket_set_status(ig->st, t->id, "pending", now);
		if (rc == 0)
			rc = timers_status_changed(ig->st, cfg, t->id, t->status, "pending", now);
	}
	/* The promise of an answer is kept. */
	if (rc == 0)
		rc = timers_agent_answered(ig->st, cfg, t->id, now);
	if (rc == 0)
		rc = store_ticket_first_response(ig->st, t->id, now);
	if (rc == 0)
		rc = store_event_add(ig->st, t->id, "replied", m->from.addr, NULL, now);
	return rc;
}

/* The agent's commands could not be applied: tell them what and why
 * (plain text: it goes to a colleague, not to a customer). */
static int
tell_agent(struct ingest *ig, const struct msg *m, const struct store_ticket_view *t,
    const char *errors, int64_t now)
{
	const struct pd_config *cfg = ig->cfg;
	struct compose_addr to = { m->from.name, m->from.addr };
	struct compose_addr from = { cfg->smtp.from_name, cfg->smtp.from_addr };
	const char *refs[1] = { m->message_id };
	const char *domain = strrchr(cfg->smtp.from_addr, '@');
	char *subject = xasprintf("Not done: [%s #%" PRId64 "] %s", cfg->tag, t->id, t->subject);
	char *body = xasprintf("Nothing of your mail was applied to ticket %" PRId64
	    " and nothing was sent to the customer:\n\n%s\n"
	    "Correct the commands and send the mail again.\n", t->id, errors);
	char *id = ourid_make(&ig->key, t->id, domain ? domain + 1 : "postdesk.invalid");
	struct compose c = {
		.from = from, .to = &to, .nto = 1, .subject = subject, .message_id = id,
		.in_reply_to = m->message_id, .references = refs, .nreferences = 1,
		.date = now, .automatic = true, .body = body,
	};
	size_t len;
	char *raw = compose_message(&c, &len);
	struct store_message sm = {
		.ticket_id = t->id, .direction = "out", .kind = "command-error",
		.message_id = id, .in_reply_to = m->message_id, .from_addr = cfg->smtp.from_addr,
		.subject = subject, .date = now, .thread_via = "ours", .text = body,
		.text_new = body, .raw = raw, .raw_len = len,
	};
	int64_t mid;
	int rc = store_message_add(ig->st, &sm, NULL, &mid);

	if (rc == 0) {
		struct store_outbox ob = { .ticket = t->id, .message = mid, .kind = "command-error",
			.env_from = auto_sender(cfg), .rcpt = m->from.addr, .at = now };

		rc = store_outbox_add(ig->st, &ob, NULL);
	}
	if (rc == 0)
		rc = store_event_add(ig->st, t->id, "commands-refused", m->from.addr, errors, now);
	free(raw);
	free(id);
	free(body);
	free(subject);
	return rc;
}

/* The acknowledgement a rule or the ticket's queue names instead of
 * "ack"; NULL: the standard one. */
static const struct named_tpl *
ack_named(const struct ingest *ig, const struct route_result *rr,
    const struct store_ticket_view *t)
{
	const struct pd_queue *q = config_queue(ig->cfg, t->queue);
	const char *name = rr != NULL && rr->template != NULL ? rr->template :
	    q != NULL ? q->ack_template : NULL;

	return name != NULL ? named_find(ig->answers, name) : NULL;
}

int
answer_message(struct ingest *ig, const struct msg *m, const char *kind, int64_t ticket,
    bool created, int64_t now, const struct route_result *rr, const struct agent_outcome *ao)
{
	struct store_ticket_view t;
	const char *refs[34];
	size_t nrefs = 0;
	int found, rc = 0, err = 0;

	if (ig->answers == NULL || ticket == 0)
		return 0;
	if (strcmp(kind, "customer") != 0 && strcmp(kind, "agent") != 0)
		return 0;
	found = store_ticket_get(ig->st, ticket, 0, &t);
	if (found <= 0)
		return found < 0 ? -1 : 0;
	for (size_t i = m->nreferences > 32 ? m->nreferences - 32 : 0; i < m->nreferences; i++)
		refs[nrefs++] = m->references[i];
	refs[nrefs++] = m->message_id;

	if (strcmp(kind, "agent") == 0) {
		if (ao != NULL && ao->errors != NULL)
			rc = tell_agent(ig, m, &t, ao->errors, now);
		else if (!created)
			rc = relay_reply(ig, m, &t, ao != NULL ? ao->relay : m->text_new, now);
	} else {
		if (created && (rr == NULL || rr->ack != 0) && may_ack(ig, m, now, &err)) {
			struct compose_addr to = { m->from.name, m->from.addr };
			struct vars v;
			struct out o = {
				.kind = "ack", .tpl = T_ACK, .named = ack_named(ig, rr, &t),
				.from = { ig->cfg->smtp.from_name, ig->cfg->smtp.from_addr },
				.to = &to, .nto = 1, .automatic = true,
				.env_from = auto_sender(ig->cfg),
				.in_reply_to = m->message_id, .refs = refs, .nrefs = nrefs,
			};

			vars_fill(&v, ig->cfg, &t, m->text_new, now);
			rc = send_mail(ig, &t, &v, &o, now);
			if (rc == 0)
				rc = store_ack_add(ig->st, m->from.addr, now);
		} else if (created && err < 0)
			rc = -1;
		if (rc == 0)
			rc = notify_agents(ig, m, &t, created, refs, nrefs, rr, now);
	}
	store_ticket_view_free(&t);
	return rc;
}

int
answer_followup(struct ingest *ig, const struct store_ticket_view *t,
    const struct answer_followup_mail *f, int64_t now)
{
	const struct pd_config *cfg = ig->cfg;
	struct vars v;
	struct out o = {
		.kind = f->kind, .tpl = T_FOLLOWUP + (int)f->what, .lang = f->lang,
		.from = { cfg->smtp.from_name, cfg->smtp.from_addr },
		.reply_to_support = true, .to = f->to, .nto = f->nto, .automatic = true,
		.env_from = auto_sender(cfg), .in_reply_to = f->in_reply_to,
		.refs = f->refs, .nrefs = f->nrefs,
	};

	if (ig->answers == NULL || f->nto == 0)
		return 0;
	if (pick(ig->answers, o.lang ? o.lang : t->language, cfg->default_language,
	    o.tpl) == NULL) {
		log_warn("answer: ticket=%" PRId64 " no %s template in any language; nothing sent",
		    t->id, tnames[o.tpl]);
		return 0;
	}
	vars_fill(&v, cfg, t, NULL, now);
	/* ticket.due is what the follow-up says, not the first answer's */
	snprintf(v.due, sizeof(v.due), "%s", f->due ? f->due : "");
	v.agent_name = f->agent_name;
	v.survey_good = f->survey_good;
	v.survey_bad = f->survey_bad;
	v.remind_date = f->remind_date;
	if (f->sla != NULL) {
		v.sla_first_response = strcmp(f->sla, "first_response") == 0 ? "1" : NULL;
		v.sla_next_response = strcmp(f->sla, "next_response") == 0 ? "1" : NULL;
		v.sla_resolution = strcmp(f->sla, "resolution") == 0 ? "1" : NULL;
	}
	return send_mail(ig, t, &v, &o, now) < 0 ? -1 : 1;
}
