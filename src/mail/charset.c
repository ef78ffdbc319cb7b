/* charset.c: see charset.h.
 *
 * Every candidate reading of the bytes is a full conversion to UTF-8 with
 * U+FFFD for what does not convert, plus a few counts about the result
 * (struct conv). The choice between readings uses only facts that hold for
 * any language:
 *  - invalid bytes: the charset cannot be right for them;
 *  - C1 control characters (U+0080-U+009F): no text contains them, so an
 *    ISO-8859-x reading that produces them is wrong (the bytes are the
 *    letters and quotes of the matching Windows code page);
 *  - a symbol between two letters ("±" in "m±ka"): how a Latin-2 text looks
 *    when read as windows-1250 and vice versa, used to rank guesses only;
 *  - valid UTF-8: legacy text is almost never valid UTF-8 once it has more
 *    than one non-ASCII character, so valid UTF-8 beats a declared legacy
 *    charset, and text whose non-ASCII sequences are mostly valid UTF-8 is
 *    damaged UTF-8, not some other charset.
 * Each conversion is linear in the input; at most a handful are made. */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postdesk/charset.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"

#define REPL		"\xef\xbf\xbd"	/* U+FFFD in UTF-8 */
#define LABEL_MAX	64

const char *const charset_default_fallback[] = {
	"utf-8", "windows-1250", "iso-8859-2", "windows-1252", NULL
};

/* What a charset lets us assume. */
#define CS_ASCII	0x01	/* 7-bit bytes are ASCII: 7-bit text passes */
#define CS_UTF8		0x02
#define CS_WIDE		0x04	/* UTF-16/32: any byte can occur */
#define CS_DBCS		0x08	/* double-byte: a bad pair is skipped whole */
#define CS_JIS		0x10	/* ISO-2022-JP, decoded through CP932 */
#define CS_NONE		0x20	/* placeholder label that means "unknown" */
#define CS_SBCS		0x40	/* one byte, one character: an undefined byte
				   is a wrong charset, not a damaged text */

enum cs_id {
	C_UTF8, C_ASCII, C_L1, C_L2, C_L3, C_L4, C_CYR, C_ARAB, C_GREEK,
	C_HEBR, C_L5, C_L6, C_THAI, C_TIS, C_L7, C_L8, C_L9, C_L10,
	C_W874, C_W1250, C_W1251, C_W1252, C_W1253, C_W1254, C_W1255,
	C_W1256, C_W1257, C_W1258, C_KOI8R, C_KOI8U, C_CP866, C_CP850,
	C_CP852, C_MAC, C_GB, C_BIG5, C_CP950, C_EUCJP, C_CP932, C_JIS,
	C_JIS2, C_CP949, C_ISO2022KR, C_UTF7, C_UTF16, C_UTF16LE, C_UTF16BE,
	C_UTF32, C_UTF32LE, C_UTF32BE, C_PLACEHOLDER,
};

struct cs_info {
	const char *name;	/* as iconv spells it */
	unsigned flags;
	int cousin;		/* enum cs_id of the Windows code page read when
				   this ISO charset yields C1 controls, or -1 */
	bool superset;		/* the cousin reads every text of this charset
				   the same: using it is no lie */
};

#define ISO(n, c, s)	{ n, CS_ASCII | CS_SBCS, c, s }
#define WIN(n)		{ n, CS_ASCII | CS_SBCS, -1, false }
static const struct cs_info charsets[] = {
	[C_UTF8] = { "UTF-8", CS_ASCII | CS_UTF8, -1, false },
	[C_ASCII] = { "US-ASCII", CS_ASCII | CS_SBCS, -1, false },
	[C_L1] = ISO("ISO-8859-1", C_W1252, true),
	[C_L2] = ISO("ISO-8859-2", C_W1250, false),
	[C_L3] = ISO("ISO-8859-3", -1, false),
	[C_L4] = ISO("ISO-8859-4", -1, false),
	[C_CYR] = ISO("ISO-8859-5", -1, false),
	[C_ARAB] = ISO("ISO-8859-6", -1, false),
	[C_GREEK] = ISO("ISO-8859-7", C_W1253, false),
	[C_HEBR] = ISO("ISO-8859-8", C_W1255, false),
	[C_L5] = ISO("ISO-8859-9", C_W1254, true),
	[C_L6] = ISO("ISO-8859-10", -1, false),
	[C_THAI] = ISO("ISO-8859-11", C_W874, true),
	[C_TIS] = ISO("TIS-620", C_W874, true),
	[C_L7] = ISO("ISO-8859-13", C_W1257, false),
	[C_L8] = ISO("ISO-8859-14", -1, false),
	[C_L9] = ISO("ISO-8859-15", C_W1252, false),
	[C_L10] = ISO("ISO-8859-16", -1, false),
	[C_W874] = WIN("WINDOWS-874"),
	[C_W1250] = WIN("WINDOWS-1250"),
	[C_W1251] = WIN("WINDOWS-1251"),
	[C_W1252] = WIN("WINDOWS-1252"),
	[C_W1253] = WIN("WINDOWS-1253"),
	[C_W1254] = WIN("WINDOWS-1254"),
	[C_W1255] = WIN("WINDOWS-1255"),
	[C_W1256] = WIN("WINDOWS-1256"),
	[C_W1257] = WIN("WINDOWS-1257"),
	[C_W1258] = WIN("WINDOWS-1258"),
	[C_KOI8R] = WIN("KOI8-R"),
	[C_KOI8U] = WIN("KOI8-U"),
	[C_CP866] = WIN("CP866"),
	[C_CP850] = WIN("CP850"),
	[C_CP852] = WIN("CP852"),
	[C_MAC] = WIN("MACINTOSH"),
	/* Multi-byte labels go to the superset that senders really use
	 * (GB2312 → GB18030, EUC-KR → CP949, Shift_JIS → CP932, Big5 →
	 * Big5-HKSCS), as browsers do (WHATWG Encoding Standard). */
	[C_GB] = { "GB18030", CS_ASCII | CS_DBCS, -1, false },
	[C_BIG5] = { "BIG5-HKSCS", CS_ASCII | CS_DBCS, -1, false },
	[C_CP950] = { "CP950", CS_ASCII | CS_DBCS, -1, false },
	[C_EUCJP] = { "EUC-JP", CS_ASCII | CS_DBCS, -1, false },
	[C_CP932] = { "CP932", CS_ASCII | CS_DBCS, -1, false },
	[C_JIS] = { "ISO-2022-JP", CS_JIS, -1, false },
	[C_JIS2] = { "ISO-2022-JP-2", 0, -1, false },
	[C_CP949] = { "CP949", CS_ASCII | CS_DBCS, -1, false },
	[C_ISO2022KR] = { "ISO-2022-KR", 0, -1, false },
	[C_UTF7] = { "UTF-7", 0, -1, false },
	[C_UTF16] = { "UTF-16", CS_WIDE, -1, false },
	[C_UTF16LE] = { "UTF-16LE", CS_WIDE, -1, false },
	[C_UTF16BE] = { "UTF-16BE", CS_WIDE, -1, false },
	[C_UTF32] = { "UTF-32", CS_WIDE, -1, false },
	[C_UTF32LE] = { "UTF-32LE", CS_WIDE, -1, false },
	[C_UTF32BE] = { "UTF-32BE", CS_WIDE, -1, false },
	[C_PLACEHOLDER] = { NULL, CS_NONE, -1, false },
};

