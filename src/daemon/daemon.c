/* daemon.c: see daemon.h. The loop and the signals; what the service
 * manager is told is in status.c, loading a new config in reload.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "postdesk/config.h"
#include "postdesk/daemon.h"
#include "postdesk/fetch.h"
#include "postdesk/imapc.h"
#include "postdesk/ingest.h"
#include "postdesk/lock.h"
#include "postdesk/log.h"
#include "postdesk/outbox.h"
#include "postdesk/store.h"
#include "postdesk/timers.h"
#include "postdesk/xalloc.h"
#include "daemon_internal.h"

#define IDLE_MAX (29 * 60)	/* RFC 2177: re-issue IDLE within 29 minutes */
#define BACKOFF_MAX 300
#define SENDER_RETRY 30		/* seconds between tries of another's sender lock */
#define OUTBOX_RECHECK 60	/* rows that deliver or another daemon queued are
				 * seen within this, even while IDLE waits */

static bool stop_requested;
static bool fetch_requested;
static bool reload_requested;
static int sig_fd = -1;
static struct dstatus status;

/* TERM, INT, HUP and USR1 are blocked for the whole run and read from a
 * signalfd: they never interrupt a system call in libetpan, libcurl,
 * GnuTLS or SQLite (libetpan takes an EINTR for a dead connection), and
 * the fd wakes a poll() or an IDLE in progress at once. The work checks
 * for them between messages (round_check). */
static int
signals_setup(sigset_t *old)
{
	struct sigaction sa;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -1;
	sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_fd < 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

/* Turn the signals that came into requests. */
static void
signals_read(void)
{
	struct signalfd_siginfo si;

	while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!stop_requested)
				log_info("daemon: %s: finishing the message in hand, then stopping",
				    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			stop_requested = true;
			break;
		case SIGHUP:
			reload_requested = true;
			break;
		case SIGUSR1:
			fetch_requested = true;
			break;
		default:
			break;
		}
	}
}

/* Asked between messages of a fetch or an outbox run: pet the watchdog
 * through a long round, and stop early on TERM. */
static bool
round_check(void *arg)
{
	(void)arg;
	signals_read();
	status_watchdog(&status);
	return stop_requested;
}

time_t
daemon_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static time_t
now_mono(void)
{
	return daemon_now();
}

/* 1, 2, 4 ... 256, 300 seconds, each cut by up to a half at random so that
 * several postdesk instances do not hammer a recovering server together. */
static int
backoff(int failures)
{
	int base = failures > 9 ? BACKOFF_MAX : 1 << (failures - 1);
	unsigned int r = 0;

	if (base > BACKOFF_MAX)
		base = BACKOFF_MAX;
	gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r));
	return base / 2 + (int)(r % (unsigned int)(base / 2 + 1));
}

static void
box_init(struct box *b, const struct pd_imap *cfg)
{
	memset(b, 0, sizeof(*b));
	fetch_box_init(&b->fb, cfg);
	b->fb.stop = round_check;
}

static void
box_done(struct box *b)
{
	fetch_box_close(&b->fb);
	free(b->error);
	b->error = NULL;
}

static void
box_round(struct ingest *ig, struct box *b, time_t now)
{
	struct fetch_stats stats = { 0, 0, 0, 0 };
	char *err = NULL;

	if (fetch_box_run(ig, &b->fb, &stats, &err) == 0) {
		if (b->failures > 0)
			log_info("fetch: mailbox=%s reachable again", b->fb.cfg->name);
		b->failures = 0;
		free(b->error);
		b->error = NULL;
		b->last_ok = now_mono();
		b->next_try = now + b->fb.cfg->poll_interval;
		if (stats.seen > 0) {
			log_info("fetch: mailbox=%s fetched=%zu stored=%zu duplicates=%zu "
			    "quarantined=%zu", b->fb.cfg->name, stats.seen, stats.stored,
			    stats.duplicates, stats.quarantined);
			status_counts_stale(&status);
		}
		return;
	}
	b->failures++;
	if (stats.stored > 0)
		status_counts_stale(&status);
	{
		int delay = backoff(b->failures);

		b->next_try = now + delay;
		log_warn("fetch: mailbox=%s: %s; retrying in %d s (attempt %d)",
		    b->fb.cfg->name, err, delay, b->failures);
	}
	free(b->error);
	b->error = err;
}

/* The mailbox to wait on with IDLE: connected, healthy, and the server
 * and the config allow it. */
