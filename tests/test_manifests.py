"""Manifests, `owner`/`files`, and rebuilds that stop where nothing changed - on real builds.

The book is tests/testbook.py's MANIFEST_STAGE1: tiny C packages compiled with the host gcc,
a symlink, a later step that overwrites a file (strip) and one that deletes a file (cleanup).
Every test runs the real `invoke stage1` as a user would.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_invoke
from testbook import make_manifest_book, served_world, state_of
from waiting import wait_until

STAGE1 = ("layout", "libgreet", "hello", "check", "strip", "cleanup")


@pytest.fixture
def world():
    with served_world(make_manifest_book, "lfsbuild-manifest-") as w:
        yield w


def manifest_of(w, step: str) -> dict:
    return json.loads((w["lfs"] / ".lfsbuild" / "manifests" / f"{step}.json").read_text())


def entries(w, step: str) -> dict[str, dict]:
    return {e["path"]: e for e in manifest_of(w, step)["entries"]}


def kinds(w, step: str) -> dict[str, tuple[str, str]]:
    return {p: (e["kind"], e["type"]) for p, e in entries(w, step).items()}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def started(w) -> dict[str, float]:
    return {k.split("/")[1]: v["started"] for k, v in state_of(w).items()}


def test_manifests_list_exactly_what_each_recipe_installed(world):
    r = run_invoke(["stage1"], world["env"], check=True)
    assert "stage1: 6 step(s) done" in r.stdout
    assert kinds(world, "stage1/layout") == {"/tools": ("created", "d"),
                                             "/usr": ("created", "d")}
    assert kinds(world, "stage1/libgreet") == {
        "/tools/lib": ("created", "d"), "/tools/lib/libgreet.a": ("created", "f"),
        "/tools/include": ("created", "d"), "/tools/include/greet.h": ("created", "f"),
        "/tools/share": ("created", "d"), "/tools/share/doc": ("created", "d"),
        "/tools/share/doc/libgreet": ("created", "d"),
        "/tools/share/doc/libgreet/README": ("created", "f")}
    assert kinds(world, "stage1/hello") == {
        "/tools/bin": ("created", "d"), "/tools/bin/hello": ("created", "f"),
        "/tools/bin/hi": ("created", "l"), "/tools/share/doc/hello": ("created", "d"),
        "/tools/share/doc/hello/README": ("created", "f")}
    assert kinds(world, "stage1/check") == {"/tools/check.stamp": ("created", "f")}
    assert kinds(world, "stage1/strip") == {"/tools/bin/hello": ("modified", "f")}
    assert kinds(world, "stage1/cleanup") == {"/tools/share/doc/hello/README": ("removed", "f")}

    tools = world["lfs"] / "tools"
    lib = entries(world, "stage1/libgreet")
    assert lib["/tools/lib/libgreet.a"]["sha256"] == sha(tools / "lib/libgreet.a")
    assert lib["/tools/lib/libgreet.a"]["size"] == (tools / "lib/libgreet.a").stat().st_size
    uid = (tools / "lib/libgreet.a").stat().st_uid
    assert lib["/tools/lib/libgreet.a"]["uid"] == uid and lib["/tools/lib"]["mode"] == 0o755
    assert entries(world, "stage1/hello")["/tools/bin/hi"]["target"] == "hello"
    # the strip step's record has the stripped binary; hello's the one it installed
    stripped = entries(world, "stage1/strip")["/tools/bin/hello"]["sha256"]
    assert stripped == sha(tools / "bin/hello")
    assert entries(world, "stage1/hello")["/tools/bin/hello"]["sha256"] != stripped
    # the deletion records what was deleted
    gone = entries(world, "stage1/cleanup")["/tools/share/doc/hello/README"]
    assert gone["size"] == len("hello: prints a greeting\n") and "sha256" not in gone
    # nothing of lfsbuild's own, the build directories or $LFS/sources is recorded
    every = [p for s in STAGE1 for p in entries(world, f"stage1/{s}")]
    assert not [p for p in every if p.startswith(("/.lfsbuild", "/sources", "/tmp"))]
    # the step record carries the summary the report shows, and the output id
    rec = state_of(world)["stage1/libgreet"]
    assert rec["installed"]["created"] == 8 and rec["installed"]["bytes"] == sum(
        (tools / p).stat().st_size for p in ("lib/libgreet.a", "include/greet.h",
                                             "share/doc/libgreet/README"))
    assert rec["out"] and rec["installed"]["digest"]


def test_owner_and_files_answer_for_every_step(world):
    run_invoke(["stage1"], world["env"], check=True)
    lfs = world["lfs"]
    # overwritten by a later step: the last writer and the original creator
    r = run_invoke(["owner", "/tools/bin/hello"], world["env"], check=True)
    first = r.stdout.splitlines()[0]
    assert first == ("/tools/bin/hello: last written by stage1/strip (stage stage1, package "
                     "none): modified")
    assert "earlier steps: stage1/hello (created)" in r.stdout
    lines = r.stdout.splitlines()
    assert lines[2].startswith("stage1/strip") and lines[3].startswith("stage1/hello  hello")
    # an absolute host path inside $LFS, and a path relative to $LFS, name the same thing
    r = run_invoke(["owner", str(lfs / "tools/bin/hi")], world["env"], check=True)
    assert "/tools/bin/hi: last written by stage1/hello (stage stage1, package hello): " \
           "created" in r.stdout and "-> hello" in r.stdout
    r = run_invoke(["owner", "tools/lib"], world["env"], check=True)
    assert "last written by stage1/libgreet" in r.stdout
    # a deleted file: who deleted it, and who installed it
    r = run_invoke(["owner", "tools/share/doc/hello/README"], world["env"], check=True)
    assert "last written by stage1/cleanup" in r.stdout and "removed" in r.stdout
    assert "it is not in $LFS now" in r.stdout and "stage1/hello (created)" in r.stdout
    r = run_invoke(["owner", "/tools/nosuch"], world["env"])
    assert r.returncode == 1 and "no step's manifest records /tools/nosuch" in r.stderr
    assert "Traceback" not in r.stderr

    r = run_invoke(["files", "hello"], world["env"], check=True)
    assert "/tools/bin/hi -> hello" in r.stdout and "/tools/share/doc/hello/README" in r.stdout
    assert r.stdout.splitlines()[-1].startswith(
        "stage1/hello (package hello, done): 5 created, 0 modified, 0 removed;")
    r = run_invoke(["files", "stage1/cleanup"], world["env"], check=True)
    assert "README" not in r.stdout and "1 removed (--removed lists them)" in r.stdout
    r = run_invoke(["files", "stage1/cleanup", "--removed"], world["env"], check=True)
    assert "removed  f" in r.stdout and "/tools/share/doc/hello/README" in r.stdout
    r = run_invoke(["files", "extra"], world["env"])
    assert r.returncode == 1 and "stage2/extra has no record of installed files" in r.stderr
    r = run_invoke(["files", "nosuch"], world["env"])
    assert r.returncode == 1 and "no step 'nosuch'" in r.stderr and "Traceback" not in r.stderr


def test_comment_only_change_reruns_that_step_alone(world):
    run_invoke(["stage1"], world["env"], check=True)
    before = started(world)
    digest = state_of(world)["stage1/libgreet"]["installed"]["digest"]
    world["tb"].edit("stage1/020-libgreet.sh", "make\n", "make  # a comment only\n")
    r = run_invoke(["stage1", "--dry-run"], world["env"], check=True)
    assert "stage1: 1 step(s) to run, 4 more only if what they build on changes, 1 done" \
        in r.stdout
    assert "  then  hello                        runs again only if what stage1/libgreet " \
           "installs changes" in r.stdout.splitlines()
    r = run_invoke(["stage1"], world["env"], check=True)
    assert "stage1 [2/5] hello: skipped, done: the steps before it installed the same files " \
           "as before (pending on stage1/libgreet)" in r.stdout
    assert "stage1: 1 step(s) done, 4 skipped" in r.stdout
    after = started(world)
    assert [s for s in STAGE1 if after[s] != before[s]] == ["libgreet"]
    assert state_of(world)["stage1/libgreet"]["installed"]["digest"] == digest
    assert manifest_of(world, "stage1/libgreet")["runs"] == 2
    assert "all 6 steps done" in run_invoke(["stage1"], world["env"], check=True).stdout
    # stage 2 chains through stage 1's output: still done, nothing to do there either
    run_invoke(["stage2"], world["env"], check=True)
    world["tb"].edit("stage1/020-libgreet.sh", "make  # a comment only\n", "make  # again\n")
    run_invoke(["stage1"], world["env"], check=True)
    assert "all 1 steps done" in run_invoke(["stage2"], world["env"], check=True).stdout


def test_rerun_that_overwrites_later_changes_reruns_those_steps(world):
    """hello's re-run reinstalls the unstripped binary and the README cleanup deleted: strip
    and cleanup run again (or the tree would silently lose their work); check does not."""
    run_invoke(["stage1"], world["env"], check=True)
    stripped = sha(world["lfs"] / "tools/bin/hello")
    before = started(world)
    world["tb"].edit("stage1/030-hello.sh", "make\n", "make  # a comment only\n")
    r = run_invoke(["stage1"], world["env"], check=True)
    after = started(world)
    assert [s for s in STAGE1 if after[s] != before[s]] == ["hello", "strip", "cleanup"]
    assert "check: skipped" in r.stdout
    assert sha(world["lfs"] / "tools/bin/hello") == stripped
    assert not (world["lfs"] / "tools/share/doc/hello/README").exists()
    r = run_invoke(["owner", "/tools/bin/hello"], world["env"], check=True)
    assert "last written by stage1/strip" in r.stdout
    assert kinds(world, "stage1/hello")["/tools/bin/hello"] == ("created", "f")


def test_change_of_installed_files_reruns_the_successors(world):
    run_invoke(["stage1"], world["env"], check=True)
    run_invoke(["stage2"], world["env"], check=True)
    before = started(world)
    world["tb"].edit("stage1/020-libgreet.sh", "says hello", "says hello, version 2")
    r = run_invoke(["stage1"], world["env"], check=True)
    assert ": skipped" not in r.stdout and "stage1: 5 step(s) done\n" in r.stdout
    after = started(world)
    assert [s for s in STAGE1 if after[s] == before[s]] == ["layout"]
    r = run_invoke(["stage2", "--dry-run"], world["env"], check=True)
    assert "run   extra" in r.stdout and "what an earlier step installed changed" in r.stdout
    r = run_invoke(["files", "libgreet"], world["env"], check=True)
    assert "8 created, 0 modified" in r.stdout


SLOW = """( while true; do date >> "$LFS/tools/writer.log"; sleep 0.1; done ) &
sleep 120
"""


def test_sigkill_mid_step_leaves_no_manifest_and_the_step_runs_again(world):
    world["tb"].edit("stage1/030-hello.sh", "make install\n", "make install\n" + SLOW)
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "stage1"], cwd=REPO,
                            env=world["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    writer = world["lfs"] / "tools/writer.log"
    wait_until(lambda: writer.exists() or proc.poll() is not None, 60, f"{writer} appearing")
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    mdir = world["lfs"] / ".lfsbuild/manifests/stage1"
    assert sorted(p.name for p in mdir.glob("*.json")) == ["layout.json", "libgreet.json"]
    assert (mdir / "hello.before").exists()       # the tree before the attempt, kept
    assert state_of(world)["stage1/hello"]["status"] == "running"
    world["tb"].edit("stage1/030-hello.sh", SLOW, "")
    r = run_invoke(["stage1"], world["env"], check=True)
    assert "stage1/hello was interrupted last time" in r.stdout
    assert all(v["status"] == "done" for v in state_of(world).values())
    # compared with the tree before the killed attempt: what that attempt installed (and the
    # writer.log only it wrote) is this step's, created by it
    hello = kinds(world, "stage1/hello")
    assert hello["/tools/bin/hello"] == ("created", "f")
    assert hello["/tools/writer.log"] == ("created", "f")
    assert not (mdir / "hello.before").exists()


def test_sigkill_while_recording_never_leaves_a_done_step_without_its_manifest(world):
    """Kill lfsbuild right after a step's command ended, while it scans and hashes the
    tree: whatever instant the kill lands, a record that says done has a complete manifest,
    no temporary file remains, and the next run finishes the job."""
    many = ('mkdir -p "$LFS/tools/data"\n'
            'for i in $(seq 1 3000); do head -c 20000 /dev/urandom > "$LFS/tools/data/f$i"; '
            'done\n')
    world["tb"].edit("stage1/040-check.sh", "echo check passed", many + "echo check passed")
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "stage1"], cwd=REPO,
                            env=world["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    log = world["lfs"] / ".lfsbuild/logs/stage1/check.log"
    wait_until(lambda: (log.exists() and b"# lfsbuild: exit status 0" in log.read_bytes())
               or proc.poll() is not None, 120, "the step's end in its log", interval=0.005)
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    mdir = world["lfs"] / ".lfsbuild/manifests/stage1"
    assert not [p for p in mdir.iterdir() if p.name.endswith(".tmp")]
    for p in mdir.iterdir():
        json.loads(p.read_text())                       # every manifest is whole
    rec = state_of(world)["stage1/check"]
    if rec["status"] == "done":                         # the kill came too late to matter
        assert (mdir / "check.json").exists()
    else:
        assert rec["status"] == "running"
    run_invoke(["stage1"], world["env"], check=True)
    assert all(v["status"] == "done" for v in state_of(world).values())
    data = entries(world, "stage1/check")
    assert len([p for p in data if p.startswith("/tools/data/f")]) == 3000


@pytest.mark.root("mounting a file system")
def test_snapshot_leaves_out_mounts_state_sources_and_tmp(tmp_path):
    """A real tmpfs mounted under $LFS (in a private mount namespace the test creates and that
    dies with it), lfsbuild's state, a build directory and $LFS/tmp: none is recorded."""
    root = tmp_path / "lfs"
    for d in ("usr/bin", "dev", "tmp", "sources/build/stage1-x", ".lfsbuild/logs"):
        (root / d).mkdir(parents=True)
    for f in ("usr/bin/tool", "tmp/scratch", "sources/build/stage1-x/a.o",
              ".lfsbuild/logs/x.log"):
        (root / f).write_text("x")
    code = (f"import json, subprocess, sys\n"
            f"from pathlib import Path\n"
            f"from lfsbuild.build.manifest import snapshot\n"
            f"subprocess.run(['mount', '-t', 'tmpfs', 'none', '{root}/dev'], check=True)\n"
            f"Path('{root}/dev/console').write_text('on the tmpfs')\n"
            f"print(json.dumps(sorted(snapshot(Path('{root}')).entries)))\n")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, "-c",
                        code], env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == ["/usr", "/usr/bin", "/usr/bin/tool"]


