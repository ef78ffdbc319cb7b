/* test-lang-index.c: the word index of the language guesser.
 *
 * lang.c is included, not linked, to reach its tables and the index built
 * from them. The reference is the plain reading of the tables, as the
 * guesser had it before the index: a word matches a stop word as written
 * (W_EXACT) or, typed in plain ASCII, the stop word without its accents
 * (W_STRIPPED). Every stop word, every form without accents, every phrase
 * word and every prefix of them must get from the index exactly the
 * languages the tables give. */
#include "../../src/mail/lang.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* The match of folded word s (n bytes) against table word w, read
 * directly: W_EXACT, W_STRIPPED or 0. */
static int
ref_match(const char *s, size_t n, const char *w)
{
	const unsigned char *p = (const unsigned char *)w;
	size_t wl = strlen(w), i = 0, k = 0;
	bool ascii = true;

	if (n == wl && memcmp(s, w, n) == 0)
		return W_EXACT;
	for (size_t j = 0; j < n; j++)
		ascii &= (unsigned char)s[j] < 0x80;
	if (!ascii || n >= wl)
		return 0;
	while (i < wl) {
		unsigned cp;

		i += next_cp(p + i, wl - i, &cp);
		if (k >= n || strip_cp(cp) != s[k])
			return 0;
		k++;
	}
	return k == n ? W_STRIPPED : 0;
}

/* The languages the stop word tables give s at weight want. */
static unsigned
ref_langs(const char *s, size_t n, int want)
{
	unsigned langs = 0;

	for (size_t i = 0; i < NELEM(words); i++)
		if (ref_match(s, n, words[i].w) == want)
			langs |= words[i].langs;
	return langs;
}

/* The key the scanner finds for word (lower case, UTF-8): the word is fed
 * through token_add() as scan_line() does, so its hash is the one built
 * while reading. */
static const struct wkey *
lookup(const char *word)
{
	const unsigned char *p = (const unsigned char *)word;
	size_t n = strlen(word), i = 0;
	struct tally t;
	struct scan s;

	memset(&s, 0, sizeof(s));
	memset(&t, 0, sizeof(t));
	s.t = &t;
	s.mult = 1;
	s.cur.ascii = true;
	while (i < n) {
		unsigned cp;

		i += next_cp(p + i, n - i, &cp);
		token_add(&s, cp);
	}
	assert_false(s.cur.too_long);
	assert_int_equal(s.cur.len, n);
	return key_find(s.cur.h, s.cur.s, s.cur.len);
}

/* word must get exactly the languages of the tables, as written and
 * without accents. */
static void
check_word(const char *word)
{
	const struct wkey *k = lookup(word);
	size_t n = strlen(word);
	unsigned exact = ref_langs(word, n, W_EXACT);
	unsigned stripped = ref_langs(word, n, W_STRIPPED);

	if (exact == 0 && stripped == 0) {
		if (k != NULL) {
			assert_int_equal(k->exact, 0);
			assert_int_equal(k->stripped, 0);
		}
		return;
	}
	if (k == NULL)
		fail_msg("\"%s\" not found", word);
	if (k->exact != exact || k->stripped != stripped)
		fail_msg("\"%s\": exact %#x stripped %#x, want %#x %#x", word,
		    k->exact, k->stripped, exact, stripped);
}

static void
init(void)
{
	pthread_once(&ix_once, index_init);
}

/* The form of w without accents, or "" (see strip_word). */
static void
stripped_form(const char *w, char out[KEY_MAX + 1])
{
	size_t n = strip_word(w, out);

	out[n] = '\0';
}

