"""`build_artifacts`: kernel + root tree in, a complete netboot tree + manifest.json out."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lfsbuild.errors import PxeError
from lfsbuild.owned import claim_pxe_dir
from lfsbuild.netboot.pxe.bootinitrd import (NODE_DIR, BootInitrdSpec, check_modules, node_entries,
                                             pack_boot, wrap_image, write_cpio)
from lfsbuild.netboot.pxe.bootloaders import find_loaders
from lfsbuild.netboot.pxe.compress import codec
from lfsbuild.netboot.pxe.hostkeys import (KeyFile, ensure_host_keys, fingerprints, has_sshd,
                                           initrd_files, secrets_dir)
from lfsbuild.netboot.pxe.initrd import InitrdSpec, pack, source_date_epoch
from lfsbuild.netboot.pxe.layouts import (LOADER_NAMES, PER_MAC_GLOBS, NodeBoot, TreeInputs,
                                          artifact_names, plan_tree, write_tree)
from lfsbuild.netboot.pxe.manifest import MANIFEST, Manifest, artifact, kernel_version
from lfsbuild.netboot.pxe.modes import mode as get_mode, node_ram_mb, uses_boot_initrd
from lfsbuild.netboot.pxe.nodes import Node, load_nodes
from lfsbuild.netboot.pxe.squashfs import make_image

NFS_OPTIONS = "vers=3,tcp,nolock"   # the kernel's NFS root never locks; ganesha runs no NLM
CONSOLE = "console=tty0 console=ttyS0,115200n8"


@dataclass(frozen=True)
class PxeOptions:
    """Inputs of `invoke pxe`. `kernel`/`rootfs` default to what `lfs` ($LFS) holds."""

    out_dir: Path
    lfs: Path | None = None
    kernel: Path | None = None
    rootfs: Path | None = None
    mode: str = "ram"
    compress: str = "zstd"
    level: int | None = None
    init: str = "/sbin/init"
    macs: tuple[str, ...] = ()
    layout: str = "standard"
    cmdline_extra: str = ""
    release: str = "12.3"
    fingerprints: dict[str, str] = field(default_factory=dict)
    keep_docs: bool = False
    keep_static: bool = False
    server: str | None = None
    http_port: int = 80
    nfs_path: str | None = None
    host_root: Path = Path("/")
    modules: tuple[Path, ...] = ()      # .ko files the boot initrd's /init loads first, in order
    nodes_file: Path | None = None      # nodes.yaml: per-node identity (MAC -> hostname, ...)


def resolve_inputs(opts: PxeOptions) -> tuple[Path, Path]:
    """Kernel and root tree to use: the explicit ones, else the newest $LFS/boot/vmlinuz*."""
    rootfs = opts.rootfs or opts.lfs
    if rootfs is None:
        raise PxeError("no root file system given and $LFS is not set",
                       "pass --rootfs DIR, or set lfs.root / $LFS")
    if not rootfs.is_dir():
        raise PxeError(f"root file system {rootfs} is not a directory",
                       "pass --rootfs DIR pointing at a root tree")
    kernel = opts.kernel
    if kernel is None:
        boot = (opts.lfs or rootfs) / "boot"
        found = sorted(boot.glob("vmlinuz*"), key=lambda p: p.stat().st_mtime) if boot.is_dir() else []
        if not found:
            raise PxeError(f"no kernel (vmlinuz*) in {boot}",
                           "build the kernel (LFS chapter 10.3) or pass --kernel PATH")
        kernel = found[-1]
    if not kernel.is_file():
        raise PxeError(f"kernel {kernel} does not exist", "pass --kernel PATH to a bzImage/vmlinuz")
    return kernel, rootfs


def kernel_cmdline(opts: PxeOptions, rootfs: Path) -> str:
    """The kernel command line for the chosen mode (pure)."""
    m = get_mode(opts.mode)
    # No server: the kernel (and our /init) take the DHCP server's next-server as NFS server.
    where = f"{opts.server}:" if opts.server else ""
    nfsroot = f"nfsroot={where}{opts.nfs_path or rootfs},{NFS_OPTIONS}"
    if m.name == "ram":
        parts = [CONSOLE, "rdinit=/init", "ip=dhcp"]  # the system has no DHCP client of its own
    elif m.name == "nfs":
        parts = [f"root=/dev/nfs {nfsroot}", "ip=dhcp rw", CONSOLE]
        if opts.init != "/sbin/init":
            parts.append(f"init={opts.init}")
    elif m.name == "nfs-ro":
        parts = [CONSOLE, "rdinit=/init", "ip=dhcp", nfsroot]
    else:
        # squashfs: the image is unpacked into the initramfs, which is a tmpfs that may only
        # grow to half the RAM (found on the real LFS: "Initramfs unpacking failed: write
        # error" at the manifest's RAM). rootfstype=ramfs makes it a ramfs, bounded only by
        # the RAM; it never holds more than the image, the node's writes go to /init's tmpfs.
        parts = [CONSOLE, "rdinit=/init", "rootfstype=ramfs", "ip=dhcp"]
    if opts.cmdline_extra:
        parts.append(opts.cmdline_extra)
    return " ".join(parts)


def node_cmdline(cmdline: str, node: Node) -> str:
    """The shared command line with the node's own ip= (last, so it wins over any other)."""
    kept = [w for w in cmdline.split() if not w.startswith("ip=")]
    return " ".join([*kept, node.ip_param()])


