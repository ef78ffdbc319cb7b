/* fetch.c: see fetch.h. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/config.h"
#include "postdesk/fetch.h"
#include "postdesk/imapc.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/store.h"
#include "postdesk/xalloc.h"

/* UIDs per UID FETCH: enough to hide the round trip, few enough that a
 * batch of large messages stays within a few MiB of memory. */
#define FETCH_BATCH 50

/* What a batch leaves to do on the server once its commits are durable. */
struct pending {
	uint32_t uid;
	bool quarantined;
};

struct fetch_run {
	struct ingest *ig;
	const struct pd_imap *box;
	struct imapc *c;
	uint32_t uidvalidity;
	uint32_t last_done;	/* highest UID handled in this run */
	struct pending done[FETCH_BATCH];
	size_t ndone;
	struct fetch_stats *stats;
	char *error;		/* owned; set when the run must stop */
	const struct fetch_box *fb;	/* for its stop hook */
	bool stopped;		/* the stop hook said so */
};

/* One fetched message: store it (its own transaction) and remember it;
 * it is marked on the server after the batch is durable (batch_finish).
 * Returns -1 to stop the batch. */
static int
fetch_one(uint32_t uid, const char *raw, size_t len, void *arg)
{
	struct fetch_run *r = arg;
	struct ingest_source src = {
		.account = r->box->name,
		.mailbox = r->box->mailbox,
		.uidvalidity = r->uidvalidity,
		.uid = uid,
		.queue = r->box->queue,
	};
	struct ingest_result res;
	bool quarantined = false;
	enum pd_disp d;

	r->stats->seen++;
	d = ingest_one(r->ig, raw, len, &src, &res);
	if (d == PD_RETRY) {
		r->error = xasprintf("uid %u not stored, will retry: %s", uid, res.reason);
		ingest_result_free(&res);
		return -1;
	}
	if (d == PD_SKIP) {
		int64_t qid;

		if (ingest_quarantine(r->ig, raw, len, &src, res.reason, &qid) < 0) {
			r->error = xasprintf("uid %u: cannot quarantine: %s", uid,
			    store_error(r->ig->st));
			ingest_result_free(&res);
			return -1;
		}
		log_warn("quarantine: mailbox=%s uid=%u id=%" PRId64 " reason=%s",
		    r->box->name, uid, qid, res.reason);
		r->stats->quarantined++;
		quarantined = true;
	} else if (res.duplicate)
		r->stats->duplicates++;
	else
		r->stats->stored++;
	ingest_result_free(&res);
	r->done[r->ndone].uid = uid;
	r->done[r->ndone].quarantined = quarantined;
	r->ndone++;
	if (r->fb->stop != NULL && r->fb->stop(r->fb->stop_arg)) {
		r->stopped = true;
		return -1;
	}
	return 0;
}

static char *
read_login_secret(const struct pd_imap *box, struct imapc_login *login, char **error_r)
{
	const char *file = box->password_file ? box->password_file : box->oauth2_token_file;
	char *secret = config_read_secret(file, error_r);

	login->user = box->user;
	login->password = box->password_file ? secret : NULL;
	login->oauth2_token = box->password_file ? NULL : secret;
	return secret;
}

/* Record the highest UID handled (a plain commit: if it is lost, the
 * next round fetches those messages again and recognises them). */
