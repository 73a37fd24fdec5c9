"""The build VM: the Vagrantfile validates, and provision.sh installs what the book asks.

`vagrant validate` runs the real Vagrant (Debian package `vagrant`). Without a provider it can
only check the provider-independent part (`--ignore-provider`); the libvirt provider block is
validated for real against a libvirt daemon (vagrant-libvirt connects to it; tests/run starts
one). What Vagrant asks the host about things `validate` does not use is answered by small
stand-ins, so the result depends on the Vagrantfile, not on the host: whether an NFS server is
installed (a kernel NFS server cannot run on every machine, CI's included), and VirtualBox's
version (VirtualBox is not packaged for Debian 12). Each check runs on a copy of the Vagrantfile
in a temporary directory, so the shared sources folder it creates lands there, not in the
checkout.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, need, unavailable

from lfsbuild.build.hostcheck import load_requirements

PROVISION = REPO / "vagrant" / "provision.sh"
LIBVIRT_SOCKET = Path("/var/run/libvirt/libvirt-sock")
# `ps` too: Vagrant runs `ps -o comm= 1` to learn whether the host runs systemd
needs_vagrant = pytest.mark.needs("vagrant", "ps", package="vagrant vagrant-libvirt procps")

# Stand-ins for host queries that `vagrant validate` makes but whose answer is not what is tested.
HOST_STANDINS = {
    # the NFS synced folder asks "is nfsd installed?": `modinfo nfsd` on a host without systemd,
    # `systemctl list-unit-files ... | grep nfs-server.service` on one with it
    "modinfo": '[ "$1" = nfsd ]',
    "systemctl": "echo 'nfs-server.service enabled enabled'",
    # the VirtualBox provider is usable when VBoxManage reports a version
    "VBoxManage": "echo 7.0.20r163906",
}


def debian_packages(reqs_path: Path) -> set[str]:
    """Every Debian package host-requirements.yaml names, read by lfsbuild itself."""
    reqs = load_requirements(reqs_path)
    fixes = [t.fix for t in reqs.tools] + [link.fix for link in reqs.links] + \
        [reqs.compile.fix, reqs.kernel_fix]
    return {p for f in fixes for p in f.debian.split()}


def provision_lists(what: str, reqs_path: Path) -> list[str]:
    r = subprocess.run(["bash", str(PROVISION), f"--{what}", str(reqs_path)],
                       capture_output=True, text=True, check=True, timeout=30)
    return r.stdout.split("\n")[:-1]


def test_provision_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(PROVISION)], check=True)
    need("shellcheck", package="shellcheck")
    r = subprocess.run(["shellcheck", "--severity=style", str(PROVISION)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout


def test_provision_installs_every_debian_package_of_the_host_requirements():
    reqs = REPO / "host-requirements.yaml"
    listed = provision_lists("packages", reqs)
    assert set(listed) == debian_packages(reqs)
    assert len(listed) == len(set(listed))
    assert {"bash", "bison", "gawk", "texinfo", "build-essential", "xz-utils"} <= set(listed)
    fixes = provision_lists("fixes", reqs)
    assert fixes == [link.fix.debian_then for link in load_requirements(reqs).links
                     if link.fix.debian_then]
    assert "ln -sf bash /bin/sh" in fixes      # the book: /bin/sh must be bash


def test_provision_follows_the_requirements_file_not_a_copy(tmp_path: Path):
    """A new release's file is what gets installed: nothing in provision.sh to keep in sync."""
    text = (REPO / "host-requirements.yaml").read_text()
    anchor = "  - {name: xz,"
    assert anchor in text
    changed = tmp_path / "host-requirements.yaml"
    changed.write_text(text.replace(anchor, "  - {name: zstd, command: [zstd, --version], "
                                            "minimum: '1.5', debian: zstd, fedora: zstd}\n"
                                    + anchor, 1))
    assert "zstd" in debian_packages(changed)
    assert set(provision_lists("packages", changed)) == debian_packages(changed)


def libvirt_answers() -> bool:
    """A daemon listens on the socket (a file left by a daemon that died does not count)."""
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(LIBVIRT_SOCKET))
        except OSError:
            return False
    return True


