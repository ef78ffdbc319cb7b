/* imapc.c: see imapc.h.
 *
 * libetpan does the protocol; this file adds what it leaves out: TLS
 * verification (libetpan's GnuTLS build checks nothing), SNI, STARTTLS
 * that cannot be stripped, the "n:*" search quirk, bounded fetches,
 * folder creation, the MOVE fallbacks, and telling a dead connection from
 * a refused command.
 *
 * Ownership, as libetpan wants it (STYLE.md section 3): command arguments
 * (sets, fetch types, search keys, store flags) are ours and freed right
 * after the call; results (fetch and search lists) are freed by us once
 * read. A libetpan constructor returns NULL only when out of memory, which
 * ends the process like xmalloc does. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libetpan/libetpan.h>

#include "postdesk/buf.h"
#include "postdesk/imapc.h"
#include "postdesk/log.h"
#include "postdesk/tlsverify.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define DEFAULT_TIMEOUT	60
#define CLOSE_TIMEOUT	5
#define IDLE_MAX	(29 * 60)	/* RFC 2177: re-issue before 30 min */
#define SIZE_CHUNK	256		/* UIDs per RFC822.SIZE request */
#define GROUP_MAX	64		/* messages per BODY.PEEK[] command */
#define GROUP_BYTES	(32u << 20)	/* ... and about this many bytes */
#define TRACE_LINES	4		/* lines per traced chunk */
#define TRACE_WIDTH	160

enum {
	CAP_MOVE = 1,
	CAP_UIDPLUS = 2,
	CAP_IDLE = 4,
};

struct imapc {
	mailimap *imap;		/* owned */
	char *host;		/* owned; what the certificate must name */
	int port;
	int timeout;		/* seconds, for connect and every read/write */
	char *selected;		/* owned; UTF-8 name, NULL when none */
	char *folder_ok;	/* owned; wire name of a folder known to exist */
	size_t max_size;	/* 0: no limit */
	unsigned ignore;	/* CAP_* bits to pretend absent */
	bool broken;		/* the connection is gone */
	bool conn_error;	/* the last failure was the connection */
	bool in_auth;		/* trace: hide everything sent */
	bool fresh;		/* nothing since SELECT: its view is current */
	bool warned_no_move;
};

static void *
nn(void *p)
{
	if (p == NULL)
		log_fatal("out of memory (libetpan)");
	return p;
}

/* Failures after which the session cannot go on. A tagged NO or BAD
 * (every other code) leaves it usable. */
static bool
is_conn_error(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_MEMORY:
		return true;
	default:
		return false;
	}
}

static const char *
etpan_strerror(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM: return "connection lost";
	case MAILIMAP_ERROR_PARSE: return "unparsable server response";
	case MAILIMAP_ERROR_FATAL: return "server ended the session (BYE)";
	case MAILIMAP_ERROR_CONNECTION_REFUSED: return "cannot connect";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: return "server refuses connections (BYE greeting)";
	case MAILIMAP_ERROR_SSL: return "TLS handshake failed";
	case MAILIMAP_ERROR_BAD_STATE: return "session in the wrong state";
	case MAILIMAP_ERROR_MEMORY: return "out of memory";
	case MAILIMAP_ERROR_PROTOCOL: return "server says BAD";
	default: return "refused by the server";
	}
}

/* Record libetpan failure r of the command "what"; returns -1. The
 * server's text is used only for a NO or BAD: after a connection error
 * imap_response may still hold the previous command's text. */
static int PD_PRINTF(4, 5)
fail(struct imapc *c, int r, char **error_r, const char *fmt, ...)
{
	char what[512];
	const char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	c->conn_error = is_conn_error(r);
	if (c->conn_error)
		c->broken = true;
	else
		text = c->imap->imap_response;
	*error_r = xasprintf("%s: %s", what,
	    text != NULL && *text != '\0' ? text : etpan_strerror(r));
	return -1;
}

/* A failure that is ours, not the server's; returns -1. */
static int PD_PRINTF(3, 4)
refuse(struct imapc *c, char **error_r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->conn_error = false;
	*error_r = xstrdup(msg);
	return -1;
}

static int
check_ready(struct imapc *c, bool need_selected, char **error_r)
{
	*error_r = NULL;
	if (c->broken || c->imap->imap_stream == NULL) {
		c->conn_error = true;
		*error_r = xasprintf("connection to %s:%d is closed", c->host,
		    c->port);
		return -1;
	}
	if (need_selected && c->selected == NULL)
		return refuse(c, error_r, "no mailbox is selected");
	return 0;
}

