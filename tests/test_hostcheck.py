"""check-host: the requirements file, version parsing, fake hosts (PATH + root) and this host.

Fake hosts are real: directories of small scripts that answer `--version` like the real tools
do, put first on the PATH the probes search, and a temporary root whose /bin/sh, yacc and awk
are symlinks *inside* it. The host's own /bin/sh is never touched.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import REPO

from lfsbuild.build import hostcheck as hc
from lfsbuild.errors import DataFileError, HostError
from lfsbuild.settings import Settings
from lfsbuild.build.state import State, StateStore, StepRecord

REQS = REPO / "host-requirements.yaml"
BOOK_TOOLS = {"bash", "binutils", "bison", "coreutils", "diffutils", "findutils", "gawk", "gcc",
              "g++", "grep", "gzip", "m4", "make", "patch", "perl", "python", "sed", "tar",
              "texinfo", "xz"}
HOST_PATH = "/usr/bin:/bin"


def script(path: Path, body: str) -> Path:
    """An executable shell script (the fake tools); parent directories created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def fake_root(tmp_path: Path, sh: str = "dash") -> Path:
    """A root with the book's three links, as Debian ships them: sh -> dash, yacc via
    alternatives to bison.yacc, awk via alternatives to `awk_target`."""
    root = tmp_path / "root"
    script(root / "usr/bin/dash", 'echo "dash: 0: Illegal option --" >&2; exit 2')
    script(root / "usr/bin/bash", 'echo "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)"')
    script(root / "usr/bin/bison.yacc", 'echo "bison (GNU Bison) 3.8.2"')
    script(root / "usr/bin/mawk", 'echo "mawk: not an option: --version" >&2; exit 2')
    (root / "bin").mkdir()
    (root / "bin/sh").symlink_to(f"/usr/bin/{sh}")           # absolute: must resolve in root
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "etc/alternatives/yacc").symlink_to("/usr/bin/bison.yacc")
    (root / "usr/bin/yacc").symlink_to("/etc/alternatives/yacc")
    (root / "etc/alternatives/awk").symlink_to("/usr/bin/mawk")
    (root / "usr/bin/awk").symlink_to("/etc/alternatives/awk")
    return root


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(root=tmp_path / "lfs", sources=tmp_path / "sources",
                    packages=REPO / "packages.yaml", book=tmp_path / "book")


@pytest.fixture(scope="module")
def reqs() -> hc.HostRequirements:
    return hc.load_requirements(REQS)


# ----------------------------------------------------------------------------- the data

def test_requirements_file_covers_the_book(reqs):
    assert reqs.release == "12.3"
    assert {t.name for t in reqs.tools} == BOOK_TOOLS
    assert {link.path: link.is_ for link in reqs.links} == {
        "/bin/sh": "bash", "/usr/bin/yacc": "bison", "/usr/bin/awk": "gawk"}
    assert reqs.kernel_minimum == "5.4"
    by = {t.name: t for t in reqs.tools}
    assert by["gcc"].minimum == "5.2" and by["grep"].minimum == "2.5.1a"
    assert by["xz"].fix.debian == "xz-utils" and by["g++"].fix.fedora == "gcc-c++"
    assert [s.stage for s in reqs.stages] == [f"stage{i}" for i in range(1, 6)]
    # every stage's peak is the book's largest section figure: gcc in chapter 8, 6.3 GB
    assert max(s.peak for s in reqs.stages) == hc.parse_size("6.3 GB")
    assert reqs.disk_needed(()) == 0
    assert reqs.disk_needed(("stage5",)) == hc.parse_size("2.3 GB") + hc.parse_size("300 MB")


@pytest.mark.parametrize("old,new,field", [
    ("minimum: '8.1'", "minimum: 'eight'", "minimum"),
    ("    is: bash\n", "    colour: red\n    is: bash\n", "colour"),
    ("  sources: 528 MB", "  sources: lots", "sources"),
    ("regex: 'version ([0-9]+\\.[0-9.]+)'", "regex: 'version ([0-9'", "regex"),
])
def test_malformed_requirements_name_file_line_and_field(old, new, field):
    text = REQS.read_text()
    assert old in text
    with pytest.raises(DataFileError) as err:
        hc.parse_requirements(text.replace(old, new, 1), Path("host-requirements.yaml"))
    assert err.value.field == field
    assert err.value.line == text[:text.index(old)].count("\n") + 1


def test_missing_requirements_file_says_where_it_belongs(tmp_path):
    with pytest.raises(DataFileError, match="(?s)file not found.*next to packages.yaml"):
        hc.load_requirements(tmp_path / "nope.yaml")


# ----------------------------------------------------------------------------- versions

