"""Getting every source onto the machine, verified: plan, download, verify, mirror.

`plan()` is pure bookkeeping on file metadata (no hashing, no network), which is what makes a
second `invoke fetch` instant. `fetch()` acts: several workers, one requests session each with
urllib3 retries, bytes hashed as they stream into `<file>.part`, fsync, rename — so a file under
its final name is always a verified one. A `.part` left by a crash resumes with a Range request.
The bytes stored are the bytes on the wire (never content-decoded first), and a source that
sends more than the package can be (SIZE_FACTOR) or makes too little progress (STALL_MIN_RATE)
is given up for the next one.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator
from urllib.parse import unquote, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.util.retry import Retry

from lfsbuild.atomic import atomic_write, fsync_dir
from lfsbuild.errors import FetchError
from .packages import UNKNOWN_MD5, Package
from .pins import may_take_first, not_first_use, pin, with_pins

if TYPE_CHECKING:
    from lfsbuild.settings import Settings

CHUNK = 1 << 16
RECORD_NAME = ".verified.json"
USER_AGENT = "lfsbuild (https://www.linuxfromscratch.org/ source fetcher)"

SIZE_FACTOR = 4
"""A download may reach SIZE_FACTOR x the package's `size_kb` (+ SIZE_SLACK) before it is cut.

The book's sizes are rounded, and a user who bumps a version in packages.yaml may leave the
old size_kb; no new release of an LFS package is four times the old one. A body beyond that is
not the file the book describes (a wrong file, an error page that never ends, an endless
stream), and the md5 would reject it anyway: stopping early only saves the disk and the time.
"""
SIZE_SLACK = 1 << 20
"""Added to the size-based limit, so tiny patches (size_kb rounded up to 1) get room too."""
MAX_UNKNOWN_SIZE = 2 << 30
"""The cap for a package without `size_kb` (2 GiB): the largest LFS 12.3 source (the kernel)
is about 150 MB; this only stops an endless body from filling the disk. Set size_kb for a
package that really is bigger."""
STALL_MIN_RATE = 1024
"""Bytes per second a source must average over each `lfs.timeout` window to count as alive.

requests' timeout is per socket read, so a server sending a byte every few seconds never
trips it and holds the download for ever. 1 KiB/s is far below any useful link (the kernel
tarball would take two days at that rate) and far above a keep-alive trickle."""


# ----------------------------------------------------------------------------- plan

@dataclass(frozen=True)
class FetchItem:
    """One file to obtain, with every place it may come from, in order of preference."""

    package: Package
    dest: Path
    sources: tuple[str, ...]
    unrecorded: bool = False  # present on disk but not known-good yet: hash before downloading


@dataclass(frozen=True)
class FetchPlan:
    present: tuple[Package, ...]
    todo: tuple[FetchItem, ...]


def sources_for(pkg: Package, mirrors: Iterable[str]) -> tuple[str, ...]:
    """Global mirrors first (base URL + file name), then the entry's own mirrors, then its URL."""
    urls = [f"{m.rstrip('/')}/{pkg.filename}" for m in mirrors]
    urls += list(pkg.mirrors) + [pkg.url]
    return tuple(dict.fromkeys(urls))  # keep order, drop repeats


def plan(packages: Iterable[Package], cache: Path, mirrors: Iterable[str],
         record: "VerifiedRecord") -> FetchPlan:
    """Decide what needs work from file metadata alone: no hashing, no network."""
    mirrors = tuple(mirrors)
    present, todo = [], []
    for pkg in packages:
        dest = cache / pkg.filename
        try:
            st = dest.stat()
        except FileNotFoundError:
            todo.append(FetchItem(pkg, dest, sources_for(pkg, mirrors)))
            continue
        if pkg.md5 != UNKNOWN_MD5 and record.matches(pkg, st):   # unknown: hashed and pinned
            present.append(pkg)
        else:
            todo.append(FetchItem(pkg, dest, sources_for(pkg, mirrors), unrecorded=True))
    return FetchPlan(tuple(present), tuple(todo))


