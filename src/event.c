/* event.c -- the normalized event: its key, its JSON element, time parsing. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "event.h"
#include "sig.h"

static const char *const event_kind_names[] = {
	[EVENT_PUBLISH] = "publish",
	[EVENT_UNPUBLISH] = "unpublish",
	[EVENT_RECORD_STARTED] = "record_started",
	[EVENT_RECORD_PAUSED] = "record_paused",
	[EVENT_RECORD_RESUMED] = "record_resumed",
	[EVENT_RECORD_FILE_STARTED] = "record_file_started",
	[EVENT_RECORD_FILE_COMPLETE] = "record_file_complete",
	[EVENT_RECORD_OVER] = "record_over",
	[EVENT_RECORD_FAILED] = "record_failed",
	[EVENT_SNAPSHOT] = "snapshot",
	[EVENT_OTHER] = "other",
	[EVENT_PLAY] = "play",
	[EVENT_PLAY_DONE] = "play_done",
	[EVENT_HEARTBEAT] = "heartbeat",
	[EVENT_IGNORE] = "ignore",
	[EVENT_PLAY_HEARTBEAT] = "play_heartbeat",
};

static const char *const event_auth_names[] = {
	[EVENT_AUTH_SIGNATURE] = "signature",
	[EVENT_AUTH_TOKEN] = "token",
	[EVENT_AUTH_UNSIGNED] = "unsigned",
};

void
event_init(struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = EVENT_OTHER;
	ev->auth = EVENT_AUTH_UNSIGNED;
	ev->event_time = EVENT_UNSET;
	ev->push_duration = EVENT_UNSET;
	ev->start_time = EVENT_UNSET;
	ev->end_time = EVENT_UNSET;
	ev->duration = EVENT_UNSET;
	ev->file_size = EVENT_UNSET;
	ev->width = EVENT_UNSET;
	ev->height = EVENT_UNSET;
	ev->received_at = EVENT_UNSET;
	ev->heartbeat_timeout = EVENT_UNSET;
}

const char *
event_kind_name(enum event_kind k)
{
	if ((unsigned)k >= sizeof(event_kind_names) / sizeof(event_kind_names[0]))
		return "other";
	return event_kind_names[k];
}

const char *
event_auth_name(enum event_auth a)
{
	if ((unsigned)a >= sizeof(event_auth_names) / sizeof(event_auth_names[0]))
		return "unsigned";
	return event_auth_names[a];
}

/* One field of the key at o: its bytes, then a NUL separator so "ab","c" != "a","bc". */
static char *
event_key_field(char *o, const char *s, size_t n)
{
	if (n > 0)
		memcpy(o, s, n);
	o[n] = '\0';
	return o + n + 1;
}

/*
 * The key covers what identifies the event, and nothing a vendor changes
 * when it re-signs a retry (signature, auth timestamp, receive time).
 * Its bytes go into a stack buffer when they fit (nearly always), else
 * into one allocation of the exact size.
 */
int
event_make_key(struct event *ev)
{
	const char	*f[] = { ev->vendor, event_kind_name(ev->kind), ev->event,
			    ev->domain, ev->app, ev->stream, ev->session_key,
			    ev->file_key, NULL, ev->url, NULL, ev->node };
	size_t		 n[sizeof(f) / sizeof(f[0])], need = 0, i, nf;
	char		 local[1024], digits[BUF_I64_MAX], rdigits[BUF_I64_MAX];
	char		*mat = local, *o, *t, *r;
	int		 rc;

	/* The vendor's stable event id identifies the event by itself. */
	if (ev->event_id != NULL) {
		const char *g[] = { ev->vendor, "event-id", ev->event_id };
		for (o = local, i = 0; i < 3; i++) {
			n[i] = g[i] != NULL ? strlen(g[i]) : 0;
			need += n[i] + 1;
		}
		if (need > sizeof(local) && (mat = malloc(need)) == NULL)
			return -1;
		for (o = mat, i = 0; i < 3; i++)
			o = event_key_field(o, g[i], n[i]);
		rc = sig_sha256_hex(mat, need, ev->key);
		if (mat != local)
			free(mat);
		return rc;
	}
	/* The event time's field: decimal ms, empty when it is the receive time. */
	t = digits + sizeof(digits);
	if (ev->event_time != EVENT_UNSET && !ev->event_time_received)
		t = buf_i64_digits(digits, ev->event_time);
	f[8] = t;
	/*
	 * Servers that send no time and never retry (SPEC section 11): the
	 * receive time and the server's id join the key.  Other vendors'
	 * keys keep their ten fields, so stored keys stay valid.
	 */
	nf = 10;
	r = rdigits + sizeof(rdigits);
	if (ev->key_received) {
		if (ev->received_at != EVENT_UNSET)
			r = buf_i64_digits(rdigits, ev->received_at);
		f[10] = r;
		nf = 12;
	}
	for (i = 0; i < nf; i++) {
		if (i == 8)
			n[i] = (size_t)(digits + sizeof(digits) - t);
		else if (i == 10)
			n[i] = (size_t)(rdigits + sizeof(rdigits) - r);
		else
			n[i] = f[i] != NULL ? strlen(f[i]) : 0;
		need += n[i] + 1;
	}
	if (need > sizeof(local) && (mat = malloc(need)) == NULL)
		return -1;
	for (o = mat, i = 0; i < nf; i++)
		o = event_key_field(o, f[i], n[i]);
	rc = sig_sha256_hex(mat, need, ev->key);
	if (mat != local)
		free(mat);
	return rc;
}

