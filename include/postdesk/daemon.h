/* daemon.h: the long-running loop of "postdesk daemon".
 *
 * One loop, one thread: fetch every mailbox that is due, then wait for the
 * first of: IMAP IDLE saying something on a mailbox that has it, the next
 * poll of the others, a signal. Mailboxes that fail are retried with
 * exponential backoff and jitter (1 s ... 5 min). CPU use while waiting is
 * zero: the process sleeps in poll(2).
 *
 * Signals: TERM and INT finish the message in hand and return; USR1
 * fetches now. */
#ifndef POSTDESK_DAEMON_H
#define POSTDESK_DAEMON_H

struct ingest;
struct pd_config;

/* Run until TERM/INT; returns the process exit code (0 after a clean stop). */
int daemon_run(struct ingest *ig, const struct pd_config *cfg);

#endif
