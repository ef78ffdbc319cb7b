/* test-lang.c: the language guesser (src/mail/lang.c). The mails are
 * short support requests written for these tests. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "postdesk/lang.h"

/* lang_detect() on a NUL-terminated text. */
static const char *
detect(const char *text, const char *content_language)
{
	return lang_detect(text, strlen(text), content_language);
}

/* assert_string_equal() that also accepts two NULLs. */
#define assert_lang(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (w_ == NULL)							\
		assert_null(g_);					\
	else {								\
		assert_non_null(g_);					\
		assert_string_equal(g_, w_);				\
	}								\
} while (0)

static const char cs_mail[] =
    "Dobrý den,\n"
    "od včerejška mi nefunguje přihlášení do zákaznického portálu. "
    "Po zadání hesla se stránka jen znovu načte a nic se nestane. "
    "Můžete mi prosím poradit, co s tím? Děkuji.\n"
    "Jana Dvořáková\n";

static const char sk_mail[] =
    "Dobrý deň,\n"
    "od včera mi nefunguje prihlásenie do zákazníckeho portálu. "
    "Po zadaní hesla sa stránka len znova načíta a nič sa nestane. "
    "Môžete mi prosím poradiť, čo s tým? Ďakujem.\n"
    "Ľubica Kováčová\n";

static const char pl_mail[] =
    "Dzień dobry,\n"
    "nie mogę się zalogować do panelu klienta. Po wpisaniu hasła strona "
    "się odświeża i nic się nie dzieje. Czy mogą Państwo mi pomóc? "
    "Dziękuję.\n";

static const char hu_mail[] =
    "Jó napot!\n"
    "Nem tudok belépni az ügyfélportálra, mert a jelszó megadása után "
    "az oldal csak újratöltődik. Kérem, segítsenek. Köszönöm!\n";

static const char de_mail[] =
    "Hallo,\n"
    "ich kann mich seit gestern nicht mehr im Kundenportal anmelden. "
    "Nach der Eingabe des Passworts wird die Seite nur neu geladen. "
    "Können Sie mir bitte helfen? Danke und viele Grüße\n";

static const char en_mail[] =
    "Hello,\n"
    "I cannot log in to the customer portal since yesterday. After I "
    "enter my password the page just reloads and nothing happens. "
    "Could you please help me? Thank you.\n";

static void
support_mails(void **state)
{
	assert_lang(detect(cs_mail, NULL), "cs");
	assert_lang(detect(sk_mail, NULL), "sk");
	assert_lang(detect(pl_mail, NULL), "pl");
	assert_lang(detect(hu_mail, NULL), "hu");
	assert_lang(detect(de_mail, NULL), "de");
	assert_lang(detect(en_mail, NULL), "en");
}

static void
short_mails_each_language(void **state)
{
	assert_lang(detect("Dobrý den, nefunguje mi přihlášení. Můžete mi "
	    "pomoct?", NULL), "cs");
	assert_lang(detect("Dobrý deň, nefunguje mi prihlásenie. Môžete mi "
	    "pomôcť?", NULL), "sk");
	assert_lang(detect("Dzień dobry, nie mogę się zalogować.", NULL), "pl");
	assert_lang(detect("Jó napot! Nem tudok belépni, kérem segítsenek.",
	    NULL), "hu");
	assert_lang(detect("Hallo, ich kann mich nicht anmelden.", NULL), "de");
	assert_lang(detect("Hello, I cannot log in. Please help.", NULL), "en");
}

/* Czech and Slovak sentences that differ in one or two words. */
static void
czech_slovak_pairs(void **state)
{
	assert_lang(detect("Dobrý den, prosím o pomoc.", NULL), "cs");
	assert_lang(detect("Dobrý deň, prosím o pomoc.", NULL), "sk");
	assert_lang(detect("Je to tak, jak jsem psal.", NULL), "cs");
	assert_lang(detect("Je to tak, ako som písal.", NULL), "sk");
	assert_lang(detect("Včera to fungovalo, dnes už ne. Jsem z toho "
	    "nešťastný.", NULL), "cs");
	assert_lang(detect("Včera to fungovalo, dnes už nie. Som z toho "
	    "nešťastný.", NULL), "sk");
	assert_lang(detect("Nemůžu se přihlásit do aplikace.", NULL), "cs");
	assert_lang(detect("Nemôžem sa prihlásiť do aplikácie.", NULL), "sk");
}

