/* vendor_mux.c -- Mux Video webhooks for live streams (reference/ivs-mux.md section 2, vendors.md 5.5, SPEC section 11). */
#include "autoconfig.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "sig.h"
#include "vendor.h"

/* v1 signatures read from one Mux-Signature header (one per signing secret). */
#define MUX_V1_MAX	8
/* Longest "t" accepted: Unix seconds (digits; no int64 overflow). */
#define MUX_T_MAX	12
/* Signed input kept on the stack when t + "." + body fits; else allocated. */
#define MUX_STACK_MAX	4096

/* What is mapped; every other authentic type is kept as other. */
static const struct {
	const char	*type;
	enum event_kind	 kind;
} mux_events[] = {
	/* "each time a broadcast begins or ends" (ivs-mux.md 2 (c)) */
	{ "video.live_stream.active", EVENT_PUBLISH },
	{ "video.live_stream.idle", EVENT_UNPUBLISH },
	/* The asset recording a live stream: playable, finished, failed. */
	{ "video.asset.ready", EVENT_RECORD_STARTED },
	{ "video.asset.live_stream_completed", EVENT_RECORD_FILE_COMPLETE },
	{ "video.asset.errored", EVENT_RECORD_FAILED },
};

/*
 * Credentials inside the payload: the live stream's RTMP/SRT key and
 * the keys of its simulcast targets ("should be considered as
 * sensitive as credentials").  Removed before anything is stored.
 */
static const char *const mux_secrets[] = {
	"data.stream_key",
	"data.simulcast_targets[].stream_key",
	"data.srt_passphrase",
};

/* A live asset's recording: id, live stream, duration (s), playback. */
static int
mux_decode_asset(const struct msg *d, struct event *ev, struct resp *resp)
{
	const struct msg	*pb, *errs;
	double			 secs;
	int			 rc;

	ev->file_key = msg_str(d, "id");
	if ((rc = msg_f64(d, "duration", &secs)) == -1 || (rc == 0 &&
	    (secs < 0 || secs > 1e12))) {
		resp_set(resp, 400, "data.duration is not a valid number");
		return -1;
	}
	if (rc == 0)
		ev->duration = (int64_t)llround(secs * 1000);
	/* A public playback id plays at stream.mux.com/<id>.m3u8. */
	if ((pb = msg_elem(d, "playback_ids", 0)) != NULL &&
	    msg_str(pb, "id") != NULL && msg_str(pb, "policy") != NULL &&
	    strcmp(msg_str(pb, "policy"), "public") == 0) {
		const char *part[] = { "https://stream.mux.com/",
		    msg_str(pb, "id"), ".m3u8" };

		ev->play_url = event_keep_join(ev, part, NULL, 3);
	}
	if (ev->kind == EVENT_RECORD_FAILED &&
	    (errs = msg_obj(d, "errors")) != NULL) {
		ev->error_message = msg_elem_str(errs, "messages", 0);
		if (ev->error_message == NULL)
			ev->error_message = msg_str(errs, "type");
	}
	return 0;
}

