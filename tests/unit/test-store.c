/* test-store.c: the SQLite store, against real database files in a fresh
 * temporary directory per test. What the store wrote is checked through a
 * second, plain sqlite3 connection. */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "postdesk/store.h"

struct fixture {
	char dir[256];
	char path[300];		/* dir/postdesk.db, not created yet */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/test-store-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/postdesk.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char p[600];
	DIR *d;
	int rc;

	d = opendir(f->dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rc = rmdir(f->dir);
	free(f);
	return rc;
}

/* --- looking at the file with a second connection ----------------------- */

static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The first column of the first row as an integer (-999 when no row). */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *s;
	int64_t v = -999;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return v;
}

/* The first column of the first row as text, into buf ("(none)"). */
static const char *
raw_text(const char *path, const char *sql, char *buf, size_t size)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *s;

	snprintf(buf, size, "(none)");
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(buf, size, "%s", sqlite3_column_type(s, 0) ==
		    SQLITE_NULL ? "NULL" : (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return buf;
}

static struct store *
open_ok(const char *path)
{
	struct store *st = NULL;
	char *error = NULL;

	if (store_open(path, &st, &error) < 0)
		fail_msg("store_open: %s", error);
	assert_null(error);
	assert_non_null(st);
	return st;
}

static const char TABLES_V1[] =
    "ack_log,events,imap_seen,imap_state,message_refs,messages,meta,"
    "outbox,participants,quarantine,sqlite_sequence,tags,tickets,timers";
static const char TABLES_SQL[] =
    "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
    "WHERE type = 'table' ORDER BY name)";

/* --- opening and migrations ------------------------------------------------ */

static void
fresh_open(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	char buf[512], wal[320];
	struct stat sb;
	int64_t t;

	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 1);
	assert_string_equal(raw_text(f->path, "PRAGMA journal_mode", buf,
	    sizeof(buf)), "wal");
	assert_string_equal(raw_text(f->path, TABLES_SQL, buf, sizeof(buf)),
	    TABLES_V1);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	/* A write while open leaves a WAL file, private as well. */
	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "s", .requester_addr = "a@example.com",
	    .queue = "general" }, &t), 0);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	store_close(&st);
	assert_null(st);
	store_close(&st);	/* NULL is fine */
}

static void
memory_database(void **state)
{
	struct store *st = open_ok(":memory:");

	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(&st);
}

static void
open_missing_directory(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *error = NULL, path[400], want[500];

	snprintf(path, sizeof(path), "%s/nonexistent/postdesk.db", f->dir);
	assert_int_equal(store_open(path, &st, &error), -1);
	assert_null(st);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(error, want);
	free(error);
}

static void
migrate_from_empty_file(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	char buf[512];

	raw_exec(f->path, "");	/* sqlite3_open creates an empty file */
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);
	st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), 1);
	store_close(&st);
	assert_string_equal(raw_text(f->path, TABLES_SQL, buf, sizeof(buf)),
	    TABLES_V1);
}

static void
migrate_from_version_0(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	char buf[512];
	int64_t t;

	raw_exec(f->path, "CREATE TABLE notes (x TEXT);"
	    "INSERT INTO notes VALUES ('keep me');");
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);

	st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), 1);
	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "s", .requester_addr = "a@example.com",
	    .queue = "general", .created_at = 1700000000 }, &t), 0);
	assert_int_equal(t, 1);
	store_close(&st);

	/* Upgraded in place: the old content is still there. */
	assert_string_equal(raw_text(f->path, "SELECT x FROM notes", buf,
	    sizeof(buf)), "keep me");

	/* Reopening is a no-op (running migration 1 again would fail on
	 * the existing tables) and keeps the data. */
	st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), 1);
	store_close(&st);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM tickets"), 1);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 1);
}

static void
failed_migration_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *error = NULL, want[500], buf[512];

	/* A table in the way makes migration 1 fail at its last table, after
	 * it created all the others. */
	raw_exec(f->path, "CREATE TABLE ack_log (x TEXT);");
	assert_int_equal(store_open(f->path, &st, &error), -1);
	assert_null(st);
	snprintf(want, sizeof(want), "%s: migration to schema version 1 "
	    "failed: table ack_log already exists", f->path);
	assert_string_equal(error, want);
	free(error);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);
	assert_string_equal(raw_text(f->path, TABLES_SQL, buf, sizeof(buf)),
	    "ack_log");
}

