"""`invoke book-update`: a new LFS release is a data change to packages.yaml, nothing more.

The release's wget-list and md5sums say which files it has; each file is matched to an
existing entry by what its file name says (gcc-14.2.0.tar.xz and gcc-15.1.0.tar.xz are both
"gcc"), so entry *names* stay stable and recipes keep working. The new file is produced by
editing the old text in place (only the changed values, removed entries and new entries), so
header comments, ordering and layout survive and the diff shows exactly what the release
changed. Planning is pure text -> text; reading URLs and writing the file are separate acts.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lfsbuild.errors import ConfigError, DataFileError, FetchError
from .packages import NAME_RE, Package, filename_of, parse_packages
from .release_lists import FileName, ListedFile, parse_filename, read_release


@dataclass(frozen=True)
class Updated:
    name: str
    old: Package
    new: ListedFile
    mirrors_stale: tuple[str, ...] = ()   # mirrors we could not carry over to the new file
    dropped_sha256: bool = False

    @property
    def what(self) -> str:
        if self.old.filename != self.new.filename:
            return f"{self.old.version} -> {self.new.name.version or self.new.filename}"
        if self.old.md5 != self.new.md5:
            return "same file name, new md5 (re-rolled upstream?)"
        return f"new URL {self.new.url}"


@dataclass(frozen=True)
class UpdatePlan:
    """What a release changes in packages.yaml, and the new text. Pure data."""

    path: Path
    old_release: str
    release: str
    updated: tuple[Updated, ...]
    added: tuple[tuple[str, ListedFile], ...]
    removed: tuple[Package, ...]
    unchanged: int
    old_text: str
    new_text: str
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text

    def diff(self) -> str:
        name = self.path.name
        return "".join(difflib.unified_diff(self.old_text.splitlines(keepends=True),
                                            self.new_text.splitlines(keepends=True),
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))

    def report(self, used_by: dict[str, list[str]] | None = None) -> str:
        """The human summary: every update, addition and removal (with the recipes it breaks)."""
        used_by = used_by or {}
        lines = [f"book-update: {self.path.name} {self.old_release} -> {self.release}: "
                 f"{len(self.updated)} updated, {len(self.added)} new, {len(self.removed)} removed, "
                 f"{self.unchanged} unchanged"]
        for u in self.updated:
            lines.append(f"  updated  {u.name:24} {u.what}")
            if u.mirrors_stale:
                lines.append(f"           mirrors left as they were (check them): "
                             f"{', '.join(u.mirrors_stale)}")
            if u.dropped_sha256:
                lines.append("           sha256 removed: md5sums cannot vouch for it")
        for name, f in self.added:
            lines.append(f"  new      {name:24} {f.name.version or '-':12} {f.filename}")
        for p in self.removed:
            users = used_by.get(p.name, [])
            lines.append(f"  removed  {p.name:24} {p.version:12} "
                         + (f"still used by: {', '.join(users)}" if users else "used by no recipe"))
        lines += [f"note: {n}" for n in self.notes]
        if any(used_by.get(p.name) for p in self.removed):
            lines.append("note: the recipes listed above refer to removed packages; edit them "
                         "(book/*/NNN-*.sh headers) before building this release")
        return "\n".join(lines)


# ============================================================================ matching (pure)

def match_files(packages: list[Package], files: list[ListedFile]) -> tuple[
        dict[str, ListedFile], list[ListedFile], list[Package]]:
    """(existing name -> its new file, new files, removed entries).

    Matched first by the stem of the file names (what stays the same across versions), then by
    entry name for a file that was renamed upstream but still proposes the same name."""
    by_stem: dict[tuple[str, str], Package] = {}
    for p in packages:
        key = (p.kind, parse_filename(p.filename).stem)
        if key in by_stem:
            raise ConfigError(f"{p.name} and {by_stem[key].name} look like the same package "
                              f"({key[1]}): cannot tell which one a new release updates",
                              "rename one of the files' entries or update this entry by hand")
        by_stem[key] = p
    matched: dict[str, ListedFile] = {}
    unmatched: list[ListedFile] = []
    for f in files:
        p = by_stem.get((f.name.kind, f.name.stem))
        if p is not None and p.name not in matched:
            matched[p.name] = f
        else:
            unmatched.append(f)
    left = {p.name: p for p in packages if p.name not in matched}
    new: list[ListedFile] = []
    for f in unmatched:
        p = left.get(f.name.proposed)
        if p is not None and p.kind == f.name.kind:
            matched[p.name] = f
            del left[p.name]
        else:
            new.append(f)
    return matched, new, list(left.values())


def stable_name(name: FileName, taken: set[str]) -> str:
    """A packages.yaml name for a new file: the name its file proposes, made unique."""
    base = "".join(c for c in name.proposed if c.isalnum() or c in "+._-").lstrip("._-+") or "package"
    candidate, n = base, 2
    while candidate in taken or not NAME_RE.match(candidate):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# ============================================================================ text editing (pure)

@dataclass
class _Edits:
    """Character-range replacements on the original text, applied back to front."""

    text: str
    edits: list[tuple[int, int, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.offsets = [0]
        for line in self.text.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))

    def replace(self, node: yaml.Node, new: str) -> None:
        self._add(node.start_mark.index, node.end_mark.index, new)

    def delete_lines(self, first: int, last: int) -> None:
        self._add(self.offsets[first], self.offsets[last + 1], "")

    def insert_at_line(self, line: int, text: str) -> None:
        if line >= len(self.offsets) - 1 and not self.text.endswith("\n"):
            text = "\n" + text
        at = self.offsets[min(line, len(self.offsets) - 1)]
        self._add(at, at, text)

    def _add(self, start: int, end: int, new: str) -> None:
        self.edits.append((start, end, len(self.edits), new))   # seq: inserts keep their order

    def apply(self) -> str:
        out = self.text
        for start, end, _, new in sorted(self.edits, reverse=True):
            out = out[:start] + new + out[end:]
        return out


@dataclass(frozen=True)
class _Located:
    """Where one entry lives in the text."""

    pkg: Package
    section: str
    first: int                           # 0-based line of "- name:" (or of comments above it)
    last: int                            # 0-based last line of its values
    key_col: int
    values: dict[str, tuple[yaml.Node, yaml.Node]]


def _last_line(node: yaml.Node) -> int:
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line
    children = node.value if isinstance(node, yaml.SequenceNode) else [
        n for pair in node.value for n in pair]
    return max([node.start_mark.line] + [_last_line(c) for c in children])


def _locate(text: str, packages: dict[str, Package]) -> tuple[
        dict[str, _Located], yaml.MappingNode]:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = text.splitlines()
    top = {k.value: (k, v) for k, v in root.value}
    found: dict[str, _Located] = {}
    for section in ("packages", "patches"):
        if section not in top:
            continue
        for item in top[section][1].value:
            values = {k.value: (k, v) for k, v in item.value}
            pkg = packages[values["name"][1].value.strip()]
            first = item.start_mark.line
            while first > 0 and lines[first - 1].startswith((" ", "\t")) and \
                    lines[first - 1].strip().startswith("#"):
                first -= 1                # an indented comment right above belongs to the entry
            found[pkg.name] = _Located(pkg, section, first, _last_line(item),
                                       item.start_mark.column, values)
    return found, root


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _plain_or_quoted(value: str) -> str:
    safe = value and all(c.isalnum() or c in ":/._~%+@=?&,-" for c in value) and \
        not value.startswith(("-", "?", ":", "@", "%"))
    return value if safe else _quote(value)


def _render_entry(name: str, f: ListedFile, key_col: int) -> str:
    pad, dash = " " * key_col, " " * max(0, key_col - 2)
    return (f"{dash}- name: {name}\n{pad}version: {_quote(f.name.version or 'unknown')}\n"
            f"{pad}url: {_plain_or_quoted(f.url)}\n{pad}md5: {f.md5}\n")


def plan_update(old_text: str, path: Path, files: list[ListedFile], release: str) -> UpdatePlan:
    """The packages file rewritten for the release whose files are `files`. Pure."""
    plist = parse_packages(old_text, path)
    packages = list(plist.all())
    located, root = _locate(old_text, plist.packages)
    matched, new_files, removed = match_files(packages, files)
    ed = _Edits(old_text)
    notes: list[str] = []

    release_node = next(v for k, v in root.value if k.value == "release")
    if plist.release != release:
        ed.replace(release_node, _quote(release))
        if plist.release in old_text[:release_node.start_mark.index]:
            notes.append(f"the header comments still speak of {plist.release}; "
                         "review them for the new release")

    updated, unchanged = [], 0
    for p in packages:
        f = matched.get(p.name)
        if f is None:
            continue
        if (f.filename, f.md5, f.url) == (p.filename, p.md5, p.url):
            unchanged += 1
            continue
        updated.append(_update_entry(ed, located[p.name], f))

    for p in removed:
        loc = located[p.name]
        ed.delete_lines(loc.first, loc.last)

    taken = set(plist.packages)
    added: list[tuple[str, ListedFile]] = []
    key_col = next(iter(located.values())).key_col if located else 4
    for f in new_files:
        name = stable_name(f.name, taken)
        taken.add(name)
        added.append((name, f))
        section = "patches" if f.name.kind == "patch" else "packages"
        block = _render_entry(name, f, key_col)
        peers = [located[p.name] for p in packages if located[p.name].section == section]
        after = [loc for loc in peers if loc.pkg.name > name]
        if after:
            ed.insert_at_line(after[0].first, block)
        elif peers:
            ed.insert_at_line(peers[-1].last + 1, block)
        else:
            ed.insert_at_line(len(old_text.splitlines()), f"{section}:\n{block}")
    added.sort(key=lambda a: (a[1].name.kind, a[0]))

    new_text = ed.apply()
    parse_packages(new_text, path)     # never hand back a file lfsbuild itself would reject
    return UpdatePlan(path, plist.release, release, tuple(updated), tuple(added), tuple(removed),
                      unchanged, old_text, new_text, tuple(notes))


def _update_entry(ed: _Edits, loc: _Located, f: ListedFile) -> Updated:
    """Edit one entry's values in place for its new file; mirrors follow the version if they can."""
    p = loc.pkg
    version = f.name.version or p.version
    if version != p.version:
        ed.replace(loc.values["version"][1], _quote(version))
    if f.url != p.url:
        ed.replace(loc.values["url"][1], _plain_or_quoted(f.url))
    if f.md5 != p.md5:
        ed.replace(loc.values["md5"][1], f.md5)
    stale: list[str] = []
    if "mirrors" in loc.values and f.filename != p.filename:
        for mnode in loc.values["mirrors"][1].value:
            moved = mnode.value.replace(p.version, version) if p.version else mnode.value
            if filename_of(moved) == f.filename:
                ed.replace(mnode, _plain_or_quoted(moved))
            else:
                stale.append(mnode.value)
    dropped = "sha256" in loc.values and f.md5 != p.md5
    # sha256 and the download size describe the old file; the lists carry neither
    for key in ("sha256", "size_kb"):
        if key in loc.values and f.md5 != p.md5:
            knode, vnode = loc.values[key]
            ed.delete_lines(knode.start_mark.line, _last_line(vnode))
    return Updated(p.name, p, f, tuple(stale), dropped)


