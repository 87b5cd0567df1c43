#!/bin/bash
# fault-kill-backend.sh -- PostgreSQL backends of livehook killed (pg_terminate_backend) again and
# again under load, while their inserts run and before the commit: never a 200 without its row.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/fault.sh"
trap pg_stop EXIT
out=$(mktemp "${TMPDIR:-/tmp}/livehook-fault.XXXXXX")

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_WORKERS=4 stack_start || { echo "FAIL - the stack did not start"; exit 1; }
fault_load -c 4 -d 6 -t kill -o "$out"
kills=0
while kill -0 "$FAULT_LOAD_PID" 2>/dev/null; do
	n=$(psql -X -A -t -q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	    WHERE datname = 'livehook' AND pid <> pg_backend_pid() AND backend_type = 'client backend'
	      AND query LIKE '%livehook.ingest%'" 2>/dev/null)
	kills=$((kills + ${n:-0}))
	sleep 0.05
done
wait "$FAULT_LOAD_PID"
echo "# backends terminated: $kills; 503s logged: $(grep -c ' 503 ' "$STACK_DIR/livehook.log")"
fault_count "$out"
rc=0
# One prefixed line per log event: libpq's messages flattened, the server's FATAL through log.c.
raw=$(grep -cv '^livehook: ' "$STACK_DIR/livehook.log")
echo "# log lines $(wc -l <"$STACK_DIR/livehook.log"), not starting with 'livehook: ' $raw"
[ "$raw" = 0 ] && echo "ok - every log line starts with 'livehook: '" ||
    { echo "FAIL - $raw log lines without the prefix: $(grep -v '^livehook: ' "$STACK_DIR/livehook.log" | sort -u | head -3 | tr '\n' '~')"; rc=1; }
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0: no 200 without its row" || { echo "FAIL - lost $FAULT_LOST"; rc=1; }
[ "$FAULT_DUPS" = 0 ] && echo "ok - duplicates = 0" || { echo "FAIL - duplicates $FAULT_DUPS"; rc=1; }
[ "$kills" -gt 0 ] && echo "ok - backends were killed under load" || { echo "FAIL - no backend was killed"; rc=1; }
rm -f "$out" "$out".*
exit $rc
