/* cmd_fetch.c: postdesk fetch --once: every configured mailbox, the due
 * timers, the outbox, then exit (0, or 75 when a mailbox could not be
 * reached or finished, another postdesk is serving it, or the store was
 * busy). Takes the same locks as the daemon (lock.h): a mailbox a daemon
 * serves is skipped, and the timers and the outbox are left to the
 * process that has the sender role. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/config.h"
#include "postdesk/fetch.h"
#include "postdesk/lock.h"
#include "postdesk/log.h"
#include "postdesk/outbox.h"
#include "postdesk/store.h"
#include "postdesk/timers.h"
#include <time.h>

int
cmd_fetch(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd = cli_find("fetch");
	struct writer w;
	struct pd_lock *lock = NULL;
	char *lerr = NULL;
	pid_t holder;
	bool once = false;
	int c, rc = EX_OK;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'o')
			once = true;
		else
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if (!once)
		return cli_usage_error(cmd, "only --once is supported (the daemon command loops)");
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	cli->unattended = true;
	if ((rc = cli_writer_open(cli, &w)) != EX_OK)
		return rc;
	if (lock_open(w.cfg->database, &lock, &lerr) < 0) {
		log_error("fetch: %s", lerr);
		free(lerr);
		cli_writer_close(&w);
		return EX_CANTCREAT;
	}
	if (w.cfg->nimap == 0)
		log_warn("fetch: no imap mailbox is configured; nothing to fetch");
	for (size_t i = 0; i < w.cfg->nimap; i++) {
		const struct pd_imap *box = &w.cfg->imap[i];
		struct fetch_stats stats = { 0, 0, 0, 0 };
		char *err = NULL;
		int lr = lock_mailbox(lock, box->name, &holder, &err);

		if (lr != 0) {
			if (lr > 0)
				log_error("fetch: mailbox=%s is served by another postdesk (pid %ld); "
				    "skipped", box->name, (long)holder);
			else
				log_error("fetch: %s", err);
			free(err);
			rc = EX_TEMPFAIL;
			continue;
		}
		if (fetch_mailbox(&w.ig, box, &stats, &err) < 0) {
			log_error("fetch: mailbox=%s: %s", box->name, err);
			free(err);
			rc = EX_TEMPFAIL;
		}
		log_info("fetch: mailbox=%s fetched=%zu stored=%zu duplicates=%zu quarantined=%zu",
		    box->name, stats.seen, stats.stored, stats.duplicates, stats.quarantined);
	}
	/* Then, for the process with the sender role only (one at a time
	 * per database): the timers that are due, and the outbox with what
	 * the new mail and the timers called for. */
	{
		struct timers_stats ts = { 0, 0, 0 };
		struct outbox_stats os = { 0, 0, 0 };
		char *err = NULL;
		int lr = lock_sender(lock, &holder, &err);

		if (lr < 0) {
			log_error("fetch: %s", err);
			free(err);
			rc = EX_TEMPFAIL;
		} else if (lr > 0) {
			log_info("fetch: another postdesk (pid %ld) fires the timers and sends "
			    "the outbox", (long)holder);
		} else {
			if (timers_run(&w.ig, (int64_t)time(NULL), &ts, &err) < 0) {
				log_error("%s", err);
				free(err);
				err = NULL;
				rc = EX_TEMPFAIL;
			} else if (ts.fired + ts.skipped + ts.failed > 0)
				log_info("timers: fired=%zu skipped=%zu failed=%zu", ts.fired,
				    ts.skipped, ts.failed);
			store_outbox_recover(w.st);
			if (outbox_run(w.st, w.cfg, (int64_t)time(NULL), &os, &err) < 0) {
				log_error("outbox: %s", err);
				free(err);
				rc = EX_TEMPFAIL;
			} else if (os.sent + os.deferred + os.failed > 0)
				log_info("outbox: sent=%zu deferred=%zu failed=%zu", os.sent,
				    os.deferred, os.failed);
		}
	}
	lock_close(&lock);
	cli_writer_close(&w);
	return rc;
}

