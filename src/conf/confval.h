/* confval.h: value checks for the configuration (internal to src/conf).
 *
 * Pure functions on strings and files: no libconfig here (config.c is the
 * only file that calls it). Each check returns 0, or -1 with a reason in
 * *why_r: a static string, or, where noted, one the caller frees. */
#ifndef POSTDESK_CONFVAL_H
#define POSTDESK_CONFVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "postdesk/config.h"

/* Where IANA time zone files live (the timezone key is checked against it). */
#define CONFVAL_ZONEINFO "/usr/share/zoneinfo"

/* True when s looks like a plain address: local@domain, ASCII, no spaces,
 * no angle brackets, a domain of letters, digits, '-' and dots. */
bool confval_address_ok(const char *s);

/* Lower-case an ASCII string in place; returns s. */
char *confval_lower(char *s);

/* Split "Name <addr>", "\"Name\" <addr>" or a bare "addr" into a name
 * (NULL when there is none) and an address; both owned by the caller. */
int confval_parse_from(const char *s, char **name_r, char **addr_r, const char **why_r);

/* "Mon-Fri", "Mon,Wed,Fri", "Mon-Wed,Sat" (ranges may wrap: "Fri-Mon").
 * *mask_r gets bit 0 = Sunday ... bit 6 = Saturday. */
int confval_parse_days(const char *s, unsigned *mask_r, const char **why_r);

/* Add the ranges of "08:00-12:00,13:00-17:00" to r[*n_r .. max). Ranges are
 * not sorted or checked against each other here: see confval_sort_hours. */
int confval_parse_hours(const char *s, struct pd_hours_range *r, size_t *n_r,
    size_t max, const char **why_r);
/* Sort ranges by start; -1 when two of them overlap. */
int confval_sort_hours(struct pd_hours_range *r, size_t n, const char **why_r);

/* "YYYY-MM-DD" or "MM-DD" (a yearly holiday), a date that exists. */
bool confval_holiday_ok(const char *s);

/* An IANA zone name whose file exists under CONFVAL_ZONEINFO. */
bool confval_timezone_ok(const char *name);

/* A tag for subjects ("[Support #12]"): 1-32 of [A-Za-z0-9._-]. */
bool confval_tag_ok(const char *s);
/* A queue name, used in "#queue NAME" commands: 1-64 of [A-Za-z0-9._-]. */
bool confval_name_ok(const char *s);

/* "credential:NAME": if s has that prefix, *path_r gets
 * $CREDENTIALS_DIRECTORY/NAME (caller frees) and 1 is returned; 0 when s
 * is not a credential reference; -1 with *why_r (caller frees) when it is
 * one but cannot be resolved. */
int confval_credential(const char *s, char **path_r, char **why_r);

/* True when path lies inside $CREDENTIALS_DIRECTORY. */
bool confval_in_credentials_dir(const char *path);

/* Check a secret file at load time: it exists, is a regular, non-empty,
 * readable file and (unless it is a systemd credential) has no group or
 * other permission bits. *why_r (caller frees) is a whole sentence that
 * ends with what to do. */
int confval_secret_file_ok(const char *path, char **why_r);

/* Check that path exists and is a regular file (dir: a directory).
 * *why_r is owned by the caller. */
int confval_file_ok(const char *path, bool dir, char **why_r);

/* path as is when absolute, else dir/path; caller frees. */
char *confval_resolve(const char *dir, const char *path);

/* The absolute directory of the config file at path (no symlinks are
 * resolved, so a relative path in /etc/postdesk/postdesk.conf means
 * /etc/postdesk/...); caller frees. */
char *confval_config_dir(const char *path);

/* Check that iconv can convert from charset to UTF-8. */
bool confval_charset_ok(const char *charset);

/* Compile re with pcre2 (PCRE2_UTF) to validate it; on failure *why_r
 * (caller frees) holds pcre2's message and the offset. */
int confval_regex_ok(const char *re, char **why_r);

/* Distance between two key names, for "did you mean" (optimal string
 * alignment: a swap of neighbours counts 1). */
size_t confval_distance(const char *a, const char *b);

#endif
