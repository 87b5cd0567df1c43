#!/bin/bash
# fuzz/run.sh -- build the libFuzzer targets with clang, ASan and UBSan, and run each one.
#   fuzz/run.sh [seconds per target (default 300)] [jobs in parallel (default 2)]
# Seeds are the fixture bodies of tests/data/<vendor>/; findings land in $FUZZ_DIR/crash-*.
set -eu
cd "$(dirname "$0")/.."
src=$PWD
secs=${1:-300}
jobs=${2:-2}
FUZZ_DIR=${FUZZ_DIR:-/tmp/livehook-fuzz}
mkdir -p "$FUZZ_DIR/build"
[ -x configure ] || autoreconf -fi >/dev/null
cd "$FUZZ_DIR/build"
[ -f Makefile ] || CC=clang "$src/configure" -q --enable-fuzz --enable-asan --enable-ubsan
make -s -j2 fuzz/fuzz_aliyun fuzz/fuzz_huawei fuzz/fuzz_jdcloud fuzz/fuzz_tencent fuzz/fuzz_query
make -s -j2 fuzz/fuzz_ivs fuzz/fuzz_mux
make -s -j2 fuzz/fuzz_srs fuzz/fuzz_nginx_rtmp fuzz/fuzz_json
run() {
	local t=$1 corpus=$FUZZ_DIR/corpus-$1
	mkdir -p "$corpus"
	case $t in
	query) grep -h '^query ' "$src"/tests/data/aliyun/*.case | cut -d' ' -f2- |
	    while read -r q; do printf '%s' "$q" >"$corpus/seed-$(printf '%s' "$q" | md5sum | cut -c1-12)"; done ;;
	json) for c in "$src"/tests/data/*/*.case; do
		sed -n '/^body$/,$p' "$c" | tail -n +2 >"$corpus/seed-$(basename "$(dirname "$c")")-$(basename "$c" .case)"
	   done ;;
	nginx_rtmp) for c in "$src"/tests/data/nginx-rtmp/*.case; do
		sed -n '/^body$/,$p' "$c" | tail -n +2 >"$corpus/seed-$(basename "$c" .case)"
	   done ;;
	*) for c in "$src"/tests/data/"$t"/*.case; do
		sed -n '/^body$/,$p' "$c" | tail -n +2 >"$corpus/seed-$(basename "$c" .case)"
	   done ;;
	esac
	./fuzz/fuzz_"$t" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_DIR/crash-$t-" "$corpus" >"$FUZZ_DIR/$t.log" 2>&1
	echo "$t: exit $?, $(grep -E '^stat::number_of_executed_units' "$FUZZ_DIR/$t.log" | awk '{print $2}') executions"
}
export -f run
export FUZZ_DIR src secs
printf '%s\n' aliyun huawei jdcloud tencent query ivs mux srs nginx_rtmp json | xargs -P "$jobs" -I{} bash -c 'run {}'
ls "$FUZZ_DIR"/crash-* 2>/dev/null && { echo "findings above"; exit 1; }
echo "no findings"
