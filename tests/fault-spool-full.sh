#!/bin/bash
# fault-spool-full.sh -- the database is away and the spool directory is small (128 KiB) but empty:
# /readyz is 200 and callbacks are spooled (it judges by a write, not by free space); then full,
# then read-only: every callback is answered 503 (never 200), /readyz is 503, nothing half-written
# stays behind.
# Needs root to mount a small tmpfs (CI runs as root).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
sp=$(mktemp -d "${TMPDIR:-/tmp}/livehook-spool.XXXXXX")
cleanup() { stack_stop; umount "$sp" 2>/dev/null; rmdir "$sp"; pg_stop; }
trap cleanup EXIT
rc=0
fail() { echo "FAIL - $*"; rc=1; }

if ! mount -t tmpfs -o size=128k,mode=0700 tmpfs "$sp" 2>/dev/null; then
	echo "FAIL - cannot mount a tmpfs for the spool (run as root)"
	exit 1
fi
pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_EXTRA_CONF="spool_dir = $sp" stack_start || { echo "FAIL - the stack did not start"; exit 1; }
pg_ctl_do -m immediate stop >/dev/null

# send TAG: 12 signed callbacks of all vendors; prints the statuses
send() {
	local v
	for v in huawei tencent jdcloud aliyun huawei tencent jdcloud aliyun huawei tencent jdcloud aliyun; do
		"$top_srcdir/contrib/livehook-send" "$STACK_URL" "$v" publish 2>/dev/null | awk '{print $3}'
	done
}
# A small spool with room: far under the 256 KiB free that /readyz wanted before.
ready=$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/readyz")
[ "$ready" = 200 ] && echo "ok - small empty spool, database down: /readyz 200" ||
    fail "small empty spool, database down: /readyz $ready"
statuses=$("$top_srcdir/contrib/livehook-send" "$STACK_URL" huawei publish 2>/dev/null | awk '{print $3}')
[ "$statuses" = 200 ] && echo "ok - small empty spool: a callback is spooled (200)" ||
    fail "small empty spool: a callback answered $statuses"
find "$sp" -maxdepth 1 -name '*.json' -delete
for phase in full read-only; do
	if [ "$phase" = full ]; then
		dd if=/dev/zero of="$sp/fill" bs=4k 2>/dev/null	# until the file system is full
		sleep 1.1	# /readyz probes the spool at most once a second
	fi
	if [ "$phase" = read-only ]; then
		rm -f "$sp/fill"
		mount -o remount,ro "$sp" || { fail "cannot remount the spool read-only"; continue; }
	fi
	statuses=$(send | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	sleep 1.1
	echo "# $phase spool, database down: answers $statuses"
	case $statuses in
	*200*) fail "$phase spool: a callback was answered 200 without being durable" ;;
	" 12 503;") echo "ok - $phase spool: every callback answered 503" ;;
	*) fail "$phase spool: unexpected answers $statuses" ;;
	esac
	ready=$(curl -s -o /dev/null -w '%{http_code}' "$STACK_URL/readyz")
	[ "$ready" = 503 ] && echo "ok - $phase spool: /readyz 503" || fail "$phase spool: /readyz $ready"
	if [ "$phase" = full ]; then
		# Signed load against the full spool: two lines per refusal before
		# (25,662 lines in 6 s in issue 17); now each message once per window.
		before=$(wc -l <"$STACK_DIR/livehook.log")
		"$top_builddir/tests/loadgen" -p "$STACK_PORT" -u /livehook -c 4 -d 3 -t full -o "$sp.load"
		sent=$(wc -l <"$sp.load")
		refused=$(awk '$3 == 503' "$sp.load" | wc -l)
		sleep 6	# the window of repeated lines (LOG_REPEAT_WINDOW) ends: the summaries
		lines=$(( $(wc -l <"$STACK_DIR/livehook.log") - before ))
		echo "# sent $sent, acknowledged $(( sent - refused )), stored 0, lost 0; refused $refused; log lines $lines"
		[ "$refused" = "$sent" ] && echo "ok - full spool under load: every callback answered 503" ||
		    fail "full spool under load: $((sent - refused)) of $sent not answered 503"
		[ "$lines" -le 40 ] && echo "ok - full spool under load: $lines log lines for $sent refusals" ||
		    fail "full spool under load: $lines log lines for $sent refusals"
		grep -q 'No space left on device (repeated [0-9]* times)$' "$STACK_DIR/livehook.log" &&
		    echo "ok - the repeats are counted" || fail "no '(repeated N times)' line for the spool errors"
		rm -f "$sp.load"
	fi
	left=$(find "$sp" -name '*.json' | wc -l)
	[ "$left" = 0 ] && echo "ok - $phase spool: no event file left behind" || fail "$phase spool: $left files"
done
[ "$(find "$sp" -name '.probe-*' | wc -l)" = 0 ] && echo "ok - no probe file left behind" || fail "a .probe-* file is left"
grep -q 'spool: ' "$STACK_DIR/livehook.log" && echo "ok - the spool failures are logged" || fail "no spool error in the log"
exit $rc
