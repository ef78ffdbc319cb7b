/* status.c: what the service manager is told (see daemon_internal.h).
 *
 * READY=1, STOPPING=1, a STATUS= line a person reads in "systemctl
 * status", and WATCHDOG=1 at half the interval the manager asked for
 * (WatchdogSec= sets WATCHDOG_USEC), so that one late ping never kills a
 * healthy daemon. Without libsystemd at build time, or without
 * NOTIFY_SOCKET at run time, all of this does nothing. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "postdesk/config.h"
#include "postdesk/log.h"
#include "postdesk/store.h"
#include "daemon_internal.h"

#define COUNTS_MAX_AGE 60	/* seconds; sooner when mail came or went */

void
status_notify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
status_init(struct dstatus *s)
{
	memset(s, 0, sizeof(*s));
#ifdef HAVE_LIBSYSTEMD
	{
		uint64_t usec = 0;

		if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
			s->watchdog = true;
			s->wd_period_ms = (int64_t)(usec / 2000);
			if (s->wd_period_ms < 1)
				s->wd_period_ms = 1;
			s->wd_next_ms = now_ms();
			log_info("daemon: the service manager's watchdog is on: a ping every "
			    "%" PRId64 " ms", s->wd_period_ms);
		}
	}
#endif
}

int
status_watchdog_in(const struct dstatus *s)
{
	int64_t left;

	if (!s->watchdog)
		return INT32_MAX;
	left = (s->wd_next_ms - now_ms()) / 1000;	/* rounded down: never late */
	return left < 1 ? 1 : left > INT32_MAX ? INT32_MAX : (int)left;
}

void
status_watchdog(struct dstatus *s)
{
	int64_t now;

	if (!s->watchdog || (now = now_ms()) < s->wd_next_ms)
		return;
	status_notify("WATCHDOG=1");
	s->wd_next_ms = now + s->wd_period_ms;
}

void
status_counts_stale(struct dstatus *s)
{
	s->counts_at = 0;
}

/* The first failing mailbox, as "; mailbox NAME: WHY, retry in N s". */
static void
add_failure(char *line, size_t size, const struct box *boxes, size_t n, time_t now)
{
	const struct box *f = NULL;
	size_t nfail = 0, len = strlen(line);
	const char *why;

	for (size_t i = 0; i < n; i++) {
		if (boxes[i].error == NULL)
			continue;
		if (f == NULL)
			f = &boxes[i];
		nfail++;
	}
	if (f == NULL)
		return;
	why = f->error;
	/* fetch's errors start with the mailbox name: do not say it twice */
	if (strncmp(why, f->fb.cfg->name, strlen(f->fb.cfg->name)) == 0 &&
	    strncmp(why + strlen(f->fb.cfg->name), ": ", 2) == 0)
		why += strlen(f->fb.cfg->name) + 2;
	snprintf(line + len, size - len, "; mailbox %s: %.120s, retry in %lld s%s",
	    f->fb.cfg->name, why, (long long)(f->next_try > now ? f->next_try - now : 0),
	    nfail > 1 ? " (and others failing)" : "");
}

void
status_update(struct dstatus *s, struct store *st, const struct box *boxes, size_t n)
{
	char line[sizeof(s->last)], ago[48];
	time_t now = daemon_now(), last = 0;

	if (s->counts_at == 0 || now - s->counts_at >= COUNTS_MAX_AGE) {
		if (store_service_counts(st, &s->open, &s->outbox) == 0)
			s->counts_at = now;
	}
	for (size_t i = 0; i < n; i++)
		if (boxes[i].last_ok > last)
			last = boxes[i].last_ok;
	if (n == 0)
		ago[0] = '\0';
	else if (last == 0)
		snprintf(ago, sizeof(ago), ", no fetch yet");
	else
		snprintf(ago, sizeof(ago), ", last fetch %lld s ago", (long long)(now - last));
	snprintf(line, sizeof(line), "STATUS=%zu mailbox%s, %" PRId64 " open ticket%s, "
	    "outbox %" PRId64 "%s", n, n == 1 ? "" : "es", s->open, s->open == 1 ? "" : "s",
	    s->outbox, ago);
	add_failure(line, sizeof(line), boxes, n, now);
	if (strcmp(line, s->last) == 0)
		return;
	status_notify(line);
	memcpy(s->last, line, sizeof(s->last));
}
