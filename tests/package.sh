#!/bin/bash
# package.sh -- the Debian package end to end: build, lintian, install, serve a signed callback, purge.
#
# Run by .ci/run as its own stage, as root, on a machine without the
# livehook package (it refuses to touch one that has it, or a livehook
# user, /etc/livehook or /var/spool/livehook from elsewhere):
#
#   tests/package.sh
#
# 1. copies the tree (git: the tracked and unignored files as they are in
#    the work tree; else the tree without build*/) and runs
#    dpkg-source -b and dpkg-buildpackage -b -us -uc there, then lintian
#    on both (no error, no warning);
# 2. apt-get install ./livehook_*.deb, checks what it installed (files,
#    conffile owner and mode, user, spool, every sql/upgrade script);
# 3. a throwaway PostgreSQL loaded with /usr/share/livehook/sql/schema.sql,
#    /etc/livehook/livehook.conf edited in place, livehook -t as livehook,
#    the installed livehook.service's ExecStartPre and ExecStart run by
#    hand (spawn-fcgi, socket /run/livehook/livehook.sock) behind lighttpd
#    with the installed snippet on a free port, livehook-send --all, rows
#    checked, then one callback spooled with PostgreSQL stopped;
# 4. apt-get purge: the spool with its event is kept (with a message) and
#    so is the user; install again, livehook --drain stores the event;
#    a reinstall over an edited conffile keeps it and names the schema
#    upgrade scripts; purge again: nothing is left.
# Packages that the install pulled in are purged again at the end, and
# whatever a failure leaves behind is removed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
src=$top_srcdir
conf=/etc/livehook/livehook.conf
spool=/var/spool/livehook
export DEBIAN_FRONTEND=noninteractive

step() {
	printf '==> %s\n' "$*"
}

fail() {
	printf 'FAIL - %s\n' "$*"
	exit 1
}

ok() {
	printf 'ok - %s\n' "$*"
}

[ "$(id -u)" = 0 ] || fail "tests/package.sh installs and purges a package: run it as root"
dpkg-query -W livehook >/dev/null 2>&1 &&
    fail "the package livehook is known to dpkg here (installed or its configuration kept): this test would purge it"
getent passwd livehook >/dev/null && fail "a user livehook exists already: this test would remove it"
for p in /etc/livehook "$spool" /var/lib/livehook /run/livehook /usr/share/livehook; do
	[ -e "$p" ] && fail "$p exists already: this test would remove it"
done
for t in dpkg-buildpackage dh lintian apt-get spawn-fcgi curl systemd-analyze; do
	command -v "$t" >/dev/null 2>&1 || fail "$t not found (contrib/quickstart.sh installs it)"
done
lighttpd=$(command -v lighttpd || echo /usr/sbin/lighttpd)
[ -x "$lighttpd" ] || fail "lighttpd not found"
start=$(date +%s)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/livehook-package.XXXXXX") || exit 1
chmod 0755 "$tmp"
pkgs_before=$tmp/packages-before
dpkg-query -W -f '${Package}\n' | sort >"$pkgs_before"
lighttpd_pid=
livehook_pid=

stop_servers() {
	[ -n "$lighttpd_pid" ] && kill "$lighttpd_pid" 2>/dev/null && wait "$lighttpd_pid" 2>/dev/null
	lighttpd_pid=
	if [ -n "$livehook_pid" ]; then
		kill "$livehook_pid" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$livehook_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$livehook_pid" 2>/dev/null
		wait "$livehook_pid" 2>/dev/null
	fi
	livehook_pid=
	# systemd removes RuntimeDirectory= when the unit stops.
	rm -rf /run/livehook
}

# Leave the machine as it was: none of this existed before (checked above).
cleanup() {
	local extra
	stop_servers
	pg_stop 2>/dev/null
	if dpkg-query -W livehook >/dev/null 2>&1; then
		apt-get purge -y -q livehook >/dev/null 2>&1
	fi
	rm -rf "$spool" /var/lib/livehook /etc/livehook
	if getent passwd livehook >/dev/null; then
		deluser --quiet --system livehook >/dev/null 2>&1
	fi
	if getent group livehook >/dev/null; then
		delgroup --quiet --system livehook >/dev/null 2>&1
	fi
	extra=$(dpkg-query -W -f '${Package}\n' | sort | comm -13 "$pkgs_before" -)
	if [ -n "$extra" ]; then
		echo "# purging what the install pulled in: $extra"
		# shellcheck disable=SC2086  # one word per package
		apt-get purge -y -q $extra >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------
step "copying the tree to $tmp/livehook"
mkdir "$tmp/livehook" || exit 1
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	    tar -c --null -T - -f -) | tar -x -C "$tmp/livehook" ||
	    fail "cannot copy the git tree"
