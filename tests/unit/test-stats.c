/* test-stats.c: the rules of src/stats that the end-to-end test
 * (tests/integration/t-stats.sh) does not single out: ranks, what counts
 * as resolving and reopening, the walk's queue filter, ratings, the
 * report's series, and the one-sort percentiles of many groups against a
 * plain sort per group. Histories are written with the store's own
 * writers into an in-memory database; the clock is UTC calendar time
 * unless a case says otherwise. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "postdesk/config.h"
#include "postdesk/stats.h"
#include "postdesk/store.h"
#include "postdesk/store_stats.h"

#define H 3600
#define D 86400
/* Monday 1 June 2026, 00:00 UTC */
#define T0 INT64_C(1780272000)

static struct pd_queue queues[] = {
	{ .name = "general", .sla = { .first_response = 4 * H, .resolution = 2 * D } },
	{ .name = "billing" },
};
static char *alice_queues[] = { "billing", NULL };
static struct pd_agent agents[] = {
	{ .name = "Alice", .email = "alice@example.com", .queues = alice_queues, .nqueues = 1 },
	{ .name = "Bob", .email = "bob@example.com" },
};

static struct pd_config
config(void)
{
	struct pd_config cfg = {
		.queues = queues, .nqueues = 2, .agents = agents, .nagents = 2,
		.hours = { .timezone = "UTC", .days = 0x7f, .ranges = { { 0, 1440 } },
			.nranges = 1 },
	};

	return cfg;
}

static struct store *
open_mem(void)
{
	struct store *st = NULL;
	char *error = NULL;

	if (store_open(":memory:", &st, &error) < 0)
		fail_msg("store_open: %s", error);
	return st;
}

static int64_t
ticket(struct store *st, const char *queue, const char *status, const char *assignee,
    int64_t created)
{
	int64_t id;

	assert_int_equal(store_ticket_add(st, &(struct store_ticket){
	    .subject = "s", .requester_addr = "c@example.net", .queue = queue,
	    .status = status, .assignee = assignee, .created_at = created }, &id), 0);
	return id;
}

static void
event(struct store *st, int64_t t, int64_t at, const char *type, const char *actor,
    const char *detail)
{
	assert_int_equal(store_event_add(st, t, type, actor, detail, at), 0);
}

static void
compute(struct store *st, const struct stats_options *o, struct stats *s)
{
	struct pd_config cfg = config();
	char *error = NULL;

	if (stats_compute(st, &cfg, o, s, &error) < 0)
		fail_msg("stats_compute: %s", error);
}

static const struct stats_figures *
named(const struct stats_figures *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	fail_msg("no figures for %s", name);
	return NULL;
}

static void
ranks(void **state)
{
	(void)state;
	assert_int_equal(stats_rank(0, 50), 0);
	assert_int_equal(stats_rank(1, 50), 1);
	assert_int_equal(stats_rank(1, 90), 1);
	assert_int_equal(stats_rank(4, 50), 2);	/* the lower middle */
	assert_int_equal(stats_rank(5, 50), 3);
	assert_int_equal(stats_rank(10, 90), 9);
	assert_int_equal(stats_rank(11, 90), 10);
	assert_int_equal(stats_rank(100, 90), 90);
	assert_true(isnan(stats_ratio_value((struct stats_ratio){ 0, 0 })));
	assert_true(stats_ratio_value((struct stats_ratio){ 1, 4 }) == 0.25);
}

/* #close after #resolve is no second resolution; #open on a solved ticket
 * is a reopening, on an open one it is not; the reply recorded in the
 * same second as its #resolve counts for first-contact resolution. */