static void
newer_database_refused(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char *error = NULL, want[500];

	raw_exec(f->path, "PRAGMA user_version = 99;");
	assert_int_equal(store_open(f->path, &st, &error), -1);
	assert_null(st);
	snprintf(want, sizeof(want), "%s: database schema version 99 is newer "
	    "than this postdesk (1): upgrade postdesk", f->path);
	assert_string_equal(error, want);
	free(error);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 99);
	assert_int_equal(raw_int(f->path,
	    "SELECT count(*) FROM sqlite_master"), 0);
}

/* --- message identity -------------------------------------------------- */

static const char RAW[] = "Message-ID: <a1@example.com>\r\n\r\nhi\r\n";

static struct store_message
message(const char *message_id, const char *hash)
{
	return (struct store_message){
		.direction = "in", .kind = "customer",
		.message_id = message_id, .from_addr = "cust@example.com",
		.subject = "Help", .date = 1700000000, .thread_via = "new",
		.text = "hi", .raw = RAW, .raw_len = sizeof(RAW) - 1,
		.content_hash = hash,
	};
}

static void
identity_imap_msgid_hash(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct store_message m = message("a1@example.com", "aaaa");
	struct store_identity inbox = { .message_id = "a1@example.com",
		.content_hash = "aaaa", .account = "support", .mailbox = "INBOX",
		.uidvalidity = 1700000000, .uid = 42 };
	struct store_identity other = inbox, by_hash = { 0 };
	int64_t id = 0, found = 0;
	time_t before = time(NULL);
	char buf[512];

	assert_int_equal(store_identity_find(st, &inbox, &found), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_message_add(st, &m, &inbox, &id), 0);
	assert_int_equal(store_commit(st), 0);
	assert_true(id > 0);

	/* By IMAP identity alone (no Message-ID, no hash given). */
	found = 0;
	assert_int_equal(store_identity_find(st, &(struct store_identity){
	    .account = "support", .mailbox = "INBOX",
	    .uidvalidity = 1700000000, .uid = 42 }, &found), 1);
	assert_int_equal(found, id);
	/* The same UID under another UIDVALIDITY is another message. */
	assert_int_equal(store_identity_find(st, &(struct store_identity){
	    .account = "support", .mailbox = "INBOX",
	    .uidvalidity = 1700000001, .uid = 42 }, &found), 0);

	/* The same mail in a second mailbox: found by Message-ID, then its
	 * place is recorded (twice is fine) and found directly next time. */
	other.mailbox = "Archive";
	other.uid = 7;
	other.content_hash = "bbbb";	/* e.g. a header added on copy */
	found = 0;
	assert_int_equal(store_identity_find(st, &other, &found), 1);
	assert_int_equal(found, id);
	assert_int_equal(store_identity_add(st, id, &other), 0);
	assert_int_equal(store_identity_add(st, id, &other), 0);
	other.message_id = "unknown@example.com";
	found = 0;
	assert_int_equal(store_identity_find(st, &other, &found), 1);
	assert_int_equal(found, id);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM imap_seen"), 2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM imap_seen "
	    "WHERE mailbox = 'Archive' AND uid = 7 AND message = 1"), 1);

	/* What the row holds. */
	assert_int_equal(raw_int(f->path, "SELECT size FROM messages"),
	    sizeof(RAW) - 1);
	assert_int_equal(raw_int(f->path, "SELECT length(raw) FROM messages"),
	    sizeof(RAW) - 1);
	assert_string_equal(raw_text(f->path, "SELECT ticket_id FROM messages",
	    buf, sizeof(buf)), "NULL");
	assert_int_equal(raw_int(f->path, "SELECT date FROM messages"),
	    1700000000);
	assert_in_range(raw_int(f->path, "SELECT received_at FROM messages"),
	    before, time(NULL));

	/* A stranger is not found by any key. */
	by_hash.message_id = "nobody@example.com";
	by_hash.content_hash = "cccc";
	assert_int_equal(store_identity_find(st, &by_hash, &found), 0);
	store_close(&st);
}

