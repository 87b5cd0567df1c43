#!/bin/bash
# ingest-micro -- what livehook.ingest() costs PostgreSQL per event: pgbench calling it with 30-event batches of unique events.
#
#   bench/ingest-micro [-c clients] [-T seconds] [-b events] [-s schema.sql] [-m run] [-P] [-I]
#
# Starts a durable throwaway PostgreSQL (tests/lib/pg.sh, fsync on), loads
# sql/schema.sql (or -s FILE), and runs pgbench with a script that calls
# livehook.ingest() once per transaction with 30 events (-b: another
# number) written as event_row_json() writes them (Huawei and Tencent
# shapes, in every 15: 4 publish, 4 unpublish, 6 record_file_complete,
# 1 snapshot; ~600-byte payloads),
# every event key unique; -m run: instead bench/run's requests (tests/loadgen
# -G: in every 4 a Huawei file, a Tencent, a JD Cloud and an Aliyun
# publish, every one of a new stream).  Prints events/s and the server's CPU time per
# event (user + system of every PostgreSQL process, from /proc), which is
# the figure to compare on a shared machine.  -P also prints where the
# time went by statement (pg_stat_statements, nested statements included).
# -I instead counts the instructions PostgreSQL executes per event
# (valgrind --tool=callgrind on a single-user backend: 30 batches minus 10,
# so that start-up, the first call's planning and warm-up cancel out): the
# same count on a busy machine, where CPU time moves by 20% between runs.
# It prints ingest() (the JSON batch: the spool's path) and ingest_rows()
# as livehook's writer calls it (see micro_rows below).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
clients=8 secs=30 events=30 schema= prof=0 instr=0 mix=
while getopts b:c:T:s:m:PI o; do
	case $o in
	b) events=$OPTARG ;;
	c) clients=$OPTARG ;;
	T) secs=$OPTARG ;;
	s) schema=$OPTARG ;;
	m) mix=$OPTARG ;;
	P) prof=1 ;;
	I) instr=1 ;;
	*) echo "usage: $0 [-c clients] [-T seconds] [-b events] [-s schema.sql] [-m run] [-P] [-I]" >&2; exit 2 ;;
	esac
done
case $mix in
'' | run) ;;
*) echo "ingest-micro: -m: run or nothing" >&2; exit 2 ;;
esac
. "$top_srcdir/tests/lib/pg.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-micro.XXXXXX")
trap 'pg_stop; rm -rf "$work"' EXIT
pg_start
if [ "$prof" = 1 ]; then
	psql -q -X -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
	pg_ctl_do -m fast -w stop >/dev/null && pg_restart_server
	psql -q -X -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c 'SELECT pg_reload_conf()' >/dev/null
	psql -q -X -c 'CREATE EXTENSION pg_stat_statements' >/dev/null
fi
if [ -n "$schema" ]; then
	PGOPTIONS='-c client_min_messages=warning' psql -q -X -c 'DROP SCHEMA livehook CASCADE' >/dev/null
	PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -f "$schema" >/dev/null
fi

