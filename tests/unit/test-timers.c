/* test-timers.c: the timers stage against a real (in-memory) store, with
 * explicit times: what a new ticket, an answer, a customer's reply and
 * each status change schedule and cancel (business time in Europe/Prague
 * across a weekend, holidays, the end of DST, and a mail at night;
 * follow-ups in calendar time); what firing does (mail, events, status)
 * and what it must not do (a ticket answered in time, a customer whose
 * mail was automatic, a customer past the limit); and the survey's
 * answers as they come in through ingest.
 *
 * Times: Monday 2026-11-23 is a working day; 2026-12-24 and 12-25 are
 * holidays; the clocks go back on Sunday 2026-10-25 (03:00 CEST → 02:00
 * CET). Working hours 08:00-12:00 and 13:00-17:00, Monday to Friday. */
#include "config.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "postdesk/buf.h"
#include "postdesk/config.h"
#include "postdesk/ingest.h"
#include "postdesk/store.h"
#include "postdesk/store_query.h"
#include "postdesk/timers.h"
#include "postdesk/xalloc.h"

#define CONF_DIR	TEST_SRCDIR "/../conf"
#define HOUR		3600
#define DAY		86400

/* --- Prague time ------------------------------------------------------------ */

static int64_t
local(const char *s)
{
	struct tm tm;
	const char *old = getenv("TZ");
	char *keep = old ? xstrdup(old) : NULL;
	int64_t t;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(s, "%Y-%m-%d %H:%M", &tm));
	tm.tm_isdst = -1;
	setenv("TZ", "Europe/Prague", 1);
	tzset();
	t = (int64_t)mktime(&tm);
	if (keep) {
		setenv("TZ", keep, 1);
		free(keep);
	} else
		unsetenv("TZ");
	tzset();
	return t;
}

/* "YYYY-MM-DD HH:MM" in Prague, into buf. */
static const char *
show(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	const char *old = getenv("TZ");
	char *keep = old ? xstrdup(old) : NULL;

	setenv("TZ", "Europe/Prague", 1);
	tzset();
	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
	if (keep) {
		setenv("TZ", keep, 1);
		free(keep);
	} else
		unsetenv("TZ");
	tzset();
	return buf;
}

/* --- the fixture ------------------------------------------------------------- */

static char *holidays[] = { "12-24", "12-25", "2026-11-17" };
static char *alice_queues[] = { "general", NULL };

struct fx {
	struct pd_config cfg;
	struct pd_queue queue[2];
	struct pd_agent agents[2];
	struct pd_imap imap;
	struct store *st;
	struct ingest ig;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct pd_queue *q = &f->queue[0];
	char *err = NULL;

