"""The figures of the root modes (`invoke pxe --mode`) for any root tree, in one run.

Part 1: the squashfs image's size and pack time per compressor - those the kernel fragment
(chroot/kernel/netboot.config) builds in - through lfsbuild's own packing
(`lfsbuild.netboot.pxe.squashfs.make_image`), beside the RAM mode's initrd.
Part 2: per mode, the smallest guest RAM at which it still boots to the marker, bisected with
boot-test's memory option (`BootOptions.memory_mb`), next to the RAM manifest.json says a node
needs; then the issue's targets: squashfs needs at most 40 % of the RAM of ram mode, nfs-ro
less than 256 MiB. With --nodes (a real tree): every mode is packed with that nodes file, and
each node boots once at the RAM the manifest says and must show its own hostname at the login
prompt (two machines, one image, each its own identity). Prints one table and writes the
figures as JSON. Nothing is asserted on time; times depend on the machine.

    python bench/modes.py [--rootfs DIR [--nodes FILE]] [--kernel PATH] [--modes ram,squashfs,nfs-ro]
                          [--compressors zstd,xz,gzip] [--no-boot] [--json PATH]

Without --rootfs: bench/pxe.py's 200 MB busybox tree (its init prints the test marker) and the
test kernel (Debian's: loop, squashfs, overlayfs, the NFS client and e1000 are modules there, so
the boot initrd loads them and the NFS modes get a static ip=, as tests/test_pxe_modes.py does).
With --rootfs (a real LFS): the marker is `login:` and the kernel the newest DIR/boot/vmlinuz*.
The NFS modes need root: nfs-ganesha + rpcbind in a network namespace of their own
(tests/nfs_server.py, as the CI tests run them), and each of their boots runs inside it.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _p in (str(REPO / "tests"), str(REPO)):
    if _p not in sys.path:
        sys.path.insert(0, _p)
if str(BENCH) not in sys.path:        # for bench/pxe.py; last, as loaded by a test
    sys.path.append(str(BENCH))

import pytest  # noqa: E402  (the shared test helpers report a missing tool as a skip/fail)

from lfsbuild.atomic import write_json  # noqa: E402
from lfsbuild.errors import LfsError  # noqa: E402
from lfsbuild.netboot.boot_test import BootOptions, BootResult, resolve_accel, run_boot  # noqa: E402
from lfsbuild.netboot.pxe import PxeOptions, build_artifacts  # noqa: E402
from lfsbuild.netboot.pxe.build import resolve_inputs  # noqa: E402
from lfsbuild.netboot.pxe.compress import codec  # noqa: E402
from lfsbuild.netboot.pxe.initrd import InitrdSpec, pack, source_date_epoch  # noqa: E402
from lfsbuild.netboot.pxe.modes import MODES  # noqa: E402
from lfsbuild.netboot.pxe.nodes import Node, load_nodes  # noqa: E402
from lfsbuild.netboot.pxe.squashfs import COMPRESSORS, make_image  # noqa: E402
from lfsbuild.tables import fmt_duration, format_table, human  # noqa: E402
from netboot_trees import (MARKER, MODE_APPLETS, MODE_MODULES, STATIC_IP,  # noqa: E402
                           find_test_kernel, kernel_modules)
from nfs_server import NfsServer, nfs_server  # noqa: E402
from pxe import BENCH_DIR, make_tree, tree_size  # noqa: E402

OUT = BENCH_DIR / "modes"
FRAGMENT = REPO / "chroot/kernel/netboot.config"
#: squashfs compressor (`invoke pxe --compress`) -> the kernel option that lets a kernel read it
KERNEL_OPTION = {"zstd": "CONFIG_SQUASHFS_ZSTD", "xz": "CONFIG_SQUASHFS_XZ",
                 "gzip": "CONFIG_SQUASHFS_ZLIB", "lz4": "CONFIG_SQUASHFS_LZ4",
                 "lzo": "CONFIG_SQUASHFS_LZO"}
NFS_SERVER = "10.0.2.2"       # QEMU user-net's host: the namespace's ganesha answers there
TARGET_SQUASHFS_SHARE = 0.40  # issue 15: squashfs in at most 40 % of ram mode's RAM
TARGET_NFS_RO_MB = 256        # issue 15: nfs-ro in under 256 MiB

# ---------------------------------------------------------------- verdicts (pure)

BOOTS, TOO_LITTLE, NOT_RAM, UNCLEAR = "boots", "too little RAM", "not RAM", "unclear"

#: the console saying memory ran out: iPXE ("Not enough space" is its ENOMEM), the kernel's
#: decompressor and initramfs unpacker, the OOM killer, a full tmpfs
MEMORY = re.compile(r"Out of memory|out of memory|oom-kill|Initramfs unpacking failed|"
                    r"Not enough space|No space left on device|Cannot allocate memory|"
                    r"page allocation failure|deadlocked on memory|[Nn]ot enough memory")
#: the console blaming a server or the network: no amount of RAM fixes these
NOT_MEMORY = re.compile(r"not responding|Connection refused|Connection reset|No route to host|"
                        r"Network is unreachable|Permission denied|Stale file handle|"
                        r"server .* is not ready")
#: boot-test's stages that are about the emulator or the bench, never the guest's RAM
OTHER_STAGES = ("none", "error", "server")


@dataclass
class Probe:
    """One boot at `memory_mb` and what it says about RAM."""

    memory_mb: int
    verdict: str
    seconds: float
    stage: str = ""
    evidence: str = ""
    log: str = ""


def _line_of(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start:end if end >= 0 else None].strip()[:160]


def classify(ok: bool, stage: str, text: str, problem: str) -> tuple[str, str]:
    """(verdict, evidence) for one boot: `text` is its console (pure).

    Memory words on the console: too little RAM. A server or network that failed, no console
    at all (the emulator), or the bench's own error: not a RAM question, the bisection stops.
    Anything else (a hang, a panic without a reason) is unclear: `bisect` then boots the RAM
    that worked before once more, and counts the failure as RAM only if that still boots.
    """
    if ok:
        return BOOTS, ""
    found = MEMORY.search(text)
    if found:
        return TOO_LITTLE, _line_of(text, found.start())
    found = NOT_MEMORY.search(text)
    if found:
        return NOT_RAM, _line_of(text, found.start())
    if stage in OTHER_STAGES:
        return NOT_RAM, problem
    lines = [l for l in text.replace("\r", "\n").splitlines() if l.strip()]
    return UNCLEAR, f"{problem} (last line: {lines[-1].strip()[:120] if lines else 'none'})"


@dataclass
class Bisection:
    """The smallest RAM (MiB, a multiple of `step` between `lo` and `hi`) that boots."""

    mode: str
    estimate_mb: int | None
    lo: int
    hi: int
    step: int
    probes: list[Probe] = field(default_factory=list)
    min_mb: int | None = None      # the smallest RAM seen to boot
    fails_mb: int | None = None    # the largest RAM seen to fail for want of RAM
    at_floor: bool = False         # it booted with `lo`: the true minimum may be lower
    stopped: str = ""              # why there is no answer (a failure that is not RAM)

    @property
    def estimate_boots(self) -> bool | None:
        """Does the manifest's figure boot (booted, or above a RAM that booted)? None: unknown."""
        if self.estimate_mb is None:
            return None
        for p in self.probes:
            if p.memory_mb == self.estimate_mb and p.verdict in (BOOTS, TOO_LITTLE):
                return p.verdict == BOOTS
        if self.min_mb is not None and self.estimate_mb >= self.min_mb:
            return True
        if self.fails_mb is not None and self.estimate_mb <= self.fails_mb:
            return False
        return None


