/* ingest.h: one raw message → stored, in the right ticket, exactly once.
 *
 * The pipeline's middle: parse (msg.c), find the ticket (thread.c), and
 * store everything in ONE transaction: the raw bytes, the message row, the
 * ticket change, its events, the participants and the identity of the copy
 * (IMAP account, mailbox, UIDVALIDITY, UID). Only after ingest_one returns
 * PD_DONE may the caller mark the message handled on the IMAP server or
 * tell the MTA it was delivered. A message seen again (crash before the
 * MOVE, the same mail in two mailboxes, an MTA retry) is recognised by its
 * identity and stored once. */
#ifndef POSTDESK_INGEST_H
#define POSTDESK_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "postdesk/msg.h"
#include "postdesk/ourid.h"

struct pd_config;
struct store;

/* What to give up on (isync's DRV_* idea). */
enum pd_disp {
	PD_DONE = 0,	/* stored (or already stored): mark it handled */
	PD_SKIP,	/* can never be stored: quarantine it, go on */
	PD_RETRY,	/* database locked, disk full...: leave it, retry later */
};

struct answers;
struct route_rules;

struct ingest {
	struct store *st;		/* borrowed */
	const struct pd_config *cfg;	/* borrowed */
	struct ourid_key key;
	struct msg_limits limits;
	struct answers *answers;	/* owned; NULL when no mail is sent */
	struct route_rules *rules;	/* owned; the compiled routing rules */
};

/* Where a copy came from. account NULL: the MTA pipe. */
struct ingest_source {
	const char *account;
	const char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
	const char *queue;	/* queue for a new ticket; NULL: the first queue */
};

struct ingest_result {
	int64_t ticket;		/* 0: stored without a ticket (loop, bounce...) */
	int64_t message;	/* the messages row */
	bool duplicate;		/* it was already stored */
	bool created;		/* a new ticket was opened */
	const char *via;	/* static */
	const char *kind;	/* static: customer, agent, auto-reply, bounce, loop */
	char *reason;		/* owned; why, for PD_SKIP and PD_RETRY */
};

/* Prepare: the HMAC key comes from secret_file, or else a random key kept
 * in the database (made on first use). Returns 0 or -1 with *error_r
 * (caller frees). */
int ingest_init(struct ingest *ig, struct store *st, const struct pd_config *cfg,
    char **error_r);

/* Free what ingest_init made. */
void ingest_done(struct ingest *ig);

enum pd_disp ingest_one(struct ingest *ig, const char *raw, size_t len,
    const struct ingest_source *src, struct ingest_result *res);
void ingest_result_free(struct ingest_result *res);

/* Keep a message that cannot be stored (PD_SKIP) in the quarantine table
 * with the reason. Returns 0 and *id_r, or -1 (then the caller must not
 * mark it handled). */
int ingest_quarantine(struct ingest *ig, const char *raw, size_t len,
    const struct ingest_source *src, const char *reason, int64_t *id_r);

#endif
