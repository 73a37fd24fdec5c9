"""Stage 5 (LFS chapters 9-10): the chapter 9 templates and the recipes that install them.

Templates are rendered through lfsbuild.build.files.step_files, exactly as the runner renders them for
a step, with the proposed default settings and with custom ones (static address, another NIC).
The recipes are then run for real, as root, in a private mount namespace whose /etc and /boot
are scratch directories: the recipes write absolute paths, as they do in the chroot, and the
host's own files are never touched.
"""
from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest
import yaml

from lfsbuild.build.book import Step, load_book
from lfsbuild.errors import BookError
from lfsbuild.errors import ConfigError
from lfsbuild.build.files import place_files, step_files, template_values
from lfsbuild.settings import Settings, from_config

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "chroot" / "config"

# The lfs.system defaults proposed for invoke.yaml (issue 6 report); tests use them directly so
# they do not depend on the project file, and check the project file separately.
DEFAULTS = {
    "hostname": "lfs", "domain": "lan", "timezone": "UTC", "locale": "en_US.UTF-8",
    "keymap": "us", "font": "Lat2-Terminus16", "network": "dhcp", "nic": "eth0",
    "ip": "192.168.1.2", "prefix": "24", "gateway": "192.168.1.1", "dns": "192.168.1.1",
    "serial_tty": "ttyS0", "serial_baud": "115200", "release": "12.3", "bootloader": "none",
    "boot_disk": "", "root_device": "/dev/sda2", "root_fstype": "ext4",
}
STATIC = {**DEFAULTS, "hostname": "pxe1", "domain": "example.org", "network": "static",
          "nic": "enp1s0", "ip": "10.0.0.5", "prefix": "16", "gateway": "10.0.0.1",
          "dns": "10.0.0.53", "serial_tty": "ttyS1", "serial_baud": "38400"}


def settings(system: dict[str, str]) -> Settings:
    """Project settings with `system` as lfs.system (files: the repo's chroot/); a
    "bootloader" key goes where users set it, lfs.bootloader."""
    system = dict(system)
    boot = system.pop("bootloader", None)
    return from_config({"system": system, **({"bootloader": boot} if boot else {})}, REPO)


@pytest.fixture(scope="module")
def steps() -> dict[str, Step]:
    return {s.name: s for s in load_book(REPO / "book").steps("stage5")}


def rendered(step: Step, system: dict[str, str]) -> dict[str, str]:
    return {k: v.decode() for k, v in step_files(step, settings(system)).items()}