def midpoint(low: int, high: int, step: int) -> int:
    """A multiple of `step` strictly between `low` and `high` (given high - low > step)."""
    mid = (low + high) // 2 // step * step
    return mid if mid > low else low + step


def bisect(boot: Callable[[int], Probe], lo: int, hi: int, step: int, mode: str = "",
           first: int | None = None) -> Bisection:
    """Bisect the RAM `boot` needs between `lo` and `hi` MiB, to `step` MiB.

    `first` (the manifest's figure) is tried before `hi`: it usually boots, which narrows the
    range at once and says whether the estimate is right. A failure that is not RAM stops
    the bisection (`stopped`) rather than being counted as too little RAM.
    """
    b = Bisection(mode, first, lo, hi, step)

    def run(mem: int) -> Probe:
        p = boot(mem)
        b.probes.append(p)
        return p

    def stop(p: Probe, why: str) -> Bisection:
        b.stopped = f"{why}: {p.evidence or p.stage} (console: {p.log})"
        return b

    def confirm(p: Probe, good: int) -> None:
        p.verdict = TOO_LITTLE
        p.evidence = f"no memory message, but {good} MiB boots: {p.evidence}"

    good: int | None = None
    bad: int | None = None
    unclear: list[Probe] = []
    p = None
    for mem in dict.fromkeys(m for m in (first, hi) if m is not None and lo <= m <= hi):
        p = run(mem)
        if p.verdict == BOOTS:
            good = mem
            break
        if p.verdict == NOT_RAM:
            return stop(p, f"{mode} at {mem} MiB failed for a reason other than RAM")
        if p.verdict == UNCLEAR:
            unclear.append(p)
        bad = mem
    if good is None:
        assert p is not None
        return stop(p, f"{mode} does not boot even with {hi} MiB, the upper bound")
    for p in unclear:
        confirm(p, good)
    def below(mem: int, good: int) -> bool | Bisection:
        """Boot with `mem` MiB, less than `good`, which booted: True if it boots, False if it
        fails for RAM, the stopped bisection if it fails for something else."""
        p = run(mem)
        if p.verdict == BOOTS:
            return True
        if p.verdict == NOT_RAM:
            return stop(p, f"{mode} at {mem} MiB failed for a reason other than RAM")
        if p.verdict == UNCLEAR:
            again = run(good)
            if again.verdict != BOOTS:
                return stop(again, f"{mode} booted with {good} MiB before but fails now (after "
                                   f"{mem} MiB failed without a memory message): not a RAM "
                                   f"question")
            confirm(p, good)
        return False

    while good - (lo if bad is None else bad) > step:
        mid = midpoint(lo if bad is None else bad, good, step)
        boots = below(mid, good)
        if isinstance(boots, Bisection):
            return boots
        good, bad = (mid, bad) if boots else (good, mid)
    if bad is None:          # everything booted: try the floor itself
        if good > lo:
            boots = below(lo, good)
            if isinstance(boots, Bisection):
                return boots
            good, bad = (lo, bad) if boots else (good, lo)
        b.at_floor = good == lo
    b.min_mb, b.fails_mb = good, bad
    return b


