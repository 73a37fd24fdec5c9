"""`invoke report`: one self-contained HTML page about a build, for people and for archives.

`invoke status` answers "where am I" in a terminal; a build that takes a day wants something
to mail, attach to a ticket or keep beside a backup: every step with its state, start, time,
measured against the book's SBU, what it installed (size of the files in its manifest), its log; the stage-4 test-suite counts; the PXE manifest;
and a timeline of where the hours went (like Buildroot's `graph-build`).

Planned the usual way: `build_report` (pure) turns the loaded World (book, packages, state)
and an optional PXE manifest into a `Report` model; `timeline` (pure) lays the steps out on a
time axis with idle gaps folded away; `render` (pure) fills the data file
templates/report.html. Only `load_report` / `write_report` read the disk and write the page.

The chart is drawn by matplotlib, an optional extra (`pip install lfsbuild[report]`): a build
host should not need a plotting stack to build, and the report without the chart still has
every number. The page goes to `$LFS/.lfsbuild/report.html`, next to the `logs/` it links:
the state directory is what "this build" is (it lives and dies with $LFS, `invoke backup`
keeps it with its manifest, `invoke pxe` leaves it out of the initrd), and relative links
keep working when that directory is copied elsewhere.
"""
from __future__ import annotations

import html
import io
import os
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from .build.plan import StepView
from .build.state import State
from .build.status import local_sbu, measured_sbu, observed
from .errors import ConfigError
from .netboot.pxe.manifest import MANIFEST, Manifest
from .settings import Settings
from .tables import fmt_duration, human

REPORT_NAME = "report.html"
TEMPLATE = Path(__file__).resolve().parent / "templates" / REPORT_NAME
EXTRA = "report"              # the pyproject optional extra that brings matplotlib
IDLE_GAP = 600.0              # seconds between steps beyond which the timeline folds the pause
STATES = ("done", "failed", "interrupted", "running", "changed", "pending")
TEST_COUNTERS = ("passed", "failed", "skipped", "xfail", "xpass", "errors", "unresolved")
# states that need attention get their own fill; stages are coloured from tab10 without its
# red, purple and blue, so no stage can be mistaken for one of them
STATE_COLOURS = {"failed": "#d62728", "interrupted": "#9467bd", "running": "#1f77b4"}
STAGE_PALETTE = (1, 2, 5, 6, 8, 9, 7)   # tab10 indices: orange, green, brown, pink, olive, cyan, grey


# ================================================================================== the model

@dataclass(frozen=True)
class StepRow:
    """One step as the report shows it; times are epoch seconds, None when it never ran."""

    stage: str
    name: str
    title: str
    state: str               # StepView.state: done | pending | failed | interrupted | changed | running
    reason: str              # why it would run again ("" when done)
    started: float | None
    finished: float | None   # None while running or when a killed run left no end
    sbu_book: float
    sbu_measured: float | None
    log: str | None          # absolute path of the step's log
    exit_code: int | None
    tests: dict | None       # the runner's test-suite summary (stage 4), see testsuite.as_dict
    installed: int | None = None   # bytes of regular files the step created or modified
                                   # (its manifest's total; None when it has none)

    @property
    def id(self) -> str:
        return f"{self.stage}/{self.name}"

    @property
    def duration(self) -> float | None:
        return max(0.0, self.finished - self.started) if self.started and self.finished else None


@dataclass(frozen=True)
class PxeInfo:
    """What `invoke pxe` left in the netboot directory, and whether the build moved on since."""

    directory: Path
    manifest: Manifest | None
    problem: str | None = None       # why manifest.json could not be read
    stale: tuple[str, ...] = ()      # steps whose current result differs from what was packed


@dataclass(frozen=True)
class Report:
    release: str
    root: Path                       # $LFS
    generated: float
    sbu_seconds: float | None        # this machine's SBU, once measured
    tests_setting: str               # lfs.tests: explains an empty test section
    live: bool                       # a build holds the lock while the report is written
    stages: tuple[str, ...]
    steps: tuple[StepRow, ...]
    pxe: PxeInfo | None

    def count(self, state: str) -> int:
        return sum(r.state == state for r in self.steps)

    @property
    def build_time(self) -> float:
        return sum(r.duration or 0.0 for r in self.steps if r.state == "done")

    @property
    def with_tests(self) -> tuple[StepRow, ...]:
        return tuple(r for r in self.steps if r.tests)


