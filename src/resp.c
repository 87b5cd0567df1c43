/* resp.c -- the answer to a request: a status and a JSON body. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "resp.h"

void
resp_set(struct resp *r, int status, const char *fmt, ...)
{
	va_list	 ap;

	r->status = status;
	r->body = NULL;
	/* Most reasons are constant: no printf on every answer. */
	if (strchr(fmt, '%') == NULL) {
		size_t	 n = strlen(fmt);

		if (n >= sizeof(r->message))
			n = sizeof(r->message) - 1;
		memcpy(r->message, fmt, n);
		r->message[n] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

void
resp_clear(struct resp *r)
{
	free(r->text);
	r->text = NULL;
	r->text_len = 0;
	r->text_type = NULL;
}

const char *
resp_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

void
resp_json(const struct resp *r, struct buf *b)
{
	/* Success is code 0, which Tencent's and SRS-style callers expect. */
	if (r->body != NULL) {
		buf_adds(b, r->body);
		return;
	}
	buf_adds(b, "{\"code\":");
	buf_i64(b, r->status == 200 ? 0 : r->status);
	buf_adds(b, ",\"message\":");
	buf_json_str(b, r->message, strlen(r->message));
	buf_addc(b, '}');
}