	q->name = "general";
	q->priority = PD_PRIO_NORMAL;
	q->supervisor = "boss@example.test";
	q->sla.first_response = 4 * HOUR;
	q->sla.next_response = 2 * HOUR;
	q->sla.resolution = DAY;	/* 24 working hours: three working days */
	q->pending_reminder = 3 * DAY;
	q->pending_close = 7 * DAY;
	q->still_working = true;
	q->survey = true;
	q->survey_delay = DAY;
	/* a queue with the defaults turned off */
	f->queue[1].name = "quiet";
	f->queue[1].pending_close = 2 * DAY;
	f->agents[0] = (struct pd_agent){ .name = "Alice Agent", .email = "alice@example.test",
		.queues = alice_queues, .nqueues = 1 };
	f->agents[1] = (struct pd_agent){ .name = "Bob Agent", .email = "bob@example.test" };
	f->imap.user = "support@example.test";
	f->cfg.tag = "Support";
	f->cfg.queues = f->queue;
	f->cfg.nqueues = 2;
	f->cfg.agents = f->agents;
	f->cfg.nagents = 2;
	f->cfg.imap = &f->imap;
	f->cfg.nimap = 1;
	f->cfg.has_smtp = true;
	f->cfg.smtp.from_name = "Example Support";
	f->cfg.smtp.from_addr = "support@example.test";
	f->cfg.templates_dir = CONF_DIR "/templates";
	f->cfg.default_language = "en";
	f->cfg.ack_limit_count = 3;
	f->cfg.ack_limit_period = HOUR;
	f->cfg.hours = (struct pd_business_hours){
		.timezone = "Europe/Prague", .days = 0x3e,
		.ranges = { { 8 * 60, 12 * 60 }, { 13 * 60, 17 * 60 } }, .nranges = 2,
		.holidays = holidays, .nholidays = 3,
	};
	f->cfg.max_message_size = 1 << 20;
	f->cfg.max_mime_depth = 100;
	f->cfg.max_mime_parts = 1000;
	f->cfg.max_header_size = 1 << 16;
	assert_int_equal(store_open(":memory:", &f->st, &err), 0);
	if (ingest_init(&f->ig, f->st, &f->cfg, &err) != 0)
		fail_msg("ingest_init: %s", err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ingest_done(&f->ig);
	store_close(&f->st);
	free(f);
	return 0;
}

static void
begin(struct fx *f)
{
	assert_int_equal(store_begin(f->st), 0);
}

static void
commit(struct fx *f)
{
	if (store_commit(f->st) != 0)
		fail_msg("commit: %s", store_error(f->st));
}

/* A customer's ticket opened at created, as ingest would: the ticket, the
 * requester, their mail (raw; NULL: a plain one), the timers. */
static int64_t
open_ticket(struct fx *f, int64_t created, const char *queue, const char *lang,
    const char *raw)
{
	static int n;
	char *id = xasprintf("c%d@example.cz", ++n);
	char *plain = xasprintf("From: Jana <jana@example.cz>\r\nSubject: Printer\r\n"
	    "Message-ID: <%s>\r\n\r\nIt does not print.\r\n", id);
	int64_t t, mid;

	if (raw == NULL)
		raw = plain;
	begin(f);
	assert_int_equal(store_ticket_add(f->st, &(struct store_ticket){
	    .subject = "Printer", .requester_addr = "jana@example.cz",
	    .requester_name = "Jana", .queue = queue, .language = lang,
	    .created_at = created }, &t), 0);
	assert_int_equal(store_participant_add(f->st, t, "jana@example.cz", "Jana",
	    "requester"), 0);
	assert_int_equal(store_message_add(f->st, &(struct store_message){
	    .ticket_id = t, .direction = "in", .kind = "customer", .message_id = id,
	    .from_addr = "jana@example.cz", .subject = "Printer", .date = created,
	    .raw = raw, .raw_len = strlen(raw) }, NULL, &mid), 0);
	assert_int_equal(timers_ticket_opened(f->st, &f->cfg, t, created), 0);
	commit(f);
	free(plain);
	free(id);
	return t;
}

struct text {
	char buf[4096];
};

static int
timer_line(const struct store_timer *t, void *arg)
{
	struct text *x = arg;
	size_t len = strlen(x->buf);
	char when[32], done[32];

	snprintf(x->buf + len, sizeof(x->buf) - len, "%s%s@%s%s%s", len ? "\n" : "", t->kind,
	    show(t->due_at, when, sizeof(when)), t->outcome ? "=" : "",
	    t->outcome ? t->outcome : "");
	if (t->outcome != NULL) {
		len = strlen(x->buf);
		snprintf(x->buf + len, sizeof(x->buf) - len, "@%s",
		    show(t->fired_at, done, sizeof(done)));
	}
	return 0;
}

/* Every timer of ticket: "kind@due[=outcome@when]", one a line. */
static const char *
timers_of(struct fx *f, int64_t ticket, struct text *x)
{
	x->buf[0] = '\0';
	assert_int_equal(store_timer_list(f->st, ticket, timer_line, x), 0);
	return x->buf;
}

/* The due time of ticket's waiting timer of kind, as Prague time. */
static const char *
due_of(struct fx *f, int64_t ticket, const char *kind, char *buf, size_t size)
{
	int64_t due;

	if (store_timer_waiting(f->st, ticket, kind, &due) != 1)
		return "(none)";
	return show(due, buf, size);
}

static int
outbox_line(const struct store_outbox_row *o, void *arg)
{
	struct text *x = arg;
	size_t len = strlen(x->buf);

	snprintf(x->buf + len, sizeof(x->buf) - len, "%s%" PRId64 ":%s:%s", len ? "\n" : "",
	    o->ticket, o->kind, o->rcpt);
	return 0;
}

/* Every outbox row: "ticket:kind:rcpt", one a line. */
static const char *
outbox(struct fx *f, struct text *x)
{
	x->buf[0] = '\0';
	assert_int_equal(store_outbox_list(f->st, true, outbox_line, x), 0);
	return x->buf;
}

/* The same without the escalations (the resolution clock runs while a
 * ticket is pending). */
static const char *
followups(struct fx *f, struct text *x)
{
	struct text all;
	char *line, *save = NULL;

	x->buf[0] = '\0';
	outbox(f, &all);
	for (line = strtok_r(all.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, ":sla-") == NULL) {
			size_t len = strlen(x->buf);

			snprintf(x->buf + len, sizeof(x->buf) - len, "%s%s", len ? "\n" : "", line);
		}
	return x->buf;
}

/* The events of ticket the timers stage and the survey write:
 * "type/actor/detail", one a line. */
static const char *
events_of(struct fx *f, int64_t ticket, struct text *x)
{
	static const char *const ours[] = { "sla-warning", "sla-breach", "reminded",
		"still-working", "pending-reminder", "autoclosed", "survey-sent",
		"mail-suppressed", "rating", "not-solved", "reopened", NULL };
	struct store_ticket_view t;

	x->buf[0] = '\0';
	assert_int_equal(store_ticket_get(f->st, ticket, 0, &t), 1);
	for (size_t i = 0; i < t.nevents; i++) {
		size_t len = strlen(x->buf);

		for (const char *const *o = ours; *o; o++)
			if (strcmp(*o, t.events[i].type) == 0)
				snprintf(x->buf + len, sizeof(x->buf) - len, "%s%s/%s/%s",
				    len ? "\n" : "", t.events[i].type,
				    t.events[i].actor ? t.events[i].actor : "-",
				    t.events[i].detail ? t.events[i].detail : "-");
	}
	store_ticket_view_free(&t);
	return x->buf;
}

/* The stored text (and raw headers, when raw_r) of ticket's latest
 * outgoing message of kind; caller frees. */
static char *
mail_text(struct fx *f, int64_t ticket, const char *kind, char **raw_r)
{
	struct store_ticket_view t;
	char *text = NULL;

	assert_int_equal(store_ticket_get(f->st, ticket, STORE_VIEW_TEXT | STORE_VIEW_RAW, &t), 1);
	for (size_t i = 0; i < t.nmessages; i++)
		if (strcmp(t.messages[i].direction, "out") == 0 &&
		    strcmp(t.messages[i].kind, kind) == 0) {
			free(text);
			text = xstrdup(t.messages[i].text);
			if (raw_r != NULL) {
				free(*raw_r);
				*raw_r = xstrdup(t.messages[i].raw);
			}
		}
	store_ticket_view_free(&t);
	if (text == NULL)
		fail_msg("ticket %lld has no outgoing %s", (long long)ticket, kind);
	return text;
}

static struct timers_stats
run(struct fx *f, int64_t now)
{
	struct timers_stats s = { 0, 0, 0 };
	char *err = NULL;

	if (timers_run(&f->ig, now, &s, &err) != 0)
		fail_msg("timers_run: %s", err);
	return s;
}

static void
status(struct fx *f, int64_t ticket, const char *from, const char *to, int64_t at)
{
	begin(f);
	assert_int_equal(store_ticket_set_status(f->st, ticket, to, at), 0);
	assert_int_equal(timers_status_changed(f->st, &f->cfg, ticket, from, to, at), 0);
	commit(f);
}

/* An agent's answer at at, as answer.c relays it. */
static void
answered(struct fx *f, int64_t ticket, int64_t at)
{
	begin(f);
	assert_int_equal(timers_agent_answered(f->st, &f->cfg, ticket, at), 0);
	assert_int_equal(store_ticket_first_response(f->st, ticket, at), 0);
	assert_int_equal(store_event_add(f->st, ticket, "replied", "alice@example.test", NULL,
	    at), 0);
	commit(f);
}

static void
customer_wrote(struct fx *f, int64_t ticket, int64_t at)
{
	begin(f);
	assert_int_equal(timers_customer_wrote(f->st, &f->cfg, ticket, at), 0);
	commit(f);
}

/* --- scheduling ------------------------------------------------------------------ */

static void
schedule_in_business_time(void **state)
{
	static const struct {
		const char *created, *warn, *due, *res_warn, *res_due;
	} cases[] = {
		/* Friday afternoon: one hour on Friday, the rest on Monday */
		{ "2026-11-20 16:00", "2026-11-23 10:12", "2026-11-23 11:00",
		  "2026-11-25 10:12", "2026-11-25 16:00" },
		/* at night: the clock starts at 08:00; the answer is due at
		 * the start of lunch, not after it */
		{ "2026-11-24 22:30", "2026-11-25 11:12", "2026-11-25 12:00",
		  "2026-11-27 11:12", "2026-11-27 17:00" },
		/* on Saturday */
		{ "2026-11-21 10:00", "2026-11-23 11:12", "2026-11-23 12:00",
		  "2026-11-25 11:12", "2026-11-25 17:00" },
		/* before Christmas: two hours, two holidays, a weekend */
		{ "2026-12-23 15:00", "2026-12-28 09:12", "2026-12-28 10:00",
		  "2026-12-30 09:12", "2026-12-30 15:00" },
		/* over the end of DST: Monday's hours are CET */
		{ "2026-10-23 16:00", "2026-10-26 10:12", "2026-10-26 11:00",
		  "2026-10-28 10:12", "2026-10-28 16:00" },
	};
	struct fx *f = *state;
	char b1[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = open_ticket(f, local(cases[i].created), "general", NULL, NULL);
		const char *got[4] = {
			xstrdup(due_of(f, t, "first_response-warning", b1, sizeof(b1))),
			xstrdup(due_of(f, t, "first_response-breach", b1, sizeof(b1))),
			xstrdup(due_of(f, t, "resolution-warning", b1, sizeof(b1))),
			xstrdup(due_of(f, t, "resolution-breach", b1, sizeof(b1))),
		};
		const char *want[4] = { cases[i].warn, cases[i].due, cases[i].res_warn,
			cases[i].res_due };

		for (int k = 0; k < 4; k++)
			if (strcmp(got[k], want[k]) != 0)
				fail_msg("created %s, timer %d: got %s, want %s", cases[i].created, k,
				    got[k], want[k]);
		for (int k = 0; k < 4; k++)
			free((char *)got[k]);
		/* nothing else: no next response before an answer */
		assert_int_equal(store_timer_waiting(f->st, t, "next_response-breach",
		    &(int64_t){ 0 }), 0);
	}
	/* The DST case in absolute terms: 16:00 CEST Friday is 14:00Z; 11:00
	 * CET Monday is 10:00Z, 68 hours later (not 67). */
	assert_int_equal(local("2026-10-26 11:00") - local("2026-10-23 16:00"), 68 * HOUR);
}

static void
queue_without_targets_and_spam(void **state)
{
	struct fx *f = *state;
	struct text x;
	int64_t t = open_ticket(f, local("2026-11-23 09:00"), "quiet", NULL, NULL);

	assert_string_equal(timers_of(f, t, &x), "");
	/* a ticket closed from the start (spam) gets no clocks */
	begin(f);
	assert_int_equal(store_ticket_add(f->st, &(struct store_ticket){
	    .subject = "Buy", .requester_addr = "spam@example.org", .queue = "general",
	    .status = "closed", .created_at = local("2026-11-23 09:00") }, &t), 0);
	assert_int_equal(timers_ticket_opened(f->st, &f->cfg, t, local("2026-11-23 09:00")), 0);
	commit(f);
	assert_string_equal(timers_of(f, t, &x), "");
	/* a queue the config no longer has: the first queue's targets */
	begin(f);
	assert_int_equal(store_ticket_add(f->st, &(struct store_ticket){
	    .subject = "Old", .requester_addr = "old@example.org", .queue = "gone",
	    .created_at = local("2026-11-23 09:00") }, &t), 0);
	assert_int_equal(timers_ticket_opened(f->st, &f->cfg, t, local("2026-11-23 09:00")), 0);
	commit(f);
	assert_int_equal(store_timer_waiting(f->st, t, "first_response-breach",
	    &(int64_t){ 0 }), 1);
}

static void
answers_and_replies(void **state)
{
	struct fx *f = *state;
	struct text x;
	int64_t t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);

