#!/bin/bash
# storage.sh -- store.c, writer.c and sql/ against a real PostgreSQL: views, ordering, concurrency, reconnect, upgrades, PgBouncer.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
. "$top_srcdir/tests/lib/pg.sh"

data=$top_srcdir/tests/data/storage
client=$top_builddir/tests/store_client
passed=0 failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-storage.XXXXXX")
bouncer_pid=
cleanup() {
	# runuser does not pass the signal on: stop pgbouncer by its pid file.
	[ -s "$work/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null
	[ -n "$bouncer_pid" ] && kill "$bouncer_pid" 2>/dev/null && wait "$bouncer_pid" 2>/dev/null
	pg_stop
	rm -rf "$work"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
# check NAME EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		fail "$1"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /'
	fi
}
q() { psql -X -A -t -q -F '|' -c "$1"; }
nostats() { # nostats DB: callbacks and its partitions whose payload keeps statistics, and how many partitions
	psql -X -A -t -q ${1:+-d "$1"} -c "SELECT count(*) FILTER (WHERE a.attstattarget <> 0) || ' of ' || count(*)
	    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	    JOIN pg_namespace n ON n.oid = c.relnamespace
	   WHERE n.nspname = 'livehook' AND c.relname ~ '^callbacks(_[0-9]{4}_[0-9]{2})?$' AND a.attname = 'payload'"
}

# bigstats DB: columns (and index expressions) of the tables ingest() writes
# and their partitions that keep a statistics target other than 10 (the
# payloads' 0 apart), and how many there are.
bigstats() {
	psql -X -A -t -q ${1:+-d "$1"} -c "SELECT count(*) FILTER (WHERE coalesce(a.attstattarget, -1) <> 10) || ' of ' || count(*)
	    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	    JOIN pg_namespace n ON n.oid = c.relnamespace
	    LEFT JOIN pg_index i ON i.indexrelid = c.oid
	   WHERE n.nspname = 'livehook' AND a.attnum > 0 AND NOT a.attisdropped
	     AND NOT (a.attname = 'payload' AND a.attstattarget = 0)
	     AND ((c.relkind IN ('r', 'p') AND c.relname ~ '^((callbacks|stream_events|recordings|snapshots|play_events)(_[0-9]{4}_[0-9]{2})?|event_keys|streams|sessions)$')
	          OR (c.relkind = 'i' AND i.indkey[a.attnum - 1] = 0))"
}

PG_FAST=1 PG_TCP=1 pg_start || { echo "FAIL - cannot start PostgreSQL"; exit 1; }
conn=$PG_CONNINFO

# 1. A scripted multi-vendor day, and every view with its exact rows.
q "INSERT INTO livehook.domain_aliases VALUES ('play.example.com', 'push.example.com')"
check "scenario stored" "ok 11 duplicate 0 retry 0 refused 0" "$("$client" "$conn" "$data/scenario.jsonl")"
check "scenario again: every event a duplicate" "ok 0 duplicate 11 retry 0 refused 0" \
    "$("$client" "$conn" "$data/scenario.jsonl")"
check "callbacks: one row per event" "11" "$(q 'SELECT count(*) FROM livehook.callbacks')"
check "view live_now" "jdcloud|push.example.com|live|jd1|2024-05-01 12:00:00+00|10.0.0.3" \
    "$(q "SET TIME ZONE 'UTC'; SELECT vendor, domain, app, stream, live_since, client_ip FROM livehook.live_now ORDER BY 1, 4")"
check "view stream_sessions" "aliyun|push.example.com|live|ali1||2024-05-01 11:00:00+00|2024-05-01 11:30:00+00|00:30:00
huawei|push.example.com|live|hw1|1714557600|2024-05-01 10:00:00+00|2024-05-01 10:40:00+00|00:40:00
jdcloud|push.example.com|live|jd1||2024-05-01 12:00:00+00||
tencent|push.example.com|live|tc1|6674468118806626493|2024-05-01 13:00:00+00|2024-05-01 13:10:00+00|00:10:00" \
    "$(q "SET TIME ZONE 'UTC'; SELECT * FROM livehook.stream_sessions ORDER BY 1, 4")"
check "view recording_files (play domain merged into push domain)" \
"aliyun|push.example.com|live|ali1|flv|2024-05-01 11:10:00+00|2024-05-01 11:20:00+00|00:10:00|2000
huawei|push.example.com|live|hw1|hls|2024-05-01 10:00:00+00|2024-05-01 10:30:00+00|00:30:00|1000000" \
    "$(q "SET TIME ZONE 'UTC'; SELECT vendor, domain, app, stream, format, start_time, end_time, duration, file_size FROM livehook.recording_files ORDER BY 1")"
check "view timeline" "2024-05-01 10:00:00+00|huawei|push.example.com|hw1|publish
2024-05-01 10:30:00+00|huawei|push.example.com|hw1|record_file_complete
2024-05-01 10:40:00+00|huawei|push.example.com|hw1|unpublish
2024-05-01 11:00:00+00|aliyun|push.example.com|ali1|publish
2024-05-01 11:20:00+00|aliyun|push.example.com|ali1|record_file_complete
2024-05-01 11:30:00+00|aliyun|push.example.com|ali1|unpublish
2024-05-01 12:00:00+00|jdcloud|push.example.com|jd1|publish
2024-05-01 12:05:00+00|jdcloud|push.example.com|jd1|snapshot
2024-05-01 13:00:00+00|tencent|push.example.com|tc1|publish
2024-05-01 13:05:00+00|tencent|push.example.com|tc1|other
2024-05-01 13:10:00+00|tencent|push.example.com|tc1|unpublish" \
    "$(q "SET TIME ZONE 'UTC'; SELECT event_time, vendor, domain, stream, kind FROM livehook.timeline ORDER BY 1")"
check "view daily_usage" "2024-05-01|aliyun|push.example.com|1|00:30:00|1|00:10:00|2000|0|0|00:00:00
2024-05-01|huawei|push.example.com|1|00:40:00|1|00:30:00|1000000|0|0|00:00:00
2024-05-01|jdcloud|push.example.com|1|00:00:00|0|00:00:00|0|1|0|00:00:00
2024-05-01|tencent|push.example.com|1|00:10:00|0|00:00:00|0|0|0|00:00:00" \
    "$(q "SELECT * FROM livehook.daily_usage ORDER BY 2")"
check "stream_events keeps Tencent's 19-digit sequence and push_duration" \
    "6674468118806626493|00:10:00|1" \
    "$(q "SELECT session_key, push_duration, error_code FROM livehook.stream_events WHERE vendor = 'tencent' AND event = 'unpublish'")"

# The psql dashboards run on the scenario, once and under \watch.
for d in "$top_srcdir"/contrib/dashboards/*.sql; do
	if out=$(psql -X -q -v ON_ERROR_STOP=1 -f "$d" 2>&1); then ok "dashboard $(basename "$d") runs"; else
		fail "dashboard $(basename "$d") runs"; echo "$out" | head -5
	fi
done
check "dashboard live_now shows the live JD stream" "1" \
    "$(psql -X -q -f "$top_srcdir/contrib/dashboards/live_now.sql" | grep -c ' jd1 ')"
check "dashboard failures shows the Tencent error and the unmapped 317" "2" \
    "$(psql -X -q -c "SET TIME ZONE 'UTC'" -c "$(sed 's/now() - interval .1 day./timestamptz '\''2024-05-01'\''/' "$top_srcdir/contrib/dashboards/failures.sql")" | grep -c ' tc1 ')"
watched=$( (cat "$top_srcdir/contrib/dashboards/live_now.sql"; echo '\watch 0.5') |
    timeout 2 psql -X -q 2>&1 | grep -c ' jd1 ')
if [ "$watched" -ge 2 ]; then ok "dashboard live_now refreshes under \\watch"; else
	fail "dashboard live_now refreshes under \\watch ($watched rounds)"; fi

# 2. Out of order: late unpublish of an older session never closes a newer one.
check "out-of-order events stored" "ok 6 duplicate 0 retry 0 refused 0" \
    "$("$client" "$conn" "$data/out-of-order.jsonl")"
check "out of order: newer sessions stay live" "aliyun|oo|2024-05-01 14:30:00+00
huawei|oo2|2024-05-01 14:50:00+00" \
    "$(q "SET TIME ZONE 'UTC'; SELECT vendor, stream, live_since FROM livehook.streams WHERE stream LIKE 'oo%' AND live ORDER BY 1")"

# 3. 16 concurrent deliveries of the same event: one row.
sed -n '2p' "$data/scenario.jsonl" | sed 's/"hw-pub"/"conc-1"/g; s/"hw1"/"conc"/' >"$work/one.jsonl"
check "16 concurrent deliveries (group commit): one stored, 15 duplicates" \
    "ok 1 duplicate 15 retry 0 refused 0" "$("$client" -t 16 "$conn" "$work/one.jsonl")"
sed 's/conc-1/conc-2/' "$work/one.jsonl" >"$work/two.jsonl"
check "16 concurrent deliveries (one commit each): one stored, 15 duplicates" \
    "ok 1 duplicate 15 retry 0 refused 0" "$("$client" -g 0 -t 16 "$conn" "$work/two.jsonl")"
check "the concurrent events: one callback row each" "2" \
    "$(q "SELECT count(*) FROM livehook.callbacks WHERE event_key IN ('conc-1', 'conc-2')")"

# Two processes (two connections) storing the same 1,000 events, each in
# its own random order, 8 threads each: keys and stream rows are locked in
# sorted order, so no deadlock (it would show as retries), and each event
# is stored once.
for i in $(seq 0 999); do
	printf '{"vendor":"jdcloud","kind":"%s","auth":"signature","event_key":"rev-%d","domain":"push.example.com","app":"live","stream":"rev-%d","event_time":%d,"payload":{}}\n' \
	    "$([ $((i / 20 % 2)) = 0 ] && echo publish || echo unpublish)" "$i" "$((i % 20))" "$((1714600000000 + i * 1000))"
done >"$work/rev.jsonl"
shuf "$work/rev.jsonl" >"$work/rev-a.jsonl"
shuf "$work/rev.jsonl" >"$work/rev-b.jsonl"
"$client" -t 8 "$conn" "$work/rev-a.jsonl" >"$work/rev-a.out" &
"$client" -t 8 "$conn" "$work/rev-b.jsonl" >"$work/rev-b.out"
wait $!
check "same events from two connections in random orders: stored once, no retries" "1000 15000 0 0" \
    "$(cat "$work/rev-a.out" "$work/rev-b.out" | awk '{ ok += $2; dup += $4; re += $6; bad += $8 } END { print ok, dup, re, bad }')"
check "  ... and their streams: 20, none live" "20|0" \
    "$(q "SELECT count(*), count(*) FILTER (WHERE live) FROM livehook.streams WHERE stream LIKE 'rev-%'")"

# 4. One batch holding two events of the same stream.
check "a batch with two events of one stream" "0|ok
1|ok" "$(q "SELECT * FROM livehook.ingest('[
 {\"vendor\":\"huawei\",\"kind\":\"publish\",\"auth\":\"signature\",\"event_key\":\"b-1\",\"domain\":\"push.example.com\",\"app\":\"live\",\"stream\":\"batch\",\"event_time\":1714600000000,\"session_key\":\"9\",\"payload\":{}},
 {\"vendor\":\"huawei\",\"kind\":\"unpublish\",\"auth\":\"signature\",\"event_key\":\"b-2\",\"domain\":\"push.example.com\",\"app\":\"live\",\"stream\":\"batch\",\"event_time\":1714600060000,\"session_key\":\"9\",\"payload\":{}}]')")"
check "  ... and the stream is closed" "f" "$(q "SELECT live FROM livehook.streams WHERE stream = 'batch'")"

# A stream the batch makes gets its live state from the INSERT, one that
# was there from the UPDATE after it: the same events give the same state.
# ex-N streams exist first (an old unpublish of another session); then one
# batch holds each case for nw-N and ex-N.  Huawei has session keys, JD
# Cloud none.
se() { # se N VENDOR KIND SECONDS [KEY]
	printf '{"vendor":"%s","kind":"%s","auth":"signature","event_key":"ls-%s-%s","domain":"push.example.com","app":"live","stream":"%s","event_time":%s000,"client_ip":"10.9.9.%s"%s,"payload":{}}' \
	    "$2" "$3" "$1" "$RANDOM$RANDOM" "$1" "$((1714700000 + $4))" "$(($4 % 250))" "${5:+,\"session_key\":\"$5\"}"
}
cases() { # cases PREFIX: the events of every case, comma-separated
	local p=$1
	se "${p}1" jdcloud publish 10
	printf ,; se "${p}2" jdcloud publish 10; printf ,; se "${p}2" jdcloud unpublish 20
	printf ,; se "${p}3" jdcloud unpublish 5; printf ,; se "${p}3" jdcloud publish 10
	printf ,; se "${p}4" jdcloud publish 10; printf ,; se "${p}4" jdcloud unpublish 20; printf ,; se "${p}4" jdcloud publish 30
	printf ,; se "${p}5" huawei publish 10 k1
	printf ,; se "${p}6" huawei publish 10 k1; printf ,; se "${p}6" huawei unpublish 5 k1
	printf ,; se "${p}7" huawei publish 10 k1; printf ,; se "${p}7" huawei publish 20 k2; printf ,; se "${p}7" huawei unpublish 30 k1
	printf ,; se "${p}8" huawei publish 10 k1; printf ,; se "${p}8" huawei publish 10 k2
	printf ,; se "${p}9" jdcloud unpublish 10
}
pre=
for n in 1 2 3 4 9; do pre="$pre${pre:+,}$(se "ex-$n" jdcloud unpublish -86400 zz)"; done
for n in 5 6 7 8; do pre="$pre,$(se "ex-$n" huawei unpublish -86400 zz)"; done
q "SELECT count(*) FROM livehook.ingest('[$pre]')" >/dev/null
check "new and existing streams, one batch: every event stored" "34" \
    "$(q "SELECT count(*) FROM livehook.ingest('[$(cases nw-),$(cases ex-)]') WHERE result = 'ok'")"
livestate() {
	q "SET TIME ZONE 'UTC'; SELECT substr(stream, 4), live, live_since, session_key, client_ip
	     FROM livehook.streams WHERE stream LIKE '$1%' ORDER BY 1"
}
check "  ... the new streams: live 1, 3, 4, 5, 7 and 8, with the newest publish's key" "1|t|2024-05-03 01:33:30+00||10.9.9.10
2|f|||10.9.9.10
3|t|2024-05-03 01:33:30+00||10.9.9.10
4|t|2024-05-03 01:33:50+00||10.9.9.30
5|t|2024-05-03 01:33:30+00|k1|10.9.9.10
6|f||k1|10.9.9.10
7|t|2024-05-03 01:33:40+00|k2|10.9.9.20
8|t|2024-05-03 01:33:30+00|k2|10.9.9.10
9|f|||" "$(livestate nw-)"
check "  ... the same state as the streams that were there" "$(livestate nw-)" "$(livestate ex-)"

# A batch whose streams are all new stores its sessions and daily totals
# in a shorter statement of its own (the batch above, with streams that
# were there, took the general one): the same cases give the same
# sessions, state and totals.
sessions() {
	q "SET TIME ZONE 'UTC'; SELECT substr(stream, 4), session_key, started_at, ended_at, duplicate
	     FROM livehook.sessions WHERE stream LIKE '$1%' ORDER BY 1, 2, 3, 4"
}
totals="SELECT sum(sessions) AS s, sum(streamed_time) AS t, sum(recording_files) AS f,
    sum(recorded_time) AS r, sum(recorded_bytes) AS b, sum(snapshots) AS n FROM livehook.daily_totals"
q "DROP TABLE IF EXISTS public.totals_before; CREATE TABLE public.totals_before AS $totals"
file=$(printf '{"vendor":"huawei","kind":"record_file_complete","auth":"signature","event_key":"nv-file","domain":"push.example.com","app":"live","stream":"nv-1","event_time":1714700040000,"file_key":"nv-f","duration":90000,"file_size":1000,"payload":{}}')
check "new streams alone: every event stored" "18" \
    "$(q "SELECT count(*) FROM livehook.ingest('[$(cases nv-),$file]') WHERE result = 'ok'")"
check "  ... the sessions of new streams in a batch with old ones" "$(sessions nw-)" "$(sessions nv-)"
check "  ... their live state" "$(livestate nw-)" "$(livestate nv-)"
check "  ... the daily totals grow by those sessions and the file" \
    "$(q "SELECT count(started_at), sum(ended_at - started_at) FROM livehook.sessions WHERE stream LIKE 'nv-%'")|1|00:01:30|1000" \
    "$(q "SELECT a.s - b.s, a.t - b.t, a.f - b.f, a.r - b.r, a.b - b.b FROM ($totals) a, public.totals_before b; DROP TABLE public.totals_before")"
# A batch without publishes or unpublishes adds its files and snapshots
# to the daily totals alone.
q "CREATE TABLE public.totals_before AS $totals"
snap=$(printf '{"vendor":"tencent","kind":"snapshot","auth":"signature","event_key":"nf-snap","domain":"push.example.com","app":"live","stream":"nf-1","event_time":1714700050000,"url":"https://cos.example.com/nf.jpg","file_size":2048,"payload":{}}')
check "a batch of a file and a snapshot only: both stored" "2" \
    "$(q "SELECT count(*) FROM livehook.ingest('[$(echo "$file" | sed 's/nv-/nf-/g'),$snap]') WHERE result = 'ok'")"
check "  ... the daily totals grow by one file of 90 s and 1000 bytes and one snapshot" "0|1|00:01:30|1000|1" \
    "$(q "SELECT a.s - b.s, a.f - b.f, a.r - b.r, a.b - b.b, a.n - b.n FROM ($totals) a, public.totals_before b; DROP TABLE public.totals_before")"

# One event twice in a batch: the first is stored, the second is a
# duplicate; a redelivery (its own receive time, no vendor time) leaves the
# stream as it was.
ev() { printf '{"vendor":"aliyun","kind":"%s","auth":"token","event_key":"%s","domain":"push.example.com","app":"live","stream":"twice","received_at":%s,"payload":{}}' "$@"; }
check "a batch with one event twice" "0|ok
1|duplicate
2|ok" "$(q "SELECT * FROM livehook.ingest('[$(ev publish d-1 1714600000000),$(ev publish d-1 1714600001000),$(ev unpublish d-2 1714600060000)]')")"
check "  ... one callback row for it" "1" "$(q "SELECT count(*) FROM livehook.callbacks WHERE event_key = 'd-1'")"
check "  ... a redelivery alone is a duplicate" "0|duplicate" \
    "$(q "SELECT * FROM livehook.ingest('[$(ev publish d-1 1714600090000)]')")"
check "  ... and the stream keeps its times" "f|2024-05-01 21:46:40+00|2024-05-01 21:47:40+00" \
    "$(q "SELECT live, last_publish AT TIME ZONE 'UTC' || '+00', last_event_time AT TIME ZONE 'UTC' || '+00' FROM livehook.streams WHERE stream = 'twice'")"
check "  ... a redelivery first and a new event: each answer at its index" "0|duplicate
1|ok" "$(q "SELECT * FROM livehook.ingest('[$(ev publish d-1 1714600091000),$(ev unpublish d-3 1714600095000)]')")"
check "  ... and the new one stored with its own columns" "unpublish|2024-05-01 21:48:15+00" \
    "$(q "SELECT kind, received_at AT TIME ZONE 'UTC' || '+00' FROM livehook.callbacks WHERE event_key = 'd-3'")"

# 5. A bad event in a batch fails alone; the others are stored.
printf '%s\n' "$(sed -n '2p' "$data/scenario.jsonl" | sed 's/"hw-pub"/"bad-0"/')" \
    "$(sed -n '2p' "$data/scenario.jsonl" | sed 's/"hw-pub"/"bad-1"/; s/"kind":"[a-z_]*"/"kind":"nonsense"/')" \
    "$(sed -n '2p' "$data/scenario.jsonl" | sed 's/"hw-pub"/"bad-2"/')" >"$work/bad.jsonl"
check "a refused event fails alone (one commit each)" "ok 2 duplicate 0 retry 0 refused 1" \
    "$("$client" -g 0 "$conn" "$work/bad.jsonl")"
sed 's/"bad-/"badj-/' "$work/bad.jsonl" >"$work/badj.jsonl"
check "  ... and in one JSON batch (ingest(jsonb), as the spool replays)" "ok 2 duplicate 0 retry 0 refused 1" \
    "$("$client" -J -B "$conn" "$work/badj.jsonl")"

# 6. Reconnect after the server restarts.
sed 's/"hw-pub"/"re-1"/; s/"hw-rec"/"re-2"/' "$data/scenario.jsonl" | sed -n '2,3p' >"$work/re.jsonl"
rm -f "$work/go"
"$client" -w "$work/go" "$conn" "$work/re.jsonl" >"$work/re.out" 2>"$work/re.err" &
cpid=$!
sleep 1
pg_ctl_do -m fast -w stop >/dev/null && pg_restart_server
touch "$work/go"
wait "$cpid"
check "reconnect after a restart: both events stored" "ok 2 duplicate 0 retry 0 refused 0" "$(cat "$work/re.out")"

# 7. Applying schema.sql again changes nothing.
dump() { pg_dump -s -n livehook "$@" | grep -v '^\\\(un\)\?restrict '; }
dump >"$work/before.sql"
if pg_load; then ok "schema.sql applies again"; else fail "schema.sql applies again"; fi
dump >"$work/after.sql"
if cmp -s "$work/before.sql" "$work/after.sql"; then ok "schema unchanged by a second apply"; else
	fail "schema unchanged by a second apply"; diff "$work/before.sql" "$work/after.sql" | head -20
fi
# Version 1 as released (tests/data/schema-v1.sql) plus every upgrade script
# equals a fresh install of schema.sql (both empty: partitions come with
# data).
psql -q -X -d postgres -c 'CREATE DATABASE fresh' >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d fresh -f "$top_srcdir/sql/schema.sql" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d fresh -f "$top_srcdir/sql/reporting.sql" >/dev/null
dump fresh >"$work/fresh.sql"
psql -q -X -d postgres -c 'CREATE DATABASE upgraded' >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d upgraded -f "$top_srcdir/tests/data/schema-v1.sql" >/dev/null
for u in "$top_srcdir"/sql/upgrade/*.sql; do
	[ -e "$u" ] || continue
	PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d upgraded -f "$u" >/dev/null || fail "upgrade $u"
done
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d upgraded -f "$top_srcdir/sql/reporting.sql" >/dev/null
dump upgraded >"$work/upgraded.sql"
if cmp -s "$work/fresh.sql" "$work/upgraded.sql"; then ok "upgrades equal a fresh install"; else
	fail "upgrades equal a fresh install"
	diff "$work/fresh.sql" "$work/upgraded.sql" | head -20
fi
# livehook -t refuses a database still at version 1, and passes it once
# upgraded.
psql -q -X -d postgres -c 'CREATE DATABASE old' >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d old -f "$top_srcdir/tests/data/schema-v1.sql" >/dev/null
printf '[database]\nconninfo = %s\n' "$(echo "$PG_CONNINFO" | sed 's/dbname=livehook/dbname=old/')" >"$work/old.conf"
out=$("$top_builddir/livehook" -t -c "$work/old.conf" 2>&1); rc=$?
check "livehook -t refuses schema version 1" "1 yes" \
    "$rc $(echo "$out" | grep -q 'schema version 1, this livehook needs' && echo yes || echo "no: $out")"
printf '[database]\nconninfo = %s\n' "$(echo "$PG_CONNINFO" | sed 's/dbname=livehook/dbname=upgraded/')" >"$work/upgraded.conf"
out=$("$top_builddir/livehook" -t -c "$work/upgraded.conf" 2>&1); rc=$?
check "livehook -t accepts the upgraded database" "0" "$rc"
check "upgraded schema version equals livehook's" \
    "$(sed -n 's/^#define STORE_SCHEMA_VERSION[[:space:]]*//p' "$top_srcdir/src/store.h")" \
    "$(psql -X -A -t -q -d upgraded -c 'SELECT max(version) FROM livehook.schema_version')"

# 8. The same mixed events, shuffled, into version 2 (v1 + 001-to-002) and a
# fresh version 3: every view shows the same rows (version 3 keeps sessions
# and daily totals per batch, version 2 derived them from all history).
# Then version 2 upgraded with its rows shows them too.
# 40 streams of four vendors (Huawei and Tencent with session keys,
# Aliyun and JD without), 6 sessions each over UTC midnights, files,
# snapshots, unmapped messages, late repeated unpublishes, missing ones.
awk 'BEGIN {
	srand(7); n = 0; t0 = 1714600000000
	split("huawei tencent aliyun jdcloud", vs, " ")
	for (st = 0; st < 40; st++) {
		v = vs[st % 4 + 1]; keyed = (v == "huawei" || v == "tencent")
		dom = (st % 5 == 0) ? "play.example.com" : "push.example.com"
		t = t0 + st * 61000
		for (se = 0; se < 6; se++) {
			t += int(rand() * 40000000) + 1000
			d = int(rand() * 20000000) + 60000
			sk = keyed ? sprintf(",\"session_key\":\"%.0f\"", t) : ""
			ev(v, "publish", dom, st, t, sk, "")
			if (rand() < 0.8) ev(v, "record_file_complete", dom, st, t + d / 2, "",
			    sprintf(",\"file_key\":\"f%d\",\"format\":\"HLS\",\"start_time\":%.0f,\"end_time\":%.0f,\"file_size\":%d", n, t, t + d / 2, int(rand() * 1e8)))
			if (rand() < 0.3) ev(v, "snapshot", dom, st, t + 1000, "", ",\"url\":\"https://s.example.com/x.jpg\",\"file_size\":2048")
			if (rand() < 0.1) ev(v, "other", dom, st, t + 2000, "", ",\"event\":\"317\"")
			if (rand() < 0.85) ev(v, "unpublish", dom, st, t + d, sk, "")
			if (rand() < 0.2) ev(v, "unpublish", dom, st, t + d + 5000, sk, "")
			t += d
		}
	}
}
function ev(v, k, dom, st, t, sk, extra) {
	printf "{\"vendor\":\"%s\",\"kind\":\"%s\",\"auth\":\"signature\",\"event_key\":\"mx-%d\",\"received_at\":%.0f,\"domain\":\"%s\",\"app\":\"live\",\"stream\":\"mx%d\",\"event_time\":%.0f%s%s,\"payload\":{}}\n", v, k, n++, t + 500, (k ~ /^record/ ? dom : "push.example.com"), st, t, sk, extra
}' >"$work/mixed.jsonl"
shuf --random-source=<(yes) "$work/mixed.jsonl" >"$work/mixed-shuf.jsonl"
psql -q -X -d postgres -c 'CREATE DATABASE v2' -c 'CREATE DATABASE v3' >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/tests/data/schema-v1.sql" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/001-to-002.sql" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v3 -f "$top_srcdir/sql/schema.sql" >/dev/null
for db in v2 v3; do
	psql -q -X -d $db -c "INSERT INTO livehook.domain_aliases VALUES ('play.example.com', 'push.example.com')"
	# Version 2 has ingest(jsonb) alone; version 3 here is the fresh schema.
	"$client" $([ $db = v2 ] && echo -J) -t 4 "$(echo "$PG_CONNINFO" | sed "s/dbname=livehook/dbname=$db/")" "$work/mixed-shuf.jsonl" >"$work/mixed-$db.out"
