#!/bin/bash
# quickstart.sh -- install what is missing, build livehook, and run it end to end (README "Quick start").
#
#   contrib/quickstart.sh          build, start a throwaway PostgreSQL and
#                                  lighttpd + spawn-fcgi + livehook on
#                                  127.0.0.1, send a signed sample callback
#                                  of every vendor and kind, show what
#                                  landed in the database, stop everything
#   contrib/quickstart.sh serve    the same, but keep serving until Ctrl-C
#   contrib/quickstart.sh check    build and run the whole test suite
#
# Made for a fresh Debian 12 machine: as root it apt-get installs the
# missing packages (as another user it uses sudo, or says what to
# install).  PostgreSQL never runs as root (tests/lib/pg.sh).  Nothing is
# installed system-wide besides the packages; the build goes to ./build
# (or $LIVEHOOK_BUILDDIR).  Running it again is fast and safe.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

mode=${1:-demo}
case $mode in
demo | serve | check) ;;
-h | --help | help)
	sed -n '2,16s/^# \{0,1\}//p' "$0"
	exit 0
	;;
*)
	echo "usage: $0 [serve | check]" >&2
	exit 2
	;;
esac

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${LIVEHOOK_BUILDDIR:-$srcdir/build}
jobs=$(nproc 2>/dev/null || echo 2)

step() {
	printf '==> %s\n' "$*"
}

die() {
	printf 'quickstart: %s\n' "$*" >&2
	exit 1
}

# Debian packages: to build, to test, and to run the demo stack; the
# last line builds and checks the Debian package (tests/package.sh).
packages="build-essential autoconf automake autoconf-archive pkg-config
libfcgi-dev libfcgi-bin spawn-fcgi libjson-c-dev libssl-dev openssl libpq-dev
libinih-dev libcmocka-dev postgresql postgresql-client lighttpd nginx apache2-bin
libapache2-mod-fcgid pgbouncer curl mandoc
libnginx-mod-rtmp ffmpeg prometheus prometheus-postgres-exporter
ca-certificates procps
dpkg-dev debhelper lintian systemd"

install_deps() {
	local p missing=() sudo=
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		    missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		step "build dependencies: all installed"
		return 0
	fi
	command -v apt-get >/dev/null 2>&1 ||
	    die "missing packages ${missing[*]} and no apt-get: install them by hand"
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=sudo
		else
			die "missing packages; as root run: apt-get install ${missing[*]}"
		fi
	fi
	step "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# The packages' own services (PostgreSQL's main cluster, lighttpd on
	# port 80) are not started: the quick start runs its own, on
	# 127.0.0.1 only.  policy-rc.d is Debian's switch for that.
	local policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\n# contrib/quickstart.sh: no service starts while it installs packages\nexit 101\n' |
		    $sudo tee "$policy" >/dev/null && $sudo chmod 0755 "$policy"
	fi
	$sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends \
	    "${missing[@]}" >/dev/null
	local rc=$?
	[ -n "$policy" ] && $sudo rm -f "$policy"
	[ "$rc" -eq 0 ] || die "apt-get install failed"
}

build() {
	cd "$srcdir" || die "cannot enter $srcdir"
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ ! -f build-aux/install-sh ]; then
		step "autoreconf"
		autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; die "autoreconf failed"; }
	fi
	mkdir -p "$builddir" || die "cannot create $builddir"
	cd "$builddir" || die "cannot enter $builddir"
	if [ ! -f Makefile ]; then
		step "configure (in ${builddir#"$srcdir"/})"
		"$srcdir/configure" -q >configure.out 2>&1 || {
			cat configure.out
			die "configure failed"
		}
	fi
	step "make -j$jobs"
	make -j"$jobs" >make.out 2>&1 || {
		tail -n 40 make.out
		die "make failed (whole log: $builddir/make.out)"
	}
}

