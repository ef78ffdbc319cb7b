/* test-quote.c: quote_strip (new text of a reply) and flowed_decode.
 *
 * The fixtures are written here in the shape each client produces; none is
 * copied from real mail. Every quote_strip case also checks that stripping
 * the result again changes nothing. */
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

#include "postdesk/flowed.h"
#include "postdesk/quote.h"

/* The history most fixtures carry below the new text. */
#define HIST_BODY "> Please restart the router and tell us if the light\n" \
	"> turns green.\n>\n> Regards,\n> Support\n"

static void
check(const char *in, const char *want, const char *want_what)
{
	const char *what = NULL, *what2 = NULL;
	char *got, *again;

	got = quote_strip(in, strlen(in), &what);
	assert_non_null(what);
	assert_string_equal(got, want);
	assert_string_equal(what, want_what);
	again = quote_strip(got, strlen(got), &what2);
	assert_string_equal(again, got);	/* idempotent */
	free(again);
	free(got);
}

static void
check_flowed(const char *in, bool delsp, const char *want)
{
	char *got = flowed_decode(in, strlen(in), delsp);

	assert_string_equal(got, want);
	free(got);
}

/* --- "On <date>, <name> wrote:" and its translations ---------------- */

static void
gmail_en_wrapped_top_posted(void **state)
{
	(void)state;
	check("Thanks, that fixed it.\n\n"
	    "On Mon, Mar 4, 2024 at 10:12 AM Jan Novak <\n"
	    "jan.novak@example.com> wrote:\n\n" HIST_BODY,
	    "Thanks, that fixed it.", "attribution:gmail");
}

static void
thunderbird_en_one_line(void **state)
{
	(void)state;
	check("It works now.\nJan\n\n"
	    "On 04/03/2024 10:12, Support Team wrote:\n" HIST_BODY,
	    "It works now.\nJan", "attribution:gmail");
}

static void
attribution_wrapped_over_three_lines(void **state)
{
	(void)state;
	check("OK, I will try tonight.\n\n"
	    "On Mon, Mar 4, 2024 at 10:12 AM Customer Care Department of\n"
	    "Example Corporation <customer.care@example.com>\n"
	    "wrote:\n" HIST_BODY,
	    "OK, I will try tonight.", "attribution:gmail");
}

static void
apple_mail_quoted_attribution(void **state)
{
	(void)state;
	/* Apple Mail puts the attribution inside the quote. */
	check("Great, thanks!\n\n"
	    "> On 4 Mar 2024, at 10:12, Support <support@example.com> wrote:\n"
	    "> \n" HIST_BODY,
	    "Great, thanks!", "quote-prefix");
	/* iOS adds its footer above the quote: cut from there. */
	check("Great, thanks!\n\nSent from my iPhone\n\n"
	    "> On 4 Mar 2024, at 10:12, Support <support@example.com> wrote:\n"
	    "> \n" HIST_BODY,
	    "Great, thanks!", "signature");
}

static void
attribution_edges(void **state)
{
	(void)state;
	/* Thunderbird's "signature below the quote" */
	check("Works now.\n\nOn 04/03/2024 10:12, Support wrote:\n"
	    HIST_BODY "\n-- \nJan Novák\n",
	    "Works now.", "attribution:gmail");
	/* a sentence right above "X wrote:" is not part of it, even with a
	 * time in it */
	check("Call me at 10:30 tomorrow.\nSupport wrote:\n> Your number?\n",
	    "Call me at 10:30 tomorrow.", "attribution:gmail");
	/* a client that leaves older attributions unquoted */
	check("Done.\n\nOn 04/03/2024 10:12, Support wrote:\n> Anything else?\n\n"
	    "On 03/03/2024 09:00, Jan wrote:\n> The router is broken.\n",
	    "Done.", "attribution:gmail");
	/* "wrote:" without a quote below is just text */
	check("Here is what the manual wrote:\nrestart it.",
	    "Here is what the manual wrote:\nrestart it.", "none");
}

static void
czech_attributions(void **state)
{
	(void)state;
	/* Gmail, wrapped */
	check("Děkuji, už to funguje.\n\n"
	    "po 4. 3. 2024 v 10:12 odesílatel Podpora <podpora@example.cz>\n"
	    "napsal:\n\n> Zkuste prosím restartovat router.\n",
	    "Děkuji, už to funguje.", "attribution:gmail");
	/* Thunderbird */
	check("Děkuji.\n\nDne 04. 03. 24 v 10:12 Jan Novák napsal(a):\n"
	    "> Zkuste prosím restartovat router.\n",
	    "Děkuji.", "attribution:gmail");
	/* older Gmail, "Dne ... napsal(a):" wrapped */
	check("Funguje.\n\nDne po 4. 3. 2024 10:12 uživatel Jan Novák <\n"
	    "jan.novak@example.cz> napsal(a):\n> Zkuste to znovu.\n",
	    "Funguje.", "attribution:gmail");
}