static void
resolving_and_reopening(void **state)
{
	struct store *st = open_mem();
	struct stats_options o = { .now = T0 + 30 * D };
	struct stats s;
	int64_t a, b, c;

	(void)state;
	a = ticket(st, "general", "closed", "bob@example.com", T0);
	event(st, a, T0 + H, "resolve", "bob@example.com", NULL);
	event(st, a, T0 + H, "replied", "bob@example.com", NULL);
	event(st, a, T0 + 5 * D, "close", "bob@example.com", NULL);
	b = ticket(st, "general", "resolved", "bob@example.com", T0);
	event(st, b, T0 + H, "open", "bob@example.com", NULL);	/* not solved yet */
	event(st, b, T0 + 2 * H, "replied", "bob@example.com", NULL);
	event(st, b, T0 + 3 * H, "resolve", "bob@example.com", NULL);
	c = ticket(st, "general", "resolved", "bob@example.com", T0);
	event(st, c, T0 + H, "replied", "bob@example.com", NULL);
	event(st, c, T0 + 2 * H, "resolve", "bob@example.com", NULL);
	event(st, c, T0 + 3 * H, "open", "bob@example.com", NULL);	/* reopens */
	event(st, c, T0 + 4 * H, "resolve", "bob@example.com", NULL);
	compute(st, &o, &s);
	assert_int_equal(s.all.resolved, 3);
	assert_int_equal(s.all.resolution.count, 3);
	/* 1 h (a: the close does not stretch it), 3 h (b), 4 h (c) */
	assert_int_equal(s.all.resolution.median_cal, 3 * H);
	assert_int_equal(s.all.resolution.p90_cal, 4 * H);
	assert_int_equal(s.all.resolution.sum_cal, 8 * H);
	assert_int_equal(s.all.fcr.num, 3);
	assert_int_equal(s.all.fcr.den, 3);
	assert_int_equal(s.all.reopen.num, 1);
	assert_int_equal(s.all.reopen.den, 3);
	/* SLA resolution counts the first resolve: all within 2 days */
	assert_int_equal(s.all.sla_resolution.num, 3);
	assert_int_equal(s.all.sla_resolution.den, 3);
	stats_free(&s);
	store_close(&st);
}

/* Spam counts nowhere; a ticket closed without a reply before its first
 * answer was due needed none; after, it missed. */
static void
spam_and_unanswered(void **state)
{
	struct store *st = open_mem();
	struct stats_options o = { .now = T0 + 30 * D };
	struct stats s;
	int64_t a, b, c;

	(void)state;
	a = ticket(st, "general", "closed", NULL, T0);
	event(st, a, T0, "spam", NULL, NULL);
	event(st, a, T0, "replied", "bob@example.com", NULL);
	b = ticket(st, "general", "closed", NULL, T0);
	event(st, b, T0 + H, "close", "bob@example.com", NULL);
	c = ticket(st, "general", "closed", NULL, T0);
	event(st, c, T0 + 5 * H, "close", "bob@example.com", NULL);
	compute(st, &o, &s);
	assert_int_equal(s.all.created, 2);
	assert_int_equal(s.all.first_response.count, 0);
	assert_int_equal(s.all.sla_first_response.den, 1);
	assert_int_equal(s.all.sla_first_response.num, 0);
	assert_int_equal(s.all.fcr.den, 0);	/* no reply at all: no figure */
	assert_int_equal(s.nagents, 2);		/* the configured ones only */
	assert_int_equal(named(s.agents, s.nagents, "bob@example.com")->created, 0);
	stats_free(&s);
	store_close(&st);
}

/* The walk with a queue: other queues' tickets (and their events) lie in
 * between; agents of other queues are not listed unless they worked here. */
static void
queue_filter(void **state)
{
	struct store *st = open_mem();
	struct stats_options o = { .now = T0 + 30 * D, .queue = "billing" };
	struct stats s;

	(void)state;
	for (int i = 0; i < 10; i++) {
		int64_t t = ticket(st, i % 2 ? "billing" : "general", "pending", NULL, T0 + i);

		event(st, t, T0 + i + (i + 1) * 60, "replied",
		    i % 2 ? "carol@example.com" : "dan@example.com", NULL);
	}
	compute(st, &o, &s);
	assert_int_equal(s.all.created, 5);
	assert_int_equal(s.all.first_response.count, 5);
	/* 2, 4, 6, 8, 10 minutes */
	assert_int_equal(s.all.first_response.median_cal, 6 * 60);
	assert_int_equal(s.all.first_response.p90_cal, 10 * 60);
	assert_int_equal(s.nqueues, 1);
	assert_string_equal(s.queues[0].name, "billing");
	/* Alice (configured for billing), Bob (for every queue), Carol (she
	 * answered here); Dan answered only in general */
	assert_int_equal(s.nagents, 3);
	assert_string_equal(s.agents[0].name, "alice@example.com");
	assert_string_equal(s.agents[1].name, "bob@example.com");
	assert_string_equal(s.agents[2].name, "carol@example.com");
	assert_int_equal(s.agents[1].first_response.count, 0);
	assert_int_equal(s.agents[2].first_response.count, 5);
	stats_free(&s);
	store_close(&st);
}

/* The last rating in the period counts, a bad detail none; a survey is
 * answered by a rating after it, even after the period. */
