/* fcgi.h -- the FastCGI (and plain CGI) transport (the only libfcgi user). */
#ifndef FCGI_H
#define FCGI_H

#include <stddef.h>

#include "handler.h"
#include "writer.h"

/*
 * Prepare the library and the listening socket: path ("/run/x.sock" or
 * "host:port") opens our own, NULL uses the inherited fd 0.  Returns 1 when
 * we are FastCGI, 0 when we were started as plain CGI, -1 on error.
 */
int	fcgi_init(const char *path);

/*
 * Start the responder thread, which answers the requests whose events the
 * writer hands back (ctx->writer must have been made with
 * fcgi_writer_done).  0 or -1 (logged).
 */
int	fcgi_start(const struct handler_ctx *);

/* The writer's writer_done_fn: queue the answers for the responder. */
void	fcgi_writer_done(struct writer_item *, void *);

/*
 * Accept requests on this thread until fcgi_shutdown().  Each request is
 * read (CONTENT_LENGTH exactly, at most max_body) and started; a callback
 * is answered by the responder once its transaction has ended, so that a
 * thread never waits for the database.
 */
void	fcgi_serve(const struct handler_ctx *, size_t max_body);

/* Answer the one CGI request on stdin/stdout.  0 or -1. */
int	fcgi_serve_cgi(const struct handler_ctx *, size_t max_body);

/* Ask every accepting thread to return once its current request is started. */
void	fcgi_shutdown(void);

/*
 * Answer what the writer has handed back and stop the responder; after
 * writer_free(), which hands back every queued event.
 */
void	fcgi_stop(void);

#endif
