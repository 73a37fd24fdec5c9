"""Reading the mount table, and the guard that keeps `rm -rf` away from mounted file systems.

A bind mount of the host's /dev under $LFS turns any recursive delete of $LFS into a delete of
the host's /dev. Every destructive operation (clean, restore) therefore asks this module first
and refuses while anything at all is mounted below $LFS.
"""
from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from lfsbuild.errors import ChrootError

MOUNTINFO = Path("/proc/self/mountinfo")

_OCTAL = re.compile(r"\\([0-7]{3})")


def unescape(field: str) -> str:
    """Undo the kernel's octal escapes (``\\040`` for a space, ``\\134`` for a backslash, ...)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


@dataclass(frozen=True)
class Mount:
    """One line of /proc/self/mountinfo, with the fields the guards need."""

    mount_id: int
    parent_id: int
    root: str
    mount_point: str
    fstype: str
    source: str


def parse_mountinfo(text: str) -> list[Mount]:
    """Parse mountinfo text (see proc(5)); pure so tests can feed it odd lines."""
    mounts: list[Mount] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        sep = fields.index("-")  # optional fields end at the lone "-"
        mounts.append(Mount(
            mount_id=int(fields[0]),
            parent_id=int(fields[1]),
            root=unescape(fields[3]),
            mount_point=unescape(fields[4]),
            fstype=fields[sep + 1],
            source=unescape(fields[sep + 2]) if len(fields) > sep + 2 else "",
        ))
    return mounts


def _is_below(candidate: str, top: str) -> bool:
    top = top.rstrip("/") or "/"
    if top == "/":
        return candidate != "/"
    return candidate.startswith(top + "/")


def mounts_under(path: Path, include_self: bool = False,
                 mountinfo: Path = MOUNTINFO) -> list[str]:
    """Mount points strictly below `path` (and `path` itself if `include_self`).

    `path` itself is usually allowed to be a mount point: the book puts $LFS on its own
    partition. Paths are compared after resolving symlinks in `path`, since the kernel
    reports canonical mount points.
    """
    top = os.path.realpath(path)
    found = []
    for m in parse_mountinfo(mountinfo.read_text(encoding="utf-8", errors="surrogateescape")):
        if _is_below(m.mount_point, top) or (include_self and m.mount_point == top):
            found.append(m.mount_point)
    # Deepest first: the order in which they would have to be unmounted.
    return sorted(dict.fromkeys(found), key=lambda p: (-p.count("/"), p))


def is_mount_point(path: Path, mountinfo: Path = MOUNTINFO) -> bool:
    """True if `path` is itself a mount point (e.g. $LFS on its own partition)."""
    top = os.path.realpath(path)
    return any(m.mount_point == top for m in parse_mountinfo(mountinfo.read_text(
        encoding="utf-8", errors="surrogateescape")))


def ensure_nothing_mounted(path: Path, action: str = "continue",
                           mountinfo: Path = MOUNTINFO) -> None:
    """Raise ChrootError if anything is mounted below `path`, naming the mounts and the fix."""
    found = mounts_under(path, mountinfo=mountinfo)
    if found:
        listing = "\n".join(f"    {p}" for p in found)
        tops = [p for p in found if not any(_is_below(p, q) for q in found)]
        fix = " && ".join(f"umount -R {shlex.quote(p)}" for p in sorted(tops))
        raise ChrootError(
            f"refusing to {action}: {len(found)} file system(s) mounted under {path}:\n{listing}",
            hint=(f"a step or a manual chroot may still be using them; stop it, or unmount "
                  f"them with: {fix}  (check with: findmnt -R {shlex.quote(str(path))})"),
        )
