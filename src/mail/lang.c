/* lang.c: see lang.h.
 *
 * Scoring. The text is cut into words at non-letters and folded to lower
 * case with a small table (no locale). Each piece of evidence gives some
 * languages some points:
 *   stop word, as written                 4  W_EXACT
 *   stop word typed without accents       2  W_STRIPPED ("dekuji" = děkuji)
 *   two-word phrase ("dobrý deň")         4 / 2, on top of its two words
 *   characteristic letter (ř, ľ, ł, ő, ß) 2  W_MARK, each occurrence
 *   shared or weak letter (ä ö ü á é í ó ú) 1  W_LIGHT
 *   word ending (-ní cs, -ujem sk, -iť sk) 1-2
 * What one piece gives language a beyond what it gives language b is
 * evidence for a against b, summed in excl[a][b]. So words that Czech and
 * Slovak share ("je", "prosím") decide nothing between the two, yet still
 * count against English or German.
 *
 * Decision. Language L is the answer when, against every other language M,
 * excl[L][M] >= LANG_MARGIN (one exclusive stop word) and
 * excl[L][M] >= 2 * excl[M][L]. Before that, the text needs at least
 * LANG_MIN_WORDS recognised stop words or one characteristic letter: "OK"
 * or "Thanks" alone say nothing.
 *
 * Content-Language: see lang.h; "clearly contradicts" means some language
 * M has excl[M][H] >= LANG_CLEAR and excl[M][H] >= 2 * excl[H][M] against
 * the first listed language H.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "postdesk/lang.h"
#include "postdesk/utf8.h"

enum { L_EN, L_CS, L_SK, L_PL, L_HU, L_DE, NLANG };

#define EN (1u << L_EN)
#define CS (1u << L_CS)
#define SK (1u << L_SK)
#define PL (1u << L_PL)
#define HU (1u << L_HU)
#define DE (1u << L_DE)

static const char *const lang_codes[NLANG] = {
	"en", "cs", "sk", "pl", "hu", "de"
};

#define LANG_SCAN_MAX	(64 * 1024)	/* bytes of text looked at */
#define LANG_TOKEN_MAX	40		/* longer words are no stop words */
#define W_EXACT		4
#define W_STRIPPED	2
#define W_MARK		2
#define W_LIGHT		1
_Static_assert(W_EXACT > W_STRIPPED && W_STRIPPED > 0, "see score_token()");
#define LANG_MARGIN	4		/* one exclusive stop word */
#define LANG_CLEAR	12		/* about three of them */
#define LANG_MIN_WORDS	3
#define LANG_SUBJECT_MULT 2

/* Stop words, lower case. A word several languages use lists them all;
 * it then counts against the others only. */