	/* a customer's second mail before any answer: the first clock runs on */
	customer_wrote(f, t, local("2026-11-23 09:30"));
	answered(f, t, local("2026-11-23 10:00"));
	/* the customer replies to the answer: two working hours, over lunch */
	customer_wrote(f, t, local("2026-11-23 11:00"));
	/* ... and again: the promise runs from the first unanswered mail */
	customer_wrote(f, t, local("2026-11-23 11:30"));
	assert_string_equal(timers_of(f, t, &x),
	    "first_response-warning@2026-11-23 13:12=cancelled@2026-11-23 10:00\n"
	    "next_response-warning@2026-11-23 13:36\n"
	    "first_response-breach@2026-11-23 14:00=cancelled@2026-11-23 10:00\n"
	    "next_response-breach@2026-11-23 14:00\n"
	    "resolution-warning@2026-11-25 13:12\n"
	    "resolution-breach@2026-11-26 09:00");
	answered(f, t, local("2026-11-23 13:00"));
	assert_string_equal(timers_of(f, t, &x),
	    "first_response-warning@2026-11-23 13:12=cancelled@2026-11-23 10:00\n"
	    "next_response-warning@2026-11-23 13:36=cancelled@2026-11-23 13:00\n"
	    "first_response-breach@2026-11-23 14:00=cancelled@2026-11-23 10:00\n"
	    "next_response-breach@2026-11-23 14:00=cancelled@2026-11-23 13:00\n"
	    "resolution-warning@2026-11-25 13:12\n"
	    "resolution-breach@2026-11-26 09:00");
}

