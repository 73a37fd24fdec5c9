"""Prove PXE artifacts boot: QEMU's iPXE ROM -> DHCP -> TFTP/HTTP -> kernel -> initrd -> init.

The VM uses QEMU user-mode networking (no root, no bridge): the guest sees the host's
127.0.0.1 as 10.0.2.2, so a server on the loopback serves the tree. The server is a
pluggable `ServerFactory`; the default is lfsbuild's own BootServer, which reports every
transfer (bytes, time, retransmissions) to the boot's `TransferLog`.

The console watcher records how far the boot got (firmware, loader, kernel, init) so a
failure can be blamed on the right thing: a VM that dies before the firmware loads the
kernel is an emulator problem, a kernel that panics is an artifact problem.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, ContextManager, Iterator

from lfsbuild.children import dies_with_parent
from lfsbuild.errors import BootTestError
from lfsbuild.netboot.serve import BootServer, Transfer
from lfsbuild.netboot.pxe.hostkeys import public_keys, secrets_dir
from lfsbuild.netboot.pxe.manifest import Manifest
from lfsbuild.netboot.pxe.modes import MODES, node_ram_mb
from lfsbuild.tables import format_table

NICS = {"virtio": "virtio-net-pci", "e1000": "e1000", "e1000e": "e1000e", "rtl8139": "rtl8139"}
FIRMWARES = ("bios", "uefi")
TRANSPORTS = ("tftp", "http")
ACCELS = ("auto", "kvm", "tcg")
ROM_DIRS = (Path("/usr/lib/ipxe/qemu"), Path("/usr/share/qemu"))
OVMF_PAIRS = ((Path("/usr/share/OVMF/OVMF_CODE_4M.fd"), Path("/usr/share/OVMF/OVMF_VARS_4M.fd")),
              (Path("/usr/share/OVMF/OVMF_CODE.fd"), Path("/usr/share/OVMF/OVMF_VARS.fd")),
              (Path("/usr/share/edk2/ovmf/OVMF_CODE.fd"), Path("/usr/share/edk2/ovmf/OVMF_VARS.fd")))
GUEST_HOST = "10.0.2.2"

# Console milestones, in boot order: the last one seen says where a failed boot stopped.
STAGES: list[tuple[str, re.Pattern[str]]] = [
    ("firmware", re.compile(r"SeaBIOS|iPXE|BdsDxe|UEFI|EDK II|Press ESC")),
    ("loader", re.compile(r"PXELINUX|GNU GRUB|Welcome to GRUB|Booting .* via iPXE|http://|tftp://")),
    ("kernel", re.compile(r"Linux version|EFI stub|Decompressing Linux")),
    ("init", re.compile(r"Run /init as init process|Freeing unused kernel")),
]
# Stop watching early on these. Loader errors only count before the kernel runs (a booted
# system may well print "Failed to load ..." and carry on).
PANIC = re.compile(r"Kernel panic - not syncing")
# ("....failed:": pxelinux could not load a file and waits at its boot: prompt for good)
LOADER_FATAL = re.compile(r"No bootable device|Could not boot|Failed to load|Exec format error"
                          r"|\.{2,}\s*failed:")
# lfsbuild's own /init (the overlay modes) could not mount the root and sits in a shell:
# the marker will never come. The line before says why.
INIT_FAIL = re.compile(r"lfsbuild /init: dropping to a shell")
INIT_REASON = re.compile(r"lfsbuild /init \([^)\n]*\): [^\r\n]*")
FATAL = re.compile(f"{PANIC.pattern}|{INIT_FAIL.pattern}|{LOADER_FATAL.pattern}")


def is_fatal(text: str) -> bool:
    """True once the console shows the boot cannot go on (pure, for the watcher)."""
    tail = text[-4096:]
    if PANIC.search(tail) or INIT_FAIL.search(tail):
        return True
    return "Linux version" not in text and bool(LOADER_FATAL.search(tail))


@dataclass
class Endpoints:
    """What a running server offers the VM. `tftp_port` None: QEMU's own TFTP serves `root`."""

    root: Path
    tftp_port: int | None
    http_port: int
    transfers: "TransferLog" = field(default_factory=lambda: TransferLog())


