/* charset.h: any text found in mail → valid UTF-8 (iconv underneath).
 *
 * Mail lies about its charsets, or says nothing. charset_to_utf8 never fails:
 * it picks the most believable reading of the bytes and reports through
 * defect flags how much it had to guess. */
#ifndef POSTDESK_CHARSET_H
#define POSTDESK_CHARSET_H

#include <stddef.h>

/* Defect flags a conversion can report (OR-ed). */
#define CHARSET_DEFECT_UNKNOWN    0x1	/* declared charset unknown to iconv */
#define CHARSET_DEFECT_LIED       0x2	/* declared charset did not fit the bytes; another was used */
#define CHARSET_DEFECT_REPLACED   0x4	/* some bytes (or NULs) became U+FFFD */
#define CHARSET_DEFECT_UNDECLARED 0x8	/* 8-bit text without a declared charset */

/* The default fallback list: utf-8, windows-1250, iso-8859-2, windows-1252
 * (NULL-terminated). */
extern const char *const charset_default_fallback[];

/* Convert len bytes declared as charset (NULL, "" or a placeholder such as
 * "unknown-8bit" = undeclared) to UTF-8. Never fails.
 *  - 7-bit input in an ASCII-compatible (or no) charset is copied as is.
 *  - The declared charset is used when its reading is clean (no invalid
 *    bytes, no C1 control characters), unless the bytes are plainly UTF-8
 *    (LIED). ISO-8859-x text with bytes 0x80-0x9F is read in the matching
 *    Windows code page (ISO-8859-1 → windows-1252 is not counted as a lie).
 *    A declared charset that fits all but a few bytes is kept, with U+FFFD
 *    for those bytes (REPLACED).
 *  - Otherwise the fallback list (NULL = charset_default_fallback) in order:
 *    the first clean reading without symbols inside words, else the clean
 *    reading with fewest; UTF-8 is taken with U+FFFD when most of the
 *    non-ASCII sequences are valid UTF-8.
 *  - Otherwise the candidate with the fewest bad bytes, with U+FFFD.
 * NUL bytes become U+FFFD (REPLACED). Returns a NUL-terminated string the
 * caller frees; *out_len_r its length; *defects_r the OR-ed flags; *used_r
 * the charset actually used: a static canonical name, or the charset
 * argument itself for a label iconv knows but this module does not list.
 * Any of the three may be NULL. */
char *charset_to_utf8(const char *charset, const char *in, size_t len,
    const char *const *fallback, size_t *out_len_r, unsigned *defects_r,
    const char **used_r);

/* Normalise a charset label as found in mail ("UTF8", "x-cp1250",
 * "ISO_8859-2:1987", "ks_c_5601-1987", "gb2312", quotes and spaces around,
 * an RFC 2231 "*lang" suffix) to a name iconv accepts: a static canonical
 * name, or the label upper-cased into buf when iconv knows a label this
 * module does not list. Returns NULL for empty labels, placeholders that
 * mean "unknown" ("unknown-8bit", "x-unknown", "x-user-defined", "default")
 * and labels iconv does not know. */
const char *charset_normalize(const char *label, char *buf, size_t bufsize);

#endif
