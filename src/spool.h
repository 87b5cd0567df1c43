/* spool.h -- events made durable on local disk while PostgreSQL is away (SPEC section 6). */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Files replayed in one transaction at most. */
#define SPOOL_REPLAY_BATCH	64

struct spool;

/* The spool in dir (created if missing).  NULL on failure (logged). */
struct spool	*spool_open(const char *dir);
void		 spool_free(struct spool *);

/*
 * Write one event (its JSON element) durably: a temporary file, fsync,
 * rename into place, fsync the directory.  0 only when all of that
 * succeeded; -1 (logged) when the event is not durable.
 */
int		 spool_put(struct spool *, const char *json, size_t len);

/*
 * Remove the temporary files that processes killed in spool_put() left
 * (".tmp-<pid>-..." whose pid is not alive; this process's own only
 * before its first spool_put()).  Those events were never acknowledged.
 * Returns the number removed, or -1 (logged).
 */
long		 spool_clean(struct spool *);

/* Files waiting to be replayed (claimed ones included), or -1. */
long		 spool_count(struct spool *);

/*
 * When the oldest of them was written (its mtime, ms since the epoch),
 * or 0 when there is none (or on error).
 */
int64_t		 spool_oldest_ms(struct spool *);

/*
 * 1 when the spool can take a write now, for /readyz: a small probe file
 * is created, written, synced and removed as spool_put() would, at most
 * once a second (meanwhile, and while another thread probes, the last
 * answer is returned).  Thread-safe; never waits for a replay.
 */
int		 spool_writable(struct spool *);

/*
 * Replay waiting files into store in arrival order, SPOOL_REPLAY_BATCH per
 * transaction, until the spool is empty, the database fails, or max files
 * (0: no limit) are done.  Each file is claimed by an atomic rename so two
 * processes never replay the same one, and deleted only after its commit.
 * A file the database refuses is moved to "rejected/".  Returns the number
 * of files replayed, or -1 when the database failed (the claimed files are
 * put back).
 */
long		 spool_replay(struct spool *, struct store *, long max);

#endif
