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

#endif
