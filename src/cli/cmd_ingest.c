/* cmd_ingest.c: the commands that put mail into the store:
 *   postdesk deliver [--mailbox N]    one message from standard input
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/buf.h"
#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/store.h"
#include "postdesk/xalloc.h"

/* The queue for mail delivered with --mailbox NAME: the queue of the
 * configured mailbox of that name, or the queue of that name. */
static const char *
deliver_queue(const struct pd_config *cfg, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nimap; i++)
		if (strcmp(cfg->imap[i].name, name) == 0 || strcmp(cfg->imap[i].mailbox, name) == 0)
			return cfg->imap[i].queue;
	for (size_t i = 0; i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, name) == 0)
			return cfg->queues[i].name;
	return NULL;
}

/* Exit codes for an MTA: 0 stored (or stored before), 75 try again later,
 * 65 only for input that can never be stored. A message the pipeline
 * cannot file is kept in the quarantine table (exit 0: it is stored, and
 * "postdesk quarantine retry" replays it). */
int
cmd_deliver(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mailbox", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd = cli_find("deliver");
	struct ingest_source src = { NULL, "deliver", 0, 0, NULL };
	const char *mailbox = NULL;
	struct ingest_result res;
	struct pd_buf raw;
	struct writer w;
	char *err = NULL;
	enum pd_disp d;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+m:", opts, NULL)) != -1) {
		if (c == 'm')
			mailbox = optarg;
		else
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s' (the message is read from standard input)",
		    argv[optind]);
	cli->unattended = true;
	if ((rc = cli_writer_open(cli, &w)) != EX_OK)
		return rc == EX_CONFIG ? EX_TEMPFAIL : rc;	/* let the MTA keep it */
	if (mailbox != NULL) {
		src.mailbox = mailbox;
		src.queue = deliver_queue(w.cfg, mailbox);
		if (src.queue == NULL)
			log_warn("deliver: no mailbox or queue named %s; using the first queue", mailbox);
	}
	if (cli_read_input("-", &raw, &err) < 0) {
		log_error("deliver: %s", err);
		free(err);
		cli_writer_close(&w);
		return EX_TEMPFAIL;
	}
	if (raw.len == 0) {
		log_error("deliver: empty message on standard input");
		pd_buf_free(&raw);
		cli_writer_close(&w);
		return EX_DATAERR;
	}
	d = ingest_one(&w.ig, pd_buf_str(&raw), raw.len, &src, &res);
	rc = EX_OK;
	if (d == PD_RETRY)
		rc = EX_TEMPFAIL;
	else if (d == PD_SKIP) {
		int64_t qid;

		if (ingest_quarantine(&w.ig, pd_buf_str(&raw), raw.len, &src, res.reason, &qid) < 0) {
			log_error("deliver: cannot quarantine: %s", store_error(w.st));
			rc = EX_TEMPFAIL;
		} else
			log_warn("quarantine: mailbox=%s id=%" PRId64 " reason=%s",
			    src.mailbox ? src.mailbox : "-",
			    qid, res.reason);
	}
	ingest_result_free(&res);
	pd_buf_free(&raw);
	cli_writer_close(&w);
	return rc;
}
