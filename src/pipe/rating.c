/* rating.c: see rating.h. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "postdesk/rating.h"

#define LINE_MAX_FOLDED	1024	/* a first line longer than this is no rating */
#define SCAN_MAX	4096	/* "not solved" is looked for this far */
#define MAX_TOKENS	64

/* U+00C0 ... U+017F without case and diacritics: the base letter, ' ' for
 * the two signs (× ÷), '#' for ligatures that stand for no one letter. */
static const char latin_fold[] =
    "aaaaaaaceeeeiiiidnooooo ouuuuytsaaaaaaaceeeeiiiidnooooo ouuuuyty"
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii##jjkkklllllll"
    "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

_Static_assert(sizeof(latin_fold) == 0x180 - 0xc0 + 1, "one letter per code point");

/* Fold up to len bytes of s into out (size bytes): ASCII lower case,
 * digits and '/' kept, other ASCII a space, Latin letters with diacritics
 * their base letter, apostrophes dropped ("doesn't" → "doesnt"), any other
 * character '#' (part of a word that matches nothing). Stops at the first
 * LF when one_line. Returns the length written. */
static size_t
fold(const char *s, size_t len, bool one_line, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;

	while (p < end && n + 1 < size) {
		unsigned c = *p;

		if (c == '\n' && one_line)
			break;
		if (c < 0x80) {
			if (c >= 'A' && c <= 'Z')
				out[n++] = (char)(c + 32);
			else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/')
				out[n++] = (char)c;
			else if (c != '\'')
				out[n++] = ' ';
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf && p + 1 < end && (p[1] & 0xc0) == 0x80) {
			unsigned cp = ((c & 0x1f) << 6) | (p[1] & 0x3f);

			out[n++] = cp >= 0xc0 && cp < 0x180 ? latin_fold[cp - 0xc0] :
			    cp == 0xa0 ? ' ' : '#';
			p += 2;
			continue;
		}
		/* U+2019 and U+2018, the typographic apostrophes */
		if (c == 0xe2 && p + 2 < end && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
			p += 3;
			continue;
		}
		out[n++] = '#';
		for (p++; p < end && (*p & 0xc0) == 0x80; p++)
			;
	}
	out[n] = '\0';
	return n;
}

struct tokens {
	const char *v[MAX_TOKENS];
	size_t len[MAX_TOKENS];
	size_t n;
	bool truncated;
};

static void
tokenize(const char *s, struct tokens *t)
{
	t->n = 0;
	t->truncated = false;
	while (*s != '\0') {
		size_t l;

		s += strspn(s, " ");
		l = strcspn(s, " ");
		if (l == 0)
			break;
		if (t->n == MAX_TOKENS) {
			t->truncated = true;
			break;
		}
		t->v[t->n] = s;
		t->len[t->n++] = l;
		s += l;
	}
}

static bool
tok_is(const struct tokens *t, size_t i, const char *w)
{
	return i < t->n && t->len[i] == strlen(w) && memcmp(t->v[i], w, t->len[i]) == 0;
}

static bool
in_list(const struct tokens *t, size_t i, const char *const *list)
{
	for (; *list != NULL; list++)
		if (tok_is(t, i, *list))
			return true;
	return false;
}

/* "The problem is not solved", folded, as token sequences. */
static const char *const not_solved[] = {
	/* en */
	"not solved", "not resolved", "unsolved", "unresolved", "not fixed",
	"not working", "doesnt work", "does not work", "still broken",
	/* cs */
	"nevyreseno", "nevyresene", "nevyreseny", "nevyresena", "neni vyreseno",
	"neni vyresene", "nefunguje",
	/* sk */
	"nevyriesene", "nevyrieseny", "nevyriesena", "nie je vyriesene",
	"nie je vyriesenie", "nefunguje",
	/* pl */
	"nierozwiazany", "nierozwiazane", "nierozwiazana", "nie rozwiazany",
	"nie rozwiazane", "nie rozwiazana", "nie rozwiazano", "nie dziala",
	/* hu */
	"nincs megoldva", "nem megoldott", "nincs megoldas", "megoldatlan",
	"nem mukodik",
	NULL,
};

