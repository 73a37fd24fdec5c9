"""Pass/fail counts from a step's kept test directory, whatever the suite printed.

Chapter 8's test suites speak a dozen dialects, and a failing suite never fails its step
(`lfs_tests`, the recipes' test harness, records the exit status instead, as jhalfs ignores
it), so these counts are the only place a failure shows: in the step's state record,
`invoke status` and the report. The directory holds what the runner kept (runner.collect_tests):
the console output `lfs_tests` wrote, the structured result files of `RESULT_FILES` the runner
collected from the build tree, and whatever a recipe wrote to $TEST_DIR itself.
`summarize(dir)` reads, in order of trust:

1. structured result files, which count every test exactly once:
   DejaGnu `*.sum` (binutils, gcc, libffi, findutils, procps: the `# of expected passes  N`
   block; without one, glibc's `tests.sum`: one `PASS: name` line per test), automake's
   `test-suite.log` (`# PASS:  N` header), Autotest's `testsuite.log` (bison, libtool, tar,
   autoconf, gdbm, kbd: its "N tests were run, M failed" message);
2. only when none of those is there, the console output (`console.log`), read
   for the summaries suites print: automake's `# TOTAL`/`# PASS` banners, DejaGnu and
   Autotest summaries, glibc's "Summary of test results", TAP::Harness (perl, XML::Parser,
   OpenSSL: `Files=N, Tests=M` + the failure report), perl's older `Failed n/m test
   programs`, Python unittest (`Ran N tests` + `FAILED (failures=2)`), CPython's regrtest
   (`Total tests: run=N failures=N skipped=N`), tcltest (Tcl, Expect), util-linux,
   e2fsprogs and gawk.

The console is the fallback and not an addition because it repeats what the structured files
say (automake prints its banner to the console *and* writes test-suite.log). A directory with
nothing recognisable gives an empty summary (`found` is False), never an error: a suite's
output is information, not a build input.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

#: The structured result files by name (fnmatch pattern) and dialect. The one list of them: the
#: runner collects exactly these from a step's build tree, summarize() trusts them first.
RESULT_FILES: dict[str, str] = {"*.sum": "dejagnu", "test-suite.log": "automake",
                                "testsuite.log": "autotest"}
#: What `lfs_tests` writes into $TEST_DIR: the suites' console output (appended per call) and
#: one line per call, "<exit status> <command>".
CONSOLE_LOG = "console.log"
EXIT_STATUS = "exit-status"

COUNTERS = ("passed", "failed", "skipped", "xfail", "xpass", "errors", "unresolved")
MAX_READ = 64 * 1024 * 1024  # gcc's .sum files reach tens of MB; anything bigger is not a summary


@dataclass
class TestSummary:
    """Counts over one step's test output. `sources` says which files (and dialects) counted."""

    __test__ = False  # a name pytest would otherwise try to collect from test modules

    passed: int = 0
    failed: int = 0       # unexpected failures
    skipped: int = 0      # skipped, unsupported, untested
    xfail: int = 0        # expected (or known) failures
    xpass: int = 0        # unexpected passes
    errors: int = 0       # harness errors: a test that could not run or crashed
    unresolved: int = 0   # DejaGnu's unresolved test cases
    sources: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(getattr(self, c) for c in COUNTERS)

    @property
    def found(self) -> bool:
        """Whether any recognised summary was read (a suite of 0 tests still counts)."""
        return bool(self.sources)

    @property
    def ok(self) -> bool:
        """Nothing unexpected: what `invoke status` shows as a clean suite."""
        return self.failed == self.xpass == self.errors == self.unresolved == 0

    def add(self, other: TestSummary) -> None:
        for c in COUNTERS:
            setattr(self, c, getattr(self, c) + getattr(other, c))
        self.sources.extend(other.sources)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON values for the state store (the runner adds the directory)."""
        out: dict[str, object] = {c: getattr(self, c) for c in COUNTERS}
        out.update(total=self.total, ok=self.ok, found=self.found, sources=list(self.sources))
        return out

    def __str__(self) -> str:
        if not self.found:
            return "no recognised test summary"
        parts = [f"{getattr(self, c)} {c}" for c in COUNTERS if getattr(self, c) or c == "passed"]
        return ", ".join(parts)


def result_kind(name: str) -> str | None:
    """The dialect of a structured result file named `name` (see RESULT_FILES), else None."""
    return next((kind for pattern, kind in RESULT_FILES.items()
                 if fnmatch.fnmatchcase(name, pattern)), None)


def exit_statuses(directory: Path) -> list[int]:
    """The exit status of every `lfs_tests` call, in order, from the directory's EXIT_STATUS."""
    path = Path(directory) / EXIT_STATUS
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [int(w[0]) for w in (ln.split(None, 1) for ln in lines) if w and w[0].isdigit()]


