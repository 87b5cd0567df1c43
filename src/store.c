/* store.c -- events into PostgreSQL: the only libpq user. */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "buf.h"
#include "event.h"
#include "log.h"
#include "store.h"

/*
 * After a wait ran past the deadline the server counts as away for this
 * long, doubling up to STORE_AWAY_MAX_MS while it stays so: meanwhile
 * every call fails at once (the events go to the spool) instead of each
 * waiting out its own deadline and leaving another abandoned backend.
 */
#define STORE_AWAY_MS		1000
#define STORE_AWAY_MAX_MS	30000

struct store {
	char		*conninfo;
	PGconn		*conn;
	pthread_mutex_t	 mu;		/* one user of conn at a time */
	int		 down;		/* logged the loss; quiet until it is back */
	int		 timeout_ms;	/* each wait: connect, statement */
	int64_t		 away_until;	/* monotonic ms; 0: not away */
	int		 away_ms;	/* the next away period */
	int		 last_ping;	/* store_ping's answer while another pings */
};

static int64_t
store_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct store *
store_new(const char *conninfo, int timeout)
{
	struct store	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->conninfo = strdup(conninfo != NULL ? conninfo : "")) == NULL) {
		log_warn("store: calloc");
		free(s);
		return NULL;
	}
	s->timeout_ms = (timeout > 0 ? timeout : 1) * 1000;
	s->away_ms = STORE_AWAY_MS;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->conn != NULL)
		PQfinish(s->conn);
	pthread_mutex_destroy(&s->mu);
	free(s->conninfo);
	free(s);
}

/*
 * libpq's notice processor: the server's WARNINGs and NOTICEs, and the
 * FATAL it sends before it closes a connection, through log.c (one
 * prefixed line) instead of libpq's fprintf to stderr.
 */
static void
store_notice(void *arg, const char *message)
{
	(void)arg;
	log_warnx("store: server: %s", message);
}

/*
 * Wait until c's socket is ready (POLLIN or POLLOUT in events) or until
 * deadline (monotonic ms).  1 ready, 0 the deadline passed, -1 error.
 */
