-- failures.sql -- the last day's failures: failed recordings, publishes that ended with an
-- error, messages stored as "other" (unmapped kinds such as moderation or anomalies), and,
-- next to them, the requests livehook refused (kind "rejected <status>", one line per vendor,
-- status and reason with its count: livehook.rejections_recent; contrib/dashboards/rejections.sql
-- has the detail).
-- Run once:        psql -f contrib/dashboards/failures.sql
-- Refresh every 30 s:  (cat contrib/dashboards/failures.sql; echo '\watch 30') | psql
(SELECT to_char(event_time AT TIME ZONE 'UTC', 'MM-DD HH24:MI:SS') AS utc,
        vendor, domain, app, stream, kind, detail, event_time AS at
   FROM livehook.timeline
  WHERE event_time > now() - interval '1 day'
    AND (kind IN ('record_failed', 'other') OR detail LIKE '%error=%')
  ORDER BY event_time DESC
  LIMIT 50)
UNION ALL
(SELECT to_char(last_seen AT TIME ZONE 'UTC', 'MM-DD HH24:MI:SS'),
        vendor, NULL, NULL, NULL, 'rejected ' || status,
        reason || ': ' || count || ' since ' ||
            to_char(first_seen AT TIME ZONE 'UTC', 'MM-DD HH24:MI') ||
            coalesce(', latest from ' || host(last_remote_addr), ''),
        last_seen
   FROM livehook.rejections_recent
  ORDER BY last_seen DESC
  LIMIT 20)
 ORDER BY at DESC
