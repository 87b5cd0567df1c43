/* resp.h -- the answer to a request: a status and a JSON body, independent of FastCGI. */
#ifndef RESP_H
#define RESP_H

#include <stddef.h>

#include "buf.h"

#define RESP_MESSAGE_MAX	256

struct resp {
	int	 status;			/* HTTP status */
	char	 message[RESP_MESSAGE_MAX];	/* reason, ASCII, no quotes */
	const char *body;	/* a static JSON body replacing the usual one, or NULL */
};

/* Set status and reason (printf-style). */
void		 resp_set(struct resp *, int status, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* The status line text, e.g. "Bad Request". */
const char	*resp_status_text(int status);
/* Append the body {"code":<0 or status>,"message":"<reason>"} to b. */
void		 resp_json(const struct resp *, struct buf *);

#endif
