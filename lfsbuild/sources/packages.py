"""The release's source list: packages.yaml, loaded and validated.

Everything else in lfsbuild refers to a package by its *name* only, so swapping a version is a
one-entry edit here. Validation happens once, at load time, and every complaint names the file,
the line and the field, because a typo in a 100-entry YAML file is otherwise a needle hunt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

import yaml

from lfsbuild.errors import DataFileError, LfsError
from lfsbuild.yamldata import compose, line, mapping, read_text, scalar
from lfsbuild.yamldata import fields as checked_fields

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+._-]*$")
MD5_RE = re.compile(r"^[0-9a-f]{32}$")
# `md5: unknown`: the book publishes no checksum for the file (BLFS's bootscripts tarball).
# Such an entry loads, so plans and fingerprints work, but `invoke fetch` never accepts its
# bytes: it reports the md5 it got and asks for it to be written into the packages file.
UNKNOWN_MD5 = "unknown"
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
URL_SCHEMES = ("http", "https", "file")  # what `invoke fetch` can download

#: The largest `size_kb` believed: 100 GB. The book's biggest download is ~140 MB; a bigger
#: number is a typo, and an unbounded one (5,000 digits) would only fail later, in int().
MAX_SIZE_KB = 100_000_000
#: A file name is one component of a Linux path: at most NAME_MAX (255) bytes, and the cache
#: must still be able to add `.part` (a download in progress) and `invoke mirror` `.` + `.tmp`.
NAME_MAX = 255 - len(".part")
#: Where the sources cache and a mirror keep their own files (see `reserved_reason`).
PART_SUFFIX = ".part"
MIRROR_SUMS = "MD5SUMS"

REQUIRED = ("name", "version", "url", "md5")
OPTIONAL = ("sha256", "mirrors", "size_kb")
TOP_KEYS = ("release", "packages", "patches")


@dataclass(frozen=True)
class Package:
    """One downloadable file: a source tarball or a patch."""

    name: str
    version: str
    url: str
    md5: str
    kind: str = "package"  # "package" | "patch"
    sha256: str | None = None
    mirrors: tuple[str, ...] = ()
    size_kb: int | None = None  # the book's download size: big files are fetched first
    line: int = 0  # where it is defined, for error messages

    @property
    def filename(self) -> str:
        """The file name in the cache and on mirrors: the URL's last path segment."""
        return filename_of(self.url)


@dataclass(frozen=True)
class PackageList:
    """The validated contents of a packages file."""

    path: Path
    release: str
    packages: dict[str, Package] = field(default_factory=dict)
    more: tuple[Path, ...] = ()  # further files merged in (the BLFS packages file)

    def get(self, name: str) -> Package:
        try:
            return self.packages[name]
        except KeyError:
            files = " or ".join(str(p) for p in (self.path, *self.more))
            raise LfsError(
                f"no package or patch named {name!r} in {files}",
                "check the spelling, or add an entry for it to the packages file",
            ) from None

    def merged(self, other: "PackageList") -> "PackageList":
        """This list plus `other`'s entries (the BLFS file beside packages.yaml); a name both
        define is refused, because recipes refer to sources by name only."""
        for name, pkg in other.packages.items():
            if name in self.packages:
                first = self.packages[name]
                raise DataFileError(str(other.path), pkg.line, "name",
                                    f"{name!r} is also defined in {self.path} (line {first.line})",
                                    "a name may appear in only one of the packages files")
        return PackageList(path=self.path, release=self.release,
                           packages={**self.packages, **other.packages},
                           more=(*self.more, other.path, *other.more))

    def all(self) -> Iterator[Package]:
        return iter(self.packages.values())

    def select(self, names: list[str] | None) -> list[Package]:
        """The named packages (all when `names` is empty), unknown names rejected up front."""
        if not names:
            return list(self.packages.values())
        return [self.get(n) for n in names]

    def __contains__(self, name: object) -> bool:
        return name in self.packages

    def __len__(self) -> int:
        return len(self.packages)


