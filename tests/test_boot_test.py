"""Real QEMU PXE boots of real artifacts (Debian kernel + busybox root), plus the pure parts.

Four boots in all: BIOS/pxelinux/TFTP, BIOS/iPXE/HTTP for virtio and e1000 (as `--nic`
matrix), UEFI/iPXE/HTTP; plus one deliberately broken tree that fails within seconds.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_invoke
from netboot_trees import MARKER, make_netboot_tree, require_kernel
from lfsbuild.netboot.boot_test import (BootOptions, BootResult, Endpoints, _diagnose, boot, boot_matrix,
                                bootfile, bootserver, results_table, guest_memory_mb,
                                qemu_argv, resolve_accel, validate)
from lfsbuild.netboot.pxe.manifest import Artifact, Manifest
from lfsbuild.errors import BootTestError

needs_qemu = pytest.mark.needs("qemu-system-x86_64", package="qemu-system-x86")


@pytest.fixture(scope="module")
def pxe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built the way a user does: `invoke pxe --kernel ... --rootfs ...`."""
    kernel = require_kernel()
    base = tmp_path_factory.mktemp("boot")
    root = make_netboot_tree(base / "root")
    out = base / "pxe"
    r = run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out", str(out)],
                   cli_env(base), check=True)
    assert "initrd.img" in r.stdout
    return out


def cli_env(base: Path) -> dict[str, str]:
    return dict(os.environ, INVOKE_LFS_ROOT=str(base / "lfs"), INVOKE_LFS_PXE_DIR=str(base / "pxe"))


def opts(pxe_dir: Path, **kw: object) -> BootOptions:
    return BootOptions(pxe_dir=pxe_dir, accel="tcg", timeout=150, marker=MARKER, **kw)  # type: ignore[arg-type]


