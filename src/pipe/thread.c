/* thread.c: see thread.h. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postdesk/config.h"
#include "postdesk/msg.h"
#include "postdesk/ourid.h"
#include "postdesk/store.h"
#include "postdesk/thread.h"

/* The tag may sit anywhere in the subject: clients add "Re:", "AW:",
 * "Odp:", "Továbbítás:" or "[EXTERNAL]" before it, and some move it to the
 * end. So we look for every '[' and try to read "tag #digits]" there. */
int
thread_subject_tag(const char *tag, const char *subject, int64_t *id_r)
{
	size_t tlen = strlen(tag);
	const char *p = subject;

	while ((p = strchr(p, '[')) != NULL) {
		const char *q = p + 1;
		int64_t id = 0;
		int digits = 0;

		p++;
		q += strspn(q, " \t");
		if (strncasecmp(q, tag, tlen) != 0)
			continue;
		q += tlen;
		q += strspn(q, " \t");
		if (*q != '#')
			continue;
		q++;
		q += strspn(q, " \t");
		while (isdigit((unsigned char)*q) && digits < 18) {
			id = id * 10 + (*q - '0');
			q++;
			digits++;
		}
		if (digits == 0 || isdigit((unsigned char)*q))
			continue;
		q += strspn(q, " \t");
		if (*q != ']' || id <= 0)
			continue;
		*id_r = id;
		return 1;
	}
	return 0;
}

static bool
same_addr(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

bool
thread_addr_is_ours(const struct pd_config *cfg, const char *addr)
{
	if (addr == NULL)
		return false;
	for (size_t i = 0; i < cfg->nimap; i++)
		if (same_addr(cfg->imap[i].user, addr))
			return true;
	return same_addr(cfg->smtp.from_addr, addr) ||
	    same_addr(cfg->smtp.bounce_address, addr);
}

const struct pd_agent *
thread_agent(const struct pd_config *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->nagents; i++)
		if (same_addr(cfg->agents[i].email, addr))
			return &cfg->agents[i];
	return NULL;
}

bool
thread_cites_our_id(const struct ourid_key *key, const struct msg *m, int64_t ticket)
{
	int64_t t;

	if (m->in_reply_to && ourid_ticket(key, m->in_reply_to, &t) && t == ticket)
		return true;
	for (size_t i = 0; i < m->nreferences; i++)
		if (ourid_ticket(key, m->references[i], &t) && t == ticket)
			return true;
	return false;
}

/* The ticket of a referenced id: ours by HMAC, else by lookup. 1, 0, -1. */
static int
ticket_of_ref(struct store *st, const struct ourid_key *key, const char *id,
    int64_t *ticket_r)
{
	int64_t t;
	int found;

	if (ourid_ticket(key, id, &t) && t > 0) {
		*ticket_r = t;
		return 1;
	}
	found = store_ticket_of_msgid(st, id, &t);
	if (found > 0 && t > 0) {
		*ticket_r = t;
		return 1;
	}
	if (found < 0)
		return -1;
	/* The referenced mail is not here (yet), but a sibling that
	 * refers to the same ancestor may be. */
	return store_ticket_of_ref(st, id, ticket_r);
}

int
thread_resolve(struct store *st, const struct pd_config *cfg,
    const struct ourid_key *key, const struct msg *m, struct thread_result *r)
{
	int64_t id, t;
	int found;

	r->ticket = 0;
	r->refused = 0;
	r->loop = false;
	r->via = "new";

	/* 1. The subject tag, from someone entitled to use it. */
	if (thread_subject_tag(cfg->tag, m->subject, &id)) {
		char status[16];
		int64_t closed;

		found = store_ticket_status(st, id, status, &closed);
		if (found < 0)
			return -1;
		if (found > 0) {
			int member = store_participant_has(st, id, m->from.addr);

			if (member < 0)
				return -1;
			if (member > 0 || thread_agent(cfg, m->from.addr) != NULL ||
			    thread_cites_our_id(key, m, id)) {
				r->ticket = id;
				r->via = "tag";
				return 0;
			}
			r->refused = id;
		}
	}

	/* 2. The threading headers, the direct parent first. */
	if (r->refused == 0 && m->in_reply_to != NULL) {
		found = ticket_of_ref(st, key, m->in_reply_to, &t);
		if (found < 0)
			return -1;
		if (found > 0) {
			r->ticket = t;
			r->via = "in-reply-to";
			return 0;
		}
	}
	for (size_t i = m->nreferences; r->refused == 0 && i > 0; i--) {
		found = ticket_of_ref(st, key, m->references[i - 1], &t);
		if (found < 0)
			return -1;
		if (found > 0) {
			r->ticket = t;
			r->via = "references";
			return 0;
		}
	}

	/* 2b. Mail that arrived before its parent: a stored reply refers
	 * to this message. */
	if (r->refused == 0 && m->message_id != NULL && !m->message_id_synthetic) {
		found = store_ticket_of_ref(st, m->message_id, &t);
		if (found < 0)
			return -1;
		if (found > 0) {
			r->ticket = t;
			r->via = "referenced-by";
			return 0;
		}
	}

	/* 3. Nothing: a new ticket, unless it is our own mail coming back. */
	if (thread_addr_is_ours(cfg, m->from.addr) ||
	    (m->message_id != NULL && ourid_looks_ours(m->message_id))) {
		r->loop = true;
		r->via = "loop";
	}
	return 0;
}

/* Does domain d align with the agent's address domain (the same, or one a
 * subdomain of the other: relaxed alignment as DMARC has it)? */
static bool
aligned(const char *d, const char *addr)
{
	const char *ad = strrchr(addr, '@');
	size_t dl, al;

	if (d == NULL || ad == NULL)
		return false;
	ad++;
	dl = strlen(d);
	al = strlen(ad);
	if (strcasecmp(d, ad) == 0)
		return true;
	if (dl > al && d[dl - al - 1] == '.' && strcasecmp(d + dl - al, ad) == 0)
		return true;
	return al > dl && ad[al - dl - 1] == '.' && strcasecmp(ad + al - dl, d) == 0;
}

const struct pd_agent *
thread_verified_agent(const struct pd_config *cfg, const struct msg *m, bool *forged_r)
{
	const struct pd_agent *a = thread_agent(cfg, m->from.addr);
	int top = -1;

	*forged_r = false;
	if (a == NULL || !cfg->agent_auth_results)
		return a;
	/* Only the topmost Authentication-Results header written by the
	 * trusted server counts: the ones below it came with the mail and
	 * may be forged by the sender. */
	for (size_t i = 0; i < m->nauth; i++) {
		const struct msg_auth_result *r = &m->auth[i];

		if (strcasecmp(r->authserv_id, cfg->trusted_authserv_id) != 0)
			continue;
		if (top < 0)
			top = r->header_index;
		if (r->header_index != top)
			continue;
		if (strcmp(r->result, "pass") == 0 &&
		    (strcmp(r->method, "dmarc") == 0 ||
		    (strcmp(r->method, "dkim") == 0 && aligned(r->domain, a->email))))
			return a;
	}
	*forged_r = true;
	return NULL;
}
