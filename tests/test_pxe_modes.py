"""Root modes (squashfs, nfs-ro, nfs) and per-node identity, for real.

The boots use Debian's kernel (as every boot test here) and a busybox root. That kernel has
loop, squashfs, overlayfs, the NFS client and e1000 as modules, so `invoke pxe --module` puts
them (from the same linux-image package) into the boot initrd and lfsbuild's /init loads
them - the LFS kernel has them built in (chroot/kernel/netboot.config, checked by
test_kernel_config.py). It has no IP_PNP either: the NFS boots give a static ip=, which /init
applies itself when the kernel did not. The NFS server is nfs-ganesha + rpcbind in a network
namespace of the test's own (tests/nfs_server.py), started with the ganesha.conf `invoke pxe`
wrote; QEMU runs in the same namespace and reaches it as 10.0.2.2.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, need, run_invoke
from netboot_trees import (MODE_APPLETS, NFS_MODULES, SQUASHFS_MODULES, STATIC_IP,
                           kernel_modules as modules, link_applets, make_netboot_tree,
                           require_kernel)
from lfsbuild.errors import DataFileError, PxeError
from lfsbuild.netboot.boot_test import guest_memory_mb
from lfsbuild.netboot.pxe import PxeOptions, build_artifacts
from lfsbuild.netboot.pxe.bootinitrd import (INIT_SHELL, BootInitrdSpec, check_modules,
                                            pack_boot)
from lfsbuild.netboot.pxe.closure import Closure, elf_deps, find_program, finish
from lfsbuild.netboot.pxe.compress import codec
from lfsbuild.netboot.pxe.cpio import read_members
from lfsbuild.netboot.pxe.manifest import Manifest
from lfsbuild.netboot.pxe.modes import MODES, OPTIONAL_TOOLS, node_ram_mb, tools_for
from lfsbuild.netboot.pxe.nodes import load_nodes
from lfsbuild.netboot.pxe.render import render
from nfs_server import nfs_server, require_nfs_server

MARKER = "LFSBUILD-MODES-OK"
NODES = """\
nodes:
  - mac: 52:54:00:00:00:01
    hostname: node1
    address: 10.0.2.15/24
    gateway: 10.0.2.2
  - mac: 52:54:00:00:00:02
    hostname: node2
    address: 10.0.2.15/24
    gateway: 10.0.2.2
