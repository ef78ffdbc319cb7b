/* test-smtpc.c: the SMTP client against the real Postfix of
 * tests/mailstack, plus a scripted fake server on loopback for replies
 * Postfix cannot be made to give (no STARTTLS, no AUTH, a 4xx to one
 * recipient, a 421 greeting, silence). Run by
 * tests/integration/t-smtpc.sh, which starts the stack and passes its
 * MAILSTACK_* variables.
 *
 * What smtpc did is checked independently: delivered mail with doveadm,
 * connections and sessions in Postfix's log, the bytes on the wire by the
 * fake server. Nothing is skipped: without the stack the program fails
 * and says why. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "postdesk/config.h"
#include "postdesk/log.h"
#include "postdesk/smtpc.h"

#define USER "support@example.test"

static struct {
	const char *dir, *ca, *password, *dovecot_conf;
	int smtp_port, submission_port, smtps_port;
	char other_ca[512];		/* DIR/tls/other-ca.pem */
	char mailstack[512];		/* the mailstack script */
	char postfix_log[512];
} E;

/* ---- helpers ----------------------------------------------------------- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap * 2 + 8192;
			s = realloc(s, cap);
			assert_non_null(s);
		}
		r = fread(s + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	s[n] = '\0';
	if (len_r != NULL)
		*len_r = n;
	return s;
}

/* Run a shell command; its standard output (caller frees). */
static char *PD_PRINTF(1, 2)
run(const char *fmt, ...)
{
	char cmd[2048], *out;
	size_t n = 0, r;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	out = malloc(1 << 16);
	assert_non_null(out);
	while (n < (1 << 16) - 1 &&
	    (r = fread(out + n, 1, (1 << 16) - 1 - n, p)) > 0)
		n += r;
	out[n] = '\0';
	pclose(p);
	return out;
}

static void
mailstack(const char *env, const char *what)
{
	free(run("%s '%s' %s '%s' 2>&1", env, E.mailstack, what, E.dir));
}

#define assert_contains(hay, needle) do {				\
	if (strstr((hay), (needle)) == NULL)				\
		fail_msg("\"%s\" not found in: %s", (needle), (hay));	\
} while (0)

#define assert_starts_with(s, prefix) do {				\
	if (strncmp((s), (prefix), strlen(prefix)) != 0)		\
		fail_msg("\"%s\" does not start with \"%s\"", (s), (prefix)); \
} while (0)

/* A token no earlier run left in a mailbox. */
static const char *
token(void)
{
	static char buf[64];
	static unsigned n;

	snprintf(buf, sizeof(buf), "tok%ld%u%x", (long)getpid(), ++n,
	    (unsigned)(now() * 1000) & 0xffffff);
	return buf;
}

/* A message with bare LF line ends, a lone "." line and a line that
 * starts with "..": all must arrive as written. Caller frees. */
static char *
message(const char *tok, const char *to)
{
	char *m;

	assert_true(asprintf(&m, "From: Support <" USER ">\nTo: <%s>\n"
	    "Subject: smtpc test %s\nMessage-ID: <%s@example.test>\n\n"
	    "body of %s\n.\n..two dots\nlast line\n", to, tok, tok, tok) > 0);
	return m;
}

/* The whole text of the message with tok in its subject in user's INBOX,
 * after Postfix's queue has emptied; "" if none (caller frees). */
static char *
delivered(const char *user, const char *tok)
{
	free(run("'%s' wait-queue '%s' 20 2>&1", E.mailstack, E.dir));
	return run("doveadm -c '%s' fetch -u '%s' text mailbox INBOX "
	    "subject '%s' 2>&1", E.dovecot_conf, user, tok);
}

struct tcfg {
	struct pd_smtp c;
	char url[128];
};

static void
cfg_init(struct tcfg *t, const char *scheme, const char *host, int port,
    enum pd_tls tls, const char *user)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->url, sizeof(t->url), "%s://%s:%d", scheme, host, port);
	t->c.url = t->url;
	t->c.tls = tls;
	t->c.ca_file = (char *)E.ca;
	t->c.user = (char *)user;
	t->c.timeout = 10;
}

/* Submission (STARTTLS + AUTH) as support. */
static void
cfg_submission(struct tcfg *t)
{
	cfg_init(t, "smtp", "127.0.0.1", E.submission_port, PD_TLS_STARTTLS,
	    USER);
}

static struct smtpc *
open_ok(const struct tcfg *t, const char *secret)
{
	struct smtpc *s = NULL;
	char *err = NULL;

	if (smtpc_open(&t->c, secret, &s, &err) < 0)
		fail_msg("smtpc_open: %s", err);
	return s;
}

/* Send msg to one recipient; returns the result, *reply_r set. */
static enum smtpc_result
send1(struct smtpc *s, const char *from, const char *to, const char *msg,
    char **reply_r)
{
	const char *rcpts[1] = { to };
	enum smtpc_result fate = (enum smtpc_result)-1, r;

	r = smtpc_send(s, from, rcpts, 1, msg, strlen(msg), &fate, reply_r);
	assert_non_null(*reply_r);
	assert_int_equal(fate, r);
	return r;
}

