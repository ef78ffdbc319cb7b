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
		cmocka_unit_test(json_escapes_and_structure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