/* Labels, compacted: lower case, letters and digits only ("ISO_8859-2:1987"
 * → "iso885921987"). Names from the IANA registry and the WHATWG Encoding
 * Standard, plus spellings seen in mail. */
static const struct alias {
	const char *key;
	enum cs_id id;
} aliases[] = {
	{ "utf8", C_UTF8 }, { "unicode11utf8", C_UTF8 },
	{ "unicode20utf8", C_UTF8 }, { "xunicode20utf8", C_UTF8 },
	{ "uft8", C_UTF8 },
	{ "usascii", C_ASCII }, { "ascii", C_ASCII }, { "ansix341968", C_ASCII },
	{ "ansix341986", C_ASCII }, { "iso646us", C_ASCII }, { "us", C_ASCII },
	{ "ibm367", C_ASCII }, { "cp367", C_ASCII }, { "csascii", C_ASCII },
	{ "isoir6", C_ASCII }, { "iso646irv1991", C_ASCII }, { "646", C_ASCII },
	{ "iso88591", C_L1 }, { "latin1", C_L1 }, { "l1", C_L1 },
	{ "cp819", C_L1 }, { "ibm819", C_L1 }, { "isoir100", C_L1 },
	{ "iso885911987", C_L1 }, { "csisolatin1", C_L1 }, { "88591", C_L1 },
	{ "iso88592", C_L2 }, { "latin2", C_L2 }, { "l2", C_L2 },
	{ "isoir101", C_L2 }, { "iso885921987", C_L2 }, { "csisolatin2", C_L2 },
	{ "88592", C_L2 },
	{ "iso88593", C_L3 }, { "latin3", C_L3 }, { "l3", C_L3 },
	{ "isoir109", C_L3 }, { "iso885931988", C_L3 }, { "csisolatin3", C_L3 },
	{ "iso88594", C_L4 }, { "latin4", C_L4 }, { "l4", C_L4 },
	{ "isoir110", C_L4 }, { "iso885941988", C_L4 }, { "csisolatin4", C_L4 },
	{ "iso88595", C_CYR }, { "cyrillic", C_CYR }, { "isoir144", C_CYR },
	{ "iso885951988", C_CYR }, { "csisolatincyrillic", C_CYR },
	{ "iso88596", C_ARAB }, { "arabic", C_ARAB }, { "asmo708", C_ARAB },
	{ "ecma114", C_ARAB }, { "isoir127", C_ARAB }, { "iso885961987", C_ARAB },
	{ "csisolatinarabic", C_ARAB }, { "iso88596e", C_ARAB },
	{ "iso88596i", C_ARAB }, { "csiso88596e", C_ARAB },
	{ "csiso88596i", C_ARAB },
	{ "iso88597", C_GREEK }, { "greek", C_GREEK }, { "greek8", C_GREEK },
	{ "elot928", C_GREEK }, { "ecma118", C_GREEK }, { "isoir126", C_GREEK },
	{ "iso885971987", C_GREEK }, { "csisolatingreek", C_GREEK },
	{ "suneugreek", C_GREEK },
	/* -i (logical order) and -e: the same bytes as ISO-8859-8. */
	{ "iso88598", C_HEBR }, { "hebrew", C_HEBR }, { "isoir138", C_HEBR },
	{ "iso885981988", C_HEBR }, { "csisolatinhebrew", C_HEBR },
	{ "iso88598i", C_HEBR }, { "iso88598e", C_HEBR },
	{ "csiso88598i", C_HEBR }, { "csiso88598e", C_HEBR },
	{ "visual", C_HEBR }, { "logical", C_HEBR },
	{ "iso88599", C_L5 }, { "latin5", C_L5 }, { "l5", C_L5 },
	{ "isoir148", C_L5 }, { "iso885991989", C_L5 }, { "csisolatin5", C_L5 },
	{ "iso885910", C_L6 }, { "latin6", C_L6 }, { "l6", C_L6 },
	{ "isoir157", C_L6 }, { "csisolatin6", C_L6 },
	{ "iso885911", C_THAI }, { "tis620", C_TIS },
	{ "iso885913", C_L7 }, { "latin7", C_L7 }, { "l7", C_L7 },
	{ "iso885914", C_L8 }, { "latin8", C_L8 }, { "l8", C_L8 },
	{ "iso885915", C_L9 }, { "latin9", C_L9 }, { "l9", C_L9 },
	{ "latin0", C_L9 }, { "csisolatin9", C_L9 },
	{ "iso885916", C_L10 }, { "latin10", C_L10 }, { "l10", C_L10 },
	{ "windows874", C_W874 }, { "cp874", C_W874 }, { "dos874", C_W874 },
	{ "xcp874", C_W874 },
#define WINALIASES(n)	{ "windows" #n, C_W ## n }, { "cp" #n, C_W ## n }, \
	{ "xcp" #n, C_W ## n }, { "mscp" #n, C_W ## n }
	WINALIASES(1250), WINALIASES(1251), WINALIASES(1252),
	WINALIASES(1253), WINALIASES(1254), WINALIASES(1255),
	WINALIASES(1256), WINALIASES(1257), WINALIASES(1258),
#undef WINALIASES
	{ "koi8r", C_KOI8R }, { "koi8", C_KOI8R }, { "koi", C_KOI8R },
	{ "cskoi8r", C_KOI8R }, { "koi8u", C_KOI8U }, { "koi8ru", C_KOI8U },
	{ "cp866", C_CP866 }, { "ibm866", C_CP866 }, { "866", C_CP866 },
	{ "csibm866", C_CP866 },
	{ "cp850", C_CP850 }, { "ibm850", C_CP850 }, { "850", C_CP850 },
	{ "cp852", C_CP852 }, { "ibm852", C_CP852 }, { "852", C_CP852 },
	{ "macintosh", C_MAC }, { "mac", C_MAC }, { "macroman", C_MAC },
	{ "xmacroman", C_MAC }, { "csmacintosh", C_MAC },
	{ "gb18030", C_GB }, { "gb2312", C_GB }, { "gbk", C_GB },
	{ "cp936", C_GB }, { "ms936", C_GB }, { "windows936", C_GB },
	{ "xgbk", C_GB }, { "csgb2312", C_GB }, { "chinese", C_GB },
	{ "isoir58", C_GB }, { "gb231280", C_GB }, { "csiso58gb231280", C_GB },
	{ "euccn", C_GB }, { "xeuccn", C_GB },
	{ "big5", C_BIG5 }, { "big5hkscs", C_BIG5 }, { "cnbig5", C_BIG5 },
	{ "csbig5", C_BIG5 }, { "xxbig5", C_BIG5 },
	{ "cp950", C_CP950 }, { "ms950", C_CP950 }, { "windows950", C_CP950 },
	{ "eucjp", C_EUCJP }, { "xeucjp", C_EUCJP },
	{ "cseucpkdfmtjapanese", C_EUCJP },
	{ "shiftjis", C_CP932 }, { "sjis", C_CP932 }, { "xsjis", C_CP932 },
	{ "mskanji", C_CP932 }, { "csshiftjis", C_CP932 },
	{ "windows31j", C_CP932 }, { "cswindows31j", C_CP932 },
	{ "cp932", C_CP932 }, { "ms932", C_CP932 }, { "xmscp932", C_CP932 },
	{ "iso2022jp", C_JIS }, { "csiso2022jp", C_JIS },
	{ "iso2022jp2", C_JIS2 }, { "csiso2022jp2", C_JIS2 },
	{ "euckr", C_CP949 }, { "cseuckr", C_CP949 }, { "ksc56011987", C_CP949 },
	{ "ksc5601", C_CP949 }, { "ksc56011989", C_CP949 },
	{ "csksc56011987", C_CP949 }, { "isoir149", C_CP949 },
	{ "korean", C_CP949 }, { "windows949", C_CP949 }, { "cp949", C_CP949 },
	{ "ms949", C_CP949 }, { "uhc", C_CP949 },
	{ "iso2022kr", C_ISO2022KR }, { "csiso2022kr", C_ISO2022KR },
	{ "utf7", C_UTF7 }, { "unicode11utf7", C_UTF7 },
	{ "csunicode11utf7", C_UTF7 },
	{ "utf16", C_UTF16 }, { "unicode", C_UTF16 }, { "ucs2", C_UTF16 },
	{ "utf16le", C_UTF16LE }, { "utf16be", C_UTF16BE },
	{ "utf32", C_UTF32 }, { "ucs4", C_UTF32 },
	{ "utf32le", C_UTF32LE }, { "utf32be", C_UTF32BE },
	/* Labels that say "I do not know". */
	{ "xuserdefined", C_PLACEHOLDER }, { "unknown8bit", C_PLACEHOLDER },
	{ "xunknown", C_PLACEHOLDER }, { "unknown", C_PLACEHOLDER },
	{ "default", C_PLACEHOLDER }, { "none", C_PLACEHOLDER },
	{ "undefined", C_PLACEHOLDER }, { "autodetect", C_PLACEHOLDER },
	{ "autodetectall", C_PLACEHOLDER }, { "autodetectkr", C_PLACEHOLDER },
	{ "8bit", C_PLACEHOLDER }, { "7bit", C_PLACEHOLDER },
	{ "binary", C_PLACEHOLDER },
};

/* A charset to try: where a label led. */
struct cand {
	const char *name;	/* for iconv; borrowed (static or a buffer) */
	const char *used;	/* what *used_r reports; static or the label */
	unsigned flags;
	int cousin;
	bool superset;
};

enum lookup { LABEL_NONE, LABEL_UNKNOWN, LABEL_KNOWN };

/* iconv descriptors stay open for reuse: glibc unloads a charset module
 * (dlclose) soon after its last descriptor is closed, and loading it again
 * costs some 100 us, which mail alternating charsets word by word would
 * pay for every word. A few per thread (an iconv_t is not thread-safe);
 * names are at most LABEL_MAX long. */
#define CD_CACHE	8
static _Thread_local struct {
	char name[LABEL_MAX + 1];
	iconv_t cd;
} cd_cache[CD_CACHE];
static _Thread_local unsigned cd_next;

/* A descriptor from name to UTF-8 in its initial state, or (iconv_t)-1.
 * Borrowed: valid until the next call. */
static iconv_t
cd_get(const char *name)
{
	unsigned slot;
	iconv_t cd;

	for (slot = 0; slot < CD_CACHE; slot++) {
		if (cd_cache[slot].name[0] != '\0' &&
		    strcmp(cd_cache[slot].name, name) == 0) {
			cd = cd_cache[slot].cd;
			iconv(cd, NULL, NULL, NULL, NULL);
			return cd;
		}
	}
	if (strlen(name) > LABEL_MAX ||
	    (cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return (iconv_t)-1;
	slot = cd_next++ % CD_CACHE;
	if (cd_cache[slot].name[0] != '\0')
		iconv_close(cd_cache[slot].cd);
	memcpy(cd_cache[slot].name, name, strlen(name) + 1);
	cd_cache[slot].cd = cd;
	return cd;
}

static bool
iconv_knows(const char *name)
{
	return cd_get(name) != (iconv_t)-1;
}

/* Compact label [s, e) into key; false if it holds characters no charset
 * name has (which also keeps "//IGNORE"-style iconv suffixes out). */
static bool
label_key(const char *s, const char *e, char *key, size_t keysize)
{
	size_t n = 0;

	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))
			key[n++] = (char)c;
		else if (c >= 'A' && c <= 'Z')
			key[n++] = (char)(c - 'A' + 'a');
		else if (c != '-' && c != '_' && c != '.' && c != ':')
			return false;
		if (n >= keysize)
			return false;
	}
	key[n] = '\0';
	return n > 0;
}

