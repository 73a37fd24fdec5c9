"""packages.yaml loading: every malformed input names file, line and field."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, run_invoke
from lfsbuild.errors import DataFileError, LfsError
from lfsbuild.sources.packages import load_packages, parse_packages

GOOD = """\
release: '1.0'
packages:
  - name: foo
    version: '1.2'
    url: https://example.org/foo-1.2.tar.xz
    md5: 0123456789abcdef0123456789abcdef
  - name: bar
    version: 2.70
    url: https://example.org/bar-2.70.tar.gz
    md5: 0123456789ABCDEF0123456789abcdef
    mirrors: [https://mirror.example.org/bar-2.70.tar.gz]
patches:
  - name: foo-fix
    version: '1.2'
    url: https://example.org/foo-1.2-fix-1.patch
    md5: fedcba9876543210fedcba9876543210
"""


def test_good_file_loads():
    p = parse_packages(GOOD, Path("p.yaml"))
    assert p.release == "1.0" and len(p) == 3
    assert p.get("bar").version == "2.70"           # not the float 2.7
    assert p.get("bar").md5 == "0123456789abcdef0123456789abcdef"
    assert p.get("foo").filename == "foo-1.2.tar.xz"
    assert p.get("foo-fix").kind == "patch"
    assert p.get("bar").mirrors == ("https://mirror.example.org/bar-2.70.tar.gz",)
    with pytest.raises(LfsError, match="no package or patch named 'baz'"):
        p.get("baz")


@pytest.mark.parametrize("old,new,line,field,problem", [
    ("    md5: 0123456789abcdef0123456789abcdef\n", "    md5: 12345\n", 6, "md5", "not an md5"),
    ("    version: '1.2'\n    url: https://example.org/foo",
     "    url: https://example.org/foo", 3, "version", "missing"),
    ("  - name: bar\n", "  - name: foo\n", 7, "name", "duplicate name 'foo' (first defined on line 3)"),
    ("    url: https://example.org/foo-1.2.tar.xz\n", "    url: example.org/foo-1.2.tar.xz\n",
     5, "url", "not a valid URL"),
    ("    md5: 0123456789abcdef0123456789abcdef\n",
     "    md5: 0123456789abcdef0123456789abcdef\n    sha1: abc\n", 7, "sha1", "unknown key"),
    ("release: '1.0'\n", "release: '1.0'\nrelase: x\n", 2, "relase", "unknown top-level key"),
    ("    mirrors: [https://mirror.example.org/bar-2.70.tar.gz]",
     "    mirrors: [ftp//nope]", 11, "mirrors", "not a valid URL"),
    ("    version: 2.70\n", "    version:\n", 8, "version", "non-empty"),
    ("  - name: bar\n", "  - name: Bar Baz\n", 7, "name", "not a valid name"),
])
def test_malformed_entries_name_file_line_and_field(old, new, line, field, problem):
    assert old in GOOD
    with pytest.raises(DataFileError) as info:
        parse_packages(GOOD.replace(old, new, 1), Path("/x/packages.yaml"))
    err = info.value
    assert (err.path, err.line, err.field) == ("/x/packages.yaml", line, field)
    assert problem in str(err)
    assert str(err).startswith(f"/x/packages.yaml:{line} ({field}):")


def test_yaml_syntax_error_has_a_line():
    with pytest.raises(DataFileError) as info:
        parse_packages("release: '1'\npackages:\n  - name: [oops\n", Path("p.yaml"))
    assert info.value.line is not None and "not valid YAML" in str(info.value)


def test_missing_file_says_which_setting():
    with pytest.raises(DataFileError, match="lfs.packages"):
        load_packages("/nonexistent/packages.yaml")


def test_cli_reports_bad_packages_file_without_traceback(tmp_path, invoke_env):
    bad = tmp_path / "packages.yaml"
    bad.write_text(GOOD.replace("md5: fedcba9876543210fedcba9876543210", "md5: xyz"))
    r = run_invoke(["fetch"], invoke_env(packages=bad))
    assert r.returncode == 1
    assert f"{bad}:16 (md5)" in r.stderr and "Traceback" not in r.stderr


def test_project_packages_file_is_valid():
    p = load_packages(REPO / "packages.yaml")
    assert p.release == "12.3"
    for name in ("binutils", "gcc", "glibc", "linux", "mpfr", "gmp", "mpc", "glibc-fhs"):
        assert name in p
