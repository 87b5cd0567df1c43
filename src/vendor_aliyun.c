/* vendor_aliyun.c -- Alibaba Cloud ApsaraVideo Live: GET publish callbacks and POST recording callbacks (vendors.md section 1). */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "req.h"
#include "sig.h"
#include "vendor.h"

/* Longest "domain|timestamp|key" signed. */
#define ALIYUN_SIGNED_MAX	1024
/* Longest Host header used as the signed domain. */
#define ALIYUN_HOST_MAX		256

/* Unix seconds in key (number or numeric string) to ms; 1 when absent. */
static int
aliyun_secs(const struct msg *m, const char *key, int64_t *ms, struct resp *resp)
{
	int64_t	 v;
	int	 rc;

	if ((rc = vendor_num(m, key, "time", &v, resp)) != 0)
		return rc;
	if (v > INT64_MAX / 1000) {
		resp_set(resp, 400, "%s is not a valid time", key);
		return -1;
	}
	*ms = v * 1000;
	return 0;
}

/*
 * GET ?action=publish|publish_done (section 1.2): app is the push domain,
 * appname the application, id the stream; time in seconds.
 */
static int
aliyun_decode_get(const struct req *req, struct msg **mp, struct event *ev,
    struct resp *resp)
{
	const char	*err, *action;
	struct msg	*m;

