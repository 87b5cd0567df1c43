#!/bin/bash
# fault-sigterm.sh -- SIGTERM to every livehook worker in the middle of the load, then spawn-fcgi
# starts them again: never a 200 without its row, and the new workers serve.
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
lh=${LIVEHOOK:-$top_builddir/livehook}

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_WORKERS=4 stack_start || { echo "FAIL - the stack did not start"; exit 1; }
fault_load -r -c 4 -d 6 -t term -o "$out"
sleep 1
rc=0
kill -0 "$FAULT_LOAD_PID" 2>/dev/null && echo "ok - the load is running at SIGTERM" ||
    { echo "FAIL - the load ended before SIGTERM"; rc=1; }
pids=$(pgrep -f -- "-c $STACK_CONF" | tr '\n' ' ')
echo "# SIGTERM to workers $pids"
kill -TERM $pids
for _ in $(seq 100); do pgrep -f -- "-c $STACK_CONF" >/dev/null || break; sleep 0.05; done
if pgrep -f -- "-c $STACK_CONF" >/dev/null; then echo "FAIL - workers still running 5 s after SIGTERM"; rc=1; else
	echo "ok - every worker exited after SIGTERM"; fi
sleep 1
"${SPAWN_FCGI:-spawn-fcgi}" -F 4 -s "$STACK_DIR/livehook.sock" -M 0660 -P "$STACK_DIR/livehook.pid" -- \
    /bin/sh -c 'exec "$0" -c "$1" 2>>"$2"' "$lh" "$STACK_CONF" "$STACK_DIR/livehook.log" >/dev/null 2>&1 &&
    echo "ok - spawn-fcgi started the workers again" || { echo "FAIL - spawn-fcgi could not restart"; rc=1; }
wait "$FAULT_LOAD_PID"
status=$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/healthz")
[ "$status" = 200 ] && echo "ok - the restarted workers serve" || { echo "FAIL - /healthz $status after restart"; rc=1; }
fault_count "$out"
retried=$(awk '$4 > 1' "$out" | wc -l)
echo "# requests retried while the workers were down: $retried"
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0: no 200 without its row" || { echo "FAIL - lost $FAULT_LOST"; rc=1; }
[ "$FAULT_DUPS" = 0 ] && echo "ok - duplicates = 0" || { echo "FAIL - duplicates $FAULT_DUPS"; rc=1; }
[ "$FAULT_STORED" = "$(wc -l <"$out")" ] && echo "ok - every event stored after retries" || { echo "FAIL - stored $FAULT_STORED"; rc=1; }
pkill -TERM -f -- "-c $STACK_CONF"
rm -f "$out" "$out".*
exit $rc