# One batch; @K@ (32 hex), @S@ (stream group) and @T@ (ms) are replaced per
# transaction.
payload='"payload":{"project_id":"0f5c3a8e2b7d4e1f9a6b8c7d5e4f3a2b","domain":"push.example.com","app":"live","stream":"STREAM","record_format":"HLS","file_path":"record/live/stream/2024-05-01-10-00-00.m3u8","file_size":104857600,"width":1920,"height":1080,"duration":1800,"download_url":"https://obs.example.com/record/live/stream.m3u8","obs_addr":{"bucket":"livehook-rec","location":"cn-north-4","object":"record/live/stream/2024-05-01-10-00-00.m3u8"},"auth_sign":"3b1f0c8d9e2a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c","message_id":"aa8b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"}'
batch=
for i in $(seq 0 $((events - 1))); do
	k=$(printf '@K@%032d' "$i")
	if [ "$mix" = run ]; then
		# As bench/run's requests decode (tests/loadgen -G).
		case $((i % 4)) in
		0) e=$(printf '{"vendor":"huawei","kind":"record_file_complete","auth":"signature","event":"RECORD_FILE_COMPLETE","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"r@K@-%d","event_time":@T@,"event_time_received":false,"file_key":"job-r@K@-%d","format":"HLS","start_time":@T@,"end_time":@T@,"duration":60000,"file_size":1000,"payload":{"project_id":"p","job_id":"job-r@K@-%d","event_type":"RECORD_FILE_COMPLETE","publish_domain":"push.example.com","app":"live","stream":"r@K@-%d","record_format":"HLS","file_size":1000,"record_duration":60,"start_time":"2026-12-03T10:00:00Z","end_time":"2026-12-03T10:01:00Z","auth_sign":"0123456789abcdef0123456789abcdef","auth_timestamp":"1764756000"}}' "$k" "$i" "$i" "$i" "$i") ;;
		1) e=$(printf '{"vendor":"tencent","kind":"publish","auth":"signature","event":"1","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"r@K@-%d","event_time":@T@,"event_time_received":false,"session_key":"1764756000%06d","client_ip":"203.0.113.7","payload":{"app":"push.example.com","appid":1,"appname":"live","stream_id":"r@K@-%d","channel_id":"r@K@-%d","event_time":1764756000,"event_type":1,"sequence":"1764756000%06d","user_ip":"203.0.113.7","sign":"0123456789abcdef0123456789abcdef","t":1764756300}}' "$k" "$i" "$i" "$i" "$i" "$i") ;;
		2) e=$(printf '{"vendor":"jdcloud","kind":"publish","auth":"token","event":"publish_started","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"r@K@-%d","event_time":@T@,"event_time_received":false,"payload":{"version":"v1.1","publishDomain":"push.example.com","appName":"live","streamName":"r@K@-%d","event":"publish_started","status":"success","eventTime":1764756000123}}' "$k" "$i" "$i") ;;
		3) e=$(printf '{"vendor":"aliyun","kind":"publish","auth":"signature","event":"publish","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"r@K@-%d","event_time":@T@,"event_time_received":false,"client_ip":"203.0.113.7","payload":{"action":"publish","ip":"203.0.113.7","id":"r@K@-%d","app":"push.example.com","appname":"live","time":"1764756000"}}' "$k" "$i" "$i") ;;
		esac
	elif [ $((i % 15)) -lt 4 ]; then
		e=$(printf '{"vendor":"huawei","kind":"publish","auth":"signature","event":"PUBLISH","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"s@S@-%d","event_time":@T@,"event_time_received":false,"session_key":"@T@","client_ip":"10.1.2.3","node":"edge-1","params":"token=abc",%s}' "$k" "$i" "$payload")
	elif [ $((i % 15)) -lt 8 ]; then
		e=$(printf '{"vendor":"tencent","kind":"unpublish","auth":"signature","event":"0","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"s@S@-%d","event_time":@T@,"event_time_received":false,"session_key":"6674468118806626493","client_ip":"10.1.2.3","error_code":"1","error_message":"normal","push_duration":600000,%s}' "$k" "$i" "$payload")
	elif [ $((i % 15)) -lt 14 ]; then
		e=$(printf '{"vendor":"huawei","kind":"record_file_complete","auth":"signature","event":"RECORD_FILE_COMPLETE","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"s@S@-%d","event_time":@T@,"event_time_received":false,"file_key":"job-@K@-%d","format":"hls","url":"https://obs.example.com/rec/%d.m3u8","storage_path":"livehook-rec/record/%d.m3u8","start_time":@T@,"end_time":@T@,"duration":1800000,"file_size":104857600,"width":1920,"height":1080,%s}' "$k" "$i" "$i" "$i" "$i" "$payload")
	else
		e=$(printf '{"vendor":"tencent","kind":"snapshot","auth":"signature","event":"200","event_key":"%s","remote_addr":"127.0.0.1","received_at":@T@,"domain":"push.example.com","app":"live","stream":"s@S@-%d","event_time":@T@,"event_time_received":false,"url":"https://cos.example.com/snap/%d.jpg","file_size":20480,"width":1280,"height":720,%s}' "$k" "$i" "$i" "$payload")
	fi
	batch="$batch${batch:+,}$e"
