/* handler.h -- one request: route, vendor, verify, decode, store, answer. */
#ifndef HANDLER_H
#define HANDLER_H

#include "config.h"
#include "req.h"
#include "resp.h"
#include "spool.h"
#include "writer.h"

struct handler_ctx {
	const struct config	*config;
	struct writer		*writer;
	struct store		*store;		/* for /readyz */
	struct spool		*spool;		/* NULL: answer 503 while the database is away */
};

/*
 * Answer req into resp.  Never fails: every outcome is a status.  Logs one
 * line for every request that is not answered 200.
 */
void	handler_run(const struct handler_ctx *, const struct req *, struct resp *);

#endif