@dataclass
class TransferLog:
    """Bytes sent, data blocks resent and the wall-clock window of the transfers, as the
    server reports them (`BootServer(on_transfer=...)`)."""

    bytes: int = 0
    retransmits: int = 0
    count: int = 0
    first: float | None = None
    last: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, t: Transfer) -> None:
        with self.lock:
            self.count += 1
            self.bytes += t.bytes
            self.retransmits += t.retransmits
            start = t.ended - t.seconds
            self.first = start if self.first is None else min(self.first, start)
            self.last = t.ended if self.last is None else max(self.last, t.ended)

    @property
    def seconds(self) -> float | None:
        return None if self.first is None or self.last is None else self.last - self.first


ServerFactory = Callable[[Path], ContextManager[Endpoints]]


@contextlib.contextmanager
def bootserver(root: Path, qemu_tftp: bool = False) -> Iterator[Endpoints]:
    """lfsbuild's own BootServer on 127.0.0.1, free ports, every transfer counted.

    `qemu_tftp`: QEMU's built-in TFTP serves the files instead (GRUB's TFTP client always
    asks port 69 of the next-server, which only QEMU's answers without root); HTTP stays ours.
    """
    transfers = TransferLog()
    with BootServer(root, "127.0.0.1", 0, 0, on_transfer=transfers.record,
                    log=logging.getLogger("lfsbuild.netboot.boot_test.server")) as srv:
        yield Endpoints(root=root, tftp_port=None if qemu_tftp else srv.tftp_port,
                        http_port=int(srv.http_port or 0), transfers=transfers)


@dataclass(frozen=True)
class BootOptions:
    """One boot: which tree, NIC, firmware, transport (tftp: pxelinux/GRUB, http: boot.ipxe)."""

    pxe_dir: Path
    nic: str = "virtio"
    firmware: str = "bios"
    transport: str = "http"
    accel: str = "auto"
    timeout: float = 180.0
    marker: str = "login:"
    memory_mb: int | None = None  # None: enough for the initrd in the manifest (guest_memory_mb)
    log_dir: Path | None = None
    server: ServerFactory | None = None
    qemu: str = "qemu-system-x86_64"
    expect_lease: bool = False  # also require the kernel's own DHCP (ip=dhcp) to have succeeded
    ssh: bool = False           # after the marker, log in over SSH (host port -> guest port 22)
    ssh_key: Path | None = None  # private key for root's login (None: ssh's own defaults/agent)
    ssh_timeout: float = 90.0   # seconds, from the marker, for sshd to answer
    ssh_command: str = "uname -a; cat /etc/hostname"
    mac: str | None = None      # the guest NIC's MAC (a node of the tree's nodes file), else QEMU's


@dataclass
class BootResult:
    nic: str
    firmware: str
    transport: str
    accel: str
    ok: bool
    stage: str
    seconds: float
    console_log: Path
    bytes_transferred: int | None = None
    transfer_seconds: float | None = None
    retransmits: int | None = None    # TFTP data blocks the server had to send again
    tail: list[str] = field(default_factory=list)
    problem: str = ""
    ssh_output: str = ""        # what the SSH command printed (--ssh)
    ssh_port: int | None = None
    # the lab (--network lab): which node, its MAC and the router's lease, transfers counted
    node: str = ""
    mac: str = ""
    lease: str = ""
    transfers: int | None = None
    started: float = 0.0          # wall clock (time.time) at power-on

    @property
    def throughput(self) -> float | None:
        """MB/s over the server's transfer window, where the server could measure it."""
        if not self.bytes_transferred or not self.transfer_seconds:
            return None
        return self.bytes_transferred / self.transfer_seconds / 1e6


# ---------------------------------------------------------------- planning (pure)

def rom_file(nic: str, firmware: str, rom_dirs: tuple[Path, ...] = ROM_DIRS) -> Path:
    """The iPXE ROM QEMU should load: efi-<nic>.rom, a combined BIOS + UEFI image.

    Under SeaBIOS we still let QEMU pick the ROM itself (see `qemu_argv`); we look the
    file up anyway so a missing ipxe-qemu is reported as such.
    """
    name = f"efi-{nic}.rom"
    for d in rom_dirs:
        if (d / name).is_file():
            return d / name
    raise BootTestError(f"the iPXE ROM {name} is not installed (looked in {', '.join(map(str, rom_dirs))})",
                        "install the Debian package ipxe-qemu (apt-get install ipxe-qemu)")


def _romfile(opts: BootOptions) -> str:
    """UEFI: name the EFI iPXE ROM explicitly. BIOS: QEMU's default, because with an
    explicit romfile= SeaBIOS 1.16 (Debian 12) silently skipped the NIC ROM here."""
    rom = rom_file(opts.nic, opts.firmware)
    return f",romfile={rom}" if opts.firmware == "uefi" else ""


