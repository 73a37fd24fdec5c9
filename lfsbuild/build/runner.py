"""Running steps: fresh source tree, the book's clean environment, the right user, a log.

`run_plan` executes what `plan.plan_stage` decided. A step is recorded as "running" before it
acts and as "done" only after its output is on disk (fsync'd) and its manifest - what it
created, modified and removed under $LFS (manifest.py) - is written (atomically, durably), so
a kill or power loss at any instant leaves a record the next run reads correctly: at worst a
step runs again, never is a half-built step, or a done step without its manifest, taken for
done. Before each step, its fingerprint is computed again from the output the step before it
just recorded (`plan.settle`): a step the plan had "pending on" an earlier one is skipped when
that one installed the same files as before.
"""
from __future__ import annotations

import codecs
import contextlib
import ctypes
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from . import manifest
from .book import Step
from .files import place_files, step_files
from lfsbuild.atomic import flush_paths
from lfsbuild.errors import BookError, ConfigError, Interrupted, StepFailed
from lfsbuild.sources.packages import Package, PackageList
from .plan import Plan, StepView, settle
from .proc import kill_stale_group, namespace_prefix, spawn, stop
from .progress import StageProgress
from lfsbuild.settings import Settings
from .state import (State, StateStore, StepRecord, boot_id, output_id, process_start,
                    upstream_of)
from .testsuite import CONSOLE_LOG, EXIT_STATUS, exit_statuses, result_kind, summarize
from .users import Identity, build_user, current

TAIL_LINES = 40
TAIL_BYTES = 64 * 1024   # of the output, kept for the last TAIL_LINES lines of a failure
READ_SIZE = 64 * 1024    # one read of the step's output: a whole pipe buffer
_libc = ctypes.CDLL(None, use_errno=True)
#: How each kind of tarball is decompressed into tar's standard input ("": not compressed).
#: lfsbuild runs the decompressor itself: given a compressed archive on its standard input
#: (`tar -xJf -`), GNU tar forks a reader process that copies the whole archive through one
#: more pipe (binutils: 165,000 write calls against 114,000 for the book's `tar -xf FILE`);
#: `xz -dc | tar -xf -` makes as many as `tar -xf FILE` (108,000; bench/stage1.py).
DECOMPRESS: dict[str, tuple[str, ...]] = {
    ".gz": ("gzip", "-dc"), ".tgz": ("gzip", "-dc"), ".xz": ("xz", "-dc"),
    ".bz2": ("bzip2", "-dc"), ".zst": ("zstd", "-dc"), ".lz": ("lzip", "-dc"),
    ".lzma": ("xz", "--format=lzma", "-dc"), ".tar": ()}

#: lfsbuild's part of a recipe's shell, sourced before the recipe (LAUNCH): the test-result
#: protocol, so that a recipe carries only the book's test command (`lfs_tests make check`).
#: POSIX sh, because a test root may have busybox's sh only. `"$@" || lfs_status=$?` keeps
#: `bash -e` from stopping the step on a failing suite; the command is the first element of the
#: pipeline into tee, so its standard input is the function's (bash's tests read a heredoc).
HARNESS = f"""\
# lfsbuild's harness (lfsbuild/build/runner.py), sourced before the recipe; not the book's text.
# lfs_tests COMMAND [ARG]...: run the book's test command COMMAND when this step's test suite is
# selected (lfs.tests: $RUN_TESTS). Its output goes to the step log and, appended, to
# $TEST_DIR/{CONSOLE_LOG}; its exit status to $TEST_DIR/{EXIT_STATUS}. It never fails the step.
lfs_tests() {{
  if [ -z "${{RUN_TESTS:-}}" ]; then
    echo "lfs_tests: not run (lfs.tests does not select this suite): $*"
    return 0
  fi
  {{
    echo "lfs_tests: running: $*"
    lfs_status=0
    "$@" || lfs_status=$?
    echo "$lfs_status $*" >> "$TEST_DIR/{EXIT_STATUS}"
    echo "lfs_tests: exit status $lfs_status (the step goes on): $*"
  }} 2>&1 | tee -a "$TEST_DIR/{CONSOLE_LOG}" || true
  return 0
}}
"""
#: How the step's shell starts: `sh -e -c LAUNCH RECIPE HARNESS` sources the harness, then the
#: recipe, which keeps its own name ($0) and line numbers in error messages and no arguments.
LAUNCH = '. "$1"; shift; . "$0"'