else
	(cd "$src" && tar -c --exclude='./build*' --exclude=./debian/livehook \
	    --exclude=./debian/tmp -f - .) | tar -x -C "$tmp/livehook" ||
	    fail "cannot copy the tree"
fi
cd "$tmp/livehook" || exit 1
version=$(dpkg-parsechangelog -S Version)
upstream=$(sed -n 's/^AC_INIT(\[livehook\], \[\([^]]*\)\].*/\1/p' configure.ac)
[ "$version" = "$upstream" ] ||
    fail "debian/changelog is at $version, configure.ac at $upstream: add a changelog entry"
ok "debian/changelog and configure.ac agree on version $version"

# The source package too, for lintian (a native package: one tarball).
(cd "$tmp" && dpkg-source -b livehook) >"$tmp/source.log" 2>&1 ||
    { cat "$tmp/source.log"; fail "dpkg-source -b failed"; }

step "dpkg-buildpackage -b -us -uc"
if ! nice -n 10 dpkg-buildpackage -b -us -uc >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log"
	fail "dpkg-buildpackage failed"
fi
grep -E '^# (TOTAL|PASS|FAIL)' "$tmp/build.log"
deb=$(ls "$tmp"/livehook_"$version"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no livehook_${version}_*.deb built"
ok "built ${deb##*/} ($(($(date +%s) - start)) s)"

step "lintian"
lintian --fail-on error,warning "$tmp/livehook_$version.dsc" \
    "$tmp"/livehook_"$version"_*.changes >"$tmp/lintian.out" 2>&1
lrc=$?
grep -v '^running with root privileges' "$tmp/lintian.out"
[ "$lrc" = 0 ] || fail "lintian reports errors or warnings (above)"
ok "lintian (source and binary package): no error, no warning"

# ---------------------------------------------------------------------
# install_deb [apt-get options]: apt-get install the package, output in
# $tmp/install.out.
install_deb() {
	(cd "$tmp" && apt-get install -y -q "$@" "./${deb##*/}") >"$tmp/install.out" 2>&1 || {
		cat "$tmp/install.out"
		fail "apt-get install ./${deb##*/} failed"
	}
}

step "apt-get install ./${deb##*/}"
install_deb
ok "installed"

for f in /usr/sbin/livehook /usr/bin/livehook-send /usr/share/man/man8/livehook.8.gz \
    /usr/share/man/man5/livehook.conf.5.gz /usr/share/man/man1/livehook-send.1.gz \
    /usr/share/livehook/sql/schema.sql /usr/share/livehook/sql/reporting.sql \
    /usr/share/livehook/contrib/lighttpd/livehook.conf \
    /usr/share/livehook/contrib/apache/livehook-proxy-fcgi.conf \
    /usr/share/livehook/contrib/nginx/livehook.conf /usr/share/livehook/livehook.conf \
    /lib/systemd/system/livehook.service /lib/systemd/system/livehook.socket \
    /lib/systemd/system/livehook-fcgi.service /lib/systemd/system/livehook-maintain.timer \
    /lib/systemd/system/livehook-maintain.service \
    /lib/systemd/system/livehook.service.d/unconfigured.conf; do
	[ -f "$f" ] || fail "$f is not installed"
done
for f in "$tmp"/livehook/sql/*.sql "$tmp"/livehook/sql/upgrade/* "$tmp"/livehook/contrib/dashboards/*; do
	d=${f#"$tmp"/livehook/}
	d=${d%/*}
	[ "$d" = sql/upgrade ] || [ "$d" = sql ] || d=contrib/dashboards
	cmp -s "$f" "/usr/share/livehook/$d/${f##*/}" || fail "$d/${f##*/} is not installed as it is in the tree"
done
ok "binaries, man pages, sql/ (every script and upgrade), contrib/ and the units are installed"
[ "$(/usr/sbin/livehook -V)" = "livehook $version" ] || fail "livehook -V: $(/usr/sbin/livehook -V)"
dpkg-query -W -f '${Conffiles}\n' livehook | grep -q "^ $conf " || fail "$conf is not a conffile"
[ "$(stat -c '%a %U:%G' "$conf")" = "640 root:livehook" ] ||
    fail "$conf is $(stat -c '%a %U:%G' "$conf"), not 640 root:livehook"
grep -Eq '^[[:space:]]*(key|token)[[:space:]]*=' "$conf" && fail "$conf enables a key or token as shipped"
ok "$conf: a conffile, 640 root:livehook, no key"
uid=$(id -u livehook) || fail "no user livehook"
[ "$uid" -lt 1000 ] || fail "livehook is not a system user (uid $uid)"
[ "$(stat -c '%a %U:%G' "$spool")" = "750 livehook:livehook" ] ||
    fail "$spool is $(stat -c '%a %U:%G' "$spool" 2>&1)"
ok "system user livehook (uid $uid), $spool 750 livehook:livehook"

# systemd's own check of the installed units and drop-ins: any complaint fails.
(cd /lib/systemd/system && systemd-analyze verify --man=no livehook.service livehook.socket \
    livehook-fcgi.service livehook-maintain.service livehook-maintain.timer) >"$tmp/verify.out" 2>&1
vrc=$?
[ "$vrc" = 0 ] && [ ! -s "$tmp/verify.out" ] ||
    { cat "$tmp/verify.out"; fail "systemd-analyze verify complains about the installed units"; }
ok "systemd-analyze verify: the five units and their drop-ins are clean"

# The drop-in's ExecCondition, run as systemd would (CI has no systemd).
unit_line() {	# unit-file key: the value, continuation lines joined
	sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' "$1" | sed -n "s/^$2=//p"
}
condition=$(unit_line /lib/systemd/system/livehook.service.d/unconfigured.conf ExecCondition)
[ -n "$condition" ] || fail "no ExecCondition in livehook.service.d/unconfigured.conf"
if out=$(eval "$condition" 2>&1); then
	fail "livehook.service would start with the sample configuration"
fi
case $out in
*"still the sample"*) ok "livehook.service refuses the sample configuration: $out" ;;
*) fail "the unit's condition says: $out" ;;
esac

