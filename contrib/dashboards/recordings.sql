-- recordings.sql -- recording volume per day and vendor over the last 30 days.
-- Run once:        psql -f contrib/dashboards/recordings.sql
-- Refresh every 60 s:  (cat contrib/dashboards/recordings.sql; echo '\watch 60') | psql
SELECT day, vendor,
       sum(recording_files) AS files,
       date_trunc('second', sum(recorded_time)) AS recorded,
       pg_size_pretty(sum(recorded_bytes)::bigint) AS bytes
  FROM livehook.daily_usage
 WHERE day > (now() AT TIME ZONE 'UTC')::date - 30
 GROUP BY day, vendor
 ORDER BY day DESC, vendor