done
check "mixed events into version 2 and 3: the same results" "$(cat "$work/mixed-v2.out")" "$(cat "$work/mixed-v3.out")"
views() {
	psql -X -A -t -q -d "$1" -c "SET TIME ZONE 'UTC'" \
	    -c "SELECT 'live_now', vendor, domain, app, stream, live_since, client_ip, session_key FROM livehook.live_now ORDER BY 2, 3, 4, 5" \
	    -c "SELECT 'stream_sessions', * FROM livehook.stream_sessions ORDER BY 2, 3, 4, 5, 7, 6" \
	    -c "SELECT 'recording_files', * FROM livehook.recording_files ORDER BY 2, 3, 4, 5, 6, 7" \
	    -c "SELECT 'timeline', * FROM livehook.timeline ORDER BY 2, 3, 4, 5, 6, 7, 8" \
	    -c "SELECT 'daily_usage', day, vendor, domain, sessions, streamed_time, recording_files,
	        recorded_time, recorded_bytes, snapshots FROM livehook.daily_usage ORDER BY 2, 3, 4" \
	    -c "SELECT 'streams', vendor, domain, app, stream, first_seen, last_event_time, live, live_since,
	        last_publish, last_unpublish, session_key, client_ip FROM livehook.streams ORDER BY 2, 3, 4, 5" \
	    -c "SELECT 'rows', (SELECT count(*) FROM livehook.callbacks), (SELECT count(*) FROM livehook.event_keys),
	        (SELECT count(*) FROM livehook.stream_events), (SELECT count(*) FROM livehook.recordings),
	        (SELECT count(*) FROM livehook.snapshots)" | sort
}
views v2 >"$work/views-v2.txt"
views v3 >"$work/views-v3.txt"
check "  ... $(grep -c . "$work/views-v2.txt") view rows, equal in version 2 and 3" "$(cat "$work/views-v2.txt")" "$(cat "$work/views-v3.txt")"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/002-to-003.sql" >/dev/null ||
    fail "002-to-003.sql with rows"
