-- rejections.sql -- requests livehook refused in the last day, per vendor, status and reason:
-- how many in the last hour and day, since when, the latest time and address
-- (livehook.rejections_recent; counted per minute, never one row per request).
-- A vendor whose callbacks all turn into 403 after a key rotation shows here within seconds.
-- Run once:        psql -f contrib/dashboards/rejections.sql
-- Refresh every 10 s:  (cat contrib/dashboards/rejections.sql; echo '\watch 10') | psql
SELECT vendor, status, reason,
       coalesce(last_hour, 0) AS last_hour, count AS last_day,
       to_char(first_seen AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS since_utc,
       to_char(last_seen AT TIME ZONE 'UTC', 'MM-DD HH24:MI:SS') AS latest_utc,
       last_remote_addr AS latest_from
  FROM livehook.rejections_recent
 ORDER BY coalesce(last_hour, 0) DESC, count DESC, vendor, status
 LIMIT 50
