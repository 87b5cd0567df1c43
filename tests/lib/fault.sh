# tests/lib/fault.sh -- shared parts of the fault tests (sourced after pg.sh and stack.sh).
#
# fault_load ARGS...   run tests/loadgen against the stack in the background (FAULT_LOAD_PID)
# fault_count FILE     compare the loadgen record FILE with the database; prints
#                      "sent N, acknowledged N, stored N, duplicates N, lost N" and
#                      sets FAULT_LOST and FAULT_DUPS
# fault_spool_wait S   wait up to S seconds for the spool to empty

FAULT_LOAD_PID=
FAULT_LOST=0
FAULT_DUPS=0

fault_load() {
	"$top_builddir/tests/loadgen" -p "$STACK_PORT" -u /livehook "$@" &
	FAULT_LOAD_PID=$!
}

fault_count() {
	local file=$1 sent acked
	sent=$(wc -l <"$file")
	awk '$3 >= 200 && $3 < 300 { print $1 }' "$file" | sort >"$file.acked"
	acked=$(wc -l <"$file.acked")
	psql -X -A -t -q -c "SELECT stream, count(*) FROM livehook.callbacks GROUP BY stream" |
	    tr '|' ' ' | sort >"$file.db"
	FAULT_DUPS=$(awk '$2 > 1' "$file.db" | wc -l)
	# acknowledged streams with no row
	FAULT_LOST=$(join -v 1 "$file.acked" <(cut -d' ' -f1 "$file.db") | wc -l)
	FAULT_STORED=$(join "$file.acked" <(cut -d' ' -f1 "$file.db") | wc -l)
	echo "# sent $sent, acknowledged $acked, stored $FAULT_STORED, duplicates $FAULT_DUPS, lost $FAULT_LOST"
}

fault_spool_wait() {
	local i n
	for i in $(seq $(( $1 * 2 ))); do
		n=$(find "$STACK_DIR/spool" -maxdepth 1 -name '*.json*' 2>/dev/null | wc -l)
		[ "$n" = 0 ] && return 0
		sleep 0.5
	done
	echo "# spool still holds $n file(s)"
	return 1
}
