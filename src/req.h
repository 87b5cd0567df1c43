/* req.h -- an HTTP request as the responder sees it, independent of FastCGI. */
#ifndef REQ_H
#define REQ_H

#include <stddef.h>
#include <stdint.h>

/* Longest path routed; longer is 404. */
#define REQ_PATH_MAX	1024

/*
 * A request.  The transport (fcgi.c) fills it and owns every pointer in
 * it until the request is finished; nothing here outlives the request.
 */
struct req {
	/* look up a CGI/1.1 meta-variable (RFC 3875 section 4.1) */
	const char	*(*param)(void *ctx, const char *name);
	void		*param_ctx;

	const char	*method;	/* REQUEST_METHOD */
	const char	*query;		/* QUERY_STRING, never NULL */
	const char	*remote_addr;	/* REMOTE_ADDR, never NULL */
	const char	*content_length; /* raw CONTENT_LENGTH, NULL if absent */
	const char	*body;		/* exactly body_len bytes, NUL-terminated */
	size_t		 body_len;
	int64_t		 received_at;	/* ms since the epoch */
	int64_t		 started_us;	/* monotonic us at accept; 0: unknown */

	/*
	 * Set by the transport when the body could not be read as
	 * CONTENT_LENGTH says: 400 (short), 411 (missing), 413 (too large).
	 */
	int		 body_status;
	const char	*body_reason;
};

/* A meta-variable such as "HTTP_HOST", or NULL. */
const char	*req_param(const struct req *, const char *name);

/*
 * The request path to route on: SCRIPT_NAME + PATH_INFO, or REQUEST_URI
 * without its query when both are empty.  Written to buf (NUL-terminated).
 * 0, or -1 when it does not fit.
 */
int		 req_path(const struct req *, char *buf, size_t bufsz);

/*
 * Parse CONTENT_LENGTH with bounds: 0 and the value, -1 when absent,
 * -2 when not a number, -3 when above max.
 */
int		 req_content_length(const char *raw, size_t max, size_t *out);

#endif
