/* test-imapc.c: the IMAP client and the certificate check, against the
 * real Dovecot and Postfix of tests/mailstack. Run by
 * tests/integration/t-imapc.sh, which starts a stack, delivers four
 * messages to support@example.test and passes their tokens in
 * IMAPC_TOKENS. What imapc did is checked independently with curl (IMAP
 * over TLS, verified against the stack's CA) and Dovecot's log.
 *
 * The cases share one mailbox and run in order: each depends on what the
 * ones before it did to the messages. Nothing is skipped: without the
 * stack the program fails and says why. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "postdesk/config.h"
#include "postdesk/imapc.h"
#include "postdesk/log.h"
#include "postdesk/tlsverify.h"

#define NTOK 4
#define USER "support@example.test"

static struct {
	const char *dir, *host, *ca, *password;
	int imap_port, imaps_port, smtp_port;
	char tls[512];			/* DIR/tls */
	char mailstack[512];		/* the mailstack script */
	char tok[NTOK][64];		/* the delivered messages' tokens */
	uint32_t uid[NTOK];		/* their UIDs in INBOX */
	uint32_t last_uid;		/* highest UID seen */
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
read_file(const char *path, size_t *len_r)
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
	char cmd[2048], *out = NULL;
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
	while (n < (1 << 16) - 1 && (r = fread(out + n, 1, (1 << 16) - 1 - n, p)) > 0)
		n += r;
	out[n] = '\0';
	pclose(p);
	return out;
}

/* One IMAP command through curl, as support, over verified IMAPS. */
static char *
curl_imap(const char *mailbox, const char *command)
{
	return run("curl -sS --max-time 10 --cacert '%s' --user '%s:%s' "
	    "-X '%s' 'imaps://127.0.0.1:%d/%s' 2>&1", E.ca, USER, E.password,
	    command, E.imaps_port, mailbox);
}

/* The UIDs curl's SEARCH found: "* SEARCH 3 4" → "3 4". */
static char *
curl_search(const char *mailbox, const char *criteria)
{
	char cmd[256], *out, *p, *res;

	snprintf(cmd, sizeof(cmd), "UID SEARCH %s", criteria);
	out = curl_imap(mailbox, cmd);
	p = strstr(out, "* SEARCH");
	res = strdup(p != NULL ? p + 8 + strspn(p + 8, " ") : "(no SEARCH reply)");
	free(out);
	assert_non_null(res);
	res[strcspn(res, "\r\n")] = '\0';
	return res;
}

static void
mailstack(const char *env, const char *what)
{
	char *out = run("%s '%s' %s '%s' 2>&1", env, E.mailstack, what, E.dir);

	free(out);
}

static struct pd_imap
cfg_for(enum pd_tls tls, const char *host, const char *ca_file)
{
	struct pd_imap cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.host = (char *)host;
	cfg.port = tls == PD_TLS_IMPLICIT ? E.imaps_port : E.imap_port;
	cfg.tls = tls;
	cfg.ca_file = (char *)ca_file;
	cfg.user = (char *)USER;
	cfg.mailbox = (char *)"INBOX";
	cfg.timeout = 10;
	return cfg;
}

/* IMAPS as support with the stack's CA, INBOX selected. */
static struct imapc *
open_inbox(void)
{
	struct pd_imap cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", E.ca);
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;
	uint32_t uidv;
	char *err = NULL;

	if (imapc_open(&cfg, &how, &c, &err) < 0)
		fail_msg("imapc_open: %s", err);
	if (imapc_select(c, "INBOX", &uidv, &err) < 0)
		fail_msg("imapc_select: %s", err);
	return c;
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

	strcpy(cap.path, "/tmp/test-imapc-log.XXXXXX");
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

	log_set_level(LOG_LVL_WARN);
	fflush(stderr);
	dup2(cap.saved, 2);
	close(cap.saved);
	s = read_file(cap.path, NULL);
	unlink(cap.path);
	assert_non_null(s);
	return s;
}

#define assert_contains(hay, needle) do {				\
	if (strstr((hay), (needle)) == NULL)				\
		fail_msg("\"%s\" not found in: %s", (needle), (hay));	\
} while (0)

/* ---- certificates ------------------------------------------------------ */

/* DER of the first certificate in a PEM file (free data with gnutls_free). */
static gnutls_datum_t
der_of(const char *name)
{
	char path[600];
	gnutls_datum_t pem, der = { NULL, 0 };
	gnutls_x509_crt_t crt;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", E.tls, name);
	pem.data = (unsigned char *)read_file(path, &len);
	assert_non_null(pem.data);
	pem.size = (unsigned)len;
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
	gnutls_x509_crt_deinit(crt);
	free(pem.data);
	return der;
}

/* A leaf for 127.0.0.1 and localhost, signed by the stack's CA, valid from
 * nb to na, for the key purpose eku. DER in *der (gnutls_free). */
