"""Turn a root tree into the initrd: choose the entries (walk + filter), stream them out.

The walk is a generator in sorted order (byte order of names, parents before children),
so the archive is deterministic and memory holds one directory listing per level, never
the whole tree. Entries that do not exist on disk (our /init, /dev/console, /dev/null,
the mount-point directories) are merged into the walk, so no root-only `mknod` is needed.
"""
from __future__ import annotations

import os
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from lfsbuild.errors import PxeError
from lfsbuild.netboot.pxe.compress import Codec, compressed_writer
from lfsbuild.netboot.pxe.cpio import CpioWriter, Entry
from lfsbuild.netboot.pxe.hostkeys import KeyFile
from lfsbuild.netboot.pxe.render import render

# Top-level names that never go into the RAM root: build inputs and leftovers, the kernel.
SKIP_TOP = {"sources": "build sources", "tools": "temporary toolchain",
            "lost+found": "fsck leftovers", ".lfsbuild": "build state", "boot": "kernel (served apart)"}
# Directories whose *contents* are runtime-only (and may be live mounts in a chroot'ed $LFS).
EMPTY_DIRS = {"proc", "sys", "run", "tmp", "var/tmp"}
DOC_DIRS = {"usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/gtk-doc",
            "usr/local/share/doc", "usr/local/share/man", "usr/local/share/info"}
STATIC_SUFFIXES = (".a", ".la")


@dataclass(frozen=True)
class InitrdSpec:
    """What goes into the initrd. `init` is the program our /init execs (inside the root).

    `extra_files` are files that are not in the tree but belong to this machine (its SSH host
    keys): they replace a tree file of the same path, owned by root, parents made as needed.
    """

    rootfs: Path
    init: str = "/sbin/init"
    keep_docs: bool = False
    keep_static: bool = False
    epoch: int = 0
    extra_files: tuple[KeyFile, ...] = ()


@dataclass
class WalkStats:
    """Counters filled while walking, for the manifest and the printed summary."""

    files: int = 0
    bytes: int = 0
    skipped: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class InitrdResult:
    path: Path
    size: int
    uncompressed: int
    entries: int
    seconds: float
    skipped: dict[str, int]


def source_date_epoch(env: dict[str, str] | None = None) -> int:
    """SOURCE_DATE_EPOCH if set (reproducible-builds convention), else 0: timestamps are fixed."""
    raw = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH", "")
    if not raw:
        return 0
    if not raw.isdigit():
        raise PxeError(f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds",
                       "set it to an integer such as $(git log -1 --format=%ct), or unset it")
    return int(raw)


def skip_reason(rel: str, is_dir: bool, spec: InitrdSpec) -> str | None:
    """Why `rel` (a path relative to the root, '/'-separated) stays out, or None (pure)."""
    top = rel.split("/", 1)[0]
    if rel == top and top in SKIP_TOP:
        return SKIP_TOP[top]
    if rel == "init":
        return "replaced by lfsbuild's /init"
    if is_dir and rel in DOC_DIRS and not spec.keep_docs:
        return "documentation (keep with --keep-docs)"
    if not is_dir and rel.endswith(STATIC_SUFFIXES) and not spec.keep_static:
        return "static library (keep with --keep-static)"
    return None


def synthetic_entries(spec: InitrdSpec) -> dict[str, Entry]:
    """Entries the kernel and our /init need whatever the tree has (tree metadata wins for dirs)."""
    init = render("init.sh", init=spec.init).encode()
    e = spec.epoch
    out = {name: Entry(name=name, mode=stat.S_IFDIR | 0o755, mtime=e, nlink=2)
           for name in ("dev", "proc", "sys", "run")}
    out["tmp"] = Entry(name="tmp", mode=stat.S_IFDIR | 0o1777, mtime=e, nlink=2)
    out["dev/console"] = Entry(name="dev/console", mode=stat.S_IFCHR | 0o600, mtime=e,
                               rdevmajor=5, rdevminor=1)
    out["dev/null"] = Entry(name="dev/null", mode=stat.S_IFCHR | 0o666, mtime=e,
                            rdevmajor=1, rdevminor=3)
    out["init"] = Entry(name="init", mode=stat.S_IFREG | 0o755, mtime=e, size=len(init), data=init)
    for f in spec.extra_files:
        parts = f.path.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            out.setdefault(d, Entry(name=d, mode=stat.S_IFDIR | 0o755, mtime=e, nlink=2))
        out[f.path] = Entry(name=f.path, mode=stat.S_IFREG | f.mode, mtime=e, size=len(f.data),
                            data=f.data)
    return out