const char *
event_keep(struct event *ev, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 room = sizeof(ev->scratch) - ev->scratch_used;
	char	*at = ev->scratch + ev->scratch_used;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(at, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return NULL;
	ev->scratch_used += (size_t)n + 1;
	return at;
}

const char *
event_keep_join(struct event *ev, const char *const *part, const size_t *len,
    size_t n)
{
	size_t	 room = sizeof(ev->scratch) - ev->scratch_used, used = 0, l, i;
	char	*at = ev->scratch + ev->scratch_used;

	for (i = 0; i < n; i++) {
		/* As printf's "%.*s" and "%s": up to a NUL, at most len[i]. */
		l = len == NULL ? strlen(part[i]) : strnlen(part[i], len[i]);
		if (l >= room - used)
			return NULL;
		memcpy(at + used, part[i], l);
		used += l;
	}
	if (used >= room)
		return NULL;
	at[used] = '\0';
	ev->scratch_used += used + 1;
	return at;
}

/*
 * A member's name comes with its comma and colon as one literal whose
 * length the compiler knows: no strlen() and no look-back for the
 * comma per member (about a hundred instructions each on every
 * request).  Every member but the first ("vendor") follows another.
 */
#define EVENT_NAME(n)	",\"" n "\":", sizeof(",\"" n "\":") - 1

static inline void
event_json_strfield(struct buf *b, const char *name, size_t namelen,
    const char *val)
{
	if (val == NULL)
		return;
	buf_add(b, name, namelen);
	buf_json_str(b, val, strlen(val));
}

static inline void
event_json_numfield(struct buf *b, const char *name, size_t namelen,
    int64_t val)
{
	if (val == EVENT_UNSET)
		return;
	buf_add(b, name, namelen);
	buf_i64(b, val);
}

/* A string that needs no escaping (our own names and the hex key). */
static inline void
event_json_plainfield(struct buf *b, const char *name, size_t namelen,
    const char *val)
{
	buf_add(b, name, namelen);
	buf_addc(b, '"');
	buf_adds(b, val);
	buf_addc(b, '"');
}

void
event_to_json(const struct event *ev, struct buf *b)
{
	buf_addc(b, '{');
	if (ev->vendor != NULL) {
		buf_adds(b, "\"vendor\":");
		buf_json_str(b, ev->vendor, strlen(ev->vendor));
		event_json_plainfield(b, EVENT_NAME("kind"),
		    event_kind_name(ev->kind));
	} else
		event_json_plainfield(b, "\"kind\":", sizeof("\"kind\":") - 1,
		    event_kind_name(ev->kind));
	event_json_plainfield(b, EVENT_NAME("auth"), event_auth_name(ev->auth));
	event_json_strfield(b, EVENT_NAME("event"), ev->event);
	event_json_plainfield(b, EVENT_NAME("event_key"), ev->key);
	event_json_strfield(b, EVENT_NAME("remote_addr"), ev->remote_addr);
	event_json_numfield(b, EVENT_NAME("received_at"), ev->received_at);
	event_json_strfield(b, EVENT_NAME("domain"), ev->domain);
	event_json_strfield(b, EVENT_NAME("app"), ev->app);
	event_json_strfield(b, EVENT_NAME("stream"), ev->stream);
	event_json_numfield(b, EVENT_NAME("event_time"), ev->event_time);
	if (ev->event_time_received)
		buf_add(b, ",\"event_time_received\":true",
		    sizeof(",\"event_time_received\":true") - 1);
	else
		buf_add(b, ",\"event_time_received\":false",
		    sizeof(",\"event_time_received\":false") - 1);

	event_json_strfield(b, EVENT_NAME("session_key"), ev->session_key);
	event_json_numfield(b, EVENT_NAME("heartbeat_timeout"),
	    ev->heartbeat_timeout);
	event_json_strfield(b, EVENT_NAME("client_ip"), ev->client_ip);
	event_json_strfield(b, EVENT_NAME("node"), ev->node);
	event_json_strfield(b, EVENT_NAME("params"), ev->params);
	event_json_strfield(b, EVENT_NAME("error_code"), ev->error_code);
	event_json_strfield(b, EVENT_NAME("error_message"), ev->error_message);
	event_json_numfield(b, EVENT_NAME("push_duration"), ev->push_duration);

	event_json_strfield(b, EVENT_NAME("file_key"), ev->file_key);
	if (ev->format[0] != '\0')
		event_json_strfield(b, EVENT_NAME("format"), ev->format);
	event_json_strfield(b, EVENT_NAME("url"), ev->url);
	event_json_strfield(b, EVENT_NAME("play_url"), ev->play_url);
	event_json_strfield(b, EVENT_NAME("storage_path"), ev->storage_path);
	event_json_strfield(b, EVENT_NAME("task_id"), ev->task_id);
	if (ev->segments != NULL) {
		/* Already JSON text (msg_json of the vendor's array). */
		buf_add(b, EVENT_NAME("segments"));
		buf_adds(b, ev->segments);
	}
	event_json_numfield(b, EVENT_NAME("start_time"), ev->start_time);
	event_json_numfield(b, EVENT_NAME("end_time"), ev->end_time);
	event_json_numfield(b, EVENT_NAME("duration"), ev->duration);
	event_json_numfield(b, EVENT_NAME("file_size"), ev->file_size);
	event_json_numfield(b, EVENT_NAME("width"), ev->width);
	event_json_numfield(b, EVENT_NAME("height"), ev->height);

	if (ev->payload != NULL) {
		/* The message as received: strict JSON already (msg_parse_json). */
		buf_add(b, EVENT_NAME("payload"));
		buf_add(b, ev->payload, ev->payload_len);
	}
	buf_addc(b, '}');
}

/* Read exactly n digits at *p into *out.  0 or -1. */
static int
event_digits(const char **p, int n, int *out)
{
	int	 v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/*
 * Days from 1970-01-01 to y-mo-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil); a day past the month's end runs on
 * into the next month, as timegm() normalizes it.  timegm() went
 * through mktime's search with time zone checks, some 700 instructions
 * for each of the two times of a huawei recording.
 */
static int64_t
event_days(int y, int mo, int d)
{
	int64_t	 era, yoe, doy;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

int
event_parse_time(const char *s, int64_t *ms)
{
	const char	*p = s;
	int		 y, mo, d, h, mi, sec, oh, om, frac = 0, scale = 100;
	int64_t		 off = 0;
	int64_t		 t;

	/* RFC 3339 section 5.6: date-time = full-date "T" full-time. */
	if (s == NULL || event_digits(&p, 4, &y) || *p++ != '-' ||
	    event_digits(&p, 2, &mo) || *p++ != '-' ||
	    event_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (event_digits(&p, 2, &h) || *p++ != ':' ||
	    event_digits(&p, 2, &mi) || *p++ != ':' ||
	    event_digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		if (event_digits(&p, 2, &oh) || *p++ != ':' ||
		    event_digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = sign * (int64_t)(oh * 3600 + om * 60);
	} else
		return -1;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	t = event_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	/* timegm()'s error value, which a valid time can have: refused as before. */
	if (t == -1)
		return -1;
	*ms = (t - off) * 1000 + frac;
	return 0;
}