def ovmf_files() -> tuple[Path, Path]:
    for code, vars_ in OVMF_PAIRS:
        if code.is_file() and vars_.is_file():
            return code, vars_
    raise BootTestError("no OVMF firmware (OVMF_CODE*.fd + OVMF_VARS*.fd) found for --firmware uefi",
                        "install the Debian package ovmf (apt-get install ovmf)")


def bootfile(opts: BootOptions, ep: Endpoints) -> str:
    """The DHCP boot file iPXE is told about (QEMU's `-netdev user,bootfile=`)."""
    if opts.transport == "http":
        return f"http://{GUEST_HOST}:{ep.http_port}/boot.ipxe"
    name = "pxelinux.0" if opts.firmware == "bios" else "grubnetx64.efi"
    if ep.tftp_port is None:
        return name
    return f"tftp://{GUEST_HOST}:{ep.tftp_port}/{name}"


def qemu_argv(opts: BootOptions, ep: Endpoints, accel: str, vars_copy: Path | None,
              ssh_port: int | None = None) -> list[str]:
    """The full QEMU command line for one boot (pure given its inputs).

    `ssh_port`: a port on the host's 127.0.0.1 (never another address: the guest's sshd is
    nobody else's business) forwarded to the guest's port 22 by user-mode networking.
    """
    netdev = f"user,id=n0,bootfile={bootfile(opts, ep)}"
    if ep.tftp_port is None:
        netdev += f",tftp={ep.root}"
    if ssh_port is not None:
        netdev += f",hostfwd=tcp:127.0.0.1:{ssh_port}-:22"
    memory = opts.memory_mb or guest_memory_mb(opts.pxe_dir)
    argv = [opts.qemu, "-accel", accel, "-m", str(memory), "-display", "none",
            "-machine", "graphics=off", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-netdev", netdev,
            "-device", f"{NICS[opts.nic]},netdev=n0,bootindex=1" + _romfile(opts)
            + (f",mac={opts.mac}" if opts.mac else "")]
    if opts.firmware == "uefi":
        code, _ = ovmf_files()
        argv += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                 "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    return argv


def guest_memory_mb(pxe_dir: Path) -> int:
    """RAM for a guest booting this tree: what manifest.json says a node needs (`invoke pxe`
    computes it per mode: ram needs twice the unpacked tree, squashfs twice the compressed
    image, the NFS modes little). A manifest from before that field gets the ram-mode figure
    from its initrd sizes; no manifest, the 1 GiB minimum."""
    manifest = Manifest.find(pxe_dir)
    if manifest is not None and manifest.node_ram_mb:
        return manifest.node_ram_mb
    compressed = manifest.initrd_bytes if manifest else 0
    unpacked = manifest.unpacked_bytes if manifest else 0
    return node_ram_mb(MODES["ram"], compressed, unpacked)


def validate(opts: BootOptions) -> None:
    for value, allowed, what in ((opts.nic, tuple(NICS), "--nic"), (opts.firmware, FIRMWARES, "--firmware"),
                                 (opts.transport, TRANSPORTS, "--transport"), (opts.accel, ACCELS, "--accel")):
        if value not in allowed:
            raise BootTestError(f"{what} {value!r} is not supported", f"choose one of: {', '.join(allowed)}")
    needed = ["boot.ipxe", "manifest.json"] if opts.transport == "http" else \
        ["pxelinux.0" if opts.firmware == "bios" else "grubnetx64.efi"]
    for name in needed:
        if not (opts.pxe_dir / name).is_file():
            raise BootTestError(f"{opts.pxe_dir / name} is missing",
                                "run `invoke pxe` first (it names any boot loader package the host lacks)")
    if opts.mac is not None and not re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}", opts.mac):
        raise BootTestError(f"--mac {opts.mac!r} is not a MAC address",
                            "write it as six hex pairs with colons, e.g. 52:54:00:12:34:56")
    if shutil.which(opts.qemu) is None:
        raise BootTestError(f"{opts.qemu} is not installed",
                            "install the Debian package qemu-system-x86 (apt-get install qemu-system-x86)")
    if opts.ssh:
        if shutil.which("ssh") is None:
            raise BootTestError("--ssh logs in with the host's OpenSSH client, which is not installed",
                                "install the Debian package openssh-client")
        if not public_keys(secrets_dir(opts.pxe_dir)):
            raise BootTestError(f"--ssh: no SSH host keys in {secrets_dir(opts.pxe_dir)}, so there is "
                                f"nothing to check the guest's host key against",
                                "run `invoke pxe` on a root with an SSH server (it makes the keys)")
        if opts.ssh_key is not None and not opts.ssh_key.is_file():
            raise BootTestError(f"--ssh-key {opts.ssh_key} does not exist",
                                "give the private key whose .pub is in lfs.system.authorized_keys")