/* Everything written to stderr (postdesk's log) between begin and end. */
static struct {
	int saved;
	char path[64];
} cap;

static void
capture_begin(enum log_level level)
{
	int fd;

	strcpy(cap.path, "/tmp/test-smtpc-log.XXXXXX");
	fd = mkstemp(cap.path);
	assert_true(fd >= 0);
	fflush(stderr);
	cap.saved = dup(2);
	dup2(fd, 2);
	close(fd);
	log_set_level(level);
}

static char *
capture_end(void)
{
	char *s;

	log_set_level(LOG_LVL_ERROR);
	fflush(stderr);
	dup2(cap.saved, 2);
	close(cap.saved);
	s = slurp(cap.path, NULL);
	unlink(cap.path);
	assert_non_null(s);
	return s;
}

static size_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

/* Postfix's log from offset on, once it contains what (up to 5 s; postlogd
 * writes a moment later). NULL if it never does (caller frees). */
static char *
postfix_log_after(size_t offset, const char *what)
{
	char *s;
	size_t len;
	int i;

	for (i = 0; i < 50; i++) {
		s = slurp(E.postfix_log, &len);
		assert_non_null(s);
		if (len >= offset && strstr(s + offset, what) != NULL) {
			memmove(s, s + offset, len - offset + 1);
			return s;
		}
		free(s);
		usleep(100000);
	}
	return NULL;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* ---- a scripted fake server ----------------------------------------------
 *
 * Steps: "S:text" send a line; "C:prefix" read a line that must start so
 * (case-insensitive); "D:" read the message up to the "." line into the
 * data file; "X:" read until the client hangs up, which it must do
 * without ending DATA; "E:" the client may only say QUIT (answered) before
 * it hangs up; "A:" hang up and take the next connection. The child exits
 * 0 when the client did all that. */

struct fake {
	pid_t pid;
	int port;
	char data[64];
};

static void
fake_child(int lfd, const char *const *script, const char *data_path)
{
	char line[4096];
	FILE *in, *out;
	size_t k;
	int fd;

	alarm(20);
	if ((fd = accept(lfd, NULL, NULL)) < 0 || (in = fdopen(fd, "r")) == NULL)
		_exit(2);
	for (k = 0; script[k] != NULL; k++) {
		const char *arg = script[k] + 2;

		switch (script[k][0]) {
		case 'S':
			dprintf(fd, "%s\r\n", arg);
			break;
		case 'C':
			if (fgets(line, sizeof(line), in) == NULL)
				strcpy(line, "(hung up)");
			if (strncasecmp(line, arg, strlen(arg)) != 0) {
				fprintf(stderr, "# fake: step %zu: want \"%s\","
				    " got \"%s\"\n", k, arg, line);
				_exit(10);
			}
			break;
		case 'D':
			if ((out = fopen(data_path, "wb")) == NULL)
				_exit(3);
			while (fgets(line, sizeof(line), in) != NULL &&
			    strcmp(line, ".\r\n") != 0)
				fputs(line, out);
			fclose(out);
			if (feof(in))
				_exit(11);
			break;
		case 'X':
			while (fgets(line, sizeof(line), in) != NULL)
				if (strcmp(line, ".\r\n") == 0)
					_exit(12);
			break;
		case 'A':
			fclose(in);
			if ((fd = accept(lfd, NULL, NULL)) < 0 ||
			    (in = fdopen(fd, "r")) == NULL)
				_exit(2);
			break;
		case 'E':
			while (fgets(line, sizeof(line), in) != NULL) {
				if (strncasecmp(line, "QUIT", 4) == 0) {
					dprintf(fd, "221 bye\r\n");
					continue;
				}
				fprintf(stderr, "# fake: unexpected \"%s\"\n",
				    line);
				_exit(13);
			}
			break;
		}
	}
	_exit(0);
}

static void
fake_start(struct fake *f, const char *const *script)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd;

	strcpy(f->data, "/tmp/test-smtpc-data.XXXXXX");
	close(mkstemp(f->data));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 2), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	f->port = ntohs(sin.sin_port);
	fflush(NULL);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		fake_child(lfd, script, f->data);
	close(lfd);
}

