"""Saved states of $LFS (book chapter 7, "Cleaning up and Saving the Temporary System"), and
wiping it.

The book's restore is `cd $LFS && rm -rf ./* && tar -xpf ...` with a warning that a wrong
$LFS destroys the host. Here every destructive step first checks that nothing is mounted
below $LFS, never descends into another file system, and a restore only replaces the old tree
once the new one is fully extracted and its archive's checksum verified.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lfsbuild.atomic import sha256_file, write_json
from lfsbuild.errors import BackupError
from .mounts import ensure_nothing_mounted
from lfsbuild.settings import system_dir

FORMAT = "lfsbuild-backup/1"
MANIFEST_SUFFIX = ".manifest.json"
#: Our working directories inside $LFS; never archived, removed as leftovers.
STAGING_PREFIX = ".lfsbuild-restore-"
OLD_PREFIX = ".lfsbuild-old-"
#: Headroom on top of the estimated sizes when checking free space.
MARGIN = 64 * 1024 * 1024


@dataclass(frozen=True)
class Compressor:
    """How tar (de)compresses: the program tar pipes through and the file suffix."""

    name: str
    program: str       # for tar --use-compress-program, compressing
    suffix: str


COMPRESSORS = {
    "zstd": Compressor("zstd", "zstd -T0 -q -6", ".tar.zst"),
    "xz": Compressor("xz", "xz -T0 -6", ".tar.xz"),
}


def pick_compressor() -> Compressor:
    """zstd if the host has it (many times faster than the book's xz), else xz."""
    for comp in COMPRESSORS.values():
        if shutil.which(comp.name):
            return comp
    raise BackupError("neither zstd nor xz is installed on the host",
                      hint="install one: apt-get install -y zstd")


def manifest_path(archive: Path) -> Path:
    """The manifest beside an archive: ARCHIVE.manifest.json."""
    return archive.with_name(archive.name + MANIFEST_SUFFIX)


def free_bytes(path: Path) -> int:
    """Bytes available to us on the file system holding `path` (or its nearest parent)."""
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def tree_bytes(root: Path) -> int:
    """Disk usage of the tree (allocated blocks, hard links once), staying on its file system."""
    root_dev = os.lstat(root).st_dev
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames
                       if os.lstat(os.path.join(dirpath, d)).st_dev == root_dev]
        for name in filenames + dirnames:
            st = os.lstat(os.path.join(dirpath, name))
            if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


def _check_space(where: Path, needed: int, what: str, hint: str) -> None:
    free = free_bytes(where)
    if free < needed:
        raise BackupError(
            f"not enough free space for {what} on the file system of {where}: "
            f"{needed / 2**20:.0f} MiB needed, {free / 2**20:.0f} MiB free", hint=hint)


