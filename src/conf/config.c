/* config.c: load and validate postdesk.conf (libconfig).
 *
 * The only file that calls libconfig. Each group of the file is described
 * by a table of keys (name, kind, where the value goes, default), in the
 * spirit of Postfix's VAR_/DEF_ pairs: load_keys() walks one libconfig
 * group against its table, so unknown keys, wrong types, bad values and
 * missing required keys are found the same way at every level. What a
 * table cannot say (references between sections, "exactly one of", values
 * that depend on others) is checked by the section's own function.
 *
 * Every problem is collected, not only the first, as "FILE:LINE: message";
 * they are sorted by file and line before they are returned.
 *
 * Relative paths in the file (database, secret_file, password_file,
 * oauth2_token_file, ca_file, templates.dir) are relative to the directory
 * of the config file, and are made absolute here, so the daemon may chdir
 * freely and "postdesk -c conf/x.conf" means the same from anywhere.
 * "credential:NAME" stands for $CREDENTIALS_DIRECTORY/NAME (systemd
 * LoadCredential=). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "postdesk/buf.h"
#include "postdesk/config.h"
#include "postdesk/xalloc.h"
#include "confval.h"

/* Enums are filled through an int lvalue (K_ENUM below). */
_Static_assert(sizeof(enum pd_tls) == sizeof(int), "enum size");
_Static_assert(sizeof(enum pd_mark) == sizeof(int), "enum size");
_Static_assert(sizeof(enum pd_priority) == sizeof(int), "enum size");
_Static_assert(sizeof(enum pd_assign) == sizeof(int), "enum size");

enum kind {
	K_STR,		/* char *, not empty; key->check, if any, must accept it */
	K_CHOICE,	/* char *, one of key->choices */
	K_ADDR,		/* char *, an address; F_LOWER lower-cases it */
	K_PATH,		/* char *, made absolute; F_FILE / F_DIR: must exist */
	K_SECRET,	/* char *, a secret file or credential:NAME, resolved, checked */
	K_INT,		/* int in [min, max] */
	K_BOOL,		/* bool */
	K_TRI,		/* int: -1 unset, 0 false, 1 true */
	K_ENUM,		/* an int-sized enum: the index of the value in key->choices */
	K_DUR,		/* int64_t seconds in [min, max] */
	K_DUR_INT,	/* int seconds in [min, max] */
	K_SIZE,		/* int64_t bytes in [min, max] */
	K_STRLIST,	/* char **, NULL-terminated; a size_t count at count_off */
	K_CUSTOM,	/* a known key that the section's own code reads */
};

#define F_REQ		0x01	/* missing is an error */
#define F_FILE		0x02	/* K_PATH: an existing regular file */
#define F_DIR		0x04	/* K_PATH: an existing directory */
#define F_LOWER		0x08	/* K_ADDR: store lower-cased */
#define F_MEMORY	0x10	/* K_PATH: ":memory:" is kept as it is */
#define NO_COUNT	((size_t)-1)

struct key {
	const char *name;
	enum kind kind;
	size_t off;			/* of the field in the struct being filled */
	unsigned flags;
	int64_t min, max;		/* K_INT, K_DUR, K_DUR_INT, K_SIZE */
	const char *const *choices;	/* K_CHOICE, K_ENUM: NULL-terminated */
	size_t count_off;		/* K_STRLIST: where the count goes, or NO_COUNT */
	bool (*check)(const char *);	/* K_STR and K_STRLIST elements */
	const char *check_msg;		/* follows the quoted value when check fails */
	const char *example;		/* value shown when a required key is missing */
	const char *def_str;		/* default of string kinds */
	int64_t def_num;		/* default of numbers, bools and enums */
};

/* Table rows: designated, so that only what a key needs is written. */
#define KEY(n, k, type, field, fl) \
	.name = (n), .kind = (k), .off = offsetof(type, field), .flags = (fl)
#define CUSTOM(n)	.name = (n), .kind = K_CUSTOM
#define NKEYS(t)	(sizeof(t) / sizeof((t)[0]))
#define FIELD(obj, off, type)	((type *)(void *)((char *)(obj) + (off)))

static const char *const tls_names[] = { "implicit", "starttls", "none", NULL };
static const char *const mark_names[] = { "move", "seen", NULL };
static const char *const prio_names[] = { "low", "normal", "high", "urgent", NULL };
static const char *const assign_names[] = { "none", "round-robin", "least-open", NULL };
static const char *const log_names[] = { "stderr", "syslog", NULL };
static const char *const level_names[] = { "error", "warning", "info", "debug", NULL };
static const char *const lang_names[] = { "en", "cs", "sk", "pl", "hu", "de", NULL };
/* field = ...: enum pd_match_on from PD_ON_SENDER on (headers have header =) */
static const char *const field_names[] = {
	"sender", "recipient", "text", "text_new", "attachment", NULL
};
static const char *const on_names[] = { "new", "every", NULL };
static const char *const auth_names[] = { "address", "authentication-results", NULL };

static const char *const default_charsets[] = {
	"utf-8", "windows-1250", "iso-8859-2", "windows-1252", NULL
};

#define DAY	86400
#define MIB	(INT64_C(1) << 20)

/* --- the schema ----------------------------------------------------------- */

static const struct key top_keys[] = {
	{ KEY("database", K_PATH, struct pd_config, database, F_REQ | F_MEMORY),
	  .example = "\"/var/lib/postdesk/postdesk.db\"" },
	{ KEY("tag", K_STR, struct pd_config, tag, 0), .def_str = "Support",
	  .check = confval_tag_ok,
	  .check_msg = "is not a valid tag (1-32 letters, digits, '.', '_' or '-'; "
	  "it appears as [Tag #123])" },
	{ KEY("secret_file", K_SECRET, struct pd_config, secret_file, 0) },
	{ KEY("log", K_CHOICE, struct pd_config, log, 0), .choices = log_names,
	  .def_str = "stderr" },
	{ KEY("log_level", K_CHOICE, struct pd_config, log_level, 0),
	  .choices = level_names, .def_str = "info" },
	{ CUSTOM("imap") },
	{ CUSTOM("smtp") },
	{ CUSTOM("agents") },
	{ CUSTOM("queues") },
	{ CUSTOM("business_hours") },
	{ CUSTOM("rules") },
	{ CUSTOM("templates") },
	{ CUSTOM("ack_limit") },
	{ CUSTOM("agent_auth") },
	{ KEY("trusted_authserv_id", K_STR, struct pd_config, trusted_authserv_id, 0) },
	{ CUSTOM("limits") },
	{ KEY("charset_fallback", K_STRLIST, struct pd_config, charset_fallback, 0),
	  .count_off = NO_COUNT, .check = confval_charset_ok,
	  .check_msg = "is not a charset iconv knows (see iconv -l)" },
};

/* templates = { ... }, ack_limit = { ... } and limits = { ... } fill
 * struct pd_config directly. */
static const struct key templates_keys[] = {
	{ KEY("dir", K_PATH, struct pd_config, templates_dir, F_DIR),
	  .def_str = SYSCONFDIR "/postdesk/templates" },
	{ KEY("default_language", K_CHOICE, struct pd_config, default_language, 0),
	  .choices = lang_names, .def_str = "en" },
};

static const struct key ack_limit_keys[] = {
	{ KEY("count", K_INT, struct pd_config, ack_limit_count, 0), .min = 1, .max = 10000,
	  .def_num = 3 },
	{ KEY("period", K_DUR, struct pd_config, ack_limit_period, 0), .min = 1, .max = 366 * DAY,
	  .def_num = 3600 },
};

static const struct key limits_keys[] = {
	{ KEY("max_message_size", K_SIZE, struct pd_config, max_message_size, 0),
	  .min = 1024, .max = INT64_C(1) << 40, .def_num = 50 * MIB },
	{ KEY("max_mime_depth", K_INT, struct pd_config, max_mime_depth, 0), .min = 1, .max = 1000,
	  .def_num = 100 },
	{ KEY("max_mime_parts", K_INT, struct pd_config, max_mime_parts, 0), .min = 1, .max = 1000000,
	  .def_num = 10000 },
	{ KEY("max_header_size", K_SIZE, struct pd_config, max_header_size, 0),
	  .min = 1024, .max = INT64_C(1) << 30, .def_num = MIB },
};

