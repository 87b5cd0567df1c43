#!/bin/bash
# e2e-rtmp.sh -- a real nginx-rtmp and ffmpeg: one nginx serves RTMP and the livehook FastCGI prefix,
# ffmpeg publishes and plays, and the rows in PostgreSQL are checked (issue 13, SPEC section 11).
#
# Checks: a signed 5-second publish with recording and a player leaves its publish, unpublish,
# recording file(s) and play session; a wrong signature is refused by nginx-rtmp (ffmpeg fails,
# no row); a SIGKILLed nginx worker leaves no stream live after heartbeat_timeout; PostgreSQL
# stopped during a publish with a spool: the stream keeps going and every event lands once;
# PostgreSQL hanging (SIGSTOP) with the shipped [database] timeout: a publish is still accepted
# and a live stream is not dropped.
# Needs nginx, libnginx-mod-rtmp and ffmpeg (contrib/quickstart.sh installs them).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir

. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/e2e.sh"

RTMP_MODULE=${RTMP_MODULE:-/usr/lib/nginx/modules/ngx_rtmp_module.so}
FFMPEG=${FFMPEG:-ffmpeg}
TOKEN=rtmp-e2e-path-token-0123456789abcdef
export LH_PUBLISH_KEY=rtmp-e2e-publish-key-0123456789
TIMEOUT=6	# heartbeat_timeout: 3 x notify_update_timeout 2s
for need in "$RTMP_MODULE" "$(command -v "$FFMPEG")"; do
	if [ ! -e "$need" ]; then
		echo "FAIL - ${need:-ffmpeg} missing: apt-get install nginx libnginx-mod-rtmp ffmpeg"
		exit 1
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-rtmp.XXXXXX")
bgpids=()
cleanup_rtmp() {
	local p
	for p in "${bgpids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
pg_freeze() {	# STOP|CONT: the postmaster and its children (pg_start's server)
	local pm
	pm=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 0
	kill -"$1" "$pm" $(pgrep -P "$pm") 2>/dev/null
}
# stack_start puts stack_stop in front of this trap: set it once, before.
trap 'pg_freeze CONT; cleanup_rtmp; pg_stop' EXIT

# The rtmp {} block, in nginx.conf's main context (tests/lib/stack.sh):
# every notify of the application goes to livehook through this nginx.
stack_nginx_main() {
	local hook="http://127.0.0.1:$STACK_PORT/livehook/nginx-rtmp/$TOKEN"
	RTMP_PORT=$(pg__free_port)
	mkdir -p "$STACK_DIR/rec"
	echo "$RTMP_PORT" >"$work/rtmp-port"
	echo "load_module $RTMP_MODULE;"
	# contrib/nginx-rtmp/livehook-rtmp.conf as shipped, on this stack.
	sed -e "s|listen 1935;|listen 127.0.0.1:$RTMP_PORT;|" \
	    -e "s|http://127.0.0.1/livehook/nginx-rtmp/replace-with-a-long-random-path-token|$hook|" \
	    -e "s|notify_update_timeout 30s;|notify_update_timeout 2s;|" \
	    -e "s|record_path /var/lib/nginx/rec;|record_path $STACK_DIR/rec;|" \
	    -e "/^		application live {/i\\
		# GET mode, and a hook URL with a query of its own: the module\\
		# sends \"?x=1?app=getm&...\" (two '?').\\
		application getm {\\
			live on;\\
			notify_method get;\\
			on_publish $hook?x=1;\\
			on_publish_done $hook?x=1;\\
		}" \
	    "$top_srcdir/contrib/nginx-rtmp/livehook-rtmp.conf"
}

STACK_SERVER=nginx
STACK_SPOOL=1
STACK_EXTRA_VENDORS="
[nginx-rtmp]
token = $TOKEN
domain = live.example.com
publish_key = $LH_PUBLISH_KEY
heartbeat_timeout = $TIMEOUT"
PG_FAST=1 pg_start || { echo "FAIL - cannot start PostgreSQL"; exit 1; }
stack_start || { echo "FAIL - cannot start nginx-rtmp + livehook"; exit 1; }
RTMP_PORT=$(cat "$work/rtmp-port")
RTMP=rtmp://127.0.0.1:$RTMP_PORT/live
send=$top_srcdir/contrib/livehook-send

# ffmpeg publishes SECONDS of a test pattern and a tone (selfhosted.md 3.2).
publish() {	# publish URL SECONDS
	"$FFMPEG" -nostdin -hide_banner -loglevel error -re \
	    -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=1000:sample_rate=44100 \
	    -t "$2" -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 25 -c:a aac -b:a 64k \
	    -f flv "$1"
}
play() {	# play URL SECONDS
	"$FFMPEG" -nostdin -hide_banner -loglevel error -i "$1" -t "$2" -f null -
}
# wait_sql SQL EXPECTED SECONDS: poll until SQL gives EXPECTED.
wait_sql() {
	local i
	for i in $(seq 1 $(($3 * 5))); do
		[ "$(e2e_sql "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
dump() {	# the rows of a stream, for the log (and the issue's closing note)
	psql -X -q -P pager=off -c "SET TIME ZONE 'UTC'" \
	    -c "SELECT vendor, domain, app, stream, event, event_time, session_key, client_ip, params FROM livehook.stream_events WHERE stream = '$1' ORDER BY event_time" \
	    -c "SELECT vendor, stream, event, event_time, file_key, format, start_time, duration, file_size, task_id FROM livehook.recordings WHERE stream = '$1' ORDER BY event_time" \
	    -c "SELECT vendor, stream, event, event_time, client_id, client_ip FROM livehook.play_events WHERE stream = '$1' ORDER BY event_time" \
	    -c "SELECT * FROM livehook.stream_sessions WHERE stream = '$1'" \
	    -c "SELECT * FROM livehook.play_sessions WHERE stream = '$1'" \
	    -c "SELECT * FROM livehook.recording_files WHERE stream = '$1'" \
	    -c "SELECT stream, live, last_heartbeat, heartbeat_timeout FROM livehook.streams WHERE stream = '$1'" \
	    -c "SELECT * FROM livehook.live_now" -c "SELECT * FROM livehook.viewers_now" \
	    -c "SELECT * FROM livehook.daily_usage WHERE vendor = 'nginx-rtmp'" \
	    -c "SELECT kind, vendor_event, count(*) FROM livehook.callbacks WHERE stream = '$1' OR (stream IS NULL AND vendor = 'nginx-rtmp') GROUP BY 1, 2 ORDER BY 1, 2"
}

# 1. A signed publish of 5 s with recording, and a player for 2 s.
url=$("$send" --publish-url "$RTMP/cam1") || { echo "FAIL - livehook-send --publish-url"; exit 1; }
publish "$url" 5 >"$work/pub1.err" 2>&1 &
pub=$!
bgpids+=("$pub")
if wait_sql "SELECT stream FROM livehook.live_now WHERE stream = 'cam1'" cam1 5; then
	e2e_ok "signed publish: cam1 is in live_now while ffmpeg publishes"
else
	e2e_not_ok "signed publish: cam1 is in live_now while ffmpeg publishes ($(cat "$work/pub1.err"))"
fi
play "$RTMP/cam1" 2 >"$work/play1.err" 2>&1
e2e_expect "the player played" "0" "$?"
wait "$pub"
e2e_expect "ffmpeg published 5 s (exit 0)" "0" "$?"
wait_sql "SELECT count(*) FROM livehook.recordings WHERE stream = 'cam1'" 1 5
wait_sql "SELECT count(*) FROM livehook.play_events WHERE stream = 'cam1'" 2 3
e2e_expect "stream_events: one publish and one unpublish, one session key, domain from [nginx-rtmp] domain" \
    "live.example.com|live|cam1|publish
live.example.com|live|cam1|unpublish
1" "$(e2e_sql "SELECT domain, app, stream, event FROM livehook.stream_events WHERE stream = 'cam1' ORDER BY event_time")
$(e2e_sql "SELECT count(DISTINCT session_key) FROM livehook.stream_events WHERE stream = 'cam1'")"
e2e_expect "stream_sessions: one ended session of about 5 s" "t" \
    "$(e2e_sql "SELECT duration BETWEEN interval '3 s' AND interval '9 s' FROM livehook.stream_sessions WHERE stream = 'cam1'")"
e2e_expect "recordings: the file nginx-rtmp wrote, its start from the name, no size or duration" \
    "record_file_complete|flv|t|t|t" \
    "$(e2e_sql "SELECT event, format, file_key LIKE '$STACK_DIR/rec/cam1-%.flv', start_time IS NOT NULL AND duration IS NULL AND file_size IS NULL,
        start_time BETWEEN (SELECT min(event_time) FROM livehook.stream_events WHERE stream = 'cam1') - interval '2 s' AND now() FROM livehook.recordings WHERE stream = 'cam1'")"
e2e_expect "  ... and that file exists" "yes" "$(ls "$STACK_DIR"/rec/cam1-*.flv >/dev/null 2>&1 && echo yes)"
e2e_expect "play_events: play and play_done of one client id" "play|play_done|1" \
    "$(e2e_sql "SELECT string_agg(event, '|' ORDER BY event_time) || '|' || count(DISTINCT client_id) FROM livehook.play_events WHERE stream = 'cam1'")"
e2e_expect "play_sessions: one ended play of about 2 s" "t" \
    "$(e2e_sql "SELECT duration BETWEEN interval '1 s' AND interval '5 s' FROM livehook.play_sessions WHERE stream = 'cam1'")"
e2e_expect "daily_usage: 1 play, its watched time" "1|t" \
    "$(e2e_sql "SELECT plays, watched_time > interval '1 s' FROM livehook.daily_usage WHERE vendor = 'nginx-rtmp'")"
e2e_expect "live_now and viewers_now: empty after the stream" "0|0" \
    "$(e2e_sql "SELECT (SELECT count(*) FROM livehook.live_now), (SELECT count(*) FROM livehook.viewers_now)")"
e2e_expect "heartbeats (update_publish) refreshed streams.last_heartbeat" "t" \
    "$(e2e_sql "SELECT last_heartbeat IS NOT NULL FROM livehook.streams WHERE stream = 'cam1'")"
e2e_expect "  ... and left no row in callbacks" "0" \
    "$(e2e_sql "SELECT count(*) FROM livehook.callbacks WHERE vendor_event LIKE 'update%'")"
echo "# the rows of one real ffmpeg publish through nginx-rtmp:"
dump cam1 | sed 's/^/# /'

# 1b. notify_method get, the hook URL with a query: the double '?' is read as '&'.
publish "$("$send" --publish-url "rtmp://127.0.0.1:$RTMP_PORT/getm/cam-get")" 2 >"$work/pubget.err" 2>&1
e2e_expect "GET mode: ffmpeg published 2 s (exit 0)" "0" "$?"
wait_sql "SELECT count(*) FROM livehook.stream_events WHERE stream = 'cam-get'" 2 5
e2e_expect "GET mode: publish and unpublish of app getm, one session" "getm|publish|1
getm|unpublish|1" "$(e2e_sql "SELECT app, event, count(*) OVER (PARTITION BY session_key) / 2 FROM livehook.stream_events WHERE stream = 'cam-get' ORDER BY event_time")"
e2e_expect "  ... the form came in the query: payload holds the module's fields, x=1 kept" "getm|cam-get|publish|1" \
    "$(e2e_sql "SELECT payload->>'app', payload->>'name', payload->>'call', payload->>'x' FROM livehook.callbacks WHERE stream = 'cam-get' AND kind = 'publish'")"

# 2. A wrong signature: nginx-rtmp refuses the publish, nothing is stored.
"$FFMPEG" -nostdin -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=25 -t 2 \
    -c:v libx264 -preset ultrafast -f flv "$RTMP/bad?expires=$(($(date +%s) + 600))&sign=$(printf '0%.0s' $(seq 64))" \
    >"$work/bad.err" 2>&1
rc=$?
e2e_expect "wrong signature: ffmpeg fails" "yes" "$([ "$rc" != 0 ] && echo yes || echo "no (exit $rc)")"
e2e_expect "  ... and no row for it" "0|0" \
    "$(e2e_sql "SELECT (SELECT count(*) FROM livehook.stream_events WHERE stream = 'bad'), (SELECT count(*) FROM livehook.callbacks WHERE stream = 'bad')")"
e2e_expect "  ... only a log line" "1" "$(grep -c 'wrong publish signature' "$STACK_DIR/livehook.log")"

# 3. The nginx worker is SIGKILLed mid-publish: no publish_done ever comes.
publish "$("$send" --publish-url "$RTMP/killed")" 30 >"$work/pub3.err" 2>&1 &
pub=$!
bgpids+=("$pub")
if wait_sql "SELECT last_heartbeat IS NOT NULL FROM livehook.streams WHERE stream = 'killed'" t 8; then
	e2e_ok "killed: live, with a heartbeat"
else
	e2e_not_ok "killed: live, with a heartbeat"
fi
worker=$(ps -o pid= --ppid "$_stack_server_pid" | tr -d ' ' | head -1)
kill -9 "$worker"
for _ in $(seq 1 25); do kill -0 "$pub" 2>/dev/null || break; sleep 0.2; done
kill "$pub" 2>/dev/null
wait "$pub" 2>/dev/null
e2e_expect "killed: still in live_now right after the kill (its heartbeat is recent)" "killed" \
    "$(e2e_sql "SELECT stream FROM livehook.live_now WHERE stream = 'killed'")"
if wait_sql "SELECT count(*) FROM livehook.live_now WHERE stream = 'killed'" 0 $((TIMEOUT + 4)); then
	e2e_ok "killed: out of live_now within heartbeat_timeout ($TIMEOUT s) of its last heartbeat"
else
	e2e_not_ok "killed: out of live_now within heartbeat_timeout"
fi
e2e_expect "killed: no unpublish was sent; stream_sessions ends it at its last heartbeat" "0|t" \
    "$(e2e_sql "SELECT (SELECT count(*) FROM livehook.stream_events WHERE stream = 'killed' AND event = 'unpublish'),
        (SELECT ended_at = (SELECT last_heartbeat FROM livehook.streams WHERE stream = 'killed') FROM livehook.stream_sessions WHERE stream = 'killed')")"

# 4. PostgreSQL stops during a publish: with a spool the stream keeps going.
publish "$("$send" --publish-url "$RTMP/dbdown")" 8 >"$work/pub4.err" 2>&1 &
pub=$!
bgpids+=("$pub")
wait_sql "SELECT count(*) FROM livehook.stream_events WHERE stream = 'dbdown'" 1 6 ||
    e2e_not_ok "dbdown: the publish was stored before the outage"
pg_ctl_do -w -m fast stop >/dev/null 2>&1
wait "$pub"
e2e_expect "dbdown: ffmpeg published 8 s while PostgreSQL was down (exit 0)" "0" "$?"
sleep 1
spooled=$(find "$STACK_DIR/spool" -type f -name '*.json*' | wc -l)
e2e_expect "dbdown: heartbeats, publish_done and record_done went to the spool" "yes" \
    "$([ "$spooled" -ge 3 ] && echo yes || echo "no ($spooled files)")"
pg_restart_server
# The workers replay the spool once the database answers (a request wakes them).
for _ in $(seq 1 30); do
	"${CURL:-curl}" -s -o /dev/null "$STACK_URL/readyz"
	[ "$(e2e_sql "SELECT count(*) FROM livehook.stream_events WHERE stream = 'dbdown' AND event = 'unpublish'")" = 1 ] && break
	sleep 0.5
done
wait_sql "SELECT count(*) FROM livehook.recordings WHERE stream = 'dbdown'" 1 5
e2e_expect "dbdown: every event landed once (publish, unpublish, recording; no duplicate keys)" \
    "publish|unpublish|1|0" \
    "$(e2e_sql "SELECT string_agg(event, '|' ORDER BY event_time) FROM livehook.stream_events WHERE stream = 'dbdown'")|$(e2e_sql "SELECT count(*) FROM livehook.recordings WHERE stream = 'dbdown'")|$(e2e_sql "SELECT count(*) - count(DISTINCT event_key) FROM livehook.callbacks")"
e2e_expect "dbdown: the spool is empty" "0" "$(find "$STACK_DIR/spool" -type f -name '*.json*' | wc -l)"
e2e_expect "dbdown: its session ended (not live, not timed out)" "t|0" \
    "$(e2e_sql "SELECT ended_at IS NOT NULL FROM livehook.stream_sessions WHERE stream = 'dbdown'")|$(e2e_sql "SELECT count(*) FROM livehook.live_now")"

# 5. PostgreSQL hangs (every process SIGSTOPped) during a publish, with
# the shipped [database] timeout (5 s): the hooks are answered from the
# spool within nginx-rtmp's netcall_timeout (10 s), so a new publish is
# accepted and the live stream is not dropped by a failed on_update.
publish "$("$send" --publish-url "$RTMP/hung1")" 14 >"$work/pub5.err" 2>&1 &
pub=$!
bgpids+=("$pub")
wait_sql "SELECT count(*) FROM livehook.stream_events WHERE stream = 'hung1'" 1 6 ||
    e2e_not_ok "hung: the first publish was stored before the hang"
pg_freeze STOP
sleep 1
t0=$(date +%s%N)
publish "$("$send" --publish-url "$RTMP/hung2")" 3 >"$work/pub6.err" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
e2e_expect "hung: a publish while PostgreSQL hangs is accepted and runs its 3 s (exit 0)" "0" "$rc"
e2e_expect "  ... its on_publish was answered well within netcall_timeout (${ms} ms for 3 s of stream)" "yes" \
    "$([ "$ms" -lt 11000 ] && echo yes || echo no)"
sleep 4
pg_freeze CONT
wait "$pub"
e2e_expect "hung: the stream live during the hang was not dropped (ffmpeg exit 0)" "0" "$?"
for _ in $(seq 1 30); do
	"${CURL:-curl}" -s -o /dev/null "$STACK_URL/readyz"
	[ "$(e2e_sql "SELECT count(*) FROM livehook.stream_events WHERE stream IN ('hung1', 'hung2') AND event = 'unpublish'")" = 2 ] && break
	sleep 0.5
done
e2e_expect "hung: both sessions landed once, each with its publish and unpublish" "hung1|publish,unpublish
hung2|publish,unpublish" \
    "$(e2e_sql "SELECT stream, string_agg(event, ',' ORDER BY event_time) FROM livehook.stream_events WHERE stream LIKE 'hung%' GROUP BY 1 ORDER BY 1")"

echo "# e2e-rtmp: $((_e2e_n - _e2e_fail)) passed, $_e2e_fail failed"
[ "$_e2e_fail" -eq 0 ] || { stack_log; exit 1; }
