"""invoke fetch / verify / mirror against a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, make_tarball, md5, packages_yaml, run_invoke
from httpserver import Behaviour, FileServer
from waiting import eventually

from lfsbuild.sources.fetch import FetchOptions, VerifiedRecord, fetch, plan
from lfsbuild.sources.packages import load_packages


def closed_port_url() -> str:
    """A URL nobody listens on: connection refused, the 'original URL unreachable' case."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def tarballs() -> dict[str, bytes]:
    return {
        "alpha-1.0.tar.gz": make_tarball("alpha", "1.0", {"README": "alpha\n"}, size=300_000),
        "beta-2.1.tar.gz": make_tarball("beta", "2.1", {"README": "beta\n"}, size=200_000),
        "gamma-0.3.tar.gz": make_tarball("gamma", "0.3", {"README": "gamma\n"}, size=1000),
    }


@pytest.fixture
def setup(tmp_path: Path, tarballs: dict[str, bytes], invoke_env):
    """origin server (the packages' own URLs), a mirror server, a packages file, an env."""
    origin = FileServer(files=dict(tarballs))
    mirror = FileServer(files=dict(tarballs))
    with origin, mirror:
        def write_packages(base: str = origin.url) -> Path:
            entries = [{"name": f.split("-")[0], "version": f.split("-")[1].rsplit(".tar", 1)[0],
                        "url": f"{base}/pub/{f}", "md5": md5(data)}
                       for f, data in tarballs.items()]
            path = tmp_path / "packages.yaml"
            path.write_text(packages_yaml(entries))
            return path

        pk = write_packages()
        env = invoke_env(packages=pk, mirrors=f"{mirror.url}/m", timeout=1.5, retries=0)
        yield {"origin": origin, "mirror": mirror, "env": env, "tmp": tmp_path,
               "sources": tmp_path / "sources", "write_packages": write_packages}


def cached(setup, name: str) -> bytes:
    return (setup["sources"] / name).read_bytes()


def test_fetch_all_from_mirror_then_second_run_makes_no_request(setup, tarballs):
    r = run_invoke(["fetch"], setup["env"], check=True)
    assert "3 fetched" in r.stdout
    for name, data in tarballs.items():
        assert cached(setup, name) == data
    assert not list(setup["sources"].glob("*.part"))
    assert len(setup["mirror"].requests) == 3 and not setup["origin"].requests
    before = len(setup["mirror"].requests)
    r = run_invoke(["fetch"], setup["env"], check=True)
    assert "0 fetched" in r.stdout and "3 already present" in r.stdout
    assert len(setup["mirror"].requests) == before and not setup["origin"].requests


def test_mirror_404_falls_back_to_package_url_and_says_why(setup, tarballs):
    setup["mirror"].behaviours["beta-2.1.tar.gz"] = Behaviour(status=404)
    run_invoke(["fetch", "--only", "beta"], setup["env"], check=True)
    assert cached(setup, "beta-2.1.tar.gz") == tarballs["beta-2.1.tar.gz"]
    assert [r[0] for r in setup["origin"].requests] == ["/pub/beta-2.1.tar.gz"]


def test_connection_reset_mid_body_moves_on_and_resumes_from_next_source(setup, tarballs):
    setup["mirror"].behaviours["alpha-1.0.tar.gz"] = Behaviour(reset_after=100_000)
    run_invoke(["fetch", "--only", "alpha"], setup["env"], check=True)
    assert cached(setup, "alpha-1.0.tar.gz") == tarballs["alpha-1.0.tar.gz"]
    # the origin was asked only for the rest of the file
    (path, rng, status), = setup["origin"].requests
    assert rng.startswith("bytes=") and int(rng[6:-1]) > 0 and status == "206"