views v2 >"$work/views-v2-up.txt"
check "  ... and the same after 002-to-003.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(cat "$work/views-v2-up.txt")"
check "  ... which made partitions for May 2024" "4" \
    "$(psql -X -A -t -q -d v2 -c "SELECT count(*) FROM pg_class WHERE relname ~ '_2024_05$' AND relkind = 'r'")"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/003-to-004.sql" >/dev/null ||
    fail "003-to-004.sql with rows"
check "  ... and the same after 003-to-004.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/004-to-005.sql" >/dev/null ||
    fail "004-to-005.sql with rows"
check "  ... and the same after 004-to-005.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/005-to-006.sql" >/dev/null ||
    fail "005-to-006.sql with rows"
check "  ... and the same after 005-to-006.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/006-to-007.sql" >/dev/null ||
    fail "006-to-007.sql with rows"
check "  ... and the same after 006-to-007.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/007-to-008.sql" >/dev/null ||
    fail "007-to-008.sql with rows"
check "  ... and the same after 007-to-008.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
check "  ... and its partitions of callbacks keep no statistics of the payloads" "0 of 2" "$(nostats v2)"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/008-to-009.sql" >/dev/null ||
    fail "008-to-009.sql with rows"
check "  ... and the same after 008-to-009.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
check "  ... whose tables keep small statistics samples, as a fresh install" "0 0" "$(bigstats v3 | cut -d' ' -f1) $(bigstats v2 | cut -d' ' -f1)"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/009-to-010.sql" >/dev/null ||
    fail "009-to-010.sql with rows"
