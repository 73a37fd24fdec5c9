"""Book chapter 2, "Host System Requirements": is this host able to build LFS?

The book's answer is a shell script whose output the reader judges by eye; a failure found
hours into chapter 5 costs a whole restart. Here the requirements are data
(host-requirements.yaml, next to packages.yaml, so a new release changes numbers, not code),
probing only *collects facts* (version outputs, link targets, a test compile, free space), and a
pure `evaluate` turns requirements + facts into a report. Tests feed `evaluate` made-up facts
and point the probes at fake tool directories and a fake root, never at the host's /bin/sh.

All probes run in parallel threads: the whole check takes a few tenths of a second, cheap
enough for `invoke stage1` to run it every time before it starts.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from lfsbuild.errors import DataFileError, HostError
from lfsbuild.sources.packages import load_packages
from lfsbuild.tables import format_table
from lfsbuild.yamldata import compose, read_text
from lfsbuild.yamldata import fields as checked_fields
from lfsbuild.yamldata import line as _line, mapping as _mapping, scalar as _scalar
from lfsbuild.settings import Settings

DEFAULT_REGEX = r"[0-9]+\.[0-9.]+[a-z]*"   # the book's version-check.sh: grep -E -o ... | head -n1
PROBE_TIMEOUT = 20.0                         # seconds; a --version that hangs is a broken tool
UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}
SIZE_RE = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB)\s*$", re.IGNORECASE)
REQUIREMENTS_FILE = "host-requirements.yaml"
PROJECT_REQUIREMENTS = Path(__file__).resolve().parents[2] / REQUIREMENTS_FILE


# ============================================================================ the requirements

@dataclass(frozen=True)
class Fix:
    """What to install on each host family (and run afterwards) to meet one requirement."""

    debian: str
    fedora: str
    debian_then: str | None = None
    fedora_then: str | None = None

    def lines(self) -> list[str]:
        deb = f"apt-get install -y {self.debian}" + (f" && {self.debian_then}" if self.debian_then else "")
        fed = f"dnf install -y {self.fedora}" + (f" && {self.fedora_then}" if self.fedora_then else "")
        return [f"Debian/Ubuntu: {deb}", f"Fedora/RHEL:   {fed}"]


@dataclass(frozen=True)
class ToolReq:
    name: str
    command: tuple[str, ...]
    regex: re.Pattern[str]
    minimum: str
    fix: Fix


@dataclass(frozen=True)
class LinkReq:
    """`path` (looked up inside the root) must be program `is`: its `--version` says `expect`."""

    path: str
    is_: str
    expect: str
    fix: Fix


@dataclass(frozen=True)
class CompileReq:
    command: tuple[str, ...]   # reads the program on stdin, writes ./a.out
    program: str
    fix: Fix


@dataclass(frozen=True)
class StageDisk:
    stage: str
    peak: int    # bytes: the largest build tree of the stage (exists one at a time)
    keeps: int   # bytes: what the stage leaves in $LFS


@dataclass(frozen=True)
class HostRequirements:
    path: Path
    release: str
    search_path: str                 # PATH the tools are looked up in (the book's /usr/bin:/bin)
    tools: tuple[ToolReq, ...]
    links: tuple[LinkReq, ...]
    compile: CompileReq
    kernel_minimum: str
    kernel_fix: Fix
    sources_size: int                # bytes: every package and patch of the release
    stages: tuple[StageDisk, ...]

    def disk_needed(self, remaining: tuple[str, ...]) -> int:
        """Bytes $LFS grows by while `remaining` stages run: what they keep + the largest peak."""
        todo = [s for s in self.stages if s.stage in remaining]
        return sum(s.keeps for s in todo) + max((s.peak for s in todo), default=0)


def default_requirements_path(settings: Settings) -> Path:
    """Next to the packages file in use (a custom release brings its own), else the project's."""
    beside = settings.packages.with_name(REQUIREMENTS_FILE)
    return beside if beside.is_file() else PROJECT_REQUIREMENTS


