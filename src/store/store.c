/* store.c: the SQLite connection, its transactions and errors, and the
 * queries behind store.h. The tables are in schema.c.
 *
 * Every query is a prepared statement with bound parameters, prepared once
 * per connection (lazily, SQLITE_PREPARE_PERSISTENT) and kept in st->stmts;
 * no SQL is ever built from data. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "postdesk/log.h"
#include "postdesk/store.h"
#include "postdesk/xalloc.h"

#include "store_internal.h"

/* How long a writer waits for another one to finish before giving up with
 * SQLITE_BUSY (a temporary error: the message is retried later). Long
 * enough for a CLI command's transaction, short enough that a stuck
 * process shows up in the log. */
static const int STORE_BUSY_TIMEOUT_MS = 30 * 1000;

enum stmt_id {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_USER_VERSION,
	STMT_SEEN_FIND,
	STMT_MSGID_FIND,
	STMT_HASH_FIND,
	STMT_MESSAGE_ADD,
	STMT_SEEN_ADD,
	STMT_SEEN_ADD_IGNORE,
	STMT_STATE_GET,
	STMT_STATE_SET,
	STMT_TICKET_ADD,
	STMT_EVENT_ADD,
	STMT_TICKET_OF_MSGID,
	STMT_TICKET_STATUS,
	STMT_TICKET_SET_STATUS,
	STMT_TICKET_TOUCH,
	STMT_PART_HAS,
	STMT_PART_ADD,
	STMT_PART_FAILING,
	STMT_QUAR_FIND,
	STMT_QUAR_ADD,
	STMT_META_GET,
	STMT_META_SET,
	STMT_REF_ADD,
	STMT_TICKET_OF_REF,
	STMT_QUAR_LIST,
	STMT_QUAR_GET,
	STMT_QUAR_STATE,
	STMT_OUTBOX_ADD,
	STMT_OUTBOX_DUE,
	STMT_OUTBOX_SET,
	STMT_OUTBOX_RECOVER,
	STMT_OUTBOX_NEXT,
	STMT_OUTBOX_LIST,
	STMT_OUTBOX_REQUEUE,
	STMT_ACK_COUNT,
	STMT_ACK_ADD,
	STMT_FIRST_RESPONSE,
	STMT_SET_ASSIGNEE,
	STMT_SET_QUEUE,
	STMT_SET_PRIORITY,
	STMT_OPEN_COUNT,
	STMT_SERVICE_COUNTS,
	STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
	/* a message can be stored without a ticket: ticket 0 then */
	[STMT_TICKET_OF_MSGID] =
	    "SELECT coalesce(ticket_id, 0) FROM messages WHERE message_id = ?1",
	[STMT_TICKET_STATUS] =
	    "SELECT status, coalesce(max(coalesce(closed_at, 0), "
	    "coalesce(resolved_at, 0)), 0) FROM tickets WHERE id = ?1",
	/* resolved_at / closed_at keep the last time the ticket got there */
	[STMT_TICKET_SET_STATUS] =
	    "UPDATE tickets SET status = ?2, updated_at = ?3, "
	    "resolved_at = CASE WHEN ?2 = 'resolved' THEN ?3 ELSE resolved_at END, "
	    "closed_at = CASE WHEN ?2 = 'closed' THEN ?3 ELSE closed_at END "
	    "WHERE id = ?1",
	[STMT_TICKET_TOUCH] =
	    "UPDATE tickets SET updated_at = max(updated_at, ?2) WHERE id = ?1",
	[STMT_PART_HAS] =
	    "SELECT 1 FROM participants WHERE ticket_id = ?1 AND addr = ?2",
	[STMT_PART_ADD] =
	    "INSERT INTO participants (ticket_id, addr, name, role) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	[STMT_PART_FAILING] =
	    "UPDATE participants SET failing = 1 WHERE ticket_id = ?1 AND addr = ?2",
	[STMT_QUAR_FIND] =
	    "SELECT id FROM quarantine WHERE account = ?1 AND mailbox = ?2 "
	    "AND uidvalidity = ?3 AND uid = ?4",
	[STMT_QUAR_ADD] =
	    "INSERT INTO quarantine (account, mailbox, uidvalidity, uid, "
	    "reason, created_at, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[STMT_QUAR_LIST] =
	    "SELECT id, coalesce(account, ''), coalesce(mailbox, ''), "
	    "coalesce(uidvalidity, 0), coalesce(uid, 0), reason, created_at, "
	    "state, length(raw) FROM quarantine WHERE ?1 OR state = 'held' "
	    "ORDER BY id",
	[STMT_QUAR_GET] =
	    "SELECT account, mailbox, coalesce(uidvalidity, 0), coalesce(uid, 0), "
	    "reason, created_at, state, raw FROM quarantine WHERE id = ?1",
	[STMT_QUAR_STATE] = "UPDATE quarantine SET state = ?2 WHERE id = ?1",
	[STMT_OUTBOX_ADD] =
	    "INSERT INTO outbox (ticket_id, message, kind, env_from, rcpt, "
	    "next_try_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	/* the raw bytes are the outbox row's own or its message's */
	[STMT_OUTBOX_DUE] =
	    "SELECT o.id, coalesce(o.ticket_id, 0), o.kind, o.env_from, o.rcpt, "
	    "o.attempts, o.created_at, coalesce(o.raw, m.raw), coalesce(o.message, 0) "
	    "FROM outbox o "
	    "LEFT JOIN messages m ON m.id = o.message "
	    "WHERE o.state = 'pending' AND o.next_try_at <= ?1 ORDER BY o.id LIMIT ?2",
	[STMT_OUTBOX_SET] =
	    "UPDATE outbox SET state = ?2, attempts = attempts + ?3, "
	    "next_try_at = ?4, last_error = ?5, "
	    "sent_at = CASE WHEN ?2 = 'sent' THEN ?4 ELSE sent_at END WHERE id = ?1",
	[STMT_OUTBOX_RECOVER] =
	    "UPDATE outbox SET state = 'pending' WHERE state = 'sending'",
	[STMT_OUTBOX_NEXT] =
	    "SELECT min(next_try_at) FROM outbox WHERE state = 'pending'",
	[STMT_OUTBOX_LIST] =
	    "SELECT id, coalesce(ticket_id, 0), kind, rcpt, state, attempts, "
	    "next_try_at, created_at, coalesce(last_error, '') FROM outbox "
	    "WHERE state IN ('pending', 'sending', 'failed') OR ?1 ORDER BY id",
	[STMT_OUTBOX_REQUEUE] =
	    "UPDATE outbox SET state = 'pending', next_try_at = ?2, "
	    "created_at = ?2, last_error = NULL WHERE id = ?1 AND state <> 'sent'",
	[STMT_ACK_COUNT] = "SELECT count(*) FROM ack_log WHERE addr = ?1 AND at > ?2",
	[STMT_ACK_ADD] = "INSERT INTO ack_log (addr, at) VALUES (?1, ?2)",
	[STMT_FIRST_RESPONSE] =
	    "UPDATE tickets SET first_response_at = coalesce(first_response_at, ?2) "
	    "WHERE id = ?1",
	[STMT_SET_ASSIGNEE] =
	    "UPDATE tickets SET assignee = ?2, updated_at = ?3 WHERE id = ?1",
	[STMT_SET_QUEUE] = "UPDATE tickets SET queue = ?2, updated_at = ?3 WHERE id = ?1",
	[STMT_SET_PRIORITY] =
	    "UPDATE tickets SET priority = ?2, updated_at = ?3 WHERE id = ?1",
	[STMT_OPEN_COUNT] =
	    "SELECT count(*) FROM tickets WHERE assignee = ?1 "
	    "AND status IN ('new', 'open', 'pending')",
	[STMT_SERVICE_COUNTS] =
	    "SELECT (SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'pending')), "
	    "(SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending'))",
	[STMT_REF_ADD] =
	    "INSERT INTO message_refs (ref, message) VALUES (?1, ?2) "
	    "ON CONFLICT DO NOTHING",
	/* the ticket of the latest message that refers to ref */
	[STMT_TICKET_OF_REF] =
	    "SELECT m.ticket_id FROM message_refs r JOIN messages m "
	    "ON m.id = r.message WHERE r.ref = ?1 AND m.ticket_id IS NOT NULL "
	    "ORDER BY r.message DESC LIMIT 1",
	[STMT_META_SET] =
	    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_USER_VERSION] = "PRAGMA user_version",
	[STMT_SEEN_FIND] =
	    "SELECT message FROM imap_seen WHERE account = ?1 AND "
	    "mailbox = ?2 AND uidvalidity = ?3 AND uid = ?4",
	[STMT_MSGID_FIND] = "SELECT id FROM messages WHERE message_id = ?1",
	[STMT_HASH_FIND] =
	    "SELECT id FROM messages WHERE content_hash = ?1 "
	    "ORDER BY id LIMIT 1",
	[STMT_MESSAGE_ADD] =
	    "INSERT INTO messages (ticket_id, direction, kind, message_id, "
	    "in_reply_to, refs, from_addr, from_name, subject, date, "
	    "received_at, thread_via, size, content_hash, text, text_new, raw) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17)",
	[STMT_SEEN_ADD] =
	    "INSERT INTO imap_seen (account, mailbox, uidvalidity, uid, message) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	/* Not INSERT OR IGNORE: that would also skip NOT NULL and CHECK
	 * violations silently; only the duplicate is meant. */
	[STMT_SEEN_ADD_IGNORE] =
	    "INSERT INTO imap_seen (account, mailbox, uidvalidity, uid, message) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
	[STMT_STATE_GET] =
	    "SELECT uidvalidity, last_uid FROM imap_state "
	    "WHERE account = ?1 AND mailbox = ?2",
	[STMT_STATE_SET] =
	    "INSERT INTO imap_state (account, mailbox, uidvalidity, last_uid) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account, mailbox) DO UPDATE "
	    "SET uidvalidity = excluded.uidvalidity, "
	    "last_uid = excluded.last_uid",
	[STMT_TICKET_ADD] =
	    "INSERT INTO tickets (subject, requester_addr, requester_name, "
	    "queue, priority, status, language, assignee, created_at, "
	    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
	[STMT_EVENT_ADD] =
	    "INSERT INTO events (ticket_id, at, type, actor, detail) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmts[STMT_COUNT];	/* prepared on first use */
	sqlite3_stmt *query_stmts[STORE_QUERY_STMTS];	/* store_query.c's */
	sqlite3_stmt *timer_stmts[STORE_TIMER_STMTS];	/* store_timer.c's */
	sqlite3_stmt *stats_stmts[STORE_STATS_STMTS];	/* store_stats.c's */
	char *error;		/* owned; the last failure, NULL before one */
	bool temporary;		/* the last failure is worth retrying */
};

