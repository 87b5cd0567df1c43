-- 008-to-009.sql -- livehook schema version 8 to 9.
--
-- Apply with:  psql -v ON_ERROR_STOP=1 -f sql/upgrade/008-to-009.sql
-- One transaction, idempotent; every row is kept.  No table, column or
-- view changes.
--
--  * The tables ingest() writes (callbacks, stream_events, recordings,
--    snapshots, play_events and their partitions, event_keys, streams,
--    sessions) keep statistics from a sample of 3,000 rows (statistics
--    target 10 on every column but callbacks.payload, which keeps 0, and
--    on callbacks_other_idx's expression) instead of 30,000:
--    autovacuum analyzes a table after every 10% of growth, a month
--    partition grows by that much in minutes, and each ANALYZE of a
--    callbacks partition of 86,000 rows took 230 ms of CPU (25 ms now)
--    while the writer's batches waited.  New function
--    statistics_small(regclass); partitions_ensure() calls it on the
--    partitions it makes.  Takes a SHARE UPDATE EXCLUSIVE lock on each
--    table for a moment (inserts go on); reads no rows.

BEGIN;

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

INSERT INTO livehook.schema_version (version) VALUES (9)
ON CONFLICT ON CONSTRAINT schema_version_pkey DO NOTHING;

COMMIT;
