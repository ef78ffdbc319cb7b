/* rating.h: is a customer's mail an answer to the satisfaction survey?
 *
 * After a ticket is resolved, the survey asks for a rating "from 1 to 5",
 * by plain reply or by a mailto: link whose subject ends in "rating N".
 * People answer in many ways: "5", "5/5", "Thanks, 5!", "Výborně",
 * "Źle", "nincs megoldva, a nyomtató még mindig nem működik". This module
 * reads such an answer; the caller decides what it does to the ticket.
 *
 * Rules, kept strict where a wrong guess would hurt (a good score leaves
 * the ticket resolved, so "Error 5 again" must not read as a 5):
 *   - the subject ends in "rating N" (N 1-5; the survey's mailto links);
 *   - or the first non-blank line of the text holds exactly one score, a
 *     number ("4", "4/5", "4 out of 5") or a word (great, výborně,
 *     świetnie, kiváló ... bad, špatně, zle, źle, rossz ...), and nothing
 *     else but polite filler ("thanks", "díky", "dziękuję", "köszönöm",
 *     "very", "ok" ...);
 *   - "not solved" and its kin in the five languages (nevyřešeno,
 *     nevyriešené, nierozwiązany, nincs megoldva, "still not working" ...)
 *     anywhere in that first line mean the problem is not solved: a false
 *     alarm there only reopens the ticket, which any other reply would
 *     have done too.
 * Letters compare without case and diacritics, so "VYBORNE" and
 * "výborně" are the same word. Pure: no I/O, no allocation, no state. */
#ifndef POSTDESK_RATING_H
#define POSTDESK_RATING_H

#include <stdbool.h>

struct rating {
	int score;		/* 1-5; 0: no score given */
	bool not_solved;	/* the customer says the problem is not solved */
	bool more;		/* the text says more than the rating: a message
				 * for the agents */
};

/* Read subject (NULL or "" for none) and text (the new text of the mail,
 * quoted history and signature removed; NULL for none). Returns true and
 * fills *r when the mail is a survey answer (a score, "not solved", or
 * both), false (and *r zeroed) when it is not. */
bool rating_parse(const char *subject, const char *text, struct rating *r);

#endif