static void
every_stop_word_found(void **state)
{
	size_t with_accents = 0;

	(void)state;
	init();
	for (size_t i = 0; i < NELEM(words); i++) {
		char st[KEY_MAX + 1];
		const struct wkey *k = lookup(words[i].w);

		assert_non_null(k);
		/* its own languages at least (a word that two entries
		 * list would have the union) */
		assert_int_equal(k->exact & words[i].langs, words[i].langs);
		check_word(words[i].w);
		stripped_form(words[i].w, st);
		if (st[0] == '\0')
			continue;
		with_accents++;
		k = lookup(st);
		assert_non_null(k);
		assert_int_equal(k->stripped & words[i].langs, words[i].langs);
		check_word(st);
	}
	/* the tables do have accented words: the loop above tested some */
	assert_true(with_accents > 50);
}

static void
exact_masks_of_shared_words(void **state)
{
	const struct wkey *k;

	(void)state;
	init();
	/* "ze" is a Czech and Polish word as written; it is also Czech
	 * and Slovak "že" and Polish "że" typed without accents */
	k = lookup("ze");
	assert_non_null(k);
	assert_int_equal(k->exact, CS | PL);
	assert_int_equal(k->stripped, CS | SK | PL);
	k = lookup("že");
	assert_non_null(k);
	assert_int_equal(k->exact, CS | SK);
	assert_int_equal(k->stripped, 0);
	k = lookup("że");
	assert_non_null(k);
	assert_int_equal(k->exact, PL);
	/* "dobry" is Polish as written, Czech and Slovak without accents */
	k = lookup("dobry");
	assert_non_null(k);
	assert_int_equal(k->exact, PL);
	assert_int_equal(k->stripped, CS | SK);
	/* "dekuji" is Czech "děkuji" without accents only */
	k = lookup("dekuji");
	assert_non_null(k);
	assert_int_equal(k->exact, 0);
	assert_int_equal(k->stripped, CS);
	/* "grüße" has ß, which has no base letter: no ASCII form */
	assert_null(lookup("grusse"));
	assert_null(lookup("gruse"));
}

/* Every prefix of a stop word (at a character boundary) gets the tables'
 * answer: nothing, unless it is a stop word itself ("mein" of "meine"). */
static void
prefixes_not_found(void **state)
{
	size_t tested = 0, words_too = 0;

	(void)state;
	init();
	for (size_t i = 0; i < NELEM(words); i++) {
		const char *w = words[i].w;
		size_t wl = strlen(w);

		for (size_t n = 1; n < wl; n++) {
			char pre[64];

			if (((unsigned char)w[n] & 0xc0) == 0x80)
				continue;	/* inside a character */
			memcpy(pre, w, n);
			pre[n] = '\0';
			check_word(pre);
			tested++;
			words_too += ref_langs(pre, n, W_EXACT) != 0;
		}
	}
	assert_true(tested > 500);
	assert_true(words_too > 0 && words_too < tested / 4);
	/* a few by hand */
	assert_null(lookup("than"));
	assert_null(lookup("freundliche"));
	assert_null(lookup("pozdrave"));
	assert_null(lookup("dziekuj"));
}

/* A stop word with one more letter is no stop word. */
static void
extended_words_not_found(void **state)
{
	(void)state;
	init();
	for (size_t i = 0; i < NELEM(words); i++) {
		char w[64];

		snprintf(w, sizeof(w), "%sq", words[i].w);
		check_word(w);
		if (lookup(w) != NULL) {
			assert_int_equal(lookup(w)->exact, 0);
			assert_int_equal(lookup(w)->stripped, 0);
		}
	}
}

/* Phrase words: bit i of the first/second word masks for phrase i, as
 * written and without accents. */
static void
phrase_words_found(void **state)
{
	const struct wkey *k;

	(void)state;
	init();
	for (size_t i = 0; i < NPHRASES; i++) {
		char st[KEY_MAX + 1];

		k = lookup(phrases[i].a);
		assert_non_null(k);
		assert_true(k->pa4 >> i & 1);
		k = lookup(phrases[i].b);
		assert_non_null(k);
		assert_true(k->pb4 >> i & 1);
		stripped_form(phrases[i].a, st);
		if (st[0] != '\0') {
			k = lookup(st);
			assert_non_null(k);
			assert_true(k->pa2 >> i & 1);
			assert_false(k->pa4 >> i & 1);
		}
	}
	/* "kind" and "best" are phrase words only: found, no stop word */
	k = lookup("kind");
	assert_non_null(k);
	assert_int_equal(k->exact | k->stripped, 0);
	/* "den" ends "dobrý den" (Czech) as written and "dobrý deň"
	 * (Slovak) without accents */
	k = lookup("den");
	assert_non_null(k);
	assert_int_equal(k->exact, DE | CS);
	assert_int_equal(k->pb4, 1u << 0);
	assert_int_equal(k->pb2, 1u << 1);
}

