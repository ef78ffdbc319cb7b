/* stats.c: see stats.h; the definitions are in README ("Numbers").
 *
 * One walk over every ticket with its events (store_stats_each). Each
 * ticket's events are read into a few facts (when it was first answered,
 * when it became solved, was it ever reopened, its rating), and the facts
 * are added to three sets of figures: everything, its queue, its agent.
 * Counters are added at once; durations go into one array per figure and
 * are sorted at the end for exact percentiles. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postdesk/bizhours.h"
#include "postdesk/config.h"
#include "postdesk/stats.h"
#include "postdesk/store.h"
#include "postdesk/store_stats.h"
#include "postdesk/xalloc.h"

const int64_t stats_age_limits[STATS_NAGE - 1] = { 86400, 3 * 86400, 7 * 86400, 30 * 86400 };
const char *const stats_age_names[STATS_NAGE] = { "0-1d", "1-3d", "3-7d", "7-30d", "30d+" };

const int64_t stats_frt_limits[STATS_NFRT - 1] = { 15 * 60, 30 * 60, 3600, 2 * 3600,
	4 * 3600, 8 * 3600, 86400, 3 * 86400 };
const char *const stats_frt_names[STATS_NFRT] = { "<15m", "15-30m", "30m-1h", "1-2h",
	"2-4h", "4-8h", "8h-1d", "1-3d", "3d+" };

/* The event types the figures read. */
static const char *const event_types[] = {
	"replied",		/* an agent's answer went to the customer */
	"resolve", "close",	/* agent commands */
	"autoclosed",		/* a pending ticket closed by the timers */
	"reopened",		/* a customer wrote to a resolved or closed ticket */
	"not-solved",		/* the survey's answer: not solved */
	"open", "pending",	/* agent commands (a reopening when solved) */
	"spam",
	"survey-sent", "rating",
};

size_t
stats_rank(size_t n, unsigned p)
{
	return (n * p + 99) / 100;
}

double
stats_ratio_value(struct stats_ratio r)
{
	return r.den > 0 ? (double)r.num / (double)r.den : NAN;
}

/* --- groups: figures by name ------------------------------------------------ */

#define NONE UINT32_MAX

