"""The small initrds of the overlay modes: the boot initrd (/init + the tree's own tools),
the squashfs image wrapped as a cpio of one file, and nothing from the build host.

Boot initrd contents: lfsbuild's /init for the mode, the programs it runs with their
libraries as the tree has them (`closure`), kernel modules named with `--module` (for a kernel
that has squashfs/overlay/NFS/its NIC as modules), and the default node files under
/lfsbuild/node (the SSH host keys of nodes without an identity of their own).
"""
from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lfsbuild.errors import PxeError
from lfsbuild.netboot.pxe.closure import Closure, add_path, find_program, finish
from lfsbuild.netboot.pxe.compress import Codec, compressed_writer
from lfsbuild.netboot.pxe.cpio import CpioWriter, Entry
from lfsbuild.netboot.pxe.hostkeys import KeyFile
from lfsbuild.netboot.pxe.modes import OPTIONAL_TOOLS, Mode, tools_for
from lfsbuild.netboot.pxe.render import render

#: kernel modules for /init: under lfsbuild/, not lib/ - in an LFS tree /lib is a link to
#: usr/lib, an entry that sorts before usr/lib, so the kernel could not create lib/<dir> yet
MODULE_DIR = "lfsbuild/modules"
NODE_DIR = "lfsbuild/node"
#: the interpreter of /init (templates/init-root.sh's #! line), by its path in the tree
INIT_SHELL = "bin/sh"
IMAGE_NAME = "root.squashfs"   # where /init finds the image inside the initramfs
#: directories a node file may need that only root may enter, if the tree lacks them
PRIVATE_DIRS = ("root", "root/.ssh")


@dataclass(frozen=True)
class BootInitrdSpec:
    rootfs: Path
    mode: Mode
    init: str = "/sbin/init"
    modules: tuple[Path, ...] = ()
    node_files: tuple[KeyFile, ...] = ()    # paths relative to the root, put under NODE_DIR
    epoch: int = 0


@dataclass(frozen=True)
class PackResult:
    path: Path
    size: int
    uncompressed: int
    entries: int
    seconds: float
    tools: dict[str, str]


def module_name(path: Path) -> str:
    return path.name


def check_modules(modules: tuple[Path, ...], kernel_release: str) -> None:
    """Each module exists and was built for this kernel (its vermagic names the same release):
    a module of another kernel is refused by insmod only at boot, with the root unreachable."""
    for m in modules:
        if not m.is_file():
            raise PxeError(f"--module {m} does not exist", "give the path of a .ko file")
        if not m.name.endswith(".ko"):
            raise PxeError(f"--module {m} is not an uncompressed kernel module (.ko)",
                           "decompress it first (xz -d / zstd -d), insmod loads plain .ko files")
        data = m.read_bytes()
        at = data.find(b"vermagic=")
        if at < 0:
            raise PxeError(f"--module {m} has no vermagic: not a kernel module",
                           "give a .ko file built for the kernel you pack")
        release = data[at + 9:data.index(b"\0", at)].split(b" ", 1)[0].decode(errors="replace")
        if kernel_release not in ("", "unknown") and release != kernel_release:
            raise PxeError(f"--module {m} was built for kernel {release}, the kernel is "
                           f"{kernel_release}", "take the modules from the same kernel package")


def collect_tools(spec: BootInitrdSpec) -> Closure:
    """The tools /init runs, found in the tree; a missing one is an error naming it."""
    into = Closure()
    for name in tools_for(spec.mode, bool(spec.modules)):
        if find_program(spec.rootfs, name, into) is None:
            raise PxeError(f"the root tree has no {name!r} program (looked in /usr/sbin, "
                           f"/usr/bin, /sbin, /bin), which /init needs for --mode {spec.mode.name}",
                           "the LFS system has it (util-linux, coreutils, bash, kmod); for a "
                           "test tree, add a busybox applet link")
    # The kernel runs /init through its #! line, by that path: in an LFS tree /bin is a link to
    # usr/bin, which the lookup above never passes (it finds sh in usr/bin first).
    if add_path(spec.rootfs, INIT_SHELL, into) is None:
        raise PxeError(f"the root tree has no /{INIT_SHELL}, which runs /init "
                       f"(--mode {spec.mode.name})", "the LFS system has it (bash's sh link); "
                       "for a test tree, add a busybox applet link")
    for name in OPTIONAL_TOOLS:
        find_program(spec.rootfs, name, into)
    return finish(into)