/* Wait for the fake server; assert it saw what it wanted. */
static void
fake_end(struct fake *f)
{
	int st = 0;

	assert_int_equal(waitpid(f->pid, &st, 0), f->pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("fake server: %s %d", WIFEXITED(st) ? "exit" :
		    "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void
cfg_fake(struct tcfg *t, const struct fake *f, enum pd_tls tls,
    const char *user)
{
	cfg_init(t, "smtp", "127.0.0.1", f->port, tls, user);
}

/* ---- against Postfix ---------------------------------------------------- */

static void
submission_starttls_auth_delivers(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *tok = token();
	char *msg = message(tok, "customer1@example.test"), *reply, *got,
	    want[128];

	(void)state;
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	assert_int_equal(send1(s, USER, "customer1@example.test", msg, &reply),
	    SMTPC_SENT);
	assert_starts_with(reply, "250 2.0.0 Ok: queued as ");
	free(reply);
	smtpc_close(&s);
	assert_null(s);
	got = delivered("customer1@example.test", tok);
	snprintf(want, sizeof(want), "Subject: smtpc test %s\n", tok);
	assert_contains(got, want);
	/* Postfix says: over TLS, authenticated as support. */
	assert_contains(got, "(Authenticated sender: " USER ")");
	assert_contains(got, "with ESMTPSA id");
	assert_contains(got, "Return-Path: <" USER ">");
	/* Dot-stuffing done by libcurl and undone by Postfix. */
	snprintf(want, sizeof(want), "\nbody of %s\n.\n..two dots\nlast line\n",
	    tok);
	assert_contains(got, want);
	free(got);
	free(msg);
}

static void
batch_reuses_one_connection(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	char *msg, *reply, *log, *got, *p, qid[3][32], want[200];
	const char *tok[3];
	size_t off = file_size(E.postfix_log);
	int i, pid;

	(void)state;
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	for (i = 0; i < 3; i++) {
		tok[i] = strdup(token());
		msg = message(tok[i], "customer2@example.test");
		assert_int_equal(send1(s, USER, "customer2@example.test", msg,
		    &reply), SMTPC_SENT);
		assert_int_equal(sscanf(reply, "250 2.0.0 Ok: queued as %31s",
		    qid[i]), 1);
		free(reply);
		free(msg);
	}
	smtpc_close(&s);
	/* One session carried all three, then said QUIT. */
	log = postfix_log_after(off, "postfix/submission/smtpd");
	assert_non_null(log);
	free(log);
	log = postfix_log_after(off, " quit=1 ");
	if (log == NULL)
		fail_msg("no submission session ended in Postfix's log");
	/* The smtpd process that took the first message saw one connection,
	 * and the session that carried all three. */
	snprintf(want, sizeof(want), "]: %s: client=", qid[0]);
	p = strstr(log, want);
	assert_non_null(p);
	while (p > log && p[-1] != '[')
		p--;
	pid = atoi(p);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "smtpd[%d]: %s: client=", pid,
		    qid[i]);
		assert_contains(log, want);
	}
	snprintf(want, sizeof(want), "smtpd[%d]: connect from ", pid);
	assert_int_equal(count(log, want), 1);
	snprintf(want, sizeof(want), "smtpd[%d]: disconnect from unknown"
	    "[127.0.0.1] ehlo=2 starttls=1 auth=1 mail=3 rcpt=3 data=3 "
	    "quit=1 commands=14", pid);
	assert_contains(log, want);
	free(log);
	for (i = 0; i < 3; i++) {
		got = delivered("customer2@example.test", tok[i]);
		snprintf(want, sizeof(want), "Subject: smtpc test %s\n", tok[i]);
		assert_contains(got, want);
		free(got);
		free((char *)tok[i]);
	}
}

static void
smtps_implicit_tls_by_host_name(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *tok = token();
	char *msg = message(tok, "customer3@example.test"), *reply, *got;

	(void)state;
	/* A DNS name this time: SNI and the name check on DNS:localhost. */
	cfg_init(&t, "smtps", "localhost", E.smtps_port, PD_TLS_IMPLICIT, USER);
	s = open_ok(&t, E.password);
	assert_int_equal(send1(s, USER, "customer3@example.test", msg, &reply),
	    SMTPC_SENT);
	assert_starts_with(reply, "250 2.0.0 Ok: queued as ");
	free(reply);
	smtpc_close(&s);
	got = delivered("customer3@example.test", tok);
	assert_contains(got, tok);
	assert_contains(got, "with ESMTPSA id");
	free(got);
	free(msg);
}

static void
null_reverse_path(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *tok = token();
	char *msg = message(tok, "customer4@example.test"), *reply, *got;

	(void)state;
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	assert_int_equal(send1(s, "", "customer4@example.test", msg, &reply),
	    SMTPC_SENT);
	free(reply);
	smtpc_close(&s);
	got = delivered("customer4@example.test", tok);
	assert_contains(got, tok);
	assert_starts_with(got, "text:\nReturn-Path: <>\n");
	free(got);
	free(msg);
}

static void
unknown_recipient_is_permanent(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	char *msg = message(token(), "nobody@example.test"), *reply;

	(void)state;
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	assert_int_equal(send1(s, USER, "nobody@example.test", msg, &reply),
	    SMTPC_PERMFAIL);
	assert_string_equal(reply, "550 5.1.1 <nobody@example.test>: Recipient "
	    "address rejected: User unknown in virtual mailbox table");
	assert_false(smtpc_error_is_session(s));
	free(reply);
	smtpc_close(&s);
	free(msg);
}

/* Decision: sent to those accepted, the refused ones reported. */
static void
some_recipients_refused(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *tok = token();
	const char *rcpts[3] = { "nobody@example.test", "customer5@example.test",
	    "agent1@example.test" };
	enum smtpc_result fate[3];
	char *msg = message(tok, "customer5@example.test"), *reply, *got;

	(void)state;
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	assert_int_equal(smtpc_send(s, USER, rcpts, 3, msg, strlen(msg), fate,
	    &reply), SMTPC_SENT);
	assert_int_equal(fate[0], SMTPC_PERMFAIL);
	assert_int_equal(fate[1], SMTPC_SENT);
	assert_int_equal(fate[2], SMTPC_SENT);
	assert_starts_with(reply, "250 2.0.0 Ok: queued as ");
	assert_contains(reply, "; not accepted: nobody@example.test: 550 5.1.1 "
	    "<nobody@example.test>: Recipient address rejected");
	free(reply);
	smtpc_close(&s);
	got = delivered("customer5@example.test", tok);
	assert_contains(got, tok);
	free(got);
	got = delivered("agent1@example.test", tok);
	assert_contains(got, tok);
	free(got);
	free(msg);
}

static void
wrong_password_is_kept_and_never_logged(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *pw = "Wr0ng-pa55word";
	/* base64("\0support@example.test\0Wr0ng-pa55word"), AUTH PLAIN */
	const char *pw64 = "AHN1cHBvcnRAZXhhbXBsZS50ZXN0AFdyMG5nLXBhNTV3b3Jk";
	char *msg = message(token(), "customer1@example.test"), *reply, *log,
	    want[160];

	(void)state;
	cfg_submission(&t);
	s = open_ok(&t, pw);
	capture_begin(LOG_LVL_DEBUG);
	assert_int_equal(send1(s, USER, "customer1@example.test", msg, &reply),
	    SMTPC_TEMPFAIL);
	log = capture_end();
	assert_true(smtpc_error_is_session(s));
	snprintf(want, sizeof(want), "AUTH as " USER " refused by "
	    "127.0.0.1:%d: 535 5.7.8 Error: authentication failed",
	    E.submission_port);
	assert_starts_with(reply, want);
	/* The trace shows the dialogue, never the secret. */
	assert_contains(log, "C: STARTTLS");
	assert_contains(log, "C: AUTH PLAIN (credentials not shown)");
	assert_contains(log, "S: 535 5.7.8");
	assert_null(strstr(log, pw));
	assert_null(strstr(log, pw64));
	assert_null(strstr(log, "AHN1cHBvcnRAZXhhbXBsZS50ZXN0"));
	free(log);
	free(reply);
	smtpc_close(&s);
	free(msg);
}

static void
token_without_xoauth2_is_not_sent(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *tokn = "ya29.NotAToken-q7Zr";
	char *msg = message(token(), "customer1@example.test"), *reply, *log,
	    want[200];

	(void)state;
	cfg_submission(&t);
	t.c.oauth2_token_file = (char *)"/nonexistent/token";
	s = open_ok(&t, tokn);
	capture_begin(LOG_LVL_DEBUG);
	assert_int_equal(send1(s, USER, "customer1@example.test", msg, &reply),
	    SMTPC_TEMPFAIL);
	log = capture_end();
	assert_true(smtpc_error_is_session(s));
	snprintf(want, sizeof(want), "AUTH as " USER " at 127.0.0.1:%d "
	    "impossible: the server offers AUTH PLAIN LOGIN, postdesk needs "
	    "OAUTHBEARER or XOAUTH2", E.submission_port);
	assert_string_equal(reply, want);
	/* No AUTH command at all, so no PLAIN with an empty password. */
	assert_null(strstr(log, "C: AUTH"));
	assert_null(strstr(log, tokn));
	free(log);
	free(reply);
	smtpc_close(&s);
	free(msg);
}

static void
postfix_down_then_up(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *tok = token();
	char *msg = message(tok, "customer1@example.test"), *reply, *got,
	    want[128];
	enum smtpc_result r;
	bool session;

	(void)state;
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	/* A connection in libcurl's cache when the server goes away. */
	assert_int_equal(send1(s, USER, "customer1@example.test", msg, &reply),
	    SMTPC_SENT);
	free(reply);
	mailstack("", "stop-postfix");
	r = send1(s, USER, "customer1@example.test", msg, &reply);
	session = smtpc_error_is_session(s);
	/* Up again before asserting: the later cases need Postfix. */
	mailstack("", "start-postfix");
	assert_int_equal(r, SMTPC_TEMPFAIL);
	assert_true(session);
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%d: "
	    "Connection refused", E.submission_port);
	assert_string_equal(reply, want);
	free(reply);
	free(msg);
	tok = token();
	msg = message(tok, "customer1@example.test");
	assert_int_equal(send1(s, USER, "customer1@example.test", msg, &reply),
	    SMTPC_SENT);
	assert_false(smtpc_error_is_session(s));
	free(reply);
	smtpc_close(&s);
	got = delivered("customer1@example.test", tok);
	assert_contains(got, tok);
	free(got);
	free(msg);
}

