"""What a stage run prints: plain step lines without a terminal, the bar on one.

Issue 12.3: run under `nohup`, `| tee` or CI, a real `invoke stage1` printed nothing for 45
minutes. These run the real `invoke stage1` on the generated test book with stdout a pipe
(and, for the bar, a pseudo-terminal), like a user or a CI job would.
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

from conftest import REPO, run_invoke
from test_engine import world  # noqa: F401  (the served test book, a pytest fixture)

STEPS = ["layout", "libgreet", "hello", "check"]
LINE = re.compile(r"^stage1 \[(\d)/(\d)\] ([a-z]+): (.*)$")


def step_lines(stdout: str) -> list[tuple[str, str]]:
    """(step, what) for every step line, in the order printed."""
    return [(m[3], m[4]) for m in map(LINE.match, stdout.splitlines()) if m]


def test_piped_run_prints_a_start_and_end_line_per_step_and_the_failed_log(world):
    world["tb"].edit("stage1/030-hello.sh", "make install", "echo about to fail\nexit 7\nmake install")
    r = run_invoke(["stage1"], world["env"])
    assert r.returncode == 1, r.stderr
    out = [line for line in r.stdout.splitlines() if not line.startswith("fetch: ")]
    assert out[0] == "stage1: 4 step(s) to run, 1.6 SBU by the book"
    got = step_lines(r.stdout)
    assert [(s, w.split()[0]) for s, w in got] == [
        ("layout", "started"), ("layout", "ok"), ("libgreet", "started"), ("libgreet", "ok"),
        ("hello", "started"), ("hello", "failed")]
    assert "stage1 [2/4] libgreet: ok in " in r.stdout
    assert "1.00 SBU (book 1)" in got[3][1]    # the step that calibrates the local SBU
    log = world["lfs"] / ".lfsbuild/logs/stage1/hello.log"
    assert got[5][1].endswith(f", exit status 7, log {log}") and "about to fail" in log.read_text()
    assert "still running" not in r.stdout     # the heartbeat waits minutes, not seconds

    # resumed: the finished steps get one summary, not a line each; the rest run and say so
    world["tb"].edit("stage1/030-hello.sh", "echo about to fail\nexit 7\n", "")
    r = run_invoke(["stage1"], world["env"], check=True)
    out = r.stdout.splitlines()
    assert out[0].startswith("stage1: 2 step(s) to run, 0.6 SBU by the book, about ")
    assert out[0].endswith("; 2 done before, skipped")
    got = step_lines(r.stdout)
    assert [(s, w.split()[0]) for s, w in got] == [
        ("hello", "started"), ("hello", "ok"), ("check", "started"), ("check", "ok")]
    assert out[-1] == "stage1: 2 step(s) done"
    # the measured SBU of a line is the figure `invoke status` shows for that step
    line_sbu = re.search(r"ok in \S+, (\d+\.\d\d) SBU", got[1][1])[1]
    status = run_invoke(["status"], world["env"], check=True).stdout
    row = next(ln.split() for ln in status.splitlines() if ln.startswith("stage1  hello"))
    assert row[4] == line_sbu


def test_a_long_step_prints_heartbeats_with_its_log(world):
    """The interval is a constant read when a run starts; this run sets it to 0.3 s."""
    world["tb"].edit("stage1/020-libgreet.sh", "make install\n", "make install\nsleep 1.5\n")
    code = ("import sys, lfsbuild.build.progress as p; p.HEARTBEAT_SECONDS = 0.3\n"
            "from invoke.main import program; program.run(['invoke', 'stage1'])")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=world["env"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = step_lines(r.stdout)
    log = world["lfs"] / ".lfsbuild/logs/stage1/libgreet.log"
    i = got.index(("libgreet", "started"))
    beats = [w for s, w in got[i + 1:] if w.startswith("still running")]
    assert len(beats) >= 3, r.stdout
    assert all(re.fullmatch(rf"still running, \ds elapsed, log {log}", b) for b in beats)
    assert got[i + 1 + len(beats)][1].startswith("ok in ")   # all of them before its end


def test_on_a_terminal_the_bar_shows_and_no_step_lines(world):
    """stdout and stderr a (pseudo-)terminal: the tqdm bar, as before, no per-step lines."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # tqdm's width
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "stage1"], cwd=REPO,
                            env=world["env"], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        assert ready, "no output from the stage for 120 s"
        try:
            data = os.read(master, 65536)
        except OSError:      # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    screen = b"".join(chunks).decode(errors="replace")
    assert "stage1: 100%" in screen and "1.6/1.6 SBU" in screen
    assert "stage1: 4 step(s) done" in screen
    assert "started" not in screen and "] libgreet: ok" not in screen


def test_heartbeat_waits_a_full_interval_after_the_last_line():
    """The heartbeat clock is the caller's: no line before the interval, one per interval."""
    import io
    from pathlib import Path

    from lfsbuild.build.book import Step
    from lfsbuild.build.plan import Plan, StepView
    from lfsbuild.build.progress import HEARTBEAT_SECONDS, StepLines
    from lfsbuild.build.state import State

    step = Step("stage1", "gcc-pass1", Path("030-gcc-pass1.sh"), "GCC", "", sbu=3.2)
    view = StepView(step, "i", "f", None, "pending", "not run yet")
    out = io.StringIO()
    lines = StepLines(Plan("stage1", (view,), ()), State(sbu_seconds=300.0), out, heartbeat=300)
    assert HEARTBEAT_SECONDS == 300          # the shipped interval: 5 minutes
    lines.begin()
    lines.start(view, Path("/x/gcc-pass1.log"), now=1000.0)
    for now in (1001.0, 1299.0, 1300.0, 1400.0, 1599.0, 1600.0):
        lines.beat(now)
    assert out.getvalue().splitlines() == [
        "stage1: 1 step(s) to run, 3.2 SBU by the book, about 16m00s here",
        "stage1 [1/1] gcc-pass1: started",
        "stage1 [1/1] gcc-pass1: still running, 5m00s elapsed, log /x/gcc-pass1.log",
        "stage1 [1/1] gcc-pass1: still running, 10m00s elapsed, log /x/gcc-pass1.log"]