def node_files(node: Node, keys: list[Path]) -> tuple[KeyFile, ...]:
    """What makes a node itself: hostname, /etc/hosts, root's authorized_keys, SSH host keys."""
    hosts = ("# /etc/hosts of node " + node.hostname + ", written by lfsbuild (nodes file)\n"
             "127.0.0.1 localhost.localdomain localhost\n"
             f"127.0.1.1 {node.hostname}\n"
             "::1       localhost ip6-localhost ip6-loopback\n")
    if node.address != "dhcp":
        hosts += f"{node.address.split('/')[0]} {node.hostname}\n"
    files = [KeyFile("etc/hostname", f"{node.hostname}\n".encode(), 0o644),
             KeyFile("etc/hosts", hosts.encode(), 0o644)]
    if node.authorized_keys:
        files.append(KeyFile("root/.ssh/authorized_keys", node.authorized_keys.encode(), 0o600))
    return (*files, *initrd_files(keys))


def _node_secrets(secrets: Path, hostname: str) -> Path:
    """A node's keys live in <secrets>/nodes/<hostname>: a new NIC keeps the identity."""
    for d in (secrets, secrets / "nodes"):
        d.mkdir(mode=0o700, exist_ok=True)
        d.chmod(0o700)
    return secrets / "nodes" / hostname


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Per-MAC and per-node files an earlier pack wrote for machines that are gone, or under
    the names of an earlier version (the tree is ours)."""
    for pattern in ("nodes/*", *PER_MAC_GLOBS, "root.squashfs.cpio", "boot/*-root.squashfs.cpio"):
        for p in out.glob(pattern):
            if p.is_file() and p.relative_to(out).as_posix() not in keep:
                p.unlink()


def image_name(layout: str, release: str) -> str:
    """The squashfs initrd beside the boot initrd (Foreman: under boot/ like it)."""
    _, initrd = artifact_names(layout, release)
    return initrd.rsplit("initrd.img", 1)[0] + "root.squashfs.cpio"


def build_artifacts(opts: PxeOptions) -> Manifest:
    """Write kernel, initrd(s), every boot path's files, per-node files and manifest.json.

    Only into a new or empty directory or one lfsbuild wrote before (`owned.claim_pxe_dir`):
    the tree's files are replaced, and a user's directory must never be.
    """
    m = get_mode(opts.mode)
    kernel_src, rootfs = resolve_inputs(opts)
    kver = kernel_version(kernel_src)
    boot_initrd = uses_boot_initrd(m, bool(opts.modules))
    if opts.modules and not boot_initrd:
        raise PxeError(f"--module is for the modes whose /init mounts the root (squashfs, "
                       f"nfs-ro, nfs), not {m.name}",
                       "a RAM root has its modules in its own /lib/modules; drop --module")
    check_modules(opts.modules, kver)
    nodes = load_nodes(opts.nodes_file) if opts.nodes_file else []
    notes: list[str] = []
    if nodes and not m.per_node:
        notes.append(f"{len(nodes)} node(s) in {opts.nodes_file} ignored: --mode {m.name} is one "
                     f"read-write root for one machine (per-node identity: nfs-ro, squashfs, ram)")
        nodes = []
    cmdline = kernel_cmdline(opts, rootfs)
    c, level = codec(opts.compress, opts.level)
    epoch = source_date_epoch()
    kernel_rel, initrd_rel = artifact_names(opts.layout, opts.release)
    image_rel = image_name(opts.layout, opts.release)
    out = opts.out_dir
    claim_pxe_dir(out)
    loaders, missing = find_loaders(LOADER_NAMES, opts.host_root)

    kernel_dst = out / kernel_rel
    kernel_dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kernel_src, kernel_dst)
    arts = [artifact(out, kernel_dst, "kernel")]
    stats: dict[str, object] = {}
    image: dict[str, object] = {}
    secrets = secrets_dir(out)
    sshd = has_sshd(rootfs)
    if sshd and m.name == "nfs":
        notes.append("the NFS root gets no SSH host keys from `invoke pxe` (lfsbuild does not "
                     "write into the exported tree); use nfs-ro or squashfs for keys per node")
    keys = ensure_host_keys(secrets) if sshd and m.name != "nfs" else []
    host_keys = fingerprints(keys)
    initrds: list[str] = []
    keep = {kernel_rel}
    if m.name == "ram":
        spec = InitrdSpec(rootfs=rootfs, init=opts.init, keep_docs=opts.keep_docs,
                          keep_static=opts.keep_static, epoch=epoch,
                          extra_files=initrd_files(keys))
        res = pack(spec, c, level, out / initrd_rel)
        arts.append(artifact(out, res.path, "initrd"))
        initrds.append(initrd_rel)
        stats = {"entries": res.entries, "uncompressed": res.uncompressed,
                 "seconds": round(res.seconds, 3), "skipped": res.skipped}
    elif boot_initrd:
        bres = pack_boot(BootInitrdSpec(rootfs=rootfs, mode=m, init=opts.init,
                                        modules=tuple(opts.modules),
                                        node_files=initrd_files(keys), epoch=epoch),
                         c, level, out / initrd_rel)
        arts.append(artifact(out, bres.path, "initrd"))
        initrds.append(initrd_rel)
        stats = {"entries": bres.entries, "uncompressed": bres.uncompressed,
                 "seconds": round(bres.seconds, 3), "tools": bres.tools,
                 "modules": [p.name for p in opts.modules]}
    else:
        (out / initrd_rel).unlink(missing_ok=True)
    if m.image:
        raw = out / (image_rel + ".raw.part")
        try:
            ires = make_image(rootfs, raw, opts.compress, opts.level, epoch,
                              keep_docs=opts.keep_docs, keep_static=opts.keep_static)
            wrap_image(raw, out / image_rel, epoch)
        finally:
            raw.unlink(missing_ok=True)
        arts.append(artifact(out, out / image_rel, "root image"))
        initrds.append(image_rel)
        keep.add(image_rel)
        image = {"compressor": ires.compressor, "level": opts.level, "squashfs": ires.size,
                 "seconds": round(ires.seconds, 3)}

    boots: list[NodeBoot] = []
    node_records: list[dict[str, object]] = []
    for node in nodes:
        nkeys = ensure_host_keys(_node_secrets(secrets, node.hostname)) if sshd else []
        rel = f"nodes/{node.mac_hyphen}.cpio"
        write_cpio(node_entries(node_files(node, nkeys), rootfs,
                                "" if m.name == "ram" else NODE_DIR, epoch), None, 0, out / rel)
        # readable by all, like every file of the tree: tftpd-hpa and dnsmasq serve no other
        # (0640 made the node's boot fail at its overlay). Its private host keys are protected
        # by who may reach the boot server, not by a mode: any client can fetch the file.
        (out / rel).chmod(0o644)
        arts.append(artifact(out, out / rel, "node overlay"))
        boots.append(NodeBoot(node.mac, node.hostname, node_cmdline(cmdline, node),
                              (*initrds, rel)))
        node_records.append({"mac": node.mac, "hostname": node.hostname,
                             "address": node.address, "overlay": rel,
                             "ssh_host_keys": fingerprints(nkeys)})
    files = plan_tree(TreeInputs(
        release=opts.release, mode=opts.mode, cmdline=cmdline, layout=opts.layout,
        macs=tuple(opts.macs), server=opts.server, http_port=opts.http_port,
        rootfs=opts.nfs_path or str(rootfs), out_dir=str(out.resolve()), loaders=loaders,
        missing=tuple(missing), initrds=tuple(initrds), nodes=tuple(boots)))
    keep |= {f.rel for f in files} | {n["overlay"] for n in node_records}  # type: ignore[misc]
    _remove_stale(out, keep)
    for f, path in zip(files, write_tree(files, out)):
        arts.append(artifact(out, path, f.role))
    downloaded = sum(a.size for a in arts if a.path in initrds)
    unpacked = int(stats.get("uncompressed", 0) or 0) if m.name == "ram" else 0  # type: ignore[call-overload]
    if node_records:
        downloaded += max(a.size for a in arts if a.role == "node overlay")
    manifest = Manifest(
        release=opts.release, mode=opts.mode, layout=opts.layout, kernel=kernel_rel,
        kernel_version=kver, initrd=initrds[0] if initrds else None, cmdline=cmdline,
        compression={"name": c.name, "level": level} if initrds else {},
        source_date_epoch=epoch, fingerprints=dict(opts.fingerprints), artifacts=arts,
        initrd_stats=stats, missing=[x.message for x in missing], ssh_host_keys=host_keys,
        notes=notes, secrets_dir=str(secrets) if host_keys or node_records else "",
        initrds=initrds, image=image, nodes=node_records,
        node_ram_mb=node_ram_mb(m, downloaded, unpacked))
    (out / MANIFEST).write_text(manifest.to_json())
    return manifest
