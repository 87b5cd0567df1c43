/* resp.h -- the answer to a request: a status and a JSON body, independent of FastCGI. */
#ifndef RESP_H
#define RESP_H

#include <stddef.h>

#include "buf.h"

#define RESP_MESSAGE_MAX	256

struct resp {
	int		 status;			/* HTTP status */
	char		 message[RESP_MESSAGE_MAX];	/* reason, ASCII, no quotes */
	const char	*body;	/* a static JSON body replacing the usual one, or NULL */
	/* A body other than the JSON one (/metrics), malloc'd; NULL: JSON. */
	char		*text;
	size_t		 text_len;
	const char	*text_type;			/* its Content-Type */
};

/* Set status and reason (printf-style). */
void		 resp_set(struct resp *, int status, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* Free text, if any (the answer is the JSON one again). */
void		 resp_clear(struct resp *);
/* The status line text, e.g. "Bad Request". */
const char	*resp_status_text(int status);
/* Append the body {"code":<0 or status>,"message":"<reason>"} to b. */
void		 resp_json(const struct resp *, struct buf *);

#endif
