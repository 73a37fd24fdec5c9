"""Compress a stream through the `zstd`, `xz` or `gzip` binary on a pipe.

Why the binaries and not Python modules: zstd is not in the standard library before 3.14,
the binaries compress on another core while we walk the tree (zstd additionally
multi-threaded), and a pipe gives natural back-pressure, so memory stays flat whatever the
tree size. Each command line is one the kernel's initramfs decompressors accept
(xz: CRC32 check, as the in-kernel XZ decoder does not know CRC64/SHA-256).
"""
from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from lfsbuild.errors import PxeError


@dataclass(frozen=True)
class Codec:
    """How to call one compressor; `levels` is the accepted range, `package` the Debian one."""

    name: str
    binary: str
    default_level: int
    levels: range
    package: str
    suffix: str

    def argv(self, level: int, threads: int = 0) -> list[str]:
        if self.name == "zstd":
            extra = ["--ultra"] if level > 19 else []
            return [self.binary, "-q", "-c", f"-{level}", *extra, f"-T{threads}"]
        if self.name == "xz":
            return [self.binary, "-q", "-c", f"-{level}", "--check=crc32", "-T1"]
        if self.name == "gzip":
            return [self.binary, "-q", "-c", "-n", f"-{level}"]
        return ["cat"]


CODECS: dict[str, Codec] = {
    "zstd": Codec("zstd", "zstd", 3, range(1, 23), "zstd", ".zst"),
    "xz": Codec("xz", "xz", 6, range(0, 10), "xz-utils", ".xz"),
    "gzip": Codec("gzip", "gzip", 6, range(1, 10), "gzip", ".gz"),
    "none": Codec("none", "cat", 0, range(0, 1), "coreutils", ""),
}


def codec(name: str, level: int | None = None) -> tuple[Codec, int]:
    """Validate a compression choice (pure); returns the codec and the effective level."""
    if name not in CODECS:
        raise PxeError(f"unknown compression {name!r}",
                       f"choose one of: {', '.join(CODECS)}")
    c = CODECS[name]
    lvl = c.default_level if level is None else level
    if lvl not in c.levels:
        raise PxeError(f"compression level {lvl} is out of range for {name}",
                       f"use {c.levels.start}..{c.levels.stop - 1}")
    return c, lvl


@contextmanager
def compressed_writer(c: Codec, level: int, out_path: Path) -> Iterator[BinaryIO]:
    """Yield a pipe whose bytes end up compressed in `out_path`; raise PxeError if it fails."""
    binary = shutil.which(c.binary)
    if binary is None:
        raise PxeError(f"the {c.binary!r} program is needed for --compress {c.name} but is not installed",
                       f"install the Debian package {c.package} (apt-get install {c.package}) "
                       "or choose another --compress")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(c.argv(level), stdin=subprocess.PIPE, stdout=out,
                                stderr=subprocess.PIPE)
        assert proc.stdin is not None
        try:
            yield proc.stdin
            proc.stdin.close()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise PxeError(f"{c.binary} exited with {proc.returncode} while writing {out_path}: "
                           f"{err.strip()[-500:]}", "check free disk space in the output directory")
