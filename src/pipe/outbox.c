/* outbox.c: see outbox.h. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/buf.h"
#include "postdesk/config.h"
#include "postdesk/log.h"
#include "postdesk/outbox.h"
#include "postdesk/smtpc.h"
#include "postdesk/store.h"
#include "postdesk/xalloc.h"

#define OUTBOX_BATCH 50
#define BACKOFF_MIN 60
#define BACKOFF_MAX 3600

int64_t
outbox_backoff(int attempts)
{
	int64_t d = BACKOFF_MIN;

	for (int i = 1; i < attempts && d < BACKOFF_MAX; i++)
		d *= 2;
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/* A due row, copied out of the query so that the store can be written
 * while it is sent. */
struct item {
	int64_t id, ticket, created_at, message;
	int attempts;
	char *kind, *env_from, *rcpt, *raw;
	size_t raw_len;
};

struct batch {
	struct item v[OUTBOX_BATCH];
	size_t n;
};

static int
collect(const struct store_outbox_row *o, void *arg)
{
	struct batch *b = arg;
	struct item *it = &b->v[b->n++];

	it->id = o->id;
	it->ticket = o->ticket;
	it->created_at = o->created_at;
	it->attempts = o->attempts;
	it->message = o->message;
	it->kind = xstrdup(o->kind);
	it->env_from = xstrdup(o->env_from);
	it->rcpt = xstrdup(o->rcpt);
	it->raw = xmalloc(o->raw_len + 1);
	if (o->raw_len > 0)
		memcpy(it->raw, o->raw, o->raw_len);
	it->raw[o->raw_len] = '\0';
	it->raw_len = o->raw_len;
	return b->n >= OUTBOX_BATCH;
}

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].kind);
		free(b->v[i].env_from);
		free(b->v[i].rcpt);
		free(b->v[i].raw);
	}
	b->n = 0;
}

