/* fetch.h: new mail from one IMAP mailbox into the store.
 *
 * Connect (imapc.c), select, ask for the UIDs above the highest one
 * handled (a UIDVALIDITY change rescans from the start: message identity
 * keeps it from storing anything twice), fetch them in small batches with
 * BODY.PEEK[], ingest each, and only after its transaction committed move
 * it to the processed folder (or flag it \Seen). A message that can never
 * be stored goes to the quarantine table and folder; a temporary failure
 * (database locked, disk full) stops the mailbox, leaving the message
 * where it is for the next round. */
#ifndef POSTDESK_FETCH_H
#define POSTDESK_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ingest;
struct pd_imap;

struct fetch_stats {
	size_t seen;		/* UIDs fetched */
	size_t stored;		/* newly stored */
	size_t duplicates;	/* already stored */
	size_t quarantined;
};

/* One mailbox and its connection, kept open between rounds by the daemon. */
struct fetch_box {
	const struct pd_imap *cfg;	/* borrowed */
	struct imapc *c;		/* NULL when not connected */
	uint32_t uidvalidity;
	/* Asked after each message is stored (NULL: never): true ends the
	 * round there, after the messages stored so far are marked on the
	 * server; the rest waits in the mailbox for the next round. */
	bool (*stop)(void *arg);
	void *stop_arg;
};

void fetch_box_init(struct fetch_box *b, const struct pd_imap *cfg);
/* One round: connect if needed, fetch and store everything new. 0, or -1
 * with *error_r (caller frees); after a failure the connection is closed
 * so that the next round reconnects. */
int fetch_box_run(struct ingest *ig, struct fetch_box *b, struct fetch_stats *stats,
    char **error_r);
void fetch_box_close(struct fetch_box *b);

/* fetch_box_run on a fresh connection, closed afterwards (fetch --once).
 * 0 when the mailbox was processed to the end, -1 when it could not be
 * reached or a temporary failure stopped it (*error_r, caller frees). */
int fetch_mailbox(struct ingest *ig, const struct pd_imap *box,
    struct fetch_stats *stats, char **error_r);

#endif
