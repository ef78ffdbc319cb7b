/* buf.h: a growable byte buffer with a hard size cap (curl's dynbuf idea).
 *
 * The cap is required: every buffer fed from the network or a message has a
 * limit, so a hostile message cannot make postdesk grow without bound.
 * The data is always NUL-terminated (the NUL is not counted in len). */
#ifndef POSTDESK_BUF_H
#define POSTDESK_BUF_H

#include <stddef.h>

#include "postdesk/log.h"

struct pd_buf {
	char *data;	/* owned; NULL until the first add */
	size_t len;
	size_t alloc;
	size_t max;	/* len never exceeds max */
};

void pd_buf_init(struct pd_buf *b, size_t max);
/* Append; returns 0, or -1 when the result would exceed max (the buffer
 * then holds what it held before the call). */
int pd_buf_add(struct pd_buf *b, const void *p, size_t n);
int pd_buf_adds(struct pd_buf *b, const char *s);
int pd_buf_addc(struct pd_buf *b, char c);
int pd_buf_printf(struct pd_buf *b, const char *fmt, ...) PD_PRINTF(2, 3);
/* The string so far (never NULL; "" when empty). Borrowed from b. */
const char *pd_buf_str(const struct pd_buf *b);
/* Drop the contents, keep the allocation. */
void pd_buf_reset(struct pd_buf *b);
/* Shorten to len bytes (len <= b->len). */
void pd_buf_truncate(struct pd_buf *b, size_t len);
/* Hand the string to the caller (free() it) and leave b empty. */
char *pd_buf_steal(struct pd_buf *b);
void pd_buf_free(struct pd_buf *b);

#endif
