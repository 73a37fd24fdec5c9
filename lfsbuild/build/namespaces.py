"""Running commands inside $LFS the way the book's chapter 7 does, without endangering the host.

The book mounts /dev, devpts, proc, sysfs and a tmpfs on /run under $LFS in the host's mount
table and chroots. Those mounts outlive a failed or killed build, and one `rm -rf` later the
host's /dev is gone. Here every chroot command runs in fresh mount and PID namespaces:

* the mounts exist only inside a private mount namespace, so the host never sees them and they
  vanish with the last process of the step;
* the step's first process is PID 1 of its own PID namespace, and `unshare --kill-child` ties
  it to the top process; when the top process dies (even by SIGKILL) the kernel kills PID 1 and
  with it every process of the step.

`spawn()` adds the last link: it ties the top process to lfsbuild (PR_SET_PDEATHSIG), so a
SIGKILL of lfsbuild takes down the whole step, mounts and processes alike.
"""
from __future__ import annotations

import os
import shutil
import signal
import stat
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from lfsbuild.errors import ChrootError, NeedsRoot
from .proc import spawn, stop  # noqa: F401  (re-exported: the chroot's process tools)

#: The book's prompt (chapter07/chroot.xml).
BOOK_PS1 = r"(lfs chroot) \u:\w\$ "

# Runs as PID 1's predecessor inside the new namespaces, on the host's tools, before the
# chroot: chapter07/kernfs.xml, verbatim where possible. "$1" is the root; the rest of "$@" is
# the final command (host `env -i K=V ... unshare --root=ROOT --wd=DIR -- ARGV...`).
_SETUP_SCRIPT = r"""
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
root=$1
shift
fail() { echo "lfsbuild-chroot: $*" >&2; exit 125; }
[ -d "$root" ] || fail "$root is not a directory"
for d in dev proc sys run; do
    [ -L "$root/$d" ] && fail "$root/$d is a symbolic link; refusing to mount over it"
    mkdir -p "$root/$d"
done
mount --bind /dev "$root/dev"
mount -t devpts devpts -o gid=5,mode=0620 "$root/dev/pts"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs tmpfs "$root/run"
if [ -h "$root/dev/shm" ]; then
    install -d -m 1777 "$root$(realpath /dev/shm)"
else
    mount -t tmpfs -o nosuid,nodev tmpfs "$root/dev/shm"
fi
exec env -i "$@"
"""