check "  ... and the same after 009-to-010.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d v2 -f "$top_srcdir/sql/upgrade/010-to-011.sql" >/dev/null ||
    fail "010-to-011.sql with rows"
check "  ... and the same after 010-to-011.sql (rows kept)" "$(cat "$work/views-v2.txt")" "$(views v2)"
sed 's/"mx-\([0-9]*\)"/"my-\1"/; s/"stream":"mx/"stream":"my/' "$work/mixed.jsonl" >"$work/mixed2.jsonl"
for db in v2 v3; do
	"$client" -t 4 "$(echo "$PG_CONNINFO" | sed "s/dbname=livehook/dbname=$db/")" "$work/mixed2.jsonl" >/dev/null
done
check "  ... and then stores new events as a fresh install does" "$(views v3)" "$(views v2)"

# 8. The scenario through PgBouncer in transaction pooling.
if command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; then
	bport=$(pg__free_port)
	cat >"$work/pgbouncer.ini" <<EOT
[databases]
livehook = host=127.0.0.1 port=$PGPORT dbname=livehook user=livehook
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 4
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
EOT
	[ "$(id -u)" = 0 ] && chown -R "$PG_RUNAS" "$work"
	pg__as "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" "$work/pgbouncer.ini" >/dev/null 2>&1 &
	bouncer_pid=$!
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$bport") 2>/dev/null && break; sleep 0.1; done
	sed 's/"event_key":"\([a-z0-9-]*\)"/"event_key":"pgb-\1"/; s/"stream":"\([a-z0-9]*\)"/"stream":"pgb\1"/' \
	    "$data/scenario.jsonl" >"$work/pgb.jsonl"
	bconn="host=127.0.0.1 port=$bport dbname=livehook user=livehook"
	check "scenario from 4 threads through PgBouncer (transaction pooling)" "ok 11 duplicate 33 retry 0 refused 0" \
	    "$("$client" -t 4 "$bconn" "$work/pgb.jsonl")"
	check "  ... again through PgBouncer: duplicates" "ok 0 duplicate 11 retry 0 refused 0" \
	    "$("$client" -g 0 -t 1 "$bconn" "$work/pgb.jsonl")"
	check "  ... its sessions" "4" "$(q "SELECT count(*) FROM livehook.stream_sessions WHERE stream LIKE 'pgb%'")"
