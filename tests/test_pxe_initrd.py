"""The initrd: exact entries, metadata preserved, filters, determinism, every compressor."""
from __future__ import annotations

import io
import os
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import need
from netboot_trees import make_netboot_tree
from lfsbuild.errors import PxeError
from lfsbuild.netboot.pxe.compress import CODECS, codec
from lfsbuild.netboot.pxe.cpio import CpioWriter, Entry, read_members
from lfsbuild.netboot.pxe.initrd import InitrdSpec, iter_entries, pack, skip_reason, source_date_epoch

DECOMPRESS = {"zstd": ["zstd", "-dc"], "xz": ["xz", "-dc"], "gzip": ["gzip", "-dc"], "none": ["cat"]}


def members(path: Path, compress: str = "zstd") -> dict:
    raw = subprocess.run([*DECOMPRESS[compress], str(path)], check=True, capture_output=True).stdout
    return {m.name: m for m in read_members(io.BytesIO(raw))}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = make_netboot_tree(tmp_path / "root")
    (root / "etc/shadow").write_text("root::19000::::::\n")
    (root / "etc/shadow").chmod(0o600)
    os.chown(root / "etc/shadow", 1000, 42)
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    os.link(root / "etc/passwd", root / "etc/passwd.hardlink")
    os.mknod(root / "etc/ttyfake", stat.S_IFCHR | 0o620, os.makedev(4, 64))
    os.chmod(root / "etc/ttyfake", 0o620)
    os.mkfifo(root / "etc/fifo")
    (root / "proc/self").mkdir(parents=True)  # runtime junk: contents must stay out
    (root / "boot").mkdir()
    (root / "boot/vmlinuz-x").write_bytes(b"k")
    (root / "init").write_text("their init\n")
    return root


def test_initrd_lists_exactly_the_expected_entries_with_metadata(tree: Path, tmp_path: Path) -> None:
    c, level = codec("zstd")
    res = pack(InitrdSpec(tree, epoch=1234), c, level, tmp_path / "initrd.img")
    got = members(res.path)
    expected = {"bin", "bin/busybox", *(f"bin/{a}" for a in ("sh", "mount", "mkdir", "cat", "echo",
                                                                  "poweroff", "ls")),
                "dev", "dev/console", "dev/null", "etc", "etc/fifo", "etc/hostname", "etc/passwd",
                "etc/passwd.hardlink", "etc/shadow", "etc/ttyfake", "init", "proc", "run", "sbin",
                "sbin/init", "sys", "tmp", "usr", "usr/lib", "usr/share"}
    assert set(got) == expected
    assert got["bin/sh"].kind == "symlink" and got["bin/sh"].link_target == "busybox"
    assert (got["etc/shadow"].uid, got["etc/shadow"].gid) == (1000, 42)
    assert stat.S_IMODE(got["etc/shadow"].mode) == 0o600
    assert got["etc/ttyfake"].kind == "char" and got["etc/ttyfake"].rdev == (4, 64)
    assert stat.S_IMODE(got["etc/ttyfake"].mode) == 0o620
    assert got["dev/console"].kind == "char" and got["dev/console"].rdev == (5, 1)
    assert got["etc/fifo"].kind == "fifo"
    assert got["tmp"].mode & 0o1777 == 0o1777
    assert all(m.mtime == 1234 for m in got.values())
    # Hard links share an inode; only the first one carries the data (the kernel's rule).
    link_a, link_b = got["etc/passwd"], got["etc/passwd.hardlink"]
    assert link_a.ino == link_b.ino and link_a.nlink == 2
    assert link_a.size > 0 and link_b.size == 0
    # Ours replaces their /init and execs the system's init.
    assert got["init"].size > 0
    assert res.skipped["static library (keep with --keep-static)"] == 1
    assert res.skipped["documentation (keep with --keep-docs)"] == 1


