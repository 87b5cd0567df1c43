#!/bin/bash
# e2e-srs.sh -- SRS hooks replayed through lighttpd + spawn-fcgi + livehook into a throwaway PostgreSQL.
#
# SRS is not packaged for Debian (reference/selfhosted.md 3.1), so a CI cannot run it: this test
# replays the bodies each SRS version sends (the shapes of srs_app_http_hooks.cpp on the 3.0, 4.0,
# 5.0, 6.0 and 7.0 branches, with the SRS 6.0.157 captures as the model; selfhosted.md 1.4, 1.5),
# one whole publish session per version, and checks what SRS would accept (status 200 and a JSON
# object whose integer code is 0; on_forward's urls) and the rows each session leaves.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir

. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/e2e.sh"

TOKEN=srs-e2e-path-token-0123456789abcdef
STACK_EXTRA_VENDORS="
[srs]
token = $TOKEN
domain = live.example.com"
trap pg_stop EXIT
PG_FAST=1 pg_start || { echo "FAIL - cannot start PostgreSQL"; exit 1; }
stack_start || { echo "FAIL - cannot start lighttpd + livehook"; exit 1; }
url=$STACK_URL/srs/$TOKEN

# srs_body VERSION ACTION CLIENT_ID STREAM: the body SRS VERSION (3..7) sends.
srs_body() {
	local v=$1 a=$2 cid=$3 s=$4 head tc='' tail='' extra
	case $v in
	3) head="\"action\":\"$a\",\"client_id\":$cid" ;;
	4) head="\"server_id\":\"vid-k21d7y2\",\"action\":\"$a\",\"client_id\":\"$cid\"" ;;
	5) head="\"server_id\":\"vid-51x0a2c\",\"action\":\"$a\",\"client_id\":\"$cid\"" ;;
	*) head="\"server_id\":\"vid-2681436\",\"service_id\":\"g0040${v}f4\",\"action\":\"$a\",\"client_id\":\"$cid\"" ;;
	esac
	head="$head,\"ip\":\"10.0.0.$v\",\"vhost\":\"__defaultVhost__\",\"app\":\"live\""
	# tcUrl on every stream hook and the stream_url/stream_id tail since 5.0.55.
	if [ "$v" -ge 5 ]; then
		tc="\"tcUrl\":\"rtmp://10.0.0.1:1935/live\","
		tail=",\"stream_url\":\"/live/$s\",\"stream_id\":\"vid-7909nvp\""
	fi
	case $a in
	on_connect) extra="\"tcUrl\":\"rtmp://10.0.0.1:1935/live\",\"pageUrl\":\"\"" ; tail= ;;
	on_publish) extra="\"tcUrl\":\"rtmp://10.0.0.1:1935/live\",\"stream\":\"$s\",\"param\":\"?token=abc\"" ;;
	on_unpublish | on_stop) extra="$tc\"stream\":\"$s\",\"param\":\"?token=abc\"" ;;
	on_play) extra="\"stream\":\"$s\",$tc\"param\":\"?ptoken=p1\",\"pageUrl\":\"\"" ;;
	on_dvr) extra="$tc\"stream\":\"$s\",\"param\":\"\",\"cwd\":\"/opt/srs\",\"file\":\"./objs/nginx/html/live/$s.$(($(date +%s%3N) - 4000)).flv\"" ;;
	on_hls) extra="$tc\"stream\":\"$s\",\"param\":\"\",\"duration\":2.02,\"cwd\":\"/opt/srs\",\"file\":\"./objs/nginx/html/live/$s-0.ts\",\"url\":\"live/$s-0.ts\",\"m3u8\":\"./objs/nginx/html/live/$s.m3u8\",\"m3u8_url\":\"live/$s.m3u8\",\"seq_no\":0" ;;
	on_close) extra="\"send_bytes\":73062,\"recv_bytes\":3533" ; tail= ;;
	on_forward) extra="\"tcUrl\":\"rtmp://10.0.0.1:1935/live\",\"stream\":\"$s\",\"param\":\"\"" ; tail= ;;
	esac
	printf '{%s,%s%s}' "$head" "$extra" "$tail"
}

