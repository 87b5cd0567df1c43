/* vendor_tencent.c -- Tencent Cloud CSS event notifications (vendors.md section 4). */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "sig.h"
#include "vendor.h"

/* Longest key + t signed (keys are at most 32 characters). */
#define TENCENT_SIGNED_MAX	512

/* record_detail.file_format (event 332): 1 FLV, 2 HLS, 3 MP4, 4 AAC, 5 MP3. */
static const char *const tencent_formats[] = { NULL, "flv", "hls", "mp4", "aac", "mp3" };

/* Unix seconds (plus an optional microsecond field) to ms. */
static int
tencent_time(const struct msg *m, const char *key, const char *usec,
    int64_t *out, struct resp *resp)
{
	int64_t	 s, us = 0;
	int	 rc;

	if ((rc = vendor_num(m, key, "number", &s, resp)) != 0)
		return rc;
	if (s > INT64_MAX / 1000 - 1000) {
		resp_set(resp, 400, "%s out of range", key);
		return -1;
	}
	if (usec != NULL && vendor_num(m, usec, "number", &us, resp) == -1)
		return -1;
	*out = s * 1000 + (us > 0 && us < 1000000 ? us / 1000 : 0);
	return 0;
}

static void
tencent_lower(char *dst, size_t dstsz, const char *src)
{
	size_t	 i;

	for (i = 0; src[i] != '\0' && i < dstsz - 1; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Event 332: record_detail is JSON inside a string (read for the format). */
static int
tencent_record_status(const struct msg *m, struct event *ev, struct resp *resp)
{
	const char	*re, *detail, *err;
	struct msg	*d;
	int64_t		 f;

	ev->domain = msg_str(m, "domain");	/* 332 says domain, not app */
	if ((re = msg_str(m, "record_event")) == NULL) {
		resp_set(resp, 400, "record_event missing");
		return -1;
	}
	ev->event = re;
	if (strcmp(re, "record_start_succeeded") == 0)
		ev->kind = EVENT_RECORD_STARTED;
	else if (strcmp(re, "record_start_failed") == 0 || strcmp(re, "record_error") == 0)
		ev->kind = EVENT_RECORD_FAILED;
	else if (strcmp(re, "record_paused") == 0)
		ev->kind = EVENT_RECORD_PAUSED;
	else if (strcmp(re, "record_resumed") == 0)
		ev->kind = EVENT_RECORD_RESUMED;
	else if (strcmp(re, "record_ended") == 0)
		ev->kind = EVENT_RECORD_OVER;
	else
		ev->kind = EVENT_OTHER;
	if (vendor_require_identity(ev, "domain", "appname", "stream_id", resp) == -1)
		return -1;
	ev->task_id = msg_str(m, "task_id");
	if ((detail = msg_str(m, "record_detail")) != NULL && *detail != '\0') {
		if ((d = msg_parse_json(detail, msg_strlen(m, "record_detail"), &err)) == NULL) {
			resp_set(resp, 400, "record_detail: %s", err);
			return -1;
		}
		if (msg_i64(d, "file_format", &f) == 0 && f > 0 &&
		    f < (int64_t)(sizeof(tencent_formats) / sizeof(tencent_formats[0])))
			snprintf(ev->format, sizeof(ev->format), "%s", tencent_formats[f]);
		msg_free(d);
	}
	return tencent_time(m, "event_time", NULL, &ev->event_time, resp) == -1 ? -1 : 0;
}

static int
tencent_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev, struct resp *resp)
{
	const char	*err, *s;
	struct msg	*m;
	int64_t		 type;

	(void)vc;
	if ((m = *mp = msg_parse_json(req->body, req->body_len, &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	ev->payload = req->body;
	ev->payload_len = req->body_len;
	if (msg_i64(m, "event_type", &type) != 0) {
		resp_set(resp, 400, "event_type missing or not a number");
		return -1;
	}
	ev->event = msg_json(m, "event_type");
	ev->domain = msg_str(m, "app");
	ev->app = msg_str(m, "appname");
	if ((ev->stream = msg_str(m, "stream_id")) == NULL)
		ev->stream = msg_str(m, "channel_id");

	switch (type) {
	case 1:
	case 0:
		ev->kind = type == 1 ? EVENT_PUBLISH : EVENT_UNPUBLISH;
		if (vendor_require_identity(ev, "app", "appname", "stream_id", resp) == -1)
			return -1;
		/* sequence: 19 digits, beyond 2^53: kept as text. */
		ev->session_key = msg_str(m, "sequence");
		ev->node = msg_str(m, "node");
		ev->client_ip = msg_str(m, "user_ip");
		ev->params = msg_str(m, "stream_param");
		if (msg_has(m, "errcode") && (s = msg_json(m, "errcode")) != NULL &&
		    strcmp(s, "0") != 0)
			ev->error_code = s;
		if (ev->error_code != NULL)
			ev->error_message = msg_str(m, "errmsg");
		if (vendor_num(m, "push_duration", "number", &ev->push_duration, resp) == -1 ||
		    vendor_num(m, "width", "number", &ev->width, resp) == -1 ||
		    vendor_num(m, "height", "number", &ev->height, resp) == -1 ||
		    tencent_time(m, "event_time", NULL, &ev->event_time, resp) == -1)
			return -1;
		return 0;
	case 100:
		ev->kind = EVENT_RECORD_FILE_COMPLETE;
		if (vendor_require_identity(ev, "app", "appname", "stream_id", resp) == -1)
			return -1;
		if ((ev->file_key = msg_str(m, "file_id")) == NULL ||
		    *ev->file_key == '\0')
			ev->file_key = msg_str(m, "record_file_id");
		if ((s = msg_str(m, "file_format")) != NULL)
			tencent_lower(ev->format, sizeof(ev->format), s);
		if ((ev->task_id = msg_str(m, "task_id")) != NULL && *ev->task_id == '\0')
			ev->task_id = NULL;
		ev->url = msg_str(m, "video_url");
		if (tencent_time(m, "start_time", "start_time_usec", &ev->start_time, resp) == -1 ||
		    tencent_time(m, "end_time", "end_time_usec", &ev->end_time, resp) == -1 ||
		    vendor_num(m, "file_size", "number", &ev->file_size, resp) == -1 ||
		    vendor_num(m, "duration", "number", &ev->duration, resp) == -1)
			return -1;
		if (ev->duration != EVENT_UNSET) {
			if (ev->duration > INT64_MAX / 1000) {
				resp_set(resp, 400, "duration out of range");
				return -1;
			}
			ev->duration *= 1000;	/* seconds */
		}
		ev->event_time = ev->end_time;
		return 0;
	case 332:
		return tencent_record_status(m, ev, resp);
	case 200:
		ev->kind = EVENT_SNAPSHOT;
		if (vendor_require_identity(ev, "app", "appname", "stream_id", resp) == -1)
			return -1;
		if ((ev->url = msg_str(m, "pic_full_url")) == NULL)
			ev->url = msg_str(m, "pic_url");
		if (tencent_time(m, "create_time", NULL, &ev->event_time, resp) == -1 ||
		    vendor_num(m, "file_size", "number", &ev->file_size, resp) == -1 ||
		    vendor_num(m, "width", "number", &ev->width, resp) == -1 ||
		    vendor_num(m, "height", "number", &ev->height, resp) == -1)
			return -1;
		return 0;
	default:
		/* 317 moderation, 321 push anomaly, and anything newer. */
		ev->kind = EVENT_OTHER;
		if (ev->domain == NULL)
			ev->domain = msg_str(m, "domain");
		if (ev->stream == NULL)
			ev->stream = msg_str(m, "streamId");
		if (msg_has(m, "event_time") &&
		    tencent_time(m, "event_time", NULL, &ev->event_time, resp) == -1)
			return -1;
		if (ev->event_time == EVENT_UNSET && msg_has(m, "data_time") &&
		    vendor_num(m, "data_time", "number", &ev->event_time, resp) == -1)
			return -1;	/* data_time is already ms */
		if (ev->event_time == EVENT_UNSET && msg_has(m, "sendTime") &&
		    tencent_time(m, "sendTime", NULL, &ev->event_time, resp) == -1)
			return -1;
		return 0;
	}
}

/* sign = MD5(key + t), t the expiry (section 4.2). */
static int
tencent_verify(const struct req *req, const struct msg *m, const struct event *ev,
    const struct config_vendor *vc, int64_t now, struct resp *resp)
{
	char		 in[TENCENT_SIGNED_MAX], hex[SIG_MD5_HEX + 1];
	const char	*sign, *ttext;
	int64_t		 t;
	size_t		 i;
	int		 ok = 0, n;

	(void)req;
	(void)ev;
	if ((sign = msg_str(m, "sign")) == NULL)
		return 0;
	if (msg_i64(m, "t", &t) != 0 || (ttext = msg_str(m, "t")) == NULL) {
		if ((ttext = msg_json(m, "t")) == NULL || msg_i64(m, "t", &t) != 0) {
			resp_set(resp, 403, "t missing or not a number");
			return -1;
		}
	}
	if (vc->nkeys == 0) {
		resp_set(resp, 403, "signed message but no key configured");
		return -1;
	}
	if (vendor_check_expiry(t, now, vc, resp) == -1)
		return -1;
	for (i = 0; i < vc->nkeys; i++) {
		const char *part[] = { vc->keys[i], ttext };

		if ((n = vendor_join(in, sizeof(in), part, 2)) < 0)
			continue;
		if (sig_md5_hex(in, (size_t)n, hex) == 0)
			ok |= sig_hex_equal(hex, sign, msg_strlen(m, "sign"));
	}
	if (!ok) {
		resp_set(resp, 403, "wrong signature");
		return -1;
	}
	return 1;
}

const struct vendor vendor_tencent = {
	.name = "tencent",
	.methods = VENDOR_POST,
	.decode = tencent_decode,
	.verify = tencent_verify,
};
