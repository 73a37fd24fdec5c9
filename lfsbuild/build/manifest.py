"""What every step installed: a snapshot of $LFS before and after it, and the difference.

lfsbuild runs every step itself, so it can answer the question the book's chapter 8
("Package Management") leaves to the reader - which package put this file here, and what did
that package install - without a package manager: the runner snapshots the tree before a step
(`snapshot`), again after it, and `diff` keeps what was created, modified and removed, with a
sha256 for every regular file the step wrote. The record (`Manifest`) is stored per step as
`<state dir>/manifests/<stage>/<step>.json` and is what `invoke owner` / `invoke files` and the
report read (`Index`), and what output equivalence compares (`Manifest.digest`).

Why a stat walk and not an overlay mount per step: an overlay's upper layer shows what a step
changed for free, but stages 1-2 run as an unprivileged user (no mounts), a step's writes must
land in $LFS itself (the next step builds on them; merging upper layers back is a second
copy), and "removed" becomes a whiteout to interpret. A walk that compares lstat results
costs about 0.1 s per 30,000 files here (bench/manifest.py), far below any step; only the
files a step wrote are read and hashed.

Everything but `snapshot`, `diff`'s hashing and the load/save helpers is pure; which
paths a step's record depends on on disk is `durable_paths`.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from lfsbuild.atomic import atomic_write, sha256_file

MANIFEST_VERSION = 1
MANIFEST_DIR = "manifests"

#: Top-level directories of $LFS never recorded, and why:
#: - `.lfsbuild`: lfsbuild's own state, logs and these manifests; they describe the build,
#:   they are not part of it (and change while a step runs).
#: - `sources`: the book's work area. The step's build directory lives in
#:   `sources/build/<stage>-<step>` and is deleted when the step succeeds; tarballs copied here
#:   are inputs, not installed files.
#: - `tmp`: scratch space (test suites, `mktemp`); the book's "Cleaning up" empties it, and a
#:   file left there by chance belongs to no package.
EXCLUDED = (".lfsbuild", "sources", "tmp")

# file types, one letter each (as in find -printf %y)
TYPES = {stat.S_IFREG: "f", stat.S_IFDIR: "d", stat.S_IFLNK: "l", stat.S_IFCHR: "c",
         stat.S_IFBLK: "b", stat.S_IFIFO: "p", stat.S_IFSOCK: "s"}


# ====================================================================================== snapshot

@dataclass(frozen=True)
class Stat:
    """What a walk records of one path: enough to tell "changed" without reading the file.

    A rewrite, `touch`, chmod, chown or a new link count moves mtime or ctime; a file replaced
    by rename gets a new inode. Directories compare by type, mode and owner only: their mtime
    moves whenever an entry inside is added, and that entry is recorded on its own.
    """

    type: str
    mode: int
    uid: int
    gid: int
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    target: str | None = None   # symlinks

    def same(self, other: "Stat") -> bool:
        if self.type != other.type or self.mode != other.mode or self.uid != other.uid \
                or self.gid != other.gid:
            return False
        if self.type == "d":
            return True
        return (self.size, self.mtime_ns, self.ctime_ns, self.ino, self.target) == \
            (other.size, other.mtime_ns, other.ctime_ns, other.ino, other.target)


@dataclass
class Snapshot:
    """The tree under `root` as `snapshot` saw it: '/'-rooted path -> Stat."""

    root: Path
    entries: dict[str, Stat]
    unreadable: list[str] = field(default_factory=list)   # directories we could not list
    seconds: float = 0.0


def _stat_of(st: os.stat_result, target: str | None) -> Stat:
    return Stat(TYPES.get(stat.S_IFMT(st.st_mode), "?"), stat.S_IMODE(st.st_mode), st.st_uid,
                st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, target)


def snapshot(root: Path, exclude: Iterable[str] = EXCLUDED) -> Snapshot:
    """lstat every path under `root` (os.scandir, no file is read), staying on its file system.

    Anything mounted below `root` (another file system: the chroot's /dev, /proc, a separate
    /boot) is left out, mount point included: it is not what a step installed, and walking a
    live /proc would never end the same way twice.
    """
    import time
    t0 = time.perf_counter()
    root = Path(root)
    dev = os.lstat(root).st_dev
    skip = {f"/{name}" for name in exclude}
    entries: dict[str, Stat] = {}
    unreadable: list[str] = []
    stack = [("", str(root))]
    while stack:
        rel_dir, host_dir = stack.pop()
        try:
            it = os.scandir(host_dir)
        except (PermissionError, NotADirectoryError, FileNotFoundError) as exc:
            if not isinstance(exc, FileNotFoundError):
                unreadable.append(rel_dir or "/")
            continue
        with it:
            for e in it:
                rel = f"{rel_dir}/{e.name}"
                if rel in skip:
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except FileNotFoundError:   # removed while we walked
                    continue
                if st.st_dev != dev:
                    continue
                target = None
                if stat.S_ISLNK(st.st_mode):
                    try:
                        target = os.readlink(e.path)
                    except OSError:
                        continue
                entries[rel] = _stat_of(st, target)
                if stat.S_ISDIR(st.st_mode):
                    stack.append((rel, e.path))
    return Snapshot(root, entries, unreadable, time.perf_counter() - t0)


# ==================================================================================== manifests

@dataclass(frozen=True)
class Entry:
    """One path a step created, modified or removed, as its manifest records it.

    For "removed" the attributes are those of the path before the step removed it. Times and
    inode numbers are not recorded: they differ on every run, and what a step installed does
    not depend on them.
    """

    path: str                    # '/'-rooted, as seen inside the chroot: /usr/bin/gcc
    kind: str                    # created | modified | removed
    type: str                    # f d l c b p s
    mode: int | None = None      # permission bits (None for symlinks)
    uid: int | None = None
    gid: int | None = None
    size: int | None = None      # regular files
    sha256: str | None = None    # regular files still present
    target: str | None = None    # symlinks

    def to_json(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None}

    @classmethod
    def from_json(cls, d: dict) -> "Entry":
        return cls(**d)

    @property
    def result(self) -> tuple:
        """What the path is after the step: the part output equivalence compares.

        Created and modified count alike: a step that runs again finds its own earlier output
        in place, so what it "creates" the first time it "modifies" the second.
        """
        if self.kind == "removed":
            return (self.path, "removed")
        return (self.path, self.type, self.mode, self.uid, self.gid, self.size, self.sha256,
                self.target)


@dataclass
class Manifest:
    """What one step installed into $LFS, as of its latest successful run."""

    step: str                          # stage/name
    package: str | None
    entries: list[Entry]
    finished: float = 0.0              # when the step's latest run ended (orders `owner` history)
    runs: int = 1                      # how many successful runs this record sums up
    unreadable: list[str] = field(default_factory=list)
    scan: dict = field(default_factory=dict)   # timings and counts of the latest run's scans

    @property
    def digest(self) -> str:
        """sha256 over every entry's `result`, sorted: equal iff the step left the same files."""
        items = sorted(e.result for e in self.entries)
        return hashlib.sha256(json.dumps(items, separators=(",", ":")).encode()).hexdigest()

    def count(self, kind: str) -> int:
        return sum(e.kind == kind for e in self.entries)

    @property
    def installed_bytes(self) -> int:
        """Bytes of the regular files the step created or modified (their size now)."""
        return sum(e.size or 0 for e in self.entries if e.kind != "removed" and e.type == "f")

    def summary(self) -> dict:
        """What the step record keeps (the report and `files` totals need no manifest read)."""
        return {"created": self.count("created"), "modified": self.count("modified"),
                "removed": self.count("removed"), "bytes": self.installed_bytes,
                "digest": self.digest}

    def to_json(self) -> bytes:
        data = {"version": MANIFEST_VERSION, "step": self.step, "package": self.package,
                "finished": self.finished, "runs": self.runs, "unreadable": self.unreadable,
                "scan": self.scan, "entries": [e.to_json() for e in self.entries]}
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> "Manifest":
        d = json.loads(raw)
        return cls(step=d["step"], package=d.get("package"),
                   entries=[Entry.from_json(e) for e in d["entries"]],
                   finished=d.get("finished", 0.0), runs=d.get("runs", 1),
                   unreadable=d.get("unreadable", []), scan=d.get("scan", {}))


