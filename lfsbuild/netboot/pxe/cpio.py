"""A streaming writer and a small reader for the "newc" cpio format the kernel unpacks.

We write the archive ourselves instead of calling `cpio(1)` because we need three things
the tool does not give together: entries that do not exist on disk (our /init,
/dev/console made without mknod), fixed inode numbers and timestamps for byte-identical
output, and a constant memory footprint (entries are written one by one as the tree is
walked; file data is copied in fixed-size chunks).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import BinaryIO, Iterator

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
CHUNK = 1 << 20
HEADER_LEN = 110


@dataclass(frozen=True)
class Entry:
    """One archive member. `source` is a host file to copy data from, `data` inline bytes.

    For a hard link group, every member shares `ino` and `nlink`; only the first carries
    data (the kernel's unpacker links later members to the first one it saw).
    """

    name: str
    mode: int
    uid: int = 0
    gid: int = 0
    mtime: int = 0
    nlink: int = 1
    ino: int = 0
    size: int = 0
    rdevmajor: int = 0
    rdevminor: int = 0
    data: bytes | None = None
    source: str | None = None


def _pad(n: int) -> bytes:
    return b"\0" * (-n % 4)


def header(entry: Entry) -> bytes:
    """The 110-byte header, the NUL-terminated name and its padding."""
    name = os.fsencode(entry.name) + b"\0"
    fields = (entry.ino, entry.mode, entry.uid, entry.gid, entry.nlink, entry.mtime,
              entry.size, 0, 0, entry.rdevmajor, entry.rdevminor, len(name), 0)
    head = MAGIC + b"".join(b"%08X" % (f & 0xFFFFFFFF) for f in fields) + name
    return head + _pad(len(head))


class CpioWriter:
    """Write entries to a binary stream; `close()` writes the trailer (not the stream)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.bytes_written = 0
        self.entries = 0

    def _write(self, blob: bytes) -> None:
        self.out.write(blob)
        self.bytes_written += len(blob)

    def add(self, entry: Entry) -> None:
        self._write(header(entry))
        self.entries += 1
        if entry.data is not None:
            self._write(entry.data)
        elif entry.source is not None and entry.size:
            self._copy(entry.source, entry.size)
        self._write(_pad(entry.size))

    def _copy(self, path: str, size: int) -> None:
        """Copy exactly `size` bytes, so a file that changes under us cannot corrupt the archive."""
        left = size
        with open(path, "rb") as f:
            while left:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    raise OSError(f"{path} shrank while being packed ({left} bytes missing)")
                self._write(chunk)
                left -= len(chunk)

    def close(self) -> None:
        self.add(Entry(name=TRAILER, mode=0, nlink=1))


@dataclass(frozen=True)
class Member:
    """What the reader reports for one entry (data only for symlinks: their target)."""

    name: str
    mode: int
    uid: int
    gid: int
    mtime: int
    nlink: int
    ino: int
    size: int
    rdev: tuple[int, int]
    link_target: str | None = None

    @property
    def kind(self) -> str:
        return {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink",
                stat.S_IFCHR: "char", stat.S_IFBLK: "block", stat.S_IFIFO: "fifo",
                stat.S_IFSOCK: "socket"}.get(stat.S_IFMT(self.mode), "?")


def read_members(stream: BinaryIO) -> Iterator[Member]:
    """Yield the members of an uncompressed newc archive (used by tests and `verify`)."""
    while True:
        head = stream.read(HEADER_LEN)
        if len(head) < HEADER_LEN or head[:6] != MAGIC:
            raise ValueError(f"not a newc cpio header: {head[:6]!r}")
        f = [int(head[6 + 8 * i: 14 + 8 * i], 16) for i in range(13)]
        namesize, size = f[11], f[6]
        name = stream.read(namesize)[:-1].decode("utf-8", "surrogateescape")
        stream.read(-(HEADER_LEN + namesize) % 4)
        if name == TRAILER:
            return
        target = None
        if stat.S_ISLNK(f[1]):
            target = stream.read(size).decode("utf-8", "surrogateescape")
        else:
            left = size
            while left:
                left -= len(stream.read(min(CHUNK, left)))
        stream.read(-size % 4)
        yield Member(name=name, mode=f[1], uid=f[2], gid=f[3], nlink=f[4], mtime=f[5],
                     ino=f[0], size=size, rdev=(f[9], f[10]), link_target=target)