/* Words that rate, by the score they stand for. */
static const char *const words_5[] = {
	"excellent", "great", "perfect", "awesome", "fantastic", "superb", "amazing",
	"super", "vyborne", "vyborny", "vyborna", "skvele", "skvely", "skvela",
	"perfektni", "perfektne", "perfektny", "vynikajici", "vynikajuce",
	"vynikajuci", "swietnie", "doskonale", "znakomicie", "rewelacja",
	"rewelacyjnie", "idealnie", "kivalo", "kivaloan", "nagyszeru", "tokeletes",
	"szuper", "remek", NULL,
};
static const char *const words_4[] = {
	"good", "nice", "satisfied", "happy", "dobre", "dobry", "dobra", "dobrze",
	"spokojeny", "spokojena", "spokojen", "zadowolony", "zadowolona", "jo",
	"elegedett", NULL,
};
static const char *const words_2[] = {
	"bad", "poor", "unsatisfied", "dissatisfied", "unhappy", "spatne", "spatny",
	"spatna", "nespokojeny", "nespokojena", "nespokojen", "zle", "zly", "zla",
	"slabo", "slabe", "niezadowolony", "niezadowolona", "rossz", "gyenge",
	"elegedetlen", NULL,
};
static const char *const words_1[] = {
	"terrible", "awful", "horrible", "hrozne", "hrozny", "strasne", "strasny",
	"otresne", "priserne", "katastrofa", "okropnie", "fatalnie", "tragicznie",
	"beznadziejnie", "szornyu", "borzalmas", "pocsek", NULL,
};

/* Politeness and the words around a score, which a rating line may hold. */
static const char *const filler[] = {
	/* en */
	"thanks", "thank", "you", "thx", "ty", "ok", "okay", "very", "much", "so",
	"really", "for", "your", "the", "help", "support", "service", "and", "a",
	"is", "it", "was", "all", "everything", "works", "working", "now", "rating",
	"rate", "score", "i", "my", "give", "would", "stars", "star", "points",
	"solved", "resolved", "fixed", "yes", "hi", "hello",
	/* cs, sk */
	"dekuji", "dekujeme", "diky", "dik", "moc", "mockrat", "velmi", "za",
	"pomoc", "vse", "vsechno", "funguje", "uz", "je", "to", "bylo", "bolo",
	"hodnoceni", "hodnotim", "hodnotenie", "znamka", "davam", "prosim",
	"vyreseno", "vyresene", "ano", "dakujem", "dakujeme", "vdaka", "vsetko",
	"vyriesene", "ano", "hvezdicek", "hviezdiciek",
	/* pl */
	"dziekuje", "dziekujemy", "dzieki", "bardzo", "wszystko", "dziala", "juz",
	"jest", "ocena", "oceniam", "daje", "prosze", "rozwiazany", "rozwiazane",
	"tak", "gwiazdek",
	/* hu */
	"koszonom", "koszonjuk", "koszi", "kosz", "nagyon", "segitseget",
	"segitseg", "minden", "mukodik", "mar", "ez", "volt", "ertekeles",
	"ertekelem", "es", "megoldva", "igen", "csillag",
	NULL,
};

/* "4" or "4/5": the score, else 0. */
static int
number_at(const struct tokens *t, size_t i)
{
	const char *s;

	if (i >= t->n)
		return 0;
	s = t->v[i];
	if (s[0] < '1' || s[0] > '5')
		return 0;
	if (t->len[i] == 1 || (t->len[i] == 3 && memcmp(s + 1, "/5", 2) == 0))
		return s[0] - '0';
	return 0;
}

/* How many tokens the phrase at i takes (0: none there). */
static size_t
phrase_at(const struct tokens *t, size_t i, const char *phrase)
{
	size_t k = 0;

	while (*phrase != '\0') {
		size_t l = strcspn(phrase, " ");

		if (i + k >= t->n || t->len[i + k] != l || memcmp(t->v[i + k], phrase, l) != 0)
			return 0;
		k++;
		phrase += l;
		phrase += strspn(phrase, " ");
	}
	return k;
}

static size_t
not_solved_at(const struct tokens *t, size_t i)
{
	for (const char *const *p = not_solved; *p != NULL; p++) {
		size_t k = phrase_at(t, i, *p);

		if (k > 0)
			return k;
	}
	return 0;
}

static int
word_score(const struct tokens *t, size_t i)
{
	return in_list(t, i, words_5) ? 5 : in_list(t, i, words_4) ? 4 :
	    in_list(t, i, words_2) ? 2 : in_list(t, i, words_1) ? 1 : 0;
}

