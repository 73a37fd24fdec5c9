"""`invoke boot-test --network lab`: a homelab's layer-2 network in namespaces, torn down by the kernel.

QEMU's user-mode network answers DHCP itself; a real network does not. The lab builds one:
a bridge, a *router* (dnsmasq handing out addresses and nothing about PXE: the pfSense stand-in),
a *boot server* running the tree's own generated dnsmasq.conf in proxy-DHCP mode (filled in
as the user is told to, nothing else changed) next to the chosen file server (`tftpd-hpa`
serving the tree as Foreman's smart proxy does, dnsmasq's own TFTP, or `invoke serve
--proxy-dhcp`), and N QEMU nodes on taps, each with its own MAC.

Lifetime: the whole lab lives in one new PID + network + mount namespace whose PID 1 is
tied to lfsbuild (`unshare --pid --fork --kill-child --net --mount`, started with
PR_SET_PDEATHSIG). The router and the boot server get nested network namespaces, made
persistent only by bind mounts inside the lab's own mount namespace (no `ip netns add`: the
host's /run/netns never sees them), joined to the bridge by veth pairs. When PID 1 dies, on
success, failure, Ctrl-C or SIGKILL of lfsbuild alike, the kernel kills every process of
the lab, and with the last of them go the namespaces, veths, taps and the bridge.

`plan_lab` is pure (addresses, MACs, interface names, the filled-in configuration, every
command line); `Lab` only carries it out.
"""
from __future__ import annotations

import ipaddress
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from lfsbuild.children import dies_with_parent
from lfsbuild.errors import BootTestError
from lfsbuild.netboot import boot_test as bt
from lfsbuild.netboot.pxe import dnsmasq as conf
from lfsbuild.netboot.pxe.layouts import PER_MAC_RE
from lfsbuild.netboot.serve.transfers import Transfer, read_transfer_log

SERVERS = ("lfsbuild", "tftpd-hpa", "dnsmasq")
NETWORKS = ("user", "lab")
MAX_NODES = 16
DEFAULT_NETWORK = ipaddress.IPv4Network("10.77.0.0/24")
MAC_PREFIX = "52:54:00:4c:42"           # node k: 52:54:00:4c:42:0k
LAB_ENV = "LFSBUILD_LAB"                # every lab process carries it (tests look for leftovers)
BRIDGE = "labbr0"
INNER_IF = "eth0"                       # the router's and the boot server's interface
SERVE_ROOT = "/srv/tftp"                # the tree, where Debian's tftpd-hpa keeps its root
READY_WAIT = 20.0
# The router also advertises an IPv6 prefix (router advertisements only: no DHCPv6, and
# nothing beyond the lab), as a home router or pfSense does on a dual-stack LAN. iPXE (with IPv6,
# as Debian's and QEMU's ROMs are) configures IPv4 by DHCP and IPv6 by router solicitation
# side by side, and "Configuring (net0 ...)" only ends when both have: on a network where
# no router answers, it solicits at 0, 0.25, 0.75, 1.75, 3.75 and 7.75 s (timeouts doubling
# from 0.25 s), waits 8 s more and gives up as the next timeout (16 s) would exceed its 10 s
# maximum (src/net/ndp.c; DEFAULT_MIN_TIMEOUT, DEFAULT_MAX_TIMEOUT in include/ipxe/retry.h):
# 15.75 s of dots before every boot, whatever DHCP does. A unique local prefix (RFC 4193).
ROUTER_IPV6 = ipaddress.IPv6Interface("fd4c:4277::1/64")

# tool -> Debian package that provides it
TOOLS = {"unshare": "util-linux", "nsenter": "util-linux", "setpriv": "util-linux",
         "ip": "iproute2", "ss": "iproute2", "dnsmasq": "dnsmasq-base"}
SERVER_TOOLS = {"tftpd-hpa": {"in.tftpd": "tftpd-hpa"}}


@dataclass(frozen=True)
class LabOptions:
    """What the lab runs. `router`/`proxy`/`file_server` False leave that part out (how the
    failure modes are shown). `serve_command` runs `invoke serve` (the front end knows how)."""

    server: str = "lfsbuild"
    nodes: int = 1
    router: bool = True
    proxy: bool = True
    file_server: bool = True
    serve_command: tuple[str, ...] = ()
    nics: tuple[str, ...] = ()              # several: one round of nodes per NIC (--nic all)