def load_requirements(path: str | Path) -> HostRequirements:
    path = Path(path)
    text = read_text(path, f"the host requirements live in {REQUIREMENTS_FILE} next to "
                           "packages.yaml; restore it from the project")
    return parse_requirements(text, path)


def parse_requirements(text: str, path: Path) -> HostRequirements:
    """Validate from text (pure); every complaint names the file, the line and the field."""
    where = str(path)
    root = compose(text, where)
    top = _fields(root, where, None, required=("release", "path", "tools", "links", "compile",
                                               "kernel", "disk"), optional=())
    tools = tuple(_tool(n, where) for n in _items(top["tools"], where, "tools"))
    names = [t.name for t in tools]
    for t, node in zip(tools, _items(top["tools"], where, "tools")):
        if names.count(t.name) > 1:
            raise DataFileError(where, _line(node), "name", f"tool {t.name!r} listed twice")
    links = tuple(_link(n, where) for n in _items(top["links"], where, "links"))
    comp = _fields(top["compile"], where, "compile", required=("command", "program", "debian", "fedora"),
                   optional=("debian_then", "fedora_then"))
    kern = _fields(top["kernel"], where, "kernel", required=("minimum", "debian", "fedora"),
                   optional=("debian_then", "fedora_then"))
    disk = _fields(top["disk"], where, "disk", required=("sources", "stages"), optional=())
    stages_node = disk["stages"]
    if not isinstance(stages_node, yaml.MappingNode):
        raise DataFileError(where, _line(stages_node), "stages", "expected stageN: {peak, keeps}")
    stages = []
    for name, (knode, vnode) in _mapping(stages_node, where).items():
        st = _fields(vnode, where, name, required=("peak", "keeps"), optional=())
        stages.append(StageDisk(name, _size(st["peak"], where, "peak"), _size(st["keeps"], where, "keeps")))
    return HostRequirements(
        path=path, release=_scalar(top["release"], where, "release"),
        search_path=_scalar(top["path"], where, "path"), tools=tools, links=links,
        compile=CompileReq(_strings(comp["command"], where, "command"),
                           _scalar(comp["program"], where, "program"), _fix(comp, where)),
        kernel_minimum=_version_field(kern["minimum"], where), kernel_fix=_fix(kern, where),
        sources_size=_size(disk["sources"], where, "sources"), stages=tuple(stages))


def _fields(node: yaml.Node, where: str, what: str | None, required: tuple[str, ...],
            optional: tuple[str, ...]) -> dict[str, yaml.Node]:
    out = checked_fields(node, where, what, required, optional, missing_in=what or "the file")
    return {k: v for k, (_, v) in out.items()}