@dataclass(frozen=True)
class SizeLimit:
    """The most bytes a package's file may have, and how that number was reached."""

    bytes: int
    basis: str

    def __str__(self) -> str:
        return f"{self.bytes:,} bytes ({self.basis})"


def size_limit(pkg: Package) -> SizeLimit:
    """From the book's size when packages.yaml has one, else the global cap."""
    if pkg.size_kb:
        return SizeLimit(pkg.size_kb * 1024 * SIZE_FACTOR + SIZE_SLACK,
                         f"{SIZE_FACTOR} x size_kb {pkg.size_kb} + 1 MiB for {pkg.name}; "
                         f"if the file really is that big, correct its size_kb in packages.yaml")
    return SizeLimit(MAX_UNKNOWN_SIZE, f"no size_kb for {pkg.name} in packages.yaml: the global "
                                       f"cap; set size_kb if the file really is that big")


# ----------------------------------------------------------------------------- record

class VerifiedRecord:
    """What was verified, keyed by file name and pinned to size + mtime (BitBake-style stamp).

    A file whose size or mtime changed since it was hashed is simply not trusted any more.
    """

    def __init__(self, cache: Path) -> None:
        self.path = cache / RECORD_NAME
        self._lock = threading.Lock()
        try:
            data = json.loads(self.path.read_text())
            self._entries: dict[str, dict] = data if isinstance(data, dict) else {}
        except (FileNotFoundError, ValueError):
            self._entries = {}  # a missing or damaged record only costs a re-hash

    def matches(self, pkg: Package, st: os.stat_result) -> bool:
        e = self._entries.get(pkg.filename)
        return bool(e) and e.get("md5") == pkg.md5 and e.get("size") == st.st_size \
            and e.get("mtime_ns") == st.st_mtime_ns

    def add(self, pkg: Package, path: Path) -> None:
        st = path.stat()
        with self._lock:
            self._entries[pkg.filename] = {"md5": pkg.md5, "size": st.st_size,
                                           "mtime_ns": st.st_mtime_ns}
            self._save()

    def forget(self, pkg: Package) -> None:
        with self._lock:
            if self._entries.pop(pkg.filename, None) is not None:
                self._save()

    def _save(self) -> None:
        atomic_write(self.path, json.dumps(self._entries, indent=1, sort_keys=True).encode())


# ----------------------------------------------------------------------------- hashing

@dataclass
class Hashes:
    """md5 (what the book gives) plus sha256 when the entry has one, fed in one pass."""

    want_sha256: bool = False
    md5: "hashlib._Hash" = field(default_factory=hashlib.md5)
    sha256: "hashlib._Hash | None" = None

    def __post_init__(self) -> None:
        if self.want_sha256:
            self.sha256 = hashlib.sha256()

    def update(self, data: bytes | memoryview) -> None:
        self.md5.update(data)
        if self.sha256 is not None:
            self.sha256.update(data)

    def mismatch(self, pkg: Package) -> str | None:
        got = self.md5.hexdigest()
        if pkg.md5 == UNKNOWN_MD5:
            return None       # no checksum and no pin yet: first use (lfsbuild.sources.pins)
        if got != pkg.md5:
            return f"checksum mismatch: md5 expected {pkg.md5}, got {got}"
        if pkg.sha256 and self.sha256 is not None and self.sha256.hexdigest() != pkg.sha256:
            return f"checksum mismatch: sha256 expected {pkg.sha256}, got {self.sha256.hexdigest()}"
        return None


def hash_file(path: Path, pkg: Package, limit: int | None = None) -> Hashes:
    h = Hashes(want_sha256=bool(pkg.sha256))
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    left = limit
    with open(path, "rb") as f:
        while left is None or left > 0:
            n = f.readinto(buf) if left is None or left >= len(buf) else f.readinto(view[:left])
            if not n:
                break
            h.update(view[:n])
            if left is not None:
                left -= n
    return h


# ----------------------------------------------------------------------------- act