def boot_entries(spec: BootInitrdSpec, tools: Closure) -> Iterator[Entry]:
    """Every entry of the boot initrd, sorted (parents before children), inodes numbered."""
    e = spec.epoch
    root = spec.rootfs
    out: dict[str, Entry] = {}

    def tree_dir(rel: str) -> Entry:
        try:
            st = os.lstat(root / rel)
            if stat.S_ISDIR(st.st_mode):
                return Entry(name=rel, mode=st.st_mode, uid=st.st_uid, gid=st.st_gid, mtime=e,
                             nlink=2)
        except OSError:
            pass
        return Entry(name=rel, mode=stat.S_IFDIR | 0o755, mtime=e, nlink=2)

    for d in ("dev", "proc", "sys", "newroot", "ro", "lfsbuild", MODULE_DIR):
        out[d] = Entry(name=d, mode=stat.S_IFDIR | 0o755, mtime=e, nlink=2)
    out["dev/console"] = Entry(name="dev/console", mode=stat.S_IFCHR | 0o600, mtime=e,
                               rdevmajor=5, rdevminor=1)
    out["dev/null"] = Entry(name="dev/null", mode=stat.S_IFCHR | 0o666, mtime=e,
                            rdevmajor=1, rdevminor=3)
    for d in tools.dirs:
        out[d] = tree_dir(d)
    for link, target in tools.links.items():
        data = os.fsencode(target)
        out[link] = Entry(name=link, mode=stat.S_IFLNK | 0o777, mtime=e, size=len(data), data=data)
    for f in tools.files:
        st = os.stat(root / f)
        out[f] = Entry(name=f, mode=st.st_mode, uid=0, gid=0, mtime=e, size=st.st_size,
                       source=str(root / f))
    init = render("init-root.sh", mode=spec.mode.name, init=spec.init).encode()
    out["init"] = Entry(name="init", mode=stat.S_IFREG | 0o755, mtime=e, size=len(init), data=init)
    for i, m in enumerate(spec.modules):
        name = f"{MODULE_DIR}/{i:02d}-{module_name(m)}"
        out[name] = Entry(name=name, mode=stat.S_IFREG | 0o644, mtime=e, size=m.stat().st_size,
                          source=str(m))
    yield from node_entries(spec.node_files, root, NODE_DIR, e, base=out)


def node_entries(files: tuple[KeyFile, ...], root: Path, prefix: str, epoch: int,
                 base: dict[str, Entry] | None = None) -> Iterator[Entry]:
    """`base` plus `files` under `prefix` ("" = at their real paths), with their parent
    directories as the tree has them (owner and mode: an overlay's upper directory replaces
    the attributes of the tree's), sorted and numbered."""
    out = dict(base or {})
    for f in files:
        name = f"{prefix}/{f.path}" if prefix else f.path
        parts = name.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d in out:
                continue
            rel = d if not prefix else (d[len(prefix) + 1:] if d.startswith(prefix + "/") else None)
            entry = Entry(name=d, mode=stat.S_IFDIR | 0o755, mtime=epoch, nlink=2)
            if rel:
                try:
                    st = os.lstat(root / rel)
                except OSError:
                    st = None
                if st is not None and stat.S_ISDIR(st.st_mode):
                    entry = Entry(name=d, mode=st.st_mode, uid=st.st_uid, gid=st.st_gid,
                                  mtime=epoch, nlink=2)
                elif rel in PRIVATE_DIRS:
                    entry = Entry(name=d, mode=stat.S_IFDIR | 0o700, mtime=epoch, nlink=2)
            out[d] = entry
        out[name] = Entry(name=name, mode=stat.S_IFREG | f.mode, mtime=epoch, size=len(f.data),
                          data=f.data)
    for ino, name in enumerate(sorted(out, key=os.fsencode), 1):
        yield Entry(**{**out[name].__dict__, "ino": ino})


def write_cpio(entries: Iterator[Entry], c: Codec | None, level: int, out_path: Path) -> tuple[int, int]:
    """Write a (compressed, unless `c` is None) newc archive via a temp name; returns
    (uncompressed bytes, entries). Never leaves a half-written file."""
    tmp = out_path.with_name(out_path.name + ".part")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if c is None:
            with open(tmp, "wb") as fh:
                writer = CpioWriter(fh)
                for entry in entries:
                    writer.add(entry)
                writer.close()
        else:
            with compressed_writer(c, level, tmp) as pipe:
                writer = CpioWriter(pipe)
                for entry in entries:
                    writer.add(entry)
                writer.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out_path)
    return writer.bytes_written, writer.entries


def pack_boot(spec: BootInitrdSpec, c: Codec, level: int, out_path: Path) -> PackResult:
    start = time.monotonic()
    tools = collect_tools(spec)
    raw, count = write_cpio(boot_entries(spec, tools), c, level, out_path)
    return PackResult(out_path, out_path.stat().st_size, raw, count, time.monotonic() - start,
                      dict(sorted(tools.found.items())))


def wrap_image(image: Path, out_path: Path, epoch: int = 0) -> int:
    """The squashfs image as a newc cpio of one file, /root.squashfs: what pxelinux, GRUB and
    iPXE load as an initrd and the kernel unpacks into the initramfs. Uncompressed (the image
    is), so the image's bytes sit 4-byte aligned inside and nothing is unpacked twice."""
    entry = Entry(name=IMAGE_NAME, mode=stat.S_IFREG | 0o444, mtime=epoch, ino=1,
                  size=image.stat().st_size, source=str(image))
    write_cpio(iter([entry]), None, 0, out_path)
    return out_path.stat().st_size