/* Words the two languages share decide nothing between them. */
static void
czech_slovak_shared_words_only(void **state)
{
	assert_lang(detect("Prosím vás o pomoc, je to tak už dnes.", NULL),
	    NULL);
	assert_lang(detect("Prosím vás o pomoc.", NULL), NULL);
}

static void
czech_without_diacritics(void **state)
{
	assert_lang(detect("Dobry den, nefunguje mi prihlaseni, muzete mi "
	    "pomoct?", NULL), "cs");
	assert_lang(detect("Dekuji, uz to funguje, byl to muj preklep.", NULL),
	    "cs");
	/* Typed without accents, Slovak "deň" and Czech "den" are one word:
	 * here only "mozete" is left to tell, which is not enough. */
	assert_lang(detect("Dobry den, mozete mi pomoct?", NULL), NULL);
	/* One accent-less word (2 points) is below the margin (4). */
	assert_lang(detect("Prosim vas o pomoc, muzete?", NULL), NULL);
}

/* Decomposed accents (NFD, as some Mac mailers send) still work. */
static void
decomposed_accents(void **state)
{
	/* "Nemůžu. Můžete mi poradit? Děkuji." */
	assert_lang(detect("Nemu\xcc\x8az\xcc\x8cu. "
	    "Mu\xcc\x8az\xcc\x8c" "ete mi poradit? De\xcc\x8c" "kuji.", NULL),
	    "cs");
}

static void
upper_case(void **state)
{
	assert_lang(detect("DOBRÝ DEN, NEMŮŽU SE PŘIHLÁSIT. DĚKUJI.", NULL),
	    "cs");
	assert_lang(detect("ĎAKUJEM, UŽ TO FUNGUJE.", NULL), "sk");
	assert_lang(detect("DZIEŃ DOBRY, NIE MOGĘ SIĘ ZALOGOWAĆ.", NULL), "pl");
	assert_lang(detect("JÓ NAPOT! NEM TUDOK BELÉPNI, KÖSZÖNÖM.", NULL),
	    "hu");
}

static void
single_word_is_null(void **state)
{
	assert_lang(detect("OK", NULL), NULL);
	assert_lang(detect("Thanks", NULL), NULL);
	assert_lang(detect("Danke", NULL), NULL);
	assert_lang(detect("jsem", NULL), NULL);
	assert_lang(detect("Thanks, it works.", NULL), NULL);	/* 2 words */
}

/* One word with a characteristic letter is enough. */
static void
single_telling_word(void **state)
{
	assert_lang(detect("Děkuji!", NULL), "cs");
	assert_lang(detect("Ďakujem!", NULL), "sk");
	assert_lang(detect("Dziękuję!", NULL), "pl");
	assert_lang(detect("Előre is köszönöm!", NULL), "hu");	/* ő */
	/* ö is German too: a weak letter, not a characteristic one */
	assert_lang(detect("Köszönöm!", NULL), NULL);
}

static void
empty_and_wordless_text(void **state)
{
	assert_lang(lang_detect("", 0, NULL), NULL);
	assert_lang(lang_detect(NULL, 0, NULL), NULL);
	assert_lang(detect(" \r\n\t", NULL), NULL);
	assert_lang(detect("+420 123 456 789, 2024-05-01 !!!", NULL), NULL);
	/* len is honoured: only "Hel" is looked at */
	assert_lang(lang_detect(en_mail, 3, NULL), NULL);
}

static void
other_scripts_and_bad_bytes(void **state)
{
	assert_lang(detect("Здравствуйте, я не могу войти в систему. "
	    "Спасибо.", NULL), NULL);
	assert_lang(detect("\xff\xfe\xc0\xaf OK \xe8\xed\xa0\x80", NULL), NULL);
	/* windows-1250 bytes: the words between them still count */
	assert_lang(detect("Dobr\xfd den, pros\xedm, nem\xf9\x9eu se "
	    "p\xf8ihl\xe1sit.", NULL), "cs");
}

