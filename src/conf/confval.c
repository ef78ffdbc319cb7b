/* confval.c: the configuration's value parsers and file checks.
 *
 * The half of the config module that needs no libconfig: durations, sizes,
 * addresses, business hours, secret files, regexes, charsets. The public
 * config_parse_duration, config_parse_size, config_read_secret and
 * config_default_path live here too; see config.h and confval.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "postdesk/config.h"
#include "postdesk/xalloc.h"
#include "confval.h"

/* A secret is a password, a token or a key: anything larger is a mistake
 * (the wrong file), not a secret. */
#define SECRET_MAX	(64 * 1024)

const char *
config_default_path(void)
{
	const char *e = getenv("POSTDESK_CONFIG");

	return e != NULL && *e != '\0' ? e : SYSCONFDIR "/postdesk/postdesk.conf";
}

/* Read an unsigned decimal number at *sp; advance *sp. -1 on no digits or
 * overflow. */
static int
read_number(const char **sp, int64_t *n_r)
{
	const char *s = *sp;
	int64_t n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*sp = s;
	*n_r = n;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *secs_r)
{
	/* Units largest first; each may appear once, in this order, so that
	 * "1h30m" has one meaning and "30m1h" is a typo worth reporting. */
	static const struct { char unit; int64_t secs; } units[] = {
		{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	size_t next = 0;
	int64_t total = 0, n;

	if (s == NULL || read_number(&s, &n) < 0)
		return -1;
	if (*s == '\0') {		/* a bare number: seconds */
		*secs_r = n;
		return 0;
	}
	for (;;) {
		size_t u;

		for (u = next; u < sizeof(units) / sizeof(units[0]); u++)
			if (units[u].unit == *s)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;	/* unknown unit, or one out of order */
		if (n > (INT64_MAX - total) / units[u].secs)
			return -1;
		total += n * units[u].secs;
		next = u + 1;
		if (*++s == '\0')
			break;
		if (read_number(&s, &n) < 0 || *s == '\0')
			return -1;	/* "1h30": a number needs its unit */
	}
	*secs_r = total;
	return 0;
}

int
config_parse_size(const char *s, int64_t *bytes_r)
{
	int64_t n, mult = 1;

	if (s == NULL || read_number(&s, &n) < 0)
		return -1;
	switch (*s) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = INT64_C(1) << 10;
		break;
	case 'm': case 'M':
		mult = INT64_C(1) << 20;
		break;
	case 'g': case 'G':
		mult = INT64_C(1) << 30;
		break;
	case 't': case 'T':
		mult = INT64_C(1) << 40;
		break;
	default:
		return -1;
	}
	if (*s != '\0') {
		s++;
		if (*s == 'B')	/* "50MB" means what "50M" means */
			s++;
		if (*s != '\0')
			return -1;
	}
	if (n > INT64_MAX / mult)
		return -1;
	*bytes_r = n * mult;
	return 0;
}

char *
confval_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static bool
domain_ok(const char *d)
{
	size_t label = 0;

	if (*d == '\0' || strlen(d) > 253)
		return false;
	for (const char *p = d; ; p++) {
		if (*p == '.' || *p == '\0') {
			/* no empty label, none that starts or ends with '-' */
			if (label == 0 || p[-1] == '-' || p[-(ptrdiff_t)label] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-') {
			if (++label > 63)
				return false;
		} else
			return false;
	}
}

bool
confval_address_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t llen;

	if (at == NULL || at == s || strlen(s) > 254)
		return false;
	llen = (size_t)(at - s);
	if (llen > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("<>()[]\\,;:\"@", c) != NULL)
			return false;
		if (c == '.' && p[1] == '.')
			return false;
	}
	return domain_ok(at + 1);
}

static char *
trim_dup(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

int
confval_parse_from(const char *s, char **name_r, char **addr_r, const char **why_r)
{
	const char *lt = strchr(s, '<'), *gt;
	char *name = NULL, *addr;
	size_t n;

	if (lt == NULL) {
		addr = trim_dup(s, strlen(s));
	} else {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[strspn(gt + 1, " \t") + 1] != '\0') {
			*why_r = "expected \"Name <address>\" or a bare address";
			return -1;
		}
		addr = trim_dup(lt + 1, (size_t)(gt - lt - 1));
		name = trim_dup(s, (size_t)(lt - s));
		/* "\"Example Support\" <...>": the quotes are syntax, not name */
		n = strlen(name);
		if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
			memmove(name, name + 1, n - 2);
			name[n - 2] = '\0';
		}
		if (name[0] == '\0') {
			free(name);
			name = NULL;
		}
	}
	if (!confval_address_ok(addr)) {
		free(name);
		free(addr);
		*why_r = "the address is not valid (expected \"Name <address>\" or a bare address)";
		return -1;
	}
	if (name != NULL)
		for (const char *p = name; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == '<' || *p == '>') {
				free(name);
				free(addr);
				*why_r = "the name may not contain control characters or '<' '>'";
				return -1;
			}
	*name_r = name;
	*addr_r = addr;
	return 0;
}

