/* bizhours.c: see bizhours.h. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postdesk/bizhours.h"
#include "postdesk/config.h"
#include "postdesk/xalloc.h"

/* Work in the configured zone: TZ is switched for the computation and
 * put back. postdesk is single-threaded, so this is safe. */
struct tzswitch {
	char *old;
	bool had;
	bool same;	/* TZ was the wanted zone already: nothing to undo */
};

/* When TZ already names the zone (bizhours_hold), tzset() finds its value
 * unchanged and returns at once; a switch would re-read the zone file. */
static void
tz_enter(struct tzswitch *s, const char *tz)
{
	const char *want = tz && *tz ? tz : "UTC";
	const char *old = getenv("TZ");

	s->same = old != NULL && strcmp(old, want) == 0;
	s->had = old != NULL;
	s->old = NULL;
	if (!s->same) {
		s->old = old ? xstrdup(old) : NULL;
		setenv("TZ", want, 1);
	}
	tzset();
}

static void
tz_leave(struct tzswitch *s)
{
	if (s->same)
		return;
	if (s->had)
		setenv("TZ", s->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(s->old);
	s->old = NULL;
}

static bool
holiday(const struct pd_business_hours *bh, const struct tm *tm)
{
	char full[48], yearly[32];

	snprintf(full, sizeof(full), "%04d-%02d-%02d", tm->tm_year + 1900, tm->tm_mon + 1,
	    tm->tm_mday);
	snprintf(yearly, sizeof(yearly), "%02d-%02d", tm->tm_mon + 1, tm->tm_mday);
	for (size_t i = 0; i < bh->nholidays; i++)
		if (strcmp(bh->holidays[i], full) == 0 || strcmp(bh->holidays[i], yearly) == 0)
			return true;
	return false;
}

/* The local time of day d (a tm at that date) at minute m, DST-aware. */
static int64_t
at_minute(const struct tm *d, int m)
{
	struct tm x = *d;

	x.tm_hour = m / 60;
	x.tm_min = m % 60;
	x.tm_sec = 0;
	x.tm_isdst = -1;
	return (int64_t)mktime(&x);
}

int64_t
bizhours_add(const struct pd_business_hours *bh, int64_t from, int64_t secs)
{
	struct tzswitch sw;
	int64_t t = from, left = secs, due = from;

	if (secs <= 0 || bh->nranges == 0)
		return from + (secs > 0 ? secs : 0);
	tz_enter(&sw, bh->timezone);
	/* At most ten years of days: a config without any working day is
	 * refused at load time, so this always ends far sooner. */
	for (int day = 0; day < 3660; day++) {
		time_t tt = (time_t)t;
		struct tm d;

		localtime_r(&tt, &d);
		if ((bh->days & (1u << d.tm_wday)) && !holiday(bh, &d)) {
			for (size_t i = 0; i < bh->nranges; i++) {
				int64_t rs = at_minute(&d, bh->ranges[i].start);
				int64_t re = at_minute(&d, bh->ranges[i].end);
				int64_t start = t > rs ? t : rs;

				if (start >= re)
					continue;
				if (left <= re - start) {
					due = start + left;
					goto out;
				}
				left -= re - start;
				t = re;
			}
		}
		/* midnight of the next day */
		d.tm_mday++;
		t = at_minute(&d, 0);
	}
	due = t + left;
out:
	tz_leave(&sw);
	return due;
}

static const char *const days_en[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
	"Thursday", "Friday", "Saturday" };
static const char *const days_cs[] = { "neděle", "pondělí", "úterý", "středa",
	"čtvrtek", "pátek", "sobota" };
static const char *const days_sk[] = { "nedeľa", "pondelok", "utorok", "streda",
	"štvrtok", "piatok", "sobota" };
static const char *const days_pl[] = { "niedziela", "poniedziałek", "wtorek", "środa",
	"czwartek", "piątek", "sobota" };
static const char *const days_hu[] = { "vasárnap", "hétfő", "kedd", "szerda",
	"csütörtök", "péntek", "szombat" };
static const char *const days_de[] = { "Sonntag", "Montag", "Dienstag", "Mittwoch",
	"Donnerstag", "Freitag", "Samstag" };
static const char *const months_en[] = { "January", "February", "March", "April", "May",
	"June", "July", "August", "September", "October", "November", "December" };

void
bizhours_format(const struct pd_business_hours *bh, int64_t t, const char *lang,
    char *buf, size_t size)
{
	struct tzswitch sw;
	time_t tt = (time_t)t;
	struct tm d;
	const char *l = lang ? lang : "en";

	tz_enter(&sw, bh->timezone);
	localtime_r(&tt, &d);
	if (strcmp(l, "cs") == 0 || strcmp(l, "sk") == 0)
		snprintf(buf, size, "%s %d. %d. %02d:%02d %s",
		    (l[0] == 'c' ? days_cs : days_sk)[d.tm_wday], d.tm_mday, d.tm_mon + 1,
		    d.tm_hour, d.tm_min, d.tm_zone);
	else if (strcmp(l, "pl") == 0)
		snprintf(buf, size, "%s %d.%02d, %02d:%02d %s", days_pl[d.tm_wday], d.tm_mday,
		    d.tm_mon + 1, d.tm_hour, d.tm_min, d.tm_zone);
	else if (strcmp(l, "hu") == 0)
		snprintf(buf, size, "%02d. %02d. (%s) %02d:%02d %s", d.tm_mon + 1, d.tm_mday,
		    days_hu[d.tm_wday], d.tm_hour, d.tm_min, d.tm_zone);
	else if (strcmp(l, "de") == 0)
		snprintf(buf, size, "%s, %d.%d., %02d:%02d %s", days_de[d.tm_wday], d.tm_mday,
		    d.tm_mon + 1, d.tm_hour, d.tm_min, d.tm_zone);
	else
		snprintf(buf, size, "%s %d %s, %02d:%02d %s", days_en[d.tm_wday], d.tm_mday,
		    months_en[d.tm_mon], d.tm_hour, d.tm_min, d.tm_zone);
	tz_leave(&sw);
}

/* Every day, all day, in UTC, no holidays: working time is calendar time
 * (the default without business_hours in the config). */
static bool
all_the_time(const struct pd_business_hours *bh)
{
	return bh->nranges == 0 ||
	    (bh->days == 0x7f && bh->nranges == 1 && bh->ranges[0].start == 0 &&
	    bh->ranges[0].end == 1440 && bh->nholidays == 0 &&
	    (bh->timezone == NULL || *bh->timezone == '\0' ||
	    strcmp(bh->timezone, "UTC") == 0));
}

int64_t
bizhours_between(const struct pd_business_hours *bh, int64_t from, int64_t to)
{
	struct tzswitch sw;
	int64_t sum = 0, t = from;

	if (to <= from)
		return 0;
	if (all_the_time(bh))
		return to - from;
	tz_enter(&sw, bh->timezone);
	/* Day by day in local time, so that a DST change moves the ranges
	 * with the clock (a 23- or 25-hour day keeps its 08:00-17:00). */
	while (t < to) {
		time_t tt = (time_t)t;
		struct tm d;

		localtime_r(&tt, &d);
		if ((bh->days & (1u << d.tm_wday)) && !holiday(bh, &d)) {
			for (size_t i = 0; i < bh->nranges; i++) {
				int64_t rs = at_minute(&d, bh->ranges[i].start);
				int64_t re = at_minute(&d, bh->ranges[i].end);
				int64_t lo = rs > from ? rs : from;
				int64_t hi = re < to ? re : to;

				if (hi > lo)
					sum += hi - lo;
			}
		}
		d.tm_mday++;
		t = at_minute(&d, 0);
	}
	tz_leave(&sw);
	return sum;
}

int64_t
bizhours_midnight(const struct pd_business_hours *bh, int64_t t, int days)
{
	struct tzswitch sw;
	time_t tt = (time_t)t;
	struct tm d;
	int64_t r;

	tz_enter(&sw, bh->timezone);
	localtime_r(&tt, &d);
	d.tm_mday += days;
	r = at_minute(&d, 0);
	tz_leave(&sw);
	return r;
}

int64_t
bizhours_local(const struct pd_business_hours *bh, int year, int month, int day,
    int hour, int min, int sec)
{
	struct tzswitch sw;
	struct tm d = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
		.tm_hour = hour, .tm_min = min, .tm_sec = sec, .tm_isdst = -1 };
	int64_t r;

	tz_enter(&sw, bh->timezone);
	r = (int64_t)mktime(&d);
	tz_leave(&sw);
	return r;
}