def fragment_compressors(fragment: Path = FRAGMENT) -> dict[str, bool]:
    """Per squashfs compressor: does the kernel fragment build its decompressor in?"""
    text = fragment.read_text()
    return {name: bool(re.search(rf"^{opt}=y\s*$", text, re.M))
            for name, opt in KERNEL_OPTION.items()}


def default_compressors(fragment: Path = FRAGMENT) -> list[str]:
    """The compressors both lfsbuild's packing and the fragment's kernel know."""
    built_in = fragment_compressors(fragment)
    return [name for name in COMPRESSORS if built_in.get(name)]


# ---------------------------------------------------------------- part 1: packing

def pack_figures(root: Path, compressors: list[str], compress: str, out: Path) -> list[dict]:
    """The RAM mode's initrd, then the squashfs image per compressor (files deleted after)."""
    out.mkdir(parents=True, exist_ok=True)
    epoch = source_date_epoch()
    c, level = codec(compress)
    res = pack(InitrdSpec(root, epoch=epoch), c, level, out / f"initrd-ram{c.suffix}")
    res.path.unlink()
    rows = [{"what": "ram initrd", "compressor": c.name, "level": level, "bytes": res.size,
             "packed_bytes": res.uncompressed, "seconds": round(res.seconds, 2), "note": ""}]
    built_in = fragment_compressors()
    for name in compressors:
        row: dict = {"what": "squashfs image", "compressor": name, "level": "mksquashfs default"}
        if name not in COMPRESSORS:
            rows.append({**row, "skipped": f"lfsbuild's squashfs packing has no {name} "
                                           f"(it offers {', '.join(COMPRESSORS)})"})
            continue
        image = out / f"root-{name}.squashfs"
        ires = make_image(root, image, name, None, epoch)
        image.unlink()
        note = "" if name == "none" or built_in.get(name) else \
            f"the LFS kernel cannot read it: {KERNEL_OPTION[name]} is not in {FRAGMENT.name}"
        rows.append({**row, "bytes": ires.size, "packed_bytes": res.uncompressed,
                     "seconds": round(ires.seconds, 2), "note": note})
    return rows


