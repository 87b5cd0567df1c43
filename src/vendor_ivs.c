/* vendor_ivs.c -- AWS IVS events through an EventBridge API destination (reference/ivs-mux.md section 1, SPEC section 11). */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "sig.h"
#include "vendor.h"

/* Longest CGI meta-variable name made of a header name ("HTTP_" + 64). */
#define IVS_PARAM_MAX	80

/* "IVS Stream State Change" event_name values that are mapped; the rest are other. */
static const struct {
	const char	*name;
	enum event_kind	 kind;
} ivs_stream_events[] = {
	{ "Stream Start", EVENT_PUBLISH },
	{ "Stream End", EVENT_UNPUBLISH },
	{ "Stream Failure", EVENT_UNPUBLISH },
};

/* "IVS Recording State Change" recording_status values. */
static const struct {
	const char	*name;
	enum event_kind	 kind;
} ivs_recording_events[] = {
	{ "Recording Start", EVENT_RECORD_STARTED },
	{ "Recording End", EVENT_RECORD_OVER },
	{ "Recording Start Failure", EVENT_RECORD_FAILED },
	{ "Recording End Failure", EVENT_RECORD_FAILED },
};

/*
 * Identity from resources[0], an ARN
 * "arn:<partition>:ivs:<region>:<account>:<type>/<id>": domain
 * "<account>.<region>", app "ivs", stream <id>.  Returns 1 for a channel
 * ARN, 0 for another IVS resource (identity still set), -1 when it is
 * not an IVS ARN (nothing set).
 */
static int
ivs_identity(const struct msg *m, struct event *ev)
{
	const char	*arn, *f[6], *p, *slash;
	size_t		 i;

	if ((arn = msg_elem_str(m, "resources", 0)) == NULL ||
	    strncmp(arn, "arn:", 4) != 0)
		return -1;
	/* Six fields separated by ':'; the last may not hold one. */
	for (p = arn, i = 0; i < 5; i++) {
		f[i] = p;
		if ((p = strchr(p, ':')) == NULL)
			return -1;
		p++;
	}
	f[5] = p;
	if (strncmp(f[2], "ivs:", 4) != 0 || f[4] - f[3] < 2 || f[5] - f[4] < 2 ||
	    (slash = strchr(f[5], '/')) == NULL || slash[1] == '\0' ||
	    strchr(f[5], ':') != NULL)
		return -1;
	{
		/* <account>.<region> */
		const char *part[] = { f[4], ".", f[3] };
		size_t len[] = { (size_t)(f[5] - f[4] - 1), 1,
		    (size_t)(f[4] - f[3] - 1) };

		ev->domain = event_keep_join(ev, part, len, 3);
	}
	if (ev->domain == NULL)
		return -1;
	ev->app = "ivs";
	ev->stream = slash + 1;
	return (size_t)(slash - f[5]) == 7 && strncmp(f[5], "channel", 7) == 0;
}

/* IVS Stream State Change: publish / unpublish, the rest other. */
static int
ivs_decode_stream(const struct msg *d, int channel, struct event *ev,
    struct resp *resp)
{
	size_t	 i;

	if (ev->event == NULL) {
		resp_set(resp, 400, "detail.event_name missing");
		return -1;
	}
	for (i = 0; i < sizeof(ivs_stream_events) / sizeof(ivs_stream_events[0]); i++)
		if (strcmp(ev->event, ivs_stream_events[i].name) == 0)
			break;
	if (i == sizeof(ivs_stream_events) / sizeof(ivs_stream_events[0]))
		return 0;	/* Session Created/Ended, takeovers: other */
	if (channel != 1) {
		resp_set(resp, 400, "resources[0] is not an IVS channel ARN");
		return -1;
	}
	ev->kind = ivs_stream_events[i].kind;
	/* stream_id: "assigned each time a channel goes live" -- the session. */
	if ((ev->session_key = msg_str(d, "stream_id")) == NULL ||
	    *ev->session_key == '\0') {
		resp_set(resp, 400, "detail.stream_id missing");
		return -1;
	}
	ev->error_message = msg_str(d, "reason");
	ev->error_code = msg_str(d, "code");
	return 0;
}

/* IVS Recording State Change: record_started / record_over / record_failed. */
static int
ivs_decode_recording(const struct msg *d, int channel, struct event *ev,
    struct resp *resp)
{
	const char	*status, *bucket, *prefix;
	size_t		 i;

