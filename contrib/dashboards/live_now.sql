-- live_now.sql -- streams publishing now, every vendor.
-- Run once:        psql -f contrib/dashboards/live_now.sql
-- Refresh every 5 s:  (cat contrib/dashboards/live_now.sql; echo '\watch 5') | psql
SELECT vendor, domain, app, stream,
       date_trunc('second', live_for) AS live_for,
       to_char(live_since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS since_utc,
       client_ip
  FROM livehook.live_now
 ORDER BY live_since