@pytest.mark.parametrize("tool,output,version", [
    ("gcc", "gcc (Debian 12.2.0-14) 12.2.0\nCopyright (C) 2022 Free Software Foundation", "12.2.0"),
    ("gcc", "gcc (GCC) 14.2.1 20240912 (Red Hat 14.2.1-3)", "14.2.1"),
    ("g++", "g++ (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0", "11.4.0"),
    ("make", "GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu", "4.3"),
    ("xz", "xz (XZ Utils) 5.4.1\nliblzma 5.4.1", "5.4.1"),
    ("bash", "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)", "5.2.15"),
    ("perl", "\nThis is perl 5, version 36, subversion 0 (v5.36.0) built for x86_64", "5.36.0"),
    ("binutils", "GNU ld (GNU Binutils for Debian) 2.40", "2.40"),
    ("gawk", "GNU Awk 5.2.1, API 3.2, PMA Avon 8-g1, (GNU MPFR 4.2.0, GNU MP 6.2.1)", "5.2.1"),
    ("grep", "grep (GNU grep) 2.5.1a", "2.5.1a"),
    ("python", "Python 3.11.2", "3.11.2"),
    ("texinfo", "texi2any (GNU texinfo) 6.8", "6.8"),
])
def test_versions_are_pulled_from_real_outputs(reqs, tool, output, version):
    regex = {t.name: t.regex for t in reqs.tools}[tool]
    assert hc.extract_version(output, regex) == version


@pytest.mark.parametrize("found,minimum,ok", [
    ("3.11", "3.4", True), ("12.2.0", "5.2", True), ("4.9.2", "5.2", False),
    ("2.5.1a", "2.5.1a", True), ("2.5.1", "2.5.1a", False), ("2.6", "2.5.1a", True),
    ("5.0", "5.0.0", True), ("1.4.9", "1.4.10", False), ("2.40", "2.13.1", True),
])
def test_versions_compare_numerically(found, minimum, ok):
    assert hc.at_least(found, minimum) is ok


# ----------------------------------------------------------------------------- pure evaluation

def facts(reqs: hc.HostRequirements, **changes) -> hc.HostFacts:
    """A host that meets everything; `changes` replace single facts."""
    good = {t.name: hc.Output(f"/usr/bin/{t.command[0]}", f"{t.name} (GNU) 99.0") for t in reqs.tools}
    good["gcc"] = good["g++"] = hc.Output("/usr/bin/gcc", "gcc (GCC) 14.2.0")
    good["bash"] = hc.Output("/usr/bin/bash", "GNU bash, version 5.2.37(1)-release")
    good["perl"] = hc.Output("/usr/bin/perl", "This is perl 5, version 40 (v5.40.0)")
    good.update(changes.pop("tools", {}))
    links = {lk.path: hc.Output(lk.path, lk.expect) for lk in reqs.links}
    base = dict(search_path=HOST_PATH, tools=good, links=links,
                compile=hc.Output("/usr/bin/g++", "", 0), kernel="6.1.0-28-amd64", pty=True)
    base.update(changes)
    return hc.HostFacts(**base)


def test_a_good_host_passes(reqs):
    report = hc.evaluate(reqs, facts(reqs))
    assert report.ok, report.text()
    assert not report.fixes
    kernel = next(r for r in report.rows if r.requirement == "Linux kernel")
    assert kernel.found == "6.1.0" and kernel.needed == ">= 5.4"


def test_every_failure_has_a_fix_for_both_host_families(reqs):
    report = hc.evaluate(reqs, facts(
        reqs, kernel="4.19.0-27-amd64", pty=False,
        tools={"gcc": hc.Output("/usr/bin/gcc", "gcc (GCC) 4.8.5 20150623 (Red Hat 4.8.5-44)"),
               "xz": hc.Output(None), "m4": hc.Output("/usr/bin/m4", "garbage"),
               "tar": hc.Output("/usr/bin/tar", error="cannot run: Permission denied")},
        compile=hc.Output("/usr/bin/g++", "fatal error: cstdlib: No such file", 1,
                          "the test program did not compile/link: fatal error"),
        links={"/bin/sh": hc.Output("/usr/bin/dash", "dash: 0: Illegal option --", 2),
               "/usr/bin/yacc": hc.Output(None),
               "/usr/bin/awk": hc.Output("/usr/bin/gawk", "GNU Awk 5.2.1")}))
    failed = {r.requirement: r for r in report.failures}
    assert set(failed) == {"gcc", "xz", "m4", "tar", "g++ compiles and links", "/bin/sh is bash",
                           "/usr/bin/yacc is bison", "Linux kernel", "kernel UNIX 98 PTYs"}
    assert failed["gcc"].found == "4.8.5" and failed["xz"].found == "missing"
    assert failed["m4"].found == "unknown" and failed["tar"].found == "broken"
    assert failed["/bin/sh is bash"].found == "/usr/bin/dash"
    for name, row in failed.items():
        if name != "kernel UNIX 98 PTYs":
            assert any(f.startswith("Debian/Ubuntu: apt-get install -y") for f in row.fix), name
            assert any(f.startswith("Fedora/RHEL:   dnf install -y") for f in row.fix), name
    assert "apt-get install -y xz-utils" in "\n".join(failed["xz"].fix)
    assert "dnf install -y gcc-c++ glibc-devel" in "\n".join(failed["g++ compiles and links"].fix)
    assert "update-alternatives --set yacc" in "\n".join(failed["/usr/bin/yacc is bison"].fix)
    text = report.text()
    assert "How to fix:" in text and "9 requirement(s) not met" in text
    assert re.search(r"^gcc +4\.8\.5 +>= 5\.2 +FAIL$", report.table(), re.MULTILINE)