static struct box *
idle_box(struct box *boxes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (boxes[i].fb.c != NULL && boxes[i].failures == 0 &&
		    boxes[i].fb.cfg->idle && imapc_has_idle(boxes[i].fb.c))
			return &boxes[i];
	return NULL;
}

/* Whether this daemon sends the outbox (lock.h): taken when free, tried
 * again every SENDER_RETRY seconds while another daemon has it. */
static bool sender;
static time_t sender_next_try;

static bool
sender_role(struct ingest *ig, struct pd_lock *lock)
{
	pid_t holder;
	char *err = NULL;
	int r;

	if (sender || now_mono() < sender_next_try)
		return sender;
	r = lock_sender(lock, &holder, &err);
	if (r < 0) {
		log_error("daemon: %s", err);
		free(err);
	}
	if (r != 0) {
		if (sender_next_try == 0)
			log_info("daemon: another postdesk (pid %ld) sends the outbox of this "
			    "database; this one only fetches", (long)holder);
		sender_next_try = now_mono() + SENDER_RETRY;
		return false;
	}
	sender = true;
	if (sender_next_try != 0)
		log_info("daemon: this daemon sends the outbox now");
	/* Rows left "sending" can only be this database's sender's: the
	 * previous one is gone. */
	if (ig->cfg->has_smtp && store_outbox_recover(ig->st) > 0)
		log_warn("outbox: mail left \"sending\" by a crash is queued again "
		    "(it may reach its recipients twice)");
	return true;
}

/* Send what is due; returns seconds until the next row is due, at most
 * OUTBOX_RECHECK (IDLE_MAX without smtp). */
static int
outbox_round(struct ingest *ig, const struct pd_config *cfg, struct pd_lock *lock)
{
	struct outbox_stats os = { 0, 0, 0 };
	int64_t now = (int64_t)time(NULL), next;
	char *err = NULL;
	int found;

	if (!cfg->has_smtp)
		return IDLE_MAX;
	if (!sender_role(ig, lock))
		return SENDER_RETRY;
	if (outbox_run_until(ig->st, cfg, now, round_check, NULL, &os, &err) < 0) {
		log_error("outbox: %s", err);
		free(err);
		return 30;	/* the store is in trouble: try again soon */
	}
	if (os.sent + os.deferred + os.failed > 0) {
		log_info("outbox: sent=%zu deferred=%zu failed=%zu", os.sent, os.deferred, os.failed);
		status_counts_stale(&status);
	}
	found = store_outbox_next(ig->st, &next);
	if (found <= 0)
		return OUTBOX_RECHECK;
	now = (int64_t)time(NULL);
	return next <= now ? 1 : next - now < OUTBOX_RECHECK ? (int)(next - now) : OUTBOX_RECHECK;
}

/* Fire the timers that are due (the sender only: one process per
 * database fires them, as one sends the mail they cause); returns seconds
 * until the next one (IDLE_MAX when none waits). */
static int
timers_round(struct ingest *ig, struct pd_lock *lock)
{
	struct timers_stats ts = { 0, 0, 0 };
	int64_t now = (int64_t)time(NULL), next;
	char *err = NULL;
	int found;

	if (!sender_role(ig, lock))
		return SENDER_RETRY;
	if (timers_run(ig, now, &ts, &err) < 0) {
		log_error("%s", err);
		free(err);
		return 30;	/* the store is in trouble: try again soon */
	}
	if (ts.fired + ts.skipped + ts.failed > 0) {
		log_info("timers: fired=%zu skipped=%zu failed=%zu", ts.fired, ts.skipped,
		    ts.failed);
		status_counts_stale(&status);
	}
	found = timers_next(ig->st, &next);
	if (found <= 0)
		return IDLE_MAX;
	now = (int64_t)time(NULL);
	return next <= now ? 1 : next - now < IDLE_MAX ? (int)(next - now) : IDLE_MAX;
}

/* Wait for a signal, IDLE news, the next poll, or wake_in seconds (the
 * outbox's next row, the watchdog's next ping), whichever comes first. */
