"""Output equivalence on a real build: what a comment-only change costs, and how reproducible
a stage's steps are (issue 17's closing figures).

Why: lfsbuild chains each step's fingerprint through the *output* of the step before it (the
digest of its manifest), so a step that runs again and installs the same files leaves the
steps after it done. An input-chained engine (lfsbuild before manifests, most build scripts)
re-runs the changed step and everything after it. This measures the difference on a finished
stage of a real build, with lfsbuild's own planner and records, and counts how many of the
stage's steps produce the same files when run again.

Default mode, a comment-only change to one step of STAGE (default: the middle step):
 1. copies the book (lfs.book) to DIR/equivalence/book-edited and appends one comment line to
    the step's recipe; DIR/equivalence/lfs-edited.yaml is DIR/lfs.yaml with lfs.book pointing
    there (a runtime settings file wins over INVOKE_LFS_* variables, so a file it must be);
 2. (a) `invoke -f lfs-edited.yaml STAGE --dry-run`: what lfsbuild says it will re-run;
    (b) what an input-chained engine would re-run: the changed step and every later step that
    is done, in STAGE and the stages after it (lfsbuild's plan.survey on the recorded state),
    and the sum of those steps' recorded durations;
 3. (c) `invoke -f lfs-edited.yaml STAGE` for real: which steps ran, the wall time;
 4. back to the book the settings name: `invoke -f DIR/lfs.yaml STAGE` re-runs the step once
    more (its recipe text changed back), its output again the same, nothing else runs. After
    it every step done before is done again, which the script checks. `--no-restore` skips
    this; the next `invoke build` then does it.
`--reproducibility`: `invoke -f DIR/lfs.yaml STAGE --force` re-runs every step of STAGE; per
step, whether its manifest digest and its output id are the same as before, how many paths it
rewrote, and for the steps whose files differ, the first paths that do and in what (size,
content, mode, owner, link target; times are not in a manifest, so a rewrite with the same
bytes is no difference: `manifest.differences`). Steps of later stages whose output chain
moved are listed: they run again in the next `invoke build`. The records and manifests of
before are kept in DIR/equivalence/reproducibility-STAGE-before/ until the comparison is
written: a re-run stopped halfway (Ctrl-C, a machine that went down) resumes when the script
runs again, with `--force --from` the first step not re-run yet, and compares with them.

Both print a table and write their figures as JSON under DIR/equivalence/. Before anything
runs, the script refuses when it is not root, when a build holds the lock of the tree, or when
STAGE (and the stages before it) are not all done.

Run from the checkout, as root, while no build runs on DIR:
  python3 bench/real/equivalence.py [--dir DIR] [--stage STAGE] [--step NAME] [--no-restore]
  python3 bench/real/equivalence.py --reproducibility [--dir DIR] [--stage STAGE]
  python3 bench/real/equivalence.py --plan-only ...     # (a) and (b) only; runs no step
DIR (default $LFS_REAL_DIR or /work/real) holds lfs.yaml, the settings of the build.
Nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from invoke import Config  # noqa: E402

from lfsbuild.atomic import write_json  # noqa: E402
from lfsbuild.build import manifest as mf  # noqa: E402
from lfsbuild.build.book import Step  # noqa: E402
from lfsbuild.build.plan import StepView, plan_stage  # noqa: E402
from lfsbuild.build.state import BuildLock, State, StateStore  # noqa: E402
from lfsbuild.build.status import World, load_world  # noqa: E402
from lfsbuild.errors import (BookError, ConfigError, LfsError, LockedError,  # noqa: E402
                             NeedsRoot, StepFailed)
from lfsbuild.settings import Settings, from_config  # noqa: E402
from lfsbuild.tables import fmt_duration, format_table  # noqa: E402

COMMENT = "# a comment-only change made by bench/real/equivalence.py (issue 17)\n"
SHOWN = 5   # differing paths listed per step


# ==================================================================================== settings

def load_settings(cfg_file: Path) -> Settings:
    """The settings `invoke -f CFG_FILE ...` run from this checkout sees, in the same order:
    project invoke.yaml < system and user files < INVOKE_LFS_* < the runtime file."""
    c = Config(project_location=str(REPO), runtime_path=str(cfg_file), lazy=True)
    c.load_system()
    c.load_user()
    c.load_project()
    c.load_runtime()
    c.load_shell_env()
    return from_config(c.get("lfs"), REPO)


def edited_settings_file(cfg_file: Path, book: Path, dest: Path) -> Path:
    """DIR/lfs.yaml with lfs.book replaced: relative paths in it still mean the same (they
    are resolved against the checkout, not against the file)."""
    try:
        data = yaml.safe_load(cfg_file.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{cfg_file}: cannot read it as YAML settings: {exc}",
                          "it is the lfs.yaml bench/real/mirror.sh writes") from None
    if not isinstance(data, dict) or not isinstance(data.get("lfs", {}), dict):
        raise ConfigError(f"{cfg_file}: no `lfs:` mapping", "see bench/real/README.md")
    data = {**data, "lfs": {**data.get("lfs", {}), "book": str(book)}}
    dest.write_text("# DIR/lfs.yaml with the edited book (bench/real/equivalence.py)\n"
                    + yaml.safe_dump(data, sort_keys=False))
    return dest


# ====================================================================================== running

@dataclass
class Run:
    """One `invoke` the script ran: what it printed, how long it took, which steps ran."""

    args: list[str]
    wall: float
    output: str
    log: Path
    ran: list[str]


class Bench:
    def __init__(self, directory: Path, stage: str) -> None:
        self.dir = directory
        self.cfg = directory / "lfs.yaml"
        if not self.cfg.is_file():
            raise ConfigError(f"{self.cfg} not found",
                              f"run bench/real/mirror.sh {directory} first, or give --dir the "
                              f"directory that holds the build's lfs.yaml")
        self.settings = load_settings(self.cfg)
        self.stage = stage
        self.work = directory / "equivalence"

    def state(self) -> State:
        return StateStore(self.settings.state_dir).load()

    def check_free(self) -> None:
        if BuildLock(self.settings.state_dir).held_elsewhere():
            raise LockedError(f"a build is running on {self.settings.root} (its lock "
                              f"{self.settings.state_dir / 'lock'} is held)",
                              "wait for it to finish or stop it (bench/real/build.sh prints "
                              "how), then run this again")

    def invoke(self, cfg: Path, args: list[str], log_name: str) -> Run:
        """`invoke -f CFG ARGS` from the checkout; the steps whose record it replaced."""
        if "--dry-run" not in args:
            self.check_free()
        before = self.state().steps
        log = self.work / log_name
        argv = [sys.executable, "-m", "invoke", "-f", str(cfg), *args]
        t0 = time.monotonic()
        with open(log, "w") as out:
            out.write(f"# {' '.join(argv)}  (cwd {REPO})\n")
            out.flush()
            proc = subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT)
        wall = time.monotonic() - t0
        text = log.read_text(errors="replace")
        if proc.returncode != 0:
            tail = "\n".join(f"  | {ln}" for ln in text.splitlines()[-15:])
            raise StepFailed(f"`invoke {' '.join(args)}` failed (exit {proc.returncode}):\n"
                             f"{tail}\nits output: {log}",
                             "fix the cause, then run this again (what ran is recorded)")
        after = self.state().steps
        ran = [sid for sid, rec in after.items()
               if sid not in before or rec.started != before[sid].started]
        ran.sort(key=lambda sid: after[sid].started)
        return Run(args, wall, text, log, ran)


def require_root() -> None:
    if os.geteuid() != 0:
        raise NeedsRoot("the stage runs its steps as the build user and chroot steps as root",
                        "run it as root, like the build: sudo python3 bench/real/equivalence.py")


def require_done(views: list[StepView], stage: str, order: list[str]) -> list[StepView]:
    """The views of `stage`; refuses unless it and every stage before it are done: the
    figures compare against a finished stage's records."""
    if stage not in order:
        raise BookError(f"no stage {stage!r} in the book", f"stages: {', '.join(order)}")
    upto = set(order[:order.index(stage) + 1])
    missing = [v.step.id for v in views if v.step.stage in upto and not v.done]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise LfsError(f"{stage} (and the stages before it) is not finished: {len(missing)} "
                       f"step(s) not done ({shown})",
                       f"finish it first (`invoke {stage}` or bench/real/build.sh --to {stage})")
    return [v for v in views if v.step.stage == stage]