def test_wrong_bytes_are_a_checksum_mismatch_and_never_land(setup, tarballs):
    setup["mirror"].behaviours["gamma-0.3.tar.gz"] = Behaviour(wrong_bytes=True)
    setup["origin"].behaviours["gamma-0.3.tar.gz"] = Behaviour(wrong_bytes=True)
    r = run_invoke(["fetch", "--only", "gamma"], setup["env"])
    assert r.returncode == 1
    assert "checksum mismatch: md5 expected" in r.stderr
    assert "gamma (gamma-0.3.tar.gz)" in r.stderr
    assert r.stderr.count("checksum mismatch") == 2  # both sources named
    assert not (setup["sources"] / "gamma-0.3.tar.gz").exists()
    # now the origin behaves: the wrong bytes must not poison a resume
    setup["origin"].behaviours.clear()
    run_invoke(["fetch", "--only", "gamma"], setup["env"], check=True)
    assert cached(setup, "gamma-0.3.tar.gz") == tarballs["gamma-0.3.tar.gz"]


def test_server_ignoring_range_restarts_cleanly(setup, tarballs):
    data = tarballs["alpha-1.0.tar.gz"]
    setup["sources"].mkdir()
    (setup["sources"] / "alpha-1.0.tar.gz.part").write_bytes(data[:50_000])
    setup["mirror"].behaviours["alpha-1.0.tar.gz"] = Behaviour(ignore_range=True)
    run_invoke(["fetch", "--only", "alpha"], setup["env"], check=True)
    assert cached(setup, "alpha-1.0.tar.gz") == data
    (_, rng, status), = setup["mirror"].requests
    assert rng == "bytes=50000-" and status == "200"


def test_partial_file_resumes_with_range(setup, tarballs):
    data = tarballs["alpha-1.0.tar.gz"]
    setup["sources"].mkdir()
    (setup["sources"] / "alpha-1.0.tar.gz.part").write_bytes(data[:123_456])
    run_invoke(["fetch", "--only", "alpha"], setup["env"], check=True)
    assert cached(setup, "alpha-1.0.tar.gz") == data
    assert setup["mirror"].requests == [("/m/alpha-1.0.tar.gz", "bytes=123456-", "206")]


def test_stalled_server_times_out_and_next_source_is_used(setup, tarballs):
    setup["mirror"].behaviours["gamma-0.3.tar.gz"] = Behaviour(stall=4)
    t0 = time.monotonic()
    run_invoke(["fetch", "--only", "gamma"], setup["env"], check=True)
    assert cached(setup, "gamma-0.3.tar.gz") == tarballs["gamma-0.3.tar.gz"]
    assert setup["origin"].requests  # fell back
    assert time.monotonic() - t0 < 30


