"""book-update: a release's wget-list + md5sums rewrite packages.yaml, names kept stable.

The inputs are 12.3's own wget-list and md5sums, produced from packages.yaml (the export
round-trips), and modified copies of them: one version bump, one new package, one removed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO
from httpserver import FileServer

from lfsbuild.sources import bookupdate as bu
from lfsbuild.sources import release_lists as rl
from lfsbuild.build.book import recipes_using
from lfsbuild.errors import ConfigError, DataFileError, FetchError
from lfsbuild.sources.packages import load_packages

USED_BY = lambda names: recipes_using(REPO / "book", names)  # noqa: E731

PACKAGES = REPO / "packages.yaml"
GCC_NEW_MD5 = "0123456789abcdef0123456789abcdef"
FOO_MD5 = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def release_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of packages.yaml and 12.3's wget-list + md5sums exported from it."""
    pkgs = load_packages(PACKAGES)
    copy = tmp_path / "packages.yaml"
    shutil.copyfile(PACKAGES, copy)
    wget, sums = tmp_path / "wget-list-sysv", tmp_path / "md5sums"
    wget.write_text(rl.wget_list(pkgs.all()))
    sums.write_text(rl.md5sums(pkgs.all()))
    return copy, wget, sums


def modified(wget: Path, sums: Path) -> None:
    """12.3 -> a made-up 12.4: gcc 15.1.0, a new package foo, gperf dropped."""
    w, m = wget.read_text(), sums.read_text()
    w = w.replace("gcc/gcc-14.2.0/gcc-14.2.0.tar.xz", "gcc/gcc-15.1.0/gcc-15.1.0.tar.xz")
    w = w.replace("https://ftp.gnu.org/gnu/gperf/gperf-3.1.tar.gz\n", "")
    w += "https://example.org/releases/foo-1.0.tar.xz\n"
    m = m.replace("2268420ba02dc01821960e274711bde0  gcc-14.2.0.tar.xz",
                  f"{GCC_NEW_MD5}  gcc-15.1.0.tar.xz")
    m = "".join(line for line in m.splitlines(keepends=True) if "gperf" not in line)
    m += f"{FOO_MD5}  foo-1.0.tar.xz\n"
    wget.write_text(w)
    sums.write_text(m)


# ----------------------------------------------------------------------------- file names

@pytest.mark.parametrize("filename,stem,version,proposed", [
    ("gcc-14.2.0.tar.xz", "gcc", "14.2.0", "gcc"),
    ("tcl8.6.16-src.tar.gz", "tcl-src", "8.6.16", "tcl-src"),
    ("tcl8.6.16-html.tar.gz", "tcl-html", "8.6.16", "tcl-html"),
    ("Python-3.13.2.tar.xz", "python", "3.13.2", "python"),
    ("python-3.13.2-docs-html.tar.bz2", "python-docs-html", "3.13.2", "python-docs-html"),
    ("systemd-257.3.tar.gz", "systemd", "257.3", "systemd"),
    ("systemd-man-pages-257.3.tar.xz", "systemd-man-pages", "257.3", "systemd-man-pages"),
    ("expect5.45.4.tar.gz", "expect", "5.45.4", "expect"),
    ("tzdata2025a.tar.gz", "tzdata", "2025a", "tzdata"),
    ("bzip2-1.0.8.tar.gz", "bzip2", "1.0.8", "bzip2"),
    ("flit_core-3.11.0.tar.gz", "flit-core", "3.11.0", "flit-core"),
    ("XML-Parser-2.47.tar.gz", "xml-parser", "2.47", "xml-parser"),
    ("kmod-34.tar.xz", "kmod", "34", "kmod"),
    ("foo-2.0-rc1.tar.gz", "foo", "2.0-rc1", "foo"),
    ("glibc-2.41-fhs-1.patch", "patch:glibc-fhs", "2.41", "glibc-fhs"),
    ("bzip2-1.0.8-install_docs-1.patch", "patch:bzip2-install-docs", "1.0.8", "bzip2-install-docs"),
    ("expect-5.45.4-gcc14-1.patch", "patch:expect-gcc14", "5.45.4", "expect-gcc14"),
])
def test_file_names_say_package_and_version(filename, stem, version, proposed):
    name = rl.parse_filename(filename)
    assert (name.stem, name.version, name.proposed) == (stem, version, proposed)
    assert name.kind == ("patch" if filename.endswith(".patch") else "package")


def test_every_12_3_file_name_gives_its_entrys_version_and_a_unique_stem():
    pkgs = load_packages(PACKAGES)
    stems = [rl.parse_filename(p.filename).stem for p in pkgs.all()]
    assert len(set(stems)) == len(stems)
    for p in pkgs.all():
        assert rl.parse_filename(p.filename).version == p.version, p.name


