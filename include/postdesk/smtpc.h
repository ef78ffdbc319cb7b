/* smtpc.h: postdesk's SMTP client (libcurl), used by the outbox.
 *
 * One session serves a batch: one libcurl easy handle, so the connection
 * (TLS and AUTH included) is reused from one message to the next. libcurl
 * connects at the first smtpc_send() and again whenever the connection
 * was lost or a transaction failed (it drops the connection then). A kept
 * connection that turns out dead before the server said anything about
 * the message (it timed out or went away between two messages) is
 * replaced once, at once: nothing can have been delivered over it. Close
 * the session at the end of a batch; servers drop idle ones anyway.
 *
 * TLS: an smtps:// url is TLS from the first byte; smtp:// with tls =
 * starttls requires STARTTLS (a server that does not offer it gets no
 * AUTH and no mail); tls = none is plain text and logged as a warning.
 * The certificate chain and host name are always verified, against
 * cfg->ca_file alone when it is set, else the system store.
 *
 * libcurl is initialised once per process by the first smtpc_open()
 * (pthread_once); nobody else needs to call curl_global_init(). The
 * process must not die of SIGPIPE: smtpc_open() ignores it if it is still
 * at SIG_DFL. With log level debug the SMTP dialogue is traced; AUTH
 * lines and the message itself never are. */
#ifndef POSTDESK_SMTPC_H
#define POSTDESK_SMTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "postdesk/config.h"

struct smtpc;

enum smtpc_result {
	SMTPC_SENT = 0,		/* the server took the message */
	SMTPC_TEMPFAIL,		/* keep it, try again later */
	SMTPC_PERMFAIL,		/* the server refused it for good */
};

/* A session for cfg (borrowed: it must outlive the session). secret is
 * the password, or the OAuth2 bearer token when cfg->oauth2_token_file is
 * set (copied; NULL when cfg->user is NULL: no AUTH). Does not connect.
 * Returns 0 and *s_r (free with smtpc_close()), or -1 with *error_r
 * (caller frees) for a config it cannot use. */
int smtpc_open(const struct pd_smtp *cfg, const char *secret,
    struct smtpc **s_r, char **error_r);

/* Send raw (len bytes, a complete RFC 5322 message; bare LF and bare CR
 * become CRLF, dot-stuffing is libcurl's) from env_from ("" = the null
 * reverse-path <>, for automatic mail, RFC 3834) to rcpts[0..n-1].
 *
 * Recipients are judged one by one (RCPT TO). If the server accepts the
 * message for at least one of them, it is sent to those and the result is
 * SMTPC_SENT: sending the whole message again would duplicate it for the
 * others. rcpt_r (n entries, or NULL) then tells each recipient's fate:
 * SMTPC_SENT, SMTPC_PERMFAIL (5xx: drop it, tell someone) or
 * SMTPC_TEMPFAIL (4xx: send to that one again later). If nothing was sent,
 * every entry is the message's result, except recipients already refused
 * with a 5xx, which stay SMTPC_PERMFAIL.
 *
 * SMTPC_PERMFAIL: a 5xx to MAIL FROM, DATA or the message, or to RCPT for
 * every recipient. SMTPC_TEMPFAIL: everything else, including trouble
 * with the session rather than the message (connection refused, timeout,
 * TLS or certificate failure, AUTH refused even with a 5xx, no STARTTLS or
 * no AUTH offered, a 421): an operator fixes those, and the mail must
 * wait for it (as Postfix's smtp_sasl_auth_soft_bounce). After such a
 * failure smtpc_error_is_session() is true: stop the batch, retry later.
 *
 * *reply_r (always set; caller frees) is the server's last reply, e.g.
 * "250 2.0.0 Ok: queued as 4Xy1", or why it failed ("550 5.1.1 <x@y>:
 * Recipient address rejected: ...", "cannot connect to ...: Connection
 * refused"), followed by "; not accepted: ADDR: reply" for each refused
 * recipient of a message that was sent. */
enum smtpc_result smtpc_send(struct smtpc *s, const char *env_from,
    const char *const *rcpts, size_t n, const char *raw, size_t len,
    enum smtpc_result *rcpt_r, char **reply_r);

/* Whether the last failed smtpc_send() failed for the session (see
 * above) rather than for that message. */
bool smtpc_error_is_session(const struct smtpc *s);

/* QUIT (if connected) and free; sets *s to NULL. NULL is fine. */
void smtpc_close(struct smtpc **s);

#endif