/* Close the socket without a word (nothing may be sent over a connection
 * that failed verification, and a dead one cannot take a LOGOUT). */
static void
drop(struct imapc *c)
{
	if (c->imap->imap_stream != NULL) {
		mailstream_close(c->imap->imap_stream);
		c->imap->imap_stream = NULL;
	}
	c->broken = true;
}

static bool
has_cap(struct imapc *c, unsigned cap)
{
	if (c->ignore & cap)
		return false;
	switch (cap) {
	case CAP_MOVE:
		return mailimap_has_extension(c->imap, "MOVE");
	case CAP_UIDPLUS:
		return mailimap_has_uidplus(c->imap);
	case CAP_IDLE:
		return mailimap_has_idle(c->imap);
	default:
		return false;
	}
}

/* ---- modified UTF-7 (RFC 3501 5.1.3) -------------------------------- */

static const char mutf7_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static uint32_t
utf8_decode(const unsigned char *p, size_t n)
{
	static const unsigned char mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = p[0] & mask[n];
	size_t i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/* The wire name of a UTF-8 mailbox name, or NULL if it is not valid
 * UTF-8 (caller frees). Printable ASCII stands for itself ("&" is "&-"),
 * everything else is UTF-16 in base64 with "," for "/", between & and -. */
static char *
mutf7_encode(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), i = 0, n;
	uint32_t bits = 0, cp, unit[2];
	unsigned nbits = 0, nu, k;
	bool b64 = false;
	struct pd_buf b;

	pd_buf_init(&b, 4 * len + 16);
	while (i < len) {
		if (p[i] >= 0x20 && p[i] <= 0x7e) {
			if (b64) {
				if (nbits > 0)
					pd_buf_addc(&b, mutf7_b64[(bits << (6 - nbits)) & 63]);
				pd_buf_addc(&b, '-');
				b64 = false;
				bits = nbits = 0;
			}
			pd_buf_addc(&b, (char)p[i]);
			if (p[i++] == '&')
				pd_buf_addc(&b, '-');
			continue;
		}
		if ((n = utf8_seq_len(p + i, len - i)) == 0) {
			pd_buf_free(&b);
			return NULL;
		}
		cp = utf8_decode(p + i, n);
		i += n;
		if (cp >= 0x10000) {
			unit[0] = 0xd800 + ((cp - 0x10000) >> 10);
			unit[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			unit[0] = cp;
			nu = 1;
		}
		if (!b64)
			pd_buf_addc(&b, '&');
		b64 = true;
		for (k = 0; k < nu; k++) {
			bits = (bits << 16) | unit[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				pd_buf_addc(&b, mutf7_b64[(bits >> nbits) & 63]);
			}
			bits &= (1u << nbits) - 1;
		}
	}
	if (b64) {
		if (nbits > 0)
			pd_buf_addc(&b, mutf7_b64[(bits << (6 - nbits)) & 63]);
		pd_buf_addc(&b, '-');
	}
	return pd_buf_steal(&b);
}

/* ---- protocol trace ---------------------------------------------------- */

static void
trace_chunk(const struct imapc *c, const char *dir, const char *s, size_t n)
{
	char line[TRACE_WIDTH + 1];
	size_t i = 0, w, lines = 0;

	while (i < n && lines < TRACE_LINES) {
		for (w = 0; i < n && s[i] != '\n'; i++) {
			if (s[i] == '\r' || w == TRACE_WIDTH)
				continue;
			line[w++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '.';
		}
		line[w] = '\0';
		if (i < n)
			i++;	/* the \n */
		log_debug("imap %s %s: %s", c->host, dir, line);
		lines++;
	}
	if (i < n)
		log_debug("imap %s %s: ... (%zu more bytes)", c->host, dir, n - i);
}

/* mailimap_set_logger callback. Credentials never reach the log: libetpan
 * marks LOGIN and AUTHENTICATE data private, and everything we send while
 * logging in is hidden as well, in case a later libetpan forgets. */
static void
trace(mailimap *s, int type, const char *str, size_t size, void *ctx)
{
	struct imapc *c = ctx;

	(void)s;
	switch (type) {
	case MAILSTREAM_LOG_TYPE_DATA_SENT_PRIVATE:
		log_debug("imap %s C: (%zu bytes of credentials, not shown)",
		    c->host, size);
		break;
	case MAILSTREAM_LOG_TYPE_DATA_SENT:
		if (c->in_auth)
			log_debug("imap %s C: (%zu bytes while logging in, not "
			    "shown)", c->host, size);
		else
			trace_chunk(c, "C", str, size);
		break;
	case MAILSTREAM_LOG_TYPE_DATA_RECEIVED:
		trace_chunk(c, "S", str, size);
		break;
	default:
		break;
	}
}

/* ---- connecting -------------------------------------------------------- */

static bool
is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* Called by libetpan before the TLS handshake: SNI (never for an IP
 * address, RFC 6066 section 3). */
static void
tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	struct imapc *c = data;

	if (!is_ip_literal(c->host))
		mailstream_ssl_set_server_name(ctx, c->host);
}

/* Check the chain the server sent; on failure the socket is closed. */
static int
verify_peer(struct imapc *c, const char *ca_file, char **error_r)
{
	carray *chain = mailstream_get_certificate_chain(c->imap->imap_stream);
	size_t n = chain != NULL ? carray_count(chain) : 0, i;
	const void **der = xcalloc(n + 1, sizeof(*der));
	size_t *len = xcalloc(n + 1, sizeof(*len));
	int r;

	for (i = 0; i < n; i++) {
		MMAPString *s = carray_get(chain, (unsigned)i);

		der[i] = s->str;
		len[i] = s->len;
	}
	r = tlsverify_chain(der, len, n, ca_file, c->host, error_r);
	free(der);
	free(len);
	mailstream_certificate_chain_free(chain);
	if (r < 0) {
		drop(c);
		c->conn_error = false;
	}
	return r;
}

static bool
connected(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

/* A TCP connection to host:port within timeout seconds, trying every
 * address; -1 with the reason in *error_r. (libetpan's own connect says
 * "refused" whatever went wrong.) */
static int
tcp_connect(const char *host, int port, int timeout, char **error_r)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	}, *res, *ai;
	struct pollfd pfd;
	socklen_t len;
	char serv[16];
	int fd = -1, r, err = ECONNREFUSED, soerr;

	snprintf(serv, sizeof(serv), "%d", port);
	if ((r = getaddrinfo(host, serv, &hints, &res)) != 0) {
		*error_r = xasprintf("cannot resolve %s: %s", host,
		    gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				r = poll(&pfd, 1, timeout * 1000);
			while (r < 0 && errno == EINTR);
			len = sizeof(soerr);
			if (r == 0)
				err = ETIMEDOUT;
			else if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &len) < 0)
				err = errno;
			else if ((err = soerr) == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		*error_r = xasprintf("cannot connect to %s:%d: %s", host, port,
		    strerror(err));
	return fd;
}

/* Connect and read the greeting, through TLS from the first byte or not.
 * Returns libetpan's connect result (PREAUTH or not), or -1. */
static int
open_stream(struct imapc *c, bool tls, char **error_r)
{
	mailstream *s;
	int fd, r;

	if ((fd = tcp_connect(c->host, c->port, c->timeout, error_r)) < 0) {
		c->conn_error = true;
		c->broken = true;
		return -1;
	}
	if (tls)
		s = mailstream_ssl_open_with_callback_timeout(fd, c->timeout,
		    tls_setup, c);
	else
		s = mailstream_socket_open_timeout(fd, c->timeout);
	if (s == NULL) {
		close(fd);
		c->conn_error = true;
		c->broken = true;
		*error_r = xasprintf("TLS handshake with %s:%d failed", c->host,
		    c->port);
		return -1;
	}
	r = mailimap_connect(c->imap, s);	/* the session owns s now */
	if (!connected(r)) {
		fail(c, r, error_r, "no IMAP greeting from %s:%d", c->host,
		    c->port);
		drop(c);
		return -1;
	}
	return r;
}

static int
read_caps(struct imapc *c, char **error_r)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	r = mailimap_capability(c->imap, &cap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "CAPABILITY");
	mailimap_capability_data_free(cap);
	return 0;
}

