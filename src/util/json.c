/* json.c: see json.h. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "postdesk/json.h"
#include "postdesk/utf8.h"

/* Output is bounded by what the commands print (one message, one ticket);
 * 1 GiB is far above any of it and keeps the cap meaningful. */
#define JSON_MAX_OUTPUT ((size_t)1 << 30)

static void
json_add(struct json *j, const char *s, size_t n)
{
	if (pd_buf_add(&j->out, s, n) < 0)
		log_fatal("json: output larger than %zu bytes", (size_t)JSON_MAX_OUTPUT);
}

static void
json_raw(struct json *j, const char *s)
{
	json_add(j, s, strlen(s));
}

static void
json_quoted(struct json *j, const char *s, size_t len)
{
	size_t i = 0;
	char esc[8];

	json_raw(j, "\"");
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c < 0x80) {
			switch (c) {
			case '"': json_raw(j, "\\\""); break;
			case '\\': json_raw(j, "\\\\"); break;
			case '\n': json_raw(j, "\\n"); break;
			case '\r': json_raw(j, "\\r"); break;
			case '\t': json_raw(j, "\\t"); break;
			default:
				if (c < 0x20 || c == 0x7f) {
					snprintf(esc, sizeof(esc), "\\u%04x", c);
					json_raw(j, esc);
				} else
					json_add(j, (const char *)&s[i], 1);
			}
			i++;
			continue;
		}
		n = utf8_seq_len((const unsigned char *)s + i, len - i);
		if (n == 0) {
			json_raw(j, "\xef\xbf\xbd");
			i++;
		} else {
			json_add(j, s + i, n);
			i += n;
		}
	}
	json_raw(j, "\"");
}

static void
json_sep(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth - 1])
			json_raw(j, ",");
		j->first[j->depth - 1] = false;
	}
	if (key != NULL) {
		json_quoted(j, key, strlen(key));
		json_raw(j, ":");
	}
}

void
json_init(struct json *j)
{
	pd_buf_init(&j->out, JSON_MAX_OUTPUT);
	j->depth = 0;
}

static void
json_open(struct json *j, const char *key, const char *bracket)
{
	json_sep(j, key);
	json_raw(j, bracket);
	if (j->depth >= JSON_MAX_DEPTH)
		log_fatal("json: nesting deeper than %d", JSON_MAX_DEPTH);
	j->first[j->depth++] = true;
}

static void
json_close(struct json *j, const char *bracket)
{
	if (j->depth == 0)
		log_fatal("json: close without open");
	j->depth--;
	json_raw(j, bracket);
}

void json_obj_begin(struct json *j, const char *key) { json_open(j, key, "{"); }
void json_obj_end(struct json *j) { json_close(j, "}"); }
void json_arr_begin(struct json *j, const char *key) { json_open(j, key, "["); }
void json_arr_end(struct json *j) { json_close(j, "]"); }

void
json_strn(struct json *j, const char *key, const char *val, size_t len)
{
	json_sep(j, key);
	if (val == NULL)
		json_raw(j, "null");
	else
		json_quoted(j, val, len);
}

void
json_str(struct json *j, const char *key, const char *val)
{
	json_strn(j, key, val, val ? strlen(val) : 0);
}

void
json_int(struct json *j, const char *key, int64_t val)
{
	char num[32];

	json_sep(j, key);
	snprintf(num, sizeof(num), "%" PRId64, val);
	json_raw(j, num);
}

void
json_double(struct json *j, const char *key, double val)
{
	char num[64];

	json_sep(j, key);
	if (!isfinite(val)) {
		json_raw(j, "null");
		return;
	}
	snprintf(num, sizeof(num), "%.6g", val);
	json_raw(j, num);
}

void
json_bool(struct json *j, const char *key, bool val)
{
	json_sep(j, key);
	json_raw(j, val ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_sep(j, key);
	json_raw(j, "null");
}

char *
json_finish(struct json *j)
{
	return pd_buf_steal(&j->out);
}

void
json_free(struct json *j)
{
	pd_buf_free(&j->out);
}
