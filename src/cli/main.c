/* main.c: the postdesk command line (see postdesk(8) and DESIGN.md).
 *
 * One binary, one command per invocation. Global options come before the
 * command; each command parses its own options. Exit codes follow
 * sysexits.h: 64 usage, 65 bad data, 66 no input, 69 unavailable,
 * 75 temporary failure, 78 configuration error. */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/config.h"
#include "postdesk/log.h"

static const struct cli_command commands[] = {
	{ "daemon", "", "run in the foreground (systemd Type=notify)", cmd_daemon },
	{ "fetch", "--once", "fetch every mailbox once, process, send the outbox, exit", cmd_fetch },
	{ "deliver", "[--mailbox NAME]", "store one message read from standard input", cmd_deliver },
	{ "inspect", "[--json] FILE.eml|-", "parse one message and print what postdesk sees", cmd_inspect },
	{ "route", "--explain [--reply] FILE.eml|-", "show which rules match and what they would do", cmd_route },
	{ "ticket", "list [--json] [--status S] [--queue Q] | show [--json] [--full] ID", "list or show tickets", cmd_ticket },
	{ "export", "[--json]", "every ticket with its messages, one JSON object a line", cmd_export },
	{ "stats", "[--json|--prometheus] [--since DATE] [--until DATE] [--queue Q]", "service figures", cmd_stats },
	{ "report", "--html FILE [--since DATE] [--until DATE] [--queue Q]", "a self-contained HTML report", cmd_report },
	{ "outbox", "list [--all] | retry ID", "show or re-queue outgoing mail", cmd_outbox },
	{ "quarantine", "list [--all] | retry ID", "show or replay messages that could not be stored", cmd_quarantine },
	{ "check-config", "", "validate the configuration; print OK or every error", cmd_check_config },
};

const struct cli_command *
cli_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
print_help(FILE *out)
{
	fprintf(out,
	    "usage: postdesk [-c FILE] [-d] COMMAND [ARGS]\n"
	    "       postdesk --version | --help\n"
	    "       postdesk COMMAND --help\n"
	    "\n"
	    "An email-to-ticket gateway: mail to a support address becomes tickets.\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE  configuration file (default: $POSTDESK_CONFIG or %s)\n"
	    "  -d, --debug        log at debug level\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n"
	    "\n"
	    "Commands:\n", config_default_path());
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nSee postdesk(8) and postdesk.conf(5).\n");
}

int
cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "postdesk: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (usage: postdesk %s %s)\n", cmd->name, cmd->usage);
	return EX_USAGE;
}

int
cli_load_config(const struct cli *cli, struct pd_config **cfg_r)
{
	struct config_errors errs;

	if (config_load(cli->config_path, cfg_r, &errs) == 0)
		return 0;
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	config_errors_free(&errs);
	return -1;
}

int
cmd_not_implemented(struct cli *cli, int argc, char **argv)
{
	fprintf(stderr, "postdesk: %s: not implemented yet\n", argv[0]);
	return EX_UNAVAILABLE;
}

/* True when argv asks for the command's help; checked before the command
 * runs so that "postdesk COMMAND --help" works for every command. */
static int
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .config_path = NULL, .debug = false };
	const struct cli_command *cmd;
	int c;

	/* "+": stop at the command name; its options are its own. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+c:dhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.config_path = optarg;
			break;
		case 'd':
			cli.debug = true;
			break;
		case 'h':
			print_help(stdout);
			return EX_OK;
		case 'V':
			printf("postdesk %s\n", PACKAGE_VERSION);
			return EX_OK;
		default:
			fprintf(stderr, "postdesk: unknown option '%s' (try 'postdesk --help')\n",
			    argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "postdesk: no command given (try 'postdesk --help')\n");
		return EX_USAGE;
	}
	cmd = cli_find(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "postdesk: unknown command '%s' (try 'postdesk --help')\n",
		    argv[optind]);
		return EX_USAGE;
	}
	if (cli.config_path == NULL)
		cli.config_path = config_default_path();
	log_init("postdesk", LOG_TO_STDERR, cli.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);

	argc -= optind;
	argv += optind;
	if (wants_help(argc, argv)) {
		printf("usage: postdesk [-c FILE] %s %s\n  %s\n", cmd->name, cmd->usage,
		    cmd->summary);
		return EX_OK;
	}
	optind = 0;	/* glibc: reset getopt for the command's own parsing */
	return cmd->run(&cli, argc, argv);
}
