/* test_vendor.c -- every vendor fixture under tests/data/<vendor>/: decode, authenticate, compare with its expectations. */
#include "autoconfig.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <json-c/json.h>

#include "config.h"
#include "event.h"
#include "fixture.h"
#include "handler.h"
#include "msg.h"
#include "req.h"
#include "resp.h"
#include "sig.h"
#include "vendor.h"

#define CASES_MAX	256

/* Event keys by group name, to check that redeliveries share a key. */
static struct {
	char	 group[64];
	char	 key[SIG_SHA256_HEX + 1];
	char	 file[1024];
} groups[CASES_MAX];
static size_t	 ngroups;

static const char *
fx_param(void *ctx, const char *name)
{
	const struct fixture	*fx = ctx;
	size_t			 i;

	for (i = 0; i < fx->nheaders; i++)
		if (strcmp(fx->hname[i], name) == 0)
			return fx->hvalue[i];
	return NULL;
}

static const char *
num(char *buf, int64_t v)
{
	if (v == EVENT_UNSET)
		return "-";
	snprintf(buf, 32, "%lld", (long long)v);
	return buf;
}

/* The event's value of a field, as text ("-" when unset). */
static const char *
field(const struct event *ev, const char *name, char *buf)
{
	const struct { const char *n; const char *v; } strs[] = {
		{ "kind", event_kind_name(ev->kind) },
		{ "auth", event_auth_name(ev->auth) },
		{ "event", ev->event }, { "domain", ev->domain },
		{ "app", ev->app }, { "stream", ev->stream },
		{ "session_key", ev->session_key }, { "client_ip", ev->client_ip },
		{ "node", ev->node }, { "params", ev->params },
		{ "error_code", ev->error_code }, { "error_message", ev->error_message },
		{ "file_key", ev->file_key },
		{ "format", ev->format[0] ? ev->format : NULL },
		{ "url", ev->url }, { "play_url", ev->play_url },
		{ "storage_path", ev->storage_path }, { "task_id", ev->task_id },
		{ "segments", ev->segments },
	};
	const struct { const char *n; int64_t v; } nums[] = {
		{ "event_time", ev->event_time_received ? EVENT_UNSET : ev->event_time },
		{ "push_duration", ev->push_duration },
		{ "start_time", ev->start_time }, { "end_time", ev->end_time },
		{ "duration", ev->duration }, { "file_size", ev->file_size },
		{ "width", ev->width }, { "height", ev->height },
	};
	size_t	 i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(strs[i].n, name) == 0)
			return strs[i].v != NULL ? strs[i].v : "-";
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (strcmp(nums[i].n, name) == 0)
			return num(buf, nums[i].v);
	return NULL;
}

/*
 * The row handler_prepare made (event_to_row), read back as the spool's
 * JSON (event_row_json), against the event itself, column by column:
 * a column sent in another's place, or in the wrong format, is a
 * mismatch.  Returns the number of mismatches (printed).
 */
