#!/bin/bash
# fault-restart-outage.sh -- livehook (re)started while PostgreSQL is down, with a spool: it starts,
# answers every signed callback 200 from the spool, and once PostgreSQL is back every
# acknowledged event is stored exactly once.
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
rc=0
fail() { echo "FAIL - $*"; rc=1; }

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
pg_ctl_do -m immediate stop >/dev/null
echo "# PostgreSQL stopped before livehook starts"
if ! STACK_WORKERS=2 STACK_SPOOL=1 stack_start; then
	echo "# sent 0, acknowledged 0, stored 0, duplicates 0, lost 0"
	echo "FAIL - the stack did not start while the database is down"
	exit 1
fi
echo "ok - the stack started while the database is down"
sed 's/^/# livehook -t: /' "$STACK_DIR/livehook-t.out"
ready=$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/readyz")
[ "$ready" = 200 ] && echo "ok - /readyz 200 (spooling)" || fail "/readyz $ready while spooling"
fault_load -c 4 -d 4 -t outage -o "$out"
wait "$FAULT_LOAD_PID"
non2xx=$(awk '$3 < 200 || $3 > 299' "$out" | wc -l)
spooled=$(find "$STACK_DIR/spool" -maxdepth 1 -name '*.json' | wc -l)
echo "# answered while the database is down: $(wc -l <"$out"), not 2xx: $non2xx, in the spool: $spooled"
[ "$non2xx" = 0 ] && echo "ok - every callback answered 200 from the spool" || fail "$non2xx callbacks not answered 2xx"
[ "$spooled" -gt 0 ] && echo "ok - the events are in the spool" || fail "the spool is empty"
pg_restart_server || { echo "FAIL - PostgreSQL did not restart"; exit 1; }
echo "# PostgreSQL started"
fault_spool_wait 60 || fail "the workers did not empty the spool within 60 s"
fault_count "$out"
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0" || fail "lost $FAULT_LOST"
[ "$FAULT_DUPS" = 0 ] && echo "ok - duplicates = 0" || fail "duplicates $FAULT_DUPS"
[ "$FAULT_STORED" = "$(wc -l <"$out")" ] && echo "ok - every event sent is stored" || fail "stored $FAULT_STORED of $(wc -l <"$out")"
[ "$(wc -l <"$out")" -ge 500 ] && echo "ok - at least 500 sent" || fail "fewer than 500 sent"
rm -f "$out" "$out".*
exit $rc
