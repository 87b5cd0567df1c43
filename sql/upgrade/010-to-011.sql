-- 010-to-011.sql -- livehook schema version 10 to 11.
--
-- Apply with:  psql -v ON_ERROR_STOP=1 -f sql/upgrade/010-to-011.sql
-- One transaction, idempotent; every row is kept.  No table, column or
-- view changes; reads nothing.
--
--  * ingest_rows(): the first statement's CTEs carry only the columns
--    it compares, groups and sorts (kind, the stream, the event time);
--    the others are read from the argument arrays by subscript where
--    they are stored.  An unnest() of all 33 arrays made a tuplestore
--    per array and copied every wide row through two CTEs.  9-10% fewer
--    instructions per event in batches of 1 to 30 (bench/ingest-micro
--    -I -m run, and its default of recurring streams).

BEGIN;

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

INSERT INTO livehook.schema_version (version) VALUES (11)
ON CONFLICT ON CONSTRAINT schema_version_pkey DO NOTHING;

COMMIT;
