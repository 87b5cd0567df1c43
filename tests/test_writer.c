/* test_writer.c -- unit tests of writer.c; the database is swapped out at link time (--wrap=store_insert_rows). */
#include "autoconfig.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "writer.h"

int	__wrap_store_insert_rows(struct store *, const char *const *,
	    const size_t *, size_t, enum store_result *);

/* What the fake database saw and how it answers. */
static pthread_mutex_t	 fake_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t		 fake_calls;
static size_t		 fake_events;
static size_t		 fake_largest;
static int		 fake_fail;		/* return -1: nothing durable */
static useconds_t	 fake_delay;		/* a slow commit lets a batch form */
static char		 fake_last[4096];

/*
 * The fake: rows (test strings here: the writer does not read them)
 * beginning {"dup are duplicates, {"bad are refused, everything else
 * commits.  fake_last is the batch's rows joined in a JSON-like list.
 */
int
__wrap_store_insert_rows(struct store *s, const char *const *rows,
    const size_t *lens, size_t n, enum store_result *res)
{
	size_t		 i, o;

	(void)s;
	if (fake_delay)
		usleep(fake_delay);
	pthread_mutex_lock(&fake_mu);
	fake_calls++;
	fake_events += n;
	if (n > fake_largest)
		fake_largest = n;
	o = (size_t)snprintf(fake_last, sizeof(fake_last), "[");
	for (i = 0; i < n && o < sizeof(fake_last); i++)
		o += (size_t)snprintf(fake_last + o, sizeof(fake_last) - o,
		    "%s%.*s", i > 0 ? "," : "", (int)lens[i], rows[i]);
	if (o < sizeof(fake_last))
		snprintf(fake_last + o, sizeof(fake_last) - o, "]");
	pthread_mutex_unlock(&fake_mu);
	if (fake_fail)
		return -1;
	for (i = 0; i < n; i++) {
		assert_int_equal(lens[i], strlen(rows[i]));
		if (strncmp(rows[i], "{\"dup", 5) == 0)
			res[i] = STORE_DUP;
		else if (strncmp(rows[i], "{\"bad", 5) == 0)
			res[i] = STORE_ERR;
		else
			res[i] = STORE_OK;
	}
	return 0;
}

static void
fake_reset(void)
{
	fake_calls = fake_events = fake_largest = 0;
	fake_fail = 0;
	fake_delay = 0;
	fake_last[0] = '\0';
}

struct submitter {
	struct writer		*w;
	char			 json[32];
	enum store_result	 res;
};

static void *
submit_main(void *arg)
{
	struct submitter	*s = arg;

	s->res = writer_submit(s->w, s->json, strlen(s->json));
	return NULL;
}