done
# The template lives in a table, so that pgbench does not lex 30 kB of
# SQL per call; the replace()s and the jsonb input of the batch are
# measured alone too (the "harness" line) and are part of the figure.
printf '[%s]' "$batch" >"$work/batch.json"
[ "$(id -u)" = 0 ] && chown -R "$PG_RUNAS" "$work"
psql -q -X -v ON_ERROR_STOP=1 -c 'CREATE TABLE public.micro_batch (t text NOT NULL)' \
    -c "INSERT INTO public.micro_batch VALUES (pg_read_file('$work/batch.json'))" >/dev/null
call() {
	echo '\set s random(0, 199)'
	echo "SELECT count(*) FROM public.micro_batch b, $1(replace(replace(replace(b.t, '@K@', md5(:client_id || ' ' || clock_timestamp()::text || random()::text)), '@S@', ':s'), '@T@', (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text)::jsonb);"
}
# This month's partitions, as maintain() makes them ahead (schema 3).
psql -q -X -c 'SELECT livehook.maintain(); SELECT livehook.partitions_ensure(ARRAY(SELECT now() - make_interval(months => g) FROM generate_series(1, 12) g))' >/dev/null 2>&1 || :
call livehook.ingest >"$work/ingest.sql"
call jsonb_array_elements >"$work/harness.sql"
# ingest_rows() as livehook's writer calls it, which sends one binary
# array per column: micro_rows(batch) splits the batch into arrays as
# ingest(jsonb) does, but with the payloads (and segments) as text, and
# calls ingest_rows() with them cast to jsonb[] (a jsonb input of each,
# as the server's binary input of livehook's jsonb[] does).
# micro_split(batch) is the same split passed to a function that does
# nothing.  micro_rows minus micro_split is what livehook asks of the
# server, but for the binary input of the other columns.
psql -q -X -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN EXECUTE format('CREATE FUNCTION public.micro_noop(%s) RETURNS TABLE (idx integer, result text) LANGUAGE plpgsql AS %L', replace(replace(pg_get_function_identity_arguments('livehook.ingest_rows'::regproc), 'b_segments jsonb[]', 'b_segments text[]'), 'b_payload jsonb[]', 'b_payload text[]'), 'BEGIN RETURN; END'); END \$\$" >/dev/null
psql -X -A -t -q -c "SELECT pg_get_functiondef('livehook.ingest(jsonb)'::regprocedure)" |
    sed 's/segments jsonb/segments text/; s/payload jsonb/payload text/' >"$work/def.sql"
sed 's/livehook\.ingest(batch jsonb)/public.micro_rows(batch jsonb)/; s/c\.segments,/c.segments::jsonb[],/; s/c\.payload,/c.payload::jsonb[],/' "$work/def.sql" >"$work/rows.sql"
sed 's/livehook\.ingest(batch jsonb)/public.micro_split(batch jsonb)/; s/livehook\.ingest_rows(/public.micro_noop(/' "$work/def.sql" >"$work/split.sql"
grep -q 'c.payload::jsonb' "$work/rows.sql" && grep -q micro_noop "$work/split.sql" ||
    { echo "ingest-micro: ingest(jsonb) is not as expected" >&2; exit 1; }
psql -q -X -v ON_ERROR_STOP=1 -f "$work/rows.sql" -f "$work/split.sql" >/dev/null