"""

needs_qemu = pytest.mark.needs("qemu-system-x86_64", package="qemu-system-x86")
needs_mksquashfs = pytest.mark.needs("mksquashfs", package="squashfs-tools")


def make_root(root: Path) -> Path:
    """A busybox root whose init says which node it is and whether it sees an earlier write,
    laid out as LFS is (/bin a link to usr/bin: /init's #!/bin/sh must still be found)."""
    make_netboot_tree(root, marker=MARKER, usrmerge=True)
    link_applets(root, MODE_APPLETS)
    (root / "sbin/init").write_text(
        "#!/bin/sh\n"
        'echo "node: $(cat /etc/hostname)"\n'
        'if [ -e /etc/probe ]; then echo "probe before: $(cat /etc/probe)"; '
        'else echo "probe before: none"; fi\n'
        "cat /etc/hostname > /etc/probe\n"
        'echo "probe after: $(cat /etc/probe)"\n'
        f"echo {MARKER}\npoweroff -f\n")
    return root


def env_for(base: Path) -> dict[str, str]:
    return dict(os.environ, INVOKE_LFS_ROOT=str(base / "lfs"), INVOKE_LFS_PXE_DIR=str(base / "pxe"),
                INVOKE_LFS_BLFS="", INVOKE_LFS_NODES="")


def pack(base: Path, root: Path, kernel: Path, mode: str, mods: list[Path], *extra: str,
         out: str = "pxe") -> Path:
    args = ["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out", str(base / out),
            "--mode", mode, *(a for m in mods for a in ("--module", str(m))), *extra]
    run_invoke(args, env_for(base), check=True, timeout=300)
    return base / out


def boot_args(pxe: Path, *extra: str, transport: str = "http") -> list[str]:
    return ["boot-test", "--pxe-dir", str(pxe), "--nic", "e1000", "--transport", transport,
            "--accel", "tcg", "--marker", MARKER, "--timeout", "150", *extra]


def console(pxe: Path, transport: str = "http") -> str:
    return (pxe.parent / f"{pxe.name}-boot-test/console-bios-{transport}-e1000.log").read_text(
        errors="replace")


@pytest.fixture(scope="module")
def kernel() -> Path:
    return require_kernel()


@pytest.fixture(scope="module")
def mods_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("modules")


# ---------------------------------------------------------------- boots (slow)

@needs_qemu
@needs_mksquashfs
@pytest.mark.slow
def test_squashfs_two_nodes_each_their_own_hostname_and_writes(kernel, mods_dir, tmp_path):
    root = make_root(tmp_path / "root")
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text(NODES)
    pxe = pack(tmp_path, root, kernel, "squashfs", modules(kernel, mods_dir, SQUASHFS_MODULES),
               "--nodes", str(nodes))
    m = Manifest.load(pxe)
    assert m.mode == "squashfs" and m.initrds == ["initrd.img", "root.squashfs.cpio"]
    image = (pxe / "root.squashfs.cpio").stat().st_size
    assert m.node_ram_mb < 1024 and m.node_ram_mb >= 2 * image // 2**20
    # node2 through pxelinux over TFTP: three initrds on its INITRD line, its overlay the last
    for mac, name, transport in (("52:54:00:00:00:01", "node1", "http"),
                                 ("52:54:00:00:00:02", "node2", "tftp"),
                                 ("52:54:00:00:00:99", "lfs-pxe-test", "http")):  # not listed
        r = run_invoke(boot_args(pxe, "--mac", mac, transport=transport), env_for(tmp_path),
                       timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        log = console(pxe, transport)
        assert f"node: {name}" in log, log[-2000:]
        assert "probe before: none" in log and f"probe after: {name}" in log
    assert f"-m {m.node_ram_mb}".split()[1] == str(guest_memory_mb(pxe))


@needs_qemu
@needs_mksquashfs
@pytest.mark.slow
def test_an_init_that_cannot_mount_the_root_fails_the_boot_at_once_with_its_reason(kernel, tmp_path):
    """Without --module the test kernel has no loop/squashfs: lfsbuild's /init says why and
    drops to a shell, where no marker will ever come. boot-test stops there and names /init's
    reason (it used to wait out --timeout and blame "the marker never appeared")."""
    root = make_root(tmp_path / "root")
    pxe = pack(tmp_path, root, kernel, "squashfs", [])
    r = run_invoke(boot_args(pxe), env_for(tmp_path), timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "Traceback" not in out
    assert "failed: lfsbuild /init (squashfs): cannot mount /root.squashfs" in out, out[-2000:]


def _nfs_boot(server, pxe: Path, base: Path, *extra: str) -> str:
    r = subprocess.run(server.in_ns([sys.executable, "-m", "invoke", *boot_args(pxe, *extra)],
                                    cwd=REPO),
                       env=env_for(base), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr + server.log()[-2000:]
    return console(pxe)


@needs_qemu
@pytest.mark.slow
def test_nfs_ro_two_nodes_share_one_export_and_keep_their_writes(kernel, mods_dir, tmp_path):
    require_nfs_server()
    root = make_root(tmp_path / "root")
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text(NODES)
    mods = modules(kernel, mods_dir, NFS_MODULES + ("fs/overlayfs/overlay.ko",))
    pxe = pack(tmp_path, root, kernel, "nfs-ro", mods, "--nodes", str(nodes),
               "--server", "10.0.2.2")
    assert "Access_Type = RO;" in (pxe / "ganesha.conf").read_text()
    assert f"{root} *(ro," in (pxe / "exports").read_text()
    assert Manifest.load(pxe).node_ram_mb <= 320
    with nfs_server(pxe / "ganesha.conf", tmp_path / "nfs") as server:
        for mac, name in (("52:54:00:00:00:01", "node1"), ("52:54:00:00:00:02", "node2")):
            log = _nfs_boot(server, pxe, tmp_path, "--mac", mac)
            assert f"node: {name}" in log and f"probe after: {name}" in log, log[-2000:]
            assert "probe before: none" in log     # node1's write is not node2's
    assert not (root / "etc/probe").exists()       # nor the export's


@needs_qemu
@pytest.mark.slow
def test_nfs_read_write_root_boots_and_writes_into_the_export(kernel, mods_dir, tmp_path):
    require_nfs_server()
    root = make_root(tmp_path / "root")
    pxe = pack(tmp_path, root, kernel, "nfs", modules(kernel, mods_dir, NFS_MODULES),
               "--server", "10.0.2.2", "--cmdline-extra", STATIC_IP)
    assert "Access_Type = RW;" in (pxe / "ganesha.conf").read_text()
    with nfs_server(pxe / "ganesha.conf", tmp_path / "nfs") as server:
        log = _nfs_boot(server, pxe, tmp_path)
    assert "node: lfs-pxe-test" in log and MARKER in log
    assert (root / "etc/probe").read_text() == "lfs-pxe-test\n"


# ---------------------------------------------------------------- packing (fast)

def fake_module(path: Path, release: str) -> Path:
    path.write_bytes(b"\x7fELF" + b"\0" * 60 + f"vermagic={release} SMP mod_unload \0".encode())
    return path


@needs_mksquashfs
def test_repack_keeps_each_nodes_host_keys_and_bytes(kernel, tmp_path):
    need("ssh-keygen", package="openssh-client")
    root = make_root(tmp_path / "root")
    (root / "etc/ssh").mkdir()
    (root / "etc/ssh/sshd_config").write_text("PermitRootLogin prohibit-password\n")
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text(NODES)
    release = kernel.name.removeprefix("vmlinuz-")
    mod = fake_module(tmp_path / "loop.ko", release)
    first = run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out",
                        str(tmp_path / "pxe"), "--mode", "squashfs", "--module", str(mod),
                        "--nodes", str(nodes)], env_for(tmp_path), check=True)
    secrets = tmp_path / "pxe-secrets"
    keys = sorted(secrets.glob("nodes/*/etc/ssh/ssh_host_*_key"))
    assert {k.parts[-4] for k in keys} == {"node1", "node2"} and len(keys) == 6
    assert all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
    before = {k: k.read_bytes() for k in secrets.rglob("*") if k.is_file()}
    cpios = {p.name: p.read_bytes() for p in (tmp_path / "pxe/nodes").glob("*.cpio")}
    image = (tmp_path / "pxe/root.squashfs.cpio").read_bytes()
    again = run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out",
                        str(tmp_path / "pxe"), "--mode", "squashfs", "--module", str(mod),
                        "--nodes", str(nodes)], env_for(tmp_path), check=True)
    assert {k: k.read_bytes() for k in secrets.rglob("*") if k.is_file()} == before
    assert {p.name: p.read_bytes() for p in (tmp_path / "pxe/nodes").glob("*.cpio")} == cpios
    assert (tmp_path / "pxe/root.squashfs.cpio").read_bytes() == image   # deterministic
    manifest = (tmp_path / "pxe/manifest.json").read_text()
    for k in keys:   # no key material and no secrets path in the manifest or the output
        secret = k.read_text().split("\n")[1][:40]
        assert secret not in manifest and secret not in first.stdout + again.stdout
    assert str(secrets) not in manifest
    assert f"kept in {secrets}" in first.stdout and "node node1 (52:54:00:00:00:01" in first.stdout
    listing = subprocess.run(["cpio", "-itv"], stdin=open(tmp_path / "pxe/nodes/52-54-00-00-00-01.cpio", "rb"),
                             capture_output=True, text=True).stdout
    assert re.search(r"^-rw------- .* lfsbuild/node/etc/ssh/ssh_host_ed25519_key$", listing, re.M)
    assert re.search(r"^-rw-r--r-- .* lfsbuild/node/etc/hostname$", listing, re.M)
    # a node that leaves the file loses its boot files at the next pack, not its keys
    nodes.write_text(NODES.split("  - mac: 52:54:00:00:00:02")[0])
    run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out",
                str(tmp_path / "pxe"), "--mode", "squashfs", "--module", str(mod),
                "--nodes", str(nodes)], env_for(tmp_path), check=True)
    assert not list((tmp_path / "pxe").rglob("*52-54-00-00-00-02*"))
    assert (secrets / "nodes/node2/etc/ssh/ssh_host_ed25519_key").is_file()


