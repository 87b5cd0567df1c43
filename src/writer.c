/* writer.c -- group commit: request threads hand events to one writer that commits them together. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "reject.h"
#include "spool.h"
#include "store.h"
#include "writer.h"

struct writer {
	struct store		*store;
	struct spool		*spool;
	size_t			 batch_max;
	writer_done_fn		*done_fn;
	void			*done_arg;

	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* the queue is not empty, or stop */
	pthread_cond_t		 done;		/* a writer_submit item is back */
	struct writer_item	*head;
	struct writer_item	*tail;
	int			 stopping;
	int			 failing;	/* the last commit failed */
	int			 replay_more;	/* the last replay took a full slice */
	int			 started;
	pthread_t		 thread;

	/* Used by the writer thread only (or under mu without a thread). */
	const char		*rows[WRITER_BATCH_MAX];
	size_t			 lens[WRITER_BATCH_MAX];
	enum store_result	 res[WRITER_BATCH_MAX];
	struct buf		 rejections;	/* reject_take's JSON */
	int64_t			 flushed_ms;	/* monotonic: the last flush */
};

static int64_t
writer_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Add the rejection counts that wait (reject.c) to the database: one
 * statement of its own, from the writer's thread, at most once per
 * WRITER_REPLAY_INTERVAL unless force; never on a request's path.  While
 * the database is away they stay in memory for the next try (a crash
 * loses them: they are counts, not events).  Called without mu held, by
 * the writer thread (or, without one, the caller's).
 */
static void
writer_flush_rejections(struct writer *w, int force)
{
	int64_t	 now = writer_now_us() / 1000;

	if (!reject_pending() || (!force &&
	    now - w->flushed_ms < WRITER_REPLAY_INTERVAL * 1000))
		return;
	w->flushed_ms = now;
	if (reject_take(&w->rejections) == 0)
		return;
	reject_done(!w->rejections.failed &&
	    store_rejections(w->store, w->rejections.data) == 0);
}

/*
 * Commit items (a list of n) in one transaction and record each outcome
 * in its item.  Called without mu held.
 */
static void
writer_commit(struct writer *w, struct writer_item *items, size_t n)
{
	struct writer_item	*it;
	size_t			 i;
	int64_t			 t0;

	for (it = items, i = 0; i < n; it = it->next, i++) {
		w->rows[i] = it->row;
		w->lens[i] = it->len;
	}
	t0 = writer_now_us();
	if (store_insert_rows(w->store, w->rows, w->lens, n, w->res) == -1) {
		for (i = 0; i < n; i++)
			w->res[i] = STORE_RETRY;
	}
	for (it = items, i = 0; i < n; it = it->next, i++)
		it->res = w->res[i];
	w->failing = w->res[0] == STORE_RETRY;
	metrics_commit(n, writer_now_us() - t0, !w->failing);
}

/*
 * Replay a slice of at most max spooled events, so that live events are
 * not held up long; w->replay_more says whether to go on (the last slice
 * found work: other processes may be claiming the same files).
 * Called by the writer thread without mu held.  Returns the number
 * replayed.
 */
static long
writer_replay(struct writer *w, long max)
{
	long	 got;

	w->replay_more = 0;
	if (w->spool == NULL)
		return 0;
	if ((got = spool_replay(w->spool, w->store, max)) == -1) {
		w->failing = 1;
		return 0;
	}
	/*
	 * A replay that stored events is as good as a live commit: the
	 * database is back, so the backlog drains at its speed with no new
	 * traffic too (before, only a live commit cleared failing, and an
	 * idle writer waited a second before each slice).
	 */
	if (got > 0)
		w->failing = 0;
	w->replay_more = got > 0;
	return got;
}

/*
 * Hand back the items of one transaction (a list ending in NULL):
 * writer_submit's are woken, the others go to done_fn as one list.
 * Called with mu held; drops it around done_fn.
 */
static void
writer_deliver(struct writer *w, struct writer_item *items)
{
	struct writer_item	*it, *next, *async = NULL, **tail = &async;
	int			 woke = 0;

	for (it = items; it != NULL; it = next) {
		next = it->next;
		if (it->sync) {
			it->done = 1;
			woke = 1;
		} else {
			*tail = it;
			tail = &it->next;
		}
	}
	*tail = NULL;
	if (woke)
		pthread_cond_broadcast(&w->done);
	if (async != NULL && w->done_fn != NULL) {
		pthread_mutex_unlock(&w->mu);
		w->done_fn(async, w->done_arg);
		pthread_mutex_lock(&w->mu);
	}
}

/*
 * The writer thread: take every waiting event (up to batch_max), commit
 * them in one transaction, hand them back, repeat.  While it commits,
 * new events queue up for the next batch.
 */
static void *
writer_main(void *arg)
{
	struct writer		*w = arg;
	struct writer_item	*items, *last;
	struct timespec		 until;
	size_t			 n;
	int			 was_failing;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stopping) {
			if (w->spool == NULL) {
				/* A second at most: rejection counts to flush. */
				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_sec += WRITER_REPLAY_INTERVAL;
				if (pthread_cond_timedwait(&w->work, &w->mu,
				    &until) == ETIMEDOUT && reject_pending()) {
					pthread_mutex_unlock(&w->mu);
					writer_flush_rejections(w, 0);
					pthread_mutex_lock(&w->mu);
				}
				continue;
			}
			/*
			 * Idle: look at the spool every interval, and while a
			 * backlog drains go on without waiting.
			 */
			if (!w->replay_more || w->failing) {
				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_sec += WRITER_REPLAY_INTERVAL;
				if (pthread_cond_timedwait(&w->work, &w->mu,
				    &until) != ETIMEDOUT || w->head != NULL ||
				    w->stopping)
					continue;
			}
			pthread_mutex_unlock(&w->mu);
			writer_flush_rejections(w, 0);
			writer_replay(w, 4 * SPOOL_REPLAY_BATCH);
			pthread_mutex_lock(&w->mu);
		}
		if (w->head == NULL)
			break;
		items = last = w->head;
		for (n = 1; n < w->batch_max && last->next != NULL; n++)
			last = last->next;
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&w->mu);

		was_failing = w->failing;
		writer_commit(w, items, n);

		pthread_mutex_lock(&w->mu);
		writer_deliver(w, items);
		if (reject_pending()) {
			pthread_mutex_unlock(&w->mu);
			writer_flush_rejections(w, 0);
			pthread_mutex_lock(&w->mu);
		}
		if (!w->failing && (was_failing || w->replay_more)) {
			/*
			 * The database is back, or a backlog is draining: one
			 * slice of the spool between live batches, so that the
			 * spool empties under load too.
			 */
			pthread_mutex_unlock(&w->mu);
			writer_replay(w, SPOOL_REPLAY_BATCH);
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct writer *
writer_new(struct store *store, struct spool *spool, int threaded,
    int group_commit, size_t batch_max, writer_done_fn *done, void *arg)
{
	struct writer	*w;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("writer: calloc");
		return NULL;
	}
	w->store = store;
	w->spool = spool;
	w->done_fn = done;
	w->done_arg = arg;
	if (batch_max == 0 || batch_max > WRITER_BATCH_MAX)
		batch_max = WRITER_BATCH_MAX;
	w->batch_max = group_commit ? batch_max : 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	if (threaded) {
		if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
			errno = rc;
			log_warn("writer: pthread_create");
			writer_free(w);
			return NULL;
		}
		w->started = 1;
	}
	return w;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stopping = 1;
		pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	/* What was counted since the last flush (plain CGI: this request's). */
	writer_flush_rejections(w, 1);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	buf_free(&w->rejections);
	free(w);
}

/* Append it to the queue and wake the writer.  Called with mu held. */
static void
writer_queue(struct writer *w, struct writer_item *it)
{
	it->next = NULL;
	if (w->tail != NULL)
		w->tail->next = it;
	else
		w->head = it;
	w->tail = it;
	pthread_cond_signal(&w->work);
}

int
writer_enqueue(struct writer *w, struct writer_item *it)
{
	it->sync = 0;
	it->done = 0;
	it->res = STORE_RETRY;
	pthread_mutex_lock(&w->mu);
	if (!w->started || w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	writer_queue(w, it);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

enum store_result
writer_submit(struct writer *w, const char *row, size_t len)
{
	struct writer_item	 it;

	memset(&it, 0, sizeof(it));
	it.row = row;
	it.len = len;
	it.res = STORE_RETRY;
	it.sync = 1;

	pthread_mutex_lock(&w->mu);
	if (!w->started) {
		/* No thread (plain CGI): commit here, on the one connection. */
		writer_commit(w, &it, 1);
		pthread_mutex_unlock(&w->mu);
		return it.res;
	}
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return STORE_RETRY;
	}
	writer_queue(w, &it);
	while (!it.done)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return it.res;
}
