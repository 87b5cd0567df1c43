#!/bin/bash
# prometheus-rules.sh -- contrib/prometheus: promtool check rules and config, and the rules' unit tests
# (livehook-rules.test.yml: each alert fires on its scenario and stays quiet on the harmless one).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
PROMTOOL=${PROMTOOL:-$(command -v promtool)}
[ -x "$PROMTOOL" ] || { echo "FAIL - promtool not found (apt-get install prometheus)"; exit 1; }
dir=$top_srcdir/contrib/prometheus
rc=0
run() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then echo "ok - $what"; else
		echo "FAIL - $what"; echo "$out" | sed 's/^/# /'; rc=1
	fi
}
run "promtool check rules livehook-rules.yml" "$PROMTOOL" check rules "$dir/livehook-rules.yml"
run "promtool check config prometheus.yml" "$PROMTOOL" check config "$dir/prometheus.yml"
# promtool test rules reads rule_files relative to the test file.
run "promtool test rules livehook-rules.test.yml" "$PROMTOOL" test rules "$dir/livehook-rules.test.yml"
# The tests can fail: a rule that never fires fails them.
work=$(mktemp -d "${TMPDIR:-/tmp}/livehook-rules.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$dir/livehook-rules.yml" "$dir/livehook-rules.test.yml" "$work/"
sed -i 's/livehook_database_up == 0/livehook_database_up == 2/' "$work/livehook-rules.yml"
if "$PROMTOOL" test rules "$work/livehook-rules.test.yml" >/dev/null 2>&1; then
	echo "FAIL - the unit tests pass with a broken LivehookDatabaseDown"; rc=1
else
	echo "ok - the unit tests fail with a broken LivehookDatabaseDown"
fi
exit $rc