# ---------------------------------------------------------------- acting

_KVM_PROBE: dict[str, bool] = {}


def probe_kvm(kernel: Path, qemu: str = "qemu-system-x86_64", timeout: float = 10.0) -> bool:
    """True if a KVM guest really runs: it must boot `kernel` far enough to print its banner.

    /dev/kvm existing proves nothing: on some hosts KVM guests die silently right after
    the firmware. A working KVM prints 'Linux version' in well under a second.
    """
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    key = f"{qemu}:{kernel}"
    if key not in _KVM_PROBE:
        argv = [qemu, "-accel", "kvm", "-m", "256", "-display", "none", "-serial", "stdio",
                "-monitor", "none", "-no-reboot", "-kernel", str(kernel),
                "-append", "console=ttyS0 panic=-1"]
        seen, _, _ = _watch(argv, lambda text: "Linux version" in text, None, timeout)
        _KVM_PROBE[key] = seen
    return _KVM_PROBE[key]


def resolve_accel(opts: BootOptions) -> str:
    if opts.accel != "auto":
        return opts.accel
    kernel = opts.pxe_dir / _manifest_kernel(opts.pxe_dir)
    return "kvm" if kernel.is_file() and probe_kvm(kernel, opts.qemu) else "tcg"


def _manifest_kernel(pxe_dir: Path) -> str:
    manifest = Manifest.find(pxe_dir)
    return manifest.kernel if manifest else "vmlinuz"


def _watch(argv: list[str], done: Callable[[str], bool], log: Path | None,
           timeout: float, after: Callable[[], None] | None = None,
           env: dict[str, str] | None = None) -> tuple[bool, str, int | None]:
    """Run QEMU, feed its console to `done` until it says yes, QEMU exits or time runs out.

    `after` runs once `done` said yes, with the guest still running (the SSH login); the
    console keeps being read into the log meanwhile, or a guest writing to a full pipe would
    stall. QEMU dies with the thread that watches it (PR_SET_PDEATHSIG): a killed lfsbuild
    leaves no VM running. Returns (done?, console text, exit code or None if we stopped it).
    """
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, preexec_fn=dies_with_parent())
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    text = ""
    ok = False
    deadline = time.monotonic() + timeout
    out = open(log, "wb") if log else None
    try:
        while not ok:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            if out:
                out.write(chunk)
                out.flush()
            text += chunk.decode("utf-8", "replace")
            ok = done(text[-200_000:]) if len(text) > 200_000 else done(text)
            if not ok and is_fatal(text):
                time.sleep(0.5)
                break
        if ok and after is not None:
            drain = threading.Thread(target=_drain, args=(fd, out), daemon=True)
            drain.start()
            try:
                after()
            finally:
                proc.terminate()
                drain.join(10)
    finally:
        code = proc.poll()
        if code is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if out:
            out.close()
        proc.stdout.close()
    return ok, text, code