static void
content_language_agrees(void **state)
{
	assert_lang(detect(cs_mail, "cs-CZ"), "cs");
	assert_lang(detect(sk_mail, "sk"), "sk");
	assert_lang(detect(en_mail, "pl, en"), "en");
	/* a weak Slovak text: the header's second language still counts */
	assert_lang(detect("Ďakujem!", "cs, sk"), "sk");
	assert_lang(detect("Ďakujem!", "cs"), "cs");
}

/* A long, clear text beats a wrong header (Outlook says "en-US" for
 * many Czech writers). */
static void
content_language_loses_to_clear_text(void **state)
{
	assert_lang(detect(cs_mail, "en-US"), "cs");
	assert_lang(detect(hu_mail, "de"), "hu");
	assert_lang(detect(sk_mail, "cs"), "sk");
	assert_lang(detect(de_mail, "pl, en"), "de");
	/* short, but three telling words are enough */
	assert_lang(detect("Děkuji, už to funguje.", "en-US"), "cs");
}

/* A text too short or too ambiguous to contradict: the header wins. */
static void
content_language_wins_on_weak_text(void **state)
{
	assert_lang(detect("OK", "sk"), "sk");
	assert_lang(detect("", "hu-HU"), "hu");
	assert_lang(lang_detect(NULL, 0, "de"), "de");
	/* Alone "Děkuji!" is Czech, but not clearly enough to overrule. */
	assert_lang(detect("Děkuji!", "de"), "de");
	/* Czech or Slovak: the header picks. */
	assert_lang(detect("Prosím vás o pomoc.", "cs"), "cs");
	assert_lang(detect("Prosím vás o pomoc.", "sk-SK"), "sk");
}

/* Clearly not the header's language, yet undecided: no answer. */
static void
content_language_contradicted_undecided(void **state)
{
	assert_lang(detect("Prosím vás o pomoc, je to tak už dnes.", "en"),
	    NULL);
}

static void
content_language_parsing(void **state)
{
	assert_lang(detect("OK", "PL, en"), "pl");
	assert_lang(detect("OK", "x-klingon, de-AT"), "de");
	assert_lang(detect("OK", "CZ"), "cs");		/* common mistake */
	assert_lang(detect("OK", " \r\n\tEn-GB"), "en");
	assert_lang(detect("OK", "fr-FR"), NULL);
	assert_lang(detect("OK", "eng"), NULL);	/* not a 2-letter subtag */
	assert_lang(detect("OK", ""), NULL);
	assert_lang(detect("OK", ",,"), NULL);
	assert_lang(detect(cs_mail, "fr"), "cs");
}

static const char cs_reply_quoting_en[] =
    "Děkuji, už to funguje.\n"
    "\n"
    "On Mon, 6 May 2024 at 10:12, Support <support@example.com> wrote:\n"
    "> Hello,\n"
    "> thank you for your message. We have reset your password; please\n"
    ">  try to log in again and let us know if the problem is still there.\n"
    "> If you cannot log in, please send us a screenshot of the error.\n"
    ">\n"
    "> Best regards,\n"
    "> The support team\n";

static void
quoted_history_is_ignored(void **state)
{
	char *unquoted = strdup(cs_reply_quoting_en);
	char *w = unquoted;

	assert_lang(detect(cs_reply_quoting_en, NULL), "cs");
	/* The same text with the quote marks removed reads as English, so
	 * the answer above comes from skipping the quoted lines. */
	for (const char *r = unquoted; *r != '\0'; r++)
		if (*r != '>')
			*w++ = *r;
	*w = '\0';
	assert_lang(detect(unquoted, NULL), "en");
	free(unquoted);
}

static void
signature_is_ignored(void **state)
{
	static const char with_sig[] =
	    "Thanks, it works now.\n"
	    "-- \n"
	    "Ľubomír Šťastný, obchodný riaditeľ\n"
	    "Spoločnosť s ručením obmedzeným, Košice\n";

	assert_lang(detect(with_sig, NULL), NULL);
	/* without the "-- " line the Slovak signature would decide */
	assert_lang(detect(with_sig + strlen("Thanks, it works now.\n-- \n"),
	    NULL), "sk");
}