/* The zone bizhours_hold() set, undone by bizhours_release(). */
static struct tzswitch held;
static bool holding;

void
bizhours_hold(const struct pd_business_hours *bh)
{
	if (holding)
		return;
	tz_enter(&held, bh->timezone);
	holding = true;
}

void
bizhours_release(void)
{
	if (!holding)
		return;
	tz_leave(&held);
	holding = false;
}

/* --- the calendar ------------------------------------------------------------ */

/* One local day: where it starts, its working ranges as instants, and the
 * working time of the calendar's days before it. */
struct calday {
	int64_t start;
	int64_t before;
	size_t n;
	int64_t rs[8], re[8];
};

/* Days in a row, d[0] .. d[n - 1]; end is the start of the day after. */
struct bizhours_cal {
	const struct pd_business_hours *bh;
	struct calday *d;
	size_t n, cap;
	int64_t end;
};

/* Beyond this many days a span is counted day by day, uncached. */
#define CAL_MAX_DAYS (200 * 366)

_Static_assert(sizeof(((struct pd_business_hours *)0)->ranges) /
    sizeof(((struct pd_business_hours *)0)->ranges[0]) <= 8, "calday holds 8 ranges");

/* The day that holds t (the zone entered); *next_r is the next one's start. */
static void
calday_fill(const struct pd_business_hours *bh, int64_t t, struct calday *c, int64_t *next_r)
{
	time_t tt = (time_t)t;
	struct tm d;

	localtime_r(&tt, &d);
	c->start = at_minute(&d, 0);
	c->n = 0;
	if ((bh->days & (1u << d.tm_wday)) && !holiday(bh, &d))
		for (size_t i = 0; i < bh->nranges; i++) {
			int64_t rs = at_minute(&d, bh->ranges[i].start);
			int64_t re = at_minute(&d, bh->ranges[i].end);

			if (re > rs) {
				c->rs[c->n] = rs;
				c->re[c->n++] = re;
			}
		}
	d.tm_mday++;
	*next_r = at_minute(&d, 0);
}