def build_report(views: list[StepView], state: State, *, release: str, settings: Settings,
                 generated: float, live: bool = False, pxe: PxeInfo | None = None) -> Report:
    """The report model from what `invoke status` sees (pure: no disk, no clock)."""
    sbu = local_sbu(state, views)
    rows = []
    for v in views:
        rec = v.record
        started = (rec.started or None) if rec else None
        finished = (rec.finished or None) if rec else None
        dur = max(0.0, finished - started) if started and finished else None
        rows.append(StepRow(
            stage=v.step.stage, name=v.step.name, title=v.step.title, state=v.state,
            reason=v.reason, started=started, finished=finished, sbu_book=v.step.sbu,
            sbu_measured=measured_sbu(dur, sbu), log=(rec.log or None) if rec else None,
            exit_code=rec.exit_code if rec else None, tests=rec.tests if rec else None,
            installed=(rec.installed or {}).get("bytes") if rec else None))
    stages = tuple(dict.fromkeys(v.step.stage for v in views))
    return Report(release=release, root=settings.root, generated=generated, sbu_seconds=sbu,
                  tests_setting=settings.tests, live=live, stages=stages, steps=tuple(rows),
                  pxe=pxe)


def stale_steps(manifest: Manifest, current: dict[str, str]) -> tuple[str, ...]:
    """Steps done now whose fingerprint the PXE tree does not carry, or carries differently.

    A tree packed before stage 5 was rebuilt still boots, but it is not this build: the report
    says so instead of presenting an old kernel as the current one.
    """
    packed = manifest.fingerprints
    gone = [k for k in packed if k not in current]
    moved = [k for k, fp in current.items() if packed.get(k) != fp]
    return tuple(sorted(set(gone + moved))) if packed else ()


# =============================================================================== the timeline

@dataclass(frozen=True)
class Bar:
    step: str
    stage: str
    state: str
    start: float      # seconds on the folded axis
    width: float


@dataclass(frozen=True)
class Pause:
    at: float         # position on the folded axis
    idle: float       # real seconds folded away


@dataclass(frozen=True)
class Timeline:
    bars: tuple[Bar, ...]
    pauses: tuple[Pause, ...]

    @property
    def span(self) -> float:
        return max((b.start + b.width for b in self.bars), default=0.0)


def timeline(rows: tuple[StepRow, ...], now: float, gap: float = IDLE_GAP) -> Timeline:
    """Steps on a time axis in the order they ran; pauses longer than `gap` are folded.

    A resumable build is typically run in sessions (stage 1 today, stage 4 tomorrow after a
    fix); on a wall-clock axis the night would squeeze a day of work into two slivers. The
    folded pauses are kept as markers so nothing is hidden. A step still running ends `now`.
    """
    ran = sorted((r for r in rows if r.started), key=lambda r: r.started or 0.0)
    bars: list[Bar] = []
    pauses: list[Pause] = []
    if not ran:
        return Timeline((), ())
    t0 = ran[0].started or 0.0
    folded = 0.0
    last_end = t0
    for r in ran:
        start = r.started or 0.0
        end = r.finished or (now if r.state == "running" else start)
        if start - last_end > gap:
            pauses.append(Pause(at=last_end - t0 - folded, idle=start - last_end))
            folded += start - last_end
        bars.append(Bar(r.id, r.stage, r.state, start - t0 - folded, max(0.0, end - start)))
        last_end = max(last_end, end)
    return Timeline(tuple(bars), tuple(pauses))