static int
mux_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev, struct resp *resp)
{
	const char		*err, *type, *t, *asset;
	const struct msg	*d, *env;
	struct msg		*m;
	size_t			 i;
	int			 mapped, removed = 0;

	(void)vc;
	if ((m = *mp = msg_parse_json(req->body, req->body_len, &err)) == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	if ((type = msg_str(m, "type")) == NULL) {
		resp_set(resp, 400, "type missing");
		return -1;
	}
	/* id: "Unique identifier for the event", the same on every attempt. */
	if ((ev->event_id = msg_str(m, "id")) == NULL || *ev->event_id == '\0') {
		resp_set(resp, 400, "id missing");
		return -1;
	}
	if ((t = msg_str(m, "created_at")) != NULL &&
	    event_parse_time(t, &ev->event_time) == -1) {
		resp_set(resp, 400, "created_at is not an ISO 8601 time");
		return -1;
	}
	ev->event = type;
	ev->kind = EVENT_OTHER;
	ev->app = "mux";
	if ((env = msg_obj(m, "environment")) != NULL)
		ev->domain = msg_str(env, "id");
	d = msg_obj(m, "data");
	if (strncmp(type, "video.live_stream.", 18) == 0 && d != NULL)
		ev->stream = msg_str(d, "id");
	else if (strncmp(type, "video.asset.", 12) == 0 && d != NULL)
		ev->stream = msg_str(d, "live_stream_id");
	for (i = 0; i < sizeof(mux_events) / sizeof(mux_events[0]); i++)
		if (strcmp(type, mux_events[i].type) == 0)
			break;
	mapped = i < sizeof(mux_events) / sizeof(mux_events[0]);
	/*
	 * Without data (the vendors.md section 7 vector's body) or, for an
	 * asset, without a live stream: authentic, kept as other.
	 */
	if (d == NULL || (ev->stream == NULL &&
	    strncmp(type, "video.asset.", 12) == 0))
		mapped = 0;
	if (mapped) {
		ev->kind = mux_events[i].kind;
		if (vendor_require_identity(ev, "environment.id", "app",
		    "data.id", resp) == -1)
			return -1;
		if (ev->kind == EVENT_PUBLISH || ev->kind == EVENT_UNPUBLISH) {
			/* The session: the asset recording this broadcast. */
			if ((asset = msg_str(d, "active_asset_id")) == NULL)
				asset = msg_elem_str(d, "recent_asset_ids", -1);
			ev->session_key = asset;
		} else if (mux_decode_asset(d, ev, resp) == -1)
			return -1;
	}
	/* The payload as received, less the credentials (SPEC section 11). */
	for (i = 0; i < sizeof(mux_secrets) / sizeof(mux_secrets[0]); i++)
		removed += msg_remove(m, mux_secrets[i]);
	/*
	 * Without a credential the body itself is the payload, as for the
	 * other vendors: strict JSON already (msg_parse_json), the same
	 * jsonb as json-c's re-serialization, which cost some 19,000
	 * instructions for a 2 kB event.
	 */
	if (removed == 0) {
		ev->payload = req->body;
		ev->payload_len = req->body_len;
		return 0;
	}
	if ((ev->payload = msg_to_json(m)) == NULL) {
		resp_set(resp, 503, "out of memory");
		return -1;
	}
	ev->payload_len = strlen(ev->payload);
	return 0;
}

/*
 * Mux-Signature: "t=<unix s>,v1=<hex>[,v1=<hex>...]" (vendors.md 5.5):
 * v1 = hex(HMAC-SHA256(secret, t + "." + raw body)).  Every configured
 * secret against every v1; t is an issue time within +-tolerance.
 */
static int
mux_verify(const struct req *req, const struct msg *m, const struct event *ev,
    const struct config_vendor *vc, int64_t now, struct resp *resp)
{
	char		 local[MUX_STACK_MAX], hex[SIG_SHA256_HEX + 1], tbuf[MUX_T_MAX + 1];
	const char	*hdr, *p, *end, *eq, *v1[MUX_V1_MAX];
	size_t		 v1len[MUX_V1_MAX], nv1 = 0, tlen = 0, need, i, j;
	char		*in = local;
	int64_t		 ts = 0;
	int		 ok = 0, rc = -1;

	(void)m;
	(void)ev;
	if ((hdr = req_param(req, "HTTP_MUX_SIGNATURE")) == NULL)
		return 0;
	if (vc->nkeys == 0) {
		resp_set(resp, 403, "signed message but no key configured");
		return -1;
	}
	/* Split on ',', then on the first '='; unknown schemes are ignored. */
	for (p = hdr; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			continue;
		if (eq - p == 1 && p[0] == 't') {
			tlen = (size_t)(end - eq - 1);
			if (tlen == 0 || tlen > MUX_T_MAX)
				goto malformed;
			for (ts = 0, i = 0; i < tlen; i++) {
				if (eq[1 + i] < '0' || eq[1 + i] > '9')
					goto malformed;
				ts = ts * 10 + (eq[1 + i] - '0');
			}
			memcpy(tbuf, eq + 1, tlen);
			tbuf[tlen] = '\0';
		} else if (eq - p == 2 && p[0] == 'v' && p[1] == '1' &&
		    nv1 < MUX_V1_MAX) {
			v1[nv1] = eq + 1;
			v1len[nv1++] = (size_t)(end - eq - 1);
		}
	}
	if (tlen == 0 || nv1 == 0)
		goto malformed;
	need = tlen + 1 + req->body_len;
	if (need > sizeof(local) && (in = malloc(need)) == NULL) {
		resp_set(resp, 503, "out of memory");
		return -1;
	}
	memcpy(in, tbuf, tlen);
	in[tlen] = '.';
	if (req->body_len > 0)
		memcpy(in + tlen + 1, req->body, req->body_len);
	for (i = 0; i < vc->nkeys; i++) {
		if (sig_hmac_sha256_hex(vc->keys[i], strlen(vc->keys[i]), in,
		    need, hex) == -1)
			continue;
		for (j = 0; j < nv1; j++)
			ok |= sig_hex_equal(hex, v1[j], v1len[j]);
	}
	if (!ok) {
		resp_set(resp, 403, "wrong signature");
		goto out;
	}
	if (vendor_check_issued(ts, now, vc, resp) == -1)
		goto out;
	rc = 1;
	goto out;
malformed:
	resp_set(resp, 403, "Mux-Signature malformed");
	return -1;
out:
	if (in != local)
		free(in);
	return rc;
}

const struct vendor vendor_mux = {
	.name = "mux",
	.methods = VENDOR_POST,
	.decode = mux_decode,
	.verify = mux_verify,
};
