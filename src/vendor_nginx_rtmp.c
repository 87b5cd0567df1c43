/* vendor_nginx_rtmp.c -- nginx-rtmp-module notify (on_publish, on_play, on_record_done, on_update, ...; selfhosted.md section 2, SPEC section 11). */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "msg.h"
#include "vendor.h"

static const struct {
	const char	*call;
	enum event_kind	 kind;
} nginx_calls[] = {
	{ "publish", EVENT_PUBLISH },
	{ "publish_done", EVENT_UNPUBLISH },
	{ "play", EVENT_PLAY },
	{ "play_done", EVENT_PLAY_DONE },
	{ "record_done", EVENT_RECORD_FILE_COMPLETE },
	{ "update_publish", EVENT_HEARTBEAT },
	{ "update_play", EVENT_PLAY_HEARTBEAT },
	/* connect, disconnect and done (publishers and players) stay "other". */
};

/* The fields the module itself writes (ngx_rtmp_notify_module.c, 1.2.2). */
static const char *const nginx_fields[] = {
	"app", "flashver", "swfurl", "tcurl", "pageurl", "addr", "clientid",
	"epoch", "call", "name", "type", "start", "duration", "reset",
	"recorder", "path", "time", "timestamp",
};
#define NGINX_NFIELDS	(sizeof(nginx_fields) / sizeof(nginx_fields[0]))

static int
nginx_field(const char *k, size_t len)
{
	size_t	 i;

	for (i = 0; i < NGINX_NFIELDS; i++)
		if (strlen(nginx_fields[i]) == len &&
		    memcmp(nginx_fields[i], k, len) == 0)
			return (int)i;
	return -1;
}

/*
 * Where the client's own query starts in the raw form s: the module
 * writes its fields from "app" on, each once, then copies the publish
 * URL's arguments as they came (selfhosted.md 2.2).  The first pair
 * that is not one of its fields, or repeats one, starts them.  NULL
 * when there are none.
 */
static const char *
nginx_user_args(const char *s)
{
	unsigned char	 seen[NGINX_NFIELDS];
	const char	*p, *eq, *amp;
	int		 f, started = 0;

	memset(seen, 0, sizeof(seen));
	for (p = s; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strpbrk(p, "&?");
		eq = strchr(p, '=');
		if (eq == NULL || (amp != NULL && eq > amp))
			eq = amp != NULL ? amp : p + strlen(p);
		f = nginx_field(p, (size_t)(eq - p));
		if (!started) {
			/* A hook URL's own query (GET mode) comes before app. */
			if (f != 0)
				continue;
			started = 1;
		}
		if (f == -1 || seen[f])
			return *p != '\0' ? p : NULL;
		seen[f] = 1;
	}
	return NULL;
}

/* tcurl's host, lower case, without port or brackets, into ev->host. */
static const char *
nginx_tcurl_host(const char *tcurl, struct event *ev)
{
	const char	*h, *e;
	size_t		 n, i;

	if (tcurl == NULL || (h = strstr(tcurl, "://")) == NULL)
		return NULL;
	h += 3;
	if (*h == '[') {
		h++;
		e = strchr(h, ']');
	} else
		e = h + strcspn(h, ":/?");
	if (e == NULL || e == h || (n = (size_t)(e - h)) >= sizeof(ev->host))
		return NULL;
	for (i = 0; i < n; i++)
		ev->host[i] = (char)tolower((unsigned char)h[i]);
	ev->host[n] = '\0';
	return ev->host;
}

/*
 * A form-encoded POST, or the same string as the query of a GET
 * (notify_method get), where the module's "?" after a hook URL that has a
 * query of its own is read as "&".  The first occurrence of a key wins.
 */
static int
nginx_decode(const struct req *req, const struct config_vendor *vc,
    struct msg **mp, struct event *ev, struct resp *resp)
{
	const char	*err, *call, *raw, *recorder;
	struct msg	*m;
	char		*copy = NULL, *p;
	size_t		 len, i;

