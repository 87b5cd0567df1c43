#!/bin/bash
# fault-db-down-nospool.sh -- PostgreSQL stopped for 10 s under load, no spool: livehook answers 503,
# the clients retry every non-2xx as a vendor would, and every event ends up stored exactly once.
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
fault_load -r -c 4 -d 14 -t nospool -o "$out"
sleep 1
pg_ctl_do -m immediate stop >/dev/null
echo "# PostgreSQL stopped (immediate) for 10 s"
sleep 10
pg_restart_server || { echo "FAIL - PostgreSQL did not restart"; exit 1; }
wait "$FAULT_LOAD_PID"
retried=$(awk '$4 > 1' "$out" | wc -l)
echo "# requests that needed retries: $retried; 503s logged: $(grep -c ' 503 ' "$STACK_DIR/livehook.log")"
fault_count "$out"
rc=0
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0" || { echo "FAIL - lost $FAULT_LOST"; rc=1; }
[ "$FAULT_DUPS" = 0 ] && echo "ok - every event stored exactly once" || { echo "FAIL - duplicates $FAULT_DUPS"; rc=1; }
[ "$FAULT_STORED" = "$(wc -l <"$out")" ] && echo "ok - every event sent is stored" || { echo "FAIL - stored $FAULT_STORED"; rc=1; }
[ "$retried" -gt 0 ] && echo "ok - the outage hit the load (503s were retried)" || { echo "FAIL - no request was retried"; rc=1; }
rm -f "$out" "$out".*
exit $rc
