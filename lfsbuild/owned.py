"""Which directories lfsbuild may empty or overwrite: the ones it created, and nothing else.

`clean` and `restore` delete everything in $LFS, `pxe` replaces files in lfs.pxe_dir. A
setting that points at the wrong directory (a typo, an unset variable, a home directory)
must not cost the user their files, so each of these directories carries a marker written
the first time lfsbuild takes it:

- $LFS: `.lfsbuild/root.json`, with the top-level entries that were already there (none, for
  a directory lfsbuild created). `clean`/`restore` refuse a root without `.lfsbuild/`, and
  one that still holds entries that predate lfsbuild.
- lfs.pxe_dir: `.lfsbuild-pxe`, written when lfsbuild creates the directory or finds it
  empty; `pxe` refuses a non-empty directory without it.

Everything here only reads until the caller has decided to go ahead; the planners return
what would be removed so `--dry-run` and the confirmation show it.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_write
from .errors import BackupError, PxeError
from .tables import human

STATE_DIR = ".lfsbuild"
ROOT_MARKER = "root.json"
ROOT_FORMAT = "lfsbuild-root/1"
PXE_MARKER = ".lfsbuild-pxe"
#: Not the user's files: the file system's own directory on a fresh partition (the book's
#: $LFS is one), and lfsbuild's state and restore work directories.
IGNORED = ("lost+found",)
OURS_PREFIX = ".lfsbuild"


def _entries(root: Path) -> list[str]:
    """Top-level names in `root` that could be someone's files."""
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if n not in IGNORED and not n.startswith(OURS_PREFIX))


# ----------------------------------------------------------------------------- $LFS

