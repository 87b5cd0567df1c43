/* handler.c -- one request: route, vendor, verify, decode, store, answer. */
#include "autoconfig.h"

#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "reject.h"
#include "req.h"
#include "resp.h"
#include "spool.h"
#include "store.h"
#include "vendor.h"
#include "writer.h"

/*
 * The last one or two segments of the path: "/<vendor>" or
 * "/<vendor>/<token>" or "/healthz" / "/readyz".  Trailing slashes are
 * ignored.  Returns the number of segments found (0..2).
 */
static int
handler_segments(char *path, const char **last, const char **prev)
{
	char	*p;
	size_t	 len = strlen(path);

	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	*last = *prev = NULL;
	if (len == 0)
		return 0;
	if ((p = strrchr(path, '/')) == NULL) {
		*last = path;
		return 1;
	}
	*last = p + 1;
	*p = '\0';
	if ((p = strrchr(path, '/')) == NULL) {
		*prev = path;
		return path[0] != '\0' ? 2 : 1;
	}
	*prev = p + 1;
	return 2;
}

/*
 * The request path for the log, escaped: a segment that follows a
 * vendor's name is a path token, a secret, and shows as "(token)".
 */
static void
handler_log_path(const struct req *req, char *dst, size_t dstsz)
{
	static const char	 redacted[] = "(token)", toolong[] = "(path too long)";
	char			 path[REQ_PATH_MAX], shown[REQ_PATH_MAX];
	const char		*seg, *end, *prev = NULL, *put;
	size_t			 o = 0, len, n, prevlen = 0;

	if (req_path(req, path, sizeof(path)) == -1) {
		log_escape(dst, dstsz, toolong, sizeof(toolong) - 1);
		return;
	}
	for (seg = path;; seg = end + 1) {
		end = strchr(seg, '/');
		len = end != NULL ? (size_t)(end - seg) : strlen(seg);
		put = seg;
		n = len;
		if (prev != NULL && len > 0 && vendor_find(prev, prevlen) != NULL) {
			put = redacted;
			n = sizeof(redacted) - 1;
		}
		/* shown is as large as path: "(token)" may not fit a short one. */
		if (o + n + 1 >= sizeof(shown))
			break;
		memcpy(shown + o, put, n);
		o += n;
		if (end == NULL)
			break;
		shown[o++] = '/';
		prev = seg;
		prevlen = len;
	}
	log_escape(dst, dstsz, shown, o);
}

/* One log line for a request that is not answered 200: who, what, why. */
static void
handler_log(const struct req *req, const char *vendor, const struct resp *resp)
{
	char		 addr[64], method[24], path[160];
	const char	*m = req->method != NULL ? req->method : "-";

	handler_log_path(req, path, sizeof(path));
	log_warnx("%s: %s: %s %s: %d %s", vendor != NULL ? vendor : "request",
	    log_escape(addr, sizeof(addr), req->remote_addr,
	    strlen(req->remote_addr)), log_escape(method, sizeof(method), m,
	    strlen(m)), path, resp->status, resp->message);
}

/* /healthz and /readyz. */
static void
handler_probe(const struct handler_ctx *ctx, const char *what, struct resp *resp)
{
	if (strcmp(what, "healthz") == 0) {
		resp_set(resp, 200, "ok");
		return;
	}
	long	 waiting;

	if (store_ping(ctx->store)) {
		resp_set(resp, 200, "ready");
		if (ctx->spool != NULL && (waiting = spool_count(ctx->spool)) > 0)
			resp_set(resp, 200, "ready, %ld spooled event(s) to replay", waiting);
	} else if (ctx->spool != NULL && spool_writable(ctx->spool)) {
		waiting = spool_count(ctx->spool);
		resp_set(resp, 200, "database unavailable, spooling (%ld waiting)",
		    waiting > 0 ? waiting : 0);
	} else
		resp_set(resp, 503, "database unavailable");
}

/*
 * /metrics: the shared counters and what this process sees now (the
 * database, the spool), or 404 when [server] metrics is off.
 */