def _run_tar(args: list[str], what: str) -> None:
    try:
        result = subprocess.run(["tar", *args], capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError("tar is not installed on the host", hint="install GNU tar") from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise BackupError(f"{what} failed (tar exit {result.returncode}):\n{tail}",
                          hint="fix the cause above and run it again; nothing was replaced")


def _is_inside(path: Path, top: Path) -> bool:
    path, top = Path(os.path.realpath(path)), Path(os.path.realpath(top))
    return path == top or top in path.parents


def create(root: Path, dest: Path, manifest: Mapping[str, Any], *,
           exclude: Iterable[str] = (), space_ratio: float = 0.5) -> Path:
    """Write a compressed tarball of `root` and its manifest; return the archive's path.

    `dest` is a directory (the archive gets a name from the stage and time) or a file path.
    The archive has numeric owners, permissions and xattrs, like the book's `tar -cJpf`.
    `manifest` (stage, step fingerprints, ...) is stored beside it in ARCHIVE.manifest.json
    together with the archive's sha256; keys `format`, `archive`, `sha256`, `compression`,
    `created`, `root`, `tree_bytes`, `archive_bytes` are ours. `exclude` names top-level
    entries of `root` to leave out. Free space for `space_ratio` x the tree is required.
    """
    root, dest = Path(root), Path(dest)
    if not root.is_dir():
        raise BackupError(f"nothing to back up: {root} is not a directory", hint="check lfs.root ($LFS)")
    ensure_nothing_mounted(root, "back up")
    comp = pick_compressor()
    if dest.is_dir():
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        stage = manifest.get("stage")
        label = "" if stage is None else "-" + (str(stage) if str(stage).startswith("stage")
                                                  else f"stage{stage}")
        dest = dest / f"lfs-temp-tools{label}-{stamp}{comp.suffix}"
    if _is_inside(dest.parent, root):
        raise BackupError(f"the backup {dest} would be inside {root}, the tree being saved",
                          hint="choose a backup directory outside $LFS (the book uses $HOME)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    size = tree_bytes(root)
    _check_space(dest.parent, int(size * space_ratio) + MARGIN, f"the backup of {root}",
                 hint="free some space or choose another backup directory")

    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    excludes = [f"--exclude=./{STAGING_PREFIX}*", f"--exclude=./{OLD_PREFIX}*"]
    excludes += [f"--exclude=./{name.strip('/')}" for name in exclude]
    try:
        _run_tar(["--create", "--file", str(tmp), f"--use-compress-program={comp.program}",
                  "--numeric-owner", "--preserve-permissions", "--xattrs",
                  "--xattrs-include=*", "--acls", "--one-file-system", "--sparse",
                  "--anchored", *excludes, "-C", str(root), "."], f"backing up {root}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        record = dict(manifest)
        record.update({
            "format": FORMAT,
            "archive": dest.name,
            "sha256": sha256_file(tmp),
            "compression": comp.name,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "root": str(root),
            "tree_bytes": size,
            "archive_bytes": tmp.stat().st_size,
        })
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    write_json(manifest_path(dest), record)
    return dest


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest stored beside `archive`."""
    path = manifest_path(Path(archive))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{archive} has no manifest ({path.name} is missing)",
                          hint="restore only archives written by `invoke backup`, with their .manifest.json") from exc
    except json.JSONDecodeError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}", hint="the manifest is damaged") from exc
    if data.get("format") != FORMAT or "sha256" not in data:
        raise BackupError(f"{path} is not an lfsbuild backup manifest ({FORMAT})")
    return data


def verify(archive: Path) -> dict[str, Any]:
    """Check the archive against its manifest's sha256; return the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"no such backup: {archive}", hint="list the backups with: ls <backup dir>")
    data = read_manifest(archive)
    actual = sha256_file(archive)
    if actual != data["sha256"]:
        raise BackupError(f"{archive} is damaged: sha256 {actual} does not match the manifest's "
                          f"{data['sha256']}", hint="use another backup; this one cannot be trusted")
    return data


def latest(directory: Path) -> Path | None:
    """The newest archive with a manifest in `directory` (for `invoke restore` without FILE)."""
    directory = Path(directory)
    if not directory.is_dir():
        return None
    candidates = [p for p in directory.iterdir()
                  if p.name.endswith(tuple(c.suffix for c in COMPRESSORS.values()))
                  and manifest_path(p).is_file()]
    return max(candidates, key=lambda p: p.stat().st_mtime, default=None)


def restore(archive: Path, root: Path, *, keep: Iterable[str] = (),
            verified: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Bring `root` back to the state saved in `archive`; return its manifest.

    The checksum is verified first, the new tree is extracted beside the old one (inside
    `root`, so this also works when $LFS is a partition) and only then swapped in. A restore
    that fails leaves the old tree as it was; one interrupted during the swap is finished by
    running it again. `keep` names top-level entries of `root` kept as they are (a sources
    cache excluded from the backup). `verified` is the manifest a caller got from `verify`
    just before (a planned restore), so a large archive is not hashed twice.
    """
    archive, root = Path(archive), Path(root)
    refuse_host_dir(root, "restore into")
    data = dict(verified) if verified is not None else verify(archive)
    comp = COMPRESSORS.get(data.get("compression", ""))
    if comp is None:
        raise BackupError(f"{archive}: unknown compression {data.get('compression')!r}")
    root.mkdir(parents=True, exist_ok=True)
    ensure_nothing_mounted(root, "restore")
    keep = frozenset(k.strip("/") for k in keep)
    for leftover in root.iterdir():
        if leftover.name.startswith(STAGING_PREFIX):
            _remove_tree(leftover, os.lstat(root).st_dev)
    _check_space(root, int(data.get("tree_bytes", 0)) + MARGIN, f"restoring {archive.name}",
                 hint=f"free some space, or wipe {root} first with `invoke clean`")

    before = os.lstat(root)  # a failed restore leaves even the directory's mtime alone
    staging = Path(tempfile.mkdtemp(dir=root, prefix=STAGING_PREFIX))
    try:
        _run_tar(["--extract", "--file", str(archive), f"--use-compress-program={comp.name}",
                  "--numeric-owner", "--preserve-permissions", "--same-owner", "--xattrs",
                  "--xattrs-include=*", "--acls", "-C", str(staging)], f"restoring {archive}")
    except BaseException:
        _remove_tree(staging, before.st_dev)
        os.utime(root, ns=(before.st_atime_ns, before.st_mtime_ns))
        raise
    _swap_in(root, staging, keep)
    return data


def _swap_in(root: Path, staging: Path, keep: frozenset[str]) -> None:
    """Move the current tree aside, the staged one into place, then delete the old one."""
    dev = os.lstat(root).st_dev
    st = os.lstat(staging)  # the archive's "./": taken before moving entries changes its mtime
    old = Path(tempfile.mkdtemp(dir=root, prefix=OLD_PREFIX))
    for entry in list(root.iterdir()):
        if entry.name in keep or entry in (staging, old) or entry.name.startswith(OLD_PREFIX):
            continue
        os.rename(entry, old / entry.name)
    for entry in list(staging.iterdir()):
        if entry.name in keep and os.path.lexists(root / entry.name):
            continue
        os.rename(entry, root / entry.name)
    os.chown(root, st.st_uid, st.st_gid)
    os.chmod(root, stat.S_IMODE(st.st_mode))
    _remove_tree(staging, dev)
    for entry in list(root.iterdir()):
        if entry.name.startswith(OLD_PREFIX):
            _remove_tree(entry, dev)
    os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))


def refuse_host_dir(root: Path, action: str) -> None:
    """The last guard before deleting: never a host directory, whatever the caller checked."""
    host = system_dir(Path(root))
    if host:
        raise BackupError(f"refusing to {action} {root}: it is the host's {host}",
                          hint="set lfs.root ($LFS) to the LFS build directory, e.g. /mnt/lfs")


def refuse_foreign_dirs(root: Path, action: str) -> None:
    """Refuse when any directory below `root` is on another file system (listing them)."""
    foreign = foreign_dirs(root)
    if foreign:
        listing = "\n".join(f"    {p}" for p in foreign)
        raise BackupError(f"refusing to {action} {root}: these directories are on another file system:\n{listing}",
                          hint="unmount or move them first (findmnt -T PATH tells what they are); nothing was deleted")


def foreign_dirs(root: Path) -> list[Path]:
    """Directories below `root` on another file system (st_dev differs); not descended into."""
    root_dev = os.lstat(root).st_dev
    found: list[Path] = []
    for dirpath, dirnames, _ in os.walk(root):
        keep = []
        for d in dirnames:
            path = Path(dirpath, d)
            if os.lstat(path).st_dev != root_dev:
                found.append(path)
            else:
                keep.append(d)
        dirnames[:] = keep
    return found


def clean(root: Path, *, keep: Iterable[str] = ()) -> None:
    """Wipe the build root's contents (keeping top-level `keep` entries, e.g. "sources").

    Refuses while anything is mounted below `root`, and if any directory below it is on
    another file system (reported, never descended into). `root` itself stays, as it may be
    the mount point of the LFS partition.
    """
    root = Path(root)
    refuse_host_dir(root, "clean")
    if not root.exists():
        return
    if root.is_symlink() or not root.is_dir():
        raise BackupError(f"refusing to clean {root}: not a plain directory",
                          hint="point lfs.root ($LFS) at the real build directory")
    ensure_nothing_mounted(root, "clean")
    refuse_foreign_dirs(root, "clean")
    keep = frozenset(k.strip("/") for k in keep)
    dev = os.lstat(root).st_dev
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        _remove_entries(fd, dev, root, keep)
    except OSError as exc:
        raise BackupError(f"cleaning {root} stopped: {exc.strerror} ({exc.filename or 'an entry'})",
                          hint="fix the cause (immutable file? read-only file system?) and run it again") from exc
    finally:
        os.close(fd)


def _remove_tree(path: Path, dev: int) -> None:
    """Remove `path` and everything below it, refusing to leave file system `dev`."""
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        if st.st_dev != dev:
            raise BackupError(f"refusing to delete {path}: it is on another file system",
                              hint=f"unmount it (umount -R {path}) and run again")
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            _remove_entries(fd, dev, path)
        finally:
            os.close(fd)
        os.rmdir(path)
    else:
        os.unlink(path)


def _remove_entries(dir_fd: int, dev: int, where: Path, keep: frozenset[str] = frozenset()) -> None:
    """Delete the entries of the open directory `dir_fd` via *at() calls (no path races)."""
    for name in os.listdir(dir_fd):
        if name in keep:
            continue
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(name, dir_fd=dir_fd)
            continue
        if st.st_dev != dev:
            raise BackupError(f"refusing to delete {where / name}: it is on another file system",
                              hint=f"unmount it (umount -R {where / name}) and run again")
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
        try:
            if os.fstat(fd).st_dev != dev:
                raise BackupError(f"refusing to delete {where / name}: it is on another file system",
                                  hint=f"unmount it (umount -R {where / name}) and run again")
            _remove_entries(fd, dev, where / name)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=dir_fd)