/* --- errors --------------------------------------------------------------- */

/* Retrying later can help: locks, a full disk, I/O trouble, memory. The
 * rest (constraints, corruption, misuse) fails the same way every time. */
static bool
rc_temporary(int rc)
{
	switch (rc & 0xff) {	/* the primary code of an extended one */
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
		return true;
	default:
		return false;
	}
}

/* Record a failed sqlite call: "store: WHAT: sqlite's message". */
void
fail_rc(struct store *st, int rc, const char *what)
{
	const char *msg;

	/* sqlite3_errmsg() belongs to the last call on the connection;
	 * fall back on the generic text if that was not this one. */
	msg = sqlite3_extended_errcode(st->db) == rc ? sqlite3_errmsg(st->db) :
	    sqlite3_errstr(rc);
	free(st->error);
	st->error = xasprintf("store: %s: %s", what, msg);
	st->temporary = rc_temporary(rc);
}

/* Record a failure of the caller's making (bad arguments): permanent. */
void
fail_msg(struct store *st, const char *what, const char *msg)
{
	free(st->error);
	st->error = xasprintf("store: %s: %s", what, msg);
	st->temporary = false;
}

const char *
store_error(struct store *st)
{
	return st->error != NULL ? st->error : "store: no error";
}

bool
store_error_temporary(struct store *st)
{
	return st->temporary;
}

