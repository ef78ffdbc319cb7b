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
	};

	unsetenv("TZ");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
