"""The chroot mechanism, exercised for real: namespaces, mounts, a busybox root, SIGKILL."""
from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lfsbuild.build import mounts, namespaces as chroot
from lfsbuild.errors import ChrootError, NeedsRoot
from conftest import need_root
from lfsbuild.build.files import collect, place_files
from rootfs import CHROOT_FILES, make_busybox_root, mount_guard, mount_tmpfs  # noqa: F401
from waiting import eventually as wait_for

REPO = Path(__file__).resolve().parent.parent
ENV = chroot.book_env("xterm", 3)


# --- pure parts -------------------------------------------------------------------------

def test_book_env_is_exactly_the_books():
    assert chroot.book_env("vt100", 4) == {
        "HOME": "/root", "TERM": "vt100", "PS1": "(lfs chroot) \\u:\\w\\$ ",
        "PATH": "/usr/bin:/usr/sbin", "MAKEFLAGS": "-j4", "TESTSUITEFLAGS": "-j4"}
    assert chroot.book_env("", 1, {"CFLAGS": "-O2"})["CFLAGS"] == "-O2"
    with pytest.raises(ChrootError):
        chroot.book_env("xterm", 0)


def test_chroot_argv_is_pure_and_complete(tmp_path):
    root = tmp_path / "does-not-exist"
    argv = chroot.chroot_argv(root, ["make", "install"], {"A": "1 2", "B": "$x"}, cwd="/sources")
    assert not root.exists()
    assert argv[0] == "unshare"
    for flag in ("--mount", "--pid", "--fork", "--kill-child=SIGKILL"):
        assert flag in argv
    assert argv[argv.index("--propagation") + 1] == "private"
    assert argv[-3:] == ["--", "make", "install"]
    assert "A=1 2" in argv and "B=$x" in argv and f"--root={root}" in argv
    assert "--wd=/sources" in argv
    with pytest.raises(ChrootError):
        chroot.chroot_argv(root, ["true"], {"A=B": "x"})
    with pytest.raises(ChrootError):
        chroot.chroot_argv(root, [], {})
    with pytest.raises(ChrootError):
        chroot.chroot_argv(root, ["true"], {}, cwd="relative")


def test_parse_mountinfo_unescapes_octal(tmp_path):
    text = ("36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw\n"
            "37 35 0:5 / /mnt/lfs/dev rw - devtmpfs udev rw\n"
            "38 35 0:6 / /mnt/lfs rw shared:2 - ext4 /dev/sdb1 rw\n"
            "39 35 0:7 / /mnt/lfs2/x rw - tmpfs tmpfs rw\n")
    parsed = mounts.parse_mountinfo(text)
    assert parsed[0].mount_point == "/mnt/with space" and parsed[0].fstype == "ext3"
    info = tmp_path / "mountinfo"
    info.write_text(text)
    assert mounts.mounts_under(Path("/mnt/lfs"), mountinfo=info) == ["/mnt/lfs/dev"]
    assert mounts.mounts_under(Path("/mnt/lfs"), include_self=True, mountinfo=info) == [
        "/mnt/lfs/dev", "/mnt/lfs"]
    assert mounts.mounts_under(Path("/mnt/lfs2"), mountinfo=info) == ["/mnt/lfs2/x"]
    assert mounts.mounts_under(Path("/mnt/with space"), include_self=True, mountinfo=info) == [
        "/mnt/with space"]
    assert mounts.is_mount_point(Path("/mnt/lfs"), mountinfo=info)
    with pytest.raises(ChrootError) as err:
        mounts.ensure_nothing_mounted(Path("/mnt"), mountinfo=info)
    hint = str(err.value)
    assert "umount -R /mnt/lfs &&" in hint and "'/mnt/with space'" in hint
    assert "umount -R /mnt/lfs/dev" not in hint   # covered by umount -R /mnt/lfs


def test_resolve_in_root_stays_inside(tmp_path):
    root = tmp_path / "r"
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/real").write_text("x")
    os.symlink("usr/bin", root / "bin")
    os.symlink("/usr/bin/real", root / "usr/bin/abs")          # absolute: means root/usr/bin/real
    os.symlink("/etc/hostname", root / "usr/bin/host")         # exists on the host, not in root
    os.symlink("../../../../../../etc/passwd", root / "usr/bin/dots")
    assert chroot.resolve_in_root(root, "/bin/abs") == root / "usr/bin/real"
    assert chroot.resolve_in_root(root, "/bin/host") is None
    assert chroot.resolve_in_root(root, "/bin/dots") is None
    os.symlink("loop", root / "loop")
    assert chroot.resolve_in_root(root, "/loop") is None