def test_sigkill_mid_download_then_resume(setup, tarballs):
    """A fetch killed with SIGKILL leaves only a .part; the next run resumes and verifies."""
    big = make_tarball("delta", "9", {"x": "y"}, size=3_000_000)
    setup["mirror"].files["delta-9.tar.gz"] = big
    setup["mirror"].behaviours["delta-9.tar.gz"] = Behaviour(rate=400_000, once=True)
    pk = setup["tmp"] / "one.yaml"
    pk.write_text(packages_yaml([{"name": "delta", "version": "9", "md5": md5(big),
                                  "url": f"{closed_port_url()}/delta-9.tar.gz"}]))
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk))
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "fetch"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = setup["sources"] / "delta-9.tar.gz.part"
    eventually(lambda: part.exists() and part.stat().st_size >= 500_000, 30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = part.stat().st_size
    assert 0 < kept < len(big)
    assert not (setup["sources"] / "delta-9.tar.gz").exists()  # nothing looks complete
    run_invoke(["fetch"], env, check=True)
    assert (setup["sources"] / "delta-9.tar.gz").read_bytes() == big
    assert not part.exists()
    last_range = setup["mirror"].requests[-1][1]
    assert last_range.startswith("bytes=") and int(last_range[6:-1]) >= kept - 65536


def test_corrupt_cache_file_is_reported_by_verify_and_replaced_by_fetch(setup, tarballs):
    run_invoke(["fetch"], setup["env"], check=True)
    target = setup["sources"] / "beta-2.1.tar.gz"
    raw = bytearray(target.read_bytes())
    raw[1000] ^= 0xFF
    target.write_bytes(bytes(raw))
    r = run_invoke(["verify"], setup["env"])
    assert r.returncode == 1
    assert "CORRUPT  beta" in r.stdout and f"expected {md5(tarballs['beta-2.1.tar.gz'])}" in r.stdout
    assert "OK       alpha" in r.stdout
    run_invoke(["fetch"], setup["env"], check=True)
    assert cached(setup, "beta-2.1.tar.gz") == tarballs["beta-2.1.tar.gz"]
    r = run_invoke(["verify"], setup["env"], check=True)
    assert "3 ok, 0 not ok" in r.stdout


def test_verify_reports_missing(setup):
    r = run_invoke(["verify"], setup["env"])
    assert r.returncode == 1 and r.stdout.count("MISSING") == 3


def test_offline_reports_what_is_missing_without_network(setup):
    r = run_invoke(["fetch", "--offline"], setup["env"])
    assert r.returncode == 1
    assert "3 failed" in r.stdout and "skipped: --offline" in r.stderr
    assert not setup["mirror"].requests and not setup["origin"].requests


def test_file_url_mirror(setup, tarballs, tmp_path):
    local = tmp_path / "local-mirror"
    local.mkdir()
    for name, data in tarballs.items():
        (local / name).write_bytes(data)
    env = dict(setup["env"], INVOKE_LFS_MIRRORS=f"file://{local}")
    run_invoke(["fetch"], env, check=True)
    assert not setup["mirror"].requests and not setup["origin"].requests
    for name, data in tarballs.items():
        assert cached(setup, name) == data


def test_mirror_task_output_serves_a_second_fetch_with_origins_unreachable(setup, tarballs,
                                                                            tmp_path):
    dest = tmp_path / "export"
    r = run_invoke(["mirror", "--dest", str(dest)], setup["env"], check=True)
    assert "MD5SUMS" in r.stdout
    check = subprocess.run(["md5sum", "-c", "MD5SUMS"], cwd=dest, capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == 3
    # a second machine: empty cache, origin URLs dead, only the exported mirror
    pk = setup["write_packages"](closed_port_url())
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk), INVOKE_LFS_MIRRORS=f"file://{dest}",
               INVOKE_LFS_SOURCES=str(tmp_path / "other-cache"))
    run_invoke(["fetch"], env, check=True)
    for name, data in tarballs.items():
        assert (tmp_path / "other-cache" / name).read_bytes() == data


def test_all_sources_dead_names_each_source_and_exits_nonzero(setup, tarballs):
    pk = setup["write_packages"](closed_port_url())
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk), INVOKE_LFS_MIRRORS="")
    r = run_invoke(["fetch", "--only", "gamma"], env)
    assert r.returncode == 1
    assert "gamma (gamma-0.3.tar.gz)" in r.stderr and "connection failed" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_package_name_is_a_clear_error(setup):
    r = run_invoke(["fetch", "--only", "nosuch"], setup["env"])
    assert r.returncode == 1 and "no package or patch named 'nosuch'" in r.stderr
    assert "Traceback" not in r.stderr


def test_plan_is_pure_metadata(tmp_path, tarballs):
    """plan() decides from stat + record only: a present, recorded file is never re-read."""
    data = tarballs["alpha-1.0.tar.gz"]
    pk = tmp_path / "p.yaml"
    pk.write_text(packages_yaml([{"name": "alpha", "version": "1.0", "md5": md5(data),
                                  "url": "http://example.invalid/alpha-1.0.tar.gz"}]))
    pkgs = list(load_packages(pk).all())
    cache = tmp_path / "c"
    cache.mkdir()
    record = VerifiedRecord(cache)
    p = plan(pkgs, cache, ["http://m1/x", "file:///srv/m2/"], record)
    assert p.todo[0].sources == ("http://m1/x/alpha-1.0.tar.gz", "file:///srv/m2/alpha-1.0.tar.gz",
                                 "http://example.invalid/alpha-1.0.tar.gz")
    (cache / "alpha-1.0.tar.gz").write_bytes(data)
    p = plan(pkgs, cache, [], record)
    assert p.todo and p.todo[0].unrecorded       # on disk but never verified: hash it first
    report = fetch(p.todo, cache, record, FetchOptions(jobs=1, progress=False))
    assert report.outcomes[0].ok and report.outcomes[0].already
    assert plan(pkgs, cache, [], VerifiedRecord(cache)).present  # record persisted