static void
identity_synthetic_by_hash(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct store_message m = message("sha256-1234@postdesk.invalid", "dddd");
	int64_t id = 0, found = 0;

	/* Delivered by the MTA pipe: no IMAP identity at all. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_message_add(st, &m, &(struct store_identity){
	    .message_id = m.message_id, .content_hash = "dddd" }, &id), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM imap_seen"), 0);

	/* The same bytes again, given another synthetic id: found by hash. */
	assert_int_equal(store_identity_find(st, &(struct store_identity){
	    .message_id = "sha256-5678@postdesk.invalid",
	    .content_hash = "dddd" }, &found), 1);
	assert_int_equal(found, id);
	assert_int_equal(store_identity_find(st, &(struct store_identity){
	    .content_hash = "dddd" }, &found), 1);
	assert_int_equal(store_identity_find(st, &(struct store_identity){
	    .content_hash = "eeee" }, &found), 0);
	/* Nothing to look for is "not found", not an error. */
	assert_int_equal(store_identity_find(st, &(struct store_identity){ 0 },
	    &found), 0);
	store_close(&st);
}

static void
duplicate_message_id_is_permanent(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct store_message m = message("a1@example.com", "aaaa");
	int64_t id = 0, id2 = 0;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_message_add(st, &m, NULL, &id), 0);
	assert_int_equal(store_commit(st), 0);

	m.content_hash = "ffff";
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_message_add(st, &m, NULL, &id2), -1);
	assert_string_equal(store_error(st), "store: insert message: UNIQUE "
	    "constraint failed: messages.message_id");
	assert_false(store_error_temporary(st));
	store_rollback(st);
	/* The rollback keeps the error for the caller. */
	assert_string_equal(store_error(st), "store: insert message: UNIQUE "
	    "constraint failed: messages.message_id");
	assert_int_equal(id2, 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM messages"), 1);
	store_close(&st);
}

static void
message_add_needs_transaction(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct store_message m = message("a1@example.com", "aaaa");
	int64_t id = 0;

	assert_int_equal(store_message_add(st, &m, NULL, &id), -1);
	assert_string_equal(store_error(st),
	    "store: insert message: no transaction");
	assert_false(store_error_temporary(st));
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM messages"), 0);
	store_close(&st);
}

static void
identity_add_unknown_message_fails(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);

	assert_int_equal(store_identity_add(st, 12345, &(struct store_identity){
	    .account = "support", .mailbox = "INBOX", .uidvalidity = 1,
	    .uid = 1 }), -1);
	assert_string_equal(store_error(st),
	    "store: insert identity: FOREIGN KEY constraint failed");
	assert_false(store_error_temporary(st));
	store_close(&st);
}

/* --- IMAP state ---------------------------------------------------------- */