# ---------------------------------------------------------------------
step "a throwaway PostgreSQL with the installed schema"
# pg.sh loads $top_srcdir/sql/schema.sql and reporting.sql: the installed ones.
top_srcdir=/usr/share/livehook
# shellcheck source=lib/pg.sh
. "$src/tests/lib/pg.sh"
pg_start || fail "PostgreSQL did not start with /usr/share/livehook/sql/schema.sql"
top_srcdir=$src
ok "PostgreSQL on $PG_DIR port $PGPORT, schema loaded from /usr/share/livehook/sql/"

: "${LH_KEY_ALIYUN:=livehookDemoAliyunKey2024}"
: "${LH_KEY_HUAWEI:=livehook-demo-huawei-key-0123456789abcdef}"
: "${LH_KEY_TENCENT:=livehookDemoTencentKey2024}"
: "${LH_TOKEN_JDCLOUD:=livehook-demo-jdcloud-path-token-0123456789}"
: "${LH_TOKEN_SRS:=livehook-demo-srs-path-token-0123456789}"
: "${LH_TOKEN_NGINX_RTMP:=livehook-demo-nginx-rtmp-path-token-0123456789}"
: "${LH_KEY_IVS:=livehook-demo-ivs-api-key-0123456789}"
: "${LH_KEY_MUX:=livehook-demo-mux-signing-secret-0123}"
export LH_KEY_ALIYUN LH_KEY_HUAWEI LH_KEY_TENCENT LH_TOKEN_JDCLOUD
export LH_TOKEN_SRS LH_TOKEN_NGINX_RTMP LH_KEY_IVS LH_KEY_MUX

