"""The step engine end to end: a real test book, real compiles, real signals, via `invoke`."""
from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, run_invoke
from testbook import TEST_USER, make_test_book, served_world, state_of
from waiting import eventually, wait_until


SLOW = """( while true; do date >> "$LFS/tools/writer.log"; sleep 0.1; done ) &
sleep 120
"""


@pytest.fixture
def world():
    with served_world(make_test_book, "lfsbuild-engine-") as w:
        yield w


def stamp(w, name: str) -> str:
    return (w["lfs"] / "tools" / f"{name}.stamp").read_text()


def step_processes(lfs: Path) -> list[int]:
    """Host pids of every process that runs with LFS=<this test's $LFS> in its environment."""
    needle = f"LFS={lfs}".encode()
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = (d / "environ").read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            pids.append(int(d.name))
    return pids


def start_stage(w, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "invoke", "stage1", *args], cwd=REPO,
                            env=w["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, timeout: float = 60) -> None:
    wait_until(path.exists, timeout, f"{path} appearing")


def test_whole_stage_runs_then_nothing_to_do(world):
    r = run_invoke(["stage1"], world["env"], check=True)
    assert "stage1: 4 step(s) done" in r.stdout
    assert subprocess.run([world["lfs"] / "tools/bin/hello"], capture_output=True,
                          text=True).stdout == "hello, lfs\n"
    assert all(v["status"] == "done" for v in state_of(world).values())
    assert not list((world["lfs"] / "sources/build").iterdir())  # build dirs removed on success
    r = run_invoke(["stage1"], world["env"], check=True)
    assert "all 4 steps done" in r.stdout
    r = run_invoke(["status"], world["env"], check=True)
    assert "stage1  libgreet" in r.stdout and "local SBU" in r.stdout
    phases = state_of(world)["stage1/libgreet"]["phases"]   # the runner times its phases
    assert set(phases) == {"unpack", "recipe", "cleanup", "record", "sync"}
    assert all(v >= 0 for v in phases.values()) and phases["sync"] <= phases["record"]
    assert state_of(world)["stage1/libgreet"]["cpu"] > 0   # gcc's CPU time, reaped by make
    r = run_invoke(["status", "--phases"], world["env"], check=True)
    assert "unpack" in r.stdout.splitlines()[0] and "cleanup" in r.stdout
    assert r.stdout.splitlines()[0].split()[-2:] == ["cpu", "log"]
    r = run_invoke(["steps"], world["env"], check=True)
    assert "stage2  extra" in r.stdout and "pending" in r.stdout


@pytest.mark.root("building as the unprivileged user")
def test_as_root_builds_as_unprivileged_user_and_cannot_touch_host(world):
    forbidden = Path(f"/usr/lfsbuild-forbidden-{os.getpid()}")
    world["tb"].edit("stage1/040-check.sh", "echo check passed",
                     f"touch {forbidden} || echo 'refused, as it must be'\necho check passed")
    run_invoke(["stage1"], world["env"], check=True)
    uid = pwd.getpwnam(TEST_USER).pw_uid
    assert (world["lfs"] / "tools/bin/hello").stat().st_uid == uid
    assert (world["lfs"] / "tools/libgreet.stamp").stat().st_uid == uid
    assert not forbidden.exists()
    log = (world["lfs"] / ".lfsbuild/logs/stage1/check.log").read_text()
    assert "Permission denied" in log and "refused, as it must be" in log
    # a recipe whose *job* is to write outside $LFS fails the step
    world["tb"].edit("stage1/040-check.sh", "echo check passed", f"touch {forbidden}")
    r = run_invoke(["stage1"], world["env"])
    assert r.returncode == 1 and "stage1/check" in r.stderr and not forbidden.exists()


def test_failure_keeps_build_dir_and_resume_skips_earlier_steps(world):
    world["tb"].edit("stage1/030-hello.sh", "make install", "echo about to fail\nexit 7\nmake install")
    r = run_invoke(["stage1"], world["env"])
    assert r.returncode == 1
    assert "stage1/hello (hello) failed with exit status 7" in r.stderr
    assert "| about to fail" in r.stderr
    assert "run `invoke stage1` to resume at hello" in r.stderr
    assert "Traceback" not in r.stderr
    kept = world["lfs"] / "sources/build/stage1-hello"
    assert (kept / "hello-2.3" / "hello").exists()  # kept for inspection, with the binary built
    lib_stamp = stamp(world, "libgreet")
    st = state_of(world)
    assert st["stage1/hello"]["status"] == "failed" and st["stage1/libgreet"]["status"] == "done"
    world["tb"].edit("stage1/030-hello.sh", "echo about to fail\nexit 7\n", "")
    r = run_invoke(["stage1", "--dry-run"], world["env"], check=True)
    assert "run   hello" in r.stdout and "skip  libgreet" in r.stdout
    run_invoke(["stage1"], world["env"], check=True)
    assert stamp(world, "libgreet") == lib_stamp     # not rebuilt
    assert stamp(world, "check") == "check passed\n"
    assert not kept.exists()


def test_changed_recipe_reruns_itself_and_its_successors_only(world):
    run_invoke(["stage1"], world["env"], check=True)
    world["tb"].edit("stage1/030-hello.sh", "make\n", "make  # tweaked\n")
    r = run_invoke(["stage1", "--dry-run"], world["env"], check=True)
    lines = r.stdout.splitlines()
    assert "  skip  layout                       done" in lines
    assert "  skip  libgreet                     done" in lines
    assert any(l.startswith("  run   hello") and "recipe" in l for l in lines)
    # whether check runs again depends on what hello installs: known only once hello ran
    assert any(l.startswith("  then  check") and "what stage1/hello installs changes" in l
               for l in lines)
    lib, hello = stamp(world, "libgreet"), stamp(world, "hello")
    check_started = state_of(world)["stage1/check"]["started"]
    run_invoke(["stage1"], world["env"], check=True)
    assert stamp(world, "libgreet") == lib and stamp(world, "hello") != hello
    # hello's stamp holds the time (its installed files changed): check ran again
    assert state_of(world)["stage1/check"]["started"] > check_started


def test_step_selection(world):
    r = run_invoke(["stage1", "--to", "libgreet"], world["env"], check=True)
    assert "2 step(s) done" in r.stdout
    assert not (world["lfs"] / "tools/hello.stamp").exists()
    r = run_invoke(["stage1", "--step", "libgreet", "--dry-run"], world["env"], check=True)
    assert "run   libgreet" in r.stdout and "selected with --step" in r.stdout
    r = run_invoke(["stage1", "--from", "nosuch"], world["env"])
    assert r.returncode == 1 and "--from nosuch: no such step in stage1" in r.stderr
    r = run_invoke(["stage1", "--force", "--from", "hello", "--dry-run"], world["env"], check=True)
    assert "2 step(s) to run" in r.stdout


def test_next_stage_requires_the_previous_one(world):
    r = run_invoke(["stage2"], world["env"])
    assert r.returncode == 1 and "stage1 is not complete" in r.stderr and "--force" in r.stderr
    run_invoke(["stage1"], world["env"], check=True)
    run_invoke(["stage2"], world["env"], check=True)
    assert (world["lfs"] / "usr/extra.stamp").exists()


def test_sigkill_of_lfsbuild_kills_the_step_and_resume_reruns_it(world):
    world["tb"].edit("stage1/020-libgreet.sh", "make install\n", "make install\n" + SLOW)
    proc = start_stage(world)
    wait_for(world["lfs"] / "tools/writer.log")
    assert step_processes(world["lfs"])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert eventually(lambda: step_processes(world["lfs"]) == [], 5)
    size = (world["lfs"] / "tools/writer.log").stat().st_size
    time.sleep(0.5)
    assert (world["lfs"] / "tools/writer.log").stat().st_size == size  # nobody writes any more
    assert state_of(world)["stage1/libgreet"]["status"] == "running"   # as the kill left it
    world["tb"].edit("stage1/020-libgreet.sh", SLOW, "")
    r = run_invoke(["stage1"], world["env"], check=True)
    assert "stage1/libgreet was interrupted last time" in r.stdout
    assert all(v["status"] == "done" for v in state_of(world).values())


def test_ctrl_c_stops_the_step_tree_and_records_interrupted(world):
    world["tb"].edit("stage1/020-libgreet.sh", "make install\n", "make install\n" + SLOW)
    proc = start_stage(world)
    wait_for(world["lfs"] / "tools/writer.log")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "invoke stage1" in err
    assert step_processes(world["lfs"]) == []
    assert state_of(world)["stage1/libgreet"]["status"] == "interrupted"


def test_ctrl_c_after_the_recipe_is_interrupted_not_failed(world):
    """Ctrl-C while the runner removes the build directory (the recipe exited 0): the step is
    recorded and reported "interrupted", not left "running" nor called "failed"; it runs again."""
    many = "mkdir many && (cd many && seq 1 50000 | xargs touch)\n"
    world["tb"].edit("stage1/020-libgreet.sh", "make install\n", "make install\n" + many)
    proc = start_stage(world)
    log = world["lfs"] / ".lfsbuild/logs/stage1/libgreet.log"
    wait_until(lambda: log.exists() and b"# lfsbuild: exit status 0" in log.read_bytes(), 120,
               "the recipe's exit in its log")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stage1/libgreet interrupted after its recipe succeeded" in err, err
    assert "libgreet: interrupted after" in out and "libgreet: failed" not in out, out
    assert state_of(world)["stage1/libgreet"]["status"] == "interrupted"
    world["tb"].edit("stage1/020-libgreet.sh", many, "")
    run_invoke(["stage1"], world["env"], check=True)
    assert state_of(world)["stage1/libgreet"]["status"] == "done"


def test_second_concurrent_run_refuses(world):
    world["tb"].edit("stage1/020-libgreet.sh", "make install\n", "make install\n" + SLOW)
    proc = start_stage(world)
    try:
        wait_for(world["lfs"] / "tools/writer.log")
        r = run_invoke(["stage1"], world["env"])
        assert r.returncode == 1
        assert "another lfsbuild run is working on this $LFS" in r.stderr
        assert f"pid {proc.pid}" in r.stderr
        # a dry-run beside it may look: the step it runs is running now, not "interrupted"
        r = run_invoke(["stage1", "--dry-run"], world["env"], check=True)
        assert "a build is running on this $LFS now" in r.stdout, r.stdout
        assert any(l.startswith("  run   libgreet") and "running now" in l
                   for l in r.stdout.splitlines()), r.stdout
        assert "interrupted" not in r.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert step_processes(world["lfs"]) == []


def test_files_templates_and_versions_reach_the_recipe(world):
    files = world["base"] / "files"
    (files / "etc").mkdir(parents=True)
    (files / "etc" / "motd.tmpl").write_text("welcome to ${hostname} (${target})\n")
    (files / "etc" / "plain.txt").write_text("as is: ${not_a_template}\n")
    rel = "stage1/050-config.sh"
    world["tb"].recipe(rel).write_text(
        "# config\n#: files: etc\n#: versions: hello\n#: sbu: 0\n"
        'cp "$WORK_DIR/files/etc/motd" "$WORK_DIR/files/etc/plain.txt" "$LFS/tools/"\n'
        'echo "$HELLO_VERSION" > "$LFS/tools/hello.version"\n')
    env = dict(world["env"], INVOKE_LFS_FILES=str(files), INVOKE_LFS_SYSTEM_HOSTNAME="pxe1")
    (world["base"] / "sys.yaml").write_text("lfs:\n  system:\n    hostname: pxe1\n")
    run_invoke(["-f", str(world["base"] / "sys.yaml"), "stage1"], env, check=True)
    tools = world["lfs"] / "tools"
    assert (tools / "motd").read_text() == "welcome to pxe1 (x86_64-lfs-linux-gnu)\n"
    assert (tools / "plain.txt").read_text() == "as is: ${not_a_template}\n"
    assert (tools / "hello.version").read_text() == "2.3\n"
    # a changed setting re-runs exactly the step whose rendered files change
    (world["base"] / "sys.yaml").write_text("lfs:\n  system:\n    hostname: pxe2\n")
    r = run_invoke(["-f", str(world["base"] / "sys.yaml"), "stage1", "--dry-run"], env, check=True)
    assert "1 step(s) to run" in r.stdout and "run   config" in r.stdout
    # a template naming an unknown setting is a clear error naming the file
    (files / "etc" / "motd.tmpl").write_text("${nosuch}\n")
    r = run_invoke(["-f", str(world["base"] / "sys.yaml"), "stage1"], env)
    assert r.returncode == 1 and "motd.tmpl: template uses ${nosuch}" in r.stderr
    assert "Traceback" not in r.stderr


def test_extras_unpack_inside_the_tree_even_without_a_top_directory(world):
    """gcc's mpfr/gmp/mpc, and glibc's tzdata whose tarball has no top directory."""
    import io
    import tarfile
    from conftest import md5
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("africa", "europe"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"tz\n"))
    flat = buf.getvalue()
    world["srv"].files["tzdata2025a.tar.gz"] = flat
    with world["tb"].packages.open("a") as f:  # the packages list is the file's last section
        f.write(f"  - name: tzdata\n    version: '2025a'\n    md5: {md5(flat)}\n"
                f"    url: {world['srv'].url}/pub/tzdata2025a.tar.gz\n")
    world["tb"].recipe("stage1/050-tz.sh").write_text(
        "# tz\n#: package: hello\n#: extra: tzdata libgreet\n"
        'test -f tzdata/africa && test -f tzdata/europe && test -f libgreet/greet.c\n'
        'test "$(basename "$PWD")" = hello-2.3\n')
    run_invoke(["stage1"], world["env"], check=True)