@dataclass
class Outcome:
    package: Package
    ok: bool
    source: str | None = None      # where the verified bytes came from
    downloaded: int = 0            # bytes transferred in this run
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, why)
    already: bool = False          # was present and merely (re)verified
    note: str = ""                 # taken on first use: its md5 was pinned (pins.pin)


@dataclass
class FetchReport:
    outcomes: list[Outcome]
    present: int
    seconds: float

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def fetched(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok and not o.already]

    @property
    def bytes(self) -> int:
        return sum(o.downloaded for o in self.outcomes)

    def summary(self) -> str:
        mb = self.bytes / 1e6
        rate = f", {mb / self.seconds:.1f} MB/s" if self.seconds > 0 and self.bytes else ""
        return (f"fetch: {len(self.fetched)} fetched ({mb:.1f} MB in {self.seconds:.1f} s{rate}), "
                f"{self.present + sum(o.already for o in self.outcomes)} already present, "
                f"{len(self.failed)} failed"
                + "".join(f"\n{o.note}" for o in self.outcomes if o.note))

    def failure_text(self) -> str:
        lines = []
        for o in self.failed:
            lines.append(f"{o.package.name} ({o.package.filename}):")
            lines += [f"    {src}: {why}" for src, why in o.failures] or ["    no source tried"]
        return "\n".join(lines)


@dataclass(frozen=True)
class FetchOptions:
    jobs: int = 4
    timeout: float = 30.0
    retries: int = 3
    offline: bool = False
    progress: bool | None = None  # None: only on a terminal


class _Sessions(threading.local):
    """One requests session per worker thread: connection reuse without sharing state."""

    def __init__(self, opts: FetchOptions) -> None:
        s = requests.Session()
        retry = Retry(total=opts.retries, connect=opts.retries, read=opts.retries,
                      status=opts.retries, backoff_factor=0.3, allowed_methods=["GET"],
                      status_forcelist=[429, 500, 502, 503, 504], raise_on_status=False,
                      respect_retry_after_header=False)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=2)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        s.headers["User-Agent"] = USER_AGENT
        s.headers["Accept-Encoding"] = "identity"  # we hash the bytes as stored, never decoded
        self.session = s


class _Progress:
    """The overall bar (bytes, files done) plus one short-lived bar per file in flight."""

    def __init__(self, files: int, enabled: bool | None) -> None:
        self.enabled = enabled
        self.files_total, self.files_done = files, 0
        off = enabled is False or (enabled is None and not sys.stderr.isatty())
        self.total = tqdm(total=0, unit="B", unit_scale=True, unit_divisor=1024, desc="fetch",
                          disable=off, position=0, dynamic_ncols=True, leave=True)
        self._lock = threading.Lock()
        self._slots = list(range(1, 64))
        self._refresh()

    def file_bar(self, name: str, size: int | None, initial: int) -> tqdm:
        with self._lock:
            slot = self._slots.pop(0) if self._slots else 0
            if size:
                self.total.total = (self.total.total or 0) + size
        return tqdm(total=size, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                    desc=name[:28].ljust(28), leave=False, position=slot,
                    disable=self.total.disable, dynamic_ncols=True)

    def close_file(self, bar: tqdm) -> None:
        with self._lock:
            slot = bar.pos if isinstance(bar.pos, int) else 0
            bar.close()
            if slot:
                self._slots.insert(0, abs(slot))

    def advance(self, n: int) -> None:
        self.total.update(n)

    def unadvance(self, n: int) -> None:
        with self._lock:
            self.total.update(-n)

    def done(self) -> None:
        with self._lock:
            self.files_done += 1
            self._refresh()

    def _refresh(self) -> None:
        self.total.set_postfix_str(f"{self.files_done}/{self.files_total} files", refresh=True)

    def close(self) -> None:
        self.total.close()