static void
slovak_attribution(void **state)
{
	(void)state;
	check("Ďakujem, funguje to.\n\n"
	    "Dňa po 4. 3. 2024 o 10:12 Ján Novák <jan.novak@example.sk> "
	    "napísal(a):\n> Skúste prosím reštartovať router.\n",
	    "Ďakujem, funguje to.", "attribution:gmail");
}

static void
polish_attributions(void **state)
{
	(void)state;
	check("Dziękuję, działa.\n\n"
	    "W dniu pon., 4 mar 2024 o 10:12 Jan Kowalski <jan@example.pl>\n"
	    "napisał(a):\n\n> Proszę zrestartować router.\n",
	    "Dziękuję, działa.", "attribution:gmail");
	check("Dziękuję.\n\nW dniu 4.03.2024 o 10:12, Jan Kowalski pisze:\n"
	    "> Proszę zrestartować router.\n",
	    "Dziękuję.", "attribution:gmail");
}

static void
hungarian_attributions(void **state)
{
	(void)state;
	check("Köszönöm, működik.\n\n"
	    "2024. márc. 5., K 10:12 dátummal Kiss Péter <kp@example.hu> "
	    "ezt írta:\n> Kérem, indítsa újra a routert.\n",
	    "Köszönöm, működik.", "attribution:gmail");
	/* wrapped, verb alone on the last line */
	check("Köszönöm.\n\n"
	    "2024. márc. 5., K 10:12 dátummal Kiss Péter <kp@example.hu> ezt\n"
	    "írta:\n> Kérem, indítsa újra a routert.\n",
	    "Köszönöm.", "attribution:gmail");
	/* Gmail's Hungarian form puts the date after the verb */
	check("Rendben.\n\n"
	    "Kiss Péter <kp@example.hu> ezt írta (időpont: 2024. márc. 5., "
	    "K, 10:12):\n\n> Kérem, indítsa újra a routert.\n",
	    "Rendben.", "attribution:gmail");
}

static void
german_attributions(void **state)
{
	(void)state;
	/* Gmail wraps inside the address; the verb is on the first line */
	check("Danke, läuft wieder.\n\n"
	    "Am Mo., 4. März 2024 um 10:12 Uhr schrieb Max Mustermann <\n"
	    "max.mustermann@example.de>:\n\n> Bitte starten Sie den Router neu.\n",
	    "Danke, läuft wieder.", "attribution:gmail");
	check("Danke.\n\nAm 04.03.24 um 10:12 schrieb Max Mustermann:\n"
	    "> Bitte starten Sie den Router neu.\n",
	    "Danke.", "attribution:gmail");
}

static void
french_attributions(void **state)
{
	(void)state;
	check("Merci, ça marche.\n\n"
	    "Le lun. 4 mars 2024 à 10:12, Jean Dupont <jean@example.fr> a écrit :\n"
	    "> Redémarrez le routeur.\n",
	    "Merci, ça marche.", "attribution:gmail");
	/* Gmail puts a narrow no-break space (U+202F) before the colon */
	check("Merci.\n\n"
	    "Le lun. 4 mars 2024 à 10:12, Jean Dupont <jean@example.fr> "
	    "a écrit\xe2\x80\xaf:\n> Redémarrez le routeur.\n",
	    "Merci.", "attribution:gmail");
}

static void
spanish_attribution(void **state)
{
	(void)state;
	check("Gracias, ya funciona.\n\n"
	    "El lun, 4 mar 2024 a las 10:12, Juan Pérez (<juan@example.es>)\n"
	    "escribió:\n> Reinicie el router, por favor.\n",
	    "Gracias, ya funciona.", "attribution:gmail");
}

/* --- Outlook header blocks ------------------------------------------ */

#define OUTLOOK_BODY "\nPlease restart the router.\n\nRegards,\nSupport\n"

static void
outlook_desktop_underscores(void **state)
{
	(void)state;
	check("Thanks, resolved.\n\nJan Novak\n\n"
	    "________________________________\n"
	    "From: Support <support@example.com>\n"
	    "Sent: Monday, March 4, 2024 10:12 AM\n"
	    "To: Jan Novak <jan@example.com>\n"
	    "Subject: RE: [Support #123] Router\n" OUTLOOK_BODY,
	    "Thanks, resolved.\n\nJan Novak", "attribution:outlook");
}

