/* thread.h: which ticket does a message belong to?
 *
 * In order, each match named in the log (thread: ticket=17 via=references):
 *   1. the subject tag "[<tag> #<id>]" (any case, spaces, Re:/Fwd: around),
 *      accepted only from a participant of that ticket, an agent, or mail
 *      that references one of our HMAC-signed Message-IDs of that ticket;
 *   2. In-Reply-To, then References (newest first), against every
 *      Message-ID stored, received or sent, and against the references of
 *      stored mail (a sibling that shares an ancestor); then stored mail
 *      that refers to this message (a reply that arrived first);
 *   3. otherwise a new ticket.
 * Mail from our own addresses, or whose Message-ID is ours, that leads to
 * no ticket is a loop: stored, not threaded, never answered. */
#ifndef POSTDESK_THREAD_H
#define POSTDESK_THREAD_H

#include <stdbool.h>
#include <stdint.h>

struct msg;
struct pd_config;
struct ourid_key;
struct store;

struct thread_result {
	int64_t ticket;		/* 0: a new ticket */
	const char *via;	/* static: tag, in-reply-to, references, new, loop */
	int64_t refused;	/* a tag named this ticket, but the sender may not join it */
	bool loop;
};

/* Find "[tag #id]" in subject; 1 and *id_r, or 0. */
int thread_subject_tag(const char *tag, const char *subject, int64_t *id_r);

/* True when addr is one of postdesk's own addresses (the mailboxes it
 * reads, its From and bounce addresses). */
bool thread_addr_is_ours(const struct pd_config *cfg, const char *addr);

/* The configured agent with this address, or NULL. */
const struct pd_agent *thread_agent(const struct pd_config *cfg, const char *addr);

/* The agent who wrote m, or NULL. With agent_auth =
 * "authentication-results" an agent's address is not enough: the topmost
 * Authentication-Results header of the trusted receiving server must say
 * dmarc=pass, or dkim=pass for a domain aligned with the agent's address.
 * *forged_r is true when the From is an agent's but that proof is missing
 * (the mail is then a customer's, and the caller records it). */
const struct pd_agent *thread_verified_agent(const struct pd_config *cfg,
    const struct msg *m, bool *forged_r);

/* True when m's In-Reply-To or References hold one of our own HMAC-signed
 * Message-IDs issued for ticket: its sender was sent the ticket's mail. */
bool thread_cites_our_id(const struct ourid_key *key, const struct msg *m, int64_t ticket);

/* Resolve m's ticket. Returns 0 (r filled) or -1 on a store error. */
int thread_resolve(struct store *st, const struct pd_config *cfg,
    const struct ourid_key *key, const struct msg *m, struct thread_result *r);

#endif