def test_owner_ignores_manifests_the_state_does_not_vouch_for(world):
    """After `invoke restore` of an older state, manifests of steps it does not hold (or of
    other runs of them) describe another tree: `owner` and `files` leave them out."""
    run_invoke(["stage1"], world["env"], check=True)
    path = world["lfs"] / ".lfsbuild" / "state.json"
    data = json.loads(path.read_text())
    del data["steps"]["stage1/cleanup"]                 # as if restored from before cleanup
    data["steps"]["stage1/strip"]["installed"]["digest"] = "0" * 64   # another strip run
    path.write_text(json.dumps(data))
    r = run_invoke(["owner", "tools/share/doc/hello/README"], world["env"], check=True)
    assert "last written by stage1/hello" in r.stdout and "cleanup" not in r.stdout
    r = run_invoke(["owner", "/tools/bin/hello"], world["env"], check=True)
    assert "last written by stage1/hello" in r.stdout and "strip" not in r.stdout
    r = run_invoke(["files", "strip"], world["env"])
    assert r.returncode == 1 and "stage1/strip has no record of installed files" in r.stderr


def test_differences_name_each_path_and_what_differs():
    """The comparison bench/manifest.py and bench/real/equivalence.py print (pure): exactly the
    paths the digest tells apart, field by field; a path with equal results is no difference."""
    from lfsbuild.build.manifest import Entry, Manifest, differences
    f = "f" * 64
    first = Manifest("stage2/x", "x", [
        Entry("/usr/bin/x", "created", "f", 0o755, 0, 0, 10, "a" * 64),
        Entry("/usr/lib/libx.a", "created", "f", 0o644, 0, 0, 20, "b" * 64),
        Entry("/usr/lib/libx.so", "created", "l", None, 0, 0, target="libx.so.1"),
        Entry("/usr/share/x", "created", "d", 0o755, 0, 0),
        Entry("/usr/share/x/old", "created", "f", 0o644, 0, 0, 1, f),
        Entry("/etc/x.conf", "created", "f", 0o644, 0, 0, 3, f),
        Entry("/usr/share/info/dir", "removed", "f", 0o644, 0, 0, 9)])
    second = Manifest("stage2/x", "x", [
        Entry("/usr/bin/x", "modified", "f", 0o755, 0, 0, 10, "c" * 64),  # kind alone: equal
        Entry("/usr/lib/libx.a", "created", "f", 0o600, 0, 0, 24, "d" * 64),
        Entry("/usr/lib/libx.so", "created", "l", None, 0, 0, target="libx.so.2"),
        Entry("/usr/share/x", "modified", "d", 0o755, 0, 0),
        Entry("/usr/share/x/new", "created", "f", 0o644, 0, 0, 1, f),
        Entry("/etc/x.conf", "removed", "f", 0o644, 0, 0, 3),
        Entry("/usr/share/info/dir", "removed", "f", 0o644, 0, 0, 9)])
    got = {d.path: (d.fields, d.text) for d in differences(first, second)}
    assert got == {
        "/usr/bin/x": (("content",), "content (same size)"),
        "/usr/lib/libx.a": (("mode", "size", "content"), "mode 0644 -> 0600, size 20 -> 24"),
        "/usr/lib/libx.so": (("target",), "link target libx.so.1 -> libx.so.2"),
        "/usr/share/x/old": (("presence",), "only in the first run (created, type f)"),
        "/usr/share/x/new": (("presence",), "only in the second run (created, type f)"),
        "/etc/x.conf": (("removed",), "removed by the second run only")}
    assert [d.path for d in differences(first, second)] == sorted(got)
    assert differences(first, first) == [] and first.digest != second.digest
