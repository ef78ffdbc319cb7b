/* log.h: one line per event, to standard error or syslog.
 *
 * Lines about a message carry the same keys everywhere, so that one grep
 * follows a message through the pipeline:
 *   mailbox=NAME   the configured mailbox's name (imap.name; for deliver
 *                  the --mailbox argument, else "-")
 *   uid=N          its IMAP UID (0 for deliver)
 *   msgid=<ID>     its Message-ID, with the angle brackets
 *   ticket=N       the ticket it went to (0: none)
 * Outgoing mail adds outbox id= and kind=. Keys come after "area: ".
 *
 * Levels have the Postfix/OpenSMTPD meanings: error = something failed and
 * was handled, warn = suspicious but going on, fatal = cannot continue. */
#ifndef POSTDESK_LOG_H
#define POSTDESK_LOG_H

#include <stdarg.h>

#define PD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PD_NORETURN __attribute__((noreturn))

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum log_target {
	LOG_TO_STDERR = 0,
	LOG_TO_SYSLOG,
};

/* Set where lines go and the most verbose level that is written. syslog:
 * facility mail, the ident, the pid; error, warning, info and debug become
 * LOG_ERR, LOG_WARNING, LOG_INFO and LOG_DEBUG. */
void log_init(const char *ident, enum log_target target, enum log_level level);
void log_set_target(enum log_target target);
void log_set_level(enum log_level level);
/* "stderr", "syslog" → target; returns 0 or -1. */
int log_target_parse(const char *name, enum log_target *target_r);
enum log_level log_get_level(void);

/* "error", "warning", "info", "debug" → level; returns 0 or -1. */
int log_level_parse(const char *name, enum log_level *level_r);

void log_error(const char *fmt, ...) PD_PRINTF(1, 2);
void log_warn(const char *fmt, ...) PD_PRINTF(1, 2);
void log_info(const char *fmt, ...) PD_PRINTF(1, 2);
void log_debug(const char *fmt, ...) PD_PRINTF(1, 2);
/* An impossible state or an unrecoverable resource failure: log, exit 70. */
void log_fatal(const char *fmt, ...) PD_PRINTF(1, 2) PD_NORETURN;

#endif