# Server CPU (clock ticks) of every process of this cluster.
cpu() {
	local pid=$(head -1 "$PG_DIR/data/postmaster.pid") t=0 p
	# The postmaster's own times include its exited children's.
	for p in $pid $(pgrep -P "$pid"); do
		t=$((t + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# run SCRIPT SECONDS: pgbench, then one line of figures.
run() {
	local c0 c1 out n=$events
	c0=$(cpu)
	out=$(pgbench -n -f "$1" -c "$clients" -j 2 -T "$2") || exit 1
	c1=$(cpu)
	echo "$out" | awk -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v c="$clients" -v n="$n" '
	    /^tps = / { tps = $3 }
	    /^number of transactions actually processed:/ { txn = $NF }
	    /^latency average = / { lat = $4 }
	    END { printf "clients %d: %.0f batches/s, %.0f events/s, latency %.2f ms; PostgreSQL CPU %.1f us per event, %.0f us per batch of %d\n",
	        c, tps, tps * n, lat, t / hz * 1e6 / (txn * n), t / hz * 1e6 / txn, n }'
}
if [ "$instr" = 1 ]; then
	command -v valgrind >/dev/null || { echo "ingest-micro: -I needs valgrind" >&2; exit 1; }
	# singles N: N calls, one per line, as a single-user backend reads them.
	singles() {
		local i
		for i in $(seq "$1"); do
			grep '^SELECT' "$work/ingest.sql" |
			    sed "s/:client_id/$i/; s/:s/$((i % 200))/"
		done
	}
	singles 10 >"$work/s10.sql"
	singles 30 >"$work/s30.sql"
	# The same calls through micro_rows and micro_split.
	for n in 10 30; do
		sed 's/livehook\.ingest(/public.micro_rows(/' "$work/s$n.sql" >"$work/sr$n.sql"
		sed 's/livehook\.ingest(/public.micro_split(/' "$work/s$n.sql" >"$work/sx$n.sql"
	done
	# The peer's request (bench/peer): one INSERT of a raw Huawei body,
	# committed alone, as many times.
	psql -q -X -v ON_ERROR_STOP=1 -f "$top_srcdir/bench/peer/schema.sql" >/dev/null
	for n in 10 30; do
		for i in $(seq "$n"); do
			printf "INSERT INTO peer_callbacks (path, body) VALUES ('/livehook/huawei', '{\"project_id\":\"p\",\"job_id\":\"job-%d\",\"event_type\":\"RECORD_FILE_COMPLETE\",\"publish_domain\":\"push.example.com\",\"app\":\"live\",\"stream\":\"s%d\",\"record_format\":\"HLS\",\"file_size\":1000,\"record_duration\":60,\"start_time\":\"2024-05-01T10:00:00Z\",\"end_time\":\"2024-05-01T10:01:00Z\",\"auth_sign\":\"0123456789abcdef0123456789abcdef\",\"auth_timestamp\":\"1714557600\"}')\n" "$i" "$i"
		done >"$work/sp$n.sql"
	done
	pg_ctl_do -m fast -w stop >/dev/null
	# ir N: instructions of a single-user backend running N calls
	ir() {
		pg__as valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" \
		    "$PG_BINDIR/postgres" --single -D "$PG_DIR/data" -c fsync=on livehook \
		    <"$work/s$1.sql" >"$work/out.$1" 2>"$work/vg.$1" || { cat "$work/vg.$1" >&2; exit 1; }
		grep -q ERROR "$work/out.$1" && { grep -m1 ERROR "$work/out.$1" >&2; exit 1; }
		sed -n 's/^summary: //p' "$work/cg.$1"
	}
	a=$(ir 10) b=$(ir 30)
	awk -v a="$a" -v b="$b" -v n="$events" 'BEGIN { printf "ingest: %.0f instructions per event, %.0f per batch of %d (PostgreSQL, callgrind)\n", (b - a) / (20 * n), (b - a) / 20, n }'
	a=$(ir r10) b=$(ir r30) c=$(ir x10) d=$(ir x30)
	awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v n="$events" 'BEGIN { printf "ingest_rows: %.0f instructions per event, %.0f per batch of %d (as livehook sends it, but for the binary input of its arrays: micro_rows minus micro_split)\n", ((b - a) - (d - c)) / (20 * n), ((b - a) - (d - c)) / 20, n }'
	a=$(ir p10) b=$(ir p30)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "peer: %.0f instructions per INSERT and its commit (bench/peer, the same way)\n", (b - a) / 20 }'
	pg_restart_server
	exit 0
fi
echo "harness (replace + jsonb input, no ingest): $(run "$work/harness.sql" 5)"
# Warm up, then measure.
pgbench -n -f "$work/ingest.sql" -c "$clients" -j 2 -T 5 >/dev/null
[ "$prof" = 1 ] && psql -q -X -c 'SELECT pg_stat_statements_reset()' >/dev/null
echo "ingest: $(run "$work/ingest.sql" "$secs")"
echo "stored: $(pg_val 'SELECT count(*) FROM livehook.callbacks') callbacks, $(pg_val "SELECT pg_size_pretty(pg_database_size('livehook'))")"
[ "$prof" = 1 ] && psql -X -c "SELECT calls, round(total_exec_time::numeric / calls, 3) AS ms_per_call, round(100 * total_exec_time / sum(total_exec_time) OVER ())::int AS pct, shared_blks_hit / calls AS hits_per_call, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 8"
