/* smtpc.c: see smtpc.h.
 *
 * libcurl speaks SMTP, TLS and SASL, and keeps the connection between
 * transfers of one easy handle. What it does not tell its caller is which
 * recipient got which reply, or what the server said when a command
 * failed: its error buffer holds "RCPT failed: 550". So the dialogue is
 * followed through the debug callback (which libcurl calls only with
 * CURLOPT_VERBOSE on; with a callback set nothing goes to stderr): every
 * command we send sets the stage, every complete reply is filed under
 * it. The same callback writes the debug trace, with AUTH hidden.
 *
 * libcurl also goes on without AUTH when a server does not offer it; the
 * read callback refuses to hand over the message then (the transfer
 * aborts before the end of data, so nothing is delivered). */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>

#include "postdesk/buf.h"
#include "postdesk/log.h"
#include "postdesk/smtpc.h"
#include "postdesk/tlsverify.h"
#include "postdesk/xalloc.h"

#define DEFAULT_TIMEOUT	60
#define REPLY_MAX	2048	/* bytes kept of one reply (multi-line: joined) */
#define TRACE_WIDTH	200

/* The name was misspelt until libcurl 8.2 (same option, 290). */
#if LIBCURL_VERSION_NUM >= 0x080200
#define OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define OPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

/* What the last command we sent was; replies are filed under it. */
enum stage {
	ST_GREETING = 0,	/* nothing sent yet on a new connection */
	ST_EHLO,
	ST_STARTTLS,
	ST_AUTH,		/* from AUTH until its final (non-334) reply */
	ST_MAIL,
	ST_RCPT,
	ST_DATA,
	ST_BODY,		/* 354 came: the next reply is about the message */
	ST_QUIT,
	ST_OTHER,
};

struct smtpc {
	CURL *curl;			/* owned */
	const struct pd_smtp *cfg;	/* borrowed */
	char *where;			/* owned: "host:port", for messages */
	bool need_auth;			/* cfg->user is set */
	bool oauth;			/* the secret is a bearer token */
	bool session_error;		/* see smtpc_error_is_session() */
	char errbuf[CURL_ERROR_SIZE];

	/* The connection (kept across sends while libcurl reuses it). */
	enum stage stage;
	bool authed;			/* AUTH succeeded on this connection */
	char auth_offered[128];		/* the EHLO AUTH line's mechanisms */
	struct pd_buf reply;		/* the reply being read (multi-line) */

	/* This send. */
	bool mail_sent;			/* MAIL FROM went out */
	bool data_started;		/* the server said 354 */
	unsigned nreplies;		/* complete replies read */
	bool no_auth;			/* the read callback refused */
	int fail_code;			/* first error reply (>= 400), or 0 */
	enum stage fail_stage;
	char *fail_text;		/* owned */
	char *final_text;		/* owned: the reply to the message */
	size_t nrcpt, rcpt_sent;
	int *rcpt_code;			/* owned, nrcpt entries; 0: no reply */
	char **rcpt_text;		/* owned, nrcpt entries */
	const char *const *rcpt_names;	/* borrowed: the caller's rcpts */
	const char *body;		/* borrowed: the message, CRLF */
	size_t body_len, body_off;
};

/* ---- libcurl, once per process -------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- following the dialogue ------------------------------------------------ */

