#!/bin/bash
# fault-kill9-spool.sh -- the database is down and every callback goes to the spool; the livehook
# workers are killed with SIGKILL again and again in the middle of spool_put() and started again:
# the temporary files they leave are removed when workers start and by --drain, never one being
# written, and every acknowledged event is stored once PostgreSQL is back.
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
rc=0
fail() { echo "FAIL - $*"; rc=1; }
tmps() { find "$STACK_DIR/spool" -maxdepth 1 -name '.tmp-*' | wc -l; }
workers() {
	"${SPAWN_FCGI:-spawn-fcgi}" -F 2 -s "$STACK_DIR/livehook.sock" -M 0660 -P "$STACK_DIR/livehook.pid" -- \
	    /bin/sh -c 'exec "$0" -c "$1" 2>>"$2"' "$lh" "$STACK_CONF" "$STACK_DIR/livehook.log" >/dev/null 2>&1
}

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_WORKERS=2 STACK_SPOOL=1 stack_start || { echo "FAIL - the stack did not start"; exit 1; }
pg_ctl_do -m immediate stop >/dev/null
echo "# PostgreSQL stopped: every callback goes to the spool"
fault_load -r -c 16 -d 8 -t kill9 -o "$out"
kills=0 left=0
for round in 1 2 3 4 5; do
	sleep 0.7
	pids=$(pgrep -f -- "-c $STACK_CONF" | tr '\n' ' ')
	[ -n "$pids" ] || continue
	kill -9 $pids 2>/dev/null
	kills=$((kills + $(echo $pids | wc -w)))
	for _ in $(seq 50); do pgrep -f -- "-c $STACK_CONF" >/dev/null || break; sleep 0.02; done
	n=$(tmps)
	left=$((left + n))
	echo "# round $round: SIGKILL to workers $pids, $n temporary file(s) left"
	rm -f "$STACK_DIR/livehook.sock"
	workers || fail "spawn-fcgi could not start the workers again"
done
wait "$FAULT_LOAD_PID"
sleep 0.5
remain=$(tmps)
echo "# workers killed: $kills; temporary files found after the kills: $left; left now: $remain"
[ "$left" -gt 0 ] && echo "ok - the kills hit spool_put(): temporary files were left" ||
    echo "# (no kill hit spool_put() this time)"
[ "$remain" = 0 ] && echo "ok - no .tmp-* remains once the workers started again" ||
    fail "$remain .tmp-* file(s) remain: $(find "$STACK_DIR/spool" -maxdepth 1 -name '.tmp-*' | head -3 | tr '\n' ' ')"
# --drain removes them too (one written by a process that is gone).
touch "$STACK_DIR/spool/.tmp-999999999-0000000000000-0000000000-999999999-00000000.json"
"$lh" -c "$STACK_CONF" --drain >/dev/null 2>&1
[ "$(tmps)" = 0 ] && echo "ok - --drain removes a dead process's temporary file" ||
    fail "--drain left a dead process's temporary file"
pg_restart_server || { echo "FAIL - PostgreSQL did not restart"; exit 1; }
echo "# PostgreSQL started"
fault_spool_wait 60 || fail "the workers did not empty the spool within 60 s"
fault_count "$out"
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0" || fail "lost $FAULT_LOST"
[ "$FAULT_DUPS" = 0 ] && echo "ok - duplicates = 0" || fail "duplicates $FAULT_DUPS"
[ "$kills" -gt 0 ] && echo "ok - workers were killed under load" || fail "no worker was killed"
pkill -TERM -f -- "-c $STACK_CONF"
rm -f "$out" "$out".*
exit $rc
