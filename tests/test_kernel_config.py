"""The netboot kernel fragment against a real kernel tree, through the recipe's own script.

chroot/kernel/configure.sh is what book/stage5/090-kernel.sh runs: `make defconfig`, the
kernel's merge_config.sh, `make olddefconfig`, then a check that every option of the fragments
survived. Here it runs on Debian's kernel source (package linux-source-6.12; the book's kernel is
6.13, whose Kconfig for these options is the same) in an O= build directory.

Only what Kconfig reads is extracted (every Makefile/Kconfig/Kbuild, scripts/, arch/x86/):
58 MB instead of 1.7 GB (measured here: 11-22 s against 30 s for the full extract; xz must
read the whole 150 MB stream either way), then ~15 s to build scripts/kconfig and configure.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import need, unavailable

REPO = Path(__file__).resolve().parents[1]
KERNEL_DIR = REPO / "chroot" / "kernel"
FRAGMENT = KERNEL_DIR / "netboot.config"
CONFIGURE = KERNEL_DIR / "configure.sh"
RECIPE = REPO / "book" / "stage5" / "090-kernel.sh"
KCONFIG_PARTS = ("*/Makefile*", "*/Kconfig*", "*/Kbuild*", "*/scripts/*", "*/arch/x86/*")


def kernel_tarball() -> Path | None:
    """The newest /usr/src/linux-source-X.Y.tar.xz (Debian's linux-source-X.Y package)."""
    found = sorted(Path("/usr/src").glob("linux-source-*.tar.xz"),
                   key=lambda p: [int(n) for n in re.findall(r"\d+", p.name)])
    return found[-1] if found else None


@pytest.fixture(scope="module")
def kernel_tree(tmp_path_factory) -> Path:
    tarball = kernel_tarball()
    if tarball is None:
        unavailable("no /usr/src/linux-source-*.tar.xz", "apt-get install -y linux-source-6.12")
    need("make", "gcc", "flex", "bison", "xz",     # scripts/kconfig is built for real
         package="build-essential flex bison xz-utils")
    dest = tmp_path_factory.mktemp("linux")
    start = time.monotonic()
    subprocess.run(["tar", "-xJf", str(tarball), "-C", str(dest), "--wildcards",
                    *KCONFIG_PARTS], check=True, timeout=300)
    print(f"extracted the Kconfig parts of {tarball.name} in {time.monotonic() - start:.1f} s")
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


def configure(tree: Path, out: Path, *fragments: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(CONFIGURE), "-O", str(out), *map(str, fragments)],
                          cwd=tree, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def netboot_build(kernel_tree, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("build")
    start = time.monotonic()
    res = configure(kernel_tree, out, FRAGMENT)
    print(f"defconfig + merge + olddefconfig + check in {time.monotonic() - start:.1f} s")
    return out, res


def fragment_requests(text: str) -> dict[str, str]:
    """Independent of configure.sh: symbol -> the .config line the fragment asks for."""
    want = {}
    for line in text.splitlines():
        if m := re.fullmatch(r"(CONFIG_\w+)=(.*)", line.strip()):
            want[m.group(1)] = line.strip()
        elif m := re.fullmatch(r"# (CONFIG_\w+) is not set", line.strip()):
            want[m.group(1)] = ""
    return want


@pytest.mark.slow
def test_every_netboot_option_survives_olddefconfig(netboot_build):
    out, res = netboot_build
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    want = fragment_requests(FRAGMENT.read_text())
    assert f"all {len(want)} options of 1 fragment(s)" in res.stdout
    config = (out / ".config").read_text().splitlines()
    for sym, line in want.items():
        if line:
            assert line in config, f"{sym}: wanted {line}"
        else:
            assert not any(c.startswith(f"{sym}=") for c in config), f"{sym} must be off"


@pytest.mark.slow
def test_the_netboot_essentials_are_built_in(netboot_build):
    config = set((netboot_build[0] / ".config").read_text().splitlines())
    for sym in ("DEVTMPFS_MOUNT", "BLK_DEV_INITRD", "RD_GZIP", "RD_XZ", "RD_ZSTD", "VIRTIO_PCI",
                "VIRTIO_NET", "E1000", "E1000E", "8139TOO", "IP_PNP", "IP_PNP_DHCP", "NFS_FS",
                "ROOT_NFS", "SQUASHFS", "SQUASHFS_ZLIB", "SQUASHFS_XZ", "SQUASHFS_ZSTD", "OVERLAY_FS",
                "BLK_DEV_LOOP", "NFS_V3", "TMPFS",
                "SERIAL_8250", "SERIAL_8250_CONSOLE"):
        assert f"CONFIG_{sym}=y" in config, f"CONFIG_{sym} is not built in"


@pytest.mark.slow
def test_a_silently_dropped_option_fails_the_step(kernel_tree, netboot_build, tmp_path):
    """The classic: a later fragment switches off what another option depends on."""
    out = tmp_path / "build"
    shutil.copytree(netboot_build[0], out, symlinks=True)  # scripts/kconfig already built
    site = tmp_path / "site.config"
    site.write_text("# CONFIG_IP_PNP is not set\nCONFIG_E1000X=y\nCONFIG_SQUASHFS=m\n")
    res = configure(kernel_tree, out, FRAGMENT, site)
    assert res.returncode == 1
    lost = dict(re.findall(r"^  (CONFIG_\w+): .*\[(\S+)\]$", res.stderr, re.M))
    assert lost == {"CONFIG_IP_PNP_DHCP": "netboot.config", "CONFIG_ROOT_NFS": "netboot.config",
                    "CONFIG_E1000X": "site.config"}, res.stderr
    assert "3 option(s) lost" in res.stderr and "depends on" in res.stderr


def test_check_only_reads_last_request_per_symbol(tmp_path):
    """Later fragments win, "=n" means off, a missing "off" symbol is fine (no kernel tree)."""
    config = tmp_path / ".config"
    config.write_text("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\nCONFIG_S=\"kmsg\"\n")
    first = tmp_path / "a.config"
    first.write_text("CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=y\nCONFIG_S=\"user\"\n")
    second = tmp_path / "b.config"
    second.write_text("CONFIG_B=n\nCONFIG_C=m\nCONFIG_S=\"kmsg\"\n# CONFIG_GONE is not set\n")
    ok = subprocess.run(["bash", str(CONFIGURE), "--check-only", str(config), str(first),
                         str(second)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(["bash", str(CONFIGURE), "--check-only", str(config), str(second),
                          str(first)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "CONFIG_B: wanted 'CONFIG_B=y', got '# CONFIG_B is not set'" in bad.stderr


def test_configure_script_is_clean_and_is_what_the_recipe_runs():
    recipe = RECIPE.read_text()
    assert 'bash "$K/configure.sh" "${fragments[@]}"' in recipe
    assert "#: files: kernel " in recipe
    need("shellcheck", package="shellcheck")
    res = subprocess.run(["shellcheck", str(CONFIGURE)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout
