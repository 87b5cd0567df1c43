#!/bin/bash
# fault-slow-upload.sh -- through Apache mod_proxy_fcgi (which passes a body on as it arrives), as
# many slow uploads as livehook has threads plus ten, 1 byte every 2 s, while signed load runs on a
# fixed schedule (tests/loadgen -R, so that the machine's speed does not move the figure): the load
# keeps at least 90% of its rate with every answer 2xx, and livehook answers each slow upload 408
# after read_timeout (Apache, still sending the body, then tells its client 503); a body over
# max_body gets 413.
# Apache runs contrib/apache/livehook-proxy-fcgi.conf as shipped (mod_reqtimeout, the allow-list).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
trap pg_stop EXIT
out=$(mktemp -d "${TMPDIR:-/tmp}/livehook-slow.XXXXXX")
threads=8 slow=18 secs=4 rate=200

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_SERVER=apache STACK_THREADS=$threads STACK_EXTRA_CONF="read_timeout = 6" stack_start ||
    { echo "FAIL - the stack did not start"; exit 1; }

# slow_upload N: a POST whose 64-byte body comes 1 byte every 2 s; its status in $out/slow.N
slow_upload() {
	local i status=0
	# Apache may close first (its mod_reqtimeout): a failed write, not a dead shell.
	trap '' PIPE
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

"$top_builddir/tests/loadgen" -G $(( rate * secs )) -t "slow$RANDOM" -o "$out/requests" ||
    { echo "FAIL - loadgen -G"; exit 1; }
pids=
for i in $(seq 1 $slow); do slow_upload "$i" & pids="$pids $!"; done
sleep 1
# The slow uploads are all in their body now, and stay there while the load runs: livehook's
# read_timeout (6 s) ends them, before Apache's mod_reqtimeout (10 s, the shipped snippet).
before=$(psql -X -A -t -q -c "SELECT count(*) FROM livehook.callbacks")
paced=$("$top_builddir/tests/loadgen" -R "$rate" -d "$secs" -p "$STACK_PORT" -f "$out/requests")
after=$(psql -X -A -t -q -c "SELECT count(*) FROM livehook.callbacks")
echo "# signed load at $rate/s for $secs s beside $slow slow uploads ($threads threads): $paced"
wait $pids
achieved=$(echo "$paced" | sed -n 's/.* achieved=\([0-9]*\).*/\1/p')
sent=$(echo "$paced" | sed -n 's/.* sent=\([0-9]*\).*/\1/p')
ok=$(echo "$paced" | sed -n 's/.* 2xx=\([0-9]*\).*/\1/p')
stored=$(( after - before ))
echo "# sent $sent, acknowledged $ok, stored $stored, lost $(( ok > stored ? ok - stored : 0 ))"
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
rc=0
[ "${achieved:-0}" -ge $(( rate * 90 / 100 )) ] && echo "ok - the load keeps at least 90% of its rate ($achieved/s of $rate/s)" ||
    { echo "FAIL - the load fell to ${achieved:-0}/s of $rate/s"; rc=1; }
# A keep-alive connection that lighttpd closes as loadgen sends on it counts as "no answer"
# (never acknowledged); any non-2xx answer fails.
non2xx=$(echo "$paced" | sed -n 's/.* non2xx=\([0-9]*\).*/\1/p')
[ "${non2xx:-1}" = 0 ] && [ $(( ${ok:-0} * 100 )) -ge $(( ${sent:-1} * 99 )) ] &&
    echo "ok - the load was answered 2xx ($ok of $sent, no other status)" || { echo "FAIL - $ok of $sent answered 2xx, $non2xx not"; rc=1; }
[ "$l408" = "$slow" ] && echo "ok - livehook answered every slow upload 408" || { echo "FAIL - $l408 of $slow slow uploads answered 408"; rc=1; }
[ "$ok2xx" = 0 ] && echo "ok - no slow upload got a 2xx" || { echo "FAIL - $ok2xx slow uploads got a 2xx"; rc=1; }
[ "$big" = 413 ] && echo "ok - over max_body through Apache: 413" || { echo "FAIL - over max_body through Apache: $big"; rc=1; }
[ "$denied" = 403 ] && echo "ok - the allow-list of contrib/apache/livehook-proxy-fcgi.conf is on" ||
    { echo "FAIL - from 127.0.0.2: $denied"; rc=1; }
[ "$stored" = "${ok:-x}" ] && echo "ok - lost = 0 (stored = acknowledged)" || { echo "FAIL - stored $stored of $ok acknowledged"; rc=1; }
rm -rf "$out"
exit $rc
