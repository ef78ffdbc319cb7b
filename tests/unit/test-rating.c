/* test-rating.c: rating_parse, the reader of answers to the satisfaction
 * survey: numbers, words and "not solved" in the five languages (with and
 * without diacritics, in any case), the survey's mailto subjects, what
 * must not read as a rating (and above all not as a good one), and what is
 * a message for the agents besides the rating. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "postdesk/rating.h"

struct rcase {
	const char *subject;
	const char *text;
	bool is_rating;
	int score;
	bool not_solved;
	bool more;
};

static void
run_cases(const struct rcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rating r;
		bool got = rating_parse(c[i].subject, c[i].text, &r);

		if (got != c[i].is_rating || r.score != c[i].score ||
		    r.not_solved != c[i].not_solved || r.more != c[i].more)
			fail_msg("case %zu, subject \"%s\", text \"%s\": got %s score=%d "
			    "not_solved=%d more=%d; want %s score=%d not_solved=%d more=%d",
			    i, c[i].subject ? c[i].subject : "(null)",
			    c[i].text ? c[i].text : "(null)", got ? "rating" : "no rating",
			    r.score, r.not_solved, r.more, c[i].is_rating ? "rating" : "no rating",
			    c[i].score, c[i].not_solved, c[i].more);
		if (!got)
			assert_int_equal(r.score, 0);
	}
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void
numbers(void **state)
{
	static const struct rcase cases[] = {
		{ NULL, "5", true, 5, false, false },
		{ NULL, "1", true, 1, false, false },
		{ NULL, "3\n", true, 3, false, false },
		{ NULL, "  4  \r\n", true, 4, false, false },
		{ NULL, "\n\n2\n", true, 2, false, false },
		{ NULL, "5!", true, 5, false, false },
		{ NULL, "5.", true, 5, false, false },
		{ NULL, "4/5", true, 4, false, false },
		{ NULL, "4 out of 5", true, 4, false, false },
		{ NULL, "5 z 5", true, 5, false, false },
		{ NULL, "3 na 5", true, 3, false, false },
		{ NULL, "Thanks, 5", true, 5, false, false },
		{ NULL, "thank you very much - 5 stars", true, 5, false, false },
		{ NULL, "5\nThe new password works, thank you.", true, 5, false, true },
		{ NULL, "5\n\n", true, 5, false, false },
		{ NULL, "1\nStill cannot log in.", true, 1, false, true },
		{ NULL, "My rating: 2", true, 2, false, false },
		{ NULL, "great, 4", true, 4, false, false },	/* the number wins */
		/* numbers that are no rating */
		{ NULL, "0", false, 0, false, true },
		{ NULL, "6", false, 0, false, true },
		{ NULL, "10", false, 0, false, true },
		{ NULL, "55", false, 0, false, true },
		{ NULL, "5/10", false, 0, false, true },
		{ NULL, "-5", true, 5, false, false },	/* a dash is punctuation */
		{ NULL, "1 or 5", false, 0, false, true },
		{ NULL, "4 5", false, 0, false, true },
		{ NULL, "Error 5 again", false, 0, false, true },
		{ NULL, "I have 2 printers that fail", false, 0, false, true },
		{ NULL, "Hello,\n\n5", false, 0, false, true },	/* not the first line */
		{ NULL, "", false, 0, false, false },
		{ NULL, NULL, false, 0, false, false },
		{ NULL, "   \n\t\n", false, 0, false, false },
	};

	(void)state;
	RUN(cases);
}

static void
words_in_five_languages(void **state)
{
	static const struct rcase cases[] = {
		/* en */
		{ NULL, "Great", true, 5, false, false },
		{ NULL, "Excellent service, thanks!", true, 5, false, false },
		{ NULL, "good", true, 4, false, false },
		{ NULL, "BAD", true, 2, false, false },
		{ NULL, "terrible", true, 1, false, false },
		/* cs */
		{ NULL, "Výborně", true, 5, false, false },
		{ NULL, "VÝBORNĚ!", true, 5, false, false },
		{ NULL, "vyborne", true, 5, false, false },
		{ NULL, "Děkuji, výborně", true, 5, false, false },
		{ NULL, "Moc děkuji, skvělé", true, 5, false, false },
		{ NULL, "dobře", true, 4, false, false },
		{ NULL, "Špatně", true, 2, false, false },
		{ NULL, "hrozné", true, 1, false, false },
		/* sk */
		{ NULL, "Výborne", true, 5, false, false },
		{ NULL, "Ďakujem, výborne", true, 5, false, false },
		{ NULL, "zle", true, 2, false, false },
		{ NULL, "Zle.", true, 2, false, false },
		/* pl */
		{ NULL, "Świetnie", true, 5, false, false },
		{ NULL, "ŚWIETNIE", true, 5, false, false },
		{ NULL, "Dziękuję, świetnie!", true, 5, false, false },
		{ NULL, "dobrze", true, 4, false, false },
		{ NULL, "Źle", true, 2, false, false },
		{ NULL, "źle", true, 2, false, false },
		{ NULL, "okropnie", true, 1, false, false },
		/* hu */
		{ NULL, "Kiváló", true, 5, false, false },
		{ NULL, "KIVÁLÓ", true, 5, false, false },
		{ NULL, "Köszönöm, kiváló", true, 5, false, false },
		{ NULL, "jó", true, 4, false, false },
		{ NULL, "Rossz", true, 2, false, false },
		{ NULL, "szörnyű", true, 1, false, false },
		/* a word and more lines */
		{ NULL, "Výborně\nA ještě dotaz: kdy přijde faktura?", true, 5, false, true },
		/* words that disagree, or something else beside them */
		{ NULL, "great but bad", false, 0, false, true },
		{ NULL, "not good", false, 0, false, true },
		{ NULL, "not bad", false, 0, false, true },
		{ NULL, "Good morning, I have another question", false, 0, false, true },
		{ NULL, "Dobrý den, mám další dotaz", false, 0, false, true },
		{ NULL, "thanks", false, 0, false, true },
		{ NULL, "Děkuji", false, 0, false, true },
		{ NULL, "greatest", false, 0, false, true },
	};

	(void)state;
	RUN(cases);
}

