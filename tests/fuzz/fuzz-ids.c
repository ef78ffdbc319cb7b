/* fuzz-ids.c: libFuzzer target for the parsers that decide which ticket a
 * mail belongs to: the subject tag (thread_subject_tag, src/pipe/thread.c),
 * postdesk's own HMAC-signed Message-IDs (src/pipe/ourid.c) and the
 * Message-ID / In-Reply-To / References extraction (msgid_extract,
 * src/mail/msg.c).
 *
 * Input: up to three fields separated by NUL bytes: a tag, a text (a
 * subject, a header value, an id), and a key (the HMAC secret). Besides
 * the sanitizers' findings it checks, and traps after saying which one:
 *   subject tag
 *   - a found ticket number is within 1 .. 10^18-1, and the text holds
 *     a '[' and the tag (any case);
 *   - "P[Tag #N]S" is found with N whenever P holds no '[' (any S, any
 *     spaces inside the brackets as clients write them);
 *   Message-IDs of ours
 *   - an id we make verifies, under its key only, for its ticket;
 *   - the text, taken as an id, that verifies has our shape;
 *   - a made id changed at the positions the text says either no longer
 *     verifies or still names the same ticket (no forging another
 *     ticket's id from one of ours);
 *   Message-ID extraction
 *   - every id is 1..998 bytes of UTF-8 without control characters and
 *     without blanks at either end;
 *   - "<id1> <id2> ..." written back and read again gives the same ids
 *     (unless an id holds a '>', which brackets cannot carry).
 *
 * Built and run by tests/fuzz/run-fuzz.sh (target "ids"). */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "postdesk/ourid.h"
#include "postdesk/thread.h"
#include "postdesk/utf8.h"
#include "postdesk/xalloc.h"
#include "confval.h"
#include "mail_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *val)
{
	fprintf(stderr, "fuzz-ids: invariant violated: %s", what);
	if (val != NULL) {
		fputs(": \"", stderr);
		for (size_t n = 0; val[n] && n < 200; n++) {
			unsigned char c = (unsigned char)val[n];

			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				fprintf(stderr, "\\x%02x", c);
			else
				fputc(c, stderr);
		}
		fputc('"', stderr);
	}
	fputc('\n', stderr);
	__builtin_trap();
}

/* The next NUL-terminated field of the input, as a C string (caller
 * frees); the rest of the input after it in *p, *n. */
static char *
field(const uint8_t **p, size_t *n)
{
	const uint8_t *nul = memchr(*p, '\0', *n);
	size_t len = nul ? (size_t)(nul - *p) : *n;
	char *s = xmalloc(len + 1);

	memcpy(s, *p, len);
	s[len] = '\0';
	*p += len + (nul != NULL);
	*n -= len + (nul != NULL);
	return s;
}

static void
check_tag(const char *tag, const char *text)
{
	int64_t id = -1;
	char *subj;
	size_t plen;

	if (thread_subject_tag(tag, text, &id)) {
		if (id < 1 || id > 999999999999999999LL)
			fail("subject tag: ticket number out of range", text);
		if (strchr(text, '[') == NULL || strcasestr(text, tag) == NULL)
			fail("subject tag found where there is no tag", text);
	}
	/* The text split in two around a tag we write. The prefix is cut at
	 * its first '[' so that our tag is the first one. */
	plen = strcspn(text, "[");
	if (plen > strlen(text) / 2)
		plen = strlen(text) / 2;
	{
		int64_t want = (int64_t)(strlen(text) * 7919 % 999983) + 1, got = -1;
		const char *sp = strlen(text) % 3 == 0 ? "" : strlen(text) % 3 == 1 ? " " : " \t";

		subj = xasprintf("%.*s[%s%s%s#%s%lld%s]%s", (int)plen, text, sp, tag, sp, sp,
		    (long long)want, sp, text + plen);
		if (!thread_subject_tag(tag, subj, &got) || got != want)
			fail("subject tag written by us not found", subj);
		free(subj);
	}
}

static void
check_ourid(const struct ourid_key *k, const char *text)
{
	int64_t t = (int64_t)(strlen(text) * 104729 % 100000007), got = -1, got2;
	struct ourid_key other = *k;
	char *id = ourid_make(k, t, "example.test");
	size_t idlen = strlen(id);

	if (ourid_ticket(k, id, &got) != 1 || got != t || !ourid_looks_ours(id))
		fail("our own id does not verify", id);
	other.key[0] ^= 1;
	if (other.len == 0)
		other.len = 1;
	if (ourid_ticket(&other, id, &got) != 0)
		fail("our id verifies under another key", id);

	if (ourid_ticket(k, text, &got) == 1 && (!ourid_looks_ours(text) || got < 0))
		fail("an id that verifies but has not our shape", text);

	/* Change the made id where the text says (pairs of position, byte). */
	for (size_t i = 0; text[i] && text[i + 1]; i += 2) {
		size_t pos = (unsigned char)text[i] % idlen;

		id[pos] = text[i + 1];
	}
	got2 = -1;
	if (ourid_ticket(k, id, &got2) == 1 && got2 != t)
		fail("a changed id of ours verifies for another ticket", id);
	free(id);
}

static void
check_msgids(const char *text)
{
	char **ids = NULL, **again = NULL;
	size_t n = msgid_extract(text, &ids), n2;
	bool bracketable = true;
	char *joined;
	size_t jlen = 1;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(ids[i]);

		if (len == 0 || len > 998)
			fail("message id empty or over 998 bytes", ids[i]);
		if (!mail_clean_word(ids[i], len) || !utf8_valid(ids[i], len))
			fail("message id not clean UTF-8", ids[i]);
		if (strchr(" \t", ids[i][0]) || strchr(" \t", ids[i][len - 1]))
			fail("message id with blanks at an end", ids[i]);
		if (strchr(ids[i], '>') != NULL)
			bracketable = false;
		jlen += len + 3;
	}
	if (bracketable && n > 0) {
		char *e = joined = xmalloc(jlen);

		for (size_t i = 0; i < n; i++)
			e += sprintf(e, "%s<%s>", i ? " " : "", ids[i]);
		*e = '\0';
		n2 = msgid_extract(joined, &again);
		if (n2 != n)
			fail("ids written back read as another number of ids", joined);
		for (size_t i = 0; i < n; i++)
			if (strcmp(ids[i], again[i]) != 0)
				fail("an id written back reads differently", joined);
		for (size_t i = 0; i < n2; i++)
			free(again[i]);
		free(again);
		free(joined);
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t n = size;
	char *tag = field(&p, &n), *text = field(&p, &n), *key = field(&p, &n);
	struct ourid_key k;

	if (!confval_tag_ok(tag)) {
		free(tag);
		tag = xstrdup("Support");
	}
	ourid_key_set(&k, key[0] ? key : "fuzz-key", key[0] ? strlen(key) : 8);
	check_tag(tag, text);
	check_ourid(&k, text);
	check_msgids(text);
	free(tag);
	free(text);
	free(key);
	return 0;
}