/* Plain connection, STARTTLS, verification, fresh capabilities. */
static int
connect_starttls(struct imapc *c, const char *ca_file, bool *preauth_r,
    char **error_r)
{
	int r;

	if ((r = open_stream(c, false, error_r)) < 0)
		return -1;
	/* A PREAUTH greeting skips the state in which STARTTLS is allowed:
	 * the classic way to keep a client in clear text. */
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		drop(c);
		return refuse(c, error_r, "%s:%d greets with PREAUTH, so "
		    "STARTTLS is impossible; refusing a session in clear text",
		    c->host, c->port);
	}
	if (read_caps(c, error_r) < 0)
		return -1;
	if (!mailimap_has_extension(c->imap, "STARTTLS")) {
		drop(c);
		return refuse(c, error_r, "%s:%d does not offer STARTTLS; "
		    "refusing to send the password in clear text (set tls = "
		    "\"none\" only for a trusted local server)", c->host, c->port);
	}
	r = mailimap_socket_starttls_with_callback(c->imap, tls_setup, c);
	if (r != MAILIMAP_NO_ERROR) {
		fail(c, r, error_r, "STARTTLS with %s:%d", c->host, c->port);
		drop(c);
		return -1;
	}
	if (verify_peer(c, ca_file, error_r) < 0)
		return -1;
	*preauth_r = false;
	return read_caps(c, error_r);	/* RFC 3501 6.2.1: forget the old ones */
}

