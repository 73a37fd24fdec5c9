"""The root tree as a squashfs image, made by the build host's `mksquashfs` (squashfs-tools).

The image leaves out what the RAM-root initrd leaves out (`initrd.skip_reason`'s rules: build
inputs, /boot, runtime directories' contents, docs and static libraries unless kept), holds
fixed timestamps (SOURCE_DATE_EPOCH or 0) so a re-pack of the same tree gives the same bytes,
and never crosses into a file system mounted below the tree.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lfsbuild.errors import PxeError
from lfsbuild.netboot.pxe.initrd import DOC_DIRS, EMPTY_DIRS, SKIP_TOP, STATIC_SUFFIXES

#: --compress name -> mksquashfs -comp, and whether it takes -Xcompression-level
COMPRESSORS = {"zstd": ("zstd", True), "xz": ("xz", False), "gzip": ("gzip", True),
               "none": (None, False)}
#: directories the running system mounts over: present (empty) in the image even if the tree
#: lacks them, so /init can move /dev, /proc, /sys into the new root
MOUNT_POINTS = ("dev", "proc", "sys", "run", "tmp")


@dataclass(frozen=True)
class ImageResult:
    path: Path
    size: int
    seconds: float
    compressor: str


def excludes(rootfs: Path, keep_docs: bool, keep_static: bool) -> list[str]:
    """mksquashfs -wildcards exclude patterns for the initrd's skip rules (pure but for the
    check which mount-point directories exist)."""
    out = list(SKIP_TOP)
    out += [f"{d}/*" for d in sorted(EMPTY_DIRS)]
    if not keep_docs:
        out += sorted(DOC_DIRS)
    if not keep_static:
        out += [f"... *{suffix}" for suffix in STATIC_SUFFIXES]
    out.append("init")   # a tree's own /init is the RAM root's business, not the image's
    return out


def pseudo(rootfs: Path) -> list[str]:
    """Pseudo definitions for the mount points the tree lacks."""
    lines = []
    for d in MOUNT_POINTS:
        if not os.path.lexists(rootfs / d):
            lines.append(f"{d} d {'1777' if d == 'tmp' else '755'} 0 0")
    return lines


def mksquashfs_argv(rootfs: Path, out: Path, compress: str, level: int | None, epoch: int,
                    exclude_file: Path, pseudo_file: Path | None) -> list[str]:
    comp, has_level = COMPRESSORS[compress]
    argv = ["mksquashfs", str(rootfs), str(out), "-noappend", "-quiet", "-no-progress",
            "-one-file-system", "-wildcards", "-ef", str(exclude_file),
            "-mkfs-time", str(epoch), "-all-time", str(epoch)]
    if comp is None:
        argv += ["-noI", "-noD", "-noF", "-noX"]
    else:
        argv += ["-comp", comp]
        if has_level and level is not None:
            argv += ["-Xcompression-level", str(level)]
        if comp == "xz":
            argv += ["-Xbcj", "x86"]
    if pseudo_file is not None:
        argv += ["-pf", str(pseudo_file)]
    return argv


def make_image(rootfs: Path, out: Path, compress: str, level: int | None, epoch: int,
               keep_docs: bool = False, keep_static: bool = False) -> ImageResult:
    """Write the image to `out` (via a temp name, renamed when complete)."""
    if compress not in COMPRESSORS:
        raise PxeError(f"unknown compression {compress!r} for a squashfs image",
                       f"choose one of: {', '.join(COMPRESSORS)}")
    if shutil.which("mksquashfs") is None:
        raise PxeError("--mode squashfs needs mksquashfs, which is not installed",
                       "install the Debian package squashfs-tools (apt-get install squashfs-tools)")
    tmp = out.with_name(out.name + ".part")
    excl = out.with_name(out.name + ".exclude")
    pfile = out.with_name(out.name + ".pseudo")
    start = time.monotonic()
    try:
        excl.write_text("\n".join(excludes(rootfs, keep_docs, keep_static)) + "\n")
        lines = pseudo(rootfs)
        if lines:
            pfile.write_text("\n".join(lines) + "\n")
        tmp.unlink(missing_ok=True)
        res = subprocess.run(mksquashfs_argv(rootfs, tmp, compress, level, epoch, excl,
                                             pfile if lines else None),
                             stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if res.returncode != 0 or not tmp.is_file():
            raise PxeError(f"mksquashfs failed on {rootfs} (exit {res.returncode}): "
                           f"{(res.stderr or res.stdout).strip()[-500:]}",
                           "check free disk space in the output directory and that the tree "
                           "is readable (run as root for a real LFS tree)")
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        excl.unlink(missing_ok=True)
        pfile.unlink(missing_ok=True)
    return ImageResult(out, out.stat().st_size, time.monotonic() - start, compress)
