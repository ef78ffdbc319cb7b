/* store_query.c: the queries behind store_query.h (ticket list, ticket
 * show, export). Same conventions as store.c: an enum of statements, their
 * SQL in one table, prepared once per connection; no SQL built from data.
 *
 * Consistency without a transaction: in autocommit mode SQLite keeps one
 * read snapshot for as long as any statement is stepping, so reading a
 * ticket's children while its own row's statement is still open, or a
 * whole export while the outer walk is, sees one state of the database. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/xalloc.h"

#include "store_internal.h"

enum qstmt_id {
	QSTMT_LIST_ALL,
	QSTMT_LIST_STATUS,
	QSTMT_LIST_QUEUE,
	QSTMT_LIST_STATUS_QUEUE,
	QSTMT_TICKET,
	QSTMT_PARTICIPANTS,
	QSTMT_TAGS,
	QSTMT_MESSAGES,
	QSTMT_EVENTS,
	QSTMT_EACH,
	QSTMT_TAG_ADD,
	QSTMT_COUNT
};

_Static_assert(QSTMT_COUNT <= STORE_QUERY_STMTS,
    "store_internal.h: raise STORE_QUERY_STMTS");

/* The count and the newest time come from the messages_ticket index
 * (ticket_id, received_at) alone, without reading a message row. */
#define LIST_SELECT \
	"SELECT t.id, t.subject, t.status, t.queue, t.priority, " \
	"t.requester_addr, t.requester_name, t.assignee, t.language, " \
	"t.created_at, t.updated_at, " \
	"(SELECT count(*) FROM messages m WHERE m.ticket_id = t.id), " \
	"(SELECT max(m.received_at) FROM messages m " \
	"WHERE m.ticket_id = t.id) FROM tickets t "

/* Four list statements rather than "?1 IS NULL OR status = ?1": SQLite
 * plans a statement once, and such an OR keeps it off the index. */
static const char *const qstmt_sql[QSTMT_COUNT] = {
	[QSTMT_LIST_ALL] = LIST_SELECT "ORDER BY t.id DESC",
	[QSTMT_LIST_STATUS] = LIST_SELECT
	    "WHERE t.status = ?1 ORDER BY t.id DESC",
	[QSTMT_LIST_QUEUE] = LIST_SELECT
	    "WHERE t.queue = ?2 ORDER BY t.id DESC",
	[QSTMT_LIST_STATUS_QUEUE] = LIST_SELECT
	    "WHERE t.status = ?1 AND t.queue = ?2 ORDER BY t.id DESC",
	[QSTMT_TICKET] =
	    "SELECT id, subject, status, queue, priority, requester_addr, "
	    "requester_name, assignee, language, created_at, updated_at, "
	    "first_response_at, resolved_at, closed_at, satisfaction "
	    "FROM tickets WHERE id = ?1",
	[QSTMT_PARTICIPANTS] =
	    "SELECT addr, name, role, failing FROM participants "
	    "WHERE ticket_id = ?1 ORDER BY CASE role WHEN 'requester' THEN 0 "
	    "WHEN 'cc' THEN 1 ELSE 2 END, addr",
	[QSTMT_TAGS] = "SELECT tag FROM tags WHERE ticket_id = ?1 ORDER BY tag",
	/* SQLite reads a column only when the CASE needs it: without the
	 * flags, text and the raw BLOB (overflow pages) stay on disk. The
	 * order is the messages_ticket index's: no sort. */
	[QSTMT_MESSAGES] =
	    "SELECT id, direction, kind, message_id, from_addr, from_name, "
	    "subject, date, received_at, thread_via, "
	    "CASE WHEN ?2 THEN text END, CASE WHEN ?2 THEN text_new END, "
	    "CASE WHEN ?3 THEN raw END "
	    "FROM messages WHERE ticket_id = ?1 ORDER BY received_at, id",
	[QSTMT_EVENTS] =
	    "SELECT at, type, actor, detail FROM events WHERE ticket_id = ?1 "
	    "ORDER BY at, id",
	[QSTMT_EACH] = "SELECT id FROM tickets ORDER BY id",
	[QSTMT_TAG_ADD] =
	    "INSERT INTO tags (ticket_id, tag) VALUES (?1, ?2) "
	    "ON CONFLICT DO NOTHING",
};

static sqlite3_stmt *
qstmt_get(struct store *st, enum qstmt_id id, const char *what)
{
	return query_stmt_get(st, id, qstmt_sql[id], what);
}

/* --- columns ------------------------------------------------------------ */

/* Borrowed: valid until the next step or reset of s. */
static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* A copy the caller frees, or NULL for SQL NULL. */
static char *
col_dup(sqlite3_stmt *s, int i)
{
	const char *v = col_text(s, i);

	return v != NULL ? xstrdup(v) : NULL;
}

/* NULL reads as 0 ("none"), as the store writes it. */
static int64_t
col_int(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

/* Room for one more element in *v (n used, *cap allocated). */
static void *
grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap != 0 ? *cap * 2 : 8;
	return xrealloc(v, *cap * size);
}

/* --- ticket list ---------------------------------------------------------- */

