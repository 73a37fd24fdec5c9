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
# Debian's netboot GRUB (grubnetx64.efi) has its prefix fixed at /grub: its files live in grub/
# in both layouts (Foreman's own GRUB, the OS's grubx64.efi under grub2/, is Foreman's to feed).
GRUB_DIR = "grub"

# ---------------------------------------------------------------- one machine's own files
# The one place that names a machine's own boot configuration, whether `invoke pxe --mac`
# wrote it (a copy of the defaults to edit) or the nodes file did (a node's identity). The
# names are the ones Foreman's smart proxy writes, so an admin finds what he knows:
#   pxelinux  pxelinux.cfg/01-<aa-bb-..>        pxelinux's own search (ARP type 01 + MAC)
#   iPXE      pxelinux.cfg/01-<aa-bb-..>.ipxe   Foreman's iPXE name; boot.ipxe chains it
#   GRUB      grub/grub.cfg-01-<aa-bb-..>       holds the configuration; GRUBs that search by
#                                               MAC themselves (Red Hat's) load it
#             grub/grub.cfg-<aa:bb:..>          one line, loading the 01- file: GRUBs that do
#                                               not search (Debian 12's netboot image reads
#                                               (memdisk)/grub.cfg, so its search never runs)
#                                               get it from grub.cfg's hook ($net_default_mac)
# boot.ipxe and grub.cfg carry their hook only when some machine has its own files: each
# look is a request that fails for every other machine.
IPXE_PER_MAC = ("# This machine's own script (invoke pxe --mac, or the nodes file), if any:\n"
                "chain --autofree pxelinux.cfg/01-${mac:hexhyp}.ipxe || "
                "echo no script of its own for ${mac}: the shared defaults\n")
GRUB_PER_MAC = ("# This machine's own configuration (invoke pxe --mac, or the nodes file).\n"
                "# A GRUB that searches by MAC has loaded grub.cfg-01-<mac> instead of this\n"
                "# file; for one that does not (Debian's), grub.cfg-<mac with colons> loads it:\n"
                "if [ -s $prefix/grub.cfg-$net_default_mac ]; then\n"
                "    configfile $prefix/grub.cfg-$net_default_mac\n"
                "fi\n")
#: every per-MAC name in the tree, and those of earlier lfsbuild versions (boot-01-<mac>.ipxe,
#: nodes/<mac>.ipxe, the colon-only GRUB name): a re-pack removes the ones it did not write
PER_MAC_GLOBS = ("pxelinux.cfg/01-*", f"{GRUB_DIR}/grub.cfg-*", "boot-01-*.ipxe", "nodes/*.ipxe")
_DASHES, _COLONS = "[0-9a-f]{2}(?:-[0-9a-f]{2}){5}", "[0-9a-f]{2}(?::[0-9a-f]{2}){5}"
#: a per-MAC name as a loader prints it (a missing one is not a broken tree: it is optional)
PER_MAC_RE = re.compile(rf"(?:pxelinux\.cfg/01-{_DASHES}(?:\.ipxe)?"
                        rf"|grub\.cfg-(?:01-{_DASHES}|{_COLONS}))$")


@dataclass(frozen=True)
class MacFiles:
    """The names of one machine's own boot configuration, per loader (see above)."""

    mac: str            # aa-bb-cc-dd-ee-ff
    pxelinux: str
    ipxe: str
    grub: str           # the configuration
    grub_colons: str    # the one-line way there for GRUBs that do not search by MAC


def mac_files(mac: str) -> MacFiles:
    """Where each loader finds the configuration of the machine with this MAC (pure)."""
    m = normalise_mac(mac)
    return MacFiles(mac=m, pxelinux=f"pxelinux.cfg/01-{m}", ipxe=f"pxelinux.cfg/01-{m}.ipxe",
                    grub=f"{GRUB_DIR}/grub.cfg-01-{m}",
                    grub_colons=f"{GRUB_DIR}/grub.cfg-{m.replace('-', ':')}")


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
    iPXE's relative names (a machine's own script lives in pxelinux.cfg/, the files one level
    up)."""
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
             base_url=base_url, up="", per_mac="", **initrd_values(initrds, base_url))
    files: list[PlannedFile] = []
    for name in LOADER_NAMES:
        if name in inp.loaders:
            files.append(PlannedFile(name, "bootloader", source=inp.loaders[name]))
    pxe_template = "pxelinux.cfg" if initrds else "pxelinux-nfs.cfg"
    files.append(PlannedFile("pxelinux.cfg/default", "pxelinux config",
                             text=render(pxe_template, **v)))
    # The machines with files of their own: `--mac` gets a copy of the defaults to edit (another
    # command line, another kernel: only that machine sees it), a node of the nodes file its
    # own command line and overlay initrd. A MAC in both is the node's.
    node_macs = {normalise_mac(n.mac) for n in inp.nodes}
    own: list[tuple[str, str, dict[str, str], tuple[str, ...]]] = [
        (mac, "", v, initrds) for mac in dict.fromkeys(map(normalise_mac, inp.macs))
        if mac not in node_macs]
    for node in inp.nodes:
        own.append((node.mac, "node ", {**v, "cmdline": node.cmdline,
                                        "mode": f"{inp.mode}, {node.hostname}",
                                        **initrd_values(node.initrds, base_url)}, node.initrds))
    files.append(PlannedFile(f"{GRUB_DIR}/grub.cfg", "grub config", text=render(
        "grub.cfg", **{**v, "per_mac": GRUB_PER_MAC if own else ""})))
    files.append(PlannedFile("boot.ipxe", "ipxe script", text=render(
        "boot.ipxe", **{**v, "per_mac": IPXE_PER_MAC if own else ""})))
    files.append(PlannedFile("chain.ipxe", "ipxe script", text=render("chain.ipxe", **v)))
    for mac, who, values, own_initrds in own:
        files += _own_files(mac_files(mac), who, values, own_initrds, base_url)
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


def _own_files(names: MacFiles, who: str, values: dict[str, str], initrds: tuple[str, ...],
               base_url: str) -> list[PlannedFile]:
    """One machine's configuration for each loader, from the values of its command line. The
    iPXE script lives in pxelinux.cfg/, so its relative names go one level up."""
    pxe_template = "pxelinux.cfg" if initrds else "pxelinux-nfs.cfg"
    up = {**values, "up": "../", **initrd_values(initrds, base_url, "../")}
    return [
        PlannedFile(names.pxelinux, f"{who}pxelinux config", text=render(pxe_template, **values)),
        PlannedFile(names.ipxe, f"{who}ipxe script", text=render("boot.ipxe", **up)),
        PlannedFile(names.grub, f"{who}grub config", text=render("grub.cfg", **values)),
        PlannedFile(names.grub_colons, f"{who}grub config", text=render(
            "grub-mac.cfg", colons=names.grub_colons.rsplit("/", 1)[1],
            config=names.grub.rsplit("/", 1)[1])),
    ]


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