def disk(remaining, lfs_free, src_free, same_fs=False, present=0) -> hc.DiskFacts:
    return hc.DiskFacts(Path("/mnt/lfs"), lfs_free, 1, Path("/srv/src"), src_free,
                        1 if same_fs else 2, present, remaining)


def test_disk_space_for_the_stages_still_to_run(reqs):
    gb = hc.UNITS["GB"]
    need_45 = hc.parse_size("2.5 GB") + hc.parse_size("300 MB") + hc.parse_size("6.3 GB")
    assert reqs.disk_needed(("stage4", "stage5")) == need_45

    def rows(d):
        return {r.requirement.split(" (")[0]: r for r in hc.evaluate(reqs, facts(reqs, disk=d)).rows
                if r.requirement.startswith("free space")}
    ok = rows(disk(("stage4", "stage5"), need_45, 600 * 1024 ** 2))
    assert ok["free space for $LFS"].ok and ok["free space for the sources cache"].ok
    short = rows(disk(("stage4", "stage5"), need_45 - 1, 100 * 1024 ** 2))
    assert not short["free space for $LFS"].ok and "lfs.root" in short["free space for $LFS"].fix[0]
    assert not short["free space for the sources cache"].ok
    # sources already downloaded need no more space
    done = rows(disk(("stage4", "stage5"), need_45, 0, present=reqs.sources_size))
    assert done["free space for the sources cache"].ok
    # on one filesystem both must fit together
    same = rows(disk(("stage5",), 3 * gb, 3 * gb, same_fs=True))
    assert same["free space for $LFS"].ok and not same["free space for the sources cache"].ok
    assert "+ $LFS's" in same["free space for the sources cache"].needed
    nothing = rows(disk((), 0, 0, present=reqs.sources_size))
    assert all(r.ok for r in nothing.values())


def test_release_mismatch_is_a_note_not_a_failure(reqs):
    report = hc.evaluate(reqs, facts(reqs, release="12.4"))
    assert report.ok
    assert "12.4" in report.notes[0] and "hostreqs.xml" in report.notes[0]


# ----------------------------------------------------------------------------- fake hosts

def test_fake_host_too_old_gcc_and_dash_as_sh(tmp_path, reqs):
    fake = tmp_path / "fakebin"
    script(fake / "gcc", 'echo "gcc (GCC) 4.8.5 20150623 (Red Hat 4.8.5-44)"')
    root = fake_root(tmp_path, sh="dash")
    host_sh = os.readlink("/bin/sh") if os.path.islink("/bin/sh") else None
    report = hc.check_host(None, REQS, path_env=f"{fake}:{HOST_PATH}", root=root)
    rows = {r.requirement: r for r in report.rows}
    assert not report.ok
    assert rows["gcc"].found == "4.8.5" and not rows["gcc"].ok
    assert any("apt-get install -y gcc" in f for f in rows["gcc"].fix)
    assert rows["/bin/sh is bash"].found == "/usr/bin/dash" and not rows["/bin/sh is bash"].ok
    assert rows["/usr/bin/yacc is bison"].ok
    assert rows["/usr/bin/yacc is bison"].found == "-> /usr/bin/bison.yacc"
    assert not rows["/usr/bin/awk is gawk"].ok and rows["/usr/bin/awk is gawk"].found == "/usr/bin/mawk"
    assert "dnf install -y bash && ln -sf bash /bin/sh" in report.text()
    assert (os.readlink("/bin/sh") if os.path.islink("/bin/sh") else None) == host_sh