def _entry(path: str, kind: str, st: Stat, sha: str | None) -> Entry:
    return Entry(path, kind, st.type, None if st.type == "l" else st.mode, st.uid, st.gid,
                 st.size if st.type == "f" else None, sha, st.target)


def changed_paths(before: Snapshot, after: Snapshot) -> tuple[list[str], list[str], list[str]]:
    """(created, modified, removed) paths, sorted (pure)."""
    b, a = before.entries, after.entries
    created, modified = [], []
    for path, st in a.items():
        old = b.get(path)
        if old is None:
            created.append(path)
        elif not old.same(st):
            modified.append(path)
    removed = [p for p in b if p not in a]
    return sorted(created), sorted(modified), sorted(removed)


def diff(before: Snapshot, after: Snapshot) -> tuple[list[Entry], list[str]]:
    """The entries of what changed between two snapshots, hashing the regular files written.

    Returns (entries, unreadable paths). A file that cannot be read (no permission) is
    recorded without its hash and listed, never skipped silently.
    """
    created, modified, removed = changed_paths(before, after)
    entries: list[Entry] = []
    unreadable: list[str] = []
    for kind, paths in (("created", created), ("modified", modified)):
        for path in paths:
            st = after.entries[path]
            sha = None
            if st.type == "f":
                try:
                    sha = sha256_file(after.root / path[1:])
                except FileNotFoundError:
                    continue   # gone again already: nothing a successor can see
                except OSError:
                    unreadable.append(path)
            entries.append(_entry(path, kind, st, sha))
    entries += [_entry(p, "removed", before.entries[p], None) for p in removed]
    entries.sort(key=lambda e: e.path)
    return entries, unreadable


