"""The runner's file and process plumbing around a step, against real files, pipes and tar:
unpacking (decompressor | tar), copying a step's output into its log (with the tail a failure
shows), and flushing exactly what a step wrote before its record says done (issue 18)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from lfsbuild.build import manifest, runner
from lfsbuild.build.runner import Tail, copy_output, flush_written, unpack
from lfsbuild.build.users import current
from lfsbuild.errors import BookError


def _ctx(sources: Path) -> SimpleNamespace:
    return SimpleNamespace(settings=SimpleNamespace(sources=sources))


def _pkg(name: str, filename: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, version="1.0", filename=filename)


@pytest.mark.parametrize("suffix,flag", [(".tar.xz", "-J"), (".tar.gz", "-z"), (".tgz", "-z"),
                                         (".tar.bz2", "-j"), (".tar", "")])
def test_unpack_each_kind_through_its_decompressor(tmp_path, suffix, flag):
    src = tmp_path / "src"
    (src / "pkg-1.0" / "sub").mkdir(parents=True)
    (src / "pkg-1.0" / "sub" / "f.c").write_text("int x;\n")
    (src / "pkg-1.0" / "run.sh").write_text("#!/bin/sh\n")
    (src / "pkg-1.0" / "run.sh").chmod(0o755)
    sources = tmp_path / "sources"
    sources.mkdir()
    tarball = sources / f"pkg-1.0{suffix}"
    subprocess.run(["tar", "-c", *([flag] if flag else []), "-f", str(tarball), "-C", str(src),
                    "pkg-1.0"], check=True)
    into = tmp_path / "work"
    into.mkdir()
    tree = unpack(_pkg("pkg", tarball.name), _ctx(sources), into, current(),
                  SimpleNamespace(id="stage1/pkg"))
    assert tree == into / "pkg-1.0"
    assert (tree / "sub" / "f.c").read_text() == "int x;\n"
    assert os.access(tree / "run.sh", os.X_OK)
    assert sorted(p.name for p in into.iterdir()) == ["pkg-1.0"]   # no .unpack-* left


def test_unpack_of_a_damaged_tarball_names_it_and_what_went_wrong(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    good = subprocess.run(["sh", "-c", "head -c 100000 /dev/urandom | xz -c"], check=True,
                          capture_output=True).stdout
    (sources / "bad-1.0.tar.xz").write_bytes(good[:len(good) // 2])   # truncated xz
    into = tmp_path / "work"
    into.mkdir()
    with pytest.raises(BookError) as exc:
        unpack(_pkg("bad", "bad-1.0.tar.xz"), _ctx(sources), into, current(),
               SimpleNamespace(id="stage1/bad"))
    assert "bad-1.0.tar.xz" in str(exc.value) and "xz" in str(exc.value).lower()
    assert "invoke verify --only bad" in exc.value.hint


def test_copy_output_keeps_everything_in_the_log_and_the_exact_last_lines(tmp_path):
    # long lines, many reads: the tail must still be the last 40 whole lines
    writer = ("import sys, time\n"
              "for i in range(20000):\n"
              "    sys.stdout.write(f'line {i} ' + 'x' * (i % 300) + '\\n')\n"
              "sys.stdout.flush(); time.sleep(0.2)\n"
              "sys.stdout.buffer.write('caf\\u00e9'.encode()[:4]); sys.stdout.flush()\n"
              "time.sleep(0.2)\n"
              "sys.stdout.buffer.write('caf\\u00e9'.encode()[4:] + b'\\nend\\n')\n")
    proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE)
    tail = Tail()
    echo_path = tmp_path / "echo.txt"
    with open(tmp_path / "log", "wb") as log, open(echo_path, "w", encoding="utf-8") as echo:
        copy_output(proc.stdout.fileno(), log, tail, echo)
    assert proc.wait() == 0
    expected = [f"line {i} " + "x" * (i % 300) for i in range(20000)] + ["café", "end"]
    assert (tmp_path / "log").read_bytes() == ("\n".join(expected) + "\n").encode()
    assert tail.lines() == expected[-40:]
    assert echo_path.read_text(encoding="utf-8") == "\n".join(expected) + "\n"  # é not split


def test_tail_of_a_short_output_is_all_of_it():
    tail = Tail()
    tail.add(b"one\ntwo\n")
    tail.add(b"three")
    assert tail.lines() == ["one", "two", "three"]


def _tree_change(root: Path) -> tuple[manifest.Snapshot, manifest.Snapshot]:
    (root / "usr/lib").mkdir(parents=True)
    (root / "usr/bin").mkdir()
    (root / "usr/bin/old").write_text("old\n")
    (root / "usr/bin/same").write_text("untouched\n")
    (root / "etc").mkdir()
    before = manifest.snapshot(root)
    (root / "usr/bin/new").write_text("new\n")          # created file
    (root / "usr/bin/old").write_text("rewritten\n")    # modified file
    (root / "usr/lib/pkg").mkdir()                      # created directory
    (root / "usr/lib/pkg/data").write_text("d\n")
    (root / "usr/lib/link").symlink_to("pkg/data")      # created symlink
    (root / "etc").chmod(0o700)                         # modified directory
    (root / "etc").chmod(0o755)
    os.utime(root / "etc")
    (root / "etc").chmod(0o750)
    return before, manifest.snapshot(root)


def test_durable_paths_are_what_the_step_wrote_and_the_directories_naming_them(tmp_path):
    root = tmp_path / "lfs"
    before, after = _tree_change(root)
    (root / "usr/bin/same").unlink()                    # removed (after the walk: see below)
    after = manifest.snapshot(root)
    entries, _ = manifest.diff(before, after)
    files, dirs = manifest.durable_paths(root, entries)
    assert files == [root / "usr/bin/new", root / "usr/bin/old", root / "usr/lib/pkg/data"]
    assert dirs == [root, root / "etc", root / "usr/bin", root / "usr/lib", root / "usr/lib/pkg"]


def test_flush_written_fsyncs_those_paths_and_not_the_file_system(tmp_path, monkeypatch):
    root = tmp_path / "lfs"
    before, after = _tree_change(root)
    entries, _ = manifest.diff(before, after)
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    whole: list[Path] = []
    monkeypatch.setattr(os, "fsync", spy)
    monkeypatch.setattr(runner, "syncfs", whole.append)
    (root / "usr/lib/pkg/data").unlink()   # gone since the walk: nothing can depend on it
    n = flush_written(root, entries)
    files, dirs = manifest.durable_paths(root, entries)
    want = {str(p) for p in files + dirs} - {str(root / "usr/lib/pkg/data")}
    assert set(synced) == want and n == len(want) and not whole
    synced.clear()
    assert flush_written(root, entries, whole_fs=True) == -1   # an unreadable directory
    assert whole == [root] and not synced


def _build_tree(top: Path, outside: Path) -> None:
    (top / "pkg-1.0" / "build" / "sub").mkdir(parents=True)
    (top / "pkg-1.0" / "build" / "sub" / "x.o").write_bytes(b"\0" * 100)
    (top / "pkg-1.0" / "ro").mkdir()
    (top / "pkg-1.0" / "ro" / "f").write_text("read-only directory")
    (top / "pkg-1.0" / "ro").chmod(0o555)
    (top / "pkg-1.0" / "link-out").symlink_to(outside)


def test_remove_tree_removes_a_build_tree_and_never_follows_links(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("not the step's")
    top = tmp_path / "build" / "stage1-pkg"
    _build_tree(top, outside)
    runner.remove_tree(top)
    assert not top.exists() and (tmp_path / "build").is_dir()
    assert (outside / "keep").read_text() == "not the step's"
    runner.remove_tree(top)                    # already gone: nothing to do, no error


@pytest.mark.root("mounts a tmpfs below the tree it removes")
def test_remove_tree_leaves_a_mount_below_alone_and_says_so(tmp_path):
    top = tmp_path / "stage1-pkg"
    _build_tree(top, tmp_path)
    mnt = top / "pkg-1.0" / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "lfsbuild-test", str(mnt)], check=True)
    try:
        (mnt / "precious").write_text("on another file system")
        runner.remove_tree(top, must=False)    # a step's own cleanup: litter, no error
        assert (mnt / "precious").exists()
        with pytest.raises(BookError) as e:
            runner.remove_tree(top)            # the next run's fresh directory: an error
        assert str(top) in str(e.value) and "by hand" in e.value.hint
        assert (mnt / "precious").exists()
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    runner.remove_tree(top)
    assert not top.exists()
