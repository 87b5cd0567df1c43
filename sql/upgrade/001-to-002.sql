-- 001-to-002.sql -- livehook schema version 1 to 2.
--
-- Apply with:  psql -v ON_ERROR_STOP=1 -f sql/upgrade/001-to-002.sql
-- Tables and views are unchanged.  livehook.ingest() stores a batch with a
-- fixed number of statements instead of several per event (same results,
-- same rows), and livehook.apply_stream(), its per-event helper, is gone.
-- The function's arguments and results are unchanged: workers built for
-- version 1 keep serving during and after the upgrade (their livehook -t
-- refuses version 2); the new livehook -t refuses version 1.

BEGIN;

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
-- 1. Every element gets a callback id; event_keys takes the new keys and
--    RETURNING names the elements that are not duplicates (the first of
--    equal keys within the batch wins).  The same statement inserts those
--    into callbacks and their kind's table.
-- 2. Streams of the new publish/unpublish events: times by upsert, then
--    the live state recomputed from stream_events by event time, not
--    arrival order -- the stream is live while its newest publish has no
--    unpublish of the same session where the vendor has session keys,
--    else at or after it.  A late or repeated unpublish of an older
--    session never closes a newer one.
CREATE OR REPLACE FUNCTION livehook.ingest(batch jsonb)
RETURNS TABLE (idx integer, result text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	fresh	integer[];
BEGIN
	WITH e AS MATERIALIZED (
		SELECT (a.o - 1)::integer AS i, a.v AS v, a.v->>'kind' AS k,
		    nextval(pg_get_serial_sequence('livehook.callbacks', 'id')) AS cid,
		    coalesce(livehook.ms_time(a.v->'event_time'),
		        livehook.ms_time(a.v->'received_at')) AS et
		  FROM jsonb_array_elements(batch) WITH ORDINALITY AS a(v, o)
	), keys AS (
		INSERT INTO livehook.event_keys (vendor, event_key, callback_id)
		SELECT e.v->>'vendor', e.v->>'event_key', e.cid FROM e
		 ORDER BY 1, 2, 3
		ON CONFLICT ON CONSTRAINT event_keys_pkey DO NOTHING
		RETURNING callback_id
	), n AS MATERIALIZED (
		SELECT e.* FROM e JOIN keys ON keys.callback_id = e.cid
	), c AS (
		INSERT INTO livehook.callbacks (id, received_at, vendor, kind,
		    vendor_event, remote_addr, auth, payload, event_key, domain,
		    app, stream, event_time)
		SELECT n.cid, coalesce(livehook.ms_time(n.v->'received_at'), now()),
		    n.v->>'vendor', n.k, n.v->>'event',
		    CASE WHEN n.v->>'remote_addr' ~ '^[0-9a-fA-F:.]+$'
		        THEN (n.v->>'remote_addr')::inet END,
		    n.v->>'auth', coalesce(n.v->'payload', '{}'), n.v->>'event_key',
		    n.v->>'domain', n.v->>'app', n.v->>'stream', n.et
		  FROM n
	), s AS (
		INSERT INTO livehook.stream_events (callback_id, vendor,
		    domain, app, stream, event, vendor_event, event_time,
		    session_key, client_ip, node, params, width, height,
		    error_code, error_message, push_duration)
		SELECT n.cid, n.v->>'vendor', n.v->>'domain', n.v->>'app',
		    n.v->>'stream', n.k, n.v->>'event', n.et, n.v->>'session_key',
		    n.v->>'client_ip', n.v->>'node', n.v->>'params',
		    (n.v->>'width')::integer, (n.v->>'height')::integer,
		    n.v->>'error_code', n.v->>'error_message',
		    livehook.ms_interval(n.v->'push_duration')
		  FROM n WHERE n.k IN ('publish', 'unpublish')
	), r AS (
		INSERT INTO livehook.recordings (callback_id, vendor, domain,
		    app, stream, event, vendor_event, event_time, file_key,
		    format, url, play_url, storage_path, start_time,
		    end_time, duration, file_size, width, height, segments,
		    task_id, error_message)
		SELECT n.cid, n.v->>'vendor', n.v->>'domain', n.v->>'app',
		    n.v->>'stream', n.k, n.v->>'event', n.et, n.v->>'file_key',
		    lower(n.v->>'format'), n.v->>'url', n.v->>'play_url',
		    n.v->>'storage_path', livehook.ms_time(n.v->'start_time'),
		    livehook.ms_time(n.v->'end_time'),
		    livehook.ms_interval(n.v->'duration'),
		    (n.v->>'file_size')::bigint, (n.v->>'width')::integer,
		    (n.v->>'height')::integer, n.v->'segments', n.v->>'task_id',
		    n.v->>'error_message'
		  FROM n WHERE n.k LIKE 'record\_%'
	), p AS (
		INSERT INTO livehook.snapshots (callback_id, vendor, domain,
		    app, stream, snapshot_time, url, file_size, width, height)
		SELECT n.cid, n.v->>'vendor', n.v->>'domain', n.v->>'app',
		    n.v->>'stream', n.et, n.v->>'url', (n.v->>'file_size')::bigint,
		    (n.v->>'width')::integer, (n.v->>'height')::integer
		  FROM n WHERE n.k = 'snapshot'
	)
	SELECT coalesce(array_agg(n.i), '{}') INTO fresh FROM n;

	IF EXISTS (SELECT 1 FROM jsonb_array_elements(batch) WITH ORDINALITY AS a(v, o)
	    WHERE (a.o - 1)::integer = ANY (fresh)
	      AND a.v->>'kind' IN ('publish', 'unpublish')) THEN
		INSERT INTO livehook.streams AS t (vendor, domain, app, stream,
		    first_seen, last_event_time, last_publish, last_unpublish)
		SELECT g.vendor, g.domain, g.app, g.stream, min(g.et), max(g.et),
		    max(g.et) FILTER (WHERE g.k = 'publish'),
		    max(g.et) FILTER (WHERE g.k = 'unpublish')
		  FROM (SELECT a.v->>'vendor' AS vendor, a.v->>'domain' AS domain,
		           a.v->>'app' AS app, a.v->>'stream' AS stream,
		           a.v->>'kind' AS k,
		           coalesce(livehook.ms_time(a.v->'event_time'),
		               livehook.ms_time(a.v->'received_at')) AS et
		          FROM jsonb_array_elements(batch) WITH ORDINALITY AS a(v, o)
		         WHERE (a.o - 1)::integer = ANY (fresh)
		           AND a.v->>'kind' IN ('publish', 'unpublish')) g
		 GROUP BY 1, 2, 3, 4
		 ORDER BY 1, 2, 3, 4
		ON CONFLICT ON CONSTRAINT streams_pkey DO UPDATE
		   SET first_seen = least(t.first_seen, EXCLUDED.first_seen),
		       last_event_time = greatest(t.last_event_time, EXCLUDED.last_event_time),
		       last_publish = greatest(t.last_publish, EXCLUDED.last_publish),
		       last_unpublish = greatest(t.last_unpublish, EXCLUDED.last_unpublish);

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
		          FROM (SELECT DISTINCT a.v->>'vendor' AS vendor,
		                   a.v->>'domain' AS domain, a.v->>'app' AS app,
		                   a.v->>'stream' AS stream
		                  FROM jsonb_array_elements(batch) WITH ORDINALITY AS a(v, o)
		                 WHERE (a.o - 1)::integer = ANY (fresh)
		                   AND a.v->>'kind' IN ('publish', 'unpublish')) k
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

INSERT INTO livehook.schema_version (version) VALUES (2)
ON CONFLICT ON CONSTRAINT schema_version_pkey DO NOTHING;

COMMIT;