/* A label iconv may know although the table does not: upper-cased into buf
 * (label_key has checked its characters). */
static bool
label_other(const char *s, const char *e, char *buf, size_t bufsize)
{
	size_t n = (size_t)(e - s);

	if (buf == NULL || n >= bufsize)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		buf[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	buf[n] = '\0';
	return iconv_knows(buf);
}

static void
cand_set(struct cand *c, enum cs_id id)
{
	c->name = c->used = charsets[id].name;
	c->flags = charsets[id].flags;
	c->cousin = charsets[id].cousin;
	c->superset = charsets[id].superset;
}

static enum lookup
label_lookup(const char *label, char *buf, size_t bufsize, struct cand *c)
{
	char key[LABEL_MAX + 1];
	const char *s, *e, *cut;

	if (label == NULL)
		return LABEL_NONE;
	s = label;
	e = label + strlen(label);
	while (s < e && strchr(" \t\r\n\"'", *s) != NULL)
		s++;
	while (e > s && strchr(" \t\r\n\"';", e[-1]) != NULL)
		e--;
	/* The label ends at an RFC 2231 language suffix ("utf-8*cs") or at
	 * what a broken header glued to it ("utf-8 format=flowed"). */
	for (cut = s; cut < e && strchr("* \t;,", *cut) == NULL; cut++)
		;
	e = cut;
	if (s == e)
		return LABEL_NONE;
	if (e - s > LABEL_MAX || !label_key(s, e, key, sizeof(key)))
		return LABEL_UNKNOWN;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(aliases[i].key, key) != 0)
			continue;
		if (aliases[i].id == C_PLACEHOLDER)
			return LABEL_NONE;
		cand_set(c, aliases[i].id);
		return LABEL_KNOWN;
	}
	if (!label_other(s, e, buf, bufsize))
		return LABEL_UNKNOWN;
	c->name = buf;
	c->used = label;
	c->flags = strncmp(buf, "UTF-16", 6) == 0 ||
	    strncmp(buf, "UTF-32", 6) == 0 ||
	    strncmp(buf, "UCS-", 4) == 0 ? CS_WIDE : 0;
	c->cousin = -1;
	c->superset = false;
	return LABEL_KNOWN;
}

