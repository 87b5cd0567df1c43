/* test_log.c -- unit tests of log.c: one line per event, libpq's line breaks, rate-limited repeats (the clock swapped out: --wrap=clock_gettime). */
#include "autoconfig.h"

#include <errno.h>
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

#include "log.h"

int	__wrap_clock_gettime(clockid_t, struct timespec *);
int	__real_clock_gettime(clockid_t, struct timespec *);

static int	 fake_clock;	/* 1: CLOCK_MONOTONIC reads fake_now */
static time_t	 fake_now;

int
__wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (fake_clock && clk == CLOCK_MONOTONIC) {
		ts->tv_sec = fake_now;
		ts->tv_nsec = 0;
		return 0;
	}
	return __real_clock_gettime(clk, ts);
}

/* stderr goes to a file between capture_start() and capture_end(). */
static char	 captured[1 << 16];
static int	 saved_fd = -1;
static FILE	*capf;

/* flush: write what is pending before, so that it is not captured. */
static void
capture_start(int flush)
{
	if (flush)
		log_flush();
	fflush(stderr);
	assert_non_null(capf = tmpfile());
	assert_true((saved_fd = dup(2)) != -1);
	assert_int_equal(dup2(fileno(capf), 2), 2);
}

/* Stop capturing; captured holds the text.  Returns the number of lines. */
static int
capture_end(int flush)
{
	size_t	 n;
	int	 lines = 0;
	char	*p;

	if (flush)
		log_flush();
	fflush(stderr);
	assert_int_equal(dup2(saved_fd, 2), 2);
	close(saved_fd);
	rewind(capf);
	n = fread(captured, 1, sizeof(captured) - 1, capf);
	captured[n] = '\0';
	fclose(capf);
	for (p = captured; *p != '\0'; p++)
		if (*p == '\n')
			lines++;
	return lines;
}

static int
setup(void **state)
{
	(void)state;
	log_init("/usr/sbin/livehook");
	fake_clock = 0;
	return 0;
}

static void
log__libpq_connection_error__one_prefixed_line(void **state)
{
	(void)state;
	capture_start(1);
	log_warnx("store: connect: %s", "connection to server on socket "
	    "\"/tmp/x/.s.PGSQL.5432\" failed: No such file or directory\n"
	    "\tIs the server running locally and accepting connections on that socket?\n");
	assert_int_equal(capture_end(0), 1);
	assert_string_equal(captured, "livehook: store: connect: connection to "
	    "server on socket \"/tmp/x/.s.PGSQL.5432\" failed: No such file or "
	    "directory | Is the server running locally and accepting connections "
	    "on that socket?\n");
}

static void
log__server_notice__detail_on_the_same_line(void **state)
{
	(void)state;
	capture_start(1);
	log_warnx("store: server: %s", "WARNING:  there is no transaction in progress\n");
	log_warnx("store: batch of %d refused: %s", 3, "ERROR:  invalid input syntax\r\n"
	    "DETAIL:  Token \"x\" is invalid.\nCONTEXT:  JSON data, line 1: x\n\n");
	assert_int_equal(capture_end(0), 2);
	assert_string_equal(captured,
	    "livehook: store: server: WARNING:  there is no transaction in progress\n"
	    "livehook: store: batch of 3 refused: ERROR:  invalid input syntax | "
	    "DETAIL:  Token \"x\" is invalid. | CONTEXT:  JSON data, line 1: x\n");
}

static void
log__control_bytes_and_errno__one_line(void **state)
{
	(void)state;
	capture_start(1);
	log_info("a\tb\001c\177d");
	errno = ENOSPC;
	log_warn("spool: write %s", "/s/f");
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(capture_end(0), 2);
	assert_string_equal(captured, "livehook: a b?c?d\n"
	    "livehook: spool: write /s/f: No space left on device\n");
}

static void
log__long_message__cut_to_one_line(void **state)
{
	char	 big[4 * LOG_LINE_MAX];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[100] = '\n';
	capture_start(1);
	log_warnx("%s", big);
	assert_int_equal(capture_end(0), 1);
	assert_true(strlen(captured) <= LOG_LINE_MAX);
	assert_int_equal(captured[strlen(captured) - 1], '\n');
}

