"""packages.yaml loading: every malformed input names file, line and field."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import REPO, md5, run_invoke
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


# ----------------------------------------------------------------------------- hostile input

ENTRY = """\
release: '1'
packages:
  - name: foo
    version: '1'
    url: {url}
    md5: 0123456789abcdef0123456789abcdef
"""
PLAIN = ENTRY.format(url="https://x.org/foo-1.tar.xz")

#: What a tester fed packages.yaml: each must be one `error:` line with file:line, never a
#: traceback or a write outside the sources cache.
HOSTILE = {
    "encoded-slash": (ENTRY.format(url="https://x.org/..%2F..%2Fvictim%2Ffile"), 5, "url", "'/'"),
    "verified-record": (ENTRY.format(url="https://x.org/.verified.json"), 5, "url", "starts with '.'"),
    "part-file": (ENTRY.format(url="https://x.org/foo.tar.xz.part"), 5, "url", "'.part'"),
    "dot": (ENTRY.format(url="https://x.org/pub/."), 5, "url", "a directory"),
    "dotdot": (ENTRY.format(url="https://x.org/pub/%2e%2e"), 5, "url", "a directory"),
    "nul": (ENTRY.format(url="https://x.org/a%00b.tar"), 5, "url", "control character"),
    "newline": (ENTRY.format(url="https://x.org/a%0d%0ab.tar"), 5, "url", "control character"),
    "long-name": (ENTRY.format(url="https://x.org/" + "a" * 244 + ".tar.xz"), 5, "url",
                  "251 bytes long"),
    "long-utf8-name": (ENTRY.format(url="https://x.org/" + "%C3%A9" * 128), 5, "url",
                       "256 bytes long"),
    "deep-flow": ("release: '1'\npackages: " + "[" * 5000 + "]" * 5000 + "\n", 2, None,
                  "nested more than"),
    "deep-block": ("release: '1'\npackages:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(60)),
                   18, None, "nested more than"),  # a list and a mapping per line
    "size-digits": (PLAIN + "    size_kb: " + "9" * 5000 + "\n", 7, "size_kb", "believable"),
    "size-absurd": (PLAIN + "    size_kb: 100000001\n", 7, "size_kb", "believable"),
    "size-unicode-digit": (PLAIN + "    size_kb: '²'\n", 7, "size_kb", "whole number"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_packages_file_is_a_data_file_error(case):
    text, line, field, problem = HOSTILE[case]
    with pytest.raises(DataFileError) as info:
        parse_packages(text, Path("/x/packages.yaml"))
    err = info.value
    assert (err.line, err.field) == (line, field), str(err)
    assert problem in str(err)
    assert str(err).startswith(f"/x/packages.yaml:{line}")
    assert err.hint


def test_good_file_names_still_load():
    for url in ("https://x.org/a/foo-1.0.tar.xz", "https://x.org/a/foo%2B%2B-1.0.tar.xz",
                "https://x.org/download/foo-1.0.tar.xz/", "https://x.org/" + "a" * 250,
                "file:///srv/mirror/foo..bar-1.0.tar.gz"):
        assert parse_packages(ENTRY.format(url=url), Path("p.yaml")).get("foo").filename


def test_two_entries_with_one_file_name_are_refused():
    text = GOOD.replace("https://example.org/bar-2.70.tar.gz", "https://other.org/foo-1.2.tar.xz")
    with pytest.raises(DataFileError, match=r"p.yaml:7 \(url\): 'bar' has the same file name "
                                            r"'foo-1.2.tar.xz' as 'foo' \(line 3\)"):
        parse_packages(text, Path("p.yaml"))


def test_reserved_names_match_what_the_cache_uses():
    """The rule in packages.py covers the names fetch.py really writes into the cache."""
    from lfsbuild.sources import fetch
    from lfsbuild.sources.packages import reserved_reason
    assert reserved_reason(fetch.RECORD_NAME)
    assert reserved_reason(f".foo-1.0.tar.xz.{os.getpid()}.1.tmp")  # atomic.atomic_write
    assert reserved_reason("foo-1.0.tar.xz" + ".part")
    assert reserved_reason("MD5SUMS")
    assert reserved_reason("foo-1.0.tar.xz") is None


def test_non_utf8_bytes_give_the_line(tmp_path):
    bad = tmp_path / "packages.yaml"
    bad.write_bytes(GOOD.encode().replace(b"name: bar", b"name: b\xe9r"))
    with pytest.raises(DataFileError) as info:
        load_packages(bad)
    assert info.value.line == 7 and "byte 0xe9 in column 12" in str(info.value)
    assert str(info.value).startswith(f"{bad}:7: not UTF-8")


def test_encoded_slash_never_writes_outside_the_cache(tmp_path, invoke_env):
    """The reported attack, end to end: a real HTTP server, `invoke fetch`, a victim file."""
    from httpserver import FileServer
    victim = tmp_path / "victim" / "file"
    victim.parent.mkdir()
    victim.write_text("the user's file\n")
    evil = b"overwritten by fetch\n"
    sources = tmp_path / "cache" / "sources"   # sources/../../victim/file is the victim
    with FileServer(files={"..%2F..%2Fvictim%2Ffile": evil, ".verified.json": evil}) as srv:
        for name in ("..%2F..%2Fvictim%2Ffile", ".verified.json"):
            pk = tmp_path / "packages.yaml"
            pk.write_text(ENTRY.format(url=f"{srv.url}/pub/{name}").replace(
                "0123456789abcdef0123456789abcdef", md5(evil)))
            r = run_invoke(["fetch"], invoke_env(packages=pk, sources=sources, mirrors=""))
            assert r.returncode == 1, r.stdout + r.stderr
            assert r.stderr.startswith(f"error: {pk}:5 (url):") and "Traceback" not in r.stderr
        assert srv.requests == []
        assert victim.read_text() == "the user's file\n"
        assert not sources.exists() or not list(sources.iterdir())
        # the longest name allowed really fits: the cache adds '.part' while downloading
        longest = "a" * 243 + ".tar.xz"
        srv.files[longest] = evil
        pk.write_text(ENTRY.format(url=f"{srv.url}/pub/{longest}").replace(
            "0123456789abcdef0123456789abcdef", md5(evil)))
        r = run_invoke(["fetch"], invoke_env(packages=pk, sources=sources, mirrors=""))
        assert r.returncode == 0, r.stderr
        assert (sources / longest).read_bytes() == evil


@pytest.mark.parametrize("task", ["fetch", "verify", "steps"])
def test_cli_hostile_files_print_one_error_line(tmp_path, invoke_env, task):
    pk = tmp_path / "packages.yaml"
    cases = {k: HOSTILE[k] for k in ("deep-flow", "long-name", "size-digits", "dotdot",
                                     "encoded-slash")}
    for case, (text, line, _field, problem) in cases.items():
        pk.write_text(text)
        r = run_invoke([task], invoke_env(packages=pk))
        assert r.returncode == 1, (case, r.stdout, r.stderr)
        assert r.stderr.startswith(f"error: {pk}:{line}") and problem in r.stderr, (case, r.stderr)
        assert "Traceback" not in r.stderr
    pk.write_bytes(GOOD.encode().replace(b"name: bar", b"name: b\xffr"))
    r = run_invoke([task], invoke_env(packages=pk))
    assert r.returncode == 1 and r.stderr.startswith(f"error: {pk}:7: not UTF-8"), r.stderr