static const struct key imap_keys[] = {
	{ KEY("name", K_STR, struct pd_imap, name, 0) },
	{ KEY("host", K_STR, struct pd_imap, host, F_REQ), .example = "\"imap.example.com\"" },
	{ KEY("port", K_INT, struct pd_imap, port, 0), .min = 1, .max = 65535 },	/* 0: by tls */
	{ KEY("tls", K_ENUM, struct pd_imap, tls, 0), .choices = tls_names },
	{ KEY("ca_file", K_PATH, struct pd_imap, ca_file, F_FILE) },
	{ KEY("user", K_STR, struct pd_imap, user, F_REQ), .example = "\"support@example.com\"" },
	{ KEY("password_file", K_SECRET, struct pd_imap, password_file, 0) },
	{ KEY("oauth2_token_file", K_SECRET, struct pd_imap, oauth2_token_file, 0) },
	{ KEY("mailbox", K_STR, struct pd_imap, mailbox, 0), .def_str = "INBOX" },
	{ KEY("processed", K_STR, struct pd_imap, processed, 0), .def_str = "Processed" },
	{ KEY("quarantine", K_STR, struct pd_imap, quarantine, 0), .def_str = "Quarantine" },
	{ KEY("mark", K_ENUM, struct pd_imap, mark, 0), .choices = mark_names },
	{ KEY("idle", K_BOOL, struct pd_imap, idle, 0), .def_num = 1 },
	{ KEY("poll_interval", K_DUR_INT, struct pd_imap, poll_interval, 0), .min = 5, .max = DAY,
	  .def_num = 60 },
	{ KEY("timeout", K_DUR_INT, struct pd_imap, timeout, 0), .min = 1, .max = 3600, .def_num = 60 },
	{ KEY("queue", K_STR, struct pd_imap, queue, 0) },
};

static const struct key smtp_keys[] = {
	{ KEY("url", K_STR, struct pd_smtp, url, F_REQ), .example = "\"smtp://localhost:587\"" },
	{ KEY("tls", K_ENUM, struct pd_smtp, tls, 0), .choices = tls_names },
	{ KEY("ca_file", K_PATH, struct pd_smtp, ca_file, F_FILE) },
	{ KEY("user", K_STR, struct pd_smtp, user, 0) },
	{ KEY("password_file", K_SECRET, struct pd_smtp, password_file, 0) },
	{ KEY("oauth2_token_file", K_SECRET, struct pd_smtp, oauth2_token_file, 0) },
	{ KEY("from", K_STR, struct pd_smtp, from, F_REQ),
	  .example = "\"Example Support <support@example.com>\"" },
	{ KEY("bounce_address", K_ADDR, struct pd_smtp, bounce_address, 0) },
	{ KEY("timeout", K_DUR_INT, struct pd_smtp, timeout, 0), .min = 1, .max = 3600, .def_num = 60 },
	{ KEY("retry_for", K_DUR, struct pd_smtp, retry_for, 0), .min = 60, .max = 366 * DAY,
	  .def_num = 5 * DAY },
};

static const struct key agent_keys[] = {
	{ KEY("name", K_STR, struct pd_agent, name, 0) },
	{ KEY("email", K_ADDR, struct pd_agent, email, F_REQ | F_LOWER),
	  .example = "\"alice@example.com\"" },
	{ KEY("queues", K_STRLIST, struct pd_agent, queues, 0),
	  .count_off = offsetof(struct pd_agent, nqueues) },
};

static const struct key queue_keys[] = {
	{ KEY("name", K_STR, struct pd_queue, name, F_REQ), .example = "\"general\"",
	  .check = confval_name_ok,
	  .check_msg = "is not a valid queue name (1-64 letters, digits, '.', '_' or '-'; "
	  "agents type it in #queue commands)" },
	{ KEY("priority", K_ENUM, struct pd_queue, priority, 0), .choices = prio_names,
	  .def_num = PD_PRIO_NORMAL },
	{ KEY("assign", K_ENUM, struct pd_queue, assign, 0), .choices = assign_names },
	{ KEY("supervisor", K_ADDR, struct pd_queue, supervisor, F_LOWER) },
	{ KEY("ack_template", K_STR, struct pd_queue, ack_template, 0), .def_str = "ack" },
	{ KEY("copy_replies", K_BOOL, struct pd_queue, copy_replies, 0), .def_num = 1 },
	{ CUSTOM("sla") },
	{ KEY("pending_reminder", K_DUR, struct pd_queue, pending_reminder, 0), .min = 0,
	  .max = 366 * DAY, .def_num = 3 * DAY },
	{ KEY("pending_close", K_DUR, struct pd_queue, pending_close, 0), .min = 0,
	  .max = 366 * DAY, .def_num = 7 * DAY },
	{ KEY("still_working", K_BOOL, struct pd_queue, still_working, 0) },
	{ KEY("survey", K_BOOL, struct pd_queue, survey, 0), .def_num = 1 },
	{ KEY("survey_delay", K_DUR, struct pd_queue, survey_delay, 0), .min = 0,
	  .max = 90 * DAY, .def_num = DAY },
	{ CUSTOM("business_hours") },
};

static const struct key sla_keys[] = {
	{ KEY("first_response", K_DUR, struct pd_sla, first_response, 0), .min = 0, .max = 366 * DAY },
	{ KEY("next_response", K_DUR, struct pd_sla, next_response, 0), .min = 0, .max = 366 * DAY },
	{ KEY("resolution", K_DUR, struct pd_sla, resolution, 0), .min = 0, .max = 366 * DAY },
};

static const struct key hours_keys[] = {
	{ KEY("timezone", K_STR, struct pd_business_hours, timezone, 0), .def_str = "UTC",
	  .check = confval_timezone_ok,
	  .check_msg = "is not a time zone: there is no such file under " CONFVAL_ZONEINFO
	  " (use an IANA name such as \"Europe/Prague\"; see timedatectl list-timezones)" },
	{ CUSTOM("days") },
	{ CUSTOM("hours") },
	{ KEY("holidays", K_STRLIST, struct pd_business_hours, holidays, 0),
	  .count_off = offsetof(struct pd_business_hours, nholidays),
	  .check = confval_holiday_ok,
	  .check_msg = "is not a date (use \"YYYY-MM-DD\", or \"MM-DD\" for every year)" },
};

static bool
header_name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == ':')
			return false;
	return true;
}

/* One condition: in a rule itself, or in each group of its match list. */
static const struct key cond_keys[] = {
	{ KEY("header", K_STR, struct pd_match, header, 0), .check = header_name_ok,
	  .check_msg = "is not a header name (write it without ':', e.g. \"Subject\")" },
	{ CUSTOM("field") },
	{ KEY("regex", K_STR, struct pd_match, regex, 0) },
	{ KEY("not", K_BOOL, struct pd_match, negate, 0) },
};

static const struct key rule_keys[] = {
	{ KEY("name", K_STR, struct pd_rule, name, F_REQ), .example = "\"billing\"" },
	{ CUSTOM("header") },
	{ CUSTOM("field") },
	{ CUSTOM("regex") },
	{ CUSTOM("not") },
	{ CUSTOM("match") },
	{ CUSTOM("on") },
	{ KEY("queue", K_STR, struct pd_rule, queue, 0) },
	{ KEY("priority", K_ENUM, struct pd_rule, priority, 0), .choices = prio_names,
	  .def_num = -1 },
	{ KEY("assign", K_STR, struct pd_rule, assign, 0) },
	{ KEY("tags", K_STRLIST, struct pd_rule, tags, 0), .count_off = NO_COUNT },
	{ KEY("language", K_CHOICE, struct pd_rule, language, 0), .choices = lang_names },
	{ KEY("template", K_STR, struct pd_rule, template, 0) },
	{ KEY("ack", K_TRI, struct pd_rule, ack, 0), .def_num = -1 },
	{ KEY("notify", K_STRLIST, struct pd_rule, notify, 0), .count_off = NO_COUNT,
	  .check = confval_address_ok, .check_msg = "is not an email address" },
	{ KEY("ignore", K_BOOL, struct pd_rule, ignore, 0) },
	{ KEY("spam", K_BOOL, struct pd_rule, spam, 0) },
	{ KEY("stop", K_BOOL, struct pd_rule, stop, 0) },
};