static void
trace_line(const struct smtpc *s, const char *dir, const char *p, size_t n)
{
	char line[TRACE_WIDTH + 1];
	size_t w = 0, i;

	for (i = 0; i < n && w < TRACE_WIDTH; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			continue;
		line[w++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '.';
	}
	line[w] = '\0';
	log_debug("smtp %s %s: %s", s->where, dir, line);
}

static bool
word_is(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && strncasecmp(p, w, k) == 0 &&
	    (n == k || p[k] == ' ' || p[k] == '\r' || p[k] == '\n');
}

/* A command went out: which stage does it start? Returns whether the line
 * carries credentials (and must not be traced). */
static bool
on_command(struct smtpc *s, const char *p, size_t n)
{
	if (s->stage == ST_AUTH)
		return true;	/* a SASL continuation line */
	if (word_is(p, n, "EHLO") || word_is(p, n, "HELO")) {
		/* A new connection, or the restart after STARTTLS. */
		s->stage = ST_EHLO;
		s->authed = false;
		s->auth_offered[0] = '\0';
	} else if (word_is(p, n, "STARTTLS")) {
		s->stage = ST_STARTTLS;
	} else if (word_is(p, n, "AUTH")) {
		s->stage = ST_AUTH;
		return true;
	} else if (word_is(p, n, "MAIL")) {
		s->stage = ST_MAIL;
		s->mail_sent = true;
	} else if (word_is(p, n, "RCPT")) {
		s->stage = ST_RCPT;
		s->rcpt_sent++;
	} else if (word_is(p, n, "DATA")) {
		s->stage = ST_DATA;
	} else if (word_is(p, n, "QUIT")) {
		s->stage = ST_QUIT;
	} else {
		s->stage = ST_OTHER;
	}
	return false;
}

/* An EHLO reply line p (n bytes, "250-AUTH PLAIN LOGIN" or "250
 * AUTH=PLAIN"): keep the mechanisms, for messages. */
static void
remember_auth_line(struct smtpc *s, const char *p, size_t n)
{
	size_t k;

	if (n <= 9 || strncasecmp(p + 4, "AUTH", 4) != 0 ||
	    (p[8] != ' ' && p[8] != '='))
		return;
	k = n - 9 < sizeof(s->auth_offered) - 1 ? n - 9 :
	    sizeof(s->auth_offered) - 1;
	memcpy(s->auth_offered, p + 9, k);
	s->auth_offered[k] = '\0';
}

static void
note_failure(struct smtpc *s, enum stage stage, int code, const char *text)
{
	if (code >= 400 && s->fail_code == 0) {
		s->fail_code = code;
		s->fail_stage = stage;
		s->fail_text = xstrdup(text);
	}
}

/* A complete reply (code, text "NNN ...") under the current stage. */
static void
on_reply(struct smtpc *s, int code, const char *text)
{
	size_t i;

	s->nreplies++;
	switch (s->stage) {
	case ST_AUTH:
		if (code == 334)
			return;		/* SASL goes on */
		s->authed = code == 235;
		s->stage = ST_OTHER;	/* what follows may be traced */
		note_failure(s, ST_AUTH, code, text);
		return;
	case ST_RCPT:
		i = s->rcpt_sent - 1;
		if (s->rcpt_sent > 0 && i < s->nrcpt && s->rcpt_code[i] == 0) {
			s->rcpt_code[i] = code;
			s->rcpt_text[i] = xstrdup(text);
		}
		if (code != 421)
			return;		/* judged per recipient */
		break;
	case ST_DATA:
		if (code == 354) {
			s->stage = ST_BODY;
			s->data_started = true;
			return;
		}
		break;
	case ST_BODY:
		free(s->final_text);
		s->final_text = xstrdup(text);
		break;
	case ST_QUIT:
		return;
	default:
		break;
	}
	note_failure(s, s->stage, code, text);
}

/* One reply line (libcurl hands them over one at a time): "NNN-..." goes
 * on, "NNN ..." or "NNN" ends the reply. */
static void
on_reply_line(struct smtpc *s, const char *p, size_t n)
{
	char code[4];

	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (n < 3 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return;		/* not SMTP; libcurl will complain */
	if (s->reply.len == 0)
		pd_buf_add(&s->reply, p, n);	/* over the cap: dropped */
	else if (n > 4) {
		pd_buf_addc(&s->reply, ' ');
		pd_buf_add(&s->reply, p + 4, n - 4);
	}
	if (s->stage == ST_EHLO)
		remember_auth_line(s, p, n);
	if (n > 3 && p[3] == '-')
		return;
	memcpy(code, p, 3);
	code[3] = '\0';
	/* A multi-line reply is filed with its first line's '-' as ' '. */
	if (s->reply.len > 3)
		s->reply.data[3] = ' ';
	on_reply(s, atoi(code), pd_buf_str(&s->reply));
	pd_buf_reset(&s->reply);
}

static int
debug_cb(CURL *curl, curl_infotype type, char *p, size_t n, void *arg)
{
	struct smtpc *s = arg;
	bool tracing = log_get_level() >= LOG_LVL_DEBUG;
	bool secret;

	(void)curl;
	switch (type) {
	case CURLINFO_TEXT:
		if (tracing)
			trace_line(s, "*", p, n);
		break;
	case CURLINFO_HEADER_OUT:
		secret = on_command(s, p, n);
		if (!tracing)
			break;
		if (!secret)
			trace_line(s, "C", p, n);
		else if (word_is(p, n, "AUTH") && n > 5)
			log_debug("smtp %s C: AUTH %.*s (credentials not "
			    "shown)", s->where, (int)strcspn(p + 5, " \r\n"),
			    p + 5);
		else
			log_debug("smtp %s C: (%zu bytes of credentials, not "
			    "shown)", s->where, n);
		break;
	case CURLINFO_HEADER_IN:
		if (tracing)
			trace_line(s, "S", p, n);
		on_reply_line(s, p, n);
		break;
	default:	/* the message itself and TLS records: never traced */
		break;
	}
	return 0;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtpc *s = arg;
	size_t n = size * nitems;

	/* AUTH was wanted but never happened: the server does not offer it
	 * (libcurl then goes on without). Stop before the end of data. */
	if (s->need_auth && !s->authed) {
		s->no_auth = true;
		return CURL_READFUNC_ABORT;
	}
	if (n > s->body_len - s->body_off)
		n = s->body_len - s->body_off;
	memcpy(buf, s->body + s->body_off, n);
	s->body_off += n;
	return n;
}

/* ---- opening --------------------------------------------------------------- */

/* "host:port" of url, for messages (caller frees). */
static char *
url_where(const char *url, char **error_r)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *r = NULL;

	if (u == NULL)
		log_fatal("out of memory (libcurl)");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		*error_r = xasprintf("smtp url \"%s\" cannot be parsed", url);
	else
		r = xasprintf("%s:%s", host, port);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

#define SET(opt, val) do {						\
	CURLcode rc_ = curl_easy_setopt(s->curl, (opt), (val));		\
	if (rc_ != CURLE_OK) {						\
		*error_r = xasprintf("libcurl refuses %s: %s", #opt,	\
		    curl_easy_strerror(rc_));				\
		return -1;						\
	}								\
} while (0)

/* Everything that stays the same for every message of the session. */
static int
configure(struct smtpc *s, const struct pd_smtp *cfg, bool smtps,
    const char *secret, char **error_r)
{
	long timeout = cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT;

	SET(CURLOPT_URL, cfg->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_VERBOSE, 1L);	/* for debug_cb; see the top */
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, s);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, s);
	SET(CURLOPT_UPLOAD, 1L);
	SET(OPT_RCPT_ALLOWFAILS, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, timeout);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);	/* bytes/s, over timeout s */
	SET(CURLOPT_LOW_SPEED_TIME, timeout);

	/* TLS: never TRY (a stripped STARTTLS would go unnoticed), and
	 * verification always on; tls = none is the only way around it. */
	if (smtps || cfg->tls == PD_TLS_STARTTLS)
		SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	else
		SET(CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CERTINFO, 1L);	/* for cert_reason() */
	if (cfg->ca_file != NULL) {
		/* The configured CAs alone, as imapc does. */
		SET(CURLOPT_CAINFO, cfg->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}

	if (s->need_auth) {
		SET(CURLOPT_USERNAME, cfg->user);
		if (s->oauth) {
			SET(CURLOPT_XOAUTH2_BEARER, secret);
			/* Without this libcurl would fall back to PLAIN (or
			 * CRAM-MD5) with an empty password. */
			SET(CURLOPT_LOGIN_OPTIONS,
			    "AUTH=OAUTHBEARER;AUTH=XOAUTH2");
		} else {
			SET(CURLOPT_PASSWORD, secret);
		}
	}
	return 0;
}

