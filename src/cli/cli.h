/* cli.h: what the command implementations share (internal to src/cli). */
#ifndef POSTDESK_CLI_H
#define POSTDESK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "postdesk/ingest.h"

struct pd_config;
struct store;

struct cli {
	const char *config_path;	/* -c, $POSTDESK_CONFIG or the default */
	bool debug;			/* -d: log at debug level */
	bool unattended;		/* daemon, fetch, deliver: log where the
					 * config's "log" says (cli_writer_open);
					 * the others always to stderr */
};

struct cli_command {
	const char *name;
	const char *usage;	/* arguments after the command name */
	const char *summary;
	int (*run)(struct cli *cli, int argc, char **argv);
};

/* Print "usage: postdesk NAME USAGE" to stderr and return 64. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Load the config named by cli or print every error and return -1; the
 * caller frees *cfg_r with config_free(). */
int cli_load_config(const struct cli *cli, struct pd_config **cfg_r);

struct pd_buf;
/* Read a whole file, or standard input for "-", into b (initialised here;
 * the caller frees it with pd_buf_free). -1 with *error_r (caller frees). */
int cli_read_input(const char *path, struct pd_buf *b, char **error_r);

/* --- reading the store (ticket, export; in cmd_ticket.c) --------------- */
struct json;

/* Load the config and open its database, which must exist already (these
 * commands never create one). Returns EX_OK and *st_r (store_close() it),
 * or the exit code after printing why: EX_CONFIG, EX_NOINPUT (missing,
 * unreadable), EX_TEMPFAIL (locked). cmd names the command in messages. */
int cli_open_store(const struct cli *cli, const char *cmd, struct store **st_r);
/* The same, and the config too (config_free() it) when EX_OK. */
int cli_open_config_store(const struct cli *cli, const char *cmd, struct pd_config **cfg_r,
    struct store **st_r);
/* The same with a config already loaded. */
int cli_open_store_of(const struct pd_config *cfg, const char *cmd, struct store **st_r);
/* s for a terminal in a cell of width columns: control characters and
 * broken UTF-8 as '?', cut with an ellipsis when longer, padded with
 * spaces when pad. */
void cli_put_cell(const char *s, size_t width, bool pad);
/* Print the store's last error; EX_TEMPFAIL when worth retrying, else
 * EX_SOFTWARE. */
int cli_store_failed(struct store *st, const char *cmd);
/* Flush stdout: EX_OK, or EX_IOERR after printing why. */
int cli_output_done(const char *cmd);
/* t as "2024-05-01T09:30:00Z" (ISO 8601, UTC) into buf. */
void cli_iso_time(int64_t t, char buf[32]);
/* JSON helpers: a time (null for 0), {name, addr} (null when both are),
 * a Message-ID with its <> (null for NULL); then print j and a newline. */
void cli_json_time(struct json *j, const char *key, int64_t t);
void cli_json_addr(struct json *j, const char *key, const char *name,
    const char *addr);
void cli_json_msgid(struct json *j, const char *key, const char *id);
void cli_json_print(struct json *j);
/* A message's date: its Date: header, else when it was received. */
int64_t cli_message_date(int64_t date, int64_t received_at);

/* --- stats and report (cmd_stats.c) ------------------------------------ */
struct pd_business_hours;
struct stats;

/* The options both commands take (borrowed from argv; NULL: not given). */
struct cli_period {
	const char *since, *until, *queue;
};
/* A --since/--until value: YYYY-MM-DD (local midnight in the business
 * hours' zone; for --until, until the end of that day), YYYY-MM-DDTHH:MM
 * [:SS] local, the same with Z for UTC, "now", or a time ago ("7d",
 * "12h"). Returns 0 and *t_r, or -1. */
int cli_parse_date(const char *s, const struct pd_business_hours *bh, int64_t now,
    bool until, int64_t *t_r);
/* Open the config and the store, read the period and compute (series:
 * the report's time series, since then defaults to 30 days back). EX_OK
 * with *cfg_r (config_free() it) and s (stats_free() it), else the exit
 * code after printing why. */
int cli_stats_compute(struct cli *cli, const struct cli_command *cmd,
    const struct cli_period *p, bool series, struct pd_config **cfg_r,
    struct stats *s);
/* t as "2024-05-01 09:30 CEST" in the business hours' zone. */
void cli_local_time(const struct pd_business_hours *bh, int64_t t, char buf[48]);
/* "45s", "12m05s", "2h05m", then "3d04h", or with hours "73h00m" (for
 * business time, where a day of work is not 24 hours). */
void cli_duration(int64_t secs, bool hours, char buf[24]);

/* report_html.c: the whole page for s (queue: the --queue given, or
 * NULL); errors show in ferror(f). */
void report_html_write(FILE *f, const struct pd_config *cfg, const struct stats *s,
    const char *queue);

/* The command table entry for name, or NULL. */
const struct cli_command *cli_find(const char *name);

/* Config, store and ingest for a command that writes (cli_writer.c).
 * cli_writer_open returns EX_OK, or the exit code after printing why. */
struct writer {
	struct pd_config *cfg;
	struct store *st;
	struct ingest ig;
};
int cli_writer_open(struct cli *cli, struct writer *w);
void cli_writer_close(struct writer *w);


/* inspect_json.c: the document "inspect --json" prints, without a final
 * newline (caller frees); and a msg date as ISO 8601 UTC ("" for 0). The
 * fuzz target tests/fuzz/fuzz-inspect.c renders through it too. */
struct msg;
char *inspect_json(const struct msg *m);
void inspect_iso_date(int64_t t, char *buf, size_t size);

/* Implementations, one file per command group. argv[0] is the command. */
int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_inspect(struct cli *cli, int argc, char **argv);
int cmd_ticket(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_daemon(struct cli *cli, int argc, char **argv);
int cmd_fetch(struct cli *cli, int argc, char **argv);
int cmd_deliver(struct cli *cli, int argc, char **argv);
int cmd_quarantine(struct cli *cli, int argc, char **argv);
int cmd_outbox(struct cli *cli, int argc, char **argv);
int cmd_route(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_not_implemented(struct cli *cli, int argc, char **argv);

#endif
