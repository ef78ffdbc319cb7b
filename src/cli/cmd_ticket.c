/* cmd_ticket.c: postdesk ticket list [--json] [--status S] [--queue Q]
 *               postdesk ticket show [--json] [--full] ID
 *
 * Read-only views of the store for agents and scripts. Also home of what
 * "export" shares with them: opening the database read-side, dates, the
 * {name, addr} objects. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "postdesk/config.h"
#include "postdesk/json.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

/* The readable list fits in this many columns. */
#define LIST_WIDTH 100

/* --- shared with export ------------------------------------------------------ */

int
cli_open_store(const struct cli *cli, const char *cmd, struct store **st_r)
{
	struct pd_config *cfg;
	int rc = cli_open_config_store(cli, cmd, &cfg, st_r);

	if (rc == EX_OK)
		config_free(&cfg);
	return rc;
}

int
cli_open_config_store(const struct cli *cli, const char *cmd, struct pd_config **cfg_r,
    struct store **st_r)
{
	struct pd_config *cfg;
	int rc;

	*st_r = NULL;
	*cfg_r = NULL;
	if (cli_load_config(cli, &cfg) < 0)
		return EX_CONFIG;
	if ((rc = cli_open_store_of(cfg, cmd, st_r)) != EX_OK) {
		config_free(&cfg);
		return rc;
	}
	*cfg_r = cfg;
	return EX_OK;
}

int
cli_open_store_of(const struct pd_config *cfg, const char *cmd, struct store **st_r)
{
	struct stat sb;
	char *err = NULL;
	int rc = EX_OK;

	*st_r = NULL;
	/* store_open() creates a missing database; a command that only
	 * reads must not leave an empty one behind (nor hide a wrong path). */
	if (strcmp(cfg->database, ":memory:") != 0 &&
	    stat(cfg->database, &sb) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "postdesk: %s: no database yet at %s (it is "
			    "created by fetch or deliver)\n", cmd, cfg->database);
		else
			fprintf(stderr, "postdesk: %s: %s: %s\n", cmd,
			    cfg->database, strerror(errno));
		return EX_NOINPUT;
	}
	if (store_open(cfg->database, st_r, &err) < 0) {
		/* store_open() says why only in words; a lock held by a
		 * migration or a checkpoint is worth a retry. */
		rc = strstr(err, "locked") != NULL || strstr(err, "busy") != NULL ?
		    EX_TEMPFAIL : EX_NOINPUT;
		fprintf(stderr, "postdesk: %s: %s\n", cmd, err);
		free(err);
	}
	return rc;
}

int
cli_store_failed(struct store *st, const char *cmd)
{
	fprintf(stderr, "postdesk: %s: %s\n", cmd, store_error(st));
	return store_error_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
}

int
cli_output_done(const char *cmd)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EX_OK;
	fprintf(stderr, "postdesk: %s: writing the output: %s\n", cmd,
	    strerror(errno));
	return EX_IOERR;
}

void
cli_iso_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}

void
cli_json_time(struct json *j, const char *key, int64_t t)
{
	char buf[32];

	if (t == 0) {
		json_null(j, key);
		return;
	}
	cli_iso_time(t, buf);
	json_str(j, key, buf);
}

void
cli_json_addr(struct json *j, const char *key, const char *name,
    const char *addr)
{
	if (addr == NULL && name == NULL) {
		json_null(j, key);
		return;
	}
	json_obj_begin(j, key);
	json_str(j, "name", name);
	json_str(j, "addr", addr);
	json_obj_end(j);
}

void
cli_json_msgid(struct json *j, const char *key, const char *id)
{
	char *s = id != NULL ? xasprintf("<%s>", id) : NULL;

	json_str(j, key, s);
	free(s);
}

/* Print one JSON value made with j, then a newline; j is empty after. */
void
cli_json_print(struct json *j)
{
	char *out = json_finish(j);

	fputs(out, stdout);
	putchar('\n');
	free(out);
}

/* --- readable text -------------------------------------------------------- */

/* Write s for a terminal, at most max columns (SIZE_MAX: all), and return
 * how many were used. Control characters (an escape sequence in a subject
 * would drive the terminal) and broken UTF-8 come out as '?'; newlines
 * and tabs only where keep_lines. A code point counts as one column. */