static int
row_check(const char *path, const struct event *ev, const struct buf *row)
{
	const struct { const char *n; const char *s; int64_t v; int json; } want[] = {
		{ "vendor", ev->vendor, 0, 0 },
		{ "kind", event_kind_name(ev->kind), 0, 0 },
		{ "auth", event_auth_name(ev->auth), 0, 0 },
		{ "event", ev->event, 0, 0 },
		{ "event_key", ev->key, 0, 0 },
		{ "remote_addr", ev->remote_addr, 0, 0 },
		{ "received_at", NULL, ev->received_at, 0 },
		{ "domain", ev->domain, 0, 0 },
		{ "app", ev->app, 0, 0 },
		{ "stream", ev->stream, 0, 0 },
		{ "event_time", NULL, ev->event_time, 0 },
		{ "session_key", ev->session_key, 0, 0 },
		{ "client_ip", ev->client_ip, 0, 0 },
		{ "node", ev->node, 0, 0 },
		{ "params", ev->params, 0, 0 },
		{ "error_code", ev->error_code, 0, 0 },
		{ "error_message", ev->error_message, 0, 0 },
		{ "push_duration", NULL, ev->push_duration, 0 },
		{ "file_key", ev->file_key, 0, 0 },
		{ "format", ev->format[0] ? ev->format : NULL, 0, 0 },
		{ "url", ev->url, 0, 0 },
		{ "play_url", ev->play_url, 0, 0 },
		{ "storage_path", ev->storage_path, 0, 0 },
		{ "task_id", ev->task_id, 0, 0 },
		{ "segments", ev->segments, 0, 1 },
		{ "start_time", NULL, ev->start_time, 0 },
		{ "end_time", NULL, ev->end_time, 0 },
		{ "duration", NULL, ev->duration, 0 },
		{ "file_size", NULL, ev->file_size, 0 },
		{ "width", NULL, ev->width, 0 },
		{ "height", NULL, ev->height, 0 },
		{ "payload", ev->payload, 0, 1 },
		{ "heartbeat_timeout", NULL, ev->heartbeat_timeout, 0 },
	};
	struct buf		 json = BUF_INIT;
	struct json_object	*o, *v, *w;
	size_t			 i;
	int			 bad = 0, number, has;

	assert_int_equal(sizeof(want) / sizeof(want[0]), EVENT_COLUMNS);
	assert_int_equal(event_row_json(row->data, row->len, &json), 0);
	assert_non_null(o = json_tokener_parse(json.data));
	for (i = 0; i < EVENT_COLUMNS; i++) {
		assert_string_equal(event_columns[i].name, want[i].n);
		number = event_columns[i].type != EVENT_COL_TEXT &&
		    event_columns[i].type != EVENT_COL_JSONB;
		has = json_object_object_get_ex(o, want[i].n, &v);
		if (number ? want[i].v == EVENT_UNSET : want[i].s == NULL) {
			if (has) {
				fprintf(stderr, "%s: row: %s is not NULL\n", path, want[i].n);
				bad++;
			}
		} else if (!has) {
			fprintf(stderr, "%s: row: %s is NULL\n", path, want[i].n);
			bad++;
		} else if (number) {
			if (json_object_get_int64(v) != want[i].v) {
				fprintf(stderr, "%s: row: %s = %lld, expected %lld\n",
				    path, want[i].n, (long long)json_object_get_int64(v),
				    (long long)want[i].v);
				bad++;
			}
		} else if (want[i].json) {
			w = json_tokener_parse(want[i].s);
			if (!json_object_equal(v, w)) {
				fprintf(stderr, "%s: row: %s differs\n", path, want[i].n);
				bad++;
			}
			json_object_put(w);
		} else if (strcmp(json_object_get_string(v), want[i].s) != 0) {
			fprintf(stderr, "%s: row: %s = \"%s\", expected \"%s\"\n",
			    path, want[i].n, json_object_get_string(v), want[i].s);
			bad++;
		}
	}
	json_object_put(o);
	buf_free(&json);
	return bad;
}

/*
 * Run one case as handler.c does (decode, settings for the domain,
 * authenticate, key).  Returns the number of mismatches (printed).
 */
