"""Benchmark: what the step engine costs on top of the commands it runs.

Why: a real stage has dozens of steps, and every one is recorded (state saves with fsync),
isolated (unshare PID namespace, setpriv to the build user, `env -i`), logged and cleaned up.
That must stay small next to the work itself, and re-running a finished stage must cost about
as much as invoke's own start-up.

(a) a stage of N trivial steps (`echo step > "$WORK_DIR/out"`, no packages) run by
    `invoke stage1` (as root: steps run as the build user `lfsbench`) against a plain bash loop
    running the same recipe files with `bash -e FILE`, giving the per-step overhead; a second
    loop runs each recipe through the same process chain lfsbuild uses (unshare, sh, setpriv,
    env -i, bash) to separate the cost of those processes from lfsbuild's own Python work; and
    a cProfile of one run lists the top costs per step.
(b) `invoke stage1` on the finished stage against `invoke --list`, median of 10 runs each.

Run:  python bench/engine.py [--quick] [--repeat N] [--steps N]
Each figure is best and median of the runs. Nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USER = "lfsbench"
RECIPE = """# step {n:02d}
#: sbu: 0
echo step > "$WORK_DIR/out"
"""


def make_book(base: Path, steps: int) -> tuple[Path, Path]:
    """book/stage1/NNN-stepNN.sh and an empty packages file: nothing to fetch or unpack."""
    stage = base / "book" / "stage1"
    stage.mkdir(parents=True)
    for n in range(1, steps + 1):
        (stage / f"{n * 10:03d}-step{n:02d}.sh").write_text(RECIPE.format(n=n))
    packages = base / "packages.yaml"
    packages.write_text("release: 'bench'\npackages: []\n")
    return base / "book", packages


def env_for(base: Path, root: Path) -> dict[str, str]:
    return dict(os.environ, INVOKE_LFS_ROOT=str(root), INVOKE_LFS_SOURCES=str(base / "sources"),
                INVOKE_LFS_PACKAGES=str(base / "packages.yaml"), INVOKE_LFS_BOOK=str(base / "book"),
                INVOKE_LFS_USER=USER, INVOKE_LFS_JOBS="2", INVOKE_LFS_MIRRORS="",
                INVOKE_LFS_HOST_CHECK="0")


def wall(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"broken: {' '.join(cmd[:5])}... exited {proc.returncode}:\n"
                 f"{proc.stdout.decode(errors='replace')[-2000:]}")
    return elapsed


def invoke(args: list[str], env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "invoke", *args]


def plain_loop(book: Path, work: Path) -> list[str]:
    """What a user without lfsbuild would run: each recipe with `bash -e`, stop at a failure."""
    script = ('for f in "$1"/stage1/*.sh; do WORK_DIR="$2" bash -e "$f" || exit 1; done')
    return ["bash", "-c", script, "loop", str(book), str(work)]


def chain_loop(book: Path, work: Path, root: Path) -> list[str]:
    """The same recipes through lfsbuild's per-step process chain, driven from bash, not Python."""
    import pwd
    pw = pwd.getpwnam(USER)
    chain = (f'unshare --pid --fork --kill-child -- /bin/sh -c \'"$@"; exit $?\' lfsbuild-step '
             f'setpriv --reuid={pw.pw_uid} --regid={pw.pw_gid} --init-groups -- '
             f'/usr/bin/env -i HOME={pw.pw_dir} LFS={root} LC_ALL=POSIX '
             f'PATH={root}/tools/bin:/usr/bin:/bin WORK_DIR="$2" '
             f'/bin/bash --noprofile --norc -e "$f"')
    script = f'for f in "$1"/stage1/*.sh; do {chain} || exit 1; done'
    return ["bash", "-c", script, "loop", str(book), str(work)]


def stats(xs: list[float]) -> tuple[float, float]:
    return min(xs), statistics.median(xs)


# cProfile entries worth naming, matched on (file suffix, function name): what a step is made of
PROFILE_ROWS: list[tuple[str, str, str]] = [
    ("runner.py", "run_step", "run_step (everything per step)"),
    ("state.py", "save", "  StateStore.save (3 per step: json + write)"),
    ("fetch.py", "atomic_write", "    atomic_write (write, fsync, rename, dir fsync)"),
    ("~", "<built-in method posix.fsync>", "      posix.fsync (file + directory)"),
    ("runner.py", "prepare_workdir", "  prepare_workdir (rmtree/mkdir/chown/recipe.sh)"),
    ("runner.py", "_check_reachable", "    _check_reachable (spawns setpriv test -w)"),
    ("proc.py", "spawn", "  spawn (Popen: fork+exec of unshare chain)"),
    ("subprocess.py", "__init__", "  subprocess __init__ (Popen + CompletedProcess)"),
    ("~", "<built-in method _posixsubprocess.fork_exec>", "    _posixsubprocess.fork_exec"),
    ("~", "<method '__exit__' of '_io._IOBase' objects>", "  closing files"),
    ("subprocess.py", "wait", "  Popen.wait (child exit)"),
    ("state.py", "process_start", "  process_start (/proc/PID/stat)"),
    ("shutil.py", "rmtree", "  shutil.rmtree (workdir cleanup)"),
    ("runner.py", "identity_for", "  identity_for (pwd lookup)"),
    ("progress.py", "start", "  StageProgress.start"),
]


