/* fuzz-config.c: libFuzzer target for the configuration loader
 * (config_load, src/conf/config.c and confval.c).
 *
 * The input is written as postdesk.conf into a private directory that
 * also holds the files a config refers to (imap.pass and secret, mode
 * 0600; world.pass, mode 0644; templates/), then loaded. Besides the
 * sanitizers' findings it checks, and traps after saying which one:
 *   - success and failure are exclusive: a config and no error lines, or
 *     no config and at least one;
 *   - every error line is one line of "FILE:LINE: message" or
 *     "FILE: message" (FILE absolute);
 *   - no error line quotes a secret written inline (the value of a
 *     password, pass, passwd, secret or token key, or the password of a
 *     user:password@ in a url), so that a mistaken config never puts a
 *     secret into a log: a line that holds the value and no longer holds
 *     it once only the value is changed quoted it;
 *   - a loaded config keeps its promises: at least one queue, a valid
 *     tag, absolute paths, one secret file per mailbox, ports in range;
 *   - loading the same file twice gives the same errors.
 *
 * Built and run by tests/fuzz/run-fuzz.sh (target "config"). */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "postdesk/config.h"
#include "postdesk/xalloc.h"
#include "confval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], path[300];

static void
fail(const char *what, const char *val)
{
	fprintf(stderr, "fuzz-config: invariant violated: %s", what);
	if (val != NULL) {
		fputs(": \"", stderr);
		for (size_t n = 0; val[n] && n < 300; n++) {
			unsigned char c = (unsigned char)val[n];

			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				fprintf(stderr, "\\x%02x", c);
			else
				fputc(c, stderr);
		}
		fputc('"', stderr);
	}
	fputc('\n', stderr);
	__builtin_trap();
}

static void
put_file(const char *name, const char *text, mode_t mode)
{
	char p[320];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || chmod(p, mode) < 0) {
		perror(p);
		abort();
	}
}

static void
cleanup(void)
{
	static const char *const names[] = { "postdesk.conf", "imap.pass", "secret",
		"world.pass", NULL };
	char p[320];

	for (size_t i = 0; names[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/templates", dir);
	rmdir(p);
	rmdir(dir);
}

static void
setup(void)
{
	char sub[320];

	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/pdfuzz-config.XXXXXX",
	    tmp != NULL && *tmp == '/' && strlen(tmp) < 200 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/postdesk.conf", dir);
	atexit(cleanup);
	put_file("imap.pass", "imap-password\n", 0600);
	put_file("secret", "hmac-secret\n", 0600);
	put_file("world.pass", "readable\n", 0644);
	snprintf(sub, sizeof(sub), "%s/templates", dir);
	mkdir(sub, 0755);
}

static size_t
count(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t n = 0;

	for (size_t i = 0; nlen > 0 && i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			n++;
	return n;
}

/* Inline secrets in the text: key = "value" for the secret keys, and in
 * the value of a url key the password of ...://user:password@host. Each
 * calls found() with the value's offset and length. */
static void
secrets(const char *t, size_t n, void (*found)(size_t, size_t, void *), void *arg)
{
	static const char *const keys[] = { "password", "passwd", "pass", "secret",
		"oauth2_token", "token", "url" };

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k]), j = i + kl, v, at, p, colon;

			if (j > n || strncasecmp(t + i, keys[k], kl) != 0 ||
			    (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '_')))
				continue;
			while (j < n && (t[j] == ' ' || t[j] == '\t'))
				j++;
			if (j >= n || (t[j] != '=' && t[j] != ':'))
				continue;
			j++;
			while (j < n && (t[j] == ' ' || t[j] == '\t'))
				j++;
			if (j >= n || t[j] != '"')
				continue;
			for (v = j + 1; v < n && t[v] != '"' && t[v] != '\\' && t[v] != '\n'; v++)
				;
			if (v >= n || t[v] != '"')
				continue;
			if (strcmp(keys[k], "url") != 0) {
				found(j + 1, v - j - 1, arg);
				continue;
			}
			/* url: the password before its last '@', after the
			 * ':' that follows the last "://" before it */
			for (at = v; at > j + 1 && t[at - 1] != '@'; at--)
				;
			if (at == j + 1)
				continue;
			at--;
			for (p = at; p > j + 3 && memcmp(t + p - 3, "://", 3) != 0; p--)
				;
			if (p == j + 3)
				continue;
			for (colon = p; colon < at && t[colon] != ':'; colon++)
				;
			if (colon < at)
				found(colon + 1, at - colon - 1, arg);
		}
	}
}

struct leakcheck {
	const char *text;
	size_t len;
	const struct config_errors *errs;
};

static void
write_config(const char *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) < 0) {
		perror(path);
		abort();
	}
}

/* A secret value that an error line holds is a leak when the same line
 * no longer holds it once the value (and nothing else) is changed: then
 * the line quoted it, and it is not, say, part of the message's own text. */