int
smtpc_open(const struct pd_smtp *cfg, const char *secret, struct smtpc **s_r,
    char **error_r)
{
	struct smtpc *s;
	struct sigaction sa;
	bool smtps;

	*s_r = NULL;
	*error_r = NULL;
	if (cfg->url == NULL) {
		*error_r = xstrdup("smtpc_open: no smtp url");
		return -1;
	}
	smtps = strncasecmp(cfg->url, "smtps://", 8) == 0;
	if (!smtps && strncasecmp(cfg->url, "smtp://", 7) != 0) {
		*error_r = xasprintf("smtp url \"%s\" is not smtp:// or "
		    "smtps://", cfg->url);
		return -1;
	}
	if (!smtps && cfg->tls == PD_TLS_IMPLICIT) {
		*error_r = xstrdup("smtp: tls = implicit needs an smtps:// url");
		return -1;
	}
	if ((cfg->user != NULL) != (secret != NULL)) {
		*error_r = xstrdup(cfg->user != NULL ? "smtp: user is set "
		    "but no password or token was given" :
		    "smtp: a secret was given but no user is set");
		return -1;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		*error_r = xasprintf("libcurl: %s",
		    curl_easy_strerror(curl_init_rc));
		return -1;
	}
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	s->need_auth = cfg->user != NULL;
	s->oauth = s->need_auth && cfg->oauth2_token_file != NULL;
	pd_buf_init(&s->reply, REPLY_MAX);
	if ((s->where = url_where(cfg->url, error_r)) == NULL ||
	    (s->curl = curl_easy_init()) == NULL ||
	    configure(s, cfg, smtps, secret, error_r) < 0) {
		if (*error_r == NULL)
			*error_r = xstrdup("libcurl: cannot make a handle");
		smtpc_close(&s);
		return -1;
	}
	if (!smtps && cfg->tls == PD_TLS_NONE)
		log_warn("smtp %s: tls = none: %smail travels unencrypted",
		    s->where, s->need_auth ? "the password and the " : "");
	*s_r = s;
	return 0;
}

