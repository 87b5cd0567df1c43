# tests/lib/pg.sh -- start and stop a throwaway PostgreSQL (sourced by tests, quickstart and bench).
#
#   . tests/lib/pg.sh
#   pg_start            # initdb in a temp dir, start, create db "livehook", load sql/
#   pg_stop             # stop it and remove the dir (also on EXIT via pg_trap)
#   pg_warm             # what a database in service has (the benchmarks)
#
# Server binaries come from $PG_BINDIR or `pg_config --bindir` (they are
# not on PATH on Debian).  PostgreSQL refuses to run as root, so as root the
# server runs as the user "postgres" (or "nobody").  The socket lives in
# the temp dir; PG_TCP=1 also listens on 127.0.0.1:$PGPORT.  PG_FAST=1
# turns fsync off (unit-speed tests); the default is durable.
# Exports PGHOST PGPORT PGUSER PGDATABASE PG_DIR PG_CONNINFO.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

pg__as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PG_RUNAS" -- "$@"
	else
		"$@"
	fi
}

pg__free_port() {
	local p
	for p in $(shuf -i 20000-29999 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

pg_start() {
	local bindir opts
	bindir=${PG_BINDIR:-$(pg_config --bindir)}
	PG_BINDIR=$bindir
	if [ "$(id -u)" = 0 ]; then
		if id postgres >/dev/null 2>&1; then PG_RUNAS=postgres; else PG_RUNAS=nobody; fi
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/livehook-pg.XXXXXX") || return 1
	chmod 755 "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown "$PG_RUNAS" "$PG_DIR"
	PGPORT=$(pg__free_port) || { echo "pg.sh: no free port" >&2; return 1; }
	pg__as "$bindir/initdb" --nosync -A trust -U livehook -E UTF8 --locale=C \
	    -D "$PG_DIR/data" >"$PG_DIR/initdb.log" 2>&1 ||
	    { cat "$PG_DIR/initdb.log" >&2; return 1; }
	opts="-c unix_socket_directories=$PG_DIR -c port=$PGPORT -c max_connections=200"
	if [ "${PG_TCP:-0}" = 1 ]; then
		opts="$opts -c listen_addresses=127.0.0.1"
	else
		opts="$opts -c listen_addresses="
	fi
	[ "${PG_FAST:-0}" = 1 ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	PG_OPTS=$opts
	pg__as "$bindir/pg_ctl" -w -t 60 -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -o "$opts" start >/dev/null ||
	    { cat "$PG_DIR/server.log" >&2; return 1; }
	export PGHOST=$PG_DIR PGPORT PGUSER=livehook PGDATABASE=livehook PG_DIR PG_BINDIR
	export PG_CONNINFO="host=$PG_DIR port=$PGPORT user=livehook dbname=livehook"
	psql -q -d postgres -c 'CREATE DATABASE livehook' >/dev/null || return 1
	pg_load || return 1
}

# Load the schema and the reporting role (idempotent).
pg_load() {
	local PGOPTIONS="-c client_min_messages=warning"
	export PGOPTIONS
	psql -q -X -v ON_ERROR_STOP=1 -f "$top_srcdir/sql/schema.sql" >/dev/null &&
	    psql -q -X -v ON_ERROR_STOP=1 -f "$top_srcdir/sql/reporting.sql" >/dev/null
}

# pg_ctl with the right user and data dir: pg_ctl_do stop -m immediate
pg_ctl_do() {
	pg__as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" "$@"
}

pg_restart_server() {
	pg_ctl_do -w -t 60 -o "$PG_OPTS" start >/dev/null
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	pg_ctl_do -m immediate stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}

# psql one value: pg_val "SELECT count(*) FROM livehook.callbacks"
pg_val() {
	psql -X -A -t -q -c "$1"
}

# pg_warm: what a database in service already has, for the benchmarks
# (bench/run says why): WAL segments to recycle (24 switches, then a
# checkpoint keeps them) and this month's partitions (livehook.maintain(),
# as the daily timer makes them).
pg_warm() {
	psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE TABLE public.bench_warm (x integer)' \
	    -c 'DO $$ BEGIN FOR i IN 1..24 LOOP INSERT INTO public.bench_warm VALUES (i); PERFORM pg_switch_wal(); END LOOP; END $$' \
	    -c 'DROP TABLE public.bench_warm' -c 'SELECT livehook.maintain()' -c CHECKPOINT >/dev/null
}
