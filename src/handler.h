/* handler.h -- one request: route, vendor, verify, decode, store, answer. */
#ifndef HANDLER_H
#define HANDLER_H

#include "buf.h"
#include "config.h"
#include "event.h"
#include "msg.h"
#include "req.h"
#include "resp.h"
#include "spool.h"
#include "vendor.h"
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

/*
 * Everything a callback of vendor v needs before the database, with no
 * I/O: the vendor's settings, method and body checks, decode,
 * authentication (token: the path token or NULL), the event time, the
 * event key and the JSON that livehook.ingest() takes, appended to json.
 * Returns 0, or -1 with resp set.  Either way *msg is the caller's to
 * msg_free, after ev, whose strings point into it.
 */
int	handler_prepare(const struct config *, const struct req *,
	    const struct vendor *, const char *token, struct msg **,
	    struct event *, struct buf *json, struct resp *);

#endif
