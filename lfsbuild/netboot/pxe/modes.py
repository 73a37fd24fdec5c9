"""Root modes of `invoke pxe --mode`: what each one boots from, and the RAM a node needs.

    ram       the whole system in the initrd, unpacked into a tmpfs (needs ~2x the tree)
    nfs       the kernel's NFS root, read-write: one export, one node
    nfs-ro    one read-only NFS export for every node, a tmpfs overlay per node (/init)
    squashfs  the root as a compressed squashfs image (a second initrd), loop-mounted
              read-only by /init with a tmpfs overlay on top

The overlay modes (and `nfs` with `--module`) boot a small *boot initrd*: lfsbuild's /init
plus the few programs it runs, taken from the root tree itself (sh, mount, cp, switch_root,
... and their libraries), never from the build host. This module is data and pure
arithmetic; `bootinitrd` packs, `squashfs` makes the image.
"""
from __future__ import annotations

from dataclasses import dataclass

from lfsbuild.errors import PxeError


@dataclass(frozen=True)
class Mode:
    """One root mode. `overlay`: /init puts a per-node tmpfs over a read-only root."""

    name: str
    summary: str
    image: bool = False        # the root travels as a squashfs image (a second initrd)
    nfs: bool = False          # the root comes over NFS
    overlay: bool = False      # read-only root + tmpfs upper layer, private to the node
    per_node: bool = True      # nodes can get their own identity (hostname, keys)


MODES: dict[str, Mode] = {m.name: m for m in (
    Mode("ram", "whole system in the initrd"),
    Mode("nfs", "the kernel's NFS root, read-write, one node", nfs=True, per_node=False),
    Mode("nfs-ro", "read-only NFS root shared by every node, tmpfs overlay per node",
         nfs=True, overlay=True),
    Mode("squashfs", "squashfs image in RAM, read-only, tmpfs overlay per node",
         image=True, overlay=True),
)}

#: programs the boot initrd's /init runs, by mode; found in the root tree (PATH order)
BASE_TOOLS = ("sh", "mount", "mkdir", "switch_root")
OVERLAY_TOOLS = ("cp",)
MODULE_TOOLS = ("insmod",)
#: only for kernels without IP_PNP (a distro kernel): /init applies a static ip= itself
OPTIONAL_TOOLS = ("ip",)

#: RAM the running system needs beyond its root, for the modes whose root is not in RAM.
#: On the safe side: the real LFS (README, "Many nodes") booted squashfs in 576 MiB against
#: this formula's 768, and nfs-ro in 64 MiB against 320 (a node wants room to run things).
SYSTEM_HEADROOM_MB = 256
RAM_HEADROOM_MB = 512          # ram mode, as boot-test has always given it
RAM_MIN_MB = 1024


def mode(name: str) -> Mode:
    """The mode called `name`, or a PxeError listing the choices."""
    if name not in MODES:
        raise PxeError(f"unknown mode {name!r}", f"choose one of: {', '.join(MODES)}")
    return MODES[name]


def uses_boot_initrd(m: Mode, modules: bool) -> bool:
    """An overlay mode always boots lfsbuild's /init; `nfs` only when modules must be loaded
    first (a kernel whose NFS client is a module cannot mount an NFS root by itself)."""
    return m.overlay or (m.name == "nfs" and modules)


def tools_for(m: Mode, modules: bool) -> tuple[str, ...]:
    """The programs /init needs for this mode, in the order they are looked up."""
    tools = list(BASE_TOOLS)
    if m.overlay:
        tools += OVERLAY_TOOLS
    if modules:
        tools += MODULE_TOOLS
    return tuple(tools)


def _round_up(mib: int, step: int) -> int:
    return -(-mib // step) * step


def node_ram_mb(m: Mode, initrd_bytes: int, unpacked_bytes: int) -> int:
    """RAM (MiB) a node needs to boot this tree, as written into manifest.json.

    - ram: the kernel unpacks the initrd into a tmpfs that may only grow to half the RAM,
      with the compressed image in memory meanwhile: 2x the unpacked tree (found by booting
      a real LFS: less, and unpacking fails with "write error"), plus room to run.
    - squashfs: the initrds (the image among them) are loaded, then unpacked into the
      initramfs (a ramfs: `rootfstype=ramfs`), so the image is twice in RAM for a moment:
      2x the compressed image, never the tree.
    - nfs-ro / nfs: only the boot initrd (or nothing) is in RAM; the rest is the system's.
    `initrd_bytes` is every initrd a node downloads; `unpacked_bytes` the ram-mode tree.
    """
    mib = 2**20
    if m.name == "ram":
        need = max(2 * unpacked_bytes, unpacked_bytes + initrd_bytes) // mib + RAM_HEADROOM_MB
        return max(RAM_MIN_MB, _round_up(need, 256))
    return _round_up(2 * initrd_bytes // mib + SYSTEM_HEADROOM_MB, 64)
