/* vendor_huawei.c -- Huawei Cloud Live: publish notifications and record callbacks (vendors.md section 2). */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "sig.h"
#include "vendor.h"

/* Longest key + timestamp signed (keys are 32-128 characters). */
#define HUAWEI_SIGNED_MAX	1024

/* Record events, seed 003 / live_01_0035. */
static const struct {
	const char	*name;
	enum event_kind	 kind;
} huawei_record_events[] = {
	{ "RECORD_START", EVENT_RECORD_STARTED },
	{ "RECORD_NEW_FILE_START", EVENT_RECORD_FILE_STARTED },
	{ "RECORD_FILE_COMPLETE", EVENT_RECORD_FILE_COMPLETE },
	{ "RECORD_OVER", EVENT_RECORD_OVER },
	{ "RECORD_FAILED", EVENT_RECORD_FAILED },
};

/* The text of auth_timestamp as sent: a string, or a JSON number. */
static const char *
huawei_ts_text(const struct msg *m)
{
	const char	*s;

	if ((s = msg_str(m, "auth_timestamp")) != NULL)
		return s;
	return msg_json(m, "auth_timestamp");
}

static int
huawei_identity(const struct msg *m, const char *domain_key, struct event *ev,
    struct resp *resp)
{
	ev->domain = msg_str(m, domain_key);
	ev->app = msg_str(m, "app");
	ev->stream = msg_str(m, "stream");
	return vendor_require_identity(ev, domain_key, "app", "stream", resp);
}

/*
 * When the message has no time of its own: auth_timestamp (the samples
 * show it is the send time), else the receive time.
 */
static int
huawei_fallback_time(const struct msg *m, struct event *ev, struct resp *resp)
{
	int64_t	 ts;
	int	 rc = msg_i64(m, "auth_timestamp", &ts);

	if (rc == -1 || (rc == 0 && (ts < 0 || ts > INT64_MAX / 1000))) {
		resp_set(resp, 400, "auth_timestamp is not a valid number");
		return -1;
	}
	if (rc == 0)
		ev->event_time = ts * 1000;
	return 0;
}

/* PUBLISH / PUBLISH_DONE (live_01_0043). */
static int
huawei_decode_publish(const struct msg *m, const char *event, struct event *ev,
    struct resp *resp)
{
	const char	*pt;
	int64_t		 t;

	ev->kind = strcmp(event, "PUBLISH") == 0 ? EVENT_PUBLISH : EVENT_UNPUBLISH;
	if (huawei_identity(m, "domain", ev, resp) == -1)
		return -1;
	ev->params = msg_str(m, "user_args");
	if (ev->params == NULL)
		ev->params = msg_str(m, "usr_args");	/* seed 004, older name */
	ev->client_ip = msg_str(m, "client_ip");
	ev->node = msg_str(m, "node_ip");
	/* publish_timestamp: the session key, the same in both events. */
	if ((pt = msg_str(m, "publish_timestamp")) != NULL) {
		ev->session_key = pt;
		if (msg_i64(m, "publish_timestamp", &t) != 0 || t < 0 ||
		    t > INT64_MAX / 1000) {
			resp_set(resp, 400, "publish_timestamp is not a number");
			return -1;
		}
		if (ev->kind == EVENT_PUBLISH)
			ev->event_time = t * 1000;
	}
	if (ev->kind == EVENT_UNPUBLISH) {
		/*
		 * PUBLISH_DONE carries no time of its own; the session key
		 * identifies it, so the time is kept out of the event key.
		 */
		if (huawei_fallback_time(m, ev, resp) == -1)
			return -1;
		if (ev->event_time != EVENT_UNSET && ev->session_key != NULL)
			ev->event_time_received = 1;
	} else if (ev->event_time == EVENT_UNSET &&
	    huawei_fallback_time(m, ev, resp) == -1)
		return -1;
	return 0;
}

static int
huawei_decode_record(const struct msg *m, enum event_kind kind, struct event *ev,
    struct resp *resp)
{
	const char	*fmt, *s;
	int64_t		 secs = EVENT_UNSET;
	size_t		 i;

	ev->kind = kind;
	if (huawei_identity(m, "publish_domain", ev, resp) == -1)
		return -1;
	ev->file_key = msg_str(m, "job_id");
	if ((fmt = msg_str(m, "record_format")) != NULL) {
		for (i = 0; fmt[i] != '\0' && i < sizeof(ev->format) - 1; i++)
			ev->format[i] = (char)tolower((unsigned char)fmt[i]);
		ev->format[i] = '\0';
	}
	ev->url = msg_str(m, "download_url");
	ev->play_url = msg_str(m, "play_url");
	ev->storage_path = msg_str(m, "obs_object");
	ev->error_message = msg_str(m, "error_message");
	if (vendor_num(m, "file_size", "number", &ev->file_size, resp) == -1 ||
	    vendor_num(m, "width", "number", &ev->width, resp) == -1 ||
	    vendor_num(m, "height", "number", &ev->height, resp) == -1 ||
	    vendor_num(m, "record_duration", "number", &secs, resp) == -1)
		return -1;
	if (secs != EVENT_UNSET) {
		if (secs > INT64_MAX / 1000) {
			resp_set(resp, 400, "record_duration out of range");
			return -1;
		}
		ev->duration = secs * 1000;	/* seconds */
	}
	if ((s = msg_str(m, "start_time")) != NULL &&
	    event_parse_time(s, &ev->start_time) == -1) {
		resp_set(resp, 400, "start_time is not an ISO 8601 time");
		return -1;
	}
	if ((s = msg_str(m, "end_time")) != NULL &&
	    event_parse_time(s, &ev->end_time) == -1) {
		resp_set(resp, 400, "end_time is not an ISO 8601 time");
		return -1;
	}
	/* A finished file happened at its end; other events have no time. */
	if (ev->end_time != EVENT_UNSET)
		ev->event_time = ev->end_time;
	else if (huawei_fallback_time(m, ev, resp) == -1)
		return -1;
	return 0;
}