static int
day_index(const char *s, size_t n)
{
	static const char *const names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

	if (n != 3)
		return -1;
	for (int i = 0; i < 7; i++)
		if (strncasecmp(s, names[i], 3) == 0)
			return i;
	return -1;
}

int
confval_parse_days(const char *s, unsigned *mask_r, const char **why_r)
{
	unsigned mask = 0;

	*why_r = "expected day names like \"Mon-Fri\" or \"Mon,Wed,Fri\" (Sun Mon Tue Wed Thu Fri Sat)";
	for (;;) {
		size_t n, m;
		int a, b;

		s += strspn(s, " \t");
		n = strcspn(s, "-, \t");
		if ((a = day_index(s, n)) < 0)
			return -1;
		s += n;
		s += strspn(s, " \t");
		b = a;
		if (*s == '-') {
			s++;
			s += strspn(s, " \t");
			m = strcspn(s, "-, \t");
			if ((b = day_index(s, m)) < 0)
				return -1;
			s += m;
			s += strspn(s, " \t");
		}
		for (int d = a; ; d = (d + 1) % 7) {	/* "Fri-Mon" wraps */
			mask |= 1u << d;
			if (d == b)
				break;
		}
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return -1;
	}
	*mask_r = mask;
	return 0;
}

/* "HH:MM" at *sp → minutes; 24:00 only when end is true. */
static int
read_hhmm(const char **sp, bool end, int *min_r)
{
	const char *s = *sp;
	int h = 0, m;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	h = *s++ - '0';
	if (isdigit((unsigned char)*s))
		h = h * 10 + (*s++ - '0');
	if (*s++ != ':' || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end)))
		return -1;
	*sp = s + 2;
	*min_r = h * 60 + m;
	return 0;
}

int
confval_parse_hours(const char *s, struct pd_hours_range *r, size_t *n_r,
    size_t max, const char **why_r)
{
	for (;;) {
		int a, b;

		s += strspn(s, " \t");
		if (read_hhmm(&s, false, &a) < 0)
			goto bad;
		s += strspn(s, " \t");
		if (*s++ != '-')
			goto bad;
		s += strspn(s, " \t");
		if (read_hhmm(&s, true, &b) < 0)
			goto bad;
		if (a >= b) {
			*why_r = "a range must end after it starts (\"22:00-06:00\" is two "
			    "ranges: \"00:00-06:00,22:00-24:00\")";
			return -1;
		}
		if (*n_r == max) {
			*why_r = "too many ranges (at most 8)";
			return -1;
		}
		r[*n_r].start = a;
		r[*n_r].end = b;
		(*n_r)++;
		s += strspn(s, " \t");
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			goto bad;
	}
bad:
	*why_r = "expected ranges like \"08:00-12:00,13:00-17:00\" (24-hour clock; 24:00 may end a range)";
	return -1;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct pd_hours_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

int
confval_sort_hours(struct pd_hours_range *r, size_t n, const char **why_r)
{
	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 1; i < n; i++)
		if (r[i].start < r[i - 1].end) {
			*why_r = "two ranges overlap; merge them into one";
			return -1;
		}
	return 0;
}