@dataclass
class RunContext:
    settings: Settings
    packages: PackageList
    store: StateStore
    state: State
    verbose: bool = False
    progress: bool | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    resume_hint: str = "invoke stage1"
    order: tuple[str, ...] = ()   # every step id in book order: who comes "after" a step
    tree: manifest.Snapshot | None = None   # $LFS as the last step left it (the next "before")

    @property
    def work_root(self) -> Path:
        return self.settings.root / "sources" / "build"

    def log_path(self, step: Step) -> Path:
        return self.settings.state_dir / "logs" / step.stage / f"{step.name}.log"


def repair_stale(store: StateStore, state: State) -> list[str]:
    """Mark 'running' records left by a killed lfsbuild as interrupted (holding the lock).

    Their processes normally died with lfsbuild (PID namespace); if one survived (no namespace
    available to a normal user), its process group is killed, unless the pid was reused.
    """
    repaired = []
    me = boot_id()
    for sid, rec in state.steps.items():
        if rec.status != "running":
            continue
        if rec.pid and rec.boot_id == me and process_start(rec.pid) == rec.pid_start:
            kill_stale_group(rec.pid)
        rec.status = "interrupted"
        repaired.append(sid)
    if repaired:
        store.save(state)
    return repaired


def run_plan(plan: Plan, ctx: RunContext) -> list[StepRecord]:
    """Run every step of the plan in order; stop at the first failure (StepFailed).

    The caller has done the pre-flight (`stages.preflight`: root, host, sources).
    """
    os.umask(0o022)  # the book's ~/.bashrc for the build user; root's usual default in chroot
    prepare_root(ctx.settings)
    if any(v.step.run == "user" for v in plan.run):
        # root-run layout steps chown to the user, so it must exist first; and it must be able
        # to reach $LFS (a checkout under a private /root is the usual trap): check once
        who = build_user(ctx.settings.user)
        _check_reachable(ctx.work_root, who, ctx.settings)
    bar = StageProgress(plan, ctx.state, enabled=ctx.progress, out=ctx.out)
    done = []
    try:
        for view in plan.run:
            view, unchanged = settle(view, ctx.state)
            if unchanged:
                bar.skip(view, unchanged)
                continue
            bar.start(view, ctx.log_path(view.step))
            try:
                rec = run_step(view, ctx)
            except BaseException:
                bar.fail(view, ctx.state.steps.get(view.step.id))
                raise
            if ctx.state.sbu_seconds is None and view.step.sbu >= 0.5:
                ctx.state.sbu_seconds = rec.duration / view.step.sbu  # the local SBU
                ctx.store.save(ctx.state)
            bar.finish(view, rec)  # after calibrating: the step's line can show its SBU
            done.append(rec)
    finally:
        bar.close()
    return done


def prepare_root(settings: Settings) -> None:
    """$LFS and $LFS/sources exist (sources sticky and world-writable, as the book sets it)."""
    root = settings.root
    root.mkdir(parents=True, exist_ok=True)
    src = root / "sources"
    src.mkdir(exist_ok=True)
    if src.stat().st_mode & 0o7777 != 0o1777 and src.stat().st_uid == os.geteuid():
        src.chmod(0o1777)
    (src / "build").mkdir(exist_ok=True)
    if (src / "build").stat().st_uid == os.geteuid():
        (src / "build").chmod(0o1777)


def identity_for(step: Step, settings: Settings) -> Identity:
    if step.run == "user":
        return build_user(settings.user)
    return current()