static const struct word {
	const char *w;
	unsigned langs;
} words[] = {
	/* English */
	{ "the", EN }, { "and", EN }, { "is", EN | HU }, { "are", EN },
	{ "was", EN | DE }, { "be", EN }, { "been", EN }, { "you", EN },
	{ "your", EN }, { "i", EN | PL }, { "me", EN }, { "we", EN },
	{ "our", EN }, { "us", EN }, { "it", EN }, { "this", EN },
	{ "that", EN }, { "there", EN }, { "what", EN }, { "have", EN },
	{ "has", EN }, { "had", EN }, { "not", EN }, { "can", EN },
	{ "cannot", EN }, { "could", EN }, { "would", EN },
	{ "will", EN | DE }, { "please", EN }, { "thank", EN },
	{ "thanks", EN }, { "hello", EN }, { "hi", EN }, { "dear", EN },
	{ "regards", EN }, { "of", EN }, { "for", EN }, { "with", EN },
	{ "from", EN }, { "in", EN | DE }, { "at", EN }, { "an", EN | DE },
	{ "am", EN | DE }, { "but", EN }, { "or", EN }, { "if", EN },
	{ "when", EN }, { "since", EN }, { "any", EN }, { "get", EN },
	{ "just", EN }, { "still", EN }, { "also", EN | DE }, { "know", EN },
	{ "let", EN }, { "don't", EN }, { "can't", EN }, { "i'm", EN },
	{ "it's", EN }, { "i've", EN }, { "doesn't", EN }, { "isn't", EN },
	{ "didn't", EN }, { "won't", EN }, { "that's", EN }, { "i'll", EN },
	{ "you've", EN }, { "we've", EN }, { "you're", EN }, { "we're", EN },
	{ "my", EN | CS | SK | PL }, { "to", EN | CS | SK | PL },
	{ "do", EN | CS | SK | PL },
	/* German */
	{ "der", DE }, { "die", DE }, { "das", DE }, { "den", DE | CS },
	{ "dem", DE }, { "des", DE }, { "ein", DE }, { "eine", DE },
	{ "einen", DE }, { "einem", DE }, { "einer", DE }, { "und", DE },
	{ "oder", DE }, { "aber", DE }, { "nicht", DE }, { "kein", DE },
	{ "keine", DE }, { "ich", DE }, { "mich", DE }, { "mir", DE },
	{ "mein", DE }, { "meine", DE }, { "meinen", DE }, { "sie", DE },
	{ "ihr", DE }, { "ihre", DE }, { "ihnen", DE }, { "wir", DE },
	{ "uns", DE }, { "es", DE }, { "er", DE }, { "ist", DE },
	{ "sind", DE }, { "bin", DE }, { "war", DE }, { "habe", DE },
	{ "hat", DE }, { "haben", DE }, { "kann", DE }, { "können", DE },
	{ "konnte", DE }, { "wird", DE }, { "werden", DE }, { "wurde", DE },
	{ "bitte", DE }, { "danke", DE }, { "dank", DE }, { "vielen", DE },
	{ "hallo", DE }, { "guten", DE }, { "tag", DE }, { "sehr", DE },
	{ "geehrte", DE }, { "geehrter", DE }, { "damen", DE },
	{ "herren", DE }, { "grüße", DE }, { "gruß", DE },
	{ "freundlichen", DE }, { "leider", DE }, { "auch", DE },
	{ "noch", DE }, { "schon", DE }, { "nur", DE }, { "mit", DE },
	{ "von", DE }, { "für", DE }, { "auf", DE }, { "aus", DE },
	{ "bei", DE }, { "nach", DE }, { "über", DE }, { "zu", DE },
	{ "zum", DE }, { "zur", DE }, { "im", DE }, { "vom", DE },
	{ "wie", DE }, { "wenn", DE }, { "dass", DE }, { "daß", DE },
	{ "sich", DE }, { "um", DE }, { "ja", SK | PL | DE },
	/* Czech; the Slovak counterparts follow in about the same order */
	{ "jsem", CS }, { "jsi", CS }, { "jsme", CS }, { "jste", CS },
	{ "jsou", CS }, { "se", CS }, { "není", CS }, { "nejsem", CS },
	{ "být", CS }, { "byl", CS }, { "byla", CS }, { "bylo", CS },
	{ "byly", CS }, { "bych", CS }, { "bychom", CS }, { "také", CS },
	{ "též", CS }, { "taky", CS }, { "jen", CS }, { "pouze", CS },
	{ "jako", CS }, { "nebo", CS }, { "protože", CS }, { "pro", CS },
	{ "při", CS }, { "děkuji", CS }, { "děkuju", CS },
	{ "děkujeme", CS }, { "díky", CS }, { "můžete", CS }, { "můžu", CS },
	{ "mohu", CS }, { "může", CS }, { "nemůžu", CS }, { "nemohu", CS },
	{ "chci", CS }, { "chtěl", CS }, { "chtěla", CS },
	{ "potřebuji", CS }, { "potřebuju", CS }, { "který", CS },
	{ "která", CS }, { "které", CS }, { "kterou", CS }, { "když", CS },
	{ "teď", CS }, { "ještě", CS }, { "proč", CS }, { "mě", CS },
	{ "mně", CS }, { "tato", CS }, { "ne", CS }, { "ano", CS },
	{ "pozdravem", CS }, { "ve", CS }, { "ke", CS }, { "ze", CS | PL },
	{ "pomoci", CS }, { "pomoct", CS }, { "já", CS }, { "mít", CS },
	/* Slovak */
	{ "sa", SK }, { "som", SK }, { "sme", SK }, { "ste", SK },
	{ "sú", SK }, { "nie", SK | PL }, { "byť", SK }, { "bol", SK },
	{ "bola", SK }, { "bolo", SK }, { "boli", SK }, { "tiež", SK },
	{ "aj", SK }, { "len", SK }, { "iba", SK }, { "ako", SK },
	{ "alebo", SK }, { "pretože", SK }, { "pre", SK }, { "pri", SK },
	{ "ďakujem", SK }, { "ďakujeme", SK }, { "vďaka", SK },
	{ "deň", SK }, { "môžete", SK }, { "môžem", SK }, { "môže", SK },
	{ "nemôžem", SK }, { "chcem", SK }, { "chcel", SK },
	{ "chcela", SK }, { "potrebujem", SK }, { "ktorý", SK },
	{ "ktorá", SK }, { "ktoré", SK }, { "ktorú", SK }, { "keď", SK },
	{ "teraz", SK }, { "ešte", SK }, { "čo", SK }, { "prečo", SK },
	{ "ma", SK | PL }, { "mne", SK }, { "táto", SK }, { "áno", SK },
	{ "pozdravom", SK }, { "zo", SK }, { "ku", SK }, { "vo", SK },
	{ "mať", SK }, { "pomôcť", SK },
	/* shared by Czech and Slovak (some also by Polish) */
	{ "je", CS | SK }, { "že", CS | SK }, { "si", CS | SK },
	{ "prosím", CS | SK }, { "dobrý", CS | SK }, { "mám", CS | SK },
	{ "máme", CS | SK }, { "má", CS | SK }, { "by", CS | SK },
	{ "už", CS | SK }, { "v", CS | SK }, { "k", CS | SK },
	{ "s", CS | SK }, { "vás", CS | SK }, { "vám", CS | SK },
	{ "váš", CS | SK }, { "vaše", CS | SK }, { "nám", CS | SK },
	{ "nás", CS | SK }, { "kde", CS | SK }, { "bude", CS | SK },
	{ "nefunguje", CS | SK }, { "funguje", CS | SK }, { "nejde", CS | SK },
	{ "dnes", CS | SK }, { "zdravím", CS | SK }, { "tento", CS | SK },
	{ "toto", CS | SK }, { "jak", CS | PL }, { "co", CS | PL },
	{ "ale", CS | SK | PL }, { "na", CS | SK | PL }, { "z", CS | SK | PL },
	{ "od", CS | SK | PL }, { "po", CS | SK | PL }, { "za", CS | SK | PL },
	{ "o", CS | SK | PL }, { "mi", CS | SK | PL }, { "tak", CS | SK | PL },
	{ "pomoc", CS | SK | PL }, { "ten", CS | SK | PL },
	{ "ta", CS | SK | PL },
	/* Polish */
	{ "się", PL }, { "jest", PL }, { "są", PL }, { "że", PL },
	{ "być", PL }, { "jestem", PL }, { "mam", PL }, { "mogę", PL },
	{ "może", PL }, { "można", PL }, { "czy", PL }, { "w", PL },
	{ "bardzo", PL }, { "tylko", PL }, { "mnie", PL }, { "dzień", PL },
	{ "dobry", PL }, { "proszę", PL }, { "dziękuję", PL },
	{ "dziękuje", PL }, { "dzięki", PL }, { "pozdrawiam", PL },
	{ "witam", PL }, { "pan", PL }, { "pani", PL }, { "państwo", PL },
	{ "też", PL }, { "jeszcze", PL }, { "który", PL }, { "która", PL },
	{ "które", PL }, { "żeby", PL }, { "bo", PL }, { "ponieważ", PL },
	{ "gdy", PL }, { "kiedy", PL }, { "dlaczego", PL }, { "mój", PL },
	{ "moje", PL }, { "nam", PL }, { "już", PL }, { "jednak", PL },
	/* Hungarian */
	{ "és", HU }, { "hogy", HU }, { "nem", HU }, { "az", HU },
	{ "egy", HU }, { "van", HU }, { "nincs", HU }, { "volt", HU },
	{ "lesz", HU }, { "de", HU }, { "meg", HU }, { "már", HU },
	{ "még", HU }, { "csak", HU }, { "sem", HU }, { "ez", HU },
	{ "ezt", HU }, { "azt", HU }, { "ha", HU }, { "mert", HU },
	{ "vagy", HU }, { "nekem", HU }, { "ön", HU }, { "önök", HU },
	{ "tudok", HU }, { "tudom", HU }, { "tudna", HU },
	{ "szeretném", HU }, { "szeretnék", HU }, { "kérem", HU },
	{ "kérném", HU }, { "köszönöm", HU }, { "köszönjük", HU },
	{ "köszi", HU }, { "jó", HU }, { "napot", HU }, { "kívánok", HU },
	{ "üdvözlettel", HU }, { "tisztelt", HU }, { "kedves", HU },
	{ "kell", HU }, { "lenne", HU }, { "minden", HU }, { "mint", HU },
	{ "amit", HU }, { "ami", HU }, { "hogyan", HU }, { "miért", HU },
	{ "nagyon", HU }, { "szia", HU },
};

