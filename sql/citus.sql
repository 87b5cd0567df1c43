-- citus.sql -- the plan for spreading livehook's schema over a Citus cluster (SPEC section 10).
--
-- On paper: Citus is not packaged for Debian 12, and livehook is tested on
-- one PostgreSQL.  This file is what a move to Citus starts from, written
-- so that it can run: on the coordinator of a Citus cluster, after
-- sql/schema.sql, with
--
--     psql -v ON_ERROR_STOP=1 -f sql/citus.sql
--
-- tests/check-distribution.sh reads the create_*_table lines below and
-- checks, against the catalogs of a fresh schema (pg_constraint, pg_index,
-- pg_partitioned_table), that every table of the schema has a line here
-- and that every unique key of a distributed table includes its
-- distribution column (which Citus requires) and its partition key (which
-- PostgreSQL requires), and that the distribution column is NOT NULL.
--
-- The plan:
--
--  * By stream identity, co-located ("stream" as distribution column):
--    streams, sessions, stream_events, recordings, snapshots and
--    play_events.  Everything a stream's state is computed from lives on
--    one node: ingest()'s live-state and session statements, live_now,
--    stream_sessions and play_sessions join only within a stream.
--  * callbacks by "id": it is the only table whose rows may have no stream
--    (unmapped "other" messages), its only unique key is (id, received_at),
--    and the event tables reach it by callback_id.
--  * Deduplication lives in event_keys, distributed by "event_key": its
--    key (event_key, vendor) contains it, so the conflict check of a
--    redelivery is a single-shard insert whichever host sent it.
--  * daily_totals by "domain" (its key (day, vendor, domain, slot)); a day
--    of usage per domain is one shard.
--  * Reference tables (copied to every node, small, read by joins
--    everywhere): domain_aliases, settings, schema_version, rejections
--    (counts per minute, vendor, status and reason: a few thousand rows a
--    day at most).
--
-- What changes on Citus: ingest() keeps its single round trip but its
-- statements become multi-shard (run by the coordinator); a platform big
-- enough for Citus runs several coordinators' worth of livehook hosts, each
-- batch touching the shards of its own streams.  Partitioning by month
-- stays as it is (Citus distributes partitioned tables and their
-- partitions); livehook.maintain() creates and drops partitions through the
-- coordinator.

BEGIN;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'sql/citus.sql needs the Citus extension: run it on a Citus coordinator (CREATE EXTENSION citus) after sql/schema.sql';
	END IF;
END
$$;

SELECT create_reference_table('livehook.schema_version');
SELECT create_reference_table('livehook.settings');
SELECT create_reference_table('livehook.domain_aliases');
SELECT create_reference_table('livehook.rejections');

SELECT create_distributed_table('livehook.streams', 'stream');
SELECT create_distributed_table('livehook.sessions', 'stream', colocate_with => 'livehook.streams');
SELECT create_distributed_table('livehook.stream_events', 'stream', colocate_with => 'livehook.streams');
SELECT create_distributed_table('livehook.recordings', 'stream', colocate_with => 'livehook.streams');
SELECT create_distributed_table('livehook.snapshots', 'stream', colocate_with => 'livehook.streams');
SELECT create_distributed_table('livehook.play_events', 'stream', colocate_with => 'livehook.streams');

SELECT create_distributed_table('livehook.callbacks', 'id');
SELECT create_distributed_table('livehook.event_keys', 'event_key');
SELECT create_distributed_table('livehook.daily_totals', 'domain');

COMMIT;