@pytest.mark.root("mounting a tiny tmpfs")
def test_disk_full_keeps_partial_and_says_what_to_do(tmp_path, invoke_env):
    big = os.urandom(3_000_000)
    with FileServer(files={"big-1.tar.gz": big}) as srv:
        pk = tmp_path / "p.yaml"
        pk.write_text(packages_yaml([{"name": "big", "version": "1", "md5": md5(big),
                                      "url": f"{srv.url}/big-1.tar.gz"}]))
        cache = tmp_path / "small"
        cache.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(cache)], check=True)
        try:
            env = invoke_env(packages=pk, sources=cache, mirrors="")
            r = run_invoke(["fetch"], env)
            assert r.returncode == 1
            assert "disk full" in r.stderr and "resumes" in r.stderr
            assert not (cache / "big-1.tar.gz").exists()
            assert (cache / "big-1.tar.gz.part").stat().st_size > 0
            assert len(srv.requests) == 1  # no pointless attempts at other sources
        finally:
            subprocess.run(["umount", str(cache)], check=True)


# ----------------------------------------------------------------------------- issue 12: hostile servers

def one_package(tmp: Path, name: str, data: bytes, url: str, size_kb: int | None = None) -> Path:
    """A packages file with a single entry (optionally with the book's size_kb)."""
    text = packages_yaml([{"name": name.split("-")[0], "version": "1", "md5": md5(data),
                           "url": url}])
    if size_kb is not None:
        text += f"    size_kb: {size_kb}\n"
    path = tmp / f"{name}.yaml"
    path.write_text(text)
    return path


def test_content_encoding_gzip_label_stores_the_bytes_as_sent(setup, tarballs):
    """A server that labels a .tar.gz `Content-Encoding: gzip` (Apache's AddEncoding default):
    the bytes on the wire are the tarball; decoding them would fail the book's md5."""
    setup["mirror"].behaviours["alpha-1.0.tar.gz"] = Behaviour(content_encoding="gzip")
    run_invoke(["fetch", "--only", "alpha"], setup["env"], check=True)
    assert cached(setup, "alpha-1.0.tar.gz") == tarballs["alpha-1.0.tar.gz"]
    assert not setup["origin"].requests  # the mirror's bytes verified: no fallback needed


def test_content_encoding_gzip_label_resumes_with_range(setup, tarballs):
    """Resuming mid-file from such a server: the Range is in stored (wire) bytes, and the rest
    of the tarball is no gzip stream of its own, so it must not be decoded either."""
    data = tarballs["alpha-1.0.tar.gz"]
    setup["sources"].mkdir()
    (setup["sources"] / "alpha-1.0.tar.gz.part").write_bytes(data[:100_000])
    setup["mirror"].behaviours["alpha-1.0.tar.gz"] = Behaviour(content_encoding="gzip")
    run_invoke(["fetch", "--only", "alpha"], setup["env"], check=True)
    assert cached(setup, "alpha-1.0.tar.gz") == data
    assert setup["mirror"].requests == [("/m/alpha-1.0.tar.gz", "bytes=100000-", "206")]
    assert not setup["origin"].requests


def test_really_gzipped_body_is_decoded_as_a_fallback(setup, tarballs):
    """A server that compresses on the fly despite `Accept-Encoding: identity`: the bytes as
    sent fail the md5, the decoded body passes; what worked before must keep working."""
    setup["mirror"].behaviours["gamma-0.3.tar.gz"] = Behaviour(transcode_gzip=True)
    run_invoke(["fetch", "--only", "gamma"], setup["env"], check=True)
    assert cached(setup, "gamma-0.3.tar.gz") == tarballs["gamma-0.3.tar.gz"]
    assert len(setup["mirror"].requests) == 2 and not setup["origin"].requests


