/* vendor.h -- the table of vendors: decode and authenticate one callback. */
#ifndef VENDOR_H
#define VENDOR_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "req.h"
#include "resp.h"

enum vendor_method {
	VENDOR_GET = 1 << 0,
	VENDOR_POST = 1 << 1,
};

/*
 * The per-request work of one vendor.
 *
 * decode: parse the request (body or query) into *msg (owned by the
 * caller, msg_free) and fill ev: identity, kind, times, details, payload.
 * vc holds the vendor section's settings (units).  Returns 0, or -1 with
 * resp set (400 for malformed input).
 *
 * verify: check the vendor's signature of the decoded message with the
 * effective settings vc (already chosen for ev->domain) at time now (s).
 * Returns 1 when a valid signature was checked, 0 when the message
 * carries no signature, -1 with resp set (403) when it is wrong, expired
 * or refused.  Path tokens and allow_unsigned are the caller's (vendor.c).
 * A vendor that signs nothing but sends a static credential the
 * operator configured (IVS: a header value) returns 2 when it matched,
 * and the event's auth is "token".
 */
struct vendor {
	const char	*name;
	unsigned	 methods;	/* enum vendor_method bits */
	int		(*decode)(const struct req *, const struct config_vendor *,
			    struct msg **, struct event *, struct resp *);
	int		(*verify)(const struct req *, const struct msg *,
			    const struct event *, const struct config_vendor *,
			    int64_t now, struct resp *);
	/*
	 * after authentication, with the settings for ev->domain:
	 * may this event be accepted (signed publish URLs)?  0, or -1 with
	 * resp set (403).  NULL: always.
	 */
	int		(*authorize)(const struct req *, const struct msg *,
			    const struct event *, const struct config_vendor *,
			    int64_t now, struct resp *);
};

/* The vendor named by len bytes of name, or NULL. */
const struct vendor	*vendor_find(const char *name, size_t len);

/*
 * Authenticate: with a path token (token may be NULL), the vendor's
 * signature, or allow_unsigned, as SPEC section 4.  Sets ev->auth.
 * Returns 0, or -1 with resp set (403).
 */
int	vendor_authenticate(const struct vendor *, const struct req *,
	    const struct msg *, struct event *, const struct config_vendor *,
	    const char *token, int64_t now, struct resp *);

/* Shared checks for the vendor files. */

/*
 * The n strings of part one after the other into out (outsz bytes,
 * NUL-terminated): the length, or -1 when they do not fit.  What the
 * signers did with snprintf("%s%s..."), without its format parsing
 * (about 1,200 instructions a call).
 */
int	vendor_join(char *out, size_t outsz, const char *const *part, size_t n);
/* Issue-time stamp: |now - ts| <= tolerance.  0, or -1 with resp set. */
int	vendor_check_issued(int64_t ts, int64_t now,
	    const struct config_vendor *, struct resp *);
/* Expiry stamp: now <= ts + tolerance and ts <= now + max_ahead. */
int	vendor_check_expiry(int64_t ts, int64_t now,
	    const struct config_vendor *, struct resp *);
/*
 * A non-negative integer field (a number or a numeric string): 0 with
 * *out set, 1 when absent, -1 with resp set (400 "<key> is not a valid
 * <what>").
 */
int	vendor_num(const struct msg *, const char *key, const char *what,
	    int64_t *out, struct resp *);
/*
 * The stream identity is complete: 0, or -1 with resp set (400 naming
 * the vendor's key of the first of domain, app, stream that is missing).
 */
int	vendor_require_identity(const struct event *, const char *domain_key,
	    const char *app_key, const char *stream_key, struct resp *);

/* The vendor decoders, one file each. */
extern const struct vendor vendor_aliyun;
extern const struct vendor vendor_huawei;
extern const struct vendor vendor_jdcloud;
extern const struct vendor vendor_tencent;
extern const struct vendor vendor_srs;
extern const struct vendor vendor_nginx_rtmp;

/*
 * signed publish URLs (SPEC section 4): query qs (len bytes,
 * an optional leading '?') carries expires and sign =
 * hex HMAC-SHA256(publish_key, app "/" stream ":" expires), any listed
 * key, now <= expires.  0, or -1 with resp set (403).
 */
int	vendor_check_publish(const char *qs, size_t len, const struct event *,
	    const struct config_vendor *, int64_t now, struct resp *);
/*
 * the start time a recording's file name carries: the last run
 * of 13 digits (ms, SRS [timestamp]) or 10 digits (s, nginx-rtmp
 * record_unique) in its base name, in ms; EVENT_UNSET when none.  Also
 * the lower-case extension into fmt.
 */
int64_t	vendor_file_time(const char *path, char *fmt, size_t fmtsz);
extern const struct vendor vendor_ivs;
extern const struct vendor vendor_mux;

#endif
