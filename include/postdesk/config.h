/* config.h: the configuration, loaded once from a libconfig file.
 *
 * config.c is the only file that calls libconfig. Everything else receives
 * a const struct pd_config and never looks keys up by name. Durations are
 * seconds, sizes bytes. Secrets are never in this struct as literal config
 * text: only the paths of the files that hold them (checked for existence
 * and for mode 0600-or-stricter at load time).
 *
 * Every path in the struct is absolute (database may be ":memory:"): a
 * relative path in the file is relative to the directory of the config
 * file, and "credential:NAME" is resolved to $CREDENTIALS_DIRECTORY/NAME
 * (systemd LoadCredential=). */
#ifndef POSTDESK_CONFIG_H
#define POSTDESK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pd_tls {
	PD_TLS_IMPLICIT = 0,	/* TLS from the first byte (993, 465) */
	PD_TLS_STARTTLS,	/* plain, then STARTTLS, required */
	PD_TLS_NONE,		/* only when the config says so; logged */
};

enum pd_mark {
	PD_MARK_MOVE = 0,	/* UID MOVE (or COPY+\Deleted+UID EXPUNGE) to processed */
	PD_MARK_SEEN,		/* set \Seen and keep the message in place */
};

struct pd_imap {
	char *name;		/* account name for logs and state; default: user@host/mailbox */
	char *host;
	int port;		/* default 993 (implicit) or 143 (starttls, none) */
	enum pd_tls tls;
	char *ca_file;		/* NULL: the system store */
	char *user;
	char *password_file;	/* one of password_file, oauth2_token_file */
	char *oauth2_token_file;
	char *mailbox;		/* default "INBOX" */
	char *processed;	/* default "Processed" */
	char *quarantine;	/* default "Quarantine" */
	enum pd_mark mark;
	bool idle;		/* default true */
	int poll_interval;	/* seconds, default 60 */
	int timeout;		/* seconds, default 60 */
	char *queue;		/* queue for new tickets from this mailbox; NULL: first queue */
	int line;		/* config line, for messages */
};

struct pd_smtp {
	char *url;		/* smtp://host:587 or smtps://host:465 */
	enum pd_tls tls;	/* smtps://: implicit; smtp://: starttls (default) or none */
	char *ca_file;
	char *user;		/* NULL: no AUTH */
	char *password_file;
	char *oauth2_token_file;
	char *from;		/* "Example Support <support@example.com>" */
	char *from_name;	/* parsed from from */
	char *from_addr;
	char *bounce_address;	/* envelope sender of automatic mail; NULL: null sender <> */
	int timeout;		/* seconds, default 60 */
	int64_t retry_for;	/* seconds a failing row is retried, default 5 days */
};

struct pd_sla {
	int64_t first_response;	/* 0: no target */
	int64_t next_response;
	int64_t resolution;
};

struct pd_agent {
	char *name;		/* default: the email */
	char *email;		/* lower-cased */
	char **queues;		/* NULL-terminated; NULL: every queue */
	size_t nqueues;
	int line;
};

enum pd_assign {
	PD_ASSIGN_NONE = 0,
	PD_ASSIGN_ROUND_ROBIN,
	PD_ASSIGN_LEAST_OPEN,
};

enum pd_priority {
	PD_PRIO_LOW = 0,
	PD_PRIO_NORMAL,
	PD_PRIO_HIGH,
	PD_PRIO_URGENT,
};

struct pd_business_hours;

struct pd_queue {
	char *name;
	enum pd_priority priority;	/* default normal */
	enum pd_assign assign;
	char *supervisor;		/* address for SLA breaches; may be NULL */
	char *ack_template;		/* default "ack" */
	bool copy_replies;		/* other agents get a copy of a relayed reply; default true */
	struct pd_sla sla;
	/* Follow-ups (timers.h). Delays in calendar time; 0: never. */
	int64_t pending_reminder;	/* a pending ticket's customer is reminded; default 3 days */
	int64_t pending_close;		/* ... and the ticket closed; default 7 days */
	bool still_working;		/* at an agent's #remind with no answer yet, tell the
					 * customer we are on it; default false */
	bool survey;			/* ask a resolved ticket's customer for a rating; default true */
	int64_t survey_delay;		/* after the resolution; default 1 day */
	struct pd_business_hours *hours;	/* owned; NULL: the global business_hours */
	int line;
};

/* Where a routing condition looks. */
enum pd_match_on {
	PD_ON_HEADER = 0,	/* the named header (all its occurrences) */
	PD_ON_SENDER,		/* the From address */
	PD_ON_RECIPIENT,	/* any To/Cc address */
	PD_ON_TEXT,		/* the whole best text */
	PD_ON_TEXT_NEW,		/* the text without quoted history */
	PD_ON_ATTACHMENT,	/* any attachment file name */
};

struct pd_match {
	enum pd_match_on on;
	char *header;		/* for PD_ON_HEADER */
	char *regex;		/* source text; compiled by route.c (it compiled
				 * with PCRE2_UTF when the config was loaded) */
	bool negate;
	int line;
};