static void
ratings(void **state)
{
	struct store *st = open_mem();
	struct stats_options o = { .since = T0, .until = T0 + 10 * D, .now = T0 + 30 * D };
	struct stats s;
	int64_t a, b, c;

	(void)state;
	a = ticket(st, "general", "resolved", NULL, T0);
	event(st, a, T0 + D, "survey-sent", NULL, NULL);
	event(st, a, T0 + 2 * D, "rating", "c@example.net", "2");
	event(st, a, T0 + 3 * D, "rating", "c@example.net", "5");
	event(st, a, T0 + 20 * D, "rating", "c@example.net", "1");	/* after */
	b = ticket(st, "general", "resolved", NULL, T0);
	event(st, b, T0 + D, "survey-sent", NULL, NULL);
	event(st, b, T0 + 2 * D, "rating", "c@example.net", "10");	/* not a score */
	c = ticket(st, "general", "resolved", NULL, T0);
	event(st, c, T0 + 9 * D, "survey-sent", NULL, NULL);
	event(st, c, T0 + 12 * D, "rating", "c@example.net", "4");	/* after */
	compute(st, &o, &s);
	assert_int_equal(s.all.csat.den, 1);
	assert_int_equal(s.all.csat.num, 1);
	assert_int_equal(s.all.survey.den, 3);
	assert_int_equal(s.all.survey.num, 3);	/* b's "10" is still an answer */
	stats_free(&s);
	store_close(&st);
}

/* Days, then weeks from Monday, then months, in the business zone. */
static void
series(void **state)
{
	struct store *st = open_mem();
	struct stats_options o = { .since = T0 + 12 * H, .until = T0 + 3 * D, .now = T0 + 3 * D,
		.series = true };
	struct stats s;
	int64_t a;

	(void)state;
	a = ticket(st, "general", "resolved", NULL, T0 + 13 * H);
	event(st, a, T0 + D + H, "resolve", NULL, NULL);
	event(st, a, T0 + 2 * D + H, "rating", "c@example.net", "5");
	(void)ticket(st, "general", "new", NULL, T0 + 2 * D + 5 * H);
	(void)ticket(st, "general", "new", NULL, T0 + 2 * D + 6 * H);
	(void)ticket(st, "general", "new", NULL, T0 + 3 * D);	/* after until */
	compute(st, &o, &s);
	assert_string_equal(s.series.unit, "day");
	assert_int_equal(s.series.n, 3);
	assert_int_equal(s.series.start[0], T0 + 12 * H);	/* since itself */
	assert_int_equal(s.series.start[1], T0 + D);
	assert_int_equal(s.series.start[3], T0 + 3 * D);
	assert_int_equal(s.series.created[0], 1);
	assert_int_equal(s.series.created[2], 2);
	assert_int_equal(s.series.resolved[1], 1);
	assert_int_equal(s.series.rated[2], 1);
	assert_int_equal(s.series.good[2], 1);
	stats_free(&s);

	o.since = T0 + 2 * D;	/* a Wednesday */
	o.until = T0 + 90 * D;
	compute(st, &o, &s);
	assert_string_equal(s.series.unit, "week");
	assert_int_equal(s.series.start[1], T0 + 7 * D);	/* next Monday */
	assert_int_equal(s.series.start[s.series.n], T0 + 90 * D);
	assert_int_equal(s.series.created[0], 3);
	stats_free(&s);

	o.until = T0 + 800 * D;
	compute(st, &o, &s);
	assert_string_equal(s.series.unit, "month");
	assert_int_equal(s.series.start[1], INT64_C(1782864000));	/* 1 July 2026 */
	stats_free(&s);
	store_close(&st);
}

/* Many tickets over queues and agents: the one-sort walk gives each group
 * what a sort of that group's own values gives. */