	if ((m = *mp = msg_parse_query(req->query, strlen(req->query), &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	ev->payload = msg_to_json(m);
	ev->payload_len = ev->payload != NULL ? strlen(ev->payload) : 0;
	if ((action = msg_str(m, "action")) == NULL) {
		resp_set(resp, 400, "action missing");
		return -1;
	}
	ev->event = action;
	ev->domain = msg_str(m, "app");
	ev->app = msg_str(m, "appname");
	ev->stream = msg_str(m, "id");
	if (strcmp(action, "publish") == 0)
		ev->kind = EVENT_PUBLISH;
	else if (strcmp(action, "publish_done") == 0)
		ev->kind = EVENT_UNPUBLISH;
	else {
		ev->kind = EVENT_OTHER;
		return aliyun_secs(m, "time", &ev->event_time, resp) == -1 ? -1 : 0;
	}
	if (vendor_require_identity(ev, "app (domain)", "appname", "id (stream)", resp) == -1)
		return -1;
	ev->client_ip = msg_str(m, "ip");
	ev->node = msg_str(m, "node");
	ev->params = msg_str(m, "usrargs");
	if (aliyun_secs(m, "time", &ev->event_time, resp) == -1 ||
	    vendor_num(m, "width", "number", &ev->width, resp) == -1 ||
	    vendor_num(m, "height", "number", &ev->height, resp) == -1)
		return -1;
	return 0;
}

/* POST recording callbacks (section 1.4): status events, or a file without "event". */
static int
aliyun_decode_post(const struct req *req, struct msg **mp, struct event *ev,
    struct resp *resp)
{
	const char	*err, *event;
	struct msg	*m;
	double		 secs;
	int		 rc;

	if ((m = *mp = msg_parse_json(req->body, req->body_len, &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	ev->payload = req->body;
	ev->payload_len = req->body_len;
	ev->domain = msg_str(m, "domain");
	ev->app = msg_str(m, "app");
	ev->stream = msg_str(m, "stream");
	if ((event = msg_str(m, "event")) != NULL) {
		ev->event = event;
		if (strcmp(event, "record_started") == 0)
			ev->kind = EVENT_RECORD_STARTED;
		else if (strcmp(event, "record_paused") == 0)
			ev->kind = EVENT_RECORD_PAUSED;
		else if (strcmp(event, "record_resumed") == 0)
			ev->kind = EVENT_RECORD_RESUMED;
		else if (strcmp(event, "record_error") == 0)
			ev->kind = EVENT_RECORD_FAILED;
		else {
			ev->kind = EVENT_OTHER;
			return 0;
		}
		return vendor_require_identity(ev, "domain", "app", "stream", resp);
	}
	if (msg_str(m, "uri") == NULL) {
		/* Exception, moderation, snapshot: bodies not documented. */
		ev->kind = EVENT_OTHER;
		return 0;
	}
	ev->kind = EVENT_RECORD_FILE_COMPLETE;
	if (vendor_require_identity(ev, "domain", "app", "stream", resp) == -1)
		return -1;
	ev->file_key = msg_str(m, "uri");
	ev->storage_path = ev->file_key;
	if (aliyun_secs(m, "start_time", &ev->start_time, resp) == -1 ||
	    aliyun_secs(m, "stop_time", &ev->end_time, resp) == -1)
		return -1;
	/* duration: seconds, a float (69.403). */
	if ((rc = msg_f64(m, "duration", &secs)) == -1 || (rc == 0 &&
	    (!isfinite(secs) || secs < 0 || secs > 1e12))) {
		resp_set(resp, 400, "duration is not a valid number");
		return -1;
	}
	if (rc == 0)
		ev->duration = (int64_t)llround(secs * 1000);
	/* The file's extension is its format. */
	if ((err = strrchr(ev->file_key, '.')) != NULL && strlen(err + 1) <
	    sizeof(ev->format) && strchr(err, '/') == NULL) {
		size_t i;
		for (i = 0; err[i + 1] != '\0'; i++)
			ev->format[i] = (char)(err[i + 1] | 0x20);
		ev->format[i] = '\0';
	}
	ev->event_time = ev->end_time;
	return 0;
}

static int
aliyun_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev,
    struct resp *resp)
{
	(void)vc;
	if (strcmp(req->method, "GET") == 0)
		return aliyun_decode_get(req, mp, ev, resp);
	return aliyun_decode_post(req, mp, ev, resp);
}

/*
 * ALI-LIVE-SIGNATURE = md5(domain|ALI-LIVE-TIMESTAMP|key) (section 1.8):
 * the push domain for GET callbacks, the callback URL's host for POST.
 */
static int
aliyun_verify(const struct req *req, const struct msg *m, const struct event *ev,
    const struct config_vendor *vc, int64_t now, struct resp *resp)
{
	char		 in[ALIYUN_SIGNED_MAX], hex[SIG_MD5_HEX + 1];
	char		 host[ALIYUN_HOST_MAX];
	const char	*sign, *tstext, *domain, *p;
	int64_t		 ts = 0;
	size_t		 i, len;
	int		 ok = 0, n;

	(void)m;
	sign = req_param(req, "HTTP_ALI_LIVE_SIGNATURE");
	tstext = req_param(req, "HTTP_ALI_LIVE_TIMESTAMP");
	if (sign == NULL)
		return 0;
	if (tstext == NULL || *tstext == '\0' || strlen(tstext) > 18) {
		resp_set(resp, 403, "ALI-LIVE-TIMESTAMP missing or invalid");
		return -1;
	}
	for (p = tstext; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			resp_set(resp, 403, "ALI-LIVE-TIMESTAMP missing or invalid");
			return -1;
		}
		ts = ts * 10 + (*p - '0');
	}
	if (vc->nkeys == 0) {
		resp_set(resp, 403, "signed message but no key configured");
		return -1;
	}
	if (vendor_check_issued(ts, now, vc, resp) == -1)
		return -1;
	if (strcmp(req->method, "GET") == 0)
		domain = ev->domain;
	else if (vc->callback_host != NULL)
		domain = vc->callback_host;
	else {
		/* Host without its port. */
		if ((domain = req_param(req, "HTTP_HOST")) == NULL)
			domain = "";
		len = strcspn(domain, ":");
		if (domain[0] == '[')
			len = strcspn(domain, "]") + 1;
		if (len >= sizeof(host))
			len = sizeof(host) - 1;
		memcpy(host, domain, len);
		host[len] = '\0';
		domain = host;
	}
	for (i = 0; i < vc->nkeys; i++) {
		const char *part[] = { domain, "|", tstext, "|", vc->keys[i] };

		if ((n = vendor_join(in, sizeof(in), part, 5)) < 0)
			continue;
		if (sig_md5_hex(in, (size_t)n, hex) == 0)
			ok |= sig_hex_equal(hex, sign, strlen(sign));
	}
	if (!ok) {
		resp_set(resp, 403, "wrong signature");
		return -1;
	}
	return 1;
}

const struct vendor vendor_aliyun = {
	.name = "aliyun",
	.methods = VENDOR_GET | VENDOR_POST,
	.decode = aliyun_decode,
	.verify = aliyun_verify,
};