def test_gnu_cpio_reads_the_archive(tree: Path, tmp_path: Path) -> None:
    need("cpio", package="cpio")
    c, level = codec("none")
    res = pack(InitrdSpec(tree), c, level, tmp_path / "initrd.cpio")
    listing = subprocess.run(["cpio", "-itv", "--quiet", "-F", str(res.path)], check=True,
                             capture_output=True, text=True).stdout
    lines = {line.split()[-1] if "->" not in line else line.split()[-3]: line
             for line in listing.splitlines()}
    assert lines["bin/sh"].startswith("l") and lines["bin/sh"].endswith("-> busybox")
    assert lines["dev/console"].startswith("crw-------")
    assert set(lines) == set(members(res.path, "none"))


def test_unpacked_files_are_byte_identical(tree: Path, tmp_path: Path) -> None:
    c, level = codec("none")
    res = pack(InitrdSpec(tree), c, level, tmp_path / "initrd.cpio")
    out = tmp_path / "unpacked"
    out.mkdir()
    subprocess.run(f"cpio -id --quiet --no-absolute-filenames < {res.path}", shell=True, cwd=out,
                   check=True)
    assert (out / "bin/busybox").read_bytes() == (tree / "bin/busybox").read_bytes()
    assert (out / "init").read_text().startswith("#!/bin/sh")
    assert "exec \"$init\"" in (out / "init").read_text()


def test_same_input_gives_identical_bytes_and_epoch_is_respected(tree: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    c, level = codec("zstd")
    a = pack(InitrdSpec(tree), c, level, tmp_path / "a.img").path.read_bytes()
    os.utime(tree / "etc/hostname", (5, 5))  # mtimes on disk do not leak into the archive
    b = pack(InitrdSpec(tree), c, level, tmp_path / "b.img").path.read_bytes()
    assert a == b
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date_epoch() == 1700000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(PxeError, match="SOURCE_DATE_EPOCH"):
        source_date_epoch()


@pytest.mark.parametrize("name", ["zstd", "xz", "gzip"])
def test_every_compressor_round_trips(name: str, tree: Path, tmp_path: Path) -> None:
    c, level = codec(name)
    res = pack(InitrdSpec(tree), c, level, tmp_path / f"initrd{c.suffix}")
    assert res.size < res.uncompressed
    assert "bin/busybox" in members(res.path, name)


def test_bad_compression_choices_say_what_is_allowed() -> None:
    with pytest.raises(PxeError, match="choose one of"):
        codec("lz4")
    with pytest.raises(PxeError, match=r"use 1\.\.22"):
        codec("zstd", 40)
    assert codec("zstd", 19)[0].argv(19)[:4] == ["zstd", "-q", "-c", "-19"]


def test_missing_compressor_names_the_package(tree: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CODECS, "zstd", CODECS["zstd"].__class__(
        "zstd", "zstd-not-installed", 3, range(1, 23), "zstd", ".zst"))
    c, level = codec("zstd")
    with pytest.raises(PxeError, match="apt-get install zstd"):
        pack(InitrdSpec(tree), c, level, tmp_path / "x.img")


def test_skip_rules_are_pure_and_optional() -> None:
    spec = InitrdSpec(Path("/nonexistent"))
    assert skip_reason("sources", True, spec) == "build sources"
    assert skip_reason("usr/sources", True, spec) is None
    assert skip_reason("usr/share/man", True, spec)
    assert skip_reason("usr/share/man", True, InitrdSpec(Path("/x"), keep_docs=True)) is None
    assert skip_reason("usr/lib/libc.a", False, InitrdSpec(Path("/x"), keep_static=True)) is None


def test_synthetic_entries_survive_a_mounted_dev(tree: Path) -> None:
    (tree / "dev").mkdir()
    (tree / "dev/sda").write_text("pretend")  # dev contents are kept when dev is not a mount
    names = [e.name for e in iter_entries(InitrdSpec(tree))]
    assert names.index("dev") < names.index("dev/console") < names.index("dev/sda")
    assert names == sorted(names, key=lambda n: [os.fsencode(p) for p in n.split("/")])


def test_writer_pads_to_four_bytes() -> None:
    buf = io.BytesIO()
    w = CpioWriter(buf)
    w.add(Entry(name="a", mode=stat.S_IFREG | 0o644, size=3, data=b"xyz", ino=1))
    w.close()
    assert len(buf.getvalue()) % 4 == 0
    assert [m.name for m in read_members(io.BytesIO(buf.getvalue()))] == ["a"]
