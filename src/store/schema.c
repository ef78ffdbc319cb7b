/* schema.c: the tables, as forward migrations, and the code that runs them.
 *
 * PRAGMA user_version is the schema version. Migration N takes version
 * N - 1 to N and runs in one transaction together with the user_version
 * update, so a database is always at some exact version, never between two.
 * Rules for a new migration: append it (never edit a released one), bump
 * STORE_SCHEMA_VERSION, no BEGIN/COMMIT inside the script, and remember
 * that PRAGMA foreign_keys cannot be switched off inside a transaction: a
 * migration that rebuilds a table uses PRAGMA defer_foreign_keys = ON.
 *
 * Conventions of the schema: times are Unix seconds (INTEGER); every enum
 * has a CHECK; open-ended kinds (message kind, event type, timer kind) do
 * not, because changing a CHECK means rebuilding the table, which for
 * messages is the whole mail archive. Nothing is deleted implicitly (no ON
 * DELETE CASCADE): a purge deletes the children explicitly, so a stray
 * DELETE on tickets fails instead of wiping a ticket's history. Large
 * columns (text, raw) come last in their table, because SQLite reaches a
 * column after a big BLOB only by walking its overflow pages.
 *
 * Why there is no separate message_ids table: every mail postdesk sends is
 * stored in messages too (direction 'out'; the export lists acks and
 * notifications as messages), so messages.message_id already holds every
 * Message-ID we know, received or sent. Its UNIQUE index, which makes a
 * mail seen twice be stored once, is also the threading lookup
 * (In-Reply-To/References → ticket_id). A second table would copy every id
 * and could disagree with the first. Mail we send that should thread
 * replies back must therefore have a messages row. */
#include "config.h"

#include <stdio.h>

#include "postdesk/log.h"
#include "postdesk/xalloc.h"

#include "store_internal.h"

