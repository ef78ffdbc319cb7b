/* store.h: the SQLite store, the only module that speaks SQL.
 *
 * One database file in WAL mode, foreign keys on, schema versioned with
 * PRAGMA user_version and upgraded in place by forward migrations, each in
 * one transaction. Nothing above this module writes SQL; a PostgreSQL
 * backend later would implement this same interface.
 *
 * Errors: functions return 0 (or a documented positive value) on success
 * and -1 on failure; store_error() describes the last failure and
 * store_error_temporary() says whether retrying later can succeed
 * (database locked or busy, disk full, I/O error) or not (constraint,
 * corrupt data), which the pipeline turns into retry-or-quarantine. */
#ifndef POSTDESK_STORE_H
#define POSTDESK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* The schema version this build writes. */
#define STORE_SCHEMA_VERSION 1

/* Open (creating if needed, mode 0600) and migrate to STORE_SCHEMA_VERSION.
 * A database newer than this build is refused. On failure returns -1 and
 * sets *error_r (caller frees). path ":memory:" gives a private in-memory
 * database (for tests of the layers above). */
int store_open(const char *path, struct store **st_r, char **error_r);
/* Close and set *st to NULL; NULL is fine. */
void store_close(struct store **st);

/* The user_version of the open database, or -1 on error. */
int store_schema_version(struct store *st);

/* The last error's text (borrowed, valid until the next call) and whether
 * it is worth retrying later. */
const char *store_error(struct store *st);
bool store_error_temporary(struct store *st);

/* Durable (the default): every commit is synced to disk before it returns
 * (synchronous=FULL). Not durable: commits survive a crash of postdesk but
 * not of the machine (synchronous=NORMAL under WAL) until the next durable
 * commit, which syncs the log with all of them. The fetch loop commits each
 * message of a batch without a sync and makes the batch durable once,
 * before it marks anything on the IMAP server. */
void store_set_durable(struct store *st, bool durable);
/* A durable commit now (syncing every earlier commit with it); leaves the
 * store not durable, as the fetch loop runs it. */
int store_sync(struct store *st);

/* Transactions: BEGIN IMMEDIATE so that a writer waits for the lock up to
 * the busy timeout instead of failing midway. */
int store_begin(struct store *st);
/* A failed commit rolls the transaction back: nothing of it is stored. */
int store_commit(struct store *st);
/* Harmless without a transaction; keeps the last error for the caller. */
void store_rollback(struct store *st);

/* For tests only: how long a writer waits for the lock (the default is
 * 30 seconds). */
void store_set_busy_timeout(struct store *st, int ms);

/* --- message identity --------------------------------------------------
 * A message is the same message when it has the same Message-ID, or (for
 * the rare mail whose Message-ID we had to synthesise) the same content
 * hash. The IMAP identity (account, mailbox, UIDVALIDITY, UID) records
 * where a copy was seen, so that a crash before MOVE does not store it
 * again. */
struct store_identity {
	const char *message_id;	/* normalised, without <> */
	const char *content_hash;	/* hex SHA-256 of the raw bytes */
	const char *account;	/* NULL when delivered by the MTA pipe */
	const char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
};

/* Look for a stored message with this identity (by IMAP identity first,
 * then Message-ID, then content hash). Returns 1 and *message_r when
 * found, 0 when not, -1 on error. */
int store_identity_find(struct store *st, const struct store_identity *id,
    int64_t *message_r);

/* A message row to insert (borrowed strings; raw is copied as a BLOB). */
struct store_message {
	int64_t ticket_id;	/* 0: none (loop, spam, bounce not matched) */
	const char *direction;	/* "in" or "out" */
	const char *kind;	/* customer, agent, note, ack, notification, ... */
	const char *message_id;
	const char *in_reply_to;
	const char *references;	/* space-separated, in order */
	const char *from_addr;
	const char *from_name;
	const char *subject;
	int64_t date;		/* Date: header, Unix time; 0 unknown */
	const char *thread_via;	/* tag, in-reply-to, references, new, ... */
	const char *text;	/* best text, UTF-8 */
	const char *text_new;
	const char *raw;
	size_t raw_len;
	const char *content_hash;
};

