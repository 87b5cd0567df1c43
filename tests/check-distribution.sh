#!/bin/bash
# check-distribution.sh -- the Citus plan (sql/citus.sql) fits the schema: every table planned,
# every unique key of a distributed table holds its distribution and partition columns.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_srcdir
. "$top_srcdir/tests/lib/pg.sh"
trap pg_stop EXIT
plan=$top_srcdir/sql/citus.sql
rc=0

PG_FAST=1 pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }

# The plan as rows: table, distribution column ('' for a reference table).
rows=$(sed -n \
    -e "s/^SELECT create_distributed_table('livehook\.\([a-z_]*\)', '\([a-z_]*\)'.*/(\'\1\', \'\2\')/p" \
    -e "s/^SELECT create_reference_table('livehook\.\([a-z_]*\)').*/(\'\1\', \'\')/p" "$plan" | paste -sd,)
[ -n "$rows" ] || { echo "FAIL - no create_*_table line in $plan"; exit 1; }
psql -q -X -v ON_ERROR_STOP=1 -c "CREATE TABLE public.plan (tbl text PRIMARY KEY, col text NOT NULL)" \
    -c "INSERT INTO public.plan VALUES $rows" >/dev/null || { echo "FAIL - $plan names a table twice"; exit 1; }

# One line per violation.
violations() {
	psql -X -A -t -q <<'EOSQL'
WITH tables AS (
	SELECT c.oid, c.relname FROM pg_class c
	  JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE n.nspname = 'livehook' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
), uniq AS (	-- unique keys: constraints (pg_constraint) and bare unique indexes (pg_index)
	SELECT t.relname, k.conname AS name, k.conkey AS cols
	  FROM pg_constraint k JOIN tables t ON t.oid = k.conrelid
	 WHERE k.contype IN ('p', 'u', 'x')
	UNION ALL
	SELECT t.relname, i.indexrelid::regclass::text, i.indkey::int2[]
	  FROM pg_index i JOIN tables t ON t.oid = i.indrelid
	 WHERE i.indisunique
	   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
)
SELECT 'table livehook.' || t.relname || ' is not in sql/citus.sql'
  FROM tables t LEFT JOIN public.plan p ON p.tbl = t.relname WHERE p.tbl IS NULL
UNION ALL
SELECT 'sql/citus.sql plans livehook.' || p.tbl || ', which the schema does not have'
  FROM public.plan p LEFT JOIN tables t ON t.relname = p.tbl WHERE t.relname IS NULL
UNION ALL
SELECT 'livehook.' || p.tbl || ' has no column ' || p.col || ' to distribute by'
  FROM public.plan p JOIN tables t ON t.relname = p.tbl
 WHERE p.col <> '' AND NOT EXISTS (SELECT 1 FROM pg_attribute a
       WHERE a.attrelid = t.oid AND a.attname = p.col AND NOT a.attisdropped)
UNION ALL
SELECT 'livehook.' || p.tbl || '.' || p.col || ' may be NULL (Citus refuses a NULL distribution value)'
  FROM public.plan p JOIN tables t ON t.relname = p.tbl
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = p.col
 WHERE p.col <> '' AND NOT a.attnotnull
UNION ALL
SELECT 'unique key ' || u.name || ' of livehook.' || u.relname || ' lacks the distribution column ' || p.col
  FROM uniq u JOIN public.plan p ON p.tbl = u.relname
  JOIN tables t ON t.relname = u.relname
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = p.col
 WHERE p.col <> '' AND NOT a.attnum = ANY (u.cols)
UNION ALL
SELECT 'unique key ' || u.name || ' of livehook.' || u.relname || ' lacks the partition column ' || a.attname
  FROM uniq u JOIN tables t ON t.relname = u.relname
  JOIN pg_partitioned_table pt ON pt.partrelid = t.oid
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (pt.partattrs::int2[])
 WHERE NOT a.attnum = ANY (u.cols)
ORDER BY 1;
EOSQL
}

out=$(violations)
if [ -z "$out" ]; then
	echo "ok - every table of the schema is in sql/citus.sql, and every unique key of a distributed table holds its distribution and partition columns"
else
	echo "FAIL - the Citus plan does not fit the schema:"
	echo "$out" | sed 's/^/#   /'
	rc=1
fi
echo "# planned: $(psql -X -A -t -q -c "SELECT string_agg(tbl || CASE WHEN col = '' THEN ' (reference)' ELSE ' by ' || col END, ', ' ORDER BY tbl) FROM public.plan")"
n=$(psql -X -A -t -q -c "SELECT count(*) FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'livehook'")
[ "$n" -ge 4 ] && echo "ok - $n partitioned tables checked for their partition keys" ||
    { echo "FAIL - only $n partitioned tables in the schema"; rc=1; }

# The check itself finds what it is for: a unique key without the stream,
# a table the plan does not know (both rolled back after).
psql -q -X -c "CREATE UNIQUE INDEX probe_idx ON livehook.streams (vendor, domain, app)" \
    -c "CREATE TABLE livehook.probe_unplanned (x int)" >/dev/null 2>&1
out=$(violations)
psql -q -X -c "DROP INDEX livehook.probe_idx" -c "DROP TABLE livehook.probe_unplanned" >/dev/null 2>&1
case $out in
*"probe_idx of livehook.streams lacks the distribution column stream"*"probe_unplanned is not in sql/citus.sql"* | \
*"probe_unplanned is not in sql/citus.sql"*"probe_idx of livehook.streams lacks the distribution column stream"*)
	echo "ok - the check reports a unique key without the stream and a table missing from the plan" ;;
*)
	echo "FAIL - the check missed a planted violation: $out"; rc=1 ;;
esac
exit $rc