/* Two words in a row that say more than each alone. */
static const struct phrase {
	const char *a, *b;
	unsigned langs;
} phrases[] = {
	{ "dobrý", "den", CS }, { "dobrý", "deň", SK },
	{ "nie", "je", SK }, { "by", "som", SK },
	{ "dzień", "dobry", PL }, { "jó", "napot", HU },
	{ "guten", "tag", DE }, { "vielen", "dank", DE },
	{ "thank", "you", EN }, { "kind", "regards", EN },
	{ "best", "regards", EN },
};

/* Word endings: Czech verbal nouns end in -ní where Slovak has -nie (as
 * has Polish), Slovak infinitives in -ť where Czech has -t. The word must
 * be at least two bytes longer than the ending. */
static const struct ending {
	const char *s;
	size_t len;		/* strlen(s) */
	unsigned langs;
	int weight;
	bool ascii_only;	/* only for words typed without accents */
} endings[] = {
#define E(s, langs, weight, ascii_only) { s, sizeof(s) - 1, langs, weight, ascii_only }
	E("ní", CS, 2, false), E("uji", CS, 2, false),
	E("uju", CS, 2, false), E("ujem", SK, 2, false),
	E("iť", SK, 2, false), E("ať", SK, 2, false),
	E("enie", SK | PL, 1, false), E("anie", SK | PL, 1, false),
	E("eni", CS, 1, true),
#undef E
};

