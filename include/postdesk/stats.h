/* stats.h: the service figures of "postdesk stats" and "report".
 *
 * Computed from the tickets and their events (store_stats.h) in one pass,
 * for everything, per queue and per agent. Every figure's definition is in
 * README ("Numbers"); in short, for the period [since, until):
 *   created       tickets created in the period
 *   resolved      tickets that became resolved or closed in the period
 *   backlog       tickets new, open or pending now (not the period's)
 *   first response, resolution: median and 90th percentile (nearest rank)
 *                 of the times to the first agent reply (replied in the
 *                 period) and to resolution (resolved in the period), in
 *                 business and in calendar seconds
 *   fcr, reopen   of the tickets resolved in the period
 *   sla           of the tickets created in the period whose queue has a
 *                 target and whose outcome is known
 *   csat          of the tickets rated in the period; survey response of
 *                 the tickets surveyed in the period
 * Spam tickets (a "spam" event) are left out of everything.
 *
 * Memory: one 16-byte entry per timed ticket for each of the two duration
 * figures (sorted for exact percentiles), the rest is counters. */
#ifndef POSTDESK_STATS_H
#define POSTDESK_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_config;
struct store;

enum stats_status { STATS_NEW, STATS_OPEN, STATS_PENDING, STATS_NSTATUS };

/* Backlog age (now - created): < 1 day, 1-3, 3-7, 7-30 days, 30 days + */
#define STATS_NAGE 5
extern const int64_t stats_age_limits[STATS_NAGE - 1];
extern const char *const stats_age_names[STATS_NAGE];	/* "0-1d" ... "30d+" */

/* First-response histogram (business time): bucket i holds durations
 * below stats_frt_limits[i] (and at or above the one before); the last
 * one everything longer. */
#define STATS_NFRT 9
extern const int64_t stats_frt_limits[STATS_NFRT - 1];
extern const char *const stats_frt_names[STATS_NFRT];	/* "<15m" ... "3d+" */

/* A median and 90th percentile, business and calendar seconds. */
struct stats_time {
	int64_t count;		/* 0: the rest is meaningless */
	int64_t sum_biz, sum_cal;
	int64_t median_biz, p90_biz;
	int64_t median_cal, p90_cal;
};

/* A share: num of den (den 0: no figure). */
struct stats_ratio {
	int64_t num, den;
};

struct stats_figures {
	char *name;		/* queue or agent address; NULL for "all" (owned) */
	int64_t created;
	int64_t resolved;
	int64_t backlog[STATS_NSTATUS][STATS_NAGE];	/* now, by status and age */
	struct stats_time first_response;
	struct stats_time resolution;
	int64_t frt_hist[STATS_NFRT];
	struct stats_ratio fcr;		/* one agent reply / resolved with any */
	struct stats_ratio reopen;	/* reopened / resolved */
	struct stats_ratio sla_first_response;	/* met / met + missed */
	struct stats_ratio sla_resolution;
	struct stats_ratio csat;	/* rated 4-5 / rated */
	struct stats_ratio survey;	/* surveyed that answered / surveyed */
};

/* The report's time series (the whole period, the queue filter applied):
 * bucket i is [start[i], start[i + 1]); local days for a period of up to
 * 62 days, weeks (from Monday) up to 104 weeks, else months. The first
 * bucket starts at since, the last ends at until. */
struct stats_series {
	const char *unit;	/* "day", "week", "month" */
	size_t n;
	int64_t *start;		/* n + 1 entries */
	int64_t *created, *resolved;
	int64_t *rated, *good;	/* ratings, and those of 4-5 */
};

struct stats_options {
	int64_t since;		/* 0: from the beginning */
	int64_t until;		/* exclusive; 0: now */
	int64_t now;		/* the backlog's "now" and the SLA's "by now" */
	const char *queue;	/* NULL: every queue */
	bool series;		/* fill series (needs since) */
};

struct stats {
	int64_t since, until, now;
	struct stats_figures all;
	struct stats_figures *queues;	/* by name */
	size_t nqueues;
	struct stats_figures *agents;	/* by address */
	size_t nagents;
	struct stats_series series;	/* n 0 without options.series */
};

/* Compute everything; the queues and agents of cfg are listed even when
 * they have no tickets. Returns 0 and fills *s (stats_free() it), or -1
 * with *error_r (caller frees). */
int stats_compute(struct store *st, const struct pd_config *cfg,
    const struct stats_options *o, struct stats *s, char **error_r);
void stats_free(struct stats *s);

/* Percentile by nearest rank of n sorted values: the 1-based rank
 * ceil(p * n / 100), e.g. the median of 4 values is the 2nd. */
size_t stats_rank(size_t n, unsigned p);

/* ratio as a fraction, or NaN when den is 0 */
double stats_ratio_value(struct stats_ratio r);

#endif
