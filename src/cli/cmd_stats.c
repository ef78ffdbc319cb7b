/* cmd_stats.c: postdesk stats [--since DATE] [--until DATE] [--queue Q]
 *                             [--json | --prometheus]
 *
 * The figures of src/stats as a readable table, one JSON document, or the
 * Prometheus text format for node_exporter's textfile collector. Also the
 * part "report" shares: the period options and the computation. The
 * definitions of the figures are in README ("Numbers"). */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "postdesk/bizhours.h"
#include "postdesk/config.h"
#include "postdesk/json.h"
#include "postdesk/stats.h"
#include "postdesk/store.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

/* --- the period and the computation (shared with report) --------------------- */

/* "7d", "12h", "2w": a duration with its unit, counted back from now. */
static bool
parse_ago(const char *s, int64_t now, int64_t *t_r)
{
	int64_t secs;
	size_t len = strlen(s);

	if (len < 2 || !isalpha((unsigned char)s[len - 1]) ||
	    config_parse_duration(s, &secs) < 0)
		return false;
	*t_r = now - secs;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : days[m - 1];
}

int
cli_parse_date(const char *s, const struct pd_business_hours *bh, int64_t now,
    bool until, int64_t *t_r)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, m = 0;
	const char *rest;
	bool utc = false, date_only;

	if (strcmp(s, "now") == 0) {
		*t_r = now;
		return 0;
	}
	if (parse_ago(s, now, t_r))
		return 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	rest = s + n;
	date_only = *rest == '\0';
	if (!date_only) {
		if ((*rest != 'T' && *rest != ' ') ||
		    sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
			return -1;
		rest += 1 + m;
		if (*rest == ':') {
			if (sscanf(rest + 1, "%2d%n", &sec, &m) != 1 || m != 2)
				return -1;
			rest += 3;
		}
		if (*rest == 'Z') {
			utc = true;
			rest++;
		}
		if (*rest != '\0')
			return -1;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	/* a day alone in --until means up to the end of that day */
	if (date_only && until)
		d++;
	if (utc) {
		struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = sec };

		*t_r = (int64_t)timegm(&tm);
	} else
		*t_r = bizhours_local(bh, y, mo, d, h, mi, sec);
	return 0;
}

int
cli_stats_compute(struct cli *cli, const struct cli_command *cmd,
    const struct cli_period *p, bool series, struct pd_config **cfg_r,
    struct stats *s)
{
	struct stats_options o = { .now = (int64_t)time(NULL), .queue = p->queue,
		.series = series };
	struct store *st = NULL;
	char *err = NULL;
	int rc = EX_OK;

	if (cli_load_config(cli, cfg_r) < 0)
		return EX_CONFIG;
	o.until = o.now;
	if (p->since != NULL &&
	    cli_parse_date(p->since, &(*cfg_r)->hours, o.now, false, &o.since) < 0)
		rc = cli_usage_error(cmd, "--since '%s': a date (2024-05-01, "
		    "2024-05-01T09:00[:00][Z]), now, or a time ago (7d, 12h)", p->since);
	else if (p->until != NULL &&
	    cli_parse_date(p->until, &(*cfg_r)->hours, o.now, true, &o.until) < 0)
		rc = cli_usage_error(cmd, "--until '%s': a date (2024-05-31, "
		    "2024-05-31T18:00[:00][Z]), now, or a time ago (7d, 12h)", p->until);
	else if (series && o.since == 0)	/* the report: 30 days to until */
		o.since = bizhours_midnight(&(*cfg_r)->hours, o.until - 1, -29);
	if (rc == EX_OK && o.since >= o.until)
		rc = cli_usage_error(cmd, "--since must be before --until");
	if (rc == EX_OK)
		rc = cli_open_store_of(*cfg_r, cmd->name, &st);
	if (rc == EX_OK && stats_compute(st, *cfg_r, &o, s, &err) < 0) {
		fprintf(stderr, "postdesk: %s: %s\n", cmd->name, err);
		rc = store_error_temporary(st) ? EX_TEMPFAIL : EX_SOFTWARE;
		free(err);
	}
	store_close(&st);
	if (rc != EX_OK)
		config_free(cfg_r);
	return rc;
}

void
cli_local_time(const struct pd_business_hours *bh, int64_t t, char buf[48])
{
	time_t tt = (time_t)t;
	struct tm tm;

	bizhours_hold(bh);
	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 48, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, 48, "%" PRId64, t);
	bizhours_release();
}