@needs_mksquashfs
def test_squashfs_image_leaves_out_what_the_initrd_leaves_out(kernel, tmp_path):
    root = make_root(tmp_path / "root")
    pxe = pack(tmp_path, root, kernel, "squashfs", [], "--compress", "xz")
    raw = tmp_path / "image.squashfs"
    data = (pxe / "root.squashfs.cpio").read_bytes()
    start = data.index(b"hsqs")
    raw.write_bytes(data[start:])
    listing = subprocess.run(["unsquashfs", "-l", "-d", "", str(raw)], capture_output=True,
                             text=True, check=True).stdout.split()
    assert {"/usr/bin/busybox", "/usr/sbin/init", "/bin", "/sbin"} <= set(listing)
    assert "/proc" in listing and "/dev" in listing           # mount points made
    assert not any(p.startswith(("/sources", "/tools", "/usr/share/doc")) for p in listing)
    assert "/usr/lib/libdemo.a" not in listing
    assert Manifest.load(pxe).image["compressor"] == "xz"


def test_init_tools_come_from_the_tree_with_their_libraries(tmp_path):
    """The host's own util-linux mount, as an LFS tree would hold it: /usr/lib libraries, the
    loader behind an absolute symlink, /bin -> usr/bin."""
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/lib").mkdir()
    (root / "lib64").mkdir()
    (root / "bin").symlink_to("usr/bin")
    shutil.copy2("/usr/bin/mount", root / "usr/bin/mount")
    out = subprocess.run(["ldd", "/usr/bin/mount"], capture_output=True, text=True).stdout
    libs = set(re.findall(r"=> (/\S+)", out))
    for lib in libs:
        shutil.copyfile(os.path.realpath(lib), root / "usr/lib" / Path(lib).name)
    loader = Path(re.findall(r"^\s*(/\S*ld-linux\S*)", out, re.M)[0])
    shutil.copyfile(os.path.realpath(loader), root / "usr/lib" / loader.name)
    (root / "lib64" / loader.name).symlink_to(f"/usr/lib/{loader.name}")   # absolute: in the tree
    c = Closure()
    assert find_program(root, "mount", c) == "usr/bin/mount"
    finish(c)
    assert c.files == {"usr/bin/mount", f"usr/lib/{loader.name}",
                       *(f"usr/lib/{Path(l).name}" for l in libs)}
    assert c.links == {f"lib64/{loader.name}": f"/usr/lib/{loader.name}"}
    assert {"usr", "usr/bin", "usr/lib", "lib64"} <= c.dirs
    interp, needed = elf_deps(root / "usr/bin/mount")
    assert interp == str(loader) and set(needed) <= {Path(l).name for l in libs}
    assert find_program(root, "cp", Closure()) is None


