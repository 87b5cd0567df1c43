/* vendor_srs.c -- SRS (ossrs) HTTP hooks, versions 3 to 7 (selfhosted.md section 1, SPEC section 11). */
#include "autoconfig.h"

#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "vendor.h"

/* SRS's name for "no vhost matched" (selfhosted.md section 1.6). */
#define SRS_DEFAULT_VHOST	"__defaultVhost__"

/* on_forward wants the URLs to forward to; none (selfhosted.md 1.2). */
static const char srs_forward_answer[] = "{\"code\":0,\"data\":{\"urls\":[]}}";

static const struct {
	const char	*action;
	enum event_kind	 kind;
	int		 identity;	/* app and stream are required */
} srs_actions[] = {
	{ "on_publish", EVENT_PUBLISH, 1 },
	{ "on_unpublish", EVENT_UNPUBLISH, 1 },
	{ "on_play", EVENT_PLAY, 1 },
	{ "on_stop", EVENT_PLAY_DONE, 1 },
	{ "on_dvr", EVENT_RECORD_FILE_COMPLETE, 1 },
	{ "on_hls", EVENT_HEARTBEAT, 1 },
	{ "on_forward", EVENT_IGNORE, 0 },
	{ "on_connect", EVENT_OTHER, 0 },
	{ "on_close", EVENT_OTHER, 0 },
};

/*
 * A JSON POST of any hook; a GET is on_hls_notify (its URL template is
 * the operator's), answered and not stored.  client_id is a string since
 * SRS 4 and an integer in SRS 3; fields come and go with the version and
 * their order differs per hook, so everything is looked up by key.
 */
static int
srs_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev, struct resp *resp)
{
	const char	*err, *action, *vhost, *param;
	struct msg	*m;
	size_t		 i;
	int		 identity = 0;

	ev->key_received = 1;
	ev->heartbeat_timeout = vc->heartbeat_timeout;
	if (strcmp(req->method, "GET") == 0) {
		ev->kind = EVENT_IGNORE;
		ev->event = "on_hls_notify";
		return 0;
	}
	if ((m = *mp = msg_parse_json(req->body, req->body_len, &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	ev->payload = req->body;
	ev->payload_len = req->body_len;
	if ((action = msg_str(m, "action")) == NULL || *action == '\0') {
		resp_set(resp, 400, "action missing");
		return -1;
	}
	ev->event = action;
	ev->kind = EVENT_OTHER;
	for (i = 0; i < sizeof(srs_actions) / sizeof(srs_actions[0]); i++)
		if (strcmp(srs_actions[i].action, action) == 0) {
			ev->kind = srs_actions[i].kind;
			identity = srs_actions[i].identity;
			break;
		}
	if (ev->kind == EVENT_IGNORE) {
		ev->answer = srs_forward_answer;
		return 0;
	}
	vhost = msg_str(m, "vhost");
	if (vhost != NULL && strcmp(vhost, SRS_DEFAULT_VHOST) == 0 &&
	    vc->store_domain != NULL)
		vhost = vc->store_domain;
	ev->domain = vhost;
	ev->app = msg_str(m, "app");
	ev->stream = msg_str(m, "stream");
	/* A string since SRS 4, an integer in SRS 3: both as text. */
	if ((ev->session_key = msg_str(m, "client_id")) == NULL &&
	    msg_has(m, "client_id")) {
		int64_t	 n;

		if (msg_i64(m, "client_id", &n) != 0) {
			resp_set(resp, 400, "client_id is not a string or an integer");
			return -1;
		}
		ev->session_key = msg_json(m, "client_id");
	}
	ev->node = msg_str(m, "server_id");
	ev->client_ip = msg_str(m, "ip");
	/* RTMP and HTTP send "?a=b", WHIP and SRT "a=b" (selfhosted.md 1.6). */
	if ((param = msg_str(m, "param")) != NULL && *param == '?')
		param++;
	ev->params = param != NULL && *param != '\0' ? param : NULL;
	if (ev->domain == NULL || *ev->domain == '\0') {
		resp_set(resp, 400, "vhost missing");
		return -1;
	}
	if (identity) {
		if (vendor_require_identity(ev, "vhost", "app", "stream", resp) == -1)
			return -1;
		if (ev->session_key == NULL || *ev->session_key == '\0') {
			resp_set(resp, 400, "client_id missing");
			return -1;
		}
	}
	if (ev->kind == EVENT_RECORD_FILE_COMPLETE) {
		/* No size or duration is sent (#1645); the name may carry the start. */
		ev->storage_path = msg_str(m, "file");
		ev->file_key = ev->storage_path;
		ev->start_time = vendor_file_time(ev->storage_path, ev->format,
		    sizeof(ev->format));
	}
	return 0;
}

/* Signed publish URLs: the stream URL's query comes back in param. */
static int
srs_authorize(const struct req *req, const struct msg *m,
    const struct event *ev, const struct config_vendor *vc, int64_t now,
    struct resp *resp)
{
	(void)req;
	(void)m;
	if (ev->kind != EVENT_PUBLISH)
		return 0;
	return vendor_check_publish(ev->params,
	    ev->params != NULL ? strlen(ev->params) : 0, ev, vc, now, resp);
}

const struct vendor vendor_srs = {
	.name = "srs",
	.methods = VENDOR_POST | VENDOR_GET,
	.decode = srs_decode,
	.verify = NULL,
	.authorize = srs_authorize,
};