static int
run_case(const char *vendor, const char *path)
{
	struct fixture		*fx;
	const struct vendor	*v;
	struct config		*cfg = NULL;
	struct event		 ev;
	struct buf		 row = BUF_INIT;
	struct msg		*msg = NULL;
	struct resp		 resp;
	struct req		 r;
	char			 cpath[] = "/tmp/test_vendor.XXXXXX", buf[32];
	const char		*want, *got;
	FILE			*f;
	size_t			 i;
	int			 fd, bad = 0;

	if ((fx = fixture_load(path)) == NULL)
		return 1;
	assert_non_null(v = vendor_find(vendor, strlen(vendor)));
	assert_true((fd = mkstemp(cpath)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "[%s]\n%s", vendor, fx->config);
	fclose(f);
	cfg = config_load(cpath);
	unlink(cpath);
	if (cfg == NULL) {
		fprintf(stderr, "%s: its config does not load\n", path);
		fixture_free(fx);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	memset(&resp, 0, sizeof(resp));
	r.param = fx_param;
	r.param_ctx = fx;
	r.method = fx->method;
	r.query = fx->query;
	r.remote_addr = "192.0.2.1";
	r.body = fx->body;
	r.body_len = fx->bodylen;
	r.received_at = fx->now * 1000;
	if (handler_prepare(cfg, &r, v, fx->token, &msg, &ev, &row, &resp) == 0) {
		resp_set(&resp, 200, "ok");
		/* The event's row, as long as the event's strings live. */
		if (ev.kind != EVENT_IGNORE)
			bad += row_check(path, &ev, &row);
	}
	if ((want = fixture_expect(fx, "status")) == NULL) {
		fprintf(stderr, "%s: no expected status\n", path);
		bad++;
	} else if (atoi(want) != resp.status) {
		fprintf(stderr, "%s: status %d (%s), expected %s\n", path,
		    resp.status, resp.message, want);
		bad++;
	}
	for (i = 0; i < fx->nexpect && resp.status == 200; i++) {
		const char *k = fx->ekey[i];

		if (strcmp(k, "status") == 0)
			continue;
		if (strcmp(k, "event_key_group") == 0) {
			size_t g;
			for (g = 0; g < ngroups; g++)
				if (strcmp(groups[g].group, fx->evalue[i]) == 0)
					break;
			if (g == ngroups && ngroups < CASES_MAX) {
				snprintf(groups[g].group, sizeof(groups[g].group), "%s", fx->evalue[i]);
				snprintf(groups[g].key, sizeof(groups[g].key), "%s", ev.key);
				snprintf(groups[g].file, sizeof(groups[g].file), "%s", path);
				ngroups++;
			} else if (strcmp(groups[g].key, ev.key) != 0) {
				fprintf(stderr, "%s: event_key differs from %s\n", path, groups[g].file);
				bad++;
			}
			continue;
		}
		if (strcmp(k, "payload_excludes") == 0 ||
		    strcmp(k, "payload_includes") == 0) {
			/* What callbacks.payload will hold (a credential removed). */
			int has = ev.payload != NULL &&
			    memmem(ev.payload, ev.payload_len, fx->evalue[i],
			    strlen(fx->evalue[i])) != NULL;
			if (has != (k[8] == 'i')) {
				fprintf(stderr, "%s: payload %s \"%s\"\n", path,
				    has ? "holds" : "lacks", fx->evalue[i]);
				bad++;
			}
			continue;
		}
		if ((got = field(&ev, k, buf)) == NULL) {
			fprintf(stderr, "%s: unknown field %s\n", path, k);
			bad++;
		} else if (strcmp(got, fx->evalue[i]) != 0) {
			fprintf(stderr, "%s: %s = \"%s\", expected \"%s\"\n", path, k,
			    got, fx->evalue[i]);
			bad++;
		}
	}
	if (resp.status != 200 && (want = fixture_expect(fx, "message")) != NULL &&
	    strstr(resp.message, want) == NULL) {
		fprintf(stderr, "%s: message \"%s\", expected \"%s\"\n", path,
		    resp.message, want);
		bad++;
	}
	msg_free(msg);
	buf_free(&row);
	config_free(cfg);
	fixture_free(fx);
	return bad;
}

/* Every *.case under tests/data/<vendor>/; there must be some. */
static void
run_vendor(const char *vendor)
{
	char		 dir[512], path[1024];
	struct dirent	**names;
	int		 n, i, cases = 0, bad = 0;
	size_t		 len;

	snprintf(dir, sizeof(dir), "%s/%s", TEST_DATADIR, vendor);
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		len = strlen(names[i]->d_name);
		if (len > 5 && strcmp(names[i]->d_name + len - 5, ".case") == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			bad += run_case(vendor, path);
			cases++;
		}
		free(names[i]);
	}
	free(names);
	fprintf(stderr, "%s: %d cases, %d mismatches\n", vendor, cases, bad);
	assert_true(cases >= 10);
	assert_int_equal(bad, 0);
}

static void vendor__aliyun__every_fixture(void **s) { (void)s; run_vendor("aliyun"); }
static void vendor__huawei__every_fixture(void **s) { (void)s; run_vendor("huawei"); }
static void vendor__jdcloud__every_fixture(void **s) { (void)s; run_vendor("jdcloud"); }
static void vendor__tencent__every_fixture(void **s) { (void)s; run_vendor("tencent"); }
static void vendor__srs__every_fixture(void **s) { (void)s; run_vendor("srs"); }
static void vendor__nginx_rtmp__every_fixture(void **s) { (void)s; run_vendor("nginx-rtmp"); }
static void vendor__ivs__every_fixture(void **s) { (void)s; run_vendor("ivs"); }
static void vendor__mux__every_fixture(void **s) { (void)s; run_vendor("mux"); }

static void
vendor__find__only_known_names(void **s)
{
	(void)s;
	assert_non_null(vendor_find("huawei", 6));
	assert_non_null(vendor_find("aliyunX", 6));
	assert_null(vendor_find("huawe", 5));
	assert_null(vendor_find("nosuch", 6));
}

static int
setup(void **s)
{
	(void)s;
	return sig_init();
}

static int
teardown(void **s)
{
	(void)s;
	sig_free();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vendor__find__only_known_names),
		cmocka_unit_test(vendor__aliyun__every_fixture),
		cmocka_unit_test(vendor__huawei__every_fixture),
		cmocka_unit_test(vendor__jdcloud__every_fixture),
		cmocka_unit_test(vendor__tencent__every_fixture),
		cmocka_unit_test(vendor__srs__every_fixture),
		cmocka_unit_test(vendor__nginx_rtmp__every_fixture),
		cmocka_unit_test(vendor__ivs__every_fixture),
		cmocka_unit_test(vendor__mux__every_fixture),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
