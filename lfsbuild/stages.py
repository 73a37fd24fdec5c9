"""A stage run from end to end: load, plan, lock, repair, fetch what is needed, run.

This is the library face of `invoke stageN`, `invoke steps` and `invoke status`: plain
functions over Settings, so tests and other front ends call exactly what the tasks call.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TextIO

from .book import Book, load_book
from .errors import FetchError, LfsError, NeedsRoot
from .packages import PackageList, load_packages
from .plan import Plan, Selection, StepView, local_sbu, plan_stage, survey
from .progress import fmt_duration, measured_sbu
from .runner import RunContext, needs_root, repair_stale, run_plan
from .settings import Settings
from .state import BuildLock, State, StateStore


@dataclass
class World:
    """Everything a plan is computed from, loaded once."""

    settings: Settings
    book: Book
    packages: PackageList
    store: StateStore
    state: State

    def views(self) -> list[StepView]:
        return survey(self.book, self.packages, self.settings, self.state)


def load_world(settings: Settings) -> World:
    store = StateStore(settings.state_dir)
    return World(settings, load_book(settings.book), load_packages(settings.packages), store,
                 store.load())


def describe(plan: Plan) -> str:
    """The --dry-run text: what would run and why, what is done, what blocks the stage."""
    lines = [f"{plan.stage}: {len(plan.run)} step(s) to run, {len(plan.skip)} done"]
    lines += [f"  run   {v.step.name:28} {v.reason}" for v in plan.run]
    lines += [f"  skip  {v.step.name:28} done" for v in plan.skip]
    lines += [f"  blocked: {b}" for b in plan.blockers]
    return "\n".join(lines)


def run_stage(settings: Settings, stage: str, sel: Selection = Selection(), *,
              dry_run: bool = False, verbose: bool = False, progress: bool | None = None,
              ignore_blockers: bool = False, out: TextIO = sys.stdout,
              resume: str | None = None) -> Plan:
    world = load_world(settings)
    if dry_run:
        plan = plan_stage(world.views(), stage, sel)
        out.write(describe(plan) + "\n")
        return plan
    with BuildLock(settings.state_dir):
        world.state = world.store.load()
        for sid in repair_stale(world.store, world.state):
            out.write(f"note: {sid} was interrupted last time (lfsbuild was killed or the "
                      f"machine restarted); it will run again from a fresh source tree\n")
        plan = plan_stage(world.views(), stage, sel)
        if plan.blockers and not (ignore_blockers or sel.force):
            raise LfsError(f"{stage} needs the stages before it:\n  " + "\n  ".join(plan.blockers),
                           f"run those stages first, or `invoke {stage} --force` to go ahead anyway")
        if plan.nothing_to_do:
            out.write(f"{stage}: all {len(plan.skip)} steps done\n")
            return plan
        needs_root(plan)
        ensure_sources(settings, world.packages, plan)
        ctx = RunContext(settings, world.packages, world.store, world.state, verbose=verbose,
                         progress=progress, out=out, resume_hint=resume or f"invoke {stage}")
        run_plan(plan, ctx)
        out.write(f"{stage}: {len(plan.run)} step(s) done\n")
    return plan


def ensure_sources(settings: Settings, packages: PackageList, plan: Plan) -> None:
    """The implicit `invoke fetch`, for just what the planned steps unpack."""
    names = sorted({n for v in plan.run for n in v.step.needs})
    if not names:
        return
    from .fetch import fetch_packages  # requests is heavy; a run with nothing to fetch skips it
    report = fetch_packages(settings, [packages.get(n) for n in names])
    if report.failed:
        raise FetchError(f"cannot get the sources {plan.stage} needs:\n{report.failure_text()}",
                         "check lfs.mirrors / your network, then run the stage again")


def status_rows(settings: Settings, only_recorded: bool = False) -> tuple[list[list[str]], str]:
    """Table rows (stage, step, state, duration, measured SBU, book SBU, tests, log), summary."""
    world = load_world(settings)
    live = BuildLock(settings.state_dir).held_elsewhere()
    views = survey(world.book, world.packages, settings, world.state, live=live)
    sbu = local_sbu(world.state, views)
    rows = []
    for v in views:
        if only_recorded and v.record is None:
            continue
        rec = v.record
        dur = rec.duration if rec and rec.finished else None
        m = measured_sbu(dur, sbu)
        measured = f"{m:.2f}" if m is not None else "-"
        rows.append([v.step.stage, v.step.name, v.state, fmt_duration(dur), measured,
                     f"{v.step.sbu:g}", tests_cell(rec.tests if rec else None),
                     rec.log if rec else ""])
    stages_done = [st for st in world.book.stages
                   if all(v.done for v in views if v.step.stage == st)]
    total = sum(v.record.duration for v in views if v.record and v.record.status == "done")
    summary = (f"stages done: {', '.join(stages_done) or 'none'}; total build time "
               f"{fmt_duration(total)}; local SBU "
               f"{f'{sbu:.0f} s' if sbu else 'not measured yet'}")
    return rows, summary


def tests_cell(tests: dict | None) -> str:
    """'123 passed, 2 failed' for a step whose test suite ran, '-' otherwise."""
    if not tests:
        return "-"
    if not tests.get("found"):
        return "ran (no summary)"
    return f"{tests.get('passed', 0)} passed, {tests.get('failed', 0)} failed"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else \
        [len(h) for h in header]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [header, *rows])


def done_fingerprints(settings: Settings) -> dict[str, str]:
    """Fingerprints of the finished steps: what a PXE manifest records about the build."""
    state = StateStore(settings.state_dir).load()
    return {k: v.fingerprint for k, v in sorted(state.steps.items()) if v.status == "done"}


def release_of(settings: Settings) -> str:
    return load_packages(settings.packages).release


def build(settings: Settings, to: str | None = None, *, host_check: bool = True,
          verbose: bool = False, out: TextIO = sys.stdout) -> list[str]:
    """The whole journey: host check -> fetch -> every stage in order -> PXE artifacts.

    Everything that can refuse refuses first (root needed later on, a bad host, missing
    sources), so a build never dies hours in for a reason known at the start. Running it again
    after any failure resumes where it stopped: finished stages and steps are skipped.
    Returns the names of what ran.
    """
    world = load_world(settings)
    order = list(world.book.stages)
    targets = order + ["pxe"]
    if to is not None and to not in targets:
        raise LfsError(f"--to {to}: not a stage", f"choose one of: {', '.join(targets)}")
    last = targets.index(to) if to else len(targets) - 1
    chosen = targets[:last + 1]
    views = world.views()
    todo = [st for st in chosen if st != "pxe"
            and not all(v.done for v in views if v.step.stage == st)]
    chroot_stages = [st for st in todo if any(v.step.run == "chroot" for v in views
                                              if v.step.stage == st)]
    if chroot_stages and os.geteuid() != 0:
        first = order[order.index(chroot_stages[0]) - 1] if order.index(chroot_stages[0]) else None
        raise NeedsRoot(
            f"{', '.join(chroot_stages)} run inside a chroot and need root; checking now rather "
            f"than hours from now",
            "run `sudo -E invoke build`" + (f", or `invoke build --to {first}` to go as far "
                                            f"as a normal user can" if first else ""))
    if host_check and todo and todo[0] == order[0]:
        from .hostcheck import require_host
        require_host(settings, what="invoke build")
    needed = sorted({n for v in views if v.step.stage in todo and not v.done for n in v.step.needs})
    if needed:
        from .fetch import fetch_packages
        report = fetch_packages(settings, [world.packages.get(n) for n in needed])
        out.write(report.summary() + "\n")
        if report.failed:
            raise FetchError(f"cannot get the sources the build needs:\n{report.failure_text()}",
                             "check lfs.mirrors / your network, then run `invoke build` again")
    ran = []
    for stage in todo:
        run_stage(settings, stage, verbose=verbose, out=out,
                  resume="invoke build" + (f" --to {to}" if to else ""))
        ran.append(stage)
    if "pxe" in chosen:
        from .pxe import PxeOptions, build_artifacts
        manifest = build_artifacts(PxeOptions(out_dir=settings.pxe_dir, lfs=settings.root,
                                              release=world.packages.release,
                                              fingerprints=done_fingerprints(settings)))
        out.write(manifest.summary() + "\n")
        ran.append("pxe")
        from .report import write_report  # the newcomer's "hours later": artifacts + a report
        out.write(write_report(settings).summary() + "\n")
    return ran
