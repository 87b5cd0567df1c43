/* test_msg.c -- unit tests of msg.c: strict JSON, query strings, typed getters. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <json-c/json.h>

#include "fixture.h"
#include "msg.h"

/* Parse a literal (its length excludes the terminating NUL only). */
#define PARSE(lit, errp)	msg_parse_json((lit), sizeof(lit) - 1, (errp))

static void
expect_json_error(const char *buf, size_t len, const char *want)
{
	struct msg	*m;
	const char	*err = NULL;

	m = msg_parse_json(buf, len, &err);
	assert_null(m);
	assert_non_null(err);
	assert_string_equal(err, want);
}

#define EXPECT_ERR(lit, want)	expect_json_error((lit), sizeof(lit) - 1, (want))

static void
msg__valid_object__parsed(void **state)
{
	struct msg	*m;
	const char	*err = "unset";
	int64_t		 i;

	(void)state;
	m = PARSE(" {\"a\":\"x/y\",\"n\":42,\"t\":true,\"z\":null,"
	    "\"arr\":[1,{\"k\":\"v\"}],\"u\":\"\\u4e2d\\ud83d\\ude00\"} \n", &err);
	assert_non_null(m);
	assert_null(err);
	assert_string_equal(msg_str(m, "a"), "x/y");
	assert_int_equal(msg_strlen(m, "a"), 3);
	assert_int_equal(msg_i64(m, "n", &i), 0);
	assert_int_equal(i, 42);
	assert_null(msg_str(m, "n"));
	assert_null(msg_str(m, "missing"));
	assert_true(msg_has(m, "z"));
	assert_true(msg_has(m, "t"));
	assert_false(msg_has(m, "missing"));
	assert_int_equal(msg_i64(m, "z", &i), 1);
	assert_int_equal(msg_i64(m, "missing", &i), 1);
	assert_int_equal(msg_i64(m, "t", &i), -1);
	assert_string_equal(msg_str(m, "u"), "\xe4\xb8\xad\xf0\x9f\x98\x80");
	assert_string_equal(msg_json(m, "arr"), "[1,{\"k\":\"v\"}]");
	assert_string_equal(msg_json(m, "z"), "null");
	assert_null(msg_json(m, "missing"));
	assert_string_equal(msg_to_json(m),
	    "{\"a\":\"x/y\",\"n\":42,\"t\":true,\"z\":null,"
	    "\"arr\":[1,{\"k\":\"v\"}],\"u\":\"\xe4\xb8\xad\xf0\x9f\x98\x80\"}");
	msg_free(m);
}

static void
msg__malformed__rejected(void **state)
{
	(void)state;
	EXPECT_ERR("", "malformed JSON");
	EXPECT_ERR("   ", "malformed JSON");
	EXPECT_ERR("{\"a\":1", "malformed JSON");
	EXPECT_ERR("{\"a\":1,}", "malformed JSON");
	EXPECT_ERR("{\"a\" 1}", "malformed JSON");
	EXPECT_ERR("{'a':1}", "malformed JSON");
	EXPECT_ERR("{\"a\":NaN}", "malformed JSON");
	EXPECT_ERR("{\"a\":01}", "malformed JSON");
	EXPECT_ERR("{\"a\":1.}", "malformed JSON");
	EXPECT_ERR("{\"a\":.5}", "malformed JSON");
	EXPECT_ERR("{\"a\":+1}", "malformed JSON");
	EXPECT_ERR("{\"a\":tru}", "malformed JSON");
	EXPECT_ERR("{\"a\":\"x\ty\"}", "malformed JSON");
	EXPECT_ERR("{\"a\":\"\\x\"}", "malformed JSON");
	EXPECT_ERR("{\"a\":\"\\u12\"}", "malformed JSON");
	/* Huawei's documented sample: a missing comma. */
	EXPECT_ERR("{\"a\":\"1\" \"b\":\"2\"}", "malformed JSON");
	/* JD's: a curly quote. */
	EXPECT_ERR("{\"a\":\xe2\x80\x9dx\"}", "malformed JSON");
}

