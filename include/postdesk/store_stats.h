/* store_stats.h: the raw history behind "postdesk stats" and "report".
 *
 * Read-only. The store hands over facts (each ticket with its events of
 * the types asked for); what they mean (when a ticket counts as resolved,
 * which agent it belongs to) is decided above, in src/stats. Tickets come
 * one at a time to a callback, so that a million of them never sit in
 * memory; all of them are read from one snapshot of the database. */
#ifndef POSTDESK_STORE_STATS_H
#define POSTDESK_STORE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "postdesk/store.h"

/* One event (strings borrowed: valid during the callback only). */
struct store_stats_event {
	int64_t at;
	const char *type;
	const char *actor;	/* NULL: postdesk itself */
	const char *detail;	/* NULL: none */
};

/* One ticket (strings borrowed: valid during the callback only). */
struct store_stats_ticket {
	int64_t id;
	const char *queue;
	const char *status;	/* new, open, pending, resolved, closed */
	const char *priority;
	const char *assignee;	/* NULL: nobody */
	int64_t created_at;
	/* its events of the types asked for, oldest first (then by id) */
	const struct store_stats_event *events;
	size_t nevents;
};

/* A callback returns 0 to go on; anything else stops the walk, and the
 * walk returns that value. */
typedef int store_stats_fn(const struct store_stats_ticket *t, void *ctx);

/* Every ticket of queue (NULL: of every queue), in id (= creation) order,
 * with its events whose type is one of types[0 .. ntypes - 1]. since > 0
 * leaves out the tickets that cannot count in a period starting then:
 * those created before since, not new, open or pending, and with none of
 * those events at or after since (a ticket that is handed over still
 * comes with all its events of those types). Returns 0, the callback's
 * non-zero value, or -1 (store_error() says why). */
int store_stats_each(struct store *st, const char *queue, int64_t since,
    const char *const *types, size_t ntypes, store_stats_fn *fn, void *ctx);

#endif