const char *
charset_normalize(const char *label, char *buf, size_t bufsize)
{
	struct cand c;

	if (label_lookup(label, buf, bufsize, &c) != LABEL_KNOWN)
		return NULL;
	return c.name;
}

/* --- output buffer ----------------------------------------------------- */

/* Growable output that iconv can write into directly (hence not pd_buf).
 * No cap: every decoder here writes at most a few bytes per input byte. */
struct obuf {
	char *p;	/* owned */
	size_t len;
	size_t cap;
};

/* Room for n more bytes and the final NUL. */
static void
ob_reserve(struct obuf *o, size_t n)
{
	size_t need, cap;

	if (o->cap > o->len && o->cap - o->len > n)
		return;
	if (n > SIZE_MAX / 4 - o->len)
		log_fatal("charset: output of %zu bytes is too large", n);
	need = o->len + n + 1;
	cap = o->cap ? o->cap : 64;
	while (cap < need)
		cap *= 2;
	o->p = xrealloc(o->p, cap);
	o->cap = cap;
}

static void
ob_add(struct obuf *o, const void *p, size_t n)
{
	ob_reserve(o, n);
	if (n > 0)
		memcpy(o->p + o->len, p, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
ob_addc(struct obuf *o, unsigned char c)
{
	ob_reserve(o, 1);
	o->p[o->len++] = (char)c;
	o->p[o->len] = '\0';
}

/* --- decoders ---------------------------------------------------------- */

/* Length of the maximal ill-formed subpart at s (Unicode's "U+FFFD
 * substitution of maximal subparts"): a lead byte and the continuation
 * bytes that could still have completed it. At least 1. */
static size_t
utf8_bad_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 1;
	for (i = 1; i <= need && i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

static void
decode_utf8(const unsigned char *s, size_t len, struct obuf *o, size_t *nrep)
{
	size_t i = 0, start = 0, n;

	ob_reserve(o, len);
	while (i < len) {
		if (s[i] < 0x80) {
			i += utf8_ascii_span(s + i, len - i);
			continue;
		}
		if ((n = utf8_seq_len(s + i, len - i)) != 0) {
			i += n;
			continue;
		}
		ob_add(o, s + start, i - start);
		ob_add(o, REPL, 3);
		(*nrep)++;
		i += utf8_bad_len(s + i, len - i);
		start = i;
	}
	ob_add(o, s + start, i - start);
}

/* iconv with U+FFFD for what does not convert. -1 if iconv lacks name. */
static int
decode_iconv(const char *name, bool dbcs, const char *in, size_t len,
    struct obuf *o, size_t *nrep)
{
	iconv_t cd = cd_get(name);
	char *ip = (char *)in, *op;
	size_t il = len, ol, skip;
	int err;

	if (cd == (iconv_t)-1)
		return -1;
	ob_reserve(o, len + len / 2 + 16);
	while (il > 0) {
		op = o->p + o->len;
		ol = o->cap - o->len - 1;
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1) {
			o->len = (size_t)(op - o->p);
			break;
		}
		err = errno;
		o->len = (size_t)(op - o->p);
		if (err == E2BIG) {
			ob_reserve(o, o->cap);
			continue;
		}
		ob_add(o, REPL, 3);
		(*nrep)++;
		if (err != EILSEQ)	/* EINVAL: truncated at the end */
			break;
		/* An unmapped double-byte pair goes as a whole, unless its
		 * second byte is ASCII, which is then read again (WHATWG). */
		skip = dbcs && il >= 2 && (unsigned char)ip[0] >= 0x81 &&
		    (unsigned char)ip[1] >= 0x80 ? 2 : 1;
		ip += skip;
		il -= skip;
	}
	ob_reserve(o, 32);
	op = o->p + o->len;
	ol = o->cap - o->len - 1;
	iconv(cd, NULL, NULL, &op, &ol);	/* end a shift state */
	o->len = (size_t)(op - o->p);
	o->p[o->len] = '\0';
	return 0;
}

/* ISO-2022-JP rewritten as Shift_JIS bytes, to be read as CP932 the way
 * Microsoft's CP50221 does: CP932 has the NEC and IBM rows (①, ㈱, №)
 * that Japanese mail uses and glibc's ISO-2022-JP rejects, and working on
 * whole pairs keeps a bad pair from shifting the rest of the text.
 * Bytes that cannot be ISO-2022-JP become 0xFF, which CP932 rejects.
 * Returns -1 on an escape sequence other than ASCII, JIS X 0201 and
 * JIS X 0208 (ISO-2022-JP-2's other sets: left to iconv). */
static int
jis_to_sjis(const unsigned char *s, size_t len, struct obuf *o)
{
	enum { M_ASCII, M_KANA, M_KANJI } mode = M_ASCII;
	size_t i = 0;
	unsigned j1, j2;

	while (i < len) {
		unsigned char b = s[i];

		if (b == 0x1b) {
			char e1 = i + 2 < len ? (char)s[i + 1] : 0;
			char e2 = i + 2 < len ? (char)s[i + 2] : 0;

			if (e1 == '(' && (e2 == 'B' || e2 == 'J'))
				mode = M_ASCII;
			else if (e1 == '(' && e2 == 'I')
				mode = M_KANA;
			else if (e1 == '$' && (e2 == '@' || e2 == 'B'))
				mode = M_KANJI;
			else
				return -1;
			i += 3;
		} else if (b == 0x0e || b == 0x0f) {
			return -1;	/* SO/SI katakana: not ISO-2022-JP */
		} else if (b >= 0x80) {
			ob_addc(o, 0xff);
			i++;
		} else if (b < 0x21 || b == 0x7f || mode == M_ASCII) {
			ob_addc(o, b);
			i++;
		} else if (mode == M_KANA) {
			ob_addc(o, b <= 0x5f ? b + 0x80 : 0xff);
			i++;
		} else if (i + 1 >= len || s[i + 1] < 0x21 || s[i + 1] > 0x7e) {
			ob_addc(o, 0xff);
			i++;
		} else {
			/* JIS X 0208 row/cell → Shift_JIS (its annex 1) */
			j1 = b;
			j2 = s[i + 1];
			ob_addc(o, (unsigned char)(((j1 + 1) >> 1) +
			    (j1 <= 0x5e ? 0x70 : 0xb0)));
			ob_addc(o, (unsigned char)(j2 + ((j1 & 1) ?
			    (j2 >= 0x60 ? 0x20 : 0x1f) : 0x7e)));
			i += 2;
		}
	}
	return 0;
}

static int
decode_jis(const char *in, size_t len, struct obuf *o, size_t *nrep)
{
	struct obuf sj = { NULL, 0, 0 };
	int r;

	ob_reserve(&sj, len);
	if (jis_to_sjis((const unsigned char *)in, len, &sj) < 0)
		r = decode_iconv("ISO-2022-JP-2", false, in, len, o, nrep);
	else
		r = decode_iconv("CP932", true, sj.p, sj.len, o, nrep);
	free(sj.p);
	return r;
}

/* --- judging a reading ------------------------------------------------- */

struct conv {
	struct obuf o;		/* the UTF-8 reading */
	const char *used;	/* charset it was read in (for *used_r) */
	bool valid;		/* o holds a reading */
	bool as_declared;	/* read in the declared charset (or its
				   superset): not a lie */
	size_t nrep;		/* U+FFFD inserted */
	size_t good;		/* other non-ASCII characters */
	size_t c1;		/* C1 controls (legacy charsets only) */
	size_t sym;		/* symbols between two letters */
};

static void
conv_free(struct conv *r)
{
	free(r->o.p);
	memset(r, 0, sizeof(*r));
}

/* Hand src over to dst (freeing what dst held); src is left empty. */
static void
conv_move(struct conv *dst, struct conv *src)
{
	conv_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static bool
conv_clean(const struct conv *r)
{
	return r->nrep == 0 && r->c1 == 0;
}

/* Right charset, damaged text: no more bad bytes than good characters
 * for the declared charset, a clear majority of good ones for a guess. */
static bool
conv_fits(const struct conv *r, bool declared)
{
	if (r->c1 > 0 || r->good == 0)
		return false;
	return declared ? r->good >= r->nrep : r->good > 2 * r->nrep;
}

static size_t
conv_bad(const struct conv *r)
{
	return r->nrep + r->c1;
}

static bool
cp_letter(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (c >= 0xc0 && c <= 0x24f)
		return c != 0xd7 && c != 0xf7;
	return (c >= 0x370 && c <= 0x52f) || (c >= 0x1e00 && c <= 0x1eff);
}

/* Signs that a legacy reading put a symbol where a letter belongs: the
 * Latin-1 symbols (± ¶ « » © ® µ ...), × ÷, and the spacing accents
 * (ˇ ˘ ˛ ˝) that windows-1250 and ISO-8859-2 swap with letters. */
static bool
cp_symbol(uint32_t c)
{
	return (c >= 0xa1 && c <= 0xbf) || c == 0xd7 || c == 0xf7 ||
	    (c >= 0x2c2 && c <= 0x2ff);
}

/* Count what the reading produced. Output that is not valid UTF-8 (a
 * decoder passing a lone surrogate through) is cleaned here. */
static void
conv_judge(struct conv *r, bool utf8)
{
	const unsigned char *s = (const unsigned char *)r->o.p;
	size_t i = 0, n, nonascii = 0;
	bool prev_letter = false, pending = false;
	uint32_t c;

	while (i < r->o.len) {
		if (s[i] < 0x80) {
			/* A run of ASCII: what matters is whether it starts
			 * with a letter (after a pending symbol) and whether
			 * it ends with one; ASCII is never a symbol here. */
			n = utf8_ascii_span(s + i, r->o.len - i);
			if (pending && cp_letter(s[i]))
				r->sym++;
			pending = false;
			prev_letter = cp_letter(s[i + n - 1]);
			i += n;
			continue;
		}
		if ((n = utf8_seq_len(s + i, r->o.len - i)) != 0) {
			c = s[i] & (0xff >> (n + 1));
			for (size_t k = 1; k < n; k++)
				c = (c << 6) | (s[i + k] & 0x3f);
			nonascii++;
			if (c >= 0x80 && c <= 0x9f)
				r->c1++;
		} else {
			struct obuf fixed = { NULL, 0, 0 };

			decode_utf8(s, r->o.len, &fixed, &r->nrep);
			free(r->o.p);
			r->o = fixed;
			r->c1 = r->sym = 0;
			conv_judge(r, utf8);	/* valid now: recurses once */
			return;
		}
		if (cp_letter(c)) {
			if (pending)
				r->sym++;
			pending = false;
			prev_letter = true;
		} else {
			pending = prev_letter && cp_symbol(c);
			prev_letter = false;
		}
		i += n;
	}
	r->good = nonascii > r->nrep ? nonascii - r->nrep : 0;
	/* valid UTF-8 for a C1 control is what the sender wrote */
	if (utf8)
		r->c1 = 0;
}

/* Single-byte charsets are read through a table of iconv's own answer for
 * each byte, made once per thread and charset: the same output as
 * decode_iconv (U+FFFD for a byte it does not map), without iconv's cost
 * per call and per character, which made it the costliest step for
 * Latin-2 mail. A converter that holds a byte back (windows-1255 and
 * windows-1258 compose letters with the accents that follow) or gives
 * more than one character for a byte makes no table: iconv reads that
 * charset as before. */
#define SB_CACHE	4
struct sbtab {
	char name[LABEL_MAX + 1];
	bool usable;
	unsigned char out[256][4];	/* UTF-8 length (0: unmapped), bytes */
};
static _Thread_local struct sbtab sb_cache[SB_CACHE];
static _Thread_local unsigned sb_next;

/* Fill t from iconv; false if the charset cannot be read byte by byte. */
static bool
sb_build(struct sbtab *t, const char *name)
{
	for (unsigned b = 0; b < 256; b++) {
		iconv_t cd = cd_get(name);	/* in its initial state */
		char in = (char)b, buf[16], *ip = &in, *op = buf;
		size_t il = 1, ol = sizeof(buf), n;

		if (cd == (iconv_t)-1)
			return false;
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
			if (errno != EILSEQ)
				return false;
			t->out[b][0] = 0;
			continue;
		}
		n = (size_t)(op - buf);
		if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1 ||
		    (size_t)(op - buf) != n || n == 0 || n > 3 ||
		    utf8_seq_len((unsigned char *)buf, n) != n)
			return false;
		t->out[b][0] = (unsigned char)n;
		memcpy(&t->out[b][1], buf, n);
	}
	return true;
}

/* The table for name, or NULL (then use iconv). Borrowed. */
static const struct sbtab *
sb_get(const char *name)
{
	struct sbtab *t;

	if (strlen(name) > LABEL_MAX)
		return NULL;
	for (unsigned i = 0; i < SB_CACHE; i++)
		if (strcmp(sb_cache[i].name, name) == 0)
			return sb_cache[i].usable ? &sb_cache[i] : NULL;
	t = &sb_cache[sb_next++ % SB_CACHE];
	memcpy(t->name, name, strlen(name) + 1);
	t->usable = sb_build(t, name);
	return t->usable ? t : NULL;
}

static void
decode_sbcs(const struct sbtab *t, const unsigned char *s, size_t len,
    struct obuf *o, size_t *nrep)
{
	char *p;

	ob_reserve(o, 3 * len);
	p = o->p + o->len;
	for (size_t i = 0; i < len; i++) {
		const unsigned char *e = t->out[s[i]];

		if (e[0] == 0) {
			memcpy(p, REPL, 3);
			p += 3;
			(*nrep)++;
			continue;
		}
		p[0] = (char)e[1];
		p[1] = (char)e[2];
		p[2] = (char)e[3];
		p += e[0];
	}
	o->len = (size_t)(p - o->p);
	o->p[o->len] = '\0';
}

static int
convert(const struct cand *c, const char *in, size_t len, struct conv *r)
{
	const struct sbtab *t;

	memset(r, 0, sizeof(*r));
	if (c->flags & CS_UTF8)
		decode_utf8((const unsigned char *)in, len, &r->o, &r->nrep);
	else if (c->flags & CS_JIS) {
		if (decode_jis(in, len, &r->o, &r->nrep) < 0)
			return -1;
	} else if ((c->flags & CS_SBCS) && (t = sb_get(c->name)) != NULL)
		decode_sbcs(t, (const unsigned char *)in, len, &r->o, &r->nrep);
	else if (decode_iconv(c->name, (c->flags & CS_DBCS) != 0, in, len,
	    &r->o, &r->nrep) < 0) {
		free(r->o.p);
		r->o.p = NULL;
		return -1;
	}
	ob_reserve(&r->o, 0);
	r->o.p[r->o.len] = '\0';
	r->used = c->used;
	r->valid = true;
	conv_judge(r, (c->flags & CS_UTF8) != 0);
	return 0;
}

static const struct cand cand_utf8 = {
	"UTF-8", "UTF-8", CS_ASCII | CS_UTF8, -1, false
};

/* --- choosing ---------------------------------------------------------- */

static bool
ascii_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool
ascii_alpha(unsigned char c)
{
	return ascii_lower(c) || (c >= 'A' && c <= 'Z');
}

/* Are these bytes UTF-8 although another charset was declared? They must
 * be valid UTF-8 (but for a character cut off at the end) and carry more
 * than chance can: two or more multi-byte sequences, or one of 3-4 bytes.
 * A single 2-byte sequence is weak evidence (Polish "STÓŁ" in ISO-8859-2
 * is D3 A3, valid UTF-8); it counts only inside a word: in a legacy
 * reading its lead byte (0xC2-0xDF) is an upper-case letter, and one right
 * after a lower-case letter ("DobrĂ˝" for "Dobrý"), or after a letter and
 * before a lower-case one ("MĂĽller"), is a case flip real words do not
 * have. */
static bool
utf8_evidence(const unsigned char *s, size_t len)
{
	size_t i = 0, n, multi = 0, n2 = 0;
	bool inword = false;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq_len(s + i, len - i)) == 0) {
			/* a character cut off at the very end is truncation */
			if (s[i] >= 0xc2 && s[i] <= 0xf4 &&
			    i + utf8_bad_len(s + i, len - i) == len)
				break;
			return false;
		}
		multi++;
		if (n == 2) {
			n2++;
			if (i > 0 && (ascii_lower(s[i - 1]) ||
			    (ascii_alpha(s[i - 1]) && i + 2 < len &&
			    ascii_lower(s[i + 2]))))
				inword = true;
		}
		i += n;
	}
	return multi >= 2 || multi > n2 || (multi == 1 && inword);
}