# ---------------------------------------------------------------- part 2: booting

def result_fields(r: BootResult) -> dict:
    return {"ok": r.ok, "stage": r.stage, "seconds": round(r.seconds, 1),
            "console_log": str(r.console_log), "problem": r.problem}


def boot_in_ns(server: NfsServer, opts: BootOptions) -> dict:
    """One boot-test run inside the NFS server's namespace (QEMU's 10.0.2.2 is the namespace's
    loopback, where ganesha and, in that process, lfsbuild's boot server listen)."""
    spec = {k: (str(v) if isinstance(v, Path) else v) for k, v in opts.__dict__.items()
            if k != "server"}
    argv = server.in_ns([sys.executable, str(Path(__file__).resolve()), "--one-boot",
                         json.dumps(spec)], cwd=REPO)
    try:
        r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           timeout=opts.timeout + 120)
    except subprocess.TimeoutExpired:
        return {"ok": False, "stage": "error", "seconds": opts.timeout, "console_log": "",
                "problem": "the boot inside the namespace did not end"}
    lines = r.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"ok": False, "stage": "error", "seconds": 0.0, "console_log": "",
                "problem": f"the boot inside the namespace failed (exit {r.returncode}): "
                           f"{(r.stderr or r.stdout).strip()[-300:]}"}


def one_boot(spec_json: str) -> int:
    """`--one-boot`: run_boot with these options, its result as one line of JSON."""
    spec = json.loads(spec_json)
    for key in ("pxe_dir", "log_dir", "ssh_key"):
        if spec.get(key) is not None:
            spec[key] = Path(spec[key])
    try:
        out = result_fields(run_boot(BootOptions(**spec)))
    except LfsError as e:
        out = {"ok": False, "stage": "error", "seconds": 0.0, "console_log": "", "problem": str(e)}
    print(json.dumps(out))
    return 0


@dataclass
class Booter:
    """Boots one packed tree at a given RAM, and says what that boot means for RAM."""

    pxe: Path
    mode: str
    nic: str
    accel: str
    marker: str
    timeout: float
    server: NfsServer | None = None
    baseline: float | None = None   # seconds to the marker of the first boot that made it

    def __call__(self, mem: int, mac: str | None = None, marker: str | None = None) -> Probe:
        if self.server is not None and not self.server.alive():
            return Probe(mem, NOT_RAM, 0.0, "server", "the NFS server (ganesha + rpcbind in "
                         "its namespace) is not running or not registered")
        # a boot that is going to make it does so in about the time the first one took
        timeout = self.timeout if self.baseline is None else \
            min(self.timeout, max(60.0, 4 * self.baseline))
        opts = BootOptions(pxe_dir=self.pxe, nic=self.nic, transport="http", accel=self.accel,
                           timeout=timeout, marker=marker or self.marker, memory_mb=mem, mac=mac,
                           log_dir=OUT / "logs" / (f"{self.mode}-{mem}MiB"
                                                   + (f"-{mac.replace(':', '')}" if mac else "")))
        if self.server is not None:
            res = boot_in_ns(self.server, opts)
        else:
            try:
                res = result_fields(run_boot(opts))
            except LfsError as e:
                res = {"ok": False, "stage": "error", "seconds": 0.0, "console_log": "",
                       "problem": str(e)}
        log = Path(res["console_log"]) if res["console_log"] else None
        text = log.read_text(errors="replace") if log and log.is_file() else ""
        verdict, evidence = classify(res["ok"], res["stage"], text, res["problem"])
        if verdict != BOOTS and self.server is not None and not self.server.alive():
            verdict, evidence = NOT_RAM, "the NFS server stopped during the boot"
        if verdict == BOOTS and self.baseline is None:
            self.baseline = res["seconds"]
        print(f"  {self.mode} {mem:>5} MiB{f' {mac}' if mac else ''}: {verdict}"
              + (f" ({evidence})" if evidence else f" ({res['seconds']:.0f} s)"), flush=True)
        return Probe(mem, verdict, res["seconds"], res["stage"], evidence, str(log or ""))