struct groups {
	struct stats_figures *v;
	size_t n, cap;
	uint32_t *slot;		/* open addressing: index + 1, 0 empty */
	size_t nslot;		/* a power of two, at least 2 n */
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void
groups_rehash(struct groups *g)
{
	free(g->slot);
	g->nslot = g->nslot ? g->nslot * 2 : 64;
	g->slot = xcalloc(g->nslot, sizeof(*g->slot));
	for (size_t i = 0; i < g->n; i++) {
		size_t j = hash(g->v[i].name) & (g->nslot - 1);

		while (g->slot[j] != 0)
			j = (j + 1) & (g->nslot - 1);
		g->slot[j] = (uint32_t)i + 1;
	}
}

/* The index of name's figures, made when new. */
static uint32_t
group(struct groups *g, const char *name)
{
	size_t j;

	if (g->nslot == 0)
		groups_rehash(g);
	for (j = hash(name) & (g->nslot - 1); g->slot[j] != 0; j = (j + 1) & (g->nslot - 1))
		if (strcmp(g->v[g->slot[j] - 1].name, name) == 0)
			return g->slot[j] - 1;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	memset(&g->v[g->n], 0, sizeof(g->v[g->n]));
	g->v[g->n].name = xstrdup(name);
	g->slot[j] = (uint32_t)g->n + 1;
	g->n++;
	if (2 * g->n > g->nslot)
		groups_rehash(g);
	return (uint32_t)g->n - 1;
}

/* --- one ticket's facts ------------------------------------------------------- */

struct facts {
	bool spam;
	int64_t first_reply;		/* 0: never answered */
	const char *first_replier;
	int64_t first_solve;		/* the first time it became solved; 0 never */
	int64_t solve_in;		/* the last time it became solved in the period */
	int64_t replies_to_solve;	/* agent replies up to solve_in */
	bool reopened;			/* ever */
	int rating;			/* the last rating in the period; 0 none */
	int64_t rated_at;
	bool surveyed;			/* a survey went out in the period */
	bool answered;			/* and a rating came after it */
};

static bool
in_period(const struct stats_options *o, int64_t t)
{
	return t >= o->since && t < o->until;
}

static bool
is(const struct store_stats_event *e, const char *type)
{
	return strcmp(e->type, type) == 0;
}

static void
read_facts(const struct store_stats_ticket *t, const struct stats_options *o,
    struct facts *f)
{
	int64_t survey_at = 0;
	bool solved = false;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < t->nevents; i++) {
		const struct store_stats_event *e = &t->events[i];

		if (is(e, "spam"))
			f->spam = true;
		else if (is(e, "replied")) {
			if (f->first_reply == 0) {
				f->first_reply = e->at;
				f->first_replier = e->actor;
			}
		} else if (is(e, "resolve") || is(e, "close") || is(e, "autoclosed")) {
			/* only a change from unsolved counts: #close after
			 * #resolve does not stretch the resolution time */
			if (!solved) {
				if (f->first_solve == 0)
					f->first_solve = e->at;
				if (in_period(o, e->at))
					f->solve_in = e->at;
			}
			solved = true;
		} else if (is(e, "reopened") || is(e, "not-solved") ||
		    (solved && (is(e, "open") || is(e, "pending")))) {
			f->reopened = true;
			solved = false;
		} else if (is(e, "survey-sent")) {
			if (in_period(o, e->at) && survey_at == 0) {
				survey_at = e->at;
				f->surveyed = true;
			}
		} else if (is(e, "rating")) {
			const char *d = e->detail;

			if (survey_at != 0 && e->at >= survey_at)
				f->answered = true;
			if (in_period(o, e->at) && d && d[0] >= '1' && d[0] <= '5' && !d[1]) {
				f->rating = d[0] - '0';
				f->rated_at = e->at;
			}
		}
	}
	/* The reply that goes with a #resolve is recorded after it, at the
	 * same second: count every reply up to and including that second. */
	if (f->solve_in != 0)
		for (size_t i = 0; i < t->nevents && t->events[i].at <= f->solve_in; i++)
			if (is(&t->events[i], "replied"))
				f->replies_to_solve++;
}

/* --- the computation ------------------------------------------------------------ */

/* One duration of one ticket, for the percentiles. */
struct entry {
	uint32_t biz, cal;
	uint32_t q, a;		/* queue and agent group (NONE: no agent) */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

struct calc {
	const struct stats_options *o;
	const struct pd_config *cfg;
	struct stats_figures all;
	struct groups queues, agents;
	struct entries frt, res;
	struct stats_series *series;
	struct bizhours_cal *cal;	/* business time, day by day once */
};

static uint32_t
clamp32(int64_t v)
{
	return v < 0 ? 0 : v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void
entry_add(struct entries *es, int64_t biz, int64_t cal, uint32_t q, uint32_t a)
{
	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 1024;
		es->v = xrealloc(es->v, es->cap * sizeof(*es->v));
	}
	es->v[es->n++] = (struct entry){ clamp32(biz), clamp32(cal), q, a };
}

static const struct pd_sla *
sla_of(const struct pd_config *cfg, const char *queue)
{
	for (size_t i = 0; i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, queue) == 0)
			return &cfg->queues[i].sla;
	return NULL;
}

static int
age_bucket(int64_t age)
{
	int i = 0;

	while (i < STATS_NAGE - 1 && age >= stats_age_limits[i])
		i++;
	return i;
}

static int
frt_bucket(int64_t d)
{
	int i = 0;

	while (i < STATS_NFRT - 1 && d >= stats_frt_limits[i])
		i++;
	return i;
}

/* An SLA target's outcome: 1 met, -1 missed, 0 not known yet (or none).
 * done is when the promise was kept (0: not yet); a ticket solved before
 * its first answer was due, without one, needed none. */
static int
sla_outcome(struct bizhours_cal *cal, int64_t target, int64_t created,
    int64_t done, int64_t solved, int64_t now)
{
	if (target <= 0)
		return 0;
	if (done != 0)
		return bizhours_cal_between(cal, created, done) <= target ? 1 : -1;
	return bizhours_cal_between(cal, created, solved ? solved : now) > target ? -1 : 0;
}

