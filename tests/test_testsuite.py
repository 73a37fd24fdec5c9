"""lfsbuild.build.testsuite on real test-suite output.

The samples in tests/data/testsuite/ were captured from real runs on this kind of machine by
tests/data/testsuite/generate.sh (automake's harness, DejaGnu, Autotest, TAP::Harness, Python
unittest and regrtest, tcltest), each suite with passes, failures, skips and expected failures
so every counter meets a real value. The automake and DejaGnu runs are also repeated live here
when their tools are installed, so a format change in a newer release shows up in CI.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import need

from lfsbuild.build.runner import collect_tests
from lfsbuild.build.testsuite import (TestSummary, parse_console, parse_sum, result_kind,
                                      summarize)

DATA = Path(__file__).resolve().parent / "data" / "testsuite"
GENERATE = DATA / "generate.sh"

# What each real run did (see generate.sh): the expected counts, independently of the parser.
EXPECTED = {
    # 3 pass, fail, skip (77), xfail, xpass, hard error (99)
    "automake": dict(passed=3, failed=1, skipped=1, xfail=1, xpass=1, errors=1),
    # 3 pass, fail, xfail, xpass, kfail, unresolved, untested, unsupported
    "dejagnu": dict(passed=3, failed=1, skipped=2, xfail=2, xpass=1, unresolved=1),
    # the same .exp run for two target variations: the grand total, not the sum of all blocks
    "dejagnu-variants": dict(passed=6, failed=2, skipped=4, xfail=4, xpass=2, unresolved=2),
    # 2 pass, fail, skip, xfail
    "autotest": dict(passed=2, failed=1, skipped=1, xfail=1),
    # 7 subtests (one skipped, one TODO failure count as passed for TAP), one real failure
    "tap": dict(passed=6, failed=1),
    # ok, ok, fail, error, skip, expected failure
    "unittest": dict(passed=2, failed=1, errors=1, skipped=1, xfail=1),
    # test_bisect + test_colorsys (49 tests, all pass) and a test file that crashes on import
    "regrtest": dict(passed=49, errors=1),
    # 2 pass, fail, skip (constraint)
    "tcltest": dict(passed=2, failed=1, skipped=1),
}


def counts(s: TestSummary) -> dict[str, int]:
    return {k: v for k, v in s.as_dict().items()
            if k in ("passed", "failed", "skipped", "xfail", "xpass", "errors", "unresolved") and v}


@pytest.mark.parametrize("suite", sorted(EXPECTED))
def test_real_sample(suite):
    summary = summarize(DATA / suite)
    assert summary.found, summary
    assert counts(summary) == EXPECTED[suite], summary.sources
    assert not summary.ok


@pytest.mark.parametrize("suite", ["automake", "dejagnu", "autotest"])
def test_console_alone_gives_the_same_counts(suite, tmp_path):
    """Without the result files (a recipe that only kept `make check > console.log`)."""
    shutil.copy(DATA / suite / "console.log", tmp_path / "console.log")
    summary = summarize(tmp_path)
    assert counts(summary) == EXPECTED[suite]
    assert summary.sources == [f"console.log ({'dejagnu' if suite == 'dejagnu' else suite})"]


def test_result_files_win_over_the_console_that_repeats_them():
    """automake prints its banner to the console *and* writes test-suite.log: counted once."""
    assert "# PASS:  3" in (DATA / "automake" / "console.log").read_text()
    summary = summarize(DATA / "automake")
    assert summary.passed == 3 and summary.sources == ["test-suite.log (automake)"]


def test_logs_of_several_directories_add_up(tmp_path):
    """`find . -name test-suite.log -exec cp --parents`: one log per test directory."""
    for sub in ("gnulib-tests", "tests"):
        (tmp_path / sub).mkdir()
        shutil.copy(DATA / "automake" / "test-suite.log", tmp_path / sub)
    summary = summarize(tmp_path)
    assert summary.passed == 6 and summary.failed == 2 and summary.errors == 2
    assert len(summary.sources) == 2


def test_parallel_chunks_beside_a_merged_sum_are_not_counted_twice(tmp_path):
    """libstdc++'s parallel check leaves normalN/libstdc++.sum beside the merged file."""
    top = tmp_path / "libstdc++-v3" / "testsuite"
    for chunk in ("normal1", "normal2"):
        (top / chunk).mkdir(parents=True)
        shutil.copy(DATA / "dejagnu" / "demo.sum", top / chunk / "libstdc++.sum")
    shutil.copy(DATA / "dejagnu-variants" / "demo.sum", top / "libstdc++.sum")
    gas = tmp_path / "gas" / "testsuite"
    gas.mkdir(parents=True)
    shutil.copy(DATA / "dejagnu" / "demo.sum", gas / "gas.sum")
    summary = summarize(tmp_path)
    assert summary.passed == 6 + 3 and summary.failed == 2 + 1
    assert len(summary.sources) == 2