def measure_mode(name: str, args: argparse.Namespace, root: Path, kernel: Path, test_kernel: bool,
                 marker: str, accel: list[str]) -> dict:
    """Pack the tree in this mode, then bisect its RAM (with its NFS server, if it needs one)."""
    m = MODES[name]
    mods = tuple(kernel_modules(kernel, OUT / "modules", MODE_MODULES[name])) if test_kernel else ()
    pxe = OUT / f"pxe-{name}"
    t0 = time.monotonic()
    manifest = build_artifacts(PxeOptions(
        out_dir=pxe, kernel=kernel, rootfs=root, mode=name, compress=args.compress,
        release="bench", modules=mods, server=NFS_SERVER if m.nfs else None,
        cmdline_extra=STATIC_IP if test_kernel and m.nfs else "", nodes_file=args.nodes))
    pack_seconds = time.monotonic() - t0
    downloaded = sum(a.size for a in manifest.artifacts if a.path in manifest.initrds)
    if not accel:
        accel.append(resolve_accel(BootOptions(pxe_dir=pxe, accel=args.accel)))
    print(f"{name}: packed in {pack_seconds:.1f} s, manifest says {manifest.node_ram_mb} MiB; "
          f"bisecting {args.min_ram}..{args.max_ram} MiB ({accel[0]})", flush=True)
    started = time.monotonic()
    with (nfs_server(pxe / "ganesha.conf", OUT / f"nfs-{name}") if m.nfs else nullcontext()) as srv:
        booter = Booter(pxe, name, args.nic, accel[0], marker, args.timeout, srv)
        b = bisect(booter, args.min_ram, args.max_ram, args.step, name, manifest.node_ram_mb)
        identity = [node_boot(booter, n, manifest.node_ram_mb) for n in nodes_of(args.nodes)]
    return {"mode": name, "manifest_node_ram_mb": manifest.node_ram_mb,
            "downloaded_bytes": downloaded, "pack_seconds": round(pack_seconds, 2),
            "boot_seconds": round(time.monotonic() - started, 1), "modules": [p.name for p in mods],
            "min_mb": b.min_mb, "fails_mb": b.fails_mb, "at_floor": b.at_floor,
            "estimate_boots": b.estimate_boots, "stopped": b.stopped,
            "probes": [asdict(p) for p in b.probes], "nodes": identity}


def nodes_of(path: Path | None) -> list[Node]:
    return load_nodes(path) if path else []


def node_boot(booter: Booter, node: Node, mem: int) -> dict:
    """One node of the nodes file, at the RAM the manifest says: it must come up as itself,
    its own hostname at the login prompt (from its overlay initrd), not the shared default."""
    p = booter(mem, mac=node.mac, marker=f"{node.hostname} login:")
    return {"mac": node.mac, "hostname": node.hostname, "memory_mb": mem,
            "ok": p.verdict == BOOTS, "seconds": p.seconds, "evidence": p.evidence, "log": p.log}