static void
ratio_add(struct stats_ratio *r, int outcome)
{
	if (outcome != 0) {
		r->den++;
		r->num += outcome > 0;
	}
}

/* What the facts of one ticket add to one set of figures; times are
 * business and calendar seconds (-1: not timed). */
struct adds {
	bool created, resolved;
	int status, age;	/* status -1: not in the backlog */
	int64_t frt_biz, frt_cal, res_biz, res_cal;
	int fcr, reopen, sla_fr, sla_res;	/* -1, 0 (no figure), 1 */
	int csat, survey;
};

static void
figures_add(struct stats_figures *g, const struct adds *a)
{
	g->created += a->created;
	g->resolved += a->resolved;
	if (a->status >= 0)
		g->backlog[a->status][a->age]++;
	if (a->frt_biz >= 0) {
		g->first_response.count++;
		g->first_response.sum_biz += a->frt_biz;
		g->first_response.sum_cal += a->frt_cal;
		g->frt_hist[frt_bucket(a->frt_biz)]++;
	}
	if (a->res_biz >= 0) {
		g->resolution.count++;
		g->resolution.sum_biz += a->res_biz;
		g->resolution.sum_cal += a->res_cal;
	}
	ratio_add(&g->fcr, a->fcr);
	ratio_add(&g->reopen, a->reopen);
	ratio_add(&g->sla_first_response, a->sla_fr);
	ratio_add(&g->sla_resolution, a->sla_res);
	ratio_add(&g->csat, a->csat);
	ratio_add(&g->survey, a->survey);
}

static int
status_index(const char *s)
{
	if (strcmp(s, "new") == 0)
		return STATS_NEW;
	if (strcmp(s, "open") == 0)
		return STATS_OPEN;
	if (strcmp(s, "pending") == 0)
		return STATS_PENDING;
	return -1;
}

static void
facts_to_adds(struct calc *c, const struct store_stats_ticket *t,
    const struct facts *f, struct adds *a)
{
	const struct stats_options *o = c->o;
	const struct pd_sla *sla = sla_of(c->cfg, t->queue);
	bool cohort = in_period(o, t->created_at);

	memset(a, 0, sizeof(*a));
	a->created = cohort;
	a->resolved = f->solve_in != 0;
	a->status = status_index(t->status);
	a->age = age_bucket(o->now - t->created_at);
	a->frt_biz = a->frt_cal = a->res_biz = a->res_cal = -1;
	if (f->first_reply != 0 && in_period(o, f->first_reply)) {
		a->frt_biz = bizhours_cal_between(c->cal, t->created_at, f->first_reply);
		a->frt_cal = f->first_reply > t->created_at ? f->first_reply - t->created_at : 0;
	}
	if (f->solve_in != 0) {
		a->res_biz = bizhours_cal_between(c->cal, t->created_at, f->solve_in);
		a->res_cal = f->solve_in > t->created_at ? f->solve_in - t->created_at : 0;
		if (f->replies_to_solve > 0)
			a->fcr = f->replies_to_solve == 1 ? 1 : -1;
		a->reopen = f->reopened ? 1 : -1;
	}
	if (cohort && sla != NULL) {
		a->sla_fr = sla_outcome(c->cal, sla->first_response, t->created_at, f->first_reply,
		    f->first_solve, o->now);
		a->sla_res = sla_outcome(c->cal, sla->resolution, t->created_at, f->first_solve, 0,
		    o->now);
	}
	if (f->rating != 0)
		a->csat = f->rating >= 4 ? 1 : -1;
	if (f->surveyed)
		a->survey = f->answered ? 1 : -1;
}

