-- failures.sql -- the last day's failures: failed recordings, publishes that ended with an
-- error, messages stored as "other" (unmapped kinds such as moderation or anomalies), and,
-- next to them, the requests livehook refused (kind "rejected <status>", one line per vendor,
-- status and reason with its count: livehook.rejections_recent; contrib/dashboards/rejections.sql
-- has the detail).  The rows and details are timeline's; the query reads the event tables
-- itself, through their partial indexes of failures, so that it costs the failures it shows
-- and not the day's traffic.
-- Run once:        psql -f contrib/dashboards/failures.sql
-- Refresh every 30 s:  (cat contrib/dashboards/failures.sql; echo '\watch 30') | psql
(SELECT to_char(x.event_time AT TIME ZONE 'UTC', 'MM-DD HH24:MI:SS') AS utc,
        x.vendor, coalesce(a.domain, x.domain) AS domain, x.app, x.stream,
        x.kind, x.detail, x.event_time AS at
   FROM (SELECT event_time, vendor, domain, app, stream, event AS kind,
                concat_ws(' ', 'client=' || client_ip, 'session=' || session_key,
                    'error=' || coalesce(error_message, error_code)) AS detail
           FROM livehook.stream_events
          WHERE event_time > now() - interval '1 day'
            AND (error_code IS NOT NULL OR error_message IS NOT NULL)
         UNION ALL
         SELECT event_time, vendor, domain, app, stream, event,
                concat_ws(' ', format, 'file=' || file_key,
                    'duration=' || coalesce(duration, end_time - start_time),
                    'bytes=' || file_size, 'error=' || error_message)
           FROM livehook.recordings
          WHERE event_time > now() - interval '1 day'
            AND (event = 'record_failed' OR error_message IS NOT NULL)
         UNION ALL
         SELECT coalesce(event_time, received_at), vendor, domain, app, stream,
                kind, 'vendor event=' || coalesce(vendor_event, '?')
           FROM livehook.callbacks
          WHERE coalesce(event_time, received_at) > now() - interval '1 day'
            AND kind = 'other') x
   LEFT JOIN livehook.domain_aliases a ON a.alias = x.domain
  ORDER BY x.event_time DESC
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
