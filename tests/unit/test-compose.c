/* test-compose.c: outgoing messages are well formed, and read back (with
 * our own parser) exactly as they were meant. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "postdesk/compose.h"
#include "postdesk/msg.h"

static const unsigned char GUID[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static char *
make(const char *name, const char *subject, const char *body, bool automatic, size_t *len)
{
	struct compose_addr to = { name, "jana@example.cz" };
	struct compose_addr from = { "Alice Nováková (Support)", "support@example.test" };
	struct compose_addr reply = { NULL, "support@example.test" };
	const char *refs[] = { "m1@example.cz", "pd.1.aa.bb@example.test" };
	struct compose c = {
		.from = from, .reply_to = &reply, .to = &to, .nto = 1,
		.subject = subject, .message_id = "pd.1.0011223344556677.0123456789abcdef@example.test",
		.in_reply_to = "m1@example.cz", .references = refs, .nreferences = 2,
		.date = 1795000000, .automatic = automatic, .thread_topic = "Přihlášení",
		.thread_guid = GUID, .thread_started = 1794990000, .body = body,
	};

	return compose_message(&c, len);
}

static void
every_line_within_limits(const char *raw)
{
	const char *p = raw;
	bool in_headers = true;

	while (*p) {
		const char *e = strstr(p, "\r\n");

		assert_non_null(e);	/* every line ends in CRLF */
		if (in_headers)
			assert_true(e - p <= 78);
		else
			assert_true(e - p <= 76);
		if (e == p)
			in_headers = false;
		for (const char *q = p; q < e; q++)
			assert_true(*q != '\n' && *q != '\r');
		p = e + 2;
	}
}

static void
roundtrip_czech(void **state)
{
	const char *body = "Dobrý den,\n\nděkujeme za zprávu. Příliš žluťoučký kůň úpěl ďábelské ódy.\n"
	    "Line with = sign and trailing space \n.leading dot\n";
	size_t len;
	char *raw = make("Jana Nováková", "[Support #1] Nefunguje přihlášení do účtu, prosím o pomoc s nastavením",
	    body, true, &len);
	struct msg *m;

	every_line_within_limits(raw);
	assert_non_null(strstr(raw, "Auto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(raw, "X-Auto-Response-Suppress: All\r\n"));
	assert_non_null(strstr(raw, "Content-Transfer-Encoding: quoted-printable\r\n"));
	assert_non_null(strstr(raw, "Thread-Index: "));
	assert_non_null(strstr(raw, "Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n"));
	m = msg_parse(raw, len, NULL);
	assert_string_equal(m->subject,
	    "[Support #1] Nefunguje přihlášení do účtu, prosím o pomoc s nastavením");
	assert_string_equal(m->from.name, "Alice Nováková (Support)");
	assert_string_equal(m->from.addr, "support@example.test");
	assert_int_equal(m->to.n, 1);
	assert_string_equal(m->to.v[0].name, "Jana Nováková");
	assert_string_equal(m->message_id, "pd.1.0011223344556677.0123456789abcdef@example.test");
	assert_string_equal(m->in_reply_to, "m1@example.cz");
	assert_int_equal(m->nreferences, 2);
	assert_string_equal(m->references[1], "pd.1.aa.bb@example.test");
	assert_true(m->auto_reply);
	assert_int_equal(m->date, 1795000000);
	/* the body comes back byte for byte (line ends aside) */
	{
		char *t = m->text;
		char *want = strdup(body);
		size_t o = 0;

		for (size_t i = 0; t[i]; i++)
			if (t[i] != '\r')
				t[o++] = t[i];
		t[o] = '\0';
		assert_string_equal(t, want);
		free(want);
	}
	assert_int_equal(m->ndefects, 0);
	msg_free(&m);
	free(raw);
}

static void
ascii_stays_7bit(void **state)
{
	size_t len;
	char *raw = make("John Smith", "Re: Login", "Hello,\nit works.\n", false, &len);

	assert_non_null(strstr(raw, "Content-Transfer-Encoding: 7bit\r\n"));
	assert_non_null(strstr(raw, "\r\n\r\nHello,\r\nit works.\r\n"));
	assert_null(strstr(raw, "Auto-Submitted"));
	assert_non_null(strstr(raw, "To: John Smith <jana@example.cz>\r\n"));
	free(raw);
}

static void
no_header_injection(void **state)
{
	size_t len;
	char *raw = make("Evil\r\nBcc: victim@example.org", "Hi\r\nBcc: victim@example.org\n\nbody",
	    "x\n", false, &len);
	struct msg *m = msg_parse(raw, len, NULL);

	assert_null(strstr(raw, "\r\nBcc:"));
	assert_null(msg_header(m, "Bcc"));
	assert_string_equal(m->subject, "Hi Bcc: victim@example.org body");
	/* the name holds specials (':' '@'), so it is quoted, not split */
	assert_int_equal(m->to.n, 1);
	assert_string_equal(m->to.v[0].addr, "jana@example.cz");
	msg_free(&m);
	free(raw);
}

static void
quoted_names_and_long_subjects(void **state)
{
	size_t len;
	char *raw = make("Novák, Jan \"Honza\"", "A very long subject line that certainly goes past "
	    "the seventy-eight column limit of a header line and must fold", "x\n", false, &len);
	struct msg *m = msg_parse(raw, len, NULL);

	every_line_within_limits(raw);
	assert_string_equal(m->to.v[0].name, "Novák, Jan \"Honza\"");
	assert_string_equal(m->subject, "A very long subject line that certainly goes past "
	    "the seventy-eight column limit of a header line and must fold");
	msg_free(&m);
	free(raw);
}

static void
long_lines_are_quoted_printable(void **state)
{
	char body[3000];
	size_t len;
	char *raw;
	struct msg *m;

	memset(body, 'a', sizeof(body) - 2);
	body[sizeof(body) - 2] = '\n';
	body[sizeof(body) - 1] = '\0';
	raw = make(NULL, "x", body, false, &len);
	every_line_within_limits(raw);
	assert_non_null(strstr(raw, "quoted-printable"));
	m = msg_parse(raw, len, NULL);
	assert_int_equal(strspn(m->text, "a"), sizeof(body) - 2);
	msg_free(&m);
	free(raw);
}

static void
clean_values(void **state)
{
	char *s = compose_clean("  a\r\nb\t\tc \xc2\x85 d\xe2\x80\xa8" "e  ");

	assert_string_equal(s, "a b c d e");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_czech),
		cmocka_unit_test(ascii_stays_7bit),
		cmocka_unit_test(no_header_injection),
		cmocka_unit_test(quoted_names_and_long_subjects),
		cmocka_unit_test(long_lines_are_quoted_printable),
		cmocka_unit_test(clean_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
