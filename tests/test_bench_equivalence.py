"""bench/real/equivalence.py end to end on the test book, the way the real build runs it.

DIR holds an lfs.yaml (root, sources, packages, book: the test book of tests/testbook.py's
MANIFEST_STAGE1, tiny C packages compiled by real recipes as the build user), the build is
finished through `invoke -f DIR/lfs.yaml`, and the script runs with no INVOKE_LFS_* variable
set, exactly as `python3 bench/real/equivalence.py --dir DIR` on the real build. One recipe
(hello) writes a time stamp, as some real packages embed build times, so the reproducibility
count has a step whose files differ.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, load_script, run_invoke
from testbook import TEST_USER, make_manifest_book, served_world

SCRIPT = REPO / "bench" / "real" / "equivalence.py"
STAGE1 = [f"stage1/{n}" for n in ("layout", "libgreet", "hello", "check", "strip", "cleanup")]

pytestmark = pytest.mark.root("the test book's stages 1-2 run as the build user")


def clean_env() -> dict[str, str]:
    """The caller's environment without lfs settings: DIR/lfs.yaml alone says where things are."""
    return {k: v for k, v in os.environ.items() if not k.startswith("INVOKE_LFS_")}


@pytest.fixture
def world():
    with served_world(make_manifest_book, "lfsbuild-equivalence-") as w:
        tb = w["tb"]
        tb.edit("stage1/030-hello.sh", "ln -sfv",
                'date +%s.%N > "$LFS/tools/hello.stamp"   # differs on every run\nln -sfv')
        cfg = w["base"] / "lfs.yaml"
        cfg.write_text(yaml.safe_dump({"lfs": {
            "root": str(w["lfs"]), "sources": str(w["base"] / "sources"),
            "packages": str(tb.packages), "book": str(tb.book), "user": TEST_USER, "jobs": 2,
            "mirrors": [], "host_check": False, "blfs": "", "pxe_dir": str(w["base"] / "pxe")}}))
        w.update(cfg=cfg, env=clean_env())
        for stage in ("stage1", "stage2"):
            run_invoke(["-f", str(cfg), stage], w["env"], check=True)
        yield w