static void
subject_decides_ambiguous_body(void **state)
{
	static const char body[] = "Prosím vás o pomoc.";

	assert_lang(lang_detect_mail(NULL, body, strlen(body), NULL), NULL);
	assert_lang(lang_detect_mail("Nemůžu se přihlásit", body,
	    strlen(body), NULL), "cs");
	assert_lang(lang_detect_mail("Nemôžem sa prihlásiť", body,
	    strlen(body), NULL), "sk");
}

static void
subject_alone(void **state)
{
	assert_lang(lang_detect_mail("Nefunguje mi přihlášení", NULL, 0, NULL),
	    "cs");
	assert_lang(lang_detect_mail("Re: OK", "", 0, NULL), NULL);
	assert_lang(lang_detect_mail("", "", 0, "sk"), "sk");
}

/* The subject counts twice: "Nemôžem sa prihlásiť" outweighs the same
 * amount of Czech evidence in the body once, though not twice. */
static void
subject_counts_double(void **state)
{
	static const char once[] = "Nemůžu se přihlásit.";
	static const char twice[] = "Nemůžu se přihlásit. Nemůžu se přihlásit.";

	assert_lang(lang_detect_mail("Nemôžem sa prihlásiť", once,
	    strlen(once), NULL), "sk");
	assert_lang(lang_detect_mail("Nemôžem sa prihlásiť", twice,
	    strlen(twice), NULL), NULL);
	/* In the body, the same Slovak sentence only ties with the Czech. */
	assert_lang(detect("Nemôžem sa prihlásiť. Nemůžu se přihlásit.", NULL),
	    NULL);
}

/* A long clear body beats a contrary short subject. */
static void
body_outweighs_subject(void **state)
{
	assert_lang(lang_detect_mail("Cannot log in to my account", cs_mail,
	    strlen(cs_mail), NULL), "cs");
	assert_lang(lang_detect_mail("Re: Ihre Anfrage", en_mail,
	    strlen(en_mail), NULL), "en");
}

/* Only the first 64 KiB are read. */
static void
only_first_64k(void **state)
{
	size_t pad = 64 * 1024, n = strlen(cs_mail);
	char *buf = malloc(pad + n);

	assert_non_null(buf);
	memset(buf, ' ', pad);
	memcpy(buf + pad, cs_mail, n);
	assert_lang(lang_detect(buf, pad + n, NULL), NULL);
	/* the last 64 KiB of the buffer hold the whole mail */
	assert_lang(lang_detect(buf + n, pad, NULL), "cs");
	free(buf);
}

static void
apostrophes(void **state)
{
	/* "I've" is one English word; split, "ve" would be Czech. */
	assert_lang(detect("I've, you've, we've: it's done.", NULL), "en");
	assert_lang(detect("I don't know, it's broken.", NULL), "en");
	assert_lang(detect("I\xe2\x80\x99m sorry, it isn\xe2\x80\x99t there.",
	    NULL), "en");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(support_mails),
		cmocka_unit_test(short_mails_each_language),
		cmocka_unit_test(czech_slovak_pairs),
		cmocka_unit_test(czech_slovak_shared_words_only),
		cmocka_unit_test(czech_without_diacritics),
		cmocka_unit_test(decomposed_accents),
		cmocka_unit_test(upper_case),
		cmocka_unit_test(single_word_is_null),
		cmocka_unit_test(single_telling_word),
		cmocka_unit_test(empty_and_wordless_text),
		cmocka_unit_test(other_scripts_and_bad_bytes),
		cmocka_unit_test(content_language_agrees),
		cmocka_unit_test(content_language_loses_to_clear_text),
		cmocka_unit_test(content_language_wins_on_weak_text),
		cmocka_unit_test(content_language_contradicted_undecided),
		cmocka_unit_test(content_language_parsing),
		cmocka_unit_test(quoted_history_is_ignored),
		cmocka_unit_test(signature_is_ignored),
		cmocka_unit_test(subject_decides_ambiguous_body),
		cmocka_unit_test(subject_alone),
		cmocka_unit_test(subject_counts_double),
		cmocka_unit_test(body_outweighs_subject),
		cmocka_unit_test(only_first_64k),
		cmocka_unit_test(apostrophes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