def chart_svg(tl: Timeline, stages: tuple[str, ...]) -> str | None:
    """The timeline as inline SVG (text kept as text), or None without matplotlib.

    Drawn on a bare `Figure` (no pyplot), so no GUI backend and no global backend switch is
    involved and the call is safe inside any process; the hash salt makes ids reproducible.
    """
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        return None
    if not tl.bars:
        return None
    hours = tl.span >= 3 * 3600
    unit, label = (3600.0, "hours") if hours else (60.0, "minutes")
    palette = matplotlib.colormaps["tab10"]
    colour = {st: palette(STAGE_PALETTE[i % len(STAGE_PALETTE)]) for i, st in enumerate(stages)}
    n = len(tl.bars)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lfsbuild",
                                "font.size": 8}):
        fig = Figure(figsize=(11, 1.2 + 0.17 * n), layout="constrained")
        ax = fig.add_subplot()
        ys = list(range(n))
        ax.barh(ys, [b.width / unit for b in tl.bars],
                       left=[b.start / unit for b in tl.bars], height=0.8,
                       color=[STATE_COLOURS.get(b.state, colour[b.stage]) for b in tl.bars])
        ax.set_yticks(ys, [b.step for b in tl.bars])
        ax.set_ylim(n - 0.5, -0.5)     # first step at the top, like a Gantt chart
        ax.tick_params(axis="y", labelsize=6 if n > 60 else 8)
        ax.set_xlabel(f"build time in {label}"
                      + (f" (pauses over {fmt_duration(IDLE_GAP)} folded, dotted)"
                         if tl.pauses else ""))
        ax.grid(axis="x", linestyle=":", alpha=0.5)
        for p in tl.pauses:
            ax.axvline(p.at / unit, color="#999999", linestyle=":", linewidth=1)
            ax.text(p.at / unit, -0.5, f" paused {fmt_duration(p.idle)}", fontsize=7,
                    color="#555555", va="bottom")
        handles = [Patch(color=colour[st], label=st) for st in stages
                   if any(b.stage == st for b in tl.bars)]
        handles += [Patch(color=c, label=state) for state, c in STATE_COLOURS.items()
                    if any(b.state == state for b in tl.bars)]
        ax.legend(handles=handles, loc="upper right", fontsize=7)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None,
                                                  "Type": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]   # the XML prolog and DOCTYPE are not valid inside HTML


# =================================================================================== rendering

class Raw(str):
    """Markup built here; every other cell value is escaped."""


def _cell(value: object, cls: str = "") -> str:
    text = value if isinstance(value, Raw) else html.escape("" if value is None else str(value))
    return f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>"