def filename_of(url: str) -> str:
    """The URL's last path segment, percent-decoded: the name the file is written under."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def filename_problem(name: str) -> str | None:
    """Why `name` cannot be a file in the sources cache, or None if it can.

    The name comes from a URL anyone may have written, and `fetch` writes `cache / name`: it
    must be exactly one plain path component, or the download lands (and overwrites) outside
    the cache. Decoded, `..%2F..%2Fx` is `../../x`; `%2e%2e` is `..`; `%00` is a NUL.
    """
    if not name:
        return "the URL has no file name"
    if "/" in name:
        return f"its file name {name!r} contains a '/' (an encoded %2F): it would be written outside the sources cache"
    if "\0" in name or any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in name):
        return f"its file name {name!r} contains a control character or NUL"
    if name in (".", ".."):
        return f"its file name is {name!r}, a directory, not a file"
    if len(name.encode("utf-8")) > NAME_MAX:
        return (f"its file name is {len(name.encode('utf-8'))} bytes long; the sources cache "
                f"takes at most {NAME_MAX} (the file system's 255, less room for '.part')")
    return reserved_reason(name)


def reserved_reason(name: str) -> str | None:
    """Names the cache (or a mirror written from it) uses for its own files.

    The cache keeps its verified record in `.verified.json` (fetch.RECORD_NAME) and writes
    temporary files as `.NAME...tmp`; all such names start with a dot, so every dot name is
    refused rather than a list that must follow fetch.py. A download in progress is
    `NAME.part`, so a package called `x.part` would be the partial file of a package `x`;
    `invoke mirror` writes `MD5SUMS` beside the files.
    """
    if name.startswith("."):
        return (f"its file name {name!r} starts with '.': the sources cache keeps its own "
                f"records under such names (.verified.json, temporary files)")
    if name.endswith(PART_SUFFIX):
        return (f"its file name {name!r} ends in {PART_SUFFIX!r}: the sources cache names "
                f"unfinished downloads so")
    if name == MIRROR_SUMS:
        return f"its file name {name!r} is the checksum list `invoke mirror` writes"
    return None


def load_packages(path: str | Path) -> PackageList:
    """Load and validate a packages file; raises DataFileError naming file, line and field."""
    path = Path(path)
    text = read_text(path, "set lfs.packages to your packages file (see README)")
    return parse_packages(text, path)


def parse_packages(text: str, path: Path) -> PackageList:
    """Validate from text; pure, so tests can feed it broken documents directly."""
    where = str(path)
    root = compose(text, where)
    if not isinstance(root, yaml.MappingNode):
        raise DataFileError(where, line(root), None,
                            "expected a mapping with 'release', 'packages' and 'patches'")
    top = mapping(root, where)
    for key, (knode, _) in top.items():
        if key not in TOP_KEYS:
            raise DataFileError(where, line(knode), key,
                                f"unknown top-level key; allowed: {', '.join(TOP_KEYS)}")
    if "release" not in top:
        raise DataFileError(where, 1, "release", "missing the release identifier (e.g. release: '12.3')")
    release = scalar(top["release"][1], where, "release")
    if "packages" not in top:
        raise DataFileError(where, 1, "packages", "missing the 'packages' list")

    result: dict[str, Package] = {}
    files: dict[str, Package] = {}
    for section, kind in (("packages", "package"), ("patches", "patch")):
        if section not in top:
            continue
        seq = top[section][1]
        if not isinstance(seq, yaml.SequenceNode):
            raise DataFileError(where, line(seq), section, "expected a list of entries")
        for item in seq.value:
            pkg = _entry(item, where, kind)
            if pkg.name in result:
                first = result[pkg.name].line
                raise DataFileError(where, pkg.line, "name",
                                    f"duplicate name {pkg.name!r} (first defined on line {first})",
                                    "every package and patch needs a unique name")
            twin = files.setdefault(pkg.filename, pkg)
            if twin is not pkg:
                raise DataFileError(where, pkg.line, "url",
                                    f"{pkg.name!r} has the same file name {pkg.filename!r} as "
                                    f"{twin.name!r} (line {twin.line})",
                                    "both would be written to one file in the sources cache; "
                                    "every entry needs its own file")
            result[pkg.name] = pkg
    return PackageList(path=path, release=release, packages=result)


def _entry(node: yaml.Node, where: str, kind: str) -> Package:
    fields = checked_fields(node, where, None, REQUIRED, OPTIONAL, missing_in="entry",
                            label_key="name", not_mapping="each entry must be a mapping with "
                                                          "name, version, url, md5")
    values = {k: scalar(fields[k][1], where, k) for k in REQUIRED}
    at = line(node)
    name = values["name"]
    if not NAME_RE.match(name):
        raise DataFileError(where, line(fields["name"][1]), "name",
                            f"{name!r} is not a valid name (lowercase letters, digits, + . _ -)")
    md5 = values["md5"].lower()
    if not MD5_RE.match(md5) and md5 != UNKNOWN_MD5:
        raise DataFileError(where, line(fields["md5"][1]), "md5",
                            f"{values['md5']!r} is not an md5 checksum (32 hex digits)",
                            f"'{UNKNOWN_MD5}' only where the book publishes no checksum")
    _check_url(values["url"], where, line(fields["url"][1]), "url")
    problem = filename_problem(filename_of(values["url"]))
    if problem:
        raise DataFileError(where, line(fields["url"][1]), "url", f"{values['url']!r}: {problem}",
                            "the URL must end in the plain file name of the tarball or patch, "
                            "e.g. https://host/path/foo-1.0.tar.xz")
    sha256 = None
    if "sha256" in fields:
        sha256 = scalar(fields["sha256"][1], where, "sha256").lower()
        if not SHA256_RE.match(sha256):
            raise DataFileError(where, line(fields["sha256"][1]), "sha256",
                                "not a sha256 checksum (64 hex digits)")
    mirrors: tuple[str, ...] = ()
    if "mirrors" in fields:
        mnode = fields["mirrors"][1]
        if not isinstance(mnode, yaml.SequenceNode):
            raise DataFileError(where, line(mnode), "mirrors", "expected a list of URLs")
        mirrors = tuple(scalar(m, where, "mirrors") for m in mnode.value)
        for m, mn in zip(mirrors, mnode.value):
            _check_url(m, where, line(mn), "mirrors")
    size_kb = None
    if "size_kb" in fields:
        raw = scalar(fields["size_kb"][1], where, "size_kb")
        # [0-9], not str.isdigit(): that also accepts '²', which int() then refuses
        if not re.fullmatch(r"[0-9]+", raw):
            raise DataFileError(where, line(fields["size_kb"][1]), "size_kb",
                                f"{raw[:40]!r} is not a whole number of kilobytes",
                                "give the book's download size in kilobytes (digits 0-9), "
                                "or leave it out")
        if len(raw.lstrip("0")) > len(str(MAX_SIZE_KB)) or int(raw) > MAX_SIZE_KB:
            raise DataFileError(where, line(fields["size_kb"][1]), "size_kb",
                                f"{raw[:20]}{'...' if len(raw) > 20 else ''} kB is not a "
                                f"believable download size (at most {MAX_SIZE_KB} kB)",
                                "give the book's download size in kilobytes, or leave it out")
        size_kb = int(raw)
    return Package(name=name, version=values["version"], url=values["url"], md5=md5,
                   kind=kind, sha256=sha256, mirrors=mirrors, size_kb=size_kb, line=at)


def _check_url(url: str, where: str, at: int, field_name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme in ("ftp", "ftps"):
        raise DataFileError(where, at, field_name, f"{url!r}: lfsbuild cannot download "
                            f"{parts.scheme}:// (only http, https, file)",
                            "use the https:// URL of the same file (most FTP mirrors serve "
                            "their files over HTTPS too)")
    if parts.scheme not in URL_SCHEMES or (parts.scheme != "file" and not parts.netloc):
        raise DataFileError(where, at, field_name, f"{url!r} is not a valid URL",
                            "use an absolute http(s):// or file:// URL")