/* Letters (lower case) that point at languages. W_MARK letters are also
 * "characteristic": one is enough to pass the minimum-evidence rule. */
static const struct letter {
	unsigned cp;
	unsigned langs;
	int weight;
} letters[] = {
	{ 0x11b, CS, W_MARK }, { 0x159, CS, W_MARK }, { 0x16f, CS, W_MARK },
	{ 0x13e, SK, W_MARK }, { 0x13a, SK, W_MARK }, { 0x155, SK, W_MARK },
	{ 0xf4, SK, W_MARK },
	{ 0x10d, CS | SK, W_MARK }, { 0x161, CS | SK, W_MARK },
	{ 0x17e, CS | SK, W_MARK }, { 0x148, CS | SK, W_MARK },
	{ 0x165, CS | SK, W_MARK }, { 0x10f, CS | SK, W_MARK },
	{ 0xfd, CS | SK, W_MARK },
	{ 0x105, PL, W_MARK }, { 0x119, PL, W_MARK }, { 0x142, PL, W_MARK },
	{ 0x15b, PL, W_MARK }, { 0x17a, PL, W_MARK }, { 0x17c, PL, W_MARK },
	{ 0x107, PL, W_MARK }, { 0x144, PL, W_MARK },
	{ 0x151, HU, W_MARK }, { 0x171, HU, W_MARK },
	{ 0xdf, DE, W_MARK },
	{ 0xe4, SK | DE, W_LIGHT }, { 0xf6, DE | HU, W_LIGHT },
	{ 0xfc, DE | HU, W_LIGHT }, { 0xe1, CS | SK | HU, W_LIGHT },
	{ 0xe9, CS | SK | HU, W_LIGHT }, { 0xed, CS | SK | HU, W_LIGHT },
	{ 0xfa, CS | SK | HU, W_LIGHT }, { 0xf3, PL | HU, W_LIGHT },
};

/* Case folding for Latin-1 and Latin Extended-A: in [first, last], every
 * step-th code point is upper case and its lower case is cp + delta. */
static const struct fold_range {
	unsigned first, last, step;
	int delta;
} folds[] = {
	{ 'A', 'Z', 1, 32 },
	{ 0xc0, 0xd6, 1, 32 },			/* À..Ö */
	{ 0xd8, 0xde, 1, 32 },			/* Ø..Þ */
	{ 0x100, 0x12e, 2, 1 },			/* Ā..Į */
	{ 0x130, 0x130, 1, 'i' - 0x130 },	/* İ */
	{ 0x132, 0x136, 2, 1 },			/* Ĳ..Ķ */
	{ 0x139, 0x147, 2, 1 },			/* Ĺ..Ň */
	{ 0x14a, 0x176, 2, 1 },			/* Ŋ..Ŷ */
	{ 0x178, 0x178, 1, 0xff - 0x178 },	/* Ÿ */
	{ 0x179, 0x17d, 2, 1 },			/* Ź..Ž */
};

/* Base letter of U+00C0..U+017F ('.' = none), for words typed without
 * accents. */
static const char strip_map[] =
    "aaaaaaaceeeeiiii" "dnooooo.ouuuuyt." "aaaaaaaceeeeiiii" "dnooooo.ouuuuyty"
    "aaaaaaccccccccdd" "ddeeeeeeeeeegggg" "gggghhhhiiiiiiii" "iiiijjkkklllllll"
    "lllnnnnnnnnnoooo" "oooorrrrrrssssss" "ssttttttuuuuuuuu" "uuuuwwyyyzzzzzzs";

struct token {
	char s[LANG_TOKEN_MAX + 4];	/* folded UTF-8, len bytes */
	uint64_t h;			/* key_hash() of them, as they come */
	size_t len;
	bool ascii;
	bool too_long;
};