def test_stage1_checks_the_host_first_unless_forced(world):
    from lfsbuild.build.hostcheck import check_host
    env = dict(world["env"], INVOKE_LFS_HOST_CHECK="1")
    r = run_invoke(["stage1"], env)
    if check_host(None).ok:  # a host that meets the book: the check passes and the stage runs
        assert r.returncode == 0, r.stderr
        return
    assert r.returncode == 1
    assert "does not meet the book's requirements" in r.stderr and "--no-host-check" in r.stderr
    assert not (world["lfs"] / "tools").exists()  # refused before doing anything
    r = run_invoke(["stage1", "--no-host-check"], env, check=True)
    assert "4 step(s) done" in r.stdout


def test_build_to_stage1_interrupted_and_resumed(world):
    world["tb"].edit("stage1/030-hello.sh", "make install\n", "make install\n" + SLOW)
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "build", "--to", "stage1"], cwd=REPO,
                            env=world["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    wait_for(world["lfs"] / "tools/writer.log")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "run `invoke build --to stage1` to resume at hello" in err
    world["tb"].edit("stage1/030-hello.sh", SLOW, "")
    r = run_invoke(["build", "--to", "stage1"], world["env"], check=True)
    assert "build: stage1" in r.stdout and "stage1: 2 step(s) done" in r.stdout  # hello, check
    assert not (world["lfs"] / "usr/extra.stamp").exists()   # stopped after stage1
    r = run_invoke(["build", "--to", "stage2"], world["env"], check=True)
    assert "build: stage2" in r.stdout and (world["lfs"] / "usr/extra.stamp").exists()
    r = run_invoke(["build", "--to", "stage2"], world["env"], check=True)
    assert "nothing to do" in r.stdout
    r = run_invoke(["build", "--to", "stage9"], world["env"])
    assert r.returncode == 1 and "choose one of: stage1, stage2, pxe" in r.stderr


def test_test_suites_run_when_asked_and_failures_are_recorded_not_fatal(world):
    """A real (failing) `make check` behind lfs_tests: the runner's harness does the rest."""
    sid = world["tb"].add_suite_step()
    logs = world["lfs"] / ".lfsbuild/logs/stage1"
    ran = world["lfs"] / "tools/suite-check.ran"
    run_invoke(["stage1"], world["env"], check=True)
    assert state_of(world)[sid]["tests"] is None   # lfs.tests is none by default
    assert not ran.exists()                        # ... so the test command did not run
    assert not (logs / "suite-tests").exists()
    assert "lfs_tests: not run" in (logs / "suite.log").read_text()
    assert (world["lfs"] / "tools/suite.stamp").exists()

    everything = dict(world["env"], INVOKE_LFS_TESTS="all")
    r = run_invoke(["stage1", "--dry-run"], everything, check=True)
    assert "run   suite" in r.stdout and "1 step(s) to run" in r.stdout  # the setting matters
    run_invoke(["stage1"], everything, check=True)   # make check fails: the step does not
    assert ran.read_text() == "ran\n"
    tests = state_of(world)[sid]["tests"]
    assert (tests["passed"], tests["failed"], tests["total"]) == (2, 1, 3)
    assert tests["sources"] == ["tests/test-suite.log (automake)"]   # not old/, shipped stale
    assert tests["exit_statuses"] == [2, 0]                          # make check, sh
    kept = Path(tests["dir"])
    assert kept == logs / "suite-tests"                              # beside the step log
    assert sorted(str(p.relative_to(kept)) for p in kept.rglob("*") if p.is_file()) == [
        "console.log", "exit-status", "tests/test-suite.log"]
    console = (kept / "console.log").read_text()
    for line in ("FAIL: t3", "suite: 1 of 3 tests failed", "read from a here-document"):
        assert line in console                                   # stdout, stderr, stdin
        assert line in (logs / "suite.log").read_text()          # and the step log has it too
    assert "# PASS:  2" in (kept / "tests/test-suite.log").read_text()
    r = run_invoke(["status"], everything, check=True)
    assert "2 passed, 1 failed" in r.stdout


def test_output_into_a_closed_pipe_is_not_a_traceback(world):
    r = subprocess.run(f"{sys.executable} -m invoke steps | head -1", shell=True, cwd=REPO,
                       env=world["env"], capture_output=True, text=True, timeout=60)
    assert r.stdout.startswith("stage") and "Traceback" not in r.stderr and not r.stderr


def test_build_to_the_end_packs_pxe_artifacts_and_writes_the_report(world, tmp_path):
    """The whole journey on the test book, with a tiny fake kernel image for `pxe`."""
    world["tb"].recipe("stage2/020-kernel.sh").write_text(
        "# kernel\n#: sbu: 0\n#: run: root\nmkdir -p \"$LFS/boot\"\nhead -c 4096 /dev/zero > \"$LFS/boot/vmlinuz-test\"\n")
    env = dict(world["env"], INVOKE_LFS_PXE_DIR=str(tmp_path / "pxe"))
    r = run_invoke(["build"], env)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "pxe" / "manifest.json").exists()
    assert (world["lfs"] / ".lfsbuild" / "report.html").exists()
    assert "build: stage1 -> stage2 -> pxe" in r.stdout