def all_rendered(steps: dict[str, Step], system: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for step in steps.values():
        out.update(rendered(step, system))
    return out


# ----------------------------------------------------------------------------- templates

def test_every_config_file_is_used_by_a_recipe(steps):
    used = {f for s in steps.values() for f in s.files}
    present = {str(p.relative_to(CONFIG.parent)) for p in CONFIG.rglob("*") if p.is_file()}
    assert present - used == set(), "files under chroot/config that no stage 5 recipe installs"


def test_defaults_render_everything(steps):
    files = all_rendered(steps, DEFAULTS)
    assert files["config/etc/hostname"] == "lfs\n"
    hosts = files["config/etc/hosts"]
    assert "127.0.1.1 lfs.lan lfs\n" in hosts and "127.0.0.1 localhost.localdomain localhost" in hosts
    inittab = files["config/etc/inittab"]
    assert "id:3:initdefault:" in inittab
    assert re.search(r"^S0:2345:respawn:/sbin/agetty -L ttyS0 115200 vt100$", inittab, re.M)
    assert re.search(r"^1:2345:respawn:/sbin/agetty --noclear tty1 9600$", inittab, re.M)
    profile = files["config/etc/profile"]
    assert "export LANG=en_US.UTF-8" in profile
    assert "for i in $(locale); do\n  unset ${i%=*}" in profile  # $$ became the shell's $
    assert 'KEYMAP="us"' in files["config/etc/sysconfig/console"]
    assert files["config/network.conf"].splitlines()[-2:] == ["NETWORK='dhcp'", "NIC='eth0'"]
    assert "BOOTLOADER='none'" in files["config/boot.conf"]
    assert files["config/release"] == "12.3\n" and files["config/timezone"] == "UTC\n"
    assert "kernel/netboot.config" in files and "kernel/configure.sh" in files


def test_no_placeholder_survives_rendering(steps):
    names = "|".join(DEFAULTS)
    for rel, text in all_rendered(steps, DEFAULTS).items():
        assert not re.search(rf"\$\{{?({names})\b", text), f"{rel} still has a placeholder"


def test_static_settings(steps):
    files = rendered(steps["network"], STATIC)
    ifconfig = dict(line.split("=", 1) for line in files["config/etc/sysconfig/ifconfig"].split())
    assert ifconfig == {"ONBOOT": "yes", "IFACE": "enp1s0", "SERVICE": "ipv4-static",
                        "IP": "10.0.0.5", "GATEWAY": "10.0.0.1", "PREFIX": "16"}
    assert files["config/etc/hosts.static"] == "10.0.0.5 pxe1.example.org pxe1\n"
    assert "domain example.org\nnameserver 10.0.0.53\n" in files["config/etc/resolv.conf"]
    inittab = rendered(steps["bootscript-config"], STATIC)["config/etc/inittab"]
    assert "/sbin/agetty -L ttyS1 38400 vt100" in inittab


def test_a_missing_setting_names_the_template_and_the_setting(steps):
    incomplete = {k: v for k, v in DEFAULTS.items() if k != "hostname"}
    with pytest.raises(BookError) as err:
        step_files(steps["network"], settings(incomplete))
    text = str(err.value)
    assert "hostname.tmpl" in text and "${hostname}" in text
    assert "set lfs.system.hostname" in text


def test_invoke_yaml_has_a_default_for_every_template_setting():
    """Every ${name} of chroot/config/ needs an lfs.system default, or the step cannot render."""
    used: set[str] = set()
    for tmpl in CONFIG.rglob("*.tmpl"):
        for m in string.Template.pattern.finditer(tmpl.read_text()):
            name = m.group("named") or m.group("braced")
            if name:
                used.add(name)
    assert used <= set(DEFAULTS) | {"target", "bootloader", "release"}, used - set(DEFAULTS)
    lfs = yaml.safe_load((REPO / "invoke.yaml").read_text())["lfs"] or {}
    assert lfs.get("system"), "invoke.yaml has no lfs.system defaults"
    provided = set(template_values(from_config(lfs, REPO)))  # lfs.system + what files.py adds
    assert used <= provided, f"invoke.yaml lacks defaults for {sorted(used - provided)}"


# ----------------------------------------------------------------------------- recipes, for real

def needs_root(test):
    """Recipes run against a scratch /etc bind-mounted in a private mount namespace."""
    test = pytest.mark.needs("unshare", package="util-linux")(test)
    return pytest.mark.root("bind mounts over /etc in a mount namespace")(test)


class Sandbox:
    """A scratch /etc and /boot, bind-mounted over the real ones in a private mount namespace."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.etc = tmp_path / "etc"
        self.boot = tmp_path / "boot"
        for d in (self.etc / "sysconfig", self.etc / "udev" / "rules.d", self.boot):
            d.mkdir(parents=True, exist_ok=True)
        # what lfs-bootscripts' `make install` leaves (stage 5 step 010)
        (self.etc / "sysconfig" / "rc.site").write_text("# Begin rc.site\nDISTRO=\"LFS\"\n")

    def run(self, step: Step, system: dict[str, str],
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        work = self.root / f"work-{step.name}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        place_files(step_files(step, settings(system)), work / "files")
        script = (f'mount --bind "{self.etc}" /etc && mount --bind "{self.boot}" /boot && '
                  f'cd "{work}" && exec bash -e "{step.path}"')
        base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "WORK_DIR": str(work), "LC_ALL": "POSIX",
                "HOME": str(work)}
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c",
                               script], env={**base, **(env or {})}, capture_output=True,
                              text=True, timeout=60)


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


@needs_root
def test_network_dhcp_then_static_then_dhcp(steps, sandbox):
    etc = sandbox.etc
    res = sandbox.run(steps["network"], DEFAULTS)
    assert res.returncode == 0, res.stderr
    assert (etc / "hostname").read_text() == "lfs\n"
    assert os.readlink(etc / "resolv.conf") == "/proc/net/pnp"
    assert not list((etc / "sysconfig").glob("ifconfig.*")), "dhcp: no ifconfig file (see recipe)"

    res = sandbox.run(steps["network"], STATIC)
    assert res.returncode == 0, res.stderr
    assert (etc / "sysconfig" / "ifconfig.enp1s0").read_text().startswith("ONBOOT=yes\n")
    assert not (etc / "resolv.conf").is_symlink()
    assert "nameserver 10.0.0.53" in (etc / "resolv.conf").read_text()
    hosts = (etc / "hosts").read_text().splitlines()
    i = hosts.index("127.0.1.1 pxe1.example.org pxe1")
    assert hosts[i + 1] == "10.0.0.5 pxe1.example.org pxe1"  # the book's order: before ::1

    res = sandbox.run(steps["network"], DEFAULTS)  # back to dhcp: the static file must go
    assert res.returncode == 0, res.stderr
    assert not list((etc / "sysconfig").glob("ifconfig.*"))
    assert "10.0.0.5" not in (etc / "hosts").read_text()


@needs_root
def test_network_rejects_an_unknown_mode(steps, sandbox):
    res = sandbox.run(steps["network"], {**DEFAULTS, "network": "wifi"})
    assert res.returncode == 1
    assert "lfs.system.network is 'wifi': use dhcp, static or none" in res.stderr
    assert not (sandbox.etc / "hosts").exists(), "nothing installed before the check"


@needs_root
def test_devices_keep_kernel_names_for_ethN(steps, sandbox):
    rule = sandbox.etc / "udev" / "rules.d" / "80-net-setup-link.rules"
    assert sandbox.run(steps["devices"], DEFAULTS).returncode == 0
    assert os.readlink(rule) == "/dev/null"
    res = sandbox.run(steps["devices"], STATIC)  # enp1s0: udev's predictable names again
    assert res.returncode == 0, res.stderr
    assert not rule.is_symlink()


@needs_root
def test_bootscript_config(steps, sandbox):
    for _ in range(2):  # a re-run must not add rc.site's lines twice
        res = sandbox.run(steps["bootscript-config"], DEFAULTS)
        assert res.returncode == 0, res.stderr
    etc = sandbox.etc
    assert "S0:2345:respawn:/sbin/agetty -L ttyS0 115200 vt100" in (etc / "inittab").read_text()
    assert "UTC=1" in (etc / "sysconfig" / "clock").read_text()
    assert 'FONT="Lat2-Terminus16"' in (etc / "sysconfig" / "console").read_text()
    assert os.readlink(etc / "localtime") == "/usr/share/zoneinfo/UTC"
    assert (etc / "sysconfig" / "rc.site").read_text().count("HEADLESS=yes") == 1


@needs_root
def test_bootscript_config_rejects_an_unknown_zone(steps, sandbox):
    res = sandbox.run(steps["bootscript-config"], {**DEFAULTS, "timezone": "Mars/Olympus"})
    assert res.returncode == 1
    assert "lfs.system.timezone is 'Mars/Olympus'" in res.stderr


@needs_root
def test_locale_is_tested_before_profile_is_written(steps, sandbox):
    res = sandbox.run(steps["locale"], {**DEFAULTS, "locale": "xx_YY.UTF-8"})
    assert res.returncode == 1
    assert "lfs.system.locale 'xx_YY.UTF-8' is not installed" in res.stderr
    assert not (sandbox.etc / "profile").exists()
    res = sandbox.run(steps["locale"], {**DEFAULTS, "locale": "C.UTF-8"})  # on every glibc
    assert res.returncode == 0, res.stderr
    assert "export LANG=C.UTF-8" in (sandbox.etc / "profile").read_text()


@needs_root
def test_inputrc_shells_fstab(steps, sandbox):
    rcs = sandbox.etc / "rc.d" / "rcS.d"   # what lfs-bootscripts' `make install` links
    rcs.mkdir(parents=True)
    (rcs / "S30checkfs").symlink_to("../init.d/checkfs")
    for name in ("inputrc", "shells", "fstab"):
        res = sandbox.run(steps[name], DEFAULTS)
        assert res.returncode == 0, (name, res.stderr)
    etc = sandbox.etc
    assert "/bin/bash" in (etc / "shells").read_text().splitlines()
    assert '"\\e[3~": delete-char' in (etc / "inputrc").read_text()
    fstab = (etc / "fstab").read_text()
    mounts = [ln.split()[1] for ln in fstab.splitlines() if ln and not ln.startswith("#")]
    assert mounts == ["/proc", "/sys", "/dev/pts", "/run", "/dev", "/dev/shm", "/sys/fs/cgroup"]
    # netboot: no root file system to check (checkfs would power the machine off)
    assert not os.path.lexists(rcs / "S30checkfs")

    res = sandbox.run(steps["fstab"], {**DEFAULTS, "bootloader": "grub"})
    assert res.returncode == 0, res.stderr
    lines = [ln.split() for ln in (etc / "fstab").read_text().splitlines()
             if ln and not ln.startswith("#")]
    assert lines[0] == ["/dev/sda2", "/", "ext4", "defaults", "1", "1"]
    assert os.readlink(rcs / "S30checkfs") == "../init.d/checkfs"   # a disk is checked again


@needs_root
def test_grub_does_nothing_unless_asked(steps, sandbox):
    env = {"LINUX_VERSION": "6.13.4"}
    res = sandbox.run(steps["grub"], DEFAULTS, env)
    assert res.returncode == 0, res.stderr
    assert "no boot loader installed" in res.stdout
    assert not any(sandbox.boot.iterdir())

    res = sandbox.run(steps["grub"], {**DEFAULTS, "bootloader": "grub"}, env)
    assert res.returncode == 1
    assert "lfs.system.boot_disk is empty" in res.stderr

    with pytest.raises(ConfigError, match="lfs.bootloader must be one of none, grub, not 'lilo'"):
        settings({**DEFAULTS, "bootloader": "lilo"})  # refused before any recipe runs