void
cli_duration(int64_t s, bool hours, char buf[24])
{
	if (s < 60)
		snprintf(buf, 24, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, 24, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400 || hours)
		snprintf(buf, 24, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, 24, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

/* --- readable text ------------------------------------------------------------------ */

/* One row of every table: its label and its figures. */
struct row {
	const char *kind;	/* "all", "queue", "agent" */
	const struct stats_figures *f;
};

struct rows {
	struct row *v;
	size_t n;
	size_t width;		/* of the label column */
};

#define LABEL_MAX 40

static void
rows_make(const struct stats *s, struct rows *r)
{
	r->v = xcalloc(1 + s->nqueues + s->nagents, sizeof(*r->v));
	r->n = 0;
	r->width = 3;
	r->v[r->n++] = (struct row){ "all", &s->all };
	for (size_t i = 0; i < s->nqueues; i++)
		r->v[r->n++] = (struct row){ "queue", &s->queues[i] };
	for (size_t i = 0; i < s->nagents; i++)
		r->v[r->n++] = (struct row){ "agent", &s->agents[i] };
	for (size_t i = 1; i < r->n; i++) {
		size_t w = 6 + strlen(r->v[i].f->name);	/* bytes >= columns */

		if (w > r->width)
			r->width = w > LABEL_MAX ? LABEL_MAX : w;
	}
}

static void
put_label(const struct rows *r, const struct row *row)
{
	if (row->f->name == NULL) {
		printf("%-*s", (int)r->width, "all");
		return;
	}
	printf("%s ", row->kind);
	cli_put_cell(row->f->name, r->width - strlen(row->kind) - 1, true);
}

static int64_t
sum(const int64_t *v, size_t n)
{
	int64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += v[i];
	return t;
}

static void
text_tickets(const struct rows *r)
{
	printf("\nTickets (backlog: now, by status and by age)\n%-*s %8s %8s %8s %5s %5s %7s",
	    (int)r->width, "", "CREATED", "RESOLVED", "BACKLOG", "NEW", "OPEN", "PENDING");
	for (int a = 0; a < STATS_NAGE; a++)
		printf(" %5s", stats_age_names[a]);
	putchar('\n');
	for (size_t i = 0; i < r->n; i++) {
		const struct stats_figures *f = r->v[i].f;
		int64_t st[STATS_NSTATUS], age[STATS_NAGE] = { 0 };

		for (int k = 0; k < STATS_NSTATUS; k++) {
			st[k] = sum(f->backlog[k], STATS_NAGE);
			for (int a = 0; a < STATS_NAGE; a++)
				age[a] += f->backlog[k][a];
		}
		put_label(r, &r->v[i]);
		printf(" %8" PRId64 " %8" PRId64 " %8" PRId64 " %5" PRId64 " %5" PRId64
		    " %7" PRId64, f->created, f->resolved, sum(st, STATS_NSTATUS),
		    st[STATS_NEW], st[STATS_OPEN], st[STATS_PENDING]);
		for (int a = 0; a < STATS_NAGE; a++)
			printf(" %5" PRId64, age[a]);
		putchar('\n');
	}
}

static void
put_dur(bool have, int64_t s, bool hours)
{
	char buf[24];

	if (!have)
		snprintf(buf, sizeof(buf), "-");
	else
		cli_duration(s, hours, buf);
	printf(" %8s", buf);
}

static void
text_times(const struct rows *r, bool res)
{
	printf("\n%s in the period: business hours | calendar time\n"
	    "%-*s %8s %8s %8s   %8s %8s\n",
	    res ? "Resolution time, tickets resolved" : "First response time, tickets answered",
	    (int)r->width, "", "TICKETS", "MEDIAN", "P90", "MEDIAN", "P90");
	for (size_t i = 0; i < r->n; i++) {
		const struct stats_time *t = res ? &r->v[i].f->resolution :
		    &r->v[i].f->first_response;

		put_label(r, &r->v[i]);
		printf(" %8" PRId64, t->count);
		put_dur(t->count > 0, t->median_biz, true);
		put_dur(t->count > 0, t->p90_biz, true);
		fputs(" |", stdout);
		put_dur(t->count > 0, t->median_cal, false);
		put_dur(t->count > 0, t->p90_cal, false);
		putchar('\n');
	}
}

/* "66.7% 2/3" in 14 columns, "-" when there is nothing to count. */
static void
put_ratio(struct stats_ratio q)
{
	char buf[48];

	if (q.den == 0)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%.1f%% %" PRId64 "/%" PRId64,
		    100.0 * (double)q.num / (double)q.den, q.num, q.den);
	printf(" %14s", buf);
}

static void
text_quality(const struct rows *r)
{
	printf("\nQuality (share, and of how many)\n%-*s %14s %14s %14s %14s %14s %14s\n",
	    (int)r->width, "", "1ST CONTACT", "REOPENED", "SLA 1ST RESP", "SLA RESOLVE",
	    "CSAT", "SURVEY ANSWER");
	for (size_t i = 0; i < r->n; i++) {
		const struct stats_figures *f = r->v[i].f;

		put_label(r, &r->v[i]);
		put_ratio(f->fcr);
		put_ratio(f->reopen);
		put_ratio(f->sla_first_response);
		put_ratio(f->sla_resolution);
		put_ratio(f->csat);
		put_ratio(f->survey);
		putchar('\n');
	}
}

static void
text_out(const struct pd_config *cfg, const struct stats *s)
{
	char a[48], b[48], now[48];
	struct rows r;

	cli_local_time(&cfg->hours, s->until, b);
	cli_local_time(&cfg->hours, s->now, now);
	if (s->since > 0) {
		cli_local_time(&cfg->hours, s->since, a);
		printf("Period: %s to %s\n", a, b);
	} else
		printf("Period: everything before %s\n", b);
	printf("Business hours: %s; backlog as of %s\n",
	    cfg->hours.timezone ? cfg->hours.timezone : "UTC", now);
	rows_make(s, &r);
	text_tickets(&r);
	text_times(&r, false);
	text_times(&r, true);
	text_quality(&r);
	free(r.v);
}

/* --- JSON ----------------------------------------------------------------------------- */

static void
json_ratio(struct json *j, const char *key, struct stats_ratio q, const char *num,
    const char *den)
{
	json_obj_begin(j, key);
	json_int(j, num, q.num);
	json_int(j, den, q.den);
	json_double(j, "rate", stats_ratio_value(q));
	json_obj_end(j);
}

static void
json_time(struct json *j, const char *key, const struct stats_time *t)
{
	json_obj_begin(j, key);
	json_int(j, "count", t->count);
	json_obj_begin(j, "business");
	if (t->count > 0) {
		json_int(j, "median", t->median_biz);
		json_int(j, "p90", t->p90_biz);
	} else {
		json_null(j, "median");
		json_null(j, "p90");
	}
	json_obj_end(j);
	json_obj_begin(j, "calendar");
	if (t->count > 0) {
		json_int(j, "median", t->median_cal);
		json_int(j, "p90", t->p90_cal);
	} else {
		json_null(j, "median");
		json_null(j, "p90");
	}
	json_obj_end(j);
	json_obj_end(j);
}

static void
json_figures(struct json *j, const char *key, const char *namekey,
    const struct stats_figures *f)
{
	static const char *const status[STATS_NSTATUS] = { "new", "open", "pending" };
	int64_t total = 0;

	json_obj_begin(j, key);
	if (namekey != NULL)
		json_str(j, namekey, f->name);
	json_int(j, "created", f->created);
	json_int(j, "resolved", f->resolved);
	for (int k = 0; k < STATS_NSTATUS; k++)
		total += sum(f->backlog[k], STATS_NAGE);
	json_obj_begin(j, "backlog");
	json_int(j, "total", total);
	for (int k = 0; k < STATS_NSTATUS; k++)
		json_int(j, status[k], sum(f->backlog[k], STATS_NAGE));
	json_obj_begin(j, "age");
	for (int a = 0; a < STATS_NAGE; a++) {
		int64_t n = 0;

		for (int k = 0; k < STATS_NSTATUS; k++)
			n += f->backlog[k][a];
		json_int(j, stats_age_names[a], n);
	}
	json_obj_end(j);
	json_obj_end(j);
	json_time(j, "first_response", &f->first_response);
	json_time(j, "resolution", &f->resolution);
	json_ratio(j, "first_contact_resolution", f->fcr, "one_reply", "resolved");
	json_ratio(j, "reopen", f->reopen, "reopened", "resolved");
	json_obj_begin(j, "sla");
	json_ratio(j, "first_response", f->sla_first_response, "met", "counted");
	json_ratio(j, "resolution", f->sla_resolution, "met", "counted");
	json_obj_end(j);
	json_ratio(j, "csat", f->csat, "good", "ratings");
	json_ratio(j, "survey_response", f->survey, "answered", "surveys");
	json_obj_end(j);
}

static void
json_out(const struct pd_config *cfg, const struct stats *s)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j, NULL);
	cli_json_time(&j, "since", s->since);
	cli_json_time(&j, "until", s->until);
	cli_json_time(&j, "now", s->now);
	json_str(&j, "timezone", cfg->hours.timezone ? cfg->hours.timezone : "UTC");
	json_figures(&j, "all", NULL, &s->all);
	json_arr_begin(&j, "queues");
	for (size_t i = 0; i < s->nqueues; i++)
		json_figures(&j, NULL, "queue", &s->queues[i]);
	json_arr_end(&j);
	json_arr_begin(&j, "agents");
	for (size_t i = 0; i < s->nagents; i++)
		json_figures(&j, NULL, "agent", &s->agents[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	cli_json_print(&j);
}

/* --- Prometheus text format ------------------------------------------------------------- */

/* A label value: \ " and newline escaped, broken UTF-8 as U+FFFD, control
 * characters as '?' (the format wants UTF-8; a name from mail could be
 * anything). */
static void
prom_value(const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : utf8_seq_len((const unsigned char *)s + i, len - i);

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '"')
			fputs("\\\"", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c == 0x7f)
			putchar('?');
		else if (n == 0)
			fputs("\xef\xbf\xbd", stdout);
		else
			fwrite(s + i, 1, n, stdout);
		i += n != 0 ? n : 1;
	}
}

