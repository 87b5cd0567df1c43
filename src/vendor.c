/* vendor.c -- the table of vendors, and what every vendor shares: tokens, unsigned policy, timestamp windows. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "sig.h"
#include "vendor.h"

/* app "/" stream ":" expires, at most (names are cut at 256 by nginx-rtmp). */
#define VENDOR_SIGNED_MAX	1024

/* Adding a vendor: one file, one line here, one folder of fixtures. */
static const struct vendor *const vendor_table[] = {
	&vendor_aliyun,
	&vendor_huawei,
	&vendor_jdcloud,
	&vendor_tencent,
	&vendor_srs,
	&vendor_nginx_rtmp,
	&vendor_ivs,
	&vendor_mux,
};

const struct vendor *
vendor_find(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(vendor_table) / sizeof(vendor_table[0]); i++)
		if (strlen(vendor_table[i]->name) == len &&
		    memcmp(vendor_table[i]->name, name, len) == 0)
			return vendor_table[i];
	return NULL;
}

/* Constant-time equality of two byte strings (the length may leak). */
static int
vendor_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char	 d = 0;
	size_t		 i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

int
vendor_authenticate(const struct vendor *v, const struct req *req,
    const struct msg *msg, struct event *ev, const struct config_vendor *vc,
    const char *token, int64_t now, struct resp *resp)
{
	size_t	 i;
	int	 ok = 0, rc;

	if (token != NULL) {
		/* Compare with every token so the time does not tell which. */
		for (i = 0; i < vc->ntokens; i++)
			ok |= vendor_equal(token, strlen(token), vc->tokens[i],
			    strlen(vc->tokens[i]));
		if (!ok) {
			resp_set(resp, 403, "wrong path token");
			return -1;
		}
		ev->auth = EVENT_AUTH_TOKEN;
		return 0;
	}
	rc = v->verify != NULL ? v->verify(req, msg, ev, vc, now, resp) : 0;
	if (rc == -1)
		return -1;
	if (rc == 1) {
		ev->auth = EVENT_AUTH_SIGNATURE;
		return 0;
	}
	if (rc == 2) {
		ev->auth = EVENT_AUTH_TOKEN;
		return 0;
	}
	if (vc->allow_unsigned == 1) {
		ev->auth = EVENT_AUTH_UNSIGNED;
		return 0;
	}
	if (vc->ntokens > 0 && vc->nkeys == 0)
		resp_set(resp, 403, "path token missing");
	else
		resp_set(resp, 403, "signature missing");
	return -1;
}

int
vendor_join(char *out, size_t outsz, const char *const *part, size_t n)
{
	size_t	 len = 0, l, i;

	for (i = 0; i < n; i++) {
		/* What glibc's printf("%s") writes for NULL, as before. */
		const char *s = part[i] != NULL ? part[i] : "(null)";

		l = strlen(s);
		if (l >= outsz - len)
			return -1;
		memcpy(out + len, s, l);
		len += l;
	}
	if (outsz == 0)
		return -1;
	out[len] = '\0';
	return (int)len;
}

int
vendor_check_issued(int64_t ts, int64_t now, const struct config_vendor *vc,
    struct resp *resp)
{
	long	 tol = vc->tolerance >= 0 ? vc->tolerance : CONFIG_TOLERANCE_DEFAULT;

	if (ts < now - tol || ts > now + tol) {
		resp_set(resp, 403, "timestamp outside the %ld s window", tol);
		return -1;
	}
	return 0;
}

int
vendor_check_expiry(int64_t ts, int64_t now, const struct config_vendor *vc,
    struct resp *resp)
{
	long	 tol = vc->tolerance >= 0 ? vc->tolerance : CONFIG_TOLERANCE_DEFAULT;
	long	 ahead = vc->max_ahead >= 0 ? vc->max_ahead : CONFIG_MAX_AHEAD_DEFAULT;

	if (now > ts + tol) {
		resp_set(resp, 403, "signature expired");
		return -1;
	}
	if (ts > now + ahead) {
		resp_set(resp, 403, "timestamp too far in the future");
		return -1;
	}
	return 0;
}