struct tally {
	int excl[NLANG][NLANG];	/* evidence for [a] against [b] */
	unsigned words;		/* recognised stop words */
	unsigned marks;		/* characteristic letters */
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NPHRASES	NELEM(phrases)

/* The word index: every string a token can match, once. A key is a stop
 * word as written, a stop word without its accents ("dekuji"), a word of a
 * phrase, or several of these at once ("dobry" is Polish as written and
 * Czech and Slovak without accents). A token is looked up once, by hash,
 * instead of being compared with every stop word: the guess reads every
 * mail, and the compare loop was most of its cost. */
#define KEY_MAX		24	/* bytes; the longest stop word has 14 */
#define KEY_SLOTS	1024	/* hash slots, a power of two */
#define KEYS_MAX	(2 * NELEM(words) + 2 * 2 * NPHRASES)

struct wkey {
	char s[KEY_MAX];	/* folded UTF-8, len bytes */
	uint64_t h;		/* key_hash() */
	unsigned char len;
	unsigned char exact;	/* languages it is a stop word of as written */
	unsigned char stripped;	/* ... once its accents are dropped */
	unsigned short pa4, pa2;	/* phrases it is the first word of: */
	unsigned short pb4, pb2;	/* as written (4) or stripped (2) */
};

static struct {
	struct wkey keys[KEYS_MAX];
	unsigned short nkeys;
	unsigned short slot[KEY_SLOTS];		/* key index + 1, 0 = free */
	unsigned short fold[0x180 - 0xc0];	/* lower case of U+00C0.. */
	signed char letter[0x180 - 0xc0];	/* index in letters[], or -1 */
	unsigned short ending[256];	/* endings[] by their last byte */
} ix;
static pthread_once_t ix_once = PTHREAD_ONCE_INIT;


_Static_assert(NPHRASES <= 16 && NELEM(endings) <= 16,
    "struct wkey and ix.ending hold one bit per phrase and per ending");

struct scan {
	struct tally *t;
	int mult;
	struct token cur;
	unsigned short prev_pa4, prev_pa2;	/* the previous word's phrases */
	bool have_prev;
};

/* The case folding of folds[], without the table walk: ASCII inline, the
 * rest of Latin-1 and Latin Extended-A from ix.fold. */
static unsigned
fold_cp(unsigned cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp >= 0xc0 && cp < 0x180)
		return ix.fold[cp - 0xc0];
	return cp;
}

static unsigned
fold_cp_slow(unsigned cp)
{
	for (size_t i = 0; i < NELEM(folds); i++) {
		const struct fold_range *f = &folds[i];

		if (cp >= f->first && cp <= f->last &&
		    (cp - f->first) % f->step == 0)
			return (unsigned)((int)cp + f->delta);
	}
	return cp;
}

/* Base ASCII letter of a folded code point, or 0. */
static char
strip_cp(unsigned cp)
{
	if (cp < 0x80)
		return (char)cp;
	if (cp >= 0xc0 && cp <= 0x17f && strip_map[cp - 0xc0] != '.')
		return strip_map[cp - 0xc0];
	return 0;
}

/* Letters make words, everything else separates them. Beyond Latin the
 * test is rough: it keeps other scripts' words together (they match nothing)
 * and splits at punctuation, symbols and spaces. */
static bool
is_letter(unsigned cp)
{
	if (cp < 0x80)
		return (cp | 32) >= 'a' && (cp | 32) <= 'z';
	if (cp < 0xc0)
		return false;
	if (cp < 0x2000)
		return cp != 0xd7 && cp != 0xf7;
	return (cp >= 0x3040 && cp < 0xd800) || (cp >= 0xf900 && cp < 0xfe00);
}

/* Decode one code point at p (n > 0 bytes left). An invalid byte decodes
 * as U+FFFD on its own, which ends a word. */
