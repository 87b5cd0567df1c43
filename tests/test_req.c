/* test_req.c -- unit tests of req.c, resp.c and event.c (no FastCGI, no database). */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "event.h"
#include "req.h"
#include "resp.h"
#include "sig.h"

/* Meta-variables of a fake request: "NAME=value" strings. */
static const char *
fake_param(void *ctx, const char *name)
{
	const char	**v;
	size_t		  n = strlen(name);

	for (v = ctx; *v != NULL; v++)
		if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

static void
path_of(const char **vars, char *out, size_t outsz, int expect)
{
	struct req	 r;

	memset(&r, 0, sizeof(r));
	r.param = fake_param;
	r.param_ctx = vars;
	assert_int_equal(req_path(&r, out, outsz), expect);
}

static void
req__path__joins_script_name_and_path_info(void **state)
{
	const char	*lighttpd[] = { "SCRIPT_NAME=/livehook", "PATH_INFO=/huawei", NULL };
	const char	*apache[] = { "SCRIPT_NAME=", "PATH_INFO=/livehook/huawei/tok", NULL };
	const char	*uri[] = { "REQUEST_URI=/livehook/aliyun?action=publish&x=1", NULL };
	char		 p[REQ_PATH_MAX];

	(void)state;
	path_of(lighttpd, p, sizeof(p), 0);
	assert_string_equal(p, "/livehook/huawei");
	path_of(apache, p, sizeof(p), 0);
	assert_string_equal(p, "/livehook/huawei/tok");
	path_of(uri, p, sizeof(p), 0);
	assert_string_equal(p, "/livehook/aliyun");
}

static void
req__path__too_long__refused(void **state)
{
	const char	*v[] = { "SCRIPT_NAME=/livehook", "PATH_INFO=/huawei", NULL };
	char		 p[8];

	(void)state;
	path_of(v, p, sizeof(p), -1);
}

static void
req__content_length__bounds(void **state)
{
	size_t	 n = 0;

	(void)state;
	assert_int_equal(req_content_length("750", 65536, &n), 0);
	assert_int_equal(n, 750);
	assert_int_equal(req_content_length("0", 65536, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(req_content_length(NULL, 65536, &n), -1);
	assert_int_equal(req_content_length("", 65536, &n), -1);
	assert_int_equal(req_content_length("-1", 65536, &n), -2);
	assert_int_equal(req_content_length("12a", 65536, &n), -2);
	assert_int_equal(req_content_length(" 12", 65536, &n), -2);
	assert_int_equal(req_content_length("65537", 65536, &n), -3);
	assert_int_equal(req_content_length("99999999999999999999999", 65536, &n), -3);
}

static void
resp__body__success_is_code_zero(void **state)
{
	struct resp	 r;
	struct buf	 body = BUF_INIT;

	(void)state;
	resp_set(&r, 200, "ok");
	resp_json(&r, &body);
	assert_string_equal(body.data, "{\"code\":0,\"message\":\"ok\"}");
	resp_set(&r, 403, "signature \"wrong\"");
	buf_reset(&body);
	resp_json(&r, &body);
	assert_string_equal(body.data, "{\"code\":403,\"message\":\"signature \\\"wrong\\\"\"}");
	buf_free(&body);
	assert_string_equal(resp_status_text(413), "Content Too Large");
}

static void
event__parse_time__rfc3339(void **state)
{
	int64_t	 ms;

	(void)state;
	assert_int_equal(event_parse_time("2020-03-08T14:12:25Z", &ms), 0);
	assert_int_equal(ms, 1583676745000LL);
	assert_int_equal(event_parse_time("2020-03-08T22:12:25.5+08:00", &ms), 0);
	assert_int_equal(ms, 1583676745500LL);
	assert_int_equal(event_parse_time("2020-03-08 14:12:25Z", &ms), 0);
	assert_int_equal(event_parse_time("2020-03-08T14:12:25", &ms), -1);
	assert_int_equal(event_parse_time("2020-13-08T14:12:25Z", &ms), -1);
	assert_int_equal(event_parse_time("2020-03-08T14:12:25Zjunk", &ms), -1);
	assert_int_equal(event_parse_time("", &ms), -1);
}

static void
huawei_event(struct event *ev)
{
	event_init(ev);
	ev->vendor = "huawei";
	ev->kind = EVENT_RECORD_FILE_COMPLETE;
	ev->event = "RECORD_FILE_COMPLETE";
	ev->domain = "push.example.com";
	ev->app = "live";
	ev->stream = "mystream";
	ev->file_key = "dc0a1773-0cef";
	ev->event_time = 1583676745000LL;
	ev->url = "https://obs.example.com/a.m3u8";
}

static void
event__key__ignores_delivery_fields_but_not_identity(void **state)
{
	struct event	 a, b;

	(void)state;
	assert_int_equal(sig_init(), 0);
	huawei_event(&a);
	huawei_event(&b);
	a.received_at = 1;
	b.received_at = 2;
	a.auth = EVENT_AUTH_SIGNATURE;
	b.auth = EVENT_AUTH_TOKEN;
	a.remote_addr = "10.0.0.1";
	assert_int_equal(event_make_key(&a), 0);
	assert_int_equal(event_make_key(&b), 0);
	assert_int_equal(strlen(a.key), 64);
	assert_string_equal(a.key, b.key);
	b.stream = "otherstream";
	assert_int_equal(event_make_key(&b), 0);
	assert_string_not_equal(a.key, b.key);
	/* Fields are separated: moving a byte between them changes the key. */
	huawei_event(&b);
	b.app = "liv";
	b.stream = "emystream";
	assert_int_equal(event_make_key(&b), 0);
	assert_string_not_equal(a.key, b.key);
	sig_free();
}

static void
event__row_json__writes_set_fields_only(void **state)
{
	struct event	 ev;
	struct buf	 row = BUF_INIT, b = BUF_INIT;
	const char	*bad;

	(void)state;
	huawei_event(&ev);
	ev.file_size = 3957964;
	ev.duration = 120000;
	strcpy(ev.format, "hls");
	ev.payload = "{\"a\":1}";
	ev.payload_len = strlen(ev.payload);
	strcpy(ev.key, "k");
	assert_int_equal(event_to_row(&ev, &row, &bad), 0);
	assert_int_equal(event_row_json(row.data, row.len, &b), 0);
	assert_false(b.failed);
	assert_non_null(strstr(b.data, "\"kind\":\"record_file_complete\""));
	assert_non_null(strstr(b.data, "\"file_size\":3957964"));
	assert_non_null(strstr(b.data, "\"duration\":120000"));
	assert_non_null(strstr(b.data, "\"format\":\"hls\""));
	assert_non_null(strstr(b.data, "\"payload\":{\"a\":1}}"));
	assert_null(strstr(b.data, "width"));
	assert_null(strstr(b.data, "session_key"));
	buf_free(&row);
	buf_free(&b);
}

static void
event__to_row__binary_elements_and_refuses_int4_overflow(void **state)
{
	struct event	 ev;
	struct buf	 b = BUF_INIT;
	const char	*bad;
	/* received_at 1583676745000 ms as a big-endian IEEE double. */
	const unsigned char	 ms[12] = { 0, 0, 0, 8, 0x42, 0x77, 0x0b, 0xa7,
	    0xd6, 0x52, 0x80, 0x00 };
	const unsigned char	*p;
	size_t			 i, n;

	(void)state;
	huawei_event(&ev);
	ev.received_at = 1583676745000LL;
	ev.width = 1280;
	ev.payload = "{}";
	ev.payload_len = 2;
	assert_int_equal(event_to_row(&ev, &b, &bad), 0);
	assert_null(bad);
	/* The columns in order: walk to received_at (the seventh). */
	p = (const unsigned char *)b.data;
	for (i = 0; i < 6; i++) {
		n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		p += 4 + (n == 0xffffffff ? 0 : n);
	}
	assert_memory_equal(p, ms, sizeof(ms));
	/* NULLs are 0xffffffff; the row reads back as JSON without them. */
	buf_reset(&b);
	ev.width = (int64_t)INT32_MAX + 1;
	assert_int_equal(event_to_row(&ev, &b, &bad), -1);
	assert_string_equal(bad, "width");
	ev.width = 1280;
	ev.heartbeat_timeout = INT32_MIN - 1LL;
	buf_reset(&b);
	assert_int_equal(event_to_row(&ev, &b, &bad), -1);
	assert_string_equal(bad, "heartbeat_timeout");
	ev.heartbeat_timeout = EVENT_UNSET;
	buf_reset(&b);
	assert_int_equal(event_to_row(&ev, &b, &bad), 0);
	/* A row cut short is not one. */
	{
		struct buf	 j = BUF_INIT;

		assert_int_equal(event_row_json(b.data, b.len - 1, &j), -1);
		buf_reset(&j);
		assert_int_equal(event_row_json(b.data, b.len, &j), 0);
		assert_non_null(strstr(j.data, "\"width\":1280"));
		assert_non_null(strstr(j.data, "\"received_at\":1583676745000"));
		assert_null(strstr(j.data, "height"));
		buf_free(&j);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(req__path__joins_script_name_and_path_info),
		cmocka_unit_test(req__path__too_long__refused),
		cmocka_unit_test(req__content_length__bounds),
		cmocka_unit_test(resp__body__success_is_code_zero),
		cmocka_unit_test(event__parse_time__rfc3339),
		cmocka_unit_test(event__key__ignores_delivery_fields_but_not_identity),
		cmocka_unit_test(event__row_json__writes_set_fields_only),
		cmocka_unit_test(event__to_row__binary_elements_and_refuses_int4_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