def unpack_as_the_kernel_does(initrd: Path, dest: Path) -> list[str]:
    """Unpack a newc cpio the way the kernel's initramfs code does: entry by entry, in the
    archive's order, through the links made so far, never creating a missing parent. Returns
    the entries that could not be made (the kernel skips those silently)."""
    failed = []
    with open(initrd, "rb") as f:
        for m in read_members(f):
            path = dest / m.name
            try:
                if m.kind == "dir":
                    path.mkdir()
                elif m.kind == "symlink":
                    path.symlink_to(m.link_target or "")
                elif m.kind == "file":
                    path.write_bytes(b"")
                    path.chmod(stat.S_IMODE(m.mode))
            except FileExistsError:
                pass
            except OSError:
                failed.append(m.name)
    return failed


def test_boot_initrd_of_an_lfs_layout_runs_init_and_unpacks_whole(tmp_path):
    """Found booting the real LFS: with /bin a link to usr/bin, the initrd had usr/bin/sh but no
    /bin, so the kernel could not run /init's #!/bin/sh (error -2), and the module directory
    under the lib -> usr/lib link came before usr/lib, so the kernel could not create it."""
    root = make_root(tmp_path / "root")
    assert (root / "bin").is_symlink()
    spec = BootInitrdSpec(rootfs=root, mode=MODES["squashfs"],
                          modules=(fake_module(tmp_path / "loop.ko", "6.1.0-1-amd64"),))
    none, level = codec("none")
    initrd = pack_boot(spec, none, level, tmp_path / "boot.cpio").path
    dest = tmp_path / "unpacked"
    dest.mkdir()
    assert unpack_as_the_kernel_does(initrd, dest) == []
    assert (dest / "init").is_file()
    template = (REPO / "lfsbuild/netboot/pxe/templates/init-root.sh").read_text()
    assert template.startswith(f"#!/{INIT_SHELL}\n")
    assert (dest / INIT_SHELL).is_file() and os.access(dest / INIT_SHELL, os.X_OK)
    assert list((dest / "lfsbuild/modules").glob("*.ko")) and "/lfsbuild/modules/" in template
    (root / "bin").unlink()
    (root / "bin").mkdir()              # sh is still in usr/bin, but there is no /bin/sh
    with pytest.raises(PxeError, match="no /bin/sh, which runs /init"):
        pack_boot(spec, none, level, tmp_path / "boot2.cpio")


