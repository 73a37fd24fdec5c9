"""The netboot lab (`boot-test --network lab`) and `serve --proxy-dhcp`, against real things.

Real: dnsmasq (router and proxy), tftpd-hpa, `invoke serve`, QEMU nodes on taps in a bridge,
all in namespaces the lab creates; the busybox tree with Debian's kernel, as the other boot
tests. The slow tests run one lab each (the failure modes four at once) and together take a
few minutes with TCG on two cores. After each, nothing of the lab may remain: no process
carrying its marker, no namespace, tap or veth on the host.
"""
from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REPO, run_invoke
from netboot_trees import MARKER, make_netboot_tree, require_kernel
from waiting import wait_until
from lfsbuild.errors import BootTestError, ServeError
from lfsbuild.netboot import boot_test as bt, lab
from lfsbuild.netboot.pxe import dnsmasq as conf
from lfsbuild.netboot.serve import proxydhcp

SERVE = (sys.executable, "-m", "invoke", "--search-root", str(REPO))
NODE1, NODE2, NODE3 = lab.node_mac(1), lab.node_mac(2), lab.node_mac(3)

root_only = pytest.mark.root("the lab: namespaces, a bridge, taps")
lab_tools = [pytest.mark.needs("qemu-system-x86_64", package="qemu-system-x86"),
             pytest.mark.needs("dnsmasq", package="dnsmasq-base"),
             pytest.mark.needs("in.tftpd", package="tftpd-hpa"),
             pytest.mark.needs("ip", package="iproute2")]
slow_lab = [pytest.mark.slow, root_only, *lab_tools]


# ----------------------------------------------------------------------------- leftovers