	if ((status = msg_str(d, "recording_status")) == NULL) {
		resp_set(resp, 400, "detail.recording_status missing");
		return -1;
	}
	ev->event = status;
	for (i = 0; i < sizeof(ivs_recording_events) /
	    sizeof(ivs_recording_events[0]); i++)
		if (strcmp(status, ivs_recording_events[i].name) == 0)
			break;
	if (i == sizeof(ivs_recording_events) / sizeof(ivs_recording_events[0]))
		return 0;
	if (channel != 1) {
		resp_set(resp, 400, "resources[0] is not an IVS channel ARN");
		return -1;
	}
	ev->kind = ivs_recording_events[i].kind;
	/* One recording session may span several stream_ids. */
	ev->file_key = msg_str(d, "recording_session_id");
	ev->task_id = msg_str(d, "stream_id");
	bucket = msg_str(d, "recording_s3_bucket_name");
	prefix = msg_str(d, "recording_s3_key_prefix");
	if (bucket != NULL && *bucket != '\0' && prefix != NULL) {
		const char *part[] = { "s3://", bucket, "/", prefix };

		ev->storage_path = event_keep_join(ev, part, NULL, 4);
	}
	/* Without a bucket, or too long to prefix with it: the prefix. */
	if (ev->storage_path == NULL)
		ev->storage_path = prefix;
	if ((ev->error_message = msg_str(d, "recording_status_reason")) != NULL &&
	    *ev->error_message == '\0')
		ev->error_message = NULL;
	if (vendor_num(d, "recording_duration_ms", "number of milliseconds",
	    &ev->duration, resp) == -1)
		return -1;
	return 0;
}

static int
ivs_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev, struct resp *resp)
{
	const char		*err, *type, *t;
	const struct msg	*d;
	struct msg		*m;
	int			 channel;

	(void)vc;
	if ((m = *mp = msg_parse_json(req->body, req->body_len, &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	ev->payload = req->body;
	ev->payload_len = req->body_len;
	/* The EventBridge envelope: id, detail-type, time, resources, detail. */
	if ((type = msg_str(m, "detail-type")) == NULL) {
		resp_set(resp, 400, "detail-type missing");
		return -1;
	}
	if ((ev->event_id = msg_str(m, "id")) == NULL || *ev->event_id == '\0') {
		resp_set(resp, 400, "id missing");
		return -1;
	}
	if ((t = msg_str(m, "time")) != NULL &&
	    event_parse_time(t, &ev->event_time) == -1) {
		resp_set(resp, 400, "time is not an ISO 8601 time");
		return -1;
	}
	ev->kind = EVENT_OTHER;
	ev->event = type;
	channel = ivs_identity(m, ev);
	if ((d = msg_obj(m, "detail")) == NULL) {
		resp_set(resp, 400, "detail missing");
		return -1;
	}
	if (strcmp(type, "IVS Stream State Change") == 0) {
		ev->event = msg_str(d, "event_name");
		return ivs_decode_stream(d, channel, ev, resp);
	}
	if (strcmp(type, "IVS Recording State Change") == 0)
		return ivs_decode_recording(d, channel, ev, resp);
	/* Health changes, limit breaches, stages: authentic, kept as other. */
	if (msg_str(d, "event_name") != NULL)
		ev->event = msg_str(d, "event_name");
	return 0;
}

/*
 * The API destination's connection sends one header with a static value
 * (API key, or "Basic <base64>" in Authorization).  Both sides are
 * hashed first, so the comparison takes the same time whatever the
 * lengths; every key is compared.  No time window: EventBridge retries
 * for up to 24 hours (ivs-mux.md 1 (f)); the event id deduplicates.
 */
static int
ivs_verify(const struct req *req, const struct msg *m, const struct event *ev,
    const struct config_vendor *vc, int64_t now, struct resp *resp)
{
	char		 name[IVS_PARAM_MAX], given[SIG_SHA256_HEX + 1],
			 want[SIG_SHA256_HEX + 1];
	const char	*value;
	size_t		 i;
	int		 ok = 0;

	(void)m;
	(void)ev;
	(void)now;
	if (vc->nkeys == 0 || vc->header == NULL)
		return 0;
	/* CGI/1.1 (RFC 3875 4.1.18): HTTP_ + the name upper-cased, '-' as '_'. */
	memcpy(name, "HTTP_", 5);
	for (i = 0; vc->header[i] != '\0' && i + 6 < sizeof(name); i++)
		name[5 + i] = vc->header[i] == '-' ? '_' :
		    (char)toupper((unsigned char)vc->header[i]);
	name[5 + i] = '\0';
	if ((value = req_param(req, name)) == NULL) {
		if (vc->allow_unsigned == 1)
			return 0;	/* the caller accepts it as unsigned */
		resp_set(resp, 403, "%s header missing", vc->header);
		return -1;
	}
	if (sig_sha256_hex(value, strlen(value), given) == -1) {
		resp_set(resp, 403, "cannot check the %s header", vc->header);
		return -1;
	}
	for (i = 0; i < vc->nkeys; i++)
		if (sig_secret_sha256_hex(vc->keys[i], strlen(vc->keys[i]),
		    want) == 0)
			ok |= sig_hex_equal(want, given, SIG_SHA256_HEX);
	if (!ok) {
		resp_set(resp, 403, "wrong %s header value", vc->header);
		return -1;
	}
	return 2;
}

const struct vendor vendor_ivs = {
	.name = "ivs",
	.methods = VENDOR_POST,
	.decode = ivs_decode,
	.verify = ivs_verify,
};