@dataclass(frozen=True)
class Node:
    index: int
    mac: str
    tap: str

    @property
    def name(self) -> str:
        return f"node{self.index}"


@dataclass(frozen=True)
class Service:
    """A long-running program in the router's or the boot server's namespace, and the ports
    (proto, port) that say it is ready."""

    name: str
    netns: str                          # "router" | "server"
    argv: tuple[str, ...]
    ports: tuple[tuple[str, int], ...]

    @property
    def log(self) -> str:
        """Its log file's name in the lab's directory."""
        return self.name.replace("invoke ", "").replace(" --", "-").replace(" ", "-") + ".log"


@dataclass(frozen=True)
class LabPlan:
    network: ipaddress.IPv4Network
    router: ipaddress.IPv4Interface
    server: ipaddress.IPv4Interface
    dhcp_range: tuple[str, str]
    http_port: int
    nodes: tuple[Node, ...]
    plain_pxe: bool
    proxy_conf: str                     # the tree's dnsmasq.conf, filled in
    setup: str                          # shell script run inside the lab before the services
    services: tuple[Service, ...]
    ns_dir: str                         # where the nested namespaces are bound (lab's mounts)


# ---------------------------------------------------------------- planning (pure)

def node_mac(index: int) -> str:
    return f"{MAC_PREFIX}:{index:02x}"


def addresses(gen_server: str | None) -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Interface,
                                               ipaddress.IPv4Interface, tuple[str, str]]:
    """Network, router, boot server and DHCP range. A tree made with `invoke pxe --server X`
    names X in its scripts, so the lab's boot server becomes X (a private address only:
    everything stays inside the lab, but a public address there would still be wrong)."""
    if gen_server is None:
        net = DEFAULT_NETWORK
        server = net.network_address + 2
    else:
        try:
            server = ipaddress.IPv4Address(gen_server)
        except ValueError:
            raise BootTestError(f"the tree's dnsmasq.conf names the server {gen_server!r}, "
                                "not an IPv4 address", "run `invoke pxe --server ADDRESS` "
                                "with an address, or without --server") from None
        if not server.is_private:
            raise BootTestError(f"the tree was made for the server {server}, not a private "
                                "address: the lab only uses private addresses",
                                "run `invoke pxe` without --server (or with a private address) "
                                "for the lab")
        net = ipaddress.IPv4Network(f"{server}/24", strict=False)
    host = int(server) - int(net.network_address)
    router = net.network_address + (254 if host == 1 else 1)
    lo, hi = (200, 249) if 100 <= host <= 199 else (100, 199)
    return (net, ipaddress.IPv4Interface(f"{router}/{net.prefixlen}"),
            ipaddress.IPv4Interface(f"{server}/{net.prefixlen}"),
            (str(net.network_address + lo), str(net.network_address + hi)))


def check_options(boot: bt.BootOptions, lab: LabOptions) -> None:
    """Refuse what the lab cannot show, with the reason (pure)."""
    if lab.server not in SERVERS:
        raise BootTestError(f"--server {lab.server!r} is not supported",
                            f"choose one of: {', '.join(SERVERS)}")
    if not 1 <= lab.nodes <= MAX_NODES:
        raise BootTestError(f"--nodes {lab.nodes}: the lab runs 1 to {MAX_NODES} nodes",
                            "each node is a QEMU with its own RAM; 4 is plenty on a small machine")
    if boot.transport == "http" and lab.server != "lfsbuild":
        raise BootTestError(f"--server {lab.server} serves TFTP only, and --transport http sends "
                            "iPXE to boot.ipxe over HTTP",
                            "use --transport tftp (plain PXE: pxelinux), or --server lfsbuild "
                            "(TFTP and HTTP)")
    if boot.expect_lease:
        raise BootTestError("--expect-lease is for --network user",
                            "in the lab the router's lease file shows each node's lease (the "
                            "table's lease column)")
    if boot.firmware == "uefi" and boot.transport == "tftp":
        raise BootTestError(
            "--firmware uefi --transport tftp over the lab: Debian 12's GRUB (2.06) takes its "
            "TFTP server from the router's DHCP answer, not from the proxy's, so behind proxy "
            "DHCP it never finds grub.cfg",
            "use --transport http (UEFI iPXE loads boot.ipxe over HTTP), or give the router's "
            "DHCP the boot server as next-server for UEFI clients")