def summarize(directory: Path) -> TestSummary:
    """Summary of every result file under `directory` (see the module docstring for the order)."""
    directory = Path(directory)
    files = sorted(p for p in directory.rglob("*") if p.is_file()) if directory.is_dir() else []
    total = TestSummary()
    for path in _dejagnu_files(files):
        part = parse_sum(_read(path))
        if part.found:
            total.add(_named(part, directory, path))
    for path in files:
        kind = result_kind(path.name)
        if kind == "automake":
            part = parse_automake_log(_read(path))
        elif kind == "autotest":
            part = parse_autotest(_read(path))
        else:
            continue
        if part.found:
            total.add(_named(part, directory, path))
    if total.found:
        return total
    for path in files:
        if result_kind(path.name) or path.name == EXIT_STATUS:
            continue  # read above and found empty; or lfs_tests' record of exit statuses
        part = parse_console(_read(path))
        if part.found:
            total.add(_named(part, directory, path))
    return total


# ----------------------------------------------------------------------------- structured files

_DG_COUNT = re.compile(r"^# of ([a-z ]+?)\s+(\d+)\s*$")
_DG_KEYS = {"expected passes": "passed", "unexpected failures": "failed",
            "unexpected successes": "xpass", "expected failures": "xfail",
            "known failures": "xfail", "unknown successes": "xpass",
            "unresolved testcases": "unresolved", "untested testcases": "skipped",
            "unsupported tests": "skipped"}
_DG_HEADER = re.compile(r"^\s*=== (.+?) Summary( for .+?)? ===\s*$")
_RESULT_LINE = re.compile(r"^(PASS|FAIL|XFAIL|XPASS|KFAIL|KPASS|UNSUPPORTED|UNTESTED|UNRESOLVED"
                          r"|ERROR): ")
_RESULT_KEYS = {"PASS": "passed", "FAIL": "failed", "XFAIL": "xfail", "KFAIL": "xfail",
                "XPASS": "xpass", "KPASS": "xpass", "UNSUPPORTED": "skipped",
                "UNTESTED": "skipped", "UNRESOLVED": "unresolved", "ERROR": "errors"}


def parse_sum(text: str) -> TestSummary:
    """A DejaGnu .sum, or a file of `PASS: name` result lines (glibc's tests.sum).

    DejaGnu repeats its summary per target variation ("=== gcc Summary for unix/-m32 ===") and
    adds a grand total ("=== gcc Summary ===") when there are several: the totals win, else
    the blocks add up.
    """
    blocks: list[tuple[bool, TestSummary]] = []
    current: TestSummary | None = None
    for line in text.splitlines():
        header = _DG_HEADER.match(line)
        if header:
            current = TestSummary(sources=["dejagnu"])
            blocks.append((header.group(2) is None, current))
            continue
        m = _DG_COUNT.match(line)
        if m and m.group(1) in _DG_KEYS:
            if current is None:  # counts without a header: one anonymous block
                current = TestSummary(sources=["dejagnu"])
                blocks.append((True, current))
            key = _DG_KEYS[m.group(1)]
            setattr(current, key, getattr(current, key) + int(m.group(2)))
    blocks = [(grand, b) for grand, b in blocks if b.total]
    if blocks:
        grand = [b for is_grand, b in blocks if is_grand]
        chosen = grand if grand else [b for _, b in blocks]
        out = TestSummary()
        for b in chosen:
            out.add(b)
        out.sources = ["dejagnu"]
        return out
    out = TestSummary()
    for line in text.splitlines():
        m = _RESULT_LINE.match(line)
        if m:
            key = _RESULT_KEYS[m.group(1)]
            setattr(out, key, getattr(out, key) + 1)
    if out.total:
        out.sources = ["result lines"]
    return out


