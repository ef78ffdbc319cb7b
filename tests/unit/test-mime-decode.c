/* test-mime-decode.c: the transfer decoders of mime.c (base64, quoted-
 * printable), which must give exactly the bytes libetpan's
 * mailmime_part_parse gave before them.
 *
 * mime.c is included, not linked, to reach its static decoders. Literal
 * cases first, then libetpan itself as the reference on generated input
 * (a fixed seed, so a failure repeats). */
#include "../../src/mail/mime.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <cmocka.h>

/* qp_decode of a literal (its in[len] is the literal's NUL). */
static void
qp_check(const char *in, const char *want, size_t want_len)
{
	size_t len = strlen(in);
	char *out = malloc(2 * len + 2);
	size_t n = qp_decode(in, len, out);

	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
}

#define QP(in, want) qp_check(in, want, sizeof(want) - 1)

static void
quoted_printable_cases(void **state)
{
	(void)state;
	QP("", "");
	QP("plain text", "plain text");
	QP("caf=C3=A9", "caf\xc3\xa9");
	QP("caf=c3=a9", "caf\xc3\xa9");		/* lower-case hex */
	QP("a=\r\nb", "ab");			/* soft breaks */
	QP("a=\nb", "ab");
	QP("a=\rb", "ab");
	QP("line1\r\nline2\nline3\rline4", "line1\r\nline2\r\nline3\r\nline4");
	QP("a\r", "a");				/* a CR at the end goes */
	QP("a=\r", "a");			/* "=" CR at the end: stop */
	QP("a=", "a=");				/* "=" at the end: itself */
	QP("=G1x", "\x01x");			/* a bad digit counts as 0 */
	QP("=3D=3d", "==");
	QP("a_b", "a_b");			/* '_' is a space in headers only */
	QP("=\n=\n", "");
	QP("x=\r\n\r\ny", "x\r\ny");
}

/* The quirk kept from libetpan: "=X" at the very end gives X and the byte
 * after the end. It happens after part_decode cut a broken escape "=Y" off
 * the end: what is left may end in "=X", and in[len] is that '='. */
static void
quoted_printable_cut_end(void **state)
{
	char out[16];

	(void)state;
	/* "ab=C=D" cut to "ab=C": C, then the '=' after the cut */
	assert_int_equal(qp_decode("ab=C=D", 4, out), 4);
	assert_memory_equal(out, "abC=", 4);
	/* "x===D" cut to "x==": "==" */
	assert_int_equal(qp_decode("x===D", 3, out), 3);
	assert_memory_equal(out, "x==", 3);
}

static void
base64_cases(void **state)
{
	static const struct {
		const char *in, *want;
		size_t want_len;
	} c[] = {
		{ "", "", 0 },
		{ "aGVsbG8=", "hello", 5 },
		{ "aGVs\r\nbG8=\r\n", "hello", 5 },
		{ "aGVsbA==", "hell", 4 },
		{ "aGVsbG8gd29ybGQ", "hello world", 11 },	/* no padding */
		{ "a", "h", 1 },		/* one leftover digit: a byte */
		{ "aG", "h", 1 },
		{ "aGV", "he", 2 },
		{ "aG=Vs", "hel", 3 },		/* '=' is skipped, not the end */
		{ "a G*V!s", "hel", 3 },	/* anything else too */
		{ "////", "\xff\xff\xff", 3 },
		{ "++++", "\xfb\xef\xbe", 3 },
		{ "AA==", "\0", 1 },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t len = strlen(c[i].in);

		assert_int_equal(b64_decode(c[i].in, len, out), c[i].want_len);
		assert_memory_equal(out, c[i].want, c[i].want_len);
		/* the size alone, as attachments are measured */
		assert_int_equal(b64_decode(c[i].in, len, NULL), c[i].want_len);
	}
}

static unsigned long seed = 20240304;

static unsigned
rnd(void)
{
	seed = seed * 6364136223846793005u + 1442695040888963407u;
	return (unsigned)(seed >> 33);
}

/* Random text over an alphabet rich in what the decoders look at. */
static size_t
fill(char *buf, size_t max, const char *alpha)
{
	size_t n = rnd() % max, an = strlen(alpha);

	for (size_t i = 0; i < n; i++)
		buf[i] = rnd() % 8 == 0 ? (char)rnd() : alpha[rnd() % an];
	buf[n] = (char)rnd();	/* in[len], read after a cut escape */
	return n;
}

static void
same_as_libetpan(void **state)
{
	char in[700], *out = malloc(2 * sizeof(in) + 2), *ref;
	size_t ref_len, idx;

	(void)state;
	for (int k = 0; k < 20000; k++) {
		size_t len = fill(in, 600, "=\r\nAF09az_ \t=\r\n");

		/* what part_decode hands over: no broken escape at the end */
		if (len >= 2 && in[len - 2] == '=' && in[len - 1] != '\r' &&
		    in[len - 1] != '\n')
			len -= 2;
		idx = 0;
		assert_int_equal(mailmime_part_parse(in, len, &idx,
		    MAILMIME_MECHANISM_QUOTED_PRINTABLE, &ref, &ref_len),
		    MAILIMF_NO_ERROR);
		assert_int_equal(qp_decode(in, len, out), ref_len);
		assert_memory_equal(out, ref, ref_len);
		mailmime_decoded_part_free(ref);

		len = fill(in, 600, "AZaz09+/=\r\n -");
		idx = 0;
		assert_int_equal(mailmime_part_parse(in, len, &idx,
		    MAILMIME_MECHANISM_BASE64, &ref, &ref_len),
		    MAILIMF_NO_ERROR);
		assert_int_equal(b64_decode(in, len, out), ref_len);
		assert_memory_equal(out, ref, ref_len);
		assert_int_equal(b64_decode(in, len, NULL), ref_len);
		mailmime_decoded_part_free(ref);
	}
	free(out);
}

static void
crlf_to_lf_cases(void **state)
{
	static const struct {
		const char *in, *want;
	} c[] = {
		{ "", "" }, { "a\nb", "a\nb" }, { "a\r\nb", "a\nb" },
		{ "a\rb", "a\nb" }, { "\r\r\n\n\r", "\n\n\n\n" },
		{ "x\r\n", "x\n" }, { "\r", "\n" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = strlen(c[i].in);

		memcpy(buf, c[i].in, n + 1);
		assert_int_equal(crlf_to_lf(buf, n), strlen(c[i].want));
		assert_string_equal(buf, c[i].want);
	}
}

/* multipart/ and message/ are counted at their '/', in any case, never
 * twice, and only whole. */
static void
count_multipart_cases(void **state)
{
	static const char s[] = "Content-Type: MULTIPART/mixed; x=message/"
	    "rfc822 multipart message multipar/ essage/ Message/x";

	(void)state;
	assert_int_equal(count_multipart(s, sizeof(s) - 1), 3);
	assert_int_equal(count_multipart("/", 1), 0);
	assert_int_equal(count_multipart("message/", 8), 1);
	assert_int_equal(count_multipart("message/", 7), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quoted_printable_cases),
		cmocka_unit_test(quoted_printable_cut_end),
		cmocka_unit_test(base64_cases),
		cmocka_unit_test(same_as_libetpan),
		cmocka_unit_test(crlf_to_lf_cases),
		cmocka_unit_test(count_multipart_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
