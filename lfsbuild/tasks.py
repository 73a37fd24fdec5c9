"""The invoke layer: parse options, call the library, print, turn errors into exit codes.

Nothing below this module knows invoke exists; everything here is deliberately thin.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Callable

from invoke import Collection, Context, Exit, task

from . import fetch as fetching
from . import snapshots, stages
from .plan import Selection
from .errors import LfsError
from .packages import load_packages
from .settings import Settings, from_config


def settings_of(c: Context) -> Settings:
    prefix = getattr(c.config, "_project_prefix", None)
    project = Path(prefix) if prefix else Path.cwd()
    return from_config(c.config.get("lfs"), project)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn LfsError into a clear message and exit code instead of a traceback."""
    @functools.wraps(fn)
    def wrapper(c: Context, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(c, *args, **kwargs)
        except LfsError as exc:
            raise Exit(f"error: {exc}", code=exc.exit_code) from None
        except KeyboardInterrupt:
            raise Exit("interrupted", code=130) from None
    return wrapper


def _names(only: str | None) -> list[str]:
    return [n.strip() for n in (only or "").split(",") if n.strip()]


@task(help={
    "only": "comma-separated package names to fetch (default: all)",
    "jobs": "parallel downloads (default: lfs.fetch_jobs)",
    "offline": "no network: verify what is here, use file:// mirrors only, report what is missing",
    "progress": "show progress bars even when not on a terminal",
})
@friendly
def fetch(c: Context, only: str | None = None, jobs: int | None = None, offline: bool = False,
          progress: bool = False) -> None:
    """Download every missing source tarball and patch, verified (mirrors first)."""
    s = settings_of(c)
    pkgs = load_packages(s.packages).select(_names(only))
    report = fetching.fetch_packages(s, pkgs, jobs=jobs, offline=offline,
                                     progress=True if progress else None)
    print(report.summary())
    if report.failed:
        raise Exit(f"error: {len(report.failed)} source(s) missing or bad:\n"
                   f"{report.failure_text()}", code=1)


@task(help={"only": "comma-separated package names to verify (default: all)"})
@friendly
def verify(c: Context, only: str | None = None) -> None:
    """Re-hash every file in the sources cache against packages.yaml: ok / missing / corrupt."""
    s = settings_of(c)
    pkgs = load_packages(s.packages).select(_names(only))
    record = fetching.VerifiedRecord(s.sources)
    bad = 0

    def show(r: fetching.VerifyResult) -> None:
        nonlocal bad
        bad += r.status != "ok"
        line = f"{r.status.upper():8} {r.package.name:24} {r.package.filename}"
        print(line + (f"\n         {r.detail}" if r.detail else ""))
    fetching.verify(pkgs, s.sources, record, on_result=show)
    print(f"verify: {len(pkgs) - bad} ok, {bad} not ok")
    if bad:
        raise Exit("error: some sources are missing or corrupt; `invoke fetch` replaces them",
                   code=1)


@task(help={"dest": "directory to write the mirror into (created if missing)",
            "offline": "do not download what is missing; fail instead"})
@friendly
def mirror(c: Context, dest: str, offline: bool = False) -> None:
    """Write a self-contained flat mirror (all files + MD5SUMS) for lfs.mirrors elsewhere."""
    s = settings_of(c)
    pkgs = load_packages(s.packages).select(None)
    report = fetching.fetch_packages(s, pkgs, offline=offline)
    if report.failed:
        raise Exit(f"error: cannot complete the mirror:\n{report.failure_text()}", code=1)
    sums = fetching.write_mirror(pkgs, s.sources, Path(dest).resolve())
    print(f"mirror: {len(pkgs)} files and {sums.name} in {sums.parent}; "
          f"use it with lfs.mirrors: [file://{sums.parent}] or serve it over HTTP")


STAGE_HELP = {
    "step": "run exactly this step (even if done)",
    "from_": "first step of the range to run",
    "to": "last step of the range to run",
    "force": "re-run steps even if done (and ignore incomplete earlier stages)",
    "dry_run": "print what would run and why; run nothing",
    "verbose": "stream each step's output live (it is logged either way)",
}


def _stage_task(stage: str, chapters: str):
    def body(c: Context, step: str | None = None, from_: str | None = None, to: str | None = None,
             force: bool = False, dry_run: bool = False, verbose: bool = False) -> None:
        sel = Selection(step=step, from_=from_, to=to, force=force)
        stages.run_stage(settings_of(c), stage, sel, dry_run=dry_run, verbose=verbose)
    body.__name__ = body.__qualname__ = stage
    body.__doc__ = f"Run {stage} ({chapters}): every step not yet done, resumably."
    return task(friendly(body), name=stage, help=STAGE_HELP)


stage1 = _stage_task("stage1", "book chapters 4-5: the cross toolchain")
stage2 = _stage_task("stage2", "book chapter 6: cross-compiled temporary tools")
stage3 = _stage_task("stage3", "book chapter 7: the chroot and more temporary tools; needs root")
stage4 = _stage_task("stage4", "book chapter 8: the LFS system itself; needs root")
stage5 = _stage_task("stage5", "book chapters 9-10: configuration and the kernel; needs root")


@task(help={"command": "run this one command instead of an interactive shell"})
@friendly
def chroot(c: Context, command: str | None = None) -> None:
    """Open a shell inside $LFS in exactly the environment chroot steps get (needs root)."""
    from . import chroot as chrooting
    s = settings_of(c)
    env = chrooting.book_env(os.environ.get("TERM", "linux"), s.jobs)
    code = chrooting.enter(s.root, command, env)
    if code:
        raise Exit(code=code)


@task(help={"dest": "archive file or directory (default: backups/ beside $LFS)"})
@friendly
def backup(c: Context, dest: str | None = None) -> None:
    """Save $LFS and its step state as a compressed tarball + manifest (needs root)."""
    from .chroot import require_root
    require_root("a backup of $LFS", "invoke backup")
    archive = snapshots.create_snapshot(settings_of(c), Path(dest).resolve() if dest else None)
    print(f"backup: {archive} ({archive.stat().st_size / 1e6:.0f} MB); "
          f"`invoke restore {archive}` brings this state back")


@task(help={"archive": "the backup to restore (default: the newest in backups/)"})
@friendly
def restore(c: Context, archive: str | None = None) -> None:
    """Bring $LFS and the step state back to a backup (needs root)."""
    from .chroot import require_root
    require_root("restoring $LFS", "invoke restore")
    path, manifest = snapshots.restore_snapshot(settings_of(c),
                                                Path(archive).resolve() if archive else None)
    print(f"restore: $LFS is back at {manifest.get('stage')} from {path} "
          f"({len(manifest.get('steps', {}))} steps done)")


@task
@friendly
def clean(c: Context) -> None:
    """Wipe the build root and its step state; keeps the sources cache. Refuses with mounts."""
    s = settings_of(c)
    snapshots.clean_build(s)
    print(f"clean: {s.root} is empty; the sources cache {s.sources} is kept")


@task(help={"stage": "only this stage"})
@friendly
def steps(c: Context, stage: str | None = None) -> None:
    """List every step of every stage with its state (done, pending, failed, changed)."""
    rows, summary = stages.status_rows(settings_of(c))
    rows = [r[:3] + [r[5]] for r in rows if not stage or r[0] == stage]
    print(stages.table(rows, ["stage", "step", "state", "book SBU"]))


@task
@friendly
def status(c: Context) -> None:
    """Table of steps that ran: state, duration, measured SBU, log; plus a one-line summary."""
    rows, summary = stages.status_rows(settings_of(c), only_recorded=True)
    if rows:
        print(stages.table(rows, ["stage", "step", "state", "time", "SBU", "book", "log"]))
    else:
        print("no step has run yet")
    print(summary)


ns = Collection(fetch, verify, mirror, stage1, stage2, stage3, stage4, stage5, steps, status,
                chroot, backup, restore, clean)
