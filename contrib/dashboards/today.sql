-- today.sql -- today (UTC) per vendor and domain: sessions, streamed and recorded time, bytes, snapshots.
-- Run once:        psql -f contrib/dashboards/today.sql
-- Refresh every 10 s:  (cat contrib/dashboards/today.sql; echo '\watch 10') | psql
SELECT vendor, domain, sessions,
       date_trunc('second', streamed_time) AS streamed,
       recording_files AS files,
       date_trunc('second', recorded_time) AS recorded,
       pg_size_pretty(recorded_bytes) AS bytes,
       snapshots
  FROM livehook.daily_usage
 WHERE day = (now() AT TIME ZONE 'UTC')::date
 ORDER BY vendor, domain