/* ---- sending --------------------------------------------------------------- */

/* An envelope address we can put in a command: no line breaks or other
 * controls, no angle brackets (libcurl adds them). "" only for MAIL. */
static bool
address_ok(const char *a, bool empty_ok)
{
	const unsigned char *p;

	if (*a == '\0')
		return empty_ok;
	for (p = (const unsigned char *)a; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

/* raw with every line ending CRLF (caller frees). */
static char *
to_crlf(const char *raw, size_t len, size_t *len_r)
{
	size_t i, extra = 0, k = 0;
	char *out;

	for (i = 0; i < len; i++)
		if ((raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) ||
		    (raw[i] == '\r' && (i + 1 == len || raw[i + 1] != '\n')))
			extra++;
	out = xmalloc(len + extra + 1);
	for (i = 0; i < len; i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			out[k++] = '\r';
		out[k++] = raw[i];
		if (raw[i] == '\r' && (i + 1 == len || raw[i + 1] != '\n'))
			out[k++] = '\n';
	}
	out[k] = '\0';
	*len_r = k;
	return out;
}

static void
reset_send(struct smtpc *s, size_t n)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt_text[i]);
	free(s->rcpt_text);
	free(s->rcpt_code);
	free(s->fail_text);
	free(s->final_text);
	s->rcpt_text = n > 0 ? xcalloc(n, sizeof(*s->rcpt_text)) : NULL;
	s->rcpt_code = n > 0 ? xcalloc(n, sizeof(*s->rcpt_code)) : NULL;
	s->nrcpt = n;
	s->rcpt_sent = 0;
	s->fail_code = 0;
	s->fail_text = s->final_text = NULL;
	s->mail_sent = s->no_auth = s->data_started = false;
	s->nreplies = 0;
	s->session_error = false;
	s->errbuf[0] = '\0';
	/* A reused connection starts with MAIL; a new one with the greeting. */
	s->stage = ST_GREETING;
	pd_buf_reset(&s->reply);
}