static size_t
put_safe(const char *s, size_t max, bool keep_lines)
{
	size_t len = s != NULL ? strlen(s) : 0, used = 0, i = 0, n;

	while (i < len && used < max) {
		unsigned char c = (unsigned char)s[i];

		n = c < 0x80 ? 1 : utf8_seq_len((const unsigned char *)s + i,
		    len - i);
		if (keep_lines && (c == '\n' || c == '\t'))
			putchar(c);
		else if (c == '\n' || c == '\t' || c == '\r')
			putchar(' ');
		else if (n == 0 || c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && (unsigned char)s[i + 1] < 0xa0))	/* C1 */
			putchar('?');
		else
			fwrite(s + i, 1, n, stdout);
		i += n != 0 ? n : 1;
		used++;
	}
	return used;
}

/* A cell of width columns: s cut with "…" when longer, padded unless it
 * is the last one on the line. */
static void
put_cell(const char *s, size_t width, bool pad)
{
	size_t cps = 0, len = s != NULL ? strlen(s) : 0, used;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cps++;
	if (cps > width) {
		used = put_safe(s, width - 1, false);
		fputs("\u2026", stdout);
		used++;
	} else
		used = put_safe(s, width, false);
	for (; pad && used < width; used++)
		putchar(' ');
}

void
cli_put_cell(const char *s, size_t width, bool pad)
{
	put_cell(s, width, pad);
}

/* "45s", "12m", "5h", "3d", "2y": how long ago t was. */
static void
format_age(int64_t t, int64_t now, char buf[24])
{
	int64_t d = now > t ? now - t : 0;

	if (d < 60)
		snprintf(buf, 24, "%" PRId64 "s", d);
	else if (d < 3600)
		snprintf(buf, 24, "%" PRId64 "m", d / 60);
	else if (d < 86400)
		snprintf(buf, 24, "%" PRId64 "h", d / 3600);
	else if (d < 365 * 86400)
		snprintf(buf, 24, "%" PRId64 "d", d / 86400);
	else
		snprintf(buf, 24, "%" PRId64 "y", d / (365 * 86400));
}

/* "2024-05-01 09:30 UTC"; "-" for none. */
static void
format_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, 32, "-");
}

/* "Name <addr>", or the address alone. */
static void
put_person(const char *name, const char *addr)
{
	if (name != NULL && *name != '\0') {
		put_safe(name, SIZE_MAX, false);
		fputs(" <", stdout);
		put_safe(addr, SIZE_MAX, false);
		putchar('>');
	} else
		put_safe(addr != NULL ? addr : "-", SIZE_MAX, false);
}

/* --- ticket list ------------------------------------------------------------- */

struct list_ctx {
	bool json;
	size_t rows;
	int64_t now;
};

static void
list_json_row(const struct store_ticket_row *t)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j, NULL);
	json_int(&j, "id", t->id);
	json_str(&j, "status", t->status);
	json_str(&j, "queue", t->queue);
	json_str(&j, "priority", t->priority);
	cli_json_addr(&j, "requester", t->requester_name, t->requester_addr);
	json_str(&j, "assignee", t->assignee);
	json_str(&j, "subject", t->subject);
	cli_json_time(&j, "created_at", t->created_at);
	cli_json_time(&j, "updated_at", t->updated_at);
	json_int(&j, "messages", t->messages);
	cli_json_time(&j, "last_message_at", t->last_message_at);
	json_obj_end(&j);
	cli_json_print(&j);
}

/* Columns: 7 + 8 + 10 + 4 + 24 + 42 and the five spaces between them. */
static void
list_text_row(const struct store_ticket_row *t, int64_t now)
{
	char age[24];

	format_age(t->created_at, now, age);
	printf("%7" PRId64 " ", t->id);
	put_cell(t->status, 8, true);
	putchar(' ');
	put_cell(t->queue, 10, true);
	printf(" %4s ", age);
	put_cell(t->requester_addr, 24, true);
	putchar(' ');
	put_cell(t->subject, LIST_WIDTH - 58, false);
	putchar('\n');
}

static int
list_row(const struct store_ticket_row *t, void *ctx)
{
	struct list_ctx *c = ctx;

	if (c->json) {
		/* One document: the array is written as it goes, one
		 * ticket a line, so a long list is never held in memory. */
		fputs(c->rows == 0 ? "[\n" : ",\n", stdout);
		list_json_row(t);
	} else
		list_text_row(t, c->now);
	c->rows++;
	return 0;
}

static bool
valid_status(const char *s)
{
	static const char *const statuses[] = { "new", "open", "pending",
	    "resolved", "closed" };

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(s, statuses[i]) == 0)
			return true;
	return false;
}