def test_gzip_labelled_wrong_bytes_say_what_the_server_claimed(setup, tarballs):
    setup["mirror"].behaviours["gamma-0.3.tar.gz"] = Behaviour(transcode_gzip=True,
                                                               wrong_bytes=True)
    setup["origin"].behaviours["gamma-0.3.tar.gz"] = Behaviour(status=404)
    r = run_invoke(["fetch", "--only", "gamma"], setup["env"])
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "checksum mismatch" in r.stderr and "Content-Encoding: gzip" in r.stderr
    assert not list(setup["sources"].glob("gamma*"))


def test_endless_body_stops_at_the_size_limit_then_next_source(setup, tarballs):
    """An endless body for a package with a known size is cut at the limit (not at whatever
    the server sends), then the next source is used."""
    data = tarballs["alpha-1.0.tar.gz"]
    pk = one_package(setup["tmp"], "alpha-1.0.tar.gz", data,
                     f"{setup['origin'].url}/pub/alpha-1.0.tar.gz", size_kb=len(data) // 1024 + 1)
    setup["mirror"].behaviours["alpha-1.0.tar.gz"] = Behaviour(extra=48_000_000, no_length=True)
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk))
    run_invoke(["fetch"], env, check=True)
    assert cached(setup, "alpha-1.0.tar.gz") == data
    # the limit is 4 x 294 KiB + 1 MiB = 2.2 MiB; loopback socket buffers add a few MB at most
    assert setup["mirror"].sent["/m/alpha-1.0.tar.gz"] < 16_000_000
    (_, rng, _), = setup["origin"].requests
    assert rng == ""  # the too-big .part was discarded, not resumed


def test_endless_body_error_names_package_url_and_limit(setup, tarballs):
    data = tarballs["beta-2.1.tar.gz"]
    url = f"{setup['origin'].url}/pub/beta-2.1.tar.gz"
    pk = one_package(setup["tmp"], "beta-2.1.tar.gz", data, url, size_kb=196)
    setup["origin"].behaviours["beta-2.1.tar.gz"] = Behaviour(extra=48_000_000, no_length=True)
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk), INVOKE_LFS_MIRRORS="")
    r = run_invoke(["fetch"], env)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "beta (beta-2.1.tar.gz)" in r.stderr and url in r.stderr
    assert "too big" in r.stderr and "limit of 1,851,392 bytes" in r.stderr  # 4 x 196 KiB + 1 MiB
    assert "size_kb" in r.stderr  # what to correct if the file really is that big
    assert not list(setup["sources"].glob("beta*"))  # no too-big .part kept for a resume
    assert setup["origin"].sent["/pub/beta-2.1.tar.gz"] < 16_000_000


def test_announced_length_over_the_limit_is_refused_before_the_body(setup, tarballs):
    data = tarballs["gamma-0.3.tar.gz"]
    url = f"{setup['origin'].url}/pub/gamma-0.3.tar.gz"
    pk = one_package(setup["tmp"], "gamma-0.3.tar.gz", data, url, size_kb=2)
    setup["origin"].behaviours["gamma-0.3.tar.gz"] = Behaviour(claim_length=10**12, stall=5)
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk), INVOKE_LFS_MIRRORS="")
    t0 = time.monotonic()
    r = run_invoke(["fetch"], env)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "announces 1,000,000,000,000 bytes" in r.stderr and "limit" in r.stderr
    assert time.monotonic() - t0 < 5  # refused on the headers, not after waiting for a body