static void
status_changes(void **state)
{
	struct fx *f = *state;
	struct text x;
	int64_t t = open_ticket(f, local("2026-10-23 09:00"), "general", NULL, NULL);
	char b[32];

	answered(f, t, local("2026-10-23 10:00"));
	status(f, t, "new", "pending", local("2026-10-23 10:00"));
	/* calendar time, not business time: 3 x 24 hours, across DST */
	assert_string_equal(due_of(f, t, "pending-reminder", b, sizeof(b)), "2026-10-26 09:00");
	assert_string_equal(due_of(f, t, "pending-close", b, sizeof(b)), "2026-10-30 09:00");
	/* the customer answers: the follow-ups stop */
	status(f, t, "pending", "open", local("2026-10-24 12:00"));
	customer_wrote(f, t, local("2026-10-24 12:00"));
	assert_string_equal(due_of(f, t, "pending-reminder", b, sizeof(b)), "(none)");
	assert_string_equal(due_of(f, t, "next_response-breach", b, sizeof(b)),
	    "2026-10-26 10:00");
	/* pending again: new follow-ups from now */
	status(f, t, "open", "pending", local("2026-10-26 09:30"));
	assert_string_equal(due_of(f, t, "pending-close", b, sizeof(b)), "2026-11-02 09:30");
	/* resolved: the clocks stop, the survey is due a day later */
	status(f, t, "pending", "resolved", local("2026-10-27 10:00"));
	assert_string_equal(due_of(f, t, "pending-close", b, sizeof(b)), "(none)");
	assert_string_equal(due_of(f, t, "resolution-breach", b, sizeof(b)), "(none)");
	assert_string_equal(due_of(f, t, "next_response-breach", b, sizeof(b)), "(none)");
	assert_string_equal(due_of(f, t, "survey", b, sizeof(b)), "2026-10-28 10:00");
	/* reopened: no survey; resolved again: a new one; closed: none */
	status(f, t, "resolved", "open", local("2026-10-27 11:00"));
	assert_string_equal(due_of(f, t, "survey", b, sizeof(b)), "(none)");
	status(f, t, "open", "resolved", local("2026-10-27 12:00"));
	assert_string_equal(due_of(f, t, "survey", b, sizeof(b)), "2026-10-28 12:00");
	status(f, t, "resolved", "closed", local("2026-10-27 13:00"));
	assert_string_equal(due_of(f, t, "survey", b, sizeof(b)), "(none)");
	/* the same status again changes nothing */
	status(f, t, "closed", "closed", local("2026-10-27 14:00"));
	assert_int_equal(store_timer_next(f->st, &(int64_t){ 0 }), 0);

	/* quiet: no reminder, a close after two days, no survey */
	t = open_ticket(f, local("2026-11-23 09:00"), "quiet", NULL, NULL);
	status(f, t, "new", "pending", local("2026-11-23 10:00"));
	status(f, t, "pending", "resolved", local("2026-11-23 11:00"));
	assert_string_equal(timers_of(f, t, &x),
	    "pending-close@2026-11-25 10:00=cancelled@2026-11-23 11:00");
}

/* --- firing ------------------------------------------------------------------------ */

static void
warning_then_breach(void **state)
{
	struct fx *f = *state;
	struct timers_stats s;
	struct text x;
	int64_t t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);
	char *raw = NULL, *text;

	/* not yet */
	s = run(f, local("2026-11-23 13:11"));
	assert_int_equal(s.fired + s.skipped, 0);
	assert_string_equal(outbox(f, &x), "");
	/* 80%: the queue's agents (nobody is assigned) */
	s = run(f, local("2026-11-23 13:12"));
	assert_int_equal(s.fired, 1);
	assert_string_equal(outbox(f, &x), "1:sla-warning:alice@example.test bob@example.test");
	assert_string_equal(events_of(f, t, &x), "sla-warning/-/first_response");
	text = mail_text(f, t, "sla-warning", &raw);
	assert_non_null(strstr(text, "The customer has not had a first response yet."));
	assert_non_null(strstr(text, "Due: Monday 23 November, 14:00 CET"));
	assert_null(strstr(text, "(passed)"));
	assert_non_null(strstr(raw, "Subject: [Support #1] SLA warning: Printer\r\n"));
	assert_non_null(strstr(raw, "Auto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(raw, "In-Reply-To: <c"));
	assert_non_null(strstr(raw, "Reply-To: Example Support <support@example.test>\r\n"));
	free(text);
	/* the breach: the supervisor too; nothing fires twice */
	s = run(f, local("2026-11-23 14:00"));
	assert_int_equal(s.fired, 1);
	s = run(f, local("2026-11-23 14:05"));
	assert_int_equal(s.fired + s.skipped, 0);
	assert_string_equal(outbox(f, &x), "1:sla-warning:alice@example.test bob@example.test\n"
	    "1:sla-breach:alice@example.test bob@example.test boss@example.test");
	assert_string_equal(events_of(f, t, &x),
	    "sla-warning/-/first_response\nsla-breach/-/first_response");
	text = mail_text(f, t, "sla-breach", &raw);
	assert_non_null(strstr(text, "Due: Monday 23 November, 14:00 CET (passed)"));
	free(text);
	free(raw);

	/* An assigned ticket: the assignee alone (and the supervisor). */
	t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);
	begin(f);
	assert_int_equal(store_ticket_set(f->st, t, STORE_TICKET_ASSIGNEE, "bob@example.test",
	    local("2026-11-23 09:00")), 0);
	commit(f);
	answered(f, 1, local("2026-11-23 15:00"));	/* quiet the first ticket */
	s = run(f, local("2026-11-30 09:00"));
	assert_string_equal(outbox(f, &x), "1:sla-warning:alice@example.test bob@example.test\n"
	    "1:sla-breach:alice@example.test bob@example.test boss@example.test\n"
	    "2:sla-warning:bob@example.test\n"
	    "2:sla-breach:bob@example.test boss@example.test\n"
	    "1:sla-warning:alice@example.test bob@example.test\n"
	    "2:sla-warning:bob@example.test\n"
	    "1:sla-breach:alice@example.test bob@example.test boss@example.test\n"
	    "2:sla-breach:bob@example.test boss@example.test");
	assert_string_equal(events_of(f, 1, &x),
	    "sla-warning/-/first_response\nsla-breach/-/first_response\n"
	    "sla-warning/-/resolution\nsla-breach/-/resolution");
	text = mail_text(f, 1, "sla-breach", NULL);
	assert_non_null(strstr(text, "The ticket is not resolved yet."));
	assert_null(strstr(text, "first response"));
	free(text);
}

