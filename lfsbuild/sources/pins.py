"""Files the book publishes no checksum for: taken on first use, then pinned.

The BLFS book gives no md5 for its bootscripts tarball (`md5: unknown` in packages-blfs.yaml),
so every BLFS reader downloads it unverified. lfsbuild does no worse and then better: it takes
the file once - only over https:// or from a file:// mirror, where nobody on the way can swap
it (a plain http or ftp download could be replaced in transit) - and writes the md5 of what it
got into `md5-pins.txt` in the sources cache (md5sum's format: `md5sum -c` reads it). From then
on the file is held to that md5 like any other: a later download, a mirror's copy or the
cached file that differs is refused. Writing the md5 into the packages file itself (`md5:`)
works as before and wins; deleting a pin line trusts the next first download again.
"""
from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from lfsbuild.atomic import atomic_write
from .packages import UNKNOWN_MD5, Package

PINS_NAME = "md5-pins.txt"
#: where a file without a published checksum may come from the first time
FIRST_USE_SOURCES = ("https://", "file:")
_LINE = re.compile(r"^([0-9a-f]{32}) [ *](\S+)$")
_WRITING = threading.Lock()        # fetch's workers may pin at the same time


def pins_path(cache: Path) -> Path:
    return cache / PINS_NAME


def read_pins(cache: Path) -> dict[str, str]:
    """{file name: md5} from the cache's pin file; lines that are not `md5  name` are ignored."""
    try:
        text = pins_path(cache).read_text()
    except FileNotFoundError:
        return {}
    return {m.group(2): m.group(1) for m in map(_LINE.match, text.splitlines()) if m}


def with_pins(packages: Iterable[Package], cache: Path) -> list[Package]:
    """The packages, each `md5: unknown` one with the md5 pinned at its first use (if any)."""
    pins = read_pins(cache)
    return [replace(p, md5=pins[p.filename]) if p.md5 == UNKNOWN_MD5 and p.filename in pins
            else p for p in packages]


def may_take_first(source: str) -> bool:
    return source.startswith(FIRST_USE_SOURCES)


def not_first_use(pkg: Package, cache: Path) -> str:
    """Why a plain http/ftp source is not tried for a file without checksum or pin."""
    return (f"not tried: the book publishes no checksum for {pkg.filename} (md5: {UNKNOWN_MD5}, "
            f"line {pkg.line} of its packages file), so lfsbuild takes it the first time only "
            f"over https:// or from a file:// mirror, where it cannot be swapped on the way, and "
            f"pins its md5 in {pins_path(cache)}; or write its md5 there yourself")


def pin(pkg: Package, path: Path, source: str, cache: Path) -> str:
    """Pin the md5 of `path` when `pkg` has neither checksum nor pin (it was just taken on first
    use) and say so, for the fetch report; "" for every other package."""
    if pkg.md5 != UNKNOWN_MD5:
        return ""
    with open(path, "rb") as fh:
        md5 = hashlib.file_digest(fh, "md5").hexdigest()
    with _WRITING:
        pins = read_pins(cache)
        pins[pkg.filename] = md5
        atomic_write(pins_path(cache),
                     "".join(f"{sum_}  {name}\n" for name, sum_ in sorted(pins.items())).encode())
    return (f"note: {pkg.name}: the book publishes no checksum for {pkg.filename}; taken on first "
            f"use from {source} and its md5 {md5} pinned in {pins_path(cache)}: every later copy "
            f"must match it (compare it with a copy from elsewhere if you can)")