static int
connect_server(struct imapc *c, const struct pd_imap *cfg, bool *preauth_r,
    char **error_r)
{
	int r;

	switch (cfg->tls) {
	case PD_TLS_IMPLICIT:
		if ((r = open_stream(c, true, error_r)) < 0)
			return -1;
		*preauth_r = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
		if (verify_peer(c, cfg->ca_file, error_r) < 0)
			return -1;
		break;
	case PD_TLS_STARTTLS:
		return connect_starttls(c, cfg->ca_file, preauth_r, error_r);
	case PD_TLS_NONE:
	default:
		log_warn("imap %s:%d: tls = none: the password and the mail "
		    "travel unencrypted", c->host, c->port);
		if ((r = open_stream(c, false, error_r)) < 0)
			return -1;
		*preauth_r = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
		break;
	}
	return 0;
}

static int
login(struct imapc *c, const char *user, const struct imapc_login *how,
    char **error_r)
{
	int r;

	if (how->oauth2_token != NULL) {
		if (!mailimap_has_authentication(c->imap, "XOAUTH2"))
			return refuse(c, error_r, "%s:%d does not offer "
			    "AUTH=XOAUTH2", c->host, c->port);
		c->in_auth = true;
		r = mailimap_oauth2_authenticate(c->imap, user, how->oauth2_token);
	} else {
		if (mailimap_has_extension(c->imap, "LOGINDISABLED"))
			return refuse(c, error_r, "%s:%d refuses LOGIN on this "
			    "connection (LOGINDISABLED)", c->host, c->port);
		c->in_auth = true;
		r = mailimap_login(c->imap, user, how->password);
	}
	c->in_auth = false;
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "login as %s at %s:%d failed", user,
		    c->host, c->port);
	return 0;
}

int
imapc_open(const struct pd_imap *cfg, const struct imapc_login *how,
    struct imapc **c_r, char **error_r)
{
	struct imapc *c;
	struct sigaction sa;
	const char *user = how->user != NULL ? how->user : cfg->user;
	bool preauth = false;

	*c_r = NULL;
	*error_r = NULL;
	if ((how->password == NULL) == (how->oauth2_token == NULL)) {
		*error_r = xstrdup("imapc_open: give a password or an OAuth2 "
		    "token, not both or neither");
		return -1;
	}
	if (cfg->host == NULL || user == NULL) {
		*error_r = xstrdup("imapc_open: host and user are required");
		return -1;
	}
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	c = xcalloc(1, sizeof(*c));
	c->imap = nn(mailimap_new(0, NULL));
	c->host = xstrdup(cfg->host);
	c->port = cfg->port > 0 ? cfg->port :
	    cfg->tls == PD_TLS_IMPLICIT ? 993 : 143;
	c->timeout = cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT;
	mailimap_set_timeout(c->imap, c->timeout);
	if (log_get_level() >= LOG_LVL_DEBUG)
		mailimap_set_logger(c->imap, trace, c);

	if (connect_server(c, cfg, &preauth, error_r) < 0 ||
	    (!preauth && login(c, user, how, error_r) < 0) ||
	    read_caps(c, error_r) < 0) {
		drop(c);
		imapc_close(&c);
		return -1;
	}
	log_debug("imap %s:%d: logged in as %s%s", c->host, c->port, user,
	    preauth ? " (PREAUTH)" : "");
	*c_r = c;
	return 0;
}

/* ---- mailbox ----------------------------------------------------------- */