struct pd_rule {
	char *name;
	struct pd_match *match;	/* at least one; the rule matches when all do */
	size_t nmatch;
	bool every;		/* on = "every": replies as well as new tickets */
	/* actions; NULL / -1 = not set */
	char *queue;
	int priority;		/* enum pd_priority or -1 */
	char *assign;		/* agent email (the config may name the agent) */
	char **tags;		/* NULL-terminated or NULL */
	char *language;		/* en, cs, sk, pl, hu, de */
	char *template;
	int ack;		/* -1 unset, 0 no ack, 1 ack */
	char **notify;		/* NULL-terminated or NULL */
	bool ignore;
	bool spam;
	bool stop;
	int line;
};

/* One range of working time, minutes since midnight. */
struct pd_hours_range {
	int start, end;
};

/* Without business_hours in the file: every day, 00:00-24:00, UTC (SLA
 * clocks always run). With it: days default Mon-Fri, hours 09:00-17:00. */
struct pd_business_hours {
	char *timezone;		/* IANA name, default "UTC" */
	unsigned days;		/* bit 0 = Sunday ... bit 6 = Saturday */
	struct pd_hours_range ranges[8];	/* sorted, not overlapping; end may be 1440 */
	size_t nranges;
	char **holidays;	/* "YYYY-MM-DD" or "MM-DD" (yearly) */
	size_t nholidays;
};

struct pd_config {
	char *path;		/* the file this came from */
	char *database;
	char *tag;		/* default "Support" */
	char *secret_file;	/* NULL when not configured */
	char *log;		/* "stderr" (default) or "syslog" */
	char *log_level;	/* default "info" */
	struct pd_imap *imap;	/* the mailboxes; none: mail comes only by "deliver" */
	size_t nimap;
	struct pd_smtp smtp;	/* smtp.url NULL: no outgoing mail configured */
	bool has_smtp;
	struct pd_agent *agents;
	size_t nagents;
	struct pd_queue *queues;	/* at least one; a "general" default if none given */
	size_t nqueues;
	struct pd_business_hours hours;	/* a queue's own, if it has them, go first */
	struct pd_rule *rules;
	size_t nrules;
	char *templates_dir;	/* default SYSCONFDIR "/postdesk/templates" */
	char *default_language;	/* default "en" */
	int ack_limit_count;	/* default 3 */
	int64_t ack_limit_period;	/* default 3600 */
	bool agent_auth_results;	/* agent_auth = "authentication-results" */
	char *trusted_authserv_id;
	/* limits for the parser (limits = { ... }) */
	int64_t max_message_size;	/* default 50 MiB */
	int max_mime_depth;		/* default 100 */
	int max_mime_parts;		/* default 10000 */
	int64_t max_header_size;	/* default 1 MiB */
	char **charset_fallback;	/* NULL-terminated; default utf-8, windows-1250, iso-8859-2, windows-1252 */
};

/* The business hours of queue q: its own, else the global ones. */
const struct pd_business_hours *config_queue_hours(const struct pd_config *cfg,
    const struct pd_queue *q);

/* The queue called name, or NULL. */
const struct pd_queue *config_queue(const struct pd_config *cfg, const char *name);

/* Every problem found, one "FILE:LINE: message" per entry (owned), in
 * file and line order. A file that cannot be read at all gives one
 * "FILE: message" line. */
struct config_errors {
	char **lines;
	size_t count;
};

/* The path used when no -c is given: $POSTDESK_CONFIG, else the built-in
 * default under sysconfdir. Borrowed string. */
const char *config_default_path(void);

/* Load and validate. Returns 0 and a config the caller frees with
 * config_free(), or -1 with every problem in *errs_r (free with
 * config_errors_free(); it is empty after success). Reports all problems,
 * not just the first. Secret files are checked, not read. */
int config_load(const char *path, struct pd_config **cfg_r,
    struct config_errors *errs_r);
void config_free(struct pd_config **cfg);
void config_errors_free(struct config_errors *errs);

/* Parse "90s", "15m", "4h", "2d", "1w", "1h30m" into seconds; bare numbers
 * are seconds. Units go largest first, each once; no spaces, no sign.
 * Returns 0 or -1. */
int config_parse_duration(const char *s, int64_t *secs_r);
/* Parse "512", "64K", "50M", "1G" (also "50MB", "1T") into bytes; the
 * units are powers of 1024. Returns 0 or -1. */
int config_parse_size(const char *s, int64_t *bytes_r);

/* Read a secret (password, token, HMAC key) from a file named in the
 * config. "credential:NAME" reads $CREDENTIALS_DIRECTORY/NAME (systemd
 * LoadCredential=). Trailing newlines (CR, LF) are removed; an empty file,
 * one with a NUL byte, one over 64 KiB or one readable by group or others
 * (credentials excepted) is refused. Returns a string the caller frees
 * (and should wipe), or NULL with *error_r set (caller frees it too). */
char *config_read_secret(const char *path, char **error_r);

#endif