def later_done(views: list[StepView], stage: str, order: list[str]) -> list[str]:
    """Done steps of the stages after `stage`, with a note when there are any: re-running
    `stage` then writes over what they installed since (lfsbuild marks what it overwrote to run
    again), and after the book's chapter 7 chown the build user cannot write $LFS/usr at all."""
    later = order[order.index(stage) + 1:]
    ids = [v.step.id for v in views if v.step.stage in later and v.done]
    if ids:
        print(f"note: {len(ids)} step(s) of later stages are done ({per_stage_text(ids)}); "
              f"{stage} runs again over what they installed. Best measured right after {stage} "
              f"finished (bench/real/build.sh --to {stage}).\n")
    return ids


def input_chained(views: list[StepView], step_id: str) -> list[StepView]:
    """What an engine whose fingerprints chain the inputs of the step before (not its output)
    re-runs after `step_id` changed: the step and every later step recorded done, this stage
    and all later ones. The recorded state is lfsbuild's; the rule is the old engine's."""
    ids = [v.step.id for v in views]
    i = ids.index(step_id)
    return [views[i]] + [v for v in views[i + 1:]
                         if v.record is not None and v.record.status == "done"]


def by_stage(ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for sid in ids:
        out[sid.split("/")[0]] = out.get(sid.split("/")[0], 0) + 1
    return out


def durations(state: State, ids: list[str]) -> float:
    return sum(state.steps[s].duration for s in ids if s in state.steps)


def per_stage_text(ids: list[str]) -> str:
    return ", ".join(f"{st} {n}" for st, n in by_stage(ids).items()) or "none"


def done_ids(views: list[StepView]) -> set[str]:
    return {v.step.id for v in views if v.done}


# ============================================================================ comment-only change

def make_edited_book(book: Path, step: Step, dest: Path) -> Path:
    """A copy of the book with one comment line appended to `step`'s recipe."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(book, dest, symlinks=True)
    recipe = dest / step.path.relative_to(book)
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text + ("" if text.endswith("\n") else "\n") + COMMENT, encoding="utf-8")
    return dest


def finished_stage(b: Bench) -> tuple[World, list[StepView], list[StepView]]:
    """The world, its step views and the measured stage's views: refused unless that stage
    and every one before it are done (a note when later stages are done too)."""
    world = load_world(b.settings)
    order = list(world.book.stages)
    views = world.views()
    mine = require_done(views, b.stage, order)
    later_done(views, b.stage, order)
    return world, views, mine


def comment_change(b: Bench, name: str | None, restore: bool, plan_only: bool) -> dict:
    s = b.settings
    world, views, mine = finished_stage(b)
    order = list(world.book.stages)
    name = name or mine[len(mine) // 2].step.name
    step = world.book.find(b.stage, name)
    b.work.mkdir(parents=True, exist_ok=True)
    book = make_edited_book(s.book, step, b.work / "book-edited")
    cfg = edited_settings_file(b.cfg, book, b.work / "lfs-edited.yaml")
    edited = load_settings(cfg)
    if edited.book != book:
        raise ConfigError(f"{cfg} sets lfs.book to {book}, but the settings say {edited.book}",
                          "an override above runtime files (invoke's command line?) wins; "
                          "remove it")

    # (a) what lfsbuild says, (b) what an input-chained engine would do: before the change runs
    ew = load_world(edited)
    eviews = ew.views()
    mine_view = next(v for v in eviews if v.step.id == step.id)
    if mine_view.state != "changed":
        raise LfsError(f"{step.id} does not count as changed after the comment was added "
                       f"({mine_view.state}: {mine_view.reason})",
                       "this is a bug in lfsbuild's fingerprints or in this script")
    plan = plan_stage(eviews, b.stage)
    will_run = [v.step.id for v in plan.run if not v.conditional]
    then_here = [v.step.id for v in plan.run if v.conditional]
    later = order[order.index(b.stage) + 1:]
    then_later = [v.step.id for v in eviews if v.conditional and v.step.stage in later]
    old = [v.step.id for v in input_chained(eviews, step.id)]
    state0 = world.state
    old_seconds = durations(state0, old)
    dry_text = b.invoke(cfg, [b.stage, "--dry-run"], "comment-dry-run.log").output
    dry_text = dry_text.split("\n", 1)[1]   # without the log's first line (the command)
    figures: dict[str, Any] = {
        "mode": "comment", "stage": b.stage, "step": step.id, "dir": str(b.dir),
        "edited_book": str(book), "settings": str(cfg),
        "dry_run": {"text": dry_text, "will_run": will_run,
                    "only_if_output_changes": {"this_stage": then_here, "later_stages": then_later}},
        "input_chained": {"steps": old, "count": len(old), "per_stage": by_stage(old),
                          "recorded_seconds": round(old_seconds, 1),
                          "recorded_seconds_per_stage": {
                              st: round(durations(state0, [x for x in old
                                                           if x.startswith(st + "/")]), 1)
                              for st in by_stage(old)}},
    }
    print(f"comment-only change to {step.id} ({step.path.name}): one line appended in {book}\n")
    print(f"(a) invoke {b.stage} --dry-run with the edited book says:")
    print("    " + dry_text.rstrip().replace("\n", "\n    "))
    print(f"(b) an input-chained engine would re-run {len(old)} step(s) ({per_stage_text(old)}), "
          f"{fmt_duration(old_seconds)} of recorded step time")
    if plan_only:
        return figures

    # (c) the stage for real, with the edited book
    run = b.invoke(cfg, [b.stage], "comment-run.log")
    state1 = b.state()
    after_views = load_world(edited).views()
    stayed = [sid for sid in old if sid not in run.ran and sid in done_ids(after_views)]
    rec0, rec1 = state0.steps[step.id], state1.steps[step.id]
    stale = {sid: r.stale for sid, r in state1.steps.items()
             if r.stale and (sid not in state0.steps or state0.steps[sid].stale != r.stale)}
    figures["run"] = {
        "ran": run.ran, "wall_seconds": round(run.wall, 1),
        "step_seconds": {sid: round(state1.steps[sid].duration, 1) for sid in run.ran},
        "same_digest": (rec0.installed or {}).get("digest") == (rec1.installed or {}).get("digest"),
        "same_output_id": rec0.out == rec1.out,
        "input_chained_still_done": len(stayed), "marked_stale": stale, "log": str(run.log)}
    rows = [["lfsbuild, the edited book", ", ".join(run.ran) or "none", len(run.ran),
             fmt_duration(run.wall) + " wall"],
            ["input-chained engine (b)", f"{step.id} + {len(old) - 1} later done step(s)",
             len(old), fmt_duration(old_seconds) + " recorded"]]

    # back to the book the settings name
    if restore:
        back = b.invoke(b.cfg, [b.stage], "comment-restore.log")
        final = load_world(b.settings).views()
        lost = sorted(done_ids(views) - done_ids(final))
        figures["restore"] = {"ran": back.ran, "wall_seconds": round(back.wall, 1),
                              "consistent": not lost, "not_done_any_more": lost,
                              "log": str(back.log)}
        rows.append([f"back to {s.book}", ", ".join(back.ran) or "none", len(back.ran),
                     fmt_duration(back.wall) + " wall"])
    print("\n(c) " + format_table(["run", "steps that ran", "n", "time"], rows, right=(2,))
          .replace("\n", "\n    "))
    print(f"    {step.id}: manifest digest {'same' if figures['run']['same_digest'] else 'CHANGED'}"
          f", output id {'same' if figures['run']['same_output_id'] else 'CHANGED'}; "
          f"{len(stayed)} of the {len(old) - 1} later done step(s) stayed done")
    for sid, why in stale.items():
        print(f"    marked to run again: {sid} ({why})")
    if restore:
        r = figures["restore"]
        print(f"    with {s.book} again: {'consistent, every step done before is done again' if r['consistent'] else 'NOT done any more: ' + ', '.join(r['not_done_any_more'])}")
    else:
        print(f"    --no-restore: the next `invoke build` with {s.book} runs {step.id} once "
              f"more (its recipe changed back); it installs the same files, so the steps after "
              f"it stay done")
    return figures


# ============================================================================== reproducibility

def snapshot_dir(b: Bench) -> Path:
    """The stage's step records and manifests as they were before the re-run (the state
    directory's layout, so StateStore and manifest.load read it): what makes a re-run that was
    stopped halfway (Ctrl-C, a machine that went down, a session that ended) resumable."""
    return b.work / f"reproducibility-{b.stage}-before"


def take_snapshot(b: Bench, ids: list[str]) -> float:
    snap = snapshot_dir(b)
    tmp = snap.with_name(snap.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / mf.MANIFEST_DIR / b.stage).mkdir(parents=True)
    shutil.copy2(b.settings.state_dir / "state.json", tmp / "state.json")
    for sid in ids:
        src = mf.manifest_path(b.settings.state_dir, sid)
        if src.exists():
            shutil.copy2(src, mf.manifest_path(tmp, sid))
    taken = time.time()
    (tmp / "taken").write_text(f"{taken}\n")
    tmp.rename(snap)
    return taken


def reproducibility(b: Bench) -> dict:
    s = b.settings
    snap = snapshot_dir(b)
    b.work.mkdir(parents=True, exist_ok=True)
    resumed = snap.is_dir()
    if resumed:
        # an earlier run stopped halfway: compare with what it saw, and re-run from the first
        # step it had not re-run yet (--force: the steps after a re-run step whose files are the
        # same would otherwise stay done, and never be measured)
        world = load_world(s)
        order = list(world.book.stages)
        ids = [v.step.id for v in world.views() if v.step.stage == b.stage]
        state0 = StateStore(snap).load()
        taken = float((snap / "taken").read_text())
        now = world.state
        left = [sid for sid in ids if sid not in now.steps or now.steps[sid].status != "done"
                or now.steps[sid].started < taken]
        print(f"resuming the re-run of {b.stage} begun {time.ctime(taken)}: "
              f"{len(ids) - len(left)} of {len(ids)} step(s) re-run already")
        args = [b.stage, "--force", "--from", left[0].split("/", 1)[1]] if left else []
        world.state = state0                       # what was done before it all began
        views = world.views()
    else:
        world, views, mine = finished_stage(b)
        order = list(world.book.stages)
        ids = [v.step.id for v in mine]
        state0 = world.state
        taken = take_snapshot(b, ids)
        args = [b.stage, "--force"]
    before = {sid: mf.load(snap, sid) for sid in ids}
    log = b.work / "reproducibility-run.log"
    run = b.invoke(b.cfg, args, log.name) if args else Run([], 0.0, "", log, [])
    state1 = b.state()
    after_views = load_world(s).views()
    ran = sorted((sid for sid, r in state1.steps.items() if r.started >= taken),
                 key=lambda sid: state1.steps[sid].started)
    steps: dict[str, dict] = {}
    rows = []
    for sid in ids:
        r0, r1 = state0.steps[sid], state1.steps[sid]
        m0, m1 = before[sid], mf.load(s.state_dir, sid)
        diffs = mf.differences(m0, m1) if m0 is not None and m1 is not None else []
        touched = (m1.scan or {}).get("changed") if m1 is not None else None
        same_digest = (r0.installed or {}).get("digest") == (r1.installed or {}).get("digest")
        steps[sid] = {"same_digest": same_digest, "same_output_id": r0.out == r1.out,
                      "seconds_before": round(r0.duration, 1),
                      "seconds_now": round(r1.duration, 1), "paths_rewritten": touched,
                      "paths_differing": len(diffs),
                      "differing": [{"path": d.path, "fields": list(d.fields), "what": d.text}
                                    for d in diffs[:SHOWN]]}
        rows.append([sid.split("/", 1)[1], "same" if same_digest else "differs",
                     "same" if r0.out == r1.out else "moved", "-" if touched is None else touched,
                     len(diffs), fmt_duration(r0.duration), fmt_duration(r1.duration)])
    later = order[order.index(b.stage) + 1:]
    rerun_later = sorted((done_ids(views) - done_ids(after_views))
                         & {v.step.id for v in views if v.step.stage in later},
                         key=[v.step.id for v in views].index)
    same = [sid for sid in ids if steps[sid]["same_digest"]]
    same_out = [sid for sid in ids if steps[sid]["same_output_id"]]
    figures = {"mode": "reproducibility", "stage": b.stage, "dir": str(b.dir),
               "steps": len(ids), "same_digest": len(same), "same_output_id": len(same_out),
               "ran": ran, "wall_seconds": round(run.wall, 1), "resumed": resumed,
               "recorded_seconds_before": round(durations(state0, ids), 1),
               "later_steps_to_rerun": rerun_later, "per_step": steps, "log": str(run.log)}
    shutil.rmtree(snap)                  # compared: the next run measures afresh
    print(f"{b.stage} run again with --force ({len(ran)} step(s), "
          f"{fmt_duration(run.wall)} wall{' in this run' if figures['resumed'] else ''}): {len(same)} of {len(ids)} step(s) installed the "
          f"same files (manifest digest), {len(same_out)} kept their output id\n")
    print(format_table(["step", "files", "output id", "rewritten", "differ", "before", "now"],
                       rows, right=(3, 4, 5, 6)))
    print("  (rewritten: paths the re-run created, changed or removed, times included; differ: "
          "those whose type, mode, owner, size, content or link target is not as before)")
    for sid in ids:
        d = steps[sid]
        if d["differing"]:
            more = d["paths_differing"] - len(d["differing"])
            print(f"  {sid}: " + "; ".join(f"{x['path']}: {x['what']}" for x in d["differing"])
                  + (f"; and {more} more" if more else ""))
    if rerun_later:
        print(f"  later stages: {len(rerun_later)} done step(s) now run again in the next "
              f"`invoke build` ({per_stage_text(rerun_later)}): "
              + ", ".join(rerun_later[:SHOWN]) + (" ..." if len(rerun_later) > SHOWN else ""))
    return figures


# ========================================================================================= main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("LFS_REAL_DIR", "/work/real")),
                    help="directory holding the build's lfs.yaml (default: $LFS_REAL_DIR or "
                         "/work/real); the figures go to DIR/equivalence/")
    ap.add_argument("--stage", default="stage2", help="the finished stage to measure (stage2)")
    ap.add_argument("--step", help="the step whose recipe gets a comment (default: the middle "
                                   "step of the stage)")
    ap.add_argument("--reproducibility", action="store_true",
                    help="re-run every step of the stage (--force) and compare its files instead")
    ap.add_argument("--no-restore", action="store_true",
                    help="leave the step recorded with the edited recipe (the next `invoke "
                         "build` runs it once more)")
    ap.add_argument("--plan-only", action="store_true",
                    help="comment change: only (a) and (b), from the plan; run no step")
    args = ap.parse_args()
    try:
        if args.reproducibility and (args.step or args.no_restore or args.plan_only):
            raise ConfigError("--reproducibility takes no --step, --no-restore or --plan-only",
                              "it re-runs every step of the stage")
        if not args.plan_only:
            require_root()
        b = Bench(args.dir.resolve(), args.stage)
        if not args.plan_only:
            b.check_free()
        if args.reproducibility:
            figures = reproducibility(b)
        else:
            figures = comment_change(b, args.step, not args.no_restore, args.plan_only)
        out = b.work / (f"{figures['mode']}-{b.stage}"
                        + ("-plan" if args.plan_only else "") + ".json")
        figures["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        write_json(out, figures)
        print(f"\nfigures: {out}")
    except LfsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted (the step that ran is recorded; `invoke build` resumes)",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