/* One sample: name{group labels, extra}. extra is "k=\"v\"" or NULL. */
static void
prom_sample(const char *name, const char *suffix, const struct row *row, const char *extra,
    double v)
{
	bool labels = row->f->name != NULL || extra != NULL;

	printf("%s%s", name, suffix);
	if (labels) {
		putchar('{');
		if (row->f->name != NULL) {
			printf("%s=\"", row->kind);
			prom_value(row->f->name);
			putchar('"');
		}
		if (extra != NULL)
			printf("%s%s", row->f->name != NULL ? "," : "", extra);
		putchar('}');
	}
	if (isnan(v))
		puts(" NaN");
	else if (v == floor(v) && fabs(v) < 1e15)
		printf(" %.0f\n", v);
	else
		printf(" %.6g\n", v);
}

static void
prom_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one gauge per group, read by get. */
static void
prom_gauge(const struct rows *r, const char *name, const char *help,
    double (*get)(const struct stats_figures *))
{
	prom_head(name, "gauge", help);
	for (size_t i = 0; i < r->n; i++)
		prom_sample(name, "", &r->v[i], NULL, get(r->v[i].f));
}

static double g_created(const struct stats_figures *f) { return (double)f->created; }
static double g_resolved(const struct stats_figures *f) { return (double)f->resolved; }
static double g_fcr(const struct stats_figures *f) { return stats_ratio_value(f->fcr); }
static double g_reopen(const struct stats_figures *f) { return stats_ratio_value(f->reopen); }
static double g_csat(const struct stats_figures *f) { return stats_ratio_value(f->csat); }
static double g_ratings(const struct stats_figures *f) { return (double)f->csat.den; }
static double g_survey(const struct stats_figures *f) { return stats_ratio_value(f->survey); }
static double g_surveys(const struct stats_figures *f) { return (double)f->survey.den; }