def plan_lab(boot: bt.BootOptions, lab: LabOptions, gen: conf.Generated, workdir: Path) -> LabPlan:
    """Every address, name, configuration and command line of the lab (pure)."""
    check_options(boot, lab)
    net, router, server, (lo, hi) = addresses(gen.server)
    nodes = tuple(Node(i, node_mac(i), f"labtap{i}") for i in range(1, lab.nodes + 1))
    plain = boot.transport == "tftp"
    serves_tftp = lab.server == "dnsmasq" and lab.file_server
    proxy_conf = conf.fill_in(gen, conf.FillIn(
        interface=INNER_IF, network=net, server=str(server.ip),
        tftp_root=SERVE_ROOT if serves_tftp else None,
        plain_pxe=tuple(n.mac for n in nodes) if plain else ()))
    ns_dir = "/srv/ns"
    setup = setup_script(boot.pxe_dir, workdir, router, server, nodes, ns_dir)
    dnsmasq_common = ("dnsmasq", "--keep-in-foreground", "--log-facility=-", "--pid-file=")
    services: list[Service] = []
    if lab.router:
        services.append(Service("router", "router", dnsmasq_common + (
            "--conf-file=/dev/null", "--port=0", f"--interface={INNER_IF}", "--bind-interfaces",
            f"--dhcp-range={lo},{hi},{net.netmask},1h", "--dhcp-authoritative", "--log-dhcp",
            "--enable-ra", f"--dhcp-range={ROUTER_IPV6.network.network_address},ra-only,"
            f"{ROUTER_IPV6.network.prefixlen}",
            f"--dhcp-leasefile={workdir / 'router.leases'}"), (("udp", 67),)))
    proxy_ports = (("udp", 67), ("udp", 4011))
    tftp = (("udp", 69),)
    http = (("tcp", gen.http_port),)
    dnsmasq_proxy = Service("proxy-dhcp", "server", dnsmasq_common + (
        f"--conf-file={SERVE_ROOT}/{conf.CONF}",), proxy_ports + (tftp if serves_tftp else ()))
    if lab.server == "lfsbuild":
        serve = tuple(lab.serve_command) + (
            "serve", "--root", SERVE_ROOT, "--bind", "0.0.0.0", "--tftp-port", "69",
            "--http-port", str(gen.http_port), "--transfer-log", str(workdir / "transfers.jsonl"))
        if lab.file_server:
            if lab.proxy:
                services.append(Service("invoke serve --proxy-dhcp", "server",
                                        serve + ("--proxy-dhcp", INNER_IF), proxy_ports + tftp + http))
            else:
                services.append(Service("invoke serve", "server", serve, tftp + http))
        elif lab.proxy:
            services.append(dnsmasq_proxy)
    else:
        if lab.proxy:
            services.append(dnsmasq_proxy)
        if lab.file_server and lab.server == "tftpd-hpa":
            # in the foreground (-L), chrooted into the tree (-s), as Foreman's smart proxy runs it
            services.append(Service("tftpd-hpa", "server", (
                "in.tftpd", "-L", "-s", SERVE_ROOT, "-a", f"{server.ip}:69"), tftp))
        elif lab.file_server and not lab.proxy:
            services.append(Service("dnsmasq tftp", "server", dnsmasq_common + (
                "--conf-file=/dev/null", "--port=0", "--enable-tftp", f"--tftp-root={SERVE_ROOT}"),
                tftp))
    return LabPlan(network=net, router=router, server=server, dhcp_range=(lo, hi),
                   http_port=gen.http_port, nodes=nodes, plain_pxe=plain, proxy_conf=proxy_conf,
                   setup=setup, services=tuple(services), ns_dir=ns_dir)