def fetch(todo: Iterable[FetchItem], cache: Path, record: VerifiedRecord,
          opts: FetchOptions = FetchOptions(), present: int = 0) -> FetchReport:
    """Obtain every item (hash-check first if already on disk); never raises for one bad file."""
    # largest first: with per-connection speed caps the biggest file bounds the total time,
    # so it must not start last (stable sort keeps the file's order among equals/unknowns)
    items = sorted(todo, key=lambda it: -(it.package.size_kb or 0))
    cache.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    progress = _Progress(len(items), opts.progress)
    sessions = _Sessions(opts)
    try:
        with ThreadPoolExecutor(max_workers=max(1, opts.jobs),
                                thread_name_prefix="fetch") as pool:
            outcomes = list(pool.map(
                lambda it: _obtain(it, record, sessions, opts, progress), items))
    finally:
        progress.close()
    return FetchReport(outcomes, present, time.monotonic() - start)


def _obtain(item: FetchItem, record: VerifiedRecord, sessions: _Sessions,
            opts: FetchOptions, progress: _Progress) -> Outcome:
    pkg = item.package
    out = Outcome(pkg, ok=False)
    try:
        if item.unrecorded:
            bad = hash_file(item.dest, pkg).mismatch(pkg)
            if bad is None:
                record.add(pkg, item.dest)
                out.ok, out.already, out.source = True, True, str(item.dest)
                out.note = pin(pkg, item.dest, "the sources cache", item.dest.parent)
                return out
            out.failures.append((str(item.dest), f"cached copy is corrupt ({bad}); replacing it"))
            record.forget(pkg)
        with _PartFile(item.dest) as part:
            for src in item.sources:
                if opts.offline and not src.startswith("file:"):
                    out.failures.append((src, "skipped: --offline"))
                    continue
                if pkg.md5 == UNKNOWN_MD5 and not may_take_first(src):
                    out.failures.append((src, not_first_use(pkg, item.dest.parent)))
                    continue
                why = _try_source(src, part, pkg, sessions, opts, progress, out)
                if why is None:
                    part.commit()
                    record.add(pkg, item.dest)
                    out.ok, out.source = True, src
                    out.note = pin(pkg, item.dest, src, item.dest.parent)
                    return out
                out.failures.append((src, why))
    except _DiskError as exc:
        out.failures.append(("local disk", str(exc)))
    except BlockingIOError:
        out.failures.append(("local cache", "another lfsbuild process is downloading this file "
                                            "right now; run fetch again when it is done"))
    finally:
        progress.done()
    return out


class _DiskError(Exception):
    """Writing to the cache failed: no point trying other sources."""


