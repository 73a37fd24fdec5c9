"""bench/real/mirror.py's BLFS part: the stand-in BLFS bootscripts, packages-blfs-mirror.yaml and
the BLFS settings in lfs.yaml, checked against lfsbuild's own loaders (the real mirror is built
outside the repository; these run on generated files only, in seconds)."""
from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

from conftest import REPO, need

from lfsbuild.settings import from_config
from lfsbuild.sources.packages import load_packages

MIRROR_PY = REPO / "bench" / "real" / "mirror.py"


def mirror_module():
    """bench/real/ is a script directory, not a package: load mirror.py by path."""
    spec = importlib.util.spec_from_file_location("bench_real_mirror", MIRROR_PY)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses look their module up while defining
    spec.loader.exec_module(mod)
    return mod


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_blfs_bootscripts_standin_installs_what_the_recipes_run(tmp_path: Path) -> None:
    need("make", "xz", package="make xz-utils")
    m = mirror_module()
    tarballs = []
    for run in ("a", "b"):
        (tmp_path / run / "mirror").mkdir(parents=True)
        e = m.blfs_bootscripts(tmp_path / run, "20250225")
        assert "STAND-IN" in e.origin and e.version == "20250225"
        tarballs.append(tmp_path / run / "mirror" / e.file)
    assert md5(tarballs[0]) == md5(tarballs[1]), "two runs must pack the same bytes"
    with tarfile.open(tarballs[0]) as t:
        assert {n.split("/", 1)[0] for n in t.getnames()} == {"blfs-bootscripts-20250225"}
        t.extractall(tmp_path / "src")
    src = tmp_path / "src" / "blfs-bootscripts-20250225"
    dest = tmp_path / "dest"
    # what book/blfs/010-openssh.sh and 020-dhcpcd.sh run
    subprocess.run(["make", f"DESTDIR={dest}", "install-sshd", "install-service-dhcpcd"],
                   cwd=src, check=True, capture_output=True)
    assert (dest / "etc/rc.d/init.d/sshd").stat().st_mode & 0o777 == 0o754
    assert (dest / "lib/services/dhcpcd").stat().st_mode & 0o777 == 0o754
    for n in "345":
        assert (dest / f"etc/rc.d/rc{n}.d/S30sshd").readlink() == Path("../init.d/sshd")
    for n in "0126":
        assert (dest / f"etc/rc.d/rc{n}.d/K30sshd").readlink() == Path("../init.d/sshd")

    # the service as LFS's ifup/ifdown call it: DHCP_START/DHCP_STOP become dhcpcd's options
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "init-functions").write_text("log_info_msg() { :; }\nevaluate_retval() { :; }\n")
    (fake / "dhcpcd").write_text(f'#!/bin/sh\necho "$*" >> {fake}/calls\n')
    (fake / "dhcpcd").chmod(0o755)
    service = fake / "service"
    service.write_text((src / "blfs/services/dhcpcd").read_text()
                       .replace("/lib/lsb/init-functions", str(fake / "init-functions"))
                       .replace("/usr/sbin/dhcpcd", str(fake / "dhcpcd")))
    ifconfig = fake / "ifconfig.eth0"
    ifconfig.write_text('DHCP_START="-b -q --persistent"\nDHCP_STOP="--exit"\n')
    for action in ("up", "down"):
        subprocess.run(["bash", str(service), "eth0", action], env={"IFCONFIG": str(ifconfig)},
                       check=True)
    ifconfig.write_text('DHCP_START="-b"\n')                 # no DHCP_STOP: release the lease
    subprocess.run(["bash", str(service), "eth0", "down"], env={"IFCONFIG": str(ifconfig)},
                   check=True)
    assert (fake / "calls").read_text().splitlines() == [
        "-b -q --persistent eth0", "--exit eth0", "-k eth0"]
    for script in ("blfs/init.d/sshd", "blfs/services/dhcpcd"):
        subprocess.run(["bash", "-n", str(src / script)], check=True)


def test_blfs_packages_and_settings_load_in_lfsbuild(tmp_path: Path) -> None:
    m = mirror_module()
    blfs_data = yaml.safe_load((REPO / "packages-blfs.yaml").read_text())
    (tmp_path / "mirror").mkdir()
    entries = {}
    for b in blfs_data["packages"]:
        file = f"{b['name']}-{b['version']}.tar.xz"
        (tmp_path / "mirror" / file).write_bytes(b["name"].encode())
        entries[b["name"]] = m.Entry(b["name"], b["version"], file, "test origin")
    entries.pop("dhcpcd")                                   # one the machine cannot get
    exact, missing = m.write_packages(tmp_path, blfs_data, entries, "packages-blfs-mirror.yaml")
    assert (exact, missing) == (0, 1)
    out = tmp_path / "packages-blfs-mirror.yaml"
    got = load_packages(out)                                # lfsbuild's own validation
    assert set(got.packages) == {b["name"] for b in blfs_data["packages"]}
    ssh = got.get("openssh")
    assert ssh.url == f"file://{tmp_path}/mirror/{ssh.filename}"
    assert ssh.md5 == hashlib.md5(b"openssh").hexdigest()
    assert got.get("dhcpcd").md5 == next(b["md5"] for b in blfs_data["packages"]
                                         if b["name"] == "dhcpcd")
    text = out.read_text()
    assert "# origin: test origin\n  - name: openssh" in text
    assert "# origin: test origin (the book publishes no md5)\n  - name: blfs-bootscripts" in text
    assert "# MISSING" in text

    m.write_settings(tmp_path)
    s = from_config(yaml.safe_load((tmp_path / "lfs.yaml").read_text())["lfs"], REPO)
    assert s.blfs == ("openssh", "dhcpcd")
    assert s.blfs_packages == out
    assert s.packages == tmp_path / "packages-mirror.yaml"
