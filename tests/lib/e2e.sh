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
	e2e_expect "callbacks of all four vendors stored" 4 "$n"
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