static void
handler_metrics(const struct handler_ctx *ctx, struct resp *resp)
{
	struct metrics_now	 now;
	struct buf		 b = BUF_INIT;
	int64_t			 oldest;

	if (!ctx->config->metrics) {
		resp_set(resp, 404, "metrics are off ([server] metrics = yes)");
		return;
	}
	now.database_up = ctx->store != NULL && store_up(ctx->store);
	now.spool_files = -1;
	now.spool_oldest_age = 0;
	if (ctx->spool != NULL) {
		now.spool_files = spool_count(ctx->spool);
		if (now.spool_files < 0)
			now.spool_files = 0;
		if ((oldest = spool_oldest_ms(ctx->spool)) > 0) {
			struct timespec	 ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			now.spool_oldest_age = ((double)ts.tv_sec * 1000 +
			    ts.tv_nsec / 1000000 - (double)oldest) / 1000;
			if (now.spool_oldest_age < 0)
				now.spool_oldest_age = 0;
		}
	}
	metrics_render(&b, &now);
	if (b.failed) {
		buf_free(&b);
		resp_set(resp, 503, "out of memory");
		return;
	}
	resp_set(resp, 200, "ok");
	resp->text = b.data;		/* resp_clear frees it */
	resp->text_len = b.len;
	resp->text_type = METRICS_CONTENT_TYPE;
}

int
handler_prepare(const struct config *cfg, const struct req *req,
    const struct vendor *v, const char *token, struct msg **msg,
    struct event *ev, struct buf *row, struct resp *resp)
{
	const char		*bad;
	struct config_vendor	 vc;