static int
store_wait(PGconn *c, short events, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 rc;

	if ((pfd.fd = PQsocket(c)) < 0)
		return -1;
	pfd.events = events;
	for (;;) {
		if ((left = deadline - store_now_ms()) <= 0)
			return 0;
		pfd.revents = 0;
		if ((rc = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left)) > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* A wait ran past its deadline: drop the connection, count the server as away. */
static void
store_timed_out(struct store *s, const char *what)
{
	if (!s->down)
		log_warnx("store: %s: no answer within %d s; events go to the "
		    "spool, if there is one, while it stays so", what,
		    s->timeout_ms / 1000);
	s->down = 1;
	if (s->conn != NULL) {
		/*
		 * No PQcancel: it would wait for a frozen server without a
		 * bound.  The abandoned statement may still commit; its
		 * events are spooled too and replay as duplicates.
		 */
		PQfinish(s->conn);
		s->conn = NULL;
	}
	s->away_until = store_now_ms() + s->away_ms;
	if ((s->away_ms *= 2) > STORE_AWAY_MAX_MS)
		s->away_ms = STORE_AWAY_MAX_MS;
}

/*
 * A usable connection, (re)connecting when needed, within the deadline.
 * NULL while the server counts as away.  Called with mu held.
 */
static PGconn *
store_conn(struct store *s)
{
	PostgresPollingStatusType	 st = PGRES_POLLING_WRITING;
	int64_t				 deadline;
	int				 rc;

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK)
		return s->conn;
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	if (s->away_until != 0 && store_now_ms() < s->away_until)
		return NULL;
	deadline = store_now_ms() + s->timeout_ms;
	if ((s->conn = PQconnectStart(s->conninfo)) == NULL) {
		log_warnx("store: connect: out of memory");
		return NULL;
	}
	/* Before the first message: a FATAL at start-up is one line too. */
	PQsetNoticeProcessor(s->conn, store_notice, NULL);
	while (PQstatus(s->conn) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		rc = store_wait(s->conn, st == PGRES_POLLING_READING ? POLLIN :
		    POLLOUT, deadline);
		if (rc == 0) {
			store_timed_out(s, "connect");
			return NULL;
		}
		if (rc == -1)
			break;
		st = PQconnectPoll(s->conn);
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		if (!s->down) {
			log_warnx("store: connect: %s", PQerrorMessage(s->conn));
			s->down = 1;
		}
		PQfinish(s->conn);
		s->conn = NULL;
		return NULL;
	}
	/* Sending a large batch must not block on a server that stopped reading. */
	if (PQsetnonblocking(s->conn, 1) == -1) {
		log_warnx("store: connect: %s", PQerrorMessage(s->conn));
		PQfinish(s->conn);
		s->conn = NULL;
		return NULL;
	}
	if (s->down)
		log_info("store: connected again");
	s->down = 0;
	s->away_until = 0;
	s->away_ms = STORE_AWAY_MS;
	return s->conn;
}

/*
 * Send query with its parameters and wait for its outcome within the
 * deadline.  The result (to PQclear), or NULL: a wait ran past the
 * deadline (logged, the connection dropped) or the connection failed
 * (PQerrorMessage says why).  The outcome is known only once libpq has
 * seen the end of the query (PQgetResult gives NULL): the statement's
 * rows arrive before its implicit commit, which can still fail, so an
 * error after them wins, and a connection lost before the end is a
 * failure, never the rows.  Called with mu held.
 */
static PGresult *
store_exec_params(struct store *s, PGconn *c, const char *what,
    const char *query, int nparams, const Oid *types,
    const char *const *values, const int *lengths, const int *formats)
{
	PGresult	*r, *res = NULL;
	int64_t		 deadline = store_now_ms() + s->timeout_ms;
	int		 rc;

	if (!PQsendQueryParams(c, query, nparams, types, values, lengths,
	    formats, 0))
		return NULL;
	while ((rc = PQflush(c)) == 1) {
		if ((rc = store_wait(c, POLLIN | POLLOUT, deadline)) <= 0)
			goto fail;
		if (!PQconsumeInput(c))
			goto lost;
	}
	if (rc == -1)
		goto lost;
	for (;;) {
		while (PQisBusy(c)) {
			if ((rc = store_wait(c, POLLIN, deadline)) <= 0)
				goto fail;
			if (!PQconsumeInput(c))
				goto lost;
		}
		if ((r = PQgetResult(c)) == NULL)
			break;
		if (res == NULL || PQresultStatus(r) == PGRES_FATAL_ERROR ||
		    PQresultStatus(r) == PGRES_NONFATAL_ERROR) {
			PQclear(res);
			res = r;
		} else
			PQclear(r);
	}
	return res;
fail:
	PQclear(res);
	if (rc == 0)
		store_timed_out(s, what);
	return NULL;
lost:
	PQclear(res);
	return NULL;
}

/* store_exec_params with text parameters of types the server infers. */
static PGresult *
store_exec(struct store *s, PGconn *c, const char *what, const char *query,
    int nparams, const char *const *values)
{
	return store_exec_params(s, c, what, query, nparams, NULL, values,
	    NULL, NULL);
}

/* Forget a connection whose state is unknown; log once. */
static void
store_lost(struct store *s, const char *what, PGresult *res)
{
	if (s->conn == NULL)		/* timed out: store_timed_out logged it */
		return;
	if (!s->down) {
		log_warnx("store: %s: %s", what, res != NULL ?
		    PQresultErrorMessage(res) : PQerrorMessage(s->conn));
		s->down = 1;
	}
	if (PQstatus(s->conn) != CONNECTION_OK || res == NULL) {
		PQfinish(s->conn);
		s->conn = NULL;
	}
}

/* SQLSTATE classes 22 (data exception) and 23 (integrity): the data, not the server. */
static int
store_data_error(const PGresult *res)
{
	const char	*st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return st != NULL && (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0);
}

/*
 * One round trip: the function inserts every element in the statement's
 * own transaction.  Returns 0 (res filled), 1 for a data error, -1.
 */
/*
 * The outcome of ingest()'s statement r (freed here) for a batch of n:
 * 0 (res filled), 1 for a data error, -1 (the connection is lost or its
 * state unknown).
 */
static int
store_result_rows(struct store *s, PGresult *r, size_t n, enum store_result *res)
{
	PGconn		*c = s->conn;
	size_t		 i;
	int		 rows, idx, rc = -1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (r != NULL && c != NULL && PQstatus(c) == CONNECTION_OK &&
		    store_data_error(r)) {
			/*
			 * The primary message only: DETAIL and CONTEXT of a
			 * data error quote the payload, which is not logged.
			 */
			const char	*m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

			log_warnx("store: batch of %zu refused: %s %s", n,
			    PQresultErrorField(r, PG_DIAG_SQLSTATE),
			    m != NULL ? m : "(no message)");
			rc = 1;
		} else
			store_lost(s, "ingest", r);
		goto out;
	}
	rows = PQntuples(r);
	for (i = 0; i < n; i++)
		res[i] = STORE_RETRY;
	for (i = 0; i < (size_t)rows; i++) {
		idx = atoi(PQgetvalue(r, (int)i, 0));
		if (idx < 0 || (size_t)idx >= n)
			continue;
		res[idx] = strcmp(PQgetvalue(r, (int)i, 1), "duplicate") == 0 ?
		    STORE_DUP : STORE_OK;
	}
	rc = 0;
out:
	PQclear(r);
	return rc;
}

