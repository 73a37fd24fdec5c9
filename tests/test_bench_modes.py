"""bench/modes.py's decisions, without booting: what a failed boot says about RAM, how the
bisection narrows and when it must stop, which compressors the kernel fragment allows.

The boots themselves are the bench's business (QEMU, minutes); these are its pure parts, fed
with real console lines seen from iPXE and the kernel.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import load_script

MODES_PATH = Path(__file__).resolve().parent.parent / "bench" / "modes.py"


@pytest.fixture(scope="module")
def bench():
    """bench/modes.py is a script, not a package: load it by path (registered first, as
    dataclasses look their module up)."""
    return load_script(MODES_PATH, "bench_modes")


def booter(bench, needs: int, other_at: set[int] = frozenset(), unclear_at: set[int] = frozenset(),
           down_after: int | None = None):
    """A fake guest that boots with `needs` MiB or more; `other_at`: a server failure there;
    `unclear_at`: fails without saying why; `down_after`: every boot after that many fails
    (the server went away)."""
    seen: list[int] = []

    def boot(mem: int):
        seen.append(mem)
        if down_after is not None and len(seen) > down_after:
            return bench.Probe(mem, bench.UNCLEAR, 1.0, "init", "hang")
        if mem in other_at:
            return bench.Probe(mem, bench.NOT_RAM, 1.0, "init", "nfs: server 10.0.2.2 not responding")
        if mem >= needs:
            return bench.Probe(mem, bench.BOOTS, 1.0, "marker")
        if mem in unclear_at:
            return bench.Probe(mem, bench.UNCLEAR, 1.0, "init", "the marker never appeared")
        return bench.Probe(mem, bench.TOO_LITTLE, 1.0, "kernel", "Initramfs unpacking failed")
    return boot, seen


def test_bisection_starts_at_the_estimate_and_ends_on_the_step(bench):
    boot, seen = booter(bench, needs=300)
    b = bench.bisect(boot, 64, 4096, 16, "ram", first=1024)
    assert seen[0] == 1024 and 4096 not in seen           # the estimate booted: no upper bound
    assert (b.min_mb, b.fails_mb, b.stopped, b.at_floor) == (304, 288, "", False)
    assert b.estimate_boots is True
    assert all(m % 16 == 0 for m in seen) and len(seen) <= 8


def test_an_estimate_too_low_is_reported_and_the_upper_bound_tried(bench):
    boot, seen = booter(bench, needs=700)
    b = bench.bisect(boot, 64, 4096, 16, "squashfs", first=320)
    assert seen[:2] == [320, 4096] and b.min_mb == 704 and b.estimate_boots is False


def test_a_guest_that_boots_at_the_floor_says_the_minimum_may_be_lower(bench):
    boot, seen = booter(bench, needs=0)
    b = bench.bisect(boot, 64, 4096, 16, "nfs-ro", first=320)
    assert b.min_mb == 64 and b.at_floor and b.fails_mb is None and seen[-1] == 64


def test_a_failure_that_is_not_ram_stops_the_bisection(bench):
    boot, seen = booter(bench, needs=300, other_at={192})
    b = bench.bisect(boot, 64, 4096, 16, "nfs-ro", first=320)
    assert b.min_mb is None and "at 192 MiB failed for a reason other than RAM" in b.stopped
    assert "not responding" in b.stopped and seen[-1] == 192


def test_an_unclear_failure_counts_only_if_the_good_ram_still_boots(bench):
    boot, seen = booter(bench, needs=300, unclear_at={192})
    b = bench.bisect(boot, 64, 4096, 16, "ram", first=320)
    assert b.min_mb == 304 and not b.stopped
    i = seen.index(192)
    assert seen[i + 1] == 320                              # checked against the good RAM
    probe = next(p for p in b.probes if p.memory_mb == 192)
    assert probe.verdict == bench.TOO_LITTLE and "no memory message, but 320 MiB boots" in probe.evidence
    # the server went away after two boots: the good RAM fails too -> stop, no figure
    boot, seen = booter(bench, needs=300, down_after=2)
    b = bench.bisect(boot, 64, 4096, 16, "nfs-ro", first=320)
    assert b.min_mb is None and "booted with 320 MiB before but fails now" in b.stopped


def test_nothing_boots_even_at_the_upper_bound(bench):
    boot, _ = booter(bench, needs=10_000)
    b = bench.bisect(boot, 64, 4096, 16, "ram", first=1024)
    assert b.min_mb is None and "does not boot even with 4096 MiB" in b.stopped


@pytest.mark.parametrize("text, stage, verdict", [
    ("iPXE\nhttp://10.0.2.2:8080/initrd.img... Not enough space (https://ipxe.org/...)", "loader", "too little RAM"),
    ("Linux version 6.1\nInitramfs unpacking failed: write error\nKernel panic - not syncing: "
     "No working init found.", "kernel", "too little RAM"),
    ("Linux version 6.1\nOut of memory: Killed process 1 (init)", "init", "too little RAM"),
    ("Linux version 6.1\nnfs: server 10.0.2.2 not responding, still trying", "init", "not RAM"),
    ("Linux version 6.1\nmount: mounting 10.0.2.2:/x failed: Connection refused", "init", "not RAM"),
    ("", "none", "not RAM"),
    ("Linux version 6.1\nRun /init as init process", "init", "unclear"),
])
def test_what_a_failed_boot_says_about_ram(bench, text, stage, verdict):
    got, evidence = bench.classify(False, stage, text, "the marker never appeared")
    assert got == verdict
    assert bench.classify(True, "marker", text, "")[0] == bench.BOOTS


def test_compressors_follow_the_kernel_fragment(bench, tmp_path):
    assert bench.default_compressors() == ["zstd", "xz", "gzip"]     # the real fragment
    frag = tmp_path / "netboot.config"
    frag.write_text("CONFIG_SQUASHFS=y\nCONFIG_SQUASHFS_XZ=y\n# CONFIG_SQUASHFS_ZSTD is not set\n"
                    "CONFIG_SQUASHFS_LZ4=y\n")
    assert bench.default_compressors(frag) == ["xz"]      # lz4: the kernel could, lfsbuild can't
    assert bench.fragment_compressors(frag)["lz4"] is True


def test_targets(bench):
    t = bench.targets({"ram": {"min_mb": 1000}, "squashfs": {"min_mb": 400}, "nfs-ro": {"min_mb": 256}})
    assert t["squashfs_share_of_ram"]["met"] and t["squashfs_share_of_ram"]["value"] == 0.4
    assert not t["nfs_ro_min_mb"]["met"]
    assert bench.targets({"ram": {"min_mb": None}}) == {}


def test_each_node_boots_as_itself_at_the_manifests_ram(bench, tmp_path):
    """--nodes: one boot per node at the manifest's RAM, with the node's MAC, and success only
    when its own hostname is at the login prompt; the table says which node failed and why."""
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text("nodes:\n  - mac: 52:54:00:4c:42:01\n    hostname: lfs-node1\n"
                     "  - mac: 52:54:00:4c:42:02\n    hostname: lfs-node2\n")
    calls = []

    def boot(mem, mac=None, marker=None):
        calls.append((mem, mac, marker))
        if mac.endswith("02"):
            return bench.Probe(mem, bench.UNCLEAR, 9.0, "init", "the marker never appeared")
        return bench.Probe(mem, bench.BOOTS, 8.0, "marker")
    got = [bench.node_boot(boot, n, 288) for n in bench.nodes_of(nodes)]
    assert calls == [(288, "52:54:00:4c:42:01", "lfs-node1 login:"),
                     (288, "52:54:00:4c:42:02", "lfs-node2 login:")]
    assert [n["ok"] for n in got] == [True, False]
    r = {"downloaded_bytes": 1, "pack_seconds": 1.0, "boot_seconds": 10.0, "manifest_node_ram_mb": 288,
         "min_mb": 200, "at_floor": False, "stopped": "", "estimate_boots": True, "fails_mb": None,
         "probes": [], "nodes": got}
    text = bench.table([], {"squashfs": r})
    assert "node lfs-node1" in text and "'lfs-node1 login:' on its console" in text
    assert "52:54:00:4c:42:02: FAILED: the marker never appeared" in text
    assert bench.nodes_of(None) == []
