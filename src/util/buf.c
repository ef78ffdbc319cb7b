/* buf.c: see buf.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/buf.h"
#include "postdesk/xalloc.h"

void
pd_buf_init(struct pd_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

static int
buf_reserve(struct pd_buf *b, size_t n)
{
	size_t need, a;

	if (n > b->max - b->len)
		return -1;
	need = b->len + n + 1;
	if (need <= b->alloc)
		return 0;
	a = b->alloc ? b->alloc : 64;
	while (a < need)
		a = a > ((size_t)-1) / 2 ? need : a * 2;
	b->data = xrealloc(b->data, a);
	b->alloc = a;
	return 0;
}

int
pd_buf_add(struct pd_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
pd_buf_adds(struct pd_buf *b, const char *s)
{
	return pd_buf_add(b, s, strlen(s));
}

int
pd_buf_addc(struct pd_buf *b, char c)
{
	/* byte-at-a-time decoders call this per byte: skip buf_reserve
	 * while there is room */
	if (b->len < b->max && b->len + 2 <= b->alloc) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return pd_buf_add(b, &c, 1);
}

int
pd_buf_printf(struct pd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *
pd_buf_str(const struct pd_buf *b)
{
	return b->data ? b->data : "";
}

void
pd_buf_reset(struct pd_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
pd_buf_truncate(struct pd_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

char *
pd_buf_steal(struct pd_buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->alloc = 0;
	return s;
}

void
pd_buf_free(struct pd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}