int
imapc_select(struct imapc *c, const char *mailbox, uint32_t *uidvalidity_r,
    char **error_r)
{
	char *wire;
	uint32_t uidv;
	int r;

	*uidvalidity_r = 0;
	if (check_ready(c, false, error_r) < 0)
		return -1;
	if ((wire = mutf7_encode(mailbox)) == NULL)
		return refuse(c, error_r, "mailbox name is not UTF-8");
	/* A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1). */
	free(c->selected);
	c->selected = NULL;
	r = mailimap_select(c->imap, wire);
	free(wire);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "SELECT %s", mailbox);
	uidv = c->imap->imap_selection_info != NULL ?
	    c->imap->imap_selection_info->sel_uidvalidity : 0;
	if (uidv == 0)
		return refuse(c, error_r, "SELECT %s: the server sent no "
		    "UIDVALIDITY", mailbox);
	c->selected = xstrdup(mailbox);
	c->fresh = true;
	*uidvalidity_r = uidv;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort v[0..n-1] and drop duplicates; returns the new count. */
static size_t
sort_unique(uint32_t *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (i = 0; i < n; i++)
		if (k == 0 || v[i] != v[k - 1])
			v[k++] = v[i];
	return k;
}

int
imapc_search_new(struct imapc *c, uint32_t last_uid, uint32_t **uids_r,
    size_t *n_r, char **error_r)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	clistiter *it;
	uint32_t *v, u;
	size_t n = 0;
	int r;

	*uids_r = NULL;
	*n_r = 0;
	if (check_ready(c, true, error_r) < 0)
		return -1;
	if (last_uid == UINT32_MAX)	/* last + 1 would be 0, which is "*" */
		return 0;
	/* Mail delivered since our last command is announced with the reply
	 * to the next one, and is not in that command's results (Dovecot
	 * answers a UID SEARCH without it): a NOOP first, unless the SELECT
	 * just now gave the current view. */
	if (!c->fresh && (r = mailimap_noop(c->imap)) != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "NOOP");
	c->fresh = false;
	/* The key owns the set. */
	key = nn(mailimap_search_key_new_uid(nn(mailimap_set_new_interval(
	    last_uid + 1, 0))));
	r = mailimap_uid_search(c->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "UID SEARCH UID %u:*", last_uid + 1);
	v = xcalloc(clist_count(res) + 1, sizeof(*v));
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		u = *(uint32_t *)clist_content(it);
		/* "n:*" is "*:n" when n > the highest UID: it matches the
		 * last old message. */
		if (u > last_uid)
			v[n++] = u;
	}
	mailimap_search_result_free(res);
	n = sort_unique(v, n);
	if (n == 0) {
		free(v);
		v = NULL;
	}
	*uids_r = v;
	*n_r = n;
	return 0;
}

/* ---- fetching ---------------------------------------------------------- */

struct fitem {
	uint32_t uid;
	uint32_t size;		/* RFC822.SIZE */
	bool present;
	const char *raw;	/* borrowed from the current fetch list */
	size_t len;
};

static int
cmp_fitem(const void *a, const void *b)
{
	const struct fitem *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static struct fitem *
find_item(struct fitem *v, size_t n, uint32_t uid)
{
	struct fitem key = { .uid = uid };

	return bsearch(&key, v, n, sizeof(*v), cmp_fitem);
}

/* A UID set for v[0..n-1] (sorted), runs written as intervals. */
static struct mailimap_set *
uid_set(const struct fitem *v, size_t n)
{
	struct mailimap_set *set = nn(mailimap_set_new_empty());
	size_t i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].uid == v[j - 1].uid + 1; j++)
			;
		if (mailimap_set_add_interval(set, v[i].uid, v[j - 1].uid) !=
		    MAILIMAP_NO_ERROR)
			log_fatal("out of memory (libetpan)");
	}
	return set;
}

static struct mailimap_fetch_type *
fetch_type(struct mailimap_fetch_att *att)
{
	struct mailimap_fetch_type *ft;

	ft = nn(mailimap_fetch_type_new_fetch_att_list_empty());
	if (mailimap_fetch_type_new_fetch_att_list_add(ft,
	    nn(mailimap_fetch_att_new_uid())) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft, nn(att)) !=
	    MAILIMAP_NO_ERROR)
		log_fatal("out of memory (libetpan)");
	return ft;
}

/* The UID, size and body section of one FETCH response (0 / NULL when
 * absent: unsolicited FETCHes carry only flags). */
static void
msg_att_get(struct mailimap_msg_att *ma, uint32_t *uid_r, uint32_t *size_r,
    struct mailimap_msg_att_body_section **body_r)
{
	clistiter *it;

	*uid_r = *size_r = 0;
	*body_r = NULL;
	for (it = clist_begin(ma->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    (st = item->att_data.att_static) == NULL)
			continue;
		if (st->att_type == MAILIMAP_MSG_ATT_UID)
			*uid_r = st->att_data.att_uid;
		else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
			*size_r = st->att_data.att_rfc822_size;
		else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION)
			*body_r = st->att_data.att_body_section;
	}
}