static int
read_2digits(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

bool
confval_holiday_ok(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year = -1, month, day;

	if (strlen(s) == 10) {
		for (int i = 0; i < 4; i++)
			if (!isdigit((unsigned char)s[i]))
				return false;
		year = atoi(s);
		if (s[4] != '-')
			return false;
		s += 5;
	} else if (strlen(s) != 5)
		return false;
	month = read_2digits(s);
	day = read_2digits(s + 3);
	if (s[2] != '-' || month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
		return false;
	/* 29 February exists yearly only in leap years; "02-29" is accepted */
	if (year >= 0 && month == 2 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return false;
	return year != 0;
}

bool
confval_timezone_ok(const char *name)
{
	struct stat st;
	char path[512];

	/* No way out of the zoneinfo directory, and a name, not a path. */
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL ||
	    strlen(name) > 200)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return false;
	snprintf(path, sizeof(path), "%s/%s", CONFVAL_ZONEINFO, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
word_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return false;
	return true;
}

bool
confval_tag_ok(const char *s)
{
	return word_ok(s, 32);
}

bool
confval_name_ok(const char *s)
{
	return word_ok(s, 64);
}

int
confval_credential(const char *s, char **path_r, char **why_r)
{
	const char *dir, *name;

	if (strncmp(s, "credential:", 11) != 0)
		return 0;
	name = s + 11;
	if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		*why_r = xasprintf("\"%s\" is not a credential name (credential:NAME, NAME without '/')", s);
		return -1;
	}
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || dir[0] == '\0') {
		*why_r = xasprintf("%s needs $CREDENTIALS_DIRECTORY, which is not set "
		    "(systemd sets it for a service with LoadCredential=%s:FILE; "
		    "outside systemd give a file path instead)", s, name);
		return -1;
	}
	*path_r = xasprintf("%s/%s", dir, name);
	return 1;
}

bool
confval_in_credentials_dir(const char *path)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n;

	if (dir == NULL || dir[0] == '\0')
		return false;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* The checks shared by load time and read time on an open file. */
static int
secret_stat_ok(const char *path, const struct stat *st, char **why_r)
{
	if (!S_ISREG(st->st_mode)) {
		*why_r = xasprintf("%s is not a regular file", path);
		return -1;
	}
	/* systemd makes credentials private to the service itself; an ACL it
	 * adds for the service user shows up as group bits, so not checked. */
	if ((st->st_mode & 077) != 0 && !confval_in_credentials_dir(path)) {
		*why_r = xasprintf("%s is readable or writable by group or others (mode %04o): "
		    "chmod 600 %s", path, (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	if (st->st_size == 0) {
		*why_r = xasprintf("%s is empty: put the secret in it, on one line", path);
		return -1;
	}
	if (st->st_size > SECRET_MAX) {
		*why_r = xasprintf("%s is too large for a secret (over %d bytes): is it the right file?",
		    path, SECRET_MAX);
		return -1;
	}
	return 0;
}

int
confval_secret_file_ok(const char *path, char **why_r)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			*why_r = xasprintf("%s does not exist: create it with the secret on one line, "
			    "then chmod 600 %s", path, path);
		else
			*why_r = xasprintf("cannot use %s: %s", path, strerror(errno));
		return -1;
	}
	if (secret_stat_ok(path, &st, why_r) < 0)
		return -1;
	if (access(path, R_OK) < 0) {
		*why_r = xasprintf("%s cannot be read (%s): it must be readable by the user "
		    "postdesk runs as (chown it to that user, chmod 600)", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
confval_file_ok(const char *path, bool dir, char **why_r)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		*why_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		*why_r = xasprintf("%s is not a directory", path);
		return -1;
	}
	if (!dir && !S_ISREG(st.st_mode)) {
		*why_r = xasprintf("%s is not a regular file", path);
		return -1;
	}
	return 0;
}

char *
config_read_secret(const char *path, char **error_r)
{
	struct stat st;
	char *resolved = NULL, *why = NULL, *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	if (confval_credential(path, &resolved, &why) < 0) {
		*error_r = why;
		return NULL;
	}
	if (resolved != NULL)
		path = resolved;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("cannot read %s: %s", path, strerror(errno));
		free(resolved);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || secret_stat_ok(path, &st, &why) < 0) {
		*error_r = why != NULL ? why : xasprintf("cannot read %s: %s", path, strerror(errno));
		close(fd);
		free(resolved);
		return NULL;
	}
	/* One buffer, never reallocated: no stray copies of the secret. */
	buf = xmalloc(SECRET_MAX + 1);
	while (len <= SECRET_MAX &&
	    (n = read(fd, buf + len, SECRET_MAX + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*error_r = xasprintf("cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	if (len > SECRET_MAX) {
		*error_r = xasprintf("%s is too large for a secret (over %d bytes)", path, SECRET_MAX);
		goto fail;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0) {
		*error_r = xasprintf("%s is empty: put the secret in it, on one line", path);
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		*error_r = xasprintf("%s contains a NUL byte; a secret must be text "
		    "(e.g. head -c 32 /dev/urandom | base64)", path);
		goto fail;
	}
	close(fd);
	free(resolved);
	return buf;
fail:
	explicit_bzero(buf, SECRET_MAX + 1);
	free(buf);
	close(fd);
	free(resolved);
	return NULL;
}

char *
confval_resolve(const char *dir, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	return xasprintf("%s/%s", dir, path);
}

char *
confval_config_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[PATH_MAX];
	char *dir;

	if (slash == path)
		return xstrdup("/");
	dir = slash != NULL ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
		char *abs;

		if (strcmp(dir, ".") == 0)
			abs = xstrdup(cwd);
		else
			abs = xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, dir);
		free(dir);
		dir = abs;
	}
	return dir;
}

bool
confval_charset_ok(const char *charset)
{
	iconv_t cd = iconv_open("UTF-8", charset);

	if (cd == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

int
confval_regex_ok(const char *re, char **why_r)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *code;
	int err;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
	if (code != NULL) {
		pcre2_code_free(code);
		return 0;
	}
	if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", err);
	*why_r = xasprintf("%s at offset %zu", (const char *)msg, (size_t)off);
	return -1;
}

size_t
confval_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[33][33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}
