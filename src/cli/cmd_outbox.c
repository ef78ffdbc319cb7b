/* cmd_outbox.c: postdesk outbox list [--all] | retry ID
 *
 * The outbox holds every mail postdesk decided to send until the SMTP
 * server took it. "list" shows what waits or failed (with --all, what
 * was sent too); "retry" queues a failed (or waiting) row again now. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "postdesk/store.h"

static void
when(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(buf, size, "%Y-%m-%d %H:%M", gmtime_r(&tt, &tm));
}

static int
print_row(const struct store_outbox_row *o, void *arg)
{
	char created[32], next[32];

	(void)arg;
	when(o->created_at, created, sizeof(created));
	when(o->next_try_at, next, sizeof(next));
	printf("%-6" PRId64 " %-7" PRId64 " %-13s %-8s %3d  %-16s %-16s %s%s%s\n", o->id,
	    o->ticket, o->kind, o->state, o->attempts, created,
	    strcmp(o->state, "pending") == 0 ? next : "-", o->rcpt,
	    o->last_error && *o->last_error ? "  # " : "", o->last_error ? o->last_error : "");
	return 0;
}

int
cmd_outbox(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("outbox");
	struct writer w;
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
		printf("%-6s %-7s %-13s %-8s %3s  %-16s %-16s %s\n", "ID", "TICKET", "KIND",
		    "STATE", "TRY", "QUEUED (UTC)", "NEXT TRY", "TO");
		rc = store_outbox_list(w.st, all, print_row, NULL) < 0 ? EX_TEMPFAIL : EX_OK;
		if (rc != EX_OK)
			fprintf(stderr, "postdesk: outbox: %s\n", store_error(w.st));
		cli_writer_close(&w);
		return rc;
	}
	if (strcmp(argv[1], "retry") != 0)
		return cli_usage_error(cmd, "unknown action '%s'", argv[1]);
	if (argc != 3)
		return cli_usage_error(cmd, "retry takes one ID");
	id = strtoll(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || id <= 0)
		return cli_usage_error(cmd, "'%s' is not an outbox id", argv[2]);
	if ((rc = cli_writer_open(cli, &w)) != EX_OK)
		return rc;
	found = store_outbox_requeue(w.st, id, (int64_t)time(NULL));
	if (found < 0) {
		fprintf(stderr, "postdesk: outbox: %s\n", store_error(w.st));
		rc = EX_TEMPFAIL;
	} else if (found == 0) {
		fprintf(stderr, "postdesk: outbox %" PRId64 ": no such unsent mail\n", id);
		rc = EX_NOINPUT;
	} else
		printf("outbox %" PRId64 ": queued again; the daemon (or fetch --once) sends it\n", id);
	cli_writer_close(&w);
	return rc;
}
