/* compose.h: an outgoing message as RFC 5322 bytes.
 *
 * Everything postdesk sends is built here, so that every mail is well
 * formed the same way: Date, our Message-ID, In-Reply-To/References of the
 * thread, MIME-Version, UTF-8 text as quoted-printable when it is not
 * plain ASCII (or has long lines), RFC 2047 for non-ASCII names and
 * subjects, header lines folded within 78 characters, Thread-Topic and
 * Thread-Index for Outlook, and on automatic mail Auto-Submitted and
 * X-Auto-Response-Suppress (RFC 3834). Nothing a customer wrote can add a
 * header: CR, LF and other controls in names and subjects become spaces. */
#ifndef POSTDESK_COMPOSE_H
#define POSTDESK_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct compose_addr {
	const char *name;	/* UTF-8, may be NULL */
	const char *addr;
};

struct compose {
	struct compose_addr from;
	const struct compose_addr *reply_to;	/* NULL: none */
	const struct compose_addr *to;
	size_t nto;
	const struct compose_addr *cc;
	size_t ncc;
	const char *subject;		/* UTF-8 */
	const char *message_id;		/* without <> */
	const char *in_reply_to;	/* without <>, or NULL */
	const char *const *references;	/* without <>, oldest first */
	size_t nreferences;
	int64_t date;			/* Unix time */
	bool automatic;			/* an acknowledgement, reminder...: RFC 3834 headers */
	const char *thread_topic;	/* the ticket's subject, for Outlook; NULL: none */
	const unsigned char *thread_guid;	/* 16 bytes naming the ticket's thread, or NULL */
	int64_t thread_started;		/* Unix time the thread began */
	const char *body;		/* UTF-8 text, LF or CRLF line ends */
};

/* The whole message, CRLF line ends; the caller frees it. */
char *compose_message(const struct compose *c, size_t *len_r);

/* Header-safe copy of a UTF-8 value: controls (CR, LF, TAB, NUL, DEL, C1)
 * become spaces, runs of spaces collapse, the ends are trimmed. The caller
 * frees it. */
char *compose_clean(const char *s);

#endif