static void
imap_state(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	uint32_t uv = 123, last = 456;

	assert_int_equal(store_imap_state_get(st, "support", "INBOX", &uv,
	    &last), 0);
	assert_int_equal(uv, 123);	/* untouched when never seen */
	assert_int_equal(store_imap_state_set(st, "support", "INBOX",
	    1700000000, 42), 0);
	assert_int_equal(store_imap_state_get(st, "support", "INBOX", &uv,
	    &last), 1);
	assert_int_equal(uv, 1700000000);
	assert_int_equal(last, 42);

	/* The full uint32 range survives. */
	assert_int_equal(store_imap_state_set(st, "support", "INBOX",
	    UINT32_MAX, UINT32_MAX - 1), 0);
	assert_int_equal(store_imap_state_get(st, "support", "INBOX", &uv,
	    &last), 1);
	assert_int_equal(uv, UINT32_MAX);
	assert_int_equal(last, UINT32_MAX - 1);

	/* A new UIDVALIDITY overwrites the row. */
	assert_int_equal(store_imap_state_set(st, "support", "INBOX", 5, 0), 0);
	assert_int_equal(store_imap_state_get(st, "support", "INBOX", &uv,
	    &last), 1);
	assert_int_equal(uv, 5);
	assert_int_equal(last, 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM imap_state"), 1);

	/* Another mailbox and another account are separate. */
	assert_int_equal(store_imap_state_get(st, "support", "Archive", &uv,
	    &last), 0);
	assert_int_equal(store_imap_state_get(st, "sales", "INBOX", &uv,
	    &last), 0);
	store_close(&st);
}

/* --- transactions, tickets, events --------------------------------------- */

static void
rollback_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct store_message m = message("a1@example.com", "aaaa");
	struct store_identity id = { .account = "support", .mailbox = "INBOX",
		.uidvalidity = 1, .uid = 1 };
	int64_t t = 0, msg = 0, found = 0;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "Help", .requester_addr = "cust@example.com",
	    .queue = "general" }, &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(store_event_add(st, t, "created", NULL, NULL, 0), 0);
	m.ticket_id = t;
	assert_int_equal(store_message_add(st, &m, &id, &msg), 0);
	store_rollback(st);
	store_rollback(st);	/* without a transaction: harmless */

	assert_int_equal(store_identity_find(st, &id, &found), 0);
	assert_int_equal(raw_int(f->path, "SELECT (SELECT count(*) FROM "
	    "tickets) + (SELECT count(*) FROM events) + (SELECT count(*) FROM "
	    "messages) + (SELECT count(*) FROM imap_seen)"), 0);

	/* The ticket number was not consumed either. */
	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "Help", .requester_addr = "cust@example.com",
	    .queue = "general" }, &t), 0);
	assert_int_equal(t, 1);
	store_close(&st);
}

static void
tickets_and_events(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	char buf[512];
	int64_t t1 = 0, t2 = 0;

	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .id = 77,	/* ignored */
	    .subject = "Faktura", .requester_addr = "jan@example.cz",
	    .requester_name = "Jan Novák", .queue = "billing",
	    .language = "cs", .created_at = 1700000000 }, &t1), 0);
	assert_int_equal(t1, 1);
	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "Refund", .requester_addr = "eva@example.sk",
	    .queue = "billing", .priority = "high", .status = "open",
	    .assignee = "alice@example.com", .created_at = 1700000100 },
	    &t2), 0);
	assert_int_equal(t2, 2);
	assert_string_equal(raw_text(f->path, "SELECT status || ' ' || "
	    "priority || ' ' || requester_name || ' ' || created_at || ' ' || "
	    "updated_at FROM tickets WHERE id = 1", buf, sizeof(buf)),
	    "new normal Jan Novák 1700000000 1700000000");
	assert_string_equal(raw_text(f->path, "SELECT status || ' ' || "
	    "priority || ' ' || assignee FROM tickets WHERE id = 2", buf,
	    sizeof(buf)), "open high alice@example.com");

	assert_int_equal(store_event_add(st, t1, "created", NULL, "via mail",
	    1700000000), 0);
	assert_int_equal(store_event_add(st, t2, "assigned",
	    "alice@example.com", NULL, 1700000200), 0);
	assert_string_equal(raw_text(f->path, "SELECT group_concat(ticket_id "
	    "|| ':' || type || ':' || coalesce(actor, '-') || ':' || at, ' ') "
	    "FROM (SELECT * FROM events ORDER BY id)", buf, sizeof(buf)),
	    "1:created:-:1700000000 2:assigned:alice@example.com:1700000200");

	/* Foreign keys are enforced: no event on a missing ticket. */
	assert_int_equal(store_event_add(st, 999, "created", NULL, NULL, 0), -1);
	assert_string_equal(store_error(st),
	    "store: insert event: FOREIGN KEY constraint failed");
	assert_false(store_error_temporary(st));
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events"), 2);
	store_close(&st);
}