def claim_root(root: Path) -> None:
    """Record, before lfsbuild writes its first file into `root`, what was there already.

    Called whenever lfsbuild takes the build lock (every task that writes into $LFS does).
    Nothing is recorded for a root built by an lfsbuild from before markers (it has step
    state but no marker): its history is unknown, and guessing "all of it was there before"
    would make it impossible to clean.
    """
    state_dir = root / STATE_DIR
    marker = state_dir / ROOT_MARKER
    if marker.exists():
        return
    found = _entries(root)
    if (state_dir / "state.json").exists() and found:
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    record = {"format": ROOT_FORMAT, "found": found,
              "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    atomic_write(marker, (json.dumps(record, indent=1) + "\n").encode())


def root_problem(root: Path) -> str | None:
    """Why lfsbuild may not delete the contents of `root`, or None if it may.

    It may when `root` is empty (a fresh partition's lost+found aside), or when `.lfsbuild/`
    says lfsbuild built there: a marker whose pre-existing entries are gone, or (a root from
    before markers) step state.
    """
    if not _entries(root):
        return None
    state_dir = root / STATE_DIR
    if not state_dir.is_dir() or state_dir.is_symlink():
        return f"{root} has no {STATE_DIR}/ directory: lfsbuild did not create it or build in it"
    marker = state_dir / ROOT_MARKER
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if (state_dir / "state.json").is_file():
            return None  # built by an lfsbuild from before markers
        return f"{root}/{STATE_DIR}/ holds no build of lfsbuild (no {ROOT_MARKER}, no state.json)"
    except (OSError, ValueError):
        return f"{marker} is damaged, so what in {root} is lfsbuild's is unknown"
    if not isinstance(record, dict) or record.get("format") != ROOT_FORMAT:
        return f"{marker} is not lfsbuild's marker ({ROOT_FORMAT})"
    before = [n for n in record.get("found", []) if isinstance(n, str)
              and os.path.lexists(root / n)]
    if before:
        shown = ", ".join(before[:8]) + (f" and {len(before) - 8} more" if len(before) > 8 else "")
        return (f"{root} held files before lfsbuild first used it ({shown}); they are not "
                f"lfsbuild's to delete")
    return None


def require_own_root(root: Path, action: str) -> None:
    """Raise BackupError unless lfsbuild may delete the contents of `root`."""
    problem = root_problem(root)
    if problem:
        raise BackupError(
            f"refusing to {action} {root}: {problem}",
            hint="point lfs.root ($LFS) at the build lfsbuild made; to empty this directory "
                 "anyway, move out what you want to keep and delete the rest yourself")


# ----------------------------------------------------------------------------- what goes

@dataclass(frozen=True)
class Entry:
    """One top-level entry of a directory about to be emptied, measured."""

    name: str
    kind: str     # "dir" | "file" | "link" | "other"
    files: int    # entries below it, itself included
    bytes: int    # apparent size of the regular files in it


@dataclass(frozen=True)
class WipePlan:
    """What `clean` or `restore` would remove from `root` (top-level `kept` stay)."""

    root: Path
    entries: tuple[Entry, ...]
    kept: tuple[str, ...] = ()

    @property
    def files(self) -> int:
        return sum(e.files for e in self.entries)

    @property
    def bytes(self) -> int:
        return sum(e.bytes for e in self.entries)

    @property
    def empty(self) -> bool:
        return not self.entries

    def text(self, limit: int = 20) -> str:
        """The listing `--dry-run` and the confirmation show: totals, then the biggest first."""
        if self.empty:
            return f"{self.root}: nothing to remove"
        lines = [f"{self.root}: {len(self.entries)} top-level entries, {self.files} files and "
                 f"directories, {human(self.bytes)}"]
        ranked = sorted(self.entries, key=lambda e: (-e.bytes, e.name))
        for e in ranked[:limit]:
            name = e.name + ("/" if e.kind == "dir" else "")
            lines.append(f"  {name!r:32} {e.files:>9} {human(e.bytes):>10}")
        if len(ranked) > limit:
            lines.append(f"  ... and {len(ranked) - limit} more")
        if self.kept:
            lines.append(f"  kept: {', '.join(self.kept)}")
        return "\n".join(lines)


def measure(root: Path, keep: tuple[str, ...] = ()) -> WipePlan:
    """Count and size the top-level entries of `root` (except `keep`), on its file system only.

    Read-only: symlinks are counted, never followed; directories on another file system are
    not descended into (`clean`/`restore` refuse them anyway).
    """
    root = Path(root)
    if not root.is_dir():
        return WipePlan(root, (), keep)
    dev = os.lstat(root).st_dev
    entries = []
    for name in sorted(os.listdir(root)):
        if name in keep:
            continue
        path = root / name
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            files, size = 1, 0
            if st.st_dev == dev:
                for dirpath, dirnames, filenames in os.walk(path):
                    dirnames[:] = [d for d in dirnames
                                   if os.lstat(os.path.join(dirpath, d)).st_dev == dev]
                    files += len(dirnames) + len(filenames)
                    for f in filenames:
                        try:
                            fst = os.lstat(os.path.join(dirpath, f))
                        except FileNotFoundError:
                            continue
                        if stat.S_ISREG(fst.st_mode):
                            size += fst.st_size
            entries.append(Entry(name, "dir", files, size))
        else:
            kind = "file" if stat.S_ISREG(st.st_mode) else (
                "link" if stat.S_ISLNK(st.st_mode) else "other")
            entries.append(Entry(name, kind, 1, st.st_size if kind == "file" else 0))
    return WipePlan(root, tuple(entries), tuple(k for k in keep if os.path.lexists(root / k)))


# ----------------------------------------------------------------------------- pxe_dir

def pxe_dir_problem(path: Path) -> str | None:
    """Why `pxe` may not write into `path`, or None: it must be new, empty or lfsbuild's."""
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_dir():
        return f"{path} is not a directory"
    if (path / PXE_MARKER).is_file() or not _entries(path):
        return None
    return (f"{path} already holds files that lfsbuild did not write (no {PXE_MARKER} in it), "
            f"and `pxe` replaces files there")


def claim_pxe_dir(path: Path) -> None:
    """Check `path` (see pxe_dir_problem), then create it with its marker if it has none."""
    problem = pxe_dir_problem(path)
    if problem:
        raise PxeError(f"refusing to write the netboot tree: {problem}",
                       "choose a new or empty directory (lfs.pxe_dir, or --out), or empty "
                       "this one yourself")
    path.mkdir(parents=True, exist_ok=True)
    marker = path / PXE_MARKER
    if not marker.exists():
        atomic_write(marker, b"This netboot tree was written by lfsbuild (`invoke pxe`); "
                             b"it may replace every file in it.\n", durable=False)
