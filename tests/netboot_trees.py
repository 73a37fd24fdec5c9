"""What the PXE and boot tests boot: a real kernel and a tiny busybox tree that prints a marker.

Not the chroot tests' busybox root (tests/rootfs.py: a whole root to run build steps in);
this one only has to reach its "init" and say so on the console.

The kernel is Debian's (extracted from linux-image-*.deb by tests/run, never installed);
tests find it through LFSBUILD_TEST_KERNEL or the cache directory below.
"""
from __future__ import annotations

import glob
import os
import shutil

from pathlib import Path

from conftest import unavailable
from rootfs import require_busybox

KERNEL_CACHE = "/var/cache/lfsbuild-test/boot/vmlinuz-*"
MARKER = "LFSBUILD-PXE-MARKER-OK"
APPLETS = ("sh", "mount", "mkdir", "cat", "echo", "poweroff", "ls")


def find_test_kernel() -> Path | None:
    env = os.environ.get("LFSBUILD_TEST_KERNEL")
    if env:
        return Path(env)
    found = sorted(glob.glob(KERNEL_CACHE))
    return Path(found[-1]) if found else None


def require_kernel() -> Path:
    kernel = find_test_kernel()
    if kernel is None or not kernel.is_file():
        unavailable(f"no test kernel ({kernel or KERNEL_CACHE})",
                    "tests/run extracts Debian's linux-image package there, or set "
                    "LFSBUILD_TEST_KERNEL to a bzImage")
    return kernel


def make_netboot_tree(root: Path, marker: str = MARKER) -> Path:
    """A tiny root tree whose "system init" prints `marker` on the console and powers off."""
    for d in ("bin", "sbin", "etc", "usr/share/doc/busybox", "usr/lib", "sources", "tools"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(require_busybox(), root / "bin/busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    init = root / "sbin/init"
    init.write_text(f"#!/bin/sh\necho {marker}\npoweroff -f\n")
    init.chmod(0o755)
    (root / "etc/hostname").write_text("lfs-pxe-test\n")
    (root / "usr/share/doc/busybox/README").write_text("docs are left out by default\n")
    (root / "usr/lib/libdemo.a").write_bytes(b"!<arch>\n")
    (root / "sources/binutils.tar.xz").write_bytes(b"not in the initrd")
    return root


