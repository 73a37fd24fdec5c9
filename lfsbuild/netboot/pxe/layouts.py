"""Which files the TFTP/HTTP tree holds for each boot path: planned purely, then written.

`plan_tree` decides names and contents (no disk access), so tests can check a layout
without building an initrd; `write_tree` copies and writes. The kernel and the initrd are
placed by the caller (they are produced, not rendered), under the names the plan chose.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lfsbuild.errors import PxeError
from lfsbuild.netboot.pxe.bootloaders import Missing
from lfsbuild.netboot.pxe.render import render

LAYOUTS = ("standard", "foreman")
LOADER_NAMES = ["pxelinux.0", "ldlinux.c32", "grubnetx64.efi", "ipxe.lkrn", "ipxe.efi"]
MAC_RE = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")
# The per-machine hooks of boot.ipxe and grub.cfg (rendered only when `--mac` was given).
# GRUB names the MAC with colons ($net_default_mac), as Foreman's grub.cfg-<mac> files do.
IPXE_PER_MAC = ("# This machine's own script, if `invoke pxe --mac` wrote one:\n"
                "chain --autofree boot-01-${mac:hexhyp}.ipxe ||\n")
GRUB_PER_MAC = ("# This machine's own configuration, if `invoke pxe --mac` wrote one:\n"
                "if [ -s $prefix/grub.cfg-$net_default_mac ]; then\n"
                "    configfile $prefix/grub.cfg-$net_default_mac\n"
                "fi\n")


@dataclass(frozen=True)
class PlannedFile:
    """One file of the tree: rendered `text`, or a host file `source` to copy."""

    rel: str
    role: str
    text: str | None = None
    source: Path | None = None


@dataclass(frozen=True)
class TreeInputs:
    """Everything the layout depends on, as plain values."""

    release: str
    mode: str
    cmdline: str
    layout: str = "standard"
    macs: tuple[str, ...] = ()
    server: str | None = None
    http_port: int = 80
    rootfs: str = "/srv/lfs"
    out_dir: str = "/srv/lfs-pxe"
    loaders: dict[str, Path] = field(default_factory=dict)
    missing: tuple[Missing, ...] = ()


def normalise_mac(mac: str) -> str:
    """'AA:BB:..' or 'aa-bb-..' -> 'aa-bb-cc-dd-ee-ff' (pxelinux's file name form)."""
    m = mac.strip().lower()
    if not MAC_RE.match(m):
        raise PxeError(f"--mac {mac!r} is not a MAC address",
                       "write it as six hex pairs, e.g. 52:54:00:12:34:56")
    return m.replace(":", "-")


def artifact_names(layout: str, release: str) -> tuple[str, str]:
    """Names of kernel and initrd inside the tree: Foreman's proxy keeps them under boot/."""
    if layout not in LAYOUTS:
        raise PxeError(f"unknown layout {layout!r}", f"choose one of: {', '.join(LAYOUTS)}")
    if layout == "foreman":
        prefix = f"boot/lfs-{release}-x86_64"
        return f"{prefix}-vmlinuz", f"{prefix}-initrd.img"
    return "vmlinuz", "initrd.img"


def plan_tree(inp: TreeInputs) -> list[PlannedFile]:
    """All rendered and copied files of the tree (not kernel/initrd), in a stable order."""
    kernel, initrd = artifact_names(inp.layout, inp.release)
    ram = inp.mode == "ram"
    server = inp.server or "SERVER_IP"
    # iPXE scripts may use iPXE's own ${next-server}; dnsmasq needs a real address.
    base_url = f"http://{inp.server or '${next-server}'}:{inp.http_port}"
    dns_url = f"http://{server}:{inp.http_port}"
    initrd_name = initrd.rsplit("/", 1)[-1]
    v = dict(release=inp.release, mode=inp.mode, cmdline=inp.cmdline, kernel=kernel,
             initrd=initrd, base_url=base_url,
             initrd_arg=f"initrd={initrd_name} " if ram else "",
             initrd_cmd=f"initrd {initrd}" if ram else "",
             initrd_cmd_url=f"initrd {base_url}/{initrd}" if ram else "",
             initrd_line=f"initrd ($root)/{initrd}" if ram else "")
    files: list[PlannedFile] = []
    for name in LOADER_NAMES:
        if name in inp.loaders:
            files.append(PlannedFile(name, "bootloader", source=inp.loaders[name]))
    pxecfg = render("pxelinux.cfg" if ram else "pxelinux-nfs.cfg", **v)
    files.append(PlannedFile("pxelinux.cfg/default", "pxelinux config", text=pxecfg))
    macs = [normalise_mac(mac) for mac in inp.macs]
    # One machine's own configuration, for each loader, starts as a copy of the default: the
    # user edits it (another command line, another kernel) and only that machine sees it.
    # pxelinux looks for 01-<mac> itself; boot.ipxe and grub.cfg look only when --mac was given
    # (each look is a request that fails for every other machine).
    grubcfg = render("grub.cfg", **v, per_mac="")
    ipxe = render("boot.ipxe", **v, per_mac="")
    for mac in macs:
        files.append(PlannedFile(f"pxelinux.cfg/01-{mac}", "pxelinux config", text=pxecfg))
        files.append(PlannedFile(f"grub/grub.cfg-{mac.replace('-', ':')}", "grub config",
                                 text=grubcfg))
        files.append(PlannedFile(f"boot-01-{mac}.ipxe", "ipxe script", text=ipxe))
    files.append(PlannedFile("grub/grub.cfg", "grub config", text=render(
        "grub.cfg", **v, per_mac=GRUB_PER_MAC if macs else "")))
    files.append(PlannedFile("boot.ipxe", "ipxe script", text=render(
        "boot.ipxe", **v, per_mac=IPXE_PER_MAC if macs else "")))
    files.append(PlannedFile("chain.ipxe", "ipxe script", text=render("chain.ipxe", **v)))
    files.append(PlannedFile("dnsmasq.conf", "dnsmasq example", text=render(
        "dnsmasq.conf", **{**v, "base_url": dns_url}, server=server, interface="eth0",
        subnet=_subnet(inp.server), out_dir=inp.out_dir, grub_image="grubnetx64.efi")))
    if not ram:
        files.append(PlannedFile("exports", "nfs exports line", text=render("exports", **v, rootfs=inp.rootfs)))
    if inp.layout == "foreman":
        for kind in ("PXELinux", "PXEGrub2", "iPXE"):
            text = render(f"foreman-{kind}.erb", **v)
            files.append(PlannedFile(f"foreman/{kind}.erb", "foreman template", text=text))
    return files


def _subnet(server: str | None) -> str:
    """dnsmasq's proxy range wants the network address: a.b.c.0 of the server, if known."""
    if server and re.match(r"^\d+\.\d+\.\d+\.\d+$", server):
        return ".".join(server.split(".")[:3] + ["0"])
    return "192.168.1.0"


def write_tree(files: list[PlannedFile], out_dir: Path) -> list[Path]:
    """Write the planned files below `out_dir`; returns the written paths in plan order."""
    written = []
    for f in files:
        dest = out_dir / f.rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if f.source is not None:
            shutil.copyfile(f.source, dest)
        else:
            dest.write_text(f.text or "")
        written.append(dest)
    return written
