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
#define CHARSET_DEFECT_LIED       0x2	/* declared charset did not fit the
					   bytes; another was used */
#define CHARSET_DEFECT_REPLACED   0x4	/* some bytes (or NULs) became U+FFFD */
#define CHARSET_DEFECT_UNDECLARED 0x8	/* 8-bit text, no charset declared */

/* The default fallback list: utf-8, windows-1250, iso-8859-2, windows-1252
 * (NULL-terminated). */
extern const char *const charset_default_fallback[];

/* Convert len bytes declared as charset (NULL, "" or a placeholder such as
 * "unknown-8bit" = undeclared) to UTF-8. Never fails. In order:
 *  - 7-bit input in an ASCII-compatible (or no) charset is copied as is
 *    (unless it is undeclared ISO-2022-JP).
 *  - Bytes that are plainly UTF-8 (valid, more than one non-ASCII
 *    character or one inside a word) are read as UTF-8 whatever was
 *    declared (LIED).
 *  - The declared charset, when its reading is clean: no invalid bytes,
 *    no C1 control characters. ISO-8859-x text with bytes 0x80-0x9F is read
 *    in the matching Windows code page (LIED, except for the supersets
 *    windows-1252 of ISO-8859-1, windows-1254 of -9, windows-874 of -11).
 *  - A declared multi-byte charset that fits all but a few bytes is kept,
 *    with U+FFFD for those (REPLACED); a single-byte one only if no
 *    fallback below reads the text cleanly and plausibly.
 *  - The fallback list (NULL = charset_default_fallback) in order: the
 *    first clean reading without a symbol inside a word (LIED if a charset
 *    was declared); UTF-8 with U+FFFD when most of its non-ASCII sequences
 *    are valid; else the clean reading with the fewest such symbols.
 *  - Else the reading with the fewest bad bytes, with U+FFFD.
 * NUL bytes become U+FFFD (REPLACED); a leading byte order mark is
 * dropped. Returns a NUL-terminated string the caller frees; *out_len_r
 * its length; *defects_r the OR-ed flags; *used_r the charset actually
 * used: a static canonical name, or, for a label iconv knows but this
 * module does not list, that label as passed (charset or a fallback entry).
 * Any of the three may be NULL. Keeps a few iconv descriptors open per
 * thread for reuse. */
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
