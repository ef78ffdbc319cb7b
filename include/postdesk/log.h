/* log.h: one line per event, to standard error or syslog.
 *
 * Lines about a message carry the same keys everywhere (mailbox=, uid=,
 * msgid=, ticket=) so that one grep follows a message through the pipeline.
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

/* Set where lines go and the most verbose level that is written. */
void log_init(const char *ident, enum log_target target, enum log_level level);
void log_set_level(enum log_level level);
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