def _items(node: yaml.Node, where: str, what: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise DataFileError(where, _line(node), what, "expected a non-empty list")
    return list(node.value)


def _strings(node: yaml.Node, where: str, what: str) -> tuple[str, ...]:
    return tuple(_scalar(n, where, what) for n in _items(node, where, what))


def _fix(fields: dict[str, yaml.Node], where: str) -> Fix:
    opt = {k: _scalar(fields[k], where, k) for k in ("debian_then", "fedora_then") if k in fields}
    return Fix(_scalar(fields["debian"], where, "debian"), _scalar(fields["fedora"], where, "fedora"),
               **opt)


def _version_field(node: yaml.Node, where: str) -> str:
    value = _scalar(node, where, "minimum")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*[a-z]*", value):
        raise DataFileError(where, _line(node), "minimum", f"{value!r} is not a version",
                            "write it as the book does, e.g. 4.0 or 2.5.1a")
    return value


def _tool(node: yaml.Node, where: str) -> ToolReq:
    f = _fields(node, where, "tools", required=("name", "command", "minimum", "debian", "fedora"),
                optional=("regex", "debian_then", "fedora_then"))
    pattern = _scalar(f["regex"], where, "regex") if "regex" in f else DEFAULT_REGEX
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise DataFileError(where, _line(f["regex"]), "regex", f"not a valid regex: {exc}") from None
    return ToolReq(_scalar(f["name"], where, "name"), _strings(f["command"], where, "command"),
                   regex, _version_field(f["minimum"], where), _fix(f, where))


def _link(node: yaml.Node, where: str) -> LinkReq:
    f = _fields(node, where, "links", required=("path", "is", "expect", "debian", "fedora"),
                optional=("debian_then", "fedora_then"))
    path = _scalar(f["path"], where, "path")
    if not path.startswith("/"):
        raise DataFileError(where, _line(f["path"]), "path", f"{path!r} must be absolute")
    return LinkReq(path, _scalar(f["is"], where, "is"), _scalar(f["expect"], where, "expect"),
                   _fix(f, where))


def _size(node: yaml.Node, where: str, what: str) -> int:
    value = _scalar(node, where, what)
    try:
        return parse_size(value)
    except ValueError as exc:
        raise DataFileError(where, _line(node), what, str(exc),
                            "write sizes as the book does: 677 MB, 4.8 GB, 1,360 KB") from None


def parse_size(text: str) -> int:
    """'4.8 GB' / '1,360 KB' / '677 MB' -> bytes (binary units: the safe side)."""
    m = SIZE_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a size like '677 MB' or '4.8 GB'")
    return int(float(m.group(1).replace(",", "")) * UNITS[m.group(2).upper()])


def fmt_size(n: int) -> str:
    for unit in ("GB", "MB", "KB"):
        if n >= UNITS[unit]:
            return f"{n / UNITS[unit]:.1f} {unit}"
    return f"{n} B"


# ============================================================================ versions

def extract_version(output: str, regex: re.Pattern[str]) -> str | None:
    """The version a program printed: the regex's first group, or its whole first match."""
    m = regex.search(output)
    if not m:
        return None
    return (m.group(1) if m.groups() else m.group(0)).rstrip(".")


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """'2.5.1a' -> ((2,''), (5,''), (1,'a')), trailing zeros dropped so 5.0 == 5.0.0."""
    parts = []
    for comp in version.strip(".").split("."):
        m = re.match(r"([0-9]*)(.*)", comp)
        parts.append((int(m.group(1) or 0), m.group(2)))
    while parts and parts[-1] == (0, ""):
        parts.pop()
    return tuple(parts)


def at_least(found: str, minimum: str) -> bool:
    return version_key(found) >= version_key(minimum)


# ============================================================================ facts

@dataclass(frozen=True)
class Output:
    """One program's answer: where it was found and what it printed, or why it did not run."""

    program: str | None
    text: str = ""
    returncode: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class DiskFacts:
    lfs_path: Path
    lfs_free: int
    lfs_device: int
    sources_path: Path
    sources_free: int
    sources_device: int
    sources_present: int             # bytes of the release's files already in the cache
    remaining: tuple[str, ...]       # stages not yet complete


@dataclass(frozen=True)
class HostFacts:
    """Everything probing found; `evaluate` needs nothing else."""

    search_path: str
    tools: dict[str, Output]
    links: dict[str, Output]
    compile: Output
    kernel: str
    pty: bool
    disk: DiskFacts | None = None
    release: str | None = None       # of the packages file in use


# ============================================================================ evaluation (pure)

@dataclass(frozen=True)
class Row:
    requirement: str
    found: str
    needed: str
    ok: bool
    fix: tuple[str, ...] = ()   # what to do, one line each (empty when ok)


@dataclass(frozen=True)
class HostReport:
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failures(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if not r.ok)

    @property
    def fixes(self) -> list[str]:
        """For every failure: its name, then each fix line indented."""
        out = []
        for r in self.failures:
            out.append(f"{r.requirement}: found {r.found}, needs {r.needed}")
            out += [f"  {line}" for line in r.fix]
        return out

    def table(self) -> str:
        return format_table(["requirement", "found", "needed", "result"],
                            [[r.requirement, r.found, r.needed, "OK" if r.ok else "FAIL"]
                             for r in self.rows])

    def text(self) -> str:
        parts = [self.table()]
        if self.fixes:
            parts.append("\nHow to fix:\n" + "\n".join(self.fixes))
        parts += [f"note: {n}" for n in self.notes]
        failed = len(self.failures)
        parts.append(f"host check: {'OK' if not failed else f'{failed} requirement(s) not met'}")
        return "\n".join(parts)


def evaluate(reqs: HostRequirements, facts: HostFacts) -> HostReport:
    """Requirements + facts -> one row per requirement, with a fix for each failure."""
    rows = [_tool_row(t, facts.tools.get(t.name, Output(None, error="not probed")),
                      facts.search_path) for t in reqs.tools]
    rows.append(_compile_row(reqs.compile, facts.compile))
    rows += [_link_row(link, facts.links.get(link.path, Output(None, error="not probed")))
             for link in reqs.links]
    kver = extract_version(facts.kernel, re.compile(r"^([0-9]+(?:\.[0-9]+)*)")) or facts.kernel
    ok = bool(re.match(r"[0-9]", kver)) and at_least(kver, reqs.kernel_minimum)
    rows.append(Row("Linux kernel", kver or "unknown", f">= {reqs.kernel_minimum}", ok,
                    () if ok else (*reqs.kernel_fix.lines(), "then reboot into the new kernel")))
    rows.append(Row("kernel UNIX 98 PTYs", "yes" if facts.pty else "no devpts on /dev/pts",
                    "devpts on /dev/pts, /dev/ptmx", facts.pty, () if facts.pty else (
                        "mount -t devpts devpts /dev/pts (a custom kernel needs "
                        "CONFIG_UNIX98_PTYS=y)",)))
    if facts.disk:
        rows += _disk_rows(reqs, facts.disk)
    notes = []
    if facts.release and facts.release != reqs.release:
        notes.append(f"{reqs.path.name} lists the host requirements of LFS {reqs.release}, but "
                     f"the packages file is for {facts.release!r}: copy the minimums from that "
                     f"book's chapter02/hostreqs.xml into {reqs.path}")
    return HostReport(tuple(rows), tuple(notes))


def _tool_row(req: ToolReq, out: Output, search_path: str) -> Row:
    label, needed = req.name, f">= {req.minimum}"
    if out.program is None:
        return Row(label, "missing", needed, False, (f"not found in {search_path}", *req.fix.lines()))
    if out.error:
        return Row(label, "broken", needed, False, (f"{out.program}: {out.error}", *req.fix.lines()))
    version = extract_version(out.text, req.regex)
    if version is None:
        first = out.text.strip().splitlines()[:1] or ["(no output)"]
        return Row(label, "unknown", needed, False,
                   (f"`{' '.join(req.command)}` printed no version: {first[0][:80]}",
                    *req.fix.lines()))
    ok = at_least(version, req.minimum)
    return Row(label, version, needed, ok, () if ok else (f"{out.program} is too old",
                                                          *req.fix.lines()))


def _link_row(req: LinkReq, out: Output) -> Row:
    label = f"{req.path} is {req.is_}"
    if out.program is None:
        return Row(label, "missing", req.is_, False, req.fix.lines())
    ok = out.error is None and re.search(re.escape(req.expect), out.text, re.IGNORECASE) is not None
    found = out.program if not ok or out.program == req.path else f"-> {out.program}"
    return Row(label, found, req.is_, ok, () if ok else (
        f"{out.program} does not say {req.expect!r} when asked --version", *req.fix.lines()))


def _compile_row(req: CompileReq, out: Output) -> Row:
    label, needed = "g++ compiles and links", "a working program"
    if out.program is None:
        return Row(label, "no g++", needed, False, req.fix.lines())
    if out.error:
        return Row(label, "no", needed, False, (out.error, *req.fix.lines()))
    return Row(label, "yes", needed, True)


def _disk_rows(reqs: HostRequirements, d: DiskFacts) -> list[Row]:
    lfs_need = reqs.disk_needed(d.remaining)
    lfs_ok = d.lfs_free >= lfs_need
    src_need = max(0, reqs.sources_size - d.sources_present)
    needed = fmt_size(src_need)
    if d.sources_device == d.lfs_device:
        src_need += lfs_need           # one filesystem holds both: both must fit
        needed += f" + $LFS's {fmt_size(lfs_need)}"
    src_ok = d.sources_free >= src_need
    return [
        Row(f"free space for $LFS ({_stage_span(d.remaining, [s.stage for s in reqs.stages])})",
            fmt_size(d.lfs_free), fmt_size(lfs_need), lfs_ok, () if lfs_ok else (
                f"free space on the filesystem of {d.lfs_path}, or set lfs.root to a directory "
                "on a larger one (invoke.yaml or INVOKE_LFS_ROOT)",)),
        Row("free space for the sources cache", fmt_size(d.sources_free), needed, src_ok,
            () if src_ok else (f"free space on the filesystem of {d.sources_path}, or set "
                               "lfs.sources to a directory on a larger one",)),
    ]


def _stage_span(stages: tuple[str, ...], order: list[str]) -> str:
    """'stage2..stage5' for a run of consecutive stages (the usual case), else a list."""
    if not stages:
        return "no stage left"
    if len(stages) > 2 and all(s in order for s in stages):
        first = order.index(stages[0])
        if tuple(order[first:first + len(stages)]) == stages:
            return f"{stages[0]}..{stages[-1]}"
    return ", ".join(stages)


# ============================================================================ probing (acts)

def probe_env(search_path: str) -> dict[str, str]:
    """The clean environment of the book's script: only PATH, and C messages to parse."""
    return {"PATH": search_path, "LC_ALL": "C"}


def run_program(argv: list[str], env: dict[str, str], *, stdin: str | None = None,
                cwd: str | None = None) -> Output:
    try:
        res = subprocess.run(argv, input=stdin if stdin is not None else "", env=env, cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace", timeout=PROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return Output(argv[0], error=f"did not answer within {PROBE_TIMEOUT:.0f} s")
    except OSError as exc:
        return Output(argv[0], error=f"cannot run: {exc.strerror or exc}")
    return Output(argv[0], res.stdout, res.returncode)


def probe_tool(req: ToolReq, search_path: str) -> Output:
    exe = shutil.which(req.command[0], path=search_path)
    if exe is None:
        return Output(None)
    return run_program([exe, *req.command[1:]], probe_env(search_path))


def probe_link(req: LinkReq, root: Path, search_path: str) -> Output:
    """Follow `req.path` inside `root` (its symlinks are the root's, not the host's) and ask it."""
    from .namespaces import resolve_in_root
    target = resolve_in_root(root, req.path)
    if target is None:
        return Output(None)
    shown = str(PurePosixPath("/", target.relative_to(root))) if target.is_relative_to(root) \
        else str(target)
    out = run_program([str(target), "--version"], probe_env(search_path))
    return Output(shown, out.text, out.returncode, out.error)


def probe_compile(req: CompileReq, search_path: str) -> Output:
    exe = shutil.which(req.command[0], path=search_path)
    if exe is None:
        return Output(None)
    env = probe_env(search_path)
    with tempfile.TemporaryDirectory(prefix="lfs-hostcheck-") as tmp:
        built = run_program([exe, *req.command[1:]], env, stdin=req.program, cwd=tmp)
        if built.error or built.returncode != 0:
            tail = " | ".join(built.text.strip().splitlines()[-3:])
            return Output(exe, built.text, built.returncode,
                          built.error or f"the test program did not compile/link: {tail}")
        ran = run_program([os.path.join(tmp, "a.out")], env, cwd=tmp)
        if ran.error or ran.returncode != 0:
            return Output(exe, ran.text, ran.returncode,
                          ran.error or f"the test program exited {ran.returncode}")
    return Output(exe, built.text, 0)


def devpts_mounted(mounts: str = "/proc/self/mounts", ptmx: str = "/dev/ptmx") -> bool:
    try:
        table = Path(mounts).read_text()
    except OSError:
        return False
    return os.path.exists(ptmx) and any(
        len(f) > 2 and f[1] == "/dev/pts" and f[2] == "devpts"
        for f in (line.split() for line in table.splitlines()))


def free_space(path: Path) -> tuple[int, int]:
    """(bytes available to us, device) for `path`, or for its nearest existing parent."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    st = os.statvfs(p)
    return st.f_bavail * st.f_frsize, os.stat(p).st_dev


def stages_to_run(settings: Settings, names: list[str]) -> tuple[str, ...]:
    """The stages not yet complete, from the step state (fingerprints not re-checked: a
    changed step costs no more space than it took the first time)."""
    from .book import load_book
    from lfsbuild.errors import BookError
    from .state import StateStore
    try:
        book = load_book(settings.book)
    except BookError:
        return tuple(names)
    state = StateStore(settings.state_dir).load()

    def done(stage: str) -> bool:
        steps = book.stages.get(stage, ())
        return bool(steps) and all(
            (rec := state.steps.get(s.id)) is not None and rec.status == "done" for s in steps)
    return tuple(n for n in names if not done(n))


def probe_disk(reqs: HostRequirements, settings: Settings,
               stages: tuple[str, ...] | None) -> tuple[DiskFacts, str]:
    packages = load_packages(settings.packages)
    present = 0
    for pkg in packages.all():
        try:
            present += (settings.sources / pkg.filename).stat().st_size
        except OSError:
            continue
    remaining = stages if stages is not None else stages_to_run(
        settings, [s.stage for s in reqs.stages])
    lfs_free, lfs_dev = free_space(settings.root)
    src_free, src_dev = free_space(settings.sources)
    return DiskFacts(settings.root, lfs_free, lfs_dev, settings.sources, src_free, src_dev,
                     present, remaining), packages.release


def probe(reqs: HostRequirements, settings: Settings | None, path_env: str | None = None,
          root: str | Path = "/", stages: tuple[str, ...] | None = None) -> HostFacts:
    """Collect every fact, the slow ones (processes) in parallel threads."""
    search_path = path_env or reqs.search_path
    root = Path(root)
    with ThreadPoolExecutor(max_workers=8) as pool:
        comp = pool.submit(probe_compile, reqs.compile, search_path)   # the slowest: first
        tools = {t.name: pool.submit(probe_tool, t, search_path) for t in reqs.tools}
        links = {lk.path: pool.submit(probe_link, lk, root, search_path) for lk in reqs.links}
        disk = pool.submit(probe_disk, reqs, settings, stages) if settings else None
        disk_facts, release = disk.result() if disk else (None, None)
        return HostFacts(search_path=search_path,
                         tools={k: f.result() for k, f in tools.items()},
                         links={k: f.result() for k, f in links.items()},
                         compile=comp.result(), kernel=platform.release(),
                         pty=devpts_mounted(), disk=disk_facts, release=release)


def check_host(settings: Settings | None, reqs_path: str | Path | None = None,
               path_env: str | None = None, root: str | Path = "/",
               stages: tuple[str, ...] | None = None) -> HostReport:
    """Probe this host and judge it against the requirements of the release.

    `path_env` replaces the PATH tools are looked up in (default: the book's /usr/bin:/bin);
    `root` is where /bin/sh, yacc and awk are looked up (tests use a fake root);
    `stages`: the stages still to run (default: from the step state); settings None skips disk.
    """
    import time
    t0 = time.monotonic()
    if reqs_path is None:
        reqs_path = default_requirements_path(settings) if settings else PROJECT_REQUIREMENTS
    reqs = load_requirements(reqs_path)
    report = evaluate(reqs, probe(reqs, settings, path_env, root, stages))
    return HostReport(report.rows, report.notes, time.monotonic() - t0)


def require_host(settings: Settings, reqs_path: str | Path | None = None,
                 what: str = "invoke stage1") -> HostReport:
    """The gate before a build: the report if the host is fine, else HostError with the table."""
    report = check_host(settings, reqs_path)
    if not report.ok:
        raise HostError(f"this host does not meet the book's requirements:\n{report.text()}",
                        f"fix the above, or run `{what} --no-host-check` (or set lfs.host_check: "
                        f"false) to start anyway")
    return report
