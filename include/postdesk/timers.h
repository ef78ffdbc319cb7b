/* timers.h: the promises kept by the clock.
 *
 * Due times live in the timers table, so they survive restarts. They are
 * set (and cancelled) in the same transaction as the change that calls
 * for them, and fired by timers_run() from the daemon's loop and from
 * "fetch --once" (so a cron-driven setup works too). Kinds:
 *
 *   first_response-warning, first_response-breach
 *       a new ticket: at 80% and 100% of the queue's sla.first_response,
 *       in business time; an agent's answer to the customer cancels them
 *   next_response-warning, next_response-breach
 *       a customer's reply on an answered ticket: the same for
 *       sla.next_response (a running one is kept: the promise runs from
 *       the first unanswered mail)
 *   resolution-warning, resolution-breach
 *       a new ticket, for sla.resolution; resolved or closed cancels them
 *   remind
 *       an agent's #remind (agent.c sets it; actor: the agent)
 *   pending-reminder, pending-close
 *       a ticket goes pending: after the queue's pending_reminder and
 *       pending_close (calendar time); leaving pending cancels them
 *   survey
 *       a ticket is resolved: after survey_delay; reopened or closed
 *       cancels it
 *
 * Firing re-checks the ticket (an answered ticket sends nothing even if a
 * cancellation was missed), acts, records an event and marks the timer
 * done, all in one transaction. Events (type, actor, detail):
 *   sla-warning, sla-breach   postdesk, "first_response" | "next_response" | "resolution"
 *   reminded                  postdesk, the agent's address
 *   still-working             postdesk, the customers written to
 *   pending-reminder          postdesk, the customers written to
 *   autoclosed                postdesk, NULL (the ticket is closed)
 *   survey-sent               postdesk, the customers written to
 *   mail-suppressed           postdesk, "KIND: why" (a follow-up the loop
 *                             rules kept back: automatic sender, limit)
 * The survey's answers are read in ingest.c: rating (the customer, the
 * score "1".."5") and not-solved (the customer). */
#ifndef POSTDESK_TIMERS_H
#define POSTDESK_TIMERS_H

#include <stddef.h>
#include <stdint.h>

struct ingest;
struct pd_config;
struct store;

/* --- scheduling: inside the caller's transaction; 0 or -1 (store error) - */

/* A customer's mail opened ticket: first response and resolution. */
int timers_ticket_opened(struct store *st, const struct pd_config *cfg, int64_t ticket,
    int64_t now);

/* A customer wrote on ticket (after its status was updated): the pending
 * follow-ups stop; an answered, unresolved ticket owes a next response. */
int timers_customer_wrote(struct store *st, const struct pd_config *cfg, int64_t ticket,
    int64_t now);

/* An agent's answer went to the customer: the response promises are kept. */
int timers_agent_answered(struct store *st, const struct pd_config *cfg, int64_t ticket,
    int64_t now);

/* ticket went from status from to status to (after the change was
 * stored): pending starts the pending follow-ups and anything else stops
 * them; resolved schedules the survey; resolved and closed stop the SLA
 * clocks; leaving resolved stops the survey. */
int timers_status_changed(struct store *st, const struct pd_config *cfg, int64_t ticket,
    const char *from, const char *to, int64_t now);

/* --- firing ------------------------------------------------------------- */

struct timers_stats {
	size_t fired;		/* acted on */
	size_t skipped;		/* due, but the ticket no longer called for it */
	size_t failed;		/* could not be acted on (permanent store error) */
};

/* Fire every timer due at now, earliest first, in batches, each in its
 * own transaction. Uses ig's store, config, key and templates. Returns 0,
 * or -1 on a temporary store error (*error_r, caller frees; what is left
 * fires on the next call). */
int timers_run(struct ingest *ig, int64_t now, struct timers_stats *stats, char **error_r);

/* When the next timer is due: 1 and *at_r, 0 when none waits, -1. */
int timers_next(struct store *st, int64_t *at_r);

#endif