# What an operator does: edit the one file, in place (owner and mode stay).
edit_conf() {
	sed "s|^conninfo = service=livehook\$|conninfo = host=$PG_DIR port=$PGPORT user=livehook dbname=livehook|" \
	    "$conf" >"$tmp/conf.new" || return 1
	grep -q "^conninfo = host=$PG_DIR " "$tmp/conf.new" || return 1
	cat >>"$tmp/conf.new" <<EOF

[aliyun]
key = $LH_KEY_ALIYUN

[huawei]
key = $LH_KEY_HUAWEI

[jdcloud]
token = $LH_TOKEN_JDCLOUD

[tencent]
key = $LH_KEY_TENCENT

[srs]
token = $LH_TOKEN_SRS

[nginx-rtmp]
token = $LH_TOKEN_NGINX_RTMP

[ivs]
header = X-Livehook-Key
key = $LH_KEY_IVS

[mux]
key = $LH_KEY_MUX
EOF
	cat "$tmp/conf.new" >"$conf"
}
edit_conf || fail "cannot edit $conf"
[ "$(stat -c '%a %U:%G' "$conf")" = "640 root:livehook" ] || fail "editing changed $conf's owner or mode"
eval "$condition" >/dev/null 2>&1 || fail "livehook.service still refuses the edited configuration"
out=$(runuser -u livehook -- /usr/sbin/livehook -t 2>&1) ||
    fail "livehook -t (as livehook, the default configuration path): $out"
case $out in
"$conf: configuration ok, "*"database schema version"*) ok "livehook -t: $out" ;;
*) fail "livehook -t: $out" ;;
esac

step "the installed livehook.service's commands behind lighttpd with the installed snippet"
pre=$(unit_line /lib/systemd/system/livehook.service ExecStartPre)
exe=$(unit_line /lib/systemd/system/livehook.service ExecStart)
[ -n "$pre" ] && [ -n "$exe" ] || fail "no ExecStartPre or ExecStart in livehook.service"
out=$(eval "$pre" 2>&1) || fail "ExecStartPre ($pre): $out"
# RuntimeDirectory=livehook, RuntimeDirectoryMode=0755
install -d -m 0755 /run/livehook
eval "set -- $exe"
"$@" 2>>"$tmp/livehook.log" &
livehook_pid=$!
for _ in $(seq 1 50); do
	[ -S /run/livehook/livehook.sock ] && break
	sleep 0.1
done
[ -S /run/livehook/livehook.sock ] || { cat "$tmp/livehook.log"; fail "spawn-fcgi made no socket"; }

port=
for _ in $(seq 1 20); do
	p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
	port=$p
	break
done
[ -n "$port" ] || fail "no free port"
mkdir -p "$tmp/www"
cat >"$tmp/lighttpd.conf" <<EOF
server.document-root = "$tmp/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$tmp/lighttpd-error.log"
include "/usr/share/livehook/contrib/lighttpd/livehook.conf"
EOF
"$lighttpd" -tt -f "$tmp/lighttpd.conf" >"$tmp/lighttpd-t.out" 2>&1 ||
    { cat "$tmp/lighttpd-t.out"; fail "lighttpd refuses the installed snippet"; }
