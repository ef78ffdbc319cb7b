/* test-util.c: the util layer (buffers, UTF-8, JSON writer). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "postdesk/buf.h"
#include "postdesk/json.h"
#include "postdesk/utf8.h"

static void
buf_cap_is_hard(void **state)
{
	struct pd_buf b;

	pd_buf_init(&b, 8);
	assert_int_equal(pd_buf_adds(&b, "12345"), 0);
	assert_int_equal(pd_buf_adds(&b, "6789"), -1);	/* would be 9 > 8 */
	assert_string_equal(pd_buf_str(&b), "12345");	/* unchanged */
	assert_int_equal(pd_buf_adds(&b, "678"), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(pd_buf_printf(&b, "%d", 1), -1);
	pd_buf_free(&b);
}

static void
buf_printf_and_steal(void **state)
{
	struct pd_buf b;
	char *s;

	pd_buf_init(&b, 1024);
	assert_string_equal(pd_buf_str(&b), "");
	pd_buf_printf(&b, "ticket=%d via=%s", 17, "references");
	s = pd_buf_steal(&b);
	assert_string_equal(s, "ticket=17 via=references");
	assert_int_equal(b.len, 0);
	free(s);
}

static void
utf8_validation(void **state)
{
	assert_true(utf8_valid("P\xc5\x99\xc3\xadli\xc5\xa1", 9));	/* Příliš */
	assert_false(utf8_valid("\xc0\xaf", 2));	/* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(utf8_valid("\xe8\xe9", 2));	/* windows-1250 bytes */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe2\x82", 2), 0);
}

/* The ASCII prefix, found eight bytes at a time: every length around the
 * word size, every position of the first high byte. */
static void
utf8_ascii_span_edges(void **state)
{
	unsigned char b[40];

	(void)state;
	for (size_t len = 0; len <= sizeof(b); len++) {
		memset(b, 'a', sizeof(b));
		assert_int_equal(utf8_ascii_span(b, len), len);
		for (size_t hi = 0; hi < len; hi++) {
			memset(b, 'a', sizeof(b));
			b[hi] = 0x80 | (unsigned char)hi;
			if (hi + 1 < len)
				b[hi + 1] = 0xff;	/* only the first counts */
			assert_int_equal(utf8_ascii_span(b, len), hi);
		}
	}
	b[0] = '\0';	/* NUL is ASCII */
	b[1] = 0x7f;
	b[2] = 0xc3;
	assert_int_equal(utf8_ascii_span(b, 3), 2);
	assert_true(utf8_valid("\0abc\x7f", 5));
}

/* pd_buf_addc keeps the cap and the NUL after the data. */
static void
buf_addc_cap(void **state)
{
	struct pd_buf b;

	(void)state;
	pd_buf_init(&b, 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(pd_buf_addc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(pd_buf_addc(&b, 'x'), -1);
	assert_int_equal(b.len, 100);
	assert_int_equal(b.data[100], '\0');
	assert_int_equal(strlen(pd_buf_str(&b)), 100);
	assert_int_equal(b.data[99], 'a' + 99 % 26);
	pd_buf_free(&b);
}

static void
json_escapes_and_structure(void **state)
{
	struct json j;
	char *s;

	json_init(&j);
	json_obj_begin(&j, NULL);
	json_str(&j, "subject", "a \"quote\"\n\x01");
	json_str(&j, "bad", "x\xe8y");
	json_arr_begin(&j, "refs");
	json_str(&j, NULL, "<a@b>");
	json_str(&j, NULL, "<c@d>");
	json_arr_end(&j);
	json_bool(&j, "bounce", false);
	json_int(&j, "size", -5);
	json_null(&j, "date");
	json_obj_end(&j);
	s = json_finish(&j);
	assert_string_equal(s,
	    "{\"subject\":\"a \\\"quote\\\"\\n\\u0001\","
	    "\"bad\":\"x\xef\xbf\xbdy\","
	    "\"refs\":[\"<a@b>\",\"<c@d>\"],\"bounce\":false,\"size\":-5,\"date\":null}");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_cap_is_hard),
		cmocka_unit_test(buf_printf_and_steal),
		cmocka_unit_test(utf8_validation),
		cmocka_unit_test(utf8_ascii_span_edges),
		cmocka_unit_test(buf_addc_cap),
		cmocka_unit_test(json_escapes_and_structure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
