/* lock.h: which process serves which mailbox of a database.
 *
 * Two daemons on one database would fetch the same mailbox twice and,
 * worse, send the same outbox row twice (a row is claimed without a
 * compare-and-set). So each mailbox is served by one process at a time,
 * and one process at a time is "the sender" (outbox, and the timers that
 * queue mail). Two daemons may share a database when their configurations
 * divide the mailboxes between them; whichever holds the sender lock
 * sends, and another takes the role over when that one stops.
 *
 * The locks are POSIX record locks (fcntl F_SETLK) on one file beside the
 * database, "<database>.lock": byte 0 is the sender, and each mailbox
 * name has one byte at an offset hashed from its name (64-bit FNV-1a; two
 * names meeting by chance, about 1 in 2^62, would only make the second
 * daemon refuse to start). Record locks, unlike flock(2), let one file
 * hold many locks and tell who holds a lock (F_GETLK gives the pid).
 * They vanish with the process, however it ends; nothing to clean up.
 *
 * Only the commands that fetch or send take them: "postdesk daemon" and
 * "fetch --once". deliver and the commands that read never do. */
#ifndef POSTDESK_LOCK_H
#define POSTDESK_LOCK_H

#include <sys/types.h>

struct pd_lock;

/* Open (create, mode 0600) database + ".lock". For ":memory:" a lock
 * object that never conflicts. 0 and *l_r (free with lock_close), or -1
 * with *error_r (caller frees). */
int lock_open(const char *database, struct pd_lock **l_r, char **error_r);

/* Take the lock of mailbox name, without waiting. 0: taken (or already
 * ours); 1: another process holds it, *holder_r its pid (0 if unknown);
 * -1 with *error_r (caller frees). */
int lock_mailbox(struct pd_lock *l, const char *name, pid_t *holder_r, char **error_r);
void lock_mailbox_release(struct pd_lock *l, const char *name);

/* The sender role, as lock_mailbox. */
int lock_sender(struct pd_lock *l, pid_t *holder_r, char **error_r);

/* The lock file's path (borrowed; "" for ":memory:"). */
const char *lock_path(const struct pd_lock *l);

/* Release everything and free; NULL is fine; sets *l to NULL. */
void lock_close(struct pd_lock **l);

#endif