/* Decision: TEMPFAIL (the outbox keeps the mail until an operator fixes
 * the certificate or the ca_file), with the reason. */
static void
untrusted_ca_is_refused(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	char *msg = message(token(), "customer1@example.test"), *reply,
	    want[160];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		if (i == 0)
			cfg_submission(&t);
		else
			cfg_init(&t, "smtps", "127.0.0.1", E.smtps_port,
			    PD_TLS_IMPLICIT, USER);
		t.c.ca_file = E.other_ca;
		s = open_ok(&t, E.password);
		assert_int_equal(send1(s, USER, "customer1@example.test", msg,
		    &reply), SMTPC_TEMPFAIL);
		assert_true(smtpc_error_is_session(s));
		snprintf(want, sizeof(want), "TLS certificate of 127.0.0.1:%d "
		    "not accepted: ", i == 0 ? E.submission_port :
		    E.smtps_port);
		assert_starts_with(reply, want);
		assert_contains(reply, "certificate verification failed");
		assert_contains(reply, E.other_ca);
		free(reply);
		smtpc_close(&s);
	}
	free(msg);
}

static void
wrong_host_name_is_refused(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	char *msg = message(token(), "customer1@example.test"), *reply, *log;
	enum smtpc_result r;
	bool session;
	size_t off;

	(void)state;
	mailstack("MAILSTACK_CERT=wrong-name", "restart-postfix");
	off = file_size(E.postfix_log);
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	r = send1(s, USER, "customer1@example.test", msg, &reply);
	session = smtpc_error_is_session(s);
	smtpc_close(&s);
	/* Postfix saw the session end after STARTTLS, before any AUTH. */
	log = postfix_log_after(off, "ehlo=1 starttls=1 commands=2");
	mailstack("", "restart-postfix");	/* before asserting */
	assert_int_equal(r, SMTPC_TEMPFAIL);
	assert_true(session);
	/* Our own check says why, then libcurl's words. */
	assert_contains(reply, "not accepted: certificate does not match host "
	    "name 127.0.0.1 (it is for DNS:wrong.example.test)");
	assert_contains(reply, "libcurl: SSL: certificate subject name "
	    "(wrong.example.test) does not match target host name '127.0.0.1'");
	free(reply);
	if (log == NULL)
		fail_msg("Postfix's log has no session of EHLO and STARTTLS "
		    "alone");
	free(log);
	s = open_ok(&t, E.password);
	assert_int_equal(send1(s, USER, "customer1@example.test", msg, &reply),
	    SMTPC_SENT);
	free(reply);
	smtpc_close(&s);
	free(msg);
}

