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

const struct event_column event_columns[EVENT_COLUMNS] = {
	{ "vendor", EVENT_COL_TEXT },
	{ "kind", EVENT_COL_TEXT },
	{ "auth", EVENT_COL_TEXT },
	{ "event", EVENT_COL_TEXT },
	{ "event_key", EVENT_COL_TEXT },
	{ "remote_addr", EVENT_COL_TEXT },
	{ "received_at", EVENT_COL_FLOAT8 },
	{ "domain", EVENT_COL_TEXT },
	{ "app", EVENT_COL_TEXT },
	{ "stream", EVENT_COL_TEXT },
	{ "event_time", EVENT_COL_FLOAT8 },
	{ "session_key", EVENT_COL_TEXT },
	{ "client_ip", EVENT_COL_TEXT },
	{ "node", EVENT_COL_TEXT },
	{ "params", EVENT_COL_TEXT },
	{ "error_code", EVENT_COL_TEXT },
	{ "error_message", EVENT_COL_TEXT },
	{ "push_duration", EVENT_COL_FLOAT8 },
	{ "file_key", EVENT_COL_TEXT },
	{ "format", EVENT_COL_TEXT },
	{ "url", EVENT_COL_TEXT },
	{ "play_url", EVENT_COL_TEXT },
	{ "storage_path", EVENT_COL_TEXT },
	{ "task_id", EVENT_COL_TEXT },
	{ "segments", EVENT_COL_JSONB },
	{ "start_time", EVENT_COL_FLOAT8 },
	{ "end_time", EVENT_COL_FLOAT8 },
	{ "duration", EVENT_COL_FLOAT8 },
	{ "file_size", EVENT_COL_INT8 },
	{ "width", EVENT_COL_INT4 },
	{ "height", EVENT_COL_INT4 },
	{ "payload", EVENT_COL_JSONB },
	{ "heartbeat_timeout", EVENT_COL_INT4 },
};

/* A field's length, big-endian; (uint32_t)-1 is NULL. */
static inline void
event_row_len(struct buf *b, uint32_t n)
{
	buf_add_be(b, n, 4);
}

static inline void
event_row_text(struct buf *b, const char *s)
{
	size_t	 n;

	if (s == NULL) {
		event_row_len(b, UINT32_MAX);
		return;
	}
	n = strlen(s);
	event_row_len(b, (uint32_t)n);
	buf_add(b, s, n);
}

static inline void
event_row_ms(struct buf *b, int64_t v)
{
	double		 d = (double)v;
	uint64_t	 u;

	if (v == EVENT_UNSET) {
		event_row_len(b, UINT32_MAX);
		return;
	}
	memcpy(&u, &d, sizeof(u));
	event_row_len(b, 8);
	buf_add_be(b, u, 8);
}

static inline void
event_row_i8(struct buf *b, int64_t v)
{
	if (v == EVENT_UNSET) {
		event_row_len(b, UINT32_MAX);
		return;
	}
	event_row_len(b, 8);
	buf_add_be(b, (uint64_t)v, 8);
}

/* 0, or -1 when v does not fit an int4. */
static inline int
event_row_i4(struct buf *b, int64_t v)
{
	if (v == EVENT_UNSET) {
		event_row_len(b, UINT32_MAX);
		return 0;
	}
	if (v < INT32_MIN || v > INT32_MAX)
		return -1;
	event_row_len(b, 4);
	buf_add_be(b, (uint32_t)(int32_t)v, 4);
	return 0;
}

/* JSON text as jsonb's binary format: version 1, then the text. */
static inline void
event_row_jsonb(struct buf *b, const char *s, size_t n)
{
	if (s == NULL) {
		event_row_len(b, UINT32_MAX);
		return;
	}
	event_row_len(b, (uint32_t)n + 1);
	buf_addc(b, 1);
	buf_add(b, s, n);
}

int
event_to_row(const struct event *ev, struct buf *b, const char **bad)
{
	*bad = NULL;
	/* In the order of event_columns. */
	event_row_text(b, ev->vendor);
	event_row_text(b, event_kind_name(ev->kind));
	event_row_text(b, event_auth_name(ev->auth));
	event_row_text(b, ev->event);
	event_row_text(b, ev->key);
	event_row_text(b, ev->remote_addr);
	event_row_ms(b, ev->received_at);
	event_row_text(b, ev->domain);
	event_row_text(b, ev->app);
	event_row_text(b, ev->stream);
	event_row_ms(b, ev->event_time);
	event_row_text(b, ev->session_key);
	event_row_text(b, ev->client_ip);
	event_row_text(b, ev->node);
	event_row_text(b, ev->params);
	event_row_text(b, ev->error_code);
	event_row_text(b, ev->error_message);
	event_row_ms(b, ev->push_duration);
	event_row_text(b, ev->file_key);
	event_row_text(b, ev->format[0] != '\0' ? ev->format : NULL);
	event_row_text(b, ev->url);
	event_row_text(b, ev->play_url);
	event_row_text(b, ev->storage_path);
	event_row_text(b, ev->task_id);
	event_row_jsonb(b, ev->segments, ev->segments != NULL ?
	    strlen(ev->segments) : 0);
	event_row_ms(b, ev->start_time);
	event_row_ms(b, ev->end_time);
	event_row_ms(b, ev->duration);
	event_row_i8(b, ev->file_size);
	if (event_row_i4(b, ev->width) == -1)
		*bad = "width";
	else if (event_row_i4(b, ev->height) == -1)
		*bad = "height";
	if (*bad != NULL)
		return -1;
	event_row_jsonb(b, ev->payload, ev->payload_len);
	if (event_row_i4(b, ev->heartbeat_timeout) == -1) {
		*bad = "heartbeat_timeout";
		return -1;
	}
	return 0;
}

int
event_row_json(const char *row, size_t len, struct buf *b)
{
	const unsigned char	*p = (const unsigned char *)row, *end = p + len;
	const struct event_column *c;
	uint32_t		 n;
	uint64_t		 u;
	double			 d;

	buf_addc(b, '{');
	for (c = event_columns; c < event_columns + EVENT_COLUMNS; c++) {
		if (end - p < 4)
			return -1;
		n = (uint32_t)buf_get_be(p, 4);
		p += 4;
		if (n == UINT32_MAX)
			continue;
		if ((size_t)(end - p) < n)
			return -1;
		buf_json_key(b, c->name);
		switch (c->type) {
		case EVENT_COL_TEXT:
			buf_json_str(b, (const char *)p, n);
			break;
		case EVENT_COL_FLOAT8:
			if (n != 8)
				return -1;
			u = buf_get_be(p, 8);
			memcpy(&d, &u, sizeof(d));
			buf_i64(b, (int64_t)d);
			break;
		case EVENT_COL_INT8:
			if (n != 8)
				return -1;
			buf_i64(b, (int64_t)buf_get_be(p, 8));
			break;
		case EVENT_COL_INT4:
			if (n != 4)
				return -1;
			buf_i64(b, (int32_t)(uint32_t)buf_get_be(p, 4));
			break;
		case EVENT_COL_JSONB:
			if (n < 1 || *p != 1)
				return -1;
			buf_add(b, p + 1, n - 1);
			break;
		}
		p += n;
	}
	buf_addc(b, '}');
	return p == end ? 0 : -1;
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
