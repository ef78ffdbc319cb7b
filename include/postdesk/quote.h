/* quote.h: the new part of a reply, without quoted history and signature.
 *
 * Input is UTF-8 text that is already decoded (format=flowed joined, HTML
 * rendered to text with <blockquote> lines prefixed by "> "). What counts as
 * history: an attribution line ("On <date>, <name> wrote:" and its Czech,
 * Slovak, Polish, Hungarian, German, French, Spanish forms) followed by
 * ">"-quoted lines; an Outlook header block ("From:/Sent:/To:/Subject:" and
 * localised forms, with or without a separator line); a forwarded-message
 * marker below new text; a trailing ">"-quoted block; a signature ("-- ")
 * and mobile footers ("Sent from my iPhone") at the end.
 *
 * Deliberately kept: quotes interleaved with answers, forwards with nothing
 * written above them (the forwarded mail is the content), and anything whose
 * removal would need a guess (see quote.c for the rules). */
#ifndef POSTDESK_QUOTE_H
#define POSTDESK_QUOTE_H

#include <stddef.h>

/* The new part of a reply: text with the quoted history and the signature
 * removed. Returns a UTF-8 string the caller frees (possibly empty, never
 * NULL); trailing blank lines trimmed. The result is always a contiguous
 * piece of the input (line endings kept as they were). If what_r is non-NULL,
 * *what_r receives a static string naming the topmost thing cut:
 * "attribution:gmail", "attribution:outlook", "quote-prefix", "signature",
 * "forward" or "none". Linear time in len. */
char *quote_strip(const char *text, size_t len, const char **what_r);

#endif
