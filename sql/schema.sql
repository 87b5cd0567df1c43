-- schema.sql -- the livehook schema for a fresh install (schema version 11).
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
--  * Time partitioning: callbacks (by received_at), stream_events and
--    recordings (by event_time) and snapshots (by snapshot_time) are
--    partitioned by month (UTC), partitions named TABLE_YYYY_MM.
--    ingest() creates a missing partition when a batch needs it;
--    livehook.maintain() creates the next ones ahead, drops those past the
--    retention (livehook.settings) and forgets event keys past the
--    deduplication window.  Run it daily (contrib/systemd
--    livehook-maintain.timer, or pg_cron).
--    Deduplication lives in its own table, event_keys, whose key
--    (vendor, event_key) is never partitioned by time; the only unique key
--    of a partitioned table, callbacks_pkey, includes received_at.
--  * What survives retention: streams, sessions (one row per publish
--    session) and daily_totals (what daily_usage shows), all maintained by
--    ingest() per batch.
--  * Citus: sql/citus.sql is the distribution plan (the event tables,
--    streams and sessions by stream, callbacks by id, event_keys by
--    event_key, daily_totals by domain, the small tables as reference
--    tables); tests/check-distribution.sh checks that every unique key
--    here holds its table's distribution and partition columns.
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
	CONSTRAINT callbacks_pkey PRIMARY KEY (id, received_at),
	CONSTRAINT callbacks_kind_check CHECK (kind IN ('publish', 'unpublish',
	    'record_started', 'record_paused', 'record_resumed',
	    'record_file_started', 'record_file_complete', 'record_over',
	    'record_failed', 'snapshot', 'other')),
	CONSTRAINT callbacks_auth_check CHECK (auth IN ('signature', 'token', 'unsigned'))
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE livehook.callbacks IS 'One row per accepted delivery that was not a duplicate (partitioned by month of received_at)';
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
-- timeline's kind = 'other' rows by their time, without reading the rest.
CREATE INDEX IF NOT EXISTS callbacks_other_idx ON livehook.callbacks ((coalesce(event_time, received_at)))
    WHERE kind = 'other';
-- No statistics of the payloads: ANALYZE would sort and compare whole
-- sampled documents for them (a third of its time on a callbacks
-- partition) and no plan reads them.  partitions_ensure() sets the same on
-- each partition it makes (a partition does not take it from its parent).
ALTER TABLE livehook.callbacks ALTER COLUMN payload SET STATISTICS 0;

CREATE TABLE IF NOT EXISTS livehook.event_keys (
	vendor		text NOT NULL,
	event_key	text NOT NULL,
	callback_id	bigint NOT NULL,
	first_seen	timestamptz NOT NULL DEFAULT now(),
	-- The key first: a B-tree comparison stops at the first column that
	-- differs, and the vendor is nearly always equal (every column after
	-- a text one is read without a cached offset).  So for the streams'
	-- keys below: stream, app, domain, vendor.
	CONSTRAINT event_keys_pkey PRIMARY KEY (event_key, vendor)
);
COMMENT ON TABLE livehook.event_keys IS 'Deduplication: one row per distinct event seen within the deduplication window (settings dedup_days), kept apart so the event tables can be partitioned by time';
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
) PARTITION BY RANGE (event_time);
COMMENT ON TABLE livehook.stream_events IS 'Publish and unpublish events of every vendor (partitioned by month of event_time)';
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
CREATE INDEX IF NOT EXISTS stream_events_stream_idx ON livehook.stream_events (stream, app, domain, vendor, event_time);
CREATE INDEX IF NOT EXISTS stream_events_time_idx ON livehook.stream_events (event_time);
-- The failures dashboard's rows by their time, without reading the rest.
CREATE INDEX IF NOT EXISTS stream_events_error_idx ON livehook.stream_events (event_time)
    WHERE error_code IS NOT NULL OR error_message IS NOT NULL;

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
) PARTITION BY RANGE (event_time);
COMMENT ON TABLE livehook.recordings IS 'Recording events of every vendor (every record_* kind; partitioned by month of event_time)';
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
CREATE INDEX IF NOT EXISTS recordings_stream_idx ON livehook.recordings (stream, app, domain, vendor, event_time);
CREATE INDEX IF NOT EXISTS recordings_time_idx ON livehook.recordings (event_time);
CREATE INDEX IF NOT EXISTS recordings_failed_idx ON livehook.recordings (event_time)
    WHERE event = 'record_failed' OR error_message IS NOT NULL;

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
) PARTITION BY RANGE (snapshot_time);
COMMENT ON TABLE livehook.snapshots IS 'Snapshots taken of streams, every vendor (partitioned by month of snapshot_time)';
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
	CONSTRAINT streams_pkey PRIMARY KEY (stream, app, domain, vendor)
-- Room on each page for the updates ingest() makes of its rows (two per
-- stream in a batch with a publish): without it they are never HOT and
-- each adds an entry to streams_pkey.
) WITH (fillfactor = 70);
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

CREATE TABLE IF NOT EXISTS livehook.sessions (
	vendor		text NOT NULL,
	domain		text NOT NULL,
	app		text NOT NULL,
	stream		text NOT NULL,
	session_key	text,
	started_at	timestamptz,
	ended_at	timestamptz
);
COMMENT ON TABLE livehook.sessions IS 'One row per publish session, maintained by ingest() (stream_sessions shows it); survives retention';
COMMENT ON COLUMN livehook.sessions.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.sessions.domain IS 'Push domain as stored';
COMMENT ON COLUMN livehook.sessions.app IS 'Application';
COMMENT ON COLUMN livehook.sessions.stream IS 'Stream name';
COMMENT ON COLUMN livehook.sessions.session_key IS 'Session key; NULL where the vendor has none (then one row per publish, paired with unpublishes by time order)';
COMMENT ON COLUMN livehook.sessions.started_at IS 'Earliest publish of the session; NULL while only its unpublish is known';
COMMENT ON COLUMN livehook.sessions.ended_at IS 'Its unpublish (keyed: the latest; unkeyed: the first before the next publish), NULL while live';
CREATE UNIQUE INDEX IF NOT EXISTS sessions_key_idx ON livehook.sessions (stream, app, domain, vendor, session_key);
CREATE INDEX IF NOT EXISTS sessions_stream_idx ON livehook.sessions (stream, app, domain, vendor, started_at)
    WHERE session_key IS NULL;
CREATE INDEX IF NOT EXISTS sessions_started_at_idx ON livehook.sessions (started_at);

CREATE TABLE IF NOT EXISTS livehook.daily_totals (
	day		date NOT NULL,
	vendor		text NOT NULL,
	domain		text NOT NULL,
	slot		integer NOT NULL,
	sessions	bigint NOT NULL DEFAULT 0,
	streamed_time	interval NOT NULL DEFAULT '0',
	recording_files	bigint NOT NULL DEFAULT 0,
	recorded_time	interval NOT NULL DEFAULT '0',
	recorded_bytes	bigint NOT NULL DEFAULT 0,
	snapshots	bigint NOT NULL DEFAULT 0,
	CONSTRAINT daily_totals_pkey PRIMARY KEY (day, vendor, domain, slot)
);
COMMENT ON TABLE livehook.daily_totals IS 'Per UTC day, vendor and stored domain: the sums daily_usage shows, added to by ingest() per batch; survives retention';
COMMENT ON COLUMN livehook.daily_totals.day IS 'UTC day (of the session start, file report, snapshot)';
COMMENT ON COLUMN livehook.daily_totals.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.daily_totals.domain IS 'Domain as stored (daily_usage merges aliases)';
COMMENT ON COLUMN livehook.daily_totals.slot IS 'Backend pid of the connection that added it: concurrent batches add to different rows instead of waiting for one';
COMMENT ON COLUMN livehook.daily_totals.sessions IS 'Publish sessions started';
COMMENT ON COLUMN livehook.daily_totals.streamed_time IS 'Total length of the ended sessions';
COMMENT ON COLUMN livehook.daily_totals.recording_files IS 'Recording files finished';
COMMENT ON COLUMN livehook.daily_totals.recorded_time IS 'Total length of those files';
COMMENT ON COLUMN livehook.daily_totals.recorded_bytes IS 'Total size of those files, bytes';
COMMENT ON COLUMN livehook.daily_totals.snapshots IS 'Snapshots taken';

CREATE TABLE IF NOT EXISTS livehook.settings (
	name		text NOT NULL,
	value		integer NOT NULL,
	CONSTRAINT settings_pkey PRIMARY KEY (name),
	CONSTRAINT settings_value_check CHECK (value >= 0),
	CONSTRAINT settings_dedup_check CHECK (name <> 'dedup_days' OR value >= 4)
);
COMMENT ON TABLE livehook.settings IS 'Settings of the SQL side, read by livehook.maintain()';
COMMENT ON COLUMN livehook.settings.name IS 'retention_days: months of callbacks, stream_events, recordings and snapshots wholly older than this many days are dropped (0: keep forever); dedup_days: event keys are remembered this long (at least 4: the longest vendor retry horizon is about 3.2 days)';
COMMENT ON COLUMN livehook.settings.value IS 'Value, days';
INSERT INTO livehook.settings (name, value) VALUES ('retention_days', 0), ('dedup_days', 7)
ON CONFLICT ON CONSTRAINT settings_pkey DO NOTHING;

