"""Benchmark: what recording a manifest per step costs, and how reproducible the steps are.

Why: every step of a build is now bracketed by two walks of $LFS (lstat of every path) and
the hashing of the files it wrote. On a finished LFS (~30,000 paths) that must stay far below
a step's own time (target: < 1 s per step), and `invoke owner` reads every manifest of a
build, which must feel instant. Output equivalence only pays off for steps whose output is
the same from one run to the next: part (c) counts them on the test book.

(a) A synthetic tree shaped like a finished LFS: 30,000 paths under usr/{bin,lib,include,
    share/{man,locale,doc,info}}, etc, var, a fifth of usr/lib as symlinks, sizes 0-8 kB
    (sparse: only written files are ever read). One modelled step installs 300 files / 50 MB,
    rewrites 20 and removes 10. Timed: the walk before, the walk after, diff + sha256 of what
    changed, saving the "before" for a retry (JSON), saving the manifest; median of N runs.
    Page cache warm (dropping it would slow every other process on the machine).
(b) `owner` on a build of 130 steps whose manifests cover those 30,000 paths: loading every
    manifest into the index, then one query.
(c) The test book (tests/testbook.py: tiny C packages compiled with the host gcc) built twice
    from scratch with `invoke stage1` + `stage2`: how many steps recorded the same manifest
    digest both times, and which paths differ for the others. Needs root (the build user).

Run:  python bench/manifest.py [--quick] [--repeat N] [--files N]
Nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from lfsbuild.build import manifest as mf  # noqa: E402

USER = "lfsbench"


# ====================================================================== (a) the synthetic tree

SHAPE = (   # directory, share of the paths, files per subdirectory (0: flat)
    ("usr/bin", 0.03, 0), ("usr/sbin", 0.01, 0), ("usr/lib", 0.10, 0),
    ("usr/lib/gcc/x86_64-pc-linux-gnu/14.2.0", 0.02, 40), ("usr/libexec", 0.02, 30),
    ("usr/include", 0.13, 60), ("usr/share/man", 0.18, 200), ("usr/share/locale", 0.20, 30),
    ("usr/share/doc", 0.08, 50), ("usr/share/info", 0.01, 0), ("usr/share/terminfo", 0.10, 80),
    ("usr/share/zoneinfo", 0.08, 60), ("etc", 0.01, 20), ("var/lib", 0.03, 40))


def make_tree(root: Path, n: int, seed: int = 1) -> int:
    """n paths shaped like a finished LFS; returns how many are symlinks."""
    rnd = random.Random(seed)
    links = 0
    for top, share, per_dir in SHAPE:
        count = max(1, int(n * share))
        for i in range(count):
            d = root / top
            if per_dir:
                d = d / f"sub{i // per_dir:03d}"
            d.mkdir(parents=True, exist_ok=True)
            p = d / f"f{i:05d}"
            if top == "usr/lib" and i % 5 == 4:
                os.symlink(f"f{i - 1:05d}", p)
                links += 1
            else:
                with open(p, "wb") as fh:
                    fh.truncate(rnd.randint(0, 8192))
    for name in ("sources", "tmp", ".lfsbuild"):
        (root / name).mkdir(exist_ok=True)
    return links


def step(root: Path, run: int, files: int = 300, mbytes: int = 50, seed: int = 2) -> None:
    """What a package step does: install `files` files (`mbytes` MB), rewrite 20, remove 10."""
    rnd = random.Random(seed + run)
    dest = root / "usr/lib" / f"pkg{run}"
    dest.mkdir(parents=True)
    size = mbytes * 1_000_000 // files
    blob = os.urandom(size)
    for i in range(files):
        (dest / f"obj{i:04d}.so").write_bytes(blob[i:] + blob[:i])   # each one different
    bins = sorted((root / "usr/bin").iterdir())
    for p in rnd.sample(bins, 20):
        if not p.is_symlink():
            p.write_bytes(b"rewritten %d\n" % run)
    for p in rnd.sample(sorted((root / "usr/share/doc").glob("sub*/f*")), 10):
        p.unlink()


def bench_walk(n: int, repeat: int) -> list[tuple[str, str]]:
    rows: dict[str, list[float]] = {k: [] for k in
                                    ("walk before", "walk after", "diff + sha256 of the changed",
                                     "save the 'before' (retry)", "save the manifest",
                                     "total per step")}
    counts: dict[str, int] = {}
    for run in range(repeat):
        base = Path(tempfile.mkdtemp(prefix="lfsbuild-bench-manifest-"))
        try:
            root = base / "lfs"
            links = make_tree(root, n)
            state = root / ".lfsbuild"
            mf.snapshot(root)   # warm the dentry and inode caches like a running build
            before = mf.snapshot(root)
            t0 = time.perf_counter()
            mf.save_pending(state, "stage4/pkg", before, time.time())
            t_pending = time.perf_counter() - t0
            step(root, run)
            after = mf.snapshot(root)
            t0 = time.perf_counter()
            entries, _ = mf.diff(before, after)
            t_diff = time.perf_counter() - t0
            m = mf.Manifest("stage4/pkg", "pkg", entries, time.time())
            t0 = time.perf_counter()
            mf.save(state, m)
            t_save = time.perf_counter() - t0
            for k, v in (("walk before", before.seconds), ("walk after", after.seconds),
                         ("diff + sha256 of the changed", t_diff),
                         ("save the 'before' (retry)", t_pending), ("save the manifest", t_save)):
                rows[k].append(v)
            rows["total per step"].append(before.seconds + after.seconds + t_diff + t_pending
                                          + t_save)
            counts = {"paths": len(after.entries), "symlinks": links, "created": m.count("created"),
                      "modified": m.count("modified"), "removed": m.count("removed"),
                      "hashed MB": round(m.installed_bytes / 1e6)}
        finally:
            shutil.rmtree(base, ignore_errors=True)
    print(f"(a) one step on a tree of {counts['paths']} paths ({counts['symlinks']} symlinks): "
          f"{counts['created']} created, {counts['modified']} modified, {counts['removed']} "
          f"removed, {counts['hashed MB']} MB hashed; {repeat} run(s)")
    out = []
    for k, v in rows.items():
        out.append((k, f"best {min(v):.3f} s, median {statistics.median(v):.3f} s"))
    print("\n".join(f"    {k:32} {v}" for k, v in out))
    print("    (the runner reuses a step's 'after' as the next step's 'before': within a run one "
          "walk per step)")
    return out


# ============================================================================ (b) the index

def bench_index(n: int, steps: int = 130) -> None:
    base = Path(tempfile.mkdtemp(prefix="lfsbuild-bench-index-"))
    try:
        root = base / "lfs"
        make_tree(root, n)
        snap = mf.snapshot(root)
        paths = sorted(p for p in snap.entries if not p.startswith(("/sources", "/tmp")))
        state = root / ".lfsbuild"
        per = len(paths) // steps + 1
        sha = "0" * 64
        for i in range(steps):
            chunk = paths[i * per:(i + 1) * per]
            ents = [mf.Entry(p, "created", snap.entries[p].type, 0o644, 0, 0,
                             snap.entries[p].size, sha if snap.entries[p].type == "f" else None,
                             snap.entries[p].target) for p in chunk]
            if i % 10 == 9:   # "stripping" steps rewrite files of the ones before them
                ents += [mf.Entry(p, "modified", "f", 0o755, 0, 0, 100, sha)
                         for p in paths[(i - 5) * per:(i - 5) * per + 300]
                         if snap.entries[p].type == "f"]
            mf.save(state, mf.Manifest(f"stage4/s{i:03d}", f"p{i}", ents, float(i)))
        size = sum(p.stat().st_size for p in (state / "manifests").rglob("*.json"))
        t0 = time.perf_counter()
        index = mf.Index(mf.load_all(state))
        t_load = time.perf_counter() - t0
        probe = paths[len(paths) // 2]
        t0 = time.perf_counter()
        hist = index.history(probe)
        t_query = time.perf_counter() - t0
        print(f"(b) owner: {steps} manifests, {len(paths)} paths, {size / 1e6:.1f} MB of JSON: "
              f"index built in {t_load:.3f} s, one query {t_query * 1e6:.0f} us "
              f"({len(hist)} write(s) of {probe})")
    finally:
        shutil.rmtree(base, ignore_errors=True)


# ======================================================================= (c) reproducibility

def build_twice(make_book, label: str) -> None:
    from httpserver import FileServer
    from lfsbuild.build.users import build_user
    build_user(USER)
    digests: list[dict[str, dict]] = []
    trees: list[Path] = []
    base = Path(tempfile.mkdtemp(prefix="lfsbuild-bench-repro-", dir="/tmp"))
    base.chmod(0o755)
    try:
        with FileServer() as srv:
            tb = make_book(base / "book", f"{srv.url}/pub")
            srv.files.update(tb.tarballs)
            for run in (1, 2):
                root = base / f"lfs{run}"
                env = dict(os.environ, INVOKE_LFS_ROOT=str(root),
                           INVOKE_LFS_SOURCES=str(base / "sources"),
                           INVOKE_LFS_PACKAGES=str(tb.packages), INVOKE_LFS_BOOK=str(tb.book),
                           INVOKE_LFS_USER=USER, INVOKE_LFS_MIRRORS="", INVOKE_LFS_HOST_CHECK="0")
                for stage in ("stage1", "stage2"):
                    subprocess.run([sys.executable, "-m", "invoke", stage], cwd=REPO, env=env,
                                   check=True, capture_output=True)
                state = json.loads((root / ".lfsbuild/state.json").read_text())["steps"]
                digests.append({k: v["installed"] for k, v in state.items()})
                trees.append(root)
    except subprocess.CalledProcessError as exc:
        print(f"(c) {label}: build failed: {exc.stderr.decode()[-800:]}")
        return
    steps = list(digests[0])
    same = [s for s in steps if digests[0][s]["digest"] == digests[1].get(s, {}).get("digest")]
    print(f"(c) {label}: {len(same)} of {len(steps)} steps recorded identical manifests in two "
          f"clean builds")
    for s in steps:
        if s in same:
            continue
        differ = mf.differences(mf.load(trees[0] / ".lfsbuild", s),
                                mf.load(trees[1] / ".lfsbuild", s))
        print(f"    {s}: differs in " + "; ".join(f"{d.path}: {d.text}" for d in differ[:5])
              + (f" and {len(differ) - 5} more" if len(differ) > 5 else ""))
    shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one run, skip the test-book builds")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--files", type=int, default=30_000)
    args = ap.parse_args()
    bench_walk(args.files, 1 if args.quick else args.repeat)
    bench_index(args.files)
    if args.quick:
        return
    if os.geteuid() != 0:
        print("(c) skipped: building the test book needs root (the build user)")
        return
    from testbook import make_manifest_book, make_test_book
    build_twice(make_test_book, "test book (stamps with `date` inside, on purpose)")
    build_twice(make_manifest_book, "manifest test book (no stamps)")


if __name__ == "__main__":
    main()
