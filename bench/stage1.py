"""Benchmark: a real stage 1 step through lfsbuild against the book's commands as plain bash.

Why: issue 18 measured stage 1 1.20x slower through `invoke stage1` than as one plain bash
script, far more than the ~11 ms per step of bench/engine.py. This runs the same real package
step both ways on the same machine, back to back, so that only lfsbuild's overhead differs:

- plain: one bash script with the book's commands for the package - `tar -xf` in a directory
  under $LFS/sources, `cd` into the tree, the recipe's text (book/stage1/NNN-NAME.sh) inline,
  `rm -rf` of the tree - run as the same build user, with the same environment (lfsbuild's own
  `runner.step_command` computes it: LFS, LFS_TGT, LC_ALL, PATH, CONFIG_SITE, MAKEFLAGS, ...),
  its output going straight into a log file. It times its three parts itself ($EPOCHREALTIME).
- lfsbuild: `invoke stage1 --step NAME --force` on the same $LFS, timed as a whole (wall, with
  Python's start-up and the plan) and per runner phase (the step record's `phases`).

Before every run $LFS is made afresh (removed, then `invoke stage1 --step layout`, untimed),
so both install into the same empty tree. glibc (--glibc) needs binutils, gcc pass 1 and the
kernel headers: they are built once through lfsbuild (about half an hour) and kept in
DIR/lfs-glibc; glibc then installs over the previous run's glibc, both ways alike.
Runs alternate (plain first in odd rounds, lfsbuild first in even ones) against drift in
the machine's load, and each starts after a `sync` (untimed); the 1-minute load average is
printed with every run, and CPU time (user + system of every process) beside wall time: on a
loaded machine it moves less. Nothing asserts.

--chapter is the whole of stage 1 (the book's chapter 5) both ways, once: every step's plain
script one after the other in one fresh tree (DIR/lfs-chapter-plain), then `invoke stage1` in
another (DIR/lfs-chapter), compared per step and in total. `--against ROOT` takes the
lfsbuild side from ROOT's stage-1 step records instead (a real `invoke stage1` that just ran
there, e.g. bench/real/build.sh --to stage1), so the plain chapter runs just after it;
`--plain-from JSON` takes the plain side from an earlier run's chapter.json instead, so
`invoke stage1` runs just after that. `--interleave` runs the two chapters side by side
instead, a step at a time: each step's plain script in DIR/lfs-chapter-plain and `invoke
stage1 --to STEP` (a real, resumed `invoke stage1`) in DIR/lfs-chapter, one right after the
other, the first way alternating from step to step. On a VM whose speed drifts by 10-20 %
over an hour (the same plain glibc took 690 and 848 CPU seconds here, hours apart), only
neighbours compare; two chapters an hour apart measure the drift.

Run (as root, so steps run as the build user like a real build does):
  python bench/stage1.py [--quick] [--rounds N] [--glibc] [--dir DIR] [--sources DIR]
         [--packages FILE] [--nice N] [--only STEP]
  python bench/stage1.py --chapter [--interleave | --against ROOT | --plain-from JSON] ...
  python bench/stage1.py --summary DIR/logs/last.json   (an earlier run's rounds, again)
--quick: linux headers only, one round. The sources come from --sources (default
/work/real/sources, the real build's copies; hard-linked into DIR/sources, never written) and
--packages (default /work/real/packages-mirror.yaml).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lfsbuild.build.book import Step, load_book  # noqa: E402
from lfsbuild.build.runner import (RunContext, children_cpu, identity_for,  # noqa: E402
                                   step_command)
from lfsbuild.build.state import PHASES, State, StateStore  # noqa: E402
from lfsbuild.settings import Settings, from_config  # noqa: E402
from lfsbuild.sources.packages import PackageList, load_packages  # noqa: E402

USER = "lfsbench"
JOBS = 2
SETUP_FOR_GLIBC = ("layout", "binutils-pass1", "gcc-pass1", "linux-headers")
PLAIN_PHASES = ("unpack", "recipe", "cleanup")   # what the plain script times (PLAIN)

PLAIN = """\
# bench/stage1.py: the book's commands for {name}, as one plain bash script (run with bash -e)
t0=$EPOCHREALTIME
mkdir -p "$WORK_DIR"
cd "$WORK_DIR"
tar -xf {tarball}
cd {srcname}
{extras}t1=$EPOCHREALTIME
# ---- {recipe} ----
{text}
# ---- end of the recipe ----
t2=$EPOCHREALTIME
cd "$LFS/sources"
rm -rf "$WORK_DIR"
t3=$EPOCHREALTIME
echo "$t0 $t1 $t2 $t3" > {times}
"""


@dataclass
class Run:
    """One timed run of one step, either way."""

    way: str                     # plain | lfsbuild
    wall: float                  # the whole command, as a user waits for it
    phases: dict[str, float] = field(default_factory=dict)
    cpu: float = 0.0             # user + system CPU seconds of the command and its children
    step: float = 0.0            # lfsbuild: the step record's duration (started -> finished)
    load: tuple[float, float] = (0.0, 0.0)   # 1-minute load average before and after
    machine: dict[str, float] = field(default_factory=dict)   # MachineCpu.since: whole machine

    @classmethod
    def from_json(cls, saved: dict) -> "Run":
        """A run as chapter.json or last.json saved it (vars(run))."""
        return cls(**{**saved, "load": tuple(saved["load"])})


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


@dataclass
class MachineCpu:
    """The whole machine's CPU seconds by kind, from /proc/stat's first line.

    Why: a process's own CPU figure misses what it does not wait for (an orphan reaped by
    somebody else), and in a VM the same work costs more CPU while the host is busy. The
    machine's figures show both: `busy` counts every process, `steal` is the time the host
    took the CPUs away, `iowait` and `idle` the time nothing could run.
    """

    ticks: dict[str, int]

    KINDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")

    @classmethod
    def now(cls) -> "MachineCpu":
        values = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        return cls(dict(zip(cls.KINDS, map(int, values))))

    def since(self, before: "MachineCpu") -> dict[str, float]:
        hz = os.sysconf("SC_CLK_TCK")
        d = {k: (self.ticks[k] - before.ticks[k]) / hz for k in self.KINDS}
        busy = d["user"] + d["nice"] + d["system"] + d["irq"] + d["softirq"]
        return {"busy": busy, "idle": d["idle"], "iowait": d["iowait"], "steal": d["steal"]}


def disk_activity() -> tuple[int, ...]:
    """Writes, discards and flushes completed, and I/Os in flight, summed over whole disks."""
    total = [0, 0, 0, 0]
    for line in Path("/proc/diskstats").read_text().splitlines():
        f = line.split()
        if len(f) < 18 or not Path(f"/sys/block/{f[2]}").exists():   # partitions, old kernels
            continue
        for i, col in enumerate((7, 14, 18, 11)):   # writes, discards, flushes, in flight
            total[i] += int(f[col]) if col < len(f) else 0
    return tuple(total)


def settle(quiet: float = 3.0, limit: float = 180.0) -> float:
    """`sync`, then wait until the disks have done nothing for `quiet` seconds: untimed.

    Why: removing a built tree (GBs) on a file system mounted with `discard`, as here, sends
    the disk tens of thousands of discards (81,000 for one kernel tree), and with only a
    `sync` between runs the second of a pair unpacked up to 3x slower than the first,
    whichever way it ran (issue 18). Waiting for the disk removes that order effect in the
    rounds tried so far; it does not remove the machine's own drift. Returns seconds waited.
    """
    t0 = time.monotonic()
    os.sync()
    last, since = disk_activity(), time.monotonic()
    while time.monotonic() - t0 < limit:
        time.sleep(0.5)
        now = disk_activity()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return time.monotonic() - t0


def fmt_machine(m: dict[str, float]) -> str:
    return " ".join(f"{k} {m[k]:.1f}" for k in ("busy", "idle", "iowait", "steal") if k in m)


def fmt_run(run: Run) -> str:
    """One run's line: its time (lfsbuild: the step record's), CPU, phases, the machine."""
    names = PHASES if run.way == "lfsbuild" else PLAIN_PHASES
    seconds = run.step if run.way == "lfsbuild" else run.wall
    return (f"{run.way:8} {seconds:7.1f} s  cpu {run.cpu:7.1f} s  [{fmt_phases(run, names)}]  "
            f"machine: {fmt_machine(run.machine)}")


class Bench:
    def __init__(self, base: Path, sources: Path, packages: Path) -> None:
        self.base = base
        self.src_from = sources
        self.packages_file = packages
        self.sources = base / "sources"
        self.logs = base / "logs"

    def root_for(self, step: str) -> Path:
        return self.base / ("lfs-glibc" if step == "glibc" else "lfs")

    def config(self, root: Path) -> dict:
        return {"root": str(root), "sources": str(self.sources), "packages":
                str(self.packages_file), "book": str(REPO / "book"), "user": USER,
                "jobs": JOBS, "tests": "none", "mirrors": [], "host_check": False}

    def env(self, root: Path) -> dict[str, str]:
        return dict(os.environ, INVOKE_LFS_ROOT=str(root), INVOKE_LFS_SOURCES=str(self.sources),
                    INVOKE_LFS_PACKAGES=str(self.packages_file), INVOKE_LFS_BOOK=str(REPO / "book"),
                    INVOKE_LFS_USER=USER, INVOKE_LFS_JOBS=str(JOBS), INVOKE_LFS_MIRRORS="",
                    INVOKE_LFS_TESTS="none", INVOKE_LFS_HOST_CHECK="0")

    def settings(self, root: Path) -> Settings:
        return from_config(self.config(root), REPO)

    # ------------------------------------------------------------------------------- setup

    def prepare(self, steps: list[Step], pkgs: PackageList) -> None:
        """Hard-link the tarballs the steps need into DIR/sources and read them once (cache)."""
        for d in (self.base, self.sources, self.logs):
            d.mkdir(parents=True, exist_ok=True)
            d.chmod(0o755)   # the build user reads the plain script and the tarballs
        names = {n for s in steps for n in s.needs}
        for name in sorted(names):
            fn = pkgs.get(name).filename
            dest, origin = self.sources / fn, self.src_from / fn
            if not dest.exists():
                if not origin.exists():
                    sys.exit(f"missing source: {origin} (needed by {name}); see --sources")
                try:
                    os.link(origin, dest)
                except OSError:
                    shutil.copyfile(origin, dest)
            with open(dest, "rb") as f:
                while f.read(1 << 20):
                    pass

    def invoke(self, args: list[str], root: Path, log: Path) -> tuple[float, float]:
        """Run `invoke ARGS` on `root`: (wall seconds, CPU seconds)."""
        c0, t0 = children_cpu(), time.monotonic()
        with open(log, "wb") as out:
            proc = subprocess.run([sys.executable, "-m", "invoke", *args], cwd=REPO,
                                  env=self.env(root), stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT)
        wall = time.monotonic() - t0
        if proc.returncode != 0:
            sys.exit(f"`invoke {' '.join(args)}` failed ({proc.returncode}); its output: {log}")
        return wall, children_cpu() - c0

    def fresh_root(self, root: Path) -> None:
        """$LFS removed and laid out again (the layout step, through lfsbuild): untimed."""
        if root.exists():
            shutil.rmtree(root)
        self.invoke(["stage1", "--step", "layout", "--force"], root, self.logs / "layout.log")

    def setup_glibc(self, root: Path) -> None:
        """binutils, gcc pass 1 and the kernel headers in DIR/lfs-glibc, built once and kept."""
        store = StateStore(self.settings(root).state_dir)
        state = store.load() if root.exists() else State()
        missing = [s for s in SETUP_FOR_GLIBC if (r := state.steps.get(f"stage1/{s}")) is None
                   or r.status != "done"]
        if not missing:
            return
        print(f"setting up {root} for glibc (once, untimed): {', '.join(missing)}", flush=True)
        t0 = time.monotonic()
        self.invoke(["stage1", "--to", "linux-headers"], root, self.logs / "setup-glibc.log")
        print(f"  set up in {time.monotonic() - t0:.0f} s", flush=True)

    # --------------------------------------------------------------------------------- runs

    def plain(self, step: Step, pkgs: PackageList, root: Path, rnd: int) -> Run:
        """The book's commands for `step` as one bash script, as the build user, same env."""
        settings = self.settings(root)
        ctx = RunContext(settings, pkgs, StateStore(settings.state_dir), State())
        who = identity_for(step, settings)
        work = root / "sources" / f"plain-{step.name}"
        tarball = self.sources / pkgs.get(step.package).filename
        srcname = top_dir(tarball)
        argv, env = step_command(step, work, work / srcname, who, ctx)
        patches = self.base / "patches"
        if step.patches:
            patches.mkdir(exist_ok=True)
            patches.chmod(0o755)
            for name in step.patches:
                shutil.copyfile(self.sources / pkgs.get(name).filename,
                                patches / f"{name}.patch")
                (patches / f"{name}.patch").chmod(0o644)
        env["PATCHES"] = str(patches)
        mine = self.base / "plain"   # the script and the times it writes, the build user's
        mine.mkdir(exist_ok=True)
        if not who.is_self:
            os.chown(mine, who.uid, who.gid)
        times = mine / f"times-{step.name}"
        times.unlink(missing_ok=True)
        script = mine / f"plain-{step.name}.sh"
        # the book's "tar -xf ../mpfr-4.2.1.tar.xz; mv -v mpfr-4.2.1 mpfr" for each extra
        extras = "".join(
            f"tar -xf {q(t)}\nmv {q(top_dir(t))} {q(name)}\n"
            for name, t in ((e, self.sources / pkgs.get(e).filename) for e in step.extras))
        script.write_text(PLAIN.format(name=step.name, tarball=q(tarball), srcname=q(srcname),
                                       extras=extras,
                                       recipe=step.path, text=step.text, times=q(times)))
        script.chmod(0o644)
        # lfsbuild's own command line, with the plain script in place of harness + recipe
        argv = [*who.wrap(), "/bin/bash", "--noprofile", "--norc", "-e", str(script)]
        log = self.logs / f"plain-{step.name}-{rnd}.log"
        l0, c0, m0 = loadavg(), children_cpu(), MachineCpu.now()
        t0 = time.monotonic()
        with open(log, "wb") as out:
            proc = subprocess.run(argv, env=env, cwd=root / "sources", stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=subprocess.STDOUT)
        wall = time.monotonic() - t0
        if proc.returncode != 0:
            sys.exit(f"the plain script for {step.name} failed ({proc.returncode}): {log}")
        t = [float(x) for x in times.read_text().split()]
        return Run("plain", wall, {"unpack": t[1] - t[0], "recipe": t[2] - t[1],
                                   "cleanup": t[3] - t[2]}, children_cpu() - c0,
                   load=(l0, loadavg()), machine=MachineCpu.now().since(m0))

    def chapter_plain(self, steps: list[Step], pkgs: PackageList) -> dict[str, Run]:
        """Every step's plain script in book order in one fresh tree: chapter 5 as plain bash."""
        root = self.base / "lfs-chapter-plain"
        self.fresh_root(root)
        settle()
        runs = {}
        for step in steps:
            runs[step.name] = run = self.plain(step, pkgs, root, 0)
            print(f"  plain {step.name:16} {run.wall:7.1f} s  cpu {run.cpu:7.1f} s  "
                  f"[{fmt_phases(run, PLAIN_PHASES)}]  "
                  f"load {run.load[0]:.1f}->{run.load[1]:.1f}", flush=True)
        return runs

    def chapter_lfsbuild(self, steps: list[Step], against: Path | None) -> dict[str, Run]:
        """`invoke stage1` in one fresh tree (or, with `against`, that tree's records)."""
        root = against or self.base / "lfs-chapter"
        if against is None:
            if root.exists():
                shutil.rmtree(root)
            settle()
            wall, cpu = self.invoke(["stage1"], root, self.logs / "lfsbuild-chapter.log")
            print(f"  invoke stage1: {wall:.1f} s wall, cpu {cpu:.1f} s", flush=True)
        records = StateStore(self.settings(root).state_dir).load().steps
        runs = {}
        for step in steps:
            rec = records.get(step.id)
            if rec is None or rec.status != "done":
                sys.exit(f"{root}: {step.id} is not done; run `invoke stage1` there first")
            runs[step.name] = Run("lfsbuild", rec.duration, dict(rec.phases or {}),
                                  cpu=rec.cpu or 0.0, step=rec.duration)
        return runs

    def chapter_interleaved(self, steps: list[Step], pkgs: PackageList
                            ) -> tuple[dict[str, Run], dict[str, Run]]:
        """Both chapters a step at a time, each step both ways back to back (ABBA order)."""
        plain_root, lfs_root = self.base / "lfs-chapter-plain", self.base / "lfs-chapter"
        for root in (plain_root, lfs_root):
            self.fresh_root(root)
        plain, lfs = {}, {}
        for i, step in enumerate(steps):
            order = ("plain", "lfsbuild") if i % 2 == 0 else ("lfsbuild", "plain")
            for way in order:
                settle()   # untimed: the previous run's writes and discards go out first
                if way == "plain":
                    plain[step.name] = self.plain(step, pkgs, plain_root, 0)
                else:
                    lfs[step.name] = self.lfsbuild(step, lfs_root, 0, ["--to", step.name])
            p, lb = plain[step.name], lfs[step.name]
            print(f"  {step.name} ({order[0]} first)\n    {fmt_run(p)}\n    {fmt_run(lb)}  "
                  f"(invoke {lb.wall:.1f} s)", flush=True)
        return plain, lfs

    def lfsbuild(self, step: Step, root: Path, rnd: int, how: list[str] | None = None) -> Run:
        """`invoke stage1 --step NAME --force` (or `invoke stage1 HOW...`) on `root`."""
        l0, m0 = loadavg(), MachineCpu.now()
        wall, cpu = self.invoke(["stage1", *(how or ["--step", step.name, "--force"])], root,
                                self.logs / f"lfsbuild-{step.name}-{rnd}.log")
        rec = StateStore(self.settings(root).state_dir).load().steps[step.id]
        return Run("lfsbuild", wall, dict(rec.phases or {}), cpu, rec.duration, (l0, loadavg()),
                   MachineCpu.now().since(m0))


