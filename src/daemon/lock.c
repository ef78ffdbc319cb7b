/* lock.c: see lock.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postdesk/lock.h"
#include "postdesk/xalloc.h"

#define SENDER_BYTE 0

struct pd_lock {
	int fd;		/* -1 for ":memory:" */
	char *path;	/* owned */
};

int
lock_open(const char *database, struct pd_lock **l_r, char **error_r)
{
	struct pd_lock *l = xcalloc(1, sizeof(*l));

	l->fd = -1;
	if (strcmp(database, ":memory:") == 0) {
		l->path = xstrdup("");
		*l_r = l;
		return 0;
	}
	l->path = xasprintf("%s.lock", database);
	l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (l->fd < 0) {
		*error_r = xasprintf("cannot open the lock file %s: %s", l->path,
		    strerror(errno));
		free(l->path);
		free(l);
		return -1;
	}
	*l_r = l;
	return 0;
}

/* 64-bit FNV-1a of name, folded into 1 .. 2^62: byte 0 is the sender's,
 * and the offset stays far below the largest off_t. */
static off_t
name_offset(const char *name)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= UINT64_C(1099511628211);
	}
	return (off_t)(h % (UINT64_C(1) << 62)) + 1;
}

static int
lock_byte(struct pd_lock *l, off_t at, const char *what, pid_t *holder_r, char **error_r)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };

	*holder_r = 0;
	if (l->fd < 0)
		return 0;
	if (fcntl(l->fd, F_SETLK, &fl) == 0)
		return 0;
	if (errno != EACCES && errno != EAGAIN) {
		*error_r = xasprintf("cannot lock %s in %s: %s", what, l->path, strerror(errno));
		return -1;
	}
	/* Who has it: for the message only (it may be gone by now). */
	fl.l_type = F_WRLCK;
	if (fcntl(l->fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		*holder_r = fl.l_pid;
	return 1;
}

int
lock_mailbox(struct pd_lock *l, const char *name, pid_t *holder_r, char **error_r)
{
	return lock_byte(l, name_offset(name), name, holder_r, error_r);
}

void
lock_mailbox_release(struct pd_lock *l, const char *name)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET,
		.l_start = name_offset(name), .l_len = 1 };

	if (l->fd >= 0)
		(void)fcntl(l->fd, F_SETLK, &fl);
}

int
lock_sender(struct pd_lock *l, pid_t *holder_r, char **error_r)
{
	return lock_byte(l, SENDER_BYTE, "the sender role", holder_r, error_r);
}

const char *
lock_path(const struct pd_lock *l)
{
	return l->path;
}

void
lock_close(struct pd_lock **lp)
{
	struct pd_lock *l = *lp;

	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);	/* drops every record lock of this process on it */
	free(l->path);
	free(l);
	*lp = NULL;
}
