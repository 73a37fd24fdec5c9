"""The TFTP/HTTP tree: every boot path's files, Foreman's layout, NFS mode, missing loaders."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from netboot_trees import make_netboot_tree
from lfsbuild.errors import PxeError
from lfsbuild.netboot.pxe import PxeOptions, build_artifacts, kernel_cmdline
from lfsbuild.netboot.pxe.bootloaders import find_loaders
from lfsbuild.netboot.pxe.layouts import (PER_MAC_RE, NodeBoot, TreeInputs, mac_files,
                                          normalise_mac, plan_tree)
from lfsbuild.netboot.pxe.manifest import Manifest, kernel_version, sha256_file


@pytest.fixture
def fake_kernel(tmp_path: Path) -> Path:
    """A file with a bzImage setup header, enough for layout tests (no boot)."""
    blob = bytearray(0x4000)
    blob[0x202:0x206] = b"HdrS"
    blob[0x20E:0x210] = (0x1000).to_bytes(2, "little")
    text = b"6.13.4-lfs (builder@lfs) #1 SMP\0"
    blob[0x1200:0x1200 + len(text)] = text
    path = tmp_path / "vmlinuz-6.13.4"
    path.write_bytes(bytes(blob))
    return path


@pytest.fixture
def host_with_loaders(tmp_path: Path) -> Path:
    """A fake host root holding every boot loader at its Debian path."""
    host = tmp_path / "host"
    for rel in ("usr/lib/PXELINUX/pxelinux.0", "usr/lib/syslinux/modules/bios/ldlinux.c32",
                "usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi", "boot/ipxe.lkrn",
                "usr/lib/ipxe/ipxe.efi"):
        (host / rel).parent.mkdir(parents=True, exist_ok=True)
        (host / rel).write_bytes(rel.encode())
    return host


def build(tmp_path: Path, kernel: Path, host: Path, **kw: object) -> tuple[Path, Manifest]:
    root = make_netboot_tree(tmp_path / "root")
    out = tmp_path / "out"
    opts = PxeOptions(out_dir=out, kernel=kernel, rootfs=root, host_root=host,
                      fingerprints={"stage1/010-binutils": "ab12"}, **kw)  # type: ignore[arg-type]
    return out, build_artifacts(opts)


def test_standard_layout_has_every_boot_path(tmp_path: Path, fake_kernel: Path,
                                             host_with_loaders: Path) -> None:
    out, m = build(tmp_path, fake_kernel, host_with_loaders, macs=("52:54:00:AB:cd:01",),
                   server="192.168.7.2", http_port=8069)
    names = {a.path for a in m.artifacts}
    assert names == {"vmlinuz", "initrd.img", "pxelinux.0", "ldlinux.c32", "grubnetx64.efi",
                     "ipxe.lkrn", "ipxe.efi", "pxelinux.cfg/default",
                     "pxelinux.cfg/01-52-54-00-ab-cd-01", "grub/grub.cfg", "boot.ipxe",
                     "chain.ipxe", "dnsmasq.conf", "grub/grub.cfg-01-52-54-00-ab-cd-01",
                     "grub/grub.cfg-52:54:00:ab:cd:01", "pxelinux.cfg/01-52-54-00-ab-cd-01.ipxe"}
    assert m.missing == []
    pxecfg = (out / "pxelinux.cfg/default").read_text()
    assert "KERNEL vmlinuz" in pxecfg and "INITRD initrd.img" in pxecfg and m.cmdline in pxecfg
    ipxe = (out / "boot.ipxe").read_text()
    assert ipxe.startswith("#!ipxe") and "kernel vmlinuz initrd=initrd.img " in ipxe
    assert "initrd initrd.img" in ipxe
    assert "linux ($root)/vmlinuz" in (out / "grub/grub.cfg").read_text()
    assert "chain http://192.168.7.2:8069/boot.ipxe" in (out / "chain.ipxe").read_text()
    dns = (out / "dnsmasq.conf").read_text()
    assert "dhcp-range=192.168.7.0,proxy" in dns and f"tftp-root={out.resolve()}" in dns
    assert "http://192.168.7.2:8069/boot.ipxe" in dns
    data = json.loads((out / "manifest.json").read_text())
    assert data["kernel_version"] == "6.13.4-lfs"
    assert data["compression"] == {"name": "zstd", "level": 3}
    assert data["fingerprints"] == {"stage1/010-binutils": "ab12"}
    assert data["release"] == "12.3" and "rdinit=/init" in data["cmdline"]
    for a in m.artifacts:
        assert a.size == (out / a.path).stat().st_size and a.sha256 == sha256_file(out / a.path)
    assert Manifest.load(out).artifacts == m.artifacts
    table = m.summary()
    assert "initrd.img" in table and not any(l.startswith("warning") for l in table.splitlines())
    assert table.splitlines()[-1] == "mode ram: a node needs about 1024 MiB of RAM"


MAC = "52:54:00:AB:cd:01"
OWN = {"pxelinux.cfg/01-52-54-00-ab-cd-01", "pxelinux.cfg/01-52-54-00-ab-cd-01.ipxe",
       "grub/grub.cfg-01-52-54-00-ab-cd-01", "grub/grub.cfg-52:54:00:ab:cd:01"}
HOOKS = ("chain --autofree pxelinux.cfg/01-${mac:hexhyp}.ipxe ||",
         "if [ -s $prefix/grub.cfg-$net_default_mac ]; then\n"
         "    configfile $prefix/grub.cfg-$net_default_mac\n")


def planned(layout: str = "standard", **kw: object) -> dict[str, str]:
    files = plan_tree(TreeInputs(release="12.3", mode="ram", cmdline="console=ttyS0 ip=dhcp",
                                 layout=layout, **kw))  # type: ignore[arg-type]
    assert len({f.rel for f in files}) == len(files), "a file planned twice"
    return {f.rel: f.text or "" for f in files}


def node(layout: str = "standard") -> NodeBoot:
    initrd = "boot/lfs-12.3-x86_64-initrd.img" if layout == "foreman" else "initrd.img"
    return NodeBoot(MAC.lower(), "node1", "console=ttyS0 ip=dhcp lfsnode=1",
                    (initrd, "nodes/52-54-00-ab-cd-01.cpio"))


@pytest.mark.parametrize("layout", ["standard", "foreman"])
def test_a_machine_of_its_own_has_one_set_of_names_from_mac_or_nodes_file(layout: str) -> None:
    """`--mac` and a node of the nodes file: the same file names for every loader, and the
    same one hook in boot.ipxe and grub.cfg (before: two naming schemes, GRUB's node file
    never reached by Debian's GRUB, which does not search grub.cfg-01-<mac> itself)."""
    names = mac_files(MAC)
    assert {names.pxelinux, names.ipxe, names.grub, names.grub_colons} == OWN
    assert all(PER_MAC_RE.search(n) for n in OWN)
    assert not PER_MAC_RE.search("pxelinux.cfg/default") and not PER_MAC_RE.search("grub/grub.cfg")
    shared = planned(layout)
    assert not set(shared) & OWN and not any(h in t for h in HOOKS for t in shared.values())
    kernel = "boot/lfs-12.3-x86_64-vmlinuz" if layout == "foreman" else "vmlinuz"
    by_mac, by_node = planned(layout, macs=(MAC,)), planned(layout, nodes=(node(layout),))
    for tree in (by_mac, by_node):
        assert set(tree) - set(shared) == OWN
        assert HOOKS[0] in tree["boot.ipxe"] and HOOKS[1] in tree["grub/grub.cfg"]
        # the colon name (Debian's GRUB, by the hook) leads to the one file to edit
        assert tree[names.grub_colons].splitlines()[-1] == \
            "configfile $prefix/grub.cfg-01-52-54-00-ab-cd-01"
        # a machine's own files do not look for a machine's own files again
        assert not any(h in tree[n] for h in HOOKS for n in OWN)
        # the iPXE script lives in pxelinux.cfg/: its relative names go one level up
        assert f"kernel ../{kernel} initrd=" in tree[names.ipxe]
        assert f"KERNEL {kernel}" in tree[names.pxelinux]
        assert f"linux ($root)/{kernel}" in tree[names.grub]
    assert by_mac[names.pxelinux] == shared["pxelinux.cfg/default"]       # a copy to edit
    assert by_mac[names.grub] == shared["grub/grub.cfg"]
    for n in (names.pxelinux, names.ipxe, names.grub):
        assert "lfsnode=1" in by_node[n] and "nodes/52-54-00-ab-cd-01.cpio" in by_node[n]
    assert "initrd ../nodes/52-54-00-ab-cd-01.cpio" in by_node[names.ipxe]
    # one MAC given both ways (and twice): the node's files, once
    both = planned(layout, macs=(MAC, MAC.lower()), nodes=(node(layout),))
    assert both == by_node


def test_a_repack_removes_per_mac_files_of_either_naming(tmp_path: Path, fake_kernel: Path,
                                                         host_with_loaders: Path) -> None:
    """Dropping `--mac` removes that machine's files, and a tree of an earlier version loses
    its old names (boot-01-<mac>.ipxe, nodes/<mac>.ipxe, grub.cfg-<mac> alone) at the re-pack."""
    out, _ = build(tmp_path, fake_kernel, host_with_loaders, macs=(MAC,))
    assert all((out / n).is_file() for n in OWN)
    old = ["boot-01-52-54-00-ab-cd-02.ipxe", "nodes/52-54-00-ab-cd-02.ipxe",
           "grub/grub.cfg-52:54:00:ab:cd:02", "grub/grub.cfg-01-52-54-00-ab-cd-02"]
    for rel in old:
        (out / rel).parent.mkdir(exist_ok=True)
        (out / rel).write_text("# an earlier pack's\n")
    m = build_artifacts(PxeOptions(out_dir=out, kernel=fake_kernel, rootfs=tmp_path / "root",
                                   host_root=host_with_loaders))
    left = [rel for rel in [*OWN, *old] if (out / rel).exists()]
    assert left == [] and not any(PER_MAC_RE.search(a.path) for a in m.artifacts)
    assert not any(h in (out / n).read_text() for h in HOOKS for n in ("boot.ipxe", "grub/grub.cfg"))


def test_missing_loaders_are_named_with_their_package_and_the_rest_is_written(
        tmp_path: Path, fake_kernel: Path) -> None:
    empty_host = tmp_path / "empty-host"
    empty_host.mkdir()
    out, m = build(tmp_path, fake_kernel, empty_host)
    assert any("pxelinux.0 not found" in msg and "install the package pxelinux" in msg for msg in m.missing)
    assert any("ldlinux.c32" in msg and "syslinux-common" in msg for msg in m.missing)
    assert any("grubnetx64.efi" in msg and "grub-efi-amd64" in msg for msg in m.missing)
    assert not (out / "pxelinux.0").exists()
    for rel in ("pxelinux.cfg/default", "boot.ipxe", "grub/grub.cfg", "dnsmasq.conf", "initrd.img"):
        assert (out / rel).is_file(), rel
    found, missing = find_loaders(["ipxe.efi"], empty_host)
    assert found == {} and missing[0].package.startswith("ipxe")


def test_foreman_layout_puts_kernel_and_initrd_under_boot(tmp_path: Path, fake_kernel: Path,
                                                          host_with_loaders: Path) -> None:
    out, m = build(tmp_path, fake_kernel, host_with_loaders, layout="foreman")
    assert m.kernel == "boot/lfs-12.3-x86_64-vmlinuz"
    assert (out / "boot/lfs-12.3-x86_64-vmlinuz").is_file()
    assert (out / "boot/lfs-12.3-x86_64-initrd.img").is_file()
    for kind in ("PXELinux", "PXEGrub2", "iPXE"):
        text = (out / f"foreman/{kind}.erb").read_text()
        assert f"kind: {kind}" in text and "boot/lfs-12.3-x86_64-vmlinuz" in text
    assert "initrd=lfs-12.3-x86_64-initrd.img" in (out / "foreman/iPXE.erb").read_text()
    assert "KERNEL boot/lfs-12.3-x86_64-vmlinuz" in (out / "pxelinux.cfg/default").read_text()


def test_nfs_mode_writes_no_initrd_but_an_exports_line(tmp_path: Path, fake_kernel: Path,
                                                       host_with_loaders: Path) -> None:
    out, m = build(tmp_path, fake_kernel, host_with_loaders, mode="nfs", server="10.1.1.1",
                   nfs_path="/srv/lfs")
    assert m.initrd is None and not (out / "initrd.img").exists()
    assert "root=/dev/nfs nfsroot=10.1.1.1:/srv/lfs,vers=3,tcp" in m.cmdline
    assert "ip=dhcp" in m.cmdline
    assert "/srv/lfs *(rw,no_root_squash" in (out / "exports").read_text()
    ipxe = (out / "boot.ipxe").read_text()
    assert "initrd" not in ipxe.split("via iPXE", 1)[1]
    assert "INITRD" not in (out / "pxelinux.cfg/default").read_text()


def test_plain_errors_for_bad_inputs(tmp_path: Path, fake_kernel: Path) -> None:
    with pytest.raises(PxeError, match="is not a MAC address"):
        normalise_mac("52:54:00")
    with pytest.raises(PxeError, match="unknown layout"):
        plan_tree(TreeInputs(release="12.3", mode="ram", cmdline="", layout="cobbler"))
    with pytest.raises(PxeError, match="unknown mode"):
        kernel_cmdline(PxeOptions(out_dir=tmp_path, mode="disk"), tmp_path)
    with pytest.raises(PxeError, match="no kernel"):
        build_artifacts(PxeOptions(out_dir=tmp_path / "o", lfs=tmp_path))
    with pytest.raises(PxeError, match="--rootfs"):
        build_artifacts(PxeOptions(out_dir=tmp_path / "o", kernel=fake_kernel))


def test_default_inputs_come_from_lfs(tmp_path: Path, fake_kernel: Path, host_with_loaders: Path) -> None:
    lfs = make_netboot_tree(tmp_path / "lfs")
    (lfs / "boot").mkdir()
    (lfs / "boot/vmlinuz-6.13.4-lfs-12.3").write_bytes(fake_kernel.read_bytes())
    m = build_artifacts(PxeOptions(out_dir=tmp_path / "out", lfs=lfs, host_root=host_with_loaders,
                                   cmdline_extra="quiet"))
    assert m.kernel_version == "6.13.4-lfs" and m.cmdline.endswith(" quiet")
    assert kernel_version(tmp_path / "out/boot.ipxe") == "unknown"
