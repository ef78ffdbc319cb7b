/* ourid.h: the Message-IDs postdesk puts on the mail it sends.
 *
 * Each carries the ticket number and an HMAC of it under a secret key, so
 * a reply that references one of our ids proves which ticket it answers:
 * a stranger cannot forge an id for someone else's ticket, and a subject
 * tag alone never adds mail to a ticket (see thread.c).
 *
 *     pd.<ticket>.<16 hex random>.<16 hex HMAC-SHA256>@<domain>
 */
#ifndef POSTDESK_OURID_H
#define POSTDESK_OURID_H

#include <stddef.h>
#include <stdint.h>

struct ourid_key {
	unsigned char key[64];
	size_t len;
};

/* Set the key from secret bytes (a secret_file's text, or the random key
 * postdesk keeps in its database). */
void ourid_key_set(struct ourid_key *k, const void *secret, size_t len);

/* A new id for ticket (0: mail not about a ticket) at domain, without <>;
 * the caller frees it. */
char *ourid_make(const struct ourid_key *k, int64_t ticket, const char *domain);

/* 1 and *ticket_r when id (without <>) is one of ours with a valid HMAC,
 * 0 when it is not ours or forged. */
int ourid_ticket(const struct ourid_key *k, const char *id, int64_t *ticket_r);

/* 1 when id has our shape (pd.N.X.Y@...) whatever its HMAC: mail that
 * looks like ours but does not verify is a forgery or an old key. */
int ourid_looks_ours(const char *id);

#endif