static int
ticket_list(struct cli *cli, const struct cli_command *cmd, int argc,
    char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "status", required_argument, NULL, 's' },
		{ "queue", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_ctx c = { .json = false, .rows = 0, .now = time(NULL) };
	const char *status = NULL, *queue = NULL;
	struct store *st;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "js:q:", opts, NULL)) != -1) {
		if (ch == 'j')
			c.json = true;
		else if (ch == 's')
			status = optarg;
		else if (ch == 'q')
			queue = optarg;
		else
			return cli_usage_error(cmd, "list: unknown option or "
			    "missing value: '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage_error(cmd, "list: unexpected argument '%s'",
		    argv[optind]);
	if (status != NULL && !valid_status(status))
		return cli_usage_error(cmd, "list: --status '%s': one of new, "
		    "open, pending, resolved, closed", status);
	if ((rc = cli_open_store(cli, "ticket", &st)) != EX_OK)
		return rc;
	if (!c.json)
		printf("%7s %-8s %-10s %4s %-24s %s\n", "ID", "STATUS", "QUEUE",
		    "AGE", "REQUESTER", "SUBJECT");
	if (store_ticket_list(st, status, queue, list_row, &c) < 0) {
		rc = cli_store_failed(st, "ticket");
		store_close(&st);
		return rc;
	}
	store_close(&st);
	if (c.json)
		fputs(c.rows == 0 ? "[]\n" : "]\n", stdout);
	return cli_output_done("ticket");
}

/* --- ticket show -------------------------------------------------------------- */

/* The date a message carries (its Date: header), else when it arrived. */
int64_t
cli_message_date(int64_t date, int64_t received_at)
{
	return date != 0 ? date : received_at;
}

static void
show_json(const struct store_ticket_view *t)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j, NULL);
	json_int(&j, "id", t->id);
	json_str(&j, "subject", t->subject);
	json_str(&j, "status", t->status);
	json_str(&j, "queue", t->queue);
	json_str(&j, "priority", t->priority);
	cli_json_addr(&j, "requester", t->requester_name, t->requester_addr);
	json_str(&j, "assignee", t->assignee);
	json_str(&j, "language", t->language);
	cli_json_time(&j, "created_at", t->created_at);
	cli_json_time(&j, "updated_at", t->updated_at);
	cli_json_time(&j, "first_response_at", t->first_response_at);
	cli_json_time(&j, "resolved_at", t->resolved_at);
	cli_json_time(&j, "closed_at", t->closed_at);
	if (t->satisfaction != 0)
		json_int(&j, "satisfaction", t->satisfaction);
	else
		json_null(&j, "satisfaction");
	json_arr_begin(&j, "participants");
	for (size_t i = 0; i < t->nparticipants; i++) {
		const struct store_participant_view *p = &t->participants[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "addr", p->addr);
		json_str(&j, "name", p->name);
		json_str(&j, "role", p->role);
		json_bool(&j, "failing", p->failing);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "tags");
	for (size_t i = 0; i < t->ntags; i++)
		json_str(&j, NULL, t->tags[i]);
	json_arr_end(&j);
	json_arr_begin(&j, "messages");
	for (size_t i = 0; i < t->nmessages; i++) {
		const struct store_message_view *m = &t->messages[i];

		json_obj_begin(&j, NULL);
		json_int(&j, "id", m->id);
		cli_json_msgid(&j, "message_id", m->message_id);
		json_str(&j, "direction", m->direction);
		json_str(&j, "kind", m->kind);
		cli_json_addr(&j, "from", m->from_name, m->from_addr);
		json_str(&j, "subject", m->subject);
		cli_json_time(&j, "date", cli_message_date(m->date,
		    m->received_at));
		cli_json_time(&j, "received_at", m->received_at);
		json_str(&j, "thread_via", m->thread_via);
		json_str(&j, "text", m->text);
		json_str(&j, "text_new", m->text_new);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "events");
	for (size_t i = 0; i < t->nevents; i++) {
		json_obj_begin(&j, NULL);
		cli_json_time(&j, "at", t->events[i].at);
		json_str(&j, "type", t->events[i].type);
		json_str(&j, "actor", t->events[i].actor);
		json_str(&j, "detail", t->events[i].detail);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	cli_json_print(&j);
}