@needs_qemu
@pytest.mark.slow
def test_bios_pxelinux_over_tftp(pxe_dir: Path) -> None:
    r = run_invoke(["boot-test", "--pxe-dir", str(pxe_dir), "--nic", "virtio", "--firmware", "bios",
                    "--transport", "tftp", "--accel", "tcg", "--timeout", "150",
                    "--marker", MARKER], cli_env(pxe_dir.parent), timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    row = r.stdout.splitlines()[-1]
    assert "virtio" in row and "bios" in row and "tftp" in row
    logs = sorted(pxe_dir.parent.rglob("*console*.log"), key=lambda p: p.stat().st_mtime) or \
        sorted(Path("/tmp").glob("**/*console*.log"), key=lambda p: p.stat().st_mtime)
    log = logs[-1].read_text(errors="replace") if logs else ""
    assert not logs or ("PXELINUX" in log and "Linux version" in log and MARKER in log)


@needs_qemu
@pytest.mark.slow
def test_bios_ipxe_over_http_for_virtio_and_e1000(pxe_dir: Path) -> None:
    results = boot_matrix(opts(pxe_dir, firmware="bios", transport="http"), ["virtio", "e1000"])
    table = results_table(results)
    assert all(r.ok for r in results), table + "\n" + "\n".join(r.problem for r in results)
    assert [r.nic for r in results] == ["virtio", "e1000"]
    initrd = (pxe_dir / "initrd.img").stat().st_size
    assert all(r.bytes_transferred and r.bytes_transferred > initrd for r in results)
    assert "MB/s" in table.splitlines()[1]


@needs_qemu
@pytest.mark.slow
def test_uefi_ipxe_over_http(pxe_dir: Path) -> None:
    r = boot(opts(pxe_dir, nic="e1000", firmware="uefi", transport="http"))
    assert r.ok


@needs_qemu
@pytest.mark.slow
def test_broken_tree_fails_fast_with_log_and_diagnosis(pxe_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(pxe_dir, broken)
    (broken / "vmlinuz").unlink()
    with pytest.raises(BootTestError) as err:
        boot(BootOptions(pxe_dir=broken, accel="tcg", timeout=60, marker=MARKER, transport="http"))
    text = str(err.value)
    assert "before the kernel started" in text and "full console log:" in text
    assert "vmlinuz" in text  # the console tail shows what iPXE could not fetch


@needs_qemu
@pytest.mark.slow
def test_auto_accel_probes_instead_of_trusting_dev_kvm(pxe_dir: Path) -> None:
    accel = resolve_accel(BootOptions(pxe_dir=pxe_dir, accel="auto"))
    assert accel in ("kvm", "tcg")


def test_command_lines_per_firmware_and_transport(tmp_path: Path) -> None:
    ep = Endpoints(root=tmp_path, tftp_port=6969, http_port=8080)
    bios = BootOptions(pxe_dir=tmp_path, transport="tftp")
    assert bootfile(bios, ep) == "tftp://10.0.2.2:6969/pxelinux.0"
    assert bootfile(BootOptions(pxe_dir=tmp_path), ep) == "http://10.0.2.2:8080/boot.ipxe"
    builtin = Endpoints(root=tmp_path, tftp_port=None, http_port=8080)
    argv = qemu_argv(bios, builtin, "tcg", None)
    assert f"user,id=n0,bootfile=pxelinux.0,tftp={tmp_path}" in argv
    if Path("/usr/lib/ipxe/qemu/efi-e1000.rom").exists() and Path("/usr/share/OVMF").exists():
        uefi = qemu_argv(BootOptions(pxe_dir=tmp_path, firmware="uefi", nic="e1000"), ep, "kvm",
                         tmp_path / "vars.fd")
        assert any("romfile=/usr/lib/ipxe/qemu/efi-e1000.rom" in a for a in uefi)
        assert any(a.startswith("if=pflash") and "readonly=on" in a for a in uefi)


def test_guest_memory_follows_the_initrd(tmp_path: Path) -> None:
    """A whole LFS system as a RAM root needs GiBs; a small initrd gets the 1 GiB minimum."""
    assert guest_memory_mb(tmp_path) == 1024                       # no manifest yet
    manifest = tmp_path / "manifest.json"

    def write(initrd_mib: int, unpacked_mib: int) -> None:
        manifest.write_text(Manifest(
            release="t", mode="ram", layout="standard", kernel="vmlinuz", kernel_version="6",
            initrd="initrd.img", cmdline="", compression={}, source_date_epoch=0,
            artifacts=[Artifact("vmlinuz", "kernel", 14 * 2**20, "0"),
                       Artifact("initrd.img", "initrd", initrd_mib * 2**20, "0")],
            initrd_stats={"uncompressed": unpacked_mib * 2**20}).to_json())

    write(20, 200)
    assert guest_memory_mb(tmp_path) == 1024
    write(600, 1900)
    assert guest_memory_mb(tmp_path) == 4352   # root tmpfs <= half the RAM: 2 x 1900 + 512
    argv = qemu_argv(BootOptions(pxe_dir=tmp_path), Endpoints(tmp_path, None, 8080), "tcg", None)
    assert argv[argv.index("-m") + 1] == "4352"
    argv = qemu_argv(BootOptions(pxe_dir=tmp_path, memory_mb=8192),
                     Endpoints(tmp_path, None, 8080), "tcg", None)
    assert argv[argv.index("-m") + 1] == "8192"


def test_bad_options_and_missing_tree_are_explained(tmp_path: Path) -> None:
    with pytest.raises(BootTestError, match="choose one of: virtio, e1000, e1000e, rtl8139"):
        validate(BootOptions(pxe_dir=tmp_path, nic="ne2k"))
    with pytest.raises(BootTestError, match="run `invoke pxe` first"):
        validate(BootOptions(pxe_dir=tmp_path))


def test_failures_are_blamed_on_the_right_part() -> None:
    assert _diagnose("none", 1, "", "kvm").startswith("emulator problem")
    assert _diagnose("firmware", 0, "SeaBIOS\n", "kvm").startswith("emulator problem")
    assert "before the kernel started" in _diagnose("loader", None, "iPXE http://x", "tcg")
    assert "artifact problem" in _diagnose("kernel", None, "Kernel panic - not syncing: VFS", "tcg")


def test_table_has_one_row_per_result(tmp_path: Path) -> None:
    rows = [BootResult("virtio", "bios", "http", "tcg", True, "marker", 12.3, tmp_path / "l",
                       bytes_transferred=20_000_000, transfer_seconds=2.0),
            BootResult("e1000", "bios", "tftp", "tcg", False, "loader", 60.0, tmp_path / "l")]
    table = results_table(rows).splitlines()
    assert table[0].split()[:3] == ["NIC", "firmware", "transport"]
    assert "10.0 MB/s" in table[1] and "FAIL (loader)" in table[2]


def test_bootserver_reports_every_transfer(tmp_path: Path) -> None:
    """boot-test counts what the server reports through `on_transfer`, over both protocols."""
    import urllib.request

    (tmp_path / "f").write_bytes(b"x" * 1000)
    with bootserver(tmp_path) as ep:
        data = urllib.request.urlopen(f"http://127.0.0.1:{ep.http_port}/f").read()
        subprocess.run(["curl", "-sf", "-o", str(tmp_path / "got"),
                        f"tftp://127.0.0.1:{ep.tftp_port}/f"], check=True, timeout=30)
    assert len(data) == 1000 and (tmp_path / "got").read_bytes() == b"x" * 1000
    assert ep.transfers.count == 2 and ep.transfers.bytes == 2000


def test_loader_errors_only_stop_the_watch_before_the_kernel() -> None:
    from lfsbuild.netboot.boot_test import is_fatal

    assert is_fatal("iPXE ... Could not boot: No such file")
    assert not is_fatal("Linux version 6.1\n...\nudev: Failed to load module foo")
    assert is_fatal("Linux version 6.1\nKernel panic - not syncing: VFS")
    # lfsbuild's /init could not mount the root: it sits in a shell, no marker will come
    text = ("Linux version 6.1\nlfsbuild /init (squashfs): cannot mount /root.squashfs\n"
            "lfsbuild /init: dropping to a shell (the root is not mounted)\n")
    assert is_fatal(text)
    assert "failed: lfsbuild /init (squashfs): cannot mount /root.squashfs" in \
        _diagnose("init", None, text, "tcg")


@needs_qemu
@pytest.mark.slow
def test_expect_lease_catches_a_kernel_without_its_nic_driver(pxe_dir: Path) -> None:
    """Debian's kernel has virtio_net as a module, absent from the initrd: it boots, no lease."""
    from lfsbuild.netboot.boot_test import run_boot
    r = run_boot(opts(pxe_dir, nic="virtio", firmware="bios", transport="http", expect_lease=True))
    assert not r.ok and r.stage == "no DHCP lease", r.problem
    assert "built into the kernel" in r.problem
    assert MARKER in r.console_log.read_text(errors="replace")  # the boot itself worked


NODE_GRUB = "nodes:\n  - mac: 52:54:00:12:34:56\n    hostname: nodeg\n    address: 10.0.2.15/24\n"


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("source", ["mac", "node"])
def test_uefi_grub_over_tftp_reads_the_per_mac_config(tmp_path: Path, source: str) -> None:
    """A machine's own GRUB configuration, grub/grub.cfg-01-<mac>, from `invoke pxe --mac` (a
    copy of the defaults, edited here) or from the nodes file (the node's ip= with its
    hostname), gives this machine its own command line. Debian's GRUB does not search for
    that name itself: grub.cfg's hook loads grub.cfg-<mac with colons>, which loads it (before,
    a node's grub.cfg-01-<mac> was never read). QEMU's default MAC is 52:54:00:12:34:56.
    (User-mode network: QEMU's DHCP names the server; behind proxy DHCP Debian's GRUB cannot
    find it, see the lab.)"""
    kernel = require_kernel()
    root = make_netboot_tree(tmp_path / "root")
    out = tmp_path / "pxe"
    own_by = ["--mac", "52:54:00:12:34:56"]
    if source == "node":
        (tmp_path / "nodes.yaml").write_text(NODE_GRUB)
        own_by = ["--nodes", str(tmp_path / "nodes.yaml")]
    run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out", str(out),
                *own_by], cli_env(tmp_path), check=True)
    own = out / "grub/grub.cfg-01-52-54-00-12-34-56"
    if source == "mac":
        own.write_text(own.read_text().replace("ip=dhcp", "ip=dhcp lfsnode=grub"))
    want = "lfsnode=grub" if source == "mac" else "ip=10.0.2.15:::255.255.255.0:nodeg:eth0:off"
    r = boot(opts(out, nic="e1000", firmware="uefi", transport="tftp"))
    text = r.console_log.read_text(errors="replace")
    assert "GNU GRUB" in text and want in next(
        l for l in text.splitlines() if "Command line:" in l)


