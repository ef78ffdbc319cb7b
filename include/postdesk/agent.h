/* agent.h: what an agent's mail on a ticket does to it.
 *
 * The command lines at the top (command.c parses them) are checked
 * against the configuration first (the agent of #assign exists, the queue
 * of #queue, the canned answer of #answer); only when every one is valid
 * are they all applied, inside the message's transaction, each recorded
 * as an event: nothing is ever half-applied. What is left of the text is
 * relayed to the customer (after the canned answer, for #answer), unless
 * the mail is a #note. */
#ifndef POSTDESK_AGENT_H
#define POSTDESK_AGENT_H

#include <stdbool.h>
#include <stdint.h>

struct ingest;
struct msg;
struct pd_agent;

struct agent_outcome {
	bool note;	/* an internal note: stored, never sent to the customer */
	char *relay;	/* owned: the text for the customer; NULL: nothing to send */
	char *errors;	/* owned: what was not done and why; NULL when all went well */
};

/* Apply the commands of m (from agent, on ticket, whose language is lang).
 * Returns 0 (outcome filled; errors in out->errors), or -1 on a store
 * error. */
int agent_apply(struct ingest *ig, const struct msg *m, const struct pd_agent *agent,
    int64_t ticket, const char *lang, int64_t now, struct agent_outcome *out);
void agent_outcome_free(struct agent_outcome *o);

#endif
