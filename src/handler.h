/* handler.h -- one request: route, vendor, verify, decode, store, answer. */
#ifndef HANDLER_H
#define HANDLER_H

#include "buf.h"
#include "config.h"
#include "event.h"
#include "metrics.h"
#include "msg.h"
#include "req.h"
#include "resp.h"
#include "spool.h"
#include "vendor.h"
#include "writer.h"

/*
 * One callback between handler_start() and handler_finish(), owned by
 * the transport (embedded in its request): the writer holds item.
 */
struct handler_call {
	struct writer_item	 item;
	struct buf		 row;		/* event_to_row */
	char			 path[REQ_PATH_MAX];
	const struct vendor	*vendor;
	const char		*token;		/* points into path */
	const char		*kind;		/* the event's kind once decoded */
	enum metrics_outcome	 outcome;	/* of a 200 */
	int			 probe;		/* a probe or /metrics: not counted */
};

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
 * Start answering req without waiting for the database: returns 0 when
 * resp is the answer now (a probe, a refusal, a spooled event while the
 * writer stops), 1 when the event is queued in ctx->writer, which hands
 * call->item back through its writer_done_fn; then handler_finish()
 * gives the answer.  req must stay valid until then.
 */
int	handler_start(const struct handler_ctx *, const struct req *,
	    struct resp *, struct handler_call *);
/*
 * The answer for call, which the writer has handed back: from its result,
 * or spooled when the database is away.  Logs a refusal, frees the call.
 */
void	handler_finish(const struct handler_ctx *, const struct req *,
	    struct handler_call *, struct resp *);

/*
 * Everything a callback of vendor v needs before the database, with no
 * I/O: the vendor's settings, method and body checks, decode,
 * authentication (token: the path token or NULL), the event time, the
 * event key and the row that livehook.ingest_rows() takes, appended to
 * row (event_to_row).
 * Returns 0, or -1 with resp set.  Either way *msg is the caller's to
 * msg_free, after ev, whose strings point into it.
 */
int	handler_prepare(const struct config *, const struct req *,
	    const struct vendor *, const char *token, struct msg **,
	    struct event *, struct buf *row, struct resp *);

#endif
