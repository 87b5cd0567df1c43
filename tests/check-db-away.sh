#!/bin/bash
# check-db-away.sh -- livehook -t with PostgreSQL stopped: a good configuration is "database away",
# a warning and exit 0 (so that systemd starts livehook); a broken one is exit 1; once the
# database answers again, a wrong schema version is exit 1 again (livehook(8) EXIT STATUS).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
. "$top_srcdir/tests/lib/pg.sh"
lh=${LIVEHOOK:-$top_builddir/livehook}
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-check.XXXXXX")
trap 'pg_stop; rm -rf "$work"' EXIT
rc=0
fail() { echo "FAIL - $*"; rc=1; }

PG_FAST=1 pg_start || { echo "FAIL - PostgreSQL did not start"; exit 1; }
# conf NAME CONNINFO [EXTRA]: a configuration with one vendor
conf() {
	printf '[database]\nconninfo = %s\n[server]\nspool_dir = %s/spool\n%s\n[jdcloud]\ntoken = t0123456789\n' \
	    "$2" "$work" "${3:-}" >"$work/$1.conf"
}
conf good "$PG_CONNINFO"
conf nospool "$PG_CONNINFO"
sed -i '/spool_dir/d' "$work/nospool.conf"
conf badkey "$PG_CONNINFO" "no_such_key = 1"
conf badconninfo "host=$PG_DIR port=$PGPORT nosuchoption=1"
pg_ctl_do -m fast -w stop >/dev/null
echo "# PostgreSQL stopped"

# t NAME: run livehook -t on NAME.conf; sets out and st
t() { out=$("$lh" -t -c "$work/$1.conf" 2>&1); st=$?; echo "$out" | sed "s/^/# $1: /"; }
t good
[ "$st" = 0 ] && echo "ok - good configuration, database away: exit 0" || fail "good configuration, database away: exit $st"
case $out in *"database away"*) echo "ok - it says the database is away" ;; *) fail "no 'database away' in the output" ;; esac
case $out in *"livehook: warning: the database does not answer"*spool*) echo "ok - a warning naming the spool" ;;
*) fail "no warning about the database" ;; esac
t nospool
[ "$st" = 0 ] && echo "ok - without a spool, database away: exit 0" || fail "without a spool: exit $st"
case $out in *503*) echo "ok - it says callbacks get 503 without a spool" ;; *) fail "no 503 in the warning" ;; esac
t badkey
[ "$st" = 1 ] && echo "ok - broken configuration, database away: exit 1" || fail "broken configuration: exit $st"
t badconninfo
[ "$st" = 1 ] && echo "ok - unusable conninfo, database away: exit 1" || fail "unusable conninfo: exit $st"

pg_restart_server || { echo "FAIL - PostgreSQL did not restart"; exit 1; }
t good
[ "$st" = 0 ] && echo "ok - database back: exit 0" || fail "database back: exit $st"
case $out in *"schema version"*) echo "ok - it checked the schema version" ;; *) fail "no schema version" ;; esac
psql -X -q -c "UPDATE livehook.schema_version SET version = 1" >/dev/null
t good
[ "$st" = 1 ] && echo "ok - database back at another schema version: exit 1" || fail "wrong schema version: exit $st"
exit $rc