/* --- errors ------------------------------------------------------------- */

struct cerr {
	size_t rank;		/* which file: the order of first appearance */
	unsigned line;
	size_t seq;		/* the order found, for a stable sort */
	char *text;		/* "FILE:LINE: message", owned */
};

struct loader {
	const char *path;	/* the config file as named */
	char *dir;		/* its absolute directory, for relative paths; owned */
	struct pd_config *cfg;
	struct cerr *errs;	/* owned */
	size_t nerrs, aerrs;
	char **files;		/* file names in order of first error; owned */
	size_t nfiles;
};

/* An error quotes values from the file, and a libconfig string may hold a
 * line break or any control byte: each becomes a visible \xNN, so that
 * one error stays one line of check-config's output or of the log. Takes
 * s and returns the text to keep (s or a new string). */
static char *
one_line(char *s)
{
	struct pd_buf b;
	size_t n = 0;

	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			n++;
	if (n == 0)
		return s;
	pd_buf_init(&b, strlen(s) + 3 * n + 1);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			pd_buf_printf(&b, "\\x%02x", (unsigned char)*p);
		else
			pd_buf_addc(&b, *p);
	free(s);
	return pd_buf_steal(&b);
}

static void
add_error(struct loader *L, const char *file, unsigned line, const char *msg)
{
	struct cerr *e;
	size_t rank;

	for (rank = 0; rank < L->nfiles; rank++)
		if (strcmp(L->files[rank], file) == 0)
			break;
	if (rank == L->nfiles) {
		L->files = xreallocarray(L->files, L->nfiles + 1, sizeof(*L->files));
		L->files[L->nfiles++] = xstrdup(file);
	}
	if (L->nerrs == L->aerrs) {
		L->aerrs = L->aerrs ? L->aerrs * 2 : 16;
		L->errs = xreallocarray(L->errs, L->aerrs, sizeof(*L->errs));
	}
	e = &L->errs[L->nerrs];
	e->rank = rank;
	e->line = line;
	e->seq = L->nerrs++;
	e->text = line > 0 ? xasprintf("%s:%u: %s", file, line, msg) : xasprintf("%s: %s", file, msg);
	e->text = one_line(e->text);
}

/* An error about setting s ("FILE:LINE: ..."). A setting without a line
 * (the root) is reported at line 1 of the main file. */
static void PD_PRINTF(3, 4)
err_at(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = NULL;
	unsigned line = 0;
	va_list ap;
	char *msg;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		log_fatal("out of memory");
	va_end(ap);
	add_error(L, file != NULL ? file : L->path, line > 0 ? line : 1, msg);
	free(msg);
}

static int
err_cmp(const void *a, const void *b)
{
	const struct cerr *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* --- reading one value ---------------------------------------------------- */

/* "imap.port", or "port" at the top level. */
static void
join(char *buf, size_t size, const char *parent, const char *name)
{
	if (parent[0] == '\0')
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%s.%s", parent, name);
}

static const char *
type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a decimal number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	}
	return "empty";
}

static bool
is_int(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64;
}

static bool
is_string(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_STRING;
}

/* The string value of s, or NULL after an error: not a string, or "". */
static const char *
get_str(struct loader *L, const config_setting_t *s, const char *path)
{
	const char *v;

	if (!is_string(s)) {
		err_at(L, s, "%s: must be a string, not %s", path, type_name(s));
		return NULL;
	}
	v = config_setting_get_string(s);
	if (v[0] == '\0') {
		/* a list element has no default to fall back on */
		err_at(L, s, "%s: must not be empty%s", path, path[strlen(path) - 1] == ']' ?
		    "" : " (remove the line to get the default)");
		return NULL;
	}
	return v;
}

/* "a", "b" or "c": for messages. Caller frees. */
static char *
choice_list(const char *const *choices)
{
	struct pd_buf b;

	pd_buf_init(&b, 4096);
	for (size_t i = 0; choices[i] != NULL; i++)
		pd_buf_printf(&b, "%s\"%s\"", i == 0 ? "" : choices[i + 1] == NULL ? " or " : ", ",
		    choices[i]);
	return pd_buf_steal(&b);
}

/* The index of s's value in choices, or -1 after an error. */
static int
get_choice(struct loader *L, const config_setting_t *s, const char *path,
    const char *const *choices)
{
	const char *v = get_str(L, s, path);
	char *list;

	if (v == NULL)
		return -1;
	for (int i = 0; choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return i;
	list = choice_list(choices);
	err_at(L, s, "%s: unknown value \"%s\" (use %s)", path, v, list);
	free(list);
	return -1;
}

/* An integer, duration or size with its range; 0 or -1 after an error. */
static int
get_number(struct loader *L, const config_setting_t *s, const char *path,
    const struct key *k, int64_t *n_r)
{
	const char *unit = k->kind == K_SIZE ? " bytes" : k->kind == K_INT ? "" : " seconds";
	char shown[64];
	int64_t n;

	if (is_int(s)) {
		n = config_setting_get_int64(s);
		snprintf(shown, sizeof(shown), "%lld", (long long)n);
	} else if (k->kind != K_INT && is_string(s)) {
		const char *v = config_setting_get_string(s);
		int rc = k->kind == K_SIZE ? config_parse_size(v, &n) : config_parse_duration(v, &n);

		if (rc < 0) {
			if (k->kind == K_SIZE)
				err_at(L, s, "%s: \"%s\" is not a size (use e.g. \"512K\", \"50M\", "
				    "\"1G\", or a number of bytes)", path, v);
			else
				err_at(L, s, "%s: \"%s\" is not a duration (use e.g. \"90s\", \"15m\", "
				    "\"4h\", \"2d\", \"1w\", \"1h30m\", or a number of seconds)", path, v);
			return -1;
		}
		snprintf(shown, sizeof(shown), "\"%s\"", v);
	} else {
		err_at(L, s, "%s: must be %s, not %s", path,
		    k->kind == K_INT ? "an integer" : k->kind == K_SIZE ?
		    "a size (\"50M\" or a number of bytes)" :
		    "a duration (\"4h\" or a number of seconds)", type_name(s));
		return -1;
	}
	if (n < k->min || n > k->max) {
		err_at(L, s, "%s: %s is out of range (%lld-%lld%s)", path, shown,
		    (long long)k->min, (long long)k->max, unit);
		return -1;
	}
	*n_r = n;
	return 0;
}

static void
set_str(char **p, char *v)
{
	free(*p);
	*p = v;
}

/* A path value: relative to the config file's directory. */
static void
load_path(struct loader *L, const config_setting_t *s, const char *path,
    const struct key *k, void *obj)
{
	const char *v = get_str(L, s, path);
	char *abs, *why = NULL;

	if (v == NULL)
		return;
	if ((k->flags & F_MEMORY) && strcmp(v, ":memory:") == 0)
		abs = xstrdup(v);
	else
		abs = confval_resolve(L->dir, v);
	if ((k->flags & (F_FILE | F_DIR)) &&
	    confval_file_ok(abs, (k->flags & F_DIR) != 0, &why) < 0) {
		err_at(L, s, "%s: %s", path, why);
		free(why);
	}
	set_str(FIELD(obj, k->off, char *), abs);
}

/* A secret file: exists, private, not empty. */
static void
load_secret(struct loader *L, const config_setting_t *s, const char *path,
    const struct key *k, void *obj)
{
	const char *v = get_str(L, s, path);
	char *abs = NULL, *why = NULL;
	int rc;

	if (v == NULL)
		return;
	rc = confval_credential(v, &abs, &why);
	if (rc == 0)
		abs = confval_resolve(L->dir, v);
	if (rc < 0 || confval_secret_file_ok(abs, &why) < 0) {
		err_at(L, s, "%s: %s", path, why);
		free(why);
	}
	set_str(FIELD(obj, k->off, char *), abs != NULL ? abs : xstrdup(v));
}

static void
load_strlist(struct loader *L, const config_setting_t *s, const char *path,
    const struct key *k, void *obj)
{
	char ***vp = FIELD(obj, k->off, char **), **v;
	int n = config_setting_length(s);
	size_t m = 0;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		err_at(L, s, "%s: must be a list of strings like [\"a\", \"b\"], not %s",
		    path, type_name(s));
		return;
	}
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *str;
		char epath[256];

		snprintf(epath, sizeof(epath), "%s[%d]", path, i);
		if ((str = get_str(L, e, epath)) == NULL)
			continue;
		if (k->check != NULL && !k->check(str))
			err_at(L, e, "%s: \"%s\" %s", epath, str, k->check_msg);
		v[m++] = xstrdup(str);
	}
	for (char **p = *vp; p != NULL && *p != NULL; p++)
		free(*p);
	free(*vp);
	*vp = v;
	if (k->count_off != NO_COUNT)
		*FIELD(obj, k->count_off, size_t) = m;
}

