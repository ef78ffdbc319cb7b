/* cmd_report.c: postdesk report --html FILE (placeholder, see below). */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"

int
cmd_report(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	fprintf(stderr, "postdesk: %s: not implemented yet\n", argv[0]);
	return EX_UNAVAILABLE;
}