static bool
has_8bit(const char *in, size_t len)
{
	return utf8_ascii_span((const unsigned char *)in, len) < len;
}

/* ISO-2022-JP escape sequences in text that did not say so. */
static bool
has_jis_escape(const char *in, size_t len)
{
	const char *p = in, *end = in + len;

	/* ESC $ B, ESC $ @, ESC ( I; ESC is rare, memchr finds it fast */
	while ((p = memchr(p, 0x1b, (size_t)(end - p))) != NULL) {
		if (end - p >= 3 && ((p[1] == '$' && (p[2] == 'B' || p[2] == '@')) ||
		    (p[1] == '(' && p[2] == 'I')))
			return true;
		p++;
	}
	return false;
}

enum dpick {
	D_DONE,		/* *res is the choice */
	D_FITS,		/* *res fits with U+FFFD, unless a guess reads clean */
	D_NO,		/* *res (if valid) is only a last resort */
};

/* The declared charset d. A multi-byte text with a few bad sequences is
 * damaged (cut mid-character, a stray byte) and stays in its charset;
 * a single-byte charset has no such damage, so a byte it does not define
 * says the declaration is wrong if another charset reads the text well. */
static enum dpick
pick_declared(const struct cand *d, const char *in, size_t len,
    struct conv *res)
{
	struct conv cz;
	struct cand cc;