def run_step(view: StepView, ctx: RunContext) -> StepRecord:
    step = view.step
    who = identity_for(step, ctx.settings)
    workdir = ctx.work_root / f"{step.stage}-{step.name}"
    log_path = ctx.log_path(step)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    rec = StepRecord(status="running", fingerprint=view.fingerprint, inputs=view.inputs,
                     started=time.time(), log=str(log_path), workdir=str(workdir),
                     boot_id=boot_id(), phases={})
    was_done = view.record is not None and view.record.status == "done"
    upstream = upstream_of(view.prev, ctx.state)
    with _timed(rec, "record"):
        before = _before(view, ctx)
    ctx.state.steps[step.id] = rec
    # Must reach the disk before the step acts only if it replaces a "done" record (a forced or
    # changed step): otherwise a power loss simply leaves the step "not run", and it runs again.
    ctx.store.save(ctx.state, durable=was_done)

    with open(log_path, "wb") as log:
        log.write(f"# lfsbuild: {step.id} ({step.title}) started {time.ctime()}\n".encode())
        with _timed(rec, "unpack"):
            srcdir = prepare_workdir(step, workdir, who, ctx, log)
        argv, env = step_command(step, workdir, srcdir, who, ctx)
        where = str(srcdir or workdir)
        if step.run == "chroot":
            where = "/" + str(Path(where).relative_to(ctx.settings.root))
        log.write(f"# as {who.name}; cwd {where}"
                  f"{' (inside the chroot)' if step.run == 'chroot' else ''}\n".encode())
        log.flush()
        t_recipe, cpu0 = time.monotonic(), children_cpu()
        proc = spawn(argv, isolate=step.run != "chroot", env=env, cwd=str(srcdir or workdir),
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if step.run != "chroot" and not namespace_prefix():
            # no PID namespace to take the step down with us: remember whom a resumed run kills
            rec.pid, rec.pid_start = proc.pid, process_start(proc.pid)
            ctx.store.save(ctx.state, durable=False)
        tail = Tail()
        try:
            assert proc.stdout is not None
            copy_output(proc.stdout.fileno(), log, tail, ctx.out if ctx.verbose else None)
            code = proc.wait()
        except KeyboardInterrupt:
            stop(proc, grace=2.0)
            _add_phase(rec, "recipe", time.monotonic() - t_recipe)
            rec.cpu = round(children_cpu() - cpu0, 2)
            _finish(rec, "interrupted", None, ctx)
            log.write(b"# lfsbuild: interrupted by the user\n")
            raise Interrupted(f"{step.id} interrupted; its build directory is kept: {workdir}",
                              f"run `{ctx.resume_hint}` to resume at {step.name}") from None
        _add_phase(rec, "recipe", time.monotonic() - t_recipe)
        rec.cpu = round(children_cpu() - cpu0, 2)
        log.write(f"# lfsbuild: exit status {code} after {time.time() - rec.started:.1f} s\n"
                  .encode())

    if code != 0:
        _finish(rec, "failed", code, ctx)
        lines = tail.lines()
        tail_text = "\n".join(f"  | {ln}" for ln in lines)
        raise StepFailed(
            f"{step.id} ({step.title}) failed with exit status {code}\n"
            f"last {len(lines)} lines of its log:\n{tail_text}\n"
            f"full log:        {log_path}\n"
            f"build directory: {workdir} (kept for inspection)",
            f"fix the cause (or the recipe {step.path}), then run `{ctx.resume_hint}` "
            f"to resume at {step.name} with a fresh source tree")
    doing = "collecting test results"
    try:
        if wants_tests(step, ctx.settings):
            # "written during this step": not older than the recipe the runner wrote at its
            # start (the file system's own clock; unpacked files keep the tarball's older times)
            with _timed(rec, "tests"):
                rec.tests = collect_tests(workdir / "test-results", log_path,
                                          tree=srcdir or workdir,
                                          since=(workdir / "recipe.sh").stat().st_mtime)
        doing = "removing the build directory"
        with _timed(rec, "cleanup"):
            remove_tree(workdir, must=False)
        doing = "recording what the step installed"
        with _timed(rec, "record"):
            record_manifest(view, rec, before, upstream, ctx)
    except KeyboardInterrupt:
        # the recipe succeeded, but the step is done only once its record is: it runs again
        _finish(rec, "interrupted", None, ctx)
        raise Interrupted(f"{step.id} interrupted after its recipe succeeded, while the runner "
                          f"was {doing}", f"run `{ctx.resume_hint}`: "
                          f"{step.name} runs again from a fresh source tree") from None
    _finish(rec, "done", 0, ctx)
    manifest.drop_pending(ctx.settings.state_dir, step.id)
    return rec


class Tail:
    """The last bytes of a step's output, enough for its last TAIL_LINES lines."""

    def __init__(self, keep: int = TAIL_BYTES) -> None:
        self.keep = keep
        self.buf = bytearray()
        self.cut = False   # bytes were dropped in front: the first line may be partial

    def add(self, chunk: bytes) -> None:
        self.buf += chunk
        if len(self.buf) > 2 * self.keep:   # trim now and then, not on every chunk
            del self.buf[:-self.keep]
            self.cut = True

    def lines(self, n: int = TAIL_LINES) -> list[str]:
        lines = bytes(self.buf[-self.keep:]).decode(errors="replace").splitlines()
        if (self.cut or len(self.buf) > self.keep) and len(lines) > n:
            lines = lines[1:]
        return lines[-n:]


def copy_output(fd: int, log: BinaryIO, tail: Tail, echo: TextIO | None = None) -> None:
    """Copy a step's output from `fd` to its log until end of file, keeping its tail.

    Big reads, written as they come: no per-line work. On two cores shared with `make -j2`
    the reader competes for CPU with the build, and a reader that falls behind fills the
    pipe and stops the compilers writing to it. `echo` (--verbose) gets the text too.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := os.read(fd, READ_SIZE):
        log.write(chunk)
        tail.add(chunk)
        if echo is not None:
            echo.write(decoder.decode(chunk))
    if echo is not None:
        echo.write(decoder.decode(b"", final=True))


def children_cpu() -> float:
    """User + system CPU seconds of every child lfsbuild has waited for so far. A step's
    processes are all counted once its top process is reaped: make waits for its compilers,
    and the PID namespace's init (spawn) reaps whatever was orphaned."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _add_phase(rec: StepRecord, phase: str, seconds: float) -> None:
    if rec.phases is not None:
        rec.phases[phase] = round(rec.phases.get(phase, 0.0) + seconds, 3)


@contextlib.contextmanager
def _timed(rec: StepRecord, phase: str) -> Iterator[None]:
    """Add the time the block takes to `rec.phases[phase]` (monotonic clock; also on errors)."""
    t0 = time.monotonic()
    try:
        yield
    finally:
        _add_phase(rec, phase, time.monotonic() - t0)


def _before(view: StepView, ctx: RunContext) -> manifest.Snapshot:
    """$LFS as it was before the step acted: the snapshot its manifest compares against.

    After a failed or killed attempt, the tree as it was before that attempt - if no other
    step finished since, which would otherwise be counted as this step's doing. Otherwise the
    tree as the previous step of this run left it, or a fresh walk.
    """
    state_dir, sid = ctx.settings.state_dir, view.step.id
    tree, ctx.tree = ctx.tree, None
    if view.record is not None and view.record.status != "done":
        pending = manifest.load_pending(state_dir, sid, ctx.settings.root)
        if pending is not None and not any(
                r.finished > pending[1] for k, r in ctx.state.steps.items() if k != sid):
            return pending[0]
    snap = tree or manifest.snapshot(ctx.settings.root)
    manifest.save_pending(state_dir, sid, snap, time.time())
    return snap


def record_manifest(view: StepView, rec: StepRecord, before: manifest.Snapshot, upstream: str,
                    ctx: RunContext) -> None:
    """Snapshot $LFS after the step, write its manifest, set the record's output id.

    The manifest is on disk (atomically, durably) before `_finish` marks the record done: a
    kill in between leaves a "running" record, and the step runs again. A re-run's changes are
    laid over the step's previous manifest (`manifest.merge`), so an unchanged re-run has the
    same digest - and the same output id - as the run before it.

    Equal output is not the whole story on one shared tree: a re-run rewrites its files, also
    those a later step had changed since (the book's stripping, a `rm` in "Cleaning up"). Such
    later steps are marked stale here and run again, so their change is not silently undone.
    """
    step = view.step
    after = manifest.snapshot(ctx.settings.root)
    t0 = time.perf_counter()
    entries, unreadable = manifest.diff(before, after)
    scan = {"before_s": round(before.seconds, 3), "after_s": round(after.seconds, 3),
            "diff_s": round(time.perf_counter() - t0, 3), "paths": len(after.entries),
            "changed": len(entries)}
    t0 = time.monotonic()
    scan["flushed"] = flush_written(ctx.settings.root, entries,
                                    whole_fs=bool(before.unreadable or after.unreadable))
    _add_phase(rec, "sync", time.monotonic() - t0)
    previous = manifest.load(ctx.settings.state_dir, step.id)
    record = manifest.Manifest(
        step=step.id, package=step.package, entries=manifest.merge(previous, entries),
        finished=time.time(), runs=previous.runs + 1 if previous else 1,
        unreadable=sorted({*before.unreadable, *after.unreadable, *unreadable}), scan=scan)
    manifest.save(ctx.settings.state_dir, record)
    rec.installed = record.summary()
    rec.out = output_id(upstream, record.digest)
    _mark_overwritten(step, [e.path for e in entries], ctx)
    ctx.tree = after


def _mark_overwritten(step: Step, touched: list[str], ctx: RunContext) -> None:
    """Later steps, done, whose recorded writes this run has just written over: stale."""
    if step.id not in ctx.order or not touched:
        return
    later = [sid for sid in ctx.order[ctx.order.index(step.id) + 1:]
             if (r := ctx.state.steps.get(sid)) is not None and r.status == "done"]
    if not later:
        return   # the usual case, a first build: nothing read
    index = manifest.Index(m for sid in later
                           if (m := manifest.load(ctx.settings.state_dir, sid)) is not None)
    for sid, paths in index.touching(touched, later).items():
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        ctx.state.steps[sid].stale = (f"{step.id} ran again and rewrote {len(paths)} path(s) "
                                      f"it had changed: {shown}")


def collect_tests(results: Path, log_path: Path, tree: Path | None = None,
                  since: float = 0.0) -> dict | None:
    """Keep a step's test results beside its log and record the pass/fail counts.

    Called when the step's tests ran. Kept: everything in `results` (the step's $TEST_DIR:
    `lfs_tests`' console output and exit statuses, files a recipe keeps there) and, from the
    build `tree`, the structured result files (testsuite.RESULT_FILES) modified at or after
    `since`, under their paths relative to the tree; older ones came with the tarball or are
    not this run's. A failing suite never fails the step (`lfs_tests` records its exit status,
    as jhalfs ignores it); it shows up here, in `invoke status` and in the report instead.
    """
    keep = log_path.with_name(log_path.stem + "-tests")
    shutil.rmtree(keep, ignore_errors=True)
    if results.is_dir():
        shutil.copytree(results, keep)
    else:
        keep.mkdir(parents=True)
    for path in result_files(tree, since, skip=results) if tree else ():
        dest = keep / path.relative_to(tree)
        if dest.exists():  # the recipe kept a file of that name itself: its copy stands
            continue
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        except OSError as e:  # a suite's output is information: never fail a built step on it
            with open(keep / "not-collected.txt", "a") as note:
                note.write(f"{path}: {e}\n")
    if not any(keep.iterdir()):
        keep.rmdir()
        return None
    summary = summarize(keep)
    return {**summary.as_dict(), "exit_statuses": exit_statuses(keep), "dir": str(keep)}


def result_files(tree: Path, since: float, skip: Path | None = None) -> Iterator[Path]:
    """Regular files under `tree` named like a result file and modified at or after `since`.

    `skip` (the step's $TEST_DIR, when it lies in the tree) is not searched; nor are symbolic
    links followed.
    """
    for dirpath, dirnames, filenames in os.walk(tree):
        if skip is not None:
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in filenames:
            if result_kind(name) is None:
                continue
            path = Path(dirpath, name)
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_mtime >= since:
                yield path


def flush_written(root: Path, entries: list[manifest.Entry], whole_fs: bool = False) -> int:
    """Put on disk what a step wrote into $LFS, before its record may say "done".

    After a power loss a "done" step must really be done, or its successors build on files
    that are not there. What it wrote is exactly its manifest's entries (every path under
    $LFS but lfsbuild's own state, sources/ and tmp/, which nothing after the step relies
    on), so those are fsync'd (`manifest.durable_paths`), not the whole file system:
    syncfs would also wait for everything else dirty there - on a shared disk other
    people's work, and the deletion of the build tree just removed. When the walks could not
    list a directory (`whole_fs`), or a path cannot be opened, what the step wrote is not
    known for sure, and the whole file system is flushed instead (syncfs). Returns how many
    paths were fsync'd, -1 for syncfs.
    """
    if not whole_fs:
        try:
            return flush_paths(*manifest.durable_paths(root, entries))
        except OSError:
            pass
    syncfs(root)
    return -1


def syncfs(path: Path) -> None:
    """Flush the file system holding `path` (syncfs(2): that one file system, not all)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _finish(rec: StepRecord, status: str, code: int | None, ctx: RunContext) -> None:
    rec.status, rec.exit_code, rec.finished = status, code, time.time()
    rec.pid = rec.pid_start = None
    # "done" is saved durably, after what the step wrote (record_manifest: flush_written)
    ctx.store.save(ctx.state, durable=status == "done")


# ----------------------------------------------------------------------------- work directory

def prepare_workdir(step: Step, workdir: Path, who: Identity, ctx: RunContext,
                    log: "os.PathLike | object") -> Path | None:
    """A fresh directory with the package (and extras inside it) unpacked, owned by `who`."""
    if workdir.exists():
        remove_tree(workdir)
    workdir.mkdir(parents=True)
    _chown(workdir, who)
    srcdir = None
    if step.package:
        srcdir = unpack(ctx.packages.get(step.package), ctx, workdir, who, step)
        for extra in step.extras:  # the book's `tar -xf ../mpfr-*.tar.xz; mv mpfr-* mpfr`
            os.rename(unpack(ctx.packages.get(extra), ctx, srcdir, who, step), srcdir / extra)
    elif step.extras:
        raise BookError(f"{step.path}: 'extra' needs a 'package' to unpack into")
    if step.patches:
        pdir = workdir / "patches"
        pdir.mkdir()
        for name in step.patches:
            shutil.copyfile(ctx.settings.sources / ctx.packages.get(name).filename,
                            pdir / f"{name}.patch")
        _chown_tree(pdir, who)
    if step.files:
        place_files(step_files(step, ctx.settings, ctx.packages.release), workdir / "files")
        _chown_tree(workdir / "files", who)
    if step.tests:
        (workdir / "test-results").mkdir()
        _chown(workdir / "test-results", who)
    (workdir / "harness.sh").write_text(HARNESS)
    (workdir / "recipe.sh").write_text(step.text)  # last: its time is the step's start
    _chown(workdir / "harness.sh", who)
    _chown(workdir / "recipe.sh", who)
    return srcdir


def unpack(pkg: Package, ctx: RunContext, into: Path, who: Identity, step: Step) -> Path:
    """Untar as `who` (reading the tarball through stdin, so the cache may stay private).

    Returns the source tree: the tarball's single top directory, or - for tarballs without
    one, like tzdata - a directory `<name>-<version>` holding everything it contained.
    """
    tarball = ctx.settings.sources / pkg.filename
    if not tarball.exists():
        raise BookError(f"{step.id} needs {pkg.name} but {tarball} is missing",
                        "run `invoke fetch` (stage tasks fetch what they need automatically)")
    decompress = next((d for suf, d in DECOMPRESS.items() if pkg.filename.endswith(suf)), None)
    if decompress is None:
        raise BookError(f"{step.id}: {pkg.filename} is not a tarball lfsbuild can unpack",
                        "declare patches with '#: patches:', not as a package")
    box = into / f".unpack-{pkg.name}"
    box.mkdir()
    _chown(box, who)
    tar = [*who.wrap(), "tar", "-x", "-f", "-", "-C", str(box), "--no-same-owner"]
    env = dict(os.environ, LC_ALL="POSIX")   # as the book's `tar -xf`: the lfs user's locale
    with open(tarball, "rb") as f, tempfile.TemporaryFile() as errors:
        # decompressor | tar, both as `who`, their messages into one file (no pipe to fill)
        if decompress:
            try:
                first = subprocess.Popen([*who.wrap(), *decompress], stdin=f, env=env,
                                         stdout=subprocess.PIPE, stderr=errors)
            except FileNotFoundError:
                raise BookError(f"unpacking {tarball} needs `{decompress[0]}`, which is not "
                                f"installed", f"install {decompress[0]} on the host") from None
            assert first.stdout is not None
            with first.stdout:
                untar = subprocess.run(tar, stdin=first.stdout, stdout=errors, stderr=errors,
                                       env=env)
            failed = first.wait() != 0 or untar.returncode != 0
        else:
            failed = subprocess.run(tar, stdin=f, stdout=errors, stderr=errors,
                                    env=env).returncode != 0
        if failed:
            errors.seek(0)
            raise BookError(f"unpacking {tarball} failed: "
                            f"{errors.read().decode(errors='replace')[-500:]}",
                            f"`invoke verify --only {pkg.name}` checks the file")
    entries = list(box.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        tree = into / entries[0].name
        os.rename(entries[0], tree)
        box.rmdir()
    else:
        tree = into / f"{pkg.name}-{pkg.version}"
        os.rename(box, tree)
    return tree


def remove_tree(path: Path, must: bool = True) -> None:
    """`rm -rf` of a build directory, as the book does after each package.

    Not shutil.rmtree: on gcc's source tree (140,000 files) it took 10-27 % longer than rm
    here, seconds per big step (issue 18; bench/stage1.py's cleanup phase).
    `--one-file-system` leaves anything mounted below alone. With `must`, a tree that is still
    there afterwards is an error; a step's own cleanup (`must=False`) only leaves litter,
    which the next run of the step removes.
    """
    done = subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)],
                          stdin=subprocess.DEVNULL, capture_output=True)
    if must and (done.returncode != 0 or os.path.lexists(path)):
        raise BookError(f"cannot remove the old build directory {path}: "
                        f"{done.stderr.decode(errors='replace').strip()[-300:]}",
                        "remove it by hand (as root), then run the step again")


def _chown(path: Path, who: Identity) -> None:
    if not who.is_self:
        os.chown(path, who.uid, who.gid)


def _chown_tree(path: Path, who: Identity) -> None:
    _chown(path, who)
    for p in path.rglob("*"):
        _chown(p, who)


def _check_reachable(workdir: Path, who: Identity, settings: Settings) -> None:
    """Can `who` write below $LFS/sources/build (mode 1777)? Then every work dir is fine."""
    if who.is_self:
        return
    ok = subprocess.run([*who.wrap(), "test", "-w", str(workdir)], capture_output=True)
    if ok.returncode != 0:
        raise ConfigError(
            f"the build user {who.name!r} cannot write to {workdir}: a parent directory of "
            f"lfs.root ({settings.root}) is not accessible to it",
            "put $LFS somewhere every user can reach, e.g. INVOKE_LFS_ROOT=/mnt/lfs")


# ----------------------------------------------------------------------------- command + env

def step_command(step: Step, workdir: Path, srcdir: Path | None, who: Identity,
                 ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    s = ctx.settings
    facts = {"JOBS": str(s.jobs), "MAKEFLAGS": f"-j{s.jobs}", "NINJAJOBS": str(s.jobs),
             "RUN_TESTS": wants_tests(step, s),
             "PKG_NAME": step.package or "", "LFS_USER": build_user_name(s),
             **step.version_vars(ctx.packages)}
    if step.package:
        facts["PKG_VERSION"] = ctx.packages.get(step.package).version
    if step.run == "chroot":
        from .namespaces import book_env, chroot_argv, resolve_in_root
        inside = "/" + str(workdir.relative_to(s.root))
        env = book_env(term=os.environ.get("TERM", "dumb"), jobs=s.jobs, extra={
            **facts, "WORK_DIR": inside, "PATCHES": f"{inside}/patches",
            "TEST_DIR": f"{inside}/test-results",
            "SRC_DIR": "/" + str(srcdir.relative_to(s.root)) if srcdir else inside})
        shell = "/bin/bash" if resolve_in_root(s.root, "/bin/bash") else "/bin/sh"  # test roots
        argv = chroot_argv(s.root, [shell, "-e", "-c", LAUNCH, f"{inside}/recipe.sh",
                                    f"{inside}/harness.sh"], env, cwd=env["SRC_DIR"])
        return argv, {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    path = f"{s.root}/tools/bin:/usr/bin"
    if not Path("/bin").is_symlink():
        path += ":/bin"
    if who.uid == 0:
        path = f"{s.root}/tools/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env = {"HOME": who.home, "TERM": os.environ.get("TERM", "dumb"), "LFS": str(s.root),
           "LFS_TGT": s.target, "LC_ALL": "POSIX", "PATH": path,
           "CONFIG_SITE": f"{s.root}/usr/share/config.site", **facts,
           "WORK_DIR": str(workdir), "PATCHES": str(workdir / "patches"),
           "TEST_DIR": str(workdir / "test-results"),
           "SRC_DIR": str(srcdir or workdir)}
    # Popen(env=env) hands over exactly this environment (the book's `env -i ...`)
    argv = [*who.wrap(), "/bin/bash", "--noprofile", "--norc", "-e", "-c", LAUNCH,
            str(workdir / "recipe.sh"), str(workdir / "harness.sh")]
    return argv, env


def wants_tests(step: Step, settings: Settings) -> str:
    """"1" when this step's test suite should run under lfs.tests, else ""."""
    if not step.tests or settings.tests == "none":
        return ""
    return "1" if settings.tests == "all" or step.tests == "critical" else ""


def build_user_name(settings: Settings) -> str:
    return settings.user if os.geteuid() == 0 else current().name
