"""File primitives: write-fsync-rename (a file is its old or its new content, never half of
one), and the sha256 that manifests record."""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)
_SYNC_FILE_RANGE_WRITE = 2


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` atomically.

    `durable=False` skips the fsyncs: still atomic against crashes of the process (rename),
    but a power loss may bring back the previous content - fine for records whose loss only
    repeats work, and much cheaper on slow disks.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no stray temporary file behind
        raise
    if durable:
        fsync_dir(path.parent)


def write_json(path: Path, data: object) -> None:
    """A JSON record (indented, sorted keys), written with `atomic_write`."""
    atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def flush_paths(files: Iterable[Path], dirs: Iterable[Path]) -> int:
    """fsync these regular files and directories, and nothing else; returns how many.

    Two passes over the files: first every file's writeback is started (sync_file_range,
    which does not wait), then each is fsync'd. One fsync at a time would write one file,
    commit the journal, write the next...; started together, the writes go out together and
    most fsyncs find their data on disk already. Files are opened once per pass, not held
    (a package installs more files than a process may keep open). A path that no longer
    exists is skipped (nothing can depend on it); any other error is raised. Directories are
    fsync'd for their entries (a created, renamed or removed name) and their own attributes.
    """
    files = list(files)
    for path in files:
        _on(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, lambda fd: _libc.sync_file_range(
            fd, ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_uint(_SYNC_FILE_RANGE_WRITE)))
    done = sum(_on(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, os.fsync) for path in files)
    return done + sum(_on(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, os.fsync) for path in dirs)


def _on(path: Path, flags: int, action: Callable[[int], object]) -> bool:
    """Open `path`, apply `action` to the descriptor, close it; False if it is gone."""
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return False
    try:
        action(fd)
    finally:
        os.close(fd)
    return True


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