static void
make_leaf(time_t nb, time_t na, const char *eku, gnutls_datum_t *der)
{
	char path[600];
	gnutls_datum_t d;
	gnutls_x509_crt_t ca, crt;
	gnutls_x509_privkey_t cakey, key;
	unsigned char ip[4] = { 127, 0, 0, 1 }, serial[8];
	size_t len;

	snprintf(path, sizeof(path), "%s/ca.pem", E.tls);
	d.data = (unsigned char *)read_file(path, &len);
	d.size = (unsigned)len;
	assert_int_equal(gnutls_x509_crt_init(&ca), 0);
	assert_int_equal(gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_PEM), 0);
	free(d.data);
	snprintf(path, sizeof(path), "%s/ca.key", E.tls);
	d.data = (unsigned char *)read_file(path, &len);
	d.size = (unsigned)len;
	assert_int_equal(gnutls_x509_privkey_init(&cakey), 0);
	assert_int_equal(gnutls_x509_privkey_import2(cakey, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0), 0);
	free(d.data);

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	assert_int_equal(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)), 0);
	serial[0] &= 0x7f;
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, nb);
	gnutls_x509_crt_set_expiration_time(crt, na);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    "127.0.0.1", 9);
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
	    GNUTLS_FSAN_APPEND);
	gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    "localhost", 9, GNUTLS_FSAN_APPEND);
	gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	gnutls_x509_crt_set_key_purpose_oid(crt, eku, 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, ca, cakey, GNUTLS_DIG_SHA256,
	    0), 0);
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, der), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(key);
	gnutls_x509_privkey_deinit(cakey);
}

/* tlsverify_chain on one DER certificate; the error or NULL. */
static char *
verify1(const gnutls_datum_t *der, const char *ca_name, const char *host)
{
	char ca[600], *err = NULL;
	const void *p = der->data;
	size_t len = der->size;
	int r;

	snprintf(ca, sizeof(ca), "%s/%s", E.tls, ca_name ? ca_name : "");
	r = tlsverify_chain(&p, &len, 1, ca_name ? ca : NULL, host, &err);
	assert_int_equal(r, err == NULL ? 0 : -1);
	return err;
}

static void
verify_accepts_server_cert_for_its_names(void **state)
{
	gnutls_datum_t der = der_of("server.pem");

	(void)state;
	assert_null(verify1(&der, "ca.pem", "127.0.0.1"));
	assert_null(verify1(&der, "ca.pem", "localhost"));
	assert_null(verify1(&der, "ca.pem", "mx.example.test"));
	assert_null(verify1(&der, "ca.pem", "MX.Example.Test"));
	gnutls_free(der.data);
}

static void
verify_refuses_other_names(void **state)
{
	gnutls_datum_t der = der_of("server.pem");
	char *err;

	(void)state;
	err = verify1(&der, "ca.pem", "wrong.example.test");
	assert_non_null(err);
	assert_string_equal(err, "certificate does not match host name "
	    "wrong.example.test (it is for DNS:localhost, IP:127.0.0.1, "
	    "DNS:mx.example.test)");
	free(err);
	/* An IP address matches IP entries only, and a sibling name is not
	 * covered by a name. */
	err = verify1(&der, "ca.pem", "127.0.0.2");
	assert_non_null(err);
	assert_contains(err, "does not match host name 127.0.0.2");
	free(err);
	err = verify1(&der, "ca.pem", "example.test");
	assert_non_null(err);
	free(err);
	gnutls_free(der.data);
}

static void
verify_refuses_other_ca(void **state)
{
	gnutls_datum_t der = der_of("server.pem"), un = der_of("untrusted.pem");
	char *err, want[800];

	(void)state;
	err = verify1(&der, "other-ca.pem", "127.0.0.1");
	snprintf(want, sizeof(want), "certificate for 127.0.0.1 is not trusted "
	    "(signer not found; ca_file=%s/other-ca.pem)", E.tls);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
	/* The right names, the wrong issuer. */
	err = verify1(&un, "ca.pem", "127.0.0.1");
	assert_non_null(err);
	assert_contains(err, "is not trusted (signer not found;");
	free(err);
	/* Its own CA does vouch for it: the refusals above are about trust. */
	assert_null(verify1(&un, "other-ca.pem", "127.0.0.1"));
	gnutls_free(der.data);
	gnutls_free(un.data);
}

static void
verify_refuses_expired_and_not_yet_valid(void **state)
{
	time_t t = time(NULL);
	gnutls_datum_t der;
	char *err;

	(void)state;
	make_leaf(t - 10 * 86400, t - 86400, GNUTLS_KP_TLS_WWW_SERVER, &der);
	err = verify1(&der, "ca.pem", "127.0.0.1");
	assert_non_null(err);
	assert_contains(err, "certificate for 127.0.0.1 is not trusted (expired on ");
	gnutls_free(der.data);
	free(err);

	make_leaf(t + 86400, t + 10 * 86400, GNUTLS_KP_TLS_WWW_SERVER, &der);
	err = verify1(&der, "ca.pem", "127.0.0.1");
	assert_non_null(err);
	assert_contains(err, "(not yet valid;");
	gnutls_free(der.data);
	free(err);

	/* The same generator with sane dates is accepted: the refusals are
	 * about the dates, not the making. */
	make_leaf(t - 86400, t + 86400, GNUTLS_KP_TLS_WWW_SERVER, &der);
	assert_null(verify1(&der, "ca.pem", "127.0.0.1"));
	gnutls_free(der.data);
}

static void
verify_refuses_client_only_certificate(void **state)
{
	time_t t = time(NULL);
	gnutls_datum_t der;
	char *err;

	(void)state;
	make_leaf(t - 86400, t + 86400, GNUTLS_KP_TLS_WWW_CLIENT, &der);
	err = verify1(&der, "ca.pem", "127.0.0.1");
	assert_non_null(err);
	assert_contains(err, "not meant for TLS servers");
	gnutls_free(der.data);
	free(err);
}

static void
verify_system_store_does_not_know_the_test_ca(void **state)
{
	gnutls_datum_t der = der_of("server.pem");
	char *err;

	(void)state;
	err = verify1(&der, NULL, "127.0.0.1");
	assert_non_null(err);
	assert_contains(err, "system trust store");
	free(err);
	gnutls_free(der.data);
}