static void
show_header(const struct store_ticket_view *t)
{
	char when[32];

	printf("Ticket #%" PRId64 ": ", t->id);
	put_safe(t->subject, SIZE_MAX, false);
	printf("\nStatus:       %s\nQueue:        ", t->status);
	put_safe(t->queue, SIZE_MAX, false);
	printf("\nPriority:     %s\nAssignee:     ", t->priority);
	put_safe(t->assignee != NULL ? t->assignee : "-", SIZE_MAX, false);
	fputs("\nRequester:    ", stdout);
	put_person(t->requester_name, t->requester_addr);
	fputs("\nParticipants: ", stdout);
	for (size_t i = 0; i < t->nparticipants; i++) {
		const struct store_participant_view *p = &t->participants[i];

		fputs(i > 0 ? ", " : "", stdout);
		put_person(p->name, p->addr);
		printf(" (%s%s)", p->role, p->failing ? ", failing" : "");
	}
	fputs(t->nparticipants == 0 ? "-" : "", stdout);
	fputs("\nTags:         ", stdout);
	for (size_t i = 0; i < t->ntags; i++) {
		fputs(i > 0 ? ", " : "", stdout);
		put_safe(t->tags[i], SIZE_MAX, false);
	}
	fputs(t->ntags == 0 ? "-" : "", stdout);
	format_time(t->created_at, when);
	printf("\nCreated:      %s\n", when);
	format_time(t->updated_at, when);
	printf("Updated:      %s\n", when);
}

/* "→ in" for mail that came to us, "← out" for mail we sent. */
static void
show_message(const struct store_message_view *m, size_t n, bool full)
{
	const char *text = full || m->text_new == NULL ? m->text : m->text_new;
	bool in = strcmp(m->direction, "in") == 0;
	char when[32];

	format_time(cli_message_date(m->date, m->received_at), when);
	printf("\n--- %zu. %s %s, %s, %s ---\nFrom:    ", n,
	    in ? "\u2192" : "\u2190", m->direction, m->kind, when);
	put_person(m->from_name, m->from_addr);
	fputs("\nSubject: ", stdout);
	put_safe(m->subject != NULL ? m->subject : "-", SIZE_MAX, false);
	printf("\nThread:  %s\n\n", m->thread_via != NULL ? m->thread_via : "-");
	if (text != NULL && *text != '\0') {
		put_safe(text, SIZE_MAX, true);
		if (text[strlen(text) - 1] != '\n')
			putchar('\n');
	} else
		fputs("(no text)\n", stdout);
}

static void
show_text(const struct store_ticket_view *t, bool full)
{
	char when[32];

	show_header(t);
	for (size_t i = 0; i < t->nmessages; i++)
		show_message(&t->messages[i], i + 1, full);
	printf("\n--- events ---\n");
	for (size_t i = 0; i < t->nevents; i++) {
		const struct store_event_view *e = &t->events[i];

		format_time(e->at, when);
		printf("%s  ", when);
		put_safe(e->type, SIZE_MAX, false);
		printf("  ");
		put_safe(e->actor != NULL ? e->actor : "postdesk", SIZE_MAX,
		    false);
		if (e->detail != NULL) {
			printf("  ");
			put_safe(e->detail, SIZE_MAX, false);
		}
		putchar('\n');
	}
	if (t->nevents == 0)
		printf("(none)\n");
}

/* A ticket number: digits (a leading '#' is fine), 1 or more. */
static int
parse_id(const char *s, int64_t *id_r)
{
	char *end;
	long long v;

	if (*s == '#')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id_r = v;
	return 0;
}

static int
ticket_show(struct cli *cli, const struct cli_command *cmd, int argc,
    char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "full", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_ticket_view t;
	bool json = false, full = false;
	struct store *st;
	int ch, rc, found;
	int64_t id;

	while ((ch = getopt_long(argc, argv, "jf", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'f')
			full = true;
		else
			return cli_usage_error(cmd, "show: unknown option '%s'",
			    argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "show: expected one ticket number");
	if (parse_id(argv[optind], &id) < 0)
		return cli_usage_error(cmd, "show: '%s' is not a ticket number",
		    argv[optind]);
	if ((rc = cli_open_store(cli, "ticket", &st)) != EX_OK)
		return rc;
	found = store_ticket_get(st, id, STORE_VIEW_TEXT, &t);
	if (found < 0)
		rc = cli_store_failed(st, "ticket");
	store_close(&st);
	if (found <= 0) {
		if (found == 0)
			fprintf(stderr, "postdesk: ticket %" PRId64 ": no such "
			    "ticket\n", id);
		return found == 0 ? EX_NOINPUT : rc;
	}
	if (json)
		show_json(&t);
	else
		show_text(&t, full);
	store_ticket_view_free(&t);
	return cli_output_done("ticket");
}

int
cmd_ticket(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd = cli_find("ticket");

	if (argc < 2)
		return cli_usage_error(cmd, "expected 'list' or 'show'");
	/* The subcommand's options start after its name. */
	optind = 0;
	if (strcmp(argv[1], "list") == 0)
		return ticket_list(cli, cmd, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return ticket_show(cli, cmd, argc - 1, argv + 1);
	return cli_usage_error(cmd, "unknown subcommand '%s'", argv[1]);
}