/* The full spool of issue 17: 25,000 refusals in a few seconds. */
static void
log__same_message_but_numbers__logged_once_then_counted(void **state)
{
	int	 i;

	(void)state;
	capture_start(1);
	for (i = 0; i < 25000; i++) {
		errno = ENOSPC;
		log_warn("spool: create /s/.tmp-%d-%013d-%08d.json", 4242, 1700000000 + i, i);
	}
	assert_int_equal(capture_end(1), 2);
	assert_non_null(strstr(captured, "livehook: spool: create /s/.tmp-4242-0001700000000-00000000.json: "
	    "No space left on device\n"));
	/* The summary is the last line suppressed, with the count. */
	assert_non_null(strstr(captured, ".tmp-4242-0001700024999-00024999.json: No space left on "
	    "device (repeated 24999 times)\n"));
}

static void
log__different_messages__each_its_own_count(void **state)
{
	int	 i;

	(void)state;
	capture_start(1);
	for (i = 0; i < 10; i++) {
		log_warnx("huawei: 127.0.0.%d: POST /livehook/huawei: 503 event could not be made durable", i);
		log_warnx("tencent: 127.0.0.%d: POST /livehook/tencent: 503 event could not be made durable", i);
	}
	assert_int_equal(capture_end(1), 4);
	assert_non_null(strstr(captured, "/huawei: 503 event could not be made durable (repeated 9 times)"));
	assert_non_null(strstr(captured, "/tencent: 503 event could not be made durable (repeated 9 times)"));
}

static void
log__info__never_suppressed(void **state)
{
	(void)state;
	capture_start(1);
	log_info("spool: replayed %d event(s)", 64);
	log_info("spool: replayed %d event(s)", 64);
	log_info("spool: replayed %d event(s)", 12);
	assert_int_equal(capture_end(1), 3);
}

static void
log__window__summary_when_it_ends_then_quiet(void **state)
{
	(void)state;
	fake_clock = 1;
	fake_now = 1000;
	capture_start(1);
	log_warnx("store: connect: refused");		/* written */
	fake_now += 1;
	log_warnx("store: connect: refused");		/* counted */
	log_tick();
	assert_int_equal(capture_end(0), 1);

	capture_start(0);
	fake_now += LOG_REPEAT_WINDOW;
	log_tick();					/* the window ended: its summary */
	assert_int_equal(capture_end(0), 1);
	assert_string_equal(captured, "livehook: store: connect: refused (repeated 1 times)\n");

	/* Still repeating: the next window is summed up as well. */
	capture_start(0);
	fake_now += 1;
	log_warnx("store: connect: refused");
	log_warnx("store: connect: refused");
	fake_now += LOG_REPEAT_WINDOW;
	log_warnx("something else");			/* any line ends windows too */
	assert_int_equal(capture_end(0), 2);
	assert_string_equal(captured, "livehook: store: connect: refused (repeated 2 times)\n"
	    "livehook: something else\n");

	/* A quiet window frees the message: the next one is written at once. */
	capture_start(0);
	fake_now += LOG_REPEAT_WINDOW;
	log_tick();
	fake_now += 1;
	log_warnx("store: connect: refused");
	assert_int_equal(capture_end(0), 1);
	assert_string_equal(captured, "livehook: store: connect: refused\n");
	fake_clock = 0;
}

static void
log__more_messages_than_slots__none_lost_from_the_counts(void **state)
{
	int	 i;

	(void)state;
	capture_start(1);
	/* Digits do not make a message different: letters do. */
	for (i = 0; i < LOG_REPEAT_SLOTS + 8; i++) {
		log_warnx("m%c%c", 'a' + i % 26, 'a' + i / 26);
		log_warnx("m%c%c", 'a' + i % 26, 'a' + i / 26);
	}
	/* Each once, and each repeat summed up (early for the 8 oldest). */
	assert_int_equal(capture_end(1), 2 * (LOG_REPEAT_SLOTS + 8));
	assert_non_null(strstr(captured, "livehook: maa (repeated 1 times)\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(log__libpq_connection_error__one_prefixed_line, setup),
		cmocka_unit_test_setup(log__server_notice__detail_on_the_same_line, setup),
		cmocka_unit_test_setup(log__control_bytes_and_errno__one_line, setup),
		cmocka_unit_test_setup(log__long_message__cut_to_one_line, setup),
		cmocka_unit_test_setup(log__same_message_but_numbers__logged_once_then_counted, setup),
		cmocka_unit_test_setup(log__different_messages__each_its_own_count, setup),
		cmocka_unit_test_setup(log__info__never_suppressed, setup),
		cmocka_unit_test_setup(log__window__summary_when_it_ends_then_quiet, setup),
		cmocka_unit_test_setup(log__more_messages_than_slots__none_lost_from_the_counts, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