/* The bucket of t in the series, or -1. */
static long
bucket(const struct stats_series *s, int64_t t)
{
	size_t lo = 0, hi = s->n;

	if (s->n == 0 || t < s->start[0] || t >= s->start[s->n])
		return -1;
	while (hi - lo > 1) {	/* start[lo] <= t < start[hi] */
		size_t mid = (lo + hi) / 2;

		if (s->start[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo;
}

static void
series_add(struct stats_series *s, const struct store_stats_ticket *t, const struct facts *f)
{
	long b;

	if ((b = bucket(s, t->created_at)) >= 0)
		s->created[b]++;
	if (f->solve_in != 0 && (b = bucket(s, f->solve_in)) >= 0)
		s->resolved[b]++;
	if (f->rating != 0 && (b = bucket(s, f->rated_at)) >= 0) {
		s->rated[b]++;
		s->good[b] += f->rating >= 4;
	}
}

static int
one_ticket(const struct store_stats_ticket *t, void *ctx)
{
	struct calc *c = ctx;
	struct facts f;
	struct adds a;
	const char *agent;
	uint32_t q, ag = NONE;

	read_facts(t, c->o, &f);
	if (f.spam)
		return 0;
	facts_to_adds(c, t, &f, &a);
	q = group(&c->queues, t->queue ? t->queue : "");
	/* the ticket's agent: its assignee, else who answered it first */
	agent = t->assignee ? t->assignee : f.first_replier;
	if (agent != NULL)
		ag = group(&c->agents, agent);
	figures_add(&c->all, &a);
	figures_add(&c->queues.v[q], &a);
	if (ag != NONE)
		figures_add(&c->agents.v[ag], &a);
	if (a.frt_biz >= 0)
		entry_add(&c->frt, a.frt_biz, a.frt_cal, q, ag);
	if (a.res_biz >= 0)
		entry_add(&c->res, a.res_biz, a.res_cal, q, ag);
	if (c->series != NULL)
		series_add(c->series, t, &f);
	return 0;
}

/* --- percentiles ----------------------------------------------------------------- */

static int
by_biz(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return (a->biz > b->biz) - (a->biz < b->biz);
}

static int
by_cal(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	return (a->cal > b->cal) - (a->cal < b->cal);
}

/* Set the median and p90 of g's time when rank is one of theirs. */
static void
rank_seen(struct stats_time *tm, size_t rank, uint32_t v, bool biz)
{
	size_t n = (size_t)tm->count;

	if (rank == stats_rank(n, 50))
		*(biz ? &tm->median_biz : &tm->median_cal) = v;
	if (rank == stats_rank(n, 90))
		*(biz ? &tm->p90_biz : &tm->p90_cal) = v;
}

/* One sort, then one walk that counts each group's rank as it goes: every
 * group's percentiles from the same sorted array. */
static void
percentiles(struct calc *c, struct entries *es, bool res, bool biz)
{
	size_t *seen_q, *seen_a, seen = 0;

	if (es->n == 0)
		return;
	seen_q = xcalloc(c->queues.n + 1, sizeof(size_t));
	seen_a = xcalloc(c->agents.n + 1, sizeof(size_t));
#define TIME(g) (res ? &(g)->resolution : &(g)->first_response)
	qsort(es->v, es->n, sizeof(*es->v), biz ? by_biz : by_cal);
	for (size_t i = 0; i < es->n; i++) {
		const struct entry *e = &es->v[i];
		uint32_t v = biz ? e->biz : e->cal;

		rank_seen(TIME(&c->all), ++seen, v, biz);
		rank_seen(TIME(&c->queues.v[e->q]), ++seen_q[e->q], v, biz);
		if (e->a != NONE)
			rank_seen(TIME(&c->agents.v[e->a]), ++seen_a[e->a], v, biz);
	}
#undef TIME
	free(seen_q);
	free(seen_a);
}

/* --- series buckets ------------------------------------------------------------------ */

/* Local days, weeks from Monday, or months, from since to until; the zone
 * is held (bizhours_hold), so localtime is the configured one. */
static void
series_init(struct stats_series *s, int64_t since, int64_t until)
{
	int64_t days = (until - since) / 86400;
	size_t cap = 16;
	time_t tt = (time_t)since;
	struct tm d;

	s->unit = days <= 62 ? "day" : days <= 104 * 7 ? "week" : "month";
	s->start = xmalloc(cap * sizeof(*s->start));
	s->start[0] = since;
	s->n = 0;
	localtime_r(&tt, &d);
	d.tm_hour = d.tm_min = d.tm_sec = 0;
	if (s->unit[0] == 'w')
		d.tm_mday -= (d.tm_wday + 6) % 7;	/* back to Monday */
	else if (s->unit[0] == 'm')
		d.tm_mday = 1;
	for (;;) {
		int64_t next;

		if (s->unit[0] == 'd')
			d.tm_mday++;
		else if (s->unit[0] == 'w')
			d.tm_mday += 7;
		else
			d.tm_mon++;
		d.tm_isdst = -1;
		next = (int64_t)mktime(&d);
		if (s->n + 2 >= cap)
			s->start = xrealloc(s->start, (cap *= 2) * sizeof(*s->start));
		s->start[++s->n] = next < until ? next : until;
		if (next >= until)
			break;
	}
	s->created = xcalloc(s->n, sizeof(int64_t));
	s->resolved = xcalloc(s->n, sizeof(int64_t));
	s->rated = xcalloc(s->n, sizeof(int64_t));
	s->good = xcalloc(s->n, sizeof(int64_t));
}

/* --- the whole ----------------------------------------------------------------------- */

static int
by_name(const void *x, const void *y)
{
	const struct stats_figures *a = x, *b = y;

	return strcmp(a->name, b->name);
}

static bool
agent_in_queue(const struct pd_agent *ag, const char *queue)
{
	if (queue == NULL || ag->queues == NULL)
		return true;
	for (size_t i = 0; i < ag->nqueues; i++)
		if (strcmp(ag->queues[i], queue) == 0)
			return true;
	return false;
}

int
stats_compute(struct store *st, const struct pd_config *cfg,
    const struct stats_options *opt, struct stats *s, char **error_r)
{
	struct stats_options o = *opt;
	struct calc c = { .o = &o, .cfg = cfg };
	int rc;

	memset(s, 0, sizeof(*s));
	if (o.until == 0)
		o.until = o.now;
	/* the configured queues and agents appear even without tickets */
	for (size_t i = 0; i < cfg->nqueues; i++)
		if (o.queue == NULL || strcmp(o.queue, cfg->queues[i].name) == 0)
			(void)group(&c.queues, cfg->queues[i].name);
	for (size_t i = 0; i < cfg->nagents; i++)
		if (agent_in_queue(&cfg->agents[i], o.queue))
			(void)group(&c.agents, cfg->agents[i].email);
	/* one zone switch for the whole walk, not two per duration */
	bizhours_hold(&cfg->hours);
	c.cal = bizhours_cal_new(&cfg->hours);
	if (o.series && o.since > 0 && o.until > o.since) {
		series_init(&s->series, o.since, o.until);
		c.series = &s->series;
	}
	rc = store_stats_each(st, o.queue, o.since, event_types,
	    sizeof(event_types) / sizeof(event_types[0]), one_ticket, &c);
	if (rc == 0) {
		percentiles(&c, &c.frt, false, true);
		percentiles(&c, &c.frt, false, false);
		percentiles(&c, &c.res, true, true);
		percentiles(&c, &c.res, true, false);
	}
	bizhours_cal_free(&c.cal);
	bizhours_release();
	free(c.frt.v);
	free(c.res.v);
	free(c.queues.slot);
	free(c.agents.slot);
	s->since = o.since;
	s->until = o.until;
	s->now = o.now;
	s->all = c.all;
	s->queues = c.queues.v;
	s->nqueues = c.queues.n;
	s->agents = c.agents.v;
	s->nagents = c.agents.n;
	if (rc != 0) {
		*error_r = xstrdup(store_error(st));
		stats_free(s);
		return -1;
	}
	if (s->nqueues > 0)
		qsort(s->queues, s->nqueues, sizeof(*s->queues), by_name);
	if (s->nagents > 0)
		qsort(s->agents, s->nagents, sizeof(*s->agents), by_name);
	return 0;
}

void
stats_free(struct stats *s)
{
	for (size_t i = 0; i < s->nqueues; i++)
		free(s->queues[i].name);
	for (size_t i = 0; i < s->nagents; i++)
		free(s->agents[i].name);
	free(s->queues);
	free(s->agents);
	free(s->series.start);
	free(s->series.created);
	free(s->series.resolved);
	free(s->series.rated);
	free(s->series.good);
	memset(s, 0, sizeof(*s));
}
