"""The BLFS stage: recipes in book/blfs/, their packages file, lfs.blfs and its checks.

Static checks like the LFS recipes' (bash -n, shellcheck, header, no versions), plus: every
recipe names a real BLFS 12.3 section (tests/data/blfs-12.3-sections.txt, from the book's
source), the selection refuses unknown names and unselected dependencies before anything runs,
and `md5: unknown` (the BLFS bootscripts, for which the book gives no md5) is taken only once,
from a source where it cannot be swapped on the way, and pinned.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO, md5, need, need_root, run_invoke
from httpserver import FileServer
from lfsbuild.build.book import BLFS_STAGE, load_book, select_blfs
from lfsbuild.build.files import place_files, step_files
from lfsbuild.errors import BookError, ConfigError, DataFileError
from lfsbuild.settings import DEFAULT_BLFS, authorized_keys, from_config
from lfsbuild.sources.packages import OPTIONAL, REQUIRED, UNKNOWN_MD5, load_packages, parse_packages

BLFS = REPO / "book" / BLFS_STAGE
PACKAGES = REPO / "packages-blfs.yaml"
RECIPES = sorted(BLFS.glob("*.sh"))
SECTIONS = {line.strip() for line in (REPO / "tests/data/blfs-12.3-sections.txt").read_text()
            .splitlines() if line.strip() and not line.startswith("#")}
TARBALL_RE = re.compile(r"\.(tar\.(gz|xz|bz2|zst|lz)|tgz|tbz2|txz)\b")
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture(scope="module")
def packages():
    return load_packages(PACKAGES)


@pytest.fixture(scope="module")
def steps():
    return {s.path.resolve(): s for s in load_book(REPO / "book").stages[BLFS_STAGE]}


def test_there_are_blfs_recipes_after_the_lfs_stages():
    book = load_book(REPO / "book")
    assert list(book.stages)[-1] == BLFS_STAGE and list(book.stages)[:5] == [
        "stage1", "stage2", "stage3", "stage4", "stage5"]
    assert [s.name for s in book.stages[BLFS_STAGE]] == ["openssh", "dhcpcd"]
    assert book.blfs_available == DEFAULT_BLFS
    assert "openssh" in SECTIONS and "dhcpcd" in SECTIONS and len(SECTIONS) > 1000


# --- recipes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("recipe", RECIPES, ids=[p.name for p in RECIPES])
def test_recipe_bash_syntax(recipe):
    res = subprocess.run(["bash", "-n", str(recipe)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.name for p in RECIPES])
def test_recipe_shellcheck(recipe):
    need("shellcheck", package="shellcheck")
    res = subprocess.run(["shellcheck", "-x", recipe.name], cwd=recipe.parent,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.name for p in RECIPES])
def test_recipe_header_names_a_real_blfs_section(recipe, steps, packages):
    step = steps[recipe.resolve()]
    assert step.section in SECTIONS, f"{recipe}: no section {step.section!r} in BLFS 12.3"
    assert step.run == "chroot"
    assert step.package and packages.get(step.package).kind == "package"
    assert packages.get(step.package).version not in step.title
    for name in step.extras:
        assert packages.get(name).kind == "package"
    for rel in step.files:
        assert (REPO / "chroot" / rel).exists(), rel
    assert step.sbu > 0


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.name for p in RECIPES])
def test_recipe_names_no_version_or_file(recipe, steps, packages):
    step = steps[recipe.resolve()]
    text = recipe.read_text()
    assert not TARBALL_RE.search(text)
    for name in (step.package, *step.extras):
        pkg = packages.get(name)
        assert pkg.filename not in text
        assert not re.search(rf"(?<![\w.]){re.escape(pkg.version)}(?![\w])", text), name


def test_openssh_bakes_no_host_key_into_the_image():
    """BLFS's `make install` ends with ssh-keygen -A: every node would share this build's keys."""
    text = (BLFS / "010-openssh.sh").read_text()
    commands = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert "make install-nokeys" in commands and "make install" not in commands
    assert not [l for l in commands if "ssh-keygen" in l]
    assert 'echo "PermitRootLogin prohibit-password" >> /etc/ssh/sshd_config' in commands
    assert "make install-sshd" in commands


def test_dhcpcd_takes_over_the_lease_without_releasing_it():
    conf = (REPO / "chroot/blfs/etc/sysconfig/ifconfig.dhcpcd.tmpl").read_text()
    values = dict(re.findall(r'^(\w+)="([^"]*)"', conf, re.M))
    assert values["SERVICE"] == "dhcpcd" and values["ONBOOT"] == "yes"
    assert values["IFACE"] == "${nic}"
    start, stop = values["DHCP_START"].split(), values["DHCP_STOP"].split()
    assert "--persistent" in start and "-b" in start
    assert "-k" not in stop and "--release" not in stop and "--exit" in stop
    assert "make install-service-dhcpcd" in (BLFS / "020-dhcpcd.sh").read_text()


# --- packages-blfs.yaml -------------------------------------------------------------------------

def _raw_entries() -> list[dict]:
    return list(yaml.safe_load(PACKAGES.read_text())["packages"])


def test_blfs_packages_file_loads_and_is_the_books(packages):
    assert packages.release == "12.3"
    assert packages.get("openssh").version == "9.9p2"
    assert packages.get("openssh").md5 == "f617b95fe278bfea8d004589c7a68a85"
    assert packages.get("dhcpcd").version == "10.2.2"
    assert packages.get("dhcpcd").md5 == "417ccbdef28a633e212b4fb59ba06fbf"
    assert packages.get("blfs-bootscripts").version == "20250225"


@pytest.mark.parametrize("entry", _raw_entries(), ids=lambda e: e["name"])
def test_blfs_package_entry_is_well_formed(entry):
    assert set(REQUIRED) <= set(entry) <= set(REQUIRED + OPTIONAL)
    if entry["name"] == "blfs-bootscripts":
        assert entry["md5"] == UNKNOWN_MD5  # the book gives none; never invent one
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", entry["md5"]), entry["md5"]
    assert isinstance(entry["version"], str) and entry["version"] in entry["url"].rsplit("/", 1)[-1]
    assert re.match(r"https://[^/]+/", entry["url"])


def test_no_name_is_in_both_packages_files(packages):
    lfs = load_packages(REPO / "packages.yaml")
    assert not set(lfs.packages) & set(packages.packages)
    merged = lfs.merged(packages)
    assert merged.get("openssh").md5 == packages.get("openssh").md5
    with pytest.raises(DataFileError, match="'bash' is also defined in"):
        lfs.merged(parse_packages("release: '12.3'\npackages:\n  - name: bash\n    version: '1'\n"
                                  "    url: https://x.org/bash-1.tar.gz\n    md5: " + "0" * 32 + "\n",
                                  Path("blfs.yaml")))


def test_md5_unknown_is_the_only_word_a_packages_file_may_use(tmp_path):
    doc = "release: '1'\npackages:\n  - name: a\n    version: '1'\n    url: https://x.org/a-1.tar.gz\n"
    assert parse_packages(doc + "    md5: unknown\n", tmp_path / "p.yaml").get("a").md5 == UNKNOWN_MD5
    with pytest.raises(DataFileError, match="is not an md5 checksum"):
        parse_packages(doc + "    md5: none\n", tmp_path / "p.yaml")


def test_a_file_without_a_checksum_is_taken_once_from_a_safe_source_then_pinned(tmp_path, invoke_env):
    """The BLFS bootscripts: never over plain http; from a file:// mirror (or https://) once,
    with its md5 pinned in the sources cache, and from then on held to that md5."""
    data = b"bootscripts bytes"
    pk = tmp_path / "p.yaml"

    def entry(url: str) -> None:
        pk.write_text(f"release: '1'\npackages:\n  - name: bs\n    version: '1'\n"
                      f"    url: {url}\n    md5: unknown\n")
    with FileServer(files={"bs-1.tar.xz": data}) as srv:
        entry(f"{srv.url}/bs-1.tar.xz")
        r = run_invoke(["fetch"], invoke_env(packages=pk, retries=0, timeout=2))
    assert r.returncode == 1
    assert "not tried: the book publishes no checksum for bs-1.tar.xz" in r.stderr
    assert not (tmp_path / "sources" / "bs-1.tar.xz").exists()
    assert not (tmp_path / "sources" / "md5-pins.txt").exists()

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "bs-1.tar.xz").write_bytes(data)
    entry(f"file://{mirror}/bs-1.tar.xz")
    r = run_invoke(["fetch"], invoke_env(packages=pk))
    assert r.returncode == 0, r.stderr
    pins = tmp_path / "sources" / "md5-pins.txt"
    assert f"its md5 {md5(data)} pinned in {pins}" in r.stdout
    assert pins.read_text() == f"{md5(data)}  bs-1.tar.xz\n"
    assert subprocess.run(["md5sum", "-c", pins.name], cwd=pins.parent,
                          capture_output=True).returncode == 0
    assert run_invoke(["verify"], invoke_env(packages=pk)).returncode == 0

    (mirror / "bs-1.tar.xz").write_bytes(b"other bytes")      # swapped upstream afterwards
    (tmp_path / "sources" / "bs-1.tar.xz").unlink()
    r = run_invoke(["fetch"], invoke_env(packages=pk))
    assert r.returncode == 1 and f"md5 expected {md5(data)}" in r.stderr, r.stderr
    assert not (tmp_path / "sources" / "bs-1.tar.xz").exists()
    assert pins.read_text() == f"{md5(data)}  bs-1.tar.xz\n"


# --- lfs.blfs: the selection and its checks ------------------------------------------------------

def _book(tmp_path: Path, recipes: dict[str, str]) -> Path:
    root = tmp_path / "book"
    (root / "stage1").mkdir(parents=True)
    (root / "stage1" / "010-a.sh").write_text("# A\n:\n")
    (root / BLFS_STAGE).mkdir()
    for name, header in recipes.items():
        (root / BLFS_STAGE / name).write_text(f"# {name}\n{header}:\n")
    return root


def test_selection_keeps_the_book_order_and_checks_dependencies(tmp_path):
    book = load_book(_book(tmp_path, {"010-libfoo.sh": "", "020-bar.sh": "#: requires: libfoo\n",
                                      "030-baz.sh": "#: requires: bar libfoo\n"}))
    assert [s.name for s in select_blfs(book, ("baz", "libfoo", "bar")).stages[BLFS_STAGE]] == [
        "libfoo", "bar", "baz"]
    assert select_blfs(book, ()).stages[BLFS_STAGE] == ()
    with pytest.raises(ConfigError) as err:
        select_blfs(book, ("baz",))
    assert "baz requires bar, libfoo" in err.value.message and "add bar, libfoo" in err.value.hint
    with pytest.raises(ConfigError) as err:
        select_blfs(book, ("libfoo", "openssl"))
    assert "no BLFS recipe named openssl" in err.value.message
    assert "libfoo, bar, baz" in err.value.hint


def test_requires_must_name_an_earlier_recipe(tmp_path):
    with pytest.raises(BookError, match="requires 'nosuch', which is no recipe of blfs"):
        load_book(_book(tmp_path / "a", {"010-x.sh": "#: requires: nosuch\n"}))
    with pytest.raises(BookError, match="requires 'y', whose recipe runs after it"):
        load_book(_book(tmp_path / "b", {"010-x.sh": "#: requires: y\n", "020-y.sh": ""}))


def test_a_book_without_blfs_recipes_builds_none(tmp_path):
    root = _book(tmp_path, {})
    shutil.rmtree(root / BLFS_STAGE)
    book = load_book(root)
    assert select_blfs(book, DEFAULT_BLFS) is book and BLFS_STAGE not in book.stages


def test_the_real_recipes_need_nothing_beyond_lfs():
    """BLFS 12.3 lists no required or recommended dependency for OpenSSH and dhcpcd."""
    book = load_book(REPO / "book")
    assert all(not s.requires for s in book.stages[BLFS_STAGE])
    for names in (("openssh",), ("dhcpcd",), ("dhcpcd", "openssh")):
        assert [s.name for s in select_blfs(book, names).stages[BLFS_STAGE]] == [
            n for n in DEFAULT_BLFS if n in names]


@pytest.mark.parametrize("value,expected", [
    (None, DEFAULT_BLFS), ("", ()), ([], ()), ("openssh", ("openssh",)),
    ("dhcpcd, openssh dhcpcd", ("dhcpcd", "openssh")), (["openssh"], ("openssh",))])
def test_blfs_setting_takes_a_list_or_a_string(value, expected):
    assert from_config({"blfs": value}, REPO).blfs == expected


def test_blfs_setting_refuses_what_is_no_name():
    with pytest.raises(ConfigError, match="'Open SSH!' is not a recipe name"):
        from_config({"blfs": ["Open SSH!"]}, REPO)


def test_unknown_blfs_name_is_refused_before_anything_runs(tmp_path, invoke_env):
    env = invoke_env(blfs="openssh nosuch")
    for args in (["build", "--no-host-check"], ["blfs", "--dry-run"], ["steps"], ["fetch"]):
        r = run_invoke(args, env)
        assert r.returncode == 1, args
        assert "lfs.blfs: no BLFS recipe named nosuch" in r.stderr, r.stderr
        assert "openssh, dhcpcd" in r.stderr
    assert not (tmp_path / "lfs").exists() and not (tmp_path / "sources").exists()


def test_blfs_steps_follow_stage5_and_an_empty_selection_runs_none(invoke_env):
    r = run_invoke(["steps"], invoke_env(blfs="dhcpcd"), check=True)
    rows = [l.split()[:2] for l in r.stdout.splitlines()[2:]]
    assert rows[-1] == ["blfs", "dhcpcd"] and rows[-2][0] == "stage5"
    r = run_invoke(["steps"], invoke_env(), check=True)
    assert "blfs" not in r.stdout
    r = run_invoke(["blfs"], invoke_env())
    assert r.returncode == 1 and "no BLFS package is selected: lfs.blfs is empty" in r.stderr


# --- lfs.system.authorized_keys -------------------------------------------------------------------

def test_authorized_keys_from_text_or_file(tmp_path):
    assert authorized_keys(f"{ED25519} me@host", tmp_path) == f"{ED25519} me@host\n"
    assert authorized_keys("", tmp_path) == ""
    pub = tmp_path / "id.pub"
    pub.write_text(f'# a comment\nno-pty,from="10.0.0.0/8" {ED25519} me\n\n{ED25519} other\n')
    assert authorized_keys(str(pub), tmp_path) == pub.read_text().strip() + "\n"
    assert authorized_keys("id.pub", tmp_path).endswith("other\n")  # relative to the project


def test_authorized_keys_refuses_private_keys_and_non_keys(tmp_path):
    key = tmp_path / "id"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                   "-----END OPENSSH PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="holds a PRIVATE key"):
        authorized_keys(str(key), tmp_path)
    with pytest.raises(ConfigError, match="neither a public key nor a readable file"):
        authorized_keys(str(tmp_path / "missing.pub"), tmp_path)
    bad = tmp_path / "bad.pub"
    bad.write_text(f"{ED25519} ok\nnot a key at all\n")
    with pytest.raises(ConfigError, match="line 2 of .* is not an OpenSSH public key"):
        authorized_keys(str(bad), tmp_path)
    with pytest.raises(ConfigError, match="lfs.system.authorized_keys"):
        from_config({"system": {"authorized_keys": str(key)}}, tmp_path)


# --- recipes' configuration parts, for real ---------------------------------------------------------

def _settings(**system: str):
    lfs = yaml.safe_load((REPO / "invoke.yaml").read_text())["lfs"]
    lfs["system"] = {**lfs["system"], **system}
    return from_config(lfs, REPO)


def test_authorized_keys_reach_the_openssh_step_and_its_fingerprint():
    from lfsbuild.build.state import step_inputs
    book = load_book(REPO / "book")
    step = next(s for s in book.stages[BLFS_STAGE] if s.name == "openssh")
    files = step_files(step, _settings(authorized_keys=f"{ED25519} me"), "12.3")
    assert files["blfs/root/.ssh/authorized_keys"].decode().startswith(f"{ED25519} me\n")
    lfs = load_packages(REPO / "packages.yaml").merged(load_packages(PACKAGES))
    a = step_inputs(step, lfs, _settings(authorized_keys=f"{ED25519} me"))
    assert a != step_inputs(step, lfs, _settings(authorized_keys=""))  # a new key: a re-run


NETWORK_SCRIPT = """case "${1}" in
   start)
      # stands for LFS's network script after stage5/010-bootscripts.sh's fix
      if ip route | grep -q "^default"; then exit 0; fi
      for file in /etc/sysconfig/ifconfig.*; do /sbin/ifup ${file##*/ifconfig.}; done
      ;;
esac
"""


@pytest.fixture
def dhcpcd_sandbox(tmp_path):
    """The dhcpcd recipe against a scratch /etc, with a stand-in source tree (configure and
    make do nothing): what is checked is what the recipe configures."""
    need_root("a scratch /etc is a mount namespace")
    need("unshare", package="util-linux")
    etc = tmp_path / "etc"
    (etc / "rc.d/init.d").mkdir(parents=True)
    (etc / "sysconfig").mkdir()
    (etc / "rc.d/init.d/network").write_text(NETWORK_SCRIPT)
    os.symlink("/proc/net/pnp", etc / "resolv.conf")
    step = next(s for s in load_book(REPO / "book").stages[BLFS_STAGE] if s.name == "dhcpcd")

    def run(**system: str) -> subprocess.CompletedProcess:
        work = tmp_path / "work"
        shutil.rmtree(work, ignore_errors=True)
        (work / "src/blfs-bootscripts").mkdir(parents=True)
        (work / "src/configure").write_text("#!/bin/sh\necho configured \"$@\"\n")
        (work / "src/configure").chmod(0o755)
        (work / "src/Makefile").write_text("all:\ninstall:\n")
        (work / "src/blfs-bootscripts/Makefile").write_text("install-service-dhcpcd:\n\t@echo service\n")
        place_files(step_files(step, _settings(**system), "12.3"), work / "files")
        script = f'mount --bind "{etc}" /etc && cd "{work}/src" && exec bash -e "{step.path}"'
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
                              env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "WORK_DIR": str(work),
                                   "LC_ALL": "POSIX"}, capture_output=True, text=True, timeout=60)
    return etc, run


def test_dhcpcd_recipe_hands_the_nic_to_dhcpcd(dhcpcd_sandbox):
    etc, run = dhcpcd_sandbox
    res = run(network="dhcp", nic="eth1")
    assert res.returncode == 0, res.stderr
    assert "--disable-privsep" in res.stdout and "service" in res.stdout
    conf = (etc / "sysconfig/ifconfig.eth1").read_text()
    assert 'IFACE="eth1"' in conf and 'SERVICE="dhcpcd"' in conf
    assert 'DHCP_START="-b -q -h $HOSTNAME --persistent --noipv4ll"' in conf
    network = (etc / "rc.d/init.d/network").read_text()
    assert 'grep -q "^default"' not in network and "/sbin/ifup" in network
    assert not os.path.lexists(etc / "resolv.conf")  # dhcpcd writes it from each lease
    assert run(network="dhcp", nic="eth1").returncode == 0  # a re-run works too


def test_dhcpcd_recipe_leaves_a_static_network_alone(dhcpcd_sandbox):
    etc, run = dhcpcd_sandbox
    res = run(network="static")
    assert res.returncode == 0, res.stderr
    assert "no interface is handed to dhcpcd" in res.stderr
    assert not list((etc / "sysconfig").glob("ifconfig.*"))
    assert 'grep -q "^default"' in (etc / "rc.d/init.d/network").read_text()
    assert os.readlink(etc / "resolv.conf") == "/proc/net/pnp"


def test_dhcpcd_recipe_fails_when_the_network_script_is_not_the_expected_one(dhcpcd_sandbox):
    etc, run = dhcpcd_sandbox
    script = etc / "rc.d/init.d/network"
    script.write_text(NETWORK_SCRIPT.replace("then exit 0", "then return 0"))  # unfixed stage 5
    res = run(network="dhcp")
    assert res.returncode == 1 and "dhcpcd would never start" in res.stderr


def test_build_runs_blfs_after_stage5_only_when_something_is_selected(tmp_path, monkeypatch):
    """journey.build's order: the book's stages, then blfs, then pxe; an empty lfs.blfs skips it."""
    from lfsbuild import journey
    root = _book(tmp_path, {"010-tool.sh": ""})
    (root / "stage5").mkdir()
    (root / "stage5" / "010-b.sh").write_text("# B\n:\n")
    pk = tmp_path / "p.yaml"
    pk.write_text("release: 't'\npackages: []\n")
    ran: list[str] = []
    monkeypatch.setattr(journey, "preflight", lambda *a, **k: None)
    monkeypatch.setattr(journey, "run_stage", lambda s, stage, **k: ran.append(stage))
    for blfs, expected in (("tool", ["stage1", "stage5", "blfs"]), ("", ["stage1", "stage5"])):
        ran.clear()
        s = from_config({"root": str(tmp_path / "lfs"), "book": str(root), "packages": str(pk),
                         "blfs_packages": str(pk), "blfs": blfs}, REPO)
        assert journey.build(s, to="blfs") == expected == ran


def test_build_with_openssh_wants_the_hosts_ssh_keygen_before_it_starts(tmp_path, monkeypatch):
    """`invoke pxe` makes the host keys at the end of the build: a host without ssh-keygen is
    told at the start, before any stage runs, not hours later."""
    from lfsbuild import journey
    from lfsbuild.errors import PxeError
    root = _book(tmp_path, {"010-openssh.sh": ""})
    pk = tmp_path / "p.yaml"
    pk.write_text("release: 't'\npackages: []\n")
    ran: list[str] = []
    monkeypatch.setattr(journey, "preflight", lambda *a, **k: None)
    monkeypatch.setattr(journey, "run_stage", lambda s, stage, **k: ran.append(stage))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    s = from_config({"root": str(tmp_path / "lfs"), "book": str(root), "packages": str(pk),
                     "blfs_packages": str(pk), "blfs": "openssh", "pxe_dir": str(tmp_path / "pxe")},
                    REPO)
    with pytest.raises(PxeError) as err:
        journey.build(s)
    assert "ssh-keygen is not installed" in err.value.message
    assert "openssh-client" in err.value.hint and ran == []
    assert journey.build(s, to="blfs") == ["stage1", "blfs"]     # no pxe: not needed