static void
msg__trailing_garbage__rejected(void **state)
{
	(void)state;
	EXPECT_ERR("{\"a\":1} x", "malformed JSON");
	EXPECT_ERR("{\"a\":1}{}", "malformed JSON");
	EXPECT_ERR("{\"a\":1},", "malformed JSON");
	/* A NUL after the value is not whitespace. */
	expect_json_error("{\"a\":1}\0", 8, "malformed JSON");
}

static void
msg__exact_length__used(void **state)
{
	struct msg	*m;
	const char	 buf[] = "{\"a\":1}garbage";

	(void)state;
	m = msg_parse_json(buf, 7, NULL);
	assert_non_null(m);
	msg_free(m);
	/* Cut inside the value. */
	expect_json_error(buf, 6, "malformed JSON");
}

static void
msg__not_an_object__rejected(void **state)
{
	(void)state;
	EXPECT_ERR("[1,2]", "not a JSON object");
	EXPECT_ERR("\"x\"", "not a JSON object");
	EXPECT_ERR("42", "not a JSON object");
	EXPECT_ERR("null", "not a JSON object");
	/* Invalid values report their own fault. */
	EXPECT_ERR("[1,", "malformed JSON");
}

/* Build depth nested objects {"a":{"a":...{}}}. */
static size_t
nest(char *buf, size_t bufsz, int depth)
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < depth; i++) {
		if (i > 0) {
			assert_true(n + 4 < bufsz);
			memcpy(buf + n, "\"a\":", 4);
			n += 4;
		}
		buf[n++] = '{';
	}
	for (i = 0; i < depth; i++)
		buf[n++] = '}';
	assert_true(n < bufsz);
	return n;
}

static void
msg__depth_limit__enforced(void **state)
{
	char		 buf[512];
	size_t		 n;
	struct msg	*m;
	const struct msg *o;
	int		 i;

	(void)state;
	n = nest(buf, sizeof(buf), MSG_DEPTH_MAX);
	m = msg_parse_json(buf, n, NULL);
	assert_non_null(m);
	/* Walk down to the innermost object. */
	o = m;
	for (i = 1; i < MSG_DEPTH_MAX; i++) {
		o = msg_obj(o, "a");
		assert_non_null(o);
	}
	assert_null(msg_obj(o, "a"));
	msg_free(m);

	n = nest(buf, sizeof(buf), MSG_DEPTH_MAX + 1);
	expect_json_error(buf, n, "nesting too deep");

	/* Arrays count too: {"a":[[...]]} with the object as level 1. */
	for (i = MSG_DEPTH_MAX - 1; i <= MSG_DEPTH_MAX; i++) {
		n = 0;
		memcpy(buf, "{\"a\":", 5);
		n = 5;
		memset(buf + n, '[', (size_t)i);
		n += (size_t)i;
		memset(buf + n, ']', (size_t)i);
		n += (size_t)i;
		buf[n++] = '}';
		m = msg_parse_json(buf, n, NULL);
		if (i == MSG_DEPTH_MAX - 1) {
			assert_non_null(m);
			msg_free(m);
		} else {
			assert_null(m);
			expect_json_error(buf, n, "nesting too deep");
		}
	}
}

static void
msg__invalid_utf8__rejected(void **state)
{
	(void)state;
	EXPECT_ERR("{\"a\":\"\xff\"}", "invalid UTF-8");
	EXPECT_ERR("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8");		/* overlong */
	EXPECT_ERR("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8");	/* surrogate */
	EXPECT_ERR("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8");	/* > U+10FFFF */
	EXPECT_ERR("{\"a\":\"\xe4\xb8\"}", "invalid UTF-8");		/* cut */
	EXPECT_ERR("{\"\xff\":1}", "invalid UTF-8");
	EXPECT_ERR("{\"a\":\"\\ud800\"}", "invalid Unicode escape");
	EXPECT_ERR("{\"a\":\"\\udc00\"}", "invalid Unicode escape");
	EXPECT_ERR("{\"a\":\"\\ud800\\u0041\"}", "invalid Unicode escape");
}