int
vendor_num(const struct msg *m, const char *key, const char *what,
    int64_t *out, struct resp *resp)
{
	int64_t	 v;
	int	 rc = msg_i64(m, key, &v);

	if (rc == 1)
		return 1;
	if (rc == -1 || v < 0) {
		resp_set(resp, 400, "%s is not a valid %s", key, what);
		return -1;
	}
	*out = v;
	return 0;
}

int
vendor_require_identity(const struct event *ev, const char *domain_key,
    const char *app_key, const char *stream_key, struct resp *resp)
{
	const char	*missing = NULL;

	if (ev->domain == NULL || *ev->domain == '\0')
		missing = domain_key;
	else if (ev->app == NULL || *ev->app == '\0')
		missing = app_key;
	else if (ev->stream == NULL || *ev->stream == '\0')
		missing = stream_key;
	if (missing == NULL)
		return 0;
	resp_set(resp, 400, "%s missing", missing);
	return -1;
}

/* signed publish URLs, shared by srs and nginx-rtmp (SPEC section 4). */
int
vendor_check_publish(const char *qs, size_t len, const struct event *ev,
    const struct config_vendor *vc, int64_t now, struct resp *resp)
{
	char		 in[VENDOR_SIGNED_MAX], hex[SIG_SHA256_HEX + 1];
	const char	*err, *sign, *et;
	struct msg	*q = NULL;
	int64_t		 expires;
	size_t		 i;
	int		 ok = 0, n, rc = -1;

	if (vc->npublish_keys == 0)
		return 0;
	if (qs != NULL && len > 0 && *qs == '?') {
		qs++;
		len--;
	}
	if (qs == NULL || len == 0 ||
	    (q = msg_parse_query(qs, len, &err)) == NULL ||
	    (sign = msg_str(q, "sign")) == NULL ||
	    (et = msg_str(q, "expires")) == NULL) {
		resp_set(resp, 403, "publish not signed");
		goto out;
	}
	if (msg_i64(q, "expires", &expires) != 0) {
		resp_set(resp, 403, "publish expires is not a number");
		goto out;
	}
	if (now > expires) {
		resp_set(resp, 403, "publish signature expired");
		goto out;
	}
	{
		const char *part[] = { ev->app != NULL ? ev->app : "", "/",
		    ev->stream != NULL ? ev->stream : "", ":", et };

		n = vendor_join(in, sizeof(in), part, 5);
	}
	if (n < 0) {
		resp_set(resp, 403, "publish name too long to sign");
		goto out;
	}
	for (i = 0; i < vc->npublish_keys; i++)
		if (sig_hmac_sha256_hex(vc->publish_keys[i],
		    strlen(vc->publish_keys[i]), in, (size_t)n, hex) == 0)
			ok |= sig_hex_equal(hex, sign, msg_strlen(q, "sign"));
	if (!ok) {
		resp_set(resp, 403, "wrong publish signature");
		goto out;
	}
	rc = 0;
out:
	msg_free(q);
	return rc;
}

int64_t
vendor_file_time(const char *path, char *fmt, size_t fmtsz)
{
	const char	*base, *dot, *p, *run = NULL;
	size_t		 runlen = 0, k;
	int64_t		 v = 0;

	if (fmtsz > 0)
		fmt[0] = '\0';
	if (path == NULL)
		return EVENT_UNSET;
	base = (base = strrchr(path, '/')) != NULL ? base + 1 : path;
	if ((dot = strrchr(base, '.')) != NULL && fmtsz > 0) {
		for (k = 0; dot[1 + k] != '\0' && k < fmtsz - 1; k++)
			fmt[k] = (char)tolower((unsigned char)dot[1 + k]);
		fmt[k] = '\0';
	}
	if (dot == NULL)
		dot = base + strlen(base);
	/* The last run of exactly 10 or 13 digits before the extension. */
	for (p = base; p < dot;) {
		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		for (k = 0; p + k < dot && isdigit((unsigned char)p[k]); k++)
			;
		if (k == 10 || k == 13) {
			run = p;
			runlen = k;
		}
		p += k;
	}
	if (run == NULL)
		return EVENT_UNSET;
	for (k = 0; k < runlen; k++)
		v = v * 10 + (run[k] - '0');
	return runlen == 10 ? v * 1000 : v;
}
