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

#endif
