"""`invoke pxe` host keys and `invoke boot-test --ssh`, for real: QEMU boots Debian's kernel
into a busybox root that runs the host's own sshd (Debian's /usr/sbin/sshd with the shared
libraries ldd names), and the host's ssh client logs in through a forwarded 127.0.0.1 port,
checking the host key against the keys `invoke pxe` made.

Debian's kernel has no NIC driver built in (and no ip=dhcp), so the test root's init loads the
e1000 module (from the same linux-image package as the kernel) and gives eth0 QEMU's user-mode
address itself. Three boots: a login that works, one where sshd answers with another host key,
one where no sshd answers.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import need, need_file, run_invoke, unavailable
from netboot_trees import KERNEL_CACHE, make_netboot_tree, require_kernel
from lfsbuild.netboot.boot_test import (BootOptions, Endpoints, known_hosts, qemu_argv, ssh_argv,
                                        ssh_verdict)
from lfsbuild.netboot.pxe.hostkeys import secrets_dir

MARKER = "LFSBUILD-SSH-READY"
SSHD = Path("/usr/sbin/sshd")
APPLETS = ("insmod", "ip", "sleep", "uname", "hostname", "chmod")  # beside netboot_trees's

def needs_tools(test):
    """QEMU, the host's ssh client and an sshd to copy into the test root (tests/run installs
    them and keeps the host's own ssh service stopped)."""
    for mark in (pytest.mark.needs("qemu-system-x86_64", package="qemu-system-x86"),
                 pytest.mark.needs("ssh", "ssh-keygen", package="openssh-client"),
                 pytest.mark.needs("sshd", package="openssh-server")):
        test = mark(test)
    return test


def nic_module(kernel: Path, dest: Path) -> Path:
    """e1000.ko for `kernel`: from the cache beside it, else out of the linux-image .deb."""
    version = kernel.name.removeprefix("vmlinuz-")
    rel = f"lib/modules/{version}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko"
    cache = Path(KERNEL_CACHE.split("/boot/")[0])
    if (cache / rel).is_file():
        return cache / rel
    debs = sorted(cache.glob(f"linux-image-{version}_*.deb"))
    if not debs:
        unavailable(f"no e1000 module for {version}: neither {cache / rel} nor a "
                    f"linux-image-{version} package in {cache}", "tests/run keeps it there")
    dest.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(f"dpkg-deb --fsys-tarfile {debs[-1]} | tar -x -C {dest} ./{rel}",
                         shell=True, capture_output=True, text=True)
    assert tar.returncode == 0, tar.stderr
    return dest / rel


def add_sshd(root: Path) -> None:
    """The host's sshd and every library it loads, at the same paths."""
    (root / "usr/sbin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(SSHD, root / "usr/sbin/sshd")
    out = subprocess.run(["ldd", str(SSHD)], capture_output=True, text=True, check=True).stdout
    for lib in re.findall(r"(/\S+) \(0x", out):
        target = root / lib.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(os.path.realpath(lib), target)
        target.chmod(0o755)


def make_ssh_root(root: Path, kernel: Path, pubkey: str, start_sshd: bool = True) -> Path:
    make_netboot_tree(root, marker=MARKER)
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    add_sshd(root)
    shutil.copyfile(nic_module(kernel, root.parent / "modules"), root / "e1000.ko")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                     "sshd:x:100:65534:privsep:/run/sshd:/bin/false\n")
    (root / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")
    (root / "etc/ssh").mkdir()
    (root / "etc/ssh/sshd_config").write_text(
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nPidFile /run/sshd.pid\n")
    (root / "root/.ssh").mkdir(parents=True)
    (root / "root").chmod(0o700)
    (root / "root/.ssh").chmod(0o700)
    (root / "root/.ssh/authorized_keys").write_text(pubkey)
    (root / "root/.ssh/authorized_keys").chmod(0o600)
    sshd = "mkdir -p /run/sshd && chmod 755 /run/sshd && /usr/sbin/sshd -e\n" if start_sshd else ""
    # lfsbuild's /init has mounted proc, sys, dev and run already
    (root / "sbin/init").write_text(
        "#!/bin/sh\nhostname -F /etc/hostname\ninsmod /e1000.ko\nip link set lo up\n"
        "ip addr add 10.0.2.15/24 dev eth0\nip link set eth0 up\n"
        f"ip route add default via 10.0.2.2\n{sshd}echo {MARKER}\n"
        "while true; do sleep 60; done\n")
    return root


@pytest.fixture(scope="module")
def login_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = tmp_path_factory.mktemp("key") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)],
                   check=True)
    return key


