/* cmd_export.c: postdesk export [--json]
 *
 * Every ticket, oldest first, one JSON object a line (JSON Lines): a
 * format scripts can stream and that survives a million tickets, since
 * only one ticket is in memory at a time. The fields are a contract (see
 * DESIGN.md, "Command line"); add fields, never rename or drop one. The
 * message texts and raw mail are not in it (they are not read). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli.h"
#include "postdesk/json.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"

static void
export_participants(struct json *j, const struct store_ticket_view *t)
{
	json_arr_begin(j, "participants");
	for (size_t i = 0; i < t->nparticipants; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "addr", t->participants[i].addr);
		json_str(j, "name", t->participants[i].name);
		json_str(j, "role", t->participants[i].role);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void
export_messages(struct json *j, const struct store_ticket_view *t)
{
	json_arr_begin(j, "messages");
	for (size_t i = 0; i < t->nmessages; i++) {
		const struct store_message_view *m = &t->messages[i];

		json_obj_begin(j, NULL);
		cli_json_msgid(j, "message_id", m->message_id);
		json_str(j, "direction", m->direction);
		json_str(j, "kind", m->kind);
		cli_json_addr(j, "from", m->from_name, m->from_addr);
		json_str(j, "subject", m->subject);
		cli_json_time(j, "date", cli_message_date(m->date,
		    m->received_at));
		json_str(j, "thread_via", m->thread_via);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static int
export_one(const struct store_ticket_view *t, void *ctx)
{
	struct json j;

	(void)ctx;
	json_init(&j);
	json_obj_begin(&j, NULL);
	json_int(&j, "id", t->id);
	json_str(&j, "status", t->status);
	json_str(&j, "queue", t->queue);
	json_str(&j, "priority", t->priority);
	json_str(&j, "subject", t->subject);
	cli_json_addr(&j, "requester", t->requester_name, t->requester_addr);
	json_str(&j, "assignee", t->assignee);
	json_str(&j, "language", t->language);
	cli_json_time(&j, "created_at", t->created_at);
	cli_json_time(&j, "updated_at", t->updated_at);
	json_arr_begin(&j, "tags");
	for (size_t i = 0; i < t->ntags; i++)
		json_str(&j, NULL, t->tags[i]);
	json_arr_end(&j);
	export_participants(&j, t);
	export_messages(&j, t);
	json_obj_end(&j);
	cli_json_print(&j);
	/* A closed pipe or a full disk ends the export early. */
	return ferror(stdout) ? 1 : 0;
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd = cli_find("export");
	struct store *st;
	int ch, rc;

	/* --json is the only format, and the default. */
	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage_error(cmd, "unknown option '%s'",
			    argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cli_open_store(cli, "export", &st)) != EX_OK)
		return rc;
	rc = store_ticket_each(st, 0, export_one, NULL);
	if (rc < 0) {
		rc = cli_store_failed(st, "export");
		store_close(&st);
		return rc;
	}
	store_close(&st);
	return cli_output_done("export");
}
