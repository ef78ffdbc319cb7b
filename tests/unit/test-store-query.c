/* test-store-query.c: the read side of the store (store_query.h): ticket
 * lists with their filters and order, one ticket whole, the export walk.
 * Each case builds the same small history with the store's own writers in
 * a fresh database file, then checks exact rows. */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "postdesk/store.h"
#include "postdesk/store_query.h"

/* The history every case starts from (created_at of ticket N is T0 + N). */
#define T0 INT64_C(1700000000)

struct fixture {
	char dir[256];
	char path[300];
	struct store *st;
	int64_t before, after;	/* time() around the inserts: received_at */
	int64_t msg[4];		/* message ids: the 3 of ticket 1, ticket 3's */
};

static struct store *
open_ok(const char *path)
{
	struct store *st = NULL;
	char *error = NULL;

	if (store_open(path, &st, &error) < 0)
		fail_msg("store_open: %s", error);
	return st;
}

static int64_t
ticket(struct store *st, const char *subject, const char *addr,
    const char *name, const char *queue, const char *priority,
    const char *status, int64_t created)
{
	int64_t id;

	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = subject, .requester_addr = addr,
	    .requester_name = name, .queue = queue, .priority = priority,
	    .status = status, .language = "cs", .created_at = created }, &id),
	    0);
	return id;
}

static int64_t
message(struct store *st, const struct store_message *m)
{
	int64_t id;

	assert_int_equal(store_begin(st), 0);
	if (store_message_add(st, m, NULL, &id) < 0)
		fail_msg("store_message_add: %s", store_error(st));
	assert_int_equal(store_commit(st), 0);
	return id;
}

/* Ticket 1 (open, billing): three messages (one without a Date:), three
 * participants, two tags, three events. Ticket 2 (new, general): nothing
 * else. Ticket 3 (open, general): one message. And a message that belongs
 * to no ticket, which must not count anywhere. */