def chapter(bench: Bench, pkgs: PackageList, book, against: Path | None,
            plain_from: Path | None = None, interleave: bool = False) -> int:
    """--chapter: stage 1 as one plain chapter and as `invoke stage1`, per step and total."""
    steps = [s for s in book.steps("stage1") if s.package]   # layout is untimed set-up
    bench.prepare(steps, pkgs)
    side = ("both chapters a step at a time" if interleave else
            against or "invoke stage1 after the plain chapter")
    print(f"bench/stage1.py --chapter: {len(steps)} steps; make -j{JOBS}; {os.cpu_count()} "
          f"CPUs; nice {os.nice(0)}; load now {loadavg():.1f}; lfsbuild side: {side}", flush=True)
    if interleave:
        plain, lfs = bench.chapter_interleaved(steps, pkgs)
    else:
        if plain_from:   # an earlier run's plain chapter (its chapter.json), e.g. just before
            plain = {n: Run.from_json(runs[0])
                     for n, runs in json.loads(plain_from.read_text()).items()}
        else:
            plain = bench.chapter_plain(steps, pkgs)
        lfs = bench.chapter_lfsbuild(steps, against)
    # interleaved, lfsbuild's CPU is its whole `invoke` (Bench.lfsbuild); else the step record's
    what = ("invoke cpu", "whole `invoke stage1 --to STEP`") if interleave else \
        ("recipe cpu", "recipe")
    print(f"\n{'step':16} {'plain s':>8} {'lfsbuild s':>10} {'ratio':>6} {'plain cpu':>9} "
          f"{what[0]:>10} {'ratio':>6}  (lfsbuild phases, s; cpu: the plain script's "
          f"whole vs lfsbuild's {what[1]})")
    for step in steps:
        p, lb = plain[step.name], lfs[step.name]
        print(f"{step.name:16} {p.wall:8.1f} {lb.step:10.1f} {lb.step / p.wall:6.3f} "
              f"{p.cpu:9.1f} {lb.cpu:10.1f} {lb.cpu / p.cpu if p.cpu else 0:6.3f}  "
              f"[{fmt_phases(lb, PHASES)}]")
    tp, tl = sum(r.wall for r in plain.values()), sum(r.step for r in lfs.values())
    print(f"{'total':16} {tp:8.1f} {tl:10.1f} {tl / tp:6.3f}")
    if interleave:   # as a user waits: each `invoke stage1 --to` whole (start-up, plan, skips)
        ti = sum(r.wall for r in lfs.values())
        print(f"{'total, invoke':16} {tp:8.1f} {ti:10.1f} {ti / tp:6.3f}  (each `invoke stage1 "
              f"--to STEP` as a whole)")
    (bench.logs / "chapter.json").write_text(json.dumps(
        {n: [vars(plain[n]), vars(lfs[n])] for n in plain}, indent=1))
    return 0