def commands_of(script: str) -> set[str]:
    """The names a shell script runs as commands, other than its own functions, the shell's
    builtins and keywords (bash's), and case patterns: a plain reading, enough for /init."""
    builtins = set(subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True,
                                  text=True, check=True).stdout.split())
    functions = set(re.findall(r"^(\w+)\(\)\s*\{", script, re.M))
    words: set[str] = set()
    for line in script.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line)
        line = re.sub(r"^[^()]*\)", "", line.strip())          # a case pattern: `nfs|nfs-ro)`
        for part in re.split(r"\$\(|;;|;|&&|\|\||\||\bthen\b|\bdo\b|\belse\b|[{}]", line):
            toks = [t for t in part.split() if not re.match(r"^\w+=", t)]
            if toks and re.match(r"^[a-z_][\w.-]*$", toks[0]):
                words.add(toks[0])
    return words - builtins - functions


@pytest.mark.parametrize("mode", ["squashfs", "nfs-ro"])
def test_init_runs_only_builtins_and_the_tools_packed_for_it(mode):
    """Found on the real LFS: nfs-ro's /init read its command line with `cat`, which is not
    packed. The busybox test tree hid it (its sh runs any applet, link or not); bash cannot.
    (`nfs` shares the script but skips its overlay branch, whose `cp` it does not pack.)"""
    script = render("init-root.sh", mode=mode, init="/sbin/init")
    assert {"mount", "mkdir", "cp"} <= commands_of(script)                  # the reading works
    assert commands_of(script) <= {*tools_for(MODES[mode], True), *OPTIONAL_TOOLS}


def test_a_missing_tool_or_a_foreign_module_is_refused(kernel, tmp_path):
    root = make_netboot_tree(tmp_path / "root")                  # no switch_root, no cp
    opts = dict(out_dir=tmp_path / "pxe", kernel=kernel, rootfs=root, mode="nfs-ro")
    with pytest.raises(PxeError, match="no 'switch_root' program"):
        build_artifacts(PxeOptions(**opts))  # type: ignore[arg-type]
    with pytest.raises(PxeError, match="was built for kernel 5.10.0-99-amd64"):
        check_modules((fake_module(tmp_path / "x.ko", "5.10.0-99-amd64"),), "6.1.0-57-amd64")
    with pytest.raises(PxeError, match="--module is for the modes"):
        build_artifacts(PxeOptions(out_dir=tmp_path / "pxe", kernel=kernel, rootfs=root,
                                   modules=(tmp_path / "x.ko",)))
    with pytest.raises(PxeError, match="unknown mode 'iscsi'"):
        build_artifacts(PxeOptions(out_dir=tmp_path / "pxe", kernel=kernel, rootfs=root,
                                   mode="iscsi"))


def test_node_ram_per_mode_and_boot_test_follows_the_manifest(tmp_path):
    mib = 2**20
    assert node_ram_mb(MODES["ram"], 600 * mib, 1900 * mib) == 4352   # as boot-test always had
    assert node_ram_mb(MODES["squashfs"], 300 * mib, 0) == 896        # 2 x 300 + 256
    assert node_ram_mb(MODES["nfs-ro"], 2 * mib, 0) == 320
    assert node_ram_mb(MODES["nfs"], 0, 0) == 256
    (tmp_path / "manifest.json").write_text(Manifest(
        release="t", mode="squashfs", layout="standard", kernel="vmlinuz", kernel_version="6",
        initrd="initrd.img", cmdline="", compression={}, source_date_epoch=0,
        node_ram_mb=896).to_json())
    assert guest_memory_mb(tmp_path) == 896


