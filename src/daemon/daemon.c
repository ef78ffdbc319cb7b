/* daemon.c: see daemon.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "postdesk/config.h"
#include "postdesk/daemon.h"
#include "postdesk/fetch.h"
#include "postdesk/imapc.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/outbox.h"
#include "postdesk/store.h"
#include "postdesk/timers.h"
#include "postdesk/xalloc.h"

#define IDLE_MAX (29 * 60)	/* RFC 2177: re-issue IDLE within 29 minutes */
#define BACKOFF_MAX 300

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t fetch_requested;
static int wake_pipe[2] = { -1, -1 };

/* Signal handlers only set a flag and write a byte, so that a poll() or an
 * IDLE in progress returns at once. */
static void
on_signal(int sig)
{
	int saved = errno;
	char c = 1;

	if (sig == SIGTERM || sig == SIGINT)
		stop_requested = 1;
	else if (sig == SIGUSR1)
		fetch_requested = 1;
	if (write(wake_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

static int
signals_setup(void)
{
	struct sigaction sa;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

static void
drain_wake_pipe(void)
{
	char buf[64];

	while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
		;
}

static time_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

struct box {
	struct fetch_box fb;
	int failures;
	time_t next_try;
};

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
box_round(struct ingest *ig, struct box *b, time_t now)
{
	struct fetch_stats stats = { 0, 0, 0, 0 };
	char *err = NULL;

	if (fetch_box_run(ig, &b->fb, &stats, &err) == 0) {
		if (b->failures > 0)
			log_info("fetch: mailbox=%s reachable again", b->fb.cfg->name);
		b->failures = 0;
		b->next_try = now + b->fb.cfg->poll_interval;
		if (stats.seen > 0)
			log_info("fetch: mailbox=%s fetched=%zu stored=%zu duplicates=%zu "
			    "quarantined=%zu", b->fb.cfg->name, stats.seen, stats.stored,
			    stats.duplicates, stats.quarantined);
		return;
	}
	b->failures++;
	{
		int delay = backoff(b->failures);

		b->next_try = now + delay;
		log_warn("fetch: mailbox=%s: %s; retrying in %d s (attempt %d)",
		    b->fb.cfg->name, err, delay, b->failures);
	}
	free(err);
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

/* Send what is due; returns seconds until the next row is due (IDLE_MAX
 * when nothing waits). */
static int
outbox_round(struct ingest *ig, const struct pd_config *cfg)
{
	struct outbox_stats os = { 0, 0, 0 };
	int64_t now = (int64_t)time(NULL), next;
	char *err = NULL;
	int found;

	if (!cfg->has_smtp)
		return IDLE_MAX;
	if (outbox_run(ig->st, cfg, now, &os, &err) < 0) {
		log_error("outbox: %s", err);
		free(err);
		return 30;	/* the store is in trouble: try again soon */
	}
	if (os.sent + os.deferred + os.failed > 0)
		log_info("outbox: sent=%zu deferred=%zu failed=%zu", os.sent, os.deferred, os.failed);
	found = store_outbox_next(ig->st, &next);
	if (found <= 0)
		return IDLE_MAX;
	now = (int64_t)time(NULL);
	return next <= now ? 1 : next - now < IDLE_MAX ? (int)(next - now) : IDLE_MAX;
}

/* Fire the timers that are due; returns seconds until the next one
 * (IDLE_MAX when none waits). */
static int
timers_round(struct ingest *ig)
{
	struct timers_stats ts = { 0, 0, 0 };
	int64_t now = (int64_t)time(NULL), next;
	char *err = NULL;
	int found;

	if (timers_run(ig, now, &ts, &err) < 0) {
		log_error("%s", err);
		free(err);
		return 30;	/* the store is in trouble: try again soon */
	}
	if (ts.fired + ts.skipped + ts.failed > 0)
		log_info("timers: fired=%zu skipped=%zu failed=%zu", ts.fired, ts.skipped,
		    ts.failed);
	found = timers_next(ig->st, &next);
	if (found <= 0)
		return IDLE_MAX;
	now = (int64_t)time(NULL);
	return next <= now ? 1 : next - now < IDLE_MAX ? (int)(next - now) : IDLE_MAX;
}

static void
wait_for_work(struct box *boxes, size_t n, int outbox_in)
{
	time_t now = now_mono(), earliest = now + (outbox_in < IDLE_MAX ? outbox_in : IDLE_MAX);
	struct box *ib = idle_box(boxes, n);
	int timeout;

	for (size_t i = 0; i < n; i++)
		if (&boxes[i] != ib && boxes[i].next_try < earliest)
			earliest = boxes[i].next_try;
	timeout = earliest > now ? (int)(earliest - now) : 0;
	if (stop_requested || fetch_requested || timeout == 0)
		return;
	if (ib != NULL) {
		char *err = NULL;
		int r = imapc_idle(ib->fb.c, timeout, wake_pipe[0], &err);

		if (r < 0) {
			log_warn("idle: mailbox=%s: %s; reconnecting", ib->fb.cfg->name, err);
			free(err);
			fetch_box_close(&ib->fb);
		}
		/* A word from the server (or the IDLE timeout: RFC 2177 wants
		 * it re-issued anyway) means search the mailbox now. */
		ib->next_try = now_mono();
		return;
	}
	{
		struct pollfd p = { .fd = wake_pipe[0], .events = POLLIN };

		poll(&p, 1, timeout * 1000);
	}
}

static void
notify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

int
daemon_run(struct ingest *ig, const struct pd_config *cfg)
{
	struct box *boxes;
	size_t n = cfg->nimap;
	bool ready = false;

	if (signals_setup() < 0) {
		log_error("daemon: cannot set up signals: %s", strerror(errno));
		return EX_OSERR;
	}
	if (n == 0)
		log_warn("daemon: no imap mailbox is configured; waiting for signals only "
		    "(mail can come in through postdesk deliver)");
	boxes = xcalloc(n ? n : 1, sizeof(*boxes));
	for (size_t i = 0; i < n; i++)
		fetch_box_init(&boxes[i].fb, &cfg->imap[i]);
	log_info("daemon: started, %zu mailbox%s", n, n == 1 ? "" : "es");

	if (cfg->has_smtp && store_outbox_recover(ig->st) > 0)
		log_warn("outbox: mail left \"sending\" by a crash is queued again "
		    "(it may reach its recipients twice)");
	while (!stop_requested) {
		time_t now = now_mono();
		bool all = fetch_requested;
		int outbox_in, timers_in;

		fetch_requested = 0;
		drain_wake_pipe();
		for (size_t i = 0; i < n && !stop_requested; i++)
			if (all || boxes[i].next_try <= now)
				box_round(ig, &boxes[i], now);
		timers_in = timers_round(ig);
		outbox_in = outbox_round(ig, cfg);
		if (!ready) {
			/* Every mailbox has been tried once: connected or retrying. */
			notify("READY=1");
			ready = true;
		}
		wait_for_work(boxes, n, timers_in < outbox_in ? timers_in : outbox_in);
	}
	notify("STOPPING=1");
	log_info("daemon: stopping");
	for (size_t i = 0; i < n; i++)
		fetch_box_close(&boxes[i].fb);
	free(boxes);
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	return EX_OK;
}