static const char *
curl_text(const struct smtpc *s, CURLcode rc)
{
	return s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc);
}

/* libcurl's GnuTLS backend says only "server certificate verification
 * failed" when the server's certificate is refused: check the chain it
 * received (CURLINFO_CERTINFO) ourselves, as imapc does, for the reason:
 * expired, not yet valid, unknown signer, another host name. NULL when
 * there is no chain to look at, or it passes (caller frees). */
static char *
cert_reason(const struct smtpc *s)
{
	struct curl_certinfo *ci = NULL;
	gnutls_datum_t der[8];
	const void *dv[8];
	size_t dl[8], n = 0;
	char *host, *err = NULL;

	if (curl_easy_getinfo(s->curl, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL)
		return NULL;
	for (int i = 0; i < ci->num_of_certs && n < 8; i++)
		for (struct curl_slist *l = ci->certinfo[i]; l != NULL; l = l->next) {
			gnutls_datum_t pem;

			if (strncmp(l->data, "Cert:", 5) != 0)
				continue;
			pem.data = (unsigned char *)l->data + 5;
			pem.size = (unsigned)strlen(l->data + 5);
			if (gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der[n]) == 0) {
				dv[n] = der[n].data;
				dl[n] = der[n].size;
				n++;
			}
			break;
		}
	/* where is "host:port"; an IPv6 host is in brackets */
	host = xstrndup(s->where, (size_t)(strrchr(s->where, ':') - s->where));
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (n > 0 && tlsverify_chain(dv, dl, n, s->cfg->ca_file, host, &err) == 0)
		err = NULL;
	for (size_t i = 0; i < n; i++)
		gnutls_free(der[i].data);
	free(host);
	return err;
}

/* Why the session failed, when no server reply says it (caller frees). */
static char *
describe_curl_error(const struct smtpc *s, CURLcode rc)
{
	const char *w = s->where, *t = curl_text(s, rc);
	long oserr = 0;

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return xasprintf("cannot resolve the host of %s: %s", w, t);
	case CURLE_COULDNT_CONNECT:
		/* "Connection refused" says more than libcurl's "Couldn't
		 * connect to server". */
		if (curl_easy_getinfo(s->curl, CURLINFO_OS_ERRNO, &oserr) ==
		    CURLE_OK && oserr != 0)
			t = strerror((int)oserr);
		return xasprintf("cannot connect to %s: %s", w, t);
	case CURLE_OPERATION_TIMEDOUT:
		return xasprintf("timeout talking to %s: %s", w, t);
	case CURLE_PEER_FAILED_VERIFICATION: {
		char *why = cert_reason(s), *r;

		r = xasprintf("TLS certificate of %s not accepted: %s%s%s", w,
		    why ? why : "", why ? "; libcurl: " : "", t);
		free(why);
		return r;
	}
	case CURLE_SSL_CACERT_BADFILE:
		return xasprintf("TLS certificate of %s not accepted: %s", w, t);
	case CURLE_SSL_CONNECT_ERROR:
		return xasprintf("TLS handshake with %s failed: %s", w, t);
	case CURLE_USE_SSL_FAILED:
		return xasprintf("%s does not offer STARTTLS; refusing to send "
		    "AUTH or mail in clear text (%s)", w, t);
	case CURLE_LOGIN_DENIED:
		return xasprintf("AUTH as %s at %s impossible: the server "
		    "offers %s%s, postdesk needs %s", s->cfg->user, w,
		    s->auth_offered[0] != '\0' ? "AUTH " : "no AUTH",
		    s->auth_offered, s->oauth ? "OAUTHBEARER or XOAUTH2" :
		    "a password mechanism");
	default:
		return xasprintf("%s: %s", w, t);
	}
}