static void
no_leak(size_t off, size_t vlen, void *arg)
{
	struct leakcheck *lc = arg;
	const char *val = lc->text + off;
	struct config_errors e2;
	struct pd_config *cfg2 = NULL;
	char *changed;
	bool held = false;

	/* Short or repeated values may be quoted for another reason. */
	if (vlen < 6 || memchr(val, '\0', vlen) || count(lc->text, lc->len, val, vlen) != 1)
		return;
	for (size_t i = 0; i < lc->errs->count; i++)
		if (count(lc->errs->lines[i], strlen(lc->errs->lines[i]), val, vlen) > 0)
			held = true;
	if (!held)
		return;
	changed = xmalloc(lc->len);
	memcpy(changed, lc->text, lc->len);
	for (size_t i = 0; i < vlen; i++)
		changed[off + i] = changed[off + i] == 'Z' ? 'Y' : 'Z';
	write_config(changed, lc->len);
	config_load(path, &cfg2, &e2);
	if (e2.count == lc->errs->count)
		for (size_t i = 0; i < e2.count; i++)
			if (count(lc->errs->lines[i], strlen(lc->errs->lines[i]), val, vlen) > 0 &&
			    count(e2.lines[i], strlen(e2.lines[i]), val, vlen) == 0)
				fail("an error line repeats an inline secret", lc->errs->lines[i]);
	config_free(&cfg2);
	config_errors_free(&e2);
	free(changed);
	write_config(lc->text, lc->len);
}

static void
check_errors(const struct config_errors *e)
{
	for (size_t i = 0; i < e->count; i++) {
		const char *l = e->lines[i];

		/* The config's own file, or an absolute @include'd one. */
		if (l[0] != '/')
			fail("an error line that names no file", l);
		if (strchr(l, '\n') != NULL || strstr(l, ": ") == NULL)
			fail("an error line that is not one FILE[:LINE]: message line", l);
	}
}

static void
check_path(const char *p, const char *what)
{
	if (p != NULL && p[0] != '/')
		fail("a relative path in a loaded config", what);
}

static void
check_config(const struct pd_config *c)
{
	if (c->nqueues < 1 || c->queues == NULL)
		fail("a config without a queue", NULL);
	if (c->tag == NULL || !confval_tag_ok(c->tag))
		fail("a config with an invalid tag", c->tag);
	if (c->database == NULL || (c->database[0] != '/' && strcmp(c->database, ":memory:")))
		fail("database neither absolute nor :memory:", c->database);
	check_path(c->secret_file, "secret_file");
	check_path(c->templates_dir, "templates.dir");
	for (size_t i = 0; i < c->nimap; i++) {
		const struct pd_imap *m = &c->imap[i];

		if (m->host == NULL || m->user == NULL || m->name == NULL)
			fail("a mailbox without host, user or name", NULL);
		if ((m->password_file == NULL) == (m->oauth2_token_file == NULL))
			fail("a mailbox without exactly one secret file", m->name);
		if (m->port < 1 || m->port > 65535)
			fail("a mailbox port out of range", m->name);
		check_path(m->password_file, "imap.password_file");
		check_path(m->oauth2_token_file, "imap.oauth2_token_file");
		check_path(m->ca_file, "imap.ca_file");
	}
	if (c->has_smtp) {
		check_path(c->smtp.password_file, "smtp.password_file");
		check_path(c->smtp.oauth2_token_file, "smtp.oauth2_token_file");
		check_path(c->smtp.ca_file, "smtp.ca_file");
		if (c->smtp.url == NULL || c->smtp.from_addr == NULL)
			fail("smtp without url or from address", NULL);
	}
	for (size_t i = 0; i < c->nagents; i++)
		if (c->agents[i].email == NULL || strchr(c->agents[i].email, '@') == NULL)
			fail("an agent without an address", c->agents[i].name);
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].nmatch < 1)
			fail("a rule without a condition", c->rules[i].name);
	if (c->max_message_size <= 0 || c->max_mime_depth <= 0 || c->max_mime_parts <= 0 ||
	    c->max_header_size <= 0)
		fail("a parser limit that is not positive", NULL);
	if (c->charset_fallback == NULL)
		fail("no charset fallback list", NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_config *cfg = NULL, *cfg2 = NULL;
	struct config_errors e1, e2;
	struct leakcheck lc;
	int r1, r2;

	if (dir[0] == '\0')
		setup();
	write_config((const char *)data, size);
	r1 = config_load(path, &cfg, &e1);
	if ((r1 == 0) != (cfg != NULL) || (r1 == 0) != (e1.count == 0) || (r1 != 0 && r1 != -1))
		fail("success and errors are not exclusive", NULL);
	check_errors(&e1);
	lc = (struct leakcheck){ (const char *)data, size, &e1 };
	secrets((const char *)data, size, no_leak, &lc);
	if (cfg != NULL)
		check_config(cfg);
	r2 = config_load(path, &cfg2, &e2);
	if (r2 != r1 || e2.count != e1.count)
		fail("the same file loaded differently twice", NULL);
	for (size_t i = 0; i < e1.count; i++)
		if (strcmp(e1.lines[i], e2.lines[i]) != 0)
			fail("the same file gave other errors the second time", e2.lines[i]);
	config_free(&cfg);
	config_free(&cfg2);
	if (cfg != NULL)
		fail("config_free left the pointer set", NULL);
	config_errors_free(&e1);
	config_errors_free(&e2);
	return 0;
}