def env_for(base: Path, key: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, INVOKE_LFS_ROOT=str(base / "lfs"), INVOKE_LFS_PXE_DIR=str(base / "pxe"),
               INVOKE_LFS_BLFS="")
    if key is not None:
        env["INVOKE_LFS_SYSTEM_AUTHORIZED_KEYS"] = f"{key}.pub"
    return env


def pack(base: Path, root: Path, kernel: Path, key: Path) -> subprocess.CompletedProcess:
    return run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out",
                       str(base / "pxe")], env_for(base, key), check=True, timeout=300)


def boot_ssh(base: Path, key: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_invoke(["boot-test", "--pxe-dir", str(base / "pxe"), "--ssh", "--nic", "e1000",
                       "--transport", "http", "--marker", MARKER, "--timeout", "240", *extra],
                      env_for(base, key), timeout=600)


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory, login_key: Path) -> dict:
    need_file(SSHD, package="openssh-server")
    need("ssh-keygen", package="openssh-client")
    kernel = require_kernel()
    base = tmp_path_factory.mktemp("ssh")
    root = make_ssh_root(base / "root", kernel, Path(f"{login_key}.pub").read_text())
    first = pack(base, root, kernel, login_key)
    return {"base": base, "root": root, "kernel": kernel, "first": first}


@pytest.mark.slow
def test_pxe_makes_host_keys_beside_the_tree_and_keeps_them(packed, login_key):
    base, secrets = packed["base"], secrets_dir(packed["base"] / "pxe")
    assert secrets == base / "pxe-secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    keys = sorted(secrets.rglob("ssh_host_*_key"))
    assert [k.name for k in keys] == ["ssh_host_ecdsa_key", "ssh_host_ed25519_key",
                                      "ssh_host_rsa_key"]
    assert all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
    assert f"kept in {secrets}" in packed["first"].stdout      # `invoke pxe` says where
    before = {k: k.read_bytes() for k in secrets.rglob("*") if k.is_file()}
    initrd = (base / "pxe/initrd.img").read_bytes()
    again = pack(base, packed["root"], packed["kernel"], login_key)
    assert {k: k.read_bytes() for k in secrets.rglob("*") if k.is_file()} == before
    assert (base / "pxe/initrd.img").read_bytes() == initrd   # re-pack: same keys, same bytes
    manifest = (base / "pxe/manifest.json").read_text()
    for k in keys:  # neither half of a key, nor where the private ones live
        assert k.read_text().split("\n")[1][:40] not in manifest
        assert Path(f"{k}.pub").read_text().split()[1] not in manifest
        assert k.read_text().split("\n")[1][:40] not in packed["first"].stdout + again.stdout
    assert str(secrets) not in manifest
    assert len(json.loads(manifest)["ssh_host_keys"]) == 3       # fingerprints only
    assert not list((base / "pxe").rglob("ssh_host_*"))        # nothing secret in the served tree
    listing = subprocess.run(f"zstd -dc {base}/pxe/initrd.img | cpio -itv", shell=True,
                             capture_output=True, text=True).stdout
    assert re.search(r"-rw------- .* root +root .* etc/ssh/ssh_host_ed25519_key$", listing, re.M)


@needs_tools
@pytest.mark.slow
def test_boot_test_ssh_logs_in_and_shows_uname_and_hostname(packed, login_key):
    r = boot_ssh(packed["base"], login_key,
                 "--ssh-command", "uname -a; cat /etc/hostname; echo sum=$((6*7))")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^  sum=42$", r.stdout, re.M), r.stdout   # --ssh-command, run by a shell
    version = packed["kernel"].name.removeprefix("vmlinuz-")
    assert re.search(rf"^  Linux lfs-pxe-test {re.escape(version)} .*x86_64", r.stdout, re.M), r.stdout
    assert re.search(r"^  lfs-pxe-test$", r.stdout, re.M)
    assert "(host key checked)" in r.stdout


