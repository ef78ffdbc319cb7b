/* store_stats.c: the walk behind store_stats.h.
 *
 * Two statements stepped side by side, a merge join in C: the tickets in
 * id order, and the events of the asked types in (ticket_id, at, id)
 * order, which is the events_ticket_at index's own order (no sort, no
 * temporary table, memory bounded by one ticket's events). Both run in
 * the same read snapshot: SQLite keeps one for as long as any statement
 * on the connection is stepping. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/buf.h"
#include "postdesk/json.h"
#include "postdesk/store.h"
#include "postdesk/store_stats.h"
#include "postdesk/xalloc.h"

#include "store_internal.h"

enum sstmt_id {
	SSTMT_TICKETS,
	SSTMT_TICKETS_QUEUE,
	SSTMT_EVENTS,
	SSTMT_SINCE,
	SSTMT_SINCE_QUEUE,
	SSTMT_TICKET_EVENTS,
	SSTMT_COUNT
};

_Static_assert(SSTMT_COUNT <= STORE_STATS_STMTS,
    "store_internal.h: raise STORE_STATS_STMTS");

#define TICKET_SELECT \
	"SELECT id, queue, status, priority, assignee, created_at FROM tickets "

/* The types come as one JSON array (?1): a list of any length in one
 * prepared statement, no SQL made from data. "+type" keeps the planner
 * off events_type_at, which would need a sort of every matching event
 * (a temporary B-tree spilled to disk for a big database) to get them in
 * ticket order; events_ticket_at gives that order as it is walked. */
/* With a start of the period (?2), only the tickets that can count in it:
 * created since, waiting now, or with one of the events since (found
 * through events_type_at); their events are then looked up one ticket at
 * a time. A month of a big database is a small part of it. */
#define SINCE_WHERE \
	"(created_at >= ?2 OR status IN ('new', 'open', 'pending') OR id IN " \
	"(SELECT ticket_id FROM events WHERE type IN (SELECT value FROM json_each(?1)) " \
	"AND at >= ?2))"

static const char *const sstmt_sql[SSTMT_COUNT] = {
	[SSTMT_TICKETS] = TICKET_SELECT "ORDER BY id",
	[SSTMT_TICKETS_QUEUE] = TICKET_SELECT "WHERE queue = ?3 ORDER BY id",
	[SSTMT_EVENTS] =
	    "SELECT ticket_id, at, type, actor, detail FROM events "
	    "WHERE +type IN (SELECT value FROM json_each(?1)) "
	    "ORDER BY ticket_id, at, id",
	[SSTMT_SINCE] = TICKET_SELECT "WHERE " SINCE_WHERE " ORDER BY id",
	[SSTMT_SINCE_QUEUE] = TICKET_SELECT "WHERE queue = ?3 AND " SINCE_WHERE
	    " ORDER BY id",
	[SSTMT_TICKET_EVENTS] =
	    "SELECT ticket_id, at, type, actor, detail FROM events "
	    "WHERE ticket_id = ?2 AND +type IN (SELECT value FROM json_each(?1)) "
	    "ORDER BY at, id",
};

/* A string that is NULL in the database. */
#define NO_STR SIZE_MAX

/* One ticket's events while they are being read: the strings go into one
 * pool, and the pointers are made once the ticket is complete (the pool
 * may move while it grows). */
struct pending {
	int64_t at;
	size_t type, actor, detail;	/* offsets into pool, or NO_STR */
};

struct ticket_events {
	struct pending *v;
	size_t n, cap;
	struct store_stats_event *ev;
	size_t evcap;
	struct pd_buf pool;
};

static size_t
pool_add(struct pd_buf *pool, const unsigned char *s)
{
	size_t off = pool->len;

	if (s == NULL)
		return NO_STR;
	/* strings and their NULs; the cap only guards against the absurd */
	if (pd_buf_add(pool, s, strlen((const char *)s) + 1) < 0)
		return NO_STR;
	return off;
}

static void
events_add(struct ticket_events *te, sqlite3_stmt *s)
{
	struct pending *p;

	if (te->n == te->cap) {
		te->cap = te->cap ? te->cap * 2 : 16;
		te->v = xrealloc(te->v, te->cap * sizeof(*te->v));
	}
	p = &te->v[te->n++];
	p->at = sqlite3_column_int64(s, 1);
	p->type = pool_add(&te->pool, sqlite3_column_text(s, 2));
	p->actor = pool_add(&te->pool, sqlite3_column_text(s, 3));
	p->detail = pool_add(&te->pool, sqlite3_column_text(s, 4));
}

static const char *
pool_str(const struct ticket_events *te, size_t off)
{
	return off == NO_STR ? NULL : te->pool.data + off;
}