def test_fake_root_with_the_books_links_passes_them(tmp_path):
    root = fake_root(tmp_path, sh="bash")
    (root / "etc/alternatives/awk").unlink()
    script(root / "usr/bin/gawk", 'echo "GNU Awk 5.3.1, API 4.0"')
    (root / "etc/alternatives/awk").symlink_to("../../usr/bin/gawk")    # relative this time
    (root / "usr/bin/yacc").unlink()
    script(root / "usr/bin/yacc", 'echo "bison (GNU Bison) 3.8.2"')      # a wrapper script
    report = hc.check_host(None, REQS, root=root)
    rows = {r.requirement: r for r in report.rows}
    assert rows["/bin/sh is bash"].ok and rows["/bin/sh is bash"].found == "-> /usr/bin/bash"
    assert rows["/usr/bin/awk is gawk"].ok and rows["/usr/bin/awk is gawk"].found == "-> /usr/bin/gawk"
    assert rows["/usr/bin/yacc is bison"].ok and rows["/usr/bin/yacc is bison"].found == "/usr/bin/yacc"


def test_fake_path_missing_tools_and_a_broken_compiler(tmp_path, reqs):
    fake = tmp_path / "fakebin"
    for name, real in (("sort", "sort"), ("bash", "bash")):
        (fake).mkdir(exist_ok=True)
        (fake / name).symlink_to(shutil.which(real, path=HOST_PATH))
    script(fake / "g++", 'echo "<stdin>:1:10: fatal error: cstdlib: No such file or directory" >&2\n'
                         'exit 1')
    facts_ = hc.probe(reqs, None, path_env=str(fake), root=fake_root(tmp_path))
    report = hc.evaluate(reqs, facts_)
    rows = {r.requirement: r for r in report.rows}
    assert rows["coreutils"].ok and rows["bash"].ok
    assert rows["make"].found == "missing" and f"not found in {fake}" in rows["make"].fix[0]
    comp = rows["g++ compiles and links"]
    assert not comp.ok and "cstdlib: No such file" in comp.fix[0]
    assert rows["g++"].found == "unknown"          # the fake g++ prints no version


def test_disk_probe_counts_cached_sources_and_finished_stages(tmp_path, settings, reqs):
    from lfsbuild.sources.packages import load_packages
    pkgs = load_packages(settings.packages)
    settings.sources.mkdir()
    (settings.sources / pkgs.get("bash").filename).write_bytes(b"x" * 1000)
    book = settings.book / "stage1"
    book.mkdir(parents=True)
    (book / "010-only.sh").write_text("# Only step\necho hi\n")
    store = StateStore(settings.state_dir)
    store.save(State(steps={"stage1/only": StepRecord(status="done", fingerprint="f", inputs="i")}))
    d, release = hc.probe_disk(reqs, settings, None)
    assert release == "12.3" and d.sources_present == 1000
    assert d.remaining == ("stage2", "stage3", "stage4", "stage5")
    assert d.lfs_free > 0 and d.lfs_device == d.sources_device    # both below tmp_path
    store.save(State(steps={"stage1/only": StepRecord(status="failed", fingerprint="f", inputs="i")}))
    assert hc.stages_to_run(settings, ["stage1", "stage2"]) == ("stage1", "stage2")


# ----------------------------------------------------------------------------- this host

def test_this_host_is_checked_truthfully_and_fast(settings):
    t0 = time.monotonic()
    report = hc.check_host(settings)
    elapsed = time.monotonic() - t0
    rows = {r.requirement: r for r in report.rows}
    assert set(BOOK_TOOLS) <= set(rows)
    sh_is_bash = "bash" in os.path.basename(os.path.realpath("/bin/sh"))
    assert rows["/bin/sh is bash"].ok is sh_is_bash
    assert rows["g++ compiles and links"].ok is (shutil.which("g++", path=HOST_PATH) is not None)
    assert rows["Linux kernel"].found == re.match(r"[0-9.]+", platform.release()).group(0).rstrip(".")
    for name in BOOK_TOOLS:
        if rows[name].found not in ("missing", "unknown", "broken"):
            assert re.fullmatch(r"[0-9][0-9.]*[a-z]*", rows[name].found), rows[name]
    assert report.ok is all(r.ok for r in report.rows)
    # probes run in parallel: well under a second on an idle 2-core host; generous for CI load
    assert elapsed < 3.0, f"check-host took {elapsed:.2f}s"


def test_require_host_refuses_with_the_table_and_the_way_out(tmp_path, settings):
    bad = tmp_path / "reqs.yaml"
    bad.write_text(REQS.read_text().replace("minimum: '5.4'", "minimum: '999.0'"))
    with pytest.raises(HostError) as err:
        hc.require_host(settings, bad)
    text = str(err.value)
    assert "Linux kernel" in text and "FAIL" in text and "invoke stage1 --no-host-check" in text
