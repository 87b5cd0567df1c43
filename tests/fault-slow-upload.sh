#!/bin/bash
# fault-slow-upload.sh -- through Apache mod_proxy_fcgi (which passes a body on as it arrives), as
# many slow uploads as livehook has threads plus ten, 1 byte every 2 s, while signed load runs: the
# load keeps at least 90% of its rate, and livehook answers each slow upload 408 after read_timeout
# (Apache, still sending the body, then tells its client 503); a body over max_body gets 413.
# Apache runs contrib/apache/livehook-proxy-fcgi.conf as shipped (mod_reqtimeout, the allow-list).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/fault.sh"
trap pg_stop EXIT
out=$(mktemp -d "${TMPDIR:-/tmp}/livehook-slow.XXXXXX")
threads=8 slow=18 secs=4

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_SERVER=apache STACK_THREADS=$threads STACK_EXTRA_CONF="read_timeout = 3" stack_start ||
    { echo "FAIL - the stack did not start"; exit 1; }

# slow_upload N: a POST whose 64-byte body comes 1 byte every 2 s; its status in $out/slow.N
slow_upload() {
	local i status=0
	exec 3<>"/dev/tcp/127.0.0.1/$STACK_PORT" || { echo 0 >"$out/slow.$1"; return; }
	printf 'POST /livehook/huawei HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 64\r\nConnection: close\r\n\r\n' >&3
	for i in $(seq 1 10); do
		printf '{' >&3 2>/dev/null || break
		sleep 2
	done
	read -r -t 30 _ status _ <&3
	echo "${status:-0}" >"$out/slow.$1"
	exec 3<&-
}

# load TAG: signed load for $secs s; prints its 2xx per second
load() {
	"$top_builddir/tests/loadgen" -p "$STACK_PORT" -u /livehook -c 8 -d "$secs" -t "$1" -o "$out/$1"
	awk -v s="$secs" '$3 >= 200 && $3 < 300 { n++ } END { printf "%d\n", n / s }' "$out/$1"
}

base1=$(load base1)
pids=
for i in $(seq 1 $slow); do slow_upload "$i" & pids="$pids $!"; done
sleep 1
during=$(load during)
base2=$(load base2)
wait $pids
base=$(( (base1 + base2) / 2 ))
echo "# signed load: $base1/s and $base2/s without, $during/s with $slow slow uploads ($threads threads)"
# Repeats are logged once, then summed up after 5 s: "<the last> (repeated N times)".
sleep 6
l408=$(awk '/huawei: .*: POST \/livehook\/huawei: 408 / { if (match($0, /repeated [0-9]+ times/)) n += substr($0, RSTART + 9, RLENGTH - 15); else n++ } END { print n + 0 }' "$STACK_DIR/livehook.log")
ok2xx=$(grep -c '^2' "$out"/slow.* | awk -F: '{ n += $2 } END { print n + 0 }')
echo "# slow uploads: livehook answered $l408 of $slow with 408; their clients got: $(cat "$out"/slow.* | sort | uniq -c | tr '\n' ' ')"
head -c 70000 /dev/zero | tr '\0' 'a' >"$out/big"
big=$("$_stack_curl" -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$out/big" "$STACK_URL/huawei")
echo "# a 70,000-byte body (max_body 65536): $big"
# The snippet's allow-list: 127.0.0.2 is not on it.
denied=$("$_stack_curl" -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "$STACK_URL/healthz")
echo "# /healthz from 127.0.0.2, not on the snippet's allow-list: $denied"
cat "$out"/base1 "$out"/during "$out"/base2 >"$out/all"
fault_count "$out/all"
rc=0
[ "$base" -gt 0 ] && [ $(( during * 100 )) -ge $(( base * 90 )) ] &&
    echo "ok - the load keeps at least 90% of its rate" || { echo "FAIL - the load fell to $during/s from $base/s"; rc=1; }
[ "$l408" = "$slow" ] && echo "ok - livehook answered every slow upload 408" || { echo "FAIL - $l408 of $slow slow uploads answered 408"; rc=1; }
[ "$ok2xx" = 0 ] && echo "ok - no slow upload got a 2xx" || { echo "FAIL - $ok2xx slow uploads got a 2xx"; rc=1; }
[ "$big" = 413 ] && echo "ok - over max_body through Apache: 413" || { echo "FAIL - over max_body through Apache: $big"; rc=1; }
[ "$denied" = 403 ] && echo "ok - the allow-list of contrib/apache/livehook-proxy-fcgi.conf is on" ||
    { echo "FAIL - from 127.0.0.2: $denied"; rc=1; }
[ "$FAULT_LOST" = 0 ] && echo "ok - lost = 0" || { echo "FAIL - lost $FAULT_LOST"; rc=1; }
rm -rf "$out"
exit $rc
