/* inspect_json.c: the JSON document of "postdesk inspect --json".
 *
 * Kept apart from cmd_inspect.c so that the fuzz target
 * (tests/fuzz/fuzz-inspect.c) renders exactly what the command prints. */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "postdesk/json.h"
#include "postdesk/msg.h"
#include "postdesk/xalloc.h"

void
inspect_iso_date(int64_t t, char *buf, size_t size)
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
json_attachments(struct json *j, const struct msg *m)
{
	json_arr_begin(j, "attachments");
	for (size_t i = 0; i < m->nattachments; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "filename", m->attachments[i].filename);
		json_str(j, "content_type", m->attachments[i].content_type);
		json_int(j, "size", (int64_t)m->attachments[i].size);
		json_bool(j, "inline", m->attachments[i].is_inline);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void
json_class(struct json *j, const struct msg *m)
{
	json_bool(j, "auto_reply", m->auto_reply);
	json_str(j, "auto_reply_reason", m->auto_reply_reason);
	json_bool(j, "bulk", m->bulk);
	json_bool(j, "machine", m->machine);
	json_bool(j, "bounce", m->bounce);
	json_arr_begin(j, "bounce_recipients");
	for (size_t i = 0; i < m->nbounce_rcpts; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "addr", m->bounce_rcpts[i].addr);
		json_str(j, "action", m->bounce_rcpts[i].action);
		json_str(j, "status", m->bounce_rcpts[i].status);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_id(j, "bounce_original_message_id", m->bounce_original_id);
	json_arr_begin(j, "authentication_results");
	for (size_t i = 0; i < m->nauth; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "authserv_id", m->auth[i].authserv_id);
		json_str(j, "method", m->auth[i].method);
		json_str(j, "result", m->auth[i].result);
		json_str(j, "domain", m->auth[i].domain);
		json_int(j, "header", m->auth[i].header_index);
		json_obj_end(j);
	}
	json_arr_end(j);
}

char *
inspect_json(const struct msg *m)
{
	struct json j;
	char date[32];

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
	inspect_iso_date(m->date, date, sizeof(date));
	json_str(&j, "date", date[0] ? date : NULL);
	json_str(&j, "text", m->text);
	json_str(&j, "text_new", m->text_new);
	json_bool(&j, "html", m->html);
	json_attachments(&j, m);
	json_class(&j, m);
	json_str(&j, "language", m->language);
	json_int(&j, "size", (int64_t)m->size);
	json_str(&j, "content_hash", m->content_hash);
	json_bool(&j, "over_limit", m->over_limit);
	json_arr_begin(&j, "defects");
	for (size_t i = 0; i < m->ndefects; i++)
		json_str(&j, NULL, m->defects[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	return json_finish(&j);
}