-- the self-hosted servers (SRS, nginx-rtmp): play events, heartbeats, duplicate publishers
-- Plays and their ends, keyed by the server's id of the viewer's connection.
CREATE TABLE IF NOT EXISTS livehook.play_events (
	callback_id	bigint NOT NULL,
	vendor		text NOT NULL,
	domain		text NOT NULL,
	app		text NOT NULL,
	stream		text NOT NULL,
	event		text NOT NULL,
	vendor_event	text,
	event_time	timestamptz NOT NULL,
	client_id	text NOT NULL,
	client_ip	text,
	params		text,
	last_heartbeat	timestamptz,
	CONSTRAINT play_events_event_check CHECK (event IN ('play', 'play_done'))
) PARTITION BY RANGE (event_time);
COMMENT ON TABLE livehook.play_events IS 'Viewers starting (play) and stopping (play_done), from the self-hosted servers (partitioned by month of event_time)';
COMMENT ON COLUMN livehook.play_events.callback_id IS 'The callbacks row of this event';
COMMENT ON COLUMN livehook.play_events.vendor IS 'Vendor (srs, nginx-rtmp)';
COMMENT ON COLUMN livehook.play_events.domain IS 'Domain as stored';
COMMENT ON COLUMN livehook.play_events.app IS 'Application';
COMMENT ON COLUMN livehook.play_events.stream IS 'Stream name';
COMMENT ON COLUMN livehook.play_events.event IS 'play or play_done';
COMMENT ON COLUMN livehook.play_events.vendor_event IS 'The server''s own hook name (on_play, on_stop, play, play_done)';
COMMENT ON COLUMN livehook.play_events.event_time IS 'When livehook received it (these servers send no time)';
COMMENT ON COLUMN livehook.play_events.client_id IS 'The server''s id of the viewer''s connection (SRS client_id, nginx-rtmp clientid)';
COMMENT ON COLUMN livehook.play_events.client_ip IS 'Viewer address';
COMMENT ON COLUMN livehook.play_events.params IS 'Play URL query parameters';
COMMENT ON COLUMN livehook.play_events.last_heartbeat IS 'A play: the newest heartbeat of the viewer (nginx-rtmp update_play)';
CREATE INDEX IF NOT EXISTS play_events_client_idx ON livehook.play_events (stream, app, domain, vendor, client_id, event_time);
CREATE INDEX IF NOT EXISTS play_events_time_idx ON livehook.play_events (event_time);
-- Heartbeats (nginx-rtmp update_publish, SRS on_hls) and the vendor's timeout.
ALTER TABLE livehook.streams ADD COLUMN IF NOT EXISTS last_heartbeat timestamptz;
ALTER TABLE livehook.streams ADD COLUMN IF NOT EXISTS heartbeat_timeout integer;
COMMENT ON COLUMN livehook.streams.last_heartbeat IS 'Newest heartbeat of the live session (nginx-rtmp update_publish, SRS on_hls); NULL before the first';
COMMENT ON COLUMN livehook.streams.heartbeat_timeout IS 'The vendor''s heartbeat_timeout (s) as the newest event carried it; NULL for vendors without heartbeats, 0 when off';
ALTER TABLE livehook.sessions ADD COLUMN IF NOT EXISTS last_heartbeat timestamptz;
ALTER TABLE livehook.sessions ADD COLUMN IF NOT EXISTS duplicate boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN livehook.sessions.last_heartbeat IS 'Newest heartbeat of this session';
COMMENT ON COLUMN livehook.sessions.duplicate IS 'A publish while another session of the stream was live (refused by the server as busy): never the live session unless it sends a heartbeat';
CREATE INDEX IF NOT EXISTS sessions_open_idx ON livehook.sessions (stream, app, domain, vendor)
    WHERE ended_at IS NULL;
ALTER TABLE livehook.daily_totals ADD COLUMN IF NOT EXISTS plays bigint NOT NULL DEFAULT 0;
ALTER TABLE livehook.daily_totals ADD COLUMN IF NOT EXISTS watched_time interval NOT NULL DEFAULT '0';
COMMENT ON COLUMN livehook.daily_totals.plays IS 'Plays started';
COMMENT ON COLUMN livehook.daily_totals.watched_time IS 'Total length of the plays ended';
-- callbacks keeps plays too (heartbeats are never stored there).
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
	    JOIN pg_namespace ns ON ns.oid = t.relnamespace
	     WHERE ns.nspname = 'livehook' AND t.relname = 'callbacks'
	       AND c.conname = 'callbacks_kind_check'
	       AND pg_get_constraintdef(c.oid) LIKE '%play_done%') THEN
		ALTER TABLE livehook.callbacks DROP CONSTRAINT IF EXISTS callbacks_kind_check;
		ALTER TABLE livehook.callbacks ADD CONSTRAINT callbacks_kind_check CHECK (kind IN ('publish', 'unpublish',
		    'record_started', 'record_paused', 'record_resumed',
		    'record_file_started', 'record_file_complete', 'record_over',
		    'record_failed', 'snapshot', 'other', 'play', 'play_done'));
	END IF;
END
$$;

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

-- The statistics of a table ingest() writes, and of its partitions:
-- ANALYZE samples 300 rows per unit of the largest statistics target of
-- its columns (expression index columns included), so 3,000 with 10
-- instead of 30,000 with PostgreSQL's 100.  Autovacuum analyzes a table
-- after every 10% of growth, and a month partition, or a young install,
-- grows by that much in minutes: each ANALYZE of a callbacks partition
-- of 86,000 rows took 230 ms of CPU (25 ms with 10), while the single
-- writer's batches waited for the core (bench/README.md).  The plans
-- that read these tables look rows up by stream, key or time range, which
-- 10 histogram buckets and 10 common values estimate as well.  Only
-- columns at the default change: callbacks.payload keeps 0, and a target
-- an operator set keeps it when this schema is applied again.
CREATE OR REPLACE FUNCTION livehook.statistics_small(t regclass)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	cols	text;
	r	record;
BEGIN
	SELECT string_agg(format('ALTER COLUMN %I SET STATISTICS 10', a.attname), ', ')
	  INTO cols
	  FROM pg_attribute a
	 WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
	   AND coalesce(a.attstattarget, -1) = -1;
	IF cols IS NOT NULL THEN
		EXECUTE format('ALTER TABLE %s %s', t, cols);
	END IF;
	-- Expression columns of its indexes have statistics of their own
	-- (a partitioned table's indexes have none: its partitions' do).
	FOR r IN SELECT a.attrelid::regclass AS ix, a.attnum
	    FROM pg_index i
	    JOIN pg_class c ON c.oid = i.indexrelid AND c.relkind = 'i'
	    JOIN pg_attribute a ON a.attrelid = i.indexrelid
	     AND a.attnum > 0 AND i.indkey[a.attnum - 1] = 0
	   WHERE i.indrelid = t AND coalesce(a.attstattarget, -1) = -1 LOOP
		EXECUTE format('ALTER INDEX %s ALTER COLUMN %s SET STATISTICS 10', r.ix, r.attnum);
	END LOOP;
END
$$;
COMMENT ON FUNCTION livehook.statistics_small(regclass) IS 'Sets statistics target 10 on the columns and index expressions of a table ingest() writes that are at the default';

