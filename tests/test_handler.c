/* test_handler.c -- unit tests of handler.c: routing and every status; the writer and the database are swapped out (--wrap). */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "handler.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "sig.h"
#include "store.h"
#include "writer.h"

enum store_result	__wrap_writer_submit(struct writer *, const char *, size_t);
int			__wrap_store_ping(struct store *);

static enum store_result fake_result = STORE_OK;
static int		 fake_ready = 1;
static size_t		 fake_submits;
static char		 fake_json[8192];

/* The event's row, seen as the JSON element the spool would keep. */
enum store_result
__wrap_writer_submit(struct writer *w, const char *row, size_t len)
{
	struct buf	 b = BUF_INIT;

	(void)w;
	fake_submits++;
	assert_int_equal(event_row_json(row, len, &b), 0);
	assert_false(b.failed);
	snprintf(fake_json, sizeof(fake_json), "%s", b.data);
	buf_free(&b);
	return fake_result;
}

int
__wrap_store_ping(struct store *s)
{
	(void)s;
	return fake_ready;
}

#define TEST_KEY	"0123456789abcdef0123456789abcdef"

static struct config	*cfg;

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

/* A Huawei RECORD_FILE_COMPLETE signed with TEST_KEY (MD5) at now. */
static char *
huawei_body(const char *key)
{
	static char	 body[1024];
	char		 ts[32], in[128], sign[SIG_MD5_HEX + 1];

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	snprintf(in, sizeof(in), "%s%s", key, ts);
	assert_int_equal(sig_md5_hex(in, strlen(in), sign), 0);
	snprintf(body, sizeof(body),
	    "{\"project_id\":\"p1\",\"job_id\":\"dc0a1773-0cef\","
	    "\"event_type\":\"RECORD_FILE_COMPLETE\",\"publish_domain\":\"push.example.com\","
	    "\"app\":\"live\",\"stream\":\"mystream\",\"record_format\":\"HLS\","
	    "\"download_url\":\"https://obs.example.com/a.m3u8\",\"file_size\":3957964,"
	    "\"record_duration\":120,\"start_time\":\"2020-03-08T14:10:25Z\","
	    "\"end_time\":\"2020-03-08T14:12:25Z\",\"width\":1280,\"height\":720,"
	    "\"auth_sign\":\"%s\",\"auth_timestamp\":\"%s\"}", sign, ts);
	return body;
}

/* Run one request; vars are extra meta-variables. */
static int
run(const char *method, const char *script, const char *pathinfo,
    const char *body, const char *cl, int body_status, struct resp *resp)
{
	static char		 fake_store;
	struct handler_ctx	 ctx = { cfg, NULL, (struct store *)&fake_store, NULL };
	const char		*vars[8];
	char			 sn[256], pi[256], clbuf[64];
	struct req		 r;
	size_t			 n = 0;

	snprintf(sn, sizeof(sn), "SCRIPT_NAME=%s", script);
	snprintf(pi, sizeof(pi), "PATH_INFO=%s", pathinfo);
	vars[n++] = sn;
	vars[n++] = pi;
	if (cl != NULL) {
		snprintf(clbuf, sizeof(clbuf), "CONTENT_LENGTH=%s", cl);
		vars[n++] = clbuf;
	}
	vars[n] = NULL;
	memset(&r, 0, sizeof(r));
	memset(resp, 0, sizeof(*resp));
	r.param = fake_param;
	r.param_ctx = vars;
	r.method = method;
	r.query = "";
	r.remote_addr = "127.0.0.1";
	r.body = body != NULL ? body : "";
	r.body_len = strlen(r.body);
	r.received_at = (int64_t)time(NULL) * 1000;
	r.body_status = body_status;
	r.body_reason = body_status ? "body problem" : NULL;
	handler_run(&ctx, &r, resp);
	return resp->status;
}

static int
setup(void **state)
{
	char	 path[] = "/tmp/test_handler.XXXXXX";
	FILE	*f;
	int	 fd;

	(void)state;
	assert_int_equal(sig_init(), 0);
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "[huawei]\nkey = %s\nsign_type = md5\ntoken = secret-token\n"
	    "[jdcloud]\ntoken = jd-token\n", TEST_KEY);
	fclose(f);
	cfg = config_load(path);
	unlink(path);
	assert_non_null(cfg);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(cfg);
	sig_free();
	return 0;
}

static void
handler__healthz_and_readyz(void **state)
{
	struct resp	 r;

	(void)state;
	assert_int_equal(run("GET", "/livehook", "/healthz", NULL, NULL, 0, &r), 200);
	fake_ready = 1;
	assert_int_equal(run("GET", "", "/livehook/readyz/", NULL, NULL, 0, &r), 200);
	fake_ready = 0;
	assert_int_equal(run("GET", "/livehook", "/readyz", NULL, NULL, 0, &r), 503);
	fake_ready = 1;
}

static void
handler__unknown_path_and_disabled_vendor__404(void **state)
{
	struct resp	 r;

	(void)state;
	assert_int_equal(run("POST", "/livehook", "/nosuch", "{}", "2", 0, &r), 404);
	assert_int_equal(run("POST", "/livehook", "", "{}", "2", 0, &r), 404);
	/* Tencent is a vendor, but this configuration does not enable it. */
	assert_int_equal(run("POST", "/livehook", "/tencent", "{}", "2", 0, &r), 404);
	assert_non_null(strstr(r.message, "not enabled"));
}

static void
handler__wrong_method__405(void **state)
{
	struct resp	 r;

	(void)state;
	assert_int_equal(run("PUT", "/livehook", "/huawei", "{}", "2", 0, &r), 405);
	assert_int_equal(run("GET", "/livehook", "/huawei", NULL, NULL, 0, &r), 405);
}