/* Version 1: the first schema. */
static const char migration_1[] =
"-- tickets: one support case; id is the number in the subject tag.\n"
"-- AUTOINCREMENT so that a number is never handed out twice, even after\n"
"-- the newest ticket was deleted: a reused number would thread old\n"
"-- replies into a stranger's ticket.\n"
"CREATE TABLE tickets (\n"
"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
"	subject TEXT NOT NULL,\n"
"	requester_addr TEXT NOT NULL,\n"
"	requester_name TEXT,\n"
"	queue TEXT NOT NULL,\n"
"	priority TEXT NOT NULL DEFAULT 'normal'\n"
"	    CHECK (priority IN ('low', 'normal', 'high', 'urgent')),\n"
"	status TEXT NOT NULL DEFAULT 'new'\n"
"	    CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),\n"
"	language TEXT,\n"
"	assignee TEXT,			-- agent address; NULL: nobody\n"
"	created_at INTEGER NOT NULL,\n"
"	updated_at INTEGER NOT NULL,\n"
"	first_response_at INTEGER,\n"
"	resolved_at INTEGER,\n"
"	closed_at INTEGER,\n"
"	satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5)\n"
");\n"
"-- ticket list --status S [--queue Q]\n"
"CREATE INDEX tickets_status_queue ON tickets (status, queue);\n"
"-- least-open assignment counts each agent's open tickets\n"
"CREATE INDEX tickets_assignee ON tickets (assignee, status);\n"
"\n"
"-- participants: who is on a ticket and gets its mail: the requester, the\n"
"-- customers the requester put in Cc, the agents who answered. failing = 1\n"
"-- when mail to the address bounces. Addresses compare case-insensitively\n"
"-- (ASCII), so that Bob@X and bob@x are one participant.\n"
"CREATE TABLE participants (\n"
"	ticket_id INTEGER NOT NULL REFERENCES tickets (id),\n"
"	addr TEXT NOT NULL COLLATE NOCASE,\n"
"	name TEXT,\n"
"	role TEXT NOT NULL CHECK (role IN ('requester', 'cc', 'agent')),\n"
"	failing INTEGER NOT NULL DEFAULT 0 CHECK (failing IN (0, 1)),\n"
"	PRIMARY KEY (ticket_id, addr)\n"
") WITHOUT ROWID;\n"
"-- the tickets an address takes part in\n"
"CREATE INDEX participants_addr ON participants (addr);\n"
"\n"
"-- messages: every mail in or out, with its text and raw bytes.\n"
"-- message_id is the normalised Message-ID (synthesised when the mail had\n"
"-- none), UNIQUE: a mail seen twice is stored once; its index is also the\n"
"-- threading lookup (see the top of schema.c). ticket_id is NULL for mail\n"
"-- that belongs to no ticket (loop, spam, unmatched bounce). raw_path is\n"
"-- for a later spool-on-disk option (raw NULL then).\n"
"CREATE TABLE messages (\n"
"	id INTEGER PRIMARY KEY,\n"
"	ticket_id INTEGER REFERENCES tickets (id),\n"
"	direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),\n"
"	kind TEXT NOT NULL,		-- customer, agent, note, ack, notification...\n"
"	message_id TEXT NOT NULL UNIQUE CHECK (message_id <> ''),\n"
"	in_reply_to TEXT,\n"
"	refs TEXT,			-- References, space-separated, in order\n"
"	from_addr TEXT,\n"
"	from_name TEXT,\n"
"	subject TEXT,\n"
"	date INTEGER,			-- the Date: header; NULL unknown\n"
"	received_at INTEGER NOT NULL,\n"
"	thread_via TEXT,		-- tag, in-reply-to, references, new...\n"
"	size INTEGER NOT NULL CHECK (size >= 0),\n"
"	content_hash TEXT,		-- hex SHA-256 of the raw bytes\n"
"	text TEXT,\n"
"	text_new TEXT,\n"
"	raw_path TEXT,\n"
"	raw BLOB\n"
");\n"
"-- a ticket's messages; received_at in it answers \"how many messages,\n"
"-- the newest when\" for every row of a ticket list from the index alone\n"
"-- (a million tickets: seconds instead of minutes of reading mail rows)\n"
"CREATE INDEX messages_ticket ON messages (ticket_id, received_at);\n"
"CREATE INDEX messages_content_hash ON messages (content_hash);\n"
"\n"
"-- imap_seen: the IMAP identity, every place (account, mailbox,\n"
"-- UIDVALIDITY, UID) a stored message was seen, so that a message fetched\n"
"-- again after a crash before MOVE is recognised without parsing it.\n"
"-- message is messages.id (not named message_id: in messages that name is\n"
"-- the Message-ID text).\n"
"CREATE TABLE imap_seen (\n"
"	account TEXT NOT NULL,\n"
"	mailbox TEXT NOT NULL,\n"
"	uidvalidity INTEGER NOT NULL CHECK (uidvalidity BETWEEN 0 AND 4294967295),\n"
"	uid INTEGER NOT NULL CHECK (uid BETWEEN 1 AND 4294967295),\n"
"	message INTEGER NOT NULL REFERENCES messages (id),\n"
"	PRIMARY KEY (account, mailbox, uidvalidity, uid)\n"
") WITHOUT ROWID;\n"
"CREATE INDEX imap_seen_message ON imap_seen (message);\n"
"\n"
"-- imap_state: per mailbox, its UIDVALIDITY and the highest UID handled,\n"
"-- so that the next fetch asks only for newer UIDs. A new UIDVALIDITY\n"
"-- overwrites the row: the old UIDs mean nothing any more.\n"
"CREATE TABLE imap_state (\n"
"	account TEXT NOT NULL,\n"
"	mailbox TEXT NOT NULL,\n"
"	uidvalidity INTEGER NOT NULL CHECK (uidvalidity BETWEEN 0 AND 4294967295),\n"
"	last_uid INTEGER NOT NULL CHECK (last_uid BETWEEN 0 AND 4294967295),\n"
"	PRIMARY KEY (account, mailbox)\n"
") WITHOUT ROWID;\n"
"\n"
"-- events: the history of every ticket: each change, who made it (NULL:\n"
"-- postdesk itself), when. The metrics are computed from it.\n"
"CREATE TABLE events (\n"
"	id INTEGER PRIMARY KEY,\n"
"	ticket_id INTEGER NOT NULL REFERENCES tickets (id),\n"
"	at INTEGER NOT NULL,\n"
"	type TEXT NOT NULL,\n"
"	actor TEXT,\n"
"	detail TEXT\n"
");\n"
"CREATE INDEX events_ticket_at ON events (ticket_id, at);\n"
"CREATE INDEX events_type_at ON events (type, at);\n"
"\n"
"-- outbox: mail to send, written in the same transaction as the change\n"
"-- that causes it, kept until sent: pending -> sending -> sent, or back to\n"
"-- pending with attempts + 1 and a later next_try_at, or failed at last.\n"
"-- env_from '' is the null reverse-path <>; rcpt is the envelope\n"
"-- recipients, space-separated. raw may be NULL when message points at a\n"
"-- stored message whose raw bytes are the ones to send.\n"
"CREATE TABLE outbox (\n"
"	id INTEGER PRIMARY KEY,\n"
"	ticket_id INTEGER REFERENCES tickets (id),\n"
"	message INTEGER REFERENCES messages (id),\n"
"	kind TEXT NOT NULL,\n"
"	env_from TEXT NOT NULL,\n"
"	rcpt TEXT NOT NULL CHECK (rcpt <> ''),\n"
"	state TEXT NOT NULL DEFAULT 'pending'\n"
"	    CHECK (state IN ('pending', 'sending', 'sent', 'failed')),\n"
"	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
"	next_try_at INTEGER NOT NULL,\n"
"	created_at INTEGER NOT NULL,\n"
"	sent_at INTEGER,\n"
"	last_error TEXT,\n"
"	raw BLOB,\n"
"	CHECK (raw IS NOT NULL OR message IS NOT NULL)\n"
");\n"
"-- what is due: state = 'pending' AND next_try_at <= now\n"
"CREATE INDEX outbox_due ON outbox (state, next_try_at);\n"
"CREATE INDEX outbox_ticket ON outbox (ticket_id);\n"
"CREATE INDEX outbox_message ON outbox (message);\n"
"\n"
"-- quarantine: mail that could not be processed (unparseable, over a\n"
"-- limit, a permanent store error), kept with the reason until an admin\n"
"-- releases or discards it. The IMAP columns are all set or all NULL\n"
"-- (delivered by the MTA pipe); the partial UNIQUE index makes\n"
"-- quarantining the same IMAP message twice (a crash before it was moved)\n"
"-- detectable. raw is NULL when the mail was too big to keep here.\n"
"CREATE TABLE quarantine (\n"
"	id INTEGER PRIMARY KEY,\n"
"	account TEXT,\n"
"	mailbox TEXT,\n"
"	uidvalidity INTEGER CHECK (uidvalidity BETWEEN 0 AND 4294967295),\n"
"	uid INTEGER CHECK (uid BETWEEN 1 AND 4294967295),\n"
"	reason TEXT NOT NULL,\n"
"	created_at INTEGER NOT NULL,\n"
"	state TEXT NOT NULL DEFAULT 'held'\n"
"	    CHECK (state IN ('held', 'released', 'discarded')),\n"
"	raw BLOB,\n"
"	CHECK ((account IS NULL AND mailbox IS NULL AND uidvalidity IS NULL\n"
"	    AND uid IS NULL) OR (account IS NOT NULL AND mailbox IS NOT NULL\n"
"	    AND uidvalidity IS NOT NULL AND uid IS NOT NULL))\n"
");\n"
"CREATE UNIQUE INDEX quarantine_imap\n"
"    ON quarantine (account, mailbox, uidvalidity, uid)\n"
"    WHERE account IS NOT NULL;\n"
"CREATE INDEX quarantine_state ON quarantine (state, created_at);\n"
"\n"
"-- tags: free labels on a ticket (set by routing rules and agents).\n"
"CREATE TABLE tags (\n"
"	ticket_id INTEGER NOT NULL REFERENCES tickets (id),\n"
"	tag TEXT NOT NULL CHECK (tag <> ''),\n"
"	PRIMARY KEY (ticket_id, tag)\n"
") WITHOUT ROWID;\n"
"CREATE INDEX tags_tag ON tags (tag);\n"
"\n"
"-- timers: due times (SLA warnings and breaches, an agent's #remind, the\n"
"-- pending reminder and auto-close, the survey), computed in business\n"
"-- hours where the config says so. A timer is done once fired_at is set:\n"
"-- outcome 'fired' (the loop acted), 'skipped' (it was due but the ticket\n"
"-- no longer called for it) or 'cancelled' (the change that made it moot,\n"
"-- e.g. an agent's answer, came first). actor: who set it (the agent of a\n"
"-- #remind); NULL: postdesk. The partial index holds only the timers\n"
"-- still to fire.\n"
"CREATE TABLE timers (\n"
"	id INTEGER PRIMARY KEY,\n"
"	ticket_id INTEGER NOT NULL REFERENCES tickets (id),\n"
"	kind TEXT NOT NULL,\n"
"	due_at INTEGER NOT NULL,\n"
"	created_at INTEGER NOT NULL,\n"
"	actor TEXT,\n"
"	fired_at INTEGER,\n"
"	outcome TEXT CHECK (outcome IN ('fired', 'skipped', 'cancelled')),\n"
"	CHECK ((fired_at IS NULL) = (outcome IS NULL))\n"
");\n"
"CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;\n"
"CREATE INDEX timers_ticket ON timers (ticket_id, kind);\n"
"\n"
"-- ack_log: when an acknowledgement went to which sender, for the limit\n"
"-- per sender (ack_limit, RFC 3834 3.1.8); older rows can be pruned.\n"
"CREATE TABLE ack_log (\n"
"	addr TEXT NOT NULL COLLATE NOCASE,\n"
"	at INTEGER NOT NULL\n"
");\n"
"CREATE INDEX ack_log_addr_at ON ack_log (addr, at);\n"
"\n"
"-- message_refs: the ids each stored message refers to (In-Reply-To and\n"
"-- References), so that mail arriving out of order still threads: a\n"
"-- message joins the ticket of any message that refers to it, or that\n"
"-- shares an ancestor with it.\n"
"CREATE TABLE message_refs (\n"
"	ref TEXT NOT NULL,\n"
"	message INTEGER NOT NULL REFERENCES messages (id),\n"
"	PRIMARY KEY (ref, message)\n"
") WITHOUT ROWID;\n"
"\n"
"-- meta: small named values postdesk keeps for itself, e.g. the HMAC key\n"
"-- of its Message-IDs when no secret_file is configured.\n"
"CREATE TABLE meta (\n"
"	key TEXT PRIMARY KEY,\n"
"	value TEXT NOT NULL\n"
") WITHOUT ROWID;\n";