def test_the_books_essential_files_render(tmp_path):
    files = collect(["etc"], [CHROOT_FILES], {"hostname": "buildhost"})
    assert {"etc/passwd", "etc/group", "etc/hosts"} <= set(files)
    place_files(files, tmp_path)
    assert (tmp_path / "etc/hosts").read_text().splitlines()[0].split() == ["127.0.0.1", "localhost"]
    assert (tmp_path / "etc/passwd").read_text().startswith("root:x:0:0:root:/root:/bin/bash\n")
    assert "tty:x:5:" in (tmp_path / "etc/group").read_text().splitlines()


def test_enter_needs_root(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(NeedsRoot) as err:
        chroot.enter(tmp_path, None, ENV)
    assert "sudo invoke chroot" in str(err.value)


def test_shell_argv_falls_back_to_sh(tmp_path):
    root = make_busybox_root(tmp_path / "root")
    assert chroot.shell_argv(root, None) == ["/bin/sh", "-l"]
    assert chroot.shell_argv(root, "ls") == ["/bin/sh", "-c", "ls"]
    (root / "usr/bin/bash").symlink_to("busybox")
    assert chroot.shell_argv(root, None) == ["/bin/bash", "--login"]


# --- real chroots -----------------------------------------------------------------------

def pids_whose(link: str, target: str) -> list[int]:
    """Host PIDs whose /proc/PID/<link> symlink points at `target`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/{link}") == target:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def processes_in(root: Path) -> list[int]:
    """Host PIDs whose root directory is `root` (the processes of a chroot step)."""
    return pids_whose("root", os.path.realpath(root))


def processes_in_namespace(ns: str) -> list[int]:
    return pids_whose("ns/mnt", ns)


@pytest.fixture
def root(tmp_path, mount_guard):
    need_root("mounts, namespaces, chroot")
    r = make_busybox_root(tmp_path / "lfs")
    yield r
    survivors = processes_in(r)
    for pid in survivors:  # never leave a failed test's step running
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not survivors, "a chroot process survived the test"


def run_in(root: Path, script: str, env=ENV, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(chroot.chroot_argv(root, ["/bin/sh", "-c", script], env, **kw),
                          capture_output=True, text=True, timeout=60)


def test_step_sees_the_virtual_kernel_file_systems(root):
    result = run_in(root, textwrap.dedent("""
        set -e
        echo pid=$$
        test -r /proc/1/status
        echo hello > /dev/null
        cat /proc/self/mountinfo
        test -c /dev/ptmx
        touch /run/x /dev/shm/y
        pwd
    """), cwd="/root")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "pid=1" in lines                      # PID 1 of its own PID namespace
    assert lines[-1] == "/root"
    table = {line.split()[4]: line.split(" - ")[1].split()[0] for line in lines if " - " in line}
    assert table["/proc"] == "proc" and table["/sys"] == "sysfs"
    assert table["/dev/pts"] == "devpts" and table["/run"] == "tmpfs"
    assert table["/dev/shm"] == "tmpfs" and "/dev" in table
    assert "gid=5" in next(l for l in lines if " /dev/pts " in l)
    # The host never saw them, and nothing is left.
    assert mounts.mounts_under(root) == []
    assert not (root / "run/x").exists() and not (root / "dev/shm/y").exists()


def test_environment_is_exactly_the_books(root, monkeypatch):
    monkeypatch.setenv("LFSBUILD_LEAK", "host-secret")
    result = subprocess.run(chroot.chroot_argv(root, ["/usr/bin/env"], ENV),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == sorted(f"{k}={v}" for k, v in ENV.items())


def test_failing_step_leaves_no_mount_and_no_process(root):
    result = run_in(root, "sleep 1000 & echo started; exit 7")
    assert result.returncode == 7 and result.stdout.strip() == "started"
    assert mounts.mounts_under(root) == []
    assert wait_for(lambda: not processes_in(root)), "the orphaned sleep survived"


def test_host_mounts_stay_private_while_running(root):
    proc = chroot.spawn(chroot.chroot_argv(root, ["/bin/sh", "-c", "touch /tmp/up; exec sleep 1000"], ENV))
    try:
        assert wait_for(lambda: (root / "tmp/up").exists())
        assert mounts.mounts_under(root) == []
        pids = processes_in(root)
        assert pids
        inner = Path(f"/proc/{pids[0]}/mountinfo").read_text()
        assert " /proc " in inner and " /dev/pts " in inner
    finally:
        rc = chroot.stop(proc, grace=0.5)
    assert rc == -signal.SIGKILL  # PID 1 ignores SIGTERM; stop() escalates
    assert wait_for(lambda: not processes_in(root))


def test_sigkill_of_lfsbuild_kills_step_and_mounts(root, tmp_path):
    """The whole chain: lfsbuild (a python) -> spawn -> unshare -> PID 1 -> workers."""
    tick = root / "tmp/tick"
    parent_code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from lfsbuild.build import namespaces as chroot
        argv = chroot.chroot_argv(Path({str(root)!r}),
            ["/bin/sh", "-c", "while :; do echo x >> /tmp/tick; sleep 0.05; done & exec sleep 1000"],
            chroot.book_env("dumb", 1))
        p = chroot.spawn(argv)
        print(p.pid, flush=True)
        p.wait()
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True)
    try:
        top = int(parent.stdout.readline())
        assert wait_for(lambda: tick.exists() and tick.stat().st_size > 10)
        step = processes_in(root)
        assert len(step) >= 2
        ns = os.readlink(f"/proc/{step[0]}/ns/mnt")
        assert ns != os.readlink("/proc/self/ns/mnt")
        assert mounts.mounts_under(root) == []
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
    assert wait_for(lambda: not processes_in(root)), "step processes survived SIGKILL"
    assert wait_for(lambda: not processes_in_namespace(ns)), "the mount namespace survived"
    assert not os.path.exists(f"/proc/{top}") or Path(f"/proc/{top}/stat").read_text().split()[2] == "Z"
    size = tick.stat().st_size
    time.sleep(0.3)
    assert tick.stat().st_size == size, "something still writes into $LFS"


def test_enter_runs_one_command(root):
    (root / "root/in").write_text("data\n")
    assert chroot.enter(root, "test -f /root/in && exit 3", ENV) == 3
    assert chroot.enter(root, "true") == 0          # default environment
    assert mounts.mounts_under(root) == []


def test_enter_interactive_shell(root):
    code = (f"import sys; sys.path.insert(0, {str(REPO)!r}); from pathlib import Path; "
            f"from lfsbuild.build import namespaces as chroot; "
            f"sys.exit(chroot.enter(Path({str(root)!r}), None, chroot.book_env('dumb', 2)))")
    result = subprocess.run([sys.executable, "-c", code], input='echo "in:$HOME:$MAKEFLAGS"\nexit 4\n',
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 4, result.stderr
    assert "in:/root:-j2" in result.stdout


def test_refuses_to_mount_over_a_symlink(root):
    (root / "run").rmdir()
    (root / "run").symlink_to("/run")
    result = run_in(root, "true")
    assert result.returncode == 125 and "symbolic link" in result.stderr


def test_guard_lists_mounts_with_odd_names(root, mount_guard):
    point = mount_tmpfs(root / "mnt/with space", mount_guard)
    assert mounts.mounts_under(root) == [str(point)]
    with pytest.raises(ChrootError) as err:
        mounts.ensure_nothing_mounted(root, "clean")
    assert "umount -R" in str(err.value) and str(point) in str(err.value)
    subprocess.run(["umount", str(point)], check=True)
    mounts.ensure_nothing_mounted(root)


def signal_mask(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(field)


def test_spawn_children_get_default_signals_and_own_session():
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        proc = chroot.spawn(["sleep", "30"])
    finally:
        signal.signal(signal.SIGINT, old)
    try:
        assert not signal_mask(proc.pid, "SigIgn") & (1 << (signal.SIGINT - 1))
        assert os.getsid(proc.pid) == proc.pid
    finally:
        assert chroot.stop(proc, grace=5) == -signal.SIGTERM
    with pytest.raises(TypeError):
        chroot.spawn(["true"], preexec_fn=print)


def test_ctrl_c_in_interactive_chroot_stops_the_command_not_the_shell(root):
    """On a real terminal: Ctrl-C ends the foreground command in the chroot, the shell stays."""
    code = (f"import sys; sys.path.insert(0, {str(REPO)!r}); from pathlib import Path; "
            f"from lfsbuild.build import namespaces as chroot; "
            f"sys.exit(chroot.enter(Path({str(root)!r}), None, chroot.book_env('dumb', 2)))")
    pid, fd = pty.fork()
    if pid == 0:  # child: lfsbuild on a terminal
        os.execv(sys.executable, [sys.executable, "-c", code])
    output = bytearray()

    def read_until(marker: bytes, count: int = 1, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while output.count(marker) < count:
            assert time.monotonic() < deadline, f"no {marker!r} in {bytes(output)!r}"
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    output.extend(os.read(fd, 4096))
                except OSError:
                    break

    try:
        read_until(b"(lfs chroot) ")
        os.write(fd, b'sh -c "sleep 30"\n')
        assert wait_for(lambda: any(Path(f"/proc/{p}/comm").read_text().strip() == "sleep"
                                    for p in processes_in(root)))
        os.write(fd, b"\x03")
        read_until(b"(lfs chroot) ", count=2)
        os.write(fd, b"echo alive-$((6*7)); exit 9\n")
        read_until(b"alive-42")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 9
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