/* The tally a single word gives, read through score_token(). */
static void
score_one(const char *word, struct tally *t)
{
	const unsigned char *p = (const unsigned char *)word;
	size_t n = strlen(word), i = 0;
	struct scan s;

	memset(&s, 0, sizeof(s));
	memset(t, 0, sizeof(*t));
	s.t = t;
	s.mult = 1;
	s.cur.ascii = true;
	while (i < n) {
		unsigned cp;

		i += next_cp(p + i, n - i, &cp);
		token_add(&s, cp);
	}
	memset(t, 0, sizeof(*t));	/* letters are not what is tested */
	score_token(&s);
}

static void
endings_by_last_byte(void **state)
{
	struct tally t;

	(void)state;
	init();
	for (size_t i = 0; i < NELEM(endings); i++) {
		unsigned char last = (unsigned char)endings[i].s[endings[i].len - 1];

		assert_true(ix.ending[last] >> i & 1);
	}
	/* "volání": Czech -ní, weight 2, against every other language */
	score_one("volání", &t);
	assert_int_equal(t.words, 0);
	for (int b = 0; b < NLANG; b++)
		assert_int_equal(t.excl[L_CS][b], b == L_CS ? 0 : 2);
	assert_int_equal(t.excl[L_SK][L_EN], 0);
	/* "volanie": -anie, Slovak and Polish, weight 1 */
	score_one("volanie", &t);
	assert_int_equal(t.excl[L_SK][L_EN], 1);
	assert_int_equal(t.excl[L_PL][L_CS], 1);
	assert_int_equal(t.excl[L_SK][L_PL], 0);
	assert_int_equal(t.excl[L_CS][L_SK], 0);
	/* too short for its ending: "ní" needs two more bytes */
	score_one("aní", &t);
	assert_int_equal(t.excl[L_CS][L_EN], 0);
}

/* A stop word's points: W_EXACT for the languages it is written in,
 * W_STRIPPED for those it is without accents. */
static void
stop_word_points(void **state)
{
	struct tally t;

	(void)state;
	init();
	score_one("dobry", &t);	/* PL 4, CS and SK 2 */
	assert_int_equal(t.words, 1);
	assert_int_equal(t.excl[L_PL][L_EN], W_EXACT);
	assert_int_equal(t.excl[L_PL][L_CS], W_EXACT - W_STRIPPED);
	assert_int_equal(t.excl[L_CS][L_EN], W_STRIPPED);
	assert_int_equal(t.excl[L_CS][L_SK], 0);
	assert_int_equal(t.excl[L_CS][L_PL], 0);
	assert_int_equal(t.excl[L_EN][L_PL], 0);
	score_one("the", &t);
	assert_int_equal(t.words, 1);
	for (int b = 0; b < NLANG; b++)
		assert_int_equal(t.excl[L_EN][b], b == L_EN ? 0 : W_EXACT);
	assert_int_equal(t.excl[L_DE][L_EN], 0);
	score_one("router", &t);
	assert_int_equal(t.words, 0);
	assert_int_equal(t.excl[L_EN][L_DE], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_stop_word_found),
		cmocka_unit_test(exact_masks_of_shared_words),
		cmocka_unit_test(prefixes_not_found),
		cmocka_unit_test(extended_words_not_found),
		cmocka_unit_test(phrase_words_found),
		cmocka_unit_test(endings_by_last_byte),
		cmocka_unit_test(stop_word_points),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