_AM_COUNT = re.compile(r"^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):\s+(\d+)\s*$")
_AM_KEYS = {"PASS": "passed", "SKIP": "skipped", "XFAIL": "xfail", "FAIL": "failed",
            "XPASS": "xpass", "ERROR": "errors"}


def parse_automake_log(text: str) -> TestSummary:
    """automake's test-suite.log: the `# PASS:  N` header of one directory's tests."""
    return _automake_blocks(text, "automake")


def _automake_blocks(text: str, source: str) -> TestSummary:
    """Every `# TOTAL:` ... `# ERROR:` block, added up (make check prints one per directory)."""
    out = TestSummary()
    seen = False
    for line in text.splitlines():
        m = _AM_COUNT.match(line)
        if not m:
            continue
        seen = True
        if m.group(1) in _AM_KEYS:
            key = _AM_KEYS[m.group(1)]
            setattr(out, key, getattr(out, key) + int(m.group(2)))
    if seen:
        out.sources = [source]
    return out


_AT_BOX = re.compile(r"^## -+ ##\n## Test results\. ##\n## -+ ##\n", re.MULTILINE)
_AT_RUN = re.compile(r"(\d+) tests? (?:was|were) (run|successful|behaved as expected)")


def parse_autotest(text: str) -> TestSummary:
    """Autotest's result message: "ERROR: 4 tests were run,\\n2 failed (1 expected failure)."."""
    out = TestSummary()
    starts = [m.end() for m in _AT_BOX.finditer(text)]
    if not starts:
        return out
    for start in starts:
        part = _autotest_message(text[start:start + 2000])
        if part is not None:
            out.add(part)
    return out


def _autotest_message(msg: str) -> TestSummary | None:
    lines = []
    for line in msg.lstrip("\n").splitlines():
        if not line.strip() or line.startswith("##"):
            break
        lines.append(line)
    text = " ".join(lines)
    m = _AT_RUN.search(text)
    if not m:
        return None
    run = int(m.group(1))
    fail = xfail = xpass = 0
    if (f := re.search(r"(\d+) failed \((\d+) expected failures?\)", text)):
        xfail = int(f.group(2))
        fail = int(f.group(1)) - xfail
    elif (f := re.search(r"(\d+) failed unexpectedly", text)):
        fail = int(f.group(1))
    # "N tests behaved as expected." (passes and expected failures) does not give the split:
    # they count as passed
    if (p := re.search(r"(\d+) passed unexpectedly", text)):
        xpass = int(p.group(1))
    if (d := re.search(r"(\d+) did not behave as expected \((\d+) unexpected failures?\)", text)):
        fail = int(d.group(2))
        xpass = int(d.group(1)) - fail
    if re.search(r"one (failed|passed) unexpectedly and inhibited", text):
        fail, xpass = (1, 0) if "one failed" in text else (0, 1)
    skipped = 0
    if (s := re.search(r"(\d+) tests? (?:was|were) skipped", text)):
        skipped = int(s.group(1))
    passed = max(run - fail - xfail - xpass, 0)
    return TestSummary(passed=passed, failed=fail, xfail=xfail, xpass=xpass, skipped=skipped,
                       sources=["autotest"])


# ----------------------------------------------------------------------------- console output

def parse_console(text: str) -> TestSummary:
    """Every summary a test run may print to the terminal, added up (see the module docstring)."""
    out = TestSummary()
    for parser in (_console_automake, parse_sum_in_console, parse_autotest, _glibc_summary,
                   _tap_harness, _perl_classic, _python, _tcltest, _util_linux, _e2fsprogs,
                   _gawk):
        part = parser(text)
        if part.found:
            out.add(part)
    return out


def _console_automake(text: str) -> TestSummary:
    return _automake_blocks(text, "automake")