/* An expired certificate of the right CA for the right name: libcurl's
 * GnuTLS backend says only "verification failed"; the reply must say that
 * it expired, and when. */
static void
expired_certificate_is_refused(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	char *msg = message(token(), "customer1@example.test"), *reply;
	enum smtpc_result r;
	bool session;

	(void)state;
	mailstack("MAILSTACK_CERT=expired", "restart-postfix");
	cfg_submission(&t);
	s = open_ok(&t, E.password);
	r = send1(s, USER, "customer1@example.test", msg, &reply);
	session = smtpc_error_is_session(s);
	smtpc_close(&s);
	mailstack("", "restart-postfix");	/* before asserting */
	assert_int_equal(r, SMTPC_TEMPFAIL);
	assert_true(session);
	assert_contains(reply, "not accepted: certificate for 127.0.0.1 is not "
	    "trusted (expired on ");
	free(reply);
	free(msg);
}

static void
plain_smtp_when_configured_warns(void **state)
{
	struct tcfg t;
	struct smtpc *s = NULL;
	const char *tok = token();
	char *msg = message(tok, "customer2@example.test"), *reply, *got, *log,
	    *err = NULL;

	(void)state;
	cfg_init(&t, "smtp", "127.0.0.1", E.smtp_port, PD_TLS_NONE, NULL);
	capture_begin(LOG_LVL_WARN);
	assert_int_equal(smtpc_open(&t.c, NULL, &s, &err), 0);
	log = capture_end();
	assert_contains(log, "tls = none: mail travels unencrypted");
	free(log);
	assert_int_equal(send1(s, USER, "customer2@example.test", msg, &reply),
	    SMTPC_SENT);
	free(reply);
	smtpc_close(&s);
	got = delivered("customer2@example.test", tok);
	assert_contains(got, tok);
	assert_contains(got, "with ESMTP id");	/* no S: no TLS, no A: no AUTH */
	free(got);
	free(msg);
}