"$lighttpd" -D -f "$tmp/lighttpd.conf" >"$tmp/lighttpd.out" 2>&1 </dev/null &
lighttpd_pid=$!
url=http://127.0.0.1:$port/livehook
for _ in $(seq 1 50); do
	curl -s -o /dev/null --max-time 2 "$url/healthz" && break
	sleep 0.1
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/readyz")
[ "$code" = 200 ] || { cat "$tmp"/lighttpd*.out "$tmp"/*.log; fail "$url/readyz answers $code"; }
ok "lighttpd on 127.0.0.1:$port, $url/readyz answers 200"

/usr/bin/livehook-send --selftest >"$tmp/selftest.out" 2>&1 ||
    { cat "$tmp/selftest.out"; fail "livehook-send --selftest"; }
/usr/bin/livehook-send --all "$url/" >"$tmp/send.out" 2>&1 ||
    { cat "$tmp/send.out" "$tmp/livehook.log"; fail "livehook-send --all: callbacks refused"; }
sent=$(grep -cE ' 2[0-9][0-9] ' "$tmp/send.out")
stored=$(pg_val "SELECT count(*) FROM livehook.callbacks")
tail -n 1 "$tmp/send.out"
[ "$sent" -gt 0 ] && [ "$stored" = "$sent" ] ||
    fail "$sent callbacks answered 2xx, $stored rows in livehook.callbacks"
ok "$sent signed callbacks through lighttpd into livehook.callbacks"

step "one callback while PostgreSQL is stopped: into the spool"
pg_ctl_do -m fast -w stop >/dev/null || fail "cannot stop PostgreSQL"
out=$(/usr/bin/livehook-send "$url/" tencent publish 2>&1) ||
    { cat "$tmp/livehook.log"; fail "with the database away: $out"; }
nspool=$(find "$spool" -maxdepth 1 -name '*.json' | wc -l)
[ "$nspool" = 1 ] || fail "$nspool files in $spool after one callback with the database away"
ok "answered ($out), one event in $spool"
stop_servers

# ---------------------------------------------------------------------
step "apt-get purge livehook with an event in the spool"
apt-get purge -y -q livehook >"$tmp/purge.out" 2>&1 || { cat "$tmp/purge.out"; fail "apt-get purge failed"; }
grep -q "livehook: kept $spool" "$tmp/purge.out" || { cat "$tmp/purge.out"; fail "purge did not say it kept $spool"; }
[ "$(find "$spool" -maxdepth 1 -name '*.json' | wc -l)" = 1 ] || fail "purge touched the event in $spool"
[ "$(id -u livehook 2>/dev/null)" = "$uid" ] || fail "purge removed the user livehook, the spool's owner"
for p in /usr/sbin/livehook /etc/livehook /usr/share/livehook /var/lib/livehook; do
	[ -e "$p" ] && fail "$p is left after purge"
done
dpkg-statoverride --list "$conf" >/dev/null && fail "the statoverride of $conf is left after purge"
grep -A4 'livehook: kept' "$tmp/purge.out" | sed 's/^/#   /'
ok "purged; $spool and its event kept, with the message above"

step "install again: livehook --drain stores the kept event"
install_deb
[ "$(id -u livehook)" = "$uid" ] || fail "the user livehook changed uid"
edit_conf || fail "cannot edit $conf"
pg_restart_server || fail "PostgreSQL did not start again"
out=$(runuser -u livehook -- /usr/sbin/livehook --drain 2>&1) || fail "livehook --drain: $out"
out=${out##*$'\n'}
after=$(pg_val "SELECT count(*) FROM livehook.callbacks")
[ "$after" = $((stored + 1)) ] || fail "after --drain ($out): $after rows, expected $((stored + 1))"
ok "livehook --drain: $out; $after rows"

step "reinstall over the edited conffile, from an older schema version"
sum=$(md5sum <"$conf")
new=$(cat /var/lib/livehook/schema-version) || fail "no /var/lib/livehook/schema-version"
echo $((new - 1)) >/var/lib/livehook/schema-version
install_deb --reinstall
[ "$(md5sum <"$conf")" = "$sum" ] || fail "the reinstall changed the edited $conf"
[ "$(stat -c '%a %U:%G' "$conf")" = "640 root:livehook" ] || fail "the reinstall changed $conf's owner or mode"
script=$(printf '/usr/share/livehook/sql/upgrade/%03d-to-%03d.sql' $((new - 1)) "$new")
[ -f "$script" ] || fail "$script, the upgrade to schema $new, is not installed"
grep -q "needs database schema version $new" "$tmp/install.out" && grep -qF -- "-f $script" "$tmp/install.out" ||
    { cat "$tmp/install.out"; fail "the postinst did not name $script"; }
grep -A8 'livehook: this version' "$tmp/install.out" | sed 's/^/#   /'
ok "edited conffile kept; the postinst names $script (above)"

step "apt-get purge livehook with an empty spool: nothing is left"
apt-get purge -y -q livehook >"$tmp/purge.out" 2>&1 || { cat "$tmp/purge.out"; fail "apt-get purge failed"; }
grep -q 'livehook: kept' "$tmp/purge.out" && { cat "$tmp/purge.out"; fail "purge kept an empty spool"; }
left=
for p in /etc/livehook "$spool" /var/lib/livehook /usr/share/livehook /usr/share/doc/livehook \
    /usr/sbin/livehook /usr/bin/livehook-send /usr/share/man/man8/livehook.8.gz /run/livehook \
    /lib/systemd/system/livehook.service /lib/systemd/system/livehook.service.d \
    /etc/systemd/system/multi-user.target.wants/livehook.service \
    /var/lib/systemd/deb-systemd-helper-enabled/livehook.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/livehook.service; do
	[ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
getent passwd livehook >/dev/null && left="$left user:livehook"
getent group livehook >/dev/null && left="$left group:livehook"
dpkg-query -W livehook >/dev/null 2>&1 && left="$left dpkg:livehook"
dpkg-statoverride --list "$conf" >/dev/null && left="$left statoverride:$conf"
[ -z "$left" ] || fail "left after purge:$left"
ok "no file, user, group, statoverride, unit link or dpkg record of livehook is left"

echo "# tests/package.sh: $(($(date +%s) - start)) s"
exit 0