/* UID FETCH (UID RFC822.SIZE) for v[0..n-1]: marks what exists. */
static int
fetch_sizes(struct imapc *c, struct fitem *v, size_t n, char **error_r)
{
	struct mailimap_set *set = uid_set(v, n);
	struct mailimap_fetch_type *ft;
	struct mailimap_msg_att_body_section *body;
	struct fitem *f;
	clist *res = NULL;
	clistiter *it;
	uint32_t uid, size;
	int r;

	ft = fetch_type(mailimap_fetch_att_new_rfc822_size());
	r = mailimap_uid_fetch(c->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "UID FETCH (RFC822.SIZE) in %s",
		    c->selected);
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		msg_att_get(clist_content(it), &uid, &size, &body);
		if (uid != 0 && (f = find_item(v, n, uid)) != NULL) {
			f->present = true;
			f->size = size;
		}
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* BODY.PEEK[] of v[0..n-1], then cb in UID order. 0, 1 (stopped), -1. */
static int
fetch_group(struct imapc *c, struct fitem *v, size_t n, imapc_fetch_cb *cb,
    void *arg, char **error_r)
{
	struct mailimap_section *section = nn(mailimap_section_new(NULL));
	struct mailimap_fetch_att *att;
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	struct mailimap_msg_att_body_section *body;
	struct fitem *f;
	clist *res = NULL;
	clistiter *it;
	uint32_t uid, size;
	size_t i;
	int r, ret = 0;

	if ((att = mailimap_fetch_att_new_body_peek_section(section)) == NULL)
		log_fatal("out of memory (libetpan)");
	ft = fetch_type(att);
	set = uid_set(v, n);
	r = mailimap_uid_fetch(c->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "UID FETCH (BODY.PEEK[]) in %s",
		    c->selected);
	for (it = clist_begin(res); it != NULL; it = clist_next(it)) {
		msg_att_get(clist_content(it), &uid, &size, &body);
		if (uid != 0 && body != NULL && body->sec_body_part != NULL &&
		    (f = find_item(v, n, uid)) != NULL) {
			f->raw = body->sec_body_part;
			f->len = body->sec_length;
		}
	}
	for (i = 0; i < n && ret == 0; i++) {
		if (v[i].raw == NULL)
			log_info("imap %s folder=%s uid=%u: gone before it "
			    "could be fetched", c->host, c->selected, v[i].uid);
		else if (cb(v[i].uid, v[i].raw, v[i].len, arg) < 0)
			ret = 1;
	}
	mailimap_fetch_list_free(res);	/* the raw pointers die here */
	return ret;
}

/* Sizes of v[0..n-1], then the bodies in groups bounded by GROUP_MAX and
 * GROUP_BYTES; messages over max_size go to cb without a body. */
static int
fetch_chunk(struct imapc *c, struct fitem *v, size_t n, size_t max_size,
    imapc_fetch_cb *cb, void *arg, char **error_r)
{
	size_t i, k = 0, g = 0, bytes = 0;
	bool big;
	int ret;

	if (fetch_sizes(c, v, n, error_r) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i].present)
			v[k++] = v[i];
		else
			log_info("imap %s folder=%s uid=%u: no such message "
			    "(any more)", c->host, c->selected, v[i].uid);
	}
	n = k;
	for (i = 0; i < n; i++) {
		big = max_size != 0 && v[i].size > max_size;
		if (i > g && (big || i - g >= GROUP_MAX ||
		    bytes + v[i].size > GROUP_BYTES)) {
			if ((ret = fetch_group(c, v + g, i - g, cb, arg,
			    error_r)) != 0)
				return ret;
			g = i;
			bytes = 0;
		}
		if (big) {
			if (cb(v[i].uid, NULL, v[i].size, arg) < 0)
				return 1;
			g = i + 1;
			continue;
		}
		bytes += v[i].size;
	}
	return n > g ? fetch_group(c, v + g, n - g, cb, arg, error_r) : 0;
}

void
imapc_set_max_size(struct imapc *c, size_t max)
{
	c->max_size = max;
}

