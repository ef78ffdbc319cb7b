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