/* --- statements ------------------------------------------------------------ */

static sqlite3_stmt *
prepare_once(struct store *st, sqlite3_stmt **slot, const char *sql,
    const char *what)
{
	int rc;

	if (*slot == NULL) {
		rc = sqlite3_prepare_v3(st->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, slot, NULL);
		if (rc != SQLITE_OK) {
			fail_rc(st, rc, what);
			*slot = NULL;
		}
	}
	return *slot;
}

static sqlite3_stmt *
stmt_get(struct store *st, enum stmt_id id, const char *what)
{
	return prepare_once(st, &st->stmts[id], stmt_sql[id], what);
}

sqlite3_stmt *
query_stmt_get(struct store *st, size_t i, const char *sql, const char *what)
{
	return prepare_once(st, &st->query_stmts[i], sql, what);
}

sqlite3_stmt *
timer_stmt_get(struct store *st, size_t i, const char *sql, const char *what)
{
	return prepare_once(st, &st->timer_stmts[i], sql, what);
}

sqlite3_stmt *
stats_stmt_get(struct store *st, size_t i, const char *sql, const char *what)
{
	return prepare_once(st, &st->stats_stmts[i], sql, what);
}

/* Ready a statement for its next use. Strings are bound SQLITE_STATIC (no
 * copy of a multi-megabyte raw message), so the bindings are cleared too:
 * nothing may point into the caller's memory after the call returns. */
void
stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

void
bind_text(struct binder *b, int i, const char *v)
{
	if (b->rc == SQLITE_OK)	/* NULL binds SQL NULL */
		b->rc = sqlite3_bind_text(b->s, i, v, -1, SQLITE_STATIC);
}

void
bind_int(struct binder *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->s, i, v);
}

/* 0 means "none" (a ticket id, an unknown date): SQL NULL. */
void
bind_int_or_null(struct binder *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = v != 0 ? sqlite3_bind_int64(b->s, i, v) :
		    sqlite3_bind_null(b->s, i);
}

void
bind_blob(struct binder *b, int i, const void *p, size_t len)
{
	if (b->rc == SQLITE_OK)
		b->rc = p != NULL ?
		    sqlite3_bind_blob64(b->s, i, p, len, SQLITE_STATIC) :
		    sqlite3_bind_null(b->s, i);
}

/* Run a statement that returns no rows. */
int
stmt_run(struct store *st, struct binder *b, const char *what)
{
	int rc = b->rc;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(b->s);
	if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b->s);
		return -1;
	}
	stmt_done(b->s);
	return 0;
}

/* Run a lookup of one integer: 1 and *v_r when a row came back, 0 when
 * none did, -1 on error. */
int
stmt_int64(struct store *st, struct binder *b, const char *what,
    int64_t *v_r)
{
	int rc = b->rc;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(b->s);
	if (rc == SQLITE_ROW)
		*v_r = sqlite3_column_int64(b->s, 0);
	else if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b->s);
		return -1;
	}
	stmt_done(b->s);
	return rc == SQLITE_ROW ? 1 : 0;
}