/* Load s, the value of key k, into obj; errors name it path. */
static void
load_value(struct loader *L, const config_setting_t *s, const char *path,
    const struct key *k, void *obj)
{
	const char *v;
	int64_t n;
	int i;

	switch (k->kind) {
	case K_STR:
		if ((v = get_str(L, s, path)) == NULL)
			return;
		if (k->check != NULL && !k->check(v))
			err_at(L, s, "%s: \"%s\" %s", path, v, k->check_msg);
		set_str(FIELD(obj, k->off, char *), xstrdup(v));
		break;
	case K_CHOICE:
		if ((i = get_choice(L, s, path, k->choices)) >= 0)
			set_str(FIELD(obj, k->off, char *), xstrdup(k->choices[i]));
		break;
	case K_ADDR:
		if ((v = get_str(L, s, path)) == NULL)
			return;
		if (!confval_address_ok(v))
			err_at(L, s, "%s: \"%s\" is not an email address (expected user@domain)",
			    path, v);
		set_str(FIELD(obj, k->off, char *),
		    k->flags & F_LOWER ? confval_lower(xstrdup(v)) : xstrdup(v));
		break;
	case K_PATH:
		load_path(L, s, path, k, obj);
		break;
	case K_SECRET:
		load_secret(L, s, path, k, obj);
		break;
	case K_INT:
	case K_DUR:
	case K_DUR_INT:
	case K_SIZE:
		if (get_number(L, s, path, k, &n) < 0)
			return;
		if (k->kind == K_INT || k->kind == K_DUR_INT)
			*FIELD(obj, k->off, int) = (int)n;	/* max fits an int */
		else
			*FIELD(obj, k->off, int64_t) = n;
		break;
	case K_BOOL:
	case K_TRI:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			err_at(L, s, "%s: must be true or false, not %s", path, type_name(s));
			return;
		}
		if (k->kind == K_BOOL)
			*FIELD(obj, k->off, bool) = config_setting_get_bool(s) != 0;
		else
			*FIELD(obj, k->off, int) = config_setting_get_bool(s) != 0;
		break;
	case K_ENUM:
		if ((i = get_choice(L, s, path, k->choices)) >= 0)
			*FIELD(obj, k->off, int) = i;
		break;
	case K_STRLIST:
		load_strlist(L, s, path, k, obj);
		break;
	case K_CUSTOM:
		break;
	}
}

/* --- reading a group ------------------------------------------------------ */

static void
apply_defaults(const struct key *keys, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++) {
		const struct key *k = &keys[i];

		switch (k->kind) {
		case K_STR:
		case K_CHOICE:
		case K_ADDR:
		case K_PATH:
		case K_SECRET:
			*FIELD(obj, k->off, char *) = xstrdup_null(k->def_str);
			break;
		case K_INT:
		case K_DUR_INT:
		case K_TRI:
		case K_ENUM:
			*FIELD(obj, k->off, int) = (int)k->def_num;
			break;
		case K_DUR:
		case K_SIZE:
			*FIELD(obj, k->off, int64_t) = k->def_num;
			break;
		case K_BOOL:
			*FIELD(obj, k->off, bool) = k->def_num != 0;
			break;
		case K_STRLIST:
			*FIELD(obj, k->off, char **) = NULL;
			if (k->count_off != NO_COUNT)
				*FIELD(obj, k->count_off, size_t) = 0;
			break;
		case K_CUSTOM:
			break;
		}
	}
}

/* Free what the table's keys own in obj. */
static void
free_keys(const struct key *keys, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++) {
		const struct key *k = &keys[i];

		if (k->kind == K_STR || k->kind == K_CHOICE || k->kind == K_ADDR ||
		    k->kind == K_PATH || k->kind == K_SECRET) {
			free(*FIELD(obj, k->off, char *));
			*FIELD(obj, k->off, char *) = NULL;
		} else if (k->kind == K_STRLIST) {
			char **v = *FIELD(obj, k->off, char **);

			for (char **p = v; p != NULL && *p != NULL; p++)
				free(*p);
			free(v);
			*FIELD(obj, k->off, char **) = NULL;
		}
	}
}

static const struct {
	const char *key, *what, *use;
} inline_secrets[] = {
	{ "password", "password", "password_file" },
	{ "pass", "password", "password_file" },
	{ "passwd", "password", "password_file" },
	{ "secret", "secret", "secret_file" },
	{ "token", "token", "oauth2_token_file" },
	{ "oauth2_token", "token", "oauth2_token_file" },
};

static void
unknown_key(struct loader *L, const config_setting_t *s, const char *path,
    const struct key *keys, size_t n)
{
	const char *name = config_setting_name(s), *best = NULL;
	size_t bestd = SIZE_MAX;
	char kpath[256];
	struct pd_buf b;

	join(kpath, sizeof(kpath), path, name);
	for (size_t i = 0; i < NKEYS(inline_secrets); i++)
		if (strcasecmp(name, inline_secrets[i].key) == 0) {
			err_at(L, s, "%s: inline secrets are not allowed: put the %s in a file "
			    "readable only by postdesk (chmod 600) and set %s", kpath,
			    inline_secrets[i].what, inline_secrets[i].use);
			return;
		}
	for (size_t i = 0; i < n; i++) {
		size_t d = confval_distance(name, keys[i].name);

		if (d < bestd) {
			bestd = d;
			best = keys[i].name;
		}
	}
	pd_buf_init(&b, 4096);
	pd_buf_printf(&b, "unknown key '%s'", name);
	if (path[0] != '\0')
		pd_buf_printf(&b, " in %s", path);
	if (best != NULL && (bestd == 1 || (bestd == 2 && strlen(name) > 4)))
		pd_buf_printf(&b, " (did you mean '%s'?)", best);
	else {
		pd_buf_adds(&b, " (known keys:");
		for (size_t i = 0; i < n; i++)
			pd_buf_printf(&b, " %s", keys[i].name);
		pd_buf_adds(&b, ")");
	}
	err_at(L, s, "%s", pd_buf_str(&b));
	pd_buf_free(&b);
}

/* Load every member of group g into obj by the table; report unknown keys
 * and missing required ones. K_CUSTOM keys are left to the caller. */
static void
load_keys(struct loader *L, const config_setting_t *g, const char *path,
    const struct key *keys, size_t n, void *obj)
{
	int len = config_setting_length(g);
	char kpath[256];

	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t j;

		for (j = 0; j < n; j++)
			if (strcmp(keys[j].name, name) == 0)
				break;
		if (j == n) {
			unknown_key(L, s, path, keys, n);
			continue;
		}
		join(kpath, sizeof(kpath), path, name);
		load_value(L, s, kpath, &keys[j], obj);
	}
	for (size_t j = 0; j < n; j++)
		if ((keys[j].flags & F_REQ) && config_setting_get_member(g, keys[j].name) == NULL) {
			if (path[0] == '\0')
				err_at(L, g, "missing required key '%s' (e.g. %s = %s;)",
				    keys[j].name, keys[j].name, keys[j].example);
			else
				err_at(L, g, "%s: missing required key '%s' (e.g. %s = %s;)",
				    path, keys[j].name, keys[j].name, keys[j].example);
		}
}