static void
handler__body_problems__status_from_transport(void **state)
{
	struct resp	 r;

	(void)state;
	assert_int_equal(run("POST", "/livehook", "/huawei", NULL, NULL, 411, &r), 411);
	assert_int_equal(run("POST", "/livehook", "/huawei", NULL, "99999999", 413, &r), 413);
	assert_int_equal(run("POST", "/livehook", "/huawei", "{", "10", 400, &r), 400);
}

static void
handler__signed_callback__stored_and_answered(void **state)
{
	struct resp	 r;
	size_t		 before = fake_submits;

	(void)state;
	fake_result = STORE_OK;
	assert_int_equal(run("POST", "/livehook", "/huawei", huawei_body(TEST_KEY),
	    "1", 0, &r), 200);
	assert_string_equal(r.message, "ok");
	assert_int_equal(fake_submits, before + 1);
	assert_non_null(strstr(fake_json, "\"kind\":\"record_file_complete\""));
	assert_non_null(strstr(fake_json, "\"auth\":\"signature\""));
	fake_result = STORE_DUP;
	assert_int_equal(run("POST", "/livehook", "/huawei", huawei_body(TEST_KEY),
	    "1", 0, &r), 200);
	assert_string_equal(r.message, "duplicate");
	fake_result = STORE_RETRY;
	assert_int_equal(run("POST", "/livehook", "/huawei", huawei_body(TEST_KEY),
	    "1", 0, &r), 503);
	fake_result = STORE_OK;
}

static void
handler__wrong_signature__403_and_not_stored(void **state)
{
	struct resp	 r;
	size_t		 before = fake_submits;

	(void)state;
	assert_int_equal(run("POST", "/livehook", "/huawei",
	    huawei_body("wrong-key-wrong-key-wrong-key-00"), "1", 0, &r), 403);
	assert_int_equal(fake_submits, before);
}

static void
handler__path_token__authenticates_or_403(void **state)
{
	struct resp	 r;
	const char	*jd = "{\"event\":\"publish_started\",\"publishDomain\":\"push.example.com\","
	    "\"appName\":\"live\",\"streamName\":\"s1\",\"eventTime\":1583676745000}";

	(void)state;
	assert_int_equal(run("POST", "/livehook", "/jdcloud/jd-token", jd, "1", 0, &r), 200);
	assert_non_null(strstr(fake_json, "\"auth\":\"token\""));
	assert_int_equal(run("POST", "/livehook", "/jdcloud/wrong", jd, "1", 0, &r), 403);
	assert_int_equal(run("POST", "/livehook", "/jdcloud", jd, "1", 0, &r), 403);
}

static void
handler__malformed_json__400(void **state)
{
	struct resp	 r;

	(void)state;
	assert_int_equal(run("POST", "/livehook", "/huawei/secret-token",
	    "{\"event_type\":", "1", 0, &r), 400);
}

/* run() with stderr captured into log (size logsz); returns the status. */
static int
run_logged(const char *method, const char *script, const char *pathinfo,
    const char *body, const char *cl, char *log, size_t logsz)
{
	struct resp	 r;
	FILE		*f;
	size_t		 n;
	int		 saved, status;

	log_flush();
	fflush(stderr);
	assert_non_null(f = tmpfile());
	assert_true((saved = dup(2)) != -1);
	assert_int_equal(dup2(fileno(f), 2), 2);
	status = run(method, script, pathinfo, body, cl, 0, &r);
	log_flush();
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	rewind(f);
	n = fread(log, 1, logsz - 1, f);
	log[n] = '\0';
	fclose(f);
	return status;
}

static void
handler__refusal_line__names_method_and_path_not_the_token(void **state)
{
	char		 log[2048];
	const char	*jd = "{\"event\":\"publish_started\",\"publishDomain\":\"push.example.com\","
	    "\"appName\":\"live\",\"streamName\":\"s1\",\"eventTime\":1583676745000}";

	(void)state;
	assert_int_equal(run_logged("POST", "/livehook", "/jdcloud/wrong-Secret", jd, "1",
	    log, sizeof(log)), 403);
	assert_non_null(strstr(log, "livehook: jdcloud: 127.0.0.1: POST /livehook/jdcloud/(token): 403 "));
	assert_null(strstr(log, "wrong-Secret"));
	assert_int_equal(run_logged("GET", "/livehook", "/nosuch/x", NULL, NULL,
	    log, sizeof(log)), 404);
	assert_string_equal(log, "livehook: request: 127.0.0.1: GET /livehook/nosuch/x: 404 unknown path\n");
	/* A token in a longer path that routes nowhere is not logged either. */
	assert_int_equal(run_logged("GET", "/livehook", "/jdcloud/Secret2/more", NULL, NULL,
	    log, sizeof(log)), 404);
	assert_non_null(strstr(log, "GET /livehook/jdcloud/(token)/more: 404"));
	assert_int_equal(run_logged("PUT", "", "/livehook/huawei\n", NULL, NULL,
	    log, sizeof(log)), 404);
	assert_non_null(strstr(log, "PUT /livehook/huawei\\x0a: 404"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handler__healthz_and_readyz),
		cmocka_unit_test(handler__unknown_path_and_disabled_vendor__404),
		cmocka_unit_test(handler__wrong_method__405),
		cmocka_unit_test(handler__body_problems__status_from_transport),
		cmocka_unit_test(handler__signed_callback__stored_and_answered),
		cmocka_unit_test(handler__wrong_signature__403_and_not_stored),
		cmocka_unit_test(handler__path_token__authenticates_or_403),
		cmocka_unit_test(handler__malformed_json__400),
		cmocka_unit_test(handler__refusal_line__names_method_and_path_not_the_token),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