/* Run a statement without parameters. */
static int
stmt_simple(struct store *st, enum stmt_id id, const char *what)
{
	struct binder b = { stmt_get(st, id, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	return stmt_run(st, &b, what);
}

/* --- open and close ---------------------------------------------------- */

static bool
is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0;
}

/* Create the file ourselves, mode 0600, before SQLite opens it: the mail
 * in it is private, and SQLite creates the -wal and -shm files with the
 * mode of the database file. No umask change (that is process-wide) and
 * no chmod afterwards (the file would exist world-readable for a moment).
 * An existing file keeps its mode: that is the administrator's choice. */
static int
create_private(const char *path, char **error_r)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* "PRAGMA journal_mode = WAL" answers with the mode in effect, which is
 * not WAL where WAL cannot work (some network file systems). */
static int
set_wal(sqlite3 *db, const char *path, char **error_r)
{
	const char *want = is_memory(path) ? "memory" : "wal";
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(s, 0);

		if (mode == NULL || strcmp(mode, want) != 0) {
			*error_r = xasprintf("%s: journal mode is %s, not WAL",
			    path, mode != NULL ? mode : "unknown");
			sqlite3_finalize(s);
			return -1;
		}
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		*error_r = xasprintf("%s: set journal mode: %s", path,
		    sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The per-connection settings. synchronous = FULL, not NORMAL: under WAL,
 * NORMAL keeps the database consistent but a commit can be lost to a power
 * failure or an OS crash, and postdesk acts on a commit outside the
 * database (the IMAP message is moved, the MTA is told "delivered"), so a
 * lost commit would be lost mail. FULL costs one fsync of the WAL per
 * transaction, i.e. per message. */
static int
set_pragmas(sqlite3 *db, const char *path, char **error_r)
{
	int rc, fk = 0;
	sqlite3_stmt *s;

	if (set_wal(db, path, error_r) < 0)
		return -1;
	rc = sqlite3_exec(db, "PRAGMA foreign_keys = ON; "
	    "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	/* foreign_keys is silently ignored by a SQLite built without them. */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			fk = sqlite3_column_int(s, 0);
		rc = sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK) {
		*error_r = xasprintf("%s: set pragmas: %s", path,
		    sqlite3_errmsg(db));
		return -1;
	}
	if (fk != 1) {
		*error_r = xasprintf("%s: this SQLite does not enforce foreign "
		    "keys", path);
		return -1;
	}
	return 0;
}

int
store_open(const char *path, struct store **st_r, char **error_r)
{
	struct store *st;
	sqlite3 *db = NULL;
	int rc;

	*st_r = NULL;
	if (!is_memory(path) && create_private(path, error_r) < 0)
		return -1;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		*error_r = xasprintf("%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	/* SQLITE_IOERR_* and friends, for the messages; rc_temporary()
	 * looks at the primary code. */
	sqlite3_extended_result_codes(db, 1);
	/* Before the pragmas: switching to WAL may wait for a lock. */
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	if (set_pragmas(db, path, error_r) < 0 ||
	    schema_upgrade(db, path, error_r) < 0) {
		sqlite3_close(db);
		return -1;
	}
	st = xcalloc(1, sizeof(*st));
	st->db = db;
	*st_r = st;
	return 0;
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;
	int rc;

	if (st == NULL)
		return;
	for (size_t i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);	/* NULL is a no-op */
	for (size_t i = 0; i < STORE_QUERY_STMTS; i++)
		sqlite3_finalize(st->query_stmts[i]);
	for (size_t i = 0; i < STORE_TIMER_STMTS; i++)
		sqlite3_finalize(st->timer_stmts[i]);
	for (size_t i = 0; i < STORE_STATS_STMTS; i++)
		sqlite3_finalize(st->stats_stmts[i]);
	rc = sqlite3_close(st->db);
	if (rc != SQLITE_OK)
		log_error("store: close: %s", sqlite3_errstr(rc));
	free(st->error);
	free(st);
	*stp = NULL;
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

int
store_schema_version(struct store *st)
{
	struct binder b = { stmt_get(st, STMT_USER_VERSION, "read schema "
	    "version"), SQLITE_OK };
	int64_t v;

	if (b.s == NULL)
		return -1;
	if (stmt_int64(st, &b, "read schema version", &v) <= 0)
		return -1;
	return (int)v;
}

/* --- transactions ---------------------------------------------------------- */

int
store_begin(struct store *st)
{
	return stmt_simple(st, STMT_BEGIN, "begin");
}

int
store_commit(struct store *st)
{
	if (stmt_simple(st, STMT_COMMIT, "commit") == 0)
		return 0;
	store_rollback(st);	/* leave no half-state behind */
	return -1;
}

void
store_rollback(struct store *st)
{
	char *error = st->error;
	bool temporary = st->temporary;

	/* Some errors (SQLITE_FULL, IOERR, NOMEM, BUSY) end the transaction
	 * already; there is nothing left to roll back then. */
	if (sqlite3_get_autocommit(st->db))
		return;
	/* The caller wants the error that made it roll back, not ours. */
	st->error = NULL;
	if (stmt_simple(st, STMT_ROLLBACK, "rollback") < 0)
		log_error("%s", st->error);
	free(st->error);
	st->error = error;
	st->temporary = temporary;
}

/* --- message identity ---------------------------------------------------- */

static void
bind_imap(struct binder *b, const struct store_identity *id)
{
	bind_text(b, 1, id->account);
	bind_text(b, 2, id->mailbox);
	bind_int(b, 3, id->uidvalidity);
	bind_int(b, 4, id->uid);
}

/* A message row by one text key (Message-ID or content hash). */
static int
find_by_text(struct store *st, enum stmt_id which, const char *key,
    int64_t *message_r)
{
	struct binder b = { stmt_get(st, which, "find message"), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, key);
	return stmt_int64(st, &b, "find message", message_r);
}

int
store_identity_find(struct store *st, const struct store_identity *id,
    int64_t *message_r)
{
	struct binder b;
	int found;

	if (id->account != NULL) {
		if (id->mailbox == NULL) {
			fail_msg(st, "find message", "IMAP identity without "
			    "a mailbox");
			return -1;
		}
		b.s = stmt_get(st, STMT_SEEN_FIND, "find message");
		b.rc = SQLITE_OK;
		if (b.s == NULL)
			return -1;
		bind_imap(&b, id);
		found = stmt_int64(st, &b, "find message", message_r);
		if (found != 0)
			return found;
	}
	if (id->message_id != NULL) {
		found = find_by_text(st, STMT_MSGID_FIND, id->message_id,
		    message_r);
		if (found != 0)
			return found;
	}
	/* Equal raw bytes are the same mail whatever its Message-ID; this
	 * is what finds a mail whose Message-ID we had to synthesise. */
	if (id->content_hash != NULL)
		return find_by_text(st, STMT_HASH_FIND, id->content_hash,
		    message_r);
	return 0;
}

static int
seen_add(struct store *st, enum stmt_id which, int64_t message,
    const struct store_identity *id)
{
	struct binder b = { stmt_get(st, which, "insert identity"), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_imap(&b, id);
	bind_int(&b, 5, message);
	return stmt_run(st, &b, "insert identity");
}

int
store_message_add(struct store *st, const struct store_message *m,
    const struct store_identity *id, int64_t *id_r)
{
	const char *what = "insert message";
	struct binder b;
	int64_t row;

	/* Two inserts that only make sense together. */
	if (sqlite3_get_autocommit(st->db)) {
		fail_msg(st, what, "no transaction");
		return -1;
	}
	if (id != NULL && id->account != NULL && id->mailbox == NULL) {
		fail_msg(st, what, "IMAP identity without a mailbox");
		return -1;
	}
	b.s = stmt_get(st, STMT_MESSAGE_ADD, what);
	b.rc = SQLITE_OK;
	if (b.s == NULL)
		return -1;
	bind_int_or_null(&b, 1, m->ticket_id);
	bind_text(&b, 2, m->direction);
	bind_text(&b, 3, m->kind);
	bind_text(&b, 4, m->message_id);
	bind_text(&b, 5, m->in_reply_to);
	bind_text(&b, 6, m->references);
	bind_text(&b, 7, m->from_addr);
	bind_text(&b, 8, m->from_name);
	bind_text(&b, 9, m->subject);
	bind_int_or_null(&b, 10, m->date);
	bind_int(&b, 11, (int64_t)time(NULL));
	bind_text(&b, 12, m->thread_via);
	bind_int(&b, 13, (int64_t)m->raw_len);
	bind_text(&b, 14, m->content_hash);
	bind_text(&b, 15, m->text);
	bind_text(&b, 16, m->text_new);
	bind_blob(&b, 17, m->raw, m->raw_len);
	if (stmt_run(st, &b, what) < 0)
		return -1;
	row = sqlite3_last_insert_rowid(st->db);
	/* Strict here (no ON CONFLICT): a new message cannot already have
	 * been seen at this place; if it was, the caller skipped the lookup
	 * and the caller's transaction must fail. */
	if (id != NULL && id->account != NULL &&
	    seen_add(st, STMT_SEEN_ADD, row, id) < 0)
		return -1;
	*id_r = row;
	return 0;
}

int
store_identity_add(struct store *st, int64_t message,
    const struct store_identity *id)
{
	if (id->account == NULL)
		return 0;	/* only an IMAP copy has a place to record */
	if (id->mailbox == NULL) {
		fail_msg(st, "insert identity", "IMAP identity without a "
		    "mailbox");
		return -1;
	}
	return seen_add(st, STMT_SEEN_ADD_IGNORE, message, id);
}

/* --- IMAP state ---------------------------------------------------------- */

int
store_imap_state_get(struct store *st, const char *account,
    const char *mailbox, uint32_t *uidvalidity_r, uint32_t *last_uid_r)
{
	const char *what = "get imap state";
	struct binder b = { stmt_get(st, STMT_STATE_GET, what), SQLITE_OK };
	int rc;

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, account);
	bind_text(&b, 2, mailbox);
	rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	if (rc == SQLITE_ROW) {
		/* The CHECKs keep both in 0..2^32-1. */
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(b.s, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(b.s, 1);
	} else if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b.s);
		return -1;
	}
	stmt_done(b.s);
	return rc == SQLITE_ROW ? 1 : 0;
}

int
store_imap_state_set(struct store *st, const char *account,
    const char *mailbox, uint32_t uidvalidity, uint32_t last_uid)
{
	const char *what = "set imap state";
	struct binder b = { stmt_get(st, STMT_STATE_SET, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, account);
	bind_text(&b, 2, mailbox);
	bind_int(&b, 3, uidvalidity);
	bind_int(&b, 4, last_uid);
	return stmt_run(st, &b, what);
}

/* --- tickets and events -------------------------------------------------- */

int
store_ticket_add(struct store *st, const struct store_ticket *t,
    int64_t *id_r)
{
	const char *what = "insert ticket";
	struct binder b = { stmt_get(st, STMT_TICKET_ADD, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, t->subject);
	bind_text(&b, 2, t->requester_addr);
	bind_text(&b, 3, t->requester_name);
	bind_text(&b, 4, t->queue);
	bind_text(&b, 5, t->priority != NULL ? t->priority : "normal");
	bind_text(&b, 6, t->status != NULL ? t->status : "new");
	bind_text(&b, 7, t->language);
	bind_text(&b, 8, t->assignee);
	bind_int(&b, 9, t->created_at != 0 ? t->created_at :
	    (int64_t)time(NULL));
	if (stmt_run(st, &b, what) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_event_add(struct store *st, int64_t ticket, const char *type,
    const char *actor, const char *detail, int64_t at)
{
	const char *what = "insert event";
	struct binder b = { stmt_get(st, STMT_EVENT_ADD, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_int(&b, 2, at != 0 ? at : (int64_t)time(NULL));
	bind_text(&b, 3, type);
	bind_text(&b, 4, actor);
	bind_text(&b, 5, detail);
	return stmt_run(st, &b, what);
}

/* --- threading and ingest --------------------------------------------------- */

int
store_ticket_of_msgid(struct store *st, const char *message_id, int64_t *ticket_r)
{
	const char *what = "find ticket of message";
	struct binder b = { stmt_get(st, STMT_TICKET_OF_MSGID, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, message_id);
	return stmt_int64(st, &b, what, ticket_r);
}

int
store_ticket_status(struct store *st, int64_t ticket, char status_r[16],
    int64_t *closed_at_r)
{
	const char *what = "read ticket status";
	struct binder b = { stmt_get(st, STMT_TICKET_STATUS, what), SQLITE_OK };
	int rc;

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	if (rc == SQLITE_ROW && sqlite3_column_type(b.s, 0) != SQLITE_NULL) {
		const char *s = (const char *)sqlite3_column_text(b.s, 0);

		snprintf(status_r, 16, "%s", s ? s : "");
		*closed_at_r = sqlite3_column_int64(b.s, 1);
		stmt_done(b.s);
		return 1;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(b.s);
		return -1;
	}
	/* An aggregate returns one row of NULLs when no ticket matches. */
	stmt_done(b.s);
	return 0;
}

int
store_ticket_set_status(struct store *st, int64_t ticket, const char *status,
    int64_t at)
{
	const char *what = "set ticket status";
	struct binder b = { stmt_get(st, STMT_TICKET_SET_STATUS, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, status);
	bind_int(&b, 3, at);
	return stmt_run(st, &b, what);
}

int
store_ticket_touch(struct store *st, int64_t ticket, int64_t at)
{
	const char *what = "touch ticket";
	struct binder b = { stmt_get(st, STMT_TICKET_TOUCH, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_int(&b, 2, at);
	return stmt_run(st, &b, what);
}

int
store_participant_has(struct store *st, int64_t ticket, const char *addr)
{
	const char *what = "find participant";
	struct binder b = { stmt_get(st, STMT_PART_HAS, what), SQLITE_OK };
	int64_t one;

	if (addr == NULL)
		return 0;
	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, addr);
	return stmt_int64(st, &b, what, &one);
}

int
store_participant_add(struct store *st, int64_t ticket, const char *addr,
    const char *name, const char *role)
{
	const char *what = "add participant";
	struct binder b = { stmt_get(st, STMT_PART_ADD, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, addr);
	bind_text(&b, 3, name);
	bind_text(&b, 4, role);
	return stmt_run(st, &b, what);
}

int
store_participant_set_failing(struct store *st, int64_t ticket, const char *addr)
{
	const char *what = "mark participant failing";
	struct binder b = { stmt_get(st, STMT_PART_FAILING, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, addr);
	return stmt_run(st, &b, what);
}

int
store_quarantine_add(struct store *st, const struct store_quarantine *q, int64_t *id_r)
{
	const char *what = "quarantine message";
	struct binder b;
	int found;

	if (q->account != NULL) {
		b.s = stmt_get(st, STMT_QUAR_FIND, what);
		b.rc = SQLITE_OK;
		if (b.s == NULL)
			return -1;
		bind_text(&b, 1, q->account);
		bind_text(&b, 2, q->mailbox);
		bind_int(&b, 3, q->uidvalidity);
		bind_int(&b, 4, q->uid);
		found = stmt_int64(st, &b, what, id_r);
		if (found != 0)
			return found < 0 ? -1 : 0;
	}
	b.s = stmt_get(st, STMT_QUAR_ADD, what);
	b.rc = SQLITE_OK;
	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, q->account);
	bind_text(&b, 2, q->mailbox);
	if (q->account != NULL) {
		bind_int(&b, 3, q->uidvalidity);
		bind_int(&b, 4, q->uid);
	}
	bind_text(&b, 5, q->reason);
	bind_int(&b, 6, (int64_t)time(NULL));
	bind_blob(&b, 7, q->raw, q->raw_len);
	if (stmt_run(st, &b, what) < 0)
		return -1;
	*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_meta_get(struct store *st, const char *key, char **value_r)
{
	const char *what = "read meta";
	struct binder b = { stmt_get(st, STMT_META_GET, what), SQLITE_OK };
	int rc;

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, key);
	rc = b.rc == SQLITE_OK ? sqlite3_step(b.s) : b.rc;
	if (rc == SQLITE_ROW) {
		*value_r = xstrdup((const char *)sqlite3_column_text(b.s, 0));
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
store_meta_set(struct store *st, const char *key, const char *value)
{
	const char *what = "write meta";
	struct binder b = { stmt_get(st, STMT_META_SET, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, key);
	bind_text(&b, 2, value);
	return stmt_run(st, &b, what);
}

int
store_refs_add(struct store *st, int64_t message, const char *const *refs, size_t n)
{
	const char *what = "add message references";
	struct binder b;

	for (size_t i = 0; i < n; i++) {
		b.s = stmt_get(st, STMT_REF_ADD, what);
		b.rc = SQLITE_OK;
		if (b.s == NULL)
			return -1;
		bind_text(&b, 1, refs[i]);
		bind_int(&b, 2, message);
		if (stmt_run(st, &b, what) < 0)
			return -1;
	}
	return 0;
}

int
store_ticket_of_ref(struct store *st, const char *ref, int64_t *ticket_r)
{
	const char *what = "find ticket by reference";
	struct binder b = { stmt_get(st, STMT_TICKET_OF_REF, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, ref);
	return stmt_int64(st, &b, what, ticket_r);
}

/* Fill q from the current row of a quarantine query; strings copied. */
static void
quar_row(sqlite3_stmt *s, int first, struct store_quarantine_row *q)
{
	const char *v;

	memset(q, 0, sizeof(*q));
	v = (const char *)sqlite3_column_text(s, first);
	q->account = v && *v ? xstrdup(v) : NULL;
	v = (const char *)sqlite3_column_text(s, first + 1);
	q->mailbox = v && *v ? xstrdup(v) : NULL;
	q->uidvalidity = (uint32_t)sqlite3_column_int64(s, first + 2);
	q->uid = (uint32_t)sqlite3_column_int64(s, first + 3);
	q->reason = xstrdup_null((const char *)sqlite3_column_text(s, first + 4));
	q->created_at = sqlite3_column_int64(s, first + 5);
	q->state = xstrdup_null((const char *)sqlite3_column_text(s, first + 6));
}

void
store_quarantine_row_free(struct store_quarantine_row *q)
{
	free(q->account);
	free(q->mailbox);
	free(q->reason);
	free(q->state);
	free(q->raw);
	memset(q, 0, sizeof(*q));
}

int
store_quarantine_list(struct store *st, bool all,
    int (*cb)(const struct store_quarantine_row *q, void *arg), void *arg)
{
	const char *what = "list quarantine";
	sqlite3_stmt *s = stmt_get(st, STMT_QUAR_LIST, what);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, all ? 1 : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_quarantine_row q;
		int stop;

		quar_row(s, 1, &q);
		q.id = sqlite3_column_int64(s, 0);
		q.raw_len = (size_t)sqlite3_column_int64(s, 8);
		stop = cb(&q, arg);
		store_quarantine_row_free(&q);
		if (stop != 0) {
			stmt_done(s);
			return 0;
		}
	}
	if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(s);
		return -1;
	}
	stmt_done(s);
	return 0;
}

int
store_quarantine_get(struct store *st, int64_t id, struct store_quarantine_row *q)
{
	const char *what = "read quarantine";
	sqlite3_stmt *s = stmt_get(st, STMT_QUAR_GET, what);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *raw = sqlite3_column_blob(s, 7);
		size_t len = (size_t)sqlite3_column_bytes(s, 7);

		quar_row(s, 0, q);
		q->id = id;
		q->raw = xmalloc(len + 1);
		if (raw != NULL)
			memcpy(q->raw, raw, len);
		q->raw[len] = '\0';
		q->raw_len = len;
		stmt_done(s);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(s);
		return -1;
	}
	stmt_done(s);
	return 0;
}

int
store_quarantine_set_state(struct store *st, int64_t id, const char *state)
{
	const char *what = "set quarantine state";
	struct binder b = { stmt_get(st, STMT_QUAR_STATE, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, id);
	bind_text(&b, 2, state);
	return stmt_run(st, &b, what);
}

void
store_set_durable(struct store *st, bool durable)
{
	int rc = sqlite3_exec(st->db, durable ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		log_error("store: set synchronous: %s", sqlite3_errmsg(st->db));
}

/* --- outbox ------------------------------------------------------------------ */

int
store_outbox_add(struct store *st, const struct store_outbox *o, int64_t *id_r)
{
	const char *what = "add to outbox";
	struct binder b = { stmt_get(st, STMT_OUTBOX_ADD, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int_or_null(&b, 1, o->ticket);
	bind_int(&b, 2, o->message);
	bind_text(&b, 3, o->kind);
	bind_text(&b, 4, o->env_from);
	bind_text(&b, 5, o->rcpt);
	bind_int(&b, 6, o->at ? o->at : (int64_t)time(NULL));
	if (stmt_run(st, &b, what) < 0)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_outbox_due(struct store *st, int64_t now, int limit,
    int (*cb)(const struct store_outbox_row *o, void *arg), void *arg)
{
	const char *what = "read outbox";
	sqlite3_stmt *s = stmt_get(st, STMT_OUTBOX_DUE, what);
	int rc, stop = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int(s, 2, limit);
	while (stop == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_outbox_row o = {
			.id = sqlite3_column_int64(s, 0),
			.ticket = sqlite3_column_int64(s, 1),
			.kind = (const char *)sqlite3_column_text(s, 2),
			.env_from = (const char *)sqlite3_column_text(s, 3),
			.rcpt = (const char *)sqlite3_column_text(s, 4),
			.attempts = sqlite3_column_int(s, 5),
			.created_at = sqlite3_column_int64(s, 6),
			.raw = sqlite3_column_blob(s, 7),
			.raw_len = (size_t)sqlite3_column_bytes(s, 7),
			.message = sqlite3_column_int64(s, 8),
		};

		stop = cb(&o, arg);
	}
	if (stop == 0 && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(s);
		return -1;
	}
	stmt_done(s);
	return 0;
}

int
store_outbox_set(struct store *st, int64_t id, const char *state, int attempt,
    int64_t at, const char *error)
{
	const char *what = "update outbox";
	struct binder b = { stmt_get(st, STMT_OUTBOX_SET, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, id);
	bind_text(&b, 2, state);
	bind_int(&b, 3, attempt);
	bind_int(&b, 4, at);
	bind_text(&b, 5, error);
	return stmt_run(st, &b, what);
}

int
store_outbox_recover(struct store *st)
{
	const char *what = "recover outbox";
	struct binder b = { stmt_get(st, STMT_OUTBOX_RECOVER, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	if (stmt_run(st, &b, what) < 0)
		return -1;
	return sqlite3_changes(st->db);
}

int
store_outbox_next(struct store *st, int64_t *at_r)
{
	const char *what = "read outbox";
	sqlite3_stmt *s = stmt_get(st, STMT_OUTBOX_NEXT, what);
	int rc, found = 0;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*at_r = sqlite3_column_int64(s, 0);
		found = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		found = -1;
	}
	stmt_done(s);
	return found;
}

int
store_outbox_list(struct store *st, bool all,
    int (*cb)(const struct store_outbox_row *o, void *arg), void *arg)
{
	const char *what = "list outbox";
	sqlite3_stmt *s = stmt_get(st, STMT_OUTBOX_LIST, what);
	int rc, stop = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, all ? 1 : 0);
	while (stop == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_outbox_row o = {
			.id = sqlite3_column_int64(s, 0),
			.ticket = sqlite3_column_int64(s, 1),
			.kind = (const char *)sqlite3_column_text(s, 2),
			.rcpt = (const char *)sqlite3_column_text(s, 3),
			.state = (const char *)sqlite3_column_text(s, 4),
			.attempts = sqlite3_column_int(s, 5),
			.next_try_at = sqlite3_column_int64(s, 6),
			.created_at = sqlite3_column_int64(s, 7),
			.last_error = (const char *)sqlite3_column_text(s, 8),
		};

		stop = cb(&o, arg);
	}
	if (stop == 0 && rc != SQLITE_DONE) {
		fail_rc(st, rc, what);
		stmt_done(s);
		return -1;
	}
	stmt_done(s);
	return 0;
}

int
store_outbox_requeue(struct store *st, int64_t id, int64_t now)
{
	const char *what = "requeue outbox row";
	struct binder b = { stmt_get(st, STMT_OUTBOX_REQUEUE, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, id);
	bind_int(&b, 2, now);
	if (stmt_run(st, &b, what) < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/* --- acknowledgements and responses ------------------------------------------- */

int
store_ack_count(struct store *st, const char *addr, int64_t since, int64_t *n_r)
{
	const char *what = "count acknowledgements";
	struct binder b = { stmt_get(st, STMT_ACK_COUNT, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, addr);
	bind_int(&b, 2, since);
	return stmt_int64(st, &b, what, n_r) < 0 ? -1 : 0;
}

int
store_ack_add(struct store *st, const char *addr, int64_t at)
{
	const char *what = "record acknowledgement";
	struct binder b = { stmt_get(st, STMT_ACK_ADD, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, addr);
	bind_int(&b, 2, at);
	return stmt_run(st, &b, what);
}

int
store_ticket_first_response(struct store *st, int64_t ticket, int64_t at)
{
	const char *what = "set first response";
	struct binder b = { stmt_get(st, STMT_FIRST_RESPONSE, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_int(&b, 2, at);
	return stmt_run(st, &b, what);
}

int
store_sync(struct store *st)
{
	char now[32];
	int rc = -1;

	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	store_set_durable(st, true);
	if (store_begin(st) == 0) {
		if (store_meta_set(st, "last_sync", now) < 0)
			store_rollback(st);
		else
			rc = store_commit(st);
	}
	store_set_durable(st, false);
	return rc;
}

int
store_ticket_set(struct store *st, int64_t ticket, enum store_ticket_field f,
    const char *value, int64_t at)
{
	static const enum stmt_id ids[] = {
		[STORE_TICKET_ASSIGNEE] = STMT_SET_ASSIGNEE,
		[STORE_TICKET_QUEUE] = STMT_SET_QUEUE,
		[STORE_TICKET_PRIORITY] = STMT_SET_PRIORITY,
	};
	const char *what = "change ticket";
	struct binder b = { stmt_get(st, ids[f], what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_int(&b, 1, ticket);
	bind_text(&b, 2, value);
	bind_int(&b, 3, at);
	return stmt_run(st, &b, what);
}

int
store_open_count(struct store *st, const char *assignee, int64_t *n_r)
{
	const char *what = "count open tickets";
	struct binder b = { stmt_get(st, STMT_OPEN_COUNT, what), SQLITE_OK };

	if (b.s == NULL)
		return -1;
	bind_text(&b, 1, assignee);
	return stmt_int64(st, &b, what, n_r) < 0 ? -1 : 0;
}

int
store_service_counts(struct store *st, int64_t *open_r, int64_t *outbox_r)
{
	const char *what = "count tickets and outbox";
	sqlite3_stmt *s = stmt_get(st, STMT_SERVICE_COUNTS, what);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		fail_rc(st, rc, what);
		stmt_done(s);
		return -1;
	}
	*open_r = sqlite3_column_int64(s, 0);
	*outbox_r = sqlite3_column_int64(s, 1);
	stmt_done(s);
	return 0;
}