	if (!(d->flags & (CS_UTF8 | CS_WIDE)) &&
	    utf8_evidence((const unsigned char *)in, len)) {
		convert(&cand_utf8, in, len, res);
		return D_DONE;
	}
	if (convert(d, in, len, res) < 0)
		return D_NO;
	res->as_declared = true;
	if (conv_clean(res))
		return D_DONE;
	if (d->cousin >= 0) {
		cand_set(&cc, (enum cs_id)d->cousin);
		if (convert(&cc, in, len, &cz) == 0) {
			cz.as_declared = d->superset;
			if (conv_clean(&cz) || conv_bad(&cz) < conv_bad(res))
				conv_move(res, &cz);
			conv_free(&cz);
			if (conv_clean(res))
				return D_DONE;
		}
	}
	if (res->nrep == 0 || !conv_fits(res, true))
		return D_NO;
	return (d->flags & CS_SBCS) ? D_FITS : D_DONE;
}

static bool
same_charset(const struct cand *c, const struct cand *d)
{
	if (d == NULL)
		return false;
	if (strcasecmp(c->name, d->name) == 0)
		return true;
	return d->cousin >= 0 &&
	    strcasecmp(c->name, charsets[d->cousin].name) == 0;
}

/* The fallback list, for text whose declared charset (d, or NULL) failed.
 * True when a reading is chosen (*res); otherwise *least_bad is the least
 * bad reading seen so far and *res is untouched. With plausible_only, only
 * a clean reading without symbols inside words (or mostly valid UTF-8) is
 * chosen. */
