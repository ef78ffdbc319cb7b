/* cmd_daemon.c: postdesk daemon: run in the foreground until stopped. */
#include "config.h"

#include <sysexits.h>

#include "cli.h"
#include "postdesk/daemon.h"

int
cmd_daemon(struct cli *cli, int argc, char **argv)
{
	struct writer w;
	int rc;

	if (argc > 1)
		return cli_usage_error(cli_find("daemon"), "unexpected argument '%s'", argv[1]);
	cli->unattended = true;
	if ((rc = cli_writer_open(cli, &w)) != EX_OK)
		return rc;
	rc = daemon_run(&w.ig, &w.cfg, cli->debug);
	cli_writer_close(&w);
	return rc;
}