static void
list_row(sqlite3_stmt *s, struct store_ticket_row *t)
{
	t->id = col_int(s, 0);
	t->subject = col_text(s, 1);
	t->status = col_text(s, 2);
	t->queue = col_text(s, 3);
	t->priority = col_text(s, 4);
	t->requester_addr = col_text(s, 5);
	t->requester_name = col_text(s, 6);
	t->assignee = col_text(s, 7);
	t->language = col_text(s, 8);
	t->created_at = col_int(s, 9);
	t->updated_at = col_int(s, 10);
	t->messages = col_int(s, 11);
	t->last_message_at = col_int(s, 12);
}

int
store_ticket_list(struct store *st, const char *status, const char *queue,
    store_ticket_row_fn *fn, void *ctx)
{
	const char *what = "list tickets";
	enum qstmt_id which = status != NULL ?
	    (queue != NULL ? QSTMT_LIST_STATUS_QUEUE : QSTMT_LIST_STATUS) :
	    (queue != NULL ? QSTMT_LIST_QUEUE : QSTMT_LIST_ALL);
	struct binder b = { qstmt_get(st, which, what), SQLITE_OK };
	struct store_ticket_row t;
	int rc, ret = 0;

	if (b.s == NULL)
		return -1;
	if (status != NULL)
		bind_text(&b, 1, status);
	if (queue != NULL)
		bind_text(&b, 2, queue);
	rc = b.rc;
	while (rc == SQLITE_OK && (rc = sqlite3_step(b.s)) == SQLITE_ROW) {
		list_row(b.s, &t);
		if ((ret = fn(&t, ctx)) != 0)
			break;
		rc = SQLITE_OK;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		ret = -1;
	}
	stmt_done(b.s);
	return ret;
}

/* --- one ticket ------------------------------------------------------------ */

static void
ticket_row(sqlite3_stmt *s, struct store_ticket_view *t)
{
	t->id = col_int(s, 0);
	t->subject = col_dup(s, 1);
	t->status = col_dup(s, 2);
	t->queue = col_dup(s, 3);
	t->priority = col_dup(s, 4);
	t->requester_addr = col_dup(s, 5);
	t->requester_name = col_dup(s, 6);
	t->assignee = col_dup(s, 7);
	t->language = col_dup(s, 8);
	t->created_at = col_int(s, 9);
	t->updated_at = col_int(s, 10);
	t->first_response_at = col_int(s, 11);
	t->resolved_at = col_int(s, 12);
	t->closed_at = col_int(s, 13);
	t->satisfaction = (int)col_int(s, 14);
}

/* Filling one of a view's arrays: cap is how many elements it has room for. */
struct child {
	struct store_ticket_view *t;
	size_t cap;
};

/* Step a child statement (ticket id bound as ?1), add(row) each; 0 or -1. */
static int
children(struct store *st, struct binder *b, const char *what,
    void (*add)(sqlite3_stmt *s, struct child *c), struct child *c)
{
	int rc = b->rc;

	c->cap = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(b->s)) == SQLITE_ROW) {
		add(b->s, c);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b->s);
		return -1;
	}
	stmt_done(b->s);
	return 0;
}

static void
add_participant(sqlite3_stmt *s, struct child *c)
{
	struct store_ticket_view *t = c->t;
	struct store_participant_view *p;

	t->participants = grow(t->participants, t->nparticipants, &c->cap,
	    sizeof(*t->participants));
	p = &t->participants[t->nparticipants++];
	p->addr = col_dup(s, 0);
	p->name = col_dup(s, 1);
	p->role = col_dup(s, 2);
	p->failing = col_int(s, 3) != 0;
}

static void
add_tag(sqlite3_stmt *s, struct child *c)
{
	struct store_ticket_view *t = c->t;

	t->tags = grow(t->tags, t->ntags, &c->cap, sizeof(*t->tags));
	t->tags[t->ntags++] = col_dup(s, 0);
}

/* The raw bytes with a NUL after them (a BLOB may hold anything). */
static char *
col_blob(sqlite3_stmt *s, int i, size_t *len_r)
{
	const void *p = sqlite3_column_blob(s, i);
	size_t len = (size_t)sqlite3_column_bytes(s, i);
	char *v;

	*len_r = 0;
	if (p == NULL)
		return NULL;
	v = xmalloc(len + 1);
	memcpy(v, p, len);
	v[len] = '\0';
	*len_r = len;
	return v;
}

static void
add_message(sqlite3_stmt *s, struct child *c)
{
	struct store_ticket_view *t = c->t;
	struct store_message_view *m;

	t->messages = grow(t->messages, t->nmessages, &c->cap,
	    sizeof(*t->messages));
	m = &t->messages[t->nmessages++];
	m->id = col_int(s, 0);
	m->direction = col_dup(s, 1);
	m->kind = col_dup(s, 2);
	m->message_id = col_dup(s, 3);
	m->from_addr = col_dup(s, 4);
	m->from_name = col_dup(s, 5);
	m->subject = col_dup(s, 6);
	m->date = col_int(s, 7);
	m->received_at = col_int(s, 8);
	m->thread_via = col_dup(s, 9);
	m->text = col_dup(s, 10);
	m->text_new = col_dup(s, 11);
	m->raw = col_blob(s, 12, &m->raw_len);
}