def run_script(w: dict, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dir", str(w["base"]), *args],
                          cwd=REPO, env=w["env"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def figures(w: dict, name: str) -> dict:
    return json.loads((w["base"] / "equivalence" / name).read_text())


def started(w: dict) -> dict[str, float]:
    state = json.loads((w["lfs"] / ".lfsbuild" / "state.json").read_text())["steps"]
    return {k: v["started"] for k, v in state.items()}


def test_comment_change_costs_one_step_where_the_old_engine_reran_six(world):
    # the default step is the middle one of the stage; --plan-only runs nothing
    before = started(world)
    run_script(world, "--stage", "stage1", "--plan-only")
    plan = figures(world, "comment-stage1-plan.json")
    assert plan["step"] == "stage1/check"
    assert plan["input_chained"]["steps"] == STAGE1[3:] + ["stage2/extra"]
    assert started(world) == before

    recipe = world["tb"].recipe("stage1/020-libgreet.sh")
    original = recipe.read_text()
    proc = run_script(world, "--stage", "stage1", "--step", "libgreet")
    fig = figures(world, "comment-stage1.json")
    # (a) lfsbuild's own --dry-run, with the edited book
    assert fig["dry_run"]["will_run"] == ["stage1/libgreet"]
    assert fig["dry_run"]["only_if_output_changes"] == {"this_stage": STAGE1[2:],
                                                        "later_stages": ["stage2/extra"]}
    assert "run   libgreet" in fig["dry_run"]["text"]
    assert "then  hello" in fig["dry_run"]["text"]
    # (b) an input-chained engine: libgreet and every later done step, stage 2 included
    assert fig["input_chained"]["steps"] == STAGE1[1:] + ["stage2/extra"]
    assert fig["input_chained"]["count"] == 6
    assert fig["input_chained"]["per_stage"] == {"stage1": 5, "stage2": 1}
    assert fig["input_chained"]["recorded_seconds"] > 0   # the steps' recorded durations
    # (c) the real run: libgreet alone, same files, the rest stayed done
    run = fig["run"]
    assert run["ran"] == ["stage1/libgreet"]
    assert run["same_digest"] and run["same_output_id"]
    assert run["input_chained_still_done"] == 5 and run["marked_stale"] == {}
    assert run["wall_seconds"] > 0 and set(run["step_seconds"]) == {"stage1/libgreet"}
    # back to the test book: libgreet once more, and everything done before is done again
    assert fig["restore"]["ran"] == ["stage1/libgreet"] and fig["restore"]["consistent"]
    after = started(world)
    assert {k for k in after if after[k] != before[k]} == {"stage1/libgreet"}
    assert recipe.read_text() == original   # the book itself is never touched
    edited = Path(fig["edited_book"]) / "stage1" / "020-libgreet.sh"
    assert edited.read_text().startswith(original) and edited.read_text() != original
    dry = run_invoke(["-f", str(world["cfg"]), "stage1", "--dry-run"], world["env"], check=True)
    assert "stage1: 0 step(s) to run, 6 done" in dry.stdout
    assert "input-chained engine" in proc.stdout and "consistent" in proc.stdout


def test_reproducibility_counts_the_steps_that_installed_the_same_files(world):
    proc = run_script(world, "--stage", "stage1", "--reproducibility")
    fig = figures(world, "reproducibility-stage1.json")
    assert fig["steps"] == 6 and fig["ran"] == STAGE1
    # only hello's files differ (its time stamp); from it on the output ids move
    assert [s for s in STAGE1 if not fig["per_step"][s]["same_digest"]] == ["stage1/hello"]
    assert fig["same_digest"] == 5
    assert [s for s in STAGE1 if fig["per_step"][s]["same_output_id"]] == STAGE1[:2]
    assert fig["same_output_id"] == 2
    hello = fig["per_step"]["stage1/hello"]
    assert hello["paths_differing"] == 1
    assert hello["differing"] == [{"path": "/tools/hello.stamp", "fields": ["content"],
                                   "what": "content (same size)"}]
    lib = fig["per_step"]["stage1/libgreet"]
    assert lib["paths_rewritten"] > 0 and lib["paths_differing"] == 0   # rewritten, same bytes
    # stage 2 chains on stage 1's output, which moved: it runs again in the next build
    assert fig["later_steps_to_rerun"] == ["stage2/extra"]
    assert "5 of 6 step(s) installed the same files" in proc.stdout
    assert "stage1/hello: /tools/hello.stamp: content (same size)" in proc.stdout


def test_refuses_an_unfinished_stage_before_touching_anything():
    with served_world(make_manifest_book, "lfsbuild-equivalence-") as w:
        cfg = w["base"] / "lfs.yaml"
        cfg.write_text(yaml.safe_dump({"lfs": {
            "root": str(w["lfs"]), "sources": str(w["base"] / "sources"),
            "packages": str(w["tb"].packages), "book": str(w["tb"].book), "user": TEST_USER,
            "mirrors": [], "host_check": False, "blfs": ""}}))
        proc = subprocess.run([sys.executable, str(SCRIPT), "--dir", str(w["base"]),
                               "--stage", "stage1"], cwd=REPO, env=clean_env(),
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert "stage1 (and the stages before it) is not finished: 6 step(s)" in proc.stderr
        assert not (w["base"] / "equivalence").exists() and not w["lfs"].exists()


def test_a_reproducibility_run_stopped_halfway_resumes_where_it_stopped(world):
    """The real stage 2's re-run was killed with the session that ran it: the records of before
    were gone (each step's is replaced when it runs again). Now they are kept until the
    comparison is written, and running the script again re-runs only what is left."""
    eq = load_script(SCRIPT, "bench_real_equivalence")
    b = eq.Bench(world["base"], "stage1")
    b.work.mkdir(parents=True)
    eq.take_snapshot(b, STAGE1)                       # as the first run does, then it stops
    run_invoke(["-f", str(world["cfg"]), "stage1", "--force", "--step", "layout"],
               world["env"], check=True)              # ... after re-running the first step
    proc = run_script(world, "--stage", "stage1", "--reproducibility")
    assert "resuming the re-run of stage1" in proc.stdout and "1 of 6 step(s) re-run already" in proc.stdout
    log = (world["base"] / "equivalence" / "reproducibility-run.log").read_text()
    assert "stage1 --force --from libgreet" in log.splitlines()[0]
    fig = figures(world, "reproducibility-stage1.json")
    assert fig["resumed"] and fig["ran"] == STAGE1 and fig["steps"] == 6
    assert [s for s in STAGE1 if not fig["per_step"][s]["same_digest"]] == ["stage1/hello"]
    assert not (world["base"] / "equivalence" / "reproducibility-stage1-before").exists()