# hook VERSION ACTION CLIENT_ID STREAM: POST it; 0 when SRS would accept the answer
# (do_post: status 200/201 and body "0" or a JSON object whose integer code is 0).
hook() {
	local f
	f=$(mktemp)
	srs_body "$@" >"$f"
	e2e_http POST "$url" "$f"
	rm -f "$f"
	case $HTTP_STATUS in 200 | 201) ;; *) return 1 ;; esac
	[[ $HTTP_BODY =~ ^\{\"code\":0[,}] ]]
}

for v in 3 4 5 6 7; do
	s=cam-v$v pub=10$v ply=20$v
	[ "$v" -ge 4 ] && pub=p${v}x7k2m1 ply=v${v}q0w9e8
	bad=
	for step in "on_connect $pub" "on_publish $pub" "on_hls $pub" "on_play $ply" "on_hls $pub" \
	    "on_stop $ply" "on_dvr $pub" "on_unpublish $pub" "on_close $pub"; do
		set -- $step
		hook "$v" "$1" "$2" "$s" || bad="$bad $1:$HTTP_STATUS:$HTTP_BODY"
		sleep 0.05
	done
	e2e_expect "SRS $v: every hook of a session answered as SRS accepts" "" "$bad"
	e2e_expect "SRS $v: publish and unpublish of one session, the default vhost stored as [srs] domain" \
	    "live.example.com|publish|$pub
live.example.com|unpublish|$pub" \
	    "$(e2e_sql "SELECT domain, event, session_key FROM livehook.stream_events WHERE stream = '$s' ORDER BY event_time")"
	e2e_expect "SRS $v: one recording file, its start from dvr_path [timestamp]" "flv|t" \
	    "$(e2e_sql "SELECT format, start_time IS NOT NULL FROM livehook.recording_files WHERE stream = '$s'")"
	e2e_expect "SRS $v: one play session (on_play, on_stop)" "$ply|t" \
	    "$(e2e_sql "SELECT client_id, ended_at IS NOT NULL FROM livehook.play_sessions WHERE stream = '$s'")"
	e2e_expect "SRS $v: on_hls refreshed last_heartbeat and left no callbacks row" "t|0" \
	    "$(e2e_sql "SELECT last_heartbeat IS NOT NULL FROM livehook.streams WHERE stream = '$s'")|$(e2e_sql "SELECT count(*) FROM livehook.callbacks WHERE vendor_event = 'on_hls'")"
	e2e_expect "SRS $v: on_connect and on_close kept as other" "2" \
	    "$(e2e_sql "SELECT count(*) FROM livehook.callbacks WHERE kind = 'other' AND (stream = '$s' OR stream IS NULL) AND payload->>'client_id' = '$pub'")"
done
e2e_expect "callbacks: 7 rows per version (no on_hls)" "35" "$(e2e_sql "SELECT count(*) FROM livehook.callbacks")"

# on_forward wants {"code":0,"data":{"urls":[...]}}; nothing is stored.
f=$(mktemp)
srs_body 7 on_forward fwd00001 cam-v7 >"$f"
e2e_http POST "$url" "$f"
rm -f "$f"
e2e_expect "on_forward: answered with no URLs to forward to" '200 {"code":0,"data":{"urls":[]}}' "$HTTP_STATUS $HTTP_BODY"
# on_hls_notify is a GET of the operator's template: answered, nothing stored.
e2e_http GET "$url?app=live&stream=cam-v7&ts_url=live/cam-v7-0.ts"
e2e_expect "on_hls_notify (GET): answered" "200" "$HTTP_STATUS"
e2e_expect "  ... nothing stored for either" "35" "$(e2e_sql "SELECT count(*) FROM livehook.callbacks")"

# SRS >= 6.0.139: a busy-refused second publisher gets on_publish and no
# on_unpublish; the live session stays the first one's.
hook 6 on_publish firstpub cam-dup && hook 6 on_hls firstpub cam-dup && hook 6 on_publish secondpb cam-dup
e2e_expect "duplicate publisher: the first session stays live" "cam-dup|firstpub" \
    "$(e2e_sql "SELECT stream, session_key FROM livehook.live_now WHERE stream = 'cam-dup'")"
hook 6 on_unpublish firstpub cam-dup
e2e_expect "  ... its unpublish ends the stream; the duplicate never was a session" "0|firstpub" \
    "$(e2e_sql "SELECT count(*) FROM livehook.live_now WHERE stream = 'cam-dup'")|$(e2e_sql "SELECT string_agg(session_key, ',') FROM livehook.stream_sessions WHERE stream = 'cam-dup'")"

# Refusals SRS would see as a denial, with their reason logged.
printf '{"action":"on_publish","client_id":1.5,"vhost":"v","app":"live","stream":"x"}' >"$STACK_DIR/bad.json"
e2e_http POST "$url" "$STACK_DIR/bad.json"
e2e_expect "client_id neither string nor integer: 400" "400" "$HTTP_STATUS"
srs_body 6 on_publish notoken1 cam-x >"$STACK_DIR/nt.json"
e2e_http POST "$STACK_URL/srs" "$STACK_DIR/nt.json"
e2e_expect "without the path token: 403" "403" "$HTTP_STATUS"

echo "# e2e-srs: $((_e2e_n - _e2e_fail)) passed, $_e2e_fail failed"
[ "$_e2e_fail" -eq 0 ] || { stack_log; exit 1; }
