#!/bin/bash
# multi-host.sh -- two web hosts (127.0.0.1 and 127.0.0.2), each with its own lighttpd, livehook,
# spool and PgBouncer, writing to one PostgreSQL (SPEC section 10): a vendor's redelivery to the
# other host is a duplicate, one host's database link cut while the other keeps storing, and
# after the link is back every event is in the database exactly once.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/fault.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-hosts.XXXXXX")
bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
loadgen=$top_builddir/tests/loadgen
rc=0
ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; rc=1; }

# host_save NAME / host_use NAME: stack.sh keeps one stack per shell in
# its globals; these swap two.
host_save() {
	local v
	for v in STACK_DIR STACK_PORT STACK_URL STACK_CONF _stack_server_pid _stack_livehook; do
		eval "${1}_$v=\${$v}"
	done
}
host_use() {
	local v
	for v in STACK_DIR STACK_PORT STACK_URL STACK_CONF _stack_server_pid _stack_livehook; do
		eval "$v=\${${1}_$v}"
	done
}
cleanup() {
	host_use b 2>/dev/null && stack_stop
	host_use a 2>/dev/null && stack_stop
	bouncer_stop a
	bouncer_stop b
	pg_stop
	rm -rf "$work"
}

# bouncer_start NAME ADDR: a PgBouncer of its own per host, in
# transaction pooling, listening on ADDR; sets NAME_bport.
bouncer_start() {
	local name=$1 addr=$2 port
	eval "port=\${${name}_bport:-}"
	[ -n "$port" ] || port=$(pg__free_port) || return 1
	eval "${name}_bport=$port"
	cat >"$work/$name.ini" <<EOT
[databases]
livehook = host=$PG_DIR port=$PGPORT dbname=livehook user=livehook
[pgbouncer]
listen_addr = $addr
listen_port = $port
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 4
logfile = $work/$name-pgbouncer.log
pidfile = $work/$name-pgbouncer.pid
EOT
	[ "$(id -u)" = 0 ] && chown -R "$PG_RUNAS" "$work"
	rm -f "$work/$name-pgbouncer.pid"
	pg__as "$bouncer" -d "$work/$name.ini" >/dev/null 2>&1
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# pgbouncer $name did not start:"
	sed 's/^/#   /' "$work/$name-pgbouncer.log"
	return 1
}
# bouncer_stop NAME [SIGNAL]: the link of that host is cut.
bouncer_stop() {
	local f=$work/$1-pgbouncer.pid
	[ -s "$f" ] && kill -"${2:-TERM}" "$(cat "$f")" 2>/dev/null
	for _ in $(seq 50); do
		[ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$f"
}
# send NAME FILE: the requests of FILE to host NAME, 400 a second; prints
# the number not answered 2xx.
send() {
	local n addr port out
	n=$(wc -l <"$2")
	eval "addr=\$${1}_addr port=\$${1}_STACK_PORT"
	out=$("$loadgen" -a "$addr" -p "$port" -R 400 -d $(( (n + 399) / 400 )) -f "$2" 2>&1)
	echo "$out" | sed -n 's/^PACED .*sent=\([0-9]*\) 2xx=\([0-9]*\) .*/\1 \2/p' |
	    awk -v n="$n" '{ print n - $2 }'
}
stored() { pg_val "SELECT count(*) FROM livehook.callbacks WHERE stream LIKE 'two-%'"; }

pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
trap cleanup EXIT
a_addr=127.0.0.1 b_addr=127.0.0.2
bouncer_start a "$a_addr" && bouncer_start b "$b_addr" ||
    { echo "FAIL - pgbouncer did not start on $a_addr and $b_addr"; exit 1; }
for h in a b; do
	eval "addr=\$${h}_addr port=\$${h}_bport"
	# shellcheck disable=SC2154  # set by the eval
	PGHOST=$addr PGPORT=$port STACK_BIND=$addr STACK_SPOOL=1 STACK_DB_TIMEOUT=2 stack_start ||
	    { echo "FAIL - host $h did not start"; exit 1; }
	host_save "$h"
	STACK_DIR=
done
trap cleanup EXIT
echo "# host a: http://$a_addr:$a_STACK_PORT via pgbouncer :$a_bport; host b: http://$b_addr:$b_STACK_PORT via pgbouncer :$b_bport"

# 2,400 signed events of the four vendors, each its own stream, as
# vendors would send them; the same bytes again are a redelivery.
"$loadgen" -G 2400 -t two -o "$work/reqs" >/dev/null ||
    { echo "FAIL - loadgen -G"; exit 1; }
sed -n '1,800p' "$work/reqs" >"$work/r1"		# both links up
sed -n '801,1200p' "$work/reqs" >"$work/r2"	# to a only, while its link is cut
sed -n '1201,1600p' "$work/reqs" >"$work/r3"	# to a (cut) and to b
sed -n '1601,2400p' "$work/reqs" >"$work/r4"	# to b only, while a's link is cut

# 1. Both up: every event to a, then the same to b.
bad=$(send a "$work/r1"); [ "$bad" = 0 ] && ok "host a: 800 of 800 answered 2xx" || fail "host a: $bad not 2xx"
bad=$(send b "$work/r1"); [ "$bad" = 0 ] && ok "host b: the 800 redeliveries answered 2xx" || fail "host b: $bad redeliveries not 2xx"
n=$(stored)
[ "$n" = 800 ] && ok "800 callbacks stored, the redeliveries on the other host were duplicates" ||
    fail "$n callbacks stored after 800 events delivered twice (want 800)"

# 2. Host a's database link cut (its PgBouncer killed): a spools, b goes on.
bouncer_stop a KILL
echo "# host a's link to the database cut"
(send a "$work/r2" >"$work/a2.bad"; send a "$work/r3" >"$work/a3.bad") &
pa=$!
(send b "$work/r3" >"$work/b3.bad"; send b "$work/r4" >"$work/b4.bad") &
pb=$!
wait "$pb"
n=$(stored)
[ "$n" = 2000 ] && ok "host b kept storing while a's link was cut: 2,000 stored" ||
    fail "$n stored while a's link was cut (want 2,000: 800 + b's 1,200)"
wait "$pa"
sum() { cat "$@" | awk '{ n += $1 } END { print (NR == 0 ? "none" : n) }'; }
bad=$(sum "$work/a2.bad" "$work/a3.bad")
[ "$bad" = 0 ] && ok "host a answered all 800 2xx without its database (spooled)" ||
    fail "host a: $bad not 2xx without its database"
bad=$(sum "$work/b3.bad" "$work/b4.bad")
[ "$bad" = 0 ] && ok "host b answered all 1,200 2xx" || fail "host b: $bad not 2xx"
host_use a
spooled=$(find "$STACK_DIR/spool" -maxdepth 1 -name '*.json*' | wc -l)
[ "$spooled" -gt 0 ] && ok "host a's spool holds $spooled events" || fail "host a spooled nothing"

# 3. The link back: a's workers replay the spool by themselves.
bouncer_start a "$a_addr" || fail "pgbouncer a did not restart"
fault_spool_wait 60 && ok "host a's spool drained by itself" || fail "host a's spool did not drain"
n=$(stored)
dups=$(pg_val "SELECT count(*) FROM (SELECT stream FROM livehook.callbacks WHERE stream LIKE 'two-%' GROUP BY stream HAVING count(*) > 1) d")
keys=$(pg_val "SELECT count(*) FROM livehook.event_keys k JOIN livehook.callbacks c ON c.id = k.callback_id WHERE c.stream LIKE 'two-%'")
[ "$n" = 2400 ] && [ "$dups" = 0 ] && [ "$keys" = 2400 ] &&
    ok "every event stored exactly once: 2,400 callbacks, 2,400 event keys, no stream twice" ||
    fail "after the drain: $n callbacks (want 2,400), $dups streams twice, $keys event keys"
replayed=$(grep -o 'spool: replayed [0-9]*' "$STACK_DIR/livehook.log" | awk '{ n += $3 } END { print n + 0 }')
echo "# host a replayed $replayed spooled events (the 400 also sent to b were duplicates there)"
[ "$rc" = 0 ] || { host_use a; stack_log; host_use b; stack_log; }
exit $rc
