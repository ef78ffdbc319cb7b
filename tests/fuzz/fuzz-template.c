/* fuzz-template.c: libFuzzer target for the mail templates (tpl_parse,
 * tpl_render, src/pipe/template.c): acknowledgements and notifications
 * are rendered from them with values a stranger chose (a name, a
 * subject, the text of a mail).
 *
 * Input: the template text, a NUL byte, then a value (at most 256 bytes
 * are used) that every variable takes. Besides the sanitizers' findings it
 * checks, and traps after saying which one:
 *   - a parse error is one non-empty line;
 *   - a template that parses parses again the same way (same output);
 *   - values are never read as template text: with every variable set
 *     to "{{ticket.id}}" the output has exactly the length it has with a
 *     plain value of the same length (so nothing in a value expanded);
 *   - the subject holds no CR, LF or other control character coming
 *     from a value, whatever the value holds (no header injection), and
 *     no blank at either end;
 *   - with valid UTF-8 in the template and the value, the output is valid
 *     UTF-8;
 *   - unset variables (lookup NULL) render without trouble.
 *
 * Built and run by tests/fuzz/run-fuzz.sh (target "template"). */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postdesk/template.h"
#include "postdesk/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VALUE_MAX 256

static void
fail(const char *what, const char *val)
{
	fprintf(stderr, "fuzz-template: invariant violated: %s", what);
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

static const char *
lookup_value(const char *name, void *arg)
{
	(void)name;
	return arg;
}

/* Render; 0, or -1 when the output cap was hit (both outputs NULL). */
static int
render(const struct tpl *t, const char *value, char **subj, char **body)
{
	int rc = tpl_render(t, lookup_value, (void *)value, subj, body);

	if (rc < 0 && (*body != NULL || *subj != NULL))
		fail("a failed render left output behind", NULL);
	if (rc == 0 && (*body == NULL || (tpl_has_subject(t) != (*subj != NULL))))
		fail("a render without its body or subject", NULL);
	return rc;
}

static void
check_subject(const char *s, bool tpl_has_cr)
{
	size_t len = strlen(s);

	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		fail("subject not trimmed", s);
	if (!tpl_has_cr && strpbrk(s, "\r\n") != NULL)
		fail("CR or LF in the subject", s);
}

static void
free2(char **a, char **b)
{
	free(*a);
	free(*b);
	*a = *b = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size, vlen = nul ? size - tlen - 1 : 0;
	char value[VALUE_MAX + 1], *err = NULL, *s1 = NULL, *b1 = NULL, *s2 = NULL, *b2 = NULL;
	struct tpl *t = NULL, *t2 = NULL;
	bool has_cr = memchr(data, '\r', tlen) != NULL;
	bool valid = utf8_valid((const char *)data, tlen) && memchr(data, '\0', tlen) == NULL;

	if (vlen > VALUE_MAX)
		vlen = VALUE_MAX;
	if (vlen > 0)
		memcpy(value, nul + 1, vlen);
	value[vlen] = '\0';

	if (tpl_parse((const char *)data, tlen, tpl_variables, &t, &err) < 0) {
		if (t != NULL || err == NULL || err[0] == '\0' || strchr(err, '\n') != NULL)
			fail("a parse error that is not one line", err);
		free(err);
		return 0;
	}
	if (err != NULL)
		fail("an error text with a successful parse", err);

	/* The fuzzer's value, as a stranger would send it. */
	if (render(t, value, &s1, &b1) == 0) {
		if (s1 != NULL)
			check_subject(s1, has_cr);
		if (valid && utf8_valid(value, strlen(value)) &&
		    (!utf8_valid(b1, strlen(b1)) || (s1 && !utf8_valid(s1, strlen(s1)))))
			fail("valid UTF-8 in, invalid out", b1);
		/* A second parse of the same text gives the same output. */
		if (tpl_parse((const char *)data, tlen, tpl_variables, &t2, &err) < 0)
			fail("the same template failed the second time", err);
		if (render(t2, value, &s2, &b2) < 0 || strcmp(b1, b2) != 0 ||
		    (s1 && strcmp(s1, s2) != 0))
			fail("the same template rendered differently", b2);
		free2(&s2, &b2);
		tpl_free(&t2);
	}
	free2(&s1, &b1);

	/* Template syntax in a value stays text: same length as plain. */
	{
		static const char syntax[] = "{{ticket.id}}";
		static const char plain[] = "=============";
		int r1 = render(t, syntax, &s1, &b1), r2 = render(t, plain, &s2, &b2);

		if (r1 != r2)
			fail("a value's syntax changed whether the render fits", NULL);
		if (r1 == 0 && (strlen(b1) != strlen(b2) ||
		    (s1 && strlen(s1) != strlen(s2))))
			fail("template syntax in a value was expanded", b1);
		free2(&s1, &b1);
		free2(&s2, &b2);
	}
	/* A value made to inject a header. */
	if (render(t, "x\r\nBcc: victim@example.test\r\n\r\nbody", &s1, &b1) == 0 && s1)
		check_subject(s1, has_cr);
	free2(&s1, &b1);
	/* Nothing set at all. */
	if (render(t, NULL, &s1, &b1) == 0 && s1)
		check_subject(s1, has_cr);
	free2(&s1, &b1);
	tpl_free(&t);
	if (t != NULL)
		fail("tpl_free left the pointer set", NULL);
	return 0;
}
