/* store_timer.c: the timers table, and the few reads and writes of tickets
 * and messages that the timers stage needs (store.h, "timers"). Same
 * conventions as store.c: an enum of statements, their SQL in one table,
 * prepared once per connection; no SQL built from data. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postdesk/store.h"
#include "postdesk/xalloc.h"

#include "store_internal.h"

enum tstmt_id {
	TSTMT_ADD,
	TSTMT_CANCEL,
	TSTMT_WAITING,
	TSTMT_DUE,
	TSTMT_DONE,
	TSTMT_NEXT,
	TSTMT_LIST,
	TSTMT_BRIEF,
	TSTMT_SATISFACTION,
	TSTMT_MESSAGE_KIND,
	TSTMT_MESSAGE_RAW,
	TSTMT_COUNT
};

_Static_assert(TSTMT_COUNT <= STORE_TIMER_STMTS,
    "store_internal.h: raise STORE_TIMER_STMTS");

/* "fired_at IS NULL" in every query of waiting timers: it is the partial
 * index's condition (timers_due), and the cancel and waiting lookups go by
 * timers_ticket (ticket_id, kind). */
static const char *const tstmt_sql[TSTMT_COUNT] = {
	[TSTMT_ADD] =
	    "INSERT INTO timers (ticket_id, kind, due_at, created_at, actor) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[TSTMT_CANCEL] =
	    "UPDATE timers SET fired_at = ?3, outcome = 'cancelled' "
	    "WHERE ticket_id = ?1 AND kind = ?2 AND fired_at IS NULL",
	[TSTMT_WAITING] =
	    "SELECT min(due_at) FROM timers "
	    "WHERE ticket_id = ?1 AND kind = ?2 AND fired_at IS NULL",
	[TSTMT_DUE] =
	    "SELECT id, ticket_id, kind, due_at, created_at, actor FROM timers "
	    "WHERE fired_at IS NULL AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
	[TSTMT_DONE] =
	    "UPDATE timers SET fired_at = ?3, outcome = ?2 "
	    "WHERE id = ?1 AND fired_at IS NULL",
	[TSTMT_NEXT] = "SELECT min(due_at) FROM timers WHERE fired_at IS NULL",
	[TSTMT_LIST] =
	    "SELECT id, ticket_id, kind, due_at, created_at, actor, "
	    "coalesce(fired_at, 0), outcome FROM timers WHERE ticket_id = ?1 "
	    "ORDER BY due_at, id",
	[TSTMT_BRIEF] =
	    "SELECT status, queue, created_at, coalesce(first_response_at, 0), "
	    "coalesce(satisfaction, 0) FROM tickets WHERE id = ?1",
	[TSTMT_SATISFACTION] =
	    "UPDATE tickets SET satisfaction = ?2, updated_at = max(updated_at, ?3) "
	    "WHERE id = ?1",
	[TSTMT_MESSAGE_KIND] =
	    "SELECT coalesce(ticket_id, 0), kind FROM messages WHERE message_id = ?1",
	[TSTMT_MESSAGE_RAW] = "SELECT raw FROM messages WHERE id = ?1",
};

static sqlite3_stmt *
tstmt_get(struct store *st, enum tstmt_id id, const char *what)
{
	return timer_stmt_get(st, id, tstmt_sql[id], what);
}