def setup_script(tree: Path, workdir: Path, router: ipaddress.IPv4Interface,
                 server: ipaddress.IPv4Interface, nodes: tuple[Node, ...], ns_dir: str) -> str:
    """The shell script that builds the network inside the lab (its mounts, its namespaces).

    The tree is bound read-only at /srv/tftp and the nested namespaces' files under /srv/ns,
    on a tmpfs over /srv that exists only in the lab's mount namespace: every service sees
    the tree where a Debian server keeps it, whatever the permissions above the user's tree.
    """
    q = shlex.quote
    stage = q(str(workdir / "mnt"))
    lines = [
        "set -e",
        # bind the tree before covering /srv: it may well live below /srv
        f"mount -t tmpfs -o mode=0755 lfsbuild-lab {stage}",
        f"mkdir {stage}/tftp {stage}/ns",
        f"mount --bind {q(str(tree))} {stage}/tftp",
        # the tree's dnsmasq.conf as the user edits it (FILL IN lines, plainpxe hosts): seen
        # only in here, the tree on disk stays as `invoke pxe` wrote it
        f"mount --bind {q(str(workdir / conf.CONF))} {stage}/tftp/{conf.CONF}",
        f"mount -o remount,bind,ro {stage}/tftp/{conf.CONF}",
        f"mount -o remount,bind,ro {stage}/tftp",
        f"mount --rbind {stage} /srv",
        "ip link set lo up",
        f"ip link add {BRIDGE} type bridge",
        f"ip link set {BRIDGE} up",
    ]
    for name, addr in (("router", router), ("server", server)):
        ns = f"{ns_dir}/{name}"
        lines += [
            f"touch {ns}",
            f"unshare --net={ns} true",
            f"ip link add lab-{name} type veth peer name {INNER_IF} netns {ns}",
            f"ip link set lab-{name} master {BRIDGE}",
            f"ip link set lab-{name} up",
            f"nsenter --net={ns} ip link set lo up",
            f"nsenter --net={ns} ip addr add {addr} dev {INNER_IF}",
            f"nsenter --net={ns} ip link set {INNER_IF} up",
        ]
        if name == "router":    # the prefix it advertises (see ROUTER_IPV6)
            lines.append(f"nsenter --net={ns} ip -6 addr add {ROUTER_IPV6} dev {INNER_IF} nodad")
    for n in nodes:
        lines += [f"ip tuntap add mode tap name {n.tap}",
                  f"ip link set {n.tap} master {BRIDGE}",
                  f"ip link set {n.tap} up"]
    return "\n".join(lines) + "\n"


def node_argv(boot: bt.BootOptions, node: Node, accel: str, vars_copy: Path | None) -> list[str]:
    """QEMU for one node: the boot test's command line with a tap and the node's MAC."""
    ep = bt.Endpoints(root=boot.pxe_dir, tftp_port=None, http_port=0)
    argv = bt.qemu_argv(boot, ep, accel, vars_copy)
    i = argv.index("-netdev")
    argv[i + 1] = f"tap,id=n0,ifname={node.tap},script=no,downscript=no"
    j = argv.index("-device", i)
    argv[j + 1] = argv[j + 1].replace("netdev=n0,", f"netdev=n0,mac={node.mac},", 1)
    return argv


