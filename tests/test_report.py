"""`invoke report`: the HTML page rendered from a recorded build of the small test book.

The state is what a real run leaves: a state.json whose fingerprints are computed from the
test book exactly as the runner computes them (so done steps really count as done), logs
under $LFS/.lfsbuild/logs, a test-suite summary on one step, and a PXE manifest.json written
by the Manifest class `invoke pxe` uses.
"""
from __future__ import annotations

import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import REPO, run_invoke
from testbook import make_test_book

from lfsbuild import report as rp
from lfsbuild.build.book import load_book
from lfsbuild.sources.packages import load_packages
from lfsbuild.netboot.pxe.manifest import Artifact, Manifest, sha256_file
from lfsbuild.settings import Settings, from_config
from lfsbuild.build.state import State, StateStore, StepRecord, fingerprints

T0 = 1_700_000_000.0
PAUSE = 2 * 3600.0
HELLO_TESTS = {"passed": 41, "failed": 2, "skipped": 3, "xfail": 1, "xpass": 0, "errors": 0,
               "unresolved": 0, "total": 47, "ok": False, "found": True,
               "sources": ["test-suite.log (automake)"]}
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


class Links(HTMLParser):
    """Every href/src in the page, plus a tag balance check for the elements we generate."""

    CHECKED = ("table", "thead", "tbody", "tr", "td", "th", "a", "p", "code", "span", "svg", "div")

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.open: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "xlink:href")]
        if tag in self.CHECKED:
            self.open[tag] = self.open.get(tag, 0) + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "xlink:href")]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.CHECKED:
            self.open[tag] = self.open.get(tag, 0) - 1


def parse(page: str) -> Links:
    p = Links()
    p.feed(page)
    p.close()
    return p


@pytest.fixture
def recorded(tmp_path: Path):
    """A build of the test book as the runner would have left it, plus its PXE tree."""
    tb = make_test_book(tmp_path, "http://127.0.0.1:9/pub")   # never fetched: nothing runs
    settings = from_config({"root": str(tmp_path / "lfs"), "sources": str(tmp_path / "sources"),
                            "packages": str(tb.packages), "book": str(tb.book),
                            "pxe_dir": str(tmp_path / "pxe"), "tests": "all"}, REPO)
    steps = load_book(tb.book).all_steps()
    outs = {s.id: f"output of {s.id}" for s in steps}   # what each step's manifest chains
    fps = {s.id: (inputs, fp) for s, inputs, fp in
           fingerprints(steps, load_packages(tb.packages), settings, outs)}
    logs = settings.state_dir / "logs"

    def rec(sid: str, status: str, start: float, end: float, **extra: object) -> StepRecord:
        log = logs / f"{sid}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"# log of {sid}\n")
        inputs, fp = fps[sid]
        return StepRecord(status=status, fingerprint=fp, inputs=inputs, started=T0 + start,
                          finished=T0 + end, log=str(log), out=outs[sid], **extra)

    tests_dir = logs / "stage1" / "hello-tests"
    tests_dir.mkdir(parents=True)
    (tests_dir / "test-suite.log").write_text("# PASS: 41\n# FAIL: 2\n")
    state = State(steps={
        "stage1/layout": rec("stage1/layout", "done", 0, 2, exit_code=0),
        "stage1/libgreet": rec("stage1/libgreet", "done", 3, 63, exit_code=0,    # 1 SBU = 60 s
                               installed={"created": 8, "modified": 0, "removed": 0,
                                          "bytes": 3 * 1024 * 1024, "digest": "d"}),
        "stage1/hello": rec("stage1/hello", "done", 63 + PAUSE, 93 + PAUSE, exit_code=0,
                            tests={**HELLO_TESTS, "dir": str(tests_dir)}),
        "stage1/check": rec("stage1/check", "failed", 94 + PAUSE, 95 + PAUSE, exit_code=1),
    })                                                                  # stage2/extra: pending
    StateStore(settings.state_dir).save(state)

    pxe = settings.pxe_dir
    (pxe / "boot").mkdir(parents=True)
    kernel = pxe / "boot" / "vmlinuz"
    kernel.write_bytes(b"not really a kernel")
    packed = {k: v.fingerprint for k, v in state.steps.items() if v.status == "done"}
    packed["stage1/hello"] = "0" * 64                                   # packed before a rebuild
    manifest = Manifest(release="test-1", mode="ram", layout="standard", kernel="boot/vmlinuz",
                        kernel_version="6.13.4", initrd="boot/initrd.zst",
                        cmdline="console=ttyS0,115200 rdinit=/init",
                        compression={"name": "zstd", "level": 19},
                        source_date_epoch=int(T0), fingerprints=packed,
                        artifacts=[Artifact("boot/vmlinuz", "kernel", kernel.stat().st_size,
                                            sha256_file(kernel))],
                        initrd_stats={"files": 1234}, missing=["pxelinux.0: install pxelinux"])
    (pxe / "manifest.json").write_text(manifest.to_json())
    return {"settings": settings, "tb": tb, "state": state, "tmp": tmp_path}