def parse_sum_in_console(text: str) -> TestSummary:
    """DejaGnu's summary as runtest prints it (only the `# of` blocks, not result lines)."""
    if "# of " not in text:
        return TestSummary()
    part = parse_sum("\n".join(ln for ln in text.splitlines()
                               if _DG_HEADER.match(ln) or _DG_COUNT.match(ln)))
    return part if part.sources == ["dejagnu"] else TestSummary()


_GLIBC = re.compile(r"^Summary of test results:\n((?:\s+\d+ [A-Z]+\n?)+)", re.MULTILINE)


def _glibc_summary(text: str) -> TestSummary:
    out = TestSummary()
    for block in _GLIBC.finditer(text):
        for n, kind in re.findall(r"(\d+) ([A-Z]+)", block.group(1)):
            key = _RESULT_KEYS.get(kind)
            if key:
                setattr(out, key, getattr(out, key) + int(n))
        out.sources = ["glibc"]
    return out


_TAP_FILES = re.compile(r"^Files=(\d+), Tests=(\d+)", re.MULTILINE)
_TAP_FAILED = re.compile(r"\(Wstat: \d+(?: \([^)]*\))? Tests: \d+ Failed: (\d+)\)")
_TAP_EXIT = re.compile(r"^\s+Non-zero (?:exit|wait) status: ", re.MULTILINE)


def _tap_harness(text: str) -> TestSummary:
    """TAP::Harness: `Files=2, Tests=7` and a report line per failing file."""
    runs = _TAP_FILES.findall(text)
    if not runs:
        return TestSummary()
    tests = sum(int(t) for _, t in runs)
    failed = sum(int(n) for n in _TAP_FAILED.findall(text))
    errors = len(_TAP_EXIT.findall(text))
    return TestSummary(passed=max(tests - failed, 0), failed=failed, errors=errors,
                       sources=["tap"])


_PERL_OLD = re.compile(r"^Failed (\d+)/(\d+) test programs\. (\d+)/(\d+) subtests failed\.", re.MULTILINE)
_PERL_TEST = re.compile(r"^Failed (\d+) tests? out of (\d+), [\d.]+% okay\.", re.MULTILINE)


def _perl_classic(text: str) -> TestSummary:
    """Test::Harness 2 (`Failed 1/2 test programs. 1/5 subtests failed.`) and perl's t/TEST."""
    out = TestSummary()
    for _, _, bad, total in _PERL_OLD.findall(text):
        out.failed += int(bad)
        out.passed += int(total) - int(bad)
        out.sources = ["perl"]
    for bad, total in _PERL_TEST.findall(text):
        out.failed += int(bad)
        out.passed += int(total) - int(bad)
        out.sources = ["perl"]
    return out


_UT_RAN = re.compile(r"^Ran (\d+) tests? in [\d.]+s\n\n(OK|FAILED)(?: \(([^)]*)\))?", re.MULTILINE)
_UT_KEYS = {"failures": "failed", "errors": "errors", "skipped": "skipped",
            "expected failures": "xfail", "unexpected successes": "xpass"}
_REGR_TESTS = re.compile(r"^Total tests: run=([\d,]+)((?: [a-z_]+=[\d,]+)*)", re.MULTILINE)
_REGR_FILES = re.compile(r"^Total test files: run=[\d,]+/[\d,]+((?: [a-z_]+=[\d,]+)*)", re.MULTILINE)


def _python(text: str) -> TestSummary:
    """CPython's regrtest totals when present (they include every module's unittest run),
    else each unittest `Ran N tests` + `OK`/`FAILED (...)` pair."""
    out = TestSummary()
    regr = _REGR_TESTS.findall(text)
    if regr:
        for run, rest in regr:
            extra = _kv(rest)
            out.failed += extra.get("failures", 0)
            out.skipped += extra.get("skipped", 0)
            out.passed += _int(run) - extra.get("failures", 0) - extra.get("skipped", 0)
        if not out.failed:  # a test file that crashed before running any test
            out.errors += sum(_kv(rest).get("failed", 0) for rest in _REGR_FILES.findall(text))
        out.sources = ["regrtest"]
        return out
    for ran, _, details in _UT_RAN.findall(text):
        part = {k: 0 for k in _UT_KEYS.values()}
        for item in (details.split(",") if details else []):
            name, _, n = item.strip().partition("=")
            if name in _UT_KEYS:
                part[_UT_KEYS[name]] += int(n)
        for key, n in part.items():
            setattr(out, key, getattr(out, key) + n)
        out.passed += int(ran) - sum(part.values())
        out.sources = ["unittest"]
    return out