/* The member name of g if it is a group, else NULL (after an error when it
 * exists with another type). */
static const config_setting_t *
get_group(struct loader *L, const config_setting_t *g, const char *name, const char *path)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (s != NULL && !config_setting_is_group(s)) {
		err_at(L, s, "%s: must be a group { ... }, not %s", path, type_name(s));
		return NULL;
	}
	return s;
}

/* The member name of g if it is a non-empty list of groups, else NULL
 * (after an error when it exists but is not). */
static const config_setting_t *
get_group_list(struct loader *L, const config_setting_t *g, const char *name,
    const char *path)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	bool ok = true;

	if (s == NULL)
		return NULL;
	if (!config_setting_is_list(s)) {
		err_at(L, s, "%s: must be a list of groups ( { ... }, { ... } ), not %s",
		    path, type_name(s));
		return NULL;
	}
	if (config_setting_length(s) == 0) {
		err_at(L, s, "%s: the list is empty: add { ... } groups to it, or remove it", path);
		return NULL;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (!config_setting_is_group(e)) {
			err_at(L, e, "%s[%d]: must be a group { ... }, not %s", path, i, type_name(e));
			ok = false;
		}
	}
	return ok ? s : NULL;
}

/* --- references between sections ----------------------------------------- */

static bool
queue_exists(const struct pd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nqueues; i++)
		if (cfg->queues[i].name != NULL && strcmp(cfg->queues[i].name, name) == 0)
			return true;
	return false;
}

/* Report name as an unknown queue, listing the configured ones. */
static void
check_queue(struct loader *L, const config_setting_t *s, const char *path, const char *name)
{
	struct pd_buf b;

	/* no queues at all: their own error says why */
	if (name == NULL || L->cfg->nqueues == 0 || queue_exists(L->cfg, name))
		return;
	pd_buf_init(&b, 4096);
	for (size_t i = 0; i < L->cfg->nqueues; i++)
		if (L->cfg->queues[i].name != NULL)
			pd_buf_printf(&b, "%s\"%s\"", b.len > 0 ? ", " : "", L->cfg->queues[i].name);
	err_at(L, s, "%s: unknown queue \"%s\" (the queues are %s; add it to queues = ( ... ) "
	    "or use one of them)", path, name, pd_buf_str(&b));
	pd_buf_free(&b);
}

static const struct pd_agent *
find_agent(const struct pd_config *cfg, const char *who)
{
	for (size_t i = 0; i < cfg->nagents; i++) {
		const struct pd_agent *a = &cfg->agents[i];

		if ((a->email != NULL && strcasecmp(a->email, who) == 0) ||
		    (a->name != NULL && strcmp(a->name, who) == 0))
			return a;
	}
	return NULL;
}

/* --- sections --------------------------------------------------------------- */

static void load_hours_group(struct loader *L, const config_setting_t *g, const char *path,
    struct pd_business_hours *h);

static void
load_queue(struct loader *L, const config_setting_t *g, const char *path, struct pd_queue *q)
{
	const config_setting_t *sub;
	char spath[256];

	apply_defaults(queue_keys, NKEYS(queue_keys), q);
	apply_defaults(sla_keys, NKEYS(sla_keys), &q->sla);
	q->line = (int)config_setting_source_line(g);
	load_keys(L, g, path, queue_keys, NKEYS(queue_keys), q);
	join(spath, sizeof(spath), path, "sla");
	if ((sub = get_group(L, g, "sla", spath)) != NULL)
		load_keys(L, sub, spath, sla_keys, NKEYS(sla_keys), &q->sla);
	join(spath, sizeof(spath), path, "business_hours");
	if ((sub = get_group(L, g, "business_hours", spath)) != NULL) {
		q->hours = xcalloc(1, sizeof(*q->hours));
		load_hours_group(L, sub, spath, q->hours);
	}
	/* A close before the reminder would leave the reminder nothing to do. */
	if (q->pending_reminder > 0 && q->pending_close > 0 &&
	    q->pending_close <= q->pending_reminder)
		err_at(L, config_setting_get_member(g, "pending_close") != NULL ?
		    config_setting_get_member(g, "pending_close") :
		    config_setting_get_member(g, "pending_reminder"),
		    "%s.pending_close: must be later than pending_reminder (the ticket "
		    "would be closed before the customer is reminded); set pending_reminder "
		    "= \"0\" for no reminder", path);
}

static void
load_queues(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *list = get_group_list(L, root, "queues", "queues");
	struct pd_config *cfg = L->cfg;
	char path[64];

	if (list == NULL) {
		if (config_setting_get_member(root, "queues") != NULL)
			return;		/* reported; no default over a broken list */
		/* No queues: one default queue, "general". */
		cfg->queues = xcalloc(1, sizeof(*cfg->queues));
		cfg->nqueues = 1;
		apply_defaults(queue_keys, NKEYS(queue_keys), &cfg->queues[0]);
		set_str(&cfg->queues[0].name, xstrdup("general"));
		return;
	}
	cfg->nqueues = (size_t)config_setting_length(list);
	cfg->queues = xcalloc(cfg->nqueues, sizeof(*cfg->queues));
	for (size_t i = 0; i < cfg->nqueues; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct pd_queue *q = &cfg->queues[i];

		snprintf(path, sizeof(path), "queues[%zu]", i);
		load_queue(L, g, path, q);
		for (size_t j = 0; j < i && q->name != NULL; j++)
			if (cfg->queues[j].name != NULL && strcmp(cfg->queues[j].name, q->name) == 0)
				err_at(L, config_setting_get_member(g, "name"),
				    "%s.name: queue \"%s\" is already defined at line %d; "
				    "queue names must be unique", path, q->name, cfg->queues[j].line);
	}
}

static void
load_agents(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *list = get_group_list(L, root, "agents", "agents");
	struct pd_config *cfg = L->cfg;
	char path[64], qpath[96];

	if (list == NULL)
		return;
	cfg->nagents = (size_t)config_setting_length(list);
	cfg->agents = xcalloc(cfg->nagents, sizeof(*cfg->agents));
	for (size_t i = 0; i < cfg->nagents; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		const config_setting_t *qs = config_setting_get_member(g, "queues");
		struct pd_agent *a = &cfg->agents[i];

		snprintf(path, sizeof(path), "agents[%zu]", i);
		apply_defaults(agent_keys, NKEYS(agent_keys), a);
		a->line = (int)config_setting_source_line(g);
		load_keys(L, g, path, agent_keys, NKEYS(agent_keys), a);
		/* each queue name is reported at its own element's line */
		for (int j = 0; qs != NULL && a->queues != NULL && j < config_setting_length(qs); j++) {
			const config_setting_t *e = config_setting_get_elem(qs, (unsigned)j);

			snprintf(qpath, sizeof(qpath), "%s.queues[%d]", path, j);
			if (is_string(e) && config_setting_get_string(e)[0] != '\0')
				check_queue(L, e, qpath, config_setting_get_string(e));
		}
		if (a->email == NULL)
			continue;
		if (a->name == NULL)
			a->name = xstrdup(a->email);
		for (size_t j = 0; j < i; j++)
			if (cfg->agents[j].email != NULL && strcmp(cfg->agents[j].email, a->email) == 0)
				err_at(L, config_setting_get_member(g, "email"),
				    "%s.email: %s is already an agent at line %d; each agent once",
				    path, a->email, cfg->agents[j].line);
	}
}

/* Exactly one of password_file and oauth2_token_file in g. */
static void
check_one_secret(struct loader *L, const config_setting_t *g, const char *path)
{
	const config_setting_t *pw = config_setting_get_member(g, "password_file");
	const config_setting_t *tok = config_setting_get_member(g, "oauth2_token_file");

	if (pw != NULL && tok != NULL)
		err_at(L, tok, "%s: give either password_file or oauth2_token_file, not both", path);
	else if (pw == NULL && tok == NULL)
		err_at(L, g, "%s: missing password_file (or oauth2_token_file): the password goes "
		    "in a file readable only by postdesk, e.g. password_file = \"%s.pass\";", path,
		    strncmp(path, "smtp", 4) == 0 ? "smtp" : "imap");
}

