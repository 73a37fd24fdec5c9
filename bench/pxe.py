"""Benchmark `invoke pxe` and `invoke boot-test` on a root tree of at least 200 MB.

Prints one table: initrd size and pack time per compression (zstd default, zstd -19, xz,
gzip), then boot-test time to marker over TFTP (pxelinux) vs HTTP (iPXE) for the default
initrd. Not a test: figures depend on the machine (and on a build running beside it).

    python bench/pxe.py [--rootfs DIR] [--kernel PATH] [--no-boot] [--min-mb 200]

Without --rootfs it builds a tree once under /var/tmp/lfsbuild-bench/root: the busybox
test root plus copies of host libraries and binaries (real, compressible data).
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from netboot_trees import MARKER, find_test_kernel, link_applets, make_netboot_tree  # noqa: E402
from lfsbuild.netboot.boot_test import BootOptions, run_boot  # noqa: E402
from lfsbuild.netboot.pxe import PxeOptions, build_artifacts  # noqa: E402
from lfsbuild.netboot.pxe.compress import codec  # noqa: E402
from lfsbuild.netboot.pxe.initrd import InitrdSpec, pack  # noqa: E402

BENCH_DIR = Path("/var/tmp/lfsbuild-bench")
FILLERS = ("/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/share/locale", "/usr/share/perl")
CASES = (("zstd", None), ("zstd", 19), ("xz", None), ("gzip", None))


def tree_size(root: Path) -> int:
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def make_tree(min_mb: int, applets: tuple[str, ...] = ()) -> Path:
    """Copy host files (in sorted order, so the tree is the same each time) until min_mb.

    Each content once: Debian hardlinks some big files (8 names of one 25 MB Mesa driver),
    and copies of them would let squashfs (which stores duplicates once) look 20x better than
    on a real tree. `applets`: busybox applets to add (bench/modes.py: what the root modes'
    /init runs); a cached tree gets them too."""
    root = BENCH_DIR / f"root-{min_mb}"
    stamp = BENCH_DIR / f"root-{min_mb}.unique"   # a tree filled by this version
    if not (root.is_dir() and stamp.is_file() and tree_size(root) >= min_mb * 1e6):
        stamp.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)
        make_netboot_tree(root, MARKER)
        _fill(root, min_mb)
        stamp.write_text("filled with unique contents\n")
    link_applets(root, applets)
    return root


def _fill(root: Path, min_mb: int) -> None:
    total = tree_size(root)
    seen: set[str] = set()
    for src in FILLERS:
        for path in sorted(Path(src).rglob("*")):
            if total >= min_mb * 1e6:
                return
            if path.is_file() and not path.is_symlink():
                with open(path, "rb") as f:
                    digest = hashlib.file_digest(f, "sha256").hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                dest = root / "opt/filler" / path.relative_to("/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                total += dest.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rootfs", type=Path)
    ap.add_argument("--kernel", type=Path)
    ap.add_argument("--no-boot", action="store_true")
    ap.add_argument("--min-mb", type=int, default=200)
    args = ap.parse_args()
    root = args.rootfs or make_tree(args.min_mb)
    size = tree_size(root)
    print(f"root tree {root}: {size / 1e6:.0f} MB of regular files")
    out = BENCH_DIR / "out"
    out.mkdir(parents=True, exist_ok=True)
    rows = [("what", "initrd", "ratio", "time", "notes")]
    for name, level in CASES:
        c, lvl = codec(name, level)
        res = pack(InitrdSpec(root), c, lvl, out / f"initrd-{name}-{lvl}{c.suffix}")
        rows.append((f"pack {name} -{lvl}", f"{res.size / 1e6:.1f} MB",
                     f"{res.uncompressed / res.size:.2f}x", f"{res.seconds:.1f} s",
                     f"{res.uncompressed / 1e6 / res.seconds:.0f} MB/s in"))
    kernel = args.kernel or find_test_kernel()
    if not args.no_boot and kernel is not None:
        pxe = BENCH_DIR / "pxe"
        m = build_artifacts(PxeOptions(out_dir=pxe, kernel=kernel, rootfs=root, release="bench"))
        initrd = next(a.size for a in m.artifacts if a.role == "initrd")
        for transport in ("tftp", "http"):
            t0 = time.monotonic()
            r = run_boot(BootOptions(pxe_dir=pxe, transport=transport, accel="auto", timeout=600,
                                     marker=MARKER, memory_mb=3072))
            note = (f"{r.bytes_transferred / 1e6:.0f} MB in {r.transfer_seconds:.1f} s"
                    if r.bytes_transferred and r.transfer_seconds else "transfer not measured")
            rows.append((f"boot bios {transport} ({r.accel})", f"{initrd / 1e6:.1f} MB", "",
                         f"{r.seconds:.1f} s" if r.ok else f"FAIL {r.stage} ({time.monotonic() - t0:.0f} s)",
                         note))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