static size_t
next_cp(const unsigned char *p, size_t n, unsigned *cp_r)
{
	size_t k;

	if (p[0] < 0x80) {
		*cp_r = p[0];
		return 1;
	}
	switch (k = utf8_seq_len(p, n)) {
	case 2:
		*cp_r = (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu);
		break;
	case 3:
		*cp_r = (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 |
		    (p[2] & 0x3fu);
		break;
	case 4:
		*cp_r = (p[0] & 0x07u) << 18 | (p[1] & 0x3fu) << 12 |
		    (p[2] & 0x3fu) << 6 | (p[3] & 0x3fu);
		break;
	default:
		*cp_r = 0xfffd;
		k = 1;
	}
	return k;
}

/* A word's hash, one byte at a time as token_add() appends them (a
 * multiply per byte would make a longer dependency chain). */
static uint64_t
hash_add(uint64_t h, unsigned char c)
{
	return (h << 5) + h + c;
}

static uint64_t
key_hash(const char *s, size_t n)
{
	uint64_t h = 0;

	for (size_t i = 0; i < n; i++)
		h = hash_add(h, (unsigned char)s[i]);
	return h;
}

static unsigned
key_slot(uint64_t h)
{
	return (unsigned)((h * 0x9e3779b97f4a7c15u) >> 40) & (KEY_SLOTS - 1);
}

static bool
key_equal(const struct wkey *k, uint64_t h, const char *s, size_t n)
{
	if (k->h != h || k->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k->s[i] != s[i])
			return false;
	return true;
}

/* The key for the word s[0..n) of hash h, or NULL. */
static const struct wkey *
key_find(uint64_t h, const char *s, size_t n)
{
	unsigned i;

	if (n == 0 || n > KEY_MAX)
		return NULL;
	for (i = key_slot(h); ix.slot[i] != 0; i = (i + 1) & (KEY_SLOTS - 1)) {
		const struct wkey *k = &ix.keys[ix.slot[i] - 1];

		if (key_equal(k, h, s, n))
			return k;
	}
	return NULL;
}

/* The key for s[0..n), made if it is new; NULL if s is too long to be
 * one (no word of the tables is: see test-lang-index.c). */
static struct wkey *
key_add(const char *s, size_t n)
{
	uint64_t h = key_hash(s, n);
	struct wkey *k;
	unsigned i;

	if (n == 0 || n > KEY_MAX || ix.nkeys == KEYS_MAX)
		return NULL;
	for (i = key_slot(h); ix.slot[i] != 0; i = (i + 1) & (KEY_SLOTS - 1)) {
		k = &ix.keys[ix.slot[i] - 1];
		if (key_equal(k, h, s, n))
			return k;
	}
	k = &ix.keys[ix.nkeys++];
	memcpy(k->s, s, n);
	k->len = (unsigned char)n;
	k->h = h;
	ix.slot[i] = ix.nkeys;
	return k;
}

/* w without its accents ("děkuji" -> "dekuji") into buf; its length, or 0
 * when w is plain ASCII already or has a letter without a base letter
 * ("grüße": ß). Such a form matches only words typed in plain ASCII. */
static size_t
strip_word(const char *w, char buf[KEY_MAX])
{
	const unsigned char *p = (const unsigned char *)w;
	size_t n = strlen(w), i = 0, o = 0;
	bool accents = false;

	while (i < n && o < KEY_MAX) {
		unsigned cp;
		char c;

		i += next_cp(p + i, n - i, &cp);
		if ((c = strip_cp(cp)) == 0)
			return 0;
		accents |= cp >= 0x80;
		buf[o++] = c;
	}
	return accents && i == n ? o : 0;
}

/* Key w as written and without accents; returns the two (either NULL). */
static void
key_add_word(const char *w, struct wkey **exact_r, struct wkey **stripped_r)
{
	char buf[KEY_MAX];
	size_t n = strip_word(w, buf);

	*exact_r = key_add(w, strlen(w));
	*stripped_r = n > 0 ? key_add(buf, n) : NULL;
}

static void
index_init(void)
{
	struct wkey *e, *st;

	for (size_t i = 0; i < NELEM(words); i++) {
		key_add_word(words[i].w, &e, &st);
		if (e != NULL)
			e->exact |= (unsigned char)words[i].langs;
		if (st != NULL)
			st->stripped |= (unsigned char)words[i].langs;
	}
	for (size_t i = 0; i < NPHRASES; i++) {
		unsigned short bit = (unsigned short)(1u << i);

		key_add_word(phrases[i].a, &e, &st);
		if (e != NULL)
			e->pa4 |= bit;
		if (st != NULL)
			st->pa2 |= bit;
		key_add_word(phrases[i].b, &e, &st);
		if (e != NULL)
			e->pb4 |= bit;
		if (st != NULL)
			st->pb2 |= bit;
	}
	for (unsigned cp = 0xc0; cp < 0x180; cp++) {
		ix.fold[cp - 0xc0] = (unsigned short)fold_cp_slow(cp);
		ix.letter[cp - 0xc0] = -1;
	}
	for (size_t i = 0; i < NELEM(endings); i++)
		ix.ending[(unsigned char)endings[i].s[endings[i].len - 1]] |=
		    (unsigned short)(1u << i);
	for (size_t i = NELEM(letters); i-- > 0;)
		if (letters[i].cp >= 0xc0 && letters[i].cp < 0x180)
			ix.letter[letters[i].cp - 0xc0] = (signed char)i;
}

/* Add one piece of evidence that gives weight (> 0) points to each of
 * langs: it counts for each of them against each of the others. */
static void
tally_langs(struct tally *t, unsigned langs, int weight, int mult)
{
	int v = weight * mult;

	/* a row without branches: fewer mispredictions than a bit walk */
	for (unsigned as = langs; as != 0; as &= as - 1) {
		int *row = t->excl[__builtin_ctz(as)];

		for (int b = 0; b < NLANG; b++)
			row[b] += (langs >> b & 1) ? 0 : v;
	}
}

/* A phrase word's weight for phrase i: 4 as written, 2 stripped, or 0. */
static int
phrase_weight(unsigned short w4, unsigned short w2, size_t i)
{
	return (w4 >> i & 1) ? W_EXACT : (w2 >> i & 1) ? W_STRIPPED : 0;
}

/* Stop words, phrases and endings for the word just finished. */
static void
score_token(struct scan *s)
{
	const struct token *tk = &s->cur;
	const struct wkey *k = key_find(tk->h, tk->s, tk->len);

	if (k != NULL && (k->exact | k->stripped) != 0) {
		/* W_EXACT points for the languages it is written in, else
		 * W_STRIPPED for those it is one of without accents: as two
		 * pieces of evidence, the second for both sets */
		s->t->words++;
		tally_langs(s->t, k->exact, W_EXACT - W_STRIPPED, s->mult);
		tally_langs(s->t, k->exact | k->stripped, W_STRIPPED,
		    s->mult);
	}
	if (k != NULL && s->have_prev &&
	    ((k->pb4 | k->pb2) & (s->prev_pa4 | s->prev_pa2)) != 0) {
		for (size_t i = 0; i < NPHRASES; i++) {
			int wa = phrase_weight(s->prev_pa4, s->prev_pa2, i);
			int wb = phrase_weight(k->pb4, k->pb2, i);

			if (wa != 0 && wb != 0)
				tally_langs(s->t, phrases[i].langs,
				    wa < wb ? wa : wb, s->mult);
		}
	}
	s->prev_pa4 = k != NULL ? k->pa4 : 0;
	s->prev_pa2 = k != NULL ? k->pa2 : 0;
	/* the first ending that fits, among those with the word's last byte */
	for (unsigned set = ix.ending[(unsigned char)tk->s[tk->len - 1]];
	    set != 0; set &= set - 1) {
		const struct ending *e = &endings[__builtin_ctz(set)];

		if (tk->len < e->len + 2 || (e->ascii_only && !tk->ascii) ||
		    memcmp(tk->s + tk->len - e->len, e->s, e->len) != 0)
			continue;
		tally_langs(s->t, e->langs, e->weight, s->mult);
		break;
	}
}

static void
token_end(struct scan *s)
{
	if (s->cur.len > 0 && !s->cur.too_long) {
		score_token(s);
		s->have_prev = true;
	} else if (s->cur.too_long)
		s->have_prev = false;
	s->cur.h = 0;
	s->cur.len = 0;
	s->cur.ascii = true;
	s->cur.too_long = false;
}

/* One byte of the current word, hashed as it comes. */
static void
token_put(struct token *tk, unsigned c)
{
	tk->s[tk->len++] = (char)c;
	tk->h = hash_add(tk->h, (unsigned char)c);
}

/* Append a letter (or an apostrophe inside a word) to the current word and
 * count it if it is telling. */
static void
token_add(struct scan *s, unsigned cp)
{
	struct token *tk = &s->cur;

	cp = fold_cp(cp);
	if (cp >= 0xc0 && cp < 0x180 && ix.letter[cp - 0xc0] >= 0) {
		const struct letter *lt = &letters[ix.letter[cp - 0xc0]];

		tally_langs(s->t, lt->langs, lt->weight, s->mult);
		if (lt->weight == W_MARK)
			s->t->marks++;
	}
	if (tk->too_long)
		return;
	if (tk->len + 4 > LANG_TOKEN_MAX) {
		tk->too_long = true;
		return;
	}
	if (cp < 0x80) {
		token_put(tk, cp);
		return;
	}
	tk->ascii = false;
	if (cp < 0x800)
		token_put(tk, 0xc0 | cp >> 6);
	else {
		if (cp < 0x10000)
			token_put(tk, 0xe0 | cp >> 12);
		else {
			token_put(tk, 0xf0 | cp >> 18);
			token_put(tk, 0x80 | (cp >> 12 & 0x3f));
		}
		token_put(tk, 0x80 | (cp >> 6 & 0x3f));
	}
	token_put(tk, 0x80 | (cp & 0x3f));
}

static bool
ascii_letter(unsigned char c)
{
	return (c | 32) >= 'a' && (c | 32) <= 'z';
}

/* token_add() for the run of ASCII letters at p[i..n): nothing to fold
 * but case, no telling letter; read and appended in one pass. Returns
 * where the run ends. */
static size_t
token_add_ascii(struct token *tk, const unsigned char *p, size_t i, size_t n)
{
	for (; i < n && ascii_letter(p[i]); i++) {
		if (tk->too_long)
			continue;
		if (tk->len + 4 > LANG_TOKEN_MAX)
			tk->too_long = true;
		else
			token_put(tk, p[i] | 32);
	}
	return i;
}

static void
scan_line(struct scan *s, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned cp, next;

		if (ascii_letter(p[i])) {	/* most of the text */
			i = token_add_ascii(&s->cur, p, i, n);
			continue;
		}
		if (p[i] < 0x80)
			cp = p[i++];
		else
			i += next_cp(p + i, n - i, &cp);
		if (cp >= 0x300 && cp < 0x370 && s->cur.len > 0) {
			/* A combining accent (decomposed text, as some Mac
			 * mailers send): drop it, so the word is matched as
			 * if typed without accents. */
			continue;
		}
		if (is_letter(cp)) {
			token_add(s, cp);
			continue;
		}
		/* "don't", "I’m": an apostrophe between letters joins. */
		if ((cp == '\'' || cp == 0x2019) && s->cur.len > 0 && i < n) {
			next_cp(p + i, n - i, &next);
			if (is_letter(next)) {
				token_add(s, '\'');
				continue;
			}
		}
		token_end(s);
	}
	token_end(s);
}