const char *const schema_migrations[STORE_SCHEMA_VERSION] = {
	migration_1,
};

/* One script per version, no gaps: a new migration without a bump of
 * STORE_SCHEMA_VERSION (or the reverse) does not compile. */
_Static_assert(sizeof(schema_migrations) / sizeof(schema_migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration per schema version");

int
schema_user_version(sqlite3 *db, int *version_r)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*version_r = sqlite3_column_int(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static void
rollback_quietly(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Apply the migration after *version_r, unless another process did it
 * while we waited for the lock; *version_r is then the version reached. */
static int
migrate_one(sqlite3 *db, const char *path, int *version_r, char **error_r)
{
	char set_version[64], *msg = NULL;
	int v, rc;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		*error_r = xasprintf("%s: begin schema upgrade: %s", path,
		    sqlite3_errmsg(db));
		return -1;
	}
	/* Two processes may start on a fresh database at once: look again
	 * now that we hold the write lock. */
	rc = schema_user_version(db, &v);
	if (rc != SQLITE_OK) {
		*error_r = xasprintf("%s: read schema version: %s", path,
		    sqlite3_errmsg(db));
		rollback_quietly(db);
		return -1;
	}
	if (v < 0 || v >= STORE_SCHEMA_VERSION) {
		rollback_quietly(db);	/* nothing to do (or to refuse) */
		*version_r = v;
		return 0;
	}
	/* A PRAGMA takes no parameters; v + 1 is our own integer, not data. */
	snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d",
	    v + 1);
	rc = sqlite3_exec(db, schema_migrations[v], NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, set_version, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		*error_r = xasprintf("%s: migration to schema version %d "
		    "failed: %s", path, v + 1,
		    msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		rollback_quietly(db);
		return -1;
	}
	log_info("%s: schema upgraded to version %d", path, v + 1);
	*version_r = v + 1;
	return 0;
}

int
schema_upgrade(sqlite3 *db, const char *path, char **error_r)
{
	int v, rc;

	/* The common case, an up-to-date database, takes no write lock. */
	rc = schema_user_version(db, &v);
	if (rc != SQLITE_OK) {
		*error_r = xasprintf("%s: read schema version: %s", path,
		    sqlite3_errmsg(db));
		return -1;
	}
	while (v >= 0 && v < STORE_SCHEMA_VERSION) {
		if (migrate_one(db, path, &v, error_r) < 0)
			return -1;
	}
	if (v > STORE_SCHEMA_VERSION) {
		*error_r = xasprintf("%s: database schema version %d is newer "
		    "than this postdesk (%d): upgrade postdesk", path, v,
		    STORE_SCHEMA_VERSION);
		return -1;
	}
	if (v < 0) {
		*error_r = xasprintf("%s: database schema version %d is not "
		    "valid", path, v);
		return -1;
	}
	return 0;
}