static int
huawei_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev,
    struct resp *resp)
{
	const char	*err, *event;
	struct msg	*m;
	size_t		 i;

	(void)vc;
	if ((m = *mp = msg_parse_json(req->body, req->body_len, &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	ev->payload = req->body;
	ev->payload_len = req->body_len;
	if ((event = msg_str(m, "event")) != NULL) {
		ev->event = event;
		if (strcmp(event, "PUBLISH") == 0 || strcmp(event, "PUBLISH_DONE") == 0)
			return huawei_decode_publish(m, event, ev, resp);
	} else if ((event = msg_str(m, "event_type")) != NULL) {
		ev->event = event;
		for (i = 0; i < sizeof(huawei_record_events) /
		    sizeof(huawei_record_events[0]); i++)
			if (strcmp(event, huawei_record_events[i].name) == 0)
				return huawei_decode_record(m,
				    huawei_record_events[i].kind, ev, resp);
	} else {
		resp_set(resp, 400, "event or event_type missing");
		return -1;
	}
	/* Authentic and well-formed, but not a kind we map: kept as other. */
	ev->kind = EVENT_OTHER;
	ev->domain = msg_str(m, "publish_domain");
	if (ev->domain == NULL)
		ev->domain = msg_str(m, "domain");
	ev->app = msg_str(m, "app");
	ev->stream = msg_str(m, "stream");
	return huawei_fallback_time(m, ev, resp);
}

static int
huawei_verify(const struct req *req, const struct msg *m, const struct event *ev,
    const struct config_vendor *vc, int64_t now, struct resp *resp)
{
	char		 in[HUAWEI_SIGNED_MAX], hex[SIG_SHA256_HEX + 1];
	const char	*sign, *tstext;
	size_t		 i, signlen;
	int64_t		 ts;
	int		 ok = 0, n, publish;

	(void)req;
	if ((sign = msg_str(m, "auth_sign")) == NULL)
		return 0;
	signlen = msg_strlen(m, "auth_sign");
	if (msg_i64(m, "auth_timestamp", &ts) != 0 ||
	    (tstext = huawei_ts_text(m)) == NULL) {
		resp_set(resp, 403, "auth_timestamp missing or not a number");
		return -1;
	}
	if (vc->nkeys == 0) {
		resp_set(resp, 403, "signed message but no key configured");
		return -1;
	}
	/* auth_timestamp is documented as the expiry (section 2.5). */
	if (vendor_check_expiry(ts, now, vc, resp) == -1)
		return -1;
	publish = ev->kind == EVENT_PUBLISH || ev->kind == EVENT_UNPUBLISH;
	for (i = 0; i < vc->nkeys; i++) {
		const char *key = vc->keys[i];
		size_t klen = strlen(key);

		if (publish) {
			/* HmacSHA256(event + domain + app + stream + auth_timestamp, key) */
			const char *part[] = { ev->event, ev->domain, ev->app,
			    ev->stream, tstext };

			if ((n = vendor_join(in, sizeof(in), part, 5)) < 0)
				continue;
			if (sig_hmac_sha256_hex(key, klen, in, (size_t)n, hex) == 0)
				ok |= sig_hex_equal(hex, sign, signlen);
			continue;
		}
		const char *part[] = { key, tstext };

		if ((n = vendor_join(in, sizeof(in), part, 2)) < 0)
			continue;
		if (vc->sign_type == CONFIG_SIGN_MD5) {
			/* MD5(key + auth_timestamp) */
			if (sig_md5_hex(in, (size_t)n, hex) == 0)
				ok |= sig_hex_equal(hex, sign, signlen);
			continue;
		}
		/*
		 * HMACSHA256(key + auth_timestamp, key): read as message then key
		 * (as in the publish formula) and the other way round.
		 */
		if (sig_hmac_sha256_hex(key, klen, in, (size_t)n, hex) == 0)
			ok |= sig_hex_equal(hex, sign, signlen);
		if (sig_hmac_sha256_hex(in, (size_t)n, key, klen, hex) == 0)
			ok |= sig_hex_equal(hex, sign, signlen);
	}
	if (!ok) {
		resp_set(resp, 403, "wrong signature");
		return -1;
	}
	return 1;
}

const struct vendor vendor_huawei = {
	.name = "huawei",
	.methods = VENDOR_POST,
	.decode = huawei_decode,
	.verify = huawei_verify,
};