/* What one folded line says. */
struct line {
	int score;		/* 0: none, or two numbers that disagree */
	bool not_solved;
	bool pure;		/* nothing but scores, "not solved" and filler */
};

static void
read_line(const char *folded, struct line *l)
{
	struct tokens t;
	int number = 0, word = 0;
	bool numbers_differ = false, words_differ = false;

	memset(l, 0, sizeof(*l));
	tokenize(folded, &t);
	l->pure = !t.truncated && t.n > 0;
	for (size_t i = 0; i < t.n; i++) {
		size_t k;
		int v;

		if ((k = not_solved_at(&t, i)) > 0) {
			l->not_solved = true;
			i += k - 1;
		} else if ((v = number_at(&t, i)) > 0) {
			/* "4 out of 5", "4 z 5", "4 na 5" */
			if (tok_is(&t, i + 1, "out") && tok_is(&t, i + 2, "of") &&
			    tok_is(&t, i + 3, "5"))
				i += 3;
			else if ((tok_is(&t, i + 1, "z") || tok_is(&t, i + 1, "ze") ||
			    tok_is(&t, i + 1, "zo") || tok_is(&t, i + 1, "na")) &&
			    tok_is(&t, i + 2, "5"))
				i += 2;
			numbers_differ |= number != 0 && number != v;
			number = v;
		} else if ((v = word_score(&t, i)) > 0) {
			words_differ |= word != 0 && word != v;
			word = v;
		} else if (!in_list(&t, i, filler))
			l->pure = false;
	}
	/* A number says more than a word ("great, 4" is a 4); two numbers
	 * or two words that disagree say nothing. */
	if (numbers_differ || (number == 0 && words_differ)) {
		l->pure = false;
		return;
	}
	l->score = number != 0 ? number : word;
}

/* The score of a subject ending in "rating N", else 0. */
static int
subject_score(const char *subject)
{
	char folded[LINE_MAX_FOLDED];
	struct tokens t;

	if (subject == NULL)
		return 0;
	fold(subject, strlen(subject), true, folded, sizeof(folded));
	tokenize(folded, &t);
	if (t.n >= 2 && tok_is(&t, t.n - 2, "rating") && t.len[t.n - 1] == 1)
		return number_at(&t, t.n - 1);
	return 0;
}

static bool
blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

bool
rating_parse(const char *subject, const char *text, struct rating *r)
{
	char folded[LINE_MAX_FOLDED];
	const char *line, *after;
	size_t len = text != NULL ? strlen(text) : 0, skip, line_len;
	struct line l;

	memset(r, 0, sizeof(*r));
	r->score = subject_score(subject);
	if (text == NULL)
		text = "";
	/* the first non-blank line */
	skip = strspn(text, " \t\r\n");
	line = text + skip;
	line_len = strcspn(line, "\n");
	after = line + line_len;
	memset(&l, 0, sizeof(l));
	if (line_len > 0 && line_len < LINE_MAX_FOLDED) {
		fold(line, line_len, true, folded, sizeof(folded));
		read_line(folded, &l);
	}
	if (l.pure && (l.score != 0 || l.not_solved)) {
		/* a rating line: whatever follows it is the message */
		if (r->score == 0)
			r->score = l.score;
		r->not_solved = l.not_solved;
		r->more = !blank(after, len - (size_t)(after - text));
	} else {
		r->more = !blank(text, len);
	}
	/* "not solved" anywhere near the top counts, rating line or not */
	if (!r->not_solved && !blank(text, len)) {
		char scan[SCAN_MAX];
		struct tokens t;
		const char *p = scan;

		fold(text, len < SCAN_MAX ? len : SCAN_MAX, false, scan, sizeof(scan));
		/* tokenize in windows: a long text has more than MAX_TOKENS words */
		while (!r->not_solved && *p != '\0') {
			tokenize(p, &t);
			for (size_t i = 0; i < t.n && !r->not_solved; i++)
				if (not_solved_at(&t, i) > 0)
					r->not_solved = true;
			if (!t.truncated)
				break;
			/* go on from the middle of this window, so that a phrase
			 * across the window's end is seen whole in the next */
			p = t.v[t.n / 2];
		}
	}
	return r->score != 0 || r->not_solved;
}