def _table(header: list[str], rows: Sequence[Sequence[object]], numeric: frozenset[int] = frozenset(),
           row_classes: list[str] | None = None) -> str:
    head = "".join(f'<th class="num">{html.escape(h)}</th>' if i in numeric else
                   f"<th>{html.escape(h)}</th>" for i, h in enumerate(header))
    body = []
    for n, row in enumerate(rows):
        cls = f' class="{row_classes[n]}"' if row_classes and row_classes[n] else ""
        body.append(f"<tr{cls}>" + "".join(_cell(v, "num" if i in numeric else "")
                                           for i, v in enumerate(row)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + \
        "\n</tbody></table>"


def _href(path: str, base: Path) -> str:
    """A link relative to the report, so report + logs can be copied or archived together."""
    return quote(Path(os.path.relpath(path, base)).as_posix())


def _link(path: str | None, base: Path, text: str) -> Raw:
    if not path:
        return Raw("")
    return Raw(f'<a href="{html.escape(_href(path, base))}">{html.escape(text)}</a>')


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def _state(state: str) -> Raw:
    return Raw(f'<span class="state state-{html.escape(state)}">{html.escape(state)}</span>')


def _summary(r: Report) -> str:
    counts = ", ".join(f"{r.count(s)} {s}" for s in STATES if r.count(s))
    sbu = f"{r.sbu_seconds:.0f} s" if r.sbu_seconds else "not measured yet"
    live = ('<p class="note">A build was running while this report was written: '
            "the last step may still change.</p>") if r.live else ""
    return (f"<p><b>{len(r.steps)} steps</b>: {html.escape(counts)}. Build time of the done "
            f"steps: <b>{fmt_duration(r.build_time)}</b>; local SBU: {html.escape(sbu)}.</p>"
            + live)


def _stages(r: Report) -> str:
    rows = []
    for st in r.stages:
        mine = [s for s in r.steps if s.stage == st]
        done = sum(s.state == "done" for s in mine)
        failed = sum(s.state == "failed" for s in mine)
        state = stage_state([s.state for s in mine])
        time_ = sum(s.duration or 0.0 for s in mine if s.state == "done")
        book = sum(s.sbu_book for s in mine)
        rows.append([st, _state(state), f"{done}/{len(mine)}", failed or "",
                     fmt_duration(time_) if time_ else "-", f"{book:g}"])
    return _table(["stage", "state", "steps done", "failed", "time", "book SBU"], rows,
                  numeric=frozenset({2, 3, 4, 5}))


def stage_state(states: list[str]) -> str:
    """One word for a stage: the most urgent state among its steps, "done" only if all are."""
    if states and all(s == "done" for s in states):
        return "done"
    for s in ("running", "failed", "interrupted", "changed"):
        if s in states:
            return s
    return "pending"


def _steps(r: Report, base: Path) -> str:
    rows, classes = [], []
    for s in r.steps:
        log = _link(s.log, base, Path(s.log).name) if s.log else Raw("")
        tests = Raw("")
        if s.tests:
            tests = Raw(f'<a href="#tests-{html.escape(s.id)}">{_test_verdict(s.tests)}</a>')
        rows.append([s.stage, Raw(f"<code>{html.escape(s.name)}</code>"), s.title, _state(s.state),
                     _when(s.started), fmt_duration(s.duration) if s.duration is not None else "-",
                     f"{s.sbu_measured:.2f}" if s.sbu_measured is not None else "-",
                     f"{s.sbu_book:g}", human(s.installed) if s.installed is not None else "-",
                     log, tests, s.reason if s.state != "done" else ""])
        classes.append(f"row-{s.state}")
    return _table(["stage", "step", "title", "state", "started", "time", "SBU", "book SBU",
                   "installed", "log", "tests", "note"], rows, numeric=frozenset({5, 6, 7, 8}),
                  row_classes=classes)


def _test_verdict(t: dict) -> str:
    if not t.get("found"):
        return "no recognised summary"
    if t.get("ok"):
        return f"{t.get('passed', 0)} passed"
    bad = sum(int(t.get(k, 0) or 0) for k in ("failed", "xpass", "errors", "unresolved"))
    return f"{bad} unexpected"


def _tests(r: Report, base: Path) -> str:
    suites = r.with_tests
    if not suites:
        why = ("lfs.tests is none, so no test suite ran" if r.tests_setting == "none"
               else "no step with a test suite has run yet")
        return f"<p>No test-suite results recorded ({html.escape(why)}).</p>"
    clean = sum(bool(s.tests and s.tests.get("ok") and s.tests.get("found")) for s in suites)
    rows, classes = [], []
    for s in suites:
        t = s.tests or {}
        ok = bool(t.get("ok")) and bool(t.get("found"))
        verdict = Raw(f'<span class="{"ok" if ok else "bad"}">'
                      f"{html.escape(_test_verdict(t))}</span>")
        anchor = Raw(f'<a id="tests-{html.escape(s.id)}"></a><code>{html.escape(s.id)}</code>')
        rows.append([anchor, *(t.get(c, 0) for c in TEST_COUNTERS), t.get("total", 0), verdict,
                     _link(t.get("dir"), base, "results") if t.get("dir") else "",
                     ", ".join(t.get("sources") or [])])
        classes.append("" if ok else "row-failed")
    head = (f"<p>{len(suites)} suite(s) ran under lfs.tests = {html.escape(r.tests_setting)}: "
            f"{clean} clean, {len(suites) - clean} with unexpected results. A failing suite "
            "never fails its step (as in the book); this table is where it shows.</p>")
    return head + _table(["step", *TEST_COUNTERS, "total", "verdict", "output", "read from"],
                         rows, numeric=frozenset(range(1, len(TEST_COUNTERS) + 2)), row_classes=classes)


def _pxe(r: Report, base: Path) -> str:
    p = r.pxe
    if p is None:
        return "<p>No PXE tree yet: <code>invoke pxe</code> writes one (and its manifest).</p>"
    where = html.escape(str(p.directory))
    if p.manifest is None:
        return f'<p class="note">{where}/{MANIFEST} could not be read: ' \
               f"{html.escape(p.problem or 'unknown problem')}.</p>"
    m = p.manifest
    comp = ", ".join(f"{k}={v}" for k, v in sorted(m.compression.items()))
    facts: list[list[object]] = [["directory", Raw(f"<code>{where}</code>")], ["release", m.release],
             ["mode", m.mode], ["layout", m.layout],
             ["kernel", Raw(f"<code>{html.escape(m.kernel)}</code> ({html.escape(m.kernel_version)})")],
             ["initrd", m.initrd or "none (NFS root)"],
             ["kernel command line", Raw(f"<code>{html.escape(m.cmdline)}</code>")],
             ["compression", comp],
             ["SOURCE_DATE_EPOCH", (f"{m.source_date_epoch} "
                                    f"({datetime.fromtimestamp(m.source_date_epoch).date()})")]]
    facts += [[f"initrd {k}", v] for k, v in sorted(m.initrd_stats.items())]
    out = [_table(["", ""], facts)]
    if p.stale:
        shown = ", ".join(p.stale[:8]) + (" ..." if len(p.stale) > 8 else "")
        out.append(f'<p class="note">The build changed since this tree was packed '
                   f"({len(p.stale)} step(s): {html.escape(shown)}); run "
                   "<code>invoke pxe</code> again.</p>")
    elif m.fingerprints:
        out.append('<p class="ok">Packed from exactly the steps this build has done.</p>')
    out += [f'<p class="note">warning: {html.escape(w)}</p>' for w in m.missing]
    rows = [[Raw(f'<a href="{html.escape(_href(str(p.directory / a.path), base))}">'
                 f"{html.escape(a.path)}</a>"), a.role, human(a.size),
             Raw(f'<span class="mono">{html.escape(a.sha256)}</span>')] for a in m.artifacts]
    out.append(_table(["file", "role", "size", "sha256"], rows, numeric=frozenset({2})))
    return "\n".join(out)


def render(r: Report, template: str, chart: str | None, base: Path) -> str:
    """The HTML page (pure). `base`: the directory the page will be in, for relative links."""
    if chart is None:
        chart = (f'<p class="note">No chart: matplotlib is not installed. Install '
                 f"<code>lfsbuild[{EXTRA}]</code> (<code>pip install -e '.[{EXTRA}]'</code>) "
                 "for the timeline.</p>" if any(s.started for s in r.steps)
                 else "<p>No step has run yet.</p>")
    title = f"LFS {r.release} build report"
    meta = (f"$LFS = <code>{html.escape(str(r.root))}</code> &middot; written "
            f"{html.escape(_when(r.generated))} by lfsbuild")
    try:
        return string.Template(template).substitute(
            title=html.escape(title), meta=meta, summary=_summary(r), stages=_stages(r),
            chart=chart, steps=_steps(r, base), tests=_tests(r, base), pxe=_pxe(r, base))
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"the report template does not fit lfsbuild: {exc!r}",
                          f"restore {TEMPLATE} from the project") from None


# ========================================================================================= act

@dataclass(frozen=True)
class ReportResult:
    path: Path
    steps: int
    chart: bool

    def summary(self) -> str:
        note = "" if self.chart else (f" (no chart: install lfsbuild[{EXTRA}], i.e. "
                                      "matplotlib, for the timeline)")
        return f"report: {self.path} ({self.steps} steps){note}"


def load_pxe(directory: Path, current: dict[str, str]) -> PxeInfo | None:
    """The manifest of a PXE tree, if there is one; a broken one is reported, not fatal."""
    if not (directory / MANIFEST).is_file():
        return None
    try:
        manifest = Manifest.load(directory)
    except (OSError, ValueError, TypeError) as exc:
        return PxeInfo(directory, None, problem=str(exc))
    return PxeInfo(directory, manifest, stale=stale_steps(manifest, current))


def load_report(settings: Settings, pxe_dir: Path | None = None,
                now: float | None = None) -> Report:
    """Read book, packages, state, lock and manifest, then build the model."""
    world, views, live = observed(settings)
    current = {v.step.id: v.record.fingerprint for v in views
               if v.record and v.record.status == "done"}
    pxe = load_pxe(pxe_dir or settings.pxe_dir, current)
    return build_report(views, world.state, release=world.packages.release, settings=settings,
                        generated=time.time() if now is None else now, live=live, pxe=pxe)


def default_path(settings: Settings) -> Path:
    return settings.state_dir / REPORT_NAME


def write_report(settings: Settings, out: Path | None = None,
                 pxe_dir: Path | None = None) -> ReportResult:
    """Render the report to `out` (default $LFS/.lfsbuild/report.html), replacing it atomically.

    Atomic so a browser reloading the page while a build rewrites it never shows half a table.
    """
    from .atomic import atomic_write
    report = load_report(settings, pxe_dir)
    path = out or default_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    chart = chart_svg(timeline(report.steps, report.generated), report.stages)
    page = render(report, TEMPLATE.read_text(encoding="utf-8"), chart, path.parent)
    # durable=False: a report lost to a power cut is rewritten by the next `invoke report`
    atomic_write(path, page.encode("utf-8"), durable=False)
    return ReportResult(path, len(report.steps), chart is not None)