static bool
pick_fallback(const char *const *fb, const struct cand *d, bool plausible_only,
    const char *in, size_t len, struct conv *least_bad, struct conv *res)
{
	struct conv cur, cleanest;
	struct cand c;
	char buf[LABEL_MAX + 1];

	memset(&cleanest, 0, sizeof(cleanest));
	for (; *fb; fb++) {
		if (label_lookup(*fb, buf, sizeof(buf), &c) != LABEL_KNOWN ||
		    same_charset(&c, d) || convert(&c, in, len, &cur) < 0)
			continue;
		/* Mostly valid UTF-8 is damaged UTF-8: any legacy charset
		 * would read all of it "cleanly" and all of it wrong. */
		if ((conv_clean(&cur) && cur.sym == 0) ||
		    ((c.flags & CS_UTF8) && conv_fits(&cur, false))) {
			conv_move(res, &cur);
			conv_free(&cleanest);
			return true;
		}
		if (conv_clean(&cur)) {
			if (!cleanest.valid || cur.sym < cleanest.sym)
				conv_move(&cleanest, &cur);
		} else if (!least_bad->valid ||
		    conv_bad(&cur) < conv_bad(least_bad))
			conv_move(least_bad, &cur);
		conv_free(&cur);
	}
	if (!cleanest.valid || plausible_only) {
		conv_free(&cleanest);
		return false;
	}
	conv_move(res, &cleanest);
	return true;
}