int
imapc_fetch(struct imapc *c, const uint32_t *uids, size_t n,
    imapc_fetch_cb *cb, void *arg, char **error_r)
{
	struct fitem *v;
	size_t i, k = 0, start;
	int ret = 0;

	if (check_ready(c, true, error_r) < 0)
		return -1;
	if (n == 0)
		return 0;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		if (uids[i] != 0)	/* 0 would mean "*" on the wire */
			v[k++].uid = uids[i];
	qsort(v, k, sizeof(*v), cmp_fitem);
	for (i = 0, n = k, k = 0; i < n; i++)
		if (k == 0 || v[i].uid != v[k - 1].uid)
			v[k++] = v[i];
	for (start = 0; start < k && ret == 0; start += SIZE_CHUNK)
		ret = fetch_chunk(c, v + start, k - start < SIZE_CHUNK ?
		    k - start : SIZE_CHUNK, c->max_size, cb, arg, error_r);
	free(v);
	return ret;
}

/* ---- marking ----------------------------------------------------------- */

static int
add_flag(struct imapc *c, struct mailimap_set *set, uint32_t uid, struct mailimap_flag *flag,
    const char *name, char **error_r)
{
	struct mailimap_flag_list *fl = nn(mailimap_flag_list_new_empty());
	struct mailimap_store_att_flags *sa;
	int r;

	if (mailimap_flag_list_add(fl, nn(flag)) != MAILIMAP_NO_ERROR)
		log_fatal("out of memory (libetpan)");
	sa = nn(mailimap_store_att_flags_new_add_flags_silent(fl)); /* owns fl */
	r = mailimap_uid_store(c->imap, set, sa);	/* set stays the caller's */
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "UID STORE %u... +FLAGS (%s) in %s", uid,
		    name, c->selected);
	return 0;
}

/* LIST the folder; CREATE it when it is not there. Remembered for the
 * session, so that only the first move pays for it. */
static int
ensure_folder(struct imapc *c, const char *wire, const char *folder,
    char **error_r)
{
	clist *list = NULL;
	clistiter *it;
	bool found = false;
	int r;

	if (c->folder_ok != NULL && strcmp(c->folder_ok, wire) == 0)
		return 0;
	r = mailimap_list(c->imap, "", wire, &list);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "LIST %s", folder);
	for (it = list ? clist_begin(list) : NULL; it; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		if (strcmp(mb->mb_name, wire) == 0)
			found = true;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	if (!found) {
		r = mailimap_create(c->imap, wire);
		if (r != MAILIMAP_NO_ERROR)
			return fail(c, r, error_r, "cannot create folder %s",
			    folder);
		log_info("imap %s: created folder %s", c->host, folder);
	}
	free(c->folder_ok);
	c->folder_ok = xstrdup(wire);
	return 0;
}

/* UID MOVE, or UID COPY + \Deleted + UID EXPUNGE of this one UID. */
static int
move_to(struct imapc *c, struct mailimap_set *set, uint32_t uid, const char *wire,
    const char *folder, bool use_move, char **error_r)
{
	int r, ret = 0;

	if (use_move) {
		r = mailimap_uid_move(c->imap, set, wire);
		if (r != MAILIMAP_NO_ERROR)
			ret = fail(c, r, error_r, "UID MOVE %u to %s", uid, folder);
	} else if ((r = mailimap_uid_copy(c->imap, set, wire)) !=
	    MAILIMAP_NO_ERROR) {
		ret = fail(c, r, error_r, "UID COPY %u to %s", uid, folder);
	} else if (add_flag(c, set, uid, mailimap_flag_new_deleted(), "\\Deleted",
	    error_r) < 0) {
		ret = -1;
	} else if ((r = mailimap_uid_expunge(c->imap, set)) !=
	    MAILIMAP_NO_ERROR) {
		ret = fail(c, r, error_r, "UID EXPUNGE %u", uid);
	}
	if (ret < 0) {
		/* Perhaps the folder went away: check again next time. */
		free(c->folder_ok);
		c->folder_ok = NULL;
	}
	return ret;
}

int
imapc_mark_done(struct imapc *c, uint32_t uid, enum pd_mark mark,
    const char *folder, char **error_r)
{
	return imapc_mark_done_set(c, &uid, 1, mark, folder, error_r);
}

