"""Find programs inside a root tree and everything they need to run: symlinks, the ELF
interpreter and shared libraries (DT_NEEDED, recursively) - read from the files, never run.

The boot initrd of the overlay modes must use the target system's own tools: the build host's
`mount` or libc have no business in an LFS image, and `ldd` would run the tree's binaries with
the host's loader. So paths are resolved *inside* the tree: an absolute symlink target
(`/usr/bin/busybox`) means `<root>/usr/bin/busybox`, and nothing ever leaves the root.
"""
from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

from lfsbuild.errors import PxeError

#: where a program is looked up (the /init's own PATH) and where libraries are
PATH_DIRS = ("usr/sbin", "usr/bin", "sbin", "bin")
LIB_DIRS = ("usr/lib", "lib", "usr/lib64", "lib64", "usr/local/lib",
            "usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu")
MAX_LINKS = 40


@dataclass
class Closure:
    """Paths (relative to the root) to copy: regular files, symlinks, and their directories."""

    files: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)   # path -> link target, as in the tree
    dirs: set[str] = field(default_factory=set)
    found: dict[str, str] = field(default_factory=dict)   # program -> path it was found at


def _parents(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def resolve(root: Path, rel: str, into: Closure | None = None) -> str | None:
    """The real path (relative to `root`) of `rel`, following symlinks inside the tree, or
    None when it does not exist. Every symlink passed on the way is recorded in `into`
    (an initrd needs `/sbin -> usr/sbin` as much as the file it leads to)."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            if done:
                done.pop()
            continue
        cur = "/".join([*done, name])
        try:
            st = os.lstat(root / cur)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            hops += 1
            if hops > MAX_LINKS:
                return None
            target = os.readlink(root / cur)
            if into is not None:
                into.links[cur] = target
            tparts = [p for p in target.split("/") if p not in ("", ".")]
            if target.startswith("/"):
                done = []
            parts = tparts + parts
            continue
        done.append(name)
    return "/".join(done)


def add_path(root: Path, rel: str, into: Closure) -> str | None:
    """The executable `rel` of the tree, by exactly that path (a `#!` line's /bin/sh): its
    links, file and libraries go into `into`; None when the tree has no such program."""
    probe = Closure()
    real = resolve(root, rel, probe)
    if not (real and os.path.isfile(root / real) and os.access(root / real, os.X_OK)):
        return None
    into.links.update(probe.links)
    add_file(root, real, into)
    return real


def find_program(root: Path, name: str, into: Closure) -> str | None:
    """`name` looked up in PATH_DIRS inside the tree; its links and file go into `into`."""
    for d in PATH_DIRS:
        real = add_path(root, f"{d}/{name}", into)
        if real:
            into.found[name] = f"{d}/{name}"
            return real
    return None


def add_file(root: Path, real: str, into: Closure) -> None:
    """A regular file of the tree and, if it is a dynamic ELF, its loader and libraries."""
    if real in into.files:
        return
    into.files.add(real)
    interp, needed = elf_deps(root / real)
    if interp:
        loader = resolve(root, interp, into)
        if loader is None:
            raise PxeError(f"{real} in the root tree needs the loader {interp}, which the tree "
                           f"does not have", "check the root tree (is it a complete system?)")
        add_file(root, loader, into)
    for lib in needed:
        for d in LIB_DIRS:
            probe = Closure()
            got = resolve(root, f"{d}/{lib}", probe)
            if got and os.path.isfile(root / got):
                into.links.update(probe.links)
                add_file(root, got, into)
                break
        else:
            raise PxeError(f"{real} in the root tree needs {lib}, which is in none of "
                           f"{', '.join(LIB_DIRS)} of the tree",
                           "check the root tree (is it a complete system?)")


def finish(into: Closure) -> Closure:
    """Add every parent directory of what was collected (links to directories stay links)."""
    for rel in [*into.files, *into.links]:
        for p in _parents(rel):
            if p not in into.links:
                into.dirs.add(p)
    return into


# ---------------------------------------------------------------- ELF (read, never run)

def elf_deps(path: Path) -> tuple[str | None, list[str]]:
    """(PT_INTERP, DT_NEEDED names) of an ELF file; (None, []) for a static one or a script."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF":
            return None, []
        is64, little = head[4] == 2, head[5] == 1
        e = "<" if little else ">"
        if is64:
            phoff, = struct.unpack_from(e + "Q", head, 0x20)
            phentsize, phnum = struct.unpack_from(e + "HH", head, 0x36)
        else:
            phoff, = struct.unpack_from(e + "I", head, 0x1C)
            phentsize, phnum = struct.unpack_from(e + "HH", head, 0x2A)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        loads: list[tuple[int, int, int]] = []   # vaddr, offset, filesz
        interp = None
        dynamic: tuple[int, int] | None = None
        for i in range(phnum):
            ph = table[i * phentsize:(i + 1) * phentsize]
            if is64:
                p_type, _flags, off, vaddr, _pa, filesz = struct.unpack_from(e + "IIQQQQ", ph)
            else:
                p_type, off, vaddr, _pa, filesz = struct.unpack_from(e + "IIIII", ph)
            if p_type == 1:
                loads.append((vaddr, off, filesz))
            elif p_type == 3:
                f.seek(off)
                interp = f.read(filesz).split(b"\0", 1)[0].decode()
            elif p_type == 2:
                dynamic = (off, filesz)
        if dynamic is None:
            return interp, []
        f.seek(dynamic[0])
        raw = f.read(dynamic[1])
        size = 16 if is64 else 8
        fmt = e + ("qQ" if is64 else "iI")
        needed_offs: list[int] = []
        strtab = None
        for i in range(0, len(raw) - size + 1, size):
            tag, val = struct.unpack_from(fmt, raw, i)
            if tag == 0:
                break
            if tag == 1:
                needed_offs.append(val)
            elif tag == 5:
                strtab = val
        if strtab is None:
            return interp, []
        base = next((off + strtab - vaddr for vaddr, off, filesz in loads
                     if vaddr <= strtab < vaddr + filesz), None)
        if base is None:
            return interp, []
        names = []
        for o in needed_offs:
            f.seek(base + o)
            names.append(f.read(256).split(b"\0", 1)[0].decode())
        return interp, names
