"""Who runs a step: the unprivileged build user (created like the book does), or ourselves."""
from __future__ import annotations

import grp
import os
import pwd
import subprocess
from dataclasses import dataclass

from lfsbuild.errors import HostError


@dataclass(frozen=True)
class Identity:
    name: str
    uid: int
    gid: int
    home: str

    @property
    def is_self(self) -> bool:
        return self.uid == os.geteuid()

    def wrap(self) -> list[str]:
        """Command prefix that drops to this identity (empty when it is us)."""
        if self.is_self:
            return []
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--"]


def current() -> Identity:
    pw = pwd.getpwuid(os.geteuid())
    return Identity(pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir)


def build_user(name: str) -> Identity:
    """The identity for stages 1-2: `name` when we are root (created if missing), else us.

    The book creates the user with groupadd/useradd; so do we, with the system's own tools,
    so the host's user database stays consistent.
    """
    if os.geteuid() != 0:
        return current()
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        pw = _create(name)
    return Identity(pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir)


def _create(name: str) -> pwd.struct_passwd:
    try:
        grp.getgrnam(name)
    except KeyError:
        _run(["groupadd", name])
    _run(["useradd", "-s", "/bin/bash", "-g", name, "-m", "-k", "/dev/null", name])
    return pwd.getpwnam(name)


def _run(cmd: list[str]) -> None:
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise HostError(f"cannot create the build user: {cmd[0]} is not installed",
                        "install the 'passwd' package, or create the user yourself") from None
    except subprocess.CalledProcessError as exc:
        raise HostError(f"`{' '.join(cmd)}` failed: {exc.stderr.strip()}",
                        "create the build user by hand or set lfs.user to an existing user") from None
