/* daemon.h: the long-running loop of "postdesk daemon".
 *
 * One loop, one thread: fetch every mailbox that is due, send the outbox,
 * then wait for the first of: IMAP IDLE saying something on a mailbox
 * that has it, the next poll of the others, the outbox's next due row,
 * the service manager's watchdog, a signal. Mailboxes that fail are
 * retried with exponential backoff and jitter (1 s ... 5 min). CPU use
 * while waiting is zero: the process sleeps in poll(2).
 *
 * Signals: TERM and INT finish the message in hand (a fetch stops after
 * the message being stored, the outbox after the one being sent) and
 * return; HUP loads the config again and swaps it in only when it is
 * valid (daemon_internal.h, reload.c say what needs a restart); USR1
 * fetches now. systemd: READY=1 once every mailbox was tried, STATUS=
 * with a live line, WATCHDOG=1 when WatchdogSec= is set, STOPPING=1.
 *
 * A daemon takes the lock of each of its mailboxes and tries for the
 * sender role (lock.h); it refuses to start when another process serves
 * one of its mailboxes. */
#ifndef POSTDESK_DAEMON_H
#define POSTDESK_DAEMON_H

#include <stdbool.h>

struct ingest;
struct pd_config;

/* Run until TERM/INT. ig must be initialised for *cfgp on its store. A
 * reload replaces *cfgp (the old one is freed) and re-initialises ig for
 * it; on return the caller frees what is then in *cfgp and ig as usual.
 * debug: -d was given; it wins over log_level. Returns the process exit
 * code: 0 after a clean stop, 75 when another daemon serves the same
 * mailboxes, 73 when the lock file cannot be made, 71 without signals. */
int daemon_run(struct ingest *ig, struct pd_config **cfgp, bool debug);

#endif
