# e2e.sh -- the end-to-end checks every web server must pass (sourced by tests/e2e-*.sh, bash).
#
#   e2e_checks BASEURL     BASEURL: where the livehook prefix answers,
#                          e.g. http://127.0.0.1:8080/livehook
# Needs top_srcdir, the PG* variables of tests/lib/pg.sh and the LH_KEY_*
# variables of tests/lib/stack.sh.  Prints "ok - ..." or "FAIL - ..." per
# check; returns the number of failures (0: all passed).

_e2e_fail=0
_e2e_n=0

e2e_ok() {
	_e2e_n=$((_e2e_n + 1))
	echo "ok $_e2e_n - $*"
}

e2e_not_ok() {
	_e2e_n=$((_e2e_n + 1))
	_e2e_fail=$((_e2e_fail + 1))
	echo "FAIL $_e2e_n - $*"
}

# e2e_expect NAME EXPECTED GOT
e2e_expect() {
	if [ "$2" = "$3" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1: expected [$2], got [$3]"
	fi
}

# e2e_http METHOD URL [BODYFILE [curl args...]]: sets HTTP_STATUS, HTTP_BODY.
e2e_http() {
	local method=$1 url=$2 file=${3:-} out
	shift 2
	[ $# -gt 0 ] && shift
	if [ -n "$file" ]; then
		out=$("${CURL:-curl}" -sS --max-time 20 -w '\n%{http_code}' -X "$method" \
		    -H 'Content-Type: application/json' --data-binary "@$file" "$@" "$url" 2>&1)
	else
		out=$("${CURL:-curl}" -sS --max-time 20 -w '\n%{http_code}' -X "$method" "$@" "$url" 2>&1)
	fi
	HTTP_STATUS=${out##*$'\n'}
	HTTP_BODY=${out%$'\n'*}
	[ "$HTTP_BODY" = "$out" ] && HTTP_BODY=
}

e2e_sql() {
	"${PSQL:-psql}" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1
}

e2e_md5() {
	local out
	out=$(printf '%s' "$1" | openssl dgst -md5 -r)
	printf '%s\n' "${out%% *}"
}

# The repaired seed 003 sample re-signed at time ts with key: the fixture
# keeps the vendor's placeholder signature and its 2020 timestamp.
# e2e_huawei_fixture OUTFILE TS KEY
e2e_huawei_fixture() {
	sed -e "s/\"auth_timestamp\" : \"[0-9]*\"/\"auth_timestamp\" : \"$2\"/" \
	    -e "s/\"auth_sign\" : \"[^\"]*\"/\"auth_sign\" : \"$(e2e_md5 "$3$2")\"/" \
	    "$top_srcdir/tests/data/huawei/record_file_complete.json" >"$1"
}

# e2e_send_expect NAME PATTERN livehook-send-args...: the sender's output
# line matches the shell pattern.
e2e_send_expect() {
	local name=$1 pat=$2 out
	shift 2
	out=$("$top_srcdir/contrib/livehook-send" "$@" 2>&1)
	# shellcheck disable=SC2254
	case $out in
	$pat) e2e_ok "$name" ;;
	*) e2e_not_ok "$name: [$out]" ;;
	esac
}

# The fixtures of tests/data/ivs and tests/data/mux whose section is the
# default one, through the web server: each answered as its file says
# (the later cases of an event_key_group "duplicate"; other 200 cases
# may repeat an earlier case's event id, then they are duplicates too).  IVS bodies carry the
# fixture's key value, replaced by the stack's; Mux bodies are re-signed
# now with the stack's secret (their t would be outside the window).
# e2e_cloud_fixtures BASE TMP
e2e_cloud_fixtures() {
	local base=$1 tmp=$2 f v name want group got now bad=0 n=0 groups=" "
	local -a hdr
	for f in "$top_srcdir"/tests/data/ivs/*.case "$top_srcdir"/tests/data/mux/*.case; do
		v=${f%/*}
		v=${v##*/}
		name=$v/$(basename "$f" .case)
		case "$v:$(grep '^config ' "$f" | tr '\n' '|')" in
		"ivs:config header = X-Livehook-Key|config key = ivs-api-key-0123456789abcdef|") ;;
		"mux:config key = mux-signing-secret-0123456789|") ;;
		*) continue ;;
		esac
		want=$(sed -n 's/^expect status //p' "$f")
		# A signature case only means something with the fixture's own key.
		[ "$v" = mux ] && [ "$want" = 403 ] && continue
		sed -n '/^body$/,$p' "$f" | tail -n +2 | head -c -1 >"$tmp/fx.body"
		hdr=()
		if [ "$v" = ivs ]; then
			case $(sed -n 's/^header HTTP_X_LIVEHOOK_KEY //p' "$f") in
			'') ;;
			ivs-api-key-0123456789abcdef) hdr=(-H "X-Livehook-Key: $LH_KEY_IVS") ;;
			*) hdr=(-H "X-Livehook-Key: $(sed -n 's/^header HTTP_X_LIVEHOOK_KEY //p' "$f")") ;;
			esac
		else
			now=$(date +%s)
			hdr=(-H "Mux-Signature: t=$now,v1=$(printf '%s.' "$now" | cat - "$tmp/fx.body" |
			    openssl dgst -sha256 -mac HMAC -macopt "key:$LH_KEY_MUX" -r | cut -d' ' -f1)")
		fi
		e2e_http POST "$base/$v" "$tmp/fx.body" "${hdr[@]}"
		got="$HTTP_STATUS"
		group=$(sed -n 's/^expect event_key_group //p' "$f")
		if [ "$want" = 200 ] && [ -n "$group" ]; then
			# Cases of one group are the same event: the later ones duplicates.
			case $groups in
			*" $group "*) want='200 {"code":0,"message":"duplicate"}' ;;
			*) want='200 {"code":0,"message":"ok"}' ;;
			esac
			groups="$groups$group "
			got="$HTTP_STATUS $HTTP_BODY"
		fi
		n=$((n + 1))
		if [ "$got" != "$want" ]; then
			echo "#   $name: expected [$want], got [$got]"
			bad=$((bad + 1))
		fi
	done
	if [ "$bad" = 0 ] && [ "$n" -ge 40 ]; then
		e2e_ok "ivs and mux fixtures through the web server: $n answered as their files say"
	else
		e2e_not_ok "ivs and mux fixtures through the web server: $bad of $n answered otherwise"
	fi
}

