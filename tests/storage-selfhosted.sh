#!/bin/bash
# storage-selfhosted.sh -- the self-hosted servers' rows against a real PostgreSQL (SPEC section 11):
# heartbeats without callbacks rows, heartbeat timeout, duplicate publishers, plays, viewers, daily plays.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
. "$top_srcdir/tests/lib/pg.sh"

client=$top_builddir/tests/store_client
passed=0 failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-selfhosted.XXXXXX")
cleanup() { pg_stop; rm -rf "$work"; }
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		fail "$1"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /'
	fi
}
q() { psql -X -A -t -q -F '|' -c "$1"; }

PG_FAST=1 pg_start || { echo "FAIL - cannot start PostgreSQL"; exit 1; }
conn=$PG_CONNINFO

# One event as event_row_json() writes it: ev VENDOR KIND STREAM KEY MS_AGO [TIMEOUT]
now=$(date +%s%3N)
n=0
ev() {
	n=$((n + 1))
	printf '{"vendor":"%s","kind":"%s","auth":"unsigned","event":"%s","event_key":"k%d","remote_addr":"127.0.0.1","received_at":%d,"domain":"live.example.com","app":"live","stream":"%s","event_time":%d,"event_time_received":true,"session_key":"%s","client_ip":"10.0.0.%d","heartbeat_timeout":%d,"payload":{}}\n' \
	    "$1" "$2" "$2" "$n" "$(($now - $5))" "$3" "$(($now - $5))" "$4" "$n" "${6:-90}"
}
run() { "$client" "$conn" "$1"; }

# 1. A session with heartbeats: no callbacks rows for them, last_heartbeat follows.
{ ev nginx-rtmp publish cam1 9 60000
  ev nginx-rtmp heartbeat cam1 9 50000
  ev nginx-rtmp heartbeat cam1 9 40000
  ev nginx-rtmp play cam1 12 45000
  ev nginx-rtmp heartbeat cam1 9 30000; } >"$work/a.jsonl"
check "publish, play and three heartbeats: all answered ok" "ok 5 duplicate 0 retry 0 refused 0" "$(run "$work/a.jsonl")"
check "heartbeats add no callbacks row" "2" "$(q "SELECT count(*) FROM livehook.callbacks WHERE stream = 'cam1'")"
check "streams.last_heartbeat is the newest heartbeat" "t|t" \
    "$(q "SELECT live, abs(extract(epoch FROM last_heartbeat) * 1000 - ($now - 30000)) < 2 FROM livehook.streams WHERE stream = 'cam1'")"
check "live_now shows cam1 (heartbeat 30 s old, timeout 90 s)" "cam1" \
    "$(q "SELECT stream FROM livehook.live_now WHERE stream = 'cam1'")"
check "viewers_now: one viewer" "cam1|1" "$(q "SELECT stream, viewers FROM livehook.viewers_now")"

# 2. Duplicate publisher (nginx-rtmp): publish and publish_done of clientid 64 while 9 is live.
{ ev nginx-rtmp publish cam1 64 20000
  ev nginx-rtmp unpublish cam1 64 19995; } >"$work/b.jsonl"
run "$work/b.jsonl" >/dev/null
check "nginx-rtmp duplicate: cam1 stays live under session 9" "t|9" \
    "$(q "SELECT live, session_key FROM livehook.streams WHERE stream = 'cam1'")"
check "nginx-rtmp duplicate: no second session in stream_sessions" "9|" \
    "$(q "SELECT session_key, ended_at FROM livehook.stream_sessions WHERE stream = 'cam1' ORDER BY started_at")"

# 3. Duplicate publisher (SRS >= 6.0.139): a publish of B and no unpublish; then A ends.
{ ev srs publish cam2 aaaaaaaa 60000 60
  ev srs heartbeat cam2 aaaaaaaa 50000 60
  ev srs publish cam2 bbbbbbbb 40000 60; } >"$work/c.jsonl"
run "$work/c.jsonl" >/dev/null
check "SRS duplicate: cam2 stays live under A" "t|aaaaaaaa" \
    "$(q "SELECT live, session_key FROM livehook.streams WHERE stream = 'cam2'")"
ev srs unpublish cam2 aaaaaaaa 10000 60 >"$work/d.jsonl"
run "$work/d.jsonl" >/dev/null
check "SRS duplicate: A's unpublish ends the stream; B never became live" "f" \
    "$(q "SELECT live FROM livehook.streams WHERE stream = 'cam2'")"
check "SRS duplicate: one session, ended" "aaaaaaaa|t" \
    "$(q "SELECT session_key, ended_at IS NOT NULL FROM livehook.stream_sessions WHERE stream = 'cam2'")"
# An unpublish under another key never ends the live session.
{ ev srs publish cam3 cccccccc 30000 60
  ev srs unpublish cam3 dddddddd 20000 60; } >"$work/e.jsonl"
run "$work/e.jsonl" >/dev/null
check "an unpublish of another session key leaves the stream live" "t|cccccccc" \
    "$(q "SELECT live, session_key FROM livehook.streams WHERE stream = 'cam3'")"

# 4. A server that died: heartbeats stopped longer ago than the timeout.
{ ev nginx-rtmp publish dead 5 120000 10
  ev nginx-rtmp heartbeat dead 5 100000 10
  ev nginx-rtmp heartbeat dead 5 90000 10; } >"$work/f.jsonl"