static int
mark_set(struct imapc *c, struct mailimap_set *set, uint32_t uid, enum pd_mark mark,
    const char *folder, char **error_r)
{
	char *wire;
	bool move;
	int ret;

	if (mark == PD_MARK_SEEN)
		return add_flag(c, set, uid, mailimap_flag_new_seen(), "\\Seen",
		    error_r);
	if (folder == NULL || *folder == '\0' || strcmp(folder, c->selected) == 0)
		return refuse(c, error_r, "cannot move from %s to folder \"%s\"",
		    c->selected, folder ? folder : "");
	move = has_cap(c, CAP_MOVE);
	if (!move && !has_cap(c, CAP_UIDPLUS)) {
		if (!c->warned_no_move)
			log_warn("imap %s: the server has neither MOVE nor "
			    "UIDPLUS; a plain EXPUNGE would also remove what "
			    "other clients marked \\Deleted, so handled messages "
			    "stay in %s, marked \\Seen", c->host, c->selected);
		c->warned_no_move = true;
		return add_flag(c, set, uid, mailimap_flag_new_seen(), "\\Seen",
		    error_r);
	}
	if ((wire = mutf7_encode(folder)) == NULL)
		return refuse(c, error_r, "folder name is not UTF-8");
	ret = ensure_folder(c, wire, folder, error_r);
	if (ret == 0)
		ret = move_to(c, set, uid, wire, folder, move, error_r);
	free(wire);
	return ret;
}

int
imapc_mark_done_set(struct imapc *c, const uint32_t *uids, size_t n, enum pd_mark mark,
    const char *folder, char **error_r)
{
	struct mailimap_set *set;
	int ret;

	if (check_ready(c, true, error_r) < 0)
		return -1;
	if (n == 0)
		return 0;
	set = nn(mailimap_set_new_empty());
	for (size_t i = 0; i < n; i++) {
		if (uids[i] == 0) {
			mailimap_set_free(set);
			return refuse(c, error_r, "UID 0 does not exist");
		}
		if (mailimap_set_add_single(set, uids[i]) != MAILIMAP_NO_ERROR)
			log_fatal("out of memory (libetpan)");
	}
	/* One command for the whole set: a round trip (and, in Dovecot, a
	 * sync) per batch rather than per message. */
	ret = mark_set(c, set, uids[0], mark, folder, error_r);
	mailimap_set_free(set);
	return ret;
}

/* ---- IDLE -------------------------------------------------------------- */

bool
imapc_has_idle(struct imapc *c)
{
	return !c->broken && has_cap(c, CAP_IDLE);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll the socket and wake_fd: 1 server, 2 wake_fd, 0 timeout, -1. */
static int
idle_wait(int fd, int wake_fd, int timeout)
{
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};
	int64_t end = now_ms() + (int64_t)timeout * 1000, left;
	int r;

	for (;;) {
		left = end - now_ms();
		if (left < 0)
			left = 0;
		r = poll(pfd, wake_fd >= 0 ? 2 : 1, (int)left);
		if (r > 0)
			return pfd[0].revents ? 1 : 2;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int
imapc_idle(struct imapc *c, int timeout, int wake_fd, char **error_r)
{
	int r, got, err;

	if (check_ready(c, true, error_r) < 0)
		return -1;
	if (!has_cap(c, CAP_IDLE))
		return refuse(c, error_r, "%s:%d does not offer IDLE", c->host,
		    c->port);
	if (timeout > IDLE_MAX)
		timeout = IDLE_MAX;
	if (timeout < 0)
		timeout = 0;
	r = mailimap_idle(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "IDLE in %s", c->selected);
	/* What arrived with the continuation is already in libetpan's
	 * buffer, where poll() cannot see it. */
	if (c->imap->imap_stream->read_buffer_len > 0)
		got = 1;
	else
		got = idle_wait(mailimap_idle_get_fd(c->imap), wake_fd, timeout);
	err = errno;
	r = mailimap_idle_done(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, error_r, "IDLE in %s: DONE", c->selected);
	if (got < 0)
		return refuse(c, error_r, "IDLE: poll: %s", strerror(err));
	return got;
}

/* ---- the rest ---------------------------------------------------------- */

bool
imapc_error_is_connection(const struct imapc *c)
{
	return c->conn_error;
}

void
imapc_ignore_capability(struct imapc *c, const char *cap)
{
	if (strcasecmp(cap, "MOVE") == 0)
		c->ignore |= CAP_MOVE;
	else if (strcasecmp(cap, "UIDPLUS") == 0)
		c->ignore |= CAP_UIDPLUS;
	else if (strcasecmp(cap, "IDLE") == 0)
		c->ignore |= CAP_IDLE;
}

void
imapc_close(struct imapc **cp)
{
	struct imapc *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (!c->broken && c->imap->imap_stream != NULL) {
		mailstream_low_set_timeout(mailstream_get_low(c->imap->imap_stream),
		    CLOSE_TIMEOUT);
		mailimap_logout(c->imap);	/* closes the stream */
	}
	drop(c);	/* mailimap_free would LOGOUT on an open stream */
	mailimap_free(c->imap);
	free(c->host);
	free(c->selected);
	free(c->folder_ok);
	free(c);
}