int
store_timer_add(struct store *st, int64_t ticket, const char *kind, int64_t due,
    const char *actor, int64_t at)
{
	const char *what = "add timer";
	struct binder b = { tstmt_get(st, TSTMT_ADD, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, kind);
	bind_int(&b, 3, due);
	bind_int(&b, 4, at ? at : (int64_t)time(NULL));
	bind_text(&b, 5, actor);
	return stmt_run(st, &b, what);
}

/* Run an UPDATE; the number of rows it changed, or -1. */
static int
changes(struct store *st, struct binder *b, const char *what)
{
	sqlite3 *db = sqlite3_db_handle(b->s);

	if (stmt_run(st, b, what) < 0)
		return -1;
	return sqlite3_changes(db);
}

int
store_timer_cancel(struct store *st, int64_t ticket, const char *kind, int64_t at)
{
	const char *what = "cancel timers";
	struct binder b = { tstmt_get(st, TSTMT_CANCEL, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, kind);
	bind_int(&b, 3, at);
	return changes(st, &b, what);
}

/* A min() over no rows is one row holding NULL: 0 then. */
static int
min_lookup(struct store *st, struct binder *b, const char *what, int64_t *v_r)
{
	int rc = b->rc, found = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(b->s);
	if (rc == SQLITE_ROW && sqlite3_column_type(b->s, 0) != SQLITE_NULL) {
		*v_r = sqlite3_column_int64(b->s, 0);
		found = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		found = -1;
	}
	stmt_done(b->s);
	return found;
}

int
store_timer_waiting(struct store *st, int64_t ticket, const char *kind, int64_t *due_r)
{
	const char *what = "read timers";
	struct binder b = { tstmt_get(st, TSTMT_WAITING, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, kind);
	return min_lookup(st, &b, what, due_r);
}

int
store_timer_next(struct store *st, int64_t *at_r)
{
	const char *what = "read timers";
	struct binder b = { tstmt_get(st, TSTMT_NEXT, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	return min_lookup(st, &b, what, at_r);
}

/* Walk the rows of b (id, ticket, kind, due, created, actor[, fired,
 * outcome]) through cb. */
static int
timer_rows(struct store *st, struct binder *b, const char *what, bool done_cols,
    int (*cb)(const struct store_timer *t, void *arg), void *arg)
{
	int rc = b->rc, stop = 0;

	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		struct store_timer t;
		sqlite3_stmt *s = b->s;

		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		t = (struct store_timer){
			.id = sqlite3_column_int64(s, 0),
			.ticket = sqlite3_column_int64(s, 1),
			.kind = (const char *)sqlite3_column_text(s, 2),
			.due_at = sqlite3_column_int64(s, 3),
			.created_at = sqlite3_column_int64(s, 4),
			.actor = (const char *)sqlite3_column_text(s, 5),
		};
		if (done_cols) {
			t.fired_at = sqlite3_column_int64(s, 6);
			t.outcome = (const char *)sqlite3_column_text(s, 7);
		}
		if ((stop = cb(&t, arg)) != 0)
			break;
	}
	if (stop == 0 && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b->s);
		return -1;
	}
	stmt_done(b->s);
	return 0;
}

int
store_timer_due(struct store *st, int64_t now, int limit,
    int (*cb)(const struct store_timer *t, void *arg), void *arg)
{
	const char *what = "read due timers";
	struct binder b = { tstmt_get(st, TSTMT_DUE, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, now);
	bind_int(&b, 2, limit);
	return timer_rows(st, &b, what, false, cb, arg);
}

int
store_timer_list(struct store *st, int64_t ticket,
    int (*cb)(const struct store_timer *t, void *arg), void *arg)
{
	const char *what = "list timers";
	struct binder b = { tstmt_get(st, TSTMT_LIST, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	return timer_rows(st, &b, what, true, cb, arg);
}

int
store_timer_done(struct store *st, int64_t id, const char *outcome, int64_t at)
{
	const char *what = "finish timer";
	struct binder b = { tstmt_get(st, TSTMT_DONE, what), SQLITE_OK };
	int n;

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, id);
	bind_text(&b, 2, outcome);
	bind_int(&b, 3, at);
	n = changes(st, &b, what);
	return n < 0 ? -1 : n > 0 ? 1 : 0;
}

int
store_ticket_brief(struct store *st, int64_t ticket, struct store_ticket_brief *br)
{
	const char *what = "read ticket";
	struct binder b = { tstmt_get(st, TSTMT_BRIEF, what), SQLITE_OK };
	int rc;

	memset(br, 0, sizeof(*br));
	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	if (rc == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(b.s, 0);
		const char *queue = (const char *)sqlite3_column_text(b.s, 1);

		snprintf(br->status, sizeof(br->status), "%s", status ? status : "");
		snprintf(br->queue, sizeof(br->queue), "%s", queue ? queue : "");
		br->created_at = sqlite3_column_int64(b.s, 2);
		br->first_response_at = sqlite3_column_int64(b.s, 3);
		br->satisfaction = sqlite3_column_int(b.s, 4);
		stmt_done(b.s);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b.s);
		return -1;
	}
	stmt_done(b.s);
	return 0;
}

int
store_ticket_set_satisfaction(struct store *st, int64_t ticket, int score, int64_t at)
{
	const char *what = "set satisfaction";
	struct binder b = { tstmt_get(st, TSTMT_SATISFACTION, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_int(&b, 2, score);
	bind_int(&b, 3, at);
	return stmt_run(st, &b, what);
}

int
store_message_kind(struct store *st, const char *message_id, int64_t *ticket_r,
    char kind_r[32])
{
	const char *what = "read message";
	struct binder b = { tstmt_get(st, TSTMT_MESSAGE_KIND, what), SQLITE_OK };
	int rc;

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, message_id);
	rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	if (rc == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(b.s, 1);

		*ticket_r = sqlite3_column_int64(b.s, 0);
		snprintf(kind_r, 32, "%s", kind ? kind : "");
		stmt_done(b.s);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b.s);
		return -1;
	}
	stmt_done(b.s);
	return 0;
}

int
store_message_raw(struct store *st, int64_t id, char **raw_r, size_t *len_r)
{
	const char *what = "read message";
	struct binder b = { tstmt_get(st, TSTMT_MESSAGE_RAW, what), SQLITE_OK };
	int rc;

	*raw_r = NULL;
	*len_r = 0;
	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, id);
	rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	if (rc == SQLITE_ROW && sqlite3_column_type(b.s, 0) != SQLITE_NULL) {
		const void *p = sqlite3_column_blob(b.s, 0);
		size_t n = (size_t)sqlite3_column_bytes(b.s, 0);

		*raw_r = xmalloc(n + 1);
		if (n > 0)
			memcpy(*raw_r, p, n);
		(*raw_r)[n] = '\0';
		*len_r = n;
		stmt_done(b.s);
		return 1;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b.s);
		return -1;
	}
	stmt_done(b.s);
	return 0;
}
