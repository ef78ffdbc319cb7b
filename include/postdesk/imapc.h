/* imapc.h: postdesk's IMAP client (one libetpan session, blocking).
 *
 * Every function returns 0 on success and -1 on failure with the reason in
 * *error_r (caller frees); after a failure imapc_error_is_connection() says
 * whether the connection is gone (close, reconnect, retry) or the server
 * only refused that one command. Once the connection is gone every further
 * call fails at once, as a connection error.
 *
 * Mailbox and folder names are UTF-8; imapc encodes them for the wire
 * (modified UTF-7). Strings passed in are borrowed for the call only.
 *
 * The process must not die of SIGPIPE (libetpan writes to sockets with
 * plain send()): imapc_open() ignores SIGPIPE if it is still at SIG_DFL. */
#ifndef POSTDESK_IMAPC_H
#define POSTDESK_IMAPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "postdesk/config.h"

struct imapc;

/* Exactly one of password and oauth2_token is set. */
struct imapc_login {
	const char *user;		/* NULL: cfg->user */
	const char *password;		/* LOGIN */
	const char *oauth2_token;	/* AUTHENTICATE XOAUTH2 (bearer token) */
};

/* Connect as cfg says (host, port, tls, ca_file, timeout), verify the
 * server's certificate and host name (tlsverify.h) before anything is
 * sent, log in, read the capabilities. STARTTLS that the server does not
 * offer is an error; tls = none is logged as a warning. With log level
 * debug the protocol is traced, credentials never. Returns 0 and a session
 * in *c_r (free with imapc_close()), or -1. */
int imapc_open(const struct pd_imap *cfg, const struct imapc_login *login,
    struct imapc **c_r, char **error_r);

/* SELECT mailbox; its UIDVALIDITY (never 0) goes to *uidvalidity_r. */
int imapc_select(struct imapc *c, const char *mailbox,
    uint32_t *uidvalidity_r, char **error_r);

/* The UIDs above last_uid in the selected mailbox, ascending, without
 * duplicates (UID SEARCH UID last+1:*, minus the highest old UID that
 * "n:*" matches when nothing is new). *uids_r is NULL when *n_r is 0;
 * caller frees it. */
int imapc_search_new(struct imapc *c, uint32_t last_uid, uint32_t **uids_r,
    size_t *n_r, char **error_r);

/* Called once per fetched message, in UID order. raw (len bytes, CRLF line
 * ends, NUL-terminated) is borrowed for the call. raw is NULL only when a
 * size limit is set (imapc_set_max_size) and the message is larger: len
 * is then its RFC822.SIZE and the body was not downloaded. The callback
 * may issue other commands (imapc_mark_done). Return 0 to go on, -1 to
 * stop. */
typedef int imapc_fetch_cb(uint32_t uid, const char *raw, size_t len,
    void *arg);

/* BODY.PEEK[] (\Seen is not set) of uids[0..n-1] from the selected
 * mailbox. Sizes are asked first, so that one command holds at most about
 * 32 MiB of mail, and messages over the size limit are never downloaded.
 * UIDs the server no longer has are skipped (logged at info). Returns 0,
 * 1 when cb stopped it, or -1. */
int imapc_fetch(struct imapc *c, const uint32_t *uids, size_t n,
    imapc_fetch_cb *cb, void *arg, char **error_r);

/* Messages over max bytes are not downloaded (see imapc_fetch_cb);
 * 0 (the default) means no limit. */
void imapc_set_max_size(struct imapc *c, size_t max);

/* Mark one message handled; call only after the store has committed it.
 * PD_MARK_SEEN: set \Seen. PD_MARK_MOVE: move it to folder (created if
 * missing) with UID MOVE, or else UID COPY + \Deleted + UID EXPUNGE
 * (UIDPLUS). A server with neither gets \Seen instead and a warning: a
 * plain EXPUNGE would also remove what other clients marked \Deleted. */
/* imapc_mark_done for several UIDs in one command (one UID MOVE, or COPY
 * + STORE + UID EXPUNGE, or STORE \Seen, for the whole set). */
int imapc_mark_done_set(struct imapc *c, const uint32_t *uids, size_t n,
    enum pd_mark mark, const char *folder, char **error_r);
int imapc_mark_done(struct imapc *c, uint32_t uid, enum pd_mark mark,
    const char *folder, char **error_r);

/* IDLE in the selected mailbox for up to timeout seconds (at most 29
 * minutes are used, RFC 2177). Returns 1 when the server said anything,
 * 2 when wake_fd (-1: none; e.g. a signal self-pipe) became readable, 0 on
 * timeout, -1 on error. Whatever it returns, the caller searches next:
 * IDLE is only a wake-up, and data libetpan buffered is not seen. */
int imapc_idle(struct imapc *c, int timeout, int wake_fd, char **error_r);
bool imapc_has_idle(struct imapc *c);

/* Whether the last failure was the connection (see above). */
bool imapc_error_is_connection(const struct imapc *c);

/* Act as if the server lacked capability cap ("MOVE", "UIDPLUS" or
 * "IDLE"; others are ignored): for tests of the fallbacks, and for a
 * server whose implementation is broken. */
void imapc_ignore_capability(struct imapc *c, const char *cap);

/* LOGOUT (5 s timeout) if the connection is alive, then free; sets *c to
 * NULL. NULL is fine. */
void imapc_close(struct imapc **c);

#endif