-- Create the month partitions (UTC) of callbacks, stream_events,
-- recordings and snapshots that hold the times ts, where missing.
-- Serialized by a lock on settings (a table lock, unlike an advisory
-- lock, also brings this backend's catalog cache up to date, so a caller
-- that waited sees the partitions the one before it made).
CREATE OR REPLACE FUNCTION livehook.partitions_ensure(ts timestamptz[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	m	timestamp;
	t	text;
	made	integer := 0;
BEGIN
	LOCK TABLE livehook.settings IN SHARE ROW EXCLUSIVE MODE;
	FOR m IN SELECT DISTINCT date_trunc('month', x AT TIME ZONE 'UTC')
	    FROM unnest(ts) AS x WHERE x IS NOT NULL ORDER BY 1 LOOP
		FOREACH t IN ARRAY ARRAY['callbacks', 'stream_events', 'recordings', 'snapshots', 'play_events'] LOOP
			IF to_regclass(format('livehook.%I', t || to_char(m, '_YYYY_MM'))) IS NULL THEN
				EXECUTE format('CREATE TABLE livehook.%I PARTITION OF livehook.%I FOR VALUES FROM (%L) TO (%L)',
				    t || to_char(m, '_YYYY_MM'), t, m AT TIME ZONE 'UTC',
				    (m + interval '1 month') AT TIME ZONE 'UTC');
				IF t = 'callbacks' THEN
					EXECUTE format('ALTER TABLE livehook.%I ALTER COLUMN payload SET STATISTICS 0',
					    t || to_char(m, '_YYYY_MM'));
				END IF;
				PERFORM livehook.statistics_small(format('livehook.%I', t || to_char(m, '_YYYY_MM'))::regclass);
				-- As sql/reporting.sql grants every table.
				IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'livehook_reporting') THEN
					EXECUTE format('GRANT SELECT ON livehook.%I TO livehook_reporting',
					    t || to_char(m, '_YYYY_MM'));
				END IF;
				made := made + 1;
			END IF;
		END LOOP;
	END LOOP;
	RETURN made;
END
$$;
COMMENT ON FUNCTION livehook.partitions_ensure(timestamptz[]) IS 'Creates the missing month partitions of the event tables for the given times; returns how many';

-- The small statistics samples on the tables there are, the partitions
-- included (partitions_ensure() sets them on those it makes).
DO $$
BEGIN
	PERFORM livehook.statistics_small(c.oid)
	   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	  WHERE n.nspname = 'livehook' AND c.relkind IN ('r', 'p')
	    AND c.relname ~ '^((callbacks|stream_events|recordings|snapshots|play_events)(_[0-9]{4}_[0-9]{2})?|event_keys|streams|sessions)$';
END
$$;

-- The periodic maintenance, one transaction: partitions for this month
-- (and in its last 7 days for the next), the drop of every month
-- partition wholly older than settings retention_days (0: none), and the
-- event keys older than settings dedup_days.  Returns one row per action.
-- Run it daily.
CREATE OR REPLACE FUNCTION livehook.maintain()
RETURNS TABLE (action text, object text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	keep	integer;
	dedup	integer;
	r	record;
	n	bigint;
BEGIN
	SELECT s.value INTO keep FROM livehook.settings s WHERE s.name = 'retention_days';
	SELECT s.value INTO dedup FROM livehook.settings s WHERE s.name = 'dedup_days';
	-- This month's, and the next one's in its last week: every
	-- partition there is costs each batch (a generic plan locks and
	-- starts a scan of every partition it may read), and one that is
	-- missing is made by the first batch that needs it.
	n := livehook.partitions_ensure(ARRAY[now(), now() + interval '7 days']);
	IF n > 0 THEN
		action := 'created'; object := n || ' partitions'; RETURN NEXT;
	END IF;
	IF coalesce(keep, 0) > 0 THEN
		FOR r IN SELECT c.relname
		    FROM pg_inherits i
		    JOIN pg_class c ON c.oid = i.inhrelid
		    JOIN pg_class p ON p.oid = i.inhparent
		    JOIN pg_namespace ns ON ns.oid = p.relnamespace
		   WHERE ns.nspname = 'livehook'
		     AND p.relname IN ('callbacks', 'stream_events', 'recordings', 'snapshots', 'play_events')
		     AND c.relname ~ '_[0-9]{4}_[0-9]{2}$'
		     AND (to_date(right(c.relname, 7), 'YYYY_MM')::timestamp
		          + interval '1 month') AT TIME ZONE 'UTC' <= now() - make_interval(days => keep)
		   ORDER BY p.relname, c.relname LOOP
			EXECUTE format('DROP TABLE livehook.%I', r.relname);
			action := 'dropped'; object := r.relname; RETURN NEXT;
		END LOOP;
	END IF;
	DELETE FROM livehook.event_keys k
	 WHERE k.first_seen < now() - make_interval(days => greatest(coalesce(dedup, 7), 4));
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		action := 'forgot'; object := n || ' event keys'; RETURN NEXT;
	END IF;
END
$$;
COMMENT ON FUNCTION livehook.maintain() IS 'Creates partitions ahead, drops those past retention_days, forgets event keys past dedup_days; run daily';

-- the live state of the self-hosted servers' streams (SPEC
-- section 11), called by ingest() with the batch's publish and unpublish
-- events.  A publish while another session of the stream is live (neither
-- ended nor past its heartbeat timeout) is a duplicate the server refused
-- as busy: SRS >= 6.0.139 sends no unpublish for it, nginx-rtmp sends a
-- publish_done under its own client id.  The stream's live session is its
-- newest open session that is not a duplicate.
CREATE OR REPLACE FUNCTION livehook.selfhosted_live(ev text[], ed text[],
    ea text[], es text[], ek text[], etime timestamptz[], esk text[])
RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
	UPDATE livehook.sessions s SET duplicate = true
	  FROM unnest(ev, ed, ea, es, ek, etime, esk)
	    AS b(vendor, domain, app, stream, kind, t, session_key)
	  JOIN livehook.streams st ON st.vendor = b.vendor AND st.domain = b.domain
	   AND st.app = b.app AND st.stream = b.stream
	 WHERE st.heartbeat_timeout IS NOT NULL
	   AND b.kind = 'publish' AND b.session_key IS NOT NULL
	   AND s.vendor = b.vendor AND s.domain = b.domain AND s.app = b.app
	   AND s.stream = b.stream AND s.session_key = b.session_key
	   AND s.ended_at IS NULL AND NOT s.duplicate AND s.last_heartbeat IS NULL
	   AND EXISTS (SELECT 1 FROM livehook.sessions o
	        WHERE o.vendor = b.vendor AND o.domain = b.domain
	          AND o.app = b.app AND o.stream = b.stream
	          AND o.ended_at IS NULL AND NOT o.duplicate
	          AND o.session_key <> b.session_key AND o.started_at < b.t
	          AND NOT (st.heartbeat_timeout > 0 AND o.last_heartbeat IS NOT NULL
	                   AND o.last_heartbeat < b.t - make_interval(secs => st.heartbeat_timeout)));

	UPDATE livehook.streams t
	   SET live = c.session_key IS NOT NULL,
	       live_since = c.started_at,
	       session_key = coalesce(c.session_key, t.session_key),
	       client_ip = CASE WHEN c.session_key IS NOT NULL THEN c.client_ip ELSE t.client_ip END,
	       last_heartbeat = CASE WHEN c.session_key IS NOT NULL THEN c.last_heartbeat
	                             ELSE t.last_heartbeat END
	  FROM (SELECT DISTINCT * FROM unnest(ev, ed, ea, es)) AS k(vendor, domain, app, stream)
	  LEFT JOIN LATERAL (
	       SELECT s.session_key, s.started_at, s.last_heartbeat,
	           (SELECT se.client_ip FROM livehook.stream_events se
	             WHERE se.vendor = s.vendor AND se.domain = s.domain
	               AND se.app = s.app AND se.stream = s.stream
	               AND se.event = 'publish' AND se.event_time = s.started_at
	               AND se.session_key = s.session_key LIMIT 1) AS client_ip
	         FROM livehook.sessions s
	        WHERE s.vendor = k.vendor AND s.domain = k.domain
	          AND s.app = k.app AND s.stream = k.stream
	          AND s.ended_at IS NULL AND NOT s.duplicate AND s.started_at IS NOT NULL
	        ORDER BY s.started_at DESC LIMIT 1) c ON true
	 WHERE t.vendor = k.vendor AND t.domain = k.domain
	   AND t.app = k.app AND t.stream = k.stream
	   AND t.heartbeat_timeout IS NOT NULL;
END
$$;
COMMENT ON FUNCTION livehook.selfhosted_live(text[], text[], text[], text[], text[], timestamptz[], text[]) IS 'ingest(): duplicate publishers and the live session of the self-hosted servers'' streams';

-- heartbeats (nginx-rtmp update_publish, SRS on_hls), called by
-- ingest(): they refresh their open session and the stream's
-- last_heartbeat, and add no row anywhere else.  A heartbeat proves its
-- session is the one publishing: it becomes the live one (a session taken
-- for a duplicate, a publish after the server restarted).  Streams are
-- locked before sessions, as in ingest().
CREATE OR REPLACE FUNCTION livehook.selfhosted_heartbeat(hv text[], hd text[],
    ha text[], hs text[], hk text[], ht timestamptz[])
RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
	PERFORM 1 FROM livehook.streams t
	   JOIN (SELECT DISTINCT * FROM unnest(hv, hd, ha, hs)) AS k(vendor, domain, app, stream)
	     ON t.vendor = k.vendor AND t.domain = k.domain AND t.app = k.app AND t.stream = k.stream
	  ORDER BY t.vendor, t.domain, t.app, t.stream FOR UPDATE OF t;
	WITH h AS (
		SELECT b.vendor, b.domain, b.app, b.stream, b.session_key, max(b.t) AS t
		  FROM unnest(hv, hd, ha, hs, hk, ht) AS b(vendor, domain, app, stream, session_key, t)
		 WHERE b.session_key IS NOT NULL
		 GROUP BY 1, 2, 3, 4, 5
	), s AS (
		UPDATE livehook.sessions s
		   SET last_heartbeat = greatest(s.last_heartbeat, h.t), duplicate = false
		  FROM h
		 WHERE s.vendor = h.vendor AND s.domain = h.domain AND s.app = h.app
		   AND s.stream = h.stream AND s.session_key = h.session_key
		   AND s.ended_at IS NULL AND s.started_at IS NOT NULL
		RETURNING s.vendor, s.domain, s.app, s.stream, s.session_key,
		    s.started_at, s.last_heartbeat
	)
	UPDATE livehook.streams t
	   SET last_heartbeat = CASE WHEN t.live AND t.session_key = x.session_key
	                             THEN greatest(t.last_heartbeat, x.last_heartbeat)
	                             ELSE x.last_heartbeat END,
	       live = true,
	       live_since = CASE WHEN t.live AND t.session_key = x.session_key
	                         THEN t.live_since ELSE x.started_at END,
	       session_key = x.session_key
	  FROM (SELECT DISTINCT ON (s.vendor, s.domain, s.app, s.stream) s.*
	          FROM s ORDER BY s.vendor, s.domain, s.app, s.stream, s.last_heartbeat DESC) x
	 WHERE t.vendor = x.vendor AND t.domain = x.domain
	   AND t.app = x.app AND t.stream = x.stream;
END
$$;
COMMENT ON FUNCTION livehook.selfhosted_heartbeat(text[], text[], text[], text[], text[], timestamptz[]) IS 'ingest(): heartbeats refresh their session and streams.last_heartbeat';
-- a client id used again (nginx-rtmp's clientid restarts at 1
-- with nginx; one RTMP connection may publish twice): before a publish's
-- session is stored, an earlier session of the same stream under the same
-- key keeps its row under "<key>@<start in ms>", so the two never merge.
CREATE OR REPLACE FUNCTION livehook.selfhosted_rekey(ev text[], ed text[],
    ea text[], es text[], ek text[], etime timestamptz[], esk text[])
RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
	UPDATE livehook.sessions s
	   SET session_key = s.session_key || '@' || (extract(epoch FROM s.started_at) * 1000)::bigint
	  FROM (SELECT b.vendor, b.domain, b.app, b.stream, b.session_key, min(b.t) AS t
	          FROM unnest(ev, ed, ea, es, ek, etime, esk)
	            AS b(vendor, domain, app, stream, kind, t, session_key)
	         WHERE b.kind = 'publish' AND b.session_key IS NOT NULL
	         GROUP BY 1, 2, 3, 4, 5) b
	  JOIN livehook.streams st ON st.vendor = b.vendor AND st.domain = b.domain
	   AND st.app = b.app AND st.stream = b.stream
	 WHERE st.heartbeat_timeout IS NOT NULL
	   AND s.vendor = b.vendor AND s.domain = b.domain AND s.app = b.app
	   AND s.stream = b.stream AND s.session_key = b.session_key
	   AND s.started_at < b.t;
END
$$;
COMMENT ON FUNCTION livehook.selfhosted_rekey(text[], text[], text[], text[], text[], timestamptz[], text[]) IS 'ingest(): an earlier session under a client id used again keeps its row under <key>@<start ms>';


-- One event of a batch as ingest()'s later statements read it: a stream,
-- the kind, the time and the session key (for plays the client id).  The
-- first statement collects each group of events as one array of these
-- (one aggregate each, instead of one per column).
DO $$
BEGIN
	IF to_regtype('livehook.ingest_item') IS NULL THEN
		CREATE TYPE livehook.ingest_item AS (vendor text, domain text,
		    app text, stream text, kind text, t timestamptz, key text);
	END IF;
END
$$;
COMMENT ON TYPE livehook.ingest_item IS 'ingest(): one event of a batch for its later statements (stream, kind, time, session key or client id)';

-- The new files and snapshots of a batch per day, vendor and domain, as
-- ingest_rows()'s first statement hands them to the daily totals (one
-- aggregate instead of one per column).
DO $$
BEGIN
	IF to_regtype('livehook.ingest_total') IS NULL THEN
		CREATE TYPE livehook.ingest_total AS (day date, vendor text,
		    domain text, files bigint, recorded interval, bytes bigint,
		    snaps bigint);
	END IF;
END
$$;
COMMENT ON TYPE livehook.ingest_total IS 'ingest_rows(): the files and snapshots of a batch per day, vendor and domain, for the daily totals';