static void
checks_reject_bad_values(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct store_message m = message("a1@example.com", "aaaa");
	int64_t t = 0;

	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "s", .requester_addr = "a@example.com",
	    .queue = "general", .status = "bogus" }, &t), -1);
	assert_string_equal(store_error(st), "store: insert ticket: CHECK "
	    "constraint failed: status IN ('new', 'open', 'pending', "
	    "'resolved', 'closed')");
	assert_false(store_error_temporary(st));
	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "s", .requester_addr = "a@example.com" }, &t), -1);
	assert_string_equal(store_error(st), "store: insert ticket: NOT NULL "
	    "constraint failed: tickets.queue");

	m.direction = "sideways";
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_message_add(st, &m, NULL, &t), -1);
	assert_string_equal(store_error(st), "store: insert message: CHECK "
	    "constraint failed: direction IN ('in', 'out')");
	store_rollback(st);
	store_close(&st);
}

static void
busy_is_temporary(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	sqlite3 *other = raw_open(f->path);

	/* Another writer holds the lock. */
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	store_set_busy_timeout(st, 50);
	assert_int_equal(store_begin(st), -1);
	assert_string_equal(store_error(st), "store: begin: database is locked");
	assert_true(store_error_temporary(st));
	store_rollback(st);	/* nothing began: harmless */
	assert_true(store_error_temporary(st));

	/* Once it is done, the same store goes on. */
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_imap_state_set(st, "support", "INBOX", 1, 1), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM imap_state"), 1);
	store_close(&st);
}

/* --- timers ---------------------------------------------------------------- */

struct seen_timers {
	char buf[512];
	int n;
	int stop_after;		/* 0: never stop */
};

static int
collect_timer(const struct store_timer *t, void *arg)
{
	struct seen_timers *s = arg;
	size_t len = strlen(s->buf);

	snprintf(s->buf + len, sizeof(s->buf) - len, "%s%lld:%s@%lld/%s",
	    len > 0 ? " " : "", (long long)t->ticket, t->kind, (long long)t->due_at,
	    t->actor != NULL ? t->actor : "-");
	if (t->outcome != NULL) {
		len = strlen(s->buf);
		snprintf(s->buf + len, sizeof(s->buf) - len, "=%s@%lld", t->outcome,
		    (long long)t->fired_at);
	}
	s->n++;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static int64_t
add_ticket(struct store *st, int64_t created)
{
	int64_t t;

	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "s", .requester_addr = "a@example.com",
	    .queue = "general", .created_at = created }, &t), 0);
	return t;
}

static void
timers_due_cancel_done(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct seen_timers seen = { "", 0, 0 };
	int64_t t1, t2, at = 0;
	char buf[256];

	t1 = add_ticket(st, 1000);
	t2 = add_ticket(st, 1000);
	assert_int_equal(store_timer_next(st, &at), 0);
	assert_int_equal(store_timer_add(st, t1, "first_response-breach", 5000, NULL, 1000), 0);
	assert_int_equal(store_timer_add(st, t1, "first_response-warning", 4000, NULL, 1000), 0);
	assert_int_equal(store_timer_add(st, t2, "remind", 4000, "alice@example.com", 1100), 0);
	assert_int_equal(store_timer_add(st, t2, "survey", 9000, NULL, 1200), 0);
	assert_string_equal(raw_text(f->path, "SELECT created_at || ' ' || actor "
	    "FROM timers WHERE kind = 'remind'", buf, sizeof(buf)), "1100 alice@example.com");

	/* Due: earliest first, ties by id; nothing after now. */
	assert_int_equal(store_timer_due(st, 5000, 10, collect_timer, &seen), 0);
	assert_string_equal(seen.buf, "1:first_response-warning@4000/- "
	    "2:remind@4000/alice@example.com 1:first_response-breach@5000/-");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_timer_due(st, 5000, 1, collect_timer, &seen), 0);
	assert_string_equal(seen.buf, "1:first_response-warning@4000/-");
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 2;
	assert_int_equal(store_timer_due(st, 9999, 10, collect_timer, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(store_timer_next(st, &at), 1);
	assert_int_equal(at, 4000);

	/* Waiting lookups and cancelling go by ticket and kind. */
	assert_int_equal(store_timer_waiting(st, t1, "first_response-breach", &at), 1);
	assert_int_equal(at, 5000);
	assert_int_equal(store_timer_waiting(st, t2, "first_response-breach", &at), 0);
	assert_int_equal(store_timer_cancel(st, t1, "first_response-breach", 1500), 1);
	assert_int_equal(store_timer_cancel(st, t1, "first_response-breach", 1600), 0);
	assert_int_equal(store_timer_waiting(st, t1, "first_response-breach", &at), 0);

	/* Done once: a second process finds it done already. */
	assert_int_equal(store_timer_done(st, 2, "fired", 4001), 1);
	assert_int_equal(store_timer_done(st, 2, "skipped", 4002), 0);
	assert_int_equal(store_timer_done(st, 3, "skipped", 4003), 1);
	assert_int_equal(store_timer_next(st, &at), 1);
	assert_int_equal(at, 9000);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_timer_due(st, 99999, 10, collect_timer, &seen), 0);
	assert_string_equal(seen.buf, "2:survey@9000/-");

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_timer_list(st, t1, collect_timer, &seen), 0);
	assert_string_equal(seen.buf, "1:first_response-warning@4000/-=fired@4001 "
	    "1:first_response-breach@5000/-=cancelled@1500");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_timer_list(st, t2, collect_timer, &seen), 0);
	assert_string_equal(seen.buf, "2:remind@4000/alice@example.com=skipped@4003 "
	    "2:survey@9000/-");

	/* A done timer always has both its time and its outcome. */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM timers WHERE "
	    "(fired_at IS NULL) <> (outcome IS NULL)"), 0);
	assert_int_equal(store_timer_done(st, 4, "exploded", 9001), -1);
	assert_false(store_error_temporary(st));
	store_close(&st);
}

