/* cli_writer.c: config + store + ingest for the commands that write. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/config.h"
#include "postdesk/log.h"
#include "postdesk/store.h"

/* Config, store and ingest for a command that writes; an exit code other
 * than EX_OK when something is missing (the error is printed). */
int
cli_writer_open(struct cli *cli, struct writer *w)
{
	char *err = NULL;
	enum log_level lvl;
	enum log_target target;

	memset(w, 0, sizeof(*w));
	if (cli_load_config(cli, &w->cfg) < 0)
		return EX_CONFIG;
	if (!cli->debug && log_level_parse(w->cfg->log_level, &lvl) == 0)
		log_set_level(lvl);
	if (cli->unattended && log_target_parse(w->cfg->log, &target) == 0)
		log_set_target(target);
	if (store_open(w->cfg->database, &w->st, &err) < 0) {
		log_error("store: %s", err);
		free(err);
		config_free(&w->cfg);
		return EX_TEMPFAIL;
	}
	if (ingest_init(&w->ig, w->st, w->cfg, &err) < 0) {
		log_error("%s", err);
		free(err);
		store_close(&w->st);
		config_free(&w->cfg);
		return EX_CONFIG;
	}
	return EX_OK;
}

void
cli_writer_close(struct writer *w)
{
	ingest_done(&w->ig);
	store_close(&w->st);
	config_free(&w->cfg);
}