run "$work/f.jsonl" >/dev/null
check "dead server: not in live_now after heartbeat_timeout" "" \
    "$(q "SELECT stream FROM livehook.live_now WHERE stream = 'dead'")"
check "dead server: its session ended at the last heartbeat" "t" \
    "$(q "SELECT abs(extract(epoch FROM ended_at) * 1000 - ($now - 90000)) < 2 FROM livehook.stream_sessions WHERE stream = 'dead'")"
check "a stream without heartbeats is not timed out" "cam3" \
    "$(q "SELECT stream FROM livehook.live_now WHERE stream = 'cam3'")"
# heartbeat_timeout = 0 turns the timeout off.
{ ev nginx-rtmp publish off 6 120000 0
  ev nginx-rtmp heartbeat off 6 100000 0; } >"$work/g.jsonl"
run "$work/g.jsonl" >/dev/null
check "heartbeat_timeout 0: stays live" "off" "$(q "SELECT stream FROM livehook.live_now WHERE stream = 'off'")"
# After a dead server comes back, a new publish (new key) is live at once.
ev nginx-rtmp publish dead 1 5000 10 >"$work/h.jsonl"
run "$work/h.jsonl" >/dev/null
check "republish after the timeout: live under the new session" "dead|1" \
    "$(q "SELECT stream, session_key FROM livehook.live_now WHERE stream = 'dead'")"

# nginx restarted: clientid 1 again for the same stream, a new session.
{ ev nginx-rtmp publish again 1 50000
  ev nginx-rtmp unpublish again 1 40000; } >"$work/r1.jsonl"
run "$work/r1.jsonl" >/dev/null
ev nginx-rtmp publish again 1 10000 >"$work/r2.jsonl"
run "$work/r2.jsonl" >/dev/null
check "a client id used again: two sessions, the new one live" "t|f
f|t
t" "$(q "SELECT ended_at IS NOT NULL, session_key = '1' FROM livehook.stream_sessions WHERE stream = 'again' ORDER BY started_at")
$(q "SELECT live FROM livehook.streams WHERE stream = 'again'")"
check "  ... the old one kept its row as 1@<start ms>, its unpublish counted once" "1|1" \
    "$(q "SELECT count(*) FROM livehook.sessions WHERE stream = 'again' AND session_key LIKE '1@%'")|$(q "SELECT count(*) FROM livehook.stream_sessions WHERE stream = 'again' AND duration = interval '10 s'")"

# 5. Plays: sessions, viewers, daily plays and watched time.
{ ev nginx-rtmp play_done cam1 12 15000
  ev nginx-rtmp play cam1 13 14000; } >"$work/i.jsonl"
run "$work/i.jsonl" >/dev/null
check "play_sessions: one ended (30 s), one open" "12|00:00:30
13|" "$(q "SELECT client_id, duration FROM livehook.play_sessions WHERE stream = 'cam1' ORDER BY started_at")"
check "viewers_now: still one viewer (13)" "cam1|1" "$(q "SELECT stream, viewers FROM livehook.viewers_now")"
check "daily_usage: 2 plays, 30 s watched (nginx-rtmp)" "2|00:00:30" \
    "$(q "SELECT sum(plays), sum(watched_time) FROM livehook.daily_usage WHERE vendor = 'nginx-rtmp'")"
check "play events stored again are duplicates" "ok 0 duplicate 2 retry 0 refused 0" "$(run "$work/i.jsonl")"
check "daily_usage unchanged by the duplicates" "2|00:00:30" \
    "$(q "SELECT sum(plays), sum(watched_time) FROM livehook.daily_usage WHERE vendor = 'nginx-rtmp'")"
check "timeline shows plays" "play
play_done
play" "$(q "SELECT kind FROM livehook.timeline WHERE stream = 'cam1' AND kind LIKE 'play%' ORDER BY event_time")"

# A viewer whose heartbeats (update_play) stopped: no longer a viewer.
{ ev nginx-rtmp publish vw 30 300000
  ev nginx-rtmp heartbeat vw 30 20000
  ev nginx-rtmp play vw 15 250000
  ev nginx-rtmp play_heartbeat vw 15 240000
  ev nginx-rtmp play_heartbeat vw 15 200000
  ev nginx-rtmp play vw 16 100000
  ev nginx-rtmp play_heartbeat vw 16 10000; } >"$work/j.jsonl"
check "plays and play heartbeats: all ok" "ok 7 duplicate 0 retry 0 refused 0" "$(run "$work/j.jsonl")"
check "  ... play heartbeats add no callbacks row" "3" "$(q "SELECT count(*) FROM livehook.callbacks WHERE stream = 'vw'")"
check "  ... a play whose heartbeats stopped ends at its last one; the other is open" "15|t
16|" "$(q "SELECT client_id, abs(extract(epoch FROM ended_at) * 1000 - ($now - 200000)) < 2 FROM livehook.play_sessions WHERE stream = 'vw' ORDER BY 1")"
check "  ... viewers_now counts the open one" "vw|1" "$(q "SELECT stream, viewers FROM livehook.viewers_now WHERE stream = 'vw'")"

# 6. Heartbeats replayed (e.g. from the spool) are answered ok again and change nothing.
check "stored twice: publish and play duplicates, the three heartbeats ok" "ok 3 duplicate 2 retry 0 refused 0" \
    "$(run "$work/a.jsonl")"

echo "# storage-selfhosted: $passed passed, $failed failed"
[ "$failed" = 0 ]