/* A server's error reply about the session, not the message. */
static char *
describe_session_reply(const struct smtpc *s)
{
	switch (s->fail_stage) {
	case ST_GREETING:
		return xasprintf("%s refuses the session: %s", s->where,
		    s->fail_text);
	case ST_EHLO:
		return xasprintf("EHLO refused by %s: %s", s->where,
		    s->fail_text);
	case ST_STARTTLS:
		return xasprintf("STARTTLS refused by %s: %s", s->where,
		    s->fail_text);
	case ST_AUTH:
		return xasprintf("AUTH as %s refused by %s: %s", s->cfg->user,
		    s->where, s->fail_text);
	default:
		return xasprintf("%s ends the session: %s", s->where,
		    s->fail_text);
	}
}

static enum smtpc_result
rcpt_fate(int code)
{
	return code >= 200 && code < 300 ? SMTPC_SENT :
	    code >= 500 && code < 600 ? SMTPC_PERMFAIL : SMTPC_TEMPFAIL;
}

/* The failed send's result and text (*text_r: caller frees). */
static enum smtpc_result
judge_failure(struct smtpc *s, CURLcode rc, char **text_r)
{
	size_t i, perm = 0, first = 0;
	bool any_ok = false, any_temp = false;
	enum smtpc_result fate;

	if (s->need_auth && !s->authed && s->mail_sent) {
		/* libcurl skipped AUTH: the server did not offer it. */
		s->session_error = true;
		*text_r = xasprintf("%s does not offer AUTH (user %s is set); "
		    "refusing to send unauthenticated%s%s", s->where,
		    s->cfg->user, s->fail_text != NULL ? ": " : "",
		    s->fail_text != NULL ? s->fail_text : "");
		return SMTPC_TEMPFAIL;
	}
	if (s->fail_code != 0) {
		if (s->fail_stage <= ST_AUTH || s->fail_code == 421) {
			s->session_error = true;
			*text_r = describe_session_reply(s);
			return SMTPC_TEMPFAIL;
		}
		*text_r = xstrdup(s->fail_text);
		return s->fail_code >= 500 ? SMTPC_PERMFAIL : SMTPC_TEMPFAIL;
	}
	/* Every RCPT answered, none accepted. */
	if (s->nrcpt > 0 && s->rcpt_sent == s->nrcpt) {
		/* The text of the first temporary refusal, else the first. */
		for (i = 0; i < s->nrcpt; i++) {
			fate = rcpt_fate(s->rcpt_code[i]);
			if (fate == SMTPC_SENT)
				any_ok = true;
			else if (fate == SMTPC_PERMFAIL)
				perm++;
			else if (!any_temp) {
				any_temp = true;
				first = i;
			}
		}
		if (!any_ok && s->rcpt_text[first] != NULL) {
			*text_r = xstrdup(s->rcpt_text[first]);
			return perm == s->nrcpt ? SMTPC_PERMFAIL :
			    SMTPC_TEMPFAIL;
		}
	}
	s->session_error = true;
	*text_r = describe_curl_error(s, rc);
	return SMTPC_TEMPFAIL;
}

/* The reply of a sent message: the server's answer to it, then every
 * recipient it refused (caller frees). */
static char *
sent_reply(const struct smtpc *s)
{
	struct pd_buf b;
	size_t i;

	pd_buf_init(&b, 64 * 1024);
	pd_buf_adds(&b, s->final_text != NULL ? s->final_text : "250");
	for (i = 0; i < s->nrcpt; i++)
		if (rcpt_fate(s->rcpt_code[i]) != SMTPC_SENT)
			pd_buf_printf(&b, "; not accepted: %s: %s",
			    s->rcpt_names[i], s->rcpt_text[i] != NULL ?
			    s->rcpt_text[i] : "(no reply)");
	return pd_buf_steal(&b);
}