def test_unknown_size_is_bounded_by_the_global_cap(setup, tarballs):
    """No size_kb: a Content-Length over the global cap is refused too (no GB sent in a test)."""
    from lfsbuild.sources.fetch import MAX_UNKNOWN_SIZE
    data = tarballs["gamma-0.3.tar.gz"]
    url = f"{setup['origin'].url}/pub/gamma-0.3.tar.gz"
    pk = one_package(setup["tmp"], "gamma-0.3.tar.gz", data, url)
    setup["origin"].behaviours["gamma-0.3.tar.gz"] = Behaviour(claim_length=MAX_UNKNOWN_SIZE + 1)
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk), INVOKE_LFS_MIRRORS="")
    r = run_invoke(["fetch"], env)
    assert r.returncode == 1 and "too big" in r.stderr and f"{MAX_UNKNOWN_SIZE:,}" in r.stderr


def test_too_big_partial_is_not_resumed(setup, tarballs):
    """A .part already past the limit (e.g. left by an endless body before the fix) is junk."""
    data = tarballs["gamma-0.3.tar.gz"]
    pk = one_package(setup["tmp"], "gamma-0.3.tar.gz", data,
                     f"{setup['origin'].url}/pub/gamma-0.3.tar.gz", size_kb=1)
    setup["sources"].mkdir()
    (setup["sources"] / "gamma-0.3.tar.gz.part").write_bytes(data + bytes(3_000_000))
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk))
    run_invoke(["fetch"], env, check=True)
    assert cached(setup, "gamma-0.3.tar.gz") == data
    assert setup["mirror"].requests == [("/m/gamma-0.3.tar.gz", "", "200")]


def test_trickle_counts_as_stalled_and_next_source_resumes(setup, tarballs):
    """1 byte per second with lfs.timeout 1.5 s: every read returns within the timeout, but
    the source makes no real progress; it must be given up after about one timeout window."""
    data = tarballs["alpha-1.0.tar.gz"]
    setup["mirror"].behaviours["alpha-1.0.tar.gz"] = Behaviour(trickle=1.0, trickle_for=20)
    t0 = time.monotonic()
    run_invoke(["fetch", "--only", "alpha"], setup["env"], check=True)
    took = time.monotonic() - t0
    assert cached(setup, "alpha-1.0.tar.gz") == data
    assert took < 10, f"a trickling source held the fetch for {took:.1f} s"
    (_, rng, status), = setup["origin"].requests
    assert rng.startswith("bytes=") and status == "206"  # the trickled bytes were kept


def test_trickle_error_says_stalled(setup, tarballs):
    setup["mirror"].behaviours["gamma-0.3.tar.gz"] = Behaviour(trickle=1.0, trickle_for=20)
    setup["origin"].behaviours["gamma-0.3.tar.gz"] = Behaviour(trickle=1.0, trickle_for=20)
    t0 = time.monotonic()
    r = run_invoke(["fetch", "--only", "gamma"], setup["env"])
    assert r.returncode == 1 and r.stderr.count("stalled") == 2, r.stderr
    assert "lfs.timeout" in r.stderr
    assert time.monotonic() - t0 < 15


def test_ftp_mirror_is_rejected_when_settings_load(setup):
    env = dict(setup["env"], INVOKE_LFS_MIRRORS="ftp://127.0.0.1/pub/lfs")
    r = run_invoke(["fetch"], env)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "ftp://127.0.0.1/pub/lfs" in r.stderr and "http, https, file" in r.stderr
    assert "invoke mirror" in r.stderr
    assert not setup["mirror"].requests and not setup["origin"].requests
    assert not setup["sources"].exists()  # refused before anything was done


def test_ftp_package_url_is_rejected_when_the_package_list_loads(setup, tarballs):
    data = tarballs["gamma-0.3.tar.gz"]
    pk = one_package(setup["tmp"], "gamma-0.3.tar.gz", data, "ftp://127.0.0.1/pub/gamma-0.3.tar.gz")
    env = dict(setup["env"], INVOKE_LFS_PACKAGES=str(pk))
    r = run_invoke(["fetch"], env)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{pk}:5 (url)" in r.stderr and "ftp://" in r.stderr and "http" in r.stderr
    assert not setup["mirror"].requests and not setup["origin"].requests