static void
outlook_original_message(void **state)
{
	(void)state;
	/* "On Behalf Of" wraps the From value onto a second line. */
	check("Thanks.\n\n-----Original Message-----\n"
	    "From: support@example.com [mailto:support@example.com] On Behalf Of\n"
	    "Support Team\n"
	    "Sent: Monday, March 4, 2024 10:12 AM\n"
	    "To: Jan Novak\nSubject: RE: Router\n" OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
}

static void
outlook_without_separator(void **state)
{
	(void)state;
	check("Thanks.\n\nFrom: Support <support@example.com>\n"
	    "Sent: Monday, March 4, 2024 10:12 AM\n"
	    "To: Jan Novak <jan@example.com>\n"
	    "Cc: Office <office@example.com>\n"
	    "Subject: RE: Router\n" OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
	/* Outlook for Mac says Date: instead of Sent: */
	check("Thanks.\n\nFrom: Support <support@example.com>\n"
	    "Date: Monday, 4 March 2024 at 10:12\n"
	    "To: Jan Novak <jan@example.com>\n"
	    "Subject: Re: Router\n" OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
}

static void
outlook_web_one_line(void **state)
{
	(void)state;
	check("Thanks.\n\n________________________________\n"
	    "From: Support <support@example.com> Sent: Monday, March 4, 2024 "
	    "10:12 AM To: Jan Novak <jan@example.com> Subject: Re: Router\n"
	    OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
	/* without the separator, and in German */
	check("Danke.\n\nVon: Support <support@example.de> Gesendet: Montag, "
	    "4. März 2024 10:12 An: Max <max@example.de> Betreff: AW: Router\n"
	    OUTLOOK_BODY,
	    "Danke.", "attribution:outlook");
}

static void
outlook_web_separate_lines_bold(void **state)
{
	(void)state;
	/* Outlook on the web's HTML, rendered: bold keys. */
	check("Thanks.\n\n________________________________\n"
	    "*From:* Support <support@example.com>\n"
	    "*Sent:* Monday, March 4, 2024 10:12\n"
	    "*To:* Jan Novak <jan@example.com>\n"
	    "*Subject:* Re: Router\n" OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
}

static void
outlook_localised(void **state)
{
	(void)state;
	check("Děkuji.\n\n-----Původní zpráva-----\n"
	    "Od: Podpora <podpora@example.cz>\n"
	    "Odesláno: pondělí 4. března 2024 10:12\n"
	    "Komu: Jan Novák <jan@example.cz>\n"
	    "Předmět: RE: Router\n" OUTLOOK_BODY,
	    "Děkuji.", "attribution:outlook");
	check("Ďakujem.\n\nOd: Podpora <podpora@example.sk>\n"
	    "Odoslané: pondelok 4. marca 2024 10:12\n"
	    "Komu: Ján Novák <jan@example.sk>\n"
	    "Predmet: RE: Router\n" OUTLOOK_BODY,
	    "Ďakujem.", "attribution:outlook");
	check("Dziękuję.\n\n-----Oryginalna wiadomość-----\n"
	    "Od: Wsparcie <wsparcie@example.pl>\n"
	    "Wysłano: poniedziałek, 4 marca 2024 10:12\n"
	    "Do: Jan Kowalski <jan@example.pl>\n"
	    "Temat: RE: Router\n" OUTLOOK_BODY,
	    "Dziękuję.", "attribution:outlook");
	check("Köszönöm.\n\n-----Eredeti üzenet-----\n"
	    "Feladó: Ügyfélszolgálat <info@example.hu>\n"
	    "Elküldve: 2024. március 4. 10:12\n"
	    "Címzett: Kiss Péter <kp@example.hu>\n"
	    "Tárgy: RE: Router\n" OUTLOOK_BODY,
	    "Köszönöm.", "attribution:outlook");
	check("Danke.\n\n-----Ursprüngliche Nachricht-----\n"
	    "Von: Support <support@example.de>\n"
	    "Gesendet: Montag, 4. März 2024 10:12\n"
	    "An: Max Mustermann <max@example.de>\n"
	    "Betreff: AW: Router\n" OUTLOOK_BODY,
	    "Danke.", "attribution:outlook");
}

static void
outlook_prefixed_quote_with_spills(void **state)
{
	(void)state;
	/* Outlook's "prefix each line" re-wraps after quoting */
	check("Yes, the patch fixes it.\n\n> -----Original Message-----\n"
	    "> From: Support <support@example.com>\n"
	    "> Sent: Monday, March 4, 2024 10:12 AM\n"
	    "> Subject: RE: [Support #123] The router drops the connection every\n"
	    "evening\n>\n"
	    "> Please apply the attached firmware patch and tell us whether it\n"
	    "helps.\n> \n> Support\n",
	    "Yes, the patch fixes it.", "quote-prefix");
	/* the same below an attribution: still nothing new after it */
	check("Yes.\n\nOn 04/03/2024 10:12, Support wrote:\n"
	    "> Please apply the attached firmware patch and tell us whether it\n"
	    "helps.\n> Support\n", "Yes.", "attribution:gmail");
}

static void
from_line_in_normal_text(void **state)
{
	(void)state;
	check("Hello,\n\nFrom: next Monday our office moves to Brno.\n"
	    "Please update the address.\n\nJan",
	    "Hello,\n\nFrom: next Monday our office moves to Brno.\n"
	    "Please update the address.\n\nJan", "none");
	check("Opening hours\nFrom: Monday To: Friday, 9-17\nJan",
	    "Opening hours\nFrom: Monday To: Friday, 9-17\nJan", "none");
	/* indented header lines are a report, not Outlook's block */
	check("Thanks.\n\n  From: Shop <shop@example.com>\n"
	    "  Subject: Your order\n\nMore text.",
	    "Thanks.\n\n  From: Shop <shop@example.com>\n"
	    "  Subject: Your order\n\nMore text.", "none");
}

/* --- bottom posting, interleaving, nothing new ----------------------- */

static void
bottom_posted(void **state)
{
	(void)state;
	check("On Mon, Mar 4, 2024 at 10:12 AM Support <support@example.com> "
	    "wrote:\n> Did the restart help?\n\nYes, it works now.\n\n"
	    "-- \nJan Novák\n",
	    "Yes, it works now.", "attribution:gmail");
}

static void
interleaved_kept(void **state)
{
	(void)state;
	/* answers between quotes keep their quotes; the rest is history */
	check("On Mon, Mar 4, 2024 at 10:12 AM Support <support@example.com> "
	    "wrote:\n> Which model do you have?\n\nThe XR-500.\n\n"
	    "> Is the light green?\n\nNo, it is red.\n\n"
	    "> Regards,\n> Support\n",
	    "On Mon, Mar 4, 2024 at 10:12 AM Support <support@example.com> "
	    "wrote:\n> Which model do you have?\n\nThe XR-500.\n\n"
	    "> Is the light green?\n\nNo, it is red.", "quote-prefix");
	/* no attribution, tight quoting, nothing after the last answer */
	check("Hi,\n\n> Which model?\nXR-500\n> Light?\nRed\n\nJan",
	    "Hi,\n\n> Which model?\nXR-500\n> Light?\nRed\n\nJan", "none");
}

static void
leading_quote_without_attribution_kept(void **state)
{
	(void)state;
	/* could be a pasted error message: keep it */
	check("> Error 500: internal server error\n\n"
	    "I get this when I log in.",
	    "> Error 500: internal server error\n\n"
	    "I get this when I log in.", "none");
}

static void
nothing_new(void **state)
{
	(void)state;
	check("On Mon, Mar 4, 2024 at 10:12 AM Support <support@example.com> "
	    "wrote:\n" HIST_BODY, "", "attribution:gmail");
	check("\n\n> only a quote\n>\n> and more\n\n", "", "quote-prefix");
	check("Sent from my iPhone\n\n"
	    "> On 4 Mar 2024, at 10:12, Support <support@example.com> wrote:\n"
	    HIST_BODY, "", "signature");
	/* an Outlook block at the top with only quotes below */
	check("From: Support <support@example.com>\nSent: Monday\n"
	    "To: Jan\nSubject: Re: Router\n\n> Please restart.\n",
	    "", "attribution:outlook");
}

/* --- signatures and footers ------------------------------------------ */

static void
signatures(void **state)
{
	(void)state;
	check("Thanks.\n\n-- \nJan Novák\nACME s.r.o.\n", "Thanks.",
	    "signature");
	check("Thanks.\n--\nJan Novák\n", "Thanks.", "signature");
	check("Thanks.\n\n-- \nJan\n\nOn 04/03/2024 10:12, Support wrote:\n"
	    HIST_BODY, "Thanks.", "signature");
	/* dashes that are not the separator */
	check("Use the --force flag.\n-- not a separator\n---\nBye",
	    "Use the --force flag.\n-- not a separator\n---\nBye", "none");
}

static void
mobile_footers(void **state)
{
	static const char *const f[] = {
		"Sent from my iPhone", "Odesláno z iPhonu",
		"Wysłane z iPhone'a", "Von meinem iPhone gesendet",
		"Sent from Outlook for Android", "Sent from Outlook for iOS",
		"Get Outlook for iOS<https://aka.ms/o0ukef>",
	};
	size_t i;
	char buf[256];

	(void)state;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(buf, sizeof(buf), "OK, thanks.\n\n%s\n\n", f[i]);
		check(buf, "OK, thanks.", "signature");
	}
	/* not the last line: text */
	check("Sent from my iPhone\n\nThe photo is attached.",
	    "Sent from my iPhone\n\nThe photo is attached.", "none");
}

/* --- every entry of the tables (quote.c looks them up by first byte) --- */

/* Each Outlook key that opens a block, followed by each other key: the
 * block is found, in any ASCII case and in bold. */
static void
outlook_every_header_key(void **state)
{
	static const char *const from[] = { "From", "Od", "Feladó", "Von", "De" };
	static const char *const keys[] = {
		"Sent", "Date", "To", "Cc", "Bcc", "Subject", "Reply-To",
		"Odesláno", "Komu", "Kopie", "Předmět", "Datum", "Odoslané",
		"Kópia", "Predmet", "Dátum", "Wysłano", "Do", "DW", "Temat",
		"Data", "Elküldve", "Címzett", "Másolatot kap", "Másolat",
		"Tárgy", "Gesendet", "An", "Betreff", "Envoyé", "À", "Objet",
		"Enviado el", "Enviado", "Para", "Asunto", "Fecha",
	};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			snprintf(buf, sizeof(buf), "Thanks.\n\n%s: Support "
			    "<support@example.com>\n%s: something\n"
			    OUTLOOK_BODY, from[i], keys[k]);
			check(buf, "Thanks.", "attribution:outlook");
			snprintf(buf, sizeof(buf), "Thanks.\n\n*%s:* Support "
			    "<support@example.com>\n*%s:* something\n"
			    OUTLOOK_BODY, from[i], keys[k]);
			check(buf, "Thanks.", "attribution:outlook");
		}
	check("Thanks.\n\nFROM: Support\nSUBJECT: Router\n" OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
	check("Thanks.\n\nfrom: Support\nsubject: Router\n" OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
	/* the longest key, in bold: its colon is the farthest one looked
	 * for */
	check("Thanks.\n\n*Feladó:* Support\n*Másolatot kap:* Jan\n"
	    OUTLOOK_BODY, "Thanks.", "attribution:outlook");
	/* one line of Outlook on the web, with keys of two languages */
	check("Thanks.\n\nDe: Support <s@example.com> Enviado el: lunes "
	    "Para: Jan Asunto: Router\n" OUTLOOK_BODY,
	    "Thanks.", "attribution:outlook");
}

static void
outlook_keys_in_text_kept(void **state)
{
	(void)state;
	/* a key word, but no colon after it */
	check("From our side everything works: thanks\nTo be sure: restart "
	    "it\n", "From our side everything works: thanks\nTo be sure: "
	    "restart it", "none");
	/* a colon after a word that is no key */
	check("Fromage: yes\nSubjects: two\n",
	    "Fromage: yes\nSubjects: two", "none");
	/* one header line alone is no block */
	check("Thanks.\n\nFrom: Support\n\nPlease restart it.\n",
	    "Thanks.\n\nFrom: Support\n\nPlease restart it.", "none");
}

static const char *const verbs[] = {
	"wrote", "writes", "napsal", "napsala", "napísal", "napísala",
	"pisze", "napisał", "napisała", "írta", "schrieb", "a écrit",
	"escribió", "ha scritto", "escreveu", "schreef", "skrev",
};

/* Each attribution verb, on one line and wrapped before the address. */
static void
every_attribution_verb(void **state)
{
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		snprintf(buf, sizeof(buf), "Thanks.\n\nOn 4 Mar 2024, Jan "
		    "Novak <jan@example.com> %s:\n> Old text.\n", verbs[i]);
		check(buf, "Thanks.", "attribution:gmail");
		snprintf(buf, sizeof(buf), "Thanks.\n\nOn 4 Mar 2024 at "
		    "10:12, Jan Novak %s <\njan@example.com>:\n\n"
		    "> Old text.\n", verbs[i]);
		check(buf, "Thanks.", "attribution:gmail");
	}
	check("Thanks.\n\nOn 4 Mar 2024, Jan <jan@example.com> WROTE:\n"
	    "> Old text.\n", "Thanks.", "attribution:gmail");
	/* not a word of its own: no attribution, only a trailing quote */
	check("Thanks.\n\nJan rewrote:\n> Old text.\n",
	    "Thanks.\n\nJan rewrote:", "quote-prefix");
	check("Thanks.\n\nJan wrotes:\n> Old text.\n",
	    "Thanks.\n\nJan wrotes:", "quote-prefix");
}

/* Each word a wrapped attribution may begin with: the line above the one
 * with the verb is part of it only when it begins so (it has a year, but
 * no time and no leading date). */
static void
every_attribution_opener(void **state)
{
	static const char *const openers[] = {
		"On ", "Dne ", "Dňa ", "W dniu ", "Am ", "Le ", "El ", "Em ",
		"Il ", "Op ",
	};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(openers) / sizeof(openers[0]); i++) {
		snprintf(buf, sizeof(buf), "Thanks.\n\n%sthe fourth of March "
		    "2024, Jan Novak <\njan@example.com> wrote:\n"
		    "> Old text.\n", openers[i]);
		check(buf, "Thanks.", "attribution:gmail");
	}
	check("Thanks.\n\non the fourth of March 2024, Jan Novak <\n"
	    "jan@example.com> wrote:\n> Old text.\n",
	    "Thanks.", "attribution:gmail");
	/* without one, only the line with the verb goes */
	check("Thanks.\n\nthe fourth of March 2024, Jan Novak <\n"
	    "jan@example.com> wrote:\n> Old text.\n",
	    "Thanks.\n\nthe fourth of March 2024, Jan Novak <",
	    "attribution:gmail");
	/* "Onion" is no "On " */
	check("Thanks.\n\nOnion 2024, Jan Novak <\n"
	    "jan@example.com> wrote:\n> Old text.\n",
	    "Thanks.\n\nOnion 2024, Jan Novak <", "attribution:gmail");
}

/* Each mobile footer of the table, and in lower case. */
static void
every_mobile_footer(void **state)
{
	static const char *const f[] = {
		"Sent from my iPhone", "Sent from Outlook for Android",
		"Get Outlook for iOS", "Sent from Mail for Windows",
		"Sent from Yahoo Mail for iPhone", "Sent from Samsung Mobile",
		"Sent with Proton Mail secure email.", "Odesláno z iPhonu",
		"Odoslané z iPhonu", "Wysłane z iPhone'a",
		"Wysłano z telefonu", "Von meinem iPhone gesendet",
		"Gesendet von meinem iPad", "Gesendet mit der Mail App",
		"Az iPhone-omról küldve", "Küldve az iPhone-omról",
		"Envoyé de mon iPhone", "Envoyé depuis mon mobile",
		"Enviado desde mi iPhone", "sent from my iphone",
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(buf, sizeof(buf), "OK, thanks.\n\n%s\n", f[i]);
		check(buf, "OK, thanks.", "signature");
	}
	/* a footer is short: a long line that starts so is a sentence */
	check("OK.\n\nSent from my iPhone while waiting for the train that "
	    "was late again today\n", "OK.\n\nSent from my iPhone while "
	    "waiting for the train that was late again today", "none");
}

/* --- forwards --------------------------------------------------------- */

#define GMAIL_FWD "---------- Forwarded message ---------\n" \
	"From: Shop <shop@example.com>\n" \
	"Date: Mon, Mar 4, 2024 at 10:12 AM\n" \
	"Subject: Your order\nTo: <jan@example.com>\n\n" \
	"Your order has shipped.\n"

static void
forwards(void **state)
{
	(void)state;
	/* nothing written above: the forwarded mail is the content */
	check(GMAIL_FWD, "---------- Forwarded message ---------\n"
	    "From: Shop <shop@example.com>\n"
	    "Date: Mon, Mar 4, 2024 at 10:12 AM\n"
	    "Subject: Your order\nTo: <jan@example.com>\n\n"
	    "Your order has shipped.", "none");
	/* a note above it: the note is the new text */
	check("Please look at this, the order never came.\n\n" GMAIL_FWD,
	    "Please look at this, the order never came.", "forward");
	check("Podívejte se prosím.\n\n"
	    "---------- Přeposlaná zpráva ----------\n"
	    "Od: Obchod <obchod@example.cz>\nDatum: po 4. 3. 2024 10:12\n"
	    "Předmět: Objednávka\nKomu: <jan@example.cz>\n\nOdesláno.\n",
	    "Podívejte se prosím.", "forward");
	/* Apple Mail quotes the forwarded mail; the iPhone footer is not
	 * a note */
	check("Sent from my iPhone\n\nBegin forwarded message:\n\n"
	    "> From: Shop <shop@example.com>\n> Subject: Your order\n>\n"
	    "> Your order has shipped.\n",
	    "Sent from my iPhone\n\nBegin forwarded message:\n\n"
	    "> From: Shop <shop@example.com>\n> Subject: Your order\n>\n"
	    "> Your order has shipped.", "none");
	/* Thunderbird puts the signature above the forwarded message */
	check("-- \nJan Novák\n\n-------- Forwarded Message --------\n"
	    "Subject: Your order\nFrom: Shop <shop@example.com>\n\nShipped.",
	    "-- \nJan Novák\n\n-------- Forwarded Message --------\n"
	    "Subject: Your order\nFrom: Shop <shop@example.com>\n\nShipped.",
	    "none");
	/* Outlook forwards without a note look like a header block at the
	 * top: keep it all */
	check("________________________________\n"
	    "From: Shop <shop@example.com>\nSent: Monday, March 4, 2024\n"
	    "To: Jan\nSubject: Your order\n\nShipped.\n",
	    "________________________________\n"
	    "From: Shop <shop@example.com>\nSent: Monday, March 4, 2024\n"
	    "To: Jan\nSubject: Your order\n\nShipped.", "none");
}

/* --- misc -------------------------------------------------------------- */

static void
idempotent_without_history(void **state)
{
	const char *in = "Hello,\n\nmy router does not work.\n\n"
	    "> not history: I quote the manual\n\nIt says so.\n\nJan\n\n\n";
	const char *what;
	char *a, *b;

	(void)state;
	a = quote_strip(in, strlen(in), &what);
	assert_string_equal(a, "Hello,\n\nmy router does not work.\n\n"
	    "> not history: I quote the manual\n\nIt says so.\n\nJan");
	assert_string_equal(what, "none");
	b = quote_strip(a, strlen(a), NULL);
	assert_string_equal(a, b);
	free(a);
	free(b);
	check("", "", "none");
	check("\n\n  \n", "", "none");
}

static void
crlf_kept(void **state)
{
	(void)state;
	check("Line one\r\nLine two\r\n\r\n"
	    "On 04/03/2024 10:12, Support wrote:\r\n> Restart.\r\n",
	    "Line one\r\nLine two", "attribution:gmail");
}

static void
hostile_input_is_linear(void **state)
{
	size_t n = 10u << 20, i;
	char *big = malloc(n + 1), *r;
	const char *what;

	(void)state;
	assert_non_null(big);
	/* one 10 MB line ending like an attribution */
	memset(big, 'a', n);
	memcpy(big + n - 7, " wrote:", 7);
	big[n] = '\0';
	r = quote_strip(big, n, &what);
	assert_int_equal(strlen(r), n);
	free(r);
	/* a million lines: attribution, quote, attribution, quote, ... */
	for (i = 0; i + 13 <= n; i += 13)
		memcpy(big + i, "x wrote:\n> q\n", 13);
	big[i] = '\0';
	r = quote_strip(big, i, &what);
	assert_string_equal(r, "");
	assert_string_equal(what, "attribution:gmail");
	free(r);
	/* five million empty lines and a signature at the end */
	memset(big, '\n', n);
	memcpy(big + n - 8, "x\n-- \ny\n", 8);
	r = quote_strip(big, n, &what);
	assert_string_equal(r + strspn(r, "\n"), "x");
	assert_string_equal(what, "signature");
	free(r);
	/* a million quoted lines, then one line of text */
	for (i = 0; i + 4 <= n - 8; i += 4)
		memcpy(big + i, "> q\n", 4);
	memcpy(big + i, "answer", 7);
	r = quote_strip(big, i + 6, &what);
	assert_int_equal(strlen(r), i + 6);
	free(r);
	r = flowed_decode(big, n, true);
	free(r);
	/* attributions hiding in spilled quote lines, each followed by
	 * a quote: every one must not rescan the rest */
	memcpy(big, "x wrote:\n", 9);
	for (i = 9; i + 80 <= n - 16; i += 80) {
		memset(big + i, 'a', 80);
		memcpy(big + i, "> ", 2);
		memcpy(big + i + 72, "\nwrote:\n", 8);
	}
	memcpy(big + i, "content", 8);
	r = quote_strip(big, i + 7, &what);
	assert_string_equal(r, "wrote:\ncontent");
	free(r);
	free(big);
}

/* --- format=flowed ------------------------------------------------------ */

static void
flowed_soft_breaks(void **state)
{
	(void)state;
	check_flowed("This is a long \nparagraph that \nwas wrapped.\n"
	    "Fixed line.\n\nNext paragraph.\n", false,
	    "This is a long paragraph that was wrapped.\nFixed line.\n\n"
	    "Next paragraph.\n");
	check_flowed("a \r\nb\r\n", false, "a b\n");
	/* RFC 3676: an empty fixed line still ends the flowed paragraph */
	check_flowed("end \n\nnext", false, "end\nnext");
	/* a soft break with nothing to join loses its space */
	check_flowed("last line ", false, "last line");
}

static void
flowed_space_stuffing(void **state)
{
	(void)state;
	check_flowed(" From the start\n >not a quote\n  indented\n", false,
	    "From the start\n>not a quote\n indented\n");
}

static void
flowed_delsp(void **state)
{
	(void)state;
	check_flowed("日本語の \n文章です。\n", true, "日本語の文章です。\n");
	check_flowed("Einzel \nwort\n", true, "Einzelwort\n");
	check_flowed("Einzel \nwort\n", false, "Einzel wort\n");
}

static void
flowed_quote_depth(void **state)
{
	(void)state;
	check_flowed("> quoted text \n> continues\n>> deeper \n>> more\n"
	    "> back \nunquoted\n>\n", false,
	    "> quoted text continues\n>> deeper more\n> back\nunquoted\n>\n");
	/* ">>" and "> >"-less styles come out the same */
	check_flowed(">>text\n", false, ">> text\n");
}

static void
flowed_signature_not_joined(void **state)
{
	(void)state;
	check_flowed("Thanks \n-- \nJan \nNovák\n", false,
	    "Thanks\n-- \nJan Novák\n");
	check_flowed("> Bye \n> -- \n> Support\n", true,
	    "> Bye\n> -- \n> Support\n");
}

static void
flowed_then_strip(void **state)
{
	const char *in = "Thanks, it \nworks.\n\n"
	    "On Mon, Mar 4, 2024 at 10:12 AM Support <support@example.com> \n"
	    "wrote:\n\n> Please restart \n> the router.\n";
	char *dec, *r;

	(void)state;
	dec = flowed_decode(in, strlen(in), false);
	r = quote_strip(dec, strlen(dec), NULL);
	assert_string_equal(r, "Thanks, it works.");
	free(r);
	free(dec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gmail_en_wrapped_top_posted),
		cmocka_unit_test(thunderbird_en_one_line),
		cmocka_unit_test(attribution_wrapped_over_three_lines),
		cmocka_unit_test(apple_mail_quoted_attribution),
		cmocka_unit_test(attribution_edges),
		cmocka_unit_test(czech_attributions),
		cmocka_unit_test(slovak_attribution),
		cmocka_unit_test(polish_attributions),
		cmocka_unit_test(hungarian_attributions),
		cmocka_unit_test(german_attributions),
		cmocka_unit_test(french_attributions),
		cmocka_unit_test(spanish_attribution),
		cmocka_unit_test(outlook_desktop_underscores),
		cmocka_unit_test(outlook_original_message),
		cmocka_unit_test(outlook_without_separator),
		cmocka_unit_test(outlook_web_one_line),
		cmocka_unit_test(outlook_web_separate_lines_bold),
		cmocka_unit_test(outlook_localised),
		cmocka_unit_test(outlook_prefixed_quote_with_spills),
		cmocka_unit_test(from_line_in_normal_text),
		cmocka_unit_test(bottom_posted),
		cmocka_unit_test(interleaved_kept),
		cmocka_unit_test(leading_quote_without_attribution_kept),
		cmocka_unit_test(nothing_new),
		cmocka_unit_test(signatures),
		cmocka_unit_test(mobile_footers),
		cmocka_unit_test(outlook_every_header_key),
		cmocka_unit_test(outlook_keys_in_text_kept),
		cmocka_unit_test(every_attribution_verb),
		cmocka_unit_test(every_attribution_opener),
		cmocka_unit_test(every_mobile_footer),
		cmocka_unit_test(forwards),
		cmocka_unit_test(idempotent_without_history),
		cmocka_unit_test(crlf_kept),
		cmocka_unit_test(hostile_input_is_linear),
		cmocka_unit_test(flowed_soft_breaks),
		cmocka_unit_test(flowed_space_stuffing),
		cmocka_unit_test(flowed_delsp),
		cmocka_unit_test(flowed_quote_depth),
		cmocka_unit_test(flowed_signature_not_joined),
		cmocka_unit_test(flowed_then_strip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