static void
answered_in_time_sends_nothing(void **state)
{
	struct fx *f = *state;
	struct timers_stats s;
	struct text x;
	int64_t t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);

	answered(f, t, local("2026-11-23 11:00"));
	status(f, t, "new", "resolved", local("2026-11-23 11:00"));
	/* a clock whose cancellation was lost: checked again when due */
	begin(f);
	assert_int_equal(store_timer_add(f->st, t, "first_response-breach",
	    local("2026-11-23 13:00"), NULL, local("2026-11-23 09:00")), 0);
	assert_int_equal(store_timer_add(f->st, t, "next_response-breach",
	    local("2026-11-23 13:00"), NULL, local("2026-11-23 09:00")), 0);
	commit(f);
	s = run(f, local("2026-11-23 16:00"));
	assert_int_equal(s.fired, 0);
	assert_int_equal(s.skipped, 2);
	assert_string_equal(outbox(f, &x), "");
	assert_string_equal(events_of(f, t, &x), "");

	/* next_response: an answer after the customer's reply keeps it */
	t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);
	answered(f, t, local("2026-11-23 09:30"));
	customer_wrote(f, t, local("2026-11-23 10:00"));
	begin(f);	/* again a lost cancellation */
	assert_int_equal(store_event_add(f->st, t, "replied", "alice@example.test", NULL,
	    local("2026-11-23 10:30")), 0);
	commit(f);
	s = run(f, local("2026-11-23 15:00"));
	assert_int_equal(s.fired, 0);
	assert_int_equal(s.skipped, 2);
	assert_string_equal(outbox(f, &x), "");
}

static void
remind_and_still_working(void **state)
{
	struct fx *f = *state;
	struct timers_stats s;
	struct text x;
	int64_t t = open_ticket(f, local("2026-11-23 09:00"), "general", "cs", NULL);
	char *text;

	begin(f);
	assert_int_equal(store_timer_add(f->st, t, "remind", local("2026-11-23 10:00"),
	    "alice@example.test", local("2026-11-23 09:10")), 0);
	commit(f);
	s = run(f, local("2026-11-23 10:00"));
	assert_int_equal(s.fired, 1);
	assert_string_equal(outbox(f, &x), "1:reminder:alice@example.test\n"
	    "1:still-working:jana@example.cz");
	assert_string_equal(events_of(f, t, &x), "reminded/-/alice@example.test\n"
	    "still-working/-/jana@example.cz");
	/* the agent's reminder in the default language, with the promise */
	text = mail_text(f, t, "reminder", NULL);
	assert_non_null(strstr(text, "You asked to be reminded of ticket 1"));
	assert_non_null(strstr(text, "Next answer due: Monday 23 November, 14:00 CET"));
	free(text);
	/* the customer's in theirs */
	text = mail_text(f, t, "still-working", NULL);
	assert_non_null(strstr(text, "stále pracujeme"));
	assert_non_null(strstr(text, "pondělí 23. 11. 14:00 CET"));
	free(text);

	/* answered since the #remind: the agent alone is reminded */
	begin(f);
	assert_int_equal(store_timer_add(f->st, t, "remind", local("2026-11-24 10:00"),
	    "bob@example.test", local("2026-11-23 10:30")), 0);
	commit(f);
	answered(f, t, local("2026-11-23 11:00"));
	status(f, t, "new", "pending", local("2026-11-23 11:00"));
	customer_wrote(f, t, local("2026-11-23 12:00"));
	status(f, t, "pending", "open", local("2026-11-23 12:00"));
	s = run(f, local("2026-11-24 10:00"));
	assert_string_equal(outbox(f, &x), "1:reminder:alice@example.test\n"
	    "1:still-working:jana@example.cz\n"
	    "1:sla-warning:alice@example.test bob@example.test\n"
	    "1:sla-breach:alice@example.test bob@example.test boss@example.test\n"
	    "1:reminder:bob@example.test");
}

