/* template.h: the text templates of the mail postdesk writes (acknowledge-
 * ments, agent notifications, relayed replies, follow-ups, escalations) and
 * agents' canned answers. Files: conf/templates/<lang>/<name>.txt and
 * conf/answers/<lang>/<name>.txt.
 *
 * Syntax, a small part of Mustache (plain text mail: nothing is escaped):
 *   {{name}}                the variable's value, inserted verbatim
 *   {{#name}}...{{/name}}   the block, when the variable is set and not empty
 *   {{^name}}...{{/name}}   the block, when it is unset or empty
 *   {{! comment }}          nothing; may span lines, ends at the first "}}"
 * Spaces inside the braces are allowed ("{{ ticket.id }}"). A section,
 * inverted, closing or comment tag alone on a line (spaces around it
 * allowed) takes its whole line with it, so blocks can stand on lines of
 * their own without leaving blank lines behind. Sections nest.
 *
 * A file is: optional header lines ("Subject: ...", the only header; it
 * may hold variables and sections), an empty line, the body. A file whose
 * first line is not "Subject:" is all body (canned answers). Comment-only
 * lines may come before the headers. UTF-8 (a leading BOM is skipped),
 * CRLF read as LF, at most TPL_MAX bytes.
 *
 * Variables (tpl_variables[]); the values are UTF-8 and may contain anything:
 *   customer.name     the requester's display name; may be empty
 *   customer.email    the requester's address
 *   ticket.id         the number: "17"
 *   ticket.subject    the ticket's subject (the customer's first subject)
 *   ticket.status     new, open, pending, resolved, closed
 *   ticket.queue      the queue's name
 *   ticket.priority   low, normal, high, urgent
 *   ticket.due        the promised time, formatted in the ticket's
 *                     language ("pondělí 10:00"): the first answer for
 *                     acknowledgements and notifications, the next update
 *                     for still-working, the target concerned for
 *                     escalations; may be empty
 *   ticket.tag        the subject tag: "[Support #17]"
 *   agent.name        the agent who wrote or is assigned; may be empty
 *   support.name      the support team's name: "Example Support"
 *   support.email     the support address
 *   message.text      the new text (customer's or agent's) for
 *                     notifications and relayed replies, without trailing
 *                     newlines (the templates put the line end)
 *   survey.good       satisfaction answers (mailto: links or reply words)
 *   survey.bad
 *   remind.date       when the next automatic step happens (pending
 *                     reminder: when the ticket closes without a reply);
 *                     may be empty
 *   sla.first_response  set ("1") when an escalation is about the first
 *   sla.next_response   response, the answer to a customer's reply, resp.
 *   sla.resolution      the resolution target */
#ifndef POSTDESK_TEMPLATE_H
#define POSTDESK_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#define TPL_MAX		(64 * 1024)		/* a template file */
#define TPL_OUTPUT_MAX	(64 * 1024 * 1024)	/* a rendered body */

/* NULL-terminated: every variable name postdesk provides. */
extern const char *const tpl_variables[];

struct tpl;

/* Parse a template. allowed: NULL-terminated list of the variable names
 * this template may use. Returns 0 and *t_r (free with tpl_free), or -1
 * and *error_r (caller frees): "LINE: message" for unbalanced or unclosed
 * sections, unknown variables, bad tags, bad headers, invalid UTF-8;
 * a bare message when the text is over TPL_MAX. Linear time. */
int tpl_parse(const char *text, size_t len, const char *const *allowed,
    struct tpl **t_r, char **error_r);

/* tpl_parse() on a file; errors read "PATH:LINE: message" or
 * "PATH: message" (unreadable, too large). */
int tpl_load(const char *path, const char *const *allowed,
    struct tpl **t_r, char **error_r);

/* Render. lookup(name, arg) returns a value (borrowed; NULL = unset).
 * Values are inserted verbatim and never read as template text. In the
 * subject, control characters (CR, LF, tab, C0, DEL, C1, U+2028/9) in
 * values become one space per run, and the result is trimmed: no header
 * injection. *subject_r: caller frees; NULL if the template has no
 * subject (subject_r may be NULL). *body_r: caller frees.
 * Returns 0, or -1 (nothing to free) only when the body or the subject
 * would exceed TPL_OUTPUT_MAX. */
int tpl_render(const struct tpl *t,
    const char *(*lookup)(const char *name, void *arg), void *arg,
    char **subject_r, char **body_r);

/* Whether the template has a Subject header. */
bool tpl_has_subject(const struct tpl *t);

/* Free *t and set it to NULL; NULL is fine. */
void tpl_free(struct tpl **t);

#endif
