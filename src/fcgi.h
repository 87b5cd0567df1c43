/* fcgi.h -- the FastCGI (and plain CGI) transport (the only libfcgi user). */
#ifndef FCGI_H
#define FCGI_H

#include <stddef.h>

#include "handler.h"

/*
 * Prepare the library and the listening socket: path ("/run/x.sock" or
 * "host:port") opens our own, NULL uses the inherited fd 0.  Returns 1 when
 * we are FastCGI, 0 when we were started as plain CGI, -1 on error.
 */
int	fcgi_init(const char *path);

/*
 * Serve requests on this thread until fcgi_shutdown().  Each request is
 * read (CONTENT_LENGTH exactly, at most max_body), handled and answered.
 */
void	fcgi_serve(const struct handler_ctx *, size_t max_body);

/* Answer the one CGI request on stdin/stdout.  0 or -1. */
int	fcgi_serve_cgi(const struct handler_ctx *, size_t max_body);

/* Ask every serving thread to return once its current request is done. */
void	fcgi_shutdown(void);

#endif