/* Insert a message and, in the same transaction as the caller's (one must
 * be open), its identity rows: the IMAP identity when id->account is set
 * (id may be NULL). The row's content hash is m->content_hash. Returns 0
 * and *id_r, or -1. A second insert of the same Message-ID fails with a
 * non-temporary error: callers look it up first. */
int store_message_add(struct store *st, const struct store_message *m,
    const struct store_identity *id, int64_t *id_r);

/* Record one more place a known message was seen (IMAP identity only;
 * duplicates are ignored). */
int store_identity_add(struct store *st, int64_t message,
    const struct store_identity *id);

/* --- IMAP state per mailbox --------------------------------------------- */
/* Returns 1 with the values, 0 when the mailbox was never seen, -1. */
int store_imap_state_get(struct store *st, const char *account,
    const char *mailbox, uint32_t *uidvalidity_r, uint32_t *last_uid_r);
int store_imap_state_set(struct store *st, const char *account,
    const char *mailbox, uint32_t uidvalidity, uint32_t last_uid);

/* --- tickets and events (grown by the ingest and answer stages) -------- */
struct store_ticket {
	int64_t id;
	const char *subject;
	const char *requester_addr;
	const char *requester_name;
	const char *queue;
	const char *priority;	/* low, normal, high, urgent */
	const char *status;	/* new, open, pending, resolved, closed */
	const char *language;
	const char *assignee;	/* agent email or NULL */
	int64_t created_at;
};

/* Create a ticket (t->id is ignored: the id is assigned, never reused);
 * priority NULL means "normal", status NULL "new", created_at 0 now.
 * Returns 0 and *id_r, or -1. */
int store_ticket_add(struct store *st, const struct store_ticket *t, int64_t *id_r);
/* Record an event on a ticket: what happened, who did it (an address, or
 * NULL for postdesk itself), free detail (or NULL); at 0 means now. */
int store_event_add(struct store *st, int64_t ticket, const char *type,
    const char *actor, const char *detail, int64_t at);

/* --- what threading and ingest need -------------------------------------- */

/* The ticket of a stored message with this Message-ID (without <>):
 * 1 and *ticket_r (0 when the message belongs to no ticket), 0 when no
 * such message, -1 on error. */
int store_ticket_of_msgid(struct store *st, const char *message_id, int64_t *ticket_r);

/* A ticket's status ("new" ... "closed", copied into status_r) and when it
 * was last closed or resolved (0 if never): 1, 0 when there is no such
 * ticket, -1. */
int store_ticket_status(struct store *st, int64_t ticket, char status_r[16],
    int64_t *closed_at_r);

/* Change a ticket's status (and resolved_at/closed_at, updated_at). */
int store_ticket_set_status(struct store *st, int64_t ticket, const char *status,
    int64_t at);

/* Bump updated_at. */
int store_ticket_touch(struct store *st, int64_t ticket, int64_t at);

/* 1 when addr (case-insensitive) takes part in ticket, 0 if not, -1. */
int store_participant_has(struct store *st, int64_t ticket, const char *addr);

/* Add a participant; an address already there keeps its first role.
 * role: "requester", "cc" or "agent". */
int store_participant_add(struct store *st, int64_t ticket, const char *addr,
    const char *name, const char *role);

/* Mark an address of a ticket as failing (our mail to it bounced). */
int store_participant_set_failing(struct store *st, int64_t ticket, const char *addr);

/* Keep a message that could not be processed, with why. account NULL for
 * the MTA pipe. Returns 0 and *id_r. A second copy of the same IMAP
 * message is not added again (returns 0 and the existing id). */
struct store_quarantine {
	const char *account;
	const char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
	const char *reason;
	const char *raw;
	size_t raw_len;
};
int store_quarantine_add(struct store *st, const struct store_quarantine *q, int64_t *id_r);

/* Record the ids a stored message refers to (In-Reply-To, References). */
int store_refs_add(struct store *st, int64_t message, const char *const *refs, size_t n);