# The views of SPEC section 5 that exist in this schema version.
show_data() {
	local v views
	step "what landed in PostgreSQL"
	psql -X -q -P pager=off -c "
	    SELECT vendor, kind, count(*) AS callbacks FROM livehook.callbacks
	    GROUP BY 1, 2 ORDER BY 1, 2" || return 1
	views=$(psql -X -q -A -t -c "
	    SELECT table_name FROM information_schema.views
	    WHERE table_schema = 'livehook' AND table_name IN
	    ('live_now', 'stream_sessions', 'recording_files', 'timeline', 'daily_usage')
	    ORDER BY array_position(ARRAY['live_now', 'stream_sessions',
	    'recording_files', 'timeline', 'daily_usage']::text[], table_name::text)")
	for v in $views; do
		echo "-- livehook.$v"
		psql -X -q -P pager=off -c "SELECT * FROM livehook.$v LIMIT 40"
	done
	[ -n "$views" ] || echo "(no reporting views in this schema yet)"
}

install_deps
build

if [ "$mode" = check ]; then
	step "make check (unit tests, PostgreSQL storage tests, end-to-end tests)"
	if make -j"$jobs" check >check.out 2>&1; then
		grep -E '^(# (TOTAL|PASS|FAIL|ERROR|SKIP|XFAIL|XPASS))' check.out
		step "all tests passed"
		exit 0
	fi
	grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS|# )' check.out
	find tests -name '*.trs' -exec grep -lE '^:test-result: (FAIL|ERROR|XPASS)' {} + |
	    while read -r log; do
		echo "---- ${log%.trs}.log"
		tail -n 40 "${log%.trs}.log"
	done
	die "tests failed (logs: $builddir/tests/*.log, $builddir/test-suite.log)"
fi

# demo and serve: a throwaway PostgreSQL, then lighttpd + spawn-fcgi + livehook.
export top_srcdir=$srcdir top_builddir=$builddir
# shellcheck source=../tests/lib/pg.sh
. "$srcdir/tests/lib/pg.sh"
# shellcheck source=../tests/lib/stack.sh
. "$srcdir/tests/lib/stack.sh"

step "starting a throwaway PostgreSQL"
trap 'pg_stop' EXIT
pg_start || die "PostgreSQL did not start"
step "starting lighttpd + spawn-fcgi + livehook on 127.0.0.1"
stack_start || die "the web stack did not start"
step "livehook answers on $STACK_URL/"
# Aliyun reports recordings on its play domain: merge it into the push domain.
psql -X -q -c "INSERT INTO livehook.domain_aliases VALUES ('play.example.com', 'push.example.com')
    ON CONFLICT DO NOTHING" || die "cannot write to the database"

step "sending a signed sample callback of every vendor and kind"
"$srcdir/contrib/livehook-send" --all "$STACK_URL" || {
	stack_log
	die "some callbacks were refused (above)"
}
show_data || die "cannot read the database"

if [ "$mode" = serve ]; then
	cat <<EOF

livehook is serving.  Callback URLs (vendor keys are in $STACK_CONF):
  Aliyun   $STACK_URL/aliyun    (ALI-LIVE-SIGNATURE, key $LH_KEY_ALIYUN)
  Huawei   $STACK_URL/huawei    (auth_sign, key $LH_KEY_HUAWEI)
  Tencent  $STACK_URL/tencent   (sign, key $LH_KEY_TENCENT)
  JD Cloud $STACK_URL/jdcloud/$LH_TOKEN_JDCLOUD
  AWS IVS  $STACK_URL/ivs       (header X-Livehook-Key: $LH_KEY_IVS)
  Mux      $STACK_URL/mux       (Mux-Signature, signing secret $LH_KEY_MUX)
  SRS      $STACK_URL/srs/$LH_TOKEN_SRS
  nginx-rtmp $STACK_URL/nginx-rtmp/$LH_TOKEN_NGINX_RTMP
  probes   $STACK_URL/healthz  $STACK_URL/readyz

Send more:   $srcdir/contrib/livehook-send --all $STACK_URL
             $srcdir/contrib/livehook-send $STACK_URL huawei publish
Look:        psql "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
             then: SELECT * FROM livehook.timeline;
Logs:        $STACK_DIR/livehook.log

Ctrl-C stops livehook, lighttpd and PostgreSQL and removes their files.
EOF
	trap 'kill $! 2>/dev/null; echo; exit 0' INT TERM
	while :; do
		sleep 3600 &
		wait $!
	done
fi

step "stopping"
stack_stop
pg_stop
step "done: contrib/quickstart.sh serve keeps it running; contrib/quickstart.sh check runs the tests"
exit 0