	ev->key_received = 1;
	ev->heartbeat_timeout = vc->heartbeat_timeout;
	if (strcmp(req->method, "GET") == 0) {
		raw = req->query;
		len = strlen(raw);
		if ((copy = malloc(len + 1)) == NULL) {
			resp_set(resp, 503, "out of memory");
			return -1;
		}
		memcpy(copy, raw, len + 1);
		for (p = copy; (p = strchr(p, '?')) != NULL; p++)
			*p = '&';
		m = *mp = msg_parse_query(copy, len, &err);
		free(copy);
	} else {
		raw = req->body;
		len = req->body_len;
		if (memchr(raw, '\0', len) != NULL) {
			resp_set(resp, 400, "NUL byte in the form");
			return -1;
		}
		m = *mp = msg_parse_query(raw, len, &err);
	}
	if (m == NULL) {
		resp_set(resp, 400, "%s", err);
		return -1;
	}
	/* The form as a JSON object, first occurrence of each key. */
	if ((ev->payload = msg_to_json(m)) == NULL) {
		resp_set(resp, 503, "out of memory");
		return -1;
	}
	ev->payload_len = strlen(ev->payload);
	if ((call = msg_str(m, "call")) == NULL || *call == '\0') {
		resp_set(resp, 400, "call missing");
		return -1;
	}
	ev->event = call;
	ev->kind = EVENT_OTHER;
	for (i = 0; i < sizeof(nginx_calls) / sizeof(nginx_calls[0]); i++)
		if (strcmp(nginx_calls[i].call, call) == 0) {
			ev->kind = nginx_calls[i].kind;
			break;
		}
	ev->domain = vc->store_domain != NULL ? vc->store_domain :
	    nginx_tcurl_host(msg_str(m, "tcurl"), ev);
	ev->app = msg_str(m, "app");
	ev->stream = msg_str(m, "name");
	ev->session_key = msg_str(m, "clientid");
	ev->client_ip = msg_str(m, "addr");
	ev->params = nginx_user_args(raw);
	if (ev->domain == NULL) {
		resp_set(resp, 400, "tcurl missing and no domain configured");
		return -1;
	}
	/* Wirecast's extra publish with an empty name at stop (#789). */
	if (ev->kind == EVENT_PUBLISH && (ev->stream == NULL || *ev->stream == '\0'))
		ev->kind = EVENT_OTHER;
	if (ev->kind == EVENT_OTHER)
		return 0;
	if (vendor_require_identity(ev, "tcurl", "app", "name", resp) == -1)
		return -1;
	if (ev->session_key == NULL || *ev->session_key == '\0') {
		resp_set(resp, 400, "clientid missing");
		return -1;
	}
	if (ev->kind == EVENT_RECORD_FILE_COMPLETE) {
		/* No size or duration is sent; record_unique puts the open time in the name. */
		ev->storage_path = msg_str(m, "path");
		ev->file_key = ev->storage_path;
		if ((recorder = msg_str(m, "recorder")) != NULL && *recorder != '\0')
			ev->task_id = recorder;
		ev->start_time = vendor_file_time(ev->storage_path, ev->format,
		    sizeof(ev->format));
		if (ev->file_key == NULL || *ev->file_key == '\0') {
			resp_set(resp, 400, "path missing");
			return -1;
		}
	}
	return 0;
}

/* Signed publish URLs: the client's own arguments follow the module's fields. */
static int
nginx_authorize(const struct req *req, const struct msg *m,
    const struct event *ev, const struct config_vendor *vc, int64_t now,
    struct resp *resp)
{
	const char	*args = ev->params;
	size_t		 len;

	(void)req;
	(void)m;
	if (ev->kind != EVENT_PUBLISH)
		return 0;
	/* Up to the end of the form (or, in GET mode, of the query). */
	len = args != NULL ? strlen(args) : 0;
	return vendor_check_publish(args, len, ev, vc, now, resp);
}

const struct vendor vendor_nginx_rtmp = {
	.name = "nginx-rtmp",
	.methods = VENDOR_POST | VENDOR_GET,
	.decode = nginx_decode,
	.verify = NULL,
	.authorize = nginx_authorize,
};
