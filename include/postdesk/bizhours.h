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

#endif