def _drain(fd: int, out: BinaryIO | None) -> None:
    """Copy the console to the log until QEMU closes it (while `after` runs)."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        if out is not None:
            out.write(chunk)
            out.flush()


def _stage(text: str) -> str:
    reached = "none"
    for name, pattern in STAGES:
        if pattern.search(text):
            reached = name
    return reached


def _diagnose(stage: str, exit_code: int | None, text: str, accel: str) -> str:
    """Blame the right thing: emulator, network/loader, or the artifacts themselves."""
    fatal = FATAL.search(text)
    if stage in ("none", "firmware") and exit_code is not None and not fatal:
        return (f"emulator problem: QEMU ({accel}) exited with {exit_code} before the firmware "
                f"loaded anything; this is not a broken artifact (try --accel tcg)")
    if stage == "none":
        return (f"emulator problem: no console output at all with --accel {accel}; the VM "
                "died or hung before the firmware (try --accel tcg)")
    if stage in ("firmware", "loader"):
        why = f" ({fatal.group(0)})" if fatal else ""
        return (f"network boot stopped before the kernel started{why}: check that the tree "
                "holds the files boot.ipxe/pxelinux.cfg name and that the server answered")
    if fatal:
        why = INIT_REASON.search(text) if INIT_FAIL.search(text) else None
        return (f"the kernel started but failed: {(why or fatal).group(0)} (an artifact problem: "
                "kernel, initrd or command line)")
    return "the kernel started but the marker never appeared (check the init of the root tree)"


LEASE_LINE = "IP-Config: Complete"

# ---------------------------------------------------------------- SSH (--ssh)

#: ssh's words for "the host key is not the one we trust": stop at once, this is the answer
HOSTKEY_FAIL = re.compile(r"Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|"
                          r"host key is known for .* and you have requested strict checking")
AUTH_FAIL = re.compile(r"Permission denied \(")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, for QEMU's hostfwd."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def known_hosts(pxe_dir: Path, port: int) -> str:
    """known_hosts lines for the guest as reached through the forwarded port: exactly the
    public host keys `invoke pxe` made for this tree, nothing else."""
    return "".join(f"[127.0.0.1]:{port} {kind} {b64}\n"
                   for kind, b64 in public_keys(secrets_dir(pxe_dir)))


def ssh_argv(port: int, known: Path, key: Path | None, command: str) -> list[str]:
    """The host's ssh with strict host-key checking against `known` only, no config file, no
    password prompt, no agent fallback when a key is given."""
    argv = ["ssh", "-F", "/dev/null", "-p", str(port), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known}",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10",
            "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
    if key is not None:
        argv += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
    return argv + ["root@127.0.0.1", command]


def ssh_verdict(returncode: int, stderr: str) -> str | None:
    """None to try again (sshd not up yet), "" for success, else the reason it failed for good."""
    if returncode == 0:
        return ""
    lines = [l for l in stderr.splitlines() if l.strip() and not l.startswith("@@@")]
    if HOSTKEY_FAIL.search(stderr):
        sent = [l.strip() for l in lines if l.strip().startswith("SHA256:")]
        return ("sshd answered with another host key than the ones `invoke pxe` made for this "
                "tree" + (f" (it sent {sent[0]})" if sent else "") +
                ": the initrd is not the one packed with these keys, or another machine answered")
    if AUTH_FAIL.search(stderr):
        return ("sshd answered with the right host key but refused the login key: is "
                "lfs.system.authorized_keys the public half of --ssh-key? (" +
                (lines[-1].strip() if lines else "") + ")")
    return None


def ssh_login(port: int, known: Path, key: Path | None, command: str,
              timeout: float) -> tuple[bool, str, str]:
    """Log in until it works or `timeout` ends: (ok, stdout, reason). A boot script may start
    sshd after the marker, so "no answer" is retried; a wrong host key is final at once."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            res = subprocess.run(ssh_argv(port, known, key, command), capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=60)
            verdict = ssh_verdict(res.returncode, res.stderr)
            last = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else \
                f"ssh exited with {res.returncode}"
        except subprocess.TimeoutExpired:
            verdict, last = None, "ssh took more than 60 s"
        if verdict == "":
            return True, res.stdout, ""
        if verdict is not None:
            return False, "", verdict
        if time.monotonic() >= deadline:
            return False, "", (f"sshd did not answer on the guest's port 22 (forwarded from "
                               f"127.0.0.1:{port}) within {timeout:.0f} s of the marker; last "
                               f"attempt: {last}")
        time.sleep(2)


