#!/bin/bash
# fault-db-down-spool.sh -- PostgreSQL stopped (-m immediate) for 10 s under load with a spool:
# every 200 is in the database exactly once after the drain (SPEC section 6).
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
STACK_WORKERS=4 STACK_SPOOL=1 stack_start || { echo "FAIL - the stack did not start"; exit 1; }
fault_load -c 4 -d 14 -t spool -o "$out"
sleep 1
pg_ctl_do -m immediate stop >/dev/null
echo "# PostgreSQL stopped (immediate) for 10 s"
sleep 10
pg_restart_server || { echo "FAIL - PostgreSQL did not restart"; exit 1; }
wait "$FAULT_LOAD_PID"
start=$(date +%s)
fault_spool_wait 60 && emptied=$(( $(date +%s) - start )) || emptied=never
echo "# the workers emptied the spool $emptied s after the load ended"
"${LIVEHOOK:-$top_builddir/livehook}" -c "$STACK_CONF" --drain 2>&1 | sed 's/^/# drain: /'
spooled=$(grep -o 'spool: replayed [0-9]*' "$STACK_DIR/livehook.log" 2>/dev/null | awk '{n += $3} END {print n + 0}')
echo "# events spooled while the database was away and replayed by the workers: $spooled"
fault_count "$out"
non2xx=$(awk '$3 < 200 || $3 > 299' "$out" | wc -l)
rc=0
[ "$emptied" != never ] && echo "ok - the workers replayed the whole spool by themselves" ||
    { echo "FAIL - the spool was not empty 60 s after the load"; rc=1; }
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0" || { echo "FAIL - lost $FAULT_LOST"; rc=1; }
[ "$FAULT_DUPS" = 0 ] && echo "ok - duplicates = 0" || { echo "FAIL - duplicates $FAULT_DUPS"; rc=1; }
[ "$non2xx" = 0 ] && echo "ok - every request answered 2xx (the spool took them)" ||
    { echo "FAIL - $non2xx requests not answered 2xx"; rc=1; }
[ "$spooled" -gt 0 ] && echo "ok - the outage hit the load: $spooled events went through the spool" ||
    { echo "FAIL - nothing was spooled: the outage missed the load"; rc=1; }
[ "$(wc -l <"$out")" -ge 2000 ] && echo "ok - at least 2,000 sent" || { echo "FAIL - fewer than 2,000 sent"; rc=1; }
rm -f "$out" "$out".*
exit $rc
