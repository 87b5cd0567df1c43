-- 003-to-004.sql -- livehook schema version 3 to 4.
--
-- Apply with:  psql -v ON_ERROR_STOP=1 -f sql/upgrade/003-to-004.sql
-- One transaction, idempotent; it only adds.  Apply sql/reporting.sql
-- again afterwards, so that the reporting role can read the new relations.
--
--  * issue 14: rejections (counted per minute), count_rejections(),
--    rejections_recent.

BEGIN;

-- issue 14: rejections, counted per minute, never one row per request (SPEC 5, 11)
-- Workers count refusals in memory and add them here through
-- count_rejections() from their writer thread, at most once a second, so
-- that a flood of bad requests costs a bounded number of rows: one per
-- minute, vendor, status and reason.
CREATE TABLE IF NOT EXISTS livehook.rejections (
	bucket			timestamptz NOT NULL,
	vendor			text NOT NULL,
	status			smallint NOT NULL,
	reason			text NOT NULL,
	count			bigint NOT NULL,
	last_remote_addr	inet,
	last_seen		timestamptz NOT NULL,
	CONSTRAINT rejections_pkey PRIMARY KEY (bucket, vendor, status, reason)
);
COMMENT ON TABLE livehook.rejections IS 'Requests answered with an error, counted per minute, vendor, status and reason';
COMMENT ON COLUMN livehook.rejections.bucket IS 'The minute (UTC) the requests arrived in';
COMMENT ON COLUMN livehook.rejections.vendor IS 'Vendor named by the path, or unknown';
COMMENT ON COLUMN livehook.rejections.status IS 'HTTP status answered';
COMMENT ON COLUMN livehook.rejections.reason IS 'The reason answered (the JSON message)';
COMMENT ON COLUMN livehook.rejections.count IS 'Requests answered so in that minute';
COMMENT ON COLUMN livehook.rejections.last_remote_addr IS 'Address of the latest of them';
COMMENT ON COLUMN livehook.rejections.last_seen IS 'When the latest of them arrived';

-- batch: a JSON array of {"bucket":ms,"vendor":..,"status":..,"reason":..,
-- "count":..,"addr":..|null,"last_seen":ms}, one element per key at most.
-- Also forgets buckets older than 31 days (the primary key finds them).
CREATE OR REPLACE FUNCTION livehook.count_rejections(batch jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
BEGIN
	INSERT INTO livehook.rejections AS r
	    (bucket, vendor, status, reason, count, last_remote_addr, last_seen)
	SELECT date_trunc('minute', to_timestamp(x.bucket / 1000.0)), x.vendor,
	       x.status, x.reason, x.count, x.addr::inet, to_timestamp(x.last_seen / 1000.0)
	  FROM jsonb_to_recordset(batch) AS x(bucket bigint, vendor text,
	       status smallint, reason text, count bigint, addr text, last_seen bigint)
	ON CONFLICT ON CONSTRAINT rejections_pkey DO UPDATE
	   SET count = r.count + excluded.count,
	       last_remote_addr = CASE WHEN excluded.last_seen >= r.last_seen
	           THEN excluded.last_remote_addr ELSE r.last_remote_addr END,
	       last_seen = greatest(r.last_seen, excluded.last_seen);
	GET DIAGNOSTICS n = ROW_COUNT;
	DELETE FROM livehook.rejections WHERE bucket < now() - interval '31 days';
	RETURN n;
END
$$;
COMMENT ON FUNCTION livehook.count_rejections(jsonb) IS 'Add rejection counts (livehook workers call it); forgets buckets older than 31 days';

CREATE OR REPLACE VIEW livehook.rejections_recent AS
SELECT vendor, status, reason, sum(count)::bigint AS count,
       min(bucket) AS first_seen, max(last_seen) AS last_seen,
       (array_agg(last_remote_addr ORDER BY last_seen DESC))[1] AS last_remote_addr,
       (sum(count) FILTER (WHERE bucket >= now() - interval '1 hour'))::bigint AS last_hour
  FROM livehook.rejections
 WHERE bucket >= now() - interval '24 hours'
 GROUP BY vendor, status, reason;
COMMENT ON VIEW livehook.rejections_recent IS 'Rejections of the last 24 hours per vendor, status and reason';
COMMENT ON COLUMN livehook.rejections_recent.vendor IS 'Vendor named by the path, or unknown';
COMMENT ON COLUMN livehook.rejections_recent.status IS 'HTTP status answered';
COMMENT ON COLUMN livehook.rejections_recent.reason IS 'The reason answered';
COMMENT ON COLUMN livehook.rejections_recent.count IS 'Requests answered so in the last 24 hours';
COMMENT ON COLUMN livehook.rejections_recent.first_seen IS 'Start of the earliest minute counted';
COMMENT ON COLUMN livehook.rejections_recent.last_seen IS 'When the latest arrived';
COMMENT ON COLUMN livehook.rejections_recent.last_remote_addr IS 'Address of the latest';
COMMENT ON COLUMN livehook.rejections_recent.last_hour IS 'Of count, those of the last hour (NULL: none)';
-- end of issue 14

INSERT INTO livehook.schema_version (version) VALUES (4)
ON CONFLICT ON CONSTRAINT schema_version_pkey DO NOTHING;

COMMIT;