# ---------------------------------------------------------------- nodes file errors

@pytest.mark.parametrize("text, where, what", [
    ("nodes:\n  - mac: 52:54:00:zz:00:01\n    hostname: a\n", ":2 (mac)", "not a MAC address"),
    ("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: a\n  - mac: 52-54-00-00-00-01\n"
     "    hostname: b\n", ":4 (mac)", "duplicate MAC 52:54:00:00:00:01 (also at"),
    ("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: a\n  - mac: 52:54:00:00:00:02\n"
     "    hostname: a\n", ":4 (hostname)", "duplicate hostname a"),
    ("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: a\n    authorized_keys: nope.pub\n",
     ":4 (authorized_keys)", "neither a public key nor a readable file"),
    ("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: Node_1\n", ":3 (hostname)", "not a host name"),
    ("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: a\n    address: 10.0.0.300/24\n",
     ":4 (address)", "neither dhcp nor an IPv4"),
    ("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: a\n    gateway: 10.0.0.1\n",
     ":4 (gateway)", "for a static address only"),
    ("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: a\n    colour: red\n",
     ":4 (colour)", "unknown field"),
])
def test_bad_node_entries_name_file_and_line(tmp_path, text, where, what):
    path = tmp_path / "nodes.yaml"
    path.write_text(text)
    with pytest.raises(DataFileError) as err:
        load_nodes(path)
    assert f"{path}{where}" in str(err.value) and what in str(err.value)


def test_a_bad_nodes_file_stops_invoke_pxe_with_its_line(kernel, tmp_path):
    root = make_root(tmp_path / "root")
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text("nodes:\n  - mac: 52:54:00:00:00:01\n    hostname: a\n"
                     "  - mac: 52:54:00:00:00:01\n    hostname: b\n")
    r = run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out",
                    str(tmp_path / "pxe"), "--nodes", str(nodes)], env_for(tmp_path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{nodes}:4 (mac): duplicate MAC 52:54:00:00:00:01" in r.stderr + r.stdout


def test_nodes_file_reads_keys_and_unquoted_macs(tmp_path):
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMbXJm2s3OF1FZrRk1c1N3yEBLt6mOb4ktpM3xuOebLt test"
    (tmp_path / "admin.pub").write_text(key + "\n")
    path = tmp_path / "nodes.yaml"
    path.write_text("nodes:\n  - mac: 52:54:00:00:01:10\n    hostname: web1\n"
                    "    address: 192.168.1.21/24\n    gateway: 192.168.1.1\n    dns: 192.168.1.1\n"
                    "    authorized_keys: admin.pub\n  - mac: AA-BB-CC-DD-EE-FF\n    hostname: db1\n")
    web, db = load_nodes(path)
    assert web.mac == "52:54:00:00:01:10" and web.authorized_keys == key + "\n"
    assert web.ip_param() == "ip=192.168.1.21::192.168.1.1:255.255.255.0:web1:eth0:off:192.168.1.1"
    assert db.mac == "aa:bb:cc:dd:ee:ff" and db.address == "dhcp" and db.ip_param() == "ip=dhcp"


def test_lfs_nodes_setting(tmp_path):
    from lfsbuild.errors import ConfigError
    from lfsbuild.settings import from_config
    assert from_config({"nodes": "nodes.yaml"}, tmp_path).nodes is None     # default, absent
    (tmp_path / "nodes.yaml").write_text("nodes: []\n")
    assert from_config({"nodes": "nodes.yaml"}, tmp_path).nodes == tmp_path / "nodes.yaml"
    assert from_config({"nodes": ""}, tmp_path).nodes is None
    with pytest.raises(ConfigError, match="lfs.nodes: .*lab.yaml is not a file"):
        from_config({"nodes": "lab.yaml"}, tmp_path)
    assert load_nodes(tmp_path / "nodes.yaml") == []
