-- failures.sql -- the last day's failures: failed recordings, publishes that ended with an
-- error, and messages stored as "other" (unmapped kinds such as moderation or anomalies).
-- Rejected deliveries (400/403/...) are not stored: they are the log lines on stderr.
-- Run once:        psql -f contrib/dashboards/failures.sql
-- Refresh every 30 s:  (cat contrib/dashboards/failures.sql; echo '\watch 30') | psql
SELECT to_char(event_time AT TIME ZONE 'UTC', 'MM-DD HH24:MI:SS') AS utc,
       vendor, domain, app, stream, kind, detail
  FROM livehook.timeline
 WHERE event_time > now() - interval '1 day'
   AND (kind IN ('record_failed', 'other') OR detail LIKE '%error=%')
 ORDER BY event_time DESC
 LIMIT 50