static void
open_refuses_bad_configs(void **state)
{
	struct tcfg t;
	struct smtpc *s = NULL;
	char *err = NULL;

	(void)state;
	cfg_submission(&t);
	assert_int_equal(smtpc_open(&t.c, NULL, &s, &err), -1);
	assert_null(s);
	assert_string_equal(err, "smtp: user is set but no password or token "
	    "was given");
	free(err);
	cfg_init(&t, "smtp", "127.0.0.1", E.submission_port, PD_TLS_IMPLICIT,
	    NULL);
	assert_int_equal(smtpc_open(&t.c, NULL, &s, &err), -1);
	assert_string_equal(err, "smtp: tls = implicit needs an smtps:// url");
	free(err);
	cfg_init(&t, "http", "127.0.0.1", 80, PD_TLS_NONE, NULL);
	assert_int_equal(smtpc_open(&t.c, NULL, &s, &err), -1);
	assert_string_equal(err, "smtp url \"http://127.0.0.1:80\" is not "
	    "smtp:// or smtps://");
	free(err);
	smtpc_close(&s);	/* NULL is fine */
}

static void
bad_envelopes_are_refused_unsent(void **state)
{
	struct tcfg t;
	struct smtpc *s;
	const char *evil[1] = { "x@example.test>\r\nRCPT TO:<y@example.test" };
	const char *none[1] = { NULL };
	enum smtpc_result fate[1];
	char *reply;

	(void)state;
	/* Port 1 has no server: nothing may even try to connect. */
	cfg_init(&t, "smtp", "127.0.0.1", 1, PD_TLS_STARTTLS, NULL);
	s = open_ok(&t, NULL);
	assert_int_equal(smtpc_send(s, USER, evil, 1, "x", 1, fate, &reply),
	    SMTPC_PERMFAIL);
	assert_string_equal(reply, "bad envelope recipient address");
	assert_int_equal(fate[0], SMTPC_PERMFAIL);
	free(reply);
	assert_int_equal(smtpc_send(s, "a@b\n", evil, 1, "x", 1, NULL, &reply),
	    SMTPC_PERMFAIL);
	assert_string_equal(reply, "bad envelope sender address");
	free(reply);
	assert_int_equal(smtpc_send(s, USER, none, 0, "x", 1, NULL, &reply),
	    SMTPC_PERMFAIL);
	assert_string_equal(reply, "no recipients");
	free(reply);
	smtpc_close(&s);
}

/* ---- against the fake server -------------------------------------------- */

static void
starttls_not_offered_sends_nothing(void **state)
{
	static const char *const script[] = {
		"S:220 fake ESMTP", "C:EHLO ", "S:250-fake", "S:250 AUTH PLAIN",
		"E:", NULL,
	};
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply, want[200];

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_STARTTLS, "u@example.test");
	s = open_ok(&t, "pw-q7");
	assert_int_equal(send1(s, USER, "a@example.test", "x\n", &reply),
	    SMTPC_TEMPFAIL);
	assert_true(smtpc_error_is_session(s));
	snprintf(want, sizeof(want), "127.0.0.1:%d does not offer STARTTLS; "
	    "refusing to send AUTH or mail in clear text", f.port);
	assert_starts_with(reply, want);
	free(reply);
	smtpc_close(&s);
	fake_end(&f);		/* no AUTH, no MAIL came */
	unlink(f.data);
}

static void
auth_not_offered_sends_nothing(void **state)
{
	static const char *const script[] = {
		"S:220 fake ESMTP", "C:EHLO ", "S:250 fake",
		"C:MAIL FROM:<" USER ">", "S:250 2.1.0 Ok",
		"C:RCPT TO:<a@example.test>", "S:250 2.1.5 Ok",
		"C:DATA", "S:354 go ahead", "X:", NULL,
	};
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply, want[200];

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_NONE, "u@example.test");
	s = open_ok(&t, "pw-q7");
	assert_int_equal(send1(s, USER, "a@example.test", "x\n", &reply),
	    SMTPC_TEMPFAIL);
	assert_true(smtpc_error_is_session(s));
	snprintf(want, sizeof(want), "127.0.0.1:%d does not offer AUTH (user "
	    "u@example.test is set); refusing to send unauthenticated", f.port);
	assert_string_equal(reply, want);
	free(reply);
	smtpc_close(&s);
	fake_end(&f);		/* hung up without ending DATA */
	unlink(f.data);
}

/* One recipient refused for now: the message goes to the other, and the
 * caller learns to retry only that one. The bytes on the wire: CRLF
 * everywhere, dots stuffed, a final CRLF added. */
static void
temporary_refusal_of_one_recipient(void **state)
{
	static const char *const script[] = {
		"S:220 fake ESMTP", "C:EHLO ", "S:250 fake",
		"C:MAIL FROM:<" USER ">", "S:250 2.1.0 Ok",
		"C:RCPT TO:<a@example.test>", "S:250 2.1.5 Ok",
		"C:RCPT TO:<b@example.test>", "S:452 4.2.2 <b@example.test>: "
		"mailbox full", "C:DATA", "S:354 go ahead", "D:",
		"S:250 2.0.0 Ok: queued as FAKE1", "E:", NULL,
	};
	const char *rcpts[2] = { "a@example.test", "b@example.test" };
	const char raw[] = ".lead\nSubject: t\n\n.\nline\r\n..x\rmid\r\nlast";
	enum smtpc_result fate[2];
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply, *data;

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_NONE, NULL);
	s = open_ok(&t, NULL);
	assert_int_equal(smtpc_send(s, USER, rcpts, 2, raw, strlen(raw), fate,
	    &reply), SMTPC_SENT);
	assert_int_equal(fate[0], SMTPC_SENT);
	assert_int_equal(fate[1], SMTPC_TEMPFAIL);
	assert_string_equal(reply, "250 2.0.0 Ok: queued as FAKE1; not "
	    "accepted: b@example.test: 452 4.2.2 <b@example.test>: mailbox full");
	free(reply);
	smtpc_close(&s);
	fake_end(&f);
	data = slurp(f.data, NULL);
	assert_non_null(data);
	assert_string_equal(data, "..lead\r\nSubject: t\r\n\r\n..\r\nline\r\n"
	    "...x\r\nmid\r\nlast\r\n");
	free(data);
	unlink(f.data);
}