/* 7-bit text in an ASCII-compatible charset, or none: as is, unless it is
 * ISO-2022-JP that did not say so. */
static void
pick_7bit(enum lookup dk, const struct cand *d, const char *in, size_t len,
    struct conv *res)
{
	static const struct cand jis = {
		"ISO-2022-JP", "ISO-2022-JP", CS_JIS, -1, false
	};

	if ((dk != LABEL_KNOWN || strcmp(d->name, "US-ASCII") == 0) &&
	    has_jis_escape(in, len) && convert(&jis, in, len, res) == 0) {
		if (conv_clean(res))
			return;
		conv_free(res);
	}
	memset(res, 0, sizeof(*res));
	ob_add(&res->o, in, len);
	res->valid = true;
	res->as_declared = true;
	res->used = dk == LABEL_KNOWN ? d->used : "US-ASCII";
}

/* NUL bytes in the reading → U+FFFD. True if there were any. */
static bool
replace_nuls(struct obuf *o)
{
	struct obuf n = { NULL, 0, 0 };
	size_t i, start = 0;

	if (memchr(o->p, '\0', o->len) == NULL)
		return false;
	ob_reserve(&n, o->len + 16);
	for (i = 0; i < o->len; i++) {
		if (o->p[i] != '\0')
			continue;
		ob_add(&n, o->p + start, i - start);
		ob_add(&n, REPL, 3);
		start = i + 1;
	}
	ob_add(&n, o->p + start, i - start);
	free(o->p);
	*o = n;
	return true;
}

/* A byte order mark starts no text: drop it. */
static void
drop_bom(struct obuf *o)
{
	if (o->len >= 3 && memcmp(o->p, "\xef\xbb\xbf", 3) == 0) {
		memmove(o->p, o->p + 3, o->len - 3 + 1);
		o->len -= 3;
	}
}

char *
charset_to_utf8(const char *charset, const char *in, size_t len,
    const char *const *fallback, size_t *out_len_r, unsigned *defects_r,
    const char **used_r)
{
	char dbuf[LABEL_MAX + 1];
	struct cand d;
	struct conv res, fit, least_bad;
	enum lookup dk;
	unsigned defects = 0;
	bool high = has_8bit(in, len), known;

	memset(&d, 0, sizeof(d));
	memset(&res, 0, sizeof(res));
	memset(&fit, 0, sizeof(fit));
	memset(&least_bad, 0, sizeof(least_bad));
	if (fallback == NULL)
		fallback = charset_default_fallback;
	dk = label_lookup(charset, dbuf, sizeof(dbuf), &d);
	known = dk == LABEL_KNOWN;
	if (dk == LABEL_UNKNOWN)
		defects |= CHARSET_DEFECT_UNKNOWN;
	if (!high && (!known || (d.flags & CS_ASCII))) {
		pick_7bit(dk, &d, in, len, &res);
		if (!res.as_declared)
			defects |= known ? CHARSET_DEFECT_LIED :
			    dk == LABEL_NONE ? CHARSET_DEFECT_UNDECLARED : 0;
		goto done;
	}
	if (known) {
		switch (pick_declared(&d, in, len, &res)) {
		case D_DONE:
			goto found;
		case D_FITS:
			conv_move(&fit, &res);
			break;
		case D_NO:
			/* iconv lacks a charset the table lists */
			if (!res.valid) {
				known = false;
				defects |= CHARSET_DEFECT_UNKNOWN;
			}
			conv_move(&least_bad, &res);
			break;
		}
	} else if (dk == LABEL_NONE && high)
		defects |= CHARSET_DEFECT_UNDECLARED;
	if (pick_fallback(fallback, known ? &d : NULL, fit.valid, in, len,
	    &least_bad, &res))
		goto found;
	if (fit.valid)
		conv_move(&res, &fit);
	else if (least_bad.valid)
		conv_move(&res, &least_bad);
	else
		convert(&cand_utf8, in, len, &res);
found:
	if (known && !res.as_declared)
		defects |= CHARSET_DEFECT_LIED;
	if (res.nrep > 0)
		defects |= CHARSET_DEFECT_REPLACED;
done:
	conv_free(&fit);
	conv_free(&least_bad);
	drop_bom(&res.o);
	if (replace_nuls(&res.o))
		defects |= CHARSET_DEFECT_REPLACED;
	if (out_len_r)
		*out_len_r = res.o.len;
	if (defects_r)
		*defects_r = defects;
	if (used_r)
		*used_r = res.used;
	return res.o.p;
}