def parse_leases(text: str) -> dict[str, str]:
    """dnsmasq's lease file (`expiry mac ip name client-id` per line) -> {mac: ip}."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out[parts[1].lower()] = parts[2]
    return out


# iPXE's and pxelinux's words for each way a network boot fails
_NO_OFFER = "No configuration methods"          # iPXE: no DHCP offer it could use
_NOTHING = "Nothing to boot"                    # iPXE: an address, but no boot file named
_UNREACHABLE = ("Connection refused", "Connection timed out", "Connection reset")
_MISSING = (re.compile(r"Loading (\S+?)\.{2,}\s*failed"),   # pxelinux
            re.compile(r"(\S+?)\.{3,}\s*(?:No such file or directory|Not found|Permission denied)"))


def lab_problem(text: str, lease: str | None, plan: LabPlan, lab: LabOptions,
                tree: Path | None = None) -> str | None:
    """Say which part of the network failed a node that never started its kernel; None when
    the network is not to blame (then the boot test's own diagnosis stands). Pure but for one
    look into `tree` (the served tree) at a file the loader could not get: a file that is
    there but not readable by every user is refused by tftpd-hpa and dnsmasq as not found."""
    if "Linux version" in text:
        return None
    server = str(plan.server.ip)
    asked = "Next server" in text or "PXEBS" in text or "Filename" in text
    if lease is None and not asked and (_NO_OFFER in text or "Configuring" in text):
        return ("no DHCP offer: the node got no address. Is a DHCP server (the router) "
                f"running on this network?{'' if lab.router else ' (the lab ran without one)'}")
    if _NOTHING in text or (lease and not asked):
        return (f"the node got the address {lease or '?'} from the router but no boot file: "
                f"the proxy DHCP (the tree's dnsmasq.conf on {server}) did not answer"
                + ("" if lab.proxy else " (the lab ran without it)"))
    for line in reversed(text.replace("\r", "\n").splitlines()):
        for pattern in _MISSING:
            m = pattern.search(line)
            if m and not PER_MAC_RE.search(m.group(1)):  # a machine's own: optional
                return _unreadable(tree, m.group(1)) or (
                    f"a boot file is missing from the tree: {m.group(1)} "
                    "(run `invoke pxe` again, or check the file the configuration names)")
        hit = next((s for s in _UNREACHABLE if s in line), None)
        if hit:
            who = "lfsbuild's server (invoke serve)" if lab.server == "lfsbuild" else lab.server
            return (f"the file server on {server} did not answer ({hit}): is {who} running?"
                    + ("" if lab.file_server else " (the lab ran without it)"))
    return None


def _unreadable(tree: Path | None, name: str) -> str | None:
    try:
        mode = (tree / name.lstrip("/")).stat().st_mode if tree is not None else None
    except OSError:
        return None
    if mode is None or mode & 0o004:
        return None
    return (f"the file server would not send {name}: it is in the tree but not readable by "
            f"every user (mode {mode & 0o777:o}), and tftpd-hpa and dnsmasq serve only such files "
            f"(chmod a+r it; a copy made under a umask like 027 has this mode)")


# ---------------------------------------------------------------- acting

def missing_tools(lab: LabOptions) -> list[str]:
    """`tool (Debian package)` for each tool the lab needs and this host lacks."""
    tools = dict(TOOLS, **SERVER_TOOLS.get(lab.server, {}))
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [f"{t} ({pkg})" for t, pkg in tools.items() if shutil.which(t, path=path) is None]


def preflight(boot: bt.BootOptions, lab: LabOptions) -> conf.Generated:
    """Root, tools, the tree and the options, before anything is created."""
    check_options(boot, lab)
    if os.geteuid() != 0:
        raise BootTestError("--network lab needs root (network namespaces, a bridge, taps, "
                            "DHCP on port 67)", "run it as root: sudo invoke boot-test --network lab ...")
    missing = missing_tools(lab)
    if missing:
        raise BootTestError(f"--network lab needs tools this host lacks: {', '.join(missing)}",
                            "apt-get install " + " ".join(sorted({m.split('(')[1][:-1] for m in missing})))
    if not Path("/srv").is_dir():
        raise BootTestError("/srv does not exist: the lab mounts the tree there, inside its own "
                            "mount namespace", "create the directory /srv (it stays empty)")
    for nic in lab.nics or (boot.nic,):
        bt.validate(replace(boot, nic=nic))
    try:
        return conf.read(boot.pxe_dir)
    except Exception as exc:  # PxeError: same words, the boot test's error class
        raise BootTestError(str(getattr(exc, "message", exc)), getattr(exc, "hint", None)) from None


class Lab:
    """The running lab: PID 1 of its namespaces, its services, and the way to enter it."""

    def __init__(self, plan: LabPlan, workdir: Path, token: str) -> None:
        self.plan, self.workdir, self.token = plan, workdir, token
        self.env = dict(os.environ, **{LAB_ENV: token})
        self.env["PATH"] = self.env.get("PATH", "") + ":/usr/sbin:/sbin"
        self.holder: subprocess.Popen | None = None
        self.pid1 = 0
        self.services: list[tuple[Service, subprocess.Popen]] = []

    # -- entering the lab
    def inside(self, argv: list[str] | tuple[str, ...], netns: str | None = None,
               pid: bool = True) -> list[str]:
        """`argv` run inside the lab (and inside the router's or server's namespace)."""
        pre = ["nsenter", "-t", str(self.pid1), "-n", "-m"] + (["-p"] if pid else []) + ["--"]
        if netns:
            pre += ["nsenter", f"--net={self.plan.ns_dir}/{netns}", "--"]
        return pre + list(argv)

    def run(self, argv: list[str], what: str, netns: str | None = None) -> str:
        r = subprocess.run(self.inside(argv, netns), capture_output=True, text=True,
                           env=self.env, timeout=60)
        if r.returncode != 0:
            raise BootTestError(f"lab: {what} failed: {(r.stderr or r.stdout).strip()[-600:]}",
                                "the lab needs root, bridges, veth and tun/tap in this kernel")
        return r.stdout

    # -- life
    def start(self) -> Lab:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "mnt").mkdir(exist_ok=True)
        for pattern in ("*.log", "*.leases", "*.jsonl"):  # a previous lab's (ours alone)
            for stale in self.workdir.glob(pattern):
                stale.unlink()
        (self.workdir / "dnsmasq.conf").write_text(self.plan.proxy_conf)
        # PID 1 of the lab: a root shell (keeps the death signal unshare gives it), named so
        # `ps` shows whose it is
        self.holder = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--kill-child", "--net", "--mount", "--mount-proc",
             "--", "/bin/sh", "-c", "while :; do sleep 3600; done", f"lfsbuild-lab-{self.token}"],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=dies_with_parent(), start_new_session=True)
        self.pid1 = self._child_of(self.holder.pid)
        self.run(["sh", "-c", self.plan.setup], "building the network")
        for svc in self.plan.services:
            log = open(self.log_path(svc), "wb")
            proc = subprocess.Popen(self.inside(svc.argv, svc.netns), env=self.env,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    preexec_fn=dies_with_parent())
            log.close()
            self.services.append((svc, proc))
        self._wait_ready()
        return self

    def _child_of(self, pid: int) -> int:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                kids = []
            if kids:
                return int(kids[0])
            if self.holder is not None and self.holder.poll() is not None:
                break
            time.sleep(0.02)
        raise BootTestError("lab: unshare did not start the lab's namespaces",
                            "check that `unshare --pid --net --mount true` works as root here")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WAIT
        pending = list(self.services)
        while pending:
            for svc, proc in list(pending):
                if proc.poll() is not None:
                    raise BootTestError(f"lab: {svc.name} exited at once: {self.log_tail(svc)}",
                                        f"its log: {self.log_path(svc)}")
                listening = self._listening(svc.netns)
                if all(p in listening for p in svc.ports):
                    pending.remove((svc, proc))
            if not pending:
                break
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s, _ in pending)
                raise BootTestError(f"lab: {names} did not open its ports within {READY_WAIT:.0f} s",
                                    f"logs in {self.workdir}")
            time.sleep(0.2)

    def _listening(self, netns: str) -> set[tuple[str, int]]:
        out = set()
        for proto, flag in (("udp", "-Hlnu"), ("tcp", "-Hlnt")):
            text = subprocess.run(self.inside(["ss", flag], netns, pid=False), capture_output=True,
                                  text=True, env=self.env, timeout=20).stdout
            for line in text.splitlines():
                cols = line.split()
                if len(cols) >= 4 and ":" in cols[3]:
                    port = cols[3].rsplit(":", 1)[1]
                    if port.isdigit():
                        out.add((proto, int(port)))
        return out

    def log_path(self, svc: Service) -> Path:
        return self.workdir / svc.log

    def log_tail(self, svc: Service) -> str:
        try:
            lines = self.log_path(svc).read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no output"
        return " | ".join(lines[-4:]) or "no output"

    def leases(self) -> dict[str, str]:
        try:
            return parse_leases((self.workdir / "router.leases").read_text())
        except OSError:
            return {}

    def stop(self) -> None:
        """SIGKILL to PID 1: the kernel kills the rest of the lab and frees its namespaces.

        (unshare then exits and reaps PID 1. Were lfsbuild killed instead, unshare dies of
        the death signal and takes PID 1 along: the same end, by another path.)"""
        if self.pid1 and _alive(self.pid1):
            try:
                os.kill(self.pid1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.holder is not None:
            try:
                self.holder.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.holder.kill()
                self.holder.wait()
        if self.pid1:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(self.pid1):
                time.sleep(0.05)
        for _, proc in self.services:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        mnt = self.workdir / "mnt"
        if mnt.is_dir() and not any(mnt.iterdir()):
            mnt.rmdir()

    def __enter__(self) -> Lab:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie no longer counts: its namespaces are gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def boot_node(lab: Lab, boot: bt.BootOptions, node: Node, accel: str, log_dir: Path,
              results: dict[int, bt.BootResult]) -> None:
    """One node from power-on to its marker (or failure); the result goes into `results`."""
    tag = f"{boot.firmware}-{boot.transport}-{boot.nic}-{node.name}"
    log = log_dir / f"console-{tag}.log"
    vars_copy = None
    if boot.firmware == "uefi":
        vars_copy = log_dir / f"OVMF_VARS-{tag}.fd"
        shutil.copyfile(bt.ovmf_files()[1], vars_copy)
    argv = lab.inside(["setpriv", "--pdeathsig", "KILL", "--",
                       *node_argv(boot, node, accel, vars_copy)])
    start = time.monotonic()
    ok, text, code = bt._watch(argv, lambda t: boot.marker in t, log, boot.timeout, env=lab.env)
    seconds = time.monotonic() - start
    stage = "marker" if ok else bt._stage(text)
    problem = "" if ok else bt._diagnose(stage, code, text, accel)
    lines = [l for l in text.replace("\r", "\n").splitlines() if l.strip()]
    results[node.index] = bt.BootResult(
        nic=boot.nic, firmware=boot.firmware, transport=boot.transport, accel=accel, ok=ok,
        stage=stage, seconds=seconds, console_log=log, tail=lines[-20:], problem=problem,
        node=node.name, mac=node.mac, started=time.time() - seconds)


def account(results: list[bt.BootResult], leases: dict[str, str], transfers: list[Transfer],
            counted: bool) -> None:
    """Give each node its lease and, where the server reports transfers (lfsbuild's), the bytes,
    time and resent blocks of the transfers its address made while it booted."""
    for r in results:
        r.lease = leases.get(r.mac, "")
        if not counted:
            continue
        mine = [t for t in transfers if r.lease and t.client[0] == r.lease
                and r.started - 1 <= t.ended <= r.started + r.seconds + 1]
        log = bt.TransferLog()
        for t in mine:
            log.record(t)
        r.transfers = log.count
        if log.first is not None:
            r.bytes_transferred, r.transfer_seconds = log.bytes, log.seconds
            r.retransmits = log.retransmits


def run_lab(boot: bt.BootOptions, lab: LabOptions) -> list[bt.BootResult]:
    """Build the lab, boot `lab.nodes` nodes at once (one round per NIC of `lab.nics`), tear
    it all down; one result per node and round. Never raises for a failed boot."""
    gen = preflight(boot, lab)
    accel = bt.resolve_accel(boot)
    log_dir = boot.log_dir or boot.pxe_dir.parent / f"{boot.pxe_dir.name}-boot-test"
    log_dir.mkdir(parents=True, exist_ok=True)
    workdir = log_dir / "lab"
    plan = plan_lab(boot, lab, gen, workdir)
    token = f"{os.getpid()}-{time.monotonic_ns() % 10**9}"
    results: list[bt.BootResult] = []
    with Lab(plan, workdir, token) as running:
        for nic in lab.nics or (boot.nic,):
            round_opts = replace(boot, nic=nic)
            got: dict[int, bt.BootResult] = {}
            threads = [threading.Thread(target=boot_node, daemon=True,
                                        args=(running, round_opts, n, accel, log_dir, got))
                       for n in plan.nodes]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            results += [got[n.index] for n in plan.nodes if n.index in got]
        leases = running.leases()
        transfers = read_transfer_log(workdir / "transfers.jsonl")
    account(results, leases, transfers, counted=lab.server == "lfsbuild" and lab.file_server)
    for r in results:
        if not r.ok:
            blame = lab_problem("\n".join(r.tail) + "\n" + _console(r.console_log), r.lease or None,
                                plan, lab, tree=boot.pxe_dir)
            if blame:
                r.problem = blame
    return results


def _console(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def boot_lab(boot: bt.BootOptions, lab: LabOptions) -> list[bt.BootResult]:
    """`run_lab`, raising BootTestError naming each node that failed and why."""
    results = run_lab(boot, lab)
    bad = [r for r in results if not r.ok]
    if bad:
        lines = [f"{r.node} ({r.mac}, {r.nic}, lease {r.lease or 'none'}): {r.problem}\n"
                 + "\n".join(f"    | {l}" for l in r.tail[-6:]) for r in bad]
        raise BootTestError(f"{len(bad)} of {len(results)} lab boot(s) did not reach "
                            f"{boot.marker!r}:\n" + "\n".join(lines),
                            f"console logs and the servers' logs: {bad[0].console_log.parent}")
    return results