/*
 * One round trip: the function inserts every element in the statement's
 * own transaction.  Returns 0 (res filled), 1 for a data error, -1.
 */
static int
store_ingest(struct store *s, const char *batch, size_t n, enum store_result *res)
{
	const char	*values[1] = { batch };
	PGconn		*c;

	if ((c = store_conn(s)) == NULL)
		return -1;
	return store_result_rows(s, store_exec(s, c, "ingest",
	    "SELECT idx, result FROM livehook.ingest($1::jsonb)", 1, values),
	    n, res);
}

/*
 * Split a JSON array of n objects (as writer.c and spool.c build it:
 * elements separated by top-level commas) into element bounds.
 */
static int
store_split(const char *batch, size_t len, size_t n, size_t *start, size_t *end)
{
	size_t	 i, k = 0;
	int	 depth = 0, instr = 0, esc = 0;

	for (i = 0; i < len; i++) {
		char c = batch[i];

		if (instr) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				instr = 0;
			continue;
		}
		if (c == '"')
			instr = 1;
		else if (c == '{' || c == '[') {
			if (depth++ == 1 && k < n)
				start[k] = i;
		} else if (c == '}' || c == ']') {
			if (--depth == 1 && k < n)
				end[k++] = i + 1;
		}
	}
	return k == n ? 0 : -1;
}

/*
 * Stores count events of a batch, from its event i (count is 1 or the
 * whole batch), in one transaction: 0 (res filled), 1 for a data error,
 * -1 when nothing is known, 2 when the events cannot be tried alone.
 */
typedef int	 store_part_fn(struct store *, size_t i, size_t count,
		    enum store_result *res, void *arg);

/*
 * A batch of n through part in one transaction; when the database
 * refuses it for its data, each event alone, so that only the bad one
 * fails.  Called with mu held.  0, or -1 (every res[i] STORE_RETRY).
 */
static int
store_batch(struct store *s, size_t n, enum store_result *res,
    store_part_fn *part, void *arg)
{
	size_t	 i;
	int	 rc, r1;

	if ((rc = part(s, 0, n, res, arg)) == 1) {
		rc = 0;
		for (i = 0; i < n; i++) {
			r1 = n == 1 ? 1 : part(s, i, 1, &res[i], arg);
			if (r1 == 1)
				res[i] = STORE_ERR;
			else if (r1 == 2) {
				rc = -1;
				break;
			} else if (r1 == -1) {
				/* The server went away meanwhile: the rest are unknown. */
				for (; i < n; i++)
					res[i] = STORE_RETRY;
			}
		}
	}
	if (rc != 0)
		for (i = 0; i < n; i++)
			res[i] = STORE_RETRY;
	return rc == 0 ? 0 : -1;
}

/* A JSON batch (store_insert) and, once needed, its elements' bounds. */
struct store_json {
	const char	*batch;
	size_t		 len;
	size_t		 n;
	size_t		*start;
	size_t		*end;
	char		*one;		/* "[element]" */
};

static int
store_json_part(struct store *s, size_t i, size_t count, enum store_result *res,
    void *arg)
{
	struct store_json	*j = arg;
	size_t			 l;

	if (count == j->n)
		return store_ingest(s, j->batch, count, res);
	if (j->one == NULL && ((j->start = calloc(j->n, sizeof(*j->start))) == NULL ||
	    (j->end = calloc(j->n, sizeof(*j->end))) == NULL ||
	    (j->one = malloc(j->len + 3)) == NULL ||
	    store_split(j->batch, j->len, j->n, j->start, j->end) == -1)) {
		free(j->one);
		j->one = NULL;
		return 2;
	}
	l = j->end[i] - j->start[i];
	j->one[0] = '[';
	memcpy(j->one + 1, j->batch + j->start[i], l);
	j->one[l + 1] = ']';
	j->one[l + 2] = '\0';
	return store_ingest(s, j->one, 1, res);
}

int
store_insert(struct store *s, const char *batch, size_t len, size_t n,
    enum store_result *res)
{
	struct store_json	 j = { batch, len, n, NULL, NULL, NULL };
	int			 rc;