static int
cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static void
percentiles_per_group(void **state)
{
	static const char *const qn[] = { "general", "billing", "sales" };
	static const char *const an[] = { "alice@example.com", "bob@example.com",
		"carol@example.com", "dan@example.com" };
	enum { N = 997 };
	int64_t *vals[3][4], all[N];
	size_t nv[3][4] = { { 0 } }, nq[3] = { 0 };
	int64_t *byq[3];
	struct store *st = open_mem();
	struct stats_options o = { .now = T0 + 400 * D };
	struct stats s;
	unsigned seed = 7;

	(void)state;
	for (int q = 0; q < 3; q++) {
		byq[q] = calloc(N, sizeof(int64_t));
		for (int a = 0; a < 4; a++)
			vals[q][a] = calloc(N, sizeof(int64_t));
	}
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < N; i++) {
		int q, a;
		int64_t d, t;

		seed = seed * 1103515245u + 12345u;
		q = (int)(seed >> 16) % 3;
		a = (int)(seed >> 8) % 4;
		d = (int64_t)(seed % 100000u);
		t = ticket(st, qn[q], "pending", an[a], T0 + i * 60);
		event(st, t, T0 + i * 60 + d, "replied", an[a], NULL);
		vals[q][a][nv[q][a]++] = d;
		byq[q][nq[q]++] = d;
		all[i] = d;
	}
	assert_int_equal(store_commit(st), 0);
	compute(st, &o, &s);
	qsort(all, N, sizeof(int64_t), cmp64);
	assert_int_equal(s.all.first_response.median_cal, all[stats_rank(N, 50) - 1]);
	assert_int_equal(s.all.first_response.p90_biz, all[stats_rank(N, 90) - 1]);
	for (int q = 0; q < 3; q++) {
		const struct stats_figures *f = named(s.queues, s.nqueues, qn[q]);

		qsort(byq[q], nq[q], sizeof(int64_t), cmp64);
		assert_int_equal(f->first_response.count, nq[q]);
		assert_int_equal(f->first_response.median_biz, byq[q][stats_rank(nq[q], 50) - 1]);
		assert_int_equal(f->first_response.p90_cal, byq[q][stats_rank(nq[q], 90) - 1]);
	}
	for (int a = 0; a < 4; a++) {
		const struct stats_figures *f = named(s.agents, s.nagents, an[a]);
		int64_t mine[N];
		size_t n = 0;

		for (int q = 0; q < 3; q++)
			for (size_t k = 0; k < nv[q][a]; k++)
				mine[n++] = vals[q][a][k];
		qsort(mine, n, sizeof(int64_t), cmp64);
		assert_int_equal(f->first_response.count, n);
		assert_int_equal(f->first_response.median_cal, mine[stats_rank(n, 50) - 1]);
		assert_int_equal(f->first_response.p90_biz, mine[stats_rank(n, 90) - 1]);
	}
	stats_free(&s);
	store_close(&st);
	for (int q = 0; q < 3; q++) {
		free(byq[q]);
		for (int a = 0; a < 4; a++)
			free(vals[q][a]);
	}
}

/* The walk with a start: only the tickets that can count, each with all
 * its events of the asked types (the earlier ones too). */
struct seen {
	int64_t id[16];
	size_t nevents[16];
	size_t n;
};

static int
collect(const struct store_stats_ticket *t, void *ctx)
{
	struct seen *s = ctx;

	s->id[s->n] = t->id;
	s->nevents[s->n++] = t->nevents;
	return 0;
}

static void
walk_since(void **state)
{
	static const char *const types[] = { "replied", "rating" };
	struct store *st = open_mem();
	struct seen s = { .n = 0 };
	int64_t since = T0 + 10 * D, a, b, c, d, e;

	(void)state;
	a = ticket(st, "general", "closed", NULL, T0);		/* all before: no */
	event(st, a, T0 + H, "replied", "bob@example.com", NULL);
	b = ticket(st, "general", "open", NULL, T0);		/* waiting: yes */
	c = ticket(st, "billing", "closed", NULL, T0);		/* rated since: yes */
	event(st, c, T0 + H, "replied", "bob@example.com", NULL);
	event(st, c, since, "rating", "c@example.net", "5");
	d = ticket(st, "general", "closed", NULL, since + H);	/* created since: yes */
	e = ticket(st, "general", "closed", NULL, T0);		/* not an asked type: no */
	event(st, e, since + H, "message", "c@example.net", "customer");
	assert_int_equal(store_stats_each(st, NULL, since, types, 2, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.id[0], b);
	assert_int_equal(s.id[1], c);
	assert_int_equal(s.nevents[1], 2);
	assert_int_equal(s.id[2], d);
	s.n = 0;
	assert_int_equal(store_stats_each(st, "billing", since, types, 2, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.id[0], c);
	s.n = 0;
	assert_int_equal(store_stats_each(st, NULL, 0, types, 2, collect, &s), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.id[0], a);
	assert_int_equal(s.nevents[0], 1);
	assert_int_equal(s.nevents[4], 0);
	store_close(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranks),
		cmocka_unit_test(resolving_and_reopening),
		cmocka_unit_test(spam_and_unanswered),
		cmocka_unit_test(queue_filter),
		cmocka_unit_test(ratings),
		cmocka_unit_test(series),
		cmocka_unit_test(percentiles_per_group),
		cmocka_unit_test(walk_since),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
