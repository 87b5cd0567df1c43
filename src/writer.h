/* writer.h -- group commit: request threads hand events to one writer that commits them together. */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>

#include "spool.h"
#include "store.h"

/* Events committed in one transaction at most. */
#define WRITER_BATCH_MAX	256

/* How often an idle writer looks for spooled events to replay. */
#define WRITER_REPLAY_INTERVAL	1	/* seconds */

struct writer;

/*
 * One event on its way to the database, owned by the caller (embedded in
 * its request) until the writer hands it back with res set.
 */
struct writer_item {
	const char		*row;		/* its row, event_to_row */
	size_t			 len;
	enum store_result	 res;		/* set when handed back */
	struct writer_item	*next;		/* the writer's; the list handed back */
	int			 sync;		/* writer.c: writer_submit waits */
	int			 done;		/* writer.c: writer_submit's item is back */
};

/*
 * Called by the writer thread with the items of one transaction (a list
 * through next, ending in NULL) once each has its result.  It must not
 * block for long: the next transaction waits for it.
 */
typedef void	 writer_done_fn(struct writer_item *items, void *arg);

/*
 * A writer over store.  Threaded: a thread commits every waiting event in
 * one transaction (at most batch_max; 1 without group_commit) and hands
 * the items back to done(items, arg).  With a spool (may be NULL) the
 * thread also replays spooled events whenever the database answers.
 * Not threaded (plain CGI): writer_submit commits in the caller's thread.
 * NULL on failure (logged).
 */
struct writer		*writer_new(struct store *, struct spool *, int threaded,
			    int group_commit, size_t batch_max,
			    writer_done_fn *done, void *arg);
/* Commit what is queued (its items are handed back), stop the thread, free. */
void			 writer_free(struct writer *);

/*
 * Queue it for the next transaction and return at once; the writer hands
 * it back through done.  -1 when the writer has no thread or is stopping
 * (it is not queued).  Thread-safe.
 */
int			 writer_enqueue(struct writer *, struct writer_item *);

/*
 * Store one event (its row, event_to_row) and wait until its transaction
 * has committed or failed.  Thread-safe.
 */
enum store_result	 writer_submit(struct writer *, const char *row, size_t len);

#endif
