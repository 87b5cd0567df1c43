/* test_buf.c -- unit tests of buf.c and log_escape. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "log.h"

static void
buf__json_str__escapes_quotes_controls_and_keeps_utf8(void **state)
{
	struct buf	 b = BUF_INIT;
	const char	 in[] = "a\"b\\c\n\x01\xe4\xb8\xad";

	(void)state;
	buf_json_str(&b, in, sizeof(in) - 1);
	assert_false(b.failed);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\xe4\xb8\xad\"");
	buf_free(&b);
}

static void
buf__json_str__embedded_nul_is_escaped(void **state)
{
	struct buf	 b = BUF_INIT;

	(void)state;
	buf_json_str(&b, "a\0b", 3);
	assert_string_equal(b.data, "\"a\\u0000b\"");
	buf_free(&b);
}

static void
buf__json_key__comma_only_after_first_member(void **state)
{
	struct buf	 b = BUF_INIT;

	(void)state;
	buf_addc(&b, '{');
	buf_json_key(&b, "a");
	buf_adds(&b, "1");
	buf_json_key(&b, "b");
	buf_adds(&b, "2");
	buf_addc(&b, '}');
	assert_string_equal(b.data, "{\"a\":1,\"b\":2}");
	buf_free(&b);
}

static void
buf__grows_past_initial_capacity(void **state)
{
	struct buf	 b = BUF_INIT;
	size_t		 i;

	(void)state;
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "%zu,", i % 10);
	assert_int_equal(b.len, 20000);
	assert_int_equal(strlen(b.data), 20000);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	buf_free(&b);	/* twice is safe */
}

static void
buf__i64__extremes(void **state)
{
	struct buf	 b = BUF_INIT;

	(void)state;
	buf_i64(&b, 0);
	buf_addc(&b, ' ');
	buf_i64(&b, -42);
	buf_addc(&b, ' ');
	buf_i64(&b, INT64_MAX);
	buf_addc(&b, ' ');
	buf_i64(&b, INT64_MIN);
	assert_string_equal(b.data, "0 -42 9223372036854775807 -9223372036854775808");
	buf_free(&b);
}

static void
log__escape__hides_control_bytes_and_truncates(void **state)
{
	char	 out[16];

	(void)state;
	assert_string_equal(log_escape(out, sizeof(out), "ab\n\"", 4), "ab\\x0a\\x22");
	log_escape(out, sizeof(out), "0123456789abcdefghij", 20);
	assert_true(strlen(out) < sizeof(out));
	assert_non_null(strstr(out, "..."));
}

static void
buf__insert__start_middle_end_and_past_the_end(void **state)
{
	struct buf	 b = BUF_INIT;

	(void)state;
	buf_adds(&b, "ac");
	buf_insert(&b, 1, "b", 1);
	buf_insert(&b, 0, ">", 1);
	buf_insert(&b, b.len, "<", 1);
	/* Past the end: nothing happens. */
	buf_insert(&b, b.len + 1, "x", 1);
	assert_string_equal(b.data, ">abc<");
	assert_int_equal(b.len, 5);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf__insert__start_middle_end_and_past_the_end),
		cmocka_unit_test(buf__json_str__escapes_quotes_controls_and_keeps_utf8),
		cmocka_unit_test(buf__json_str__embedded_nul_is_escaped),
		cmocka_unit_test(buf__json_key__comma_only_after_first_member),
		cmocka_unit_test(buf__grows_past_initial_capacity),
		cmocka_unit_test(buf__i64__extremes),
		cmocka_unit_test(log__escape__hides_control_bytes_and_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
