/* store_internal.h: what store.c (the connection and the queries) and
 * schema.c (the tables and their migrations) share. Only src/store
 * includes this file; nothing above the store sees sqlite3. */
#ifndef POSTDESK_STORE_INTERNAL_H
#define POSTDESK_STORE_INTERNAL_H

#include <sqlite3.h>

#include "postdesk/store.h"

/* The migrations, oldest first: schema_migrations[N - 1] is the SQL script
 * that takes user_version N - 1 to N. There are exactly
 * STORE_SCHEMA_VERSION of them (checked at compile time in schema.c). */
extern const char *const schema_migrations[STORE_SCHEMA_VERSION];

/* Bring the database on db up to STORE_SCHEMA_VERSION, one migration per
 * transaction (BEGIN IMMEDIATE ... COMMIT, user_version set inside it).
 * A newer database is refused. path is only for the messages. Returns 0,
 * or -1 and *error_r (caller frees). */
int schema_upgrade(sqlite3 *db, const char *path, char **error_r);

/* Read PRAGMA user_version; returns the sqlite result code. */
int schema_user_version(sqlite3 *db, int *version_r);

/* --- store.c's helpers, shared with store_query.c and store_timer.c -----
 * Each file keeps its own enum of statements and table of SQL; store.c
 * keeps the prepared statements with the connection and finalizes them in
 * store_close(). */

/* Binding keeps the first failure (a string or BLOB over SQLite's limit),
 * so that a function binds everything and checks once. */
struct binder {
	sqlite3_stmt *s;
	int rc;
};

/* Slots for store_query.c's statements. */
#define STORE_QUERY_STMTS 16

/* Statement i (< STORE_QUERY_STMTS) of store_query.c, prepared from sql on
 * first use; NULL with the error recorded. */
sqlite3_stmt *query_stmt_get(struct store *st, size_t i, const char *sql,
    const char *what);

/* The same for store_timer.c's statements. */
#define STORE_TIMER_STMTS 16
sqlite3_stmt *timer_stmt_get(struct store *st, size_t i, const char *sql,
    const char *what);

/* Likewise for store_stats.c's statements. */
#define STORE_STATS_STMTS 8
sqlite3_stmt *stats_stmt_get(struct store *st, size_t i, const char *sql,
    const char *what);

/* Record a failed sqlite call ("store: WHAT: sqlite's message"), or a
 * failure of the caller's making (permanent). */
void fail_rc(struct store *st, int rc, const char *what);
void fail_msg(struct store *st, const char *what, const char *msg);

/* Reset a statement and clear its bindings (strings are bound
 * SQLITE_STATIC: nothing may point into the caller's memory afterwards). */
void stmt_done(sqlite3_stmt *s);

/* Bind; NULL strings and blobs bind SQL NULL, bind_int_or_null binds 0 as
 * NULL. */
void bind_text(struct binder *b, int i, const char *v);
void bind_int(struct binder *b, int i, int64_t v);
void bind_int_or_null(struct binder *b, int i, int64_t v);
void bind_blob(struct binder *b, int i, const void *p, size_t len);

/* Run a statement that returns no rows: 0 or -1. */
int stmt_run(struct store *st, struct binder *b, const char *what);
/* Run a lookup of one integer: 1 and *v_r, 0 when no row, -1 on error. */
int stmt_int64(struct store *st, struct binder *b, const char *what,
    int64_t *v_r);

#endif
