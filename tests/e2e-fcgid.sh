#!/bin/bash
# e2e-fcgid.sh -- callbacks through Apache mod_fcgid starting livehook into a throwaway PostgreSQL.
#
# Run by "make check" (top_srcdir and top_builddir come from the Makefile),
# or by hand from a build directory: top_srcdir=.. bash ../tests/e2e-fcgid.sh
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
export top_srcdir top_builddir

. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/e2e.sh"

e2e_main fcgid