static void
every_recipient_refused(void **state)
{
	static const char *const script[] = {
		"S:220 fake ESMTP", "C:EHLO ", "S:250 fake",
		"C:MAIL FROM:<>", "S:250 2.1.0 Ok",
		"C:RCPT TO:<a@example.test>", "S:550 5.1.1 no such user a",
		"C:RCPT TO:<b@example.test>", "S:450 4.7.1 greylisted, try later",
		"E:", NULL,
	};
	const char *rcpts[2] = { "a@example.test", "b@example.test" };
	enum smtpc_result fate[2];
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply;

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_NONE, NULL);
	s = open_ok(&t, NULL);
	/* One for good, one for now: nothing sent, retry b only. */
	assert_int_equal(smtpc_send(s, "", rcpts, 2, "x\n", 2, fate, &reply),
	    SMTPC_TEMPFAIL);
	assert_false(smtpc_error_is_session(s));
	assert_int_equal(fate[0], SMTPC_PERMFAIL);
	assert_int_equal(fate[1], SMTPC_TEMPFAIL);
	assert_string_equal(reply, "450 4.7.1 greylisted, try later");
	free(reply);
	smtpc_close(&s);
	fake_end(&f);
	unlink(f.data);
}

static void
message_refused_after_data(void **state)
{
	static const char *const script[] = {
		"S:220 fake ESMTP", "C:EHLO ", "S:250 fake",
		"C:MAIL FROM:<" USER ">", "S:250 2.1.0 Ok",
		"C:RCPT TO:<a@example.test>", "S:250 2.1.5 Ok",
		"C:DATA", "S:354 go ahead", "D:",
		"S:554-5.7.1 this looks like spam", "S:554 5.7.1 see the policy",
		"E:", NULL,
	};
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply;

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_NONE, NULL);
	s = open_ok(&t, NULL);
	assert_int_equal(send1(s, USER, "a@example.test", "x\r\n", &reply),
	    SMTPC_PERMFAIL);
	assert_false(smtpc_error_is_session(s));
	assert_string_equal(reply, "554 5.7.1 this looks like spam 5.7.1 see "
	    "the policy");
	free(reply);
	smtpc_close(&s);
	fake_end(&f);
	unlink(f.data);
}

static void
greeting_421_is_temporary(void **state)
{
	static const char *const script[] = {
		"S:421 4.3.2 too busy, come back later", "E:", NULL,
	};
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply, want[160];

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_NONE, NULL);
	s = open_ok(&t, NULL);
	assert_int_equal(send1(s, USER, "a@example.test", "x\n", &reply),
	    SMTPC_TEMPFAIL);
	assert_true(smtpc_error_is_session(s));
	snprintf(want, sizeof(want), "127.0.0.1:%d refuses the session: 421 "
	    "4.3.2 too busy, come back later", f.port);
	assert_string_equal(reply, want);
	free(reply);
	smtpc_close(&s);
	fake_end(&f);
	unlink(f.data);
}

/* The server drops the kept connection between two messages, in a way
 * libcurl cannot see before it reuses it: one more try, on a new
 * connection, and the message goes out once. */
static void
dead_kept_connection_is_replaced(void **state)
{
	static const char *const script[] = {
		"S:220 fake ESMTP", "C:EHLO ", "S:250 fake",
		"C:MAIL FROM:<" USER ">", "S:250 2.1.0 Ok",
		"C:RCPT TO:<a@example.test>", "S:250 2.1.5 Ok",
		"C:DATA", "S:354 go ahead", "D:", "S:250 2.0.0 Ok: queued as M1",
		/* the second message: hang up on its MAIL FROM */
		"C:MAIL FROM:<" USER ">", "A:",
		"S:220 fake ESMTP", "C:EHLO ", "S:250 fake",
		"C:MAIL FROM:<" USER ">", "S:250 2.1.0 Ok",
		"C:RCPT TO:<a@example.test>", "S:250 2.1.5 Ok",
		"C:DATA", "S:354 go ahead", "D:", "S:250 2.0.0 Ok: queued as M2",
		"E:", NULL,
	};
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply, *log;

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_NONE, NULL);
	s = open_ok(&t, NULL);
	assert_int_equal(send1(s, USER, "a@example.test", "one\n", &reply),
	    SMTPC_SENT);
	assert_string_equal(reply, "250 2.0.0 Ok: queued as M1");
	free(reply);
	capture_begin(LOG_LVL_INFO);
	assert_int_equal(send1(s, USER, "a@example.test", "two\n", &reply),
	    SMTPC_SENT);
	log = capture_end();
	assert_string_equal(reply, "250 2.0.0 Ok: queued as M2");
	assert_contains(log, "the connection kept from the last message is "
	    "gone");
	free(log);
	free(reply);
	smtpc_close(&s);
	fake_end(&f);
	unlink(f.data);
}