static void
load_one_imap(struct loader *L, const config_setting_t *g, const char *path, struct pd_imap *im)
{
	const config_setting_t *q;
	char qpath[96];

	apply_defaults(imap_keys, NKEYS(imap_keys), im);
	im->line = (int)config_setting_source_line(g);
	load_keys(L, g, path, imap_keys, NKEYS(imap_keys), im);
	if (im->port == 0)
		im->port = im->tls == PD_TLS_IMPLICIT ? 993 : 143;
	check_one_secret(L, g, path);
	if ((q = config_setting_get_member(g, "queue")) != NULL) {
		join(qpath, sizeof(qpath), path, "queue");
		check_queue(L, q, qpath, im->queue);
	}
	if (im->name == NULL && im->user != NULL && im->host != NULL)
		im->name = xasprintf("%s@%s/%s", im->user, im->host, im->mailbox);
}

/* imap = { ... } for one mailbox, or imap = ( { ... }, { ... } ). */
static void
load_imap(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *s = config_setting_get_member(root, "imap");
	struct pd_config *cfg = L->cfg;
	char path[64];

	if (s == NULL)
		return;
	if (!config_setting_is_group(s) && !config_setting_is_list(s)) {
		err_at(L, s, "imap: must be a group { ... } for one mailbox, or a list of groups "
		    "( { ... }, { ... } ) for several, not %s", type_name(s));
		return;
	}
	if (config_setting_is_group(s)) {
		cfg->imap = xcalloc(1, sizeof(*cfg->imap));
		cfg->nimap = 1;
		load_one_imap(L, s, "imap", cfg->imap);
		return;
	}
	if ((s = get_group_list(L, root, "imap", "imap")) == NULL)
		return;
	cfg->nimap = (size_t)config_setting_length(s);
	cfg->imap = xcalloc(cfg->nimap, sizeof(*cfg->imap));
	for (size_t i = 0; i < cfg->nimap; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);

		snprintf(path, sizeof(path), "imap[%zu]", i);
		load_one_imap(L, g, path, &cfg->imap[i]);
		for (size_t j = 0; j < i && cfg->imap[i].name != NULL; j++)
			if (cfg->imap[j].name != NULL && strcmp(cfg->imap[j].name, cfg->imap[i].name) == 0)
				err_at(L, g, "%s: the mailbox name \"%s\" is already used at line %d; "
				    "set name = \"...\" to tell them apart", path, cfg->imap[i].name,
				    cfg->imap[j].line);
	}
}

/* url as an error may quote it: without what may be a password, i.e.
 * anything between the scheme and the last '@' ("smtp://...@host"). The
 * caller frees it. */
static char *
url_shown(const char *url)
{
	const char *at = strrchr(url, '@'), *sep = strstr(url, "://");
	int keep = sep != NULL && sep < at ? (int)(sep - url + 3) : 0;

	return at == NULL ? xstrdup(url) : xasprintf("%.*s...%s", keep, url, at);
}

/* smtp.url: smtp:// (plain or STARTTLS) or smtps:// (implicit TLS), a host,
 * maybe a port; no user or password in it. Returns 1 for smtps, 0 for smtp,
 * -1 after an error. */
static int
check_smtp_url(struct loader *L, const config_setting_t *s, const char *url)
{
	const char *host, *end, *colon;
	int smtps;

	if (strncasecmp(url, "smtps://", 8) == 0) {
		smtps = 1;
		host = url + 8;
	} else if (strncasecmp(url, "smtp://", 7) == 0) {
		smtps = 0;
		host = url + 7;
	} else {
		char *u = url_shown(url);

		err_at(L, s, "smtp.url: \"%s\" must start with smtp:// (port 587 or 25, "
		    "STARTTLS or plain) or smtps:// (port 465, TLS)", u);
		free(u);
		return -1;
	}
	end = host + strcspn(host, "/");
	if (memchr(host, '@', (size_t)(end - host)) != NULL) {
		if (memchr(host, ':', (size_t)(strchr(host, '@') - host)) != NULL)
			err_at(L, s, "smtp.url: inline secrets are not allowed: put the password in a "
			    "file readable only by postdesk (chmod 600) and set password_file "
			    "(and user), not user:password@ in the url");
		else
			err_at(L, s, "smtp.url: set the login name with user = \"...\", not in the url");
		return -1;
	}
	/* an IPv6 literal, [::1]:25, has colons of its own */
	colon = host;
	if (*host == '[' && (colon = memchr(host, ']', (size_t)(end - host))) == NULL)
		colon = end;
	colon = memchr(colon, ':', (size_t)(end - colon));
	if (host == end || colon == host) {
		char *u = url_shown(url);

		err_at(L, s, "smtp.url: \"%s\" has no host name (e.g. smtp://mail.example.com:587)", u);
		free(u);
		return -1;
	}
	if (colon != NULL) {
		char *e;
		long port = strtol(colon + 1, &e, 10);

		if (e != end || colon + 1 == end || port < 1 || port > 65535) {
			char *u = url_shown(url);

			err_at(L, s, "smtp.url: \"%s\" has a bad port (1-65535)", u);
			free(u);
			return -1;
		}
	}
	return smtps;
}

static void
load_smtp(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *g = get_group(L, root, "smtp", "smtp"), *s;
	struct pd_smtp *sm = &L->cfg->smtp;
	const char *why;
	int smtps = -1;

	if (g == NULL)
		return;
	L->cfg->has_smtp = true;
	load_keys(L, g, "smtp", smtp_keys, NKEYS(smtp_keys), sm);
	if (sm->url != NULL && (s = config_setting_get_member(g, "url")) != NULL)
		smtps = check_smtp_url(L, s, sm->url);
	if ((s = config_setting_get_member(g, "tls")) == NULL) {
		if (smtps >= 0)
			sm->tls = smtps ? PD_TLS_IMPLICIT : PD_TLS_STARTTLS;
	} else if (smtps == 1 && sm->tls != PD_TLS_IMPLICIT) {
		err_at(L, s, "smtp.tls: an smtps:// url always uses implicit TLS; for STARTTLS "
		    "or none use smtp://");
	} else if (smtps == 0 && sm->tls == PD_TLS_IMPLICIT) {
		err_at(L, s, "smtp.tls: \"implicit\" needs an smtps:// url (smtp:// is plain "
		    "or STARTTLS)");
	}
	if (sm->user != NULL)
		check_one_secret(L, g, "smtp");
	else if ((s = config_setting_get_member(g, "password_file")) != NULL ||
	    (s = config_setting_get_member(g, "oauth2_token_file")) != NULL)
		err_at(L, s, "smtp: %s is set but user is not: set user too, or remove it "
		    "for a server without AUTH", config_setting_name(s));
	if (sm->from != NULL &&
	    confval_parse_from(sm->from, &sm->from_name, &sm->from_addr, &why) < 0)
		err_at(L, config_setting_get_member(g, "from"), "smtp.from: \"%s\": %s", sm->from, why);
}

/* path: "business_hours" or "queues[N].business_hours", for messages. */
static void
load_days(struct loader *L, const config_setting_t *g, const char *path,
    struct pd_business_hours *h)
{
	const config_setting_t *s = config_setting_get_member(g, "days");
	const char *v, *why;
	char kpath[256];

	join(kpath, sizeof(kpath), path, "days");
	if (s == NULL || (v = get_str(L, s, kpath)) == NULL)
		return;
	if (confval_parse_days(v, &h->days, &why) < 0)
		err_at(L, s, "%s: \"%s\": %s", kpath, v, why);
}

/* hours = "08:00-12:00,13:00-17:00" or ( "08:00-12:00", "13:00-17:00" ). */
static void
load_hours(struct loader *L, const config_setting_t *g, const char *path,
    struct pd_business_hours *h)
{
	const config_setting_t *s = config_setting_get_member(g, "hours");
	const size_t max = sizeof(h->ranges) / sizeof(h->ranges[0]);
	const char *why;
	char kpath[256];
	bool bad = false;