static int
state_save(struct fetch_run *r, uint32_t last)
{
	struct store *st = r->ig->st;

	if (store_begin(st) < 0)
		return -1;
	if (store_imap_state_set(st, r->box->name, r->box->mailbox, r->uidvalidity,
	    last) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

/* The batch's messages are stored: make that durable (one sync of the
 * write-ahead log covers every commit of the batch), then, and only then,
 * move them out of the mailbox, and last advance the highest handled UID.
 * A crash before the move leaves the messages in the mailbox above that
 * UID: the next round fetches them and recognises them as stored. */
static int
batch_finish(struct fetch_run *r)
{
	uint32_t last = r->last_done;
	char *err = NULL;

	if (r->ndone == 0)
		return 0;
	if (store_sync(r->ig->st) < 0) {
		free(r->error);
		r->error = xasprintf("sync: %s", store_error(r->ig->st));
		r->ndone = 0;
		return -1;
	}
	{
		uint32_t done[FETCH_BATCH], quar[FETCH_BATCH];
		size_t nd = 0, nq = 0;
		int rc = 0;

		for (size_t i = 0; i < r->ndone; i++) {
			if (r->done[i].quarantined)
				quar[nq++] = r->done[i].uid;
			else
				done[nd++] = r->done[i].uid;
			if (r->done[i].uid > last)
				last = r->done[i].uid;
		}
		/* One command per destination for the whole batch. */
		rc = imapc_mark_done_set(r->c, done, nd, r->box->mark, r->box->processed, &err);
		if (rc == 0)
			rc = imapc_mark_done_set(r->c, quar, nq, PD_MARK_MOVE, r->box->quarantine,
			    &err);
		if (rc < 0) {
			free(r->error);
			r->error = xasprintf("stored but not marked: %s", err);
			free(err);
			r->ndone = 0;
			return -1;
		}
	}
	r->ndone = 0;
	if (state_save(r, last) < 0) {
		free(r->error);
		r->error = xasprintf("save state: %s", store_error(r->ig->st));
		return -1;
	}
	r->last_done = last;
	return 0;
}

/* Connect, log in and select, if not connected. */
static int
box_connect(struct fetch_box *b, char **error_r)
{
	struct imapc_login login;
	char *secret, *err = NULL;
	int rc = -1;

	if (b->c != NULL)
		return 0;
	secret = read_login_secret(b->cfg, &login, error_r);
	if (secret == NULL)
		return -1;
	if (imapc_open(b->cfg, &login, &b->c, &err) < 0)
		*error_r = xasprintf("%s: %s", b->cfg->name, err);
	else if (imapc_select(b->c, b->cfg->mailbox, &b->uidvalidity, &err) < 0)
		*error_r = xasprintf("%s: select %s: %s", b->cfg->name, b->cfg->mailbox, err);
	else
		rc = 0;
	free(err);
	memset(secret, 0, strlen(secret));
	free(secret);
	if (rc < 0)
		imapc_close(&b->c);
	return rc;
}

void
fetch_box_init(struct fetch_box *b, const struct pd_imap *cfg)
{
	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
}

void
fetch_box_close(struct fetch_box *b)
{
	imapc_close(&b->c);
}

int
fetch_box_run(struct ingest *ig, struct fetch_box *b, struct fetch_stats *stats,
    char **error_r)
{
	const struct pd_imap *box = b->cfg;
	struct fetch_run r = { .ig = ig, .box = box, .stats = stats, .fb = b };
	uint32_t old_validity = 0, last = 0, *uids = NULL;
	size_t n = 0;
	char *err = NULL;
	int found;

	*error_r = NULL;
	if (box_connect(b, error_r) < 0)
		return -1;
	/* Each message commits without a sync; batch_finish makes them
	 * durable at once before anything is marked on the server. */
	store_set_durable(ig->st, false);
	r.c = b->c;
	r.uidvalidity = b->uidvalidity;
	found = store_imap_state_get(ig->st, box->name, box->mailbox, &old_validity, &last);
	if (found < 0) {
		*error_r = xstrdup(store_error(ig->st));
		return -1;
	}
	if (found > 0 && old_validity != r.uidvalidity) {
		log_warn("fetch: mailbox=%s folder=%s UIDVALIDITY changed from %u to %u: "
		    "rescanning (stored messages are recognised by their Message-ID)",
		    box->name, box->mailbox, old_validity, r.uidvalidity);
		last = 0;
	}
	r.last_done = last;
	if (imapc_search_new(r.c, last, &uids, &n, &err) < 0) {
		*error_r = xasprintf("%s: search: %s", box->name, err);
		free(err);
		goto out;
	}
	log_debug("fetch: mailbox=%s folder=%s uidvalidity=%u last_uid=%u new=%zu",
	    box->name, box->mailbox, r.uidvalidity, last, n);
	for (size_t i = 0; i < n; i += FETCH_BATCH) {
		size_t k = n - i < FETCH_BATCH ? n - i : FETCH_BATCH;
		int frc;

		if (i > 0 && b->stop != NULL && b->stop(b->stop_arg)) {
			r.stopped = true;
			break;
		}
		frc = imapc_fetch(r.c, uids + i, k, fetch_one, &r, &err);
		/* What was stored before a failure (or a stop) is still
		 * finished. */
		if (batch_finish(&r) < 0 || frc < 0 || r.error) {
			*error_r = xasprintf("%s: %s", box->name, r.error ? r.error : err);
			free(err);
			break;
		}
		if (r.stopped)
			break;
	}
	if (r.stopped)
		log_info("fetch: mailbox=%s uid=%u: stopping here; the rest waits in the "
		    "mailbox", box->name, r.last_done);
out:
	store_set_durable(ig->st, true);
	free(uids);
	free(r.error);
	/* After a failure the connection may be half-dead: start afresh. */
	if (*error_r != NULL)
		imapc_close(&b->c);
	return *error_r == NULL ? 0 : -1;
}

int
fetch_mailbox(struct ingest *ig, const struct pd_imap *box, struct fetch_stats *stats,
    char **error_r)
{
	struct fetch_box b;
	int rc;

	fetch_box_init(&b, box);
	rc = fetch_box_run(ig, &b, stats, error_r);
	fetch_box_close(&b);
	return rc;
}
