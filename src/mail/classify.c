/* classify.c: is this mail automatic (never answer it) or a bounce?
 *
 * RFC 3834 first: Auto-Submitted other than "no" is automatic, "no" is a
 * human. Then the de-facto markers (Precedence, X-Autoreply, null
 * Return-Path, MAILER-DAEMON, Exchange's out-of-office markers), list and
 * bulk mail (List-Id, List-Unsubscribe: never acknowledged, but not an
 * auto-reply), and bounces: RFC 3464 delivery-status reports parsed per
 * recipient, then the common non-standard text bounces (qmail, Exim,
 * Sendmail, Postfix without DSN). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail_internal.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

/* machine: the mail was written by a program (a responder, a mail
 * system), as opposed to list or bulk mail that people wrote. */
static void
set_auto(struct msg *m, const char *reason, bool machine)
{
	if (machine)
		m->machine = true;
	if (m->auto_reply)
		return;
	m->auto_reply = true;
	m->auto_reply_reason = xstrdup(reason);
}

/* The first token of a header value, lower-cased, in buf. */
static const char *
token(const char *v, char *buf, size_t size)
{
	size_t n = 0;

	v += strspn(v, " \t\"");
	while (*v && n + 1 < size && !strchr(" \t;,\"()", *v))
		buf[n++] = (char)tolower((unsigned char)*v++);
	/* A token cut at size must not end inside a UTF-8 sequence. */
	while (n > 0 && !utf8_valid(buf, n))
		n--;
	buf[n] = '\0';
	return buf;
}

static bool
local_part_is(const char *addr, const char *name)
{
	size_t n = strlen(name);

	return addr != NULL && strncasecmp(addr, name, n) == 0 && addr[n] == '@';
}

/* Subjects that out-of-office and vacation responders use when they set
 * no header at all (Exchange in some configurations, many webmails). */
