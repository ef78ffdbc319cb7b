/* cmd_inspect.c: postdesk inspect [--json] FILE.eml|-
 *
 * Parse one message exactly as the pipeline would and print what postdesk
 * sees. Needs no configuration: the parser's defaults apply. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "postdesk/buf.h"
#include "postdesk/json.h"
#include "postdesk/msg.h"
#include "postdesk/xalloc.h"

/* Read a whole file (or stdin for "-") into b. Larger messages than the
 * parse limit are still read whole: the parser marks them. */
#define INSPECT_MAX_INPUT ((size_t)1 << 30)

int
cli_read_input(const char *path, struct pd_buf *b, char **error_r)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	pd_buf_init(b, INSPECT_MAX_INPUT);
	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (pd_buf_add(b, chunk, n) < 0) {
			*error_r = xasprintf("%s: larger than %zu bytes", path, INSPECT_MAX_INPUT);
			if (f != stdin)
				fclose(f);
			pd_buf_free(b);
			return -1;
		}
	}
	if (ferror(f)) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		if (f != stdin)
			fclose(f);
		pd_buf_free(b);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

static void
iso_date(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		buf[0] = '\0';
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
json_id(struct json *j, const char *key, const char *id)
{
	char *s = id ? xasprintf("<%s>", id) : NULL;

	json_str(j, key, s);
	free(s);
}

static void
json_addr(struct json *j, const char *key, const struct msg_addr *a)
{
	json_obj_begin(j, key);
	json_str(j, "name", a->name);
	json_str(j, "addr", a->addr);
	json_obj_end(j);
}

static void
json_addrs(struct json *j, const char *key, const struct msg_addrs *a)
{
	json_arr_begin(j, key);
	for (size_t i = 0; i < a->n; i++)
		json_addr(j, NULL, &a->v[i]);
	json_arr_end(j);
}

static void
print_json(const struct msg *m)
{
	struct json j;
	char date[32];
	char *out;

	json_init(&j);
	json_obj_begin(&j, NULL);
	json_id(&j, "message_id", m->message_id);
	json_bool(&j, "message_id_synthetic", m->message_id_synthetic);
	json_id(&j, "in_reply_to", m->in_reply_to);
	json_arr_begin(&j, "references");
	for (size_t i = 0; i < m->nreferences; i++)
		json_id(&j, NULL, m->references[i]);
	json_arr_end(&j);
	if (m->from.addr)
		json_addr(&j, "from", &m->from);
	else
		json_null(&j, "from");
	json_addrs(&j, "reply_to", &m->reply_to);
	json_addrs(&j, "to", &m->to);
	json_addrs(&j, "cc", &m->cc);
	json_str(&j, "subject", m->subject);
	iso_date(m->date, date, sizeof(date));
	json_str(&j, "date", date[0] ? date : NULL);
	json_str(&j, "text", m->text);
	json_str(&j, "text_new", m->text_new);
	json_bool(&j, "html", m->html);
	json_arr_begin(&j, "attachments");
	for (size_t i = 0; i < m->nattachments; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "filename", m->attachments[i].filename);
		json_str(&j, "content_type", m->attachments[i].content_type);
		json_int(&j, "size", (int64_t)m->attachments[i].size);
		json_bool(&j, "inline", m->attachments[i].is_inline);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_bool(&j, "auto_reply", m->auto_reply);
	json_str(&j, "auto_reply_reason", m->auto_reply_reason);
	json_bool(&j, "bulk", m->bulk);
	json_bool(&j, "machine", m->machine);
	json_bool(&j, "bounce", m->bounce);
	json_arr_begin(&j, "bounce_recipients");
	for (size_t i = 0; i < m->nbounce_rcpts; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "addr", m->bounce_rcpts[i].addr);
		json_str(&j, "action", m->bounce_rcpts[i].action);
		json_str(&j, "status", m->bounce_rcpts[i].status);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_id(&j, "bounce_original_message_id", m->bounce_original_id);
	json_arr_begin(&j, "authentication_results");
	for (size_t i = 0; i < m->nauth; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "authserv_id", m->auth[i].authserv_id);
		json_str(&j, "method", m->auth[i].method);
		json_str(&j, "result", m->auth[i].result);
		json_str(&j, "domain", m->auth[i].domain);
		json_int(&j, "header", m->auth[i].header_index);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_str(&j, "language", m->language);
	json_int(&j, "size", (int64_t)m->size);
	json_str(&j, "content_hash", m->content_hash);
	json_bool(&j, "over_limit", m->over_limit);
	json_arr_begin(&j, "defects");
	for (size_t i = 0; i < m->ndefects; i++)
		json_str(&j, NULL, m->defects[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	out = json_finish(&j);
	printf("%s\n", out);
	free(out);
}

static void
print_addrs(const char *label, const struct msg_addrs *a)
{
	if (a->n == 0)
		return;
	printf("%-13s", label);
	for (size_t i = 0; i < a->n; i++)
		printf("%s%s%s%s%s", i ? ", " : "", a->v[i].name ? a->v[i].name : "",
		    a->v[i].name ? " <" : "", a->v[i].addr, a->v[i].name ? ">" : "");
	printf("\n");
}

static void
print_human(const struct msg *m)
{
	char date[32];

	printf("Message-ID:  <%s>%s\n", m->message_id,
	    m->message_id_synthetic ? " (synthetic: the message has none)" : "");
	if (m->in_reply_to)
		printf("In-Reply-To: <%s>\n", m->in_reply_to);
	for (size_t i = 0; i < m->nreferences; i++)
		printf("%-13s<%s>\n", i == 0 ? "References:" : "", m->references[i]);
	if (m->from.addr)
		printf("From:        %s%s%s%s\n", m->from.name ? m->from.name : "",
		    m->from.name ? " <" : "", m->from.addr, m->from.name ? ">" : "");
	else
		printf("From:        (none)\n");
	print_addrs("Reply-To:", &m->reply_to);
	print_addrs("To:", &m->to);
	print_addrs("Cc:", &m->cc);
	printf("Subject:     %s\n", m->subject);
	iso_date(m->date, date, sizeof(date));
	printf("Date:        %s\n", date[0] ? date : "(none)");
	printf("Language:    %s\n", m->language ? m->language : "(unknown)");
	printf("Size:        %zu bytes%s\n", m->size, m->over_limit ? " (over a limit)" : "");
	printf("Class:       %s%s%s%s%s\n",
	    m->bounce ? "bounce" : m->auto_reply ? "auto-reply" : "human",
	    m->auto_reply_reason ? " (" : "", m->auto_reply_reason ? m->auto_reply_reason : "",
	    m->auto_reply_reason ? ")" : "", m->bulk ? ", bulk/list" : "");
	for (size_t i = 0; i < m->nbounce_rcpts; i++)
		printf("Bounced:     %s %s %s\n", m->bounce_rcpts[i].addr,
		    m->bounce_rcpts[i].action ? m->bounce_rcpts[i].action : "",
		    m->bounce_rcpts[i].status ? m->bounce_rcpts[i].status : "");
	for (size_t i = 0; i < m->nauth; i++)
		printf("Auth:        %s %s=%s %s\n", m->auth[i].authserv_id, m->auth[i].method,
		    m->auth[i].result, m->auth[i].domain ? m->auth[i].domain : "");
	for (size_t i = 0; i < m->nattachments; i++)
		printf("Attachment:  %s (%s, %zu bytes%s)\n",
		    m->attachments[i].filename ? m->attachments[i].filename : "(no name)",
		    m->attachments[i].content_type, m->attachments[i].size,
		    m->attachments[i].is_inline ? ", inline" : "");
	for (size_t i = 0; i < m->ndefects; i++)
		printf("Defect:      %s\n", m->defects[i]);
	printf("\n--- new text%s ---\n%s\n", m->text_from_html ? " (from HTML)" : "", m->text_new);
	if (strcmp(m->text, m->text_new) != 0)
		printf("--- full text ---\n%s\n", m->text);
}

int
cmd_inspect(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd = cli_find("inspect");
	bool json = false;
	struct pd_buf raw;
	struct msg *m;
	char *err = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+j", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one file name (or - for standard input)");
	if (cli_read_input(argv[optind], &raw, &err) < 0) {
		fprintf(stderr, "postdesk: inspect: %s\n", err);
		free(err);
		return EX_NOINPUT;
	}
	m = msg_parse(pd_buf_str(&raw), raw.len, NULL);
	if (json)
		print_json(m);
	else
		print_human(m);
	msg_free(&m);
	pd_buf_free(&raw);
	return EX_OK;
}