def test_report_shows_every_step_logs_tests_pxe_and_chart(recorded):
    s: Settings = recorded["settings"]
    result = rp.write_report(s)
    assert result.path == s.state_dir / "report.html" and result.chart and result.steps == 5
    page = result.path.read_text()
    assert not [p for p in result.path.parent.iterdir() if p.name.endswith(".tmp")]

    for sid in ("stage1/layout", "stage1/libgreet", "stage1/hello", "stage1/check",
                "stage2/extra"):
        assert f"<code>{sid.split('/')[1]}</code>" in page, sid
    for state in ("done", "failed", "pending"):
        assert f'class="state state-{state}"' in page
    assert "1.00" in page                   # libgreet: 60 s / 60 s per SBU, beside the book's 1
    assert "Build time of the done steps: <b>1m32s</b>" in page
    assert '<th class="num">installed</th>' in page
    assert '<td class="num">3.0 MiB</td>' in page           # libgreet's manifest total

    links = parse(page)
    assert all(n == 0 for n in links.open.values()), links.open
    logs = [u for u in links.urls if u.endswith(".log")]
    assert len(logs) == 4
    for url in logs:
        assert (result.path.parent / unquote(url)).is_file(), url   # relative, and it resolves
    assert "logs/stage1/hello-tests" in links.urls

    assert "41" in page and "2 unexpected" in page and "1 with unexpected results" in page
    assert "console=ttyS0,115200 rdinit=/init" in page and "6.13.4" in page
    assert sha256_file(s.pxe_dir / "boot/vmlinuz") in page
    assert "stage1/hello" in page.split("The build changed since")[1].split("</p>")[0]
    assert "warning: pxelinux.0: install pxelinux" in page
    assert (result.path.parent / unquote(next(u for u in links.urls if u.endswith("vmlinuz")))
            ).is_file()

    chart = page[page.index('<div class="chart">'):page.index("</svg>")]
    assert "<svg" in chart and "stage1/libgreet" in chart and "paused 2h00m" in chart

    # self-contained: no reference leaves the page except to the files beside it
    for url in links.urls:
        assert not re.match(r"^(https?:|//|ftp:)", url), url
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= NAMESPACES
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "$" not in page.replace("$LFS", "")         # every template placeholder was filled


def test_without_matplotlib_the_report_says_how_to_get_the_chart(recorded, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # what `import` sees when absent
    result = rp.write_report(recorded["settings"])
    page = result.path.read_text()
    assert not result.chart and "lfsbuild[report]" in result.summary()
    assert "<svg" not in page and "Install <code>lfsbuild[report]</code>" in page
    assert "<code>extra</code>" in page and "2 unexpected" in page


def test_empty_build_without_pxe_tree(tmp_path: Path):
    tb = make_test_book(tmp_path, "http://127.0.0.1:9/pub")
    s = from_config({"root": str(tmp_path / "lfs"), "packages": str(tb.packages),
                     "book": str(tb.book), "pxe_dir": str(tmp_path / "none")}, REPO)
    out = tmp_path / "elsewhere" / "r.html"
    result = rp.write_report(s, out)
    page = out.read_text()
    assert result.path == out and not result.chart
    assert "No step has run yet" in page and "No PXE tree yet" in page
    assert "lfs.tests is none" in page and page.count('state-pending">pending') == 7


def test_broken_manifest_is_reported_not_fatal(recorded):
    s = recorded["settings"]
    (s.pxe_dir / "manifest.json").write_text(json.dumps({"release": "x"}))
    page = rp.write_report(s).path.read_text()
    assert "manifest.json could not be read" in page


def test_timeline_folds_pauses_and_keeps_order(recorded):
    s = recorded["settings"]
    report = rp.load_report(s, now=T0 + PAUSE + 500)
    tl = rp.timeline(report.steps, report.generated)
    assert [b.step for b in tl.bars] == ["stage1/layout", "stage1/libgreet", "stage1/hello",
                                         "stage1/check"]
    assert tl.pauses == (rp.Pause(at=63.0, idle=PAUSE),)
    hello = tl.bars[2]
    assert (hello.start, hello.width) == (63.0, 30.0) and tl.span == 95.0
    assert rp.timeline(report.steps, report.generated, gap=3 * PAUSE).span == 95.0 + PAUSE


def test_running_step_ends_now_and_stage_states():
    row = rp.StepRow("stage4", "gcc", "GCC", "running", "running now", started=T0,
                     finished=None, sbu_book=46, sbu_measured=None, log=None, exit_code=None,
                     tests=None)
    assert rp.timeline((row,), now=T0 + 120).bars[0].width == 120
    assert rp.stage_state(["done", "done"]) == "done"
    assert rp.stage_state(["done", "failed", "pending"]) == "failed"
    assert rp.stage_state(["done", "pending"]) == "pending"
    assert rp.stage_state(["running", "failed"]) == "running"


def test_template_is_packaged_and_complete():
    text = rp.TEMPLATE.read_text()
    assert rp.TEMPLATE.parent.name == "templates"          # pyproject package-data ships it
    names = {m.group(1) for m in re.finditer(r"(?<!\$)\$(\w+)", text)}
    assert names == {"title", "meta", "summary", "stages", "chart", "steps", "tests", "pxe"}


def test_invoke_report_task(recorded):
    s = recorded["settings"]
    tb = recorded["tb"]
    env = dict(os.environ, INVOKE_LFS_ROOT=str(s.root), INVOKE_LFS_PACKAGES=str(tb.packages),
               INVOKE_LFS_BOOK=str(tb.book), INVOKE_LFS_PXE_DIR=str(s.pxe_dir),
               INVOKE_LFS_TESTS="all")
    r = run_invoke(["report"], env, check=True)
    assert str(s.state_dir / "report.html") in r.stdout
    assert "<code>extra</code>" in (s.state_dir / "report.html").read_text()
    other = recorded["tmp"] / "copy" / "x.html"
    run_invoke(["report", "--out", str(other)], env, check=True)
    assert "<code>extra</code>" in other.read_text()