# AWS IVS and Mux: their events in the views, their credentials, their
# redeliveries (SPEC section 11).  e2e_global_clouds BASE TMP
e2e_global_clouds() {
	local base=$1 tmp=$2 send=$top_srcdir/contrib/livehook-send row n s now
	now=$(date +%s)

	e2e_cloud_fixtures "$base" "$tmp"

	# IVS: a session of channel ivs-e2e, recorded, in the views.
	s=ivs-e2e-$$
	e2e_send_expect "ivs Stream Start (X-Livehook-Key): ok" '* 200 *ok*' -s "$s" -t "$now" "$base" ivs publish
	e2e_send_expect "ivs Recording Start: ok" '* 200 *ok*' -s "$s" -t "$now" "$base" ivs record_started
	e2e_send_expect "ivs Recording End: ok" '* 200 *ok*' -s "$s" -t "$now" "$base" ivs record_over
	row=$(e2e_sql "SELECT domain, app, stream, session_key IS NOT NULL FROM livehook.live_now WHERE vendor = 'ivs' AND stream = '$s'")
	e2e_expect "ivs: the channel is in live_now" "123456789012.us-west-2|ivs|$s|t" "$row"
	row=$(e2e_sql "SELECT event, extract(epoch FROM duration)::bigint, storage_path LIKE 's3://livehook-demo-recordings/ivs/v1/123456789012/$s/%'
	    FROM livehook.recordings WHERE vendor = 'ivs' AND stream = '$s' ORDER BY event_time")
	e2e_expect "ivs: recordings with the S3 location and recording_duration_ms" "record_started|0|t"$'\n'"record_over|294|t" "$row"
	e2e_send_expect "ivs Stream End: ok" '* 200 *ok*' -s "$s" -t "$now" "$base" ivs unpublish
	row=$(e2e_sql "SELECT extract(epoch FROM duration)::bigint FROM livehook.stream_sessions WHERE vendor = 'ivs' AND stream = '$s'")
	e2e_expect "ivs: stream_sessions pairs Stream Start and End by stream_id" 300 "$row"
	n=$(e2e_sql "SELECT count(*) FROM livehook.live_now WHERE vendor = 'ivs' AND stream = '$s'")
	e2e_expect "ivs: not live after Stream End" 0 "$n"
	n=$(e2e_sql "SELECT count(*) FROM livehook.timeline WHERE vendor = 'ivs' AND stream = '$s'")
	e2e_expect "ivs: four events in the timeline" 4 "$n"
	n=$(e2e_sql "SELECT count(DISTINCT auth) || ' ' || min(auth) FROM livehook.callbacks WHERE vendor = 'ivs'")
	e2e_expect "ivs: callbacks.auth is token" "1 token" "$n"
	e2e_send_expect "ivs: an event with a fixed id: ok" '* 200 *ok*' -n "$base" ivs publish
	e2e_send_expect "ivs: the same event id again, its time 2 h off (no window): duplicate" '* 200 *duplicate*' \
	    -n -t "$((now - 7200))" "$base" ivs publish
	"$send" -p "$base" ivs publish | sed -n '$p' >"$tmp/ivs.json"
	e2e_http POST "$base/ivs" "$tmp/ivs.json"
	e2e_expect "ivs without the X-Livehook-Key header: 403" \
	    '403 {"code":403,"message":"X-Livehook-Key header missing"}' "$HTTP_STATUS $HTTP_BODY"
	e2e_http POST "$base/ivs" "$tmp/ivs.json" -H "X-Livehook-Key: ${LH_KEY_IVS}x"
	e2e_expect "ivs with a wrong X-Livehook-Key value: 403" 403 "$HTTP_STATUS"
	LH_IVS_HEADER=Authorization e2e_send_expect "ivs HTTP Basic (a domain with header = Authorization): ok" '* 200 *ok*' \
	    -d 222222222222.eu-west-1 -k "$LH_KEY_IVS_BASIC" "$base" ivs publish
	e2e_send_expect "ivs: that domain's value in X-Livehook-Key: 403" '* 403 *Authorization header missing*' \
	    -d 222222222222.eu-west-1 -k "$LH_KEY_IVS_BASIC" "$base" ivs unpublish
	LH_IVS_HEADER=Authorization e2e_send_expect "ivs HTTP Basic with a wrong password: 403" '* 403 *' \
	    -d 222222222222.eu-west-1 -k "Basic $(printf 'eventbridge:guess' | base64)" "$base" ivs publish

	# Mux: a live stream, its asset, in the views; stream_key never stored.
	s=mux-e2e-$$
	e2e_send_expect "mux video.live_stream.active: ok" '* 200 *ok*' -s "$s" -t "$now" "$base" mux publish
	row=$(e2e_sql "SELECT domain, app, stream, session_key FROM livehook.live_now WHERE vendor = 'mux' AND stream = '$s'")
	case $row in
	"j0863n|mux|$s|"*AsSeT*) e2e_ok "mux: the live stream is in live_now, its active asset the session" ;;
	*) e2e_not_ok "mux: live_now: [$row]" ;;
	esac
	e2e_send_expect "mux video.live_stream.disconnected (other): ok" '* 200 *ok*' -s "$s" -t "$now" "$base" mux other
	n=$(e2e_sql "SELECT count(*) FROM livehook.live_now WHERE vendor = 'mux' AND stream = '$s'")
	e2e_expect "mux: still live after disconnected (the reconnect window)" 1 "$n"
	e2e_send_expect "mux video.live_stream.idle: ok" '* 200 *ok*' -s "$s" -t "$now" "$base" mux unpublish
	e2e_send_expect "mux video.asset.live_stream_completed: ok" '* 200 *ok*' -s "$s" -t "$now" "$base" mux record_file_complete
	row=$(e2e_sql "SELECT domain, extract(epoch FROM duration)::numeric(10,2), play_url LIKE 'https://stream.mux.com/%.m3u8'
	    FROM livehook.recording_files WHERE vendor = 'mux' AND stream = '$s'")
	e2e_expect "mux: the live stream's asset in recording_files" "j0863n|295.48|t" "$row"
	row=$(e2e_sql "SELECT extract(epoch FROM duration)::bigint FROM livehook.stream_sessions WHERE vendor = 'mux' AND stream = '$s'")
	e2e_expect "mux: stream_sessions pairs active and idle by asset" 300 "$row"
	n=$(e2e_sql "SELECT count(*) FROM livehook.daily_usage WHERE vendor = 'mux' AND domain = 'j0863n'
	    AND day = (now() AT TIME ZONE 'UTC')::date AND recording_files > 0")
	e2e_expect "mux: daily_usage counts the recording" 1 "$n"
	n=$(e2e_sql "SELECT count(*) FILTER (WHERE payload->'data' ? 'stream_key' OR payload::text LIKE '%secret-stream-key%') || '/' || count(*)
	    FROM livehook.callbacks WHERE vendor = 'mux' AND payload->>'type' LIKE 'video.live_stream.%'")
	case $n in
	0/0) e2e_not_ok "mux: no live stream callbacks stored" ;;
	0/*) e2e_ok "mux: data.stream_key is in none of the ${n#0/} stored payloads" ;;
	*) e2e_not_ok "mux: data.stream_key stored: $n" ;;
	esac
	if grep -rqs -- "secret-stream-key" "$STACK_DIR"/*.log; then
		e2e_not_ok "mux: a stream key appears in the logs"
	else
		e2e_ok "mux: no stream key in the logs"
	fi

	# Mux signatures.
	e2e_send_expect "mux signed with a wrong secret: 403" '* 403 *wrong signature*' -k not-the-secret "$base" mux publish
	e2e_send_expect "mux signed with the previous secret (rotation): ok" '* 200 *ok*' -k "$LH_KEY_MUX_OLD" "$base" mux publish
	e2e_send_expect "mux signed 400 s ago (tolerance 300): 403" '* 403 *window*' -t "$((now - 400))" "$base" mux publish
	"$send" -p "$base" mux publish | sed -n '$p' >"$tmp/mux.json"
	e2e_http POST "$base/mux" "$tmp/mux.json"
	e2e_expect "mux without Mux-Signature: 403" 403 "$HTTP_STATUS"

	# A redelivery: the same event id, attempts[] grown, signed anew.
	e2e_send_expect "mux event, first attempt: ok" '* 200 *ok*' -n -a 0 "$base" mux record_file_complete
	e2e_send_expect "mux the same event with two failed attempts listed: duplicate" '* 200 *duplicate*' -n -a 2 "$base" mux record_file_complete
	"$send" -p -n -a 3 "$base" mux record_file_complete | sed -n '$p' >"$tmp/mux3.json"
	n=$(e2e_sql "SELECT count(*) || ' ' || min(jsonb_array_length(payload->'attempts'))
	    FROM livehook.callbacks WHERE vendor = 'mux' AND payload->>'id' = '$(sed 's/.*"id":"\([0-9a-f-]*\)","environment".*/\1/' "$tmp/mux3.json")'")
	e2e_expect "mux: the redelivery stored nothing (one callback, the first attempt's)" "1 0" "$n"
}

e2e_checks() {
	local base=$1 tmp now row n send
	send=$top_srcdir/contrib/livehook-send
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/livehook-e2e.XXXXXX") || return 1
	now=$(date +%s)

	# The sender signs as reference/vendors.md section 7 says.
	if "$send" --selftest >"$tmp/out" 2>&1; then
		e2e_ok "livehook-send --selftest: the signature test vectors"
	else
		e2e_not_ok "livehook-send --selftest: $(grep FAIL "$tmp/out")"
	fi

	e2e_http GET "$base/healthz"
	e2e_expect "/healthz answers 200" 200 "$HTTP_STATUS"
	e2e_http GET "$base/readyz"
	e2e_expect "/readyz answers 200 while the database answers" 200 "$HTTP_STATUS"

	# The Huawei record sample of the vendor document (seed 003).
	e2e_huawei_fixture "$tmp/rec.json" "$now" "$LH_KEY_HUAWEI"
	e2e_http POST "$base/huawei" "$tmp/rec.json"
	e2e_expect "huawei seed 003 sample: status" 200 "$HTTP_STATUS"
	e2e_expect "huawei seed 003 sample: answer" '{"code":0,"message":"ok"}' "$HTTP_BODY"
	row=$(e2e_sql "SELECT domain, app, stream, file_size, extract(epoch FROM duration)::bigint,
	    format, to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
	    to_char(end_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), event
	    FROM livehook.recordings WHERE stream = 'mystream'")
	e2e_expect "huawei seed 003 sample: the stored recording" \
	    "push.example.com|live|mystream|3957964|120|hls|2020-03-08T14:10:25Z|2020-03-08T14:12:25Z|record_file_complete" \
	    "$row"

	e2e_http POST "$base/huawei" "$tmp/rec.json"
	e2e_expect "the same delivery again: 200 duplicate" '200 {"code":0,"message":"duplicate"}' "$HTTP_STATUS $HTTP_BODY"
	e2e_huawei_fixture "$tmp/rec2.json" "$((now - 1))" "$LH_KEY_HUAWEI"
	e2e_http POST "$base/huawei" "$tmp/rec2.json"
	e2e_expect "the same event re-signed: 200 duplicate" '200 {"code":0,"message":"duplicate"}' "$HTTP_STATUS $HTTP_BODY"
	n=$(e2e_sql "SELECT count(*) FROM livehook.recordings WHERE stream = 'mystream'")
	e2e_expect "redeliveries stored nothing: one recording" 1 "$n"
	n=$(e2e_sql "SELECT count(*) FROM livehook.callbacks WHERE vendor = 'huawei' AND payload->>'stream' = 'mystream'")
	e2e_expect "redeliveries stored nothing: one callback" 1 "$n"

	# Authentication.
	e2e_huawei_fixture "$tmp/bad.json" "$now" "not-the-key"
	e2e_http POST "$base/huawei" "$tmp/bad.json"
	e2e_expect "wrong signature: 403" 403 "$HTTP_STATUS"
	e2e_huawei_fixture "$tmp/old.json" "$((now - 7200))" "$LH_KEY_HUAWEI"
	e2e_http POST "$base/huawei" "$tmp/old.json"
	e2e_expect "valid signature, timestamp 2 h old: 403" 403 "$HTTP_STATUS"
	grep -v '"auth_' "$tmp/rec.json" | sed 's/"obs_object" : "\(.*\)",$/"obs_object" : "\1"/' >"$tmp/unsigned.json"
	e2e_http POST "$base/huawei" "$tmp/unsigned.json"
	e2e_expect "no signature where a key is configured: 403" 403 "$HTTP_STATUS"
	"$send" -p "$base" jdcloud publish | sed -n '$p' >"$tmp/jd.json"
	e2e_http POST "$base/jdcloud" "$tmp/jd.json"
	e2e_expect "jdcloud without its path token: 403" 403 "$HTTP_STATUS"
	e2e_http POST "$base/jdcloud/wrong-token" "$tmp/jd.json"
	e2e_expect "jdcloud with a wrong path token: 403" 403 "$HTTP_STATUS"

	# Routing and request shape.
	e2e_http POST "$base/nosuchvendor" "$tmp/rec.json"
	e2e_expect "unknown vendor: 404" 404 "$HTTP_STATUS"
	e2e_http GET "$base/huawei"
	e2e_expect "GET to a POST-only vendor: 405" 405 "$HTTP_STATUS"
	# The sample as the vendor published it lacks the comma after "obs_object".
	sed 's/\("obs_object" : ".*"\),$/\1/' "$tmp/rec.json" >"$tmp/seed.json"
	e2e_http POST "$base/huawei" "$tmp/seed.json"
	e2e_expect "the unrepaired vendor sample (invalid JSON): 400" 400 "$HTTP_STATUS"
	case $HTTP_BODY in
	'{"code":400,"message":"'*'"}') e2e_ok "a failure answers {\"code\":<status>,\"message\":...}" ;;
	*) e2e_not_ok "failure body has the wrong shape: [$HTTP_BODY]" ;;
	esac

	# Huawei HMAC-SHA256 record signatures (a domain section of the test config).
	if "$send" -H hmac-sha256 -d hmac.example.com "$base" huawei record_file_complete >"$tmp/out" 2>&1; then
		e2e_ok "huawei hmac-sha256 record signature: $(cat "$tmp/out")"
	else
		e2e_not_ok "huawei hmac-sha256 record signature: $(cat "$tmp/out")"
	fi
	"$send" -H md5 -d hmac.example.com "$base" huawei record_file_complete >"$tmp/out" 2>&1
	case $(cat "$tmp/out") in
	*" 403 "*) e2e_ok "an md5 signature where hmac-sha256 is configured: 403" ;;
	*) e2e_not_ok "an md5 signature where hmac-sha256 is configured: $(cat "$tmp/out")" ;;
	esac

	# Every vendor and kind, signed as the vendors sign.
	if "$send" --all "$base" >"$tmp/out" 2>&1; then
		e2e_ok "livehook-send --all: every vendor and kind answered 2xx"
	else
		e2e_not_ok "livehook-send --all:"
	fi
	sed 's/^/    /' "$tmp/out"
	n=$(e2e_sql "SELECT count(DISTINCT vendor) FROM livehook.callbacks")
	e2e_expect "callbacks of every vendor stored" "$("$send" --kinds | wc -l)" "$n"
	"$send" -n "$base" tencent record_file_complete >"$tmp/out1" 2>&1
	"$send" -n "$base" tencent record_file_complete >"$tmp/out2" 2>&1
	case "$(cat "$tmp/out1") / $(cat "$tmp/out2")" in
	*'"ok"}'*' / '*'"duplicate"}'*) e2e_ok "livehook-send -n twice: ok, then duplicate" ;;
	*) e2e_not_ok "livehook-send -n twice: $(cat "$tmp/out1") / $(cat "$tmp/out2")" ;;
	esac

	# Every refusal above is counted in SQL (issue 14), flushed by the
	# writer within a second (a CGI process when it exits); /metrics is
	# off by default: 404, and like the probes not counted.
	e2e_http GET "$base/metrics"
	e2e_expect "/metrics without [server] metrics: 404" 404 "$HTTP_STATUS"
	want="huawei|400|1