static void
pending_reminder_then_close(void **state)
{
	struct fx *f = *state;
	struct store_ticket_brief b;
	struct timers_stats s;
	struct text x;
	int64_t t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);
	char *text;

	answered(f, t, local("2026-11-23 09:30"));
	status(f, t, "new", "pending", local("2026-11-23 09:30"));
	s = run(f, local("2026-11-26 09:29"));
	assert_string_equal(followups(f, &x), "");
	s = run(f, local("2026-11-26 09:30"));
	assert_int_equal(s.fired, 1);
	assert_string_equal(followups(f, &x), "1:pending-reminder:jana@example.cz");
	assert_string_equal(events_of(f, t, &x), "sla-warning/-/resolution\n"
	    "sla-breach/-/resolution\npending-reminder/-/jana@example.cz");
	text = mail_text(f, t, "pending-reminder", NULL);
	assert_non_null(strstr(text, "we are waiting for your reply"));
	assert_non_null(strstr(text, "we will close the ticket on Monday 30 November, 09:30 CET"));
	free(text);
	s = run(f, local("2026-11-30 09:30"));
	assert_int_equal(s.fired, 1);
	assert_string_equal(followups(f, &x), "1:pending-reminder:jana@example.cz\n"
	    "1:autoclose:jana@example.cz");
	assert_string_equal(events_of(f, t, &x), "sla-warning/-/resolution\n"
	    "sla-breach/-/resolution\npending-reminder/-/jana@example.cz\nautoclosed/-/-");
	assert_int_equal(store_ticket_brief(f->st, t, &b), 1);
	assert_string_equal(b.status, "closed");
	text = mail_text(f, t, "autoclose", NULL);
	assert_non_null(strstr(text, "simply reply to this email: the ticket will\nreopen"));
	free(text);
	/* the resolution clock stopped with the close */
	assert_int_equal(store_timer_next(f->st, &(int64_t){ 0 }), 0);

	/* a reply before the reminder: nothing is sent */
	t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);
	answered(f, t, local("2026-11-23 09:30"));
	status(f, t, "new", "pending", local("2026-11-23 09:30"));
	status(f, t, "pending", "open", local("2026-11-24 09:30"));
	customer_wrote(f, t, local("2026-11-24 09:30"));
	answered(f, t, local("2026-11-24 10:00"));
	status(f, t, "open", "resolved", local("2026-11-24 10:00"));
	s = run(f, local("2026-11-24 11:00"));
	assert_int_equal(s.fired + s.skipped, 0);
	assert_string_equal(events_of(f, t, &x), "");
}

static void
survey_and_loop_rules(void **state)
{
	struct fx *f = *state;
	struct timers_stats s;
	struct text x;
	int64_t t = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL), t2, t3;
	char *text;

	answered(f, t, local("2026-11-23 09:30"));
	status(f, t, "new", "resolved", local("2026-11-23 10:00"));
	s = run(f, local("2026-11-24 10:00"));
	assert_int_equal(s.fired, 1);
	assert_string_equal(outbox(f, &x), "1:survey:jana@example.cz");
	assert_string_equal(events_of(f, t, &x), "survey-sent/-/jana@example.cz");
	text = mail_text(f, t, "survey", NULL);
	assert_non_null(strstr(text, "Satisfied: mailto:support@example.test?subject="
	    "Re%3A%20%5BSupport%20%231%5D%20rating%205\n"));
	assert_non_null(strstr(text, "Not satisfied: mailto:support@example.test?subject="
	    "Re%3A%20%5BSupport%20%231%5D%20rating%201\n"));
	free(text);

	/* a ticket opened by list mail: no automatic mail answers it */
	t2 = open_ticket(f, local("2026-11-23 09:00"), "general", NULL,
	    "From: news@example.org\r\nSubject: Offers\r\nMessage-ID: <n1@example.org>\r\n"
	    "Precedence: bulk\r\nList-Id: <offers.example.org>\r\n\r\nBuy.\r\n");
	answered(f, t2, local("2026-11-23 09:30"));
	status(f, t2, "new", "resolved", local("2026-11-23 10:00"));
	/* past the limit: three automatic mails within the hour */
	t3 = open_ticket(f, local("2026-11-23 09:00"), "general", NULL, NULL);
	answered(f, t3, local("2026-11-23 09:30"));
	status(f, t3, "new", "resolved", local("2026-11-23 10:30"));
	begin(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_ack_add(f->st, "jana@example.cz", local("2026-11-24 10:00")), 0);
	commit(f);
	s = run(f, local("2026-11-24 10:30"));
	assert_int_equal(s.fired, 2);
	assert_string_equal(outbox(f, &x), "1:survey:jana@example.cz");
	assert_string_equal(events_of(f, t2, &x),
	    "mail-suppressed/-/survey: the customer's mail was bulk or list mail");
	assert_string_equal(events_of(f, t3, &x),
	    "mail-suppressed/-/survey: ack_limit reached for every recipient");
}

