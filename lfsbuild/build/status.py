"""The build's status view: what is done, how long it took, in this machine's SBU, and
which step installed what.

`invoke status` and `steps`, `owner` and `files`, the HTML report, `invoke pxe` (which records
the fingerprints of the finished steps) and the host check all read the build through this one
module, so they cannot disagree about what "done" means or how a measured SBU is computed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lfsbuild.errors import BookError
from lfsbuild.settings import Settings
from lfsbuild.tables import fmt_duration
from lfsbuild.sources.packages import Package, PackageList, load_packages
from . import manifest
from .book import BLFS_STAGE, Book, Step, load_book, select_blfs
from .plan import StepView, survey
from .state import PHASES, BuildLock, State, StateStore, StepRecord


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


def phase_cells(rec: StepRecord | None) -> list[str]:
    """Seconds per runner phase of a step record, then the recipe's CPU seconds; '-' where not
    measured (older records)."""
    phases = rec.phases if rec else None
    return [*(f"{phases[p]:.1f}" if phases and p in phases else "-" for p in PHASES),
            f"{rec.cpu:.1f}" if rec and rec.cpu is not None else "-"]


def status_rows(settings: Settings, only_recorded: bool = False,
                phases: bool = False) -> tuple[list[list[str]], str]:
    """Table rows (stage, step, state, duration, measured SBU, book SBU, tests, log), summary.

    With `phases`, the runner's phase times go between the tests and the log column.
    """
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
                     *(phase_cells(rec) if phases else ()),
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


# ------------------------------------------------------------------------ installed files

@dataclass(frozen=True)
class OwnerAnswer:
    """`invoke owner`: the path as manifests spell it and every recorded write, oldest first."""

    path: str
    writes: list["manifest.Write"]
    exists: bool                   # is it in $LFS now (lstat, not following a last symlink)

    @property
    def last(self) -> "manifest.Write | None":
        return self.writes[-1] if self.writes else None


def path_in_root(root: Path, path: str) -> str:
    """PATH as manifests spell it: absolute inside $LFS, relative to $LFS, or as the chroot
    sees it (an absolute path outside $LFS, like /usr/bin/gcc, is read inside $LFS)."""
    p = Path(path)
    if p.is_absolute():
        for base in (root, root.resolve()):
            try:
                return manifest.normalize(str(p.relative_to(base)))
            except ValueError:
                continue
    return manifest.normalize(path)


def owner(settings: Settings, path: str) -> OwnerAnswer:
    """Which steps wrote PATH, from the manifests; directory symlinks inside $LFS (/lib ->
    usr/lib) are followed when the path as given was never written."""
    from .namespaces import resolve_in_root
    world = load_world(settings)
    index = manifest.Index((m for m in manifest.load_all(settings.state_dir)
                            if belongs(m, world.state)), _order(world))
    rel = path_in_root(settings.root, path)
    writes = index.history(rel)
    if not writes and rel != "/":
        parent, name = rel.rsplit("/", 1)
        real = resolve_in_root(settings.root, parent or "/")
        if real is not None:
            alt = manifest.normalize(f"{path_in_root(settings.root, str(real))}/{name}")
            if index.history(alt):
                rel, writes = alt, index.history(alt)
    return OwnerAnswer(rel, writes, os.path.lexists(settings.root / rel[1:]))


def belongs(m: "manifest.Manifest", state: State) -> bool:
    """Does this manifest describe the tree the state describes?

    Not when no record of the step exists, nor when its done record names another manifest
    (both happen after `invoke restore` brings back an older state beside newer manifests).
    A step whose re-run failed keeps its manifest: the files it installed are still there.
    """
    rec = state.steps.get(m.step)
    if rec is None:
        return False
    if rec.status == "done":
        return bool(rec.installed) and rec.installed.get("digest") == m.digest
    return True


def find_step(book: Book, ref: str) -> Step:
    """A step by `stage/name` or by a name used in one stage only."""
    if "/" in ref:
        stage, name = ref.split("/", 1)
        return book.find(stage, name)
    hits = [s for s in book.all_steps() if s.name == ref]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise BookError(f"step {ref!r} is in several stages: {', '.join(s.id for s in hits)}",
                        f"name it with its stage, e.g. {hits[0].id}")
    raise BookError(f"no step {ref!r} in {book.root}",
                    "`invoke steps` lists them; use stage/name or a step's name")


def installed_files(settings: Settings, ref: str) -> tuple[Step, "manifest.Manifest | None",
                                                           StepView]:
    """`invoke files`: the step, its manifest (None if it never finished), and its state."""
    world, views, _ = observed(settings)
    step = find_step(world.book, ref)
    view = next(v for v in views if v.step.id == step.id)
    m = manifest.load(settings.state_dir, step.id)
    return step, m if m is not None and belongs(m, world.state) else None, view


def _order(world: World) -> dict[str, int]:
    return {s.id: i for i, s in enumerate(world.book.all_steps())}