	pthread_mutex_lock(&s->mu);
	rc = store_batch(s, n, res, store_json_part, &j);
	pthread_mutex_unlock(&s->mu);
	free(j.start);
	free(j.end);
	free(j.one);
	return rc;
}

/*
 * The array type and element type of each column type (pg_type.dat:
 * built-in OIDs do not change).
 */
static const struct {
	Oid	 array;
	Oid	 elem;
} store_types[] = {
	[EVENT_COL_TEXT] = { 1009, 25 },	/* text[] */
	[EVENT_COL_FLOAT8] = { 1022, 701 },	/* float8[] */
	[EVENT_COL_INT8] = { 1016, 20 },	/* int8[] */
	[EVENT_COL_INT4] = { 1007, 23 },	/* int4[] */
	[EVENT_COL_JSONB] = { 3807, 3802 },	/* jsonb[] */
};

/*
 * The n rows as one binary array per column, in a (array_recv's format:
 * dimensions, flags, element type, size and lower bound, then each
 * element as it is in the row), their starts in off.  Hand-written
 * because libpq has no encoder for binary arrays.  0, or -1 when a row
 * is short or memory ran out.
 */
static int
store_columns(struct buf *a, size_t *off, const char *const *rows,
    const size_t *lens, size_t n, size_t *cur)
{
	size_t		 i, j;
	uint32_t	 len;

	buf_reset(a);
	for (i = 0; i < n; i++)
		cur[i] = 0;
	for (j = 0; j < EVENT_COLUMNS; j++) {
		off[j] = a->len;
		buf_add_be(a, 1, 4);
		buf_add_be(a, 0, 4);
		buf_add_be(a, store_types[event_columns[j].type].elem, 4);
		buf_add_be(a, (uint32_t)n, 4);
		buf_add_be(a, 1, 4);
		for (i = 0; i < n; i++) {
			const unsigned char *p = (const unsigned char *)rows[i] + cur[i];

			if (lens[i] - cur[i] < 4)
				return -1;
			len = (uint32_t)buf_get_be(p, 4);
			if (len != UINT32_MAX && lens[i] - cur[i] - 4 < len)
				return -1;
			len = len == UINT32_MAX ? 4 : len + 4;
			buf_add(a, p, len);
			cur[i] += len;
		}
	}
	for (i = 0; i < n; i++)
		if (cur[i] != lens[i])
			return -1;
	return a->failed ? -1 : 0;
}

/*
 * One round trip: ingest_rows() inserts the rows in the statement's own
 * transaction.  Returns 0 (res filled), 1 for a data error, -1.
 */
/* ingest_rows()'s statement and its parameters' types and formats. */
static char		 store_rows_query[512];
static Oid		 store_rows_types[EVENT_COLUMNS];
static int		 store_rows_formats[EVENT_COLUMNS];
static pthread_once_t	 store_rows_once = PTHREAD_ONCE_INIT;

static void
store_rows_init(void)
{
	size_t	 i, q;

	q = (size_t)snprintf(store_rows_query, sizeof(store_rows_query),
	    "SELECT idx, result FROM livehook.ingest_rows(");
	for (i = 0; i < EVENT_COLUMNS; i++) {
		store_rows_types[i] = store_types[event_columns[i].type].array;
		store_rows_formats[i] = 1;
		q += (size_t)snprintf(store_rows_query + q,
		    sizeof(store_rows_query) - q, "%s$%zu", i > 0 ? ", " : "", i + 1);
	}
	snprintf(store_rows_query + q, sizeof(store_rows_query) - q, ")");
}

static int
store_ingest_rows(struct store *s, const char *const *rows,
    const size_t *lens, size_t n, enum store_result *res)
{
	const char	*values[EVENT_COLUMNS];
	int		 lengths[EVENT_COLUMNS];
	size_t		 off[EVENT_COLUMNS], *cur, i;
	struct buf	 a = BUF_INIT;
	int		 rc = -1;

	pthread_once(&store_rows_once, store_rows_init);
	if (store_conn(s) == NULL)
		return -1;
	if ((cur = calloc(n, sizeof(*cur))) == NULL ||
	    store_columns(&a, off, rows, lens, n, cur) == -1) {
		log_warnx("store: a batch of %zu rows: %s", n, cur == NULL ||
		    a.failed ? "out of memory" : "a row is not one");
		goto out;
	}
	for (i = 0; i < EVENT_COLUMNS; i++) {
		values[i] = a.data + off[i];
		lengths[i] = (int)((i + 1 < EVENT_COLUMNS ? off[i + 1] : a.len) - off[i]);
	}
	rc = store_result_rows(s, store_exec_params(s, s->conn, "ingest",
	    store_rows_query, EVENT_COLUMNS, store_rows_types, values, lengths,
	    store_rows_formats), n, res);
out:
	free(cur);
	buf_free(&a);
	return rc;
}

