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
    #: the initrds every node loads, in order (None: the RAM-root initrd in ram mode, else none)
    initrds: tuple[str, ...] | None = None
    #: per-node boot configs: (mac, command line, initrds) for each node with an identity
    nodes: tuple["NodeBoot", ...] = ()


@dataclass(frozen=True)
class NodeBoot:
    """What one node boots instead of the shared defaults (its MAC picks the config)."""

    mac: str
    hostname: str
    cmdline: str
    initrds: tuple[str, ...]


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


def initrd_values(initrds: tuple[str, ...], base_url: str, up: str = "") -> dict[str, str]:
    """The initrd parts of every loader's config for a list of initrds (pure). `up` prefixes
    iPXE's relative names (a node's script lives in nodes/, the files one level up)."""
    names = [i.rsplit("/", 1)[-1] for i in initrds]
    return dict(
        initrd=",".join(initrds),                      # pxelinux: INITRD a,b,c
        initrd_arg="".join(f"initrd={n} " for n in names),
        initrd_cmd="\n".join(f"initrd {up}{i}" for i in initrds),
        initrd_cmd_url="\n".join(f"initrd {base_url}/{i}" for i in initrds),
        initrd_line=("initrd " + " ".join(f"($root)/{i}" for i in initrds)) if initrds else "")


def plan_tree(inp: TreeInputs) -> list[PlannedFile]:
    """All rendered and copied files of the tree (not kernel/initrds), in a stable order."""
    kernel, initrd = artifact_names(inp.layout, inp.release)
    initrds = inp.initrds if inp.initrds is not None else ((initrd,) if inp.mode == "ram" else ())
    server = inp.server or "SERVER_IP"
    # iPXE scripts may use iPXE's own ${next-server}; dnsmasq needs a real address.
    base_url = f"http://{inp.server or '${next-server}'}:{inp.http_port}"
    dns_url = f"http://{server}:{inp.http_port}"
    v = dict(release=inp.release, mode=inp.mode, cmdline=inp.cmdline, kernel=kernel,
             base_url=base_url, up="", node_chain=_node_chain(inp.nodes), per_mac="",
             **initrd_values(initrds, base_url))
    files: list[PlannedFile] = []
    for name in LOADER_NAMES:
        if name in inp.loaders:
            files.append(PlannedFile(name, "bootloader", source=inp.loaders[name]))
    pxe_template = "pxelinux.cfg" if initrds else "pxelinux-nfs.cfg"
    pxecfg = render(pxe_template, **v)
    files.append(PlannedFile("pxelinux.cfg/default", "pxelinux config", text=pxecfg))
    node_macs = {normalise_mac(n.mac) for n in inp.nodes}
    macs = [mac for mac in map(normalise_mac, inp.macs) if mac not in node_macs]
    # One machine's own configuration (`--mac`), for each loader, starts as a copy of the
    # default: the user edits it (another command line, another kernel) and only that machine
    # sees it. pxelinux looks for 01-<mac> itself; boot.ipxe and grub.cfg look only when --mac
    # was given (each look is a request that fails for every other machine). A node of the
    # nodes file gets its own files below instead.
    grubcfg = render("grub.cfg", **v)
    ipxe = render("boot.ipxe", **{**v, "node_chain": ""})
    for mac in macs:
        files.append(PlannedFile(f"pxelinux.cfg/01-{mac}", "pxelinux config", text=pxecfg))
        files.append(PlannedFile(f"grub/grub.cfg-{mac.replace('-', ':')}", "grub config",
                                 text=grubcfg))
        files.append(PlannedFile(f"boot-01-{mac}.ipxe", "ipxe script", text=ipxe))
    files.append(PlannedFile("grub/grub.cfg", "grub config", text=render(
        "grub.cfg", **{**v, "per_mac": GRUB_PER_MAC if macs else ""})))
    files.append(PlannedFile("boot.ipxe", "ipxe script", text=render(
        "boot.ipxe", **{**v, "per_mac": IPXE_PER_MAC if macs else ""})))
    files.append(PlannedFile("chain.ipxe", "ipxe script", text=render("chain.ipxe", **v)))
    for node in inp.nodes:
        mac = normalise_mac(node.mac)
        nv = {**v, "cmdline": node.cmdline, "mode": f"{inp.mode}, {node.hostname}",
              "node_chain": "", **initrd_values(node.initrds, base_url)}
        files.append(PlannedFile(f"pxelinux.cfg/01-{mac}", "node pxelinux config",
                                 text=render("pxelinux.cfg", **nv)))
        # GRUB's network image looks for grub.cfg-01-<mac> in its prefix before grub.cfg
        files.append(PlannedFile(f"grub/grub.cfg-01-{mac}", "node grub config",
                                 text=render("grub.cfg", **nv)))
        files.append(PlannedFile(f"nodes/{mac}.ipxe", "node ipxe script", text=render(
            "boot.ipxe", **{**nv, "up": "../", **initrd_values(node.initrds, base_url, "../")})))
    files.append(PlannedFile("dnsmasq.conf", "dnsmasq example", text=render(
        "dnsmasq.conf", **{**v, "base_url": dns_url}, server=server, interface="eth0",
        subnet=_subnet(inp.server), out_dir=inp.out_dir, grub_image="grubnetx64.efi")))
    if inp.mode in ("nfs", "nfs-ro"):
        access = "ro" if inp.mode == "nfs-ro" else "rw"
        files.append(PlannedFile("exports", "nfs exports line",
                                 text=render("exports", **v, rootfs=inp.rootfs, access=access)))
        files.append(PlannedFile("ganesha.conf", "nfs-ganesha export", text=render(
            "ganesha.conf", **v, rootfs=inp.rootfs, access=access.upper())))
    if inp.layout == "foreman":
        for kind in ("PXELinux", "PXEGrub2", "iPXE"):
            text = render(f"foreman-{kind}.erb", **v)
            files.append(PlannedFile(f"foreman/{kind}.erb", "foreman template", text=text))
    return files


def _node_chain(nodes: tuple[NodeBoot, ...]) -> str:
    """boot.ipxe's first lines when nodes have their own script: try nodes/<mac>.ipxe."""
    if not nodes:
        return ""
    return ("# a node with an identity of its own has nodes/<mac>.ipxe; the others go on below\n"
            "chain --autofree nodes/${mac:hexhyp}.ipxe || echo no node script for ${mac}: shared defaults\n")


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
