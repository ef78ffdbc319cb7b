/* mail_internal.h: what the modules of src/mail share; not a public API.
 *
 * msg.c drives the parse: headers (here), then mime.c for the body tree,
 * then classify.c and authres.c on the result. */
#ifndef POSTDESK_MAIL_INTERNAL_H
#define POSTDESK_MAIL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "postdesk/msg.h"

/* Turn charset.h / rfc2047.h defect flags into defect lines. */
void msg_charset_defects(struct msg *m, const char *where, unsigned defects);

/* The fallback charsets in force for this parse (never NULL). */
const char *const *msg_fallback(const struct msg_limits *lim);

/* mime.c: walk the MIME tree of raw (already bounded in size), fill text,
 * html, text_from_html, attachments and, for multipart/report, the parts
 * classify.c needs (delivery-status text, original headers). */
struct mime_report {
	char *delivery_status;	/* decoded message/delivery-status body, or NULL */
	char *original_headers;	/* headers of the returned message, or NULL */
	char *report_type;	/* multipart/report's report-type, lower-case */
};
void mime_walk(struct msg *m, const char *raw, size_t len,
    const struct msg_limits *lim, struct mime_report *rep);
void mime_report_free(struct mime_report *rep);

/* classify.c: auto_reply, bulk, bounce and bounce_rcpts. */
void classify_msg(struct msg *m, const struct mime_report *rep);

/* authres.c: parse every Authentication-Results header into m->auth. */
void authres_parse_all(struct msg *m);
/* Parse one header value (exposed for tests). index = its position from
 * the top. Appends to m->auth. */
void authres_parse(struct msg *m, const char *value, int index);

/* msgid.c-like helpers in msg.c: extract bare ids ("a@b") from a
 * Message-ID / In-Reply-To / References value, tolerant of missing
 * brackets and comments. Returns the count; *ids_r owned by the caller
 * (free each and the array). */
size_t msgid_extract(const char *value, char ***ids_r);

/* Is s[0..len) valid UTF-8 without control characters (C0, DEL)? What an
 * id or address taken from raw header bytes must be before it is kept. */
bool mail_clean_word(const char *s, size_t len);

/* Case-insensitive ASCII helpers. */
bool ascii_starts_ci(const char *s, const char *prefix);
const char *ascii_strcasestr(const char *hay, const char *needle);

#endif
