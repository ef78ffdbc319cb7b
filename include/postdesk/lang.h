/* lang.h: guess the language of a customer's mail, to pick the template
 * language of acknowledgements. Stop words, a few telling word endings and
 * characteristic letters; no locale, no allocation, no logging. */
#ifndef POSTDESK_LANG_H
#define POSTDESK_LANG_H

#include <stddef.h>

/* Guess the language of UTF-8 text: "en", "cs", "sk", "pl", "hu", "de", or
 * NULL when the text is too short or too ambiguous to say. Lines quoted
 * with '>' and everything after a "-- " signature line are ignored; only
 * the first 64 KiB of text are looked at. Invalid UTF-8 is tolerated.
 *
 * content_language (may be NULL) is a Content-Language value ("cs-CZ",
 * "pl, en"). If the text's own answer is one of the supported languages
 * listed there, that answer is returned. Otherwise the first supported
 * language listed wins unless the text clearly contradicts it (see
 * LANG_CLEAR in lang.c: about three discriminating words against it); in
 * that case the text's own answer (possibly NULL) is returned.
 * Returns a static string; the caller frees nothing. */
const char *lang_detect(const char *text, size_t len,
    const char *content_language);

/* Like lang_detect(), weighing a (NUL-terminated, may be NULL) subject
 * together with the body: subject evidence counts twice, because a subject
 * is short but usually written with care. */
const char *lang_detect_mail(const char *subject, const char *text,
    size_t len, const char *content_language);

#endif
