"""`invoke serve --proxy-dhcp IFACE`: dnsmasq as a proxy-DHCP child of lfsbuild's server.

One command on the user's own network, with no change to the router's DHCP (what pixiecore
offers, with the real component): the tree's generated dnsmasq.conf, its FILL IN lines set
from the interface's IPv4 address, the TFTP lines removed (lfsbuild serves TFTP and HTTP
itself), run as `dnsmasq` in proxy mode: DHCP only, no DNS (`port=0`), no TFTP.

dnsmasq drops root after binding its ports, and a changed uid clears PR_SET_PDEATHSIG, so
the death signal alone would not hold it. It runs instead as the child of a root shell that
is PID 1 of its own PID namespace (`unshare --pid --fork --kill-child`, the shell with the
death signal): when lfsbuild dies, however, the shell dies, the namespace goes, and dnsmasq
with it.
"""
from __future__ import annotations

import errno
import ipaddress
import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lfsbuild.children import dies_with_parent
from lfsbuild.errors import ServeError
from lfsbuild.netboot.pxe import dnsmasq as conf

DHCP_PORTS = (67, 4011)   # DHCP, and the PXE boot server discovery port a proxy answers on
SBIN = ("/usr/sbin", "/sbin")
START_WAIT = 5.0


def find_dnsmasq() -> str:
    """dnsmasq's path (also in /usr/sbin when that is not on PATH), or a ServeError naming
    the package."""
    found = shutil.which("dnsmasq") or next(
        (f"{d}/dnsmasq" for d in SBIN if os.access(f"{d}/dnsmasq", os.X_OK)), None)
    if not found:
        raise ServeError("dnsmasq is not installed (needed for --proxy-dhcp)",
                         "install the Debian package dnsmasq-base (apt-get install dnsmasq-base)")
    return found


