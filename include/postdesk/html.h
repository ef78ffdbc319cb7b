/* html.h: HTML mail rendered as readable plain text.
 *
 * The text is what a person would read in a mail client, laid out for
 * agents and for the quoted-history stripper that runs on it: paragraphs
 * and line breaks kept, <head>, scripts, styles and comments dropped,
 * lists as "- item" / "1. item", links as "text <url>", images as
 * "[alt]", table cells joined by " | ", and <blockquote> lines prefixed
 * by "> ". Reply headers such as Gmail's "On ... wrote:" and Outlook's
 * "From: ... Sent: ..." block come out as ordinary lines.
 * No tree is built: time is linear in the input whatever its shape. */
#ifndef POSTDESK_HTML_H
#define POSTDESK_HTML_H

#include <stdbool.h>
#include <stddef.h>

/* Render an HTML document or fragment (UTF-8 bytes, already converted by
 * the caller; invalid sequences become U+FFFD) as plain UTF-8 text with
 * "\n" line ends, no trailing spaces, at most one blank line in a row and
 * no blank line at the start or end (nor a final "\n").
 * At most max_out bytes of output: past that the text is cut cleanly at a
 * character boundary and *truncated_r (if not NULL) is set, else cleared.
 * Never fails on malformed HTML. The result is never NULL; the caller
 * frees it. */
char *html_to_text(const char *html, size_t len, size_t max_out,
    bool *truncated_r);

#endif