static void
run_submitters(struct writer *w, size_t n, struct submitter *subs)
{
	pthread_t	 t[64];
	size_t		 i;

	for (i = 0; i < n; i++) {
		subs[i].w = w;
		assert_int_equal(pthread_create(&t[i], NULL, submit_main, &subs[i]), 0);
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void
writer__group_commit__batches_concurrent_events(void **state)
{
	struct submitter	 subs[32];
	struct writer		*w;
	size_t			 i;

	(void)state;
	fake_reset();
	fake_delay = 20000;
	assert_non_null(w = writer_new(NULL, NULL, 1, 1, WRITER_BATCH_MAX, NULL, NULL));
	for (i = 0; i < 32; i++)
		snprintf(subs[i].json, sizeof(subs[i].json), "{\"%s%zu\"}",
		    i % 8 == 0 ? "dup" : "ok", i);
	run_submitters(w, 32, subs);
	writer_free(w);
	assert_int_equal(fake_events, 32);
	/* A slow commit means later arrivals wait and share a transaction. */
	assert_true(fake_calls < 32);
	assert_true(fake_largest > 1);
	for (i = 0; i < 32; i++)
		assert_int_equal(subs[i].res, i % 8 == 0 ? STORE_DUP : STORE_OK);
}

static void
writer__batch_max__bounds_a_transaction(void **state)
{
	struct submitter	 subs[24];
	struct writer		*w;
	size_t			 i;

	(void)state;
	fake_reset();
	fake_delay = 20000;
	assert_non_null(w = writer_new(NULL, NULL, 1, 1, 4, NULL, NULL));
	for (i = 0; i < 24; i++)
		snprintf(subs[i].json, sizeof(subs[i].json), "{\"ok%zu\"}", i);
	run_submitters(w, 24, subs);
	writer_free(w);
	assert_int_equal(fake_events, 24);
	assert_true(fake_largest <= 4);
}

static void
writer__group_commit_off__one_commit_per_event(void **state)
{
	struct submitter	 subs[16];
	struct writer		*w;
	size_t			 i;

	(void)state;
	fake_reset();
	assert_non_null(w = writer_new(NULL, NULL, 1, 0, WRITER_BATCH_MAX, NULL, NULL));
	for (i = 0; i < 16; i++)
		snprintf(subs[i].json, sizeof(subs[i].json), "{\"%s%zu\"}",
		    i == 3 ? "bad" : "ok", i);
	run_submitters(w, 16, subs);
	writer_free(w);
	assert_int_equal(fake_calls, 16);
	assert_int_equal(fake_largest, 1);
	for (i = 0; i < 16; i++)
		assert_int_equal(subs[i].res, i == 3 ? STORE_ERR : STORE_OK);
}

static void
writer__store_failure__every_event_retries(void **state)
{
	struct submitter	 subs[8];
	struct writer		*w;
	size_t			 i;

	(void)state;
	fake_reset();
	fake_fail = 1;
	assert_non_null(w = writer_new(NULL, NULL, 1, 1, WRITER_BATCH_MAX, NULL, NULL));
	for (i = 0; i < 8; i++)
		snprintf(subs[i].json, sizeof(subs[i].json), "{\"ok%zu\"}", i);
	run_submitters(w, 8, subs);
	writer_free(w);
	for (i = 0; i < 8; i++)
		assert_int_equal(subs[i].res, STORE_RETRY);
}

static void
writer__single_event__sent_as_array(void **state)
{
	struct writer	*w;

	(void)state;
	fake_reset();
	assert_non_null(w = writer_new(NULL, NULL, 1, 1, WRITER_BATCH_MAX, NULL, NULL));
	assert_int_equal(writer_submit(w, "{\"ok\"}", 6), STORE_OK);
	writer_free(w);
	assert_string_equal(fake_last, "[{\"ok\"}]");
}

/* What the writer handed back through its writer_done_fn. */
static pthread_mutex_t	 back_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 back_cv = PTHREAD_COND_INITIALIZER;
static size_t		 back_items;
static size_t		 back_calls;

static void
back_done(struct writer_item *items, void *arg)
{
	struct writer_item	*it;

	assert_ptr_equal(arg, &back_items);
	pthread_mutex_lock(&back_mu);
	back_calls++;
	for (it = items; it != NULL; it = it->next)
		back_items++;
	pthread_cond_broadcast(&back_cv);
	pthread_mutex_unlock(&back_mu);
}

/*
 * writer_enqueue returns at once; 100 events queued from one thread behind
 * a slow commit come back in few transactions, each item with its result,
 * and writer_free hands back what is still queued.
 */
static void
writer__enqueue__batches_without_a_thread_per_event(void **state)
{
	static struct writer_item	 items[100];
	static char			 json[100][16];
	struct writer			*w;
	size_t				 i, ok = 0, dup = 0;

	(void)state;
	fake_reset();
	fake_delay = 20000;
	back_items = back_calls = 0;
	assert_non_null(w = writer_new(NULL, NULL, 1, 1, WRITER_BATCH_MAX,
	    back_done, &back_items));
	for (i = 0; i < 100; i++) {
		snprintf(json[i], sizeof(json[i]), "{\"%s%zu\"}",
		    i % 10 == 0 ? "dup" : "ok", i);
		memset(&items[i], 0, sizeof(items[i]));
		items[i].row = json[i];
		items[i].len = strlen(json[i]);
		assert_int_equal(writer_enqueue(w, &items[i]), 0);
	}
	pthread_mutex_lock(&back_mu);
	while (back_items < 100)
		pthread_cond_wait(&back_cv, &back_mu);
	pthread_mutex_unlock(&back_mu);
	writer_free(w);
	for (i = 0; i < 100; i++) {
		ok += items[i].res == STORE_OK;
		dup += items[i].res == STORE_DUP;
	}
	assert_int_equal(ok, 90);
	assert_int_equal(dup, 10);
	assert_int_equal(fake_events, 100);
	/* The first commit takes one; the rest wait for it together. */
	assert_true(fake_calls <= 4);
	assert_int_equal(back_calls, fake_calls);
}

/* A writer without a thread (plain CGI) queues nothing: the caller commits. */
static void
writer__enqueue__refused_without_a_thread(void **state)
{
	struct writer_item	 it;
	struct writer		*w;

	(void)state;
	fake_reset();
	memset(&it, 0, sizeof(it));
	it.row = "{\"ok\"}";
	it.len = 6;
	assert_non_null(w = writer_new(NULL, NULL, 0, 1, WRITER_BATCH_MAX, NULL, NULL));
	assert_int_equal(writer_enqueue(w, &it), -1);
	assert_int_equal(writer_submit(w, it.row, it.len), STORE_OK);
	assert_int_equal(fake_calls, 1);
	writer_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writer__group_commit__batches_concurrent_events),
		cmocka_unit_test(writer__batch_max__bounds_a_transaction),
		cmocka_unit_test(writer__group_commit_off__one_commit_per_event),
		cmocka_unit_test(writer__store_failure__every_event_retries),
		cmocka_unit_test(writer__single_event__sent_as_array),
		cmocka_unit_test(writer__enqueue__batches_without_a_thread_per_event),
		cmocka_unit_test(writer__enqueue__refused_without_a_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
