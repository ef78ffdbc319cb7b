/* json.h: a small streaming JSON writer for --json output.
 *
 * Keys are given with each value; pass key NULL inside arrays. Strings are
 * written as UTF-8 with the JSON escapes; bytes that are not valid UTF-8
 * become U+FFFD so that the output is always a valid document. */
#ifndef POSTDESK_JSON_H
#define POSTDESK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "postdesk/buf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct pd_buf out;
	unsigned depth;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json *j);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
/* val NULL writes null. */
void json_str(struct json *j, const char *key, const char *val);
void json_strn(struct json *j, const char *key, const char *val, size_t len);
void json_int(struct json *j, const char *key, int64_t val);
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* The document; the caller frees it. j is empty afterwards. */
char *json_finish(struct json *j);
void json_free(struct json *j);

#endif