static void
prom_summary(const struct rows *r, const char *name, const char *help, bool res, bool biz)
{
	prom_head(name, "summary", help);
	for (size_t i = 0; i < r->n; i++) {
		const struct stats_time *t = res ? &r->v[i].f->resolution :
		    &r->v[i].f->first_response;
		bool have = t->count > 0;

		prom_sample(name, "", &r->v[i], "quantile=\"0.5\"",
		    have ? (double)(biz ? t->median_biz : t->median_cal) : NAN);
		prom_sample(name, "", &r->v[i], "quantile=\"0.9\"",
		    have ? (double)(biz ? t->p90_biz : t->p90_cal) : NAN);
		prom_sample(name, "_sum", &r->v[i], NULL, (double)(biz ? t->sum_biz : t->sum_cal));
		prom_sample(name, "_count", &r->v[i], NULL, (double)t->count);
	}
}

static void
prom_out(const struct stats *s)
{
	static const char *const status[STATS_NSTATUS] = { "new", "open", "pending" };
	struct rows r;
	char extra[96];

	rows_make(s, &r);
	prom_head("postdesk_stats_period_start_seconds", "gauge",
	    "Start of the period the figures cover (Unix time; 0: the beginning).");
	printf("postdesk_stats_period_start_seconds %" PRId64 "\n", s->since);
	prom_head("postdesk_stats_period_end_seconds", "gauge",
	    "End of the period the figures cover (Unix time, exclusive).");
	printf("postdesk_stats_period_end_seconds %" PRId64 "\n", s->until);
	prom_gauge(&r, "postdesk_tickets_created", "Tickets created in the period.", g_created);
	prom_gauge(&r, "postdesk_tickets_resolved",
	    "Tickets that became resolved or closed in the period.", g_resolved);
	prom_head("postdesk_backlog_tickets", "gauge",
	    "Tickets new, open or pending now, by status and age since creation.");
	for (size_t i = 0; i < r.n; i++)
		for (int k = 0; k < STATS_NSTATUS; k++)
			for (int a = 0; a < STATS_NAGE; a++) {
				snprintf(extra, sizeof(extra), "status=\"%s\",age=\"%s\"",
				    status[k], stats_age_names[a]);
				prom_sample("postdesk_backlog_tickets", "", &r.v[i], extra,
				    (double)r.v[i].f->backlog[k][a]);
			}
	prom_summary(&r, "postdesk_first_response_business_seconds",
	    "Time to the first agent reply, in business hours (answered in the period).",
	    false, true);
	prom_summary(&r, "postdesk_first_response_calendar_seconds",
	    "Time to the first agent reply, in calendar time (answered in the period).",
	    false, false);
	prom_summary(&r, "postdesk_resolution_business_seconds",
	    "Time from creation to resolution, in business hours (resolved in the period).",
	    true, true);
	prom_summary(&r, "postdesk_resolution_calendar_seconds",
	    "Time from creation to resolution, in calendar time (resolved in the period).",
	    true, false);
	prom_gauge(&r, "postdesk_first_contact_resolution_ratio",
	    "Share of the tickets resolved in the period (with an agent reply) that took "
	    "exactly one agent reply.", g_fcr);
	prom_gauge(&r, "postdesk_reopen_ratio",
	    "Share of the tickets resolved in the period that were ever reopened.", g_reopen);
	prom_head("postdesk_sla_tickets", "gauge",
	    "Tickets created in the period with a known SLA outcome, by target and result.");
	for (size_t i = 0; i < r.n; i++)
		for (int k = 0; k < 4; k++) {
			const struct stats_ratio *q = k < 2 ? &r.v[i].f->sla_first_response :
			    &r.v[i].f->sla_resolution;

			snprintf(extra, sizeof(extra), "target=\"%s\",result=\"%s\"",
			    k < 2 ? "first_response" : "resolution", k % 2 ? "missed" : "met");
			prom_sample("postdesk_sla_tickets", "", &r.v[i], extra,
			    (double)(k % 2 ? q->den - q->num : q->num));
		}
	prom_head("postdesk_sla_compliance_ratio", "gauge",
	    "Share of the counted tickets whose SLA target was met, by target.");
	for (size_t i = 0; i < r.n; i++) {
		prom_sample("postdesk_sla_compliance_ratio", "", &r.v[i],
		    "target=\"first_response\"", stats_ratio_value(r.v[i].f->sla_first_response));
		prom_sample("postdesk_sla_compliance_ratio", "", &r.v[i],
		    "target=\"resolution\"", stats_ratio_value(r.v[i].f->sla_resolution));
	}
	prom_gauge(&r, "postdesk_satisfaction_ratings",
	    "Tickets rated in the period (their last rating).", g_ratings);
	prom_gauge(&r, "postdesk_csat_ratio",
	    "Share of the ratings in the period that are 4 or 5.", g_csat);
	prom_gauge(&r, "postdesk_surveys",
	    "Tickets a satisfaction survey went to in the period.", g_surveys);
	prom_gauge(&r, "postdesk_survey_response_ratio",
	    "Share of the surveyed tickets whose customer gave a rating.", g_survey);
	free(r.v);
}

/* --- the command ------------------------------------------------------------------------ */

int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "queue", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd = cli_find("stats");
	struct cli_period p = { 0 };
	struct pd_config *cfg;
	struct stats s;
	bool json = false, prom = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'p')
			prom = true;
		else if (ch == 's')
			p.since = optarg;
		else if (ch == 'u')
			p.until = optarg;
		else if (ch == 'q')
			p.queue = optarg;
		else
			return cli_usage_error(cmd, "unknown option or missing value: '%s'",
			    argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (json && prom)
		return cli_usage_error(cmd, "--json and --prometheus: one or the other");
	if ((rc = cli_stats_compute(cli, cmd, &p, false, &cfg, &s)) != EX_OK)
		return rc;
	if (json)
		json_out(cfg, &s);
	else if (prom)
		prom_out(&s);
	else
		text_out(cfg, &s);
	stats_free(&s);
	config_free(&cfg);
	return cli_output_done("stats");
}
