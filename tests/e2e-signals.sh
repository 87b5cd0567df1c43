#!/bin/bash
# e2e-signals.sh -- SIGTERM: idle in accept, livehook exits within a second; in the middle of a
# request, it finishes that request (answered after its commit) and then exits; with a
# connection that has sent nothing yet, it still exits.
# FastCGI is spoken by cgi-fcgi (libfcgi-bin), so that a body can arrive slowly.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
. "$top_srcdir/tests/lib/pg.sh"

passed=0 failed=0 lh=
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-signals.XXXXXX")
cleanup() { [ -n "$lh" ] && kill -9 "$lh" 2>/dev/null; pg_stop; rm -rf "$work"; }
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }

PG_FAST=1 pg_start || { echo "FAIL - cannot start PostgreSQL"; exit 1; }
cat >"$work/livehook.conf" <<EOT
[database]
conninfo = $PG_CONNINFO
[server]
threads = 4
[jdcloud]
token = sig-token
EOT
sock=$work/livehook.sock

start() {
	"$top_builddir/livehook" -c "$work/livehook.conf" -s "$sock" 2>>"$work/livehook.log" &
	lh=$!
	for _ in $(seq 50); do [ -S "$sock" ] && return 0; sleep 0.1; done
	return 1
}
# gone PID SECONDS: 0 when PID exits within SECONDS
gone() {
	local i
	for i in $(seq $(( $2 * 20 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

# 1. Idle in accept (4 threads blocked): SIGTERM ends the process within a second.
start || fail "livehook listens on its own socket (-s)"
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$lh"
if gone "$lh" 1; then ok "idle: SIGTERM exits in $(( ($(date +%s%N) - t0) / 1000000 )) ms"; else
	fail "idle: SIGTERM did not exit within 1 s"; kill -9 "$lh"; fi
wait "$lh" 2>/dev/null; rc=$?
[ "$rc" = 0 ] && ok "idle: exit status 0" || fail "idle: exit status $rc"
lh=

# 2. In the middle of a request: the body arrives in two parts; SIGTERM in between.
rm -f "$sock"
start || fail "livehook restarts"
body='{"version":"v1.1","publishDomain":"push.example.com","appName":"live","streamName":"sigterm","event":"publish_started","status":"success","eventTime":1700000000123}'
half=${#body}; half=$((half / 2))
(
	printf '%s' "${body:0:$half}"
	sleep 1
	printf '%s' "${body:$half}"
) | env -i REQUEST_METHOD=POST SCRIPT_NAME=/livehook PATH_INFO=/jdcloud/sig-token \
    REMOTE_ADDR=127.0.0.1 CONTENT_LENGTH=${#body} \
    cgi-fcgi -bind -connect "$sock" >"$work/answer" 2>&1 &
client=$!
sleep 0.4
kill -TERM "$lh"
sleep 0.3
if kill -0 "$lh" 2>/dev/null; then ok "busy: still running while its request is in progress"; else
	fail "busy: exited with a request in progress"; fi
wait "$client"
if grep -q '"message":"ok"' "$work/answer" && grep -q '^Status: 200' "$work/answer"; then
	ok "busy: the request in progress was answered 200"
else
	fail "busy: the request in progress was answered: $(tr -d '\r' <"$work/answer" | head -3)"
fi
n=$(pg_val "SELECT count(*) FROM livehook.stream_events WHERE stream = 'sigterm'")
[ "$n" = 1 ] && ok "busy: its row is stored" || fail "busy: $n rows stored"
if gone "$lh" 2; then ok "busy: exits once the request is done"; else fail "busy: did not exit"; fi
lh=

# 3. A web server connection that has sent nothing yet (libfcgi waits up to
# 2 s for its first bytes): SIGTERM still ends the process promptly.
rm -f "$sock"
start || fail "livehook restarts"
perl -MIO::Socket::UNIX -e 'my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n"; sleep 8' \
    "$sock" &
silent=$!
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$lh"
if gone "$lh" 3; then ok "silent connection: SIGTERM exits in $(( ($(date +%s%N) - t0) / 1000000 )) ms"; else
	fail "silent connection: still running 3 s after SIGTERM"; kill -9 "$lh"; fi
kill "$silent" 2>/dev/null; wait "$silent" 2>/dev/null
lh=

echo "# signals: $passed passed, $failed failed"
[ "$failed" = 0 ]