def interface_ipv4(iface: str) -> ipaddress.IPv4Interface:
    """The first IPv4 address of `iface` with its prefix (from iproute2's JSON output)."""
    ip = shutil.which("ip") or next((f"{d}/ip" for d in SBIN if os.access(f"{d}/ip", os.X_OK)), None)
    if not ip:
        raise ServeError("the ip tool is not installed (needed for --proxy-dhcp)",
                         "install the Debian package iproute2")
    r = subprocess.run([ip, "-j", "-4", "addr", "show", "dev", iface], capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        raise ServeError(f"--proxy-dhcp {iface}: no such network interface "
                         f"({r.stderr.strip() or 'ip addr failed'})",
                         "name the interface facing the PXE clients (see `ip -br addr`)")
    for link in json.loads(r.stdout or "[]"):
        for a in link.get("addr_info", []):
            if a.get("family") == "inet":
                return ipaddress.IPv4Interface(f"{a['local']}/{a['prefixlen']}")
    raise ServeError(f"--proxy-dhcp {iface}: the interface has no IPv4 address",
                     "give it one (the router's DHCP or a static address) before serving; "
                     "proxy DHCP answers on the network of that address")


def check_ports_free(ports: tuple[int, ...] = DHCP_PORTS) -> None:
    """Refuse when another program already listens on UDP 67 or 4011 (another DHCP server or
    proxy here): two answering the same clients is a network nobody can debug."""
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("0.0.0.0", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"--proxy-dhcp: something else already listens on UDP port {port} "
                                 f"({'DHCP' if port == 67 else 'PXE boot server discovery'})",
                                 "stop the other DHCP/proxy-DHCP server on this machine "
                                 "(`ss -lunp` shows which), or serve without --proxy-dhcp") from None
            if exc.errno == errno.EACCES:
                raise ServeError(f"--proxy-dhcp needs root (UDP port {port})",
                                 "run `sudo invoke serve --proxy-dhcp ...`") from None
            raise
        finally:
            s.close()


def _in_use(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("0.0.0.0", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


@dataclass(frozen=True)
class ProxyPlan:
    """What `--proxy-dhcp` will run: the filled-in configuration and the server it names."""

    interface: str
    address: ipaddress.IPv4Interface
    text: str


def plan(tree: Path, interface: str, address: ipaddress.IPv4Interface, http_port: int | None,
         tftp_port: int) -> ProxyPlan:
    """Fill the tree's dnsmasq.conf in for `interface` at `address` (pure but for reading the
    file), refusing a tree made for another server or port."""
    gen = conf.read(tree)
    server = str(address.ip)
    if gen.server not in (None, server):
        raise ServeError(f"{gen.path} sends iPXE clients to {gen.server}, but {interface} has "
                         f"{server}", f"run `invoke pxe --server {server}` (or without --server) "
                         "so the tree names this machine")
    if http_port != gen.http_port:
        raise ServeError(f"{gen.path} sends iPXE clients to HTTP port {gen.http_port}, but the "
                         f"server's HTTP port is {http_port or 'off'}",
                         f"serve with --http-port {gen.http_port}, or run `invoke pxe "
                         f"--http-port {http_port}`")
    if tftp_port != 69:
        raise ServeError(f"--proxy-dhcp with --tftp-port {tftp_port}: PXE firmware only asks port 69",
                         "serve TFTP on port 69 (the default)")
    text = conf.fill_in(gen, conf.FillIn(interface=interface, network=address.network,
                                         server=server, tftp_root=None))
    return ProxyPlan(interface, address, text)


class ProxyDhcp:
    """dnsmasq in proxy-DHCP mode for the life of this object (and never beyond lfsbuild's)."""

    def __init__(self, tree: Path, interface: str, http_port: int | None, tftp_port: int = 69,
                 log: logging.Logger | None = None) -> None:
        self.tree, self.interface = tree, interface
        self.http_port, self.tftp_port = http_port, tftp_port
        self.log = log or logging.getLogger("lfsbuild.netboot.serve.proxydhcp")
        self.proc: subprocess.Popen | None = None
        self._dir: str | None = None
        self._output: list[str] = []
        self._plan: ProxyPlan | None = None
        self._exe = self._unshare = ""

    def prepare(self) -> ProxyPlan:
        """Every check, nothing started: dnsmasq, root, the interface, the tree, the ports."""
        self._exe = find_dnsmasq()
        self._unshare = shutil.which("unshare") or ""
        if not self._unshare:
            raise ServeError("unshare is not installed", "install the Debian package util-linux")
        if os.geteuid() != 0:
            raise ServeError("--proxy-dhcp needs root (DHCP port 67)",
                             "run `sudo invoke serve --proxy-dhcp ...`")
        self._plan = plan(self.tree, self.interface, interface_ipv4(self.interface),
                          self.http_port, self.tftp_port)
        check_ports_free()
        return self._plan

    def start(self) -> ProxyDhcp:
        p = self._plan or self.prepare()
        exe, unshare = self._exe, self._unshare
        self._dir = tempfile.mkdtemp(prefix="lfsbuild-proxy-dhcp-")
        path = Path(self._dir) / "dnsmasq.conf"
        path.write_text(p.text)
        argv = [unshare, "--pid", "--fork", "--kill-child", "--", "/bin/sh", "-c",
                '"$@" & wait $!', "lfsbuild-proxy-dhcp", exe, "--keep-in-foreground",
                f"--conf-file={path}", "--log-facility=-", "--pid-file="]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, errors="replace",
                                     preexec_fn=dies_with_parent())
        threading.Thread(target=self._forward, daemon=True).start()
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader take dnsmasq's last words
                out = " | ".join(self._output[-5:]) or "no output"
                self.stop()
                raise ServeError(f"dnsmasq (proxy DHCP on {self.interface}) exited at once: {out}",
                                 f"the configuration it ran is the tree's {conf.CONF} filled in for "
                                 f"{p.address}")
            if all(_in_use(port) for port in DHCP_PORTS):
                self.log.info("proxy DHCP on %s (%s): dnsmasq from %s/%s", self.interface,
                              p.address, self.tree, conf.CONF)
                return self
            time.sleep(0.1)
        self.stop()
        raise ServeError(f"dnsmasq did not open UDP ports 67 and 4011 within {START_WAIT:.0f} s",
                         "see its output above")

    def _forward(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.rstrip()
            self._output.append(line)
            del self._output[:-50]
            self.log.info("%s", line)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()   # unshare: its child, PID 1, gets SIGKILL, and the namespace goes
            self.proc.wait()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> ProxyDhcp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
