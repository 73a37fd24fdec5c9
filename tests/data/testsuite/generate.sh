#!/bin/bash
# Regenerate the real test-suite outputs in this directory by running real suites: an automake
# parallel-harness project (make check), a DejaGnu tool suite (runtest), an Autotest suite
# (autom4te), a TAP suite (perl's prove: TAP::Harness, what perl's `make test_harness` and
# OpenSSL/XML::Parser use), Python unittest, CPython's regrtest and a tcltest suite. Each has
# passes, failures, skips and expected failures, so every counter of lfsbuild.testsuite sees
# a real value.
#
# Usage: bash tests/data/testsuite/generate.sh [OUT_DIR]   (default: this directory)
# Needs: autoconf automake make gcc dejagnu perl python3 tcl (Debian: apt-get install -y
# autoconf automake dejagnu tcl). tests/test_testsuite.py also runs the automake and DejaGnu
# parts live (generate.sh automake|dejagnu OUT_DIR) when those tools are installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=all
case ${1:-} in automake|dejagnu|autotest|tap|unittest|regrtest|tcltest) what=$1; shift ;; esac
out=$(realpath -m "${1:-$here}")
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C

want() { [ "$what" = all ] || [ "$what" = "$1" ]; }

# --- automake: test-suite.log + the "Testsuite summary" make check prints -------------------
if want automake; then
  mkdir -p "$work/am/tests" "$out/automake"
  cd "$work/am"
  cat > configure.ac <<'EOF'
AC_INIT([demo], [1.0])
AM_INIT_AUTOMAKE([foreign])
AC_CONFIG_FILES([Makefile tests/Makefile])
AC_OUTPUT
EOF
  echo 'SUBDIRS = tests' > Makefile.am
  cat > tests/Makefile.am <<'EOF'
