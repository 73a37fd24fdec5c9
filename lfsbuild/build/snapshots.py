"""Saved states of a build: `$LFS` plus its step state, as one archive + manifest.

lfsbuild.build.archive moves trees safely; this module decides what a build's snapshot holds: the
tree without lfsbuild's own records and work directories, and the step records in the
manifest, so a restore brings back exactly the steps that produced the tree.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from lfsbuild import owned
from lfsbuild.errors import BackupError, LfsError
from lfsbuild.settings import Settings
from lfsbuild.sources.packages import load_packages
from . import archive
from . import manifest as manifests
from .mounts import ensure_nothing_mounted
from .state import BuildLock, State, StateStore, StepRecord

NOT_IN_SNAPSHOT = (".lfsbuild", "sources")  # our records (in the manifest) and work dirs
#: What a restore leaves in place (and so does not list as replaced).
KEPT_BY_RESTORE = NOT_IN_SNAPSHOT
#: What `clean` leaves in $LFS/.lfsbuild: the lock it holds and the marker that the root is ours.
CLEAN_KEEPS_IN_STATE = ("lock", owned.ROOT_MARKER)


def backup_dir(settings: Settings) -> Path:
    return settings.root.parent / "backups"


def create_snapshot(settings: Settings, dest: Path | None = None) -> Path:
    """Archive $LFS (refuses with mounts present; checks space) with the step state."""
    if not any(r.status == "done" for r in StateStore(settings.state_dir).load().steps.values()):
        # asked before the lock, so a directory that is no build gets no .lfsbuild/ from us
        raise LfsError("nothing to back up: no step of this build is done yet",
                       "run the stages first (the book saves the temporary system after stage 3)")
    with BuildLock(settings.state_dir):
        state = StateStore(settings.state_dir).load()
        done = {k: v for k, v in state.steps.items() if v.status == "done"}
        if not done:
            raise LfsError("nothing to back up: no step of this build is done yet",
                           "run the stages first (the book saves the temporary system after stage 3)")
        stages = sorted({k.split("/")[0] for k in done})
        manifest = {"stage": stages[-1], "release": load_packages(settings.packages).release,
                    "sbu_seconds": state.sbu_seconds,
                    "steps": {k: asdict(v) for k, v in sorted(done.items())},
                    # what each step installed: `owner`/`files` answer after a restore too
                    "manifests": {k: json.loads(m.to_json()) for k in sorted(done)
                                  if (m := manifests.load(settings.state_dir, k)) is not None}}
        if dest is None:
            dest = backup_dir(settings)
            dest.mkdir(parents=True, exist_ok=True)
        return archive.create(settings.root, dest, manifest, exclude=NOT_IN_SNAPSHOT)


@dataclass(frozen=True)
class RestorePlan:
    """A verified archive and what restoring it would remove from $LFS."""

    archive: Path
    manifest: dict
    wipe: owned.WipePlan

    def text(self) -> str:
        m = self.manifest
        head = (f"restore {self.archive} ({m.get('stage')}, {len(m.get('steps', {}))} steps done, "
                f"created {m.get('created', '?')}; sha256 verified) into {self.wipe.root}; "
                f"the step state becomes the backup's")
        if self.wipe.empty:
            return head + "\nnothing in $LFS is replaced"
        return head + "\nreplaced (deleted once the archive is unpacked):\n" + self.wipe.text()


def plan_restore(settings: Settings, path: Path | None = None) -> RestorePlan:
    """Everything a restore checks, before it writes anything: the archive (its checksum),
    that $LFS is lfsbuild's and has nothing mounted; and what it would replace."""
    path = path or archive.latest(backup_dir(settings))
    if path is None:
        raise LfsError(f"no backup found in {backup_dir(settings)}",
                       "name the archive: invoke restore --archive PATH")
    root = settings.root
    archive.refuse_host_dir(root, "restore into")
    manifest = archive.verify(path)
    if root.exists():
        if root.is_symlink() or not root.is_dir():
            raise BackupError(f"refusing to restore into {root}: not a plain directory",
                              hint="point lfs.root ($LFS) at the real build directory")
        owned.require_own_root(root, "restore into")
        ensure_nothing_mounted(root, "restore")
    return RestorePlan(path, manifest, owned.measure(root, keep=KEPT_BY_RESTORE))


def restore_snapshot(settings: Settings, plan: RestorePlan) -> tuple[Path, dict]:
    """Bring $LFS and the step state back to the snapshot `plan` (from plan_restore) names."""
    settings.root.mkdir(parents=True, exist_ok=True)
    with BuildLock(settings.state_dir):
        manifest = archive.restore(plan.archive, settings.root, keep=NOT_IN_SNAPSHOT,
                                  verified=plan.manifest)
        steps = {k: StepRecord(**v) for k, v in manifest.get("steps", {}).items()}
        shutil.rmtree(settings.state_dir / manifests.MANIFEST_DIR, ignore_errors=True)
        for record in manifest.get("manifests", {}).values():
            manifests.save(settings.state_dir, manifests.Manifest.from_json(json.dumps(record)))
        shutil.rmtree(settings.root / "sources" / "build", ignore_errors=True)
        StateStore(settings.state_dir).save(State(steps=steps,
                                                  sbu_seconds=manifest.get("sbu_seconds")))
    return plan.archive, manifest


def plan_clean(settings: Settings) -> owned.WipePlan:
    """Everything `clean` checks, before it writes anything (not even the lock file): $LFS is
    not the host's, lfsbuild made it, nothing is mounted or on another file system below it.
    Returns what would be removed."""
    root = settings.root
    archive.refuse_host_dir(root, "clean")
    if not os.path.lexists(root):
        return owned.WipePlan(root, ())
    if root.is_symlink() or not root.is_dir():
        raise BackupError(f"refusing to clean {root}: not a plain directory",
                          hint="point lfs.root ($LFS) at the real build directory")
    owned.require_own_root(root, "clean")
    ensure_nothing_mounted(root, "clean")
    archive.refuse_foreign_dirs(root, "clean")
    tree = owned.measure(root, keep=(owned.STATE_DIR,))
    # the step state and logs go too; the lock and the marker stay with the (empty) root
    state = owned.measure(settings.state_dir, keep=CLEAN_KEEPS_IN_STATE)
    records = tuple(replace(e, name=f"{owned.STATE_DIR}/{e.name}") for e in state.entries)
    return owned.WipePlan(root, tree.entries + records,
                          tuple(f"{owned.STATE_DIR}/{k}" for k in state.kept))


def clean_build(settings: Settings, plan: owned.WipePlan) -> None:
    """Wipe $LFS and its step state (after plan_clean); the sources cache lives elsewhere.

    The marker stays: the empty root is still lfsbuild's.
    """
    if plan.empty:
        return
    with BuildLock(settings.state_dir):
        owned.require_own_root(settings.root, "clean")  # the same answer, now under the lock
        archive.clean(settings.root, keep=(owned.STATE_DIR,))
        for p in settings.state_dir.iterdir():
            if p.name not in CLEAN_KEEPS_IN_STATE:
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        owned.claim_root(settings.root)  # a root from before markers gets one, now it is empty
