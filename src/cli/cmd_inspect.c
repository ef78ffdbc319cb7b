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

#include "cli.h"
#include "postdesk/buf.h"
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
print_json(const struct msg *m)
{
	char *out = inspect_json(m);

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
	inspect_iso_date(m->date, date, sizeof(date));
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
