#!/bin/bash
# fault-db-hang.sh -- PostgreSQL that hangs instead of failing: a lock on event_keys held for 6 s,
# then every PostgreSQL process stopped (SIGSTOP) for 6 s, under load, with [database] timeout = 1:
# callbacks are answered within the deadline from the spool (503 without a spool), /healthz and
# /readyz answer at once, and once PostgreSQL is back every event is stored once.  And a process
# holds at most batch_max requests in flight: while its commit waits, the rest wait unaccepted.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/fault.sh"
trap 'pg_freeze CONT; pg_stop' EXIT
out=$(mktemp "${TMPDIR:-/tmp}/livehook-fault.XXXXXX")
rc=0

# pg_freeze STOP|CONT: signal the postmaster and every backend
pg_freeze() {
	local pm
	pm=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
	kill -"$1" "$pm" $(pgrep -P "$pm") 2>/dev/null
}
# timed NAME URL...: "NAME STATUS MS" for one request (curl gives up after 10 s)
timed() {
	local name=$1 t0 st
	shift
	t0=$(date +%s%N)
	st=$("$_stack_curl" -s -m 10 -o /dev/null -w '%{http_code}' "$@")
	echo "$name $st $(( ($(date +%s%N) - t0) / 1000000 ))"
}
# signed NAME: one signed Huawei publish, timed as above
signed() {
	local t0 st
	t0=$(date +%s%N)
	st=$(timeout 10 "$top_srcdir/contrib/livehook-send" -s "hang-$1-$RANDOM" "$STACK_URL/" huawei publish 2>/dev/null |
	    awk '{print $3}')
	echo "$1 ${st:-0} $(( ($(date +%s%N) - t0) / 1000000 ))"
}
# check LINE MAXMS WANT: the status of "NAME STATUS MS" is WANT and it took at most MAXMS
check() {
	set -- $1 "$2" "$3"
	if [ "$2" = "$5" ] && [ "$3" -le "$4" ]; then echo "ok - $1: $2 in $3 ms"; else
		echo "FAIL - $1: $2 in $3 ms (want $5 within $4 ms)"; rc=1; fi
}

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_SPOOL=1 STACK_DB_TIMEOUT=1 stack_start || { echo "FAIL - the stack did not start"; exit 1; }

echo "# a lock on livehook.event_keys held for 6 s, under load"
fault_load -c 4 -d 10 -t hang -o "$out"
sleep 1
psql -X -q -c "BEGIN; LOCK TABLE livehook.event_keys IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT" >/dev/null &
lock=$!
sleep 2.5
check "$(signed lock-callback)" 2500 200
check "$(timed lock-healthz "$STACK_URL/healthz")" 500 200
check "$(timed lock-readyz "$STACK_URL/readyz")" 2500 200
wait "$lock"

sleep 1
echo "# every PostgreSQL process stopped (SIGSTOP) for 6 s, under load"
pg_freeze STOP
sleep 2.5
check "$(signed stop-callback)" 2500 200
check "$(timed stop-healthz "$STACK_URL/healthz")" 500 200
check "$(timed stop-readyz "$STACK_URL/readyz")" 2500 200
sleep 3.5
pg_freeze CONT
wait "$FAULT_LOAD_PID"
fault_spool_wait 60 || rc=1
spooled=$(grep -o 'spool: replayed [0-9]*' "$STACK_DIR/livehook.log" | awk '{n += $3} END {print n + 0}')
echo "# events that went through the spool: $spooled"
fault_count "$out"
non2xx=$(awk '$3 < 200 || $3 > 299' "$out" | wc -l)
[ "$non2xx" = 0 ] && echo "ok - every request of the load answered 2xx" || { echo "FAIL - $non2xx not 2xx"; rc=1; }
[ "$spooled" -gt 0 ] && echo "ok - the hangs went to the spool" || { echo "FAIL - nothing was spooled"; rc=1; }
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0" || { echo "FAIL - lost $FAULT_LOST"; rc=1; }
[ "$FAULT_DUPS" = 0 ] && echo "ok - duplicates = 0" || { echo "FAIL - duplicates $FAULT_DUPS"; rc=1; }
stack_stop

echo "# without a spool: PostgreSQL stopped (SIGSTOP) for 4 s"
STACK_DB_TIMEOUT=1 stack_start || { echo "FAIL - the stack did not start"; exit 1; }
pg_freeze STOP
sleep 0.5
check "$(signed nospool-callback)" 2500 503
check "$(timed nospool-readyz "$STACK_URL/readyz")" 2500 503
sleep 3.5
pg_freeze CONT
sleep 2
check "$(signed after-callback)" 2500 200
stack_stop

echo "# batch_max = 2: at most 2 requests in flight while a lock holds the commit for 4 s"
STACK_EXTRA_CONF="batch_max = 2" stack_start || { echo "FAIL - the stack did not start"; exit 1; }
psql -X -q -c "BEGIN; LOCK TABLE livehook.event_keys IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null &
lock=$!
sleep 0.5
pids=
for i in 1 2 3 4 5; do signed "cap-$i" >"$out.cap$i" & pids="$pids $!"; done
sleep 1.5
# The listening socket's Recv-Q: connections not yet accepted.
queued=$(ss -xlH 2>/dev/null | awk -v p="$STACK_DIR/livehook.sock" '$5 == p { print $3 }')
[ "$queued" = 3 ] && echo "ok - 2 requests accepted, 3 waiting in the listen queue" ||
    { echo "FAIL - ${queued:-no socket} waiting in the listen queue (want 3)"; rc=1; }
wait "$lock" $pids
for i in 1 2 3 4 5; do check "$(cat "$out.cap$i")" 9000 200; done
rm -f "$out" "$out".*
exit $rc