def targets(modes: dict[str, dict]) -> dict[str, dict]:
    """The issue's two targets from the measured minima (pure)."""
    out: dict[str, dict] = {}
    ram, sq, nro = (modes.get(k, {}).get("min_mb") for k in ("ram", "squashfs", "nfs-ro"))
    if ram and sq:
        share = sq / ram
        out["squashfs_share_of_ram"] = {"value": round(share, 3), "target": TARGET_SQUASHFS_SHARE,
                                        "met": share <= TARGET_SQUASHFS_SHARE}
    if nro:
        out["nfs_ro_min_mb"] = {"value": nro, "target": TARGET_NFS_RO_MB,
                                "met": nro < TARGET_NFS_RO_MB}
    return out


# ---------------------------------------------------------------- output

def _min_text(r: dict) -> str:
    if r["min_mb"] is None:
        return "-"
    return f"<= {r['min_mb']} MiB" if r["at_floor"] else f"{r['min_mb']} MiB"


def _mode_note(r: dict) -> str:
    if r["stopped"]:
        return "STOPPED: " + r["stopped"]
    est, low = r["manifest_node_ram_mb"], r["min_mb"]
    if r["estimate_boots"] is False:
        note = f"manifest figure TOO LOW ({est} MiB does not boot)"
    else:
        note = f"manifest figure boots, {est / low:.1f}x the minimum"
    fails = [p for p in r["probes"] if p["memory_mb"] == r["fails_mb"] and p["verdict"] == TOO_LITTLE]
    if fails:
        note += f"; {r['fails_mb']} MiB: {fails[-1]['evidence'][:90]}"
    return note + f"; {len(r['probes'])} boots"


