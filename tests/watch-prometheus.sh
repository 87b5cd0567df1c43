#!/bin/bash
# watch-prometheus.sh -- "Watching it" for real: Debian's prometheus scrapes livehook (3 processes behind lighttpd)
# and prometheus-postgres-exporter; signed callbacks, a wrong-key burst, PostgreSQL stopped with a spool; then
# Prometheus's HTTP API and psql must show the counters, the spool, the rejections and alerts firing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"

PROMETHEUS=${PROMETHEUS:-$(command -v prometheus)}
EXPORTER=${POSTGRES_EXPORTER:-$(command -v prometheus-postgres-exporter)}
PROMTOOL=${PROMTOOL:-$(command -v promtool)}
CURL=${CURL:-curl}
send="$top_srcdir/contrib/livehook-send"
shm=/livehook-test-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-watch.XXXXXX")
prom_pid= exp_pid=
passed=0 failed=0

cleanup() {
	[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
	[ -n "$exp_pid" ] && kill "$exp_pid" 2>/dev/null && wait "$exp_pid" 2>/dev/null
	rm -f "/dev/shm$shm"
	rm -rf "$work"
	pg_stop
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi; }

for p in "$PROMETHEUS" "$EXPORTER" "$PROMTOOL"; do
	[ -x "$p" ] || { echo "FAIL - prometheus, promtool and prometheus-postgres-exporter are needed (apt-get install prometheus prometheus-postgres-exporter)"; exit 1; }
done

free_port() {
	local p
	for p in $(shuf -i 30000-39999 -n 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

# The value of an instant query (the first series; whole numbers without
# ".0"), or "none".  The answer is {"data":{"result":[{"metric":{..},"value":[<time>,"<v>"]},..]}}.
promq() {
	local v
	v=$("$CURL" -s --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
	    grep -o '"value":\[[0-9.e+]*,"[^"]*"\]' | head -1 | sed 's/.*,"\([^"]*\)"\]/\1/')
	[ -n "$v" ] || { echo none; return; }
	awk -v v="$v" 'BEGIN { if (v ~ /^-?[0-9.e+]+$/ && v == int(v)) printf "%d\n", v; else print v }'
}

# Wait up to $2 seconds for query $1 to give $3.
promwait() {
	local i v=none
	for i in $(seq $(( $2 * 4 ))); do
		v=$(promq "$1")
		[ "$v" = "$3" ] && break
		sleep 0.25
	done
	echo "$v"
}

# Wait up to $2 seconds for psql query $1 to give $3.
sqlwait() {
	local i v=
	for i in $(seq $(( $2 * 4 ))); do
		v=$(pg_val "$1" 2>/dev/null)
		[ "$v" = "$3" ] && break
		sleep 0.25
	done
	echo "$v"
}

start=$(date +%s)
pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
STACK_WORKERS=3 STACK_SPOOL=1 STACK_DB_TIMEOUT=2 STACK_EXTRA_CONF="metrics = yes
metrics_shm = $shm" stack_start || { echo "FAIL - the stack did not start"; exit 1; }

# The exporter logs in as a role of its own in the read-only reporting role.
psql -q -X -c "CREATE ROLE livehook_exporter LOGIN IN ROLE livehook_reporting" >/dev/null
exp_port=$(free_port) && prom_port=$(free_port) || { echo "FAIL - no free port"; exit 1; }
DATA_SOURCE_NAME="host=$PGHOST port=$PGPORT user=livehook_exporter dbname=livehook sslmode=disable" \
    "$EXPORTER" --extend.query-path="$top_srcdir/contrib/prometheus/postgres-exporter-queries.yaml" \
    --disable-settings-metrics --web.listen-address="127.0.0.1:$exp_port" >"$work/exporter.log" 2>&1 &
exp_pid=$!

# The shipped rules, with every "for:" cut to 2 s so that the test takes seconds.
sed 's/^\(\s*for:\).*/\1 2s/' "$top_srcdir/contrib/prometheus/livehook-rules.yml" >"$work/livehook-rules.yml"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - livehook-rules.yml
scrape_configs:
  - job_name: livehook
    metrics_path: /livehook/metrics
    static_configs:
      - targets: ['127.0.0.1:$STACK_PORT']
  # The exporter takes about a second to answer while PostgreSQL is down.
  - job_name: livehook-sql
    scrape_interval: 3s
    scrape_timeout: 3s
    static_configs:
      - targets: ['127.0.0.1:$exp_port']
EOF
"$PROMTOOL" check config "$work/prometheus.yml" >/dev/null || fail "promtool check config"
# Started again on another port when the one picked was taken meanwhile
# (a test running beside this one): ready within 30 s, or the test fails.
prom_pid=
for _ in 1 2 3 4 5; do
	"$PROMETHEUS" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
	prom_pid=$!
	for _ in $(seq 120); do
		"$CURL" -s -o /dev/null --max-time 2 "http://127.0.0.1:$prom_port/-/ready" && break 2
		kill -0 "$prom_pid" 2>/dev/null || break
		sleep 0.25
	done
	kill "$prom_pid" 2>/dev/null
	wait "$prom_pid" 2>/dev/null
	echo "# prometheus did not start on 127.0.0.1:$prom_port:"
	tail -n 3 "$work/prometheus.log" | sed 's/^/#   /'
	prom_port=$(free_port) || break
done

# /metrics as Prometheus documents the text format.
"$CURL" -s "$STACK_URL/metrics" >"$work/metrics.txt"
if "$PROMTOOL" check metrics <"$work/metrics.txt" >"$work/lint.txt" 2>&1; then ok "promtool check metrics: clean"; else
	fail "promtool check metrics"; sed 's/^/# /' "$work/lint.txt"
fi
check "/metrics is text/plain version 0.0.4" "text/plain; version=0.0.4; charset=utf-8" \
    "$("$CURL" -s -o /dev/null -w '%{content_type}' "$STACK_URL/metrics")"

check "Prometheus scrapes livehook through lighttpd" 1 "$(promwait 'up{job="livehook"}' 30 1)"
check "Prometheus scrapes the exporter, which reaches PostgreSQL" 1 "$(promwait 'pg_up{job="livehook-sql"}' 30 1)"

# 1. Signed callbacks: 12 publishes, 3 redelivered.
t=$(date +%s)
for i in $(seq 12); do "$send" -d push.example.com -s "watch-$i" -t "$t" "$STACK_URL/" huawei publish >/dev/null; done
for i in 1 2 3; do "$send" -d push.example.com -s "watch-$i" -t "$t" "$STACK_URL/" huawei publish >/dev/null; done
check "Prometheus: 12 huawei callbacks stored" 12 \
    "$(promwait 'livehook_requests_total{vendor="huawei",outcome="stored"}' 10 12)"
check "Prometheus: 3 redeliveries counted as duplicates" 3 \
    "$(promwait 'livehook_requests_total{vendor="huawei",outcome="duplicate"}' 10 3)"
check "Prometheus: publishes stored by kind" 12 \
    "$(promwait 'livehook_events_total{vendor="huawei",kind="publish",outcome="stored"}' 10 12)"
check "exporter: 12 huawei streams live now (live_now via the reporting role)" 12 \
    "$(promwait 'sum(livehook_sql_live_streams{vendor="huawei"})' 10 12)"

# Three processes answer the scrapes in turn: one coherent set of counters.
vals=$(for i in $(seq 12); do "$CURL" -s "$STACK_URL/metrics" |
    awk '/^livehook_requests_total\{vendor="huawei",outcome="stored"\}/ { print $2 }'; done | sort -u)
check "12 direct scrapes (any of 3 processes) give the same count" 12 "$vals"
pids=$(for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f"; echo; done 2>/dev/null | grep -c -- "livehook -c $STACK_CONF")
[ "$pids" -ge 3 ] && ok "3 livehook processes share the socket" || fail "expected 3 livehook processes, saw $pids"

# 2. A wrong-key burst: huawei rotated its key and livehook was not told.
for i in $(seq 30); do "$send" -k "rotated-key-livehook-does-not-know-0123456789" -d push.example.com \
    -s "burst-$i" "$STACK_URL/" huawei record_file_complete >/dev/null; done
check "Prometheus: 30 huawei callbacks rejected" 30 \
    "$(promwait 'livehook_requests_total{vendor="huawei",outcome="rejected"}' 10 30)"
check "Prometheus: ... all of them 403" 30 \
    "$(promwait 'livehook_rejections_total{vendor="huawei",status="403"}' 10 30)"
check "SQL: rejections_recent shows them and why, within seconds" "huawei|403|wrong signature|30" \
    "$(sqlwait "SELECT vendor, status, reason, count FROM livehook.rejections_recent WHERE vendor = 'huawei'" 10 "huawei|403|wrong signature|30")"
check "SQL: ... from the sender's address" "127.0.0.1" \
    "$(pg_val "SELECT last_remote_addr FROM livehook.rejections_recent WHERE vendor = 'huawei'")"
check "exporter: livehook_sql_rejections_last_hour" 30 \
    "$(promwait 'livehook_sql_rejections_last_hour{vendor="huawei",status="403"}' 15 30)"
check "alert LivehookRejectionsJump fires for huawei" 1 \
    "$(promwait 'ALERTS{alertname="LivehookRejectionsJump",vendor="huawei",alertstate="firing"}' 20 1)"
check "... and not for tencent" none "$(promq 'ALERTS{alertname="LivehookRejectionsJump",vendor!="huawei"}')"

# 3. PostgreSQL stopped: callbacks go to the spool; rejections wait in memory.
pg_ctl_do -m immediate stop >/dev/null
for i in $(seq 5); do "$send" -d push.example.com -s "away-$i" "$STACK_URL/" huawei publish >/dev/null ||
    fail "a callback was not acknowledged while PostgreSQL was away"; done
for i in $(seq 4); do "$send" -k "rotated-key-livehook-does-not-know-0123456789" "$STACK_URL/" tencent publish >/dev/null; done
check "Prometheus: 5 callbacks spooled" 5 "$(promwait 'livehook_requests_total{vendor="huawei",outcome="spooled"}' 10 5)"
check "Prometheus: the spool holds 5 files" 5 "$(promwait 'livehook_spool_files' 10 5)"
age=$(promq 'livehook_spool_oldest_age_seconds')
awk -v a="$age" 'BEGIN { exit !(a + 0 > 0 && a + 0 < 60) }' &&
    ok "Prometheus: age of the oldest spool file ($age s)" || fail "spool oldest age: $age"
check "Prometheus: livehook_database_up 0" 0 "$(promwait 'livehook_database_up' 15 0)"
check "alert LivehookDatabaseDown fires" 1 \
    "$(promwait 'count(ALERTS{alertname="LivehookDatabaseDown",alertstate="firing"})' 20 1)"
check "exporter: pg_up 0" 0 "$(promwait 'pg_up{job="livehook-sql"}' 20 0)"

# 4. PostgreSQL back: the spool drains, the counts kept in memory arrive.
pg_restart_server || { echo "FAIL - PostgreSQL did not restart"; exit 1; }
check "Prometheus: the spool drains to 0" 0 "$(promwait 'livehook_spool_files' 30 0)"
check "Prometheus: livehook_database_up 1 again" 1 "$(promwait 'livehook_database_up' 15 1)"
check "SQL: the 5 spooled callbacks are stored" 5 \
    "$(sqlwait "SELECT count(*) FROM livehook.callbacks WHERE payload::text LIKE '%away-%'" 15 5)"
check "SQL: the rejections counted while it was away are flushed later" "tencent|403|4" \
    "$(sqlwait "SELECT vendor, status, count FROM livehook.rejections_recent WHERE vendor = 'tencent'" 15 "tencent|403|4")"
check "no counter went backwards (no process answered with its own share)" 0 \
    "$(promq 'sum(resets(livehook_requests_total[5m]))')"
check "the wrong-key burst is still 30, not more" 30 "$(pg_val "SELECT sum(count) FROM livehook.rejections WHERE vendor = 'huawei'")"

# 5. The dashboard puts them next to the failures.
psql -X -q -f "$top_srcdir/contrib/dashboards/rejections.sql" >"$work/dash.txt" 2>&1
grep -q 'wrong signature' "$work/dash.txt" && ok "contrib/dashboards/rejections.sql shows the reason" ||
    { fail "rejections.sql"; sed 's/^/# /' "$work/dash.txt"; }

echo "# $(( $(date +%s) - start )) s"
echo "# passed $passed, failed $failed"
[ "$failed" = 0 ]