/* The ticket of the latest stored message that refers to ref: 1 and
 * *ticket_r, 0 when none does, -1. */
int store_ticket_of_ref(struct store *st, const char *ref, int64_t *ticket_r);

/* A quarantined message as read back (all strings owned; free with
 * store_quarantine_row_free). raw is only filled by store_quarantine_get. */
struct store_quarantine_row {
	int64_t id;
	char *account;		/* NULL: came through the MTA pipe */
	char *mailbox;
	uint32_t uidvalidity;
	uint32_t uid;
	char *reason;
	int64_t created_at;
	char *state;		/* held, released, discarded */
	char *raw;		/* NUL-terminated copy, raw_len bytes */
	size_t raw_len;
};
void store_quarantine_row_free(struct store_quarantine_row *q);
/* Each held message (all: every one) in order; cb returns non-zero to stop. */
int store_quarantine_list(struct store *st, bool all,
    int (*cb)(const struct store_quarantine_row *q, void *arg), void *arg);
/* 1 and *q (with raw), 0 when there is no such id, -1. */
int store_quarantine_get(struct store *st, int64_t id, struct store_quarantine_row *q);
int store_quarantine_set_state(struct store *st, int64_t id, const char *state);

/* --- outbox: every mail postdesk sends, queued in the transaction that
 * caused it and kept until the SMTP server took it ----------------------- */
struct store_outbox {
	int64_t ticket;		/* 0: none */
	int64_t message;	/* the messages row holding the raw bytes */
	const char *kind;	/* ack, notification, reply, ... */
	const char *env_from;	/* "" = the null reverse-path <> */
	const char *rcpt;	/* envelope recipients, space-separated */
	int64_t at;		/* when; 0 = now */
};
int store_outbox_add(struct store *st, const struct store_outbox *o, int64_t *id_r);

/* A row as read back; every pointer is borrowed for the callback only. */
struct store_outbox_row {
	int64_t id;
	int64_t ticket;
	const char *kind;
	const char *env_from;
	const char *rcpt;
	const char *state;	/* list only */
	int attempts;
	int64_t next_try_at;	/* list only */
	int64_t created_at;
	const char *last_error;	/* list only */
	const void *raw;	/* due only */
	size_t raw_len;
	int64_t message;	/* due only; 0 when the row holds its own raw */
};
/* Pending rows due at now, oldest first, at most limit; cb returns
 * non-zero to stop. Do not write to the store from cb (a read is open). */
int store_outbox_due(struct store *st, int64_t now, int limit,
    int (*cb)(const struct store_outbox_row *o, void *arg), void *arg);
/* Set a row's state (pending, sending, sent, failed); attempt 1 counts an
 * attempt; at is the next try (pending) or the time sent. */
int store_outbox_set(struct store *st, int64_t id, const char *state, int attempt,
    int64_t at, const char *error);
/* Rows left "sending" by a crash go back to pending; returns how many. */
int store_outbox_recover(struct store *st);
/* The earliest next try of a pending row: 1 and *at_r, 0 when none, -1. */
int store_outbox_next(struct store *st, int64_t *at_r);
/* Pending, sending and failed rows (all: sent ones too), oldest first. */
int store_outbox_list(struct store *st, bool all,
    int (*cb)(const struct store_outbox_row *o, void *arg), void *arg);
/* Queue a failed or pending row again now: 1, 0 when no such unsent row. */
int store_outbox_requeue(struct store *st, int64_t id, int64_t now);

/* Acknowledgements sent to addr after since (*n_r), and one more sent. */
int store_ack_count(struct store *st, const char *addr, int64_t since, int64_t *n_r);
int store_ack_add(struct store *st, const char *addr, int64_t at);
/* The first agent answer to the customer, kept once. */
int store_ticket_first_response(struct store *st, int64_t ticket, int64_t at);

/* Change one field of a ticket (and its updated_at). */
enum store_ticket_field {
	STORE_TICKET_ASSIGNEE = 0,	/* agent email, NULL: nobody */
	STORE_TICKET_QUEUE,
	STORE_TICKET_PRIORITY,		/* low, normal, high, urgent */
};
int store_ticket_set(struct store *st, int64_t ticket, enum store_ticket_field f,
    const char *value, int64_t at);