	if (s == NULL)
		return;
	join(kpath, sizeof(kpath), path, "hours");
	h->nranges = 0;
	if (is_string(s)) {
		const char *v = get_str(L, s, kpath);

		if (v == NULL)
			return;
		if (confval_parse_hours(v, h->ranges, &h->nranges, max, &why) < 0) {
			err_at(L, s, "%s: \"%s\": %s", kpath, v, why);
			return;
		}
	} else if (config_setting_is_list(s) || config_setting_is_array(s)) {
		for (int i = 0; i < config_setting_length(s); i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			char epath[300];
			const char *v;

			snprintf(epath, sizeof(epath), "%s[%d]", kpath, i);
			if ((v = get_str(L, e, epath)) == NULL)
				bad = true;
			else if (confval_parse_hours(v, h->ranges, &h->nranges, max, &why) < 0) {
				err_at(L, e, "%s: \"%s\": %s", epath, v, why);
				bad = true;
			}
		}
	} else {
		err_at(L, s, "%s: must be a string like \"08:00-17:00\" or a "
		    "list of them, not %s", kpath, type_name(s));
		return;
	}
	if (!bad && h->nranges == 0)
		err_at(L, s, "%s: no working hours given", kpath);
	else if (!bad && confval_sort_hours(h->ranges, h->nranges, &why) < 0)
		err_at(L, s, "%s: %s", kpath, why);
}

/* One business_hours group g (NULL: none given) into h. */
static void
load_hours_group(struct loader *L, const config_setting_t *g, const char *path,
    struct pd_business_hours *h)
{
	apply_defaults(hours_keys, NKEYS(hours_keys), h);
	if (g == NULL) {
		/* No business hours: the clock always runs. */
		h->days = 0x7f;
		h->ranges[0] = (struct pd_hours_range){ 0, 24 * 60 };
		h->nranges = 1;
		return;
	}
	h->days = 0x3e;		/* Mon-Fri */
	h->ranges[0] = (struct pd_hours_range){ 9 * 60, 17 * 60 };
	h->nranges = 1;
	load_keys(L, g, path, hours_keys, NKEYS(hours_keys), h);
	load_days(L, g, path, h);
	load_hours(L, g, path, h);
}

static void
load_business_hours(struct loader *L, const config_setting_t *root)
{
	load_hours_group(L, get_group(L, root, "business_hours", "business_hours"),
	    "business_hours", &L->cfg->hours);
}

/* The condition's keys in g (a rule, or one group of its match list). */
static void
load_condition(struct loader *L, const config_setting_t *g, const char *path,
    struct pd_match *m)
{
	const config_setting_t *field = config_setting_get_member(g, "field");
	const config_setting_t *header = config_setting_get_member(g, "header");
	const config_setting_t *regex = config_setting_get_member(g, "regex");
	char kpath[256], *why;
	int i;

	m->line = (int)config_setting_source_line(g);
	for (size_t k = 0; k < NKEYS(cond_keys); k++) {
		const config_setting_t *s = config_setting_get_member(g, cond_keys[k].name);

		join(kpath, sizeof(kpath), path, cond_keys[k].name);
		if (s != NULL)
			load_value(L, s, kpath, &cond_keys[k], m);
	}
	if (field != NULL) {
		join(kpath, sizeof(kpath), path, "field");
		if ((i = get_choice(L, field, kpath, field_names)) >= 0)
			m->on = (enum pd_match_on)(PD_ON_SENDER + i);
		if (header != NULL)
			err_at(L, field, "%s: give either header or field, not both", kpath);
	}
	if (regex == NULL)
		err_at(L, g, "%s: missing required key 'regex' (e.g. regex = \"(?i)invoice\";)", path);
	else if (header == NULL && field == NULL)
		err_at(L, regex, "%s.regex: say where to look: header = \"Subject\"; or field = "
		    "\"sender\" (or \"recipient\", \"text\", \"text_new\", \"attachment\")", path);
	if (m->regex != NULL && confval_regex_ok(m->regex, &why) < 0) {
		err_at(L, regex, "%s.regex: \"%s\" does not compile: %s", path, m->regex, why);
		free(why);
	}
}

static void
load_rule_conditions(struct loader *L, const config_setting_t *g, const char *path,
    struct pd_rule *r)
{
	const config_setting_t *list = config_setting_get_member(g, "match");
	bool inline_cond = false;
	char mpath[96];

	for (size_t k = 0; k < NKEYS(cond_keys); k++)
		if (config_setting_get_member(g, cond_keys[k].name) != NULL)
			inline_cond = true;
	if (list != NULL && inline_cond) {
		err_at(L, list, "%s: give either one condition (header or field, regex) in the "
		    "rule or match = ( ... ), not both", path);
		return;
	}
	if (inline_cond) {
		r->match = xcalloc(1, sizeof(*r->match));
		r->nmatch = 1;
		load_condition(L, g, path, r->match);
		return;
	}
	join(mpath, sizeof(mpath), path, "match");
	if (list == NULL) {
		err_at(L, g, "%s: no condition: add header = \"...\" (or field = \"...\") and "
		    "regex = \"...\", or match = ( { ... }, ... )", path);
		return;
	}
	if ((list = get_group_list(L, g, "match", mpath)) == NULL)
		return;
	r->nmatch = (size_t)config_setting_length(list);
	r->match = xcalloc(r->nmatch, sizeof(*r->match));
	for (size_t i = 0; i < r->nmatch; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		char epath[128];

		snprintf(epath, sizeof(epath), "%s[%zu]", mpath, i);
		/* only for unknown keys and types; load_condition reads them */
		for (int j = 0; j < config_setting_length(e); j++) {
			const config_setting_t *s = config_setting_get_elem(e, (unsigned)j);
			size_t k;

			for (k = 0; k < NKEYS(cond_keys); k++)
				if (strcmp(cond_keys[k].name, config_setting_name(s)) == 0)
					break;
			if (k == NKEYS(cond_keys))
				unknown_key(L, s, epath, cond_keys, NKEYS(cond_keys));
		}
		load_condition(L, e, epath, &r->match[i]);
	}
}

/* What needs the other sections (queue, assignee), and "on". */
static void
check_rule_refs(struct loader *L, const config_setting_t *g, const char *path, struct pd_rule *r)
{
	const config_setting_t *s;
	const struct pd_agent *a;
	char kpath[96];

	if ((s = config_setting_get_member(g, "queue")) != NULL) {
		join(kpath, sizeof(kpath), path, "queue");
		check_queue(L, s, kpath, r->queue);
	}
	if ((s = config_setting_get_member(g, "assign")) != NULL && r->assign != NULL) {
		if ((a = find_agent(L->cfg, r->assign)) == NULL)
			err_at(L, s, "%s.assign: \"%s\" is not an agent (give the email or name of "
			    "one of agents = ( ... ))", path, r->assign);
		else
			set_str(&r->assign, xstrdup(a->email));
	}
	if ((s = config_setting_get_member(g, "on")) != NULL) {
		join(kpath, sizeof(kpath), path, "on");
		r->every = get_choice(L, s, kpath, on_names) == 1;
	}
}

static void
load_rules(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *list = get_group_list(L, root, "rules", "rules");
	struct pd_config *cfg = L->cfg;
	char path[64];

	if (list == NULL)
		return;
	cfg->nrules = (size_t)config_setting_length(list);
	cfg->rules = xcalloc(cfg->nrules, sizeof(*cfg->rules));
	for (size_t i = 0; i < cfg->nrules; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct pd_rule *r = &cfg->rules[i];

		snprintf(path, sizeof(path), "rules[%zu]", i);
		apply_defaults(rule_keys, NKEYS(rule_keys), r);
		r->line = (int)config_setting_source_line(g);
		load_keys(L, g, path, rule_keys, NKEYS(rule_keys), r);
		load_rule_conditions(L, g, path, r);
		check_rule_refs(L, g, path, r);
		for (size_t j = 0; j < i && r->name != NULL; j++)
			if (cfg->rules[j].name != NULL && strcmp(cfg->rules[j].name, r->name) == 0)
				err_at(L, config_setting_get_member(g, "name"),
				    "%s.name: rule \"%s\" is already defined at line %d; "
				    "rule names must be unique", path, r->name, cfg->rules[j].line);
	}
}

