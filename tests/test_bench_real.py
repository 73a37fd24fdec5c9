"""bench/real/mirror.py's BLFS part: the stand-in BLFS bootscripts, packages-blfs-mirror.yaml and
the BLFS settings in lfs.yaml, checked against lfsbuild's own loaders (the real mirror is built
outside the repository; these run on generated files only, in seconds)."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, load_script, need

from lfsbuild.netboot.lab import node_mac
from lfsbuild.netboot.pxe.nodes import load_nodes
from lfsbuild.settings import from_config
from lfsbuild.sources.packages import load_packages

MIRROR_PY = REPO / "bench" / "real" / "mirror.py"


def mirror_module():
    """bench/real/ is a script directory, not a package: load mirror.py by path."""
    return load_script(MIRROR_PY, "bench_real_mirror")


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
    key = tmp_path / "keys/root_ed25519.pub"                # root's login key, made once, kept
    assert dict(s.system)["authorized_keys"].strip() == key.read_text().strip()
    assert (tmp_path / "keys/root_ed25519").stat().st_mode & 0o077 == 0
    nodes = load_nodes(s.nodes)                             # the lab's two nodes, own hostnames
    assert [(n.mac, n.hostname) for n in nodes] == [(node_mac(1), "lfs-node1"),
                                                    (node_mac(2), "lfs-node2")]
    first = key.read_text()
    m.write_settings(tmp_path)
    assert key.read_text() == first
    assert s.blfs_packages == out
    assert s.packages == tmp_path / "packages-mirror.yaml"


FAKE_PYTHON = '''#!/usr/bin/env python3
"""Stands in for python in bench/real/build.sh: `-c` checks pass; `-m invoke ... build` reports
how SIGINT reaches it, then waits like a long build until Ctrl-C's signal stops it."""
import os, signal, sys, time
if sys.argv[1] == "-c":
    sys.exit(0)
print("build: SIGINT", "ignored" if signal.getsignal(signal.SIGINT) is signal.SIG_IGN
      else "handled", "nice", os.nice(0), flush=True)
try:
    time.sleep(60)
except KeyboardInterrupt:
    print("build: interrupted cleanly", flush=True)
    sys.exit(130)
print("build: never stopped", flush=True)
'''


def test_build_sh_stops_on_kill_int_even_when_started_with_sigint_ignored(tmp_path: Path) -> None:
    """bench/real/build.sh run by another script in the background (SIGINT ignored, as a
    non-interactive shell's `&` leaves it): `kill -INT` must still be Ctrl-C to the build.
    In session 5 it was not: the build went on, and only SIGTERM stopped it."""
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    stubs = tmp_path / "bin"          # the book's host tools build.sh looks for (none runs here):
    stubs.mkdir()                     # present, so it never installs them (tests/run does not)
    for tool in ("gcc", "g++", "make", "bison", "gawk", "m4", "makeinfo", "patch", "xz"):
        (stubs / tool).write_text("#!/bin/sh\nexit 0\n")
        (stubs / tool).chmod(0o755)
    (tmp_path / "lfs.yaml").write_text(f"lfs:\n  root: {tmp_path}/lfs\n")
    script = REPO / "bench" / "real" / "build.sh"
    started = subprocess.run(
        ["bash", str(script), "--dir", str(tmp_path), "--nice", "3"], capture_output=True,
        text=True, timeout=60,
        env={**os.environ, "PYTHON": str(fake), "PATH": f"{stubs}:{os.environ['PATH']}"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert started.returncode == 0, started.stdout + started.stderr
    pid = int((tmp_path / "build.pid").read_text())
    log = (tmp_path / "build.log").resolve()
    nice = min(19, os.nice(0) + 3)                          # nice -n adds to the caller's
    assert f"build: SIGINT handled nice {nice}" in log.read_text(), log.read_text()
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and \
            "interrupted" not in log.read_text():
        time.sleep(0.2)
    assert "build: interrupted cleanly" in log.read_text(), log.read_text()


def test_bench_real_scripts_pass_shellcheck_and_prove_sh_refuses_what_it_does_not_know(
        tmp_path: Path) -> None:
    need("shellcheck", package="shellcheck")
    scripts = sorted((REPO / "bench" / "real").glob("*.sh"))
    assert {s.name for s in scripts} >= {"build.sh", "mirror.sh", "prove.sh"}
    r = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    prove = str(REPO / "bench" / "real" / "prove.sh")
    r = subprocess.run(["bash", prove, "--dir", str(tmp_path), "ssh", "lab"], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "error: unknown proof or option lab" in r.stderr
    r = subprocess.run(["bash", prove, "--dir", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1 and f"error: {tmp_path}/lfs.yaml not found" in r.stderr
    assert not (tmp_path / "proofs").exists()


def test_expect_standin_leaves_the_function_checks_without_headers(tmp_path: Path) -> None:
    """A check that declares `char strchr ();` itself fails once <string.h> is included: expect
    then defines strchr as index and Dbg.c does not compile (the real chapter 8 stopped there)."""
    m = mirror_module()
    configure = m.expect_edits(tmp_path, tmp_path)["configure"]
    text = ("cat confdefs.h - <<_ACEOF >conftest.$ac_ext\n/* end confdefs.h.  */\n"
            "/* Override any GCC internal prototype to avoid an error. */\nchar $2 ();\n"
            "main ()\n{\nreturn $2 ();\n}\n_ACEOF\n"
            "cat confdefs.h - <<_ACEOF >conftest.$ac_ext\n/* end confdefs.h.  */\n"
            "#include <termios.h>\nmain()\n{ exit(0); }\n_ACEOF\n")
    out = configure(text).split("_ACEOF\ncat")
    assert "#include <string.h>" not in out[0] and "int main ()" in out[0]
    assert "/* end confdefs.h.  */\n#include <stdlib.h>\n#include <string.h>" in out[1]
    assert "int main()" in out[1]


def test_git_trees_get_their_configure_and_expat_its_folder(tmp_path: Path, monkeypatch) -> None:
    """Debian's orig of expat, kbd, libffi and libxcrypt is a git tree: no configure, which the
    book runs (the real chapter 8 stopped at libxcrypt: `./configure: No such file`)."""
    m = mirror_module()
    assert {"expat", "kbd", "libffi", "libxcrypt"} <= set(m.FIXES)
    ran = []
    monkeypatch.setattr(m, "run", lambda cmd, **kw: ran.append((cmd, kw["cwd"])) or
                        (kw["cwd"] / "configure").write_text("#!/bin/sh\n"))
    # autoreconf is not run (above), so the host need not have the autotools: say they are there
    monkeypatch.setattr(m.shutil, "which", lambda tool: "/x")
    tree = tmp_path / "libexpat-R_2_8_2"
    (tree / "expat" / "lib").mkdir(parents=True)
    (tree / "expat" / "configure.ac").write_text("AC_INIT\n")
    (tree / "testdata").mkdir()
    (tree / "README.md").write_text("x")
    m.fix_expat(tree)
    assert sorted(p.name for p in tree.iterdir()) == ["configure", "configure.ac", "lib"]
    assert ran == [(["autoreconf", "-fi"], tree)]
    monkeypatch.setattr(m.shutil, "which", lambda tool: None if tool == "autopoint" else "/x")
    with pytest.raises(SystemExit, match="needs apt-get install -y autopoint"):
        m.autoreconf(tree)
