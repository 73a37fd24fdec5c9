"""Map a client-supplied file name to an open file inside the served root, or refuse it.

Both TFTP and HTTP go through `open_inside`, so the rules live in one place: the name is
untrusted input, and the only files ever opened are regular files whose *resolved* path
stays inside the resolved root (so a symlink pointing outside is refused, one pointing
elsewhere inside is fine).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass

MAX_NAME_BYTES = 255


class Refused(Exception):
    """A name was refused; `not_found` tells the protocol layer which error code fits."""

    def __init__(self, reason: str, not_found: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_found = not_found


@dataclass(frozen=True)
class OpenFile:
    """An open, read-only descriptor of a regular file and what was checked about it."""

    fd: int
    size: int
    path: str


def open_inside(root_real: str, name: str) -> OpenFile:
    """Open `name` (relative, '/'-separated) below `root_real`; raise `Refused` otherwise.

    `root_real` must already be `os.path.realpath`'d: resolving it once per server keeps
    the per-request cost to one realpath and one open.
    """
    raw = os.fsencode(name)
    if not raw:
        raise Refused("empty file name")
    if b"\0" in raw:
        raise Refused("file name contains a NUL byte")
    if len(raw) > MAX_NAME_BYTES:
        raise Refused(f"file name longer than {MAX_NAME_BYTES} bytes")
    # A leading "/" means the served root, as with tftpd-hpa --secure: boot loaders (GRUB's
    # prefix, pxelinux configs written for other servers) ask for "/pxelinux.0" or "/grub/...";
    # "/etc/passwd" is looked up as <root>/etc/passwd, never the host's.
    name = name.lstrip("/")
    if not name:
        raise Refused("empty file name")
    if ".." in name.split("/"):
        raise Refused("'..' in a path is refused")
    real = os.path.realpath(os.path.join(root_real, name))
    if real != root_real and not real.startswith(root_real.rstrip("/") + "/"):
        raise Refused("path leaves the served root (symlink pointing outside?)")
    try:
        # O_NONBLOCK: opening a FIFO must not hang the server; O_NOFOLLOW: the path was
        # resolved above, so a symlink here means it was swapped in since.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Refused("file not found", not_found=True) from None
    except OSError as exc:
        raise Refused(f"cannot open: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused("not a regular file", not_found=stat.S_ISDIR(st.st_mode))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return OpenFile(fd=fd, size=st.st_size, path=real)