TESTS = pass1.sh pass2.sh pass3.sh fail.sh skip.sh xfail.sh xpass.sh hard.sh
XFAIL_TESTS = xfail.sh xpass.sh
EOF
  printf '#!/bin/sh\nexit 0\n' | tee tests/pass1.sh tests/pass2.sh tests/pass3.sh tests/xpass.sh >/dev/null
  printf '#!/bin/sh\necho "expected 1, got 2"\nexit 1\n' | tee tests/fail.sh tests/xfail.sh >/dev/null
  printf '#!/bin/sh\nexit 77\n' > tests/skip.sh
  printf '#!/bin/sh\necho "hard error"\nexit 99\n' > tests/hard.sh
  chmod +x tests/*.sh
  autoreconf -i >/dev/null 2>&1
  ./configure >/dev/null
  make check > "$out/automake/console.log" 2>&1 || true
  cp tests/test-suite.log "$out/automake/test-suite.log"
  cd "$here"
fi

# --- DejaGnu: <tool>.sum ---------------------------------------------------------------------
if want dejagnu; then
  mkdir -p "$work/dg/testsuite/demo.all" "$work/dg/testsuite/config" "$out/dejagnu"
  cd "$work/dg/testsuite"
  : > config/unix.exp
  cat > demo.all/results.exp <<'EOF'
pass "one plus one"
pass "two plus two"
pass "strings"
fail "division"
setup_xfail "*-*-*"
fail "known bug"
setup_xfail "*-*-*"
pass "fixed bug"
setup_kfail "PR1" "*-*-*"
fail "kernel bug"
unresolved "needs network"
untested "big file"
unsupported "no ipv6"
EOF
  runtest --tool demo --srcdir . > "$out/dejagnu/console.log" 2>&1 || true
  cp demo.sum "$out/dejagnu/demo.sum"
  # two target variations: a "Summary for" block each, then the grand total
  mkdir -p "$out/dejagnu-variants" variants
  runtest --tool demo --srcdir . --outdir variants --target_board 'unix{,/-m32}' \
    > /dev/null 2>&1 || true
  cp variants/demo.sum "$out/dejagnu-variants/demo.sum"
  cd "$here"
fi

# --- Autotest: testsuite.log (bison, libtool, tar, gdbm, kbd, autoconf) ------------------------
if want autotest; then
  mkdir -p "$work/at" "$out/autotest"
  cd "$work/at"
  cat > testsuite.at <<'EOF'
AT_INIT([demo])
AT_SETUP([passes])
AT_CHECK([true])
AT_CLEANUP
AT_SETUP([passes too])
AT_CHECK([echo hi], [0], [hi
])
AT_CLEANUP
AT_SETUP([fails])
AT_CHECK([echo 1], [0], [2
])
AT_CLEANUP
AT_SETUP([skipped])
AT_CHECK([exit 77])
AT_CLEANUP
AT_SETUP([expected failure])
AT_XFAIL_IF([true])
AT_CHECK([false])
AT_CLEANUP
EOF
  printf 'm4_define([AT_PACKAGE_STRING], [demo 1.0])\nm4_define([AT_PACKAGE_BUGREPORT], [nobody])\n' > package.m4
  autom4te --language=autotest -o testsuite testsuite.at
  sh ./testsuite > "$out/autotest/console.log" 2>&1 || true
  cp testsuite.log "$out/autotest/testsuite.log"
  cd "$here"
fi

# --- TAP::Harness (prove) ----------------------------------------------------------------------
if want tap; then
  mkdir -p "$work/tap/t" "$out/tap"
  cd "$work/tap"
  printf 'print "1..3\\nok 1\\nok 2\\nok 3 # skip no network\\n";\n' > t/good.t
  printf 'print "1..4\\nok 1\\nnot ok 2 - sums\\nnot ok 3 # TODO later\\nok 4\\n";\n' > t/bad.t
  prove t > "$out/tap/console.log" 2>&1 || true
  cd "$here"
fi

# --- Python unittest ---------------------------------------------------------------------------
if want unittest; then
  mkdir -p "$work/ut" "$out/unittest"
  cat > "$work/ut/test_demo.py" <<'EOF'
import unittest


class Demo(unittest.TestCase):
    def test_ok(self):
        self.assertEqual(1 + 1, 2)

    def test_ok_too(self):
        self.assertTrue(True)

    def test_fail(self):
        self.assertEqual(1 + 1, 3)

    def test_error(self):
        raise RuntimeError("boom")

    @unittest.skip("no network")
    def test_skip(self):
        pass

    @unittest.expectedFailure
    def test_xfail(self):
        self.assertEqual(1, 2)
EOF
  (cd "$work/ut" && python3 -m unittest -v test_demo > "$out/unittest/console.log" 2>&1) || true
fi

# --- CPython's regrtest (Python's `make test`) ------------------------------------------------
if want regrtest; then
  mkdir -p "$out/regrtest"
  python3 -m test test_bisect test_colorsys test_nosuchmodule_lfsbuild \
    > "$out/regrtest/console.log" 2>&1 || true
  sed -i -E 's/[0-9]+(\.[0-9]+)? (sec|ms)/N \2/g' "$out/regrtest/console.log"
fi

# --- tcltest (Tcl, Expect) ---------------------------------------------------------------------
if want tcltest; then
  mkdir -p "$work/tcl" "$out/tcltest"
  cat > "$work/tcl/demo.test" <<'EOF'
package require tcltest
namespace import ::tcltest::*
test ok-1 {passes} {expr {1 + 1}} 2
test ok-2 {passes} {string length abc} 3
test fail-1 {fails} {expr {1 + 1}} 3
test skip-1 {skipped} -constraints nonPortable -body {expr 1} -result 1
cleanupTests
EOF
  (cd "$work/tcl" && tclsh demo.test > "$out/tcltest/console.log" 2>&1) || true
  sed -i -E "s#$work/tcl/##g" "$out/tcltest/console.log"
fi

# machine-specific paths and dates out, so a regeneration only shows real differences
find "$out" -type f \( -name '*.log' -o -name '*.sum' \) -exec sed -i -E \
  -e "s#$work/#/build/#g" -e 's#^Test run by .*#Test run by root#' \
  -e 's#^(testsuite: (starting|ending) at:).*#\1 DATE#' {} +
