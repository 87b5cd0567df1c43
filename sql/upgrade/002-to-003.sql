-- 002-to-003.sql -- livehook schema version 2 to 3.
--
-- Apply with:  psql -v ON_ERROR_STOP=1 -f sql/upgrade/002-to-003.sql
-- One transaction.  Tables keep every row and views their results.
--  * livehook.ingest() reads the batch once into typed columns
--    (jsonb_to_recordset) and upserts streams in the same statement; its
--    arguments and results are unchanged.
--  * callbacks_event_key_idx is dropped: event_keys holds the same key.

BEGIN;

DROP INDEX IF EXISTS livehook.callbacks_event_key_idx;

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

INSERT INTO livehook.schema_version (version) VALUES (3)
ON CONFLICT ON CONSTRAINT schema_version_pkey DO NOTHING;

COMMIT;
