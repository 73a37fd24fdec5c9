"""A real NFS server for boot tests: nfs-ganesha (user space: this machine's kernel has no nfsd)
with rpcbind, in a network + mount namespace of their own, never on the host's network.

Why a namespace: rpcbind must listen on port 111 and ganesha registers with it through
/run/rpcbind.sock; on the host that would be a system service shared with everyone. Inside a
fresh network namespace (only `lo`) with a private /run, both are the test's alone, and QEMU's
user-mode network, started in the same namespace (`in_ns`), reaches them as 10.0.2.2: slirp
connects to the namespace's 127.0.0.1 (checked: TCP and UDP to rpcbind, ganesha's NFS and
MOUNT ports). Everything is started by PID and stopped by PID; the namespace goes with them.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from conftest import need, need_root

NEEDS = ("ganesha.nfsd", "rpcbind", "rpcinfo", "unshare", "nsenter", "ip")


def require_nfs_server() -> None:
    need(*NEEDS, package="nfs-ganesha nfs-ganesha-vfs rpcbind iproute2 util-linux")
    need_root("a network namespace for the NFS server")


@dataclass
class NfsServer:
    holder: subprocess.Popen
    workdir: Path
    pids: list[int]

    def in_ns(self, argv: list[str], cwd: Path | None = None) -> list[str]:
        """`argv` run inside the server's network and mount namespaces (in `cwd`, else the
        caller's working directory)."""
        return ["nsenter", "-t", str(self.holder.pid), "-n", "-m", f"--wd={cwd or os.getcwd()}",
                "--", *argv]

    def registered(self) -> bool:
        """rpcbind answers in the namespace and lists ganesha's NFS and MOUNT programs."""
        probe = subprocess.run(self.in_ns(["rpcinfo", "-p", "127.0.0.1"]),
                               capture_output=True, text=True)
        return " nfs" in probe.stdout and " mountd" in probe.stdout

    def alive(self) -> bool:
        """The namespace, rpcbind and ganesha still run and NFS is registered: a boot that
        fails while this is False failed for the server's sake, not the guest's."""
        if self.holder.poll() is not None:
            return False
        for pid in self.pids[1:]:
            try:   # /proc/PID/stat: "pid (comm) state ..."; a zombie has exited
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                return False
            if state in ("Z", "X"):
                return False
        return self.registered()

    def log(self) -> str:
        path = self.workdir / "ganesha.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


@contextlib.contextmanager
def nfs_server(config: Path, workdir: Path) -> Iterator[NfsServer]:
    """ganesha with `config` (the ganesha.conf `invoke pxe` wrote) and rpcbind, in a fresh
    namespace; yields when the NFS program is registered with rpcbind."""
    require_nfs_server()
    workdir.mkdir(parents=True, exist_ok=True)
    # the holder: new net + mount namespace, lo up, a private /run (rpcbind's socket) and a
    # private ganesha state directory; then it waits to be killed
    script = ("ip link set lo up && mount -t tmpfs nfs-test-run /run && "
              "mkdir -p /var/lib/nfs/ganesha && "
              f"mount -t tmpfs nfs-test-state /var/lib/nfs/ganesha && touch {workdir}/ready && "
              "exec sleep 3600")
    holder = subprocess.Popen(["unshare", "--net", "--mount", "--propagation", "private", "--",
                               "sh", "-c", script], stdin=subprocess.DEVNULL)
    pids = [holder.pid]
    server = NfsServer(holder, workdir, pids)
    try:
        deadline = time.monotonic() + 10
        while not (workdir / "ready").exists():
            if holder.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the namespace for the NFS server did not come up")
            time.sleep(0.05)
        rpcbind = subprocess.Popen(server.in_ns(["rpcbind", "-f", "-w"]),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        pids.append(rpcbind.pid)
        time.sleep(0.3)
        ganesha = subprocess.Popen(server.in_ns(
            ["ganesha.nfsd", "-F", "-L", str(workdir / "ganesha.log"), "-f", str(config),
             "-p", str(workdir / "ganesha.pid")]), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pids.append(ganesha.pid)
        deadline = time.monotonic() + 30
        while not server.registered():
            if ganesha.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("ganesha did not start:\n" + server.log()[-3000:])
            time.sleep(0.3)
        yield server
    finally:
        for pid in reversed(pids[1:]):
            _stop(pid)
        for pid in reversed(pids[1:]):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        _stop(holder.pid)
        holder.wait(10)
