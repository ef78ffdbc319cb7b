/* command.h: the command lines at the top of an agent's mail.
 *
 * An agent's mail may begin with lines such as "#close", "#assign alice",
 * "#remind 2d". cmd_parse reads them from the new text of the mail (quoted
 * history already cut), checks every argument, and returns the commands,
 * an error for each line it could not accept, and the text without the
 * command lines. It applies nothing: the caller applies every command or,
 * when there is any error, none of them and answers the agent with the
 * error texts. The grammar is at the top of command.c.
 *
 * Pure: no I/O, no logging, no global state kept (TZ is switched and put
 * back while a #remind time is computed; single-threaded callers only).
 * Linear time in the length of the text; input may be any bytes. */
#ifndef POSTDESK_COMMAND_H
#define POSTDESK_COMMAND_H

#include <stddef.h>
#include <stdint.h>

enum cmd_kind {
	CMD_CLOSE, CMD_RESOLVE, CMD_PENDING, CMD_OPEN,	/* status */
	CMD_ASSIGN, CMD_QUEUE, CMD_PRIORITY, CMD_TAG, CMD_CC, CMD_NOTE,
	CMD_REMIND, CMD_REQUESTER, CMD_ANSWER,
};

struct cmd {
	enum cmd_kind kind;
	char *arg;	/* owned; NULL for #close, #resolve, #pending, #open,
			 * #note. #priority: "low", "normal", "high" or
			 * "urgent". #cc, #requester: the bare address.
			 * #remind: the time as written, blanks made one space */
	char *name;	/* owned; #cc, #requester "Name <addr>": Name; else NULL */
	int64_t when;	/* #remind: absolute Unix time; else 0 */
	int line;	/* 1-based line of the text */
};

struct cmd_error {
	int line;	/* 1-based line, as in struct cmd */
	char *text;	/* owned; one or two English sentences, UTF-8, no
			 * newline, e.g. "#priority: 'hgih' is not low,
			 * normal, high or urgent." */
};

struct cmd_list {
	struct cmd *v;		/* owned; in the order written, repeats dropped */
	size_t n;
	struct cmd_error *err;	/* owned; in line order */
	size_t nerr;
	char *rest;		/* owned, never NULL: the text below the command
				 * lines ("" for commands only); the whole text
				 * unchanged when it has no command line */
	size_t rest_len;	/* bytes in rest (the input may hold NULs) */
};

/* Parse the command lines at the top of text (len bytes, UTF-8 expected).
 * now: the current Unix time; tz: the IANA zone (e.g. "Europe/Prague";
 * NULL or "" = UTC) in which "#remind 2025-12-01 10:00" and whole days
 * ("#remind 2d") are counted. Fills *out (free it with cmd_list_free) and
 * returns 0; what could not be accepted is in out->err. */
int cmd_parse(const char *text, size_t len, int64_t now, const char *tz,
    struct cmd_list *out);

void cmd_list_free(struct cmd_list *l);

/* The command word without '#', e.g. "close"; "?" for an unknown kind. */
const char *cmd_name(enum cmd_kind k);

#endif