def lab_processes() -> list[str]:
    """Live processes carrying the lab's marker (zombies hold nothing: they do not count)."""
    found = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if lab.LAB_ENV.encode() + b"=" not in env.read_bytes():
                continue
            state = (env.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmd = (env.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z":
            found.append(f"{env.parent.name}: {cmd}")
    return found


def host_links() -> set[str]:
    out = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    return {line.split()[0].split("@")[0] for line in out.splitlines() if line.strip()}


def netns_list() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def assert_nothing_left(links_before: set[str], netns_before: str, wait: float = 10) -> None:
    deadline = time.monotonic() + wait
    while lab_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not lab_processes(), lab_processes()
    new = {l for l in host_links() - links_before}
    assert not {l for l in new if l.startswith(("lab", "veth", "tap"))}, new
    assert netns_list() == netns_before


@pytest.fixture
def clean_host():
    before = (host_links(), netns_list())
    yield
    assert_nothing_left(*before)


# ----------------------------------------------------------------------------- trees

def make_tree(base: Path, *extra: str) -> Path:
    kernel = require_kernel()
    root = make_netboot_tree(base / "root")
    out = base / "pxe"
    env = dict(os.environ, INVOKE_LFS_ROOT=str(base / "lfs"), INVOKE_LFS_PXE_DIR=str(out))
    run_invoke(["pxe", "--kernel", str(kernel), "--rootfs", str(root), "--out", str(out), *extra],
               env, check=True)
    return out


@pytest.fixture(scope="module")
def std_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Standard layout, with per-MAC files for node 1 and node 2 edited as a user would:
    node 2's pxelinux config and node 1's iPXE script carry their own command line."""
    out = make_tree(tmp_path_factory.mktemp("lab-std"), "--mac", NODE1, "--mac", NODE2)
    two = out / f"pxelinux.cfg/01-{NODE2.replace(':', '-')}"
    two.write_text(two.read_text().replace("ip=dhcp", "ip=dhcp lfsnode=two"))
    one = out / f"pxelinux.cfg/01-{NODE1.replace(':', '-')}.ipxe"
    one.write_text(one.read_text().replace("ip=dhcp", "ip=dhcp lfsnode=one"))
    return out


@pytest.fixture(scope="module")
def foreman_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Foreman's layout, with node 1 in a nodes file: its boot loads one more initrd, its
    overlay (nodes/<mac>.cpio), which tftpd-hpa and dnsmasq must be allowed to send."""
    base = tmp_path_factory.mktemp("lab-foreman")
    (base / "nodes.yaml").write_text(f"nodes:\n  - mac: {NODE1}\n    hostname: foreman-node1\n")
    return make_tree(base, "--layout", "foreman", "--nodes", str(base / "nodes.yaml"))


def lab_cli(tree: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return run_invoke(["boot-test", "--network", "lab", "--pxe-dir", str(tree), "--accel", "tcg",
                       "--timeout", "150", "--marker", MARKER, *args],
                      dict(os.environ), timeout=timeout)


def rows(stdout: str) -> list[list[str]]:
    """The result table's rows (after its header line), split into columns."""
    lines = stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("node "))
    return [re.split(r"\s{2,}", l.strip()) for l in lines[start + 1:] if l.startswith("node")]


def console(tree: Path, pattern: str) -> str:
    logs = sorted((tree.parent / f"{tree.name}-boot-test").glob(f"console-{pattern}.log"))
    assert logs, pattern
    return logs[-1].read_text(errors="replace")


# ----------------------------------------------------------------------------- pure parts

def gen_for(server: str | None = None, port: int = 8069) -> conf.Generated:
    from lfsbuild.netboot.pxe.layouts import TreeInputs, plan_tree
    files = plan_tree(TreeInputs(release="12.3", mode="ram", cmdline="x", server=server,
                                 http_port=port, out_dir="/srv/lfs-pxe"))
    text = next(f.text for f in files if f.rel == "dnsmasq.conf")
    host = server or conf.PLACEHOLDER
    return conf.Generated(Path("/t/dnsmasq.conf"), text or "", None if host == conf.PLACEHOLDER
                          else host, port)


def test_generated_conf_is_filled_in_only_where_the_user_is_told_to() -> None:
    gen = gen_for()
    assert gen.server is None and gen.http_port == 8069
    net = ipaddress.IPv4Network("192.168.5.0/24")
    text = conf.fill_in(gen, conf.FillIn("enp3s0", net, "192.168.5.9", tftp_root=None,
                                         plain_pxe=("52:54:00:AA:BB:CC",)))
    assert "interface=enp3s0" in text and "dhcp-range=192.168.5.0,proxy\n" in text
    assert "http://192.168.5.9:8069/boot.ipxe" in text and "://SERVER_IP" not in text
    assert "enable-tftp" not in text and "tftp-root" not in text
    assert "dhcp-host=52:54:00:aa:bb:cc,set:plainpxe" in text
    changed = set(text.splitlines()) ^ set(gen.text.splitlines())
    keys = {l.split("=")[0] for l in changed}
    assert keys <= {"interface", "dhcp-range", "enable-tftp", "tftp-root", "dhcp-host",
                    "pxe-service", "dhcp-boot"}, keys
    wide = conf.fill_in(gen, conf.FillIn("eth0", ipaddress.IPv4Network("10.1.0.0/16"), "10.1.2.3",
                                         tftp_root="/srv/tftp"))
    assert "dhcp-range=10.1.0.0,proxy,255.255.0.0" in wide and "tftp-root=/srv/tftp" in wide
    assert "enable-tftp" in wide


def test_lab_plan_addresses_names_and_no_host_namespace(tmp_path: Path) -> None:
    boot = bt.BootOptions(pxe_dir=tmp_path / "pxe", transport="tftp")
    plan = lab.plan_lab(boot, lab.LabOptions(server="tftpd-hpa", nodes=3), gen_for(), tmp_path)
    assert [n.mac for n in plan.nodes] == [NODE1, NODE2, NODE3]
    assert len({n.tap for n in plan.nodes}) == 3
    assert str(plan.server.ip) == "10.77.0.2" and str(plan.router.ip) == "10.77.0.1"
    assert plan.network.is_private and plan.plain_pxe
    assert "ip netns" not in plan.setup and "unshare --net=/srv/ns/router" in plan.setup
    assert [s.name for s in plan.services] == ["router", "proxy-dhcp", "tftpd-hpa"]
    # the router advertises an IPv6 prefix, as a dual-stack home router does: without it
    # iPXE's router solicitation alone holds "Configuring" for 15.75 s
    assert "--enable-ra" in plan.services[0].argv
    assert "--dhcp-range=fd4c:4277::,ra-only,64" in plan.services[0].argv
    assert f"ip -6 addr add {lab.ROUTER_IPV6} dev eth0 nodad" in plan.setup
    assert f"dhcp-host={NODE2},set:plainpxe" in plan.proxy_conf
    assert "enable-tftp" not in plan.proxy_conf
    # a tree made for a private server: the lab is built around that address
    plan = lab.plan_lab(replace(boot, transport="http"), lab.LabOptions(),
                        gen_for("192.168.1.150"), tmp_path)
    assert str(plan.server.ip) == "192.168.1.150" and plan.dhcp_range == ("192.168.1.200",
                                                                         "192.168.1.249")
    assert plan.services[0].name == "router" and "--proxy-dhcp" in plan.services[1].argv
    with pytest.raises(BootTestError, match="only uses private addresses"):
        lab.plan_lab(boot, lab.LabOptions(), gen_for("8.8.8.8"), tmp_path)


def test_lab_refuses_what_it_cannot_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boot = bt.BootOptions(pxe_dir=tmp_path, transport="tftp")
    with pytest.raises(BootTestError, match="serves TFTP only"):
        lab.check_options(replace(boot, transport="http"), lab.LabOptions(server="tftpd-hpa"))
    with pytest.raises(BootTestError, match="GRUB .* takes its TFTP server from the router"):
        lab.check_options(replace(boot, firmware="uefi", transport="tftp"), lab.LabOptions())
    with pytest.raises(BootTestError, match="choose one of: lfsbuild, tftpd-hpa, dnsmasq"):
        lab.check_options(boot, lab.LabOptions(server="pixiecore"))
    with pytest.raises(BootTestError, match="1 to 16"):
        lab.check_options(boot, lab.LabOptions(nodes=0))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(BootTestError, match="needs root") as err:
        lab.preflight(boot, lab.LabOptions())
    assert "sudo" in str(err.value)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda t, path=None: None if t in ("in.tftpd", "dnsmasq")
                        else real_which(t, path=path))
    with pytest.raises(BootTestError) as err:
        lab.preflight(boot, lab.LabOptions(server="tftpd-hpa"))
    assert "in.tftpd (tftpd-hpa)" in str(err.value) and "dnsmasq (dnsmasq-base)" in str(err.value)
    assert "apt-get install dnsmasq-base tftpd-hpa" in str(err.value)


def test_expect_lease_is_refused_by_the_lab_not_by_the_task(tmp_path: Path) -> None:
    """The lab decides what it cannot show (`lab.check_options`, run first by `boot_lab`);
    `invoke boot-test` only prints its error, in the same words as before. Refused before
    anything is created: the tree here is empty."""
    boot = bt.BootOptions(pxe_dir=tmp_path, expect_lease=True)
    with pytest.raises(BootTestError, match="--expect-lease is for --network user") as err:
        lab.boot_lab(boot, lab.LabOptions())
    assert "the table's lease column" in (err.value.hint or "")
    r = run_invoke(["boot-test", "--network", "lab", "--expect-lease", "--pxe-dir", str(tmp_path)],
                   dict(os.environ))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip() == ("error: --expect-lease is for --network user\n  -> in the lab the "
                                "router's lease file shows each node's lease (the table's lease "
                                "column)")


def test_lab_blames_the_right_part_of_the_network(tmp_path: Path) -> None:
    plan = lab.plan_lab(bt.BootOptions(pxe_dir=tmp_path, transport="tftp"),
                        lab.LabOptions(server="tftpd-hpa"), gen_for(), tmp_path)
    opts = lab.LabOptions(server="tftpd-hpa")
    no_offer = "Configuring (net0 52:54:00:4c:42:01)...... No configuration methods \nsucceeded"
    assert "no DHCP offer" in lab.lab_problem(no_offer, None, plan, opts)
    assert "but no boot file" in lab.lab_problem("Configuring ... ok\nNo more network devices",
                                                 "10.77.0.150", plan, opts)
    down = "Next server: 10.77.0.2\ntftp://10.77.0.2/pxelinux.0...... Connection timed out"
    assert "file server on 10.77.0.2 did not answer" in lab.lab_problem(down, "x", plan, opts)
    gone = ("Next server: 10.77.0.2\nLoading boot/x-initrd.img..Loading boot/x-initrd.img...."
            "failed:failed:  No such file")
    assert "missing from the tree: boot/x-initrd.img" in lab.lab_problem(gone, "x", plan, opts)
    (tmp_path / "boot").mkdir()                       # there, but only for root and its group
    (tmp_path / "boot/x-initrd.img").write_bytes(b"x")
    (tmp_path / "boot/x-initrd.img").chmod(0o640)
    said = lab.lab_problem(gone, "x", plan, opts, tree=tmp_path)
    assert "would not send boot/x-initrd.img" in said and "mode 640" in said and "chmod a+r" in said
    assert bt.is_fatal(gone)   # pxelinux would wait at boot: for ever
    per_mac = ("Filename: http://10.77.0.2:8069/boot.ipxe\npxelinux.cfg/01-52-54-00-4c-42-01.ipxe... "
               "No such file or directory\nhttp://10.77.0.2:8069/vmlinuz... Connection refused")
    assert "did not answer" in lab.lab_problem(per_mac, "x", plan, opts)
    assert lab.lab_problem("Linux version 6.1", "x", plan, opts) is None


# ----------------------------------------------------------------------------- serve --proxy-dhcp

def serve_in_netns(tree: Path, iface: str, setup: str = "ip link set lo up",
                   **kw: object) -> subprocess.Popen:
    """`invoke serve --proxy-dhcp` in a network namespace of its own (real ports 67/69)."""
    cmd = " ".join([setup + ";", "exec", *SERVE, "serve", "--root", str(tree), "--proxy-dhcp", iface])
    return subprocess.Popen(["unshare", "--net", "--", "sh", "-c", cmd], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def proxy_dnsmasqs() -> list[int]:
    """dnsmasq processes started by `serve --proxy-dhcp` (their conf lives in its temp dir)."""
    pids = []
    for cmd in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmd.read_bytes().split(b"\0")
            state = (cmd.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(b"lfsbuild-proxy-dhcp-" in a for a in argv) and \
                any(a.endswith(b"dnsmasq") for a in argv[:1]):
            pids.append(int(cmd.parent.name))
    return pids


@root_only
@pytest.mark.needs("dnsmasq", package="dnsmasq-base")
def test_serve_proxy_dhcp_refuses_clearly_and_its_dnsmasq_dies_with_serve(tmp_path: Path) -> None:
    tree = tmp_path / "pxe"
    tree.mkdir()
    (tree / "dnsmasq.conf").write_text(gen_for().text)
    p = serve_in_netns(tree, "lo", setup="true")           # lo down: no address yet
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 1 and "the interface has no IPv4 address" in out, out
    assert "read-only on" not in out                        # refused before opening any port
    p = serve_in_netns(tree, "nosuch0")
    out, _ = p.communicate(timeout=60)
    assert "no such network interface" in out, out
    holder = "import socket,time; s=socket.socket(2,2); s.bind(('0.0.0.0',67)); time.sleep(15)"
    p = serve_in_netns(tree, "lo", setup=f"ip link set lo up; {sys.executable} -c \"{holder}\" >/dev/null 2>&1 & "
                       "sleep 0.5")
    out, _ = p.communicate(timeout=60)
    assert "something else already listens on UDP port 67" in out, out

    p = serve_in_netns(tree, "lo")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(p.stdout), daemon=True)
    reader.start()
    try:
        # serve says so once dnsmasq's ports are open, a moment after its process exists
        wait_until(lambda: any("proxy DHCP on lo (127.0.0.1/8)" in ln for ln in lines), 30,
                   "serve reporting its proxy DHCP")
        assert proxy_dnsmasqs(), "dnsmasq never started"
    finally:
        p.kill()                                            # SIGKILL of lfsbuild
        p.wait(30)
        reader.join(10)
    assert wait_until(lambda: not proxy_dnsmasqs(), 10, "dnsmasq ending with invoke serve")


def test_serve_proxy_dhcp_names_the_package_when_dnsmasq_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    monkeypatch.setattr(proxydhcp, "SBIN", (str(tmp_path),))
    with pytest.raises(ServeError, match="install the Debian package dnsmasq-base"):
        proxydhcp.find_dnsmasq()


def test_proxy_plan_refuses_a_tree_made_for_another_server_or_port(tmp_path: Path) -> None:
    (tmp_path / "dnsmasq.conf").write_text(gen_for("192.168.9.9").text)
    addr = ipaddress.IPv4Interface("192.168.9.10/24")
    with pytest.raises(ServeError, match="sends iPXE clients to 192.168.9.9"):
        proxydhcp.plan(tmp_path, "eth0", addr, 8069, 69)
    (tmp_path / "dnsmasq.conf").write_text(gen_for().text)
    with pytest.raises(ServeError, match="HTTP port 8069"):
        proxydhcp.plan(tmp_path, "eth0", addr, 8080, 69)
    with pytest.raises(ServeError, match="only asks port 69"):
        proxydhcp.plan(tmp_path, "eth0", addr, 8069, 6969)
    p = proxydhcp.plan(tmp_path, "eth0", addr, 8069, 69)
    assert "interface=eth0" in p.text and "http://192.168.9.10:8069/boot.ipxe" in p.text
    assert "enable-tftp" not in p.text and "port=0" in p.text


# ----------------------------------------------------------------------------- real labs

def apply(*marks: pytest.MarkDecorator):
    def wrap(fn):
        for m in reversed(marks):
            fn = m(fn)
        return fn
    return wrap


@apply(*slow_lab)
def test_three_nodes_at_once_plain_pxe_from_invoke_serve_with_per_mac_config(
        std_tree: Path, clean_host: None) -> None:
    """Router + `invoke serve --proxy-dhcp`; the nodes are tagged plainpxe in the generated
    dnsmasq.conf, so their iPXE ROM takes the non-iPXE branch (pxelinux over TFTP)."""
    r = lab_cli(std_tree, "--server", "lfsbuild", "--transport", "tftp", "--nodes", "3",
                "--nic", "e1000")
    assert r.returncode == 0, r.stdout + r.stderr
    table = rows(r.stdout)
    assert [row[1] for row in table] == [NODE1, NODE2, NODE3]
    leases = [row[2] for row in table]
    assert len(set(leases)) == 3 and all(l.startswith("10.77.0.") for l in leases), table
    initrd = (std_tree / "initrd.img").stat().st_size
    for row in table:
        assert row[7] == "ok" and int(row[-1]) >= 3, row          # each node's transfers
        assert float(row[9].split()[0]) * 1e6 > initrd, row        # MB moved
    for node, extra in (("node1", False), ("node2", True), ("node3", False)):
        text = console(std_tree, f"bios-tftp-e1000-{node}")
        assert "PXELINUX" in text and MARKER in text
        line = next(l for l in text.splitlines() if "Command line:" in l)
        assert ("lfsnode=two" in line) == extra, (node, line)
    proxy_log = (std_tree.parent / "pxe-boot-test/lab/serve-proxy-dhcp.log").read_text()
    assert "plainpxe" in proxy_log and "pxelinux.0" in proxy_log
    assert f"dhcp-host={NODE1}" not in (std_tree / "dnsmasq.conf").read_text()  # tree untouched


@apply(*slow_lab)
def test_tftpd_hpa_serves_the_foreman_layout(foreman_tree: Path, clean_host: None) -> None:
    r = lab_cli(foreman_tree, "--server", "tftpd-hpa", "--transport", "tftp", "--nic", "rtl8139")
    assert r.returncode == 0, r.stdout + r.stderr
    text = console(foreman_tree, "bios-tftp-rtl8139-node1")
    assert "PXELINUX" in text and "boot/lfs-12.3-x86_64-vmlinuz" in text and MARKER in text
    assert f"Loading nodes/{NODE1.replace(':', '-')}.cpio" in text    # the node's overlay came too
    # iPXE took its IPv6 address from the router's advertisement (no 16 s of solicitations)
    assert re.search(r"net0: fd4c:4277::\S+/64 gw ", text), text[:3000]
    assert "RTR-ADVERT" in (foreman_tree.parent / "pxe-boot-test/lab/router.log").read_text()


@apply(*slow_lab)
def test_dnsmasq_serves_the_tree_with_its_own_tftp(foreman_tree: Path, clean_host: None) -> None:
    r = lab_cli(foreman_tree, "--server", "dnsmasq", "--transport", "tftp", "--nic", "e1000")
    assert r.returncode == 0, r.stdout + r.stderr
    log = (foreman_tree.parent / "pxe-boot-test/lab/proxy-dhcp.log").read_text()
    assert "sent /srv/tftp/pxelinux.0" in log and "sent /srv/tftp/boot/lfs-12.3-x86_64-initrd.img" in log
    assert f"sent /srv/tftp/nodes/{NODE1.replace(':', '-')}.cpio" in log


@apply(*slow_lab)
def test_uefi_ipxe_over_http_through_the_proxy_with_a_per_mac_script(
        std_tree: Path, clean_host: None) -> None:
    r = lab_cli(std_tree, "--server", "lfsbuild", "--firmware", "uefi", "--transport", "http",
                "--nic", "virtio")
    assert r.returncode == 0, r.stdout + r.stderr
    text = console(std_tree, "uefi-http-virtio-node1")
    line = next(l for l in text.splitlines() if "Command line:" in l)
    assert "lfsnode=one" in line                            # pxelinux.cfg/01-<mac>.ipxe
    assert "resent" in r.stdout and "MB/s" in r.stdout


@apply(*slow_lab)
def test_failure_modes_are_named(std_tree: Path, tmp_path: Path, clean_host: None) -> None:
    """Four broken labs at once (each its own namespaces): the message names the part."""
    broken = tmp_path / "broken"
    shutil.copytree(std_tree, broken)
    (broken / "initrd.img").unlink()
    cases = {
        "router down": (std_tree, "tftp", "tftpd-hpa", dict(router=False), "no DHCP offer"),
        "proxy missing": (std_tree, "tftp", "tftpd-hpa", dict(proxy=False), "but no boot file"),
        "file server down": (std_tree, "http", "lfsbuild", dict(file_server=False),
                             "file server on 10.77.0.2 did not answer"),
        "boot file missing": (broken, "tftp", "tftpd-hpa", {},
                              "missing from the tree: initrd.img"),
    }
    got: dict[str, str] = {}

    def one(name: str) -> None:
        tree, transport, server, kw, _ = cases[name]
        boot = bt.BootOptions(pxe_dir=tree, nic="e1000", transport=transport, accel="tcg",
                              timeout=90, marker=MARKER, log_dir=tmp_path / name.replace(" ", "-"))
        try:
            results = lab.run_lab(boot, lab.LabOptions(server=server, serve_command=SERVE, **kw))
            got[name] = results[0].problem if not results[0].ok else "booted"
        except Exception as exc:  # noqa: BLE001 - reported below
            got[name] = f"raised {exc!r}"

    threads = [threading.Thread(target=one, args=(n,)) for n in cases]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=200)
    for name, (*_, expected) in cases.items():
        assert expected in got.get(name, "did not finish"), (name, got.get(name))
    assert time.monotonic() - start < 180


@apply(*slow_lab)
@pytest.mark.parametrize("how", ["ctrl-c", "sigkill"])
def test_ctrl_c_and_sigkill_of_lfsbuild_leave_nothing(std_tree: Path, tmp_path: Path,
                                                      clean_host: None, how: str) -> None:
    env = dict(os.environ)
    p = subprocess.Popen([*SERVE, "boot-test", "--network", "lab", "--pxe-dir", str(std_tree),
                          "--accel", "tcg", "--marker", MARKER, "--nodes", "2", "--nic", "e1000"],
                         cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        console_log = std_tree.parent / "pxe-boot-test/console-bios-http-e1000-node2.log"
        console_log.unlink(missing_ok=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:               # a node is running in the lab
            if console_log.exists() and "iPXE" in console_log.read_text(errors="replace") \
                    and any("qemu-system" in p for p in lab_processes()):
                break
            time.sleep(0.2)
        assert any("qemu-system" in p for p in lab_processes()), "no node ever ran"
        p.send_signal(signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
        out, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    if how == "ctrl-c":
        assert p.returncode == 130 and "interrupted" in out, out
