"""`build_artifacts`: kernel + root tree in, a complete netboot tree + manifest.json out."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lfsbuild.errors import PxeError
from lfsbuild.owned import claim_pxe_dir
from lfsbuild.netboot.pxe.bootloaders import find_loaders
from lfsbuild.netboot.pxe.compress import codec
from lfsbuild.netboot.pxe.hostkeys import (ensure_host_keys, fingerprints, has_sshd, initrd_files,
                                           secrets_dir)
from lfsbuild.netboot.pxe.initrd import InitrdSpec, pack, source_date_epoch
from lfsbuild.netboot.pxe.layouts import LOADER_NAMES, TreeInputs, artifact_names, plan_tree, write_tree
from lfsbuild.netboot.pxe.manifest import MANIFEST, Manifest, artifact, kernel_version

MODES = ("ram", "nfs")
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
    if opts.mode not in MODES:
        raise PxeError(f"unknown mode {opts.mode!r}", f"choose one of: {', '.join(MODES)}")
    if opts.mode == "ram":
        parts = [CONSOLE, "rdinit=/init", "ip=dhcp"]  # the system has no DHCP client of its own
    else:
        # No server: the kernel takes the DHCP server's next-server (siaddr) as NFS server.
        where = f"{opts.server}:" if opts.server else ""
        parts = [f"root=/dev/nfs nfsroot={where}{opts.nfs_path or rootfs},vers=3,tcp",
                 "ip=dhcp rw", CONSOLE]
        if opts.init != "/sbin/init":
            parts.append(f"init={opts.init}")
    if opts.cmdline_extra:
        parts.append(opts.cmdline_extra)
    return " ".join(parts)


def build_artifacts(opts: PxeOptions) -> Manifest:
    """Write kernel, initrd (RAM mode), every boot path's files and manifest.json.

    Only into a new or empty directory or one lfsbuild wrote before (`owned.claim_pxe_dir`):
    the tree's files are replaced, and a user's directory must never be.
    """
    kernel_src, rootfs = resolve_inputs(opts)
    cmdline = kernel_cmdline(opts, rootfs)
    c, level = codec(opts.compress, opts.level)
    epoch = source_date_epoch()
    kernel_rel, initrd_rel = artifact_names(opts.layout, opts.release)
    out = opts.out_dir
    claim_pxe_dir(out)
    loaders, missing = find_loaders(LOADER_NAMES, opts.host_root)
    files = plan_tree(TreeInputs(
        release=opts.release, mode=opts.mode, cmdline=cmdline, layout=opts.layout,
        macs=tuple(opts.macs), server=opts.server, http_port=opts.http_port,
        rootfs=opts.nfs_path or str(rootfs), out_dir=str(out.resolve()), loaders=loaders,
        missing=tuple(missing)))

    kernel_dst = out / kernel_rel
    kernel_dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kernel_src, kernel_dst)
    arts = [artifact(out, kernel_dst, "kernel")]
    stats: dict[str, object] = {}
    host_keys: list[str] = []
    notes: list[str] = []
    secrets = secrets_dir(out)
    if has_sshd(rootfs) and opts.mode != "ram":
        notes.append("the NFS root gets no SSH host keys from `invoke pxe` (one export serves "
                     "every node); sshd there has none until per-node identity exists")
    if opts.mode == "ram":
        keys = ensure_host_keys(secrets) if has_sshd(rootfs) else []
        host_keys = fingerprints(keys)
        spec = InitrdSpec(rootfs=rootfs, init=opts.init, keep_docs=opts.keep_docs,
                          keep_static=opts.keep_static, epoch=epoch,
                          extra_files=initrd_files(keys))
        res = pack(spec, c, level, out / initrd_rel)
        arts.append(artifact(out, res.path, "initrd"))
        stats = {"entries": res.entries, "uncompressed": res.uncompressed,
                 "seconds": round(res.seconds, 3), "skipped": res.skipped}
    else:
        stale = out / initrd_rel
        stale.unlink(missing_ok=True)
    for f, path in zip(files, write_tree(files, out)):
        arts.append(artifact(out, path, f.role))
    manifest = Manifest(
        release=opts.release, mode=opts.mode, layout=opts.layout, kernel=kernel_rel,
        kernel_version=kernel_version(kernel_src),
        initrd=initrd_rel if opts.mode == "ram" else None, cmdline=cmdline,
        compression={"name": c.name, "level": level} if opts.mode == "ram" else {},
        source_date_epoch=epoch, fingerprints=dict(opts.fingerprints), artifacts=arts,
        initrd_stats=stats, missing=[m.message for m in missing], ssh_host_keys=host_keys,
        notes=notes, secrets_dir=str(secrets) if host_keys else "")
    (out / MANIFEST).write_text(manifest.to_json())
    return manifest
