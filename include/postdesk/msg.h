/* msg.h: one parsed mail message, as postdesk sees it.
 *
 * msg_parse() turns raw RFC 5322 bytes into a struct msg: decoded headers,
 * addresses, threading ids, the best text body as UTF-8 (and its new part
 * without quoted history), attachments' metadata, and the classification
 * (auto-reply, bounce, authentication results, language). It never fails
 * on bad input: whatever was broken and repaired is listed in defects, and
 * a message over a limit is still returned (marked) so that the raw bytes
 * can be stored. Every string in the struct is UTF-8, owned by the struct,
 * and freed by msg_free(). */
#ifndef POSTDESK_MSG_H
#define POSTDESK_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msg_addr {
	char *name;	/* display name, decoded; NULL if none */
	char *addr;	/* addr-spec; domain lower-cased */
};

struct msg_addrs {
	struct msg_addr *v;
	size_t n;
};

struct msg_header {
	char *name;	/* as written */
	char *value;	/* unfolded, RFC 2047 decoded, no CR/LF */
	char *raw;	/* unfolded raw value (still encoded) */
};

struct msg_attachment {
	char *filename;		/* decoded; NULL if none */
	char *content_type;	/* lower-case type/subtype */
	size_t size;		/* decoded size in bytes */
	bool is_inline;
};

struct msg_auth_result {
	char *authserv_id;
	char *method;	/* dkim, spf, dmarc, arc, ... */
	char *result;	/* pass, fail, none, ... */
	char *domain;	/* header.d, header.from, smtp.mailfrom's domain, ... */
	int header_index;	/* 0 = topmost Authentication-Results header */
};

struct msg_bounce_rcpt {
	char *addr;
	char *action;	/* failed, delayed, delivered, relayed, expanded */
	char *status;	/* 5.1.1 ... */
};

struct msg_limits {
	int64_t max_message_size;	/* bytes; default 50 MiB */
	int max_mime_depth;		/* default 100 */
	int max_mime_parts;		/* default 10000 */
	int64_t max_header_size;	/* bytes, the whole header block; default 1 MiB */
	const char *const *charset_fallback;	/* NULL: charset_default_fallback */
};

struct msg {
	size_t size;			/* raw size */
	char *content_hash;		/* hex SHA-256 of the raw bytes */

	struct msg_header *headers;	/* top-level header fields, in order */
	size_t nheaders;

	char *message_id;		/* without <>; synthetic when absent */
	bool message_id_synthetic;
	char *in_reply_to;		/* first id of In-Reply-To, without <> */
	char **references;		/* without <>, in order */
	size_t nreferences;

	struct msg_addr from;		/* from.addr NULL when there is no usable From */
	struct msg_addrs reply_to, to, cc;
	char *return_path;		/* NULL absent, "" for the null sender <> */
	char *subject;			/* decoded, unfolded; "" when absent */
	int64_t date;			/* Unix time (UTC); 0 when absent or unparsable */
	char *content_language;

	char *text;			/* best text body, UTF-8; "" when none */
	char *text_new;			/* text without quoted history and signature */
	bool html;			/* an HTML body existed */
	bool text_from_html;		/* text was rendered from HTML */
	struct msg_attachment *attachments;
	size_t nattachments;

	bool auto_reply;
	char *auto_reply_reason;	/* NULL when not auto */
	bool bulk;			/* list or bulk mail (List-Id, Precedence) */
	bool machine;			/* written by a program: responder, mail system */
	bool bounce;
	struct msg_bounce_rcpt *bounce_rcpts;
	size_t nbounce_rcpts;
	char *bounce_original_id;	/* Message-ID of the bounced mail, if found */
	struct msg_auth_result *auth;
	size_t nauth;
	const char *language;		/* static: en cs sk pl hu de, or NULL */

	char **defects;			/* what was broken and repaired */
	size_t ndefects;
	bool over_limit;		/* a limit was hit; parsed partially */
};

/* Parse raw (len bytes; raw may contain NUL bytes). lim may be NULL for the
 * defaults. Returns a message the caller frees with msg_free(); never NULL. */
struct msg *msg_parse(const char *raw, size_t len, const struct msg_limits *lim);
void msg_free(struct msg **m);

/* The first header named name (case-insensitive), decoded value, or NULL.
 * Borrowed from m. */
const char *msg_header(const struct msg *m, const char *name);
/* Same, the raw (undecoded, unfolded) value. */
const char *msg_header_raw(const struct msg *m, const char *name);

/* Record a defect (printf-style); internal to the mail modules but
 * harmless elsewhere. At most 64 are kept. */
void msg_defect(struct msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