def replaced(spec: InitrdSpec) -> set[str]:
    """Paths whose synthetic entry wins over the tree's file: our /init and the extra files."""
    return {"init", *(f.path for f in spec.extra_files)}


def iter_entries(spec: InitrdSpec, stats: WalkStats | None = None) -> Iterator[Entry]:
    """Yield every archive entry in deterministic order (inode numbers assigned as we go)."""
    stats = stats if stats is not None else WalkStats()
    extra = synthetic_entries(spec)
    ours = replaced(spec)
    inodes: dict[tuple[int, int], int] = {}
    counter = iter(range(1, 1 << 32))
    root = spec.rootfs
    root_dev = os.lstat(root).st_dev

    def children(rel: str, use_tree: bool) -> list[str]:
        prefix = rel + "/" if rel else ""
        names = {n[len(prefix):] for n in extra
                 if n.startswith(prefix) and "/" not in n[len(prefix):]}
        path = root / rel if rel else root
        if use_tree and path.is_dir() and not path.is_symlink():
            names.update(os.listdir(path))
        return sorted(names, key=os.fsencode)

    def walk(rel: str, use_tree: bool = True) -> Iterator[Entry]:
        for name in children(rel, use_tree):
            sub = f"{rel}/{name}" if rel else name
            st = os.lstat(root / sub) if use_tree and os.path.lexists(root / sub) else None
            synth = extra.get(sub)
            if synth is not None and (st is None or sub in ours):
                yield synth
                if stat.S_ISDIR(synth.mode):
                    yield from walk(sub, use_tree=False)
                continue
            assert st is not None
            is_dir = stat.S_ISDIR(st.st_mode)
            reason = skip_reason(sub, is_dir, spec)
            if reason:
                stats.skipped[reason] += 1
                continue
            yield entry_for(sub, st)
            if is_dir:
                if sub in EMPTY_DIRS:
                    stats.skipped["runtime directory contents"] += 1
                    yield from walk(sub, use_tree=False)
                elif st.st_dev != root_dev:
                    stats.skipped["mount point contents"] += 1
                    yield from walk(sub, use_tree=False)
                else:
                    yield from walk(sub)

    def entry_for(sub: str, st: os.stat_result) -> Entry:
        mode = st.st_mode
        common = dict(name=sub, mode=mode, uid=st.st_uid, gid=st.st_gid, mtime=spec.epoch)
        if stat.S_ISREG(mode) and st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            if key in inodes:  # a later member of a hard-link group: no data
                return Entry(**common, nlink=st.st_nlink, ino=inodes[key])
            inodes[key] = ino = next(counter)
            stats.files += 1
            stats.bytes += st.st_size
            return Entry(**common, nlink=st.st_nlink, ino=ino, size=st.st_size,
                         source=str(root / sub))
        ino = next(counter)
        if stat.S_ISREG(mode):
            stats.files += 1
            stats.bytes += st.st_size
            return Entry(**common, ino=ino, size=st.st_size, source=str(root / sub))
        if stat.S_ISLNK(mode):
            target = os.fsencode(os.readlink(root / sub))
            return Entry(**common, ino=ino, size=len(target), data=target)
        if stat.S_ISDIR(mode):
            return Entry(**common, ino=ino, nlink=2)
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            return Entry(**common, ino=ino, rdevmajor=os.major(st.st_rdev),
                         rdevminor=os.minor(st.st_rdev))
        return Entry(**common, ino=ino)  # FIFO, socket

    # Synthetic entries carry ino 0; give them numbers too, in order, for determinism.
    for entry in walk(""):
        if entry.ino == 0:
            entry = Entry(**{**entry.__dict__, "ino": next(counter)})
        yield entry


def pack(spec: InitrdSpec, c: Codec, level: int, out_path: Path) -> InitrdResult:
    """Write the compressed cpio to `out_path` (via a temp name, renamed when complete)."""
    if not spec.rootfs.is_dir():
        raise PxeError(f"root file system {spec.rootfs} is not a directory",
                       "pass --rootfs DIR pointing at a root tree, or build $LFS first")
    stats = WalkStats()
    start = time.monotonic()
    tmp = out_path.with_name(out_path.name + ".part")
    try:
        with compressed_writer(c, level, tmp) as pipe:
            writer = CpioWriter(pipe)
            for entry in iter_entries(spec, stats):
                writer.add(entry)
            writer.close()
    except BaseException:
        tmp.unlink(missing_ok=True)  # never leave a half-written initrd behind
        raise
    tmp.replace(out_path)
    return InitrdResult(path=out_path, size=out_path.stat().st_size,
                        uncompressed=writer.bytes_written, entries=writer.entries,
                        seconds=time.monotonic() - start, skipped=dict(stats.skipped))
