/* cmd_report.c: postdesk report --html FILE [--since DATE] [--until DATE]
 *                                [--queue Q]
 *
 * The figures of "stats" and their time series as one HTML page
 * (report_html.c). The file is written beside FILE under a temporary name
 * and renamed over it when complete, so that a web server or a mail job
 * never picks up half a report. "-" writes to standard output. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "postdesk/config.h"
#include "postdesk/stats.h"
#include "postdesk/xalloc.h"

/* Write the page to path (via a temporary file); EX_OK or EX_CANTCREAT /
 * EX_IOERR after saying why. */
static int
write_report(const char *path, const struct pd_config *cfg, const struct stats *s,
    const char *queue)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	mode_t mask = umask(0);
	FILE *f;
	int fd;

	umask(mask);
	fd = mkstemp(tmp);
	if (fd < 0 || fchmod(fd, 0666 & ~mask) < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "postdesk: report: %s: %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return EX_CANTCREAT;
	}
	report_html_write(f, cfg, s, queue);
	if (fflush(f) != 0 || ferror(f) || fsync(fd) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "postdesk: report: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return EX_IOERR;
	}
	free(tmp);
	return EX_OK;
}

int
cmd_report(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'h' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "queue", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd = cli_find("report");
	struct cli_period p = { 0 };
	struct pd_config *cfg;
	const char *html = NULL;
	struct stats s;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'h')
			html = optarg;
		else if (ch == 's')
			p.since = optarg;
		else if (ch == 'u')
			p.until = optarg;
		else if (ch == 'q')
			p.queue = optarg;
		else
			return cli_usage_error(cmd, "unknown option or missing value: '%s'",
			    argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (html == NULL || *html == '\0')
		return cli_usage_error(cmd, "--html FILE is required");
	if ((rc = cli_stats_compute(cli, cmd, &p, true, &cfg, &s)) != EX_OK)
		return rc;
	if (strcmp(html, "-") == 0) {
		report_html_write(stdout, cfg, &s, p.queue);
		rc = cli_output_done("report");
	} else
		rc = write_report(html, cfg, &s, p.queue);
	stats_free(&s);
	config_free(&cfg);
	return rc;
}