def test_result_lines_without_a_summary_block():
    """glibc's tests.sum has only `PASS: name` lines: the real .sum without its summary block
    must count the same."""
    text = (DATA / "dejagnu" / "demo.sum").read_text()
    lines_only = text.split("=== demo Summary ===")[0]
    summary = parse_sum(lines_only)
    assert summary.sources == ["result lines"]
    assert counts(summary) == EXPECTED["dejagnu"]


def test_other_console_files_are_read_when_there_is_no_console_log(tmp_path):
    shutil.copy(DATA / "tap" / "console.log", tmp_path / "perl-test.log")
    assert counts(summarize(tmp_path)) == EXPECTED["tap"]


# Formats of chapter 8 suites that cannot run on this host, written as the packages' sources
# print them (glibc's scripts/merge-test-results.sh summary, util-linux's tests/run.sh,
# e2fsprogs' tests/test_script, gawk's test/Makefile, perl's t/TEST and Test::Harness 2).
SOURCE_FORMATS = {
    "Summary of test results:\n      4 FAIL\n   5123 PASS\n     97 UNSUPPORTED\n"
    "     16 XFAIL\n      2 XPASS\n": dict(passed=5123, failed=4, skipped=97, xfail=16, xpass=2),
    "           All 262 tests PASSED\n": dict(passed=262),
    "            3 tests of 262 FAILED\n": dict(passed=259, failed=3),
    "372 tests succeeded\t1 tests failed\n": dict(passed=372, failed=1),
    "ALL TESTS PASSED\n": {},
    "2 TESTS FAILED\n": dict(failed=2),
    "Failed 2 tests out of 2632, 99.92% okay.\n": dict(passed=2630, failed=2),
    "Failed 1/2 test programs. 1/5 subtests failed.\n": dict(passed=4, failed=1),
    "Total duration: 12 min\nTotal tests: run=45,123 failures=2 skipped=1,532\n"
    "Total test files: run=480/482 failed=1 skipped=20\nResult: FAILURE\n":
        dict(passed=43589, failed=2, skipped=1532),
}


@pytest.mark.parametrize("text", SOURCE_FORMATS, ids=lambda t: t.split("\n")[0][:30])
def test_console_formats_from_package_sources(text):
    summary = parse_console(text)
    assert summary.found
    assert counts(summary) == SOURCE_FORMATS[text]


def test_nothing_recognisable_is_an_empty_summary(tmp_path):
    (tmp_path / "timed-out.txt").write_text("")
    (tmp_path / "console.log").write_text("make: Nothing to be done for 'check'.\n")
    summary = summarize(tmp_path)
    assert not summary.found and summary.total == 0 and summary.ok
    assert str(summary) == "no recognised test summary"
    assert summarize(tmp_path / "missing").found is False


def test_as_dict_is_plain_json():
    d = summarize(DATA / "dejagnu").as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["total"] == 10 and d["ok"] is False and d["found"] is True
    assert d["sources"] == ["demo.sum (dejagnu)"]


def test_runner_records_the_summary_beside_the_log(tmp_path):
    """The runner's collect_tests: copies the results next to the step log, returns counts."""
    results = tmp_path / "work" / "test-results"
    shutil.copytree(DATA / "automake", results)
    log = tmp_path / "logs" / "stage4" / "grep.log"
    log.parent.mkdir(parents=True)
    rec = collect_tests(results, log)
    assert rec["passed"] == 3 and rec["errors"] == 1
    assert rec["dir"] == str(log.with_name("grep-tests"))
    assert (log.with_name("grep-tests") / "test-suite.log").is_file()


