/* cmd_quarantine.c: postdesk quarantine list [--all] | retry ID
 *
 * A message that could not be stored for a permanent reason is kept in
 * the quarantine table (and moved to the quarantine folder on IMAP). After
 * a fix (a new postdesk, a config change) "retry" runs it through the
 * pipeline again; once stored it is marked released. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "postdesk/ingest.h"
#include "postdesk/store.h"

static int
print_row(const struct store_quarantine_row *q, void *arg)
{
	char when[32];
	time_t t = (time_t)q->created_at;
	struct tm tm;

	(void)arg;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
	printf("%-6" PRId64 " %-16s %-9s %-24s %8zu  %s\n", q->id, when, q->state,
	    q->account ? q->mailbox : "(deliver)", q->raw_len, q->reason);
	return 0;
}

int
cmd_quarantine(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("quarantine");
	struct store_quarantine_row q;
	struct ingest_result res;
	struct writer w;
	enum pd_disp d;
	char *end;
	int64_t id;
	int rc, found;

	if (argc < 2)
		return cli_usage_error(cmd, "say list or retry");
	if (strcmp(argv[1], "list") == 0) {
		bool all = argc == 3 && strcmp(argv[2], "--all") == 0;

		if (argc > 3 || (argc == 3 && !all))
			return cli_usage_error(cmd, "list takes only --all");
		if ((rc = cli_writer_open(cli, &w)) != EX_OK)
			return rc;
		printf("%-6s %-16s %-9s %-24s %8s  %s\n", "ID", "WHEN (UTC)", "STATE",
		    "MAILBOX", "BYTES", "REASON");
		rc = store_quarantine_list(w.st, all, print_row, NULL) < 0 ? EX_TEMPFAIL : EX_OK;
		if (rc != EX_OK)
			fprintf(stderr, "postdesk: quarantine: %s\n", store_error(w.st));
		cli_writer_close(&w);
		return rc;
	}
	if (strcmp(argv[1], "retry") != 0)
		return cli_usage_error(cmd, "unknown action '%s'", argv[1]);
	if (argc != 3)
		return cli_usage_error(cmd, "retry takes one ID");
	id = strtoll(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || id <= 0)
		return cli_usage_error(cmd, "'%s' is not a quarantine id", argv[2]);
	if ((rc = cli_writer_open(cli, &w)) != EX_OK)
		return rc;
	found = store_quarantine_get(w.st, id, &q);
	if (found <= 0) {
		fprintf(stderr, "postdesk: quarantine: %s\n",
		    found < 0 ? store_error(w.st) : "no such id");
		cli_writer_close(&w);
		return found < 0 ? EX_TEMPFAIL : EX_NOINPUT;
	}
	{
		struct ingest_source src = { q.account, q.mailbox ? q.mailbox : "deliver",
			q.uidvalidity, q.uid, NULL };

		d = ingest_one(&w.ig, q.raw, q.raw_len, &src, &res);
	}
	if (d == PD_DONE) {
		printf("quarantine %" PRId64 ": stored%s in ticket %" PRId64 "\n", id,
		    res.duplicate ? " (already)" : "", res.ticket);
		rc = store_quarantine_set_state(w.st, id, "released") < 0 ? EX_TEMPFAIL : EX_OK;
	} else {
		fprintf(stderr, "postdesk: quarantine %" PRId64 ": still not stored: %s\n", id,
		    res.reason);
		rc = d == PD_RETRY ? EX_TEMPFAIL : EX_DATAERR;
	}
	ingest_result_free(&res);
	store_quarantine_row_free(&q);
	cli_writer_close(&w);
	return rc;
}
