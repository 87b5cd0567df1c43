-- schema.sql -- the livehook schema for a fresh install (schema version 3).
--
-- Apply with:  psql -v ON_ERROR_STOP=1 -f sql/schema.sql
-- It runs in one transaction and may be applied again (idempotent).
-- Later versions add sql/upgrade/NNN-to-MMM.sql scripts; this file always
-- holds the newest full schema.
--
-- Tables and views are a public interface (SPEC section 5): names and
-- columns change only with an upgrade script and a NEWS.md entry.
--
-- Growth (SPEC section 10):
--  * Time partitioning: callbacks, stream_events, recordings and snapshots
--    carry their time column; none of them has a unique key, so each can be
--    turned into a table PARTITION BY RANGE (received_at / event_time /
--    snapshot_time) and old partitions dropped for retention.
--    Deduplication lives in its own table, event_keys, whose key
--    (vendor, event_key) is never partitioned by time.
--  * Citus: the event tables and streams distribute by stream identity
--    (use "stream" as distribution column; streams' key contains it);
--    event_keys distributes by event_key, whose key contains it.
--  * Nothing here needs named prepared statements (PgBouncer transaction
--    pooling works).

BEGIN;

CREATE SCHEMA IF NOT EXISTS livehook;
COMMENT ON SCHEMA livehook IS 'livehook: live-video cloud callbacks, decoded and merged';

CREATE TABLE IF NOT EXISTS livehook.schema_version (
	version		integer NOT NULL,
	applied_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT schema_version_pkey PRIMARY KEY (version)
);
COMMENT ON TABLE livehook.schema_version IS 'Schema versions applied (the highest is current)';
COMMENT ON COLUMN livehook.schema_version.version IS 'Schema version number';
COMMENT ON COLUMN livehook.schema_version.applied_at IS 'When it was applied';

CREATE TABLE IF NOT EXISTS livehook.callbacks (
	id		bigserial NOT NULL,
	received_at	timestamptz NOT NULL,
	vendor		text NOT NULL,
	kind		text NOT NULL,
	vendor_event	text,
	remote_addr	inet,
	auth		text NOT NULL,
	payload		jsonb NOT NULL,
	event_key	text NOT NULL,
	domain		text,
	app		text,
	stream		text,
	event_time	timestamptz,
	CONSTRAINT callbacks_pkey PRIMARY KEY (id),
	CONSTRAINT callbacks_kind_check CHECK (kind IN ('publish', 'unpublish',
	    'record_started', 'record_paused', 'record_resumed',
	    'record_file_started', 'record_file_complete', 'record_over',
	    'record_failed', 'snapshot', 'other')),
	CONSTRAINT callbacks_auth_check CHECK (auth IN ('signature', 'token', 'unsigned'))
);
COMMENT ON TABLE livehook.callbacks IS 'One row per accepted delivery that was not a duplicate';
COMMENT ON COLUMN livehook.callbacks.id IS 'Callback id, referenced by the event tables';
COMMENT ON COLUMN livehook.callbacks.received_at IS 'When livehook received the delivery';
COMMENT ON COLUMN livehook.callbacks.vendor IS 'jdcloud, aliyun, huawei or tencent';
COMMENT ON COLUMN livehook.callbacks.kind IS 'Normalized kind (publish, unpublish, record_*, snapshot, other)';
COMMENT ON COLUMN livehook.callbacks.vendor_event IS 'The vendor''s own event name, when it sends one';
COMMENT ON COLUMN livehook.callbacks.remote_addr IS 'Address the delivery came from (REMOTE_ADDR)';
COMMENT ON COLUMN livehook.callbacks.auth IS 'How it was authenticated: signature, token or unsigned';
COMMENT ON COLUMN livehook.callbacks.payload IS 'The message as received; for GET callbacks the query parameters as an object';
COMMENT ON COLUMN livehook.callbacks.event_key IS 'Digest of the normalized event; the same for a redelivery';
COMMENT ON COLUMN livehook.callbacks.domain IS 'Stream domain (push domain where the vendor sends it)';
COMMENT ON COLUMN livehook.callbacks.app IS 'Stream application';
COMMENT ON COLUMN livehook.callbacks.stream IS 'Stream name';
COMMENT ON COLUMN livehook.callbacks.event_time IS 'Event time from the vendor (receive time where it sends none)';
CREATE INDEX IF NOT EXISTS callbacks_received_at_idx ON livehook.callbacks (received_at);

CREATE TABLE IF NOT EXISTS livehook.event_keys (
	vendor		text NOT NULL,
	event_key	text NOT NULL,
	callback_id	bigint NOT NULL,
	first_seen	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT event_keys_pkey PRIMARY KEY (vendor, event_key)
);
COMMENT ON TABLE livehook.event_keys IS 'Deduplication: one row per distinct event, kept apart so the event tables can be partitioned by time';
COMMENT ON COLUMN livehook.event_keys.vendor IS 'Vendor of the event';
COMMENT ON COLUMN livehook.event_keys.event_key IS 'Digest of the normalized event';
COMMENT ON COLUMN livehook.event_keys.callback_id IS 'The callbacks row that stored it';
COMMENT ON COLUMN livehook.event_keys.first_seen IS 'When it was first stored';

CREATE TABLE IF NOT EXISTS livehook.stream_events (
	callback_id	bigint NOT NULL,
	vendor		text NOT NULL,
	domain		text NOT NULL,
	app		text NOT NULL,
	stream		text NOT NULL,
	event		text NOT NULL,
	vendor_event	text,
	event_time	timestamptz NOT NULL,
	session_key	text,
	client_ip	text,
	node		text,
	params		text,
	width		integer,
	height		integer,
	error_code	text,
	error_message	text,
	push_duration	interval,
	CONSTRAINT stream_events_event_check CHECK (event IN ('publish', 'unpublish'))
);
COMMENT ON TABLE livehook.stream_events IS 'Publish and unpublish events of every vendor';
COMMENT ON COLUMN livehook.stream_events.callback_id IS 'The callbacks row of this event';
COMMENT ON COLUMN livehook.stream_events.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.stream_events.domain IS 'Push domain';
COMMENT ON COLUMN livehook.stream_events.app IS 'Application';
COMMENT ON COLUMN livehook.stream_events.stream IS 'Stream name';
COMMENT ON COLUMN livehook.stream_events.event IS 'publish or unpublish';
COMMENT ON COLUMN livehook.stream_events.vendor_event IS 'The vendor''s own event name';
COMMENT ON COLUMN livehook.stream_events.event_time IS 'When it happened (vendor time)';
COMMENT ON COLUMN livehook.stream_events.session_key IS 'Publish session (Huawei publish_timestamp, Tencent sequence); NULL where the vendor has none';
COMMENT ON COLUMN livehook.stream_events.client_ip IS 'Encoder address';
COMMENT ON COLUMN livehook.stream_events.node IS 'Vendor node that received the stream';
COMMENT ON COLUMN livehook.stream_events.params IS 'Push URL query parameters';
COMMENT ON COLUMN livehook.stream_events.width IS 'Video width, pixels';
COMMENT ON COLUMN livehook.stream_events.height IS 'Video height, pixels';
COMMENT ON COLUMN livehook.stream_events.error_code IS 'Vendor error or reason code';
COMMENT ON COLUMN livehook.stream_events.error_message IS 'Vendor error or reason text';
COMMENT ON COLUMN livehook.stream_events.push_duration IS 'How long the push lasted, where the vendor says';
CREATE INDEX IF NOT EXISTS stream_events_stream_idx ON livehook.stream_events (vendor, domain, app, stream, event_time);
CREATE INDEX IF NOT EXISTS stream_events_time_idx ON livehook.stream_events (event_time);

CREATE TABLE IF NOT EXISTS livehook.recordings (
	callback_id	bigint NOT NULL,
	vendor		text NOT NULL,
	domain		text NOT NULL,
	app		text NOT NULL,
	stream		text NOT NULL,
	event		text NOT NULL,
	vendor_event	text,
	event_time	timestamptz NOT NULL,
	file_key	text,
	format		text,
	url		text,
	play_url	text,
	storage_path	text,
	start_time	timestamptz,
	end_time	timestamptz,
	duration	interval,
	file_size	bigint,
	width		integer,
	height		integer,
	segments	jsonb,
	task_id		text,
	error_message	text,
	CONSTRAINT recordings_event_check CHECK (event IN ('record_started',
	    'record_paused', 'record_resumed', 'record_file_started',
	    'record_file_complete', 'record_over', 'record_failed')),
	CONSTRAINT recordings_file_size_check CHECK (file_size IS NULL OR file_size >= 0)
);
COMMENT ON TABLE livehook.recordings IS 'Recording events of every vendor (every record_* kind)';
COMMENT ON COLUMN livehook.recordings.callback_id IS 'The callbacks row of this event';
COMMENT ON COLUMN livehook.recordings.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.recordings.domain IS 'Domain as the vendor sends it (Aliyun: the play domain; see domain_aliases)';
COMMENT ON COLUMN livehook.recordings.app IS 'Application';
COMMENT ON COLUMN livehook.recordings.stream IS 'Stream name';
COMMENT ON COLUMN livehook.recordings.event IS 'Normalized kind: record_started, record_paused, record_resumed, record_file_started, record_file_complete, record_over, record_failed';
COMMENT ON COLUMN livehook.recordings.vendor_event IS 'The vendor''s own event name';
COMMENT ON COLUMN livehook.recordings.event_time IS 'When it happened (vendor time)';
COMMENT ON COLUMN livehook.recordings.file_key IS 'Identifies the file (Huawei job_id, Tencent file_id, Aliyun uri, JD downloadUrl)';
COMMENT ON COLUMN livehook.recordings.format IS 'File format, lower case (hls, flv, mp4, ...)';
COMMENT ON COLUMN livehook.recordings.url IS 'Download URL';
COMMENT ON COLUMN livehook.recordings.play_url IS 'Playback URL';
COMMENT ON COLUMN livehook.recordings.storage_path IS 'Object storage location (bucket/object)';
COMMENT ON COLUMN livehook.recordings.start_time IS 'First frame of the file';
COMMENT ON COLUMN livehook.recordings.end_time IS 'Last frame of the file';
COMMENT ON COLUMN livehook.recordings.duration IS 'Length of the file';
COMMENT ON COLUMN livehook.recordings.file_size IS 'Size in bytes';
COMMENT ON COLUMN livehook.recordings.width IS 'Video width, pixels';
COMMENT ON COLUMN livehook.recordings.height IS 'Video height, pixels';
COMMENT ON COLUMN livehook.recordings.segments IS 'Marked segments (JD Cloud clip recordings)';
COMMENT ON COLUMN livehook.recordings.task_id IS 'Vendor recording task';
COMMENT ON COLUMN livehook.recordings.error_message IS 'Why a recording failed';
CREATE INDEX IF NOT EXISTS recordings_stream_idx ON livehook.recordings (vendor, domain, app, stream, event_time);
CREATE INDEX IF NOT EXISTS recordings_time_idx ON livehook.recordings (event_time);

CREATE TABLE IF NOT EXISTS livehook.snapshots (
	callback_id	bigint NOT NULL,
	vendor		text NOT NULL,
	domain		text NOT NULL,
	app		text NOT NULL,
	stream		text NOT NULL,
	snapshot_time	timestamptz NOT NULL,
	url		text,
	file_size	bigint,
	width		integer,
	height		integer
);
COMMENT ON TABLE livehook.snapshots IS 'Snapshots taken of streams, every vendor';
COMMENT ON COLUMN livehook.snapshots.callback_id IS 'The callbacks row of this event';
COMMENT ON COLUMN livehook.snapshots.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.snapshots.domain IS 'Domain';
COMMENT ON COLUMN livehook.snapshots.app IS 'Application';
COMMENT ON COLUMN livehook.snapshots.stream IS 'Stream name';
COMMENT ON COLUMN livehook.snapshots.snapshot_time IS 'When the picture was taken';
COMMENT ON COLUMN livehook.snapshots.url IS 'Where the picture is';
COMMENT ON COLUMN livehook.snapshots.file_size IS 'Size in bytes';
COMMENT ON COLUMN livehook.snapshots.width IS 'Width, pixels';
COMMENT ON COLUMN livehook.snapshots.height IS 'Height, pixels';
CREATE INDEX IF NOT EXISTS snapshots_time_idx ON livehook.snapshots (snapshot_time);

CREATE TABLE IF NOT EXISTS livehook.streams (
	vendor		text NOT NULL,
	domain		text NOT NULL,
	app		text NOT NULL,
	stream		text NOT NULL,
	first_seen	timestamptz NOT NULL,
	last_event_time	timestamptz NOT NULL,
	live		boolean NOT NULL DEFAULT false,
	live_since	timestamptz,
	last_publish	timestamptz,
	last_unpublish	timestamptz,
	session_key	text,
	client_ip	text,
	CONSTRAINT streams_pkey PRIMARY KEY (vendor, domain, app, stream)
);
COMMENT ON TABLE livehook.streams IS 'One row per stream: its state by event time, not arrival order';
COMMENT ON COLUMN livehook.streams.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.streams.domain IS 'Push domain';
COMMENT ON COLUMN livehook.streams.app IS 'Application';
COMMENT ON COLUMN livehook.streams.stream IS 'Stream name';
COMMENT ON COLUMN livehook.streams.first_seen IS 'Earliest event time seen';
COMMENT ON COLUMN livehook.streams.last_event_time IS 'Latest event time seen';
COMMENT ON COLUMN livehook.streams.live IS 'Publishing now: the newest publish (by event time) has no unpublish of its session';
COMMENT ON COLUMN livehook.streams.live_since IS 'Start of the current session while live';
COMMENT ON COLUMN livehook.streams.last_publish IS 'Time of the latest publish';
COMMENT ON COLUMN livehook.streams.last_unpublish IS 'Time of the latest unpublish';
COMMENT ON COLUMN livehook.streams.session_key IS 'Session key of the newest publish';
COMMENT ON COLUMN livehook.streams.client_ip IS 'Encoder address of the newest publish';

CREATE TABLE IF NOT EXISTS livehook.domain_aliases (
	alias		text NOT NULL,
	domain		text NOT NULL,
	CONSTRAINT domain_aliases_pkey PRIMARY KEY (alias)
);
COMMENT ON TABLE livehook.domain_aliases IS 'Maps a play (or other) domain to its push domain in the views';
COMMENT ON COLUMN livehook.domain_aliases.alias IS 'Domain as some callbacks carry it (e.g. an Aliyun play domain)';
COMMENT ON COLUMN livehook.domain_aliases.domain IS 'The push domain it stands for';

-- The domain the views show for d.
CREATE OR REPLACE FUNCTION livehook.canonical_domain(d text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT a.domain FROM livehook.domain_aliases a WHERE a.alias = d), d)
$$;
COMMENT ON FUNCTION livehook.canonical_domain(text) IS 'Push domain for an alias, or the domain itself';

