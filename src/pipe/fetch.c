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
#define FETCH_BATCH 10

struct fetch_run {
	struct ingest *ig;
	const struct pd_imap *box;
	struct imapc *c;
	uint32_t uidvalidity;
	uint32_t last_done;	/* highest UID handled in this run */
	struct fetch_stats *stats;
	char *error;		/* owned; set when the run must stop */
};

/* One fetched message: store it, then (and only then) mark it on the
 * server. Returns -1 to stop the batch. */
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
	const char *folder = r->box->processed;
	enum pd_mark mark = r->box->mark;
	char *err = NULL;
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
		    r->box->mailbox, uid, qid, res.reason);
		r->stats->quarantined++;
		folder = r->box->quarantine;
		mark = PD_MARK_MOVE;
	} else if (res.duplicate)
		r->stats->duplicates++;
	else
		r->stats->stored++;
	ingest_result_free(&res);

	if (imapc_mark_done(r->c, uid, mark, folder, &err) < 0) {
		/* Stored, but still in the mailbox: the next round finds it
		 * by its IMAP identity and only marks it. */
		r->error = xasprintf("uid %u stored but not marked: %s", uid, err);
		free(err);
		return -1;
	}
	if (uid > r->last_done)
		r->last_done = uid;
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

static int
state_save(struct fetch_run *r)
{
	struct store *st = r->ig->st;

	if (store_begin(st) < 0)
		return -1;
	if (store_imap_state_set(st, r->box->name, r->box->mailbox, r->uidvalidity,
	    r->last_done) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
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
	struct fetch_run r = { .ig = ig, .box = box, .stats = stats };
	uint32_t old_validity = 0, last = 0, *uids = NULL;
	size_t n = 0;
	char *err = NULL;
	int found;

	*error_r = NULL;
	if (box_connect(b, error_r) < 0)
		return -1;
	r.c = b->c;
	r.uidvalidity = b->uidvalidity;
	found = store_imap_state_get(ig->st, box->name, box->mailbox, &old_validity, &last);
	if (found < 0) {
		*error_r = xstrdup(store_error(ig->st));
		return -1;
	}
	if (found > 0 && old_validity != r.uidvalidity) {
		log_warn("fetch: mailbox=%s UIDVALIDITY changed from %u to %u: rescanning "
		    "(stored messages are recognised by their Message-ID)",
		    box->mailbox, old_validity, r.uidvalidity);
		last = 0;
	}
	r.last_done = last;
	if (imapc_search_new(r.c, last, &uids, &n, &err) < 0) {
		*error_r = xasprintf("%s: search: %s", box->name, err);
		free(err);
		goto out;
	}
	log_debug("fetch: mailbox=%s uidvalidity=%u last_uid=%u new=%zu",
	    box->mailbox, r.uidvalidity, last, n);
	for (size_t i = 0; i < n; i += FETCH_BATCH) {
		size_t k = n - i < FETCH_BATCH ? n - i : FETCH_BATCH;

		if (imapc_fetch(r.c, uids + i, k, fetch_one, &r, &err) < 0 || r.error) {
			*error_r = xasprintf("%s: %s", box->name, r.error ? r.error : err);
			free(err);
			break;
		}
		if (state_save(&r) < 0) {
			*error_r = xasprintf("%s: save state: %s", box->name, store_error(ig->st));
			break;
		}
	}
	if (*error_r != NULL && r.last_done > last)
		state_save(&r);	/* keep what was done before the failure */
out:
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
