"""A tiny root file system for real chroot tests: Debian's busybox-static plus chroot/ files.

Laid out like an LFS tree after chapter 6 (/bin, /sbin, /lib are symlinks into /usr), so the
book's PATH=/usr/bin:/usr/sbin and /usr/bin/env work; it has no bash, so shells fall back to
/bin/sh. Reused by other test modules: `make_busybox_root(tmp_path / "root")`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import need_file
from lfsbuild.build.files import collect, place_files

CHROOT_FILES = Path(__file__).resolve().parents[1] / "chroot"

DIRS = ("usr/bin", "usr/sbin", "usr/lib", "etc", "dev", "proc", "sys", "run", "tmp",
        "root", "var/log", "sources")


def require_busybox() -> Path:
    """The host's static busybox (package busybox-static): skips locally, fails under CI=true."""
    return need_file("/bin/busybox", "/usr/bin/busybox", package="busybox-static")


def make_busybox_root(path: Path) -> Path:
    """Build the tree at `path` (created) and return it."""
    busybox = require_busybox()
    path.mkdir(parents=True, exist_ok=True)
    for d in DIRS:
        (path / d).mkdir(parents=True, exist_ok=True)
    for link in ("bin", "sbin", "lib"):
        os.symlink(f"usr/{link}", path / link)
    os.chmod(path / "tmp", 0o1777)
    os.chmod(path / "root", 0o700)
    shutil.copy2(busybox, path / "usr/bin/busybox")
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", path / "usr/bin" / applet)
    for applet in ("mount", "umount", "chroot", "switch_root"):
        if (path / "usr/bin" / applet).is_symlink():
            os.symlink("../bin/busybox", path / "usr/sbin" / applet)
    place_files(collect(["etc"], [CHROOT_FILES], {"hostname": "buildhost"}), path)
    return path


def leftover_mounts(path: Path) -> list[str]:
    """Mounts at or below `path` in our mount table."""
    from lfsbuild.build.mounts import mounts_under
    return mounts_under(path, include_self=True)


@pytest.fixture
def mount_guard(tmp_path: Path):
    """Fail the test if it leaves any mount under tmp_path, and remove such mounts anyway.

    Tests that mount by hand register the mount points they make; all are unmounted in
    teardown even when the test failed, so no run ever leaves a mount behind.
    """
    made: list[Path] = []
    yield made
    for point in reversed(made):
        subprocess.run(["umount", "-R", "-l", str(point)], capture_output=True)
    left = leftover_mounts(tmp_path)
    for point in left:
        subprocess.run(["umount", "-R", "-l", point], capture_output=True)
    assert not leftover_mounts(tmp_path), "could not remove test mounts"
    assert not [p for p in left if Path(p) not in made], f"test left mounts behind: {left}"


def mount_tmpfs(point: Path, guard: list[Path], size: str = "1m") -> Path:
    """Mount a small tmpfs at `point` (created), registered with `mount_guard` for teardown."""
    point.mkdir(parents=True, exist_ok=True)
    guard.append(point)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "lfsbuild-test", str(point)],
                   check=True)
    return point


def mount_bind(source: Path, point: Path, guard: list[Path]) -> Path:
    """Bind-mount `source` at `point` (like the book's `mount --bind /dev $LFS/dev`)."""
    point.mkdir(parents=True, exist_ok=True)
    guard.append(point)
    subprocess.run(["mount", "--bind", str(source), str(point)], check=True)
    return point