class _PartFile:
    """`<file>.part`, locked against a concurrent fetch of the same file."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.path = dest.with_name(dest.name + ".part")
        self.fd = -1

    def __enter__(self) -> "_PartFile":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if os.fstat(self.fd).st_size == 0 and self.path.exists():
            self.path.unlink()  # nothing worth resuming: leave no litter
        os.close(self.fd)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def truncate(self) -> None:
        os.ftruncate(self.fd, 0)

    def commit(self) -> None:
        os.fsync(self.fd)
        os.replace(self.path, self.dest)
        fsync_dir(self.dest.parent)


def _try_source(src: str, part: _PartFile, pkg: Package, sessions: _Sessions,
                opts: FetchOptions, progress: _Progress, out: Outcome) -> str | None:
    """Download from one source into the part file; None on verified success, else why not.

    A partial file from an earlier attempt is resumed, unless it is already past the package's
    size limit (then it is junk, never a prefix). If the result does not verify after a resume,
    the bytes kept from before may be the bad ones, so try once more from zero. If it does not
    verify and the server declared a Content-Encoding, it may really have compressed the file
    on the fly (despite `Accept-Encoding: identity`): try once more with the body decoded.
    """
    limit = size_limit(pkg)
    offset = part.size()
    if offset > limit.bytes:
        part.truncate()
        offset = 0
    att = _transfer(src, part, pkg, offset, limit, sessions, opts, progress, out)
    if att.mismatch and offset > 0:
        part.truncate()
        att = _transfer(src, part, pkg, 0, limit, sessions, opts, progress, out)
    if att.mismatch and att.coding:
        part.truncate()
        decoded = _transfer(src, part, pkg, 0, limit, sessions, opts, progress, out, decode=True)
        if decoded.why is None:
            att = decoded
        else:  # report the bytes as sent first, then what decoding them gave
            att = _Attempt(f"{att.why} (the server labelled the body Content-Encoding: "
                           f"{att.coding}; decoded, it fails too: {decoded.why})",
                           mismatch=True, discard=True)
    if att.discard:
        part.truncate()  # wrong bytes are useless for the next source's resume
    return att.why


@dataclass(frozen=True)
class _Attempt:
    """How one transfer ended: `why` is None on verified success."""

    why: str | None
    mismatch: bool = False      # complete, but the checksum is wrong
    discard: bool = False       # the .part holds bytes no resume may build on
    coding: str | None = None   # the Content-Encoding the server declared, if any


@dataclass
class _Body:
    """An opened source: its chunks, the full size if known, and where the chunks start."""

    chunks: Iterator[bytes]
    size: int | None
    offset: int
    hashes: Hashes
    close: Callable[[], None]
    coding: str | None = None   # declared Content-Encoding (not identity)


def _transfer(src: str, part: _PartFile, pkg: Package, offset: int, limit: SizeLimit,
              sessions: _Sessions, opts: FetchOptions, progress: _Progress, out: Outcome,
              decode: bool = False) -> _Attempt:
    hashes = hash_file(part.path, pkg, limit=offset) if offset else Hashes(bool(pkg.sha256))
    try:
        if src.startswith("file:"):
            body = _open_file_source(src, offset, part, hashes, pkg)
        else:
            body = _open_http_source(src, offset, part, hashes, pkg, sessions, opts, decode)
    except requests.exceptions.HTTPError as exc:
        return _Attempt(_http_reason(exc))
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        return _Attempt(_net_reason(exc))
    except OSError as exc:
        return _Attempt(f"cannot read: {exc.strerror or exc}")
    try:
        if body.size is not None and body.size > limit.bytes:
            return _Attempt(f"too big: the source announces {body.size:,} bytes, over the "
                            f"limit of {limit}", coding=body.coding)
        return _stream(body, part, pkg, limit, opts, progress, out)
    finally:
        body.close()


def _stream(body: _Body, part: _PartFile, pkg: Package, limit: SizeLimit, opts: FetchOptions,
            progress: _Progress, out: Outcome) -> _Attempt:
    """The hot loop: write, hash, and watch both the size limit and the progress rate.

    Progress is judged per window of `opts.timeout` seconds, so a trickle that keeps every
    single read under the timeout still counts as dead (see STALL_MIN_RATE).
    """
    hashes, offset = body.hashes, body.offset
    bar = progress.file_bar(pkg.filename, body.size, offset)
    room = limit.bytes - offset          # bytes this transfer may still add
    window = opts.timeout
    need = max(1, int(STALL_MIN_RATE * window))
    got = 0
    win_start, win_got = time.monotonic(), 0
    try:
        os.lseek(part.fd, offset, os.SEEK_SET)
        for chunk in body.chunks:
            n = len(chunk)
            if got + n > room:
                part.truncate()
                progress.unadvance(got)
                return _Attempt(f"too big: the body went past the limit of {limit}; "
                                f"partial download discarded",
                                discard=True, coding=body.coding)
            try:
                _write_all(part.fd, chunk)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise _DiskError(f"disk full writing {part.path}: free some space in "
                                     f"{part.path.parent} and run fetch again "
                                     f"(the partial download is kept and resumes)") from None
                raise _DiskError(f"cannot write {part.path}: {exc.strerror}") from None
            hashes.update(chunk)
            got += n
            bar.update(n)
            progress.advance(n)
            now = time.monotonic()
            if now - win_start >= window:
                if got - win_got < need:
                    return _Attempt(
                        f"stalled: {got - win_got} bytes in {now - win_start:.1f} s, less than "
                        f"{STALL_MIN_RATE} bytes/s over lfs.timeout ({window:g} s), after "
                        f"{offset + got} bytes (kept for resume)", coding=body.coding)
                win_start, win_got = now, got
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        return _Attempt(_net_reason(exc, after=got), coding=body.coding)
    except OSError as exc:
        return _Attempt(f"read error after {got} bytes: {exc.strerror or exc}",
                        coding=body.coding)
    finally:
        out.downloaded += got
        progress.close_file(bar)
    bad = hashes.mismatch(pkg)
    return _Attempt(bad, mismatch=bad is not None, discard=bad is not None, coding=body.coding)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _open_file_source(src: str, offset: int, part: _PartFile, hashes: Hashes,
                      pkg: Package) -> _Body:
    path = Path(unquote(urlsplit(src).path))
    f = open(path, "rb")
    size = os.fstat(f.fileno()).st_size
    if offset > size:  # our partial is longer than the file: it cannot be a prefix
        part.truncate()
        hashes = Hashes(bool(pkg.sha256))
        offset = 0
    f.seek(offset)

    def chunks() -> Iterator[bytes]:
        while True:
            b = f.read(CHUNK)
            if not b:
                return
            yield b
    return _Body(chunks(), size, offset, hashes, f.close)


def _open_http_source(src: str, offset: int, part: _PartFile, hashes: Hashes, pkg: Package,
                      sessions: _Sessions, opts: FetchOptions, decode: bool = False) -> _Body:
    """GET (with Range when resuming) and hand back the body as the bytes on the wire.

    requests' `iter_content` would undo a Content-Encoding, and servers label `.tar.gz` files
    `Content-Encoding: gzip` (Apache's AddEncoding) although the book's md5 is of the gzip
    file itself: so the raw stream is read with `decode_content=False`, which also keeps
    Range offsets in stored bytes. `decode=True` is the fallback for a server that really
    compressed on the fly. `read1` returns as soon as any bytes arrive, so the caller sees
    progress (or its absence) per network read, not per 64 KiB.
    """
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    timeout = (min(opts.timeout, 10.0), opts.timeout)
    resp = sessions.session.get(src, stream=True, timeout=timeout, headers=headers,
                                allow_redirects=True)
    try:
        if offset and resp.status_code == 416:  # partial already complete, or longer than the file
            resp.close()
            part.truncate()
            hashes = Hashes(bool(pkg.sha256))
            offset = 0
            resp = sessions.session.get(src, stream=True, timeout=timeout)
        resp.raise_for_status()
    except BaseException:
        resp.close()
        raise
    if offset and (resp.status_code != 206 or not _range_starts_at(resp, offset)):
        # the server ignored Range: start over cleanly with what it sends
        part.truncate()
        hashes = Hashes(bool(pkg.sha256))
        offset = 0
    coding = resp.headers.get("Content-Encoding", "").strip().lower()
    coding = None if coding in ("", "identity") else coding
    length = _content_length(resp) if not (decode and coding) else None
    size = length + offset if length is not None else None
    raw = resp.raw
    read1 = getattr(raw, "read1", None)  # urllib3 >= 2.2

    def chunks() -> Iterator[bytes]:
        if read1 is None:
            yield from raw.stream(CHUNK, decode_content=decode)
            return
        while True:
            b = read1(CHUNK, decode_content=decode)
            if not b:
                return
            yield b
    return _Body(chunks(), size, offset, hashes, resp.close, coding)


def _content_length(resp: requests.Response) -> int | None:
    """The announced body length, or None when absent or not a sane number."""
    text = resp.headers.get("Content-Length", "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _range_starts_at(resp: requests.Response, offset: int) -> bool:
    cr = resp.headers.get("Content-Range", "")
    try:
        return int(cr.split()[1].split("-")[0]) == offset
    except (IndexError, ValueError):
        return False


def _http_reason(exc: requests.exceptions.HTTPError) -> str:
    r = exc.response
    return f"HTTP {r.status_code} {r.reason}" if r is not None else str(exc)


def _net_reason(exc: requests.RequestException | urllib3.exceptions.HTTPError,
                after: int = 0) -> str:
    kind: dict[type, str] = {
        requests.exceptions.ConnectTimeout: "connect timeout",
        requests.exceptions.ReadTimeout: "timed out waiting for data",
        requests.exceptions.ChunkedEncodingError: "connection broken mid-transfer",
        requests.exceptions.SSLError: "TLS error",
        requests.exceptions.RetryError: "gave up after retries",
        requests.exceptions.ConnectionError: "connection failed",
        # raised by the raw body stream, which requests does not wrap
        urllib3.exceptions.ReadTimeoutError: "timed out waiting for data",
        urllib3.exceptions.SSLError: "TLS error",
        urllib3.exceptions.ProtocolError: "connection broken mid-transfer",
        urllib3.exceptions.DecodeError: "cannot decode the body"}
    label = next((v for k, v in kind.items() if isinstance(exc, k)), "request failed")
    text = str(exc)
    if "Read timed out" in text or "timed out" in text.lower():
        label = "timed out waiting for data"
    if after:
        label += f" after {after} bytes (kept for resume)"
    detail = text.split(":")[-1].strip(" ')\"")[:120]
    return f"{label}: {detail}" if detail else label


# ----------------------------------------------------------------------------- verify / mirror

@dataclass(frozen=True)
class VerifyResult:
    package: Package
    status: str            # "ok" | "missing" | "corrupt"
    detail: str = ""


def verify(packages: Iterable[Package], cache: Path, record: VerifiedRecord,
           on_result: Callable[[VerifyResult], None] | None = None) -> list[VerifyResult]:
    """Re-hash every file for real: the check that trusts nothing, not even the record (a file
    the book gives no checksum for is held to its pin; one without a pin yet is pinned)."""
    results = []
    for pkg in with_pins(packages, cache):
        path = cache / pkg.filename
        if not path.exists():
            res = VerifyResult(pkg, "missing", f"{path} does not exist")
            record.forget(pkg)
        else:
            bad = hash_file(path, pkg).mismatch(pkg)
            if bad:
                res = VerifyResult(pkg, "corrupt", bad)
                record.forget(pkg)
            else:
                res = VerifyResult(pkg, "ok", pin(pkg, path, "the sources cache", cache))
                record.add(pkg, path)
        results.append(res)
        if on_result:
            on_result(res)
    return results


def write_mirror(packages: Iterable[Package], cache: Path, dest: Path) -> Path:
    """Copy every (already verified) file flat into dest plus MD5SUMS for `md5sum -c`."""
    dest.mkdir(parents=True, exist_ok=True)
    lines, missing = [], []
    for pkg in with_pins(packages, cache):
        src = cache / pkg.filename
        if not src.exists():
            missing.append(pkg.name)
            continue
        target = dest / pkg.filename
        if not (target.exists() and hash_file(target, pkg).mismatch(pkg) is None):
            tmp = dest / f".{pkg.filename}.tmp"
            try:
                os.link(src, tmp)
            except OSError:
                shutil.copyfile(src, tmp)
            os.replace(tmp, target)
        lines.append(f"{pkg.md5}  {pkg.filename}\n")
    if missing:
        raise FetchError(f"cannot write the mirror: not in the sources cache: {', '.join(missing)}",
                         "run `invoke fetch` first")
    sums = dest / "MD5SUMS"
    atomic_write(sums, "".join(sorted(lines, key=lambda l: l.split()[1])).encode())
    return sums


def fetch_packages(settings: "Settings", packages: Iterable[Package], jobs: int | None = None,
                   offline: bool = False, progress: bool | None = None) -> FetchReport:
    """Plan, then fetch what the plan says is needed: the whole of `invoke fetch`."""
    settings.sources.mkdir(parents=True, exist_ok=True)
    record = VerifiedRecord(settings.sources)
    p = plan(with_pins(packages, settings.sources), settings.sources, settings.mirrors, record)
    if not p.todo:
        return FetchReport([], len(p.present), 0.0)
    opts = FetchOptions(jobs=jobs or settings.fetch_jobs, timeout=settings.timeout,
                        retries=settings.retries, offline=offline, progress=progress)
    return fetch(p.todo, settings.sources, record, opts, present=len(p.present))