/* How many new, open or pending tickets assignee has (*n_r). */
int store_open_count(struct store *st, const char *assignee, int64_t *n_r);

/* For the daemon's status line: new, open and pending tickets, and
 * outbox rows not yet sent (pending or sending). 0 or -1. */
int store_service_counts(struct store *st, int64_t *open_r, int64_t *outbox_r);

/* --- timers (store_timer.c): due times of a ticket, and what the timers
 * stage reads and writes besides them. A timer waits until it is done:
 * fired, skipped (due, but nothing left to do) or cancelled (the change
 * that made it moot came first). Kinds are timers.h's. -------------------- */

/* A timer of kind on ticket, due at due, set at at (0: now) by actor (an
 * agent's address; NULL: postdesk). */
int store_timer_add(struct store *st, int64_t ticket, const char *kind, int64_t due,
    const char *actor, int64_t at);

/* Cancel ticket's waiting timers of kind. Returns how many, or -1. */
int store_timer_cancel(struct store *st, int64_t ticket, const char *kind, int64_t at);

/* The earliest due time of ticket's waiting timers of kind: 1 and *due_r,
 * 0 when none waits, -1. */
int store_timer_waiting(struct store *st, int64_t ticket, const char *kind,
    int64_t *due_r);

/* A timer as read back; strings are borrowed for the callback only. */
struct store_timer {
	int64_t id;
	int64_t ticket;
	const char *kind;
	int64_t due_at;
	int64_t created_at;
	const char *actor;	/* NULL: postdesk */
	int64_t fired_at;	/* store_timer_list only; 0: waiting */
	const char *outcome;	/* store_timer_list only; NULL: waiting */
};

/* Waiting timers due at now, earliest first (then by id), at most limit;
 * cb returns non-zero to stop. Do not write to the store from cb. */
int store_timer_due(struct store *st, int64_t now, int limit,
    int (*cb)(const struct store_timer *t, void *arg), void *arg);

/* Mark a timer done with outcome ("fired", "skipped", "cancelled") at at.
 * Returns 1, or 0 when it was done already (another process fired it),
 * or -1. */
int store_timer_done(struct store *st, int64_t id, const char *outcome, int64_t at);

/* The earliest due time of any waiting timer: 1 and *at_r, 0 when none
 * waits, -1. */
int store_timer_next(struct store *st, int64_t *at_r);

/* Every timer of ticket, waiting or done, by due time. */
int store_timer_list(struct store *st, int64_t ticket,
    int (*cb)(const struct store_timer *t, void *arg), void *arg);

/* What scheduling needs of a ticket, in one read. */
struct store_ticket_brief {
	char status[16];
	char queue[80];
	int64_t created_at;
	int64_t first_response_at;	/* 0: no answer yet */
	int satisfaction;	/* 0: none given */
};
/* 1 and *b, 0 when there is no such ticket, -1. */
int store_ticket_brief(struct store *st, int64_t ticket, struct store_ticket_brief *b);

/* The customer's rating (1-5) of a ticket. */
int store_ticket_set_satisfaction(struct store *st, int64_t ticket, int score, int64_t at);

/* The ticket and kind of the stored message with this Message-ID (without
 * <>): 1 with *ticket_r (0: none) and kind_r, 0 when no such message, -1. */
int store_message_kind(struct store *st, const char *message_id, int64_t *ticket_r,
    char kind_r[32]);

/* The raw bytes of messages row id: 1 and *raw_r (NUL-terminated, caller
 * frees) and *len_r, 0 when there is no such row or it holds no raw bytes,
 * -1. */
int store_message_raw(struct store *st, int64_t id, char **raw_r, size_t *len_r);

/* Small named values postdesk keeps for itself (e.g. the generated HMAC
 * key when no secret_file is configured). get: 1 and a value the caller
 * frees, 0 when absent, -1. */
int store_meta_get(struct store *st, const char *key, char **value_r);
int store_meta_set(struct store *st, const char *key, const char *value);

#endif
