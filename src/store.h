/* store.h -- events into PostgreSQL (the only libpq user). */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

enum store_result {
	STORE_OK,	/* committed */
	STORE_DUP,	/* already stored: a redelivery */
	STORE_RETRY,	/* not durable, or outcome unknown: answer 503 */
	STORE_ERR,	/* the database refused this event itself */
};

/* The schema version this build writes to (sql/schema.sql). */
#define STORE_SCHEMA_VERSION	11

struct store;

/*
 * A store for conninfo ("" uses the PG* environment).  Connects lazily;
 * never fails for an unreachable server.  No wait for the server (connect,
 * statement and its commit) lasts longer than timeout seconds: past it
 * the outcome is unknown (STORE_RETRY), the connection is dropped and the
 * server counts as away for a second, then two, up to thirty.  NULL only
 * when out of memory.
 */
struct store	*store_new(const char *conninfo, int timeout);
void		 store_free(struct store *);

/*
 * Insert a batch in one transaction and one round trip.  batch is a JSON
 * array of events (event_row_json), n elements.  On return res[i] holds the
 * outcome of element i.  If the database rejects the batch as a whole for
 * one bad event, each event is tried alone so that only it fails.
 * Returns 0 when the transaction committed, -1 when nothing is known to
 * be durable (every res[i] is then STORE_RETRY).
 */
int		 store_insert(struct store *, const char *batch, size_t batchlen,
		    size_t n, enum store_result *res);

/*
 * The same for n rows (event_to_row: rows[i], lens[i] bytes), sent to
 * livehook.ingest_rows() as one binary array per column: what the
 * writer commits.  store_insert() takes the spool's JSON.
 */
int		 store_insert_rows(struct store *, const char *const *rows,
		    const size_t *lens, size_t n, enum store_result *res);

/*
 * 1 when the database answers now (reconnecting if needed), else 0;
 * while another thread pings, its last answer at once.
 */
int		 store_ping(struct store *);

/*
 * Add rejection counts (reject_take's JSON array) to livehook.rejections
 * in one statement and its own transaction.  0, or -1 (nothing added;
 * logged once while the server stays away).
 */
int		 store_rejections(struct store *, const char *json);

/*
 * Whether the database is up, for the metrics: store_ping() when the
 * connection is free, else what the writer using it saw last.
 */
int		 store_up(struct store *);

/* The installed schema version, or -1 (logged). */
int		 store_schema_version(struct store *);

/* Whether the server can be reached at all (livehook -t). */
enum store_reach {
	STORE_REACH_UP,		/* the server answers (credentials not checked) */
	STORE_REACH_AWAY,	/* no answer, or it refuses connections for now */
	STORE_REACH_BAD,	/* conninfo itself is unusable (logged) */
};

/* Ask the server whether it accepts connections (PQping), without logging in. */
enum store_reach store_reach(struct store *);

const char	*store_result_name(enum store_result);

#endif