# ============================================================================ acting

def read_input(spec: str, timeout: float = 30.0) -> tuple[str, str]:
    """(text, where) from a local file, a file:// URL or an http(s):// URL."""
    if spec.startswith(("http://", "https://")):
        import requests
        try:
            resp = requests.get(spec, timeout=timeout)
            resp.raise_for_status()
        except requests.RequestException as exc:
            raise FetchError(f"cannot download {spec}: {exc}",
                             "check the URL, or download the file and pass its path") from None
        return resp.text, spec
    path = Path(spec.removeprefix("file://"))
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except FileNotFoundError:
        raise DataFileError(str(path), None, None, "file not found",
                            "pass the release's wget-list/md5sums as a path or URL") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(str(path), None, None, f"cannot read: {exc}") from None


@dataclass(frozen=True)
class UpdateResult:
    plan: UpdatePlan
    used_by: dict[str, list[str]]
    written: bool


def book_update(packages_path: Path, wget_list: str, md5sums: str, release: str,
                write: bool = False, timeout: float = 30.0,
                used_by: Callable[[list[str]], dict[str, list[str]]] | None = None) -> UpdateResult:
    """Plan the update of `packages_path` for `release`; write it (atomically) only if asked.

    `used_by` answers "which recipes still use these removed packages" (the build side knows
    its recipes; the package list does not).
    """
    from lfsbuild.atomic import atomic_write
    if not release.strip():
        raise ConfigError("--release is empty", "give the new release's number, e.g. --release 12.4")
    wget_text, wget_where = read_input(wget_list, timeout)
    md5_text, md5_where = read_input(md5sums, timeout)
    files = read_release(wget_text, wget_where, md5_text, md5_where)
    try:
        old_text = packages_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(str(packages_path), None, None, f"cannot read: {exc}",
                            "set lfs.packages to the packages file to update") from None
    plan = plan_update(old_text, packages_path, files, release.strip())
    users: dict[str, list[str]] = {}
    if plan.removed and used_by is not None:
        users = used_by([p.name for p in plan.removed])
    if write and plan.changed:
        atomic_write(packages_path, plan.new_text.encode("utf-8"))
    return UpdateResult(plan, users, write and plan.changed)
