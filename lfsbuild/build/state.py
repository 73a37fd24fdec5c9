"""What is done, as stamps with fingerprints (BitBake-style), plus the one-build-at-a-time lock.

A step counts as done only if its last run succeeded *and* its fingerprint still matches: the
recipe text, the checksums of what it unpacks, the settings it sees and the *output* of the
step before it. That output id (`out`) chains the digests of the steps' manifests (what each
installed, see manifest.py): out(N) = H(out(N-1), manifest digest of N), and
fingerprint(N) = H(inputs(N), out(N-1)). So a step whose recipe changed runs again, but if it
installs exactly the same files as before (BitBake's hash equivalence), out(N) does not move
and the steps after it stay done. The store is one small JSON file replaced atomically, so a
crash or power loss leaves either the old or the new state, never a torn one.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .book import Step
from lfsbuild.errors import LockedError
from lfsbuild.atomic import atomic_write
from .files import step_files
from lfsbuild.owned import claim_root
from lfsbuild.sources.packages import PackageList
from lfsbuild.settings import Settings

STATE_VERSION = 1


#: The parts of a step the runner times (StepRecord.phases, `invoke status --phases`):
#: unpack - the fresh build directory: removing a leftover one, untar, extras, patches, files;
#: recipe - the spawned recipe, from fork to exit, with its output written to the log;
#: tests - keeping the test results (collect_tests); cleanup - removing the build directory;
#: record - the manifest: $LFS snapshots before and after, diff and hashes, its durable save,
#: and the flush of what the step wrote (`sync`, also shown on its own). The final save of the
#: step record is not counted: it is the write that stores these figures.
PHASES = ("unpack", "recipe", "tests", "cleanup", "record", "sync")


@dataclass
class StepRecord:
    status: str                   # "running" | "done" | "failed" | "interrupted"
    fingerprint: str
    inputs: str                   # this step's own inputs, to tell "changed" from "earlier changed"
    started: float = 0.0
    finished: float = 0.0
    log: str = ""
    workdir: str = ""
    exit_code: int | None = None
    pid: int | None = None        # process group leader of a running step, for stale-run cleanup
    pid_start: str | None = None  # its start time (from /proc) so a reused pid is never killed
    boot_id: str | None = None
    tests: dict | None = None     # test-suite summary (stage 4)
    out: str | None = None        # output id: what successors chain on (None: recorded by an
                                  # lfsbuild without manifests, so the output is unknown)
    installed: dict | None = None  # manifest summary: created/modified/removed/bytes/digest
    stale: str | None = None      # why this done record no longer holds, when not its inputs
    phases: dict | None = None    # seconds per runner phase (PHASES), `status --phases`
    cpu: float | None = None      # user + system CPU seconds of the recipe's processes: unlike
                                  # its wall time, hardly moved by other work on the machine

    @property
    def duration(self) -> float:
        return max(0.0, self.finished - self.started) if self.finished else 0.0


@dataclass
class State:
    steps: dict[str, StepRecord] = field(default_factory=dict)
    sbu_seconds: float | None = None  # the local SBU, calibrated on this machine


class StateStore:
    """state.json under the state directory; load/save only, policy lives in plan/runner."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        self.path = state_dir / "state.json"

    def load(self) -> State:
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return State()
        except ValueError:
            # cannot happen through atomic writes; a hand-edited file must not lose the build
            backup = self.path.with_suffix(f".damaged.{int(time.time())}")
            os.replace(self.path, backup)
            return State()
        steps = {k: StepRecord(**v) for k, v in raw.get("steps", {}).items()}
        return State(steps=steps, sbu_seconds=raw.get("sbu_seconds"))

    def save(self, state: State, durable: bool = True) -> None:
        """`durable=False` for records whose loss on power failure only repeats a step."""
        self.dir.mkdir(parents=True, exist_ok=True)
        data = {"version": STATE_VERSION, "sbu_seconds": state.sbu_seconds,
                "steps": {k: dict(vars(v)) for k, v in sorted(state.steps.items())}}
        atomic_write(self.path, json.dumps(data, separators=(",", ":")).encode(), durable=durable)


class BuildLock:
    """An exclusive flock on the state directory: a second build on the same $LFS refuses.

    The kernel drops a flock when its holder dies (even by SIGKILL or a reboot), so a lock is
    never stale; what can be stale is a "running" step record, which the runner repairs.
    """

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "lock"
        self.fd = -1

    def __enter__(self) -> "BuildLock":
        # before the first file lfsbuild writes into $LFS: what was there is not ours to delete
        claim_root(self.path.parent.parent)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(self.fd)
            raise LockedError(f"another lfsbuild run is working on this $LFS ({holder})",
                              "wait for it to finish, or stop it; two builds on one $LFS "
                              "would corrupt each other") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"pid {os.getpid()}, started {time.ctime()}\n".encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def held_elsewhere(self) -> bool:
        """Is a build running right now (so 'running' records are live, not stale)?"""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)


# ----------------------------------------------------------------------------- fingerprints

def _digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def step_inputs(step: Step, packages: PackageList, settings: Settings) -> str:
    """What this step alone depends on. `jobs` is left out on purpose: -j does not change output."""
    inputs: dict[str, object] = {
        "recipe": step.text,
        "run": step.run,
        "packages": [(n, packages.get(n).md5) for n in step.needs],
        "versions": step.version_vars(packages),
        "settings": {"root": str(settings.root), "target": settings.target,
                     "user": settings.user if step.run == "user" else None},
    }
    # optional inputs are hashed only when a step has them, so adding a kind of input to
    # lfsbuild never invalidates the finished steps of an existing build
    if step.files:
        inputs["files"] = {k: hashlib.sha256(v).hexdigest()
                           for k, v in step_files(step, settings, packages.release).items()}
    if step.tests:
        inputs["tests"] = settings.tests
    return _digest(inputs)


def chain(inputs: str, upstream: str) -> str:
    """A step's fingerprint: its own inputs and the output id of the step before it."""
    return _digest([inputs, upstream])


def output_id(upstream: str, manifest_digest: str) -> str:
    """A step's output id: the output before it plus the digest of what it installed."""
    return _digest(["out", upstream, manifest_digest])


UNBUILT = "unbuilt:"   # prefix of the upstream id of a step whose predecessor is not done


def upstream_of(prev: str | None, state: State) -> str:
    """The output id a step chains on right now: its predecessor's, as the state records it.

    "" for the book's first step. A predecessor without a done record (or one recorded by an
    lfsbuild without manifests) has no known output: a marker no real output id can equal, so
    a step run anyway (`--force`, `--step`) runs again once the predecessor is built.
    """
    if prev is None:
        return ""
    rec = state.steps.get(prev)
    if rec is not None and rec.status == "done" and rec.out:
        return rec.out
    return UNBUILT + prev


def fingerprints(steps: Iterable[Step], packages: PackageList, settings: Settings,
                 outs: dict[str, str]) -> Iterator[tuple[Step, str, str]]:
    """(step, inputs, fingerprint) in order, given each step's recorded output id in `outs`.

    A step missing from `outs` is taken as not built (what `upstream_of` says of it).
    """
    prev: str | None = None
    for step in steps:
        inputs = step_inputs(step, packages, settings)
        upstream = "" if prev is None else outs.get(prev, UNBUILT + prev)
        yield step, inputs, chain(inputs, upstream)
        prev = step.id


def boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def process_start(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat: together with the pid, a process's identity."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]