else
	fail "pgbouncer is not installed (apt-get install pgbouncer)"
fi

# 10. Partitions, retention and the deduplication window.
check "a batch in a month without partitions creates them" "0|ok
1|ok" "$(q "SELECT * FROM livehook.ingest('[
 {\"vendor\":\"huawei\",\"kind\":\"publish\",\"auth\":\"signature\",\"event_key\":\"far-1\",\"domain\":\"push.example.com\",\"app\":\"live\",\"stream\":\"far\",\"event_time\":1924992000000,\"received_at\":1924992001000,\"session_key\":\"1\",\"payload\":{}},
 {\"vendor\":\"huawei\",\"kind\":\"snapshot\",\"auth\":\"signature\",\"event_key\":\"far-2\",\"domain\":\"push.example.com\",\"app\":\"live\",\"stream\":\"far\",\"event_time\":946684800000,\"payload\":{}}]')")"
check "  ... for both months" "callbacks_2000_01 callbacks_2031_01 snapshots_2000_01 stream_events_2031_01" \
    "$(q "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relname IN ('callbacks_2031_01', 'stream_events_2031_01', 'snapshots_2000_01', 'callbacks_2000_01')")"
check "  ... whose callbacks keep no statistics of the payloads, as callbacks" "0 of $(q "SELECT count(*) + 1 FROM pg_inherits WHERE inhparent = 'livehook.callbacks'::regclass")" "$(nostats)"
check "  ... and small statistics samples, as the tables" "0" "$(bigstats | cut -d' ' -f1)"
q "ALTER TABLE livehook.callbacks_2031_01 ALTER COLUMN stream SET STATISTICS 100" >/dev/null
pg_load || fail "schema.sql applies again"
check "  ... and a target an operator set stays when schema.sql applies again" "100" \
    "$(q "SELECT attstattarget FROM pg_attribute WHERE attrelid = 'livehook.callbacks_2031_01'::regclass AND attname = 'stream'")"
q "ALTER TABLE livehook.callbacks_2031_01 ALTER COLUMN stream SET STATISTICS 10" >/dev/null
check "  ... and a batch still refused for its data is refused" "1" \
    "$(q "SELECT * FROM livehook.ingest('[{\"vendor\":\"huawei\",\"kind\":\"nonsense\",\"auth\":\"signature\",\"event_key\":\"bad-kind\",\"event_time\":1924992000000,\"payload\":{}}]')" 2>&1 | grep -c 'callbacks_kind_check')"
# Eight connections whose batches need the same new month at once.
race_pids=
for i in 1 2 3 4 5 6 7 8; do
	q "SELECT result FROM livehook.ingest('[{\"vendor\":\"huawei\",\"kind\":\"snapshot\",\"auth\":\"signature\",\"event_key\":\"race-$i\",\"domain\":\"push.example.com\",\"app\":\"live\",\"stream\":\"race\",\"event_time\":2057529600000,\"received_at\":2057529600000,\"payload\":{}}]')" >"$work/race-$i.out" 2>&1 &
	race_pids="$race_pids $!"
done
wait $race_pids
check "  ... eight connections needing the same new month at once: all stored" "8" "$(cat "$work"/race-*.out | grep -c '^ok$')"
check "maintain() creates this month, the next only in the last 7 days" "5 5 0" \
    "$(q "SELECT livehook.maintain()" >/dev/null; q "SELECT count(*) FROM pg_class WHERE relname ~ ('_' || to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM') || '$') AND relkind = 'r'") $(q "SELECT count(*) FROM pg_class WHERE relname ~ ('_' || to_char((now() AT TIME ZONE 'UTC') + interval '7 days', 'YYYY_MM') || '$') AND relkind = 'r'") $(q "SELECT count(*) FROM pg_class WHERE relname ~ ('_' || to_char((now() AT TIME ZONE 'UTC') + interval '7 days' + interval '1 month', 'YYYY_MM') || '$') AND relkind = 'r'")"
# The months of history cost no batch: the unpublish search that ends
# an unkeyed session and the live-state UPDATE's two reads of
# stream_events prune the earlier months (2000, 2024, ...) when their
# plan starts (auto_explain of the nested statements).
hx() { printf '{"vendor":"jdcloud","kind":"%s","auth":"token","event_key":"hx-%s","domain":"push.example.com","app":"live","stream":"hx","received_at":%s,"event_time":%s,"payload":{}}' "$1" "$2" "$3" "$3"; }
now_ms=$(( $(date +%s) * 1000 ))
q "SELECT count(*) FROM livehook.ingest('[$(hx publish 1 $now_ms)]')" >/dev/null
pruned=$(psql -X -q -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
    -c "SET auto_explain.log_nested_statements = on" -c "SET client_min_messages = log" \
    -c "SELECT count(*) FROM livehook.ingest('[$(hx unpublish 2 $((now_ms + 1000))),$(hx publish 3 $((now_ms + 2000)))]')" 2>&1 |
    grep -c 'Subplans Removed')
check "history: three lookups of stream_events prune the earlier months" "3" "$pruned"
check "  ... and the stream is live again" "t" "$(q "SELECT live FROM livehook.streams WHERE stream = 'hx'")"
check "maintain() with no retention set drops nothing" "" "$(q "SELECT * FROM livehook.maintain() WHERE action = 'dropped'")"
usage_before=$(q "SELECT * FROM livehook.daily_usage ORDER BY 1, 2, 3")
sessions_before=$(q "SELECT * FROM livehook.stream_sessions ORDER BY 1, 2, 3, 4, 5, 6")
streams_before=$(q "SELECT * FROM livehook.streams ORDER BY 1, 2, 3, 4")
q "UPDATE livehook.settings SET value = 30 WHERE name = 'retention_days'"
q "UPDATE livehook.event_keys SET first_seen = now() - interval '8 days' WHERE event_key LIKE 'rev-%'"
check "retention 30 days: maintain() drops the old months, forgets old keys" "dropped|callbacks_2000_01
dropped|callbacks_2024_05
dropped|play_events_2000_01
dropped|play_events_2024_05
dropped|recordings_2000_01
dropped|recordings_2024_05
dropped|snapshots_2000_01
dropped|snapshots_2024_05
dropped|stream_events_2000_01
dropped|stream_events_2024_05
forgot|1000 event keys" "$(q "SELECT * FROM livehook.maintain()")"
check "  ... the callbacks of those months are gone" "0" \
    "$(q "SELECT count(*) FROM livehook.callbacks WHERE received_at < now() - interval '30 days'")"
check "  ... daily_usage unchanged" "$usage_before" "$(q "SELECT * FROM livehook.daily_usage ORDER BY 1, 2, 3")"
check "  ... stream_sessions unchanged" "$sessions_before" "$(q "SELECT * FROM livehook.stream_sessions ORDER BY 1, 2, 3, 4, 5, 6")"
check "  ... streams unchanged" "$streams_before" "$(q "SELECT * FROM livehook.streams ORDER BY 1, 2, 3, 4")"
check "  ... the far-future month stays" "1" "$(q "SELECT count(*) FROM livehook.callbacks WHERE event_key = 'far-1'")"
check "dedup_days below the longest vendor retry horizon is refused" "1" \
    "$(q "UPDATE livehook.settings SET value = 3 WHERE name = 'dedup_days'" 2>&1 | grep -c settings_dedup_check)"

# 10. Rejections (issue 14): counts per minute, vendor, status and reason,
# added up across flushes and processes, never a row per request.
# The checks name the minute of now_ms, not now()'s: a minute may turn
# between here and them.
now_ms=$(q "SELECT (extract(epoch FROM date_trunc('minute', now())) * 1000)::bigint")
rj() { printf '{"bucket":%s,"vendor":"%s","status":%s,"reason":"%s","count":%s,"addr":%s,"last_seen":%s}' "$@"; }
check "count_rejections() adds a batch" "2" \
    "$(q "SELECT livehook.count_rejections('[$(rj "$now_ms" huawei 403 'wrong signature' 5 '"192.0.2.1"' "$((now_ms + 1000))"),$(rj "$now_ms" unknown 404 'unknown path' 1 null "$((now_ms + 2000))")]')")"
q "SELECT livehook.count_rejections('[$(rj "$now_ms" huawei 403 'wrong signature' 3 '"2001:db8::7"' "$((now_ms + 5000))")]')" >/dev/null
q "SELECT livehook.count_rejections('[$(rj "$now_ms" huawei 403 'wrong signature' 2 '"192.0.2.9"' "$((now_ms + 500))")]')" >/dev/null
q "SELECT livehook.count_rejections('[$(rj "$((now_ms - 60000))" huawei 403 'wrong signature' 4 '"192.0.2.2"' "$((now_ms - 30000))")]')" >/dev/null
check "  ... one row per minute and key, counts added" "2|14" \
    "$(q "SELECT count(*), sum(count) FROM livehook.rejections WHERE vendor = 'huawei'")"
check "  ... the newest delivery's address wins, whatever the order of flushes" "10|2001:db8::7" \
    "$(q "SELECT count, last_remote_addr FROM livehook.rejections WHERE vendor = 'huawei' AND bucket = to_timestamp($now_ms / 1000.0)")"
q "SELECT livehook.count_rejections('[$(rj "$((now_ms - 26 * 3600000))" huawei 403 'wrong signature' 7 null "$((now_ms - 26 * 3600000))"),$(rj "$((now_ms - 32 * 86400000))" huawei 403 'wrong signature' 9 null "$((now_ms - 32 * 86400000))")]')" >/dev/null
check "view rejections_recent: the last 24 h per vendor, status, reason; first_seen = start of the earliest minute" \
    "huawei|403|wrong signature|14|t|t|2001:db8::7|14
unknown|404|unknown path|1|t|t||1" \
    "$(q "SELECT vendor, status, reason, count, first_seen = to_timestamp(($now_ms - 60000) / 1000.0) OR vendor = 'unknown', last_seen = to_timestamp(($now_ms + 5000) / 1000.0) OR vendor = 'unknown', last_remote_addr, last_hour FROM livehook.rejections_recent ORDER BY 1")"
check "  ... buckets older than 31 days are forgotten, a day-old one is kept" "1" \
    "$(q "SELECT count(*) FROM livehook.rejections WHERE bucket < now() - interval '1 day'")"
check "  ... the reporting role reads it" "2" \
    "$(psql -X -A -t -q -c 'SET ROLE livehook_reporting' -c 'SELECT count(*) FROM livehook.rejections_recent')"
check "  ... a batch that is not a list is refused" "1" \
    "$(q "SELECT livehook.count_rejections('{}')" 2>&1 | grep -c ERROR)"
# The upgrade scripts apply again to an upgraded database without a
# change (each in order: 003-to-004.sql carries version 4's ingest(), which
# 004-to-005.sql replaces, 005-to-006.sql that one, 006-to-007.sql
# moves its statements into ingest_rows(), which 007-to-008.sql replaces;
# 008-to-009.sql replaces 007-to-008.sql's partitions_ensure(), 009-to-010.sql
# and 010-to-011.sql its ingest_rows()).
dump upgraded >"$work/upgraded-1.sql"
for u in 003-to-004.sql 004-to-005.sql 005-to-006.sql 006-to-007.sql 007-to-008.sql 008-to-009.sql 009-to-010.sql 010-to-011.sql; do
	PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d upgraded -f "$top_srcdir/sql/upgrade/$u" >/dev/null ||
	    fail "$u applies again"
done
dump upgraded >"$work/upgraded-2.sql"
cmp -s "$work/upgraded-1.sql" "$work/upgraded-2.sql" &&
    ok "003-to-004.sql to 010-to-011.sql apply again, unchanged" ||
    fail "003-to-004.sql to 010-to-011.sql apply again, unchanged"

echo "# storage: $passed passed, $failed failed"
[ "$failed" = 0 ]
