"""SSH host keys for a netbooted system: made once by `invoke pxe`, kept beside the tree.

Host keys are a machine's identity, so they are never part of the built image (the OpenSSH
recipe installs without them) and never part of what is published about it: they live in a
secrets directory next to the PXE tree (`build/pxe` -> `build/pxe-secrets`, mode 0700, private
keys 0600), outside the served tree, out of manifest.json (which records only their public
fingerprints) and out of every log. They are generated once and reused, so re-packing the
initrd keeps the machine's identity and `ssh` keeps trusting it; `boot-test --ssh` builds its
known_hosts from the `.pub` files here.

Until per-node identity exists, every node booting this initrd has these keys, and anyone who
can download the initrd can read them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lfsbuild.errors import PxeError

SECRETS_SUFFIX = "-secrets"
KEY_DIR = "etc/ssh"                        # inside the secrets directory and inside the root
TYPES = ("ed25519", "ecdsa", "rsa")        # what `ssh-keygen -A` makes, without the comment
SSHD_MARKS = ("usr/sbin/sshd", "etc/ssh/sshd_config")  # a root tree with an SSH server


@dataclass(frozen=True)
class KeyFile:
    """One file for the initrd: `path` relative to the root, with its bytes and mode."""

    path: str
    data: bytes
    mode: int


def secrets_dir(pxe_dir: Path) -> Path:
    """Where the host keys of the tree in `pxe_dir` live: beside it, never inside it."""
    return pxe_dir.with_name(pxe_dir.name + SECRETS_SUFFIX)


def has_sshd(rootfs: Path) -> bool:
    """Only a root with an SSH server gets keys (paths through real directories of an LFS
    tree; a symlink like /sbin could point at the host's own files)."""
    return any(os.path.lexists(rootfs / mark) for mark in SSHD_MARKS)


def require_keygen(keygen: str = "ssh-keygen") -> None:
    """The host's ssh-keygen, which makes the host keys of a root with an SSH server. `invoke
    build` asks before it starts when OpenSSH is selected, not at `pxe`, hours later."""
    if shutil.which(keygen) is None:
        raise PxeError(f"the root has (or will have) an SSH server, but {keygen} is not "
                       f"installed to make its host keys", "install the Debian package "
                       "openssh-client, or leave openssh out of lfs.blfs")


def ensure_host_keys(secrets: Path, keygen: str = "ssh-keygen") -> list[Path]:
    """The private key files, generating those that are missing; returns them in TYPES order.

    ssh-keygen writes the private key with mode 0600 itself; the directory is made 0700 first,
    so no key is ever readable by others, even for a moment.
    """
    keydir = secrets / KEY_DIR
    for d in (secrets, secrets / "etc", keydir):
        d.mkdir(mode=0o700, exist_ok=True)
        os.chmod(d, 0o700)
    keys = [keydir / f"ssh_host_{t}_key" for t in TYPES]
    missing = [k for k in keys if not (k.is_file() and k.with_suffix(".pub").is_file())]
    if missing:
        require_keygen(keygen)
    for key, kind in zip(keys, TYPES):
        if key not in missing:
            continue
        for stale in (key, key.with_suffix(".pub")):
            stale.unlink(missing_ok=True)
        # -C '': no build host name inside the keys; output discarded (it holds no secret, but
        # a log is no place for key material of any kind)
        res = subprocess.run([keygen, "-q", "-t", kind, "-N", "", "-C", "", "-f", str(key)],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if res.returncode != 0 or not key.is_file():
            raise PxeError(f"{keygen} could not make the {kind} host key in {keydir}: "
                           f"{res.stderr.strip()[-300:]}", "check that the directory is writable")
    for key in keys:
        os.chmod(key, 0o600)
        os.chmod(key.with_suffix(".pub"), 0o644)
    return keys


def initrd_files(keys: list[Path]) -> tuple[KeyFile, ...]:
    """The keys as /etc/ssh/ssh_host_*_key (0600) and .pub (0644) entries of the root."""
    out = []
    for key in keys:
        for path, mode in ((key, 0o600), (key.with_suffix(".pub"), 0o644)):
            out.append(KeyFile(f"{KEY_DIR}/{path.name}", path.read_bytes(), mode))
    return tuple(out)


def public_keys(secrets: Path) -> list[tuple[str, str]]:
    """(type, base64) of every public host key in `secrets`, for a known_hosts file."""
    out = []
    for pub in sorted((secrets / KEY_DIR).glob("ssh_host_*_key.pub")):
        fields = pub.read_text().split()
        if len(fields) >= 2:
            out.append((fields[0], fields[1]))
    return out


def fingerprints(keys: list[Path], keygen: str = "ssh-keygen") -> list[str]:
    """'ED25519 SHA256:...' per key: public facts for the manifest and the printed summary."""
    out = []
    for key in keys:
        res = subprocess.run([keygen, "-l", "-f", str(key.with_suffix(".pub"))],
                             capture_output=True, text=True)
        parts = res.stdout.split()
        if res.returncode == 0 and len(parts) >= 2:
            out.append(f"{parts[-1].strip('()')} {parts[1]}")
    return out