static void
msg__nul_escape__rejected(void **state)
{
	struct msg	*m;

	(void)state;
	EXPECT_ERR("{\"a\":\"x\\u0000y\"}", "JSON holds a NUL character");
	EXPECT_ERR("{\"a\\u0000b\":1}", "JSON holds a NUL character");
	/* An escaped backslash followed by u0000 is plain text. */
	m = PARSE("{\"a\":\"\\\\u0000\"}", NULL);
	assert_non_null(m);
	assert_string_equal(msg_str(m, "a"), "\\u0000");
	msg_free(m);
}

static void
msg__duplicate_key__rejected(void **state)
{
	struct msg	*m;

	(void)state;
	EXPECT_ERR("{\"a\":1,\"a\":2}", "duplicate key");
	EXPECT_ERR("{\"x\":{\"a\":1,\"b\":2,\"a\":3}}", "duplicate key");
	EXPECT_ERR("{\"x\":[{\"k\":1,\"k\":1}]}", "duplicate key");
	/* The same key once decoded. */
	EXPECT_ERR("{\"a\":1,\"\\u0061\":2}", "duplicate key");
	/* The same key in sibling objects is fine. */
	m = PARSE("{\"x\":{\"a\":1},\"y\":{\"a\":2},\"a\":[{\"a\":3},{\"a\":4}]}",
	    NULL);
	assert_non_null(m);
	msg_free(m);
}