static void
verify_bad_input(void **state)
{
	const void *p = "\x30\x03\x02\x01";
	size_t len = 4;
	char *err = NULL, ca[600];

	(void)state;
	snprintf(ca, sizeof(ca), "%s/ca.pem", E.tls);
	assert_int_equal(tlsverify_chain(NULL, NULL, 0, ca, "h", &err), -1);
	assert_string_equal(err, "h sent no certificate");
	free(err);
	assert_int_equal(tlsverify_chain(&p, &len, 1, ca, "h", &err), -1);
	assert_contains(err, "certificate 1 of h cannot be parsed");
	free(err);
	assert_int_equal(tlsverify_chain(&p, &len, 1, "/nonexistent/ca.pem",
	    "h", &err), -1);
	/* The chain is parsed before the CA file is read. */
	assert_contains(err, "cannot be parsed");
	free(err);
	{
		gnutls_datum_t der = der_of("server.pem");
		const void *q = der.data;
		size_t qlen = der.size;

		assert_int_equal(tlsverify_chain(&q, &qlen, 1,
		    "/nonexistent/ca.pem", "h", &err), -1);
		assert_contains(err, "cannot read ca_file /nonexistent/ca.pem");
		free(err);
		gnutls_free(der.data);
	}
}

/* ---- IMAP -------------------------------------------------------------- */

struct got {
	size_t n;
	uint32_t uid[16];
	char *raw[16];		/* copies */
	size_t len[16];
	int stop_after;		/* stop after this many; 0: never */
};

static int
collect(uint32_t uid, const char *raw, size_t len, void *arg)
{
	struct got *g = arg;

	if (g->n < 16) {
		g->uid[g->n] = uid;
		g->len[g->n] = len;
		g->raw[g->n] = raw ? strndup(raw, len) : NULL;
		g->n++;
	}
	return g->stop_after != 0 && g->n >= (size_t)g->stop_after ? -1 : 0;
}

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->raw[i]);
	memset(g, 0, sizeof(*g));
}

static void
imaps_login_and_select(void **state)
{
	struct pd_imap cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", E.ca);
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;
	uint32_t uidv = 0, uidv2 = 0, *uids = NULL;
	size_t n = 99;
	char *err = NULL;

	(void)state;
	if (imapc_open(&cfg, &how, &c, &err) < 0)
		fail_msg("imapc_open: %s", err);
	assert_int_equal(imapc_select(c, "INBOX", &uidv, &err), 0);
	assert_true(uidv > 0);
	imapc_close(&c);
	assert_null(c);
	/* By name (SNI, DNS name check) as well as by address. */
	cfg.host = (char *)"localhost";
	if (imapc_open(&cfg, &how, &c, &err) < 0)
		fail_msg("imapc_open localhost: %s", err);
	assert_int_equal(imapc_select(c, "INBOX", &uidv2, &err), 0);
	assert_int_equal(uidv2, uidv);
	imapc_close(&c);
	/* login.user overrides cfg.user: agent1's INBOX is empty. */
	how.user = "agent1@example.test";
	if (imapc_open(&cfg, &how, &c, &err) < 0)
		fail_msg("imapc_open agent1: %s", err);
	assert_int_equal(imapc_select(c, "INBOX", &uidv2, &err), 0);
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, 0);
	imapc_close(&c);
}

static void
search_finds_the_delivered_messages(void **state)
{
	struct imapc *c = open_inbox();
	uint32_t *uids = NULL;
	size_t n = 0, i;
	char *err = NULL;

	(void)state;
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, NTOK);
	for (i = 1; i < n; i++)
		assert_true(uids[i - 1] < uids[i]);
	E.last_uid = uids[n - 1];
	/* From the second UID on, only the later ones. */
	free(uids);
	assert_int_equal(imapc_search_new(c, E.last_uid - 1, &uids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], E.last_uid);
	free(uids);
	imapc_close(&c);
}

static void
fetch_returns_the_bytes_unseen(void **state)
{
	struct imapc *c = open_inbox();
	struct got g = { 0 };
	uint32_t *uids = NULL;
	size_t n = 0, i, k, hits;
	char *err = NULL, *unseen, subject[128];

	(void)state;
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, NTOK);
	assert_int_equal(imapc_fetch(c, uids, n, collect, &g, &err), 0);
	assert_int_equal(g.n, NTOK);
	for (i = 0; i < g.n; i++) {
		assert_int_equal(g.uid[i], uids[i]);	/* UID order */
		assert_non_null(g.raw[i]);
		assert_int_equal(strlen(g.raw[i]), g.len[i]);
		/* LMTP put its trace on top; ours came through intact. */
		assert_contains(g.raw[i], "Delivered-To: " USER "\r\n");
		for (k = 0, hits = 0; k < NTOK; k++) {
			snprintf(subject, sizeof(subject),
			    "\r\nSubject: imapc test %s\r\n", E.tok[k]);
			if (strstr(g.raw[i], subject) != NULL) {
				E.uid[k] = g.uid[i];
				hits++;
			}
		}
		assert_int_equal(hits, 1);
	}
	for (k = 0; k < NTOK; k++)
		assert_true(E.uid[k] != 0);
	/* BODY.PEEK[]: still unseen, all four. */
	unseen = curl_search("INBOX", "UNSEEN");
	assert_int_equal(strlen(unseen) > 0, 1);
	for (i = 0, hits = 0; i < NTOK; i++) {
		char u[16];

		snprintf(u, sizeof(u), "%u", uids[i]);
		hits += strstr(unseen, u) != NULL;
	}
	assert_int_equal(hits, NTOK);
	free(unseen);
	got_free(&g);
	free(uids);
	imapc_close(&c);
}

