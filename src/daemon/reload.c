/* reload.c: SIGHUP loads the configuration again (see daemon_internal.h).
 *
 * Everything that can fail is done here, before anything is swapped: the
 * file is loaded and validated as check-config does, and a new ingest is
 * built from it (routing rules compiled, canned answers read, the HMAC
 * key read). The daemon swaps only a config that passed all of it.
 *
 * What takes effect at once: the mailboxes (added, removed, or changed:
 * a changed server, account or folder reconnects, an unchanged one keeps
 * its connection), poll intervals, smtp, agents, queues, business hours,
 * rules, templates, answers, limits, ack_limit, agent_auth, tag,
 * secret_file, log and log_level. What needs a restart: database (the
 * open database and its lock file stay as they are; the change is logged
 * and ignored until then). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/log.h"
#include "postdesk/xalloc.h"
#include "daemon_internal.h"

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool
reload_same_connection(const struct pd_imap *a, const struct pd_imap *b)
{
	return same_str(a->name, b->name) && same_str(a->host, b->host) &&
	    a->port == b->port && a->tls == b->tls && same_str(a->ca_file, b->ca_file) &&
	    same_str(a->user, b->user) && same_str(a->password_file, b->password_file) &&
	    same_str(a->oauth2_token_file, b->oauth2_token_file) &&
	    same_str(a->mailbox, b->mailbox) && a->timeout == b->timeout;
}

int
reload_load(const struct pd_config *old, struct store *st, struct pd_config **cfg_r,
    struct ingest *ig_r)
{
	struct config_errors errs;
	struct pd_config *cfg = NULL;
	char *err = NULL;

	if (config_load(old->path, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			log_error("reload: %s", errs.lines[i]);
		config_errors_free(&errs);
		return -1;
	}
	if (strcmp(cfg->database, old->database) != 0) {
		log_warn("reload: database changed from %s to %s: that takes a restart; "
		    "still using %s", old->database, cfg->database, old->database);
		free(cfg->database);
		cfg->database = xstrdup(old->database);
	}
	if (ingest_init(ig_r, st, cfg, &err) < 0) {
		log_error("reload: %s", err);
		free(err);
		config_free(&cfg);
		return -1;
	}
	*cfg_r = cfg;
	return 0;
}

void
reload_apply_log(const struct pd_config *cfg, bool debug)
{
	enum log_level lvl;
	enum log_target target;

	if (log_target_parse(cfg->log, &target) == 0)
		log_set_target(target);
	if (!debug && log_level_parse(cfg->log_level, &lvl) == 0)
		log_set_level(lvl);
}