static void
history(struct fixture *f)
{
	struct store *st = f->st;
	int64_t t1, t2, t3;

	f->before = (int64_t)time(NULL);
	t1 = ticket(st, "Faktura je špatně", "jan@example.cz", "Jan Novák",
	    "billing", "high", "open", T0 + 1);
	t2 = ticket(st, "Password reset", "eva@example.org", NULL, "general",
	    NULL, NULL, T0 + 2);
	t3 = ticket(st, "Cannot log in", "petr@example.net", "Petr",
	    "general", "low", "open", T0 + 3);
	assert_int_equal(t1, 1);
	assert_int_equal(t2, 2);
	assert_int_equal(t3, 3);

	f->msg[0] = message(st, &(struct store_message){ .ticket_id = t1,
	    .direction = "in", .kind = "customer", .message_id = "a1@example.cz",
	    .from_addr = "jan@example.cz", .from_name = "Jan Novák",
	    .subject = "Faktura je špatně", .date = T0 + 10,
	    .thread_via = "new", .text = "Dobrý den,\nfaktura.",
	    .text_new = "Dobrý den,\nfaktura.", .raw = "raw-1\0x", .raw_len = 7,
	    .content_hash = "h1" });
	f->msg[1] = message(st, &(struct store_message){ .ticket_id = t1,
	    .direction = "out", .kind = "ack", .message_id = "ack1@support",
	    .from_addr = "support@example.com", .subject = "[Support #1]",
	    .date = 0, .thread_via = NULL, .text = "We got it." });
	f->msg[2] = message(st, &(struct store_message){ .ticket_id = t1,
	    .direction = "in", .kind = "customer", .message_id = "a2@example.cz",
	    .from_addr = "jan@example.cz", .subject = "Re: [Support #1]",
	    .date = T0 + 30, .thread_via = "in-reply-to",
	    .text = "Díky.\n> We got it.", .text_new = "Díky." });
	f->msg[3] = message(st, &(struct store_message){ .ticket_id = t3,
	    .direction = "in", .kind = "customer", .message_id = "c1@example.net",
	    .from_addr = "petr@example.net", .date = T0 + 40,
	    .thread_via = "new" });
	(void)message(st, &(struct store_message){ .ticket_id = 0,
	    .direction = "in", .kind = "bounce", .message_id = "loose@x",
	    .date = T0 + 50 });
	f->after = (int64_t)time(NULL);

	/* Inserted out of their display order on purpose. */
	assert_int_equal(store_participant_add(st, t1, "alice@example.com",
	    "Alice", "agent"), 0);
	assert_int_equal(store_participant_add(st, t1, "zed@example.cz", NULL,
	    "cc"), 0);
	assert_int_equal(store_participant_add(st, t1, "jan@example.cz",
	    "Jan Novák", "requester"), 0);
	assert_int_equal(store_participant_add(st, t1, "bob@example.cz", "Bob",
	    "cc"), 0);
	assert_int_equal(store_participant_set_failing(st, t1,
	    "alice@example.com"), 0);
	assert_int_equal(store_participant_add(st, t3, "petr@example.net",
	    "Petr", "requester"), 0);
	assert_int_equal(store_tag_add(st, t1, "vip"), 0);
	assert_int_equal(store_tag_add(st, t1, "invoice"), 0);
	assert_int_equal(store_tag_add(st, t1, "vip"), 0);	/* again: fine */

	/* The same time twice: then the order of insertion. */
	assert_int_equal(store_event_add(st, t1, "status", "alice@example.com",
	    "new -> open", T0 + 20), 0);
	assert_int_equal(store_event_add(st, t1, "created", NULL, NULL,
	    T0 + 1), 0);
	assert_int_equal(store_event_add(st, t1, "assign", "alice@example.com",
	    "alice@example.com", T0 + 20), 0);
	assert_int_equal(store_event_add(st, t3, "created", NULL, NULL,
	    T0 + 3), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/test-store-query-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/postdesk.db", f->dir);
	f->st = open_ok(f->path);
	history(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char p[600];
	DIR *d;
	int rc;

	store_close(&f->st);
	d = opendir(f->dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rc = rmdir(f->dir);
	free(f);
	return rc;
}

/* --- ticket list ------------------------------------------------------------ */

/* What a list callback saw: the ids in order, and ticket 1's row. */
struct seen {
	int64_t ids[8];
	size_t n;
	int stop_after;		/* return 7 after this many rows; 0: never */
	bool have_1;
	struct store_ticket_row row1;	/* its strings are checked in collect() */
};

static int
collect(const struct store_ticket_row *t, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->ids[s->n++] = t->id;
	if (t->id == 1) {
		/* Check the borrowed strings now, while they are valid. */
		s->have_1 = true;
		s->row1 = *t;
		assert_string_equal(t->subject, "Faktura je špatně");
		assert_string_equal(t->status, "open");
		assert_string_equal(t->queue, "billing");
		assert_string_equal(t->priority, "high");
		assert_string_equal(t->requester_addr, "jan@example.cz");
		assert_string_equal(t->requester_name, "Jan Novák");
		assert_null(t->assignee);
		assert_string_equal(t->language, "cs");
	}
	if (t->id == 2) {
		assert_null(t->requester_name);
		assert_string_equal(t->priority, "normal");	/* defaults */
		assert_string_equal(t->status, "new");
		assert_int_equal(t->messages, 0);
		assert_int_equal(t->last_message_at, 0);
	}
	return s->stop_after != 0 && s->n == (size_t)s->stop_after ? 7 : 0;
}

static void
list_ids(struct store *st, const char *status, const char *queue,
    const int64_t *want, size_t nwant)
{
	struct seen s = { .n = 0 };

	assert_int_equal(store_ticket_list(st, status, queue, collect, &s), 0);
	assert_int_equal(s.n, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_int_equal(s.ids[i], want[i]);
}

static void
list_all_newest_first(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };

	assert_int_equal(store_ticket_list(f->st, NULL, NULL, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], 3);
	assert_int_equal(s.ids[1], 2);
	assert_int_equal(s.ids[2], 1);
	assert_true(s.have_1);
	assert_int_equal(s.row1.created_at, T0 + 1);
	assert_int_equal(s.row1.updated_at, T0 + 1);
	assert_int_equal(s.row1.messages, 3);	/* not the loose one */
	assert_in_range(s.row1.last_message_at, f->before, f->after);
}

static void
list_filters(void **state)
{
	struct fixture *f = *state;

	list_ids(f->st, "open", NULL, (int64_t[]){ 3, 1 }, 2);
	list_ids(f->st, "new", NULL, (int64_t[]){ 2 }, 1);
	list_ids(f->st, NULL, "general", (int64_t[]){ 3, 2 }, 2);
	list_ids(f->st, "open", "general", (int64_t[]){ 3 }, 1);
	list_ids(f->st, "open", "billing", (int64_t[]){ 1 }, 1);
	list_ids(f->st, "closed", NULL, NULL, 0);
	list_ids(f->st, NULL, "nosuchqueue", NULL, 0);
	list_ids(f->st, "new", "billing", NULL, 0);
	/* Exact match: no case folding, no prefixes. */
	list_ids(f->st, "OPEN", NULL, NULL, 0);
	list_ids(f->st, NULL, "gen", NULL, 0);
}

static void
list_callback_stops(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0, .stop_after = 2 };

	assert_int_equal(store_ticket_list(f->st, NULL, NULL, collect, &s), 7);
	assert_int_equal(s.n, 2);
	/* The statement was reset: the next walk starts from the top. */
	s = (struct seen){ .n = 0 };
	assert_int_equal(store_ticket_list(f->st, NULL, NULL, collect, &s), 0);
	assert_int_equal(s.n, 3);
}

/* --- one ticket ------------------------------------------------------------- */

static void
check_message(const struct store_message_view *m, int64_t id,
    const char *dir, const char *kind, const char *msgid, const char *from,
    const char *name, const char *subject, int64_t date, const char *via)
{
	assert_int_equal(m->id, id);
	assert_string_equal(m->direction, dir);
	assert_string_equal(m->kind, kind);
	assert_string_equal(m->message_id, msgid);
	assert_string_equal(m->from_addr, from);
	if (name != NULL)
		assert_string_equal(m->from_name, name);
	else
		assert_null(m->from_name);
	assert_string_equal(m->subject, subject);
	assert_int_equal(m->date, date);
	if (via != NULL)
		assert_string_equal(m->thread_via, via);
	else
		assert_null(m->thread_via);
}

static void
get_whole_ticket(void **state)
{
	struct fixture *f = *state;
	struct store_ticket_view t;

	assert_int_equal(store_ticket_get(f->st, 1, STORE_VIEW_TEXT, &t), 1);
	assert_int_equal(t.id, 1);
	assert_string_equal(t.subject, "Faktura je špatně");
	assert_string_equal(t.status, "open");
	assert_string_equal(t.queue, "billing");
	assert_string_equal(t.priority, "high");
	assert_string_equal(t.requester_addr, "jan@example.cz");
	assert_string_equal(t.requester_name, "Jan Novák");
	assert_null(t.assignee);
	assert_string_equal(t.language, "cs");
	assert_int_equal(t.created_at, T0 + 1);
	assert_int_equal(t.updated_at, T0 + 1);
	assert_int_equal(t.first_response_at, 0);
	assert_int_equal(t.resolved_at, 0);
	assert_int_equal(t.closed_at, 0);
	assert_int_equal(t.satisfaction, 0);

	/* Requester, then cc, then agents; by address within a role. */
	assert_int_equal(t.nparticipants, 4);
	assert_string_equal(t.participants[0].addr, "jan@example.cz");
	assert_string_equal(t.participants[0].role, "requester");
	assert_string_equal(t.participants[0].name, "Jan Novák");
	assert_false(t.participants[0].failing);
	assert_string_equal(t.participants[1].addr, "bob@example.cz");
	assert_string_equal(t.participants[1].role, "cc");
	assert_string_equal(t.participants[2].addr, "zed@example.cz");
	assert_null(t.participants[2].name);
	assert_string_equal(t.participants[3].addr, "alice@example.com");
	assert_string_equal(t.participants[3].role, "agent");
	assert_true(t.participants[3].failing);

	assert_int_equal(t.ntags, 2);
	assert_string_equal(t.tags[0], "invoice");
	assert_string_equal(t.tags[1], "vip");

	assert_int_equal(t.nmessages, 3);
	check_message(&t.messages[0], f->msg[0], "in", "customer",
	    "a1@example.cz", "jan@example.cz", "Jan Novák",
	    "Faktura je špatně", T0 + 10, "new");
	check_message(&t.messages[1], f->msg[1], "out", "ack", "ack1@support",
	    "support@example.com", NULL, "[Support #1]", 0, NULL);
	check_message(&t.messages[2], f->msg[2], "in", "customer",
	    "a2@example.cz", "jan@example.cz", NULL, "Re: [Support #1]",
	    T0 + 30, "in-reply-to");
	for (size_t i = 0; i < 3; i++) {
		assert_in_range(t.messages[i].received_at, f->before, f->after);
		assert_null(t.messages[i].raw);	/* not asked for */
		assert_int_equal(t.messages[i].raw_len, 0);
	}
	assert_string_equal(t.messages[0].text, "Dobrý den,\nfaktura.");
	assert_string_equal(t.messages[2].text, "Díky.\n> We got it.");
	assert_string_equal(t.messages[2].text_new, "Díky.");
	assert_string_equal(t.messages[1].text, "We got it.");
	assert_null(t.messages[1].text_new);

	/* By time, and in insertion order at the same time. */
	assert_int_equal(t.nevents, 3);
	assert_int_equal(t.events[0].at, T0 + 1);
	assert_string_equal(t.events[0].type, "created");
	assert_null(t.events[0].actor);
	assert_null(t.events[0].detail);
	assert_int_equal(t.events[1].at, T0 + 20);
	assert_string_equal(t.events[1].type, "status");
	assert_string_equal(t.events[1].actor, "alice@example.com");
	assert_string_equal(t.events[1].detail, "new -> open");
	assert_int_equal(t.events[2].at, T0 + 20);
	assert_string_equal(t.events[2].type, "assign");

	store_ticket_view_free(&t);
	assert_null(t.messages);
	assert_int_equal(t.nmessages, 0);
	store_ticket_view_free(&t);	/* a zeroed view is fine */
}

static void
get_flags_choose_text_and_raw(void **state)
{
	struct fixture *f = *state;
	struct store_ticket_view t;

	assert_int_equal(store_ticket_get(f->st, 1, 0, &t), 1);
	assert_int_equal(t.nmessages, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_null(t.messages[i].text);
		assert_null(t.messages[i].text_new);
		assert_null(t.messages[i].raw);
	}
	store_ticket_view_free(&t);

	assert_int_equal(store_ticket_get(f->st, 1, STORE_VIEW_RAW, &t), 1);
	assert_null(t.messages[0].text);
	/* Exact bytes, a NUL inside included, and a NUL after them. */
	assert_int_equal(t.messages[0].raw_len, 7);
	assert_memory_equal(t.messages[0].raw, "raw-1\0x", 8);
	assert_null(t.messages[1].raw);	/* stored without raw bytes */
	store_ticket_view_free(&t);
}

static void
get_empty_and_missing(void **state)
{
	struct fixture *f = *state;
	struct store_ticket_view t;

	assert_int_equal(store_ticket_get(f->st, 2, STORE_VIEW_TEXT, &t), 1);
	assert_string_equal(t.subject, "Password reset");
	assert_null(t.requester_name);
	assert_int_equal(t.nparticipants, 0);
	assert_null(t.participants);
	assert_int_equal(t.ntags, 0);
	assert_int_equal(t.nmessages, 0);
	assert_int_equal(t.nevents, 0);
	store_ticket_view_free(&t);

	memset(&t, 0xff, sizeof(t));
	assert_int_equal(store_ticket_get(f->st, 42, STORE_VIEW_TEXT, &t), 0);
	assert_int_equal(t.id, 0);
	assert_null(t.subject);
	assert_null(t.messages);
	store_ticket_view_free(&t);
}

/* --- the export walk --------------------------------------------------------- */

struct walk {
	int64_t ids[8];
	size_t nmsgs[8];
	size_t n;
	int stop_after;
	const char *path;	/* write from a second connection meanwhile */
};

static int
walk_one(const struct store_ticket_view *t, void *ctx)
{
	struct walk *w = ctx;

	assert_true(w->n < 8);
	w->nmsgs[w->n] = t->nmessages;
	w->ids[w->n++] = t->id;
	if (t->id == 3)
		assert_null(t->messages[0].text);	/* flags 0 */
	if (w->path != NULL && t->id == 1) {
		/* Another process stores mail while the export runs. */
		struct store *other = open_ok(w->path);
		int64_t id;

		assert_int_equal(store_ticket_add(other, &(struct store_ticket){
		    .subject = "late", .requester_addr = "l@example.com",
		    .queue = "general" }, &id), 0);
		assert_int_equal(store_begin(other), 0);
		assert_int_equal(store_message_add(other,
		    &(struct store_message){ .ticket_id = 2, .direction = "in",
		    .kind = "customer", .message_id = "late@x" }, NULL, &id), 0);
		assert_int_equal(store_commit(other), 0);
		store_close(&other);
	}
	return w->stop_after != 0 && w->n == (size_t)w->stop_after ? 9 : 0;
}

static void
each_oldest_first(void **state)
{
	struct fixture *f = *state;
	struct walk w = { .n = 0 };

	assert_int_equal(store_ticket_each(f->st, 0, walk_one, &w), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.ids[0], 1);
	assert_int_equal(w.ids[1], 2);
	assert_int_equal(w.ids[2], 3);
	assert_int_equal(w.nmsgs[0], 3);
	assert_int_equal(w.nmsgs[1], 0);
	assert_int_equal(w.nmsgs[2], 1);

	w = (struct walk){ .n = 0, .stop_after = 1 };
	assert_int_equal(store_ticket_each(f->st, 0, walk_one, &w), 9);
	assert_int_equal(w.n, 1);
}

/* The whole walk reads one snapshot: what is written meanwhile shows up
 * in the next export, not half in this one. */
static void
each_sees_one_snapshot(void **state)
{
	struct fixture *f = *state;
	struct walk w = { .n = 0, .path = f->path };

	assert_int_equal(store_ticket_each(f->st, 0, walk_one, &w), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.nmsgs[1], 0);	/* ticket 2's late message */

	w = (struct walk){ .n = 0 };
	assert_int_equal(store_ticket_each(f->st, 0, walk_one, &w), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(w.ids[3], 4);
	assert_int_equal(w.nmsgs[1], 1);
}

/* --- tags --------------------------------------------------------------------- */

static void
tag_on_missing_ticket_fails(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(store_tag_add(f->st, 99, "x"), -1);
	assert_non_null(strstr(store_error(f->st), "add tag"));
	assert_false(store_error_temporary(f->st));
	assert_int_equal(store_tag_add(f->st, 2, ""), -1);	/* CHECK */
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(list_all_newest_first),
		T(list_filters),
		T(list_callback_stops),
		T(get_whole_ticket),
		T(get_flags_choose_text_and_raw),
		T(get_empty_and_missing),
		T(each_oldest_first),
		T(each_sees_one_snapshot),
		T(tag_on_missing_ticket_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
