/* cmd_check_config.c: postdesk check-config. */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/config.h"

int
cmd_check_config(struct cli *cli, int argc, char **argv)
{
	struct pd_config *cfg;

	if (argc > 1)
		return cli_usage_error(cli_find(argv[0]), "unexpected argument '%s'", argv[1]);
	if (cli_load_config(cli, &cfg) < 0)
		return EX_CONFIG;
	config_free(&cfg);
	printf("OK\n");
	return EX_OK;
}