_TCL = re.compile(r"^(\S+):\s+Total\s+(\d+)\s+Passed\s+(\d+)\s+Skipped\s+(\d+)\s+Failed\s+(\d+)",
                  re.MULTILINE)


def _tcltest(text: str) -> TestSummary:
    """tcltest: `file.test: Total 4 Passed 2 Skipped 1 Failed 1`; all.tcl's line is the total."""
    rows = _TCL.findall(text)
    if not rows:
        return TestSummary()
    totals = [r for r in rows if r[0] == "all.tcl"] or rows
    out = TestSummary(sources=["tcltest"])
    for _, _, passed, skipped, failed in totals:
        out.passed += int(passed)
        out.skipped += int(skipped)
        out.failed += int(failed)
    return out


def _util_linux(text: str) -> TestSummary:
    """util-linux's tests/run.sh: `All 262 tests PASSED` or `5 tests of 262 FAILED`."""
    out = TestSummary()
    for n in re.findall(r"^\s*All (\d+) tests PASSED\s*$", text, re.MULTILINE):
        out.passed += int(n)
        out.sources = ["util-linux"]
    for bad, total in re.findall(r"^\s*(\d+) tests of (\d+) FAILED\s*$", text, re.MULTILINE):
        out.failed += int(bad)
        out.passed += int(total) - int(bad)
        out.sources = ["util-linux"]
    return out


def _e2fsprogs(text: str) -> TestSummary:
    """e2fsprogs' tests/test_script: `373 tests succeeded	0 tests failed`."""
    out = TestSummary()
    for ok, bad in re.findall(r"^(\d+) tests succeeded\s+(\d+) tests failed", text, re.MULTILINE):
        out.passed += int(ok)
        out.failed += int(bad)
        out.sources = ["e2fsprogs"]
    return out


def _gawk(text: str) -> TestSummary:
    """gawk's test/Makefile prints failures only: `ALL TESTS PASSED` or `2 TESTS FAILED`."""
    out = TestSummary()
    if re.search(r"^ALL TESTS PASSED$", text, re.MULTILINE):
        out.sources = ["gawk"]
    for bad in re.findall(r"^(\d+) TESTS? FAILED$", text, re.MULTILINE):
        out.failed += int(bad)
        out.sources = ["gawk"]
    return out


# ----------------------------------------------------------------------------- helpers

#: glibc's per-directory result files and the file its top-level Makefile merges them into
#: (`merge-test-results.sh -t`): build/math/subdir-tests.sum is part of build/tests.sum.
GLIBC_PARTS = {"subdir-tests.sum": "tests.sum", "subdir-xtests.sum": "xtests.sum"}


def _dejagnu_files(files: list[Path]) -> list[Path]:
    """The .sum files, without the parts that a merged file repeats.

    libstdc++'s parallel check leaves normal1/libstdc++.sum, normal2/... beside the merged
    libstdc++.sum it builds from them, and glibc a subdir-tests.sum in every directory beside
    the merged tests.sum (GLIBC_PARTS); counting both would double the suite.
    """
    sums = [p for p in files if result_kind(p.name) == "dejagnu"]
    keep = []
    for p in sums:
        merged = any(q != p and q.parent in p.parents
                     and q.name in (p.name, GLIBC_PARTS.get(p.name)) for q in sums)
        if not merged:
            keep.append(p)
    return keep


def _named(part: TestSummary, base: Path, path: Path) -> TestSummary:
    rel = path.relative_to(base)
    part.sources = [f"{rel} ({s})" for s in part.sources]
    return part


def _read(path: Path) -> str:
    with open(path, "rb") as f:
        return f.read(MAX_READ).decode("utf-8", errors="replace")


def _int(s: str) -> int:
    return int(s.replace(",", ""))


def _kv(rest: str) -> dict[str, int]:
    return {k: _int(v) for k, v in re.findall(r"([a-z_]+)=([\d,]+)", rest)}