/* templates, ack_limit, limits: small groups straight into struct pd_config. */
static void
load_flat_group(struct loader *L, const config_setting_t *root, const char *name,
    const struct key *keys, size_t n)
{
	const config_setting_t *g = get_group(L, root, name, name);

	if (g != NULL)
		load_keys(L, g, name, keys, n, L->cfg);
}

static void
load_agent_auth(struct loader *L, const config_setting_t *root)
{
	const config_setting_t *s = config_setting_get_member(root, "agent_auth");

	if (s == NULL)
		return;
	if (get_choice(L, s, "agent_auth", auth_names) != 1)
		return;
	L->cfg->agent_auth_results = true;
	if (L->cfg->trusted_authserv_id == NULL)
		err_at(L, s, "agent_auth: \"authentication-results\" needs trusted_authserv_id, "
		    "the authserv-id your receiving server writes in Authentication-Results "
		    "(e.g. trusted_authserv_id = \"mx.example.com\";)");
}

static void
load_root(struct loader *L, const config_setting_t *root)
{
	struct pd_config *cfg = L->cfg;

	load_keys(L, root, "", top_keys, NKEYS(top_keys), cfg);
	/* queues first: the other sections refer to them, and agents to rules */
	load_queues(L, root);
	load_agents(L, root);
	load_imap(L, root);
	load_smtp(L, root);
	load_business_hours(L, root);
	load_rules(L, root);
	load_flat_group(L, root, "templates", templates_keys, NKEYS(templates_keys));
	load_flat_group(L, root, "ack_limit", ack_limit_keys, NKEYS(ack_limit_keys));
	load_flat_group(L, root, "limits", limits_keys, NKEYS(limits_keys));
	load_agent_auth(L, root);
}

/* --- the public interface ---------------------------------------------------- */

static struct pd_config *
config_new(const char *path)
{
	struct pd_config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->path = xstrdup(path);
	apply_defaults(top_keys, NKEYS(top_keys), cfg);
	apply_defaults(templates_keys, NKEYS(templates_keys), cfg);
	apply_defaults(ack_limit_keys, NKEYS(ack_limit_keys), cfg);
	apply_defaults(limits_keys, NKEYS(limits_keys), cfg);
	apply_defaults(smtp_keys, NKEYS(smtp_keys), &cfg->smtp);
	return cfg;
}

static void
finish_defaults(struct pd_config *cfg)
{
	size_t n = sizeof(default_charsets) / sizeof(default_charsets[0]);

	if (cfg->charset_fallback == NULL) {
		cfg->charset_fallback = xcalloc(n, sizeof(char *));
		for (size_t i = 0; default_charsets[i] != NULL; i++)
			cfg->charset_fallback[i] = xstrdup(default_charsets[i]);
	}
}

/* Read the file; a syntax error stops libconfig, so it is the only error. */
static int
read_file(struct loader *L, config_t *lc)
{
	struct stat st;
	const char *text, *file, *why = NULL;
	FILE *f;

	/* libconfig says only "file I/O error"; find out why first. */
	if ((f = fopen(L->path, "r")) == NULL)
		why = strerror(errno);
	else if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode))
		why = "not a regular file";
	if (f != NULL)
		fclose(f);
	if (why != NULL) {
		char *msg = xasprintf("cannot read the configuration: %s (give another file with "
		    "-c FILE or $POSTDESK_CONFIG)", why);

		add_error(L, L->path, 0, msg);
		free(msg);
		return -1;
	}
	config_set_include_dir(lc, L->dir);
	if (config_read_file(lc, L->path))
		return 0;
	text = config_error_text(lc);
	file = config_error_file(lc) != NULL ? config_error_file(lc) : L->path;
	if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
		add_error(L, file, 0, "cannot read the configuration");
	} else if (strcmp(text, "syntax error") == 0) {
		add_error(L, file, (unsigned)config_error_line(lc), "syntax error (look for a "
		    "missing ';', '\"', ',' or brace on this line or above)");
	} else if (strcmp(text, "duplicate setting name") == 0) {
		add_error(L, file, (unsigned)config_error_line(lc), "duplicate key: it is "
		    "already set above in the same group; keep only one");
	} else if (strcmp(text, "cannot open include file") == 0) {
		add_error(L, file, (unsigned)config_error_line(lc), "cannot open the @include "
		    "file (a relative name is relative to the directory of the config file)");
	} else {
		add_error(L, file, (unsigned)config_error_line(lc), text);
	}
	return -1;
}

int
config_load(const char *path, struct pd_config **cfg_r, struct config_errors *errs_r)
{
	struct loader L = { .path = path };
	config_t lc;

	*cfg_r = NULL;
	errs_r->lines = NULL;
	errs_r->count = 0;
	L.dir = confval_config_dir(path);
	L.cfg = config_new(path);
	config_init(&lc);
	if (read_file(&L, &lc) == 0) {
		load_root(&L, config_root_setting(&lc));
		finish_defaults(L.cfg);
	}
	config_destroy(&lc);	/* after load: messages hold copies of file names */
	free(L.dir);
	for (size_t i = 0; i < L.nfiles; i++)
		free(L.files[i]);
	free(L.files);
	if (L.nerrs == 0) {
		*cfg_r = L.cfg;
		return 0;
	}
	config_free(&L.cfg);
	qsort(L.errs, L.nerrs, sizeof(*L.errs), err_cmp);
	errs_r->lines = xcalloc(L.nerrs, sizeof(char *));
	for (size_t i = 0; i < L.nerrs; i++)
		errs_r->lines[i] = L.errs[i].text;
	errs_r->count = L.nerrs;
	free(L.errs);
	return -1;
}

static void
free_rule(struct pd_rule *r)
{
	for (size_t i = 0; i < r->nmatch; i++)
		free_keys(cond_keys, NKEYS(cond_keys), &r->match[i]);
	free(r->match);
	free_keys(rule_keys, NKEYS(rule_keys), r);
}

void
config_free(struct pd_config **cfgp)
{
	struct pd_config *cfg = *cfgp;

	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nimap; i++)
		free_keys(imap_keys, NKEYS(imap_keys), &cfg->imap[i]);
	free(cfg->imap);
	free(cfg->smtp.from_name);
	free(cfg->smtp.from_addr);
	free_keys(smtp_keys, NKEYS(smtp_keys), &cfg->smtp);
	for (size_t i = 0; i < cfg->nagents; i++)
		free_keys(agent_keys, NKEYS(agent_keys), &cfg->agents[i]);
	free(cfg->agents);
	for (size_t i = 0; i < cfg->nqueues; i++) {
		if (cfg->queues[i].hours != NULL)
			free_keys(hours_keys, NKEYS(hours_keys), cfg->queues[i].hours);
		free(cfg->queues[i].hours);
		free_keys(queue_keys, NKEYS(queue_keys), &cfg->queues[i]);
	}
	free(cfg->queues);
	free_keys(hours_keys, NKEYS(hours_keys), &cfg->hours);
	for (size_t i = 0; i < cfg->nrules; i++)
		free_rule(&cfg->rules[i]);
	free(cfg->rules);
	free_keys(top_keys, NKEYS(top_keys), cfg);
	free_keys(templates_keys, NKEYS(templates_keys), cfg);
	free_keys(ack_limit_keys, NKEYS(ack_limit_keys), cfg);
	free_keys(limits_keys, NKEYS(limits_keys), cfg);
	free(cfg->path);
	free(cfg);
	*cfgp = NULL;
}

const struct pd_business_hours *
config_queue_hours(const struct pd_config *cfg, const struct pd_queue *q)
{
	return q != NULL && q->hours != NULL ? q->hours : &cfg->hours;
}

const struct pd_queue *
config_queue(const struct pd_config *cfg, const char *name)
{
	for (size_t i = 0; name != NULL && i < cfg->nqueues; i++)
		if (cfg->queues[i].name != NULL && strcmp(cfg->queues[i].name, name) == 0)
			return &cfg->queues[i];
	return NULL;
}

void
config_errors_free(struct config_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		free(errs->lines[i]);
	free(errs->lines);
	errs->lines = NULL;
	errs->count = 0;
}
