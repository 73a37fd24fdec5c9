"""Saved states and wiping $LFS, for real: tar, checksums, mounts, file systems."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from lfsbuild import backup
from lfsbuild.backup import BackupError
from lfsbuild.errors import ChrootError
from conftest import need_root
from rootfs import make_busybox_root, mount_bind, mount_guard, mount_tmpfs  # noqa: F401

MANIFEST = {"stage": 3, "steps": {"070-chroot-prep": "ab12", "080-gettext": "cd34"}}


def snapshot(root: Path) -> dict[str, tuple]:
    """Everything tar must keep: type, mode, owner, content, link target, xattrs, links, mtime."""
    result: dict[str, tuple] = {}
    inodes: dict[tuple[int, int], str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames) + ([""] if dirpath == str(root) else []):
            path = Path(dirpath, name) if name else Path(dirpath)
            st = os.lstat(path)
            rel = path.relative_to(root).as_posix()
            content = None
            if stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
                first = inodes.setdefault((st.st_dev, st.st_ino), rel)
                content = (content, first if st.st_nlink > 1 else None)
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                content = st.st_rdev
            xattrs = () if stat.S_ISLNK(st.st_mode) else tuple(sorted(
                (k, os.getxattr(path, k, follow_symlinks=False))
                for k in os.listxattr(path, follow_symlinks=False)))
            mtime = None if stat.S_ISLNK(st.st_mode) else st.st_mtime_ns // 10**9
            result[rel] = (st.st_mode, st.st_uid, st.st_gid, content, xattrs, mtime)
    return result


@pytest.fixture
def lfs(tmp_path, mount_guard):
    """A busybox root plus the awkward cases: owners, setuid, sticky, hard links, fifo, xattrs."""
    need_root("a backup keeps owners, devices and xattrs")
    root = make_busybox_root(tmp_path / "lfs")
    (root / "sources").mkdir(exist_ok=True)
    (root / "sources/pkg-1.0.tar.xz").write_bytes(os.urandom(4096))
    tools = root / "tools/bin"
    tools.mkdir(parents=True)
    (tools / "owned").write_text("by someone else\n")
    os.chown(tools / "owned", 1234, 5678)
    (tools / "suid").write_bytes(b"\x7fELF")
    os.chmod(tools / "suid", 0o4755)
    os.link(tools / "owned", tools / "hardlink")
    os.mkfifo(root / "tools/fifo")
    os.mknod(root / "tools/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    (root / "usr/lib/with space\tand tab").write_text("odd name\n")
    os.setxattr(tools / "suid", "user.lfsbuild", b"kept")
    (root / "empty-dir").mkdir()
    return root


def test_backup_damage_restore_gives_identical_tree(lfs, tmp_path):
    before = snapshot(lfs)
    (tmp_path / "backups").mkdir()
    archive = backup.create(lfs, tmp_path / "backups", MANIFEST)
    assert archive.parent == tmp_path / "backups" and archive.name.startswith("lfs-temp-tools-stage3-")
    meta = json.loads(backup.manifest_path(archive).read_text())
    assert meta["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert meta["stage"] == 3 and meta["steps"] == MANIFEST["steps"]
    assert not [p for p in archive.parent.iterdir() if p.name.startswith(".")]  # no temp left

    # Damage: delete, change, add, change owners and modes.
    (lfs / "etc/passwd").unlink()
    (lfs / "tools/bin/owned").write_text("changed\n")
    (lfs / "tools/bin/new").write_text("new\n")
    os.chmod(lfs / "tools/bin/suid", 0o755)
    os.chown(lfs / "usr/bin/busybox", 1, 1)
    subprocess.run(["rm", "-rf", str(lfs / "usr/sbin")], check=True)
    assert snapshot(lfs) != before

    restored = backup.restore(archive, lfs)
    assert restored["steps"] == MANIFEST["steps"] and restored["sha256"] == meta["sha256"]
    assert snapshot(lfs) == before
    assert not [p for p in lfs.iterdir() if p.name.startswith(".lfsbuild-")]


def test_damaged_archive_is_refused_and_tree_untouched(lfs, tmp_path):
    archive = backup.create(lfs, tmp_path / "b.tar.zst", MANIFEST)
    with open(archive, "r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    (lfs / "marker").write_text("current state\n")
    before = snapshot(lfs)
    with pytest.raises(BackupError, match="damaged"):
        backup.restore(archive, lfs)
    assert snapshot(lfs) == before
    backup.manifest_path(archive).unlink()
    with pytest.raises(BackupError, match="no manifest"):
        backup.verify(archive)


def test_failed_extraction_leaves_old_tree(lfs, tmp_path):
    archive = tmp_path / "bad.tar.zst"
    archive.write_bytes(b"not a tarball at all")
    backup._write_json_atomic(backup.manifest_path(archive), {
        "format": backup.FORMAT, "sha256": backup.sha256_file(archive),
        "compression": "zstd", "tree_bytes": 0})
    before = snapshot(lfs)
    with pytest.raises(BackupError, match="tar exit"):
        backup.restore(archive, lfs)
    assert snapshot(lfs) == before


def test_restore_keeps_named_entries_and_latest(lfs, tmp_path):
    out = tmp_path / "backups"
    out.mkdir()
    archive = backup.create(lfs, out, MANIFEST, exclude=["sources"])
    assert backup.latest(out) == archive
    (lfs / "sources/new-download.tar.gz").write_text("fetched after the backup\n")
    backup.restore(archive, lfs, keep=["sources"])
    assert (lfs / "sources/new-download.tar.gz").exists()
    backup.clean(lfs)
    backup.restore(archive, lfs)
    assert not (lfs / "sources").exists()   # excluded from the archive, not kept this time


def test_backup_refuses_inside_root_and_without_space(lfs, tmp_path, monkeypatch):
    with pytest.raises(BackupError, match="inside"):
        backup.create(lfs, lfs / "tmp/x.tar.zst", MANIFEST)
    monkeypatch.setattr(backup, "free_bytes", lambda path: 1024)
    with pytest.raises(BackupError, match="not enough free space"):
        backup.create(lfs, tmp_path / "x.tar.zst", MANIFEST)
    assert not list(tmp_path.glob("*x.tar.zst*"))
    monkeypatch.undo()
    archive = backup.create(lfs, tmp_path / "x.tar.zst", MANIFEST)
    monkeypatch.setattr(backup, "free_bytes", lambda path: 1024)
    with pytest.raises(BackupError, match="invoke clean"):
        backup.restore(archive, lfs)


def test_everything_refuses_while_mounted(lfs, tmp_path, mount_guard):
    archive = backup.create(lfs, tmp_path / "a.tar.zst", MANIFEST)
    host_dev = tmp_path / "host-dev"
    host_dev.mkdir()
    (host_dev / "host-file").write_text("must survive\n")
    point = mount_bind(host_dev, lfs / "dev", mount_guard)   # the book's forgotten /dev mount
    before = snapshot(lfs)
    for action in (lambda: backup.clean(lfs), lambda: backup.restore(archive, lfs),
                   lambda: backup.create(lfs, tmp_path / "b.tar.zst", MANIFEST)):
        with pytest.raises(ChrootError, match="umount -R"):
            action()
    assert snapshot(lfs) == before
    assert (point / "host-file").read_text() == "must survive\n"


def test_clean_never_crosses_file_systems(lfs, mount_guard, monkeypatch):
    point = mount_tmpfs(lfs / "var/elsewhere", mount_guard)
    (point / "precious").write_text("on another fs\n")
    # Pretend the mount table missed it (another namespace, a racing mount): st_dev still stops us.
    monkeypatch.setattr(backup, "ensure_nothing_mounted", lambda *a, **k: None)
    before = snapshot(lfs)
    with pytest.raises(BackupError, match="another file system"):
        backup.clean(lfs)
    assert snapshot(lfs) == before
    with pytest.raises(BackupError, match="another file system"):
        backup._remove_tree(lfs / "var", os.lstat(lfs).st_dev)
    assert (point / "precious").exists()


def test_clean_wipes_but_keeps_sources_and_root(lfs, tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("host file\n")
    (lfs / "usr/bin/to-host").symlink_to(outside)
    (lfs / "dir-link").symlink_to(tmp_path)
    backup.clean(lfs, keep=["sources"])
    assert sorted(p.name for p in lfs.iterdir()) == ["sources"]
    assert (lfs / "sources/pkg-1.0.tar.xz").exists()
    assert outside.read_text() == "host file\n"      # symlinks removed, never followed
    backup.clean(lfs)
    assert lfs.is_dir() and not list(lfs.iterdir())
    backup.clean(tmp_path / "missing")                # nothing to do


def test_clean_refuses_host_directories(tmp_path):
    for path in ("/", "/usr", "/etc/.."):
        with pytest.raises(BackupError, match="host"):
            backup.clean(Path(path))


def test_root_on_its_own_partition(lfs, tmp_path, mount_guard):
    """$LFS as a mount point (the book's LFS partition): restore and clean work inside it."""
    out = tmp_path / "backups"
    out.mkdir()
    archive = backup.create(lfs, out, MANIFEST)
    before = snapshot(lfs)
    part = mount_tmpfs(tmp_path / "mnt/lfs", mount_guard, size="128m")
    backup.restore(archive, part)
    assert snapshot(part) == before
    backup.clean(part)
    assert not list(part.iterdir())
