/* daemon_internal.h: what the daemon's files share (internal to
 * src/daemon): daemon.c has the loop and the signals, status.c what the
 * service manager is told (sd_notify), reload.c loading a new config on
 * SIGHUP. */
#ifndef POSTDESK_DAEMON_INTERNAL_H
#define POSTDESK_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "postdesk/fetch.h"
#include "postdesk/ingest.h"

struct pd_config;
struct store;

/* One mailbox as the loop sees it. Times are CLOCK_MONOTONIC seconds. */
struct box {
	struct fetch_box fb;
	int failures;		/* in a row; 0: healthy */
	time_t next_try;
	time_t last_ok;		/* the last round that reached it; 0: never */
	char *error;		/* owned; the last failure while failing, else NULL */
};

time_t daemon_now(void);

/* --- status.c ------------------------------------------------------------ */

struct dstatus {
	bool watchdog;		/* the manager wants WATCHDOG=1 */
	int64_t wd_period_ms;	/* half of WATCHDOG_USEC */
	int64_t wd_next_ms;	/* CLOCK_MONOTONIC ms of the next ping */
	int64_t open, outbox;	/* cached counts for the STATUS= line */
	time_t counts_at;	/* when they were read; 0: read them again */
	char last[512];		/* the STATUS= line last sent */
};

/* sd_notify(0, state) when built with libsystemd; else nothing. */
void status_notify(const char *state);
/* Read WATCHDOG_USEC (sd_watchdog_enabled) and clear the counts. */
void status_init(struct dstatus *s);
/* Seconds until the watchdog wants the next ping (at least 1), or
 * INT32_MAX when there is no watchdog. */
int status_watchdog_in(const struct dstatus *s);
/* Send WATCHDOG=1 if it is due. Cheap; call it as often as you like. */
void status_watchdog(struct dstatus *s);
/* The counts changed (mail stored or sent): read them again next time. */
void status_counts_stale(struct dstatus *s);
/* Send "STATUS=3 mailboxes, 41 open tickets, outbox 0, last fetch 12 s
 * ago" (and the first failing mailbox) when it differs from the last. */
void status_update(struct dstatus *s, struct store *st, const struct box *boxes,
    size_t n);

/* --- reload.c ------------------------------------------------------------ */

/* Load old->path again and prepare everything that can fail: on success
 * 0, a new config in *cfg_r (caller frees) and *ig_r initialised for it
 * on st (ingest_done it); settings that need a restart (the database) are
 * logged and kept as they were. On failure every problem is logged, one
 * line each, and -1 returned: the caller keeps the old config. */
int reload_load(const struct pd_config *old, struct store *st,
    struct pd_config **cfg_r, struct ingest *ig_r);
/* Where and how much to log, from cfg (debug: -d was given, it wins). */
void reload_apply_log(const struct pd_config *cfg, bool debug);
/* Whether a mailbox's connection can be kept when a reload changes its
 * settings from a to b (same server, account, folder and timeouts). */
bool reload_same_connection(const struct pd_imap *a, const struct pd_imap *b);

#endif