def _proc_stat(pid: int) -> list[str] | None:
    """State, ppid, ... of a process; None when it is gone (a zombie is reported as "Z")."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


@needs_qemu
@pytest.mark.slow
def test_a_killed_boot_test_leaves_no_qemu_running(pxe_dir: Path) -> None:
    """QEMU dies with lfsbuild (PR_SET_PDEATHSIG): before, `kill -9` of boot-test left the VM
    running for good (a booted LFS waits at login: for ever)."""
    import signal
    import sys
    import time
    from conftest import REPO

    p = subprocess.Popen([sys.executable, "-m", "invoke", "boot-test", "--pxe-dir", str(pxe_dir),
                          "--accel", "tcg", "--marker", "never-printed", "--nic", "e1000"],
                         cwd=REPO, env=cli_env(pxe_dir.parent),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def children() -> list[int]:
        return [int(d.name) for d in Path("/proc").glob("[0-9]*")
                if (st := _proc_stat(int(d.name))) and st[1] == str(p.pid) and st[0] != "Z"]

    try:
        deadline = time.monotonic() + 60
        while not children() and time.monotonic() < deadline:
            time.sleep(0.2)
        qemus = children()
        assert qemus, "QEMU never started"
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()

    def alive() -> list[int]:
        return [q for q in qemus if (st := _proc_stat(q)) and st[0] != "Z"]

    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    left = alive()
    for q in left:
        os.kill(q, signal.SIGKILL)     # the old code left it running: end it here
    assert not left, "QEMU outlived a killed boot-test"