def durable_paths(root: Path, entries: Iterable[Entry]) -> tuple[list[Path], list[Path]]:
    """What must reach the disk before a step with these entries may be recorded done (pure).

    (regular files, directories): every regular file the step created or modified (content
    and attributes), every directory it created or modified (attributes), and the directory
    holding each path it created, modified or removed (the name itself: a new symlink, a
    rename, an unlink). Files the step did not change were made durable by the step that did.
    """
    files: set[str] = set()
    dirs: set[str] = set()
    for e in entries:
        if e.kind != "removed":
            if e.type == "f":
                files.add(e.path)
            elif e.type == "d":
                dirs.add(e.path)
        dirs.add(str(PurePosixPath(e.path).parent))
    return ([root / p[1:] for p in sorted(files)],
            [root / p[1:] if p != "/" else root for p in sorted(dirs)])


def merge(previous: Manifest | None, entries: list[Entry]) -> list[Entry]:
    """A re-run's entries laid over the step's previous manifest (pure).

    A step that runs again finds its own earlier output in place: what it created then it
    "modifies" now, and what already exists unchanged (a `mkdir -p`'d directory) it does not
    touch at all. The step still installed those paths, so they stay in its manifest, and a
    path it created before and rewrote now is still "created" by it. Anything else the re-run
    did wins.
    """
    if previous is None:
        return list(entries)
    merged = {e.path: e for e in previous.entries}
    for e in entries:
        old = merged.get(e.path)
        if old is not None and old.kind == "created" and e.kind == "modified":
            e = Entry(**{**vars(e), "kind": "created"})
        merged[e.path] = e
    return sorted(merged.values(), key=lambda e: e.path)


@dataclass(frozen=True)
class Difference:
    """One path on which two manifests of the same step disagree, and in what (`differences`)."""

    path: str
    fields: tuple[str, ...]   # of: presence, removed, type, mode, owner, size, content, target
    text: str                 # for a person: "size 120 -> 124", "content (same size)", ...


def differences(first: Manifest, second: Manifest) -> list[Difference]:
    """Why two runs of one step did not install the same files, path by path (pure, sorted).

    Exactly the paths whose `Entry.result` differs - what makes `Manifest.digest`, and so
    output equivalence, tell the runs apart - spelled out field by field. Times are not part
    of a manifest: a file a run rewrote with the same bytes (only its mtime moved) is not a
    difference, and cannot be told from here. Shared by bench/manifest.py (two clean builds)
    and bench/real/equivalence.py (a stage run again with --force).
    """
    a = {e.path: e for e in first.entries}
    b = {e.path: e for e in second.entries}
    out: list[Difference] = []
    for path in sorted(a.keys() | b.keys()):
        x, y = a.get(path), b.get(path)
        if x is not None and y is not None and x.result == y.result:
            continue
        if x is None or y is None:
            there = x or y
            assert there is not None
            when = "first" if y is None else "second"
            out.append(Difference(path, ("presence",),
                                  f"only in the {when} run ({there.kind}, type {there.type})"))
            continue
        if (x.kind == "removed") != (y.kind == "removed"):
            gone = "first" if x.kind == "removed" else "second"
            out.append(Difference(path, ("removed",), f"removed by the {gone} run only"))
            continue
        fields: list[str] = []
        texts: list[str] = []
        if x.type != y.type:
            fields.append("type")
            texts.append(f"type {x.type} -> {y.type}")
        if x.mode != y.mode:
            fields.append("mode")
            texts.append(f"mode {_octal(x.mode)} -> {_octal(y.mode)}")
        if (x.uid, x.gid) != (y.uid, y.gid):
            fields.append("owner")
            texts.append(f"owner {x.uid}:{x.gid} -> {y.uid}:{y.gid}")
        if x.size != y.size:
            fields.append("size")
            texts.append(f"size {x.size} -> {y.size}")
        if x.sha256 != y.sha256:
            fields.append("content")
            if x.size == y.size:   # else "size" says it already
                texts.append("content (same size)")
        if x.target != y.target:
            fields.append("target")
            texts.append(f"link target {x.target} -> {y.target}")
        out.append(Difference(path, tuple(fields), ", ".join(texts)))
    return out


