/* test_reject.c -- unit tests of reject.c (rejection counts in memory) and metrics.c (shared counters, text format). */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"
#include "reject.h"

#define MINUTE	60000

static int
count_of(const char *json, const char *needle)
{
	int	 n = 0;

	for (; (json = strstr(json, needle)) != NULL; json++)
		n++;
	return n;
}

static void
reject__same_key__one_count(void **state)
{
	struct buf	 j = BUF_INIT;

	(void)state;
	reject_note("huawei", 403, "wrong signature", "192.0.2.1", 10 * MINUTE + 5);
	reject_note("huawei", 403, "wrong signature", "192.0.2.2", 10 * MINUTE + 9);
	reject_note("huawei", 403, "wrong signature", "192.0.2.3", 10 * MINUTE + 7);
	assert_true(reject_pending());
	assert_int_equal(reject_take(&j), 1);
	assert_false(reject_pending());
	assert_non_null(strstr(j.data, "\"bucket\":600000,"));
	assert_non_null(strstr(j.data, "\"count\":3,"));
	/* The newest arrival's address, not the last noted. */
	assert_non_null(strstr(j.data, "\"addr\":\"192.0.2.2\",\"last_seen\":600009"));
	reject_done(1);
	assert_int_equal(reject_take(&j), 0);
	buf_free(&j);
}

static void
reject__keys_apart__minute_vendor_status_reason(void **state)
{
	struct buf	 j = BUF_INIT;

	(void)state;
	reject_note("huawei", 403, "wrong signature", "192.0.2.1", 10 * MINUTE);
	reject_note("huawei", 403, "wrong signature", "192.0.2.1", 11 * MINUTE);
	reject_note("huawei", 400, "wrong signature", "192.0.2.1", 10 * MINUTE);
	reject_note("huawei", 403, "timestamp outside the 300 s window", "192.0.2.1", 10 * MINUTE);
	reject_note(NULL, 404, "unknown path", "/run/x.sock", 10 * MINUTE);
	assert_int_equal(reject_take(&j), 5);
	assert_int_equal(count_of(j.data, "\"vendor\":\"unknown\""), 1);
	/* Not an IP address: inet takes NULL. */
	assert_int_equal(count_of(j.data, "\"addr\":null"), 1);
	reject_done(1);
	buf_free(&j);
}

static void
reject__database_away__counts_kept_and_merged(void **state)
{
	struct buf	 j = BUF_INIT;

	(void)state;
	reject_note("tencent", 403, "wrong signature", "192.0.2.1", 10 * MINUTE);
	reject_note("tencent", 403, "wrong signature", "192.0.2.1", 10 * MINUTE);
	assert_int_equal(reject_take(&j), 1);
	/* Arrives while the flush is under way, then the flush fails. */
	reject_note("tencent", 403, "wrong signature", "192.0.2.1", 10 * MINUTE + 1);
	reject_done(0);
	assert_true(reject_pending());
	assert_int_equal(reject_take(&j), 1);
	assert_non_null(strstr(j.data, "\"count\":3,"));
	reject_done(1);
	buf_free(&j);
}

static void
reject__bytes_off_the_wire__printable_only(void **state)
{
	struct buf	 j = BUF_INIT;

	(void)state;
	reject_note("huawei", 400, "bad \"x\"\n\xff", "192.0.2.1", 10 * MINUTE);
	assert_int_equal(reject_take(&j), 1);
	assert_non_null(strstr(j.data, "\"reason\":\"bad \\\"x\\\"??\""));
	reject_done(1);
	buf_free(&j);
}

static void
reject__table_full__dropped_and_counted(void **state)
{
	struct buf	 j = BUF_INIT, m = BUF_INIT;
	struct metrics_now now = { 1, -1, 0 };
	int		 i;

	(void)state;
	for (i = 0; i < REJECT_MAX + 10; i++)
		reject_note("huawei", 403, "wrong signature", "192.0.2.1",
		    (int64_t)i * MINUTE);
	assert_int_equal(reject_take(&j), REJECT_MAX);
	reject_done(1);
	metrics_render(&m, &now);
	assert_non_null(strstr(m.data, "\nlivehook_rejection_counts_dropped_total 10\n"));
	buf_free(&j);
	buf_free(&m);
}