@needs_tools
@pytest.mark.slow
def test_boot_test_ssh_fails_when_sshd_answers_with_another_host_key(packed, login_key, tmp_path):
    """The guest keeps the packed keys; the keys beside the tree are replaced by new ones."""
    base = tmp_path
    shutil.copytree(packed["base"] / "pxe", base / "pxe")
    fresh = secrets_dir(base / "pxe") / "etc/ssh"
    fresh.mkdir(parents=True)
    for kind in ("ed25519", "ecdsa", "rsa"):
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "",
                        "-f", str(fresh / f"ssh_host_{kind}_key")], check=True)
    r = boot_ssh(base, login_key)
    assert r.returncode == 1
    assert "sshd answered with another host key" in r.stderr, r.stdout + r.stderr
    assert "SSH login failed" in r.stderr


@needs_tools
@pytest.mark.slow
def test_boot_test_ssh_fails_when_sshd_does_not_answer(login_key, tmp_path):
    kernel = require_kernel()
    root = make_ssh_root(tmp_path / "root", kernel, Path(f"{login_key}.pub").read_text(),
                         start_sshd=False)
    pack(tmp_path, root, kernel, login_key)
    r = boot_ssh(tmp_path, login_key, "--ssh-timeout", "15")
    assert r.returncode == 1
    assert "sshd did not answer on the guest's port 22" in r.stderr, r.stdout + r.stderr


def test_ssh_options_and_verdicts(tmp_path):
    (tmp_path / "pxe-secrets/etc/ssh").mkdir(parents=True)
    (tmp_path / "pxe-secrets/etc/ssh/ssh_host_ed25519_key.pub").write_text(
        "ssh-ed25519 AAAAC3Nza comment\n")
    assert known_hosts(tmp_path / "pxe", 2222) == "[127.0.0.1]:2222 ssh-ed25519 AAAAC3Nza\n"
    argv = qemu_argv(BootOptions(pxe_dir=tmp_path / "pxe"), Endpoints(tmp_path, None, 80), "tcg",
                     None, ssh_port=2222)
    assert any(a.endswith(",hostfwd=tcp:127.0.0.1:2222-:22") for a in argv)
    cmd = ssh_argv(2222, tmp_path / "kh", tmp_path / "id", "uname -a")
    assert "StrictHostKeyChecking=yes" in cmd and f"UserKnownHostsFile={tmp_path / 'kh'}" in cmd
    assert cmd[-2:] == ["root@127.0.0.1", "uname -a"] and "BatchMode=yes" in cmd
    assert ssh_verdict(0, "") == ""
    assert ssh_verdict(255, "kex_exchange_identification: read: Connection reset by peer") is None
    assert ssh_verdict(255, "ssh: connect to host 127.0.0.1 port 2222: Connection refused") is None
    changed = ("@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
               "The fingerprint for the ED25519 key sent by the remote host is\n"
               "SHA256:abc.\nHost key verification failed.\n")
    assert "another host key" in ssh_verdict(255, changed) and "SHA256:abc" in ssh_verdict(255, changed)
    assert "refused the login key" in ssh_verdict(255, "root@127.0.0.1: Permission denied (publickey).")


def test_initrd_host_keys_replace_the_trees_own(tmp_path):
    """A key some earlier build left in the tree never reaches a node: the generated one wins."""
    from lfsbuild.netboot.pxe.hostkeys import KeyFile
    from lfsbuild.netboot.pxe.initrd import InitrdSpec, iter_entries
    root = tmp_path / "root"
    (root / "etc/ssh").mkdir(parents=True)
    (root / "etc/ssh/ssh_host_ed25519_key").write_text("baked into the image")
    os.chmod(root / "etc/ssh/ssh_host_ed25519_key", 0o644)
    spec = InitrdSpec(rootfs=root, extra_files=(
        KeyFile("etc/ssh/ssh_host_ed25519_key", b"generated", 0o600),
        KeyFile("var/lib/new/key", b"x", 0o600)))
    entries = list(iter_entries(spec))
    names = [e.name for e in entries]
    assert len(names) == len(set(names))
    by = {e.name: e for e in entries}
    key = by["etc/ssh/ssh_host_ed25519_key"]
    assert key.data == b"generated" and stat.S_IMODE(key.mode) == 0o600 and key.uid == 0
    assert stat.S_ISDIR(by["var/lib/new"].mode) and by["var/lib/new/key"].data == b"x"