/* The events as the callback sees them. */
static void
events_finish(struct ticket_events *te)
{
	if (te->n > te->evcap) {
		te->evcap = te->n;
		te->ev = xrealloc(te->ev, te->evcap * sizeof(*te->ev));
	}
	for (size_t i = 0; i < te->n; i++) {
		te->ev[i].at = te->v[i].at;
		te->ev[i].type = pool_str(te, te->v[i].type);
		te->ev[i].actor = pool_str(te, te->v[i].actor);
		te->ev[i].detail = pool_str(te, te->v[i].detail);
		if (te->ev[i].type == NULL)
			te->ev[i].type = "";
	}
}

static void
events_free(struct ticket_events *te)
{
	free(te->v);
	free(te->ev);
	pd_buf_free(&te->pool);
}

/* The JSON array of the types, for ?1 (caller frees). */
static char *
types_json(const char *const *types, size_t ntypes)
{
	struct json j;

	json_init(&j);
	json_arr_begin(&j, NULL);
	for (size_t i = 0; i < ntypes; i++)
		json_str(&j, NULL, types[i]);
	json_arr_end(&j);
	return json_finish(&j);
}

/* The events of ticket id, from the merged walk (e, positioned at the
 * next event row; *erc its last result) or by a lookup of their own
 * (seek). Returns the last sqlite result: SQLITE_ROW or SQLITE_DONE when
 * all is well. */
static int
ticket_events_read(struct ticket_events *te, sqlite3_stmt *e, bool seek, int64_t id,
    int erc)
{
	te->n = 0;
	pd_buf_reset(&te->pool);
	if (seek) {
		sqlite3_reset(e);
		if ((erc = sqlite3_bind_int64(e, 2, id)) != SQLITE_OK)
			return erc;
		while ((erc = sqlite3_step(e)) == SQLITE_ROW)
			events_add(te, e);
		return erc;
	}
	/* events of tickets before this one (another queue's) */
	while (erc == SQLITE_ROW && sqlite3_column_int64(e, 0) < id)
		erc = sqlite3_step(e);
	while (erc == SQLITE_ROW && sqlite3_column_int64(e, 0) == id) {
		events_add(te, e);
		erc = sqlite3_step(e);
	}
	return erc;
}

int
store_stats_each(struct store *st, const char *queue, int64_t since,
    const char *const *types, size_t ntypes, store_stats_fn *fn, void *ctx)
{
	const char *what = "statistics";
	bool seek = since > 0;
	enum sstmt_id ti = seek ? (queue ? SSTMT_SINCE_QUEUE : SSTMT_SINCE) :
	    (queue ? SSTMT_TICKETS_QUEUE : SSTMT_TICKETS);
	enum sstmt_id ei = seek ? SSTMT_TICKET_EVENTS : SSTMT_EVENTS;
	struct binder t = { stats_stmt_get(st, ti, sstmt_sql[ti], what), SQLITE_OK };
	struct binder e = { stats_stmt_get(st, ei, sstmt_sql[ei], what), SQLITE_OK };
	struct ticket_events te = { 0 };
	char *tj;
	int trc, erc, ret = 0;

	if (t.s == NULL || e.s == NULL)
		return -1;
	tj = types_json(types, ntypes);
	pd_buf_init(&te.pool, (size_t)1 << 30);
	if (seek) {
		bind_text(&t, 1, tj);
		bind_int(&t, 2, since);
	}
	if (queue != NULL)
		bind_text(&t, 3, queue);
	bind_text(&e, 1, tj);
	trc = t.rc != SQLITE_OK ? t.rc : e.rc;
	erc = trc != SQLITE_OK ? trc : seek ? SQLITE_DONE : sqlite3_step(e.s);
	while (trc == SQLITE_OK && (erc == SQLITE_ROW || erc == SQLITE_DONE) &&
	    (trc = sqlite3_step(t.s)) == SQLITE_ROW) {
		struct store_stats_ticket row = {
			.id = sqlite3_column_int64(t.s, 0),
			.queue = (const char *)sqlite3_column_text(t.s, 1),
			.status = (const char *)sqlite3_column_text(t.s, 2),
			.priority = (const char *)sqlite3_column_text(t.s, 3),
			.assignee = (const char *)sqlite3_column_text(t.s, 4),
			.created_at = sqlite3_column_int64(t.s, 5),
		};

		erc = ticket_events_read(&te, e.s, seek, row.id, erc);
		if (erc != SQLITE_ROW && erc != SQLITE_DONE)
			break;
		events_finish(&te);
		row.events = te.ev;
		row.nevents = te.n;
		if ((ret = fn(&row, ctx)) != 0)
			break;
		trc = SQLITE_OK;
	}
	if (ret == 0 && trc != SQLITE_DONE) {
		fail_rc(st, trc != SQLITE_ROW && trc != SQLITE_OK ? trc : erc, what);
		ret = -1;
	}
	stmt_done(t.s);
	stmt_done(e.s);
	free(tj);
	events_free(&te);
	return ret;
}