huawei|403|4
huawei|405|1
jdcloud|403|2
unknown|404|1"
	for _ in $(seq 20); do
		n=$(e2e_sql "SELECT vendor, status, sum(count) FROM livehook.rejections GROUP BY 1, 2 ORDER BY 1, 2")
		[ "$n" = "$want" ] && break
		sleep 0.25
	done
	e2e_expect "the refusals counted in livehook.rejections by vendor and status" "$want" "$n"
	n=$(e2e_sql "SELECT DISTINCT last_remote_addr FROM livehook.rejections_recent")
	e2e_expect "  ... with the sender's address" "127.0.0.1" "$n"
	e2e_global_clouds "$base" "$tmp"

	rm -rf "$tmp"
	echo "$((_e2e_n - _e2e_fail)) passed, $_e2e_fail failed"
	return "$_e2e_fail"
}

# e2e_main SERVER: start PostgreSQL and the stack with SERVER (see
# stack.sh), run e2e_checks, print livehook's log on failure.  Returns 0
# when every check passed.  Needs pg.sh and stack.sh sourced.
e2e_main() {
	local how
	STACK_SERVER=$1
	trap 'pg_stop' EXIT
	if ! pg_start; then
		echo "FAIL - the throwaway PostgreSQL did not start"
		return 1
	fi
	if ! stack_start; then
		echo "FAIL - $1 + livehook did not start"
		return 1
	fi
	case $1 in
	cgi) how="as a CGI program" ;;
	fcgid) how="started by mod_fcgid" ;;
	*) how="x${STACK_WORKERS:-2} via spawn-fcgi" ;;
	esac
	echo "# $1 on $STACK_URL, livehook $how, PostgreSQL ${PGHOST:-}:${PGPORT:-}"
	if ! e2e_checks "$STACK_URL"; then
		stack_log
		return 1
	fi
	return 0
}