static void
silent_server_times_out(void **state)
{
	static const char *const script[] = { "X:", NULL };
	struct fake f;
	struct tcfg t;
	struct smtpc *s;
	char *reply, want[160];
	double t0, dt;

	(void)state;
	fake_start(&f, script);
	cfg_fake(&t, &f, PD_TLS_NONE, NULL);
	t.c.timeout = 1;
	s = open_ok(&t, NULL);
	t0 = now();
	assert_int_equal(send1(s, USER, "a@example.test", "x\n", &reply),
	    SMTPC_TEMPFAIL);
	dt = now() - t0;
	assert_true(smtpc_error_is_session(s));
	snprintf(want, sizeof(want), "timeout talking to 127.0.0.1:%d: ",
	    f.port);
	assert_starts_with(reply, want);
	if (dt < 0.9 || dt > 4)
		fail_msg("timed out after %.1f s, want about 1 s", dt);
	free(reply);
	smtpc_close(&s);
	fake_end(&f);
	unlink(f.data);
}

/* ---- main -------------------------------------------------------------- */

static int
env_int(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? atoi(v) : 0;
}

static int
load_env(void)
{
	E.dir = getenv("MAILSTACK_DIR");
	E.ca = getenv("MAILSTACK_CA");
	E.password = getenv("MAILSTACK_PASSWORD");
	E.dovecot_conf = getenv("MAILSTACK_DOVECOT_CONF");
	E.smtp_port = env_int("MAILSTACK_SMTP_PORT");
	E.submission_port = env_int("MAILSTACK_SUBMISSION_PORT");
	E.smtps_port = env_int("MAILSTACK_SMTPS_PORT");
	if (E.dir == NULL || *E.dir == '\0') {
		printf("not ok 1 - MAILSTACK_DIR is not set: test-smtpc needs "
		    "the mail stack; run it through "
		    "tests/integration/t-smtpc.sh (make check TESTS=smtpc)\n");
		return -1;
	}
	if (E.ca == NULL || E.password == NULL || E.dovecot_conf == NULL ||
	    E.smtp_port == 0 || E.submission_port == 0 || E.smtps_port == 0) {
		printf("not ok 1 - MAILSTACK_CA, _PASSWORD, _DOVECOT_CONF, "
		    "_SMTP_PORT, _SUBMISSION_PORT and _SMTPS_PORT must be set "
		    "(eval \"$(mailstack env DIR)\")\n");
		return -1;
	}
	snprintf(E.other_ca, sizeof(E.other_ca), "%s/tls/other-ca.pem", E.dir);
	snprintf(E.mailstack, sizeof(E.mailstack), "%s/mailstack/mailstack",
	    TEST_SRCDIR);
	snprintf(E.postfix_log, sizeof(E.postfix_log), "%s/log/postfix.log",
	    E.dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(submission_starttls_auth_delivers),
		cmocka_unit_test(batch_reuses_one_connection),
		cmocka_unit_test(smtps_implicit_tls_by_host_name),
		cmocka_unit_test(null_reverse_path),
		cmocka_unit_test(unknown_recipient_is_permanent),
		cmocka_unit_test(some_recipients_refused),
		cmocka_unit_test(wrong_password_is_kept_and_never_logged),
		cmocka_unit_test(token_without_xoauth2_is_not_sent),
		cmocka_unit_test(postfix_down_then_up),
		cmocka_unit_test(untrusted_ca_is_refused),
		cmocka_unit_test(wrong_host_name_is_refused),
		cmocka_unit_test(expired_certificate_is_refused),
		cmocka_unit_test(plain_smtp_when_configured_warns),
		cmocka_unit_test(open_refuses_bad_configs),
		cmocka_unit_test(bad_envelopes_are_refused_unsent),
		cmocka_unit_test(starttls_not_offered_sends_nothing),
		cmocka_unit_test(auth_not_offered_sends_nothing),
		cmocka_unit_test(temporary_refusal_of_one_recipient),
		cmocka_unit_test(every_recipient_refused),
		cmocka_unit_test(message_refused_after_data),
		cmocka_unit_test(greeting_421_is_temporary),
		cmocka_unit_test(dead_kept_connection_is_replaced),
		cmocka_unit_test(silent_server_times_out),
	};

	if (load_env() < 0)
		return 1;
	log_init("test-smtpc", LOG_TO_STDERR, LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