static void
fetch_limits_size_and_stops_when_asked(void **state)
{
	struct imapc *c = open_inbox();
	struct got g = { 0 };
	uint32_t uids[3] = { E.uid[2], E.uid[0], E.last_uid + 1000 };
	char *err = NULL;

	(void)state;
	/* Over max_size: no body, the size instead; the unknown UID is
	 * skipped; the order is by UID whatever the caller's order. */
	imapc_set_max_size(c, 100);
	assert_int_equal(imapc_fetch(c, uids, 3, collect, &g, &err), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.uid[0], E.uid[0] < E.uid[2] ? E.uid[0] : E.uid[2]);
	assert_null(g.raw[0]);
	assert_null(g.raw[1]);
	assert_true(g.len[0] > 100 && g.len[0] < 4000);
	got_free(&g);
	/* A callback returning -1 ends the fetch: 1, one call. */
	imapc_set_max_size(c, 0);
	g.stop_after = 1;
	assert_int_equal(imapc_fetch(c, uids, 3, collect, &g, &err), 1);
	assert_int_equal(g.n, 1);
	assert_non_null(g.raw[0]);
	got_free(&g);
	/* The session is still fine. */
	assert_int_equal(imapc_fetch(c, uids + 2, 1, collect, &g, &err), 0);
	assert_int_equal(g.n, 0);
	imapc_close(&c);
}

static void
search_after_the_last_is_empty(void **state)
{
	struct imapc *c = open_inbox();
	uint32_t dummy, *uids = &dummy;
	size_t n = 99;
	char *err = NULL, *quirk, crit[64], last[16];

	(void)state;
	/* The quirk is real: the server answers "last+1:*" with the last UID. */
	snprintf(crit, sizeof(crit), "UID %u:*", E.last_uid + 1);
	snprintf(last, sizeof(last), "%u", E.last_uid);
	quirk = curl_search("INBOX", crit);
	assert_string_equal(quirk, last);
	free(quirk);
	assert_int_equal(imapc_search_new(c, E.last_uid, &uids, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(uids);
	assert_int_equal(imapc_search_new(c, UINT32_MAX, &uids, &n, &err), 0);
	assert_int_equal(n, 0);
	imapc_close(&c);
}

static void
select_of_a_missing_mailbox_is_a_server_no(void **state)
{
	struct imapc *c = open_inbox();
	uint32_t uidv, *uids;
	size_t n;
	char *err = NULL;

	(void)state;
	assert_int_equal(imapc_select(c, "NoSuchBox", &uidv, &err), -1);
	assert_contains(err, "SELECT NoSuchBox: ");
	assert_false(imapc_error_is_connection(c));
	free(err);
	/* Nothing is selected now, but the session lives. */
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), -1);
	assert_string_equal(err, "no mailbox is selected");
	free(err);
	assert_int_equal(imapc_select(c, "INBOX", &uidv, &err), 0);
	imapc_close(&c);
}

static void
mark_move_creates_processed_and_moves(void **state)
{
	struct imapc *c = open_inbox();
	struct got g = { 0 };
	uint32_t *uids = NULL, uidv;
	size_t n = 0, i;
	char *err = NULL, *list;

	(void)state;
	list = curl_imap("", "LIST \"\" Processed");
	assert_null(strstr(list, "Processed"));
	free(list);
	if (imapc_mark_done(c, E.uid[0], PD_MARK_MOVE, "Processed", &err) < 0)
		fail_msg("mark_done: %s", err);
	list = curl_imap("", "LIST \"\" Processed");
	assert_contains(list, "Processed");
	free(list);
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, NTOK - 1);
	for (i = 0; i < n; i++)
		assert_true(uids[i] != E.uid[0]);
	free(uids);
	/* In Processed: exactly that message. */
	assert_int_equal(imapc_select(c, "Processed", &uidv, &err), 0);
	assert_true(uidv > 0);
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(imapc_fetch(c, uids, 1, collect, &g, &err), 0);
	assert_int_equal(g.n, 1);
	assert_contains(g.raw[0], E.tok[0]);
	got_free(&g);
	free(uids);
	imapc_close(&c);
}

static void
mark_seen_keeps_the_message(void **state)
{
	struct imapc *c = open_inbox();
	uint32_t *uids = NULL;
	size_t n = 0;
	char *err = NULL, *seen, u[16];

	(void)state;
	seen = curl_search("INBOX", "SEEN");
	assert_string_equal(seen, "");
	free(seen);
	assert_int_equal(imapc_mark_done(c, E.uid[1], PD_MARK_SEEN, "Processed",
	    &err), 0);
	snprintf(u, sizeof(u), "%u", E.uid[1]);
	seen = curl_search("INBOX", "SEEN");
	assert_string_equal(seen, u);
	free(seen);
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, NTOK - 1);
	free(uids);
	imapc_close(&c);
}

