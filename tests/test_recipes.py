"""The book data: packages.yaml and every recipe in book/.

Static checks keep recipes honest (syntax, shellcheck, header, names that resolve, no versions
or tarball names); two recipes are also run for real, because "the layout is right" and "the
sanity check fails on a broken toolchain" are only shown by running them.
"""
from __future__ import annotations

import os
import platform
import pwd
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import need, unavailable

from lfsbuild.build.book import load_book
from lfsbuild.build.runner import HARNESS
from lfsbuild.build.testsuite import CONSOLE_LOG
from lfsbuild.sources.packages import OPTIONAL, REQUIRED, load_packages

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
PACKAGES = ROOT / "packages.yaml"
SHARED_LFS = ROOT.parent / "shared" / "lfs"  # the book's XML, where the checkout has it beside
RECIPES = sorted(BOOK.glob("stage*/*.sh"))
STAGES = sorted({p.parent.name for p in RECIPES})
RUN_MODES = {"user", "root", "chroot"}
TARBALL_RE = re.compile(r"\.(tar\.(gz|xz|bz2|zst|lz)|tgz|tbz2|txz)\b")


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


@pytest.fixture(scope="module")
def packages():
    return load_packages(PACKAGES)


@pytest.fixture(scope="module")
def book():
    return load_book(BOOK)


@pytest.fixture(scope="module")
def steps(book):
    """Every step of every stage directory, keyed by recipe path."""
    out = {}
    for stage in STAGES:
        for step in book.steps(stage):
            out[Path(step.path).resolve()] = step
    return out


def test_there_are_recipes():
    assert RECIPES, f"no recipes under {BOOK}"
    assert "stage1" in STAGES


# --- packages.yaml ---------------------------------------------------------------------------

def _raw_entries() -> list[dict]:
    data = yaml.safe_load(PACKAGES.read_text())
    return list(data["packages"]) + list(data.get("patches") or [])


def test_packages_file_loads(packages):
    assert packages.release == "12.3"
    assert len(packages) > 80


def test_package_names_are_unique():
    names = [e["name"] for e in _raw_entries()]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"duplicate names in packages.yaml: {dupes}"


@pytest.mark.parametrize("entry", _raw_entries(), ids=lambda e: e["name"])
def test_package_entry_is_well_formed(entry):
    assert set(REQUIRED) <= set(entry) <= set(REQUIRED + OPTIONAL)
    assert re.fullmatch(r"[0-9a-f]{32}", entry["md5"]), entry["md5"]
    assert isinstance(entry["version"], str) and entry["version"], (
        "versions must be quoted strings ('2.44', not 2.44)")
    for url in [entry["url"], *entry.get("mirrors", [])]:
        assert re.match(r"https?://[^/]+/", url), url
    filename = entry["url"].rsplit("/", 1)[-1]
    assert entry["version"] in filename, "version and URL disagree"


def test_patch_versions_match_their_package(packages):
    for patch in (p for p in packages.all() if p.kind == "patch"):
        owner = packages.get(patch.name.split("-", 1)[0])
        assert patch.version == owner.version, patch.name
        assert f"-{patch.version}-" in patch.filename, patch.name


def test_packages_are_the_sysv_set(packages):
    assert "dbus" not in packages  # systemd variant only
    for name in ("systemd", "udev-lfs", "sysvinit", "lfs-bootscripts", "sysklogd",
                 "sysvinit-consolidated", "glibc-fhs"):
        assert name in packages, name


# --- recipes: static ------------------------------------------------------------------------

