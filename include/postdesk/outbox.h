/* outbox.h: deliver the outbox over SMTP.
 *
 * Rows are due when pending and their next try has come. Each is marked
 * "sending" (committed) before it goes to the SMTP server and "sent" after;
 * a crash in between leaves it "sending", and the next start sends it
 * again: a duplicate is possible in that one window, a loss never.
 * Temporary failures (connection refused, timeouts, 4xx) retry with
 * exponential backoff, 1 min doubling to 1 h, until retry_for has passed
 * since the row was queued; then the row fails and its ticket gets an
 * event. A permanent failure (5xx) fails the row at once with the
 * server's text. */
#ifndef POSTDESK_OUTBOX_H
#define POSTDESK_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_config;
struct store;

struct outbox_stats {
	size_t sent;
	size_t deferred;
	size_t failed;
};

/* Send everything due at now (one SMTP connection for the lot). Returns 0,
 * or -1 when the store failed (*error_r, caller frees). An unreachable
 * SMTP server is not an error here: the rows are deferred. */
int outbox_run(struct store *st, const struct pd_config *cfg, int64_t now,
    struct outbox_stats *stats, char **error_r);

/* outbox_run that asks stop(arg) after each message it sent (or tried):
 * true ends the run there; the rows not tried stay due (the daemon's
 * SIGTERM). */
int outbox_run_until(struct store *st, const struct pd_config *cfg, int64_t now,
    bool (*stop)(void *arg), void *arg, struct outbox_stats *stats, char **error_r);

/* The delay before attempt number attempts + 1 (attempts >= 1). */
int64_t outbox_backoff(int attempts);

#endif
