"""Saved states and wiping $LFS, for real: tar, checksums, mounts, file systems."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, need_root
from lfsbuild.atomic import write_json
from lfsbuild.build import archive as backup
from lfsbuild.build.archive import BackupError
from lfsbuild.errors import ChrootError
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
    write_json(backup.manifest_path(archive), {
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


# ----------------------------------------------------------------------------- clean/restore as tasks

def _tree_listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def _user_dir(path: Path) -> Path:
    """Somebody's files: what `clean` was pointed at by mistake."""
    (path / "photos").mkdir(parents=True)
    (path / "photos/2019.jpg").write_bytes(os.urandom(1000))
    (path / "notes.txt").write_text("mine\n")
    return path


def _built_root(path: Path) -> Path:
    """An $LFS as lfsbuild makes it: the marker first (as the build lock writes it), then files."""
    from lfsbuild.build.state import BuildLock
    with BuildLock(path / ".lfsbuild"):
        pass
    (path / "tools/bin").mkdir(parents=True)
    (path / "tools/bin/gcc").write_bytes(os.urandom(5000))
    (path / "usr").mkdir()
    return path


def _clean_env(invoke_env, root: Path, **more) -> dict:
    return invoke_env(root=root, **more)


def test_clean_refuses_a_directory_lfsbuild_did_not_create(tmp_path, invoke_env):
    """The reported wipe: a directory without .lfsbuild/, and a stand-in home directory."""
    from conftest import run_invoke
    victims = {"plain": _user_dir(tmp_path / "data"), "home": _user_dir(tmp_path / "home")}
    (tmp_path / "lockonly").mkdir()            # what the old `clean` left behind when it refused
    _user_dir(tmp_path / "lockonly")
    (tmp_path / "lockonly/.lfsbuild").mkdir()
    (tmp_path / "lockonly/.lfsbuild/lock").write_text("")
    victims["lockonly"] = tmp_path / "lockonly"
    before = {k: _tree_listing(v) for k, v in victims.items()}
    for name, victim in victims.items():
        env = _clean_env(invoke_env, victim)
        env["HOME"] = str(tmp_path / "home")
        for args in (["clean", "--yes"], ["clean"], ["clean", "--dry-run"]):
            r = run_invoke(args, env)
            assert r.returncode == 1, (name, args, r.stdout, r.stderr)
            assert "Traceback" not in r.stderr
            want = "home directory" if name == "home" else "refusing to clean"
            assert want in r.stderr, r.stderr
    assert {k: _tree_listing(v) for k, v in victims.items()} == before  # not even a lock file


def test_clean_shows_asks_and_only_then_deletes(tmp_path, invoke_env):
    from conftest import run_invoke
    root = _built_root(tmp_path / "lfs")
    env = _clean_env(invoke_env, root)
    r = run_invoke(["clean", "--dry-run"], env)
    assert r.returncode == 0 and "dry run" in r.stdout, r.stderr
    assert "'tools/'" in r.stdout and "4.9 KiB" in r.stdout and "'usr/'" in r.stdout
    assert (root / "tools/bin/gcc").exists()
    # no terminal, no --yes: never delete
    r = subprocess.run([sys.executable, "-m", "invoke", "clean"], cwd=REPO, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "--yes" in r.stderr and "nothing was deleted" in r.stderr
    assert (root / "tools/bin/gcc").exists()
    # a terminal: "n" keeps, "y" deletes
    for answer, kept in (("n\n", True), ("y\n", False)):
        out = _run_on_terminal(["clean"], env, answer)
        assert "[y/N]" in out
        assert (root / "tools/bin/gcc").exists() is kept, out
    assert sorted(p.name for p in root.iterdir()) == [".lfsbuild"]
    assert sorted(p.name for p in (root / ".lfsbuild").iterdir()) == ["lock", "root.json"]
    (root / "usr").mkdir()
    r = run_invoke(["clean", "--yes"], env)
    assert r.returncode == 0 and not (root / "usr").exists(), r.stderr


def _run_on_terminal(args: list[str], env: dict, answer: str) -> str:
    """Run invoke with a real pseudo-terminal as stdin and type `answer` into it."""
    import pty
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "invoke", *args], cwd=REPO, env=env,
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        os.write(master, answer.encode())
        out, _ = proc.communicate(timeout=60)
        return out
    finally:
        os.close(slave)
        os.close(master)


def test_clean_keeps_refusing_what_was_there_before_lfsbuild(tmp_path, invoke_env):
    """lfs.root pointed at a full directory: a build may go on, but clean never deletes its files."""
    from conftest import run_invoke
    root = _user_dir(tmp_path / "data")
    (root / "lost+found").mkdir()                       # a fresh partition's own directory
    _built_root(root)
    assert json.loads((root / ".lfsbuild/root.json").read_text())["found"] == ["notes.txt", "photos"]
    env = _clean_env(invoke_env, root)
    r = run_invoke(["clean", "--yes"], env)
    assert r.returncode == 1 and "held files before lfsbuild" in r.stderr and "photos" in r.stderr
    assert (root / "photos/2019.jpg").exists() and (root / "tools/bin/gcc").exists()
    shutil.move(root / "photos", tmp_path / "photos")
    (root / "notes.txt").unlink()
    r = run_invoke(["clean", "--yes"], env)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in root.iterdir()) == [".lfsbuild"]


