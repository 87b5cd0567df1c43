/* writer.h -- group commit: request threads hand events to one writer that commits them together. */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>

#include "spool.h"
#include "store.h"

/* Events committed in one transaction at most. */
#define WRITER_BATCH_MAX	256

struct writer;

/* How often an idle writer looks for spooled events to replay. */
#define WRITER_REPLAY_INTERVAL	1	/* seconds */

/*
 * A writer over store.  With group_commit, a thread commits every waiting
 * event in one transaction (at most batch_max); without, each submit
 * commits alone in the caller's thread (one connection, serialized).
 * With a spool (may be NULL) and threaded, the thread also replays spooled
 * events whenever the database answers.  NULL on failure (logged).
 */
struct writer		*writer_new(struct store *, struct spool *, int threaded,
			    int group_commit, size_t batch_max);
/* Commit what is queued, stop the thread, free. */
void			 writer_free(struct writer *);

/*
 * Store one event (its JSON element, event_to_json) and wait until its
 * transaction has committed or failed.  Thread-safe.
 */
enum store_result	 writer_submit(struct writer *, const char *json, size_t len);

#endif