def q(path: Path | str) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def top_dir(tarball: Path) -> str:
    """The tarball's top directory (the first member's first component): untimed setup."""
    out = subprocess.run(f"tar -tf {q(tarball)} | head -n 1", shell=True, capture_output=True,
                         text=True).stdout
    return out.strip().split("/")[0]


def fmt_phases(run: Run, names: tuple[str, ...]) -> str:
    return " ".join(f"{n} {run.phases[n]:.1f}" for n in names if n in run.phases)


def summary(results: dict[str, list[tuple[Run, Run]]]) -> None:
    """The rounds' medians per step, lfsbuild against plain (also from a saved last.json)."""
    print("\nsummary (median of rounds; ratio = lfsbuild / plain; step = the step record's "
          "duration, wall adds invoke's start-up and plan; cpu = user+sys of all processes):")
    print(f"{'step':16} {'plain s':>8} {'step s':>7} {'wall s':>7} {'r.step':>6} {'r.pair':>6} "
          f"{'r.wall':>6} {'r.cpu':>6} {'recipe':>6}  " + " ".join(f"{n:>7}" for n in PHASES)
          + "  (lfsbuild phases, s; recipe = ratio of recipe phases; r.pair = median of the "
          "rounds' own step ratios)")
    tot = [0.0, 0.0, 0.0]
    for name, pairs in results.items():
        def med(f) -> float:
            return statistics.median(f(x, y) for x, y in pairs)
        p, st, lw = med(lambda x, y: x.wall), med(lambda x, y: y.step), med(lambda x, y: y.wall)
        pc, lc = med(lambda x, y: x.cpu), med(lambda x, y: y.cpu)
        rp, rl = med(lambda x, y: x.phases["recipe"]), med(lambda x, y: y.phases.get("recipe", 0))
        ph = [med(lambda x, y, n=n: y.phases.get(n, 0.0)) for n in PHASES]
        # each round's two runs were neighbours: their ratio leaves out the drift between rounds
        pair = med(lambda x, y: y.step / x.wall)
        tot = [tot[0] + p, tot[1] + st, tot[2] + lw]
        print(f"{name:16} {p:8.1f} {st:7.1f} {lw:7.1f} {st / p:6.3f} {pair:6.3f} {lw / p:6.3f} "
              f"{lc / pc:6.3f} {rl / rp:6.3f}  " + " ".join(f"{v:7.2f}" for v in ph))
    print(f"{'total':16} {tot[0]:8.1f} {tot[1]:7.1f} {tot[2]:7.1f} {tot[1] / tot[0]:6.3f} "
          f"{'':6} {tot[2] / tot[0]:6.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="linux headers only, one round")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per step (default 2)")
    ap.add_argument("--glibc", action="store_true", help="glibc too (sets up gcc pass 1 once)")
    ap.add_argument("--only", choices=("binutils-pass1", "linux-headers", "glibc"), default=None,
                    help="this step alone")
    ap.add_argument("--dir", default="/work/perf-bench", help="where the bench's $LFS trees go")
    ap.add_argument("--sources", default="/work/real/sources", help="where the tarballs are")
    ap.add_argument("--packages", default="/work/real/packages-mirror.yaml",
                    help="packages file naming them")
    ap.add_argument("--nice", type=int, default=None, help="add this to the bench's nice level")
    ap.add_argument("--chapter", action="store_true",
                    help="the whole of stage 1 both ways, once (about twice its build time)")
    ap.add_argument("--against", default=None, metavar="ROOT",
                    help="with --chapter: lfsbuild's figures from ROOT's stage-1 records")
    ap.add_argument("--plain-from", default=None, metavar="JSON",
                    help="with --chapter: the plain figures of an earlier run (its chapter.json)")
    ap.add_argument("--interleave", action="store_true",
                    help="with --chapter: both chapters side by side, a step at a time")
    ap.add_argument("--summary", default=None, metavar="JSON",
                    help="print the summary of an earlier run's rounds (its last.json) and stop")
    args = ap.parse_args()
    if args.summary:
        if not Path(args.summary).is_file():
            sys.exit(f"error: --summary {args.summary}: no such file (a run's last.json, in "
                     f"DIR/logs)")
        try:
            saved = {n: [(Run.from_json(x), Run.from_json(y)) for x, y in pairs]
                     for n, pairs in json.loads(Path(args.summary).read_text()).items()}
        except (ValueError, KeyError, TypeError) as exc:
            sys.exit(f"error: --summary {args.summary}: not a last.json of this bench ({exc})")
        summary(saved)
        return 0
    base = Path(args.dir).resolve()
    if base in (Path("/work/real"), Path("/work/real/lfs")) or \
            Path("/work/real/lfs") in base.parents:
        sys.exit("--dir must not be the real build's tree")
    if args.nice:
        os.nice(args.nice)
    names = ["linux-headers"] if args.quick else ["binutils-pass1", "linux-headers"]
    if args.glibc:
        names.append("glibc")
    if args.only:
        names = [args.only]
    rounds = args.rounds or (1 if args.quick else 2)

    bench = Bench(base, Path(args.sources), Path(args.packages))
    pkgs = load_packages(bench.packages_file)
    book = load_book(REPO / "book")
    if args.interleave and (args.against or args.plain_from or not args.chapter):
        sys.exit("--interleave goes with --chapter, and runs both sides itself "
                 "(not with --against or --plain-from)")
    if args.chapter:
        return chapter(bench, pkgs, book, Path(args.against).resolve() if args.against else None,
                       Path(args.plain_from) if args.plain_from else None, args.interleave)
    steps = [book.find("stage1", n) for n in names]
    need = steps + ([book.find("stage1", s) for s in SETUP_FOR_GLIBC] if "glibc" in names else [])
    bench.prepare(need, pkgs)
    print(f"bench/stage1.py: {', '.join(names)}; {rounds} round(s); make -j{JOBS}; "
          f"{os.cpu_count()} CPUs; nice {os.nice(0)}; load now {loadavg():.1f}; as "
          f"{'root (steps as ' + USER + ')' if os.geteuid() == 0 else 'yourself'}", flush=True)

    results: dict[str, list[tuple[Run, Run]]] = {}
    for step in steps:
        root = bench.root_for(step.name)
        if step.name == "glibc":
            bench.setup_glibc(root)
        pairs = []
        for rnd in range(1, rounds + 1):
            order = ("plain", "lfsbuild") if rnd % 2 else ("lfsbuild", "plain")
            got: dict[str, Run] = {}
            for way in order:
                if step.name != "glibc":
                    bench.fresh_root(root)
                # untimed: the run before this one left deletions and writes to go out, and
                # the run that came second unpacked markedly slower than the first without this
                settle()
                got[way] = (bench.plain(step, pkgs, root, rnd) if way == "plain"
                            else bench.lfsbuild(step, root, rnd))
            p, lb = got["plain"], got["lfsbuild"]
            pairs.append((p, lb))
            print(f"{step.name} round {rnd} ({' then '.join(order)}):\n"
                  f"  plain    {p.wall:7.1f} s  cpu {p.cpu:6.1f} s  "
                  f"[{fmt_phases(p, PLAIN_PHASES)}]"
                  f"  load {p.load[0]:.1f}->{p.load[1]:.1f}\n"
                  f"           machine: {fmt_machine(p.machine)}\n"
                  f"  lfsbuild {lb.wall:7.1f} s  cpu {lb.cpu:6.1f} s  (step {lb.step:.1f} s, "
                  f"start-up and plan {lb.wall - lb.step:.1f} s) [{fmt_phases(lb, PHASES)}]"
                  f"  load {lb.load[0]:.1f}->{lb.load[1]:.1f}\n"
                  f"           machine: {fmt_machine(lb.machine)}\n"
                  f"  ratio    step {lb.step / p.wall:.3f}, wall {lb.wall / p.wall:.3f}, "
                  f"cpu {lb.cpu / p.cpu:.3f}; recipe alone "
                  f"{lb.phases.get('recipe', 0) / p.phases['recipe']:.3f}", flush=True)
        results[step.name] = pairs

    summary(results)
    print(f"load at the end {loadavg():.1f}; logs: {bench.logs}")
    (bench.logs / "last.json").write_text(json.dumps(
        {n: [[vars(x), vars(y)] for x, y in pairs] for n, pairs in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