def test_clean_of_a_root_from_before_markers(tmp_path, invoke_env):
    """A build made by an older lfsbuild (state.json, no marker) can still be cleaned."""
    from conftest import run_invoke
    root = tmp_path / "lfs"
    (root / ".lfsbuild").mkdir(parents=True)
    (root / ".lfsbuild/state.json").write_text('{"version": 1, "steps": {}}')
    (root / "tools").mkdir()
    r = run_invoke(["clean", "--dry-run"], _clean_env(invoke_env, root))
    assert "'.lfsbuild/state.json'" in r.stdout and "'tools/'" in r.stdout, r.stdout + r.stderr
    r = run_invoke(["clean", "--yes"], _clean_env(invoke_env, root))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (root / ".lfsbuild").iterdir()) == ["lock", "root.json"]


def test_restore_asks_has_a_dry_run_and_refuses_foreign_roots(tmp_path, invoke_env):
    need_root("restore and clean run as root (they replace a tree owned by root)")
    from conftest import run_invoke
    from lfsbuild.build.state import State, StateStore, StepRecord
    root = _built_root(tmp_path / "lfs")
    StateStore(root / ".lfsbuild").save(State(steps={"stage1/010-x": StepRecord("done", "f", "i")}))
    env = _clean_env(invoke_env, root)
    run_invoke(["backup"], env, check=True)
    (root / "tools/bin/gcc").write_text("changed after the backup\n")
    r = run_invoke(["restore", "--dry-run"], env)
    assert r.returncode == 0 and "sha256 verified" in r.stdout and "'tools/'" in r.stdout, r.stderr
    r = run_invoke(["restore"], env)                      # no terminal, no --yes
    assert r.returncode == 1 and "--yes" in r.stderr and "nothing was deleted" in r.stderr
    assert (root / "tools/bin/gcc").read_text() == "changed after the backup\n"
    r = run_invoke(["restore", "--yes"], env)
    assert r.returncode == 0, r.stderr
    assert (root / "tools/bin/gcc").read_bytes() != b"changed after the backup\n"
    # the same backup, pointed at somebody's directory: refused, untouched, no lock file
    other = _user_dir(tmp_path / "other")
    before = _tree_listing(other)
    archive = next((tmp_path / "backups").glob("*.tar.*[!n]"))
    for args in (["restore", "--archive", str(archive), "--yes"],
                 ["restore", "--archive", str(archive), "--dry-run"]):
        r = run_invoke(args, _clean_env(invoke_env, other))
        assert r.returncode == 1 and "refusing to restore into" in r.stderr, r.stderr
    assert _tree_listing(other) == before
    # into a new directory: nothing to replace, so nothing to ask
    r = run_invoke(["restore", "--archive", str(archive)], _clean_env(invoke_env, tmp_path / "fresh"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "fresh/tools/bin/gcc").exists()
    assert (tmp_path / "fresh/.lfsbuild/root.json").exists()


def test_pxe_refuses_a_full_directory_it_did_not_create(tmp_path, invoke_env):
    from conftest import run_invoke
    from lfsbuild.errors import PxeError
    from lfsbuild.owned import claim_pxe_dir
    target = _user_dir(tmp_path / "srv-tftp")
    before = _tree_listing(target)
    kernel = tmp_path / "vmlinuz"
    kernel.write_bytes(b"\0" * 4096)
    (tmp_path / "rootfs").mkdir()
    for env, extra in ((invoke_env(pxe_dir=target), []), (invoke_env(), ["--out", str(target)])):
        r = run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(tmp_path / "rootfs"),
                        "--mode", "nfs", *extra], env)
        assert r.returncode == 1 and "did not write" in r.stderr, r.stderr
    r = run_invoke(["build"], invoke_env(pxe_dir=target))
    assert r.returncode == 1 and "did not write" in r.stderr, r.stderr
    assert _tree_listing(target) == before
    with pytest.raises(PxeError, match="not a directory"):
        claim_pxe_dir(target / "notes.txt")
    fresh = tmp_path / "pxe"
    claim_pxe_dir(fresh)
    (fresh / "pxelinux.0").write_bytes(b"x")
    claim_pxe_dir(fresh)                                   # ours: may be written again
    empty = tmp_path / "empty"
    empty.mkdir()
    claim_pxe_dir(empty)
    assert (empty / ".lfsbuild-pxe").exists()


def test_backup_of_a_directory_that_is_no_build_writes_nothing(tmp_path, invoke_env):
    need_root("restore and clean run as root (they replace a tree owned by root)")
    from conftest import run_invoke
    other = _user_dir(tmp_path / "data")
    before = _tree_listing(other)
    r = run_invoke(["backup"], invoke_env(root=other))
    assert r.returncode == 1 and "nothing to back up" in r.stderr, r.stderr
    assert _tree_listing(other) == before            # no .lfsbuild/lock left behind