def run_boot(opts: BootOptions) -> BootResult:
    """Boot once and report; never raises for a failed boot (see `boot` for that)."""
    validate(opts)
    accel = resolve_accel(opts)
    log_dir = opts.log_dir or opts.pxe_dir.parent / f"{opts.pxe_dir.name}-boot-test"
    log_dir.mkdir(parents=True, exist_ok=True)
    tag = f"{opts.firmware}-{opts.transport}-{opts.nic}"
    log = log_dir / f"console-{tag}.log"
    vars_copy = None
    if opts.firmware == "uefi":
        vars_copy = log_dir / f"OVMF_VARS-{tag}.fd"
        shutil.copyfile(ovmf_files()[1], vars_copy)
    factory = opts.server or bootserver
    if opts.server is None and opts.firmware == "uefi" and opts.transport == "tftp":
        factory = functools.partial(bootserver, qemu_tftp=True)
    port = free_port() if opts.ssh else None
    login: list[tuple[bool, str, str]] = []
    marker_at: list[float] = []  # the time to marker excludes the SSH login that follows it
    after = None
    if port is not None:
        known = log_dir / f"known_hosts-{tag}"
        known.write_text(known_hosts(opts.pxe_dir, port))

        def after() -> None:
            marker_at.append(time.monotonic())
            login.append(ssh_login(port, known, opts.ssh_key, opts.ssh_command, opts.ssh_timeout))
    with factory(opts.pxe_dir) as ep:
        argv = qemu_argv(opts, ep, accel, vars_copy, ssh_port=port)
        start = time.monotonic()
        ok, text, code = _watch(argv, lambda t: opts.marker in t, log, opts.timeout, after=after)
        seconds = (marker_at[0] if marker_at else time.monotonic()) - start
        transfers = ep.transfers
    stage = "marker" if ok else _stage(text)
    problem = "" if ok else _diagnose(stage, code, text, accel)
    ssh_output = ""
    if ok and port is not None:
        logged_in, ssh_output, why = login[0] if login else (False, "", "the login never ran")
        if not logged_in:
            ok, stage, problem = False, "ssh", why
    if ok and opts.expect_lease and LEASE_LINE not in text:
        # the marker alone proves the boot, not the network: a NIC whose driver is missing
        # boots just as well (seen: 8139too refusing QEMU's RTL8139C+)
        ok, stage = False, "no DHCP lease"
        problem = ("the kernel's ip=dhcp got no lease: is the driver of this NIC built into "
                   "the kernel (=y, not a module)?")
    lines = [l for l in text.replace("\r", "\n").splitlines() if l.strip()]
    measured = transfers.first is not None
    return BootResult(nic=opts.nic, firmware=opts.firmware, transport=opts.transport, accel=accel,
                      ok=ok, stage=stage, seconds=seconds, console_log=log,
                      bytes_transferred=transfers.bytes if measured else None,
                      transfer_seconds=transfers.seconds,
                      retransmits=transfers.retransmits if measured else None,
                      tail=lines[-20:], problem=problem,
                      ssh_output=ssh_output, ssh_port=port)


def boot(opts: BootOptions) -> BootResult:
    """Boot once; raise BootTestError with the console tail and log path if no marker."""
    result = run_boot(opts)
    if not result.ok:
        what = ("reached the marker but the kernel got no DHCP lease"
                if result.stage == "no DHCP lease" else
                "reached the marker but the SSH login failed" if result.stage == "ssh" else
                f"did not reach {opts.marker!r} within {opts.timeout:.0f} s "
                f"(last stage: {result.stage})")
        raise BootTestError(
            f"boot test {result.firmware}/{result.transport}/{result.nic} {what}: {result.problem}\n"
            + "\n".join(f"    | {l}" for l in result.tail[-12:]),
            f"full console log: {result.console_log}")
    return result


def boot_matrix(opts: BootOptions, nics: list[str] | None = None) -> list[BootResult]:
    """`--nic all`: boot once per NIC model (same firmware/transport), collect every result."""
    results = []
    for nic in nics or list(NICS):
        results.append(run_boot(BootOptions(**{**opts.__dict__, "nic": nic})))
    return results


def nics_for(value: str) -> list[str]:
    """`--nic all` -> every supported model; `--nic a,b` -> those (validated by `validate`)."""
    return list(NICS) if value == "all" else [n.strip() for n in value.split(",") if n.strip()]


def results_table(results: list[BootResult]) -> str:
    """NIC, firmware, transport, time to marker, bytes, throughput, resent blocks: a row each.

    The server's figures: a slow TFTP boot with many resent blocks points at the NIC model
    (or the network), one without any at the client's lock-step protocol. Lab boots add the
    node, its MAC, the router's lease and the number of transfers the server reported.
    """
    lab = any(r.node for r in results)
    head = (("node", "MAC", "lease") if lab else ()) + (
        "NIC", "firmware", "transport", "accel", "result", "to marker", "transferred",
        "throughput", "resent") + (("transfers",) if lab else ())
    rows = []
    for r in results:
        row = ((r.node, r.mac, r.lease or "none") if lab else ()) + (
            r.nic, r.firmware, r.transport, r.accel, "ok" if r.ok else f"FAIL ({r.stage})",
            f"{r.seconds:.1f} s",
            "-" if r.bytes_transferred is None else f"{r.bytes_transferred / 1e6:.1f} MB",
            "-" if r.throughput is None else f"{r.throughput:.1f} MB/s",
            "-" if r.retransmits is None else str(r.retransmits))
        rows.append(row + (("-" if r.transfers is None else str(r.transfers),) if lab else ()))
    return format_table(head, rows)
