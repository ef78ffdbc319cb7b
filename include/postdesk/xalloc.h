/* xalloc.h: allocation that either succeeds or ends the process.
 *
 * Out of memory is not a condition postdesk can handle message by message:
 * the process exits (EX_OSERR) and systemd restarts it; nothing is lost
 * because nothing is marked handled on IMAP before it is stored.
 * Every pointer these return is owned by the caller and freed with free(). */
#ifndef POSTDESK_XALLOC_H
#define POSTDESK_XALLOC_H

#include <stddef.h>

#include "postdesk/log.h"

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* reallocarray with overflow check */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* NULL stays NULL. */
char *xstrdup_null(const char *s);
char *xasprintf(const char *fmt, ...) PD_PRINTF(1, 2);

#endif