static void
wait_for_work(struct box *boxes, size_t n, int wake_in)
{
	time_t now = now_mono(), earliest = now + (wake_in < IDLE_MAX ? wake_in : IDLE_MAX);
	struct box *ib = idle_box(boxes, n);
	int timeout;

	for (size_t i = 0; i < n; i++)
		if (&boxes[i] != ib && boxes[i].next_try < earliest)
			earliest = boxes[i].next_try;
	timeout = earliest > now ? (int)(earliest - now) : 0;
	if (stop_requested || fetch_requested || reload_requested || timeout == 0)
		return;
	if (ib != NULL) {
		char *err = NULL;
		int r = imapc_idle(ib->fb.c, timeout, sig_fd, &err);

		if (r < 0) {
			log_warn("idle: mailbox=%s: %s; reconnecting", ib->fb.cfg->name, err);
			free(err);
			fetch_box_close(&ib->fb);
		}
		/* A word from the server (or the IDLE timeout: RFC 2177 wants
		 * it re-issued anyway) means search the mailbox now. */
		ib->next_try = now_mono();
	} else {
		struct pollfd p = { .fd = sig_fd, .events = POLLIN };

		poll(&p, 1, timeout * 1000);
	}
	signals_read();
}

static void
notify(const char *state)
{
	status_notify(state);
}

/* Take the lock of every mailbox of cfg that old (NULL at start) does
 * not have. On a conflict, log why, give back what this call took, -1. */
static int
lock_new_boxes(struct pd_lock *lock, const struct pd_config *cfg,
    const struct pd_config *old)
{
	for (size_t i = 0; i < cfg->nimap; i++) {
		const char *name = cfg->imap[i].name;
		bool had = false;
		pid_t holder;
		char *err = NULL;
		int r;

		for (size_t j = 0; old != NULL && j < old->nimap && !had; j++)
			had = strcmp(old->imap[j].name, name) == 0;
		if (had)
			continue;
		r = lock_mailbox(lock, name, &holder, &err);
		if (r == 0)
			continue;
		if (r < 0) {
			log_error("daemon: %s", err);
			free(err);
		} else
			log_error("daemon: mailbox %s of %s is served by another postdesk daemon "
			    "(pid %ld); two daemons on one database must divide the mailboxes "
			    "between them (see postdesk(8), LOCKING)", name, cfg->database,
			    (long)holder);
		while (i-- > 0) {
			had = false;
			for (size_t j = 0; old != NULL && j < old->nimap && !had; j++)
				had = strcmp(old->imap[j].name, cfg->imap[i].name) == 0;
			if (!had)
				lock_mailbox_release(lock, cfg->imap[i].name);
		}
		return -1;
	}
	return 0;
}

/* SIGHUP: a new config, validated first; the old one stays on any error.
 * Mailboxes are matched by name: an unchanged one keeps its connection. */
static void
reload(struct ingest *ig, struct pd_config **cfgp, struct box **boxesp, size_t *np,
    struct pd_lock *lock, bool debug)
{
	struct pd_config *old = *cfgp, *cfg;
	struct ingest nig;
	struct box *boxes;

	log_info("daemon: SIGHUP: loading %s", old->path);
	if (reload_load(old, ig->st, &cfg, &nig) < 0) {
		log_error("daemon: the new configuration has errors; keeping the one in force");
		return;
	}
	if (lock_new_boxes(lock, cfg, old) < 0) {
		log_error("daemon: keeping the configuration in force");
		ingest_done(&nig);
		config_free(&cfg);
		return;
	}
	boxes = xcalloc(cfg->nimap ? cfg->nimap : 1, sizeof(*boxes));
	for (size_t i = 0; i < cfg->nimap; i++) {
		struct box *ob = NULL;

		for (size_t j = 0; j < *np && ob == NULL; j++)
			if (strcmp((*boxesp)[j].fb.cfg->name, cfg->imap[i].name) == 0)
				ob = &(*boxesp)[j];
		if (ob != NULL && reload_same_connection(ob->fb.cfg, &cfg->imap[i])) {
			boxes[i] = *ob;		/* keeps the connection and its state */
			boxes[i].fb.cfg = &cfg->imap[i];
			memset(ob, 0, sizeof(*ob));
			continue;
		}
		if (ob != NULL)
			log_info("daemon: mailbox %s changed; reconnecting", cfg->imap[i].name);
		else
			log_info("daemon: mailbox %s added", cfg->imap[i].name);
		box_init(&boxes[i], &cfg->imap[i]);
	}
	for (size_t j = 0; j < *np; j++) {
		struct box *ob = &(*boxesp)[j];
		bool kept = false;

		if (ob->fb.cfg == NULL)
			continue;	/* moved into the new array */
		for (size_t i = 0; i < cfg->nimap && !kept; i++)
			kept = strcmp(cfg->imap[i].name, ob->fb.cfg->name) == 0;
		if (!kept) {
			log_info("daemon: mailbox %s removed", ob->fb.cfg->name);
			lock_mailbox_release(lock, ob->fb.cfg->name);
		}
		box_done(ob);
	}
	free(*boxesp);
	*boxesp = boxes;
	*np = cfg->nimap;
	ingest_done(ig);
	*ig = nig;
	config_free(cfgp);
	*cfgp = cfg;
	reload_apply_log(cfg, debug);
	status_counts_stale(&status);
	log_info("daemon: configuration reloaded, %zu mailbox%s", cfg->nimap,
	    cfg->nimap == 1 ? "" : "es");
}