def book_env(term: str, jobs: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the book's `chroot ... /usr/bin/env -i ...` and nothing else.

    `extra` is for what the book allows on top (CFLAGS, ...); it may not drop the book's keys.
    """
    if jobs < 1:
        raise ChrootError(f"jobs must be at least 1, not {jobs}", hint="set lfs.jobs to a positive number")
    env = {
        "HOME": "/root",
        "TERM": term or "linux",
        "PS1": BOOK_PS1,
        "PATH": "/usr/bin:/usr/sbin",
        "MAKEFLAGS": f"-j{jobs}",
        "TESTSUITEFLAGS": f"-j{jobs}",
    }
    env.update(extra or {})
    return env


def _check_env(env: Mapping[str, str]) -> list[str]:
    pairs = []
    for key, value in env.items():
        if not key or "=" in key or "\0" in key or "\0" in str(value):
            raise ChrootError(f"invalid environment variable for the chroot: {key!r}",
                              hint="names must be non-empty and contain no '=' or NUL")
        pairs.append(f"{key}={value}")
    return pairs


def chroot_argv(root: Path, argv: Sequence[str], env: Mapping[str, str],
                cwd: str = "/") -> list[str]:
    """The host command line that runs `argv` inside `root` with exactly `env` (pure).

    Run as root. It creates private mount + PID namespaces, mounts the book's virtual kernel
    file systems under `root` inside them, chroots (changing to `cwd`, a path inside the root)
    and execs `argv`, resolved with env's PATH inside the root. SIGKILL of the top process
    (`unshare`) kills every process of the command and so removes every mount.
    """
    if not argv:
        raise ChrootError("nothing to run in the chroot: the command is empty")
    if not PurePosixPath(cwd).is_absolute():
        raise ChrootError(f"the chroot working directory must be absolute, not {cwd!r}")
    root_s = os.path.abspath(root)
    return [
        "unshare", "--mount", "--propagation", "private",
        "--pid", "--fork", "--kill-child=SIGKILL",
        "--", "/bin/sh", "-c", _SETUP_SCRIPT, "lfsbuild-chroot", root_s,
        *_check_env(env),
        "unshare", f"--root={root_s}", f"--wd={cwd}", "--", *argv,
    ]


def require_root(what: str, command: str) -> None:
    """Raise NeedsRoot unless we run as root, naming the command to run instead."""
    if os.geteuid() != 0:
        raise NeedsRoot(
            f"{what} needs root: it mounts /dev, /proc, /sys and /run in a private namespace, "
            f"chroots into the new system and works on files owned by root",
            hint=f"run it as root: sudo {command}   (if sudo cannot find invoke: "
                 f"sudo \"$(command -v invoke)\" {command.removeprefix('invoke ')})",
        )


def resolve_in_root(root: Path, path: str, max_links: int = 40) -> Path | None:
    """Host path of `path` as the chroot would see it, following symlinks *inside* `root`.

    Needed because $LFS's symlinks are relative to the new root (/bin -> usr/bin, or an
    absolute /bin/sh -> /usr/bin/bash); following them on the host would look at the host.
    Returns None if the path does not exist in the root.
    """
    pending = deque(PurePosixPath("/", path).parts[1:])
    current = PurePosixPath("/")
    links = 0
    while pending:
        name = pending.popleft()
        if name in ("", "."):
            continue
        if name == "..":
            current = current.parent
            continue
        host = Path(root, *(current / name).parts[1:])
        try:
            st = os.lstat(host)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > max_links:
                return None
            target = PurePosixPath(os.readlink(host))
            if target.is_absolute():
                current = PurePosixPath("/")
                pending.extendleft(reversed(target.parts[1:]))
            else:
                pending.extendleft(reversed(target.parts))
            continue
        current = current / name
    return Path(root, *current.parts[1:])


def _is_executable_in_root(root: Path, path: str) -> bool:
    host = resolve_in_root(root, path)
    return host is not None and host.is_file() and os.access(host, os.X_OK)


def shell_argv(root: Path, command: str | None) -> list[str]:
    """The book's `/bin/bash --login`, or `/bin/sh` for a root without bash (early/test roots)."""
    if _is_executable_in_root(root, "/bin/bash"):
        return ["/bin/bash", "--login"] if command is None else ["/bin/bash", "-c", command]
    if _is_executable_in_root(root, "/bin/sh"):
        return ["/bin/sh", "-l"] if command is None else ["/bin/sh", "-c", command]
    raise ChrootError(f"{root} has neither /bin/bash nor /bin/sh",
                      hint="the temporary tools (book chapter 6) must be built before entering the chroot")


def enter(root: Path, command: str | None = None, env: Mapping[str, str] | None = None,
          *, cwd: str = "/") -> int:
    """Open an interactive shell in `root` (or run one `command`); return its exit status.

    Exactly the environment steps get: same namespaces, same mounts, same variables.
    """
    require_root("entering the chroot", "invoke chroot" + (" -c '...'" if command else ""))
    root = Path(root)
    if not root.is_dir():
        raise ChrootError(f"{root} does not exist or is not a directory",
                          hint="check lfs.root ($LFS); the chroot needs the temporary system")
    if env is None:
        env = book_env(os.environ.get("TERM", "linux"), os.cpu_count() or 1)
    argv = chroot_argv(root, shell_argv(root, command), env, cwd=cwd)
    # Like os.system: the terminal's Ctrl-C belongs to the shell in the chroot, not to us.
    old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    old_quit = signal.signal(signal.SIGQUIT, signal.SIG_IGN)
    try:
        try:
            proc = spawn(argv, new_session=False)
        except FileNotFoundError as exc:
            raise ChrootError(f"cannot start {exc.filename}: not installed on this host",
                              hint="install util-linux (unshare, mount) and coreutils") from exc
        rc = proc.wait()
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGQUIT, old_quit)
    return rc if rc >= 0 else 128 - rc


def host_tools_missing() -> list[str]:
    """Host programs the chroot mechanism needs that are not on PATH (for a host check)."""
    return [t for t in ("unshare", "mount", "env", "install", "realpath") if shutil.which(t) is None]