def test_result_files_are_named_once():
    """The runner collects and summarize trusts the same names (testsuite.RESULT_FILES)."""
    assert result_kind("gcc.sum") == result_kind("tests.sum") == "dejagnu"
    assert result_kind("test-suite.log") == "automake"
    assert result_kind("testsuite.log") == "autotest"
    for other in ("console.log", "gcc.log", "t1.log", "test-suite.log.orig", "sum"):
        assert result_kind(other) is None, other


def test_glibc_subdir_sums_are_parts_of_tests_sum(tmp_path):
    """glibc leaves subdir-tests.sum in every directory; tests.sum merges them: count it once."""
    (tmp_path / "build" / "math").mkdir(parents=True)
    (tmp_path / "build" / "math" / "subdir-tests.sum").write_text("PASS: math/t1\nFAIL: math/t2\n")
    (tmp_path / "build" / "subdir-tests.sum").write_text("PASS: tst-top\n")
    (tmp_path / "build" / "tests.sum").write_text(
        "PASS: tst-top\nPASS: math/t1\nFAIL: math/t2\n")
    s = summarize(tmp_path)
    assert (s.passed, s.failed) == (2, 1)
    assert s.sources == ["build/tests.sum (result lines)"]


def _tree_with_results(tmp_path: Path) -> tuple[Path, Path, float]:
    """A build tree as a step leaves it: old result files from the tarball, new ones from the
    run, a TEST_DIR inside the tree (searched once, as itself), logs that are not results."""
    tree = tmp_path / "work" / "pkg-1.0"
    for rel, text in {"old/test-suite.log": "# TOTAL: 9\n# PASS:  9\n",
                      "tests/test-suite.log": "# TOTAL: 3\n# PASS:  2\n# FAIL:  1\n",
                      "build/ld/ld.sum": "# of expected passes\t\t5\n",
                      "build/ld/ld.log": "PASS: x\n",
                      "tests/t3.log": "FAIL: t3\n"}.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    since = (tree / "tests/test-suite.log").stat().st_mtime
    os.utime(tree / "old/test-suite.log", (since - 3600, since - 3600))   # from the tarball
    os.symlink(tree / "tests/test-suite.log", tree / "old/testsuite.log")  # never followed
    results = tree / "test-results"
    results.mkdir()
    (results / "console.log").write_text("PASS: t1\n")
    (results / "exit-status").write_text("2 make check\n0 sh\n")
    (results / "kept.sum").write_text("# of expected passes\t\t1\n")   # by the recipe itself
    return tree, results, since


def test_runner_collects_this_steps_result_files_with_their_paths(tmp_path):
    tree, results, since = _tree_with_results(tmp_path)
    log = tmp_path / "logs" / "stage4" / "pkg.log"
    log.parent.mkdir(parents=True)
    rec = collect_tests(results, log, tree=tree, since=since)
    kept = log.with_name("pkg-tests")
    assert rec["dir"] == str(kept)
    assert sorted(str(p.relative_to(kept)) for p in kept.rglob("*")
                  if p.is_file()) == ["build/ld/ld.sum", "console.log", "exit-status",
                                      "kept.sum", "tests/test-suite.log"]
    assert (rec["passed"], rec["failed"]) == (8, 1)          # ld.sum 5, kept.sum 1, suite 2
    assert rec["exit_statuses"] == [2, 0]
    # a step whose suite left nothing at all records nothing
    empty = tmp_path / "empty"
    empty.mkdir()
    assert collect_tests(empty, log, tree=empty, since=since) is None
    assert not kept.exists()


# ----------------------------------------------------------------------------- live runs

@pytest.mark.slow
@pytest.mark.parametrize("suite,tools,packages", [
    ("automake", ("autoreconf", "automake", "make"), "autoconf automake make"),
    ("dejagnu", ("runtest",), "dejagnu"),
], ids=["automake", "dejagnu"])
def test_live_run_matches_the_committed_sample(suite, tools, packages, tmp_path):
    need(*tools, package=packages)
    res = subprocess.run(["bash", str(GENERATE), suite, str(tmp_path)], capture_output=True,
                         text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    live = summarize(tmp_path / suite)
    assert counts(live) == EXPECTED[suite] == counts(summarize(DATA / suite))