static CURLcode
perform(struct smtpc *s, const char *env_from, const char *const *rcpts,
    size_t n, const char *body, size_t len)
{
	struct curl_slist *list = NULL, *l;
	CURLcode rc = CURLE_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((l = curl_slist_append(list, rcpts[i])) == NULL)
			log_fatal("out of memory (libcurl)");
		list = l;
	}
	s->body = body;
	s->body_len = len;
	s->body_off = 0;
	if (curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, env_from) != CURLE_OK ||
	    curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list) != CURLE_OK ||
	    curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)len) != CURLE_OK)
		log_fatal("libcurl refuses the envelope options");
	rc = curl_easy_perform(s->curl);
	/* libcurl keeps no copy of the list. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_slist_free_all(list);
	s->body = NULL;
	return rc;
}

/* Whether the transfer that just failed ran on a connection kept from an
 * earlier message, and failed before the server answered anything (or
 * with a 421: it closed an idle connection) and before DATA: then the
 * server timed it out or went away meanwhile, nothing can have been
 * delivered, and one more try on a new connection is safe. */
static bool
reused_and_lost(struct smtpc *s)
{
	long fresh = -1;

	if (curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &fresh) !=
	    CURLE_OK || fresh != 0)
		return false;
	return !s->data_started && !s->no_auth &&
	    (s->nreplies == 0 || s->fail_code == 421);
}

enum smtpc_result
smtpc_send(struct smtpc *s, const char *env_from, const char *const *rcpts,
    size_t n, const char *raw, size_t len, enum smtpc_result *rcpt_r,
    char **reply_r)
{
	enum smtpc_result res;
	char *body;
	size_t i, blen;
	CURLcode rc;

	*reply_r = NULL;
	reset_send(s, n);
	s->rcpt_names = rcpts;
	if (n == 0) {
		*reply_r = xstrdup("no recipients");
		res = SMTPC_PERMFAIL;
		goto done;
	}
	if (!address_ok(env_from, true)) {
		*reply_r = xstrdup("bad envelope sender address");
		res = SMTPC_PERMFAIL;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!address_ok(rcpts[i], false)) {
			*reply_r = xstrdup("bad envelope recipient address");
			res = SMTPC_PERMFAIL;
			goto out;
		}
	body = to_crlf(raw, len, &blen);
	rc = perform(s, env_from, rcpts, n, body, blen);
	if (rc != CURLE_OK && reused_and_lost(s)) {
		log_info("smtp %s: the connection kept from the last message "
		    "is gone (%s); connecting again", s->where,
		    s->fail_text != NULL ? s->fail_text : curl_text(s, rc));
		reset_send(s, n);
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 1L);
		rc = perform(s, env_from, rcpts, n, body, blen);
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 0L);
	}
	free(body);
	if (rc == CURLE_OK) {
		*reply_r = sent_reply(s);
		res = SMTPC_SENT;
		for (i = 0; i < n && rcpt_r != NULL; i++)
			rcpt_r[i] = rcpt_fate(s->rcpt_code[i]);
		goto done;
	}
	res = judge_failure(s, rc, reply_r);
out:
	for (i = 0; i < n && rcpt_r != NULL; i++)
		rcpt_r[i] = s->rcpt_code[i] >= 500 && s->rcpt_code[i] < 600 ?
		    SMTPC_PERMFAIL : res;
done:
	s->rcpt_names = NULL;
	return res;
}

bool
smtpc_error_is_session(const struct smtpc *s)
{
	return s->session_error;
}

void
smtpc_close(struct smtpc **sp)
{
	struct smtpc *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);	/* QUIT; debug_cb still runs */
	reset_send(s, 0);
	pd_buf_free(&s->reply);
	free(s->where);
	free(s);
}
