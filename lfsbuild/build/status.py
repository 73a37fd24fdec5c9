"""The build's status view: what is done, how long it took, in this machine's SBU.

`invoke status` and `steps`, the HTML report, `invoke pxe` (which records the fingerprints of
the finished steps) and the host check all read the build through this one module, so they
cannot disagree about what "done" means or how a measured SBU is computed.
"""
from __future__ import annotations

from dataclasses import dataclass

from lfsbuild.settings import Settings
from lfsbuild.tables import fmt_duration
from lfsbuild.sources.packages import Package, PackageList, load_packages
from .book import BLFS_STAGE, Book, load_book, select_blfs
from .plan import StepView, survey
from .state import BuildLock, State, StateStore


@dataclass
class World:
    """Everything a plan is computed from, loaded once."""

    settings: Settings
    book: Book
    packages: PackageList
    store: StateStore
    state: State

    def views(self, live: bool = False) -> list[StepView]:
        return survey(self.book, self.packages, self.settings, self.state, live=live)


def load_world(settings: Settings) -> World:
    book = load_book_for(settings)
    store = StateStore(settings.state_dir)
    return World(settings, book, load_sources(settings, book), store, store.load())


def load_book_for(settings: Settings) -> Book:
    """The recipes a build with these settings runs: the LFS book plus the BLFS recipes that
    lfs.blfs selects (unknown names and unselected dependencies refused here, before any step)."""
    return select_blfs(load_book(settings.book), settings.blfs)


def load_sources(settings: Settings, book: Book) -> PackageList:
    """packages.yaml, plus the BLFS packages file when the book has BLFS steps selected.

    Two files so packages.yaml stays exactly the LFS book's list (book-update rewrites it from
    the release's own lists); both are validated the same way and a name may be in only one.
    """
    packages = load_packages(settings.packages)
    if not book.stages.get(BLFS_STAGE):
        return packages
    return packages.merged(load_packages(settings.blfs_packages))


def fetch_list(settings: Settings) -> list[Package]:
    """What `invoke fetch`/`verify`/`mirror` cover: all of packages.yaml plus the sources of
    the selected BLFS recipes (not every entry of the BLFS file: only what will be built)."""
    book = load_book_for(settings)
    packages = load_sources(settings, book)
    lfs = load_packages(settings.packages)
    names = list(lfs.packages)
    for step in book.stages.get(BLFS_STAGE, ()):
        names += [n for n in step.needs if n not in names]
    return [packages.get(n) for n in names]


def observed(settings: Settings) -> tuple[World, list[StepView], bool]:
    """The world and its step views as a reader outside the build sees them.

    `live` is true while another process holds the build lock: a "running" record is then a
    step in progress, not one left behind by a killed run.
    """
    world = load_world(settings)
    live = BuildLock(settings.state_dir).held_elsewhere()
    return world, world.views(live=live), live


def local_sbu(state: State, views: list[StepView]) -> float | None:
    """Seconds per SBU on this machine: from the first timed step with a real SBU figure."""
    if state.sbu_seconds:
        return state.sbu_seconds
    timed = [(v.record.duration, v.step.sbu) for v in views
             if v.record and v.record.status == "done" and v.record.duration and v.step.sbu >= 0.5]
    return timed[0][0] / timed[0][1] if timed else None


def measured_sbu(duration: float | None, sbu_seconds: float | None) -> float | None:
    """A step's duration in this machine's SBU: the figure to hold against the book's."""
    return duration / sbu_seconds if duration and sbu_seconds else None


def tests_cell(tests: dict | None) -> str:
    """'123 passed, 2 failed' for a step whose test suite ran, '-' otherwise."""
    if not tests:
        return "-"
    if not tests.get("found"):
        return "ran (no summary)"
    return f"{tests.get('passed', 0)} passed, {tests.get('failed', 0)} failed"


def status_rows(settings: Settings, only_recorded: bool = False) -> tuple[list[list[str]], str]:
    """Table rows (stage, step, state, duration, measured SBU, book SBU, tests, log), summary."""
    world, views, _ = observed(settings)
    sbu = local_sbu(world.state, views)
    rows = []
    for v in views:
        if only_recorded and v.record is None:
            continue
        rec = v.record
        dur = rec.duration if rec and rec.finished else None
        measured = measured_sbu(dur, sbu)
        rows.append([v.step.stage, v.step.name, v.state, fmt_duration(dur),
                     f"{measured:.2f}" if measured is not None else "-",
                     f"{v.step.sbu:g}", tests_cell(rec.tests if rec else None),
                     rec.log if rec else ""])
    stages_done = [st for st in world.book.stages
                   if all(v.done for v in views if v.step.stage == st)]
    total = sum(v.record.duration for v in views if v.record and v.record.status == "done")
    summary = (f"stages done: {', '.join(stages_done) or 'none'}; total build time "
               f"{fmt_duration(total)}; local SBU "
               f"{f'{sbu:.0f} s' if sbu else 'not measured yet'}")
    return rows, summary


def done_fingerprints(settings: Settings) -> dict[str, str]:
    """Fingerprints of the finished steps: what a PXE manifest records about the build."""
    state = StateStore(settings.state_dir).load()
    return {k: v.fingerprint for k, v in sorted(state.steps.items()) if v.status == "done"}


def release_of(settings: Settings) -> str:
    return load_packages(settings.packages).release
