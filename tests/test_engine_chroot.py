"""Chroot stages through the engine: a busybox root as $LFS, real namespaces, real mounts."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO, run_invoke
from rootfs import make_busybox_root
from waiting import wait_until
from lfsbuild.build.mounts import mounts_under
from lfsbuild.owned import claim_root

pytestmark = pytest.mark.root("chroot stages")

CHECK = """# Check the chroot
#: run: chroot
#: sbu: 0
env | sort > /root/env.txt
test -r /proc/self/status
test -c /dev/null && echo fine > /dev/null
test -d /dev/pts
test -d /run
grep -q " /proc proc" /proc/mounts
pwd > /root/cwd.txt
echo "$$" > /root/pid.txt
"""

SLOW = """# Slow
#: run: chroot
( while true; do date >> /root/tick.log; sleep 0.1; done ) &
sleep 120
"""


@pytest.fixture
def croot():
    base = Path(tempfile.mkdtemp(prefix="lfsbuild-chroot-", dir="/tmp"))
    base.chmod(0o755)
    claim_root(base / "lfs")  # lfsbuild made this $LFS (so `clean` may empty it); the test fills it
    lfs = make_busybox_root(base / "lfs")
    book = base / "book" / "stage3"
    book.mkdir(parents=True)
    pk = base / "packages.yaml"
    pk.write_text("release: 'test'\npackages: []\n")
    env = dict(os.environ, INVOKE_LFS_ROOT=str(lfs), INVOKE_LFS_SOURCES=str(base / "sources"),
               INVOKE_LFS_PACKAGES=str(pk), INVOKE_LFS_BOOK=str(base / "book"),
               INVOKE_LFS_MIRRORS="", INVOKE_LFS_HOST_CHECK="0", TERM="xterm")
    yield {"base": base, "lfs": lfs, "book": book, "env": env}
    left = mounts_under(lfs, include_self=True)
    for m in reversed(left):
        subprocess.run(["umount", "-l", m], check=False)
    shutil.rmtree(base, ignore_errors=True)
    assert not left, f"mounts left behind: {left}"


def test_chroot_step_sees_the_books_environment_and_leaves_no_mount(croot):
    (croot["book"] / "010-check.sh").write_text(CHECK)
    r = run_invoke(["stage3"], croot["env"], check=True)
    assert "1 step(s) done" in r.stdout
    env = dict(line.split("=", 1) for line in
               (croot["lfs"] / "root/env.txt").read_text().splitlines() if "=" in line)
    book = {"HOME": "/root", "TERM": "xterm", "PATH": "/usr/bin:/usr/sbin", "MAKEFLAGS": "-j2",
            "TESTSUITEFLAGS": "-j2"}
    for k, v in book.items():
        assert env[k] == v, k
    assert env["PS1"].startswith("(lfs chroot)")
    ours = {"JOBS", "NINJAJOBS", "PKG_NAME", "LFS_USER", "RUN_TESTS", "WORK_DIR", "PATCHES", "TEST_DIR",
            "SRC_DIR"}
    assert set(env) - set(book) - {"PS1", "PWD", "SHLVL", "_", "OLDPWD"} <= ours
    assert not any(k.startswith(("INVOKE_", "LFS=", "PYTEST")) for k in env)
    assert (croot["lfs"] / "root/cwd.txt").read_text().strip() == "/sources/build/stage3-check"
    assert mounts_under(croot["lfs"], include_self=True) == []


SUITE = """# Suite in the chroot
#: run: chroot
#: tests: optional
#: sbu: 0
mkdir -p sub
lfs_tests sh -c 'printf "# TOTAL: 2\\n# PASS:  1\\n# FAIL:  1\\n" > sub/test-suite.log; echo "FAIL: t2"; exit 1'
lfs_tests cat << "EOF"
read from a here-document
EOF
"""


def test_chroot_step_runs_its_suite_through_the_harness(croot):
    """lfs_tests inside the chroot (the root's own sh), the runner collects the result file."""
    (croot["book"] / "010-suite.sh").write_text(SUITE)
    run_invoke(["stage3"], dict(croot["env"], INVOKE_LFS_TESTS="all"), check=True)
    tests = json.loads((croot["lfs"] / ".lfsbuild/state.json").read_text())["steps"][
        "stage3/suite"]["tests"]
    assert (tests["passed"], tests["failed"], tests["exit_statuses"]) == (1, 1, [1, 0])
    kept = Path(tests["dir"])
    assert sorted(str(p.relative_to(kept)) for p in kept.rglob("*") if p.is_file()) == [
        "console.log", "exit-status", "sub/test-suite.log"]
    assert "FAIL: t2\n" in (kept / "console.log").read_text()
    assert "read from a here-document" in (kept / "console.log").read_text()
    assert mounts_under(croot["lfs"], include_self=True) == []


def test_failed_chroot_step_leaves_no_mount(croot):
    (croot["book"] / "010-fail.sh").write_text("# Fail\n#: run: chroot\nmount | grep -q proc\nexit 3\n")
    r = run_invoke(["stage3"], croot["env"])
    assert r.returncode == 1 and "exit status 3" in r.stderr
    assert mounts_under(croot["lfs"], include_self=True) == []


def test_sigkill_during_chroot_step_leaves_no_mount_no_process(croot):
    (croot["book"] / "010-slow.sh").write_text(SLOW)
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "stage3"], cwd=REPO, env=croot["env"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tick = croot["lfs"] / "root/tick.log"
    wait_until(tick.exists, 60, f"{tick} appearing")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    size = tick.stat().st_size
    time.sleep(0.5)
    assert tick.stat().st_size == size
    assert mounts_under(croot["lfs"], include_self=True) == []
    rooted = [p for p in Path("/proc").iterdir() if p.name.isdigit()
              and _root_of(p) == str(croot["lfs"])]
    assert rooted == []


def _root_of(p: Path) -> str | None:
    try:
        return os.readlink(p / "root")
    except OSError:
        return None


def test_chroot_task_runs_one_command(croot):
    r = run_invoke(["chroot", "-c", "echo inside; cat /proc/1/comm"], croot["env"], check=True)
    assert r.stdout.splitlines()[0] == "inside"
    assert mounts_under(croot["lfs"], include_self=True) == []


def test_backup_damage_restore_gives_the_same_tree_and_state(croot):
    (croot["book"] / "010-check.sh").write_text(CHECK)
    run_invoke(["stage3"], croot["env"], check=True)
    before = _tree(croot["lfs"])
    state_before = json.loads((croot["lfs"] / ".lfsbuild/state.json").read_text())["steps"]
    manifests = croot["lfs"] / ".lfsbuild/manifests"
    recorded = {p.relative_to(manifests): json.loads(p.read_bytes())
                for p in manifests.rglob("*.json")}
    assert recorded
    r = run_invoke(["backup"], croot["env"], check=True)
    assert "backup:" in r.stdout
    shutil.rmtree(croot["lfs"] / "usr/bin")
    (croot["lfs"] / "etc/passwd").write_text("damaged\n")
    (croot["lfs"] / ".lfsbuild/state.json").unlink()
    shutil.rmtree(manifests)
    r = run_invoke(["restore", "--yes"], croot["env"], check=True)
    assert "restore:" in r.stdout
    assert _tree(croot["lfs"]) == before
    state_after = json.loads((croot["lfs"] / ".lfsbuild/state.json").read_text())["steps"]
    assert state_after == state_before
    # what each step installed comes back with it: `owner`/`files` answer after a restore
    assert {p.relative_to(manifests): json.loads(p.read_bytes())
            for p in manifests.rglob("*.json")} == recorded
    r = run_invoke(["stage3"], croot["env"], check=True)
    assert "all 1 steps done" in r.stdout


def test_clean_refuses_while_mounted_and_keeps_the_host_intact(croot):
    fake_dev = croot["base"] / "hostdev"
    fake_dev.mkdir()
    (fake_dev / "precious").write_text("host data")
    target = croot["lfs"] / "dev"
    subprocess.run(["mount", "--bind", str(fake_dev), str(target)], check=True)
    try:
        r = run_invoke(["clean", "--yes"], croot["env"])
        assert r.returncode == 1 and "umount" in r.stderr and str(target) in r.stderr
        assert (fake_dev / "precious").read_text() == "host data"
    finally:
        subprocess.run(["umount", str(target)], check=True)
    run_invoke(["clean", "--yes"], croot["env"], check=True)
    assert [p.name for p in croot["lfs"].iterdir()] == [".lfsbuild"]
    assert (fake_dev / "precious").read_text() == "host data"


def _tree(root: Path) -> dict[str, tuple]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if rel.startswith((".lfsbuild", "sources")):
            continue
        st = p.lstat()
        data = p.read_bytes() if p.is_file() and not p.is_symlink() else (
            os.readlink(p) if p.is_symlink() else None)
        out[rel] = (st.st_mode, st.st_uid, st.st_gid, data)
    return out
