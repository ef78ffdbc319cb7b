/* answer.h: the mail postdesk sends because a message came in.
 *
 * Called by ingest inside the message's transaction, so the outgoing mail
 * (a messages row with its raw bytes, and an outbox row) exists exactly
 * when the incoming message is stored:
 *   - a customer opens a ticket: an acknowledgement to them (not for
 *     bulk, list or automatic mail, our own mail, or past ack_limit per
 *     sender and period, counted in the database), and a notification to
 *     the queue's agents (or the assignee);
 *   - a customer writes on a ticket: a notification to the agents;
 *   - an agent writes on a ticket: the new text (quoted history cut) is
 *     relayed to the requester and the customers on the ticket, from
 *     "Agent (Support)" at the support address; the ticket waits on the
 *     customer (pending) and its first response time is kept.
 * Nothing is sent when no smtp is configured. */
#ifndef POSTDESK_ANSWER_H
#define POSTDESK_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agent_outcome;
struct ingest;
struct msg;
struct pd_config;
struct route_result;

struct answers;

/* Load every template of every language under cfg->templates_dir. 0, or
 * -1 with *error_r (caller frees). *a_r is NULL when smtp is not set. */
int answers_load(const struct pd_config *cfg, struct answers **a_r, char **error_r);
void answers_free(struct answers **a);

/* Queue what m (stored as kind on ticket; created: a new ticket) calls
 * for: rr is the routing result (ack = 0: no acknowledgement; notify:
 * more addresses for the notification), ao what an agent's mail did (the
 * text to relay, or the errors to tell the agent). Returns 0, or -1 on a
 * store error. */
int answer_message(struct ingest *ig, const struct msg *m, const char *kind,
    int64_t ticket, bool created, int64_t now, const struct route_result *rr,
    const struct agent_outcome *ao);

/* --- follow-ups: the mail of the timers stage (timers.c) -------------- */

struct compose_addr;
struct store_ticket_view;

/* Each is a template of the same name under templates.dir/<lang>/. */
enum answer_followup {
	ANSWER_PENDING_REMINDER = 0,	/* pending-reminder: to the customers */
	ANSWER_AUTOCLOSE,		/* autoclose */
	ANSWER_STILL_WORKING,		/* still-working */
	ANSWER_SURVEY,			/* survey */
	ANSWER_SLA_WARNING,		/* escalation-warning: to agents */
	ANSWER_SLA_BREACH,		/* escalation-breach: to agents and supervisor */
	ANSWER_REMIND,			/* remind: to the agent who set a #remind */
	ANSWER_FOLLOWUP_COUNT
};

/* One follow-up mail; every pointer is borrowed for the call. */
struct answer_followup_mail {
	enum answer_followup what;
	const char *kind;		/* the messages and outbox rows' kind */
	const struct compose_addr *to;	/* the recipients, already checked */
	size_t nto;
	const char *lang;		/* NULL: the ticket's language */
	const char *in_reply_to;	/* threading, without <> */
	const char *const *refs;
	size_t nrefs;
	/* template values beyond the ticket's own (NULL: unset) */
	const char *due;		/* ticket.due, formatted */
	const char *agent_name;
	const char *remind_date;
	const char *survey_good, *survey_bad;
	const char *sla;		/* "first_response", "next_response", "resolution" */
};

/* Queue f about ticket t, in the caller's transaction: rendered in the
 * language wanted (else the default language, else English), from the
 * support address, automatic (RFC 3834 headers, sent from the bounce
 * address or the null sender), stored as an outgoing message of the
 * ticket with an outbox row. Returns 1 when it was queued, 0 when nothing
 * was (no smtp, no recipients, no such template in any language: logged),
 * or -1 on a store error. */
int answer_followup(struct ingest *ig, const struct store_ticket_view *t,
    const struct answer_followup_mail *f, int64_t now);

#endif