static void
add_event(sqlite3_stmt *s, struct child *c)
{
	struct store_ticket_view *t = c->t;
	struct store_event_view *e;

	t->events = grow(t->events, t->nevents, &c->cap, sizeof(*t->events));
	e = &t->events[t->nevents++];
	e->at = col_int(s, 0);
	e->type = col_dup(s, 1);
	e->actor = col_dup(s, 2);
	e->detail = col_dup(s, 3);
}

/* Participants, tags, messages and events of t->id; 0 or -1. */
static int
ticket_children(struct store *st, unsigned flags, struct store_ticket_view *t)
{
	static const struct {
		enum qstmt_id stmt;
		void (*add)(sqlite3_stmt *s, struct child *c);
	} parts[] = {
		{ QSTMT_PARTICIPANTS, add_participant },
		{ QSTMT_TAGS, add_tag },
		{ QSTMT_MESSAGES, add_message },
		{ QSTMT_EVENTS, add_event },
	};
	const char *what = "read ticket";
	struct child c = { t, 0 };
	struct binder b;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		b.s = qstmt_get(st, parts[i].stmt, what);
		b.rc = SQLITE_OK;
		if (b.s == NULL)
			return -1;
		bind_int(&b, 1, t->id);
		if (parts[i].stmt == QSTMT_MESSAGES) {
			bind_int(&b, 2, (flags & STORE_VIEW_TEXT) != 0);
			bind_int(&b, 3, (flags & STORE_VIEW_RAW) != 0);
		}
		if (children(st, &b, what, parts[i].add, &c) < 0)
			return -1;
	}
	return 0;
}

int
store_ticket_get(struct store *st, int64_t id, unsigned flags,
    struct store_ticket_view *t_r)
{
	const char *what = "read ticket";
	struct binder b = { qstmt_get(st, QSTMT_TICKET, what), SQLITE_OK };
	int rc;

	memset(t_r, 0, sizeof(*t_r));
	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, id);
	rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	if (rc != SQLITE_ROW) {
		stmt_done(b.s);
		if (rc == SQLITE_DONE)
			return 0;
		fail_rc(st, rc, what);
		return -1;
	}
	ticket_row(b.s, t_r);
	/* The ticket's statement stays open until its children are read:
	 * that holds the read snapshot (see the top of the file). */
	if (ticket_children(st, flags, t_r) < 0) {
		stmt_done(b.s);
		store_ticket_view_free(t_r);
		return -1;
	}
	stmt_done(b.s);
	return 1;
}

void
store_ticket_view_free(struct store_ticket_view *t)
{
	free(t->subject);
	free(t->status);
	free(t->queue);
	free(t->priority);
	free(t->requester_addr);
	free(t->requester_name);
	free(t->assignee);
	free(t->language);
	for (size_t i = 0; i < t->nparticipants; i++) {
		free(t->participants[i].addr);
		free(t->participants[i].name);
		free(t->participants[i].role);
	}
	free(t->participants);
	for (size_t i = 0; i < t->ntags; i++)
		free(t->tags[i]);
	free(t->tags);
	for (size_t i = 0; i < t->nmessages; i++) {
		struct store_message_view *m = &t->messages[i];

		free(m->direction);
		free(m->kind);
		free(m->message_id);
		free(m->from_addr);
		free(m->from_name);
		free(m->subject);
		free(m->thread_via);
		free(m->text);
		free(m->text_new);
		free(m->raw);
	}
	free(t->messages);
	for (size_t i = 0; i < t->nevents; i++) {
		free(t->events[i].type);
		free(t->events[i].actor);
		free(t->events[i].detail);
	}
	free(t->events);
	memset(t, 0, sizeof(*t));
}

/* --- every ticket ----------------------------------------------------------- */

int
store_ticket_each(struct store *st, unsigned flags,
    store_ticket_view_fn *fn, void *ctx)
{
	const char *what = "walk tickets";
	struct binder b = { qstmt_get(st, QSTMT_EACH, what), SQLITE_OK };
	struct store_ticket_view t;
	int rc = SQLITE_OK, ret = 0, found;

	if (b.s == NULL)
		return -1;
	/* One ticket in memory at a time; the walk's open statement keeps
	 * the snapshot for the whole export. */
	while ((rc = sqlite3_step(b.s)) == SQLITE_ROW) {
		found = store_ticket_get(st, col_int(b.s, 0), flags, &t);
		if (found < 0) {
			ret = -1;
			break;
		}
		if (found == 0)	/* cannot happen within one snapshot */
			continue;
		ret = fn(&t, ctx);
		store_ticket_view_free(&t);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		ret = -1;
	}
	stmt_done(b.s);
	return ret;
}

/* --- tags ------------------------------------------------------------------- */

int
store_tag_add(struct store *st, int64_t ticket, const char *tag)
{
	const char *what = "add tag";
	struct binder b = { qstmt_get(st, QSTMT_TAG_ADD, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, tag);
	return stmt_run(st, &b, what);
}
