"""A stage run from end to end: load, plan, lock, repair, pre-flight, run.

This is the library face of `invoke stageN`: plain functions over Settings, so tests and
other front ends call exactly what the tasks call. The pre-flight (root, host, sources) lives
here once, for a single stage and for `invoke build` alike: everything that can refuse
refuses before the first step runs, not hours into a build.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from lfsbuild.errors import ConfigError, FetchError, LfsError, NeedsRoot
from lfsbuild.settings import Settings
from .book import BLFS_STAGE
from .plan import Plan, Selection, StepView, plan_stage
from .runner import RunContext, repair_stale, run_plan
from .state import BuildLock
from .status import World, load_world


def describe(plan: Plan) -> str:
    """The --dry-run text: what would run and why, what is done, what blocks the stage.

    A step pending on an earlier one shows as "then": whether it runs is known only once that
    one has run and its installed files can be compared with the last time.
    """
    then = [v for v in plan.run if v.conditional]
    maybe = f", {len(then)} more only if what they build on changes" if then else ""
    lines = [f"{plan.stage}: {len(plan.run) - len(then)} step(s) to run{maybe}, "
             f"{len(plan.skip)} done"]
    lines += [f"  then  {v.step.name:28} runs again only if what {v.after} installs changes"
              if v.conditional else f"  run   {v.step.name:28} {v.reason}" for v in plan.run]
    lines += [f"  skip  {v.step.name:28} done" for v in plan.skip]
    lines += [f"  blocked: {b}" for b in plan.blockers]
    return "\n".join(lines)


def preflight(world: World, todo: Sequence[StepView], *, command: str, host_check: bool = True,
              out: TextIO = sys.stdout) -> None:
    """Refuse now what would fail later: root for chroot steps, the host, missing sources.

    `todo` are the steps about to run (of one stage or of several); `command` is what the user
    typed, for the hints. The host is checked only when the book's first stage is among them:
    later stages build with the new toolchain, not the host's.
    """
    settings, order = world.settings, list(world.book.stages)
    chroot = [v for v in todo if v.step.run == "chroot"]
    if chroot and os.geteuid() != 0:
        stages = sorted({v.step.stage for v in chroot}, key=order.index)
        first = order.index(stages[0])
        go_on = (f", or `{command} --to {order[first - 1]}` to go as far as a normal user can"
                 if command.startswith("invoke build") and first else "")
        raise NeedsRoot(
            f"{', '.join(stages)} run inside a chroot ({', '.join(v.step.name for v in chroot[:3])}"
            f"{' ...' if len(chroot) > 3 else ''}), which needs root for mounts and namespaces; "
            f"checking now rather than hours from now",
            f"run it as root: `sudo -E {command}`{go_on}")
    if host_check and settings.host_check and any(v.step.stage == order[0] for v in todo):
        from .hostcheck import require_host
        require_host(settings, what=command)
    names = sorted({n for v in todo for n in v.step.needs})
    if names:
        from lfsbuild.sources.fetch import fetch_packages  # requests is heavy: only when needed
        report = fetch_packages(settings, [world.packages.get(n) for n in names])
        if report.failed:
            raise FetchError(f"cannot get the sources `{command}` needs:\n{report.failure_text()}",
                             f"check lfs.mirrors / your network, then run `{command}` again")
        if report.fetched:
            out.write(report.summary() + "\n")


def run_stage(settings: Settings, stage: str, sel: Selection = Selection(), *,
              dry_run: bool = False, verbose: bool = False, progress: bool | None = None,
              host_check: bool = True, out: TextIO = sys.stdout,
              resume: str | None = None) -> Plan:
    """Run what `stage` still needs under `sel`; `resume` is the command that continues it."""
    world = load_world(settings)
    if stage == BLFS_STAGE and BLFS_STAGE in world.book.stages and not world.book.stages[stage]:
        raise ConfigError("no BLFS package is selected: lfs.blfs is empty",
                          f"set lfs.blfs to some of: {', '.join(world.book.blfs_available)}")
    if dry_run:
        live = BuildLock(settings.state_dir).held_elsewhere()
        if live:   # its "running" record is live, not left by a killed run
            out.write(f"note: a build is running on this $LFS now (it holds "
                      f"{settings.state_dir / 'lock'}): its step shows as running now\n")
        plan = plan_stage(world.views(live=live), stage, sel)
        out.write(describe(plan) + "\n")
        return plan
    command = resume or f"invoke {stage}"
    with BuildLock(settings.state_dir):
        world.state = world.store.load()
        for sid in repair_stale(world.store, world.state):
            out.write(f"note: {sid} was interrupted last time (lfsbuild was killed or the "
                      f"machine restarted); it will run again from a fresh source tree\n")
        plan = plan_stage(world.views(), stage, sel)
        if plan.blockers and not sel.force:
            raise LfsError(f"{stage} needs the stages before it:\n  " + "\n  ".join(plan.blockers),
                           f"run those stages first, or `invoke {stage} --force` to go ahead anyway")
        if plan.nothing_to_do:
            out.write(f"{stage}: all {len(plan.skip)} steps done\n")
            return plan
        preflight(world, plan.run, command=command, host_check=host_check, out=out)
        ctx = RunContext(settings, world.packages, world.store, world.state, verbose=verbose,
                         progress=progress, out=out, resume_hint=command,
                         order=tuple(s.id for s in world.book.all_steps()))
        ran = run_plan(plan, ctx)
        settled = len(plan.run) - len(ran)
        out.write(f"{stage}: {len(ran)} step(s) done" + (
            f", {settled} skipped (the steps before them installed the same files as before)"
            if settled else "") + "\n")
    return plan