-- Store a batch of events in the caller's transaction, one column of the
-- batch per argument (element i of each array is event i; livehook sends
-- them as binary arrays, event_to_row()): one row per event of the
-- result, idx (0-based) and 'ok' or 'duplicate'.  ingest(jsonb) takes
-- the same batch as a JSON array.  Idempotent on
-- (vendor, event_key) within the deduplication window; concurrent
-- deliveries of one event store it once.
--
-- Set-based: a fixed number of statements per batch, not per event (the
-- executor start-up of per-event statements was most of PostgreSQL's time
-- under load).  Rows are locked in one order -- event keys, then streams,
-- then daily totals, each sorted -- so two batches cannot deadlock.
--
-- 1. Every event gets a callback id; event_keys takes the new keys and
--    RETURNING names the elements that are not duplicates (the first of
--    equal keys within the batch wins).  The same statement inserts those
--    into callbacks and their kind's table and upserts the times of their
--    streams (which locks those streams' rows).  Before it, the
--    partitions of a month the batch needs are created if missing
--    (partitions_ensure).  It hands the events the later statements read
--    over as arrays of livehook.ingest_item.
-- 2. Sessions of those streams and the daily totals.  Keyed sessions (the
--    vendor sends a session key) take the earliest publish and the latest
--    unpublish.  Unkeyed ones (one per publish, ended by the first
--    unpublish before the next publish) are recomputed from the earliest
--    new event on, and the session before it keeps its end when that is
--    earlier: the work is bounded by the batch's times, not the stream's
--    history.  The changes of the sessions, files and snapshots are added
--    to daily_totals; plays and watched time in a statement of their own
--    that only batches with plays run.  A batch whose streams are all
--    new (none was there before the first statement) has no session to
--    pair with and takes a shorter statement from its own events; one
--    without publishes and unpublishes only adds its files and snapshots.
-- 3. The live state of those streams, by event time, not arrival order, in
--    a statement of its own: its snapshot, taken after the row locks, sees
--    every event committed by a batch that held them before.  The stream is
--    live while its newest publish has no unpublish of the same session
--    where the vendor has session keys, else at or after it.  A late or
--    repeated unpublish of an older session never closes a newer one.
--    A stream the first statement inserted has no history: it got the
--    same state there from the batch's events, and this statement reads
--    only the streams that were there before.
CREATE OR REPLACE FUNCTION livehook.ingest_rows(b_vendor text[],
    b_kind text[], b_auth text[], b_event text[], b_event_key text[],
    b_remote_addr text[], b_received_at float8[], b_domain text[],
    b_app text[], b_stream text[], b_event_time float8[],
    b_session_key text[], b_client_ip text[], b_node text[],
    b_params text[], b_error_code text[], b_error_message text[],
    b_push_duration float8[], b_file_key text[], b_format text[],
    b_url text[], b_play_url text[], b_storage_path text[],
    b_task_id text[], b_segments jsonb[], b_start_time float8[],
    b_end_time float8[], b_duration float8[], b_file_size bigint[],
    b_width integer[], b_height integer[], b_payload jsonb[],
    b_heartbeat_timeout integer[])
RETURNS TABLE (idx integer, result text) LANGUAGE plpgsql
-- Every statement here looks rows up by key for a batch of at most 256
-- events; a sequential scan is never the right plan, but the planner
-- picks one on young tables whose statistics say "a few pages" (streams
-- and sessions scanned whole, 9,600 rows each, per batch under bench/run;
-- bitmap scans of every session by its start time likewise).
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off
SET enable_bitmapscan = off AS $$
#variable_conflict use_column
DECLARE
	fresh	integer[];
	-- The new publish and unpublish events, plays, heartbeats (never
	-- stored as rows) and heartbeats of viewers.
	evr	livehook.ingest_item[];
	pvr	livehook.ingest_item[];
	hvr	livehook.ingest_item[];
	qvr	livehook.ingest_item[];
	-- The streams of the batch that were there before it, and the
	-- earliest of their newest publishes: no publish or unpublish the
	-- live-state UPDATE reads is older, and as a variable (unlike each
	-- row's own bound) it prunes the partitions of the months before
	-- when the plan starts.  Every partition a plan starts costs each
	-- batch; the months of history a retention keeps would add up.
	ovr	livehook.ingest_item[];
	lp_min	timestamptz;
	-- The same publish and unpublish events as columns, and the
	-- heartbeats: what the self-hosted helpers take.
	ev	text[];
	ed	text[];
	ea	text[];
	es	text[];
	ek	text[];
	etime	timestamptz[];
	esk	text[];
	hv	text[];
	hd	text[];
	ha	text[];
	hs	text[];
	hk	text[];
	ht	timestamptz[];
	-- The new files and snapshots per day, vendor and domain.
	ftot	livehook.ingest_total[];
	sh	boolean;	-- the batch has publishes of the self-hosted servers
	-- The batch's earliest and latest time, whether some event has no
	-- receive time (now() then), and the month's partition suffix.
	t_lo	timestamptz;
	t_hi	timestamptz;
	now_too	boolean;
	mon	text;
BEGIN
	-- The partitions of the batch's months, where one is missing (its
	-- first batch; maintain() makes them ahead).  Cheaper than catching
	-- the error, which needs a subtransaction for every batch.  The
	-- batch's earliest and latest time, then the five tables of that one
	-- month by name: a batch nearly always lies in one month (a DISTINCT
	-- month of every time of every event, against every table, was 4.5%
	-- of a batch's instructions).
	SELECT to_timestamp(min(least(a.received_at, a.event_time)) / 1000),
	    to_timestamp(max(greatest(a.received_at, a.event_time)) / 1000),
	    bool_or(a.received_at IS NULL)
	  INTO t_lo, t_hi, now_too
	  FROM unnest(b_received_at, b_event_time) AS a(received_at, event_time);
	IF now_too OR t_lo IS NULL THEN
		-- callbacks.received_at is now() where the event has none.
		t_lo := least(t_lo, now());
		t_hi := greatest(t_hi, now());
	END IF;
	mon := to_char(t_lo AT TIME ZONE 'UTC', '_YYYY_MM');
	IF mon <> to_char(t_hi AT TIME ZONE 'UTC', '_YYYY_MM')
	   OR to_regclass('livehook.callbacks' || mon) IS NULL
	   OR to_regclass('livehook.stream_events' || mon) IS NULL
	   OR to_regclass('livehook.recordings' || mon) IS NULL
	   OR to_regclass('livehook.snapshots' || mon) IS NULL
	   OR to_regclass('livehook.play_events' || mon) IS NULL THEN
		PERFORM livehook.partitions_ensure(ARRAY(
		    SELECT v.x FROM unnest(b_received_at, b_event_time) AS a(received_at, event_time),
		        LATERAL (VALUES (coalesce(to_timestamp(a.received_at / 1000), now())),
		                        (to_timestamp(coalesce(a.event_time, a.received_at) / 1000))) AS v(x)));
	END IF;

	-- The CTEs carry the few columns that are compared, grouped and
	-- sorted (kind, the stream, the event time); the rest are read where
	-- they are stored, by subscript (b_col[j] is O(1): plpgsql hands the
	-- arrays over expanded).  An unnest() of all 33 arrays made a
	-- tuplestore per array and copied the wide rows through both CTEs:
	-- 10-11% more instructions per event (bench/ingest-micro -I -m run,
	-- batches of 1 to 30).
	-- Times and durations are milliseconds read as float8: exact up to
	-- 2^53 ms, and to_timestamp() and make_interval() take float8 (as
	-- numeric they went through numeric input, division and output again).
	WITH e AS MATERIALIZED (
		SELECT g.j, b_vendor[g.j] AS vendor, b_kind[g.j] AS kind,
		    b_event_key[g.j] AS event_key, b_domain[g.j] AS domain,
		    b_app[g.j] AS app, b_stream[g.j] AS stream,
		    to_timestamp(coalesce(b_event_time[g.j], b_received_at[g.j]) / 1000) AS et,
		    nextval('livehook.callbacks_id_seq') AS cid
		  FROM generate_series(1, cardinality(b_vendor)) AS g(j)
	), keys AS (
		INSERT INTO livehook.event_keys (vendor, event_key, callback_id)
		SELECT e.vendor, e.event_key, e.cid FROM e
		 WHERE e.kind NOT IN ('heartbeat', 'play_heartbeat')
		 ORDER BY 1, 2, 3
		ON CONFLICT ON CONSTRAINT event_keys_pkey DO NOTHING
		RETURNING callback_id
	), n AS MATERIALIZED (
		SELECT e.* FROM e JOIN keys ON keys.callback_id = e.cid
	), c AS (
		INSERT INTO livehook.callbacks (id, received_at, vendor, kind,
		    vendor_event, remote_addr, auth, payload, event_key, domain,
		    app, stream, event_time)
		SELECT n.cid, coalesce(to_timestamp(b_received_at[n.j] / 1000), now()),
		    n.vendor, n.kind, b_event[n.j],
		    CASE WHEN b_remote_addr[n.j] ~ '^[0-9a-fA-F:.]+$'
		        THEN b_remote_addr[n.j]::inet END,
		    b_auth[n.j], coalesce(b_payload[n.j], '{}'), n.event_key,
		    n.domain, n.app, n.stream, n.et
		  FROM n
	), s AS (
		INSERT INTO livehook.stream_events (callback_id, vendor,
		    domain, app, stream, event, vendor_event, event_time,
		    session_key, client_ip, node, params, width, height,
		    error_code, error_message, push_duration)
		SELECT n.cid, n.vendor, n.domain, n.app, n.stream, n.kind,
		    b_event[n.j], n.et, b_session_key[n.j], b_client_ip[n.j],
		    b_node[n.j], b_params[n.j], b_width[n.j], b_height[n.j],
		    b_error_code[n.j], b_error_message[n.j],
		    make_interval(secs => b_push_duration[n.j] / 1000)
		  FROM n WHERE n.kind IN ('publish', 'unpublish')
	), r AS (
		INSERT INTO livehook.recordings (callback_id, vendor, domain,
		    app, stream, event, vendor_event, event_time, file_key,
		    format, url, play_url, storage_path, start_time,
		    end_time, duration, file_size, width, height, segments,
		    task_id, error_message)
		SELECT n.cid, n.vendor, n.domain, n.app, n.stream, n.kind,
		    b_event[n.j], n.et, b_file_key[n.j], lower(b_format[n.j]),
		    b_url[n.j], b_play_url[n.j], b_storage_path[n.j],
		    to_timestamp(b_start_time[n.j] / 1000),
		    to_timestamp(b_end_time[n.j] / 1000),
		    make_interval(secs => b_duration[n.j] / 1000), b_file_size[n.j],
		    b_width[n.j], b_height[n.j], b_segments[n.j], b_task_id[n.j],
		    b_error_message[n.j]
		  FROM n WHERE n.kind LIKE 'record\_%'
	), p AS (
		INSERT INTO livehook.snapshots (callback_id, vendor, domain,
		    app, stream, snapshot_time, url, file_size, width, height)
		SELECT n.cid, n.vendor, n.domain, n.app, n.stream, n.et, b_url[n.j],
		    b_file_size[n.j], b_width[n.j], b_height[n.j]
		  FROM n WHERE n.kind = 'snapshot'
	), pl AS (
		INSERT INTO livehook.play_events (callback_id, vendor, domain,
		    app, stream, event, vendor_event, event_time, client_id,
		    client_ip, params)
		SELECT n.cid, n.vendor, n.domain, n.app, n.stream, n.kind,
		    b_event[n.j], n.et, b_session_key[n.j], b_client_ip[n.j],
		    b_params[n.j]
		  FROM n WHERE n.kind IN ('play', 'play_done')
	), u AS (
		-- A stream this inserts has no history: its live state is that
		-- of the batch's events, as the UPDATE below would find it (but
		-- for the self-hosted servers', which selfhosted_live() sets).
		-- The UPDATE is left the streams that were there (xmax is 0 only
		-- in a row this inserted): a fifth of a batch's instructions when
		-- every publish is a new stream's.
		INSERT INTO livehook.streams AS t (vendor, domain, app, stream,
		    first_seen, last_event_time, last_publish, last_unpublish,
		    heartbeat_timeout, live, live_since, session_key, client_ip)
		SELECT g.vendor, g.domain, g.app, g.stream, g.first_seen,
		    g.last_event_time, g.last_publish, g.last_unpublish,
		    g.heartbeat_timeout, g.is_live,
		    CASE WHEN g.is_live THEN g.last_publish END,
		    CASE WHEN g.heartbeat_timeout IS NULL THEN g.pk END,
		    CASE WHEN g.heartbeat_timeout IS NULL THEN g.pc END
		  FROM (SELECT h.*, h.heartbeat_timeout IS NULL
		            AND h.last_publish IS NOT NULL
		            AND CASE WHEN h.pk IS NOT NULL
		                     THEN NOT coalesce(h.pk = ANY (h.ukeys), false)
		                     ELSE NOT coalesce(h.ulast >= h.last_publish, false) END AS is_live
		          FROM (SELECT w.vendor, w.domain, w.app, w.stream,
		                   min(w.et) AS first_seen, max(w.et) AS last_event_time,
		                   max(w.et) FILTER (WHERE w.kind = 'publish') AS last_publish,
		                   max(w.et) FILTER (WHERE w.kind = 'unpublish') AS last_unpublish,
		                   max(w.heartbeat_timeout) AS heartbeat_timeout,
		                   min(w.pk) FILTER (WHERE w.kind = 'publish') AS pk,
		                   min(w.pc) FILTER (WHERE w.kind = 'publish') AS pc,
		                   -- the keys of the unpublishes; the latest unkeyed one
		                   array_agg(w.session_key) FILTER (WHERE w.kind = 'unpublish'
		                       AND w.session_key IS NOT NULL) AS ukeys,
		                   max(w.et) FILTER (WHERE w.kind = 'unpublish'
		                       AND w.session_key IS NULL) AS ulast
		                  -- the newest publish's session key and address:
		                  -- one sort of the batch (an ORDER BY in the
		                  -- aggregates sorted each stream's events alone)
		                  FROM (SELECT n.vendor, n.domain, n.app, n.stream, n.kind,
		                           n.et, b_session_key[n.j] AS session_key,
		                           b_heartbeat_timeout[n.j] AS heartbeat_timeout,
		                           first_value(b_session_key[n.j]) OVER x AS pk,
		                           first_value(b_client_ip[n.j]) OVER x AS pc
		                          FROM n WHERE n.kind IN ('publish', 'unpublish')
		                        WINDOW x AS (PARTITION BY n.vendor, n.domain, n.app, n.stream
		                            ORDER BY n.kind = 'publish' DESC, n.et DESC,
		                                b_session_key[n.j] DESC NULLS LAST)) w
		                 GROUP BY 1, 2, 3, 4) h) g
		 ORDER BY 1, 2, 3, 4
		ON CONFLICT ON CONSTRAINT streams_pkey DO UPDATE
		   SET first_seen = least(t.first_seen, EXCLUDED.first_seen),
		       last_event_time = greatest(t.last_event_time, EXCLUDED.last_event_time),
		       last_publish = greatest(t.last_publish, EXCLUDED.last_publish),
		       last_unpublish = greatest(t.last_unpublish, EXCLUDED.last_unpublish),
		       heartbeat_timeout = coalesce(EXCLUDED.heartbeat_timeout, t.heartbeat_timeout)
		RETURNING t.vendor, t.domain, t.app, t.stream, t.xmax, t.last_publish,
		    t.heartbeat_timeout
	), f AS (
		SELECT (n.et AT TIME ZONE 'UTC')::date AS day, n.vendor, n.domain,
		    count(*) FILTER (WHERE n.kind = 'record_file_complete') AS files,
		    coalesce(sum(coalesce(make_interval(secs => b_duration[n.j] / 1000),
		        to_timestamp(b_end_time[n.j] / 1000)
		        - to_timestamp(b_start_time[n.j] / 1000)))
		        FILTER (WHERE n.kind = 'record_file_complete'), '0') AS recorded,
		    coalesce(sum(b_file_size[n.j]) FILTER (WHERE n.kind = 'record_file_complete'), 0) AS bytes,
		    count(*) FILTER (WHERE n.kind = 'snapshot') AS snaps
		  FROM n WHERE n.kind IN ('record_file_complete', 'snapshot')
		 GROUP BY 1, 2, 3
	)
	-- One pass over the new events and one over the heartbeats, each
	-- group an aggregate with its FILTER (an aggregate node and a scan
	-- fewer per group to start for every batch).
	SELECT x.fresh, x.evr, x.sh, z.ftot, x.pvr, h.hvr, h.qvr, o.ovr, o.lpmin
	  INTO fresh, evr, sh, ftot, pvr, hvr, qvr, ovr, lp_min
	  FROM (SELECT coalesce(array_agg(n.j - 1), '{}') AS fresh,
	           array_agg(ROW(n.vendor, n.domain, n.app, n.stream, n.kind,
	               n.et, b_session_key[n.j])::livehook.ingest_item)
	               FILTER (WHERE n.kind IN ('play', 'play_done')) AS pvr,
	           array_agg(ROW(n.vendor, n.domain, n.app, n.stream, n.kind,
	               n.et, b_session_key[n.j])::livehook.ingest_item)
	               FILTER (WHERE n.kind IN ('publish', 'unpublish')) AS evr,
	           bool_or(b_heartbeat_timeout[n.j] IS NOT NULL)
	               FILTER (WHERE n.kind IN ('publish', 'unpublish')) AS sh
	          FROM n) x,
	       (SELECT array_agg(ROW(e.vendor, e.domain, e.app, e.stream, e.kind,
	               e.et, b_session_key[e.j])::livehook.ingest_item)
	               FILTER (WHERE e.kind = 'heartbeat') AS hvr,
	           array_agg(ROW(e.vendor, e.domain, e.app, e.stream, e.kind,
	               e.et, b_session_key[e.j])::livehook.ingest_item)
	               FILTER (WHERE e.kind = 'play_heartbeat') AS qvr
	          FROM e WHERE e.kind IN ('heartbeat', 'play_heartbeat')) h,
	       (SELECT array_agg(ROW(f.day, f.vendor, f.domain, f.files,
	           f.recorded, f.bytes, f.snaps)::livehook.ingest_total) AS ftot
	          FROM f) z,
	       (SELECT array_agg(ROW(u.vendor, u.domain, u.app, u.stream, NULL,
	           NULL, NULL)::livehook.ingest_item) AS ovr,
	           min(u.last_publish) FILTER (WHERE u.heartbeat_timeout IS NULL) AS lpmin
	          FROM u WHERE u.xmax <> 0) o;

	IF sh THEN
		SELECT array_agg(b.vendor), array_agg(b.domain), array_agg(b.app),
		    array_agg(b.stream), array_agg(b.kind), array_agg(b.t),
		    array_agg(b.key)
		  INTO ev, ed, ea, es, ek, etime, esk
		  FROM unnest(evr) AS b;
		PERFORM livehook.selfhosted_rekey(ev, ed, ea, es, ek, etime, esk);
	END IF;
	IF evr IS NULL THEN
		-- No publish or unpublish: the files and snapshots alone (a
		-- batch of one file: 10% fewer instructions than with the
		-- sessions' statement below, bench/ingest-micro -I -m run -b 1).
		IF ftot IS NOT NULL THEN
			INSERT INTO livehook.daily_totals AS t (day, vendor, domain,
			    slot, recording_files, recorded_time, recorded_bytes,
			    snapshots)
			SELECT y.day, y.vendor, y.domain, pg_backend_pid(),
			    sum(y.files), sum(y.recorded), sum(y.bytes), sum(y.snaps)
			  FROM unnest(ftot) AS y GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
			ON CONFLICT ON CONSTRAINT daily_totals_pkey DO UPDATE
			   SET recording_files = t.recording_files + EXCLUDED.recording_files,
			       recorded_time = t.recorded_time + EXCLUDED.recorded_time,
			       recorded_bytes = t.recorded_bytes + EXCLUDED.recorded_bytes,
			       snapshots = t.snapshots + EXCLUDED.snapshots;
		END IF;
	ELSIF ovr IS NULL AND sh IS NOT TRUE THEN
		-- Every stream of the batch's publishes and unpublishes is one
		-- the first statement created: no session of theirs is stored
		-- (livehook never deletes a streams row), so the batch's events
		-- are all there is.  The general statement below reads each
		-- stream's sessions and unpublishes: this one has 11% fewer
		-- instructions per event for bench/run's batches of new streams
		-- (bench/ingest-micro -I -m run).
		WITH b AS (
			SELECT * FROM unnest(evr)
			    AS b(vendor, domain, app, stream, kind, t, session_key)
		), ns AS (
			INSERT INTO livehook.sessions (vendor, domain, app, stream,
			    session_key, started_at, ended_at)
			SELECT b.vendor, b.domain, b.app, b.stream, b.session_key,
			    min(b.t) FILTER (WHERE b.kind = 'publish'),
			    max(b.t) FILTER (WHERE b.kind = 'unpublish')
			  FROM b WHERE b.session_key IS NOT NULL
			 GROUP BY 1, 2, 3, 4, 5
			UNION ALL
			-- An unkeyed session ends at the first unpublish from its
			-- publish on and before the stream's next publish.
			SELECT p.vendor, p.domain, p.app, p.stream, NULL, p.t,
			    (SELECT min(x.t) FROM b x
			      WHERE x.stream = p.stream AND x.app = p.app
			        AND x.domain = p.domain AND x.vendor = p.vendor
			        AND x.kind = 'unpublish' AND x.session_key IS NULL
			        AND x.t >= p.t
			        AND (p.next_start IS NULL OR x.t < p.next_start))
			  FROM (SELECT b.vendor, b.domain, b.app, b.stream, b.t,
			           lead(b.t) OVER (PARTITION BY b.vendor, b.domain,
			               b.app, b.stream ORDER BY b.t) AS next_start
			          FROM b WHERE b.session_key IS NULL AND b.kind = 'publish') p
			RETURNING started_at, ended_at, vendor, domain
		)
		INSERT INTO livehook.daily_totals AS t (day, vendor, domain, slot,
		    sessions, streamed_time, recording_files, recorded_time,
		    recorded_bytes, snapshots)
		SELECT d.day, d.vendor, d.domain, pg_backend_pid(),
		    sum(d.sessions), sum(d.streamed), sum(d.files), sum(d.recorded),
		    sum(d.bytes), sum(d.snaps)
		  FROM (SELECT (x.started_at AT TIME ZONE 'UTC')::date AS day,
		           x.vendor, x.domain, 1 AS sessions,
		           coalesce(x.ended_at - x.started_at, '0') AS streamed,
		           0::bigint AS files, '0'::interval AS recorded,
		           0::bigint AS bytes, 0::bigint AS snaps
		          FROM ns x WHERE x.started_at IS NOT NULL
		        UNION ALL
		        SELECT y.day, y.vendor, y.domain, 0, '0', y.files, y.recorded,
		            y.bytes, y.snaps
		          FROM unnest(ftot) AS y) d
		 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
		ON CONFLICT ON CONSTRAINT daily_totals_pkey DO UPDATE
		   SET sessions = t.sessions + EXCLUDED.sessions,
		       streamed_time = t.streamed_time + EXCLUDED.streamed_time,
		       recording_files = t.recording_files + EXCLUDED.recording_files,
		       recorded_time = t.recorded_time + EXCLUDED.recorded_time,
		       recorded_bytes = t.recorded_bytes + EXCLUDED.recorded_bytes,
		       snapshots = t.snapshots + EXCLUDED.snapshots;
	ELSE
		WITH b AS (
			SELECT * FROM unnest(evr)
			    AS b(vendor, domain, app, stream, kind, t, session_key)
		), g AS (
			SELECT b.vendor, b.domain, b.app, b.stream, b.session_key,
			    min(b.t) FILTER (WHERE b.kind = 'publish') AS ps,
			    max(b.t) FILTER (WHERE b.kind = 'unpublish') AS ue
			  FROM b WHERE b.session_key IS NOT NULL
			 GROUP BY 1, 2, 3, 4, 5
		), kold AS (
			SELECT s.started_at, s.ended_at, s.vendor, s.domain
			  FROM livehook.sessions s JOIN g
			    ON s.vendor = g.vendor AND s.domain = g.domain AND s.app = g.app
			   AND s.stream = g.stream AND s.session_key = g.session_key
		), kup AS (
			INSERT INTO livehook.sessions AS s (vendor, domain, app, stream,
			    session_key, started_at, ended_at)
			SELECT g.vendor, g.domain, g.app, g.stream, g.session_key, g.ps, g.ue
			  FROM g ORDER BY 1, 2, 3, 4, 5
			ON CONFLICT (vendor, domain, app, stream, session_key) DO UPDATE
			   SET started_at = least(s.started_at, EXCLUDED.started_at),
			       ended_at = greatest(s.ended_at, EXCLUDED.ended_at)
			RETURNING s.started_at, s.ended_at, s.vendor, s.domain
		), k AS MATERIALIZED (
			-- lo: the start of the stream's last session before the
			-- batch's first event, computed once per stream, so that
			-- udel reads the stream's index from there on (as a filter it
			-- was evaluated for every session the stream ever had).
			SELECT g.*, coalesce((SELECT max(q.started_at)
			       FROM livehook.sessions q
			      WHERE q.vendor = g.vendor AND q.domain = g.domain
			        AND q.app = g.app AND q.stream = g.stream
			        AND q.session_key IS NULL AND q.started_at < g.tmin), g.tmin) AS lo
			  FROM (SELECT b.vendor, b.domain, b.app, b.stream, min(b.t) AS tmin
			          FROM b WHERE b.session_key IS NULL
			         GROUP BY 1, 2, 3, 4) g
		), udel AS (
			DELETE FROM livehook.sessions s USING k
			 WHERE s.vendor = k.vendor AND s.domain = k.domain
			   AND s.app = k.app AND s.stream = k.stream
			   AND s.session_key IS NULL AND s.started_at >= k.lo
			RETURNING s.started_at, s.ended_at, s.vendor, s.domain, s.app, s.stream
		), o AS (
			SELECT q.*, k.tmin, lead(q.started_at) OVER (
			        PARTITION BY q.vendor, q.domain, q.app, q.stream
			        ORDER BY q.started_at) AS next_start
			  FROM (SELECT w.vendor, w.domain, w.app, w.stream, w.started_at,
			           w.ended_at FROM udel w
			        UNION ALL
			        SELECT b.vendor, b.domain, b.app, b.stream, b.t, NULL
			          FROM b WHERE b.session_key IS NULL AND b.kind = 'publish') q
			  JOIN k ON q.vendor = k.vendor AND q.domain = k.domain
			   AND q.app = k.app AND q.stream = k.stream
		), uins AS (
			INSERT INTO livehook.sessions (vendor, domain, app, stream,
			    session_key, started_at, ended_at)
			SELECT o.vendor, o.domain, o.app, o.stream, NULL, o.started_at,
			    CASE WHEN o.ended_at < o.tmin THEN o.ended_at ELSE (
			        SELECT min(x.event_time) FROM livehook.stream_events x
			         WHERE x.vendor = o.vendor AND x.domain = o.domain
			           AND x.app = o.app AND x.stream = o.stream
			           AND x.event = 'unpublish' AND x.session_key IS NULL
			           AND x.event_time >= greatest(o.started_at, o.tmin)
			           -- the same bound as a variable, which prunes the
			           -- earlier months' partitions when the plan starts
			           AND x.event_time >= t_lo
			           AND (o.next_start IS NULL OR x.event_time < o.next_start)) END
			  FROM o
			RETURNING started_at, ended_at, vendor, domain
		), d AS (
			SELECT (x.started_at AT TIME ZONE 'UTC')::date AS day, x.vendor,
			    x.domain, x.sign AS sessions,
			    x.sign * coalesce(x.ended_at - x.started_at, '0') AS streamed,
			    0::bigint AS files, '0'::interval AS recorded,
			    0::bigint AS bytes, 0::bigint AS snaps
			  FROM (SELECT kup.*, 1 AS sign FROM kup
			        UNION ALL SELECT kold.*, -1 FROM kold
			        UNION ALL SELECT uins.*, 1 FROM uins
			        UNION ALL SELECT udel.started_at, udel.ended_at,
			            udel.vendor, udel.domain, -1 FROM udel) x
			 WHERE x.started_at IS NOT NULL
			UNION ALL
			SELECT y.day, y.vendor, y.domain, 0, '0', y.files, y.recorded,
			    y.bytes, y.snaps
			  FROM unnest(ftot) AS y
		)
		INSERT INTO livehook.daily_totals AS t (day, vendor, domain, slot,
		    sessions, streamed_time, recording_files, recorded_time,
		    recorded_bytes, snapshots)
		SELECT d.day, d.vendor, d.domain, pg_backend_pid(),
		    sum(d.sessions), sum(d.streamed), sum(d.files), sum(d.recorded),
		    sum(d.bytes), sum(d.snaps)
		  FROM d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
		ON CONFLICT ON CONSTRAINT daily_totals_pkey DO UPDATE
		   SET sessions = t.sessions + EXCLUDED.sessions,
		       streamed_time = t.streamed_time + EXCLUDED.streamed_time,
		       recording_files = t.recording_files + EXCLUDED.recording_files,
		       recorded_time = t.recorded_time + EXCLUDED.recorded_time,
		       recorded_bytes = t.recorded_bytes + EXCLUDED.recorded_bytes,
		       snapshots = t.snapshots + EXCLUDED.snapshots;
	END IF;
	IF pvr IS NOT NULL THEN
		-- Plays by the day they start; watched time by the day they
		-- end, from the newest play of that client before it.  A
		-- statement of its own: the search reads every month of
		-- play_events (a play may be old), and a plan starts a scan of
		-- each partition it may read, so only batches with plays pay
		-- for it.  daily_totals rows are this backend's (slot): no lock
		-- order to keep with the statement before.
		INSERT INTO livehook.daily_totals AS t (day, vendor, domain, slot,
		    plays, watched_time)
		SELECT d.day, d.vendor, d.domain, pg_backend_pid(), sum(d.plays),
		    sum(d.watched)
		  FROM (SELECT (w.t AT TIME ZONE 'UTC')::date AS day, w.vendor,
		           w.domain, (w.kind = 'play')::integer AS plays,
		           CASE WHEN w.kind = 'play_done' THEN coalesce(w.t - (
		               SELECT max(x.event_time) FROM livehook.play_events x
		                WHERE x.vendor = w.vendor AND x.domain = w.domain
		                  AND x.app = w.app AND x.stream = w.stream
		                  AND x.client_id = w.client_id AND x.event = 'play'
		                  AND x.event_time <= w.t), '0') ELSE '0' END AS watched
		          FROM unnest(pvr)
		            AS w(vendor, domain, app, stream, kind, t, client_id)) d
		 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
		ON CONFLICT ON CONSTRAINT daily_totals_pkey DO UPDATE
		   SET plays = t.plays + EXCLUDED.plays,
		       watched_time = t.watched_time + EXCLUDED.watched_time;
	END IF;

	IF ovr IS NOT NULL THEN
		-- The streams that were there before the batch (the others have
		-- their state from the INSERT above).  One row subquery per
		-- stream, on the row being updated: its newest publish, and
		-- whether that session has ended.
		UPDATE livehook.streams t
		   SET (live, live_since, session_key, client_ip) = (
		       SELECT x.is_live, CASE WHEN x.is_live THEN x.pt END,
		           CASE WHEN x.pt IS NOT NULL THEN x.ps ELSE t.session_key END,
		           CASE WHEN x.pt IS NOT NULL THEN x.pc ELSE t.client_ip END
		         FROM (SELECT p.event_time AS pt, p.session_key AS ps, p.client_ip AS pc,
		                  CASE WHEN p.event_time IS NULL THEN false
		                       WHEN p.session_key IS NOT NULL THEN NOT EXISTS (
		                           SELECT 1 FROM livehook.sessions q
		                            WHERE q.vendor = t.vendor AND q.domain = t.domain
		                              AND q.app = t.app AND q.stream = t.stream
		                              AND q.session_key = p.session_key
		                              AND q.ended_at IS NOT NULL)
		                       ELSE NOT EXISTS (
		                           SELECT 1 FROM livehook.stream_events q
		                            WHERE q.vendor = t.vendor AND q.domain = t.domain
		                              AND q.app = t.app AND q.stream = t.stream
		                              AND q.event = 'unpublish'
		                              AND q.session_key IS NULL
		                              AND q.event_time >= p.event_time
		                              AND q.event_time >= lp_min)
		                  END AS is_live
		                 FROM (VALUES (1)) AS one(x)
		                 -- The newest publish: the stream's index from its
		                 -- last_publish on, in that time's partition alone
		                 -- (without the bound, a backward scan in every
		                 -- partition: the months of history made every batch
		                 -- slower).
		                 LEFT JOIN LATERAL (
		                      SELECT se.event_time, se.session_key, se.client_ip
		                        FROM livehook.stream_events se
		                       WHERE se.vendor = t.vendor AND se.domain = t.domain
		                         AND se.app = t.app AND se.stream = t.stream
		                         AND se.event = 'publish' AND se.event_time >= t.last_publish
		                         AND se.event_time >= lp_min
		                       ORDER BY se.event_time DESC, se.session_key DESC NULLS LAST
		                       LIMIT 1) p ON true
		               -- is_live is read twice: computed once.
		               OFFSET 0) x)
		  FROM unnest(ovr) AS k
		 WHERE t.vendor = k.vendor AND t.domain = k.domain
		   AND t.app = k.app AND t.stream = k.stream
		   AND t.heartbeat_timeout IS NULL;
	END IF;
	IF sh THEN
		PERFORM livehook.selfhosted_live(ev, ed, ea, es, ek, etime, esk);
	END IF;
	IF hvr IS NOT NULL THEN
		SELECT array_agg(b.vendor), array_agg(b.domain), array_agg(b.app),
		    array_agg(b.stream), array_agg(b.key), array_agg(b.t)
		  INTO hv, hd, ha, hs, hk, ht
		  FROM unnest(hvr) AS b;
		PERFORM livehook.selfhosted_heartbeat(hv, hd, ha, hs, hk, ht);
	END IF;
	IF qvr IS NOT NULL THEN
		-- A viewer's heartbeat refreshes its newest play.
		UPDATE livehook.play_events p
		   SET last_heartbeat = greatest(p.last_heartbeat, q.t)
		  FROM (SELECT b.vendor, b.domain, b.app, b.stream, b.client_id, max(b.t) AS t
		          FROM unnest(qvr)
		            AS b(vendor, domain, app, stream, kind, t, client_id)
		         WHERE b.client_id IS NOT NULL
		         GROUP BY 1, 2, 3, 4, 5) q
		 WHERE p.vendor = q.vendor AND p.domain = q.domain AND p.app = q.app
		   AND p.stream = q.stream AND p.client_id = q.client_id
		   AND p.event = 'play'
		   AND p.event_time = (SELECT max(x.event_time) FROM livehook.play_events x
		        WHERE x.vendor = q.vendor AND x.domain = q.domain AND x.app = q.app
		          AND x.stream = q.stream AND x.client_id = q.client_id
		          AND x.event = 'play' AND x.event_time <= q.t);
	END IF;

	-- Heartbeats are never duplicates: they have no key.
	RETURN QUERY
	SELECT (g.n - 1)::integer, CASE WHEN g.n - 1 = ANY (fresh) OR
	    g.kind IN ('heartbeat', 'play_heartbeat') THEN 'ok' ELSE 'duplicate' END
	  FROM unnest(b_kind) WITH ORDINALITY AS g(kind, n);
END
$$;
COMMENT ON FUNCTION livehook.ingest_rows(text[], text[], text[], text[], text[], text[], float8[], text[], text[], text[], float8[], text[], text[], text[], text[], text[], text[], float8[], text[], text[], text[], text[], text[], text[], jsonb[], float8[], float8[], float8[], bigint[], integer[], integer[], jsonb[], integer[]) IS 'Stores a batch of normalized events, one array per column, idempotently; one round trip and a fixed number of statements per batch';

-- The same for a batch as a JSON array of events (as event_row_json()
-- writes them: the spool's files, livehook --drain, and callers of SQL).
-- One plain aggregate over the events in the batch's order (the function
-- scan's own order, which the planner knows: no sort) fills every array
-- in that order.  An ORDER BY in each of the 33 aggregates sorted the
-- batch 33 times: 8% more instructions per event at 30 a batch.
CREATE OR REPLACE FUNCTION livehook.ingest(batch jsonb)
RETURNS TABLE (idx integer, result text) LANGUAGE sql AS $$
	SELECT r.idx, r.result
	  FROM (SELECT array_agg(a.vendor) AS vendor,
		    array_agg(a.kind) AS kind,
		    array_agg(a.auth) AS auth,
		    array_agg(a.event) AS event,
		    array_agg(a.event_key) AS event_key,
		    array_agg(a.remote_addr) AS remote_addr,
		    array_agg(a.received_at) AS received_at,
		    array_agg(a.domain) AS domain,
		    array_agg(a.app) AS app,
		    array_agg(a.stream) AS stream,
		    array_agg(a.event_time) AS event_time,
		    array_agg(a.session_key) AS session_key,
		    array_agg(a.client_ip) AS client_ip,
		    array_agg(a.node) AS node,
		    array_agg(a.params) AS params,
		    array_agg(a.error_code) AS error_code,
		    array_agg(a.error_message) AS error_message,
		    array_agg(a.push_duration) AS push_duration,
		    array_agg(a.file_key) AS file_key,
		    array_agg(a.format) AS format,
		    array_agg(a.url) AS url,
		    array_agg(a.play_url) AS play_url,
		    array_agg(a.storage_path) AS storage_path,
		    array_agg(a.task_id) AS task_id,
		    array_agg(a.segments) AS segments,
		    array_agg(a.start_time) AS start_time,
		    array_agg(a.end_time) AS end_time,
		    array_agg(a.duration) AS duration,
		    array_agg(a.file_size) AS file_size,
		    array_agg(a.width) AS width,
		    array_agg(a.height) AS height,
		    array_agg(a.payload) AS payload,
		    array_agg(a.heartbeat_timeout) AS heartbeat_timeout
	          FROM (SELECT * FROM ROWS FROM (jsonb_to_recordset(batch) AS (vendor text,
		    kind text, auth text, event text, event_key text,
		    remote_addr text, received_at float8, domain text,
		    app text, stream text, event_time float8,
		    session_key text, client_ip text, node text,
		    params text, error_code text, error_message text,
		    push_duration float8, file_key text, format text,
		    url text, play_url text, storage_path text,
		    task_id text, segments jsonb, start_time float8,
		    end_time float8, duration float8, file_size bigint,
		    width integer, height integer, payload jsonb,
		    heartbeat_timeout integer))
	            WITH ORDINALITY AS x ORDER BY x.ordinality) a) c,
	       livehook.ingest_rows(c.vendor, c.kind, c.auth, c.event,
		    c.event_key, c.remote_addr, c.received_at, c.domain, c.app, c.stream, c.event_time,
		    c.session_key, c.client_ip, c.node, c.params,
		    c.error_code, c.error_message, c.push_duration,
		    c.file_key, c.format, c.url, c.play_url, c.storage_path,
		    c.task_id, c.segments, c.start_time, c.end_time,
		    c.duration, c.file_size, c.width, c.height, c.payload,
		    c.heartbeat_timeout) r
$$;
COMMENT ON FUNCTION livehook.ingest(jsonb) IS 'Stores a batch of normalized events (a JSON array) idempotently through ingest_rows()';

-- Views: the vendor-merging layer.  Aliases are merged by a join with
-- domain_aliases (not a subquery per row), and every view over an event
-- table keeps that table's time column as it is, so a window on it
-- reaches the partitions and indexes it needs and no others.

CREATE OR REPLACE VIEW livehook.live_now AS
SELECT s.vendor, coalesce(a.domain, s.domain) AS domain, s.app, s.stream,
       s.live_since, now() - s.live_since AS live_for, s.client_ip, s.session_key,
       s.last_heartbeat
  FROM livehook.streams s
  LEFT JOIN livehook.domain_aliases a ON a.alias = s.domain
 WHERE s.live
   -- a server that died sends no unpublish; its heartbeats stop.
   AND NOT (coalesce(s.heartbeat_timeout, 0) > 0 AND s.last_heartbeat IS NOT NULL
            AND s.last_heartbeat < now() - make_interval(secs => s.heartbeat_timeout));
COMMENT ON VIEW livehook.live_now IS 'Streams publishing now, every vendor; a stream whose last heartbeat is older than its vendor''s heartbeat_timeout is not';
COMMENT ON COLUMN livehook.live_now.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.live_now.domain IS 'Push domain (aliases merged)';
COMMENT ON COLUMN livehook.live_now.app IS 'Application';
COMMENT ON COLUMN livehook.live_now.stream IS 'Stream name';
COMMENT ON COLUMN livehook.live_now.live_since IS 'Start of the current session';
COMMENT ON COLUMN livehook.live_now.live_for IS 'How long it has been live';
COMMENT ON COLUMN livehook.live_now.client_ip IS 'Encoder address';
COMMENT ON COLUMN livehook.live_now.session_key IS 'Session key, where the vendor has one';
COMMENT ON COLUMN livehook.live_now.last_heartbeat IS 'Newest heartbeat of the session (self-hosted servers), NULL before the first';

CREATE OR REPLACE VIEW livehook.stream_sessions AS
SELECT s.vendor, coalesce(a.domain, s.domain) AS domain, s.app, s.stream,
       s.session_key, s.started_at, e.ended_at, e.ended_at - s.started_at AS duration
  FROM livehook.sessions s
  LEFT JOIN livehook.domain_aliases a ON a.alias = s.domain
  -- a session past its heartbeat timeout ended at its last heartbeat.
  LEFT JOIN livehook.streams st ON st.vendor = s.vendor AND st.domain = s.domain
   AND st.app = s.app AND st.stream = s.stream AND s.ended_at IS NULL
   AND s.last_heartbeat IS NOT NULL
  CROSS JOIN LATERAL (SELECT coalesce(s.ended_at,
       CASE WHEN st.heartbeat_timeout > 0
             AND s.last_heartbeat < now() - make_interval(secs => st.heartbeat_timeout)
            THEN s.last_heartbeat END) AS ended_at) e
 WHERE s.started_at IS NOT NULL
   AND NOT s.duplicate;
COMMENT ON VIEW livehook.stream_sessions IS 'One row per publish session: paired by session key where the vendor has one, by time order otherwise; a publish the server refused as a duplicate is not a session';
COMMENT ON COLUMN livehook.stream_sessions.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.stream_sessions.domain IS 'Push domain (aliases merged)';
COMMENT ON COLUMN livehook.stream_sessions.app IS 'Application';
COMMENT ON COLUMN livehook.stream_sessions.stream IS 'Stream name';
COMMENT ON COLUMN livehook.stream_sessions.session_key IS 'Session key, NULL where the vendor has none';
COMMENT ON COLUMN livehook.stream_sessions.started_at IS 'Publish time';
COMMENT ON COLUMN livehook.stream_sessions.ended_at IS 'Unpublish time, NULL while live (or unknown); the last heartbeat for a session past its heartbeat timeout';
COMMENT ON COLUMN livehook.stream_sessions.duration IS 'ended_at - started_at';

CREATE OR REPLACE VIEW livehook.recording_files AS
SELECT r.vendor, coalesce(a.domain, r.domain) AS domain, r.app, r.stream,
       r.event_time, r.file_key, r.format, r.url, r.play_url, r.storage_path,
       r.start_time, r.end_time,
       coalesce(r.duration, r.end_time - r.start_time) AS duration,
       r.file_size, r.width, r.height, r.segments
  FROM livehook.recordings r
  LEFT JOIN livehook.domain_aliases a ON a.alias = r.domain
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
SELECT x.event_time, x.vendor, coalesce(a.domain, x.domain) AS domain, x.app,
       x.stream, x.kind, x.detail
  FROM (SELECT event_time, vendor, domain, app, stream, event AS kind,
               concat_ws(' ', 'client=' || client_ip, 'session=' || session_key,
                   'error=' || coalesce(error_message, error_code)) AS detail
          FROM livehook.stream_events
        UNION ALL
        SELECT event_time, vendor, domain, app, stream, event,
               concat_ws(' ', format, 'file=' || file_key,
                   'duration=' || coalesce(duration, end_time - start_time),
                   'bytes=' || file_size, 'error=' || error_message)
          FROM livehook.recordings
        UNION ALL
        SELECT snapshot_time, vendor, domain, app, stream, 'snapshot',
               concat_ws(' ', url, 'bytes=' || file_size)
          FROM livehook.snapshots
        UNION ALL
        SELECT event_time, vendor, domain, app, stream, event,
               concat_ws(' ', 'client=' || client_id, 'ip=' || client_ip)
          FROM livehook.play_events
        UNION ALL
        SELECT coalesce(event_time, received_at), vendor, domain, app, stream,
               kind, 'vendor event=' || coalesce(vendor_event, '?')
          FROM livehook.callbacks
         WHERE kind = 'other') x
  LEFT JOIN livehook.domain_aliases a ON a.alias = x.domain;
COMMENT ON VIEW livehook.timeline IS 'Every event of every kind and vendor in one relation (order by event_time)';
COMMENT ON COLUMN livehook.timeline.event_time IS 'When it happened';
COMMENT ON COLUMN livehook.timeline.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.timeline.domain IS 'Domain (aliases merged)';
COMMENT ON COLUMN livehook.timeline.app IS 'Application';
COMMENT ON COLUMN livehook.timeline.stream IS 'Stream name';
COMMENT ON COLUMN livehook.timeline.kind IS 'Normalized kind';
COMMENT ON COLUMN livehook.timeline.detail IS 'A one-line summary of the details';

CREATE OR REPLACE VIEW livehook.daily_usage AS
SELECT t.day, t.vendor, coalesce(a.domain, t.domain) AS domain,
       sum(t.sessions)::bigint AS sessions, sum(t.streamed_time) AS streamed_time,
       sum(t.recording_files)::bigint AS recording_files,
       sum(t.recorded_time) AS recorded_time,
       sum(t.recorded_bytes)::bigint AS recorded_bytes,
       sum(t.snapshots)::bigint AS snapshots,
       sum(t.plays)::bigint AS plays, sum(t.watched_time) AS watched_time
  FROM livehook.daily_totals t
  LEFT JOIN livehook.domain_aliases a ON a.alias = t.domain
 GROUP BY t.day, t.vendor, coalesce(a.domain, t.domain)
HAVING sum(t.sessions) <> 0 OR sum(t.recording_files) <> 0 OR sum(t.snapshots) <> 0
    OR sum(t.plays) <> 0 OR sum(t.watched_time) <> '0';
COMMENT ON VIEW livehook.daily_usage IS 'Per UTC day, vendor and domain: sessions, streamed time, recording files, recorded time and bytes, snapshots, plays and watched time (from daily_totals)';
COMMENT ON COLUMN livehook.daily_usage.day IS 'UTC day';
COMMENT ON COLUMN livehook.daily_usage.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.daily_usage.domain IS 'Push domain (aliases merged)';
COMMENT ON COLUMN livehook.daily_usage.sessions IS 'Publish sessions started';
COMMENT ON COLUMN livehook.daily_usage.streamed_time IS 'Total length of the ended sessions';
COMMENT ON COLUMN livehook.daily_usage.recording_files IS 'Recording files finished';
COMMENT ON COLUMN livehook.daily_usage.recorded_time IS 'Total length of those files';
COMMENT ON COLUMN livehook.daily_usage.recorded_bytes IS 'Total size of those files, bytes';
COMMENT ON COLUMN livehook.daily_usage.snapshots IS 'Snapshots taken';
COMMENT ON COLUMN livehook.daily_usage.plays IS 'Plays started (self-hosted servers)';
COMMENT ON COLUMN livehook.daily_usage.watched_time IS 'Total length of the plays that ended that day';

-- viewers of the self-hosted servers
CREATE OR REPLACE VIEW livehook.play_sessions AS
SELECT p.vendor, coalesce(a.domain, p.domain) AS domain, p.app, p.stream,
       p.client_id, p.client_ip, p.event_time AS started_at, e.ended_at,
       e.ended_at - p.event_time AS duration
  FROM livehook.play_events p
  LEFT JOIN livehook.domain_aliases a ON a.alias = p.domain
  -- Its end: the client id's next event, when that is a play_done (a play
  -- first means the id was used again: nginx-rtmp reuses ids after a
  -- restart).  One index probe per play.
  LEFT JOIN LATERAL (
       SELECT CASE WHEN x.event = 'play_done' THEN x.event_time END AS ended_at
         FROM livehook.play_events x
        WHERE x.vendor = p.vendor AND x.domain = p.domain AND x.app = p.app
          AND x.stream = p.stream AND x.client_id = p.client_id
          AND x.event_time >= p.event_time AND x.callback_id <> p.callback_id
        ORDER BY x.event_time, x.event DESC
        LIMIT 1) d ON true
  -- A play without play_done past its heartbeat timeout ended at its last
  -- heartbeat (the stream's timeout is read only for those).
  CROSS JOIN LATERAL (SELECT coalesce(d.ended_at,
       CASE WHEN p.last_heartbeat IS NOT NULL THEN (
            SELECT p.last_heartbeat FROM livehook.streams st
             WHERE st.vendor = p.vendor AND st.domain = p.domain
               AND st.app = p.app AND st.stream = p.stream
               AND st.heartbeat_timeout > 0
               AND p.last_heartbeat < now() - make_interval(secs => st.heartbeat_timeout)) END)
       AS ended_at) e
 WHERE p.event = 'play';
COMMENT ON VIEW livehook.play_sessions IS 'One row per play (self-hosted servers): paired with its play_done by the server''s client id';
COMMENT ON COLUMN livehook.play_sessions.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.play_sessions.domain IS 'Domain (aliases merged)';
COMMENT ON COLUMN livehook.play_sessions.app IS 'Application';
COMMENT ON COLUMN livehook.play_sessions.stream IS 'Stream name';
COMMENT ON COLUMN livehook.play_sessions.client_id IS 'The server''s id of the viewer''s connection';
COMMENT ON COLUMN livehook.play_sessions.client_ip IS 'Viewer address';
COMMENT ON COLUMN livehook.play_sessions.started_at IS 'When the play started';
COMMENT ON COLUMN livehook.play_sessions.ended_at IS 'When it stopped, NULL while open; its last heartbeat once that is older than the heartbeat timeout';
COMMENT ON COLUMN livehook.play_sessions.duration IS 'ended_at - started_at, NULL while open';

CREATE OR REPLACE VIEW livehook.viewers_now AS
SELECT l.vendor, l.domain, l.app, l.stream, v.viewers
  FROM livehook.streams s
  LEFT JOIN livehook.domain_aliases a ON a.alias = s.domain
  JOIN livehook.live_now l ON l.vendor = s.vendor
   AND l.domain = coalesce(a.domain, s.domain) AND l.app = s.app AND l.stream = s.stream
  -- The open plays of this live session (an open play of an earlier one
  -- is stale), found through the stream's own plays since it went live:
  -- the same end as play_sessions, without reading every play ever.
  CROSS JOIN LATERAL (
       SELECT count(*) AS viewers
         FROM livehook.play_events p
         LEFT JOIN LATERAL (
              SELECT x.event FROM livehook.play_events x
               WHERE x.vendor = p.vendor AND x.domain = p.domain AND x.app = p.app
                 AND x.stream = p.stream AND x.client_id = p.client_id
                 AND x.event_time >= p.event_time AND x.callback_id <> p.callback_id
               ORDER BY x.event_time, x.event DESC
               LIMIT 1) d ON true
        WHERE p.vendor = s.vendor AND p.domain = s.domain AND p.app = s.app
          AND p.stream = s.stream AND p.event = 'play'
          AND p.event_time >= s.live_since
          AND d.event IS DISTINCT FROM 'play_done'
          AND NOT (p.last_heartbeat IS NOT NULL AND coalesce(s.heartbeat_timeout, 0) > 0
                   AND p.last_heartbeat < now() - make_interval(secs => s.heartbeat_timeout))) v
 WHERE v.viewers > 0;
COMMENT ON VIEW livehook.viewers_now IS 'Per live stream: open play sessions that started in its current session';
COMMENT ON COLUMN livehook.viewers_now.vendor IS 'Vendor';
COMMENT ON COLUMN livehook.viewers_now.domain IS 'Domain (aliases merged)';
COMMENT ON COLUMN livehook.viewers_now.app IS 'Application';
COMMENT ON COLUMN livehook.viewers_now.stream IS 'Stream name';
COMMENT ON COLUMN livehook.viewers_now.viewers IS 'Open plays';

-- rejections, counted per minute, never one row per request (SPEC 5, 11)
-- Workers count refusals in memory and add them here through
-- count_rejections() from their writer thread, at most once a second, so
-- that a flood of bad requests costs a bounded number of rows: one per
-- minute, vendor, status and reason.
CREATE TABLE IF NOT EXISTS livehook.rejections (
	bucket			timestamptz NOT NULL,
	vendor			text NOT NULL,
	status			smallint NOT NULL,
	reason			text NOT NULL,
	count			bigint NOT NULL,
	last_remote_addr	inet,
	last_seen		timestamptz NOT NULL,
	CONSTRAINT rejections_pkey PRIMARY KEY (bucket, vendor, status, reason)
);
COMMENT ON TABLE livehook.rejections IS 'Requests answered with an error, counted per minute, vendor, status and reason';
COMMENT ON COLUMN livehook.rejections.bucket IS 'The minute (UTC) the requests arrived in';
COMMENT ON COLUMN livehook.rejections.vendor IS 'Vendor named by the path, or unknown';
COMMENT ON COLUMN livehook.rejections.status IS 'HTTP status answered';
COMMENT ON COLUMN livehook.rejections.reason IS 'The reason answered (the JSON message)';
COMMENT ON COLUMN livehook.rejections.count IS 'Requests answered so in that minute';
COMMENT ON COLUMN livehook.rejections.last_remote_addr IS 'Address of the latest of them';
COMMENT ON COLUMN livehook.rejections.last_seen IS 'When the latest of them arrived';

-- batch: a JSON array of {"bucket":ms,"vendor":..,"status":..,"reason":..,
-- "count":..,"addr":..|null,"last_seen":ms}, one element per key at most.
-- Also forgets buckets older than 31 days (the primary key finds them).
CREATE OR REPLACE FUNCTION livehook.count_rejections(batch jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
BEGIN
	INSERT INTO livehook.rejections AS r
	    (bucket, vendor, status, reason, count, last_remote_addr, last_seen)
	SELECT date_trunc('minute', to_timestamp(x.bucket / 1000.0)), x.vendor,
	       x.status, x.reason, x.count, x.addr::inet, to_timestamp(x.last_seen / 1000.0)
	  FROM jsonb_to_recordset(batch) AS x(bucket bigint, vendor text,
	       status smallint, reason text, count bigint, addr text, last_seen bigint)
	ON CONFLICT ON CONSTRAINT rejections_pkey DO UPDATE
	   SET count = r.count + excluded.count,
	       last_remote_addr = CASE WHEN excluded.last_seen >= r.last_seen
	           THEN excluded.last_remote_addr ELSE r.last_remote_addr END,
	       last_seen = greatest(r.last_seen, excluded.last_seen);
	GET DIAGNOSTICS n = ROW_COUNT;
	DELETE FROM livehook.rejections WHERE bucket < now() - interval '31 days';
	RETURN n;
END
$$;
COMMENT ON FUNCTION livehook.count_rejections(jsonb) IS 'Add rejection counts (livehook workers call it); forgets buckets older than 31 days';

CREATE OR REPLACE VIEW livehook.rejections_recent AS
SELECT vendor, status, reason, sum(count)::bigint AS count,
       min(bucket) AS first_seen, max(last_seen) AS last_seen,
       (array_agg(last_remote_addr ORDER BY last_seen DESC))[1] AS last_remote_addr,
       (sum(count) FILTER (WHERE bucket >= now() - interval '1 hour'))::bigint AS last_hour
  FROM livehook.rejections
 WHERE bucket >= now() - interval '24 hours'
 GROUP BY vendor, status, reason;
COMMENT ON VIEW livehook.rejections_recent IS 'Rejections of the last 24 hours per vendor, status and reason';
COMMENT ON COLUMN livehook.rejections_recent.vendor IS 'Vendor named by the path, or unknown';
COMMENT ON COLUMN livehook.rejections_recent.status IS 'HTTP status answered';
COMMENT ON COLUMN livehook.rejections_recent.reason IS 'The reason answered';
COMMENT ON COLUMN livehook.rejections_recent.count IS 'Requests answered so in the last 24 hours';
COMMENT ON COLUMN livehook.rejections_recent.first_seen IS 'Start of the earliest minute counted';
COMMENT ON COLUMN livehook.rejections_recent.last_seen IS 'When the latest arrived';
COMMENT ON COLUMN livehook.rejections_recent.last_remote_addr IS 'Address of the latest';
COMMENT ON COLUMN livehook.rejections_recent.last_hour IS 'Of count, those of the last hour (NULL: none)';

INSERT INTO livehook.schema_version (version) VALUES (11)
ON CONFLICT ON CONSTRAINT schema_version_pkey DO NOTHING;

COMMIT;