static void
mark_without_move_uses_uid_expunge(void **state)
{
	struct imapc *c = open_inbox();
	char *err = NULL, *out, want[64], u1[16];

	(void)state;
	/* Another client has marked message 1 \Deleted without expunging. */
	snprintf(want, sizeof(want), "UID STORE %u +FLAGS (\\Deleted)", E.uid[1]);
	free(curl_imap("INBOX", want));
	snprintf(u1, sizeof(u1), "%u", E.uid[1]);
	out = curl_search("INBOX", "DELETED");
	assert_string_equal(out, u1);
	free(out);

	imapc_ignore_capability(c, "MOVE");
	if (imapc_mark_done(c, E.uid[2], PD_MARK_MOVE, "Processed", &err) < 0)
		fail_msg("mark_done: %s", err);
	/* Message 2 is gone from INBOX, message 1 is still there. */
	snprintf(want, sizeof(want), "%u %u", E.uid[1], E.uid[3]);
	out = curl_search("INBOX", "ALL");
	assert_string_equal(out, want);
	free(out);
	out = curl_imap("Processed", "SEARCH ALL");
	assert_contains(out, "* SEARCH 1 2");
	free(out);
	/* Leave message 1 as it was. */
	snprintf(want, sizeof(want), "UID STORE %u -FLAGS (\\Deleted)", E.uid[1]);
	free(curl_imap("INBOX", want));
	imapc_close(&c);
}

static void
mark_without_move_or_uidplus_only_sets_seen(void **state)
{
	struct imapc *c = open_inbox();
	char *err = NULL, *out, *log, want[64];
	int r;

	(void)state;
	imapc_ignore_capability(c, "MOVE");
	imapc_ignore_capability(c, "UIDPLUS");
	capture_begin(LOG_LVL_WARN);
	r = imapc_mark_done(c, E.uid[3], PD_MARK_MOVE, "Processed", &err);
	log = capture_end();
	assert_int_equal(r, 0);
	assert_contains(log, "neither MOVE nor UIDPLUS");
	free(log);
	snprintf(want, sizeof(want), "%u %u", E.uid[1], E.uid[3]);
	out = curl_search("INBOX", "SEEN");
	assert_string_equal(out, want);
	free(out);
	out = curl_search("INBOX", "ALL");
	assert_string_equal(out, want);
	free(out);
	imapc_close(&c);
}

static void
mark_move_to_a_non_ascii_folder(void **state)
{
	struct imapc *c = open_inbox();
	char *err = NULL, *out, u3[16];
	uint32_t uidv, *uids;
	size_t n;

	(void)state;
	if (imapc_mark_done(c, E.uid[3], PD_MARK_MOVE, "Zpracováno & hotovo",
	    &err) < 0)
		fail_msg("mark_done: %s", err);
	out = curl_imap("", "LIST \"\" *");
	assert_contains(out, "\"Zpracov&AOE-no &- hotovo\"");
	free(out);
	snprintf(u3, sizeof(u3), "%u", E.uid[1]);
	out = curl_search("INBOX", "ALL");
	assert_string_equal(out, u3);
	free(out);
	assert_int_equal(imapc_select(c, "Zpracováno & hotovo", &uidv, &err), 0);
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, 1);
	free(uids);
	/* Moving within the selected mailbox makes no sense. */
	assert_int_equal(imapc_mark_done(c, 1, PD_MARK_MOVE,
	    "Zpracováno & hotovo", &err), -1);
	assert_false(imapc_error_is_connection(c));
	free(err);
	imapc_close(&c);
}

static void
starttls_verifies_and_trace_hides_the_password(void **state)
{
	struct pd_imap cfg = cfg_for(PD_TLS_STARTTLS, "127.0.0.1", E.ca);
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;
	char *err = NULL, *log;
	uint32_t uidv = 0;
	int r;

	(void)state;
	capture_begin(LOG_LVL_DEBUG);
	r = imapc_open(&cfg, &how, &c, &err);
	if (r == 0)
		r = imapc_select(c, "INBOX", &uidv, &err);
	imapc_close(&c);
	log = capture_end();
	if (r < 0)
		fail_msg("STARTTLS session: %s", err);
	assert_true(uidv > 0);
	assert_contains(log, "CAPABILITY");
	assert_contains(log, "STARTTLS");
	assert_contains(log, "OK Begin TLS");
	assert_contains(log, "bytes of credentials, not shown");
	assert_contains(log, "SELECT INBOX");
	assert_null(strstr(log, E.password));
	free(log);
}

static void
untrusted_server_is_refused(void **state)
{
	char ca[600], *err = NULL, want[800];
	struct pd_imap cfg;
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;

	(void)state;
	snprintf(ca, sizeof(ca), "%s/other-ca.pem", E.tls);
	snprintf(want, sizeof(want), "certificate for 127.0.0.1 is not trusted "
	    "(signer not found; ca_file=%s)", ca);
	cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", ca);
	assert_int_equal(imapc_open(&cfg, &how, &c, &err), -1);
	assert_null(c);
	assert_string_equal(err, want);
	free(err);
	cfg = cfg_for(PD_TLS_STARTTLS, "127.0.0.1", ca);
	assert_int_equal(imapc_open(&cfg, &how, &c, &err), -1);
	assert_string_equal(err, want);
	free(err);
}