	*msg = NULL;
	event_init(ev);
	if (config_vendor_get(cfg, v->name, NULL, &vc) == -1) {
		resp_set(resp, 404, "vendor %s is not enabled", v->name);
		return -1;
	}
	if ((strcmp(req->method, "GET") == 0 && !(v->methods & VENDOR_GET)) ||
	    (strcmp(req->method, "POST") == 0 && !(v->methods & VENDOR_POST)) ||
	    (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)) {
		resp_set(resp, 405, "method not allowed");
		return -1;
	}
	if (req->body_status != 0) {
		resp_set(resp, req->body_status, "%s", req->body_reason);
		return -1;
	}
	ev->vendor = v->name;
	ev->remote_addr = req->remote_addr;
	ev->received_at = req->received_at;
	if (v->decode(req, &vc, msg, ev, resp) == -1)
		return -1;
	/* Per-domain keys and settings, now that the domain is known. */
	if (config_vendor_get(cfg, v->name, ev->domain, &vc) == -1) {
		resp_set(resp, 404, "vendor %s is not enabled", v->name);
		return -1;
	}
	if (vendor_authenticate(v, req, *msg, ev, &vc, token,
	    req->received_at / 1000, resp) == -1)
		return -1;
	if (v->authorize != NULL && v->authorize(req, *msg, ev, &vc,
	    req->received_at / 1000, resp) == -1)
		return -1;
	if (ev->event_time == EVENT_UNSET) {
		ev->event_time = req->received_at;
		ev->event_time_received = 1;
	}
	if (event_make_key(ev) == -1) {
		resp_set(resp, 503, "cannot compute the event key");
		return -1;
	}
	if (event_to_row(ev, row, &bad) == -1) {
		resp_set(resp, 400, "%s out of range", bad);
		return -1;
	}
	if (row->failed) {
		resp_set(resp, 503, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * The answer for an event the writer has handed back: stored, a
 * duplicate, refused, or -- the database away -- spooled (SPEC 6).
 */
static void
handler_result(const struct handler_ctx *ctx, enum store_result res,
    const struct buf *row, struct resp *resp, enum metrics_outcome *outcome)
{
	struct buf	 json = BUF_INIT;

	switch (res) {
	case STORE_OK:
		resp_set(resp, 200, "ok");
		*outcome = METRICS_STORED;
		break;
	case STORE_DUP:
		resp_set(resp, 200, "duplicate");
		*outcome = METRICS_DUPLICATE;
		break;
	case STORE_ERR:
		resp_set(resp, 400, "value refused by the database");
		break;
	case STORE_RETRY:
	default:
		/* The spool keeps the JSON element that ingest(jsonb) reads. */
		if (ctx->spool != NULL &&
		    event_row_json(row->data, row->len, &json) == 0 &&
		    !json.failed &&
		    spool_put(ctx->spool, json.data, json.len) == 0) {
			resp_set(resp, 200, "ok");
			*outcome = METRICS_SPOOLED;
		}
		else
			resp_set(resp, 503, "event could not be made durable");
		buf_free(&json);
		break;
	}
}

/*
 * Route req (path: REQ_PATH_MAX bytes that *token points into): a probe
 * is answered into resp (returns 0); a callback sets *v and *token
 * (returns 1); anything else is answered 404 (returns 0).
 */
static int
handler_route(const struct handler_ctx *ctx, const struct req *req,
    char *path, const struct vendor **v, const char **token,
    int *probe, struct resp *resp)
{
	const char		*last, *prev;
	int			 n;

	*v = NULL;
	*token = NULL;
	if (req_path(req, path, REQ_PATH_MAX) == -1) {
		resp_set(resp, 404, "path too long");
		return 0;
	}
	n = handler_segments(path, &last, &prev);
	if (n >= 1 && (strcmp(last, "healthz") == 0 || strcmp(last, "readyz") == 0)) {
		*probe = 1;
		handler_probe(ctx, last, resp);
		return 0;
	}
	if (n >= 1 && strcmp(last, "metrics") == 0) {
		*probe = 1;
		handler_metrics(ctx, resp);
		return 0;
	}
	if (n >= 1)
		*v = vendor_find(last, strlen(last));
	if (*v == NULL && n == 2) {
		/* Only a vendor's path token follows its name. */
		*v = vendor_find(prev, strlen(prev));
		*token = last;
	}
	if (*v == NULL) {
		resp_set(resp, 404, "unknown path");
		return 0;
	}
	return 1;
}

/*
 * Log a refusal, count the request (metrics; a refusal also in the
 * rejection counts the writer flushes), free what the call holds.
 */
static void
handler_end(const struct req *req, struct handler_call *call,
    const struct resp *resp)
{
	const char		*vendor = call->vendor != NULL ? call->vendor->name : NULL;
	enum metrics_outcome	 outcome = call->outcome;
	struct timespec		 ts;
	int64_t			 usec = -1;

	if (resp->status != 200)
		handler_log(req, vendor, resp);
	if (!call->probe) {
		if (resp->status != 200) {
			outcome = resp->status == 503 ? METRICS_UNAVAILABLE :
			    METRICS_REJECTED;
			reject_note(vendor, resp->status, resp->message,
			    req->remote_addr, req->received_at);
		}
		if (req->started_us > 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			usec = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 -
			    req->started_us;
		}
		metrics_request(vendor, call->kind, outcome, resp->status, usec);
	}
	buf_free(&call->row);
}

/*
 * Route req and prepare its event into call: 1 when call->item is ready
 * for the writer, else 0 with resp the answer (logged, call freed).
 */
static int
handler_begin(const struct handler_ctx *ctx, const struct req *req,
    struct resp *resp, struct handler_call *call)
{
	struct event		 ev;
	struct msg		*msg = NULL;
	int			 rc = 0;

	memset(call, 0, sizeof(*call));
	if (handler_route(ctx, req, call->path, &call->vendor, &call->token,
	    &call->probe, resp) == 1 && handler_prepare(ctx->config, req,
	    call->vendor, call->token, &msg, &ev, &call->row, resp) == 0) {
		call->kind = event_kind_name(ev.kind);
		call->item.row = call->row.data;
		call->item.len = call->row.len;
		rc = 1;
		/* answered success, nothing to store (SPEC 11). */
		if (ev.kind == EVENT_IGNORE) {
			resp_set(resp, 200, "ok");
			resp->body = ev.answer;
			rc = 0;
		}
	}
	msg_free(msg);
	if (rc == 0)
		handler_end(req, call, resp);
	return rc;
}

void
handler_run(const struct handler_ctx *ctx, const struct req *req, struct resp *resp)
{
	struct handler_call	 call;

	if (handler_begin(ctx, req, resp, &call) == 1) {
		call.item.res = writer_submit(ctx->writer, call.item.row,
		    call.item.len);
		handler_finish(ctx, req, &call, resp);
	}
}

int
handler_start(const struct handler_ctx *ctx, const struct req *req,
    struct resp *resp, struct handler_call *call)
{
	if (handler_begin(ctx, req, resp, call) == 0)
		return 0;
	if (writer_enqueue(ctx->writer, &call->item) == 0)
		return 1;
	/* Stopping: the event can still be made durable. */
	call->item.res = STORE_RETRY;
	handler_finish(ctx, req, call, resp);
	return 0;
}

void
handler_finish(const struct handler_ctx *ctx, const struct req *req,
    struct handler_call *call, struct resp *resp)
{
	handler_result(ctx, call->item.res, &call->row, resp, &call->outcome);
	handler_end(req, call, resp);
}