static bool
ooo_subject(const char *subj)
{
	static const char *const prefixes[] = {
		"automatic reply:", "auto reply:", "autoreply:", "auto-reply:",
		"out of office:", "out of the office", "automatická odpověď:",
		"automatická odpoveď:", "odpowiedź automatyczna:", "automatikus válasz:",
		"abwesenheitsnotiz:", "automatische antwort:", "réponse automatique :",
		"vacation reply", "i am out of the office",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (ascii_starts_ci(subj, prefixes[i]))
			return true;
	return false;
}

static void
classify_auto(struct msg *m)
{
	const char *v;
	char tok[64];
	bool human = false;	/* Auto-Submitted: no (RFC 3834 5.1) */

	if ((v = msg_header(m, "Auto-Submitted")) != NULL) {
		token(v, tok, sizeof(tok));
		human = strcmp(tok, "no") == 0;
		if (!human && tok[0] != '\0') {
			char reason[96];

			snprintf(reason, sizeof(reason), "auto-submitted: %s", tok);
			set_auto(m, reason, true);
		}
	}
	if (msg_header(m, "X-Autoreply") || msg_header(m, "X-Autorespond") ||
	    msg_header(m, "X-Autoresponder"))
		set_auto(m, "x-autoreply", true);
	if ((v = msg_header(m, "Precedence")) != NULL) {
		token(v, tok, sizeof(tok));
		if (strcmp(tok, "bulk") == 0 || strcmp(tok, "junk") == 0 ||
		    strcmp(tok, "list") == 0) {
			char reason[96];

			snprintf(reason, sizeof(reason), "precedence: %s", tok);
			set_auto(m, reason, false);
			m->bulk = true;
		}
	}
	if ((v = msg_header(m, "X-Auto-Response-Suppress")) != NULL) {
		/* Exchange marks its own automatic mail (out-of-office,
		 * recall, delivery reports) with All or OOF. */
		if (ascii_strcasestr(v, "all") || ascii_strcasestr(v, "oof"))
			set_auto(m, "x-auto-response-suppress", true);
	}
	if (m->return_path != NULL && m->return_path[0] == '\0')
		set_auto(m, "null return-path", true);
	if (local_part_is(m->from.addr, "mailer-daemon") ||
	    local_part_is(m->from.addr, "mail-daemon") ||
	    local_part_is(m->from.addr, "postmaster"))
		set_auto(m, "mailer-daemon sender", true);
	/* The subject is a guess; the sender's own word wins over it. */
	if (!human && ooo_subject(m->subject))
		set_auto(m, "out-of-office subject", true);
	if (msg_header(m, "List-Id") || msg_header(m, "List-Unsubscribe"))
		m->bulk = true;
}

static void
rcpt_add(struct msg *m, const char *addr, size_t alen, const char *action,
    const char *status)
{
	struct msg_bounce_rcpt *r;
	char *a;

	while (alen > 0 && strchr(" \t<", *addr)) {
		addr++;
		alen--;
	}
	while (alen > 0 && strchr(" \t>:\r", addr[alen - 1]))
		alen--;
	if (alen == 0 || memchr(addr, '@', alen) == NULL || m->nbounce_rcpts >= 1000 ||
	    !mail_clean_word(addr, alen))
		return;
	a = xstrndup(addr, alen);
	for (size_t i = 0; i < m->nbounce_rcpts; i++) {
		if (strcasecmp(m->bounce_rcpts[i].addr, a) == 0) {
			free(a);
			return;
		}
	}
	m->bounce_rcpts = xreallocarray(m->bounce_rcpts, m->nbounce_rcpts + 1, sizeof(*r));
	r = &m->bounce_rcpts[m->nbounce_rcpts++];
	r->addr = a;
	r->action = xstrdup_null(action);
	r->status = xstrdup_null(status);
}

/* The value of "Name: value" if line starts with name (case-insensitive),
 * else NULL. */
static const char *
field(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	return line + n + 1 + strspn(line + n + 1, " \t");
}

/* Per-recipient blocks of a message/delivery-status body: blank-line
 * separated groups of fields; the first group is per-message. */
static void
parse_dsn(struct msg *m, const char *ds)
{
	char *copy = xstrdup(ds), *cur = copy, *line;
	char *rcpt = NULL, *orig = NULL, *action = NULL, *status = NULL;

	/* strsep, not strtok: the empty lines between blocks must be seen
	 * (with LF line ends they are truly empty). The NULL after the last
	 * line flushes the last block. */
	for (;;) {
		line = strsep(&cur, "\n");
		const char *v;
		bool end = line == NULL || line[strspn(line, " \t\r")] == '\0';

		if (end) {
			const char *a = rcpt ? rcpt : orig;

			if (a != NULL) {
				const char *semi = strchr(a, ';');

				if (semi)
					a = semi + 1;
				rcpt_add(m, a, strcspn(a, "\r"), action, status);
			}
			free(rcpt);
			free(orig);
			free(action);
			free(status);
			rcpt = orig = action = status = NULL;
			if (line == NULL)
				break;
			continue;
		}
		line[strcspn(line, "\r")] = '\0';
		if ((v = field(line, "Final-Recipient")) != NULL) {
			free(rcpt);
			rcpt = xstrdup(v);
		} else if ((v = field(line, "Original-Recipient")) != NULL) {
			free(orig);
			orig = xstrdup(v);
		} else if ((v = field(line, "Action")) != NULL) {
			free(action);
			action = xstrndup(v, strcspn(v, " \t("));
			for (char *p = action; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		} else if ((v = field(line, "Status")) != NULL) {
			free(status);
			status = xstrndup(v, strcspn(v, " \t("));
		}
	}
	free(copy);
}

static void
original_id(struct msg *m, const char *headers)
{
	const char *p = headers;

	while (p && *p) {
		const char *v = field(p, "Message-ID");

		if (v != NULL) {
			char **ids;
			char *line = xstrndup(v, strcspn(v, "\r\n"));
			size_t n = msgid_extract(line, &ids);

			if (n > 0) {
				m->bounce_original_id = ids[0];
				ids[0] = NULL;
			}
			for (size_t i = 0; i < n; i++)
				free(ids[i]);
			free(ids);
			free(line);
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

/* Where a text bounce's copy of the returned message (or its transcript)
 * begins, after from; NULL if it has none. */
static const char *
copy_start(const char *from)
{
	static const char *const markers[] = {
		"Below this line is a copy of the message",	/* qmail */
		"This is a copy of the message",		/* Exim */
		"Original message follows",			/* Sendmail, others */
		"Transcript of session follows",		/* Sendmail */
	};
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *p = ascii_strcasestr(from, markers[i]);

		if (p != NULL && (best == NULL || p < best))
			best = p;
	}
	if (best != NULL) {
		/* Back to the start of the marker's line. */
		while (best > from && best[-1] != '\n')
			best--;
	}
	return best;
}

/* The text bounces of MTAs that send no RFC 3464 report. Each has a fixed
 * phrase that starts the list of failed addresses. *copy_r: where the
 * copy of the returned message starts, or NULL. */
static bool
text_bounce(struct msg *m, const char **copy_r)
{
	static const struct {
		const char *marker;	/* identifies the format */
		const char *list;	/* the failed addresses follow this */
	} formats[] = {
		{ "This is the qmail-send program", "to the following addresses" },
		{ "This message was created automatically by mail delivery software", "failed:" },
		{ "The following addresses had permanent fatal errors", "permanent fatal errors" },
		{ "This is the mail system at host", "delivered to one or more recipients" },
		{ "Delivery to the following recipient", "Delivery to the following recipient" },
		{ "I'm sorry to have to inform you that your message could not", "could not" },
	};
	const char *t = m->text;

	*copy_r = NULL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const char *p = ascii_strcasestr(t, formats[i].marker);
		const char *stop;

		if (p == NULL)
			continue;
		*copy_r = stop = copy_start(p);
		p = ascii_strcasestr(p, formats[i].list);
		if (p == NULL || (stop != NULL && p >= stop))
			return true;
		/* Take the addresses of the next lines that hold one, up to
		 * the copy of the returned message (its headers name the
		 * sender, who did not bounce). */
		for (int lines = 0; p && (stop == NULL || p < stop) && lines < 40; lines++) {
			const char *eol = strchr(p, '\n');
			size_t n = eol ? (size_t)(eol - p) : strlen(p);
			const char *at = memchr(p, '@', n);

			if (at != NULL) {
				const char *s = at, *e = at;

				while (s > p && !strchr(" \t<:\"'", s[-1]))
					s--;
				while (e < p + n && !strchr(" \t>:\"',\r", *e))
					e++;
				rcpt_add(m, s, (size_t)(e - s), "failed", NULL);
			}
			p = eol ? eol + 1 : NULL;
		}
		return true;
	}
	return false;
}

/* A delivery report whose MIME structure could not be parsed (no
 * boundary, say) still says what it is in its top-level Content-Type. */
static bool
declared_dsn(const struct msg *m)
{
	const char *ct = msg_header_raw(m, "Content-Type");

	return ct != NULL && ascii_strcasestr(ct, "multipart/report") != NULL &&
	    ascii_strcasestr(ct, "delivery-status") != NULL;
}

void
classify_msg(struct msg *m, const struct mime_report *rep)
{
	const char *copy;

	classify_auto(m);
	if (rep->report_type == NULL && declared_dsn(m)) {
		m->bounce = true;
		set_auto(m, "delivery status report", true);
		text_bounce(m, &copy);
		return;
	}
	if (rep->report_type != NULL && strcmp(rep->report_type, "delivery-status") == 0) {
		m->bounce = true;
		set_auto(m, "delivery status report", true);
		if (rep->delivery_status != NULL)
			parse_dsn(m, rep->delivery_status);
		if (rep->original_headers != NULL)
			original_id(m, rep->original_headers);
		return;
	}
	if (rep->report_type != NULL)
		set_auto(m, "report", true);
	/* A text bounce comes from the mail system: a null sender or a
	 * MAILER-DAEMON. Requiring that keeps a customer who quotes one
	 * from being taken for a bounce. */
	if ((m->return_path != NULL && m->return_path[0] == '\0') ||
	    local_part_is(m->from.addr, "mailer-daemon") ||
	    local_part_is(m->from.addr, "postmaster") ||
	    local_part_is(m->from.addr, "mail-daemon")) {
		if (text_bounce(m, &copy)) {
			m->bounce = true;
			set_auto(m, "bounce", true);
			if (rep->original_headers != NULL)
				original_id(m, rep->original_headers);
			/* A copy of the message in the text (qmail, Exim). */
			if (m->bounce_original_id == NULL && copy != NULL)
				original_id(m, copy);
		}
	}
}
