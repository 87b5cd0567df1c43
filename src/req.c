/* req.c -- an HTTP request as the responder sees it, independent of FastCGI. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "req.h"

const char *
req_param(const struct req *r, const char *name)
{
	if (r->param == NULL)
		return NULL;
	return r->param(r->param_ctx, name);
}

/*
 * Web servers split the path differently (lighttpd and nginx put the
 * prefix in SCRIPT_NAME, Apache's mod_proxy_fcgi may put it all in
 * PATH_INFO or only in REQUEST_URI); joining them gives the same path.
 */
int
req_path(const struct req *r, char *buf, size_t bufsz)
{
	const char	*sn, *pi, *uri, *q;
	size_t		 snlen, pilen, len;

	sn = req_param(r, "SCRIPT_NAME");
	pi = req_param(r, "PATH_INFO");
	snlen = sn != NULL ? strlen(sn) : 0;
	pilen = pi != NULL ? strlen(pi) : 0;
	if (snlen + pilen == 0) {
		if ((uri = req_param(r, "REQUEST_URI")) == NULL)
			uri = "";
		q = strchr(uri, '?');
		len = q != NULL ? (size_t)(q - uri) : strlen(uri);
		if (len >= bufsz)
			return -1;
		memcpy(buf, uri, len);
		buf[len] = '\0';
		return 0;
	}
	if (snlen + pilen >= bufsz)
		return -1;
	memcpy(buf, sn != NULL ? sn : "", snlen);
	memcpy(buf + snlen, pi != NULL ? pi : "", pilen);
	buf[snlen + pilen] = '\0';
	return 0;
}

int
req_content_length(const char *raw, size_t max, size_t *out)
{
	unsigned long long	 v;
	char			*end;
	const char		*p;

	if (raw == NULL || *raw == '\0')
		return -1;
	/* RFC 9110 section 8.6: 1*DIGIT, nothing else. */
	for (p = raw; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -2;
	if (p - raw > 19)
		return -3;
	errno = 0;
	v = strtoull(raw, &end, 10);
	if (errno != 0)
		return -3;
	if (v > max)
		return -3;
	*out = (size_t)v;
	return 0;
}
