-- reporting.sql -- a read-only role for reports and dashboards.
-- Roles are cluster-wide, so this is apart from schema.sql; apply after it
-- (psql -v ON_ERROR_STOP=1 -f sql/reporting.sql), again after upgrades.
BEGIN;
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'livehook_reporting') THEN
		CREATE ROLE livehook_reporting NOLOGIN;
	END IF;
END
$$;
COMMENT ON ROLE livehook_reporting IS 'Read-only access to the livehook schema (grant it to report users)';
GRANT USAGE ON SCHEMA livehook TO livehook_reporting;
GRANT SELECT ON ALL TABLES IN SCHEMA livehook TO livehook_reporting;
GRANT EXECUTE ON FUNCTION livehook.canonical_domain(text) TO livehook_reporting;
COMMIT;