static void
msg__numbers_as_strings__read(void **state)
{
	struct msg	*m;
	int64_t		 i;
	double		 d;

	(void)state;
	m = PARSE("{\"a\":\"1587954134\",\"neg\":\"-12\",\"sp\":\" 12\","
	    "\"sp2\":\"12 \",\"plus\":\"+1\",\"e\":\"\",\"m\":\"-\","
	    "\"hex\":\"0x10\",\"f\":\"69.403\",\"big\":\"9223372036854775808\","
	    "\"max\":\"9223372036854775807\",\"min\":\"-9223372036854775808\","
	    "\"inf\":\"inf\",\"nan\":\"nan\",\"exp\":\"1e3\",\"comma\":\"1587954134,\"}",
	    NULL);
	assert_non_null(m);
	assert_int_equal(msg_i64(m, "a", &i), 0);
	assert_int_equal(i, 1587954134);
	assert_int_equal(msg_i64(m, "neg", &i), 0);
	assert_int_equal(i, -12);
	assert_int_equal(msg_i64(m, "sp", &i), -1);
	assert_int_equal(msg_i64(m, "sp2", &i), -1);
	assert_int_equal(msg_i64(m, "plus", &i), -1);
	assert_int_equal(msg_i64(m, "e", &i), -1);
	assert_int_equal(msg_i64(m, "m", &i), -1);
	assert_int_equal(msg_i64(m, "hex", &i), -1);
	assert_int_equal(msg_i64(m, "f", &i), -1);
	assert_int_equal(msg_i64(m, "comma", &i), -1);
	assert_int_equal(msg_i64(m, "big", &i), -1);
	assert_int_equal(msg_i64(m, "max", &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(msg_i64(m, "min", &i), 0);
	assert_true(i == INT64_MIN);

	assert_int_equal(msg_f64(m, "f", &d), 0);
	assert_true(d == 69.403);
	assert_int_equal(msg_f64(m, "exp", &d), 0);
	assert_true(d == 1000.0);
	assert_int_equal(msg_f64(m, "a", &d), 0);
	assert_true(d == 1587954134.0);
	assert_int_equal(msg_f64(m, "inf", &d), -1);
	assert_int_equal(msg_f64(m, "nan", &d), -1);
	assert_int_equal(msg_f64(m, "hex", &d), -1);
	assert_int_equal(msg_f64(m, "sp", &d), -1);
	assert_int_equal(msg_f64(m, "e", &d), -1);
	assert_int_equal(msg_f64(m, "missing", &d), 1);
	msg_free(m);
}

static void
msg__integers_beyond_64_bits__rejected(void **state)
{
	struct msg	*m;
	int64_t		 i;
	double		 d;

	(void)state;
	EXPECT_ERR("{\"a\":18446744073709551616}", "integer beyond 64 bits");
	EXPECT_ERR("{\"a\":-9223372036854775809}", "integer beyond 64 bits");
	EXPECT_ERR("{\"a\":[99999999999999999999999]}", "integer beyond 64 bits");

	m = PARSE("{\"u\":18446744073709551615,\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808}", NULL);
	assert_non_null(m);
	/* Fits json-c's uint64 but not msg_i64's int64. */
	assert_int_equal(msg_i64(m, "u", &i), -1);
	assert_int_equal(msg_f64(m, "u", &d), 0);
	assert_true(d == 18446744073709551615.0);
	assert_int_equal(msg_i64(m, "max", &i), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(msg_i64(m, "min", &i), 0);
	assert_true(i == INT64_MIN);
	assert_string_equal(msg_to_json(m), "{\"u\":18446744073709551615,"
	    "\"max\":9223372036854775807,\"min\":-9223372036854775808}");
	msg_free(m);
}

static void
msg__floats__read(void **state)
{
	struct msg	*m;
	int64_t		 i;
	double		 d;

	(void)state;
	m = PARSE("{\"d\":69.403,\"whole\":1700000000.0,\"e\":1.5E3,"
	    "\"huge\":1e400,\"neg\":-0.5,\"i\":7,\"big\":1e19}", NULL);
	assert_non_null(m);
	assert_int_equal(msg_f64(m, "d", &d), 0);
	assert_true(d == 69.403);
	assert_int_equal(msg_i64(m, "d", &i), -1);
	assert_int_equal(msg_i64(m, "whole", &i), 0);
	assert_int_equal(i, 1700000000);
	assert_int_equal(msg_i64(m, "e", &i), 0);
	assert_int_equal(i, 1500);
	assert_int_equal(msg_f64(m, "huge", &d), -1);
	assert_int_equal(msg_i64(m, "huge", &i), -1);
	assert_int_equal(msg_i64(m, "big", &i), -1);
	assert_int_equal(msg_f64(m, "neg", &d), 0);
	assert_true(d == -0.5);
	assert_int_equal(msg_f64(m, "i", &d), 0);
	assert_true(d == 7.0);
	/* Doubles keep their text. */
	assert_string_equal(msg_json(m, "huge"), "1e400");
	assert_string_equal(msg_json(m, "d"), "69.403");
	msg_free(m);
}

static void
msg__nested_obj__borrowed(void **state)
{
	struct msg	 *m;
	const struct msg *o, *o2;
	int64_t		  i;

	(void)state;
	m = PARSE("{\"push_args\":{\"callback_myid\":\"1231389741\","
	    "\"inner\":{\"n\":5}},\"s\":\"x\"}", NULL);
	assert_non_null(m);
	o = msg_obj(m, "push_args");
	assert_non_null(o);
	assert_string_equal(msg_str(o, "callback_myid"), "1231389741");
	assert_int_equal(msg_i64(o, "callback_myid", &i), 0);
	assert_int_equal(i, 1231389741);
	o2 = msg_obj(o, "inner");
	assert_non_null(o2);
	assert_int_equal(msg_i64(o2, "n", &i), 0);
	assert_int_equal(i, 5);
	assert_string_equal(msg_to_json(o2), "{\"n\":5}");
	/* Borrowing again gives the same object. */
	assert_ptr_equal(msg_obj(m, "push_args"), o);
	assert_null(msg_obj(m, "s"));
	assert_null(msg_obj(m, "missing"));
	assert_null(msg_str(NULL, "s"));
	assert_null(msg_obj(NULL, "s"));
	msg_free(m);
	msg_free(NULL);
}

static void
msg__query__decoded(void **state)
{
	struct msg	*m;
	const char	*qs = "action=publish&ip=203.0.113.7&id=room42&"
	    "app=push.example.com&usrargs=auth_key%3D1700003600-0-0-9f2c%26uid%3D42&"
	    "sp=a+b%20c&utf=%E4%B8%AD&raw=\xe4\xb8\xad&empty=&flag&&=orphan&"
	    "action=publish_done&time=1700000000";
	const char	*err = "unset";
	int64_t		 i;

	(void)state;
	m = msg_parse_query(qs, strlen(qs), &err);
	assert_non_null(m);
	assert_null(err);
	/* First value of a repeated key wins. */
	assert_string_equal(msg_str(m, "action"), "publish");
	assert_string_equal(msg_str(m, "usrargs"),
	    "auth_key=1700003600-0-0-9f2c&uid=42");
	assert_string_equal(msg_str(m, "sp"), "a b c");
	assert_string_equal(msg_str(m, "utf"), "\xe4\xb8\xad");
	assert_string_equal(msg_str(m, "raw"), "\xe4\xb8\xad");
	assert_string_equal(msg_str(m, "empty"), "");
	assert_string_equal(msg_str(m, "flag"), "");
	assert_false(msg_has(m, ""));
	assert_int_equal(msg_i64(m, "time", &i), 0);
	assert_int_equal(i, 1700000000);
	assert_string_equal(msg_json(m, "sp"), "\"a b c\"");
	msg_free(m);

	m = msg_parse_query("", 0, &err);
	assert_non_null(m);
	assert_string_equal(msg_to_json(m), "{}");
	msg_free(m);

	m = msg_parse_query("a%2bb=c%2Fd", 11, &err);
	assert_non_null(m);
	assert_string_equal(msg_to_json(m), "{\"a+b\":\"c/d\"}");
	msg_free(m);
}

static void
expect_query_error(const char *qs, const char *want)
{
	const char	*err = NULL;

	assert_null(msg_parse_query(qs, strlen(qs), &err));
	assert_non_null(err);
	assert_string_equal(err, want);
}

static void
msg__query_bad_escape__rejected(void **state)
{
	(void)state;
	expect_query_error("a=%zz", "malformed query");
	expect_query_error("a=%4", "malformed query");
	expect_query_error("a=1&b=%", "malformed query");
	expect_query_error("%g1=x", "malformed query");
	expect_query_error("a=%ff", "invalid UTF-8");
	expect_query_error("a=%C0%AF", "invalid UTF-8");
	expect_query_error("a=x%00y", "query holds a NUL character");
	expect_query_error("a%00=y", "query holds a NUL character");
}

/* Array elements by index, from the end too; only the asked-for type. */
static void
msg__array_elements__read(void **state)
{
	struct msg	*m;
	const char	*err = NULL;

	(void)state;
	m = PARSE("{\"r\":[\"a\",\"b\",{\"id\":\"c\"}],\"s\":\"x\"}", &err);
	assert_non_null(m);
	assert_string_equal(msg_elem_str(m, "r", 0), "a");
	assert_string_equal(msg_elem_str(m, "r", -2), "b");
	assert_null(msg_elem_str(m, "r", -1));
	assert_string_equal(msg_str(msg_elem(m, "r", -1), "id"), "c");
	assert_null(msg_elem(m, "r", 0));
	assert_null(msg_elem_str(m, "r", 3));
	assert_null(msg_elem_str(m, "r", -4));
	assert_null(msg_elem_str(m, "s", 0));
	assert_null(msg_elem_str(m, "missing", 0));
	msg_free(m);
}

/* msg_remove(): a nested member, one in every element of an array. */
static void
msg__remove__takes_out_members(void **state)
{
	struct msg	*m;
	const char	*err = NULL;

	(void)state;
	m = PARSE("{\"data\":{\"id\":\"L\",\"stream_key\":\"SECRET\","
	    "\"t\":[{\"stream_key\":\"S2\",\"u\":1},{\"u\":2},3]},"
	    "\"stream_key\":\"top\"}", &err);
	assert_non_null(m);
	assert_int_equal(msg_remove(m, "data.stream_key"), 1);
	assert_int_equal(msg_remove(m, "data.stream_key"), 0);
	assert_int_equal(msg_remove(m, "data.t[].stream_key"), 1);
	assert_int_equal(msg_remove(m, "data.id[].x"), 0);
	assert_int_equal(msg_remove(m, "nosuch.x"), 0);
	assert_int_equal(msg_remove(m, "data.t[]"), 0);
	assert_string_equal(msg_to_json(m), "{\"data\":{\"id\":\"L\","
	    "\"t\":[{\"u\":1},{\"u\":2},3]},\"stream_key\":\"top\"}");
	msg_free(m);
}

/*
 * What msg_json() and msg_to_json() print is json-c's serialization of
 * the tree json-c's own tokener builds from the same text: checked for
 * the whole message and every top-level member, and msg_str() against
 * json-c's decoded strings.
 */
static void
expect_as_jsonc(const char *buf, size_t len)
{
	struct json_tokener	*tok;
	struct json_object_iter	 it;
	json_object		*o;
	struct msg		*m;
	const char		*err = NULL, *s;
	const int		 flags = JSON_C_TO_STRING_PLAIN |
				    JSON_C_TO_STRING_NOSLASHESCAPE;

	m = msg_parse_json(buf, len, &err);
	if (m == NULL)
		fail_msg("refused (%s): %.*s", err, (int)len, buf);
	assert_non_null(tok = json_tokener_new());
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	assert_non_null(o);
	assert_string_equal(msg_to_json(m), json_object_to_json_string_ext(o, flags));
	json_object_object_foreachC(o, it) {
		assert_string_equal(msg_json(m, it.key),
		    json_object_to_json_string_ext(it.val, flags));
		s = msg_str(m, it.key);
		if (json_object_is_type(it.val, json_type_string)) {
			assert_non_null(s);
			assert_int_equal(msg_strlen(m, it.key),
			    json_object_get_string_len(it.val));
			assert_memory_equal(s, json_object_get_string(it.val),
			    msg_strlen(m, it.key) + 1);
		} else
			assert_null(s);
	}
	json_object_put(o);
	json_tokener_free(tok);
	msg_free(m);
}

#define EXPECT_AS_JSONC(lit)	expect_as_jsonc((lit), sizeof(lit) - 1)

static void
msg__edge_cases__printed_as_jsonc(void **state)
{
	(void)state;
	EXPECT_AS_JSONC("{\"z\":-0,\"a\":-0.0,\"b\":1E5,\"c\":1e-7,\"d\":0,"
	    "\"e\":18446744073709551615,\"f\":-9223372036854775808,"
	    "\"g\":9223372036854775807,\"h\":9223372036854775808,"
	    "\"i\":1.5e300,\"j\":1e400,\"k\":-1.250,\"l\":12.0}");
	EXPECT_AS_JSONC("{\"s\":\"\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\\u001f"
	    "\\ud83d\\ude00\\u2028\\u007f\x7f\",\"\\u0061b\":\"\xc3\xa9\"}");
	EXPECT_AS_JSONC("{}");
	EXPECT_AS_JSONC(" {\"o\":{},\"a\":[],\"n\":[[[]],[{}],null,true,false,"
	    "\"x\",1,{\"k\":[1,2,{\"q\":null}]}]} ");
	EXPECT_AS_JSONC("{\"\":\"empty key\",\"t\":true,\"f\":false,\"n\":null}");
}

/* Every body of the fixtures, parsed both ways. */
static void
msg__fixture_bodies__printed_as_jsonc(void **state)
{
	const char	*vendors[] = { "aliyun", "huawei", "jdcloud", "tencent",
			    "srs", "ivs", "mux" };
	char		 path[1024];
	struct dirent	*de;
	struct fixture	*fx;
	struct msg	*m;
	size_t		 i, n = 0;
	DIR		*d;

	(void)state;
	for (i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", TEST_DATADIR, vendors[i]);
		assert_non_null(d = opendir(path));
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, ".case") == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", TEST_DATADIR,
			    vendors[i], de->d_name);
			assert_non_null(fx = fixture_load(path));
			/* Only the bodies this parser takes (others test refusals). */
			if ((m = msg_parse_json(fx->body, fx->bodylen, NULL)) != NULL) {
				msg_free(m);
				expect_as_jsonc(fx->body, fx->bodylen);
				n++;
			}
			fixture_free(fx);
		}
		closedir(d);
	}
	assert_true(n > 100);
}

