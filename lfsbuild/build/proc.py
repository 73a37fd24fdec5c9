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

import functools
import os
import signal
import subprocess
from typing import Any, Sequence

from lfsbuild.children import dies_with_parent


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


_child_preexec = dies_with_parent  # the one home is lfsbuild.children


def spawn(argv: Sequence[str], *, isolate: bool = False, new_session: bool = True,
          **popen_kwargs: Any) -> subprocess.Popen:
    """Start `argv` so that it dies (SIGKILL) when lfsbuild dies, however lfsbuild dies.

    `isolate` puts it into its own PID namespace (see the module docstring).
    With `new_session` the child leads its own session and process group: Ctrl-C in the
    terminal reaches lfsbuild only, which then stops the step deliberately (`stop`).
    Caution: the kernel sends the signal when the *thread* that spawned the child exits, so
    spawn from a thread that outlives the child (the main thread, or the one that waits).
    """
    if "preexec_fn" in popen_kwargs:
        raise TypeError("spawn() sets preexec_fn itself")
    prefix = namespace_prefix() if isolate else ()
    if prefix:
        # PID 1 of the namespace must keep the death signal unshare gives it; the kernel clears
        # that signal when a process changes uid (setpriv), so PID 1 is a root shell that runs
        # the command as its child instead of exec'ing it.
        prefix += ("/bin/sh", "-c", '"$@"; exit $?', "lfsbuild-step")
    return subprocess.Popen([*prefix, *argv], preexec_fn=_child_preexec(),
                            start_new_session=new_session, **popen_kwargs)


def stop(proc: subprocess.Popen, grace: float = 10.0) -> int:
    """Stop a spawned command: SIGTERM to its process group, SIGKILL after `grace` seconds.

    For a chroot command the SIGKILL of the top process is what ends the step for sure: a
    PID namespace's init ignores SIGTERM unless it handles it, so the TERM mostly reaches the
    children (make, gcc) and gives them a chance to exit on their own.
    """
    if proc.poll() is not None:
        return proc.returncode
    own_group = os.getpgid(proc.pid) == proc.pid
    try:
        if own_group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return proc.wait()
    try:
        proc.kill()
        if own_group:
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.wait()


def kill_stale_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