static int64_t
calday_work(const struct calday *c)
{
	int64_t w = 0;

	for (size_t i = 0; i < c->n; i++)
		w += c->re[i] - c->rs[i];
	return w;
}

/* The working time of day c within [from, to). */
static int64_t
calday_overlap(const struct calday *c, int64_t from, int64_t to)
{
	int64_t w = 0;

	for (size_t i = 0; i < c->n; i++) {
		int64_t lo = c->rs[i] > from ? c->rs[i] : from;
		int64_t hi = c->re[i] < to ? c->re[i] : to;

		if (hi > lo)
			w += hi - lo;
	}
	return w;
}

static void
cal_grow(struct bizhours_cal *cal, size_t more)
{
	if (cal->n + more > cal->cap) {
		cal->cap = (cal->n + more) * 2;
		cal->d = xrealloc(cal->d, cal->cap * sizeof(*cal->d));
	}
}

/* Make the days cover [from, to]; false when that would be too many. */
static bool
cal_cover(struct bizhours_cal *cal, int64_t from, int64_t to)
{
	int64_t next;

	if (cal->n == 0) {
		cal_grow(cal, 1);
		calday_fill(cal->bh, from, &cal->d[0], &cal->end);
		cal->d[0].before = 0;
		cal->n = 1;
	}
	if (from < cal->d[0].start) {
		/* the days before, oldest first, put in front at once */
		size_t k = 0;
		struct calday *v = NULL;

		for (int64_t t = from; t < cal->d[0].start; t = next) {
			if (cal->n + k >= CAL_MAX_DAYS) {
				free(v);
				return false;
			}
			v = xrealloc(v, (k + 1) * sizeof(*v));
			calday_fill(cal->bh, t, &v[k++], &next);
		}
		cal_grow(cal, k);
		memmove(cal->d + k, cal->d, cal->n * sizeof(*cal->d));
		memcpy(cal->d, v, k * sizeof(*v));
		free(v);
		cal->n += k;
		cal->d[0].before = 0;
		for (size_t i = 1; i < cal->n; i++)
			cal->d[i].before = cal->d[i - 1].before + calday_work(&cal->d[i - 1]);
	}
	while (cal->end <= to) {
		struct calday *last;

		if (cal->n >= CAL_MAX_DAYS)
			return false;
		cal_grow(cal, 1);
		last = &cal->d[cal->n - 1];
		calday_fill(cal->bh, cal->end, &cal->d[cal->n], &next);
		cal->d[cal->n].before = last->before + calday_work(last);
		cal->n++;
		cal->end = next;
	}
	return true;
}

/* The index of the day that holds t (covered). */
static size_t
cal_find(const struct bizhours_cal *cal, int64_t t)
{
	size_t lo = 0, hi = cal->n;

	while (hi - lo > 1) {	/* d[lo].start <= t < d[hi].start (or end) */
		size_t mid = (lo + hi) / 2;

		if (cal->d[mid].start <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

struct bizhours_cal *
bizhours_cal_new(const struct pd_business_hours *bh)
{
	struct bizhours_cal *cal = xcalloc(1, sizeof(*cal));

	cal->bh = bh;
	return cal;
}

int64_t
bizhours_cal_between(struct bizhours_cal *cal, int64_t from, int64_t to)
{
	struct tzswitch sw;
	size_t i, j;
	bool covered;

	if (to <= from)
		return 0;
	if (all_the_time(cal->bh))
		return to - from;
	tz_enter(&sw, cal->bh->timezone);
	covered = to - from < (int64_t)CAL_MAX_DAYS * 86400 / 2 && cal_cover(cal, from, to);
	tz_leave(&sw);
	if (!covered)
		return bizhours_between(cal->bh, from, to);
	i = cal_find(cal, from);
	j = cal_find(cal, to);
	if (i == j)
		return calday_overlap(&cal->d[i], from, to);
	return calday_overlap(&cal->d[i], from, INT64_MAX) +
	    (cal->d[j].before - cal->d[i + 1].before) +
	    calday_overlap(&cal->d[j], INT64_MIN, to);
}

void
bizhours_cal_free(struct bizhours_cal **cal)
{
	if (*cal == NULL)
		return;
	free((*cal)->d);
	free(*cal);
	*cal = NULL;
}