# ----------------------------------------------------------------------------- the lists

def test_export_round_trips(release_files):
    copy, wget, sums = release_files
    pkgs = load_packages(copy)
    files = rl.read_release(wget.read_text(), str(wget), sums.read_text(), str(sums))
    assert [(f.url, f.md5) for f in files] == [(p.url, p.md5) for p in pkgs.all()]
    assert sums.read_text().splitlines()[0] == "590765dee95907dbc3c856f7255bd669  acl-2.3.2.tar.xz"
    result = bu.book_update(copy, str(wget), str(sums), "12.3", write=True, used_by=USED_BY)
    assert not result.plan.changed and result.plan.diff() == "" and not result.written
    assert result.plan.unchanged == len(pkgs)
    assert copy.read_bytes() == PACKAGES.read_bytes()


@pytest.mark.parametrize("wget,sums,line,problem", [
    ("https://x.org/a-1.tar.gz\nnot a url\n", "", 2, "not a download URL"),
    ("https://x.org/a-1.tar.gz\nhttps://y.org/a-1.tar.gz\n", "", 2, "listed twice"),
    ("# comment\n\nhttps://x.org/a-1.tar.gz\n", "", 3, "has no md5 sum"),
    ("https://x.org/a-1.tar.gz\n", "abc  a-1.tar.gz\n", 1, "not an md5sums line"),
    ("", "", None, "no URLs"),
])
def test_malformed_lists_name_file_and_line(wget, sums, line, problem):
    with pytest.raises(DataFileError, match=problem) as err:
        rl.read_release(wget, "wget-list", sums, "md5sums")
    assert err.value.line == line


def test_md5sums_accepts_binary_mode_and_paths():
    sums = rl.parse_md5sums(f"{FOO_MD5.upper()} *sources/foo-1.0.tar.xz\n", "m")
    assert sums == {"foo-1.0.tar.xz": FOO_MD5}


# ----------------------------------------------------------------------------- a new release

def test_modified_release_is_shown_not_written(release_files):
    copy, wget, sums = release_files
    modified(wget, sums)
    before = copy.read_bytes()
    result = bu.book_update(copy, str(wget), str(sums), "12.4", used_by=USED_BY)
    plan = result.plan
    assert copy.read_bytes() == before and not result.written
    assert [(u.name, u.old.version, u.new.name.version) for u in plan.updated] == [
        ("gcc", "14.2.0", "15.1.0")]
    assert [(n, f.filename) for n, f in plan.added] == [("foo", "foo-1.0.tar.xz")]
    assert [p.name for p in plan.removed] == ["gperf"]
    assert result.used_by["gperf"] and result.used_by["gperf"][0].startswith("stage4/gperf (package)")
    report = plan.report(result.used_by)
    assert "12.3 -> 12.4: 1 updated, 1 new, 1 removed" in report
    assert "removed  gperf" in report and "stage4/gperf" in report
    assert "header comments still speak of 12.3" in report
    diff = plan.diff()
    assert "-release: '12.3'\n+release: '12.4'" in diff
    assert "-    version: '14.2.0'\n-    url: https://ftp.gnu.org/gnu/gcc/gcc-14.2.0/gcc-14.2.0.tar.xz" \
           "\n-    md5: 2268420ba02dc01821960e274711bde0" in diff
    assert "+  - name: foo\n+    version: '1.0'\n+    url: https://example.org/releases/foo-1.0.tar.xz" in diff
    assert "-  - name: gperf\n" in diff
    assert sum(1 for line in diff.splitlines() if line.startswith(("+", "-"))
               and not line.startswith(("+++", "---"))) == 2 + 7 + 4 + 5   # nothing else moved
    assert "-    size_kb: 90144\n" in diff    # gcc's old download size no longer applies


def test_modified_release_written_keeps_names_order_and_header(release_files):
    copy, wget, sums = release_files
    modified(wget, sums)
    old = load_packages(copy)
    result = bu.book_update(copy, str(wget), str(sums), "12.4", write=True, used_by=USED_BY)
    assert result.written
    new = load_packages(copy)
    assert new.release == "12.4"
    assert new.get("gcc").version == "15.1.0" and new.get("gcc").md5 == GCC_NEW_MD5
    assert new.get("foo").url == "https://example.org/releases/foo-1.0.tar.xz"
    assert "gperf" not in new
    names = [p.name for p in new.all() if p.kind == "package"]
    assert names == sorted(names)                 # the new entry went to its place
    assert [n for n in names if n != "foo"] == [p.name for p in old.all()
                                                if p.kind == "package" and p.name != "gperf"]
    header = PACKAGES.read_text().split("\nrelease:")[0]
    assert copy.read_text().startswith(header)
    # a second run with the same lists changes nothing
    again = bu.book_update(copy, str(wget), str(sums), "12.4", used_by=USED_BY)
    assert not again.plan.changed