static void
not_solved_phrases(void **state)
{
	static const struct rcase cases[] = {
		{ NULL, "Not solved", true, 0, true, false },
		{ NULL, "not solved.", true, 0, true, false },
		{ NULL, "NOT RESOLVED", true, 0, true, false },
		{ NULL, "Nevyřešeno", true, 0, true, false },
		{ NULL, "nevyreseno", true, 0, true, false },
		{ NULL, "Nevyriešené", true, 0, true, false },
		{ NULL, "Nierozwiązany", true, 0, true, false },
		{ NULL, "nierozwiazany", true, 0, true, false },
		{ NULL, "Nincs megoldva", true, 0, true, false },
		{ NULL, "nincs megoldva!", true, 0, true, false },
		{ NULL, "1, not solved", true, 1, true, false },
		{ NULL, "Nevyřešeno, 2", true, 2, true, false },
		/* in a sentence: not solved, and a message */
		{ NULL, "Sorry, it is not solved: the printer still jams.", true, 0, true, true },
		{ NULL, "Tiskárna pořád nefunguje.", true, 0, true, true },
		{ NULL, "Drukarka nadal nie działa.", true, 0, true, true },
		{ NULL, "A nyomtató még mindig nem működik.", true, 0, true, true },
		{ NULL, "It doesn't work.", true, 0, true, false },
		{ NULL, "It doesn\xe2\x80\x99t work.", true, 0, true, false },
		/* further down the new text */
		{ NULL, "5\nWell, actually it is not solved yet.", true, 5, true, true },
		{ NULL, "Hello,\nthe issue is still not solved.\nJane", true, 0, true, true },
		/* the words alone, not the phrase */
		{ NULL, "solved", false, 0, false, true },
		{ NULL, "Vyřešeno, děkuji", false, 0, false, true },
		{ NULL, "Solved, thanks, 5", true, 5, false, false },
	};

	(void)state;
	RUN(cases);
}

static void
mailto_subjects(void **state)
{
	static const struct rcase cases[] = {
		{ "Re: [Support #17] rating 5", "", true, 5, false, false },
		{ "[Support #17] rating 1", NULL, true, 1, false, false },
		{ "Re: [Support #17] Rating 4", "\r\n", true, 4, false, false },
		{ "Re: [Support #17] rating 5", "Thanks for the quick help!", true, 5, false, true },
		{ "Re: [Support #17] rating 1", "Still broken.", true, 1, true, false },
		/* the subject wins over a number in the text */
		{ "Re: [Support #17] rating 2", "5", true, 2, false, false },
		{ "Re: [Support #17] rating 6", "", false, 0, false, false },
		{ "Re: [Support #17] rating 55", "", false, 0, false, false },
		{ "Re: [Support #17] rating", "", false, 0, false, false },
		{ "Re: [Support #17] rating 5 please", "", false, 0, false, false },
		{ "Re: [Support #17] Cannot log in", "5", true, 5, false, false },
		{ "Re: [Support #17] Cannot log in", "Any news?", false, 0, false, true },
	};

	(void)state;
	RUN(cases);
}

/* Nothing a customer writes can make the parser read out of bounds or
 * loop: long lines, long texts, invalid UTF-8, NUL-free binary. */
static void
hostile_input(void **state)
{
	size_t n = 200000;
	char *big = malloc(n + 1);
	struct rating r;

	(void)state;
	assert_non_null(big);
	memset(big, '5', n);
	big[n] = '\0';
	assert_false(rating_parse(NULL, big, &r));
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i % 2 ? ' ' : 'a' + (char)(i % 26));
	assert_false(rating_parse(big, big, &r));
	assert_true(r.more);
	/* a phrase past the first window of words is still seen */
	memcpy(big + 2000, " not solved ", 12);
	assert_true(rating_parse(NULL, big, &r));
	assert_true(r.not_solved);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(0x80 + i % 0x80);
	assert_false(rating_parse(big, big, &r));
	memcpy(big, "5\n", 2);
	assert_true(rating_parse(NULL, big, &r));
	assert_int_equal(r.score, 5);
	assert_true(r.more);
	/* a truncated UTF-8 sequence at the end of the line */
	assert_false(rating_parse(NULL, "\xc5", &r));
	assert_true(rating_parse(NULL, "\xc5\xb9le\n\xc5", &r));
	assert_int_equal(r.score, 2);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers),
		cmocka_unit_test(words_in_five_languages),
		cmocka_unit_test(not_solved_phrases),
		cmocka_unit_test(mailto_subjects),
		cmocka_unit_test(hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
