/* cmd_check_config.c: postdesk check-config.
 *
 * The configuration file, and what it names that postdesk would only read
 * later: with smtp configured, every template under templates.dir must
 * parse and use only known variables (a broken template is a config
 * error, never a half-rendered mail). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/answer.h"
#include "postdesk/config.h"

int
cmd_check_config(struct cli *cli, int argc, char **argv)
{
	struct pd_config *cfg;
	struct answers *a = NULL;
	char *err = NULL;

	if (argc > 1)
		return cli_usage_error(cli_find(argv[0]), "unexpected argument '%s'", argv[1]);
	if (cli_load_config(cli, &cfg) < 0)
		return EX_CONFIG;
	if (answers_load(cfg, &a, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		config_free(&cfg);
		return EX_CONFIG;
	}
	answers_free(&a);
	config_free(&cfg);
	printf("OK\n");
	return EX_OK;
}