def test_patches_tcl_and_mirrors_follow_the_version(release_files):
    copy, wget, sums = release_files
    w, m = wget.read_text(), sums.read_text()
    for old, new in (("glibc-2.41-fhs-1.patch", "glibc-2.42-fhs-1.patch"),
                     ("tcl8.6.16", "tcl8.6.17"), ("xz-5.6.4", "xz-5.8.1"), ("v5.6.4", "v5.8.1")):
        w, m = w.replace(old, new), m.replace(old, new)
    wget.write_text(w.replace("patches/lfs/12.3/", "patches/lfs/12.4/"))
    sums.write_text(m)
    plan = bu.book_update(copy, str(wget), str(sums), "12.4", write=True).plan
    new = load_packages(copy)
    assert not plan.added and not plan.removed
    assert new.get("glibc-fhs").version == "2.42" and new.get("glibc-fhs").kind == "patch"
    assert new.get("tcl").version == new.get("tcl-docs").version == "8.6.17"
    assert new.get("tcl").filename == "tcl8.6.17-src.tar.gz"
    assert new.get("xz").mirrors == (
        "https://github.com/tukaani-project/xz/releases/download/v5.8.1/xz-5.8.1.tar.xz",)
    # patches kept their file but moved to the new release's directory: URL updated
    assert new.get("kbd-backspace").url.endswith("/12.4/kbd-2.7.1-backspace-1.patch")
    assert any(u.name == "kbd-backspace" and u.what.startswith("new URL") for u in plan.updated)


SMALL = """\
# my own list
release: '1.0'
packages:
  - name: alpha
    version: '1.0'
    url: https://example.org/alpha-1.0.tar.gz
    md5: 00000000000000000000000000000001
    sha256: 0000000000000000000000000000000000000000000000000000000000000001
  # beta is special
  - name: beta
    version: '2.0'
    url: https://example.org/beta-2.0.tar.gz
    md5: 00000000000000000000000000000002
"""


def test_sha256_goes_with_a_new_md5_and_comments_with_their_entry(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(SMALL)
    files = rl.read_release(
        "https://example.org/alpha-1.1.tar.gz\nhttps://example.org/gamma-3.tar.gz\n"
        "https://example.org/fixes/alpha-1.1-fix_build-1.patch\n", "w",
        f"{'a' * 32}  alpha-1.1.tar.gz\n{'b' * 32}  gamma-3.tar.gz\n"
        f"{'c' * 32}  alpha-1.1-fix_build-1.patch\n", "m")
    plan = bu.plan_update(SMALL, path, files, "1.1")
    assert plan.updated[0].dropped_sha256 and [p.name for p in plan.removed] == ["beta"]
    assert [n for n, _ in plan.added] == ["gamma", "alpha-fix-build"]   # packages, then patches
    assert "beta is special" not in plan.new_text and "sha256" not in plan.new_text
    assert plan.new_text.startswith("# my own list\nrelease: '1.1'\n")
    assert "patches:\n  - name: alpha-fix-build\n    version: '1.1'\n" in plan.new_text
    assert "sha256 removed" in plan.report()


def test_ambiguous_entries_are_refused(tmp_path):
    text = SMALL.replace("beta-2.0.tar.gz", "alpha-2.0.tar.gz")
    with pytest.raises(ConfigError, match="look like the same package"):
        bu.plan_update(text, tmp_path / "p.yaml", [], "1.1")


def test_lists_come_from_urls_too(release_files):
    copy, wget, sums = release_files
    with FileServer({"wget-list-sysv": wget.read_bytes(), "md5sums": sums.read_bytes()}) as srv:
        result = bu.book_update(copy, f"{srv.url}/12.3/wget-list-sysv",
                                f"file://{sums}", "12.3")
        assert not result.plan.changed
        with pytest.raises(FetchError, match="cannot download"):
            bu.book_update(copy, f"{srv.url}/nope", str(sums), "12.3")
    with pytest.raises(DataFileError, match="file not found"):
        bu.book_update(copy, str(wget) + ".missing", str(sums), "12.3")


def test_recipes_using_reads_every_kind_of_reference():
    used = recipes_using(REPO / "book", ["glibc", "glibc-fhs", "nothing"])
    assert any(ref.startswith("stage1/glibc (package)") for ref in used["glibc"])
    assert any("(patch)" in ref for ref in used["glibc-fhs"])
    assert used["nothing"] == []