@pytest.mark.parametrize("recipe", RECIPES, ids=_ids(RECIPES))
def test_recipe_bash_syntax(recipe):
    res = subprocess.run(["bash", "-n", str(recipe)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("recipe", RECIPES, ids=_ids(RECIPES))
def test_recipe_shellcheck(recipe):
    need("shellcheck", package="shellcheck")
    # run from the recipe's directory so book/.shellcheckrc is the one that applies
    res = subprocess.run(["shellcheck", "-x", recipe.name], cwd=recipe.parent,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_harness_passes_shellcheck_as_posix_sh():
    """The lfs_tests harness is sourced by every step's shell, busybox sh in a test root too."""
    need("shellcheck", package="shellcheck")
    res = subprocess.run(["shellcheck", "-s", "sh", "-"], input=HARNESS, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_recipes_carry_the_books_test_command_not_the_harness(steps):
    """Console capture, exit status and result files are the runner's (lfs_tests, collect_tests):
    a recipe with a test suite calls lfs_tests, and copies no result file itself."""
    for step in steps.values():
        text = step.text
        assert "cp --parents" not in text, f"{step.path}: the runner collects result files"
        assert f"$TEST_DIR/{CONSOLE_LOG}\" 2>&1" not in text, f"{step.path}: use lfs_tests"
        if step.tests and step.name != "vim":  # vim's binary output goes to vim-test.log, as the book says
            assert re.search(r"^\s*(\w+=\S+ )*lfs_tests ", text, re.M), f"{step.path}: no lfs_tests"
        if not step.tests:
            assert "lfs_tests" not in text and "$TEST_DIR" not in text, (
                f"{step.path}: runs tests but has no '#: tests:' header")


@pytest.mark.parametrize("recipe", RECIPES, ids=_ids(RECIPES))
def test_recipe_file_name(recipe):
    assert re.fullmatch(r"\d{3}-[a-z0-9][a-z0-9+._-]*\.sh", recipe.name), recipe.name


def test_every_recipe_is_a_step(steps):
    assert set(steps) == {p.resolve() for p in RECIPES}


def test_steps_are_in_file_order_with_unique_names(book):
    for stage in STAGES:
        found = book.steps(stage)
        assert [Path(s.path).name for s in found] == sorted(p.name for p in (BOOK / stage).glob("*.sh"))
        names = [s.name for s in found]
        assert len(names) == len(set(names)), f"{stage}: duplicate step names {names}"
        for s in found:
            assert Path(s.path).name.split("-", 1)[1] == f"{s.name}.sh"


@pytest.mark.parametrize("recipe", RECIPES, ids=_ids(RECIPES))
def test_recipe_header(recipe, steps, packages):
    step = steps[recipe.resolve()]
    assert step.title and step.title == recipe.read_text().splitlines()[0].removeprefix("# ")
    assert step.section and re.fullmatch(r"ch-[A-Za-z0-9+-]+", step.section), step.section
    assert step.run in RUN_MODES
    assert step.sbu is not None and float(step.sbu) >= 0
    if step.package:
        pkg = packages.get(step.package)  # raises LfsError when unknown
        assert pkg.kind == "package"
        assert pkg.version not in step.title, "titles carry no version"
    for name in step.extras:
        assert packages.get(name).kind == "package", name
    for name in step.patches:
        assert packages.get(name).kind == "patch", name
    if step.extras or step.patches:
        assert step.package, "extras and patches go into a package's source tree"


@pytest.mark.parametrize("recipe", RECIPES, ids=_ids(RECIPES))
def test_recipe_names_no_version_or_file(recipe, steps, packages):
    step = steps[recipe.resolve()]
    text = recipe.read_text()
    assert not TARBALL_RE.search(text), "the runner unpacks; recipes name no tarball"
    for pkg in packages.all():
        assert pkg.filename not in text, f"names the file {pkg.filename}"
    for name in ([step.package, *step.extras] if step.package else []):
        version = packages.get(name).version
        pattern = rf"(?<![\w.]){re.escape(version)}(?![\w])"
        assert not re.search(pattern, text), (
            f"names {name}'s version {version}: use what the runner provides instead")
    assert not re.search(r"\b(x86_64|i[3-6]86|aarch64)-lfs-linux-gnu\b", text), "use $LFS_TGT"


def test_versions_header_replaces_spelled_versions(steps, packages):
    """`#: versions: glibc` gives the recipe $GLIBC_VERSION: the value must not be spelled too."""
    for step in steps.values():
        for name in step.versions:
            version = packages.get(name).version  # raises LfsError when unknown
            var = re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_VERSION"
            assert var in step.text, f"{step.path}: declares versions: {name} but never uses ${var}"
            assert not re.search(rf"(?<![\w.]){re.escape(version)}(?!\w)", step.text), (
                f"{step.path}: spells {name}'s version {version}; use ${var}")


def test_only_layout_and_ownership_run_as_host_root(steps):
    """Chapter 4's layout and chapter 7's ownership change are the book's only host-root steps."""
    for step in steps.values():
        if step.run == "root":
            assert step.section in ("ch-tools-creatingminlayout", "ch-tools-changingowner"), step.path


def shared_lfs(name: str) -> Path:
    """The project's LFS reference data (../shared/lfs): CI has it beside the checkout."""
    path = SHARED_LFS / name
    if not path.exists():
        unavailable(f"{path} does not exist", "check the project out beside its shared/ folder")
    return path


def test_sections_exist_in_the_book(steps):
    ids = {}
    for xml in shared_lfs("book-12.3").glob("chapter*/*.xml"):
        for sid in re.findall(r'<sect1 id="([^"]+)"', xml.read_text()):
            ids[sid] = xml
    for step in steps.values():
        assert step.section in ids, f"{step.path}: no section {step.section} in the book"


def test_sbu_matches_the_book(steps):
    book_sbu = {}
    for entry in yaml.safe_load(shared_lfs("lfs-12.3-steps.yaml").read_text()):
        if entry.get("sbu"):
            # "0.4 - 32 SBU (typically about 2.5 SBU)": the typical figure is what ETAs need
            typical = re.search(r"typically about ([\d.]+) SBU", entry["sbu"])
            m = re.search(r"(less than )?([\d.]+) SBU", entry["sbu"])
            book_sbu[entry["id"]] = float(typical.group(1)) if typical else (
                0.1 if m.group(1) else float(m.group(2)))
    for step in steps.values():
        if step.package and step.section in book_sbu:
            assert float(step.sbu) == book_sbu[step.section], step.path


# --- recipes: really run ------------------------------------------------------------------------

def _run_recipe(recipe: Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """As the runner does: bash -e in a clean environment."""
    base = {"HOME": str(cwd), "TERM": "dumb", "LC_ALL": "POSIX"}
    return subprocess.run(["bash", "-e", str(recipe)], cwd=cwd, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.root("the layout recipe chowns")
def test_layout_recipe_makes_the_book_layout(tmp_path):
    lfs = tmp_path / "lfs"
    lfs.mkdir()
    user = pwd.getpwnam("nobody")
    env = {"LFS": str(lfs), "LFS_USER": user.pw_name,
           "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    recipe = BOOK / "stage1" / "010-layout.sh"
    for _ in range(2):  # a re-run (resume after a failure) must succeed too
        res = _run_recipe(recipe, tmp_path, env)
        assert res.returncode == 0, res.stderr
    for d in ("etc", "var", "usr", "usr/bin", "usr/lib", "usr/sbin", "tools"):
        assert (lfs / d).is_dir() and not (lfs / d).is_symlink(), d
        assert (lfs / d).stat().st_uid == user.pw_uid, d
    for d in ("bin", "lib", "sbin"):
        assert os.readlink(lfs / d) == f"usr/{d}"
    assert (lfs / "lib64").is_dir() == (platform.machine() == "x86_64")


def _fake_cross_gcc(tmp_path: Path, extra_flags: str) -> dict[str, str]:
    """The host gcc under the cross name: a real compiler producing a real x86_64 binary."""
    target = f"{platform.machine()}-lfs-linux-gnu"
    bindir = tmp_path / "tools" / "bin"
    bindir.mkdir(parents=True)
    gcc = bindir / f"{target}-gcc"
    gcc.write_text(f'#!/bin/sh\nexec gcc {extra_flags} "$@"\n')
    gcc.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    return {"LFS": str(tmp_path), "LFS_TGT": target, "WORK_DIR": str(work),
            "PATH": f"{bindir}:/usr/bin:/bin"}


def needs_host_gcc(test):
    """The check expects x86_64's loader: a real x86_64 gcc and readelf (other hosts skip)."""
    test = pytest.mark.needs("gcc", "readelf", package="build-essential")(test)
    return pytest.mark.skipif(platform.machine() != "x86_64",
                              reason="the toolchain check expects an x86_64 host")(test)


@needs_host_gcc
def test_toolchain_check_passes_on_a_working_toolchain(tmp_path):
    env = _fake_cross_gcc(tmp_path, "")
    res = _run_recipe(BOOK / "stage1" / "060-toolchain-check.sh", Path(env["WORK_DIR"]), env)
    assert res.returncode == 0, res.stderr
    assert "[Requesting program interpreter: /lib64/ld-linux-x86-64.so.2]" in res.stdout
    assert not (Path(env["WORK_DIR"]) / "a.out").exists()


@needs_host_gcc
@pytest.mark.parametrize("flags", ["-Wl,--dynamic-linker=/usr/lib/ld-linux-x86-64.so.2", "-static"],
                         ids=["wrong-loader", "no-loader"])
def test_toolchain_check_fails_on_a_broken_toolchain(tmp_path, flags):
    env = _fake_cross_gcc(tmp_path, flags)
    res = _run_recipe(BOOK / "stage1" / "060-toolchain-check.sh", Path(env["WORK_DIR"]), env)
    assert res.returncode != 0
    assert "expected '[Requesting program interpreter: /lib64/ld-linux-x86-64.so.2]'" in res.stderr


@needs_host_gcc
def test_toolchain_check_fails_when_the_compiler_fails(tmp_path):
    env = _fake_cross_gcc(tmp_path, "-no-such-option")
    res = _run_recipe(BOOK / "stage1" / "060-toolchain-check.sh", Path(env["WORK_DIR"]), env)
    assert res.returncode != 0
