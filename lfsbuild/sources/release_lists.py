"""The two files every LFS release publishes: `wget-list(-sysv)` and `md5sums`, both ways.

They are the release's source list in its most portable form: one URL per line, and
`md5sum -c` lines. Reading them is how `invoke book-update` learns a new release; writing
them from packages.yaml gives the book's own files back (a round trip the tests rely on) and
lets a lab use plain `wget --input-file` and `md5sum -c` with the same list lfsbuild uses.
Every function here is pure text in, data out (or back); fetching them is bookupdate's job.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lfsbuild.errors import DataFileError
from .packages import MD5_RE, URL_SCHEMES, Package, filename_of

ARCHIVE_EXT = re.compile(r"\.(tar\.(?:xz|gz|bz2|zst|lz|lzma)|tgz|tbz2|txz|tar|zip|patch|diff)$",
                         re.IGNORECASE)
# a version starts at a digit after "-" or "_" (bzip2-1.0.8, flit_core-3.11.0) ...
VERSION = r"(?P<version>\d[0-9A-Za-z.+~]*?(?:-(?:rc|alpha|beta|pre)\d*)?)"
SUFFIX = r"(?P<suffix>(?:-[A-Za-z][A-Za-z_]*)*)$"   # -src, -html, -docs-html
SEPARATED = re.compile(r"^(?P<name>[A-Za-z0-9+._-]*?[A-Za-z0-9+])[-_]v?" + VERSION + SUFFIX)
# ... or, when the name has no separator at all, right after the letters (tcl8.6.16-src,
# expect5.45.4, tzdata2025a)
GLUED = re.compile(r"^(?P<name>[A-Za-z][A-Za-z+]*?)" + VERSION + SUFFIX)
# a patch: NAME-VERSION-WHAT-N.patch (glibc-2.41-fhs-1.patch, bzip2-1.0.8-install_docs-1.patch)
PATCH = re.compile(r"^(?P<name>.+?)-(?P<version>\d[0-9A-Za-z.+~]*)-(?P<what>.+)-(?P<n>\d+)$")


@dataclass(frozen=True)
class FileName:
    """What a release file's name says: which package (a stable `stem`) and which version."""

    filename: str
    stem: str        # lower-case identity across versions: "python", "tcl-html", "patch:glibc-fhs"
    version: str
    kind: str        # "package" | "patch"
    proposed: str    # a packages.yaml name for a file never seen before


@dataclass(frozen=True)
class ListedFile:
    """One line of a wget-list with the md5 the md5sums file gives for it."""

    url: str
    md5: str
    line: int
    name: FileName

    @property
    def filename(self) -> str:
        return self.name.filename


def parse_filename(filename: str) -> FileName:
    """Split a release file name into package identity and version, robustly enough for every
    file LFS has shipped: gcc-14.2.0.tar.xz, tcl8.6.16-src.tar.gz, Python-3.13.2.tar.xz,
    python-3.13.2-docs-html.tar.bz2, expect5.45.4.tar.gz, tzdata2025a.tar.gz,
    glibc-2.41-fhs-1.patch. A name without any version keeps the whole base as its stem."""
    base = ARCHIVE_EXT.sub("", filename)
    is_patch = filename.lower().endswith((".patch", ".diff"))
    if is_patch:
        m = PATCH.match(base)
        if m:
            name, what = _norm(m.group("name")), _norm(m.group("what"))
            return FileName(filename, f"patch:{name}-{what}", m.group("version"), "patch",
                            f"{name}-{what}")
        return FileName(filename, f"patch:{_norm(base)}", "", "patch", _norm(base))
    m = SEPARATED.match(base) or GLUED.match(base)
    if not m:
        return FileName(filename, _norm(base), "", "package", _norm(base))
    name, suffix = _norm(m.group("name")), _norm(m.group("suffix"))
    return FileName(filename, name + suffix, m.group("version").rstrip("."), "package",
                    name + suffix)


def _norm(text: str) -> str:
    """Lower case, `_` as `-`: flit_core and XML-Parser become flit-core and xml-parser."""
    return text.lower().replace("_", "-")


# ----------------------------------------------------------------------------- reading

def parse_wget_list(text: str, where: str) -> list[tuple[int, str]]:
    """(line, url) for every URL; blank lines and # comments are skipped."""
    out: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for no, raw in enumerate(text.splitlines(), start=1):
        url = raw.strip()
        if not url or url.startswith("#"):
            continue
        parts = urlsplit(url)
        if parts.scheme not in URL_SCHEMES or (parts.scheme != "file" and not parts.netloc) \
                or not filename_of(url):
            raise DataFileError(where, no, None, f"{url!r} is not a download URL",
                                "a wget-list has one absolute URL per line")
        fn = filename_of(url)
        if fn in seen:
            raise DataFileError(where, no, None, f"{fn} is listed twice (first on line {seen[fn]})",
                                "each file may appear once")
        seen[fn] = no
        out.append((no, url))
    if not out:
        raise DataFileError(where, None, None, "no URLs in this file",
                            "pass the release's wget-list or wget-list-sysv")
    return out


def parse_md5sums(text: str, where: str) -> dict[str, str]:
    """filename -> md5 from `md5sum` output lines (`MD5  NAME`, or `MD5 *NAME` binary mode)."""
    sums: dict[str, str] = {}
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([0-9A-Fa-f]+)\s+\*?(\S.*)$", line)
        if not m or not MD5_RE.match(m.group(1).lower()):
            raise DataFileError(where, no, None, f"{line[:60]!r} is not an md5sums line",
                                "lines look like '590765dee95907dbc3c856f7255bd669  acl-2.3.2.tar.xz'")
        name = m.group(2).strip().rsplit("/", 1)[-1]
        if name in sums and sums[name] != m.group(1).lower():
            raise DataFileError(where, no, None, f"{name} has two different sums")
        sums[name] = m.group(1).lower()
    return sums


def read_release(wget_text: str, wget_where: str, md5_text: str, md5_where: str) -> list[ListedFile]:
    """Join the two files: every listed URL with its md5; a URL without a sum is an error."""
    sums = parse_md5sums(md5_text, md5_where)
    files = []
    for no, url in parse_wget_list(wget_text, wget_where):
        fn = filename_of(url)
        if fn not in sums:
            raise DataFileError(wget_where, no, None, f"{fn} has no md5 sum in {md5_where}",
                                "pass the md5sums file of the same release")
        files.append(ListedFile(url, sums[fn], no, parse_filename(fn)))
    return files


# ----------------------------------------------------------------------------- writing

def wget_list(packages: Iterable[Package]) -> str:
    """The release's wget-list: one URL per line, in packages.yaml order."""
    return "".join(f"{p.url}\n" for p in packages)


def md5sums(packages: Iterable[Package]) -> str:
    """The release's md5sums, for `md5sum -c` in the sources directory."""
    return "".join(f"{p.md5}  {p.filename}\n" for p in packages)
