/* vendor_jdcloud.c -- JD Cloud Live: publish, record and snapshot callbacks, v1.1 (vendors.md section 3). */
#include "autoconfig.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "vendor.h"

/*
 * Recording units: the documented ones (duration ms, fileSize KB) unless
 * the configuration says otherwise, since the samples contradict them
 * (section 3.2); a duration from beginTime/endTime wins over both.
 */
static int
jd_record(const struct msg *m, const struct config_vendor *vc, struct event *ev,
    struct resp *resp)
{
	const char	*fmt;
	double		 d;
	int64_t		 size;
	size_t		 i;
	int		 rc;

	if (vendor_num(m, "beginTime", "time", &ev->start_time, resp) == -1 ||
	    vendor_num(m, "endTime", "time", &ev->end_time, resp) == -1)
		return -1;
	if ((rc = msg_f64(m, "duration", &d)) == -1 ||
	    (rc == 0 && (!isfinite(d) || d < 0 || d > 1e15))) {
		resp_set(resp, 400, "duration is not a valid number");
		return -1;
	}
	if (ev->start_time != EVENT_UNSET && ev->end_time != EVENT_UNSET &&
	    ev->end_time >= ev->start_time)
		ev->duration = ev->end_time - ev->start_time;
	else if (rc == 0)
		ev->duration = (int64_t)llround(vc != NULL &&
		    vc->duration_unit == CONFIG_UNIT_S ? d * 1000 : d);
	if ((rc = msg_i64(m, "fileSize", &size)) == -1 || (rc == 0 &&
	    (size < 0 || size > INT64_MAX / 1024))) {
		resp_set(resp, 400, "fileSize is not a valid number");
		return -1;
	}
	if (rc == 0)
		ev->file_size = vc != NULL && vc->size_unit == CONFIG_UNIT_BYTES ?
		    size : size * 1024;
	if ((fmt = msg_str(m, "format")) != NULL) {
		for (i = 0; fmt[i] != '\0' && i < sizeof(ev->format) - 1; i++)
			ev->format[i] = (char)tolower((unsigned char)fmt[i]);
		ev->format[i] = '\0';
	}
	ev->url = msg_str(m, "downloadUrl");
	ev->file_key = ev->url;
	ev->segments = msg_json(m, "group");	/* marked (clip) recording */
	if ((ev->task_id = msg_str(m, "taskExternalId")) == NULL)
		ev->task_id = msg_str(m, "vodTaskId");
	ev->event_time = ev->end_time;
	return 0;
}

static int
jd_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev,
    struct resp *resp)
{
	const char	*err, *event, *status;
	struct msg	*m;
	int		 failed;

	if ((m = *mp = msg_parse_json(req->body, req->body_len, &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	ev->payload = req->body;
	ev->payload_len = req->body_len;
	ev->domain = msg_str(m, "publishDomain");
	ev->app = msg_str(m, "appName");
	ev->stream = msg_str(m, "streamName");
	if (ev->domain == NULL || *ev->domain == '\0') {
		resp_set(resp, 400, "publishDomain missing");
		return -1;
	}
	if (ev->app == NULL || *ev->app == '\0') {
		resp_set(resp, 400, "appName missing");
		return -1;
	}
	if (ev->stream == NULL || *ev->stream == '\0') {
		resp_set(resp, 400, "streamName missing");
		return -1;
	}
	status = msg_str(m, "status");
	failed = status != NULL && strcmp(status, "fail") == 0;
	if (failed)
		ev->error_message = msg_str(m, "errorMsg") != NULL ?
		    msg_str(m, "errorMsg") : "status fail";
	if ((event = msg_str(m, "event")) == NULL) {
		/* The snapshot message has no event field, only snapshotTime. */
		if (!msg_has(m, "snapshotTime")) {
			ev->kind = EVENT_OTHER;
			return 0;
		}
		ev->kind = EVENT_SNAPSHOT;
		ev->url = msg_str(m, "downloadUrl");
		return vendor_num(m, "snapshotTime", "time", &ev->event_time, resp) == -1 ? -1 : 0;
	}
	ev->event = event;
	if (strcmp(event, "publish_started") == 0 || strcmp(event, "publish_done") == 0) {
		/* A failed publish never went live: kept, but not as a session. */
		ev->kind = failed ? EVENT_OTHER : event[8] == 's' ?
		    EVENT_PUBLISH : EVENT_UNPUBLISH;
		ev->client_ip = msg_str(m, "clientIp");
		ev->params = msg_json(m, "pushParams");
		return vendor_num(m, "eventTime", "time", &ev->event_time, resp) == -1 ? -1 : 0;
	}
	if (strcmp(event, "record_done") == 0) {
		ev->kind = failed ? EVENT_RECORD_FAILED : EVENT_RECORD_FILE_COMPLETE;
		return jd_record(m, vc, ev, resp);
	}
	ev->kind = EVENT_OTHER;
	return vendor_num(m, "eventTime", "time", &ev->event_time, resp) == -1 ? -1 : 0;
}

const struct vendor vendor_jdcloud = {
	.name = "jdcloud",
	.methods = VENDOR_POST,
	.decode = jd_decode,
	.verify = NULL,		/* JD Cloud signs nothing: path token or allow_unsigned */
};
