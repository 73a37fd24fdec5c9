"""Benchmark: `invoke fetch` against `wget --input-file --continue` (what the book tells users).

Why: the book's chapter 3 downloads ~90 files one after another with wget; lfsbuild claims to be
much faster by downloading several at once. Real mirrors answer each request after a round trip
and often cap the bandwidth of one connection, so this script serves a book-shaped set of files
(a few large, many small; incompressible random bytes) from tests/httpserver.py with 50 ms
latency per request and a per-connection bandwidth cap, and times both tools on the same set,
each into a fresh, empty sources cache. It also records the fetch process's peak RSS (from
GNU time's %M), which must stay flat whatever the file sizes, and times a second, no-op
`invoke fetch` next to `invoke --list` (the floor: invoke's own start-up).

Run:  python bench/fetch.py            (full: 45 files, ~300 MB, 5 MB/s per connection, 1 GB row)
      python bench/fetch.py --quick    (smoke run, < 30 s)
Each figure is the best and median of --repeat runs. Nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from httpserver import Behaviour, FileServer  # noqa: E402

MB = 1_000_000

# File sizes in MB shaped like LFS 12.3's chapter 3 list, scaled to ~300 MB total: two giants
# (linux, gcc), a handful of 10-30 MB tarballs, and a long tail of small tarballs and patches.
# Listed alphabetically, like packages.yaml, so the download order is the real one.
FULL_SET: list[tuple[str, float]] = [
    ("acl-2.3.2.tar.xz", 0.35), ("attr-2.5.2.tar.gz", 0.48), ("autoconf-2.72.tar.xz", 1.4),
    ("automake-1.17.tar.xz", 1.6), ("bash-5.2.37.tar.gz", 10.9), ("bc-7.0.3.tar.xz", 0.45),
    ("binutils-2.44.tar.xz", 27.0), ("bison-3.8.2.tar.xz", 2.8), ("bzip2-1.0.8.tar.gz", 0.8),
    ("coreutils-9.6.tar.xz", 6.1), ("dejagnu-1.6.3.tar.gz", 0.6), ("diffutils-3.11.tar.xz", 1.9),
    ("e2fsprogs-1.47.2.tar.gz", 9.9), ("expat-2.6.4.tar.xz", 0.5), ("expect5.45.4.tar.gz", 0.6),
    ("file-5.46.tar.gz", 1.3), ("findutils-4.10.0.tar.xz", 2.2), ("flex-2.6.4.tar.gz", 1.4),
    ("gawk-5.3.1.tar.xz", 3.6), ("gcc-14.2.0.tar.xz", 52.0), ("gdbm-1.24.tar.gz", 1.2),
    ("gettext-0.24.tar.xz", 10.0), ("glibc-2.41.tar.xz", 19.0), ("gmp-6.3.0.tar.xz", 2.1),
    ("grep-3.11.tar.xz", 1.7), ("groff-1.23.0.tar.gz", 7.3), ("gzip-1.13.tar.xz", 0.8),
    ("inetutils-2.6.tar.xz", 1.7), ("kbd-2.7.1.tar.xz", 1.5), ("less-668.tar.gz", 0.6),
    ("libcap-2.73.tar.xz", 0.2), ("libtool-2.5.4.tar.xz", 1.1), ("linux-6.13.4.tar.xz", 80.0),
    ("m4-1.4.19.tar.xz", 1.6), ("make-4.4.1.tar.gz", 2.3), ("mpfr-4.2.1.tar.xz", 1.5),
    ("ncurses-6.5.tar.gz", 3.6), ("openssl-3.4.1.tar.gz", 18.0), ("patch-2.7.6.tar.xz", 0.8),
    ("perl-5.40.1.tar.xz", 13.7), ("Python-3.13.2.tar.xz", 22.0), ("sed-4.9.tar.xz", 1.4),
    ("tar-1.35.tar.xz", 2.3), ("util-linux-2.40.4.tar.xz", 8.6),
    ("bzip2-1.0.8-install_docs-1.patch", 0.002), ("glibc-2.41-fhs-1.patch", 0.003),
]
QUICK_SET: list[tuple[str, float]] = [
    ("binutils-2.44.tar.xz", 4.0), ("gcc-14.2.0.tar.xz", 6.0), ("glibc-2.41.tar.xz", 3.0),
    ("linux-6.13.4.tar.xz", 8.0), *((f"small{i:02d}-1.0.tar.xz", 0.3) for i in range(36)),
    ("bzip2-1.0.8-install_docs-1.patch", 0.002), ("glibc-2.41-fhs-1.patch", 0.003),
]


@dataclass
class Run:
    seconds: float
    maxrss_mb: float


def make_files(directory: Path, spec: list[tuple[str, float]]) -> dict[str, Path]:
    """Incompressible random bytes, written once and served from disk (page cache) to every run."""
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, mb in spec:
        path = directory / name
        left = int(mb * MB)
        with open(path, "wb") as f:
            while left:
                n = min(left, 16 * MB)
                f.write(os.urandom(n))
                left -= n
        out[name] = path
    return out


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def write_packages(path: Path, files: dict[str, Path], base_url: str) -> None:
    """A packages file for lfs.packages: one entry per served file, md5 and size as the book has."""
    lines = ["release: 'bench'", "packages:"]
    for i, (name, p) in enumerate(sorted(files.items())):
        lines += [f"  - name: pkg{i:03d}", "    version: '1.0'", f"    url: {base_url}/{name}",
                  f"    md5: {md5_of(p)}", f"    size_kb: {p.stat().st_size // 1024}"]
    path.write_text("\n".join(lines) + "\n")


def timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> Run:
    """Wall time and the command's own peak RSS.

    The RSS comes from GNU time (%M), not from our own wait4: the kernel folds the high-water
    mark of the pre-exec image into a child's maxrss, and that image is a fork of this process
    (which holds the server's buffers), whereas /usr/bin/time is a small C program.
    """
    with tempfile.NamedTemporaryFile("r", prefix="rss-") as rss:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], cwd=cwd,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"broken: {' '.join(cmd[:4])}... exited {proc.returncode}:\n"
                     f"{proc.stdout.decode(errors='replace')[-2000:]}")
        kb = int(rss.read().split()[-1])
    return Run(elapsed, kb / 1024)


def invoke_env(packages: Path, scratch: Path) -> dict[str, str]:
    return dict(os.environ, INVOKE_LFS_PACKAGES=str(packages), INVOKE_LFS_MIRRORS="",
                INVOKE_LFS_SOURCES=str(scratch / "sources"), INVOKE_LFS_ROOT=str(scratch / "lfs"))


def check_complete(cache: Path, files: dict[str, Path]) -> None:
    for name, src in files.items():
        got = cache / name
        if not got.exists() or got.stat().st_size != src.stat().st_size:
            sys.exit(f"broken: {got} missing or wrong size after the run")


def run_lfsbuild(packages: Path, files: dict[str, Path], work: Path, jobs: int | None,
                 keep: bool = False) -> tuple[Run, Path]:
    scratch = Path(tempfile.mkdtemp(prefix="lfsfetch-", dir=work))
    env = invoke_env(packages, scratch)
    r = timed([sys.executable, "-m", "invoke", "fetch", *([f"--fetch-jobs={jobs}"] if jobs else [])], env)
    check_complete(scratch / "sources", files)
    if not keep:
        shutil.rmtree(scratch)
    return r, scratch


def run_wget(url_list: Path, files: dict[str, Path], work: Path) -> Run:
    scratch = Path(tempfile.mkdtemp(prefix="wget-", dir=work))
    # the book: wget --input-file=wget-list-sysv --continue --directory-prefix=$LFS/sources
    r = timed(["wget", "--no-verbose", f"--input-file={url_list}", "--continue",
               f"--directory-prefix={scratch}"])
    check_complete(scratch, files)
    shutil.rmtree(scratch)
    return r


def summarize(runs: list[Run]) -> tuple[float, float, float]:
    """(best seconds, median seconds, max peak RSS MB)."""
    secs = [r.seconds for r in runs]
    return min(secs), statistics.median(secs), max(r.maxrss_mb for r in runs)


def row(label: str, runs: list[Run], ref: float | None, total_mb: float) -> str:
    best, med, rss = summarize(runs)
    ratio = f"{ref / med:6.2f}x" if ref else "      -"
    return (f"{label:34} {best:8.2f} {med:8.2f} {total_mb / med:8.1f} {rss:8.1f} {ratio}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="reduced set for a smoke run (<30 s)")
    ap.add_argument("--repeat", type=int, default=None, help="runs per row (default 3; quick 1)")
    ap.add_argument("--rate", type=float, default=None,
                    help="per-connection cap in MB/s (default 5; quick 20)")
    ap.add_argument("--latency", type=float, default=0.05, help="seconds per request (0.05)")
    ap.add_argument("--no-big", action="store_true", help="skip the 1 GB single-file row")
    args = ap.parse_args()
    repeat = args.repeat or (1 if args.quick else 3)
    rate = (args.rate or (20.0 if args.quick else 5.0)) * MB
    spec = QUICK_SET if args.quick else FULL_SET
    if not shutil.which("wget"):
        sys.exit("broken: wget is not installed (apt-get install -y wget)")

    work = Path(tempfile.mkdtemp(prefix="lfsbuild-bench-fetch-"))
    try:
        t0 = time.perf_counter()
        files = make_files(work / "served", spec)
        total_mb = sum(p.stat().st_size for p in files.values()) / MB
        sizes = sorted((p.stat().st_size / MB for p in files.values()), reverse=True)
        print(f"set: {len(files)} files, {total_mb:.1f} MB (largest {sizes[0]:.1f}, "
              f"{sizes[1]:.1f} MB; {sum(s < 1 for s in sizes)} under 1 MB); server: "
              f"{args.latency * 1000:.0f} ms per request, {rate / MB:g} MB/s per connection; "
              f"generated in {time.perf_counter() - t0:.1f} s")
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
              f"(a background build may be running: figures are noisy)")
        srv = FileServer(files=dict(files), default=Behaviour(latency=args.latency, rate=rate))
        with srv:
            base = f"{srv.url}/pub"
            packages = work / "packages.yaml"
            write_packages(packages, files, base)
            url_list = work / "wget-list"
            url_list.write_text("".join(f"{base}/{n}\n" for n in sorted(files)))
            ideal = max(total_mb / (rate / MB) / 4, sizes[0] / (rate / MB))

            results: dict[str, list[Run]] = {k: [] for k in ("wget", "j1", "j4", "j8")}
            for i in range(repeat):  # interleaved, so background load hits every row alike
                results["wget"].append(run_wget(url_list, files, work))
                results["j4"].append(run_lfsbuild(packages, files, work, None)[0])
                results["j1"].append(run_lfsbuild(packages, files, work, 1)[0])
                results["j8"].append(run_lfsbuild(packages, files, work, 8)[0])
                print(f"  round {i + 1}/{repeat}: " + ", ".join(
                    f"{k} {v[-1].seconds:.1f}s" for k, v in results.items()), flush=True)

            # no-op second fetch (everything present and recorded) vs invoke's own start-up
            _, kept = run_lfsbuild(packages, files, work, None, keep=True)
            env = invoke_env(packages, kept)
            noop, lst = [], []
            for _ in range(max(5, repeat * 3)):  # interleaved: load spikes hit both alike
                noop.append(timed([sys.executable, "-m", "invoke", "fetch"], env))
                lst.append(timed([sys.executable, "-m", "invoke", "--list"], env))
            requests_before = len(srv.requests)
            timed([sys.executable, "-m", "invoke", "fetch"], env)
            noop_requests = len(srv.requests) - requests_before
            shutil.rmtree(kept)

        big: list[Run] = []
        if not args.quick and not args.no_big:
            bigfile = make_files(work / "big", [("huge-1.0.tar.xz", 1000.0)])
            srv = FileServer(files=dict(bigfile), default=Behaviour(latency=args.latency))
            with srv:
                bigpk = work / "big.yaml"
                write_packages(bigpk, bigfile, f"{srv.url}/pub")
                big = [run_lfsbuild(bigpk, bigfile, work, None)[0] for _ in range(repeat)]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    wget_med = summarize(results["wget"])[1]
    print()
    print(f"{'fetch of the set (' + str(repeat) + ' runs)':34} {'best s':>8} {'median s':>8} "
          f"{'MB/s':>8} {'peakMB':>8} {'vs wget':>7}")
    print(row("wget --input-file --continue", results["wget"], None, total_mb))
    print(row("invoke fetch, fetch_jobs=1", results["j1"], wget_med, total_mb))
    print(row("invoke fetch (default jobs=4)", results["j4"], wget_med, total_mb))
    print(row("invoke fetch, fetch_jobs=8", results["j8"], wget_med, total_mb))
    if big:
        print(row("invoke fetch, one 1000 MB file*", big, None, 1000.0))
    print()
    print(f"floor for jobs=4 with this set: max(total/4, largest) / rate = {ideal:.1f} s "
          f"(best possible ratio vs wget {wget_med / ideal:.2f}x)")
    if big:
        print("* 1000 MB row: no bandwidth cap, same latency; it is there for the peak-memory column")
    print()
    nb, nm, nr = summarize(noop)
    lb, lm, lr = summarize(lst)
    print(f"{'start-up (' + str(len(noop)) + ' runs)':34} {'best s':>8} {'median s':>8} "
          f"{'peakMB':>8} {'ratio':>7}")
    print(f"{'invoke --list':34} {lb:8.3f} {lm:8.3f} {lr:8.1f} {'1.00x':>7}")
    print(f"{'invoke fetch, all present':34} {nb:8.3f} {nm:8.3f} {nr:8.1f} {nm / lm:6.2f}x"
          f"   ({noop_requests} HTTP requests)")
    j4_med = summarize(results["j4"])[1]
    print()
    print(f"summary: invoke fetch (jobs=4) {j4_med:.1f} s vs wget {wget_med:.1f} s = "
          f"{wget_med / j4_med:.2f}x (target >= 3x); peak RSS "
          f"{max(summarize(v)[2] for v in results.values() if v is not results['wget']):.0f} MB"
          + (f", {summarize(big)[2]:.0f} MB with a 1000 MB file" if big else "")
          + " (target flat, < 100 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