-- ms since the epoch (a JSON number) to timestamptz / interval.
CREATE OR REPLACE FUNCTION livehook.ms_time(v jsonb) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT to_timestamp((v #>> '{}')::numeric / 1000) $$;
COMMENT ON FUNCTION livehook.ms_time(jsonb) IS 'Milliseconds since the epoch to timestamptz (NULL stays NULL)';
CREATE OR REPLACE FUNCTION livehook.ms_interval(v jsonb) RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT make_interval(secs => (v #>> '{}')::numeric / 1000) $$;
COMMENT ON FUNCTION livehook.ms_interval(jsonb) IS 'Milliseconds to interval (NULL stays NULL)';

-- Version 1 updated streams per event through this function; gone since 2.
DROP FUNCTION IF EXISTS livehook.apply_stream(jsonb, text, timestamptz);

-- Store a batch of events (a JSON array as livehook's event_to_json()
-- writes them) in the caller's transaction: one row per element of the
-- result, idx (0-based) and 'ok' or 'duplicate'.  Idempotent on
-- (vendor, event_key); concurrent deliveries of one event store it once.
--
-- Set-based: a fixed number of statements per batch, not per event (the
-- executor start-up of per-event statements was most of PostgreSQL's time
-- under load).  Keys and stream rows are locked in sorted order, so two
-- batches holding the same events cannot deadlock.
--
-- 1. The batch is read once into typed columns (jsonb_to_recordset), and
--    every element gets a callback id; event_keys takes the new keys and
--    RETURNING names the elements that are not duplicates (the first of
--    equal keys within the batch wins).  The same statement inserts those
--    into callbacks and their kind's table and upserts the times of their
--    streams (which locks those streams' rows).
-- 2. The live state of those streams is recomputed from stream_events by
--    event time, not arrival order, in a statement of its own: its
--    snapshot, taken after the row locks, sees every event committed by a
--    batch that held them before.  The stream is live while its newest
--    publish has no unpublish of the same session where the vendor has
--    session keys, else at or after it.  A late or repeated unpublish of
--    an older session never closes a newer one.
CREATE OR REPLACE FUNCTION livehook.ingest(batch jsonb)
RETURNS TABLE (idx integer, result text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	fresh	integer[];
	sv	text[];
	sd	text[];
	sa	text[];
	ss	text[];
BEGIN
	WITH e AS MATERIALIZED (
		SELECT (a.ordinality - 1)::integer AS i, a.*,
		    nextval('livehook.callbacks_id_seq') AS cid,
		    to_timestamp(coalesce(a.event_time, a.received_at) / 1000) AS et
		  FROM ROWS FROM (jsonb_to_recordset(batch) AS (vendor text,
		    kind text, auth text, event text, event_key text,
		    remote_addr text, received_at numeric, domain text, app text,
		    stream text, event_time numeric, session_key text,
		    client_ip text, node text, params text, error_code text,
		    error_message text, push_duration numeric, file_key text,
		    format text, url text, play_url text, storage_path text,
		    task_id text, segments jsonb, start_time numeric,
		    end_time numeric, duration numeric, file_size bigint,
		    width integer, height integer, payload jsonb))
		    WITH ORDINALITY AS a
	), keys AS (
		INSERT INTO livehook.event_keys (vendor, event_key, callback_id)
		SELECT e.vendor, e.event_key, e.cid FROM e
		 ORDER BY 1, 2, 3
		ON CONFLICT ON CONSTRAINT event_keys_pkey DO NOTHING
		RETURNING callback_id
	), n AS MATERIALIZED (
		SELECT e.* FROM e JOIN keys ON keys.callback_id = e.cid
	), c AS (
		INSERT INTO livehook.callbacks (id, received_at, vendor, kind,
		    vendor_event, remote_addr, auth, payload, event_key, domain,
		    app, stream, event_time)
		SELECT n.cid, coalesce(to_timestamp(n.received_at / 1000), now()),
		    n.vendor, n.kind, n.event,
		    CASE WHEN n.remote_addr ~ '^[0-9a-fA-F:.]+$'
		        THEN n.remote_addr::inet END,
		    n.auth, coalesce(n.payload, '{}'), n.event_key,
		    n.domain, n.app, n.stream, n.et
		  FROM n
	), s AS (
		INSERT INTO livehook.stream_events (callback_id, vendor,
		    domain, app, stream, event, vendor_event, event_time,
		    session_key, client_ip, node, params, width, height,
		    error_code, error_message, push_duration)
		SELECT n.cid, n.vendor, n.domain, n.app, n.stream, n.kind,
		    n.event, n.et, n.session_key, n.client_ip, n.node, n.params,
		    n.width, n.height, n.error_code, n.error_message,
		    make_interval(secs => n.push_duration / 1000)
		  FROM n WHERE n.kind IN ('publish', 'unpublish')
	), r AS (
		INSERT INTO livehook.recordings (callback_id, vendor, domain,
		    app, stream, event, vendor_event, event_time, file_key,
		    format, url, play_url, storage_path, start_time,
		    end_time, duration, file_size, width, height, segments,
		    task_id, error_message)
		SELECT n.cid, n.vendor, n.domain, n.app, n.stream, n.kind,
		    n.event, n.et, n.file_key, lower(n.format), n.url,
		    n.play_url, n.storage_path, to_timestamp(n.start_time / 1000),
		    to_timestamp(n.end_time / 1000),
		    make_interval(secs => n.duration / 1000), n.file_size,
		    n.width, n.height, n.segments, n.task_id, n.error_message
		  FROM n WHERE n.kind LIKE 'record\_%'
	), p AS (
		INSERT INTO livehook.snapshots (callback_id, vendor, domain,
		    app, stream, snapshot_time, url, file_size, width, height)
		SELECT n.cid, n.vendor, n.domain, n.app, n.stream, n.et, n.url,
		    n.file_size, n.width, n.height
		  FROM n WHERE n.kind = 'snapshot'
	), u AS (
		INSERT INTO livehook.streams AS t (vendor, domain, app, stream,
		    first_seen, last_event_time, last_publish, last_unpublish)
		SELECT n.vendor, n.domain, n.app, n.stream, min(n.et), max(n.et),
		    max(n.et) FILTER (WHERE n.kind = 'publish'),
		    max(n.et) FILTER (WHERE n.kind = 'unpublish')
		  FROM n WHERE n.kind IN ('publish', 'unpublish')
		 GROUP BY 1, 2, 3, 4
		 ORDER BY 1, 2, 3, 4
		ON CONFLICT ON CONSTRAINT streams_pkey DO UPDATE
		   SET first_seen = least(t.first_seen, EXCLUDED.first_seen),
		       last_event_time = greatest(t.last_event_time, EXCLUDED.last_event_time),
		       last_publish = greatest(t.last_publish, EXCLUDED.last_publish),
		       last_unpublish = greatest(t.last_unpublish, EXCLUDED.last_unpublish)
		RETURNING t.vendor, t.domain, t.app, t.stream
	)
	SELECT (SELECT coalesce(array_agg(n.i), '{}') FROM n),
	    array_agg(u.vendor), array_agg(u.domain), array_agg(u.app),
	    array_agg(u.stream)
	  INTO fresh, sv, sd, sa, ss FROM u;

	IF sv IS NOT NULL THEN
		UPDATE livehook.streams t
		   SET live = x.is_live,
		       live_since = CASE WHEN x.is_live THEN x.pt END,
		       session_key = CASE WHEN x.pt IS NOT NULL THEN x.ps ELSE t.session_key END,
		       client_ip = CASE WHEN x.pt IS NOT NULL THEN x.pc ELSE t.client_ip END
		  FROM (SELECT k.vendor, k.domain, k.app, k.stream,
		           p.event_time AS pt, p.session_key AS ps, p.client_ip AS pc,
		           CASE WHEN p.event_time IS NULL THEN false
		                WHEN p.session_key IS NOT NULL THEN NOT EXISTS (
		                    SELECT 1 FROM livehook.stream_events u
		                     WHERE u.vendor = k.vendor AND u.domain = k.domain
		                       AND u.app = k.app AND u.stream = k.stream
		                       AND u.event = 'unpublish'
		                       AND u.session_key = p.session_key)
		                ELSE NOT EXISTS (
		                    SELECT 1 FROM livehook.stream_events u
		                     WHERE u.vendor = k.vendor AND u.domain = k.domain
		                       AND u.app = k.app AND u.stream = k.stream
		                       AND u.event = 'unpublish'
		                       AND u.session_key IS NULL
		                       AND u.event_time >= p.event_time)
		           END AS is_live
		          FROM unnest(sv, sd, sa, ss) AS k(vendor, domain, app, stream)
		          LEFT JOIN LATERAL (
		               SELECT se.event_time, se.session_key, se.client_ip
		                 FROM livehook.stream_events se
		                WHERE se.vendor = k.vendor AND se.domain = k.domain
		                  AND se.app = k.app AND se.stream = k.stream
		                  AND se.event = 'publish'
		                ORDER BY se.event_time DESC, se.session_key DESC NULLS LAST
		                LIMIT 1) p ON true) x
		 WHERE t.vendor = x.vendor AND t.domain = x.domain
		   AND t.app = x.app AND t.stream = x.stream;
	END IF;
	RETURN QUERY
	SELECT g.i, CASE WHEN g.i = ANY (fresh) THEN 'ok' ELSE 'duplicate' END
	  FROM generate_series(0, jsonb_array_length(batch) - 1) AS g(i);
END
$$;
COMMENT ON FUNCTION livehook.ingest(jsonb) IS 'Stores a batch of normalized events idempotently; one round trip and a fixed number of statements per batch';

-- Views: the vendor-merging layer.

CREATE OR REPLACE VIEW livehook.live_now AS
SELECT s.vendor, livehook.canonical_domain(s.domain) AS domain, s.app, s.stream,
       s.live_since, now() - s.live_since AS live_for, s.client_ip, s.session_key
  FROM livehook.streams s
 WHERE s.live;
COMMENT ON VIEW livehook.live_now IS 'Streams publishing now, every vendor';
COMMENT ON COLUMN livehook.live_now.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.live_now.domain IS 'Push domain (aliases merged)';
COMMENT ON COLUMN livehook.live_now.app IS 'Application';
COMMENT ON COLUMN livehook.live_now.stream IS 'Stream name';
COMMENT ON COLUMN livehook.live_now.live_since IS 'Start of the current session';
COMMENT ON COLUMN livehook.live_now.live_for IS 'How long it has been live';
COMMENT ON COLUMN livehook.live_now.client_ip IS 'Encoder address';
COMMENT ON COLUMN livehook.live_now.session_key IS 'Session key, where the vendor has one';

CREATE OR REPLACE VIEW livehook.stream_sessions AS
WITH keyed AS (
	SELECT vendor, domain, app, stream, session_key,
	       min(event_time) FILTER (WHERE event = 'publish') AS started_at,
	       max(event_time) FILTER (WHERE event = 'unpublish') AS ended_at
	  FROM livehook.stream_events
	 WHERE session_key IS NOT NULL
	 GROUP BY vendor, domain, app, stream, session_key
), pubs AS (
	SELECT vendor, domain, app, stream, event_time,
	       lead(event_time) OVER (PARTITION BY vendor, domain, app, stream
	           ORDER BY event_time) AS next_publish
	  FROM livehook.stream_events
	 WHERE session_key IS NULL AND event = 'publish'
), unkeyed AS (
	SELECT p.vendor, p.domain, p.app, p.stream, NULL::text AS session_key,
	       p.event_time AS started_at,
	       (SELECT min(u.event_time) FROM livehook.stream_events u
	         WHERE u.vendor = p.vendor AND u.domain = p.domain
	           AND u.app = p.app AND u.stream = p.stream
	           AND u.session_key IS NULL AND u.event = 'unpublish'
	           AND u.event_time >= p.event_time
	           AND (p.next_publish IS NULL OR u.event_time < p.next_publish)) AS ended_at
	  FROM pubs p
)
SELECT vendor, livehook.canonical_domain(domain) AS domain, app, stream,
       session_key, started_at, ended_at, ended_at - started_at AS duration
  FROM (SELECT * FROM keyed WHERE started_at IS NOT NULL
        UNION ALL SELECT * FROM unkeyed) x;
COMMENT ON VIEW livehook.stream_sessions IS 'One row per publish session: paired by session key where the vendor has one, by time order otherwise';
COMMENT ON COLUMN livehook.stream_sessions.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.stream_sessions.domain IS 'Push domain (aliases merged)';
COMMENT ON COLUMN livehook.stream_sessions.app IS 'Application';
COMMENT ON COLUMN livehook.stream_sessions.stream IS 'Stream name';
COMMENT ON COLUMN livehook.stream_sessions.session_key IS 'Session key, NULL where the vendor has none';
COMMENT ON COLUMN livehook.stream_sessions.started_at IS 'Publish time';
COMMENT ON COLUMN livehook.stream_sessions.ended_at IS 'Unpublish time, NULL while live (or unknown)';
COMMENT ON COLUMN livehook.stream_sessions.duration IS 'ended_at - started_at';

CREATE OR REPLACE VIEW livehook.recording_files AS
SELECT r.vendor, livehook.canonical_domain(r.domain) AS domain, r.app, r.stream,
       r.event_time, r.file_key, r.format, r.url, r.play_url, r.storage_path,
       r.start_time, r.end_time,
       coalesce(r.duration, r.end_time - r.start_time) AS duration,
       r.file_size, r.width, r.height, r.segments
  FROM livehook.recordings r
 WHERE r.event = 'record_file_complete';
COMMENT ON VIEW livehook.recording_files IS 'Every finished recording file across vendors, normalized units';
COMMENT ON COLUMN livehook.recording_files.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.recording_files.domain IS 'Push domain (aliases merged)';
COMMENT ON COLUMN livehook.recording_files.app IS 'Application';
COMMENT ON COLUMN livehook.recording_files.stream IS 'Stream name';
COMMENT ON COLUMN livehook.recording_files.event_time IS 'When the vendor reported the file';
COMMENT ON COLUMN livehook.recording_files.file_key IS 'Identifies the file';
COMMENT ON COLUMN livehook.recording_files.format IS 'File format, lower case';
COMMENT ON COLUMN livehook.recording_files.url IS 'Download URL';
COMMENT ON COLUMN livehook.recording_files.play_url IS 'Playback URL';
COMMENT ON COLUMN livehook.recording_files.storage_path IS 'Object storage location';
COMMENT ON COLUMN livehook.recording_files.start_time IS 'First frame';
COMMENT ON COLUMN livehook.recording_files.end_time IS 'Last frame';
COMMENT ON COLUMN livehook.recording_files.duration IS 'Length (from the vendor, else end - start)';
COMMENT ON COLUMN livehook.recording_files.file_size IS 'Size in bytes';
COMMENT ON COLUMN livehook.recording_files.width IS 'Width, pixels';
COMMENT ON COLUMN livehook.recording_files.height IS 'Height, pixels';
COMMENT ON COLUMN livehook.recording_files.segments IS 'Marked segments (JD Cloud)';

CREATE OR REPLACE VIEW livehook.timeline AS
SELECT event_time, vendor, livehook.canonical_domain(domain) AS domain, app, stream,
       event AS kind,
       concat_ws(' ', 'client=' || client_ip, 'session=' || session_key,
           'error=' || coalesce(error_message, error_code)) AS detail
  FROM livehook.stream_events
UNION ALL
SELECT event_time, vendor, livehook.canonical_domain(domain), app, stream, event,
       concat_ws(' ', format, 'file=' || file_key,
           'duration=' || coalesce(duration, end_time - start_time),
           'bytes=' || file_size, 'error=' || error_message)
  FROM livehook.recordings
UNION ALL
SELECT snapshot_time, vendor, livehook.canonical_domain(domain), app, stream, 'snapshot',
       concat_ws(' ', url, 'bytes=' || file_size)
  FROM livehook.snapshots
UNION ALL
SELECT coalesce(event_time, received_at), vendor, livehook.canonical_domain(domain),
       app, stream, kind, 'vendor event=' || coalesce(vendor_event, '?')
  FROM livehook.callbacks
 WHERE kind = 'other';
COMMENT ON VIEW livehook.timeline IS 'Every event of every kind and vendor in one relation (order by event_time)';
COMMENT ON COLUMN livehook.timeline.event_time IS 'When it happened';
COMMENT ON COLUMN livehook.timeline.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.timeline.domain IS 'Domain (aliases merged)';
COMMENT ON COLUMN livehook.timeline.app IS 'Application';
COMMENT ON COLUMN livehook.timeline.stream IS 'Stream name';
COMMENT ON COLUMN livehook.timeline.kind IS 'Normalized kind';
COMMENT ON COLUMN livehook.timeline.detail IS 'A one-line summary of the details';

CREATE OR REPLACE VIEW livehook.daily_usage AS
WITH rows AS (
	SELECT (started_at AT TIME ZONE 'UTC')::date AS day, vendor, domain,
	       1 AS sessions, coalesce(duration, interval '0') AS streamed,
	       0 AS files, interval '0' AS recorded, 0::bigint AS bytes, 0 AS snaps
	  FROM livehook.stream_sessions
	UNION ALL
	SELECT (event_time AT TIME ZONE 'UTC')::date, vendor, domain, 0, interval '0',
	       1, coalesce(duration, interval '0'), coalesce(file_size, 0), 0
	  FROM livehook.recording_files
	UNION ALL
	SELECT (snapshot_time AT TIME ZONE 'UTC')::date, vendor,
	       livehook.canonical_domain(domain), 0, interval '0', 0, interval '0', 0, 1
	  FROM livehook.snapshots
)
SELECT day, vendor, domain, sum(sessions)::bigint AS sessions,
       sum(streamed) AS streamed_time, sum(files)::bigint AS recording_files,
       sum(recorded) AS recorded_time, sum(bytes)::bigint AS recorded_bytes,
       sum(snaps)::bigint AS snapshots
  FROM rows
 GROUP BY day, vendor, domain;
COMMENT ON VIEW livehook.daily_usage IS 'Per UTC day, vendor and domain: sessions, streamed time, recording files, recorded time and bytes, snapshots';
COMMENT ON COLUMN livehook.daily_usage.day IS 'UTC day';
COMMENT ON COLUMN livehook.daily_usage.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.daily_usage.domain IS 'Push domain (aliases merged)';
COMMENT ON COLUMN livehook.daily_usage.sessions IS 'Publish sessions started';
COMMENT ON COLUMN livehook.daily_usage.streamed_time IS 'Total length of the ended sessions';
COMMENT ON COLUMN livehook.daily_usage.recording_files IS 'Recording files finished';
COMMENT ON COLUMN livehook.daily_usage.recorded_time IS 'Total length of those files';
COMMENT ON COLUMN livehook.daily_usage.recorded_bytes IS 'Total size of those files, bytes';
COMMENT ON COLUMN livehook.daily_usage.snapshots IS 'Snapshots taken';

INSERT INTO livehook.schema_version (version) VALUES (3)
ON CONFLICT ON CONSTRAINT schema_version_pkey DO NOTHING;

COMMIT;
