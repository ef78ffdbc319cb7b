/* store_query.h: reading tickets back, for "ticket list", "ticket show" and
 * "export". Read-only, except store_tag_add.
 *
 * Every function returns -1 on a store failure (store_error() says why),
 * like the rest of store.h. Lists are handed row by row to a callback, so
 * that a million tickets never sit in memory at once; while a callback
 * runs, the rows it sees come from one snapshot of the database. */
#ifndef POSTDESK_STORE_QUERY_H
#define POSTDESK_STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "postdesk/store.h"

/* One ticket of a list. Strings are borrowed: valid during the callback
 * only. NULL where the column is NULL (requester_name, assignee, language);
 * times are Unix seconds, 0 for "none". */
struct store_ticket_row {
	int64_t id;
	const char *subject;
	const char *status;
	const char *queue;
	const char *priority;
	const char *requester_addr;
	const char *requester_name;
	const char *assignee;
	const char *language;
	int64_t created_at;
	int64_t updated_at;
	int64_t messages;		/* how many messages it has */
	int64_t last_message_at;	/* the latest received time; 0: none */
};

/* A callback returns 0 to go on; anything else stops the walk, and the
 * walk returns that value. */
typedef int store_ticket_row_fn(const struct store_ticket_row *t, void *ctx);

/* The tickets with this status and in this queue (NULL: any), newest
 * first (ids are handed out in creation order). */
int store_ticket_list(struct store *st, const char *status, const char *queue,
    store_ticket_row_fn *fn, void *ctx);

/* --- one ticket, whole ----------------------------------------------------
 * Everything below is owned by the struct store_ticket_view and freed by
 * store_ticket_view_free(). */
struct store_participant_view {
	char *addr;
	char *name;		/* NULL: none known */
	char *role;		/* requester, cc, agent */
	bool failing;		/* mail to it bounces */
};

struct store_message_view {
	int64_t id;
	char *direction;	/* in, out */
	char *kind;
	char *message_id;	/* without <> */
	char *from_addr;
	char *from_name;
	char *subject;
	int64_t date;		/* the Date: header; 0 unknown */
	int64_t received_at;
	char *thread_via;
	char *text;		/* NULL without STORE_VIEW_TEXT */
	char *text_new;		/* NULL without STORE_VIEW_TEXT */
	char *raw;		/* NULL without STORE_VIEW_RAW; raw_len bytes + NUL */
	size_t raw_len;
};

struct store_event_view {
	int64_t at;
	char *type;
	char *actor;		/* NULL: postdesk itself */
	char *detail;
};

struct store_ticket_view {
	int64_t id;
	char *subject, *status, *queue, *priority;
	char *requester_addr, *requester_name, *assignee, *language;
	int64_t created_at, updated_at;
	int64_t first_response_at, resolved_at, closed_at;	/* 0: not yet */
	int satisfaction;	/* 1-5; 0: none given */
	/* requester first, then cc, then agents, each by address */
	struct store_participant_view *participants;
	size_t nparticipants;
	char **tags;		/* sorted */
	size_t ntags;
	struct store_message_view *messages;	/* as received (then by id) */
	size_t nmessages;
	struct store_event_view *events;	/* oldest first */
	size_t nevents;
};

/* What store_ticket_get also reads (the rest is always there). */
#define STORE_VIEW_TEXT	0x1	/* each message's text and text_new */
#define STORE_VIEW_RAW	0x2	/* each message's raw bytes */

/* Read ticket id with its participants, tags, messages and events (from
 * one snapshot). Returns 1 and fills *t_r, 0 when there is no such ticket
 * (*t_r zeroed), -1 on error (*t_r zeroed). */
int store_ticket_get(struct store *st, int64_t id, unsigned flags,
    struct store_ticket_view *t_r);
/* Free what a view owns and zero it; a zeroed view is fine. */
void store_ticket_view_free(struct store_ticket_view *t);

/* Every ticket, oldest first, read with store_ticket_get(flags) and handed
 * to fn one at a time (borrowed: freed when fn returns). For export. */
typedef int store_ticket_view_fn(const struct store_ticket_view *t, void *ctx);
int store_ticket_each(struct store *st, unsigned flags,
    store_ticket_view_fn *fn, void *ctx);

/* Put a tag on a ticket; a tag already there is fine. */
int store_tag_add(struct store *st, int64_t ticket, const char *tag);

#endif
