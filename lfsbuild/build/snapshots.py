"""Saved states of a build: `$LFS` plus its step state, as one archive + manifest.

lfsbuild.build.archive moves trees safely; this module decides what a build's snapshot holds: the
tree without lfsbuild's own records and work directories, and the step records in the
manifest, so a restore brings back exactly the steps that produced the tree.
"""
from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

from lfsbuild.build import archive
from lfsbuild.errors import LfsError
from lfsbuild.sources.packages import load_packages
from lfsbuild.settings import Settings
from .state import BuildLock, State, StateStore, StepRecord

NOT_IN_SNAPSHOT = (".lfsbuild", "sources")  # our records (in the manifest) and work dirs


def backup_dir(settings: Settings) -> Path:
    return settings.root.parent / "backups"


def create_snapshot(settings: Settings, dest: Path | None = None) -> Path:
    """Archive $LFS (refuses with mounts present; checks space) with the step state."""
    with BuildLock(settings.state_dir):
        state = StateStore(settings.state_dir).load()
        done = {k: v for k, v in state.steps.items() if v.status == "done"}
        if not done:
            raise LfsError("nothing to back up: no step of this build is done yet",
                           "run the stages first (the book saves the temporary system after stage 3)")
        stages = sorted({k.split("/")[0] for k in done})
        manifest = {"stage": stages[-1], "release": load_packages(settings.packages).release,
                    "sbu_seconds": state.sbu_seconds,
                    "steps": {k: asdict(v) for k, v in sorted(done.items())}}
        if dest is None:
            dest = backup_dir(settings)
            dest.mkdir(parents=True, exist_ok=True)
        return backup.create(settings.root, dest, manifest, exclude=NOT_IN_SNAPSHOT)


def restore_snapshot(settings: Settings, archive: Path | None = None) -> tuple[Path, dict]:
    """Bring $LFS and the step state back to a snapshot (the newest one by default)."""
    archive = archive or backup.latest(backup_dir(settings))
    if archive is None:
        raise LfsError(f"no backup found in {backup_dir(settings)}",
                       "name the archive: invoke restore PATH")
    settings.root.mkdir(parents=True, exist_ok=True)
    with BuildLock(settings.state_dir):
        manifest = backup.restore(archive, settings.root, keep=NOT_IN_SNAPSHOT)
        steps = {k: StepRecord(**v) for k, v in manifest.get("steps", {}).items()}
        shutil.rmtree(settings.root / "sources" / "build", ignore_errors=True)
        StateStore(settings.state_dir).save(State(steps=steps,
                                                  sbu_seconds=manifest.get("sbu_seconds")))
    return archive, manifest


def clean_build(settings: Settings) -> None:
    """Wipe $LFS and its step state; the sources cache lives elsewhere and stays."""
    if not settings.root.exists():
        return
    with BuildLock(settings.state_dir):
        backup.clean(settings.root, keep=(".lfsbuild",))
        for p in settings.state_dir.iterdir():
            if p.name != "lock":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