def profile_run(base: Path, steps: int) -> tuple[float, list[tuple[str, float, float, int]]]:
    """cProfile one `invoke stage1` in a subprocess; per-step cumulative ms of named entries."""
    root = base / "lfs-profile"
    out = base / "stage1.prof"
    wall([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "invoke", "stage1"],
         env_for(base, root))
    st = pstats.Stats(str(out))
    total = max(v[3] for v in st.stats.values())  # type: ignore[attr-defined]
    rows = []
    for suffix, func, label in PROFILE_ROWS:
        hits = [(v[3], v[1]) for (f, _, fn), v in st.stats.items()  # type: ignore[attr-defined]
                if fn == func and (f == suffix or f.endswith("/" + suffix))]
        if hits:
            cum = sum(h[0] for h in hits)
            calls = sum(h[1] for h in hits)
            rows.append((label, cum * 1000 / steps, cum * 100 / total, calls))
    shutil.rmtree(root, ignore_errors=True)
    return total, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs, for a smoke run (<30 s)")
    ap.add_argument("--repeat", type=int, default=None, help="runs for (a) (default 5; quick 1)")
    ap.add_argument("--steps", type=int, default=50, help="steps in the stage (50)")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile breakdown")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("note: not root, so steps run as you (no setpriv); the chain loop is skipped")
    repeat = args.repeat or (1 if args.quick else 5)
    nb = 3 if args.quick else 10
    n = args.steps

    base = Path(tempfile.mkdtemp(prefix="lfsbuild-bench-engine-", dir="/tmp"))
    base.chmod(0o755)  # the build user must reach $LFS
    try:
        book, _ = make_book(base, n)
        print(f"stage1: {n} trivial steps; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs (a background build may be running: figures are noisy)")
        # warm-up: creates the build user, fills caches
        wall(invoke(["stage1"], {}), env_for(base, base / "lfs-warm"))
        shutil.rmtree(base / "lfs-warm")

        lfs_t, loop_t, chain_t, list_t = [], [], [], []
        work, cwork = base / "loopwork", base / "chainwork"  # root's and the build user's
        for d in (work, cwork):
            d.mkdir()
            d.chmod(0o777)
        for i in range(repeat):  # interleaved, so background load hits every row alike
            root = base / f"lfs-{i}"
            lfs_t.append(wall(invoke(["stage1"], {}), env_for(base, root)))
            if i == 0:
                finished = root  # kept for (b)
            else:
                shutil.rmtree(root)
            loop_t.append(wall(plain_loop(book, work)))
            if os.geteuid() == 0:
                chain_t.append(wall(chain_loop(book, cwork, base / "lfs-0")))
            list_t.append(wall(invoke(["--list"], {}), env_for(base, finished)))

        # (b) a finished stage vs invoke's own start-up, interleaved
        done_t, list_b = [], []
        for _ in range(nb):
            done_t.append(wall(invoke(["stage1"], {}), env_for(base, finished)))
            list_b.append(wall(invoke(["--list"], {}), env_for(base, finished)))

        prof = None if args.no_profile or args.quick else profile_run(base, n)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    lb, lm = stats(lfs_t)
    pb, pm = stats(loop_t)
    sb, sm = stats(list_t)
    print()
    print(f"(a) {n} steps, {repeat} run(s)             {'best s':>8} {'median s':>8} {'ms/step':>8}")
    print(f"plain bash loop (bash -e FILE)          {pb:8.3f} {pm:8.3f} {pm * 1000 / n:8.1f}")
    if chain_t:
        cb, cm = stats(chain_t)
        print(f"bash loop through lfsbuild's chain*     {cb:8.3f} {cm:8.3f} {cm * 1000 / n:8.1f}")
    print(f"invoke stage1 (fresh $LFS)              {lb:8.3f} {lm:8.3f} {lm * 1000 / n:8.1f}")
    print(f"invoke --list (start-up alone)          {sb:8.3f} {sm:8.3f}")
    over = (lm - pm) * 1000 / n
    print()
    print(f"per-step overhead (stage1 - loop) / {n}:            {over:6.1f} ms  (target < 30 ms)")
    print(f"  of which invoke start-up, spread over {n} steps:  {sm * 1000 / n:6.1f} ms")
    per_step = (lm - sm - pm) * 1000 / n
    print(f"  per step, start-up excluded:                     {per_step:6.1f} ms")
    if chain_t:
        chain_cost = (cm - pm) * 1000 / n
        print(f"    process chain (unshare/sh/setpriv/env/bash):   {chain_cost:6.1f} ms")
        print(f"    lfsbuild's own per-step work (the rest):       {per_step - chain_cost:6.1f} ms")
        print("  * unshare --pid --fork --kill-child -- sh -c ... setpriv ... -- env -i ... bash -e FILE")
    if prof:
        total, rows = prof
        print()
        print(f"cProfile of one `invoke stage1` ({total:.2f} s under the profiler; parent process "
              f"only, profiler overhead included)")
        print(f"{'entry':52} {'ms/step':>8} {'% run':>6} {'calls':>6}")
        for label, ms, pct, calls in rows:
            print(f"{label:52} {ms:8.2f} {pct:6.1f} {calls:6d}")
    db, dm = stats(done_t)
    kb, km = stats(list_b)
    print()
    print(f"(b) finished stage, {nb} runs each          {'best s':>8} {'median s':>8} {'ratio':>7}")
    print(f"invoke --list                           {kb:8.3f} {km:8.3f} {'1.00x':>7}")
    print(f"invoke stage1 (all {n} steps done)       {db:8.3f} {dm:8.3f} {dm / km:6.2f}x"
          f"  (target < 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
