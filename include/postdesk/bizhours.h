/* bizhours.h: working time.
 *
 * A promise like "a person answers within 4 hours" counts only working
 * hours (business_hours in the config: a time zone, working days, one or
 * more ranges a day, holidays); a mail that arrives on Friday evening is
 * due on Monday. Times are Unix seconds; days and hours are those of the
 * configured time zone, DST included (mktime does the arithmetic). */
#ifndef POSTDESK_BIZHOURS_H
#define POSTDESK_BIZHOURS_H

#include <stddef.h>
#include <stdint.h>

struct pd_business_hours;

/* The moment secs of working time after from. */
int64_t bizhours_add(const struct pd_business_hours *bh, int64_t from, int64_t secs);

/* t as a customer reads it in lang (en, cs, sk, pl, hu, de; others: en),
 * in the configured time zone, e.g. "pondělí 24. 11. 10:00 CET". */
void bizhours_format(const struct pd_business_hours *bh, int64_t t, const char *lang,
    char *buf, size_t size);

/* The working seconds in [from, to): how much of that interval lies in
 * working hours (0 when to <= from). The inverse of bizhours_add: for
 * secs > 0, bizhours_between(bh, t, bizhours_add(bh, t, secs)) == secs. */
int64_t bizhours_between(const struct pd_business_hours *bh, int64_t from, int64_t to);

/* Local midnight in the configured zone: of the day that holds t, moved
 * by days (negative: earlier). E.g. days 1 gives the start of tomorrow. */
int64_t bizhours_midnight(const struct pd_business_hours *bh, int64_t t, int days);

/* The moment of a local date and time in the configured zone (month 1-12;
 * a time that DST skips or repeats is resolved as mktime does). */
int64_t bizhours_local(const struct pd_business_hours *bh, int year, int month, int day,
    int hour, int min, int sec);

/* Many calls in a row (statistics over a million tickets): switching the
 * process's time zone re-reads its file, so bizhours_hold() switches it
 * once, every call above then finds it set, and bizhours_release() puts
 * the old one back. Not nestable; nothing else may change TZ between. */
void bizhours_hold(const struct pd_business_hours *bh);
void bizhours_release(void);

/* Many bizhours_between() over the same hours (statistics): a calendar
 * keeps each local day's working ranges, and the working time before it,
 * once worked out, so that a span of any length costs two lookups. It
 * borrows bh, which must outlive it. Same results as bizhours_between. */
struct bizhours_cal;
struct bizhours_cal *bizhours_cal_new(const struct pd_business_hours *bh);
int64_t bizhours_cal_between(struct bizhours_cal *cal, int64_t from, int64_t to);
/* Free and set *cal to NULL; NULL is fine. */
void bizhours_cal_free(struct bizhours_cal **cal);

#endif