/* A quoted line: optional blanks, then '>'. */
static bool
is_quoted(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == '>';
}

/* The signature separator "-- " (or "--", as many mailers strip the
 * trailing blank). */
static bool
is_sig_sep(const unsigned char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\r'))
		n--;
	return n == 2 && p[0] == '-' && p[1] == '-';
}

static void
scan_text(struct tally *t, const char *text, size_t len, int mult)
{
	const unsigned char *p = (const unsigned char *)text;
	struct scan s;
	size_t i = 0;

	memset(&s, 0, sizeof(s));
	s.t = t;
	s.mult = mult;
	s.cur.ascii = true;
	if (len > LANG_SCAN_MAX)
		len = LANG_SCAN_MAX;
	while (i < len) {
		const unsigned char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (p + i)) : len - i;

		if (is_sig_sep(p + i, n))
			break;
		if (is_quoted(p + i, n))
			s.have_prev = false;
		else
			scan_line(&s, p + i, n);
		i += n + 1;
	}
}

/* The language the evidence points at (see the top of this file), or -1. */
static int
decide(const struct tally *t)
{
	if (t->words < LANG_MIN_WORDS && t->marks == 0)
		return -1;
	for (int l = 0; l < NLANG; l++) {
		int m;

		for (m = 0; m < NLANG; m++)
			if (m != l && (t->excl[l][m] < LANG_MARGIN ||
			    t->excl[l][m] < 2 * t->excl[m][l]))
				break;
		if (m == NLANG)
			return l;
	}
	return -1;
}