/* A large object's repeated key is found by sorting; a query's first value wins. */
static void
msg__many_keys__duplicates_found(void **state)
{
	char		 buf[8192], *p = buf;
	struct msg	*m;
	const char	*err = NULL;
	int		 i;

	(void)state;
	*p++ = '{';
	for (i = 0; i < 200; i++)
		p += sprintf(p, "%s\"k%d\":%d", i > 0 ? "," : "", i, i);
	p += sprintf(p, ",\"k117\":0}");
	assert_null(msg_parse_json(buf, (size_t)(p - buf), &err));
	assert_string_equal(err, "duplicate key");
	p[-10] = '}';	/* without the repeat */
	assert_non_null(m = msg_parse_json(buf, (size_t)(p - 9 - buf), &err));
	msg_free(m);
	for (p = buf, i = 0; i < 100; i++)
		p += sprintf(p, "k%d=%d&", i % 40, i);
	assert_non_null(m = msg_parse_query(buf, (size_t)(p - buf), &err));
	assert_string_equal(msg_str(m, "k7"), "7");
	assert_string_equal(msg_str(m, "k39"), "39");
	assert_string_equal(msg_to_json(m) + 1, "\"k0\":\"0\",\"k1\":\"1\","
	    "\"k2\":\"2\",\"k3\":\"3\",\"k4\":\"4\",\"k5\":\"5\",\"k6\":\"6\","
	    "\"k7\":\"7\",\"k8\":\"8\",\"k9\":\"9\",\"k10\":\"10\",\"k11\":\"11\","
	    "\"k12\":\"12\",\"k13\":\"13\",\"k14\":\"14\",\"k15\":\"15\","
	    "\"k16\":\"16\",\"k17\":\"17\",\"k18\":\"18\",\"k19\":\"19\","
	    "\"k20\":\"20\",\"k21\":\"21\",\"k22\":\"22\",\"k23\":\"23\","
	    "\"k24\":\"24\",\"k25\":\"25\",\"k26\":\"26\",\"k27\":\"27\","
	    "\"k28\":\"28\",\"k29\":\"29\",\"k30\":\"30\",\"k31\":\"31\","
	    "\"k32\":\"32\",\"k33\":\"33\",\"k34\":\"34\",\"k35\":\"35\","
	    "\"k36\":\"36\",\"k37\":\"37\",\"k38\":\"38\",\"k39\":\"39\"}");
	msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(msg__valid_object__parsed),
		cmocka_unit_test(msg__malformed__rejected),
		cmocka_unit_test(msg__trailing_garbage__rejected),
		cmocka_unit_test(msg__exact_length__used),
		cmocka_unit_test(msg__not_an_object__rejected),
		cmocka_unit_test(msg__depth_limit__enforced),
		cmocka_unit_test(msg__invalid_utf8__rejected),
		cmocka_unit_test(msg__nul_escape__rejected),
		cmocka_unit_test(msg__duplicate_key__rejected),
		cmocka_unit_test(msg__numbers_as_strings__read),
		cmocka_unit_test(msg__integers_beyond_64_bits__rejected),
		cmocka_unit_test(msg__floats__read),
		cmocka_unit_test(msg__nested_obj__borrowed),
		cmocka_unit_test(msg__query__decoded),
		cmocka_unit_test(msg__query_bad_escape__rejected),
		cmocka_unit_test(msg__array_elements__read),
		cmocka_unit_test(msg__remove__takes_out_members),
		cmocka_unit_test(msg__edge_cases__printed_as_jsonc),
		cmocka_unit_test(msg__fixture_bodies__printed_as_jsonc),
		cmocka_unit_test(msg__many_keys__duplicates_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