static void
ticket_brief_and_satisfaction(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f->path);
	struct store_ticket_brief b;
	int64_t t = add_ticket(st, 1000), mt = -1, mid;
	char kind[32], *raw;
	size_t len;

	assert_int_equal(store_ticket_brief(st, 99, &b), 0);
	assert_int_equal(store_ticket_brief(st, t, &b), 1);
	assert_string_equal(b.status, "new");
	assert_string_equal(b.queue, "general");
	assert_int_equal(b.created_at, 1000);
	assert_int_equal(b.first_response_at, 0);
	assert_int_equal(b.satisfaction, 0);
	assert_int_equal(store_ticket_first_response(st, t, 1700), 0);
	assert_int_equal(store_ticket_set_satisfaction(st, t, 4, 1800), 0);
	assert_int_equal(store_ticket_brief(st, t, &b), 1);
	assert_int_equal(b.first_response_at, 1700);
	assert_int_equal(b.satisfaction, 4);
	assert_int_equal(store_ticket_set_satisfaction(st, t, 6, 1800), -1);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_message_add(st, &(struct store_message){
	    .ticket_id = t, .direction = "out", .kind = "survey",
	    .message_id = "s1@example.com", .raw = "Subject: x\r\n\r\nhi\0there",
	    .raw_len = 23 }, NULL, &mid), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_message_kind(st, "s1@example.com", &mt, kind), 1);
	assert_int_equal(mt, t);
	assert_string_equal(kind, "survey");
	assert_int_equal(store_message_kind(st, "nope@example.com", &mt, kind), 0);
	assert_int_equal(store_message_raw(st, mid, &raw, &len), 1);
	assert_int_equal(len, 23);
	assert_memory_equal(raw, "Subject: x\r\n\r\nhi\0there", 23);
	assert_int_equal(raw[23], '\0');
	free(raw);
	assert_int_equal(store_message_raw(st, mid + 1, &raw, &len), 0);
	assert_null(raw);
	store_close(&st);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(fresh_open),
		T(memory_database),
		T(open_missing_directory),
		T(migrate_from_empty_file),
		T(migrate_from_version_0),
		T(failed_migration_rolls_back),
		T(newer_database_refused),
		T(identity_imap_msgid_hash),
		T(identity_synthetic_by_hash),
		T(duplicate_message_id_is_permanent),
		T(message_add_needs_transaction),
		T(identity_add_unknown_message_fails),
		T(imap_state),
		T(rollback_leaves_nothing),
		T(tickets_and_events),
		T(checks_reject_bad_values),
		T(busy_is_temporary),
		T(timers_due_cancel_done),
		T(ticket_brief_and_satisfaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