/* The counters of a child process and of this one add up in one object. */
static void
metrics__two_processes__one_sum(void **state)
{
	struct metrics_now	 now = { 1, 3, 2.5 };
	struct buf		 m = BUF_INIT;
	char			 name[64];
	pid_t			 pid;
	int			 st, i;

	(void)state;
	snprintf(name, sizeof(name), "/livehook-unit-%d", (int)getpid());
	shm_unlink(name);
	if ((pid = fork()) == 0) {
		if (metrics_open(name) == -1)
			_exit(2);
		for (i = 0; i < 5; i++)
			metrics_request("huawei", "publish", METRICS_STORED, 200, 300);
		metrics_request("mux", NULL, METRICS_REJECTED, 403, 100);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(metrics_open(name), 0);
	for (i = 0; i < 3; i++)
		metrics_request("huawei", "publish", METRICS_STORED, 200, 2000);
	metrics_request("nosuchvendor", NULL, METRICS_REJECTED, 404, -1);
	metrics_request("huawei", "publish", METRICS_UNAVAILABLE, 503, 1000);
	metrics_commit(3, 4000, 1);
	metrics_render(&m, &now);
	metrics_close();
	shm_unlink(name);
	assert_false(m.failed);
	assert_non_null(strstr(m.data, "\nlivehook_metrics_shared 1\n"));
	assert_non_null(strstr(m.data, "\nlivehook_requests_total{vendor=\"huawei\",outcome=\"stored\"} 8\n"));
	assert_non_null(strstr(m.data, "\nlivehook_requests_total{vendor=\"mux\",outcome=\"rejected\"} 1\n"));
	assert_non_null(strstr(m.data, "\nlivehook_requests_total{vendor=\"unknown\",outcome=\"rejected\"} 1\n"));
	assert_non_null(strstr(m.data, "\nlivehook_events_total{vendor=\"huawei\",kind=\"publish\",outcome=\"stored\"} 8\n"));
	assert_non_null(strstr(m.data, "\nlivehook_rejections_total{vendor=\"huawei\",status=\"503\"} 1\n"));
	assert_non_null(strstr(m.data, "\nlivehook_rejections_total{vendor=\"mux\",status=\"403\"} 1\n"));
	/* Cumulative buckets: 5 x 0.3 ms, 1 x 0.1 ms, 1 x 1 ms, 3 x 2 ms. */
	assert_non_null(strstr(m.data, "\nlivehook_request_duration_seconds_bucket{le=\"0.0005\"} 6\n"));
	assert_non_null(strstr(m.data, "\nlivehook_request_duration_seconds_bucket{le=\"0.001\"} 7\n"));
	assert_non_null(strstr(m.data, "\nlivehook_request_duration_seconds_bucket{le=\"0.0025\"} 10\n"));
	assert_non_null(strstr(m.data, "\nlivehook_request_duration_seconds_bucket{le=\"+Inf\"} 10\n"));
	assert_non_null(strstr(m.data, "\nlivehook_request_duration_seconds_sum 0.008600\n"));
	assert_non_null(strstr(m.data, "\nlivehook_request_duration_seconds_count 10\n"));
	assert_non_null(strstr(m.data, "\nlivehook_batch_events_bucket{le=\"2\"} 0\n"));
	assert_non_null(strstr(m.data, "\nlivehook_batch_events_bucket{le=\"4\"} 1\n"));
	assert_non_null(strstr(m.data, "\nlivehook_spool_files 3\n"));
	assert_non_null(strstr(m.data, "\nlivehook_spool_oldest_age_seconds 2.500\n"));
	assert_non_null(strstr(m.data, "\nlivehook_database_up 1\n"));
	buf_free(&m);
}

/* An object of another layout is left alone: counting goes on in-process. */
static void
metrics__foreign_object__refused(void **state)
{
	char	 name[64];
	FILE	*f;
	char	 path[96];

	(void)state;
	snprintf(name, sizeof(name), "/livehook-unit-bad-%d", (int)getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	assert_non_null(f = fopen(path, "w"));
	fputs("not livehook's", f);
	fclose(f);
	assert_int_equal(metrics_open(name), -1);
	shm_unlink(name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reject__same_key__one_count),
		cmocka_unit_test(reject__keys_apart__minute_vendor_status_reason),
		cmocka_unit_test(reject__database_away__counts_kept_and_merged),
		cmocka_unit_test(reject__bytes_off_the_wire__printable_only),
		cmocka_unit_test(reject__table_full__dropped_and_counted),
		cmocka_unit_test(metrics__two_processes__one_sum),
		cmocka_unit_test(metrics__foreign_object__refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
