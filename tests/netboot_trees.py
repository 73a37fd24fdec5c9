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
import subprocess

from pathlib import Path

from conftest import unavailable
from rootfs import require_busybox

KERNEL_CACHE = "/var/cache/lfsbuild-test/boot/vmlinuz-*"
MARKER = "LFSBUILD-PXE-MARKER-OK"
APPLETS = ("sh", "mount", "mkdir", "cat", "echo", "poweroff", "ls")
#: what the root modes add: the programs lfsbuild's boot initrd takes from the tree (switch_root,
#: cp; insmod and ip for the test kernel) and `hostname` for the per-node tests
MODE_APPLETS = ("switch_root", "cp", "insmod", "ip", "hostname")
#: QEMU user-net's guest address: the test kernel has no IP_PNP, so the NFS boots give ip=
#: static and lfsbuild's /init applies it
STATIC_IP = "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off"
#: the test kernel (Debian's) has as modules what the LFS kernel has built in; the boot initrd
#: loads them, in this order, per root mode (`invoke pxe --module`)
MOD = "lib/modules/{v}/kernel/"
SQUASHFS_MODULES = ("drivers/block/loop.ko", "fs/squashfs/squashfs.ko", "fs/overlayfs/overlay.ko")
NFS_MODULES = ("net/sunrpc/sunrpc.ko", "fs/nfs_common/grace.ko", "fs/lockd/lockd.ko",
               "fs/netfs/netfs.ko", "fs/fscache/fscache.ko", "fs/nfs/nfs.ko",
               "fs/nfs_common/nfs_acl.ko", "fs/nfs/nfsv3.ko",
               "drivers/net/ethernet/intel/e1000/e1000.ko")
MODE_MODULES = {"ram": (), "squashfs": SQUASHFS_MODULES,
                "nfs-ro": NFS_MODULES + ("fs/overlayfs/overlay.ko",), "nfs": NFS_MODULES}


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


def kernel_modules(kernel: Path, dest: Path, rels: tuple[str, ...]) -> list[Path]:
    """The .ko files of the test kernel from the cache beside it, else from its linux-image .deb
    (extracted into `dest`)."""
    version = kernel.name.removeprefix("vmlinuz-")
    cache = Path(KERNEL_CACHE.split("/boot/")[0])
    want = [MOD.format(v=version) + r for r in rels]
    if all((cache / w).is_file() for w in want):
        return [cache / w for w in want]
    if not all((dest / w).is_file() for w in want):
        debs = sorted(cache.glob(f"linux-image-{version}_*.deb"))
        if not debs:
            unavailable(f"no linux-image-{version} package in {cache} for its modules",
                        "tests/run keeps it there")
        dest.mkdir(parents=True, exist_ok=True)
        tar = subprocess.run(f"dpkg-deb --fsys-tarfile {debs[-1]} | tar -x -C {dest} "
                             + " ".join(f"./{w}" for w in want),
                             shell=True, capture_output=True, text=True)
        assert tar.returncode == 0, tar.stderr
    return [dest / w for w in want]


def link_applets(root: Path, applets: tuple[str, ...]) -> None:
    """/bin/<applet> -> busybox for each applet the tree does not have yet."""
    for applet in applets:
        link = root / "bin" / applet
        if not os.path.lexists(link):
            link.symlink_to("busybox")


def make_netboot_tree(root: Path, marker: str = MARKER, usrmerge: bool = False) -> Path:
    """A tiny root tree whose "system init" prints `marker` on the console and powers off.
    usrmerge: /bin, /sbin and /lib are links into /usr, as in LFS (book 4.2)."""
    top = ("usr/bin", "usr/sbin") if usrmerge else ("bin", "sbin")
    for d in (*top, "etc", "usr/share/doc/busybox", "usr/lib", "sources", "tools"):
        (root / d).mkdir(parents=True, exist_ok=True)
    if usrmerge:
        for d in ("bin", "sbin", "lib"):
            (root / d).symlink_to(f"usr/{d}")
    shutil.copy2(require_busybox(), root / "bin/busybox")
    link_applets(root, APPLETS)
    init = root / "sbin/init"
    init.write_text(f"#!/bin/sh\necho {marker}\npoweroff -f\n")
    init.chmod(0o755)
    (root / "etc/hostname").write_text("lfs-pxe-test\n")
    (root / "usr/share/doc/busybox/README").write_text("docs are left out by default\n")
    (root / "usr/lib/libdemo.a").write_bytes(b"!<arch>\n")
    (root / "sources/binutils.tar.xz").write_bytes(b"not in the initrd")
    return root


