"""File primitives: write-fsync-rename (a file is its old or its new content, never half of
one), and the sha256 that manifests record."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path


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


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
