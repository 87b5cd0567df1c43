/* event.h -- the normalized event every vendor callback becomes (SPEC section 2). */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sig.h"

enum event_kind {
	EVENT_PUBLISH,
	EVENT_UNPUBLISH,
	EVENT_RECORD_STARTED,
	EVENT_RECORD_PAUSED,
	EVENT_RECORD_RESUMED,
	EVENT_RECORD_FILE_STARTED,
	EVENT_RECORD_FILE_COMPLETE,
	EVENT_RECORD_OVER,
	EVENT_RECORD_FAILED,
	EVENT_SNAPSHOT,
	EVENT_OTHER,
	/* the self-hosted servers (SPEC section 11) */
	EVENT_PLAY,		/* a viewer starts (play_events) */
	EVENT_PLAY_DONE,	/* a viewer stops */
	EVENT_HEARTBEAT,	/* refreshes streams.last_heartbeat, no callbacks row */
	EVENT_IGNORE,		/* answered success, nothing stored */
	EVENT_PLAY_HEARTBEAT,	/* refreshes an open play, no callbacks row */
};

enum event_auth {
	EVENT_AUTH_SIGNATURE,
	EVENT_AUTH_TOKEN,
	EVENT_AUTH_UNSIGNED,
};

/* Marks an absent number. */
#define EVENT_UNSET	INT64_MIN

/* Bytes kept of short derived strings (format, session key). */
#define EVENT_SHORT_MAX	64
/* Bytes for strings a vendor builds (IVS domain and S3 location). */
#define EVENT_SCRATCH_MAX	1024

/*
 * Strings are borrowed: from the parsed message, the request or the
 * configuration, all of which live until the event is stored.  Times are
 * milliseconds since the epoch (UTC); durations milliseconds; sizes bytes.
 */
struct event {
	const char	*vendor;
	enum event_kind	 kind;
	enum event_auth	 auth;
	const char	*event;		/* the vendor's own event name, or NULL */

	const char	*domain;
	const char	*app;
	const char	*stream;
	int64_t		 event_time;	/* vendor's time; receive time if none */
	int		 event_time_received; /* 1 when event_time is the receive time */

	/* publish / unpublish */
	const char	*session_key;
	const char	*client_ip;
	const char	*node;
	const char	*params;
	const char	*error_code;
	int64_t		 push_duration;

	/* recordings and snapshots */
	const char	*file_key;
	char		 format[EVENT_SHORT_MAX];	/* lower case */
	const char	*url;
	const char	*play_url;
	const char	*storage_path;
	const char	*task_id;
	const char	*segments;	/* JSON text */
	int64_t		 start_time;
	int64_t		 end_time;
	int64_t		 duration;
	int64_t		 file_size;
	int64_t		 width;
	int64_t		 height;
	const char	*error_message;

	/* the delivery */
	const char	*remote_addr;
	int64_t		 received_at;
	const char	*payload;	/* JSON text of the message as received */
	size_t		 payload_len;

	char		 key[SIG_SHA256_HEX + 1];	/* event_key */

	/* the self-hosted servers */
	int		 key_received;	/* no vendor time: the key has received_at and node */
	int64_t		 heartbeat_timeout;	/* seconds; the vendor's setting */
	const char	*answer;	/* a fixed success body (SRS on_forward), or NULL */
	char		 host[256];	/* storage for a derived domain */
	/*
	 * The vendor's own id of the event, stable across its retries (Mux
	 * and EventBridge "id"): when set, the event key is made of the
	 * vendor and this id alone, so that a redelivery whose envelope
	 * changed (Mux attempts[]) is still a duplicate.
	 */
	const char	*event_id;
	char		 scratch[EVENT_SCRATCH_MAX];	/* event_keep() */
	size_t		 scratch_used;
};

/* Zero every field, numbers to EVENT_UNSET. */
void		 event_init(struct event *);
const char	*event_kind_name(enum event_kind);
const char	*event_auth_name(enum event_auth);

/*
 * Compute ev->key: SHA-256 over the normalized fields that identify the
 * event (vendor, kind, identity, session/file key, event time, URL), never
 * signature or timestamp fields.  0 or -1.
 */
int		 event_make_key(struct event *);

/*
 * Keep a string the vendor builds (printf format) in ev->scratch, for
 * as long as the event lives.  NULL when it does not fit.
 */
const char	*event_keep(struct event *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * The same for the n strings of part one after the other, each up to
 * len[i] bytes (len NULL: whole strings), without printf's format
 * parsing (some 800 instructions a call on the request path).
 */
const char	*event_keep_join(struct event *, const char *const *part,
		    const size_t *len, size_t n);

/*
 * The columns of a row, in the order of livehook.ingest_rows()'s
 * arguments (sql/schema.sql), and how each is sent.
 */
enum event_column_type {
	EVENT_COL_TEXT,
	EVENT_COL_FLOAT8,	/* milliseconds: exact below 2^53 */
	EVENT_COL_INT8,
	EVENT_COL_INT4,
	EVENT_COL_JSONB,
};

#define EVENT_COLUMNS	33

struct event_column {
	const char		*name;	/* the argument without "b_", the JSON member */
	enum event_column_type	 type;
};

extern const struct event_column	event_columns[EVENT_COLUMNS];

/*
 * Append the event as one row: for each of event_columns in order a
 * 4-byte big-endian length (-1: NULL) and the value in PostgreSQL's
 * binary format (text as it is; float8 and integers big-endian; jsonb as
 * version 1 and its text) -- an element of the binary array that
 * store.c sends for the column.  0, or -1 with *bad the column whose
 * number does not fit it (an int4 out of range).  Out of memory is b's
 * failed flag.
 */
int		 event_to_row(const struct event *, struct buf *, const char **bad);

/*
 * Append the row (event_to_row, len bytes) as one JSON object, the
 * element format that livehook.ingest(jsonb) reads: the spool's files.
 * 0, or -1 when the row is not one.
 */
int		 event_row_json(const char *row, size_t len, struct buf *);

/*
 * Parse an RFC 3339 UTC time "YYYY-MM-DDThh:mm:ss[.fff]Z" (or with a
 * +hh:mm offset) into milliseconds.  0 or -1.
 */
int		 event_parse_time(const char *, int64_t *ms);

#endif