def table(images: list[dict], modes: dict[str, dict]) -> str:
    rows = []
    for im in images:
        label = (f"{im['what']} {im['compressor']} -{im['level']}" if im["what"] == "ram initrd"
                 else f"{im['what']} {im['compressor']}")
        if "skipped" in im:
            rows.append((label, "-", "-", "-", "", "", "skipped: " + im["skipped"]))
            continue
        rows.append((label, human(im["bytes"]), f"{im['packed_bytes'] / im['bytes']:.2f}x",
                     f"{im['seconds']:.1f} s", "", "", im["note"]))
    for name, r in modes.items():
        rows.append((f"boot {name}", human(r["downloaded_bytes"]), "",
                     f"{r['pack_seconds']:.1f} s + {fmt_duration(r['boot_seconds'])}",
                     f"{r['manifest_node_ram_mb']} MiB", _min_text(r), _mode_note(r)))
        for n in r.get("nodes", []):
            rows.append((f"  node {n['hostname']}", "", "", f"{n['seconds']:.0f} s",
                         f"{n['memory_mb']} MiB", "",
                         f"{n['mac']}: " + ("'" + n["hostname"] + " login:' on its console"
                                            if n["ok"] else "FAILED: " + n["evidence"][:80])))
    return format_table(("what", "size", "ratio", "time", "RAM: manifest", "RAM: measured min",
                         "notes"), rows, right=(1, 2, 3, 4, 5))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rootfs", type=Path, help="root tree (default: bench/pxe.py's busybox tree)")
    ap.add_argument("--kernel", type=Path, help="default: the test kernel, or ROOTFS/boot/vmlinuz*")
    ap.add_argument("--modes", default="ram,squashfs,nfs-ro")
    ap.add_argument("--compressors", default=",".join(default_compressors()),
                    help="squashfs compressors to pack with (default: those the fragment builds in)")
    ap.add_argument("--compress", default="zstd", help="compression of the packs that boot")
    ap.add_argument("--no-boot", action="store_true", help="part 1 only")
    ap.add_argument("--marker", help="default: the test marker, or login: with --rootfs")
    ap.add_argument("--nic", default="e1000")
    ap.add_argument("--accel", default="auto")
    ap.add_argument("--min-ram", type=int, default=64, help="MiB, the bisection's floor")
    ap.add_argument("--max-ram", type=int, default=4096, help="MiB, must boot")
    ap.add_argument("--step", type=int, default=16, help="MiB, the bisection's resolution")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per boot")
    ap.add_argument("--min-mb", type=int, default=200, help="size of the default tree (MB)")
    ap.add_argument("--nodes", type=Path, help="a nodes file (with --rootfs): each mode packs it, "
                    "and each node boots once at the manifest's RAM and must log its hostname")
    ap.add_argument("--json", type=Path, default=OUT / "modes.json")
    ap.add_argument("--one-boot", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one_boot:
        return one_boot(args.one_boot)
    try:
        return run(args)
    except LfsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (pytest.skip.Exception, pytest.fail.Exception, AssertionError) as e:
        print(f"error: {e}", file=sys.stderr)   # a test helper: a missing tool, a server down
        return 1
    except KeyboardInterrupt:
        print("interrupted (the VMs and the NFS server were stopped)", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for name in modes:
        if name not in MODES:
            raise LfsError(f"--modes: unknown mode {name!r}", f"choose from {', '.join(MODES)}")
    if args.nodes and not args.rootfs:
        raise LfsError("--nodes needs --rootfs", "the test tree's init prints no login prompt "
                       "to find a node's hostname in; tests/test_pxe_modes.py boots its nodes")
    nodes_of(args.nodes)            # a bad nodes file stops here, before anything is packed
    if args.min_ram >= args.max_ram or args.step <= 0:
        raise LfsError(f"--min-ram {args.min_ram} / --max-ram {args.max_ram} / --step {args.step}"
                       " make no range", "give --min-ram < --max-ram and a positive --step")
    root = args.rootfs or make_tree(args.min_mb, MODE_APPLETS)
    test_kernel_path = find_test_kernel()
    kernel = args.kernel or (None if args.rootfs else test_kernel_path)
    kernel, root = resolve_inputs(PxeOptions(out_dir=OUT, kernel=kernel, rootfs=root))
    test_kernel = test_kernel_path is not None and kernel.resolve() == test_kernel_path.resolve()
    marker = args.marker or ("login:" if args.rootfs else MARKER)
    size = tree_size(root)
    print(f"root tree {root}: {size / 1e6:.0f} MB of regular files; kernel {kernel}"
          + (" (test kernel: modules from its package)" if test_kernel else ""), flush=True)
    images = pack_figures(root, [c.strip() for c in args.compressors.split(",") if c.strip()],
                          args.compress, OUT / "images")
    results: dict[str, dict] = {}
    accel: list[str] = []
    if not args.no_boot:
        for name in modes:
            results[name] = measure_mode(name, args, root, kernel, test_kernel, marker, accel)
    goals = targets(results)
    figures = {"rootfs": str(root), "tree_bytes": size, "kernel": str(kernel), "marker": marker,
               "accel": accel[0] if accel else None, "nic": args.nic,
               "bisection": {"min_mb": args.min_ram, "max_mb": args.max_ram, "step_mb": args.step},
               "images": images, "modes": results, "targets": goals,
               "runtime_seconds": round(time.monotonic() - t0, 1)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.json, figures)
    print()
    print(table(images, results))
    if "squashfs_share_of_ram" in goals:
        g = goals["squashfs_share_of_ram"]
        print(f"squashfs min RAM / ram min RAM: {g['value']:.0%} (target <= 40 %): "
              f"{'met' if g['met'] else 'NOT met'}")
    if "nfs_ro_min_mb" in goals:
        g = goals["nfs_ro_min_mb"]
        print(f"nfs-ro min RAM: {g['value']} MiB (target < 256 MiB): "
              f"{'met' if g['met'] else 'NOT met'}")
    print(f"figures: {args.json}; runtime {fmt_duration(figures['runtime_seconds'])}")
    failed = [f"{name} {n['hostname']}" for name, r in results.items() for n in r["nodes"]
              if not n["ok"]]
    if failed:
        print(f"nodes that did not come up as themselves: {', '.join(failed)}")
    return 1 if failed or any(r["stopped"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