/* The rows of a batch (store_insert_rows). */
struct store_rows {
	const char *const	*rows;
	const size_t		*lens;
};

static int
store_rows_part(struct store *s, size_t i, size_t count, enum store_result *res,
    void *arg)
{
	struct store_rows	*r = arg;

	return store_ingest_rows(s, &r->rows[i], &r->lens[i], count, res);
}

int
store_insert_rows(struct store *s, const char *const *rows, const size_t *lens,
    size_t n, enum store_result *res)
{
	struct store_rows	 r = { rows, lens };
	int			 rc;

	pthread_mutex_lock(&s->mu);
	rc = store_batch(s, n, res, store_rows_part, &r);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
store_ping(struct store *s)
{
	PGconn		*c;
	PGresult	*r;
	int		 ok = 0;

	/* Probes never queue behind each other: one asks, the rest hear. */
	if (pthread_mutex_trylock(&s->mu) != 0)
		return s->last_ping;
	if ((c = store_conn(s)) != NULL) {
		r = store_exec(s, c, "ping", "SELECT 1", 0, NULL);
		ok = PQresultStatus(r) == PGRES_TUPLES_OK;
		if (!ok)
			store_lost(s, "ping", r);
		PQclear(r);
	}
	s->last_ping = ok;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

int
store_rejections(struct store *s, const char *json)
{
	const char	*values[1] = { json };
	PGconn		*c;
	PGresult	*r = NULL;
	int		 rc = -1;

	pthread_mutex_lock(&s->mu);
	if ((c = store_conn(s)) == NULL)
		goto out;
	r = store_exec(s, c, "rejections",
	    "SELECT livehook.count_rejections($1::jsonb)", 1, values);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (r != NULL && PQstatus(c) == CONNECTION_OK) {
			/* Refused, not lost: trying again would not help. */
			const char	*st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			const char	*m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

			log_warnx("store: rejection counts refused: %s %s",
			    st != NULL ? st : "-", m != NULL ? m : "(no message)");
			rc = 0;
		} else
			store_lost(s, "rejections", r);
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
store_up(struct store *s)
{
	int	 busy, down;

	if ((busy = pthread_mutex_trylock(&s->mu)) == 0) {
		pthread_mutex_unlock(&s->mu);
		return store_ping(s);
	}
	/* The writer holds it: its last outcome (a racy read of an int is fine here). */
	down = __atomic_load_n(&s->down, __ATOMIC_RELAXED);
	return !down;
}

int
store_schema_version(struct store *s)
{
	PGconn		*c;
	PGresult	*r = NULL;
	int		 v = -1;

	pthread_mutex_lock(&s->mu);
	if ((c = store_conn(s)) == NULL) {
		log_warnx("store: the database does not answer");
		goto out;
	}
	r = store_exec(s, c, "schema version",
	    "SELECT max(version) FROM livehook.schema_version", 0, NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
	    PQgetisnull(r, 0, 0)) {
		log_warnx("store: no livehook schema: %s", PQresultErrorMessage(r));
		goto out;
	}
	v = atoi(PQgetvalue(r, 0, 0));
out:
	PQclear(r);
	pthread_mutex_unlock(&s->mu);
	return v;
}

enum store_reach
store_reach(struct store *s)
{
	PQconninfoOption	*opts;
	char			*err = NULL;

	/* A syntax error is the configuration's, not the server's. */
	if ((opts = PQconninfoParse(s->conninfo, &err)) == NULL) {
		log_warnx("store: conninfo: %s", err != NULL ? err : "out of memory");
		PQfreemem(err);
		return STORE_REACH_BAD;
	}
	PQconninfoFree(opts);
	switch (PQping(s->conninfo)) {
	case PQPING_OK:
		return STORE_REACH_UP;
	case PQPING_REJECT:
	case PQPING_NO_RESPONSE:
		return STORE_REACH_AWAY;
	case PQPING_NO_ATTEMPT:
	default:
		log_warnx("store: conninfo: libpq makes no connection attempt with it");
		return STORE_REACH_BAD;
	}
}

const char *
store_result_name(enum store_result r)
{
	switch (r) {
	case STORE_OK:	  return "ok";
	case STORE_DUP:	  return "duplicate";
	case STORE_ERR:	  return "refused";
	case STORE_RETRY: return "retry";
	}
	return "?";
}
