/* store.c -- events into PostgreSQL: the only libpq user. */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "store.h"

struct store {
	char		*conninfo;
	PGconn		*conn;
	pthread_mutex_t	 mu;		/* one user of conn at a time */
	int		 down;		/* logged the loss; quiet until it is back */
};

struct store *
store_new(const char *conninfo)
{
	struct store	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->conninfo = strdup(conninfo != NULL ? conninfo : "")) == NULL) {
		log_warn("store: calloc");
		free(s);
		return NULL;
	}
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

/* A usable connection, (re)connecting when needed.  Called with mu held. */
static PGconn *
store_conn(struct store *s)
{
	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK)
		return s->conn;
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = PQconnectdb(s->conninfo);
	if (s->conn != NULL)
		PQsetNoticeProcessor(s->conn, store_notice, NULL);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		if (!s->down) {
			log_warnx("store: connect: %s", PQerrorMessage(s->conn));
			s->down = 1;
		}
		PQfinish(s->conn);
		s->conn = NULL;
		return NULL;
	}
	if (s->down)
		log_info("store: connected again");
	s->down = 0;
	return s->conn;
}

/* Forget a connection whose state is unknown; log once. */
static void
store_lost(struct store *s, const char *what, PGresult *res)
{
	if (!s->down) {
		log_warnx("store: %s: %s", what, res != NULL ?
		    PQresultErrorMessage(res) : PQerrorMessage(s->conn));
		s->down = 1;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
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
static int
store_ingest(struct store *s, const char *batch, size_t n, enum store_result *res)
{
	const char	*values[1] = { batch };
	PGconn		*c;
	PGresult	*r;
	size_t		 i;
	int		 rows, idx, rc = -1;

	if ((c = store_conn(s)) == NULL)
		return -1;
	r = PQexecParams(c, "SELECT idx, result FROM livehook.ingest($1::jsonb)",
	    1, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (PQstatus(c) == CONNECTION_OK && store_data_error(r)) {
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

int
store_insert(struct store *s, const char *batch, size_t len, size_t n,
    enum store_result *res)
{
	size_t		*start = NULL, *end = NULL, i;
	char		*one = NULL;
	int		 rc;

	pthread_mutex_lock(&s->mu);
	rc = store_ingest(s, batch, n, res);
	if (rc == 1 && n == 1) {
		res[0] = STORE_ERR;
		rc = 0;
	}
	if (rc != 1)
		goto out;
	/* One bad event: try each alone so that only it fails. */
	if ((start = calloc(n, sizeof(*start))) == NULL ||
	    (end = calloc(n, sizeof(*end))) == NULL ||
	    (one = malloc(len + 3)) == NULL ||
	    store_split(batch, len, n, start, end) == -1) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		int	 r1;

		one[0] = '[';
		memcpy(one + 1, batch + start[i], end[i] - start[i]);
		one[end[i] - start[i] + 1] = ']';
		one[end[i] - start[i] + 2] = '\0';
		r1 = store_ingest(s, one, 1, &res[i]);
		if (r1 == 1)
			res[i] = STORE_ERR;
		else if (r1 == -1) {
			/* The server went away meanwhile: the rest are unknown. */
			for (; i < n; i++)
				res[i] = STORE_RETRY;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		for (i = 0; i < n; i++)
			res[i] = STORE_RETRY;
	pthread_mutex_unlock(&s->mu);
	free(start);
	free(end);
	free(one);
	return rc == -1 ? -1 : 0;
}

int
store_ping(struct store *s)
{
	PGconn		*c;
	PGresult	*r;
	int		 ok = 0;

	pthread_mutex_lock(&s->mu);
	if ((c = store_conn(s)) != NULL) {
		r = PQexec(c, "SELECT 1");
		ok = PQresultStatus(r) == PGRES_TUPLES_OK;
		if (!ok)
			store_lost(s, "ping", r);
		PQclear(r);
	}
	pthread_mutex_unlock(&s->mu);
	return ok;
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
	r = PQexec(c, "SELECT max(version) FROM livehook.schema_version");
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