def vagrant_validate(tmp_path: Path, *args: str, vagrantfile: str | None = None,
                     **env: str) -> subprocess.CompletedProcess:
    """`vagrant validate` on a copy of the Vagrantfile (or this text) and its provisioner, with
    HOST_STANDINS first on PATH."""
    (tmp_path / "vagrant").mkdir(exist_ok=True)
    (tmp_path / "Vagrantfile").write_text(vagrantfile or (REPO / "Vagrantfile").read_text())
    shutil.copy(PROVISION, tmp_path / "vagrant" / "provision.sh")
    standins = tmp_path / "host-standins"
    standins.mkdir(exist_ok=True)
    for name, body in HOST_STANDINS.items():
        (standins / name).write_text(f"#!/bin/sh\n{body}\n")
        (standins / name).chmod(0o755)
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LFSBUILD_", "VAGRANT_"))}
    full.update(VAGRANT_CHECKPOINT_DISABLE="1", VAGRANT_NO_COLOR="1",
                PATH=f"{standins}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
                LFSBUILD_SOURCES=str(tmp_path / "sources"), **env)
    return subprocess.run(["vagrant", "validate", *args], cwd=tmp_path, env=full,
                          capture_output=True, text=True, timeout=120, check=False)


@needs_vagrant
def test_vagrant_validate(tmp_path: Path):
    r = vagrant_validate(tmp_path, "--ignore-provider")
    assert r.returncode == 0 and "validated successfully" in r.stdout, r.stdout + r.stderr
    r = vagrant_validate(tmp_path, "--ignore-provider", LFSBUILD_VM_CPUS="4",
                         LFSBUILD_VM_MEMORY="8192", LFSBUILD_VM_DISK="60")
    assert r.returncode == 0, r.stdout + r.stderr


@needs_vagrant
@pytest.mark.parametrize("env, message", [
    ({"LFSBUILD_VM_DISK": "10"}, "LFSBUILD_VM_DISK=10: expected a whole number >= 30"),
    ({"LFSBUILD_VM_CPUS": "many"}, "LFSBUILD_VM_CPUS=many: expected a whole number"),
    ({"LFSBUILD_VM_SHARE": "smb"}, "LFSBUILD_VM_SHARE=smb: expected nfs, virtiofs or 9p"),
])
def test_vagrant_refuses_bad_settings(tmp_path: Path, env: dict[str, str], message: str):
    r = vagrant_validate(tmp_path, "--ignore-provider", **env)
    assert r.returncode != 0 and message in r.stdout + r.stderr


@needs_vagrant
@pytest.mark.parametrize("share", ["9p", "virtiofs", "nfs"])
def test_vagrant_validate_libvirt(tmp_path: Path, share: str):
    if not libvirt_answers():
        unavailable(f"no libvirt daemon answers on {LIBVIRT_SOCKET}",
                    "apt-get install -y vagrant-libvirt libvirt-daemon-system; libvirtd -d")
    r = vagrant_validate(tmp_path, VAGRANT_DEFAULT_PROVIDER="libvirt", LFSBUILD_VM_SHARE=share)
    assert r.returncode == 0 and "validated successfully" in r.stdout, r.stdout + r.stderr


@needs_vagrant
def test_vagrant_validate_virtualbox(tmp_path: Path):
    r = vagrant_validate(tmp_path, VAGRANT_DEFAULT_PROVIDER="virtualbox")
    assert r.returncode == 0 and "validated successfully" in r.stdout, r.stdout + r.stderr


@needs_vagrant
def test_vagrant_validate_virtualbox_still_checks_the_provider_block(tmp_path: Path):
    """The VBoxManage stand-in only makes the provider usable: its settings are still checked."""
    text = (REPO / "Vagrantfile").read_text()
    assert "    vb.cpus = CPUS\n" in text
    wrong = text.replace("    vb.cpus = CPUS\n", "    vb.cpus = CPUS\n    vb.no_such_setting = 1\n")
    r = vagrant_validate(tmp_path, VAGRANT_DEFAULT_PROVIDER="virtualbox", vagrantfile=wrong)
    assert r.returncode != 0 and "no_such_setting" in r.stdout + r.stderr, r.stdout + r.stderr


def test_vagrantfile_is_valid_ruby():
    need("ruby", package="ruby")
    r = subprocess.run(["ruby", "-c", str(REPO / "Vagrantfile")], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0 and "Syntax OK" in r.stdout, r.stderr
