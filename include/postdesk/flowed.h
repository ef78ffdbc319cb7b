/* flowed.h: decoding of RFC 3676 text/plain; format=flowed bodies. */
#ifndef POSTDESK_FLOWED_H
#define POSTDESK_FLOWED_H

#include <stdbool.h>
#include <stddef.h>

/* Decode format=flowed text (delsp = the DelSp=yes parameter): join soft-
 * broken lines (a line ending in a space that is not the signature separator
 * "-- "), remove space-stuffing, keep the quote depth and never join lines of
 * different depth. Quoted lines come out as ">" times the depth, a space, and
 * the text (">>text" and ">> text" both become ">> text"); lines end in "\n"
 * (CRLF input is accepted). Returns a string the caller frees; linear time. */
char *flowed_decode(const char *text, size_t len, bool delsp);

#endif
