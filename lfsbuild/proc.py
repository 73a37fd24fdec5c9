"""Starting build processes whose whole tree dies with lfsbuild.

A killed orchestrator must not leave `make -j` writing into $LFS while the resumed run starts
the same step over. Two mechanisms together guarantee that:
- the top process gets PR_SET_PDEATHSIG=SIGKILL, so it dies when lfsbuild dies (even by SIGKILL);
- the top process is util-linux `unshare --pid --fork --kill-child`: the step runs as PID 1 of
  a fresh PID namespace, and when PID 1 dies the kernel kills every process in the namespace.
As root that always works; a normal user gets it through a user namespace where the kernel
allows one, and otherwise falls back to a process group that lfsbuild kills (and that a resumed
run kills if lfsbuild itself was killed).
"""
from __future__ import annotations

import ctypes
import functools
import os
import signal
import subprocess
from typing import Any, Sequence

PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    """preexec_fn: runs in the child between fork and exec."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@functools.lru_cache(maxsize=1)
def namespace_prefix() -> tuple[str, ...]:
    """The command prefix that puts a step into its own PID namespace, or () if impossible."""
    base = ("unshare", "--pid", "--fork", "--kill-child")
    if os.geteuid() == 0:
        return base + ("--",)
    user = ("unshare", "--map-current-user", "--pid", "--fork", "--kill-child")
    try:
        ok = subprocess.run([*user, "--", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return user + ("--",) if ok else ()


def spawn(argv: Sequence[str], isolate: bool = True, **popen: Any) -> subprocess.Popen:
    """Popen whose process tree cannot outlive the caller.

    `isolate` adds the PID-namespace prefix; the child also leads its own session, so Ctrl-C
    on the terminal reaches lfsbuild (which decides) rather than the build directly.
    """
    prefix = namespace_prefix() if isolate else ()
    if prefix:
        # PID 1 of the namespace must keep the death signal unshare gives it; the kernel clears
        # that signal when a process changes uid (setpriv), so PID 1 is a root shell that runs
        # the command as its child instead of exec'ing it.
        prefix += ("/bin/sh", "-c", '"$@"; exit $?', "lfsbuild-step")
    cmd = [*prefix, *argv]
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent, start_new_session=True, **popen)


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the step's process group (its PID namespace goes with the top process)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def kill_stale_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
