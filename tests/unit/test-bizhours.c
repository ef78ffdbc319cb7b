/* test-bizhours.c: working time across nights, weekends, holidays and DST,
 * in a real time zone (Europe/Prague from the system's tzdata). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "postdesk/bizhours.h"
#include "postdesk/config.h"

static char *holidays[] = { "12-24", "12-25", "2026-11-17" };

static struct pd_business_hours
prague(void)
{
	struct pd_business_hours bh = {
		.timezone = "Europe/Prague",
		.days = 0x3e,	/* Mon-Fri */
		.ranges = { { 8 * 60, 12 * 60 }, { 13 * 60, 17 * 60 } },
		.nranges = 2,
		.holidays = holidays,
		.nholidays = 3,
	};

	return bh;
}

/* Prague local time → Unix time, for readable cases. */
static int64_t
local(const char *s)
{
	struct tm tm;
	const char *old = getenv("TZ");
	char *keep = old ? strdup(old) : NULL;
	int64_t t;

	memset(&tm, 0, sizeof(tm));
	strptime(s, "%Y-%m-%d %H:%M", &tm);
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

static void
check(const char *from, int64_t secs, const char *want)
{
	struct pd_business_hours bh = prague();
	int64_t got = bizhours_add(&bh, local(from), secs);

	if (got != local(want)) {
		char buf[64];

		bizhours_format(&bh, got, "en", buf, sizeof(buf));
		fail_msg("%s + %llds: got %s, want %s", from, (long long)secs, buf, want);
	}
}

static void
within_a_day(void **state)
{
	check("2026-11-23 09:00", 2 * 3600, "2026-11-23 11:00");	/* Monday */
	check("2026-11-23 11:00", 2 * 3600, "2026-11-23 14:00");	/* over lunch */
	check("2026-11-23 12:30", 30 * 60, "2026-11-23 13:30");	/* arrives at lunch */
}

static void
night_and_weekend(void **state)
{
	check("2026-11-23 22:00", 4 * 3600, "2026-11-24 12:00");	/* at night */
	check("2026-11-27 16:00", 4 * 3600, "2026-11-30 11:00");	/* Friday → Monday */
	check("2026-11-28 10:00", 3600, "2026-11-30 09:00");	/* Saturday */
	check("2026-11-23 09:00", 2 * 8 * 3600, "2026-11-25 09:00");	/* "2d" of 8 h days */
}

static void
holidays_are_skipped(void **state)
{
	check("2026-11-16 16:00", 2 * 3600, "2026-11-18 09:00");	/* 17 Nov, dated */
	check("2026-12-23 16:00", 2 * 3600, "2026-12-28 09:00");	/* 24, 25 Dec yearly, weekend */
}

static void
dst_changes(void **state)
{
	/* Sun 29 March 2026 Prague goes CET → CEST; the working day is
	 * still 8 hours of local time. */
	check("2026-03-27 16:00", 2 * 3600, "2026-03-30 09:00");
	check("2026-10-23 16:30", 3600, "2026-10-26 08:30");	/* back to CET */
	/* and the Unix time difference across the change is 71 h, not 72 */
	assert_int_equal(local("2026-03-30 09:00") - local("2026-03-27 09:00"), 71 * 3600);
}

static void
no_hours_is_calendar_time(void **state)
{
	struct pd_business_hours bh = { .timezone = "UTC", .days = 0x7f,
		.ranges = { { 0, 1440 } }, .nranges = 1 };

	assert_int_equal(bizhours_add(&bh, 1000, 7200), 8200);
	assert_int_equal(bizhours_add(&bh, 1000, 0), 1000);
}

static void
formats_by_language(void **state)
{
	struct pd_business_hours bh = prague();
	int64_t t = local("2026-11-30 10:00");
	char buf[96];

	bizhours_format(&bh, t, "cs", buf, sizeof(buf));
	assert_string_equal(buf, "pondělí 30. 11. 10:00 CET");
	bizhours_format(&bh, t, "sk", buf, sizeof(buf));
	assert_string_equal(buf, "pondelok 30. 11. 10:00 CET");
	bizhours_format(&bh, t, "pl", buf, sizeof(buf));
	assert_string_equal(buf, "poniedziałek 30.11, 10:00 CET");
	bizhours_format(&bh, t, "hu", buf, sizeof(buf));
	assert_string_equal(buf, "11. 30. (hétfő) 10:00 CET");
	bizhours_format(&bh, t, "en", buf, sizeof(buf));
	assert_string_equal(buf, "Monday 30 November, 10:00 CET");
	/* TZ of the process is left as it was */
	assert_null(getenv("TZ"));
}

/* Working seconds between two Prague local times. */
static void
between(const char *from, const char *to, int64_t want)
{
	struct pd_business_hours bh = prague();
	int64_t got = bizhours_between(&bh, local(from), local(to));

	if (got != want)
		fail_msg("%s .. %s: got %llds, want %llds", from, to, (long long)got,
		    (long long)want);
}

static void
between_within_days(void **state)
{
	between("2026-11-23 09:00", "2026-11-23 11:00", 2 * 3600);	/* Monday */
	between("2026-11-23 11:00", "2026-11-23 14:00", 2 * 3600);	/* lunch is not work */
	between("2026-11-23 12:10", "2026-11-23 12:50", 0);	/* all at lunch */
	between("2026-11-23 22:00", "2026-11-24 12:00", 4 * 3600);	/* a night */
	between("2026-11-23 06:00", "2026-11-23 07:59", 0);	/* before work */
	between("2026-11-23 16:59", "2026-11-24 08:01", 2 * 60);	/* a minute each side */
	between("2026-11-23 10:00", "2026-11-23 10:00", 0);	/* empty */
	between("2026-11-23 11:00", "2026-11-23 10:00", 0);	/* backwards */
	between("2026-11-23 00:00", "2026-11-30 00:00", 5 * 8 * 3600);	/* a week */
}

static void
between_weekends_and_holidays(void **state)
{
	between("2026-11-27 16:00", "2026-11-30 11:00", 4 * 3600);	/* Fri → Mon */
	between("2026-11-28 10:00", "2026-11-29 18:00", 0);	/* all weekend */
	between("2026-11-16 16:00", "2026-11-18 09:00", 2 * 3600);	/* 17 Nov, dated */
	/* 24, 25 Dec yearly (Thu, Fri) then the weekend: only the 23rd's
	 * last hour and the 28th's first */
	between("2026-12-23 16:00", "2026-12-28 09:00", 2 * 3600);
	between("2027-12-24 08:00", "2027-12-24 17:00", 0);	/* yearly: 2027 too */
}

static void
between_dst(void **state)
{
	struct pd_business_hours all = { .timezone = "Europe/Prague", .days = 0x7f,
		.ranges = { { 0, 1440 } }, .nranges = 1 };

	/* Across CET → CEST the working days keep 8 hours of local time:
	 * Fri 16:00 → Mon 09:00 is one hour of Friday and one of Monday,
	 * while the Unix difference is 64 h, not 65. */
	between("2026-03-27 16:00", "2026-03-30 09:00", 2 * 3600);
	between("2026-10-23 16:30", "2026-10-26 08:30", 3600);	/* back to CET */
	/* All-day hours in a DST zone: the day of the change has 23 or 25
	 * hours of working time, because it has that many hours at all. */
	assert_int_equal(bizhours_between(&all, local("2026-03-29 00:00"),
	    local("2026-03-30 00:00")), 23 * 3600);
	assert_int_equal(bizhours_between(&all, local("2026-10-25 00:00"),
	    local("2026-10-26 00:00")), 25 * 3600);
	assert_int_equal(bizhours_between(&all, local("2026-03-28 12:00"),
	    local("2026-03-29 12:00")), 23 * 3600);
}

/* between undoes add, from any start: working hours, night, weekend,
 * holiday, DST weekends. */
static void
between_inverts_add(void **state)
{
	struct pd_business_hours bh = prague();
	const char *starts[] = { "2026-11-23 09:00", "2026-11-23 12:30", "2026-11-23 22:00",
		"2026-11-27 16:00", "2026-11-28 10:00", "2026-12-23 16:00",
		"2026-03-27 16:00", "2026-10-23 16:30" };
	const int64_t secs[] = { 1, 59, 3600, 4 * 3600 + 17, 8 * 3600, 3 * 8 * 3600 + 5,
		40 * 8 * 3600 };

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		for (size_t j = 0; j < sizeof(secs) / sizeof(secs[0]); j++) {
			int64_t t = local(starts[i]);
			int64_t got = bizhours_between(&bh, t, bizhours_add(&bh, t, secs[j]));

			if (got != secs[j])
				fail_msg("from %s, %llds: between gives %llds", starts[i],
				    (long long)secs[j], (long long)got);
		}
}

static void
between_calendar_time(void **state)
{
	struct pd_business_hours bh = { .timezone = "UTC", .days = 0x7f,
		.ranges = { { 0, 1440 } }, .nranges = 1 };

	assert_int_equal(bizhours_between(&bh, 1000, 8200), 7200);
	assert_int_equal(bizhours_between(&bh, 8200, 1000), 0);
}

static void
midnight_and_local(void **state)
{
	struct pd_business_hours bh = prague();

	assert_int_equal(bizhours_midnight(&bh, local("2026-11-23 13:45"), 0),
	    local("2026-11-23 00:00"));
	assert_int_equal(bizhours_midnight(&bh, local("2026-11-23 00:00"), 1),
	    local("2026-11-24 00:00"));
	assert_int_equal(bizhours_midnight(&bh, local("2026-03-29 10:00"), -1),
	    local("2026-03-28 00:00"));
	/* the day of the change is 23 hours long */
	assert_int_equal(bizhours_midnight(&bh, local("2026-03-29 10:00"), 1) -
	    bizhours_midnight(&bh, local("2026-03-29 10:00"), 0), 23 * 3600);
	assert_int_equal(bizhours_local(&bh, 2026, 11, 23, 9, 30, 0), local("2026-11-23 09:30"));
	assert_int_equal(bizhours_local(&bh, 2026, 7, 1, 0, 0, 0), 1782856800);	/* CEST */
	assert_null(getenv("TZ"));
}

/* Held: the answers are the same, and TZ is back afterwards. */
static void
hold_and_release(void **state)
{
	struct pd_business_hours bh = prague();
	int64_t a = local("2026-11-27 16:00"), b = local("2026-11-30 11:00");

	bizhours_hold(&bh);
	assert_string_equal(getenv("TZ"), "Europe/Prague");
	assert_int_equal(bizhours_between(&bh, a, b), 4 * 3600);
	assert_int_equal(bizhours_add(&bh, a, 4 * 3600), b);
	assert_string_equal(getenv("TZ"), "Europe/Prague");
	bizhours_release();
	assert_null(getenv("TZ"));
	assert_int_equal(bizhours_between(&bh, a, b), 4 * 3600);
	assert_null(getenv("TZ"));
}

/* The calendar gives what bizhours_between gives: random spans over two
 * years of Prague (DST both ways, holidays, lunch), asked in an order that
 * makes it grow backwards as well as forwards. */
static void
calendar_matches_between(void **state)
{
	struct pd_business_hours bh = prague();
	struct bizhours_cal *cal = bizhours_cal_new(&bh);
	int64_t base = local("2026-01-01 00:00"), span = 2 * 365 * 86400;
	unsigned seed = 42;

	for (int i = 0; i < 3000; i++) {
		int64_t from, len, want, got;

		seed = seed * 1103515245u + 12345u;
		/* the first half late in the range, then anywhere */
		from = base + (i < 100 ? span / 2 : 0) + (int64_t)(seed % (unsigned)(span / 2));
		seed = seed * 1103515245u + 12345u;
		len = (int64_t)(seed % (i % 3 == 0 ? 40u * 86400 : 3u * 86400)) - 3600;
		want = bizhours_between(&bh, from, from + len);
		got = bizhours_cal_between(cal, from, from + len);
		if (got != want)
			fail_msg("from %lld, %llds: calendar %lld, between %lld", (long long)from,
			    (long long)len, (long long)got, (long long)want);
	}
	/* exact day edges and the DST weekends */
	assert_int_equal(bizhours_cal_between(cal, local("2026-03-27 16:00"),
	    local("2026-03-30 09:00")), 2 * 3600);
	assert_int_equal(bizhours_cal_between(cal, local("2026-10-23 16:30"),
	    local("2026-10-26 08:30")), 3600);
	assert_int_equal(bizhours_cal_between(cal, local("2026-11-23 00:00"),
	    local("2026-11-30 00:00")), 5 * 8 * 3600);
	bizhours_cal_free(&cal);
	assert_null(cal);
	assert_null(getenv("TZ"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(within_a_day),
		cmocka_unit_test(night_and_weekend),
		cmocka_unit_test(holidays_are_skipped),
		cmocka_unit_test(dst_changes),
		cmocka_unit_test(no_hours_is_calendar_time),
		cmocka_unit_test(formats_by_language),
		cmocka_unit_test(between_within_days),
		cmocka_unit_test(between_weekends_and_holidays),
		cmocka_unit_test(between_dst),
		cmocka_unit_test(between_inverts_add),
		cmocka_unit_test(between_calendar_time),
		cmocka_unit_test(midnight_and_local),
		cmocka_unit_test(hold_and_release),
		cmocka_unit_test(calendar_matches_between),
	};

	unsetenv("TZ");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