/* One small transaction for a state change (and an event). */
static int
set_state(struct store *st, const struct item *it, const char *state, int attempt,
    int64_t at, const char *error, const char *event)
{
	if (store_begin(st) < 0)
		return -1;
	if (store_outbox_set(st, it->id, state, attempt, at, error) < 0 ||
	    (event != NULL && it->ticket != 0 &&
	    store_event_add(st, it->ticket, event, NULL, error, at) < 0)) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

/* Split "a b c" into an array of borrowed pointers into a copy. */
static size_t
split_rcpt(char *s, const char **v, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	return n;
}

/* The message went to some recipients; those the server asked to try
 * again later get a row of their own (the same stored message). */
static int
requeue_tempfailed(struct store *st, const struct item *it, const char *const *rcpts,
    const enum smtpc_result *res, size_t n, int64_t now)
{
	struct pd_buf again;
	int rc = 0;

	pd_buf_init(&again, 64 * 1024);
	for (size_t i = 0; i < n; i++) {
		if (res[i] != SMTPC_TEMPFAIL)
			continue;
		if (again.len > 0)
			pd_buf_addc(&again, ' ');
		pd_buf_adds(&again, rcpts[i]);
	}
	if (again.len > 0 && it->message != 0) {
		struct store_outbox o = { .ticket = it->ticket, .message = it->message,
			.kind = it->kind, .env_from = it->env_from, .rcpt = pd_buf_str(&again),
			.at = now + outbox_backoff(1) };

		if (store_begin(st) < 0)
			rc = -1;
		else if (store_outbox_add(st, &o, NULL) < 0) {
			store_rollback(st);
			rc = -1;
		} else
			rc = store_commit(st);
	}
	pd_buf_free(&again);
	return rc;
}

static int
send_one(struct store *st, const struct pd_config *cfg, struct smtpc *s,
    struct item *it, int64_t now, struct outbox_stats *stats)
{
	const char *rcpts[64];
	enum smtpc_result per[64];
	char *reply = NULL, *rcpt = xstrdup(it->rcpt);
	size_t n = split_rcpt(rcpt, rcpts, 64);
	enum smtpc_result r;
	int rc = 0;

	if (set_state(st, it, "sending", 0, now, NULL, NULL) < 0) {
		free(rcpt);
		return -1;
	}
	r = smtpc_send(s, it->env_from, rcpts, n, it->raw, it->raw_len, per, &reply);
	if (r == SMTPC_SENT) {
		rc = set_state(st, it, "sent", 1, now, reply, NULL);
		if (rc == 0)
			rc = requeue_tempfailed(st, it, rcpts, per, n, now);
		stats->sent++;
		log_info("outbox: id=%" PRId64 " ticket=%" PRId64 " kind=%s to=%s sent",
		    it->id, it->ticket, it->kind, it->rcpt);
	} else if (r == SMTPC_PERMFAIL || now - it->created_at >= cfg->smtp.retry_for) {
		rc = set_state(st, it, "failed", 1, now, reply, "mail-failed");
		stats->failed++;
		log_error("outbox: id=%" PRId64 " ticket=%" PRId64 " kind=%s to=%s failed%s: %s",
		    it->id, it->ticket, it->kind, it->rcpt,
		    r == SMTPC_PERMFAIL ? "" : " (gave up retrying)", reply ? reply : "");
	} else {
		int64_t next = now + outbox_backoff(it->attempts + 1);

		rc = set_state(st, it, "pending", 1, next, reply, NULL);
		stats->deferred++;
		log_warn("outbox: id=%" PRId64 " ticket=%" PRId64 " to=%s deferred, next try in "
		    "%" PRId64 " s: %s", it->id, it->ticket, it->rcpt, next - now,
		    reply ? reply : "");
	}
	free(reply);
	free(rcpt);
	return rc;
}

/* Defer every row of the batch (the server is unreachable). */
static int
defer_all(struct store *st, struct batch *b, size_t from, int64_t now, const char *why,
    struct outbox_stats *stats)
{
	for (size_t i = from; i < b->n; i++) {
		int64_t next = now + outbox_backoff(b->v[i].attempts + 1);

		if (set_state(st, &b->v[i], "pending", 1, next, why, NULL) < 0)
			return -1;
		stats->deferred++;
	}
	return 0;
}

/* Open the SMTP session for the first batch; on failure every row of b is
 * deferred and *s stays NULL. */
static int
session_open(struct store *st, const struct pd_config *cfg, struct batch *b, int64_t now,
    struct smtpc **s, struct outbox_stats *stats)
{
	char *secret = NULL, *err = NULL;
	int rc = 0;

	if (cfg->smtp.password_file || cfg->smtp.oauth2_token_file) {
		secret = config_read_secret(cfg->smtp.password_file ? cfg->smtp.password_file
		    : cfg->smtp.oauth2_token_file, &err);
		if (secret == NULL) {
			log_error("outbox: %s", err);
			rc = defer_all(st, b, 0, now, err, stats);
			free(err);
			return rc;
		}
	}
	if (smtpc_open(&cfg->smtp, secret, s, &err) < 0) {
		log_warn("outbox: %s; %zu message%s deferred", err, b->n, b->n == 1 ? "" : "s");
		rc = defer_all(st, b, 0, now, err, stats);
		*s = NULL;
	}
	if (secret != NULL) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	free(err);
	return rc;
}

int
outbox_run(struct store *st, const struct pd_config *cfg, int64_t now,
    struct outbox_stats *stats, char **error_r)
{
	return outbox_run_until(st, cfg, now, NULL, NULL, stats, error_r);
}

int
outbox_run_until(struct store *st, const struct pd_config *cfg, int64_t now,
    bool (*stop)(void *arg), void *arg, struct outbox_stats *stats, char **error_r)
{
	struct batch b = { .n = 0 };
	struct smtpc *s = NULL;
	bool full = true, broken = false, stopped = false;
	int rc = 0;

	*error_r = NULL;
	if (!cfg->has_smtp)
		return 0;
	/* Batch after batch over one session, until nothing due is left or
	 * the session fails (then the rest waits for the next round). */
	while (rc == 0 && full && !broken && !stopped) {
		if (store_outbox_due(st, now, OUTBOX_BATCH, collect, &b) < 0) {
			rc = -1;
			break;
		}
		full = b.n == OUTBOX_BATCH;
		if (b.n == 0)
			break;
		if (s == NULL) {
			rc = session_open(st, cfg, &b, now, &s, stats);
			if (s == NULL) {
				batch_free(&b);
				break;
			}
		}
		for (size_t i = 0; i < b.n && rc == 0; i++) {
			rc = send_one(st, cfg, s, &b.v[i], now, stats);
			if (rc == 0 && smtpc_error_is_session(s)) {
				rc = defer_all(st, &b, i + 1, now,
				    "SMTP session failed; see the log", stats);
				broken = true;
				break;
			}
			if (rc == 0 && stop != NULL && stop(arg)) {
				stopped = true;	/* the rest stays pending and due */
				break;
			}
		}
		batch_free(&b);
	}
	if (rc < 0)
		*error_r = xstrdup(store_error(st));
	smtpc_close(&s);
	batch_free(&b);
	return rc;
}
