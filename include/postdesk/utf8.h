/* utf8.h: UTF-8 validation helpers (no allocation). */
#ifndef POSTDESK_UTF8_H
#define POSTDESK_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there
 * are not a valid, shortest-form sequence within len. */
size_t utf8_seq_len(const unsigned char *s, size_t len);
bool utf8_valid(const char *s, size_t len);
/* How many bytes at the start of s[0..len) are ASCII (below 0x80). */
size_t utf8_ascii_span(const unsigned char *s, size_t len);

#endif