def _octal(mode: int | None) -> str:
    return "-" if mode is None else f"{mode:04o}"


# ========================================================================= the store and index

def manifest_path(state_dir: Path, step_id: str) -> Path:
    stage, name = step_id.split("/", 1)
    return state_dir / MANIFEST_DIR / stage / f"{name}.json"


def save(state_dir: Path, manifest: Manifest) -> Path:
    """Write atomically and durably: before a step's record says done, its manifest is on disk."""
    path = manifest_path(state_dir, manifest.step)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, manifest.to_json(), durable=True)
    return path


def load(state_dir: Path, step_id: str) -> Manifest | None:
    try:
        return Manifest.from_json(manifest_path(state_dir, step_id).read_bytes())
    except FileNotFoundError:
        return None


def load_all(state_dir: Path) -> Iterator[Manifest]:
    base = state_dir / MANIFEST_DIR
    if not base.is_dir():
        return
    for path in sorted(base.glob("*/*.json")):
        yield Manifest.from_json(path.read_bytes())


def pending_path(state_dir: Path, step_id: str) -> Path:
    return manifest_path(state_dir, step_id).with_suffix(".before")


def save_pending(state_dir: Path, step_id: str, snap: Snapshot, started: float) -> None:
    """Keep the "before" of a step while it runs, for the run that follows a failed attempt.

    A failed or killed attempt has already changed $LFS; the next attempt would see those
    files as already there, and a file only the failed attempt wrote would belong to no step.
    So the attempt that finally succeeds compares against the tree as it was before the
    first attempt. JSON, not pickle: the state directory lies inside $LFS, where chroot
    steps run as root, and reading it must never execute anything. Not durable: losing it
    to a power cut costs precision of one manifest, not correctness of the build.
    """
    path = pending_path(state_dir, step_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"started": started, "unreadable": snap.unreadable,
            "entries": {p: [st.type, st.mode, st.uid, st.gid, st.size, st.mtime_ns, st.ctime_ns,
                            st.ino, st.target] for p, st in snap.entries.items()}}
    atomic_write(path, json.dumps(data, separators=(",", ":")).encode(), durable=False)


def load_pending(state_dir: Path, step_id: str, root: Path) -> tuple[Snapshot, float] | None:
    try:
        data = json.loads(pending_path(state_dir, step_id).read_bytes())
        entries = {p: Stat(*v) for p, v in data["entries"].items()}
        return Snapshot(root, entries, list(data.get("unreadable", []))), float(data["started"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def drop_pending(state_dir: Path, step_id: str) -> None:
    pending_path(state_dir, step_id).unlink(missing_ok=True)


@dataclass(frozen=True)
class Write:
    """One step's write to one path, for `owner`'s history."""

    step: str
    package: str | None
    finished: float
    entry: Entry


class Index:
    """path -> every step that wrote it, oldest first: built on demand from the manifests.

    No index file to keep in sync: reading the manifests of a whole build is fast enough for
    an interactive query (bench/manifest.py measures it), and a manifest is then the one truth.
    History is ordered by when each step's latest run finished (a step re-run after later
    ones wrote last), ties in book order.
    """

    def __init__(self, manifests: Iterable[Manifest], order: dict[str, int] | None = None) -> None:
        order = order or {}
        self.manifests = {m.step: m for m in manifests}
        self.paths: dict[str, list[Write]] = {}
        ranked = sorted(self.manifests.values(),
                        key=lambda m: (m.finished, order.get(m.step, len(order))))
        for m in ranked:
            for e in m.entries:
                self.paths.setdefault(e.path, []).append(Write(m.step, m.package, m.finished, e))

    def history(self, path: str) -> list[Write]:
        return self.paths.get(normalize(path), [])

    def touching(self, paths: Iterable[str], steps: Iterable[str]) -> dict[str, list[str]]:
        """Of `steps`, those whose manifests name any of `paths`: step -> the paths (sorted)."""
        wanted = set(paths)
        hits: dict[str, list[str]] = {}
        for sid in steps:
            m = self.manifests.get(sid)
            if m is None:
                continue
            common = sorted(wanted.intersection(e.path for e in m.entries))
            if common:
                hits[sid] = common
        return hits


def normalize(path: str) -> str:
    """'/'-rooted, no '.', '..' or double slashes: the form manifests use."""
    parts: list[str] = []
    for p in PurePosixPath("/", path).parts[1:]:
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/" + "/".join(parts)