/* Refuse to start next to a daemon that serves the same mailboxes (or,
 * without mailboxes, the same database). */
static int
lock_start(struct ingest *ig, struct pd_lock **lockp)
{
	const struct pd_config *cfg = ig->cfg;
	char *err = NULL;

	if (lock_open(cfg->database, lockp, &err) < 0) {
		log_error("daemon: %s", err);
		free(err);
		return EX_CANTCREAT;
	}
	if (lock_new_boxes(*lockp, cfg, NULL) < 0)
		return EX_TEMPFAIL;
	if (!sender_role(ig, *lockp) && cfg->nimap == 0) {
		log_error("daemon: %s is served by another postdesk daemon, and this "
		    "configuration has no mailbox of its own (see postdesk(8), LOCKING)",
		    cfg->database);
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

int
daemon_run(struct ingest *ig, struct pd_config **cfgp, bool debug)
{
	const struct pd_config *cfg = *cfgp;
	struct pd_lock *lock = NULL;
	struct box *boxes;
	size_t n = cfg->nimap;
	bool ready = false;
	sigset_t oldmask;
	int rc;

	reload_apply_log(cfg, debug);
	if (signals_setup(&oldmask) < 0) {
		log_error("daemon: cannot set up signals: %s", strerror(errno));
		return EX_OSERR;
	}
	status_init(&status);
	stop_requested = fetch_requested = reload_requested = sender = false;
	sender_next_try = 0;
	if ((rc = lock_start(ig, &lock)) != EX_OK) {
		lock_close(&lock);
		close(sig_fd);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		return rc;
	}
	if (n == 0)
		log_warn("daemon: no imap mailbox is configured; waiting for signals only "
		    "(mail can come in through postdesk deliver)");
	boxes = xcalloc(n ? n : 1, sizeof(*boxes));
	for (size_t i = 0; i < n; i++)
		box_init(&boxes[i], &cfg->imap[i]);
	log_info("daemon: started, %zu mailbox%s", n, n == 1 ? "" : "es");

	while (!stop_requested) {
		time_t now;
		bool all;
		int outbox_in, timers_in, wake_in;

		signals_read();
		if (reload_requested) {
			reload_requested = false;
			reload(ig, cfgp, &boxes, &n, lock, debug);
			cfg = *cfgp;
		}
		now = now_mono();
		all = fetch_requested;
		fetch_requested = false;
		for (size_t i = 0; i < n && !stop_requested; i++)
			if (all || boxes[i].next_try <= now) {
				box_round(ig, &boxes[i], now);
				status_watchdog(&status);
			}
		if (stop_requested)
			break;
		timers_in = timers_round(ig, lock);
		outbox_in = outbox_round(ig, cfg, lock);
		if (!ready) {
			/* Every mailbox has been tried once: connected or retrying. */
			notify("READY=1");
			ready = true;
		}
		status_update(&status, ig->st, boxes, n);
		status_watchdog(&status);
		wake_in = status_watchdog_in(&status);
		if (outbox_in < wake_in)
			wake_in = outbox_in;
		if (timers_in < wake_in)
			wake_in = timers_in;
		wait_for_work(boxes, n, wake_in);
		status_watchdog(&status);
	}
	notify("STOPPING=1");
	log_info("daemon: stopping");
	for (size_t i = 0; i < n; i++)
		box_done(&boxes[i]);
	free(boxes);
	lock_close(&lock);
	/* The signals stay blocked: unblocked, a second TERM on its way
	 * would kill the process before it exits 0. */
	close(sig_fd);
	sig_fd = -1;
	return EX_OK;
}