/* Dovecot's log from offset on, once it contains what (up to 3 s). */
static char *
dovecot_log_after(size_t offset, const char *what)
{
	char path[600], *s;
	size_t len;
	int i;

	snprintf(path, sizeof(path), "%s/log/dovecot.log", E.dir);
	for (i = 0; i < 30; i++) {
		s = read_file(path, &len);
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

static void
wrong_name_is_refused_before_login(void **state)
{
	struct pd_imap cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", E.ca);
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;
	char *err = NULL, *log, path[600];
	struct stat st;

	(void)state;
	mailstack("MAILSTACK_CERT=wrong-name", "restart-dovecot");
	snprintf(path, sizeof(path), "%s/log/dovecot.log", E.dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(imapc_open(&cfg, &how, &c, &err), -1);
	assert_null(c);
	assert_string_equal(err, "certificate does not match host name "
	    "127.0.0.1 (it is for DNS:wrong.example.test)");
	free(err);
	/* Dovecot saw the connection end without any login attempt. */
	log = dovecot_log_after((size_t)st.st_size, "no auth attempts");
	assert_non_null(log);
	assert_null(strstr(log, "user=<" USER ">"));
	free(log);
	cfg = cfg_for(PD_TLS_STARTTLS, "127.0.0.1", E.ca);
	assert_int_equal(imapc_open(&cfg, &how, &c, &err), -1);
	assert_contains(err, "does not match host name 127.0.0.1");
	free(err);
	mailstack("", "restart-dovecot");
	c = open_inbox();
	imapc_close(&c);
}

/* The mail stack's expired certificate (right CA, right names), served by
 * the real Dovecot: refused before LOGIN, saying it expired. */
static void
expired_certificate_is_refused_before_login(void **state)
{
	struct pd_imap cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", E.ca);
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;
	char *err = NULL, *err2 = NULL, path[600];
	struct stat st;
	int r1, r2;

	(void)state;
	mailstack("MAILSTACK_CERT=expired", "restart-dovecot");
	snprintf(path, sizeof(path), "%s/log/dovecot.log", E.dir);
	assert_int_equal(stat(path, &st), 0);
	r1 = imapc_open(&cfg, &how, &c, &err);
	cfg = cfg_for(PD_TLS_STARTTLS, "127.0.0.1", E.ca);
	r2 = imapc_open(&cfg, &how, &c, &err2);
	mailstack("", "restart-dovecot");	/* before asserting */
	assert_int_equal(r1, -1);
	assert_int_equal(r2, -1);
	assert_null(c);
	assert_contains(err, "certificate for 127.0.0.1 is not trusted (expired on ");
	assert_contains(err2, "certificate for 127.0.0.1 is not trusted (expired on ");
	free(err);
	free(err2);
	c = open_inbox();
	imapc_close(&c);
}

static void
wrong_password_and_missing_xoauth2(void **state)
{
	struct pd_imap cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", E.ca);
	struct imapc_login bad = { .password = "not-the-password" };
	struct imapc_login oauth = { .oauth2_token = "ya29.token" };
	struct imapc_login both = { .password = "x", .oauth2_token = "y" };
	struct imapc *c = NULL;
	char *err = NULL, want[256];

	(void)state;
	snprintf(want, sizeof(want), "login as " USER " at 127.0.0.1:%d failed: ",
	    E.imaps_port);
	assert_int_equal(imapc_open(&cfg, &bad, &c, &err), -1);
	assert_null(c);
	assert_contains(err, want);
	assert_contains(err, "Authentication failed");
	free(err);
	/* This Dovecot has no XOAUTH2: said so, and no token is sent. */
	assert_int_equal(imapc_open(&cfg, &oauth, &c, &err), -1);
	assert_contains(err, "does not offer AUTH=XOAUTH2");
	free(err);
	assert_int_equal(imapc_open(&cfg, &both, &c, &err), -1);
	assert_contains(err, "not both or neither");
	free(err);
}

static void
plain_connection_when_configured_warns(void **state)
{
	struct pd_imap cfg = cfg_for(PD_TLS_NONE, "127.0.0.1", NULL);
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;
	char *err = NULL, *log;
	uint32_t uidv = 0;
	int r;

	(void)state;
	capture_begin(LOG_LVL_WARN);
	r = imapc_open(&cfg, &how, &c, &err);
	log = capture_end();
	if (r < 0)
		fail_msg("tls none: %s", err);
	assert_contains(log, "tls = none");
	free(log);
	assert_int_equal(imapc_select(c, "INBOX", &uidv, &err), 0);
	imapc_close(&c);
}

static void
wrong_port_fails_cleanly(void **state)
{
	struct pd_imap cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", E.ca);
	struct imapc_login how = { .password = E.password };
	struct imapc *c = NULL;
	char *err = NULL, want[128];
	double t0;

	(void)state;
	/* TLS to the plain port: the handshake meets "* OK ...". */
	cfg.port = E.imap_port;
	assert_int_equal(imapc_open(&cfg, &how, &c, &err), -1);
	snprintf(want, sizeof(want), "TLS handshake with 127.0.0.1:%d failed",
	    E.imap_port);
	assert_string_equal(err, want);
	free(err);
	/* Plain to the TLS port: the server waits for a ClientHello, we for
	 * a greeting, until the timeout. */
	cfg = cfg_for(PD_TLS_STARTTLS, "127.0.0.1", E.ca);
	cfg.port = E.imaps_port;
	cfg.timeout = 1;
	t0 = now();
	assert_int_equal(imapc_open(&cfg, &how, &c, &err), -1);
	assert_true(now() - t0 < 4);
	snprintf(want, sizeof(want), "no IMAP greeting from 127.0.0.1:%d: ",
	    E.imaps_port);
	assert_contains(err, want);
	free(err);
	assert_null(c);
}

/* Deliver a message from a child after delay_ms; returns its pid. */
static pid_t
deliver_later(const char *token, int delay_ms)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		usleep((useconds_t)delay_ms * 1000);
		execlp("swaks", "swaks", "--server", "127.0.0.1", "--port",
		    getenv("MAILSTACK_SMTP_PORT"), "--from",
		    "customer2@example.test", "--to", USER, "--header", token,
		    "--silent", "2", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Found by t-fault-net: a kept session's UID SEARCH did not see mail
 * delivered since its last command (Dovecot announces it with the reply to
 * that command, not in its results), so the daemon's polled mailboxes
 * lagged a whole poll interval and a SIGUSR1 "fetch now" missed mail. */
static void
kept_session_sees_new_mail(void **state)
{
	struct imapc *c = open_inbox();
	uint32_t *uids = NULL, last = 0;
	size_t n = 0;
	char *err = NULL, *found, crit[64];
	bool there = false;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (uids[i] > last)
			last = uids[i];
	free(uids);
	pid = deliver_later("Subject: imapc kept session", 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Delivered when a fresh session (curl) sees it. */
	snprintf(crit, sizeof(crit), "UID %u:*", last + 1);
	for (int i = 0; i < 100 && !there; i++) {
		found = curl_search("INBOX", crit);
		there = strtoul(found, NULL, 10) > last;
		free(found);
		if (!there)
			usleep(100000);
	}
	assert_true(there);
	assert_int_equal(imapc_search_new(c, last, &uids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(uids[0] > last);
	free(uids);
	imapc_close(&c);
}

/* Show a captured protocol trace as TAP comments. */
static void
show_trace(const char *log)
{
	const char *p = log, *e;

	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		print_message("# %.*s\n", (int)(e - p), p);
	}
}

/* A wake-up is only that: Dovecot may also say something unrelated (a
 * sync of its own), after which the search finds nothing yet. So, as the
 * daemon does: IDLE, search, repeat, until the message is there. */
static void
idle_wakes_on_new_mail(void **state)
{
	struct imapc *c;
	uint32_t *uids = NULL;
	size_t n = 0;
	char *err = NULL, *log;
	double t0, dt = 0;
	int r = 0, rs = 0, wakes = 0, left, status;
	pid_t pid;

	(void)state;
	/* The protocol trace is kept, to be shown if this fails. */
	capture_begin(LOG_LVL_DEBUG);
	c = open_inbox();
	pid = deliver_later("Subject: imapc idle wake-up", 1000);
	t0 = now();
	while (n == 0 && rs == 0 && (left = (int)(t0 + 10.5 - now())) > 0) {
		r = imapc_idle(c, left, -1, &err);
		if (r < 0)
			break;
		wakes += r == 1;
		dt = now() - t0;
		rs = imapc_search_new(c, E.last_uid, &uids, &n, &err);
	}
	log = capture_end();
	if (r != 1 || rs != 0 || n != 1)
		show_trace(log);
	free(log);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (r < 0 || rs < 0)
		fail_msg("IDLE or search: %s", err);
	print_message("# IDLE: %d wake-up(s), the message after %.2f s\n",
	    wakes, dt);
	assert_int_equal(r, 1);		/* a wake-up, not the timeout */
	assert_int_equal(n, 1);
	assert_true(dt >= 0.9 && dt < 8);
	E.last_uid = uids[0];
	free(uids);
	assert_true(imapc_has_idle(c));
	imapc_close(&c);
}

static void
idle_times_out_and_wakes_on_fd(void **state)
{
	struct imapc *c = open_inbox();
	uint32_t *uids = NULL;
	size_t n = 0;
	char *err = NULL;
	double t0, dt;
	int p[2];

	(void)state;
	t0 = now();
	assert_int_equal(imapc_idle(c, 1, -1, &err), 0);
	dt = now() - t0;
	assert_true(dt >= 0.9 && dt < 3);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	t0 = now();
	assert_int_equal(imapc_idle(c, 10, p[0], &err), 2);
	assert_true(now() - t0 < 1);
	close(p[0]);
	close(p[1]);
	/* IDLE ended cleanly: the session goes on. */
	assert_int_equal(imapc_search_new(c, E.last_uid, &uids, &n, &err), 0);
	assert_int_equal(n, 0);
	/* Without IDLE (as some servers are), it says so. */
	imapc_ignore_capability(c, "IDLE");
	assert_false(imapc_has_idle(c));
	assert_int_equal(imapc_idle(c, 1, -1, &err), -1);
	assert_contains(err, "does not offer IDLE");
	free(err);
	imapc_close(&c);
}

struct mover {
	struct imapc *c;
	size_t n;
	char *err;
};

/* As the fetch stage does: store, then mark, from inside the callback. */
static int
move_each(uint32_t uid, const char *raw, size_t len, void *arg)
{
	struct mover *m = arg;

	(void)raw;
	(void)len;
	m->n++;
	return imapc_mark_done(m->c, uid, PD_MARK_MOVE, "Processed", &m->err);
}

static void
fetch_callback_may_move_each_message(void **state)
{
	struct mover m = { .c = open_inbox() };
	uint32_t *uids = NULL;
	size_t n = 0;
	char *err = NULL, *out;

	(void)state;
	assert_int_equal(imapc_search_new(m.c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, 2);		/* message 1 and the IDLE one */
	if (imapc_fetch(m.c, uids, n, move_each, &m, &err) != 0)
		fail_msg("fetch: %s", err ? err : m.err);
	assert_int_equal(m.n, 2);
	free(uids);
	assert_int_equal(imapc_search_new(m.c, 0, &uids, &n, &err), 0);
	assert_int_equal(n, 0);
	out = curl_imap("Processed", "SEARCH ALL");
	assert_contains(out, "* SEARCH 1 2 3 4\r\n");
	free(out);
	imapc_close(&m.c);
}

static void
dead_server_is_a_connection_error(void **state)
{
	struct imapc *c = open_inbox();
	struct pd_imap cfg = cfg_for(PD_TLS_IMPLICIT, "127.0.0.1", E.ca);
	struct imapc_login how = { .password = E.password };
	uint32_t *uids = NULL;
	size_t n = 0;
	char *err = NULL, want[128];
	double t0;

	(void)state;
	mailstack("", "stop-dovecot");
	assert_int_equal(imapc_search_new(c, 0, &uids, &n, &err), -1);
	assert_true(imapc_error_is_connection(c));
	print_message("# after stop-dovecot: %s\n", err);
	free(err);
	/* From now on everything fails at once, as the connection. */
	t0 = now();
	assert_int_equal(imapc_mark_done(c, E.uid[1], PD_MARK_SEEN, NULL, &err), -1);
	assert_true(imapc_error_is_connection(c));
	snprintf(want, sizeof(want), "connection to 127.0.0.1:%d is closed",
	    E.imaps_port);
	assert_string_equal(err, want);
	free(err);
	imapc_close(&c);
	assert_true(now() - t0 < 1);
	/* Reconnecting fails plainly while the server is down. */
	assert_int_equal(imapc_open(&cfg, &how, &c, &err), -1);
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%d: "
	    "Connection refused", E.imaps_port);
	assert_string_equal(err, want);
	free(err);
	mailstack("", "start-dovecot");
	c = open_inbox();
	imapc_close(&c);
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
	const char *toks = getenv("IMAPC_TOKENS");
	int k = 0;

	E.dir = getenv("MAILSTACK_DIR");
	E.ca = getenv("MAILSTACK_CA");
	E.password = getenv("MAILSTACK_PASSWORD");
	E.imap_port = env_int("MAILSTACK_IMAP_PORT");
	E.imaps_port = env_int("MAILSTACK_IMAPS_PORT");
	E.smtp_port = env_int("MAILSTACK_SMTP_PORT");
	if (E.dir == NULL || *E.dir == '\0') {
		printf("not ok 1 - MAILSTACK_DIR is not set: test-imapc needs "
		    "the mail stack; run it through "
		    "tests/integration/t-imapc.sh (make check TESTS=imapc)\n");
		return -1;
	}
	if (E.ca == NULL || E.password == NULL || E.imap_port == 0 ||
	    E.imaps_port == 0 || E.smtp_port == 0 || toks == NULL) {
		printf("not ok 1 - MAILSTACK_CA, _PASSWORD, _IMAP_PORT, "
		    "_IMAPS_PORT, _SMTP_PORT (eval \"$(mailstack env DIR)\") "
		    "and IMAPC_TOKENS must be set\n");
		return -1;
	}
	while (k < NTOK && sscanf(toks, " %63s", E.tok[k]) == 1) {
		toks = strstr(toks, E.tok[k]) + strlen(E.tok[k]);
		k++;
	}
	if (k != NTOK) {
		printf("not ok 1 - IMAPC_TOKENS must hold %d tokens\n", NTOK);
		return -1;
	}
	snprintf(E.tls, sizeof(E.tls), "%s/tls", E.dir);
	snprintf(E.mailstack, sizeof(E.mailstack), "%s/mailstack/mailstack",
	    TEST_SRCDIR);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_accepts_server_cert_for_its_names),
		cmocka_unit_test(verify_refuses_other_names),
		cmocka_unit_test(verify_refuses_other_ca),
		cmocka_unit_test(verify_refuses_expired_and_not_yet_valid),
		cmocka_unit_test(verify_refuses_client_only_certificate),
		cmocka_unit_test(verify_system_store_does_not_know_the_test_ca),
		cmocka_unit_test(verify_bad_input),
		cmocka_unit_test(imaps_login_and_select),
		cmocka_unit_test(search_finds_the_delivered_messages),
		cmocka_unit_test(fetch_returns_the_bytes_unseen),
		cmocka_unit_test(fetch_limits_size_and_stops_when_asked),
		cmocka_unit_test(search_after_the_last_is_empty),
		cmocka_unit_test(select_of_a_missing_mailbox_is_a_server_no),
		cmocka_unit_test(mark_move_creates_processed_and_moves),
		cmocka_unit_test(mark_seen_keeps_the_message),
		cmocka_unit_test(mark_without_move_uses_uid_expunge),
		cmocka_unit_test(mark_without_move_or_uidplus_only_sets_seen),
		cmocka_unit_test(mark_move_to_a_non_ascii_folder),
		cmocka_unit_test(starttls_verifies_and_trace_hides_the_password),
		cmocka_unit_test(untrusted_server_is_refused),
		cmocka_unit_test(expired_certificate_is_refused_before_login),
		cmocka_unit_test(wrong_name_is_refused_before_login),
		cmocka_unit_test(wrong_password_and_missing_xoauth2),
		cmocka_unit_test(plain_connection_when_configured_warns),
		cmocka_unit_test(wrong_port_fails_cleanly),
		cmocka_unit_test(idle_wakes_on_new_mail),
		cmocka_unit_test(idle_times_out_and_wakes_on_fd),
		cmocka_unit_test(fetch_callback_may_move_each_message),
		cmocka_unit_test(kept_session_sees_new_mail),
		cmocka_unit_test(dead_server_is_a_connection_error),
	};

	if (load_env() < 0)
		return 1;
	log_init("test-imapc", LOG_TO_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