/* --- the survey's answers, through ingest ---------------------------------------------- */

static int64_t
feed(struct fx *f, const char *raw, const char **kind_r)
{
	struct ingest_source src = { NULL, "deliver", 0, 0, NULL };
	struct ingest_result res;

	if (ingest_one(&f->ig, raw, strlen(raw), &src, &res) != PD_DONE)
		fail_msg("ingest: %s", res.reason ? res.reason : "?");
	if (kind_r != NULL)
		*kind_r = res.kind;
	ingest_result_free(&res);
	return res.ticket;
}

static const char *
reply(const char *id, const char *subject, const char *text)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "From: Jana <jana@example.cz>\r\nTo: support@example.test\r\n"
	    "Subject: %s\r\nMessage-ID: <%s>\r\nIn-Reply-To: <s1@example.cz>\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", subject, id, text);
	return buf;
}

/* Notifications to the agents about ticket so far. */
static int
notifications(struct fx *f)
{
	struct text x;
	int n = 0;

	for (const char *p = outbox(f, &x); (p = strstr(p, ":notification:")) != NULL; p++)
		n++;
	return n;
}

static void
survey_answers(void **state)
{
	struct fx *f = *state;
	struct store_ticket_brief b;
	struct text x;
	const char *kind;
	int64_t t;
	int n;

	t = feed(f, "From: Jana <jana@example.cz>\r\nTo: support@example.test\r\n"
	    "Subject: Printer\r\nMessage-ID: <s1@example.cz>\r\n\r\nIt does not print.\r\n", NULL);
	assert_int_equal(t, 1);
	/* an open ticket: "5" is just a reply */
	feed(f, reply("r0@example.cz", "Re: Printer", "5"), &kind);
	assert_string_equal(kind, "customer");
	assert_int_equal(store_ticket_brief(f->st, t, &b), 1);
	assert_int_equal(b.satisfaction, 0);

	status(f, t, "new", "resolved", (int64_t)time(NULL));
	n = notifications(f);
	/* "5": recorded, resolved it stays, nothing for the agents */
	feed(f, reply("r1@example.cz", "Re: [Support #1] Printer", "5"), &kind);
	assert_string_equal(kind, "rating");
	assert_int_equal(store_ticket_brief(f->st, t, &b), 1);
	assert_string_equal(b.status, "resolved");
	assert_int_equal(b.satisfaction, 5);
	assert_int_equal(notifications(f), n);
	/* the survey's link, with words: the words go to the agents */
	feed(f, reply("r2@example.cz", "Re: [Support #1] rating 4", "Quick and kind, thanks."),
	    &kind);
	assert_string_equal(kind, "customer");
	assert_int_equal(store_ticket_brief(f->st, t, &b), 1);
	assert_string_equal(b.status, "resolved");
	assert_int_equal(b.satisfaction, 4);
	assert_int_equal(notifications(f), n + 1);
	/* "Špatně": the ticket opens again */
	feed(f, reply("r3@example.cz", "Re: [Support #1] Printer", "Špatně"), &kind);
	assert_string_equal(kind, "customer");
	assert_int_equal(store_ticket_brief(f->st, t, &b), 1);
	assert_string_equal(b.status, "open");
	assert_int_equal(b.satisfaction, 2);
	assert_int_equal(notifications(f), n + 2);
	assert_string_equal(events_of(f, t, &x),
	    "rating/jana@example.cz/5\n"
	    "rating/jana@example.cz/4\n"
	    "rating/jana@example.cz/2\n"
	    "not-solved/jana@example.cz/2\n"
	    "reopened/jana@example.cz/resolved");
	/* "nincs megoldva" on a resolved ticket: not solved, no score */
	status(f, t, "open", "resolved", (int64_t)time(NULL));
	feed(f, reply("r4@example.cz", "Re: [Support #1] Printer", "Nincs megoldva."), &kind);
	assert_int_equal(store_ticket_brief(f->st, t, &b), 1);
	assert_string_equal(b.status, "open");
	assert_int_equal(b.satisfaction, 2);
	assert_non_null(strstr(events_of(f, t, &x), "\nnot-solved/jana@example.cz/-\n"
	    "reopened/jana@example.cz/resolved"));
	/* an ordinary reply on a resolved ticket reopens it, as before */
	status(f, t, "open", "resolved", (int64_t)time(NULL));
	feed(f, reply("r5@example.cz", "Re: [Support #1] Printer", "One more question."), &kind);
	assert_int_equal(store_ticket_brief(f->st, t, &b), 1);
	assert_string_equal(b.status, "open");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(schedule_in_business_time),
		T(queue_without_targets_and_spam),
		T(answers_and_replies),
		T(status_changes),
		T(warning_then_breach),
		T(answered_in_time_sends_nothing),
		T(remind_and_still_working),
		T(pending_reminder_then_close),
		T(survey_and_loop_rules),
		T(survey_answers),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