/* Does the text clearly say it is not in language h? */
static bool
contradicts(const struct tally *t, int h)
{
	for (int m = 0; m < NLANG; m++)
		if (m != h && t->excl[m][h] >= LANG_CLEAR &&
		    t->excl[m][h] >= 2 * t->excl[h][m])
			return true;
	return false;
}

/* The supported languages a Content-Language value lists, as a mask; the
 * first of them goes to *first_r (-1 if none). Only primary subtags count;
 * "cz", a common mistake for Czech, is taken as "cs". */
static unsigned
parse_content_language(const char *v, int *first_r)
{
	unsigned mask = 0;

	*first_r = -1;
	while (v != NULL && *v != '\0') {
		char tag[3];
		size_t n = 0;

		while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n' ||
		    *v == ',')
			v++;
		while ((*v | 32) >= 'a' && (*v | 32) <= 'z') {
			if (n < 2)
				tag[n] = (char)(*v | 32);
			n++;
			v++;
		}
		if (n == 2) {
			tag[2] = '\0';
			if (strcmp(tag, "cz") == 0)
				tag[1] = 's';
			for (int l = 0; l < NLANG; l++) {
				if (strcmp(tag, lang_codes[l]) != 0)
					continue;
				if (*first_r < 0)
					*first_r = l;
				mask |= 1u << l;
			}
		}
		while (*v != '\0' && *v != ',')
			v++;
	}
	return mask;
}

const char *
lang_detect_mail(const char *subject, const char *text, size_t len,
    const char *content_language)
{
	struct tally t;
	unsigned listed;
	int l, first;

	pthread_once(&ix_once, index_init);
	memset(&t, 0, sizeof(t));
	if (subject != NULL)
		scan_text(&t, subject, strnlen(subject, LANG_SCAN_MAX),
		    LANG_SUBJECT_MULT);
	if (text != NULL)
		scan_text(&t, text, len, 1);
	l = decide(&t);
	listed = parse_content_language(content_language, &first);
	if (first < 0 || (l >= 0 && (listed & (1u << l))) ||
	    contradicts(&t, first))
		return l >= 0 ? lang_codes[l] : NULL;
	return lang_codes[first];
}

const char *
lang_detect(const char *text, size_t len, const char *content_language)
{
	return lang_detect_mail(NULL, text, len, content_language);
}
