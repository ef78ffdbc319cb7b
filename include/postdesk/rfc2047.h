/* rfc2047.h: header values and MIME parameters → one line of UTF-8.
 *
 * RFC 2047 encoded words and RFC 2231 parameters, with the broken forms
 * real mail has. Every text goes through charset_to_utf8, so the defect
 * flags are those of charset.h plus RFC2047_DEFECT_MALFORMED. */
#ifndef POSTDESK_RFC2047_H
#define POSTDESK_RFC2047_H

#include <stddef.h>

#include "postdesk/charset.h"

/* A broken encoded word (kept as literal text, or partly decoded) or a
 * broken %XX escape in an RFC 2231 value. */
#define RFC2047_DEFECT_MALFORMED 0x100

/* Decode a header value of len bytes (the part after "Name:", folded or
 * not). Encoded words are found anywhere, also inside quoted strings and
 * words; B and Q in either case, base64 without padding, any charset
 * (RFC 2231 "*lang" suffix ignored; missing or unknown → the fallback
 * list). Adjacent encoded words in the same charset are joined as bytes
 * before conversion (a character split across two words survives); the
 * whitespace between two encoded words is dropped, the one between an
 * encoded word and other text kept. Other 8-bit bytes are read with the
 * fallback list (NULL = charset_default_fallback). The result is unfolded
 * and trimmed, and every control character (C0 including CR, LF, TAB and
 * NUL, DEL, C1, U+2028, U+2029) becomes a space: it never holds a line
 * break. An encoded NUL comes out as U+FFFD. Returns a string the caller
 * frees; *defects_r (may be NULL) the OR-ed defect flags. */
char *rfc2047_decode(const char *value, size_t len,
    const char *const *fallback, unsigned *defects_r);

/* One MIME parameter as the parser gave it (value already unquoted). */
struct rfc2231_param {
	const char *name;	/* "filename", "filename*", "filename*0*"... */
	const char *value;
};

/* The value of parameter name (case-insensitive) among params[0..n-1],
 * decoded to UTF-8 like rfc2047_decode's result. RFC 2231 forms win over
 * a plain value: "name*" (charset'lang'%XX), continuations "name*N" and
 * "name*N*" joined in numeric order (out-of-order parts sorted, missing
 * ones skipped, plain and encoded parts mixed), charset'lang' taken from
 * the first part. Plain continuations only, or a plain value: RFC 2047
 * words in it are decoded (Outlook, Gmail) and 8-bit bytes read with the
 * fallback list. Returns NULL if the parameter is absent, else a string
 * the caller frees. */
char *rfc2231_get(const struct rfc2231_param *params, size_t n,
    const char *name, const char *const *fallback, unsigned *defects_r);

#endif
