"""The invoke layer: parse options, call the library, print, turn errors into exit codes.

Nothing below this module knows invoke exists; everything here is deliberately thin.
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, Callable

from invoke import Collection, Context, Exit, task

from . import journey
from .build import snapshots, stages
from .build.plan import Selection
from .build.status import (done_fingerprints, fetch_list, load_book_for, load_sources,
                           release_of, status_rows)
from .errors import LfsError
from .settings import Settings, from_config, private_key_for
from .sources.packages import Package
from .tables import format_table


def _project(c: Context) -> Path:
    prefix = getattr(c.config, "_project_prefix", None)
    return Path(prefix) if prefix else Path.cwd()


def settings_of(c: Context) -> Settings:
    return from_config(c.config.get("lfs"), _project(c))


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn LfsError into a clear message and exit code instead of a traceback."""
    @functools.wraps(fn)
    def wrapper(c: Context, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(c, *args, **kwargs)
        except LfsError as exc:
            raise Exit(f"error: {exc}", code=exc.exit_code) from None
        except KeyboardInterrupt:
            raise Exit("interrupted", code=130) from None
        except BrokenPipeError:
            # `invoke status | head`: the reader left; say nothing more, like any Unix tool
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise Exit(code=0) from None
    return wrapper


def _names(only: str | None) -> list[str]:
    return [n.strip() for n in (only or "").split(",") if n.strip()]


def _sources(s: Settings, only: str | None = None) -> list[Package]:
    """packages.yaml + the selected BLFS recipes' sources; `--only` names from either file."""
    names = _names(only)
    return load_sources(s, load_book_for(s)).select(names) if names else fetch_list(s)


@task(help={
    "only": "comma-separated package names to fetch (default: all)",
    "fetch_jobs": "parallel downloads (default: the setting of the same name, lfs.fetch_jobs)",
    "offline": "no network: verify what is here, use file:// mirrors only, report what is missing",
    "progress": "show progress bars even when not on a terminal",
})
@friendly
def fetch(c: Context, only: str | None = None, fetch_jobs: int = 0, offline: bool = False,
          progress: bool = False) -> None:
    """Download every missing source tarball and patch, verified (mirrors first)."""
    from .sources import fetch as fetching
    s = settings_of(c)
    if fetch_jobs < 0:
        raise Exit("error: --fetch-jobs must be a positive number", code=1)
    pkgs = _sources(s, only)
    report = fetching.fetch_packages(s, pkgs, jobs=fetch_jobs or None, offline=offline,
                                     progress=True if progress else None)
    print(report.summary())
    if report.failed:
        raise Exit(f"error: {len(report.failed)} source(s) missing or bad:\n"
                   f"{report.failure_text()}", code=1)


@task(help={"only": "comma-separated package names to verify (default: all)"})
@friendly
def verify(c: Context, only: str | None = None) -> None:
    """Re-hash every file in the sources cache against packages.yaml: ok / missing / corrupt."""
    from .sources import fetch as fetching
    s = settings_of(c)
    pkgs = _sources(s, only)
    record = fetching.VerifiedRecord(s.sources)
    bad = 0

    def show(r: "fetching.VerifyResult") -> None:
        nonlocal bad
        bad += r.status != "ok"
        line = f"{r.status.upper():8} {r.package.name:24} {r.package.filename}"
        print(line + (f"\n         {r.detail}" if r.detail else ""))
    fetching.verify(pkgs, s.sources, record, on_result=show)
    print(f"verify: {len(pkgs) - bad} ok, {bad} not ok")
    if bad:
        raise Exit("error: some sources are missing or corrupt; `invoke fetch` replaces them",
                   code=1)


@task(help={"dest": "directory to write the mirror into (created if missing)",
            "offline": "do not download what is missing; fail instead"})
@friendly
def mirror(c: Context, dest: str, offline: bool = False) -> None:
    """Write a self-contained flat mirror (all files + MD5SUMS) for lfs.mirrors elsewhere."""
    from .sources import fetch as fetching
    s = settings_of(c)
    pkgs = _sources(s)
    report = fetching.fetch_packages(s, pkgs, offline=offline)
    if report.failed:
        raise Exit(f"error: cannot complete the mirror:\n{report.failure_text()}", code=1)
    sums = fetching.write_mirror(pkgs, s.sources, Path(dest).resolve())
    print(f"mirror: {len(pkgs)} files and {sums.name} in {sums.parent}; "
          f"use it with lfs.mirrors: [file://{sums.parent}] or serve it over HTTP")


STAGE_HELP = {
    "step": "run exactly this step (even if done)",
    "from_": "first step of the range to run",
    "to": "last step of the range to run",
    "force": "run the selected steps even if done or earlier stages are incomplete",
    "host_check": "check the host against the book first (stage1; --no-host-check skips it, "
                  "like lfs.host_check: false)",
    "dry_run": "print what would run and why; run nothing",
    "verbose": "stream each step's output live (it is logged either way)",
}


def _stage_task(stage: str, chapters: str):
    def body(c: Context, step: str | None = None, from_: str | None = None, to: str | None = None,
             force: bool = False, dry_run: bool = False, verbose: bool = False,
             host_check: bool = True) -> None:
        sel = Selection(step=step, from_=from_, to=to, force=force)
        stages.run_stage(settings_of(c), stage, sel, dry_run=dry_run, verbose=verbose,
                         host_check=host_check)
    body.__name__ = body.__qualname__ = stage
    body.__doc__ = f"Run {stage} ({chapters}): every step not yet done, resumably."
    return task(friendly(body), name=stage, help=STAGE_HELP)


stage1 = _stage_task("stage1", "book chapters 4-5: the cross toolchain")
stage2 = _stage_task("stage2", "book chapter 6: cross-compiled temporary tools")
stage3 = _stage_task("stage3", "book chapter 7: the chroot and more temporary tools; needs root")
stage4 = _stage_task("stage4", "book chapter 8: the LFS system itself; needs root")
stage5 = _stage_task("stage5", "book chapters 9-10: configuration and the kernel; needs root")
blfs = _stage_task("blfs", "Beyond LFS: the packages lfs.blfs selects, e.g. OpenSSH and dhcpcd; "
                           "needs root")


@task(help={"command": "run this one command instead of an interactive shell"})
@friendly
def chroot(c: Context, command: str | None = None) -> None:
    """Open a shell inside $LFS in exactly the environment chroot steps get (needs root)."""
    from .build import namespaces as chrooting
    s = settings_of(c)
    env = chrooting.book_env(os.environ.get("TERM", "linux"), s.jobs)
    code = chrooting.enter(s.root, command, env)
    if code:
        raise Exit(code=code)


@task(help={"dest": "archive file or directory (default: backups/ beside $LFS)"})
@friendly
def backup(c: Context, dest: str | None = None) -> None:
    """Save $LFS and its step state as a compressed tarball + manifest (needs root)."""
    from .build.namespaces import require_root
    require_root("a backup of $LFS", "invoke backup")
    archive = snapshots.create_snapshot(settings_of(c), Path(dest).resolve() if dest else None)
    print(f"backup: {archive} ({archive.stat().st_size / 1e6:.0f} MB); "
          f"`invoke restore --archive {archive}` brings this state back")


@task(help={"archive": "the backup to restore (default: the newest in backups/)",
            "yes": "replace $LFS without asking (needed when there is no terminal to ask on)",
            "dry_run": "check the archive and $LFS, show what would be replaced; change nothing"})
@friendly
def restore(c: Context, archive: str | None = None, yes: bool = False,
            dry_run: bool = False) -> None:
    """Bring $LFS and the step state back to a backup (needs root); asks before replacing."""
    from .build.namespaces import require_root
    s = settings_of(c)
    plan = snapshots.plan_restore(s, Path(archive).resolve() if archive else None)
    print(plan.text())
    if dry_run:
        print("restore: dry run; nothing was changed")
        return
    require_root("restoring $LFS", "invoke restore")
    if not plan.wipe.empty:
        confirm(f"replace these in {s.root} with the backup?", yes, "restore")
    path, manifest = snapshots.restore_snapshot(s, plan)
    print(f"restore: $LFS is back at {manifest.get('stage')} from {path} "
          f"({len(manifest.get('steps', {}))} steps done)")


@task(help={"yes": "delete without asking (needed when there is no terminal to ask on)",
            "dry_run": "show what would be removed; remove nothing"})
@friendly
def clean(c: Context, yes: bool = False, dry_run: bool = False) -> None:
    """Wipe the build root and its step state (asks first); keeps the sources cache.

    Refuses a directory lfsbuild did not create, and while anything is mounted below it.
    """
    s = settings_of(c)
    plan = snapshots.plan_clean(s)
    print(plan.text())
    if dry_run:
        print("clean: dry run; nothing was removed")
        return
    if not plan.empty:
        confirm(f"delete these from {s.root}?", yes, "clean")
    snapshots.clean_build(s, plan)
    print(f"clean: {s.root} is empty; the sources cache {s.sources} is kept")


def confirm(question: str, yes: bool, task_name: str) -> None:
    """Ask on the terminal; without one, only --yes goes ahead. Anything but yes stops.

    A job without a terminal (cron, CI, `| tee`) cannot answer, and deleting without an
    answer is exactly what must not happen, so it stops with a hint instead.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise LfsError(f"{task_name}: not confirmed (no terminal to ask on); nothing was deleted",
                       f"check the list above (`invoke {task_name} --dry-run`), then run "
                       f"`invoke {task_name} --yes`")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise LfsError(f"{task_name}: not confirmed; nothing was deleted")


@task(help={"to": "stop after this stage (stage1 ... stage5, blfs, or pxe: the default, everything)",
            "host_check": "check the host against the book first (--no-host-check skips it, "
                          "like lfs.host_check: false)",
            "verbose": "stream each step's output live"})
@friendly
def build(c: Context, to: str | None = None, host_check: bool = True,
          verbose: bool = False) -> None:
    """The main job: check-host, fetch, stage1..stage5, blfs, pxe, report - resumable; run it again."""
    s = settings_of(c)
    ran = journey.build(s, to, host_check=host_check, verbose=verbose)
    print(f"build: {' -> '.join(ran) if ran else 'nothing to do'}; done up to {to or 'pxe'}")


@task(help={"out": "HTML file to write (default: report.html in $LFS/.lfsbuild, beside the logs)",
            "pxe_dir": "PXE tree whose manifest.json goes into the report (default: lfs.pxe_dir)"})
@friendly
def report(c: Context, out: str | None = None, pxe_dir: str | None = None) -> None:
    """Write a self-contained HTML build report: steps, times, SBU, tests, PXE manifest, chart."""
    from . import report as reporting
    result = reporting.write_report(settings_of(c), Path(out).resolve() if out else None,
                                    Path(pxe_dir).resolve() if pxe_dir else None)
    print(result.summary())


@task(help={"stage": "only this stage"})
@friendly
def steps(c: Context, stage: str | None = None) -> None:
    """List every step of every stage with its state (done, pending, failed, changed)."""
    rows, summary = status_rows(settings_of(c))
    rows = [r[:3] + [r[5]] for r in rows if not stage or r[0] == stage]  # stage step state sbu
    print(format_table(["stage", "step", "state", "book SBU"], rows))


@task(help={"phases": "add the seconds each step spent per runner phase: unpack, recipe, "
                       "tests, cleanup, record (manifest and sync), sync; and the recipe's "
                       "CPU seconds (user + system)"})
@friendly
def status(c: Context, phases: bool = False) -> None:
    """Table of steps that ran: state, duration, measured SBU, log; plus a one-line summary."""
    from .build.state import PHASES
    rows, summary = status_rows(settings_of(c), only_recorded=True, phases=phases)
    if rows:
        print(format_table(["stage", "step", "state", "time", "SBU", "book", "tests",
                            *((*PHASES, "cpu") if phases else ()), "log"], rows))
    else:
        print("no step has run yet")
    print(summary)


def _entry_cells(e: Any) -> list[str]:
    """what / type / mode / owner / size of one recorded write (a manifest entry)."""
    from .tables import human
    return [e.kind, e.type, f"{e.mode:04o}" if e.mode is not None else "-",
            f"{e.uid}:{e.gid}" if e.uid is not None else "-",
            human(e.size) if e.size is not None else "-"]


@task(help={"path": "a path in $LFS: absolute (/mnt/lfs/usr/bin/gcc), relative to $LFS "
                    "(usr/bin/gcc), or as the new system sees it (/usr/bin/gcc)"})
@friendly
def owner(c: Context, path: str) -> None:
    """Which step (stage, package) last wrote PATH in $LFS, and which steps wrote it before."""
    from .build.status import owner as owner_of
    from .errors import ManifestError
    s = settings_of(c)
    ans = owner_of(s, path)
    if ans.last is None:
        raise ManifestError(
            f"no step's manifest records {ans.path} (in $LFS: {'yes' if ans.exists else 'no'})",
            "it was there before lfsbuild recorded manifests, was written outside a step, or is "
            "in a directory manifests leave out (.lfsbuild, sources, tmp, other file systems)")
    last = ans.last
    now = "" if ans.exists else "; it is not in $LFS now"
    print(f"{ans.path}: last written by {last.step} (stage {last.step.split('/')[0]}, package "
          f"{last.package or 'none'}): {last.entry.kind}{now}")
    rows = [[w.step, w.package or "-", *_entry_cells(w.entry),
             f"-> {w.entry.target}" if w.entry.target is not None else
             (f"sha256 {w.entry.sha256[:16]}" if w.entry.sha256 else "")]
            for w in reversed(ans.writes)]
    print(format_table(["step", "package", "what", "type", "mode", "owner", "size", ""], rows,
                       right=[6]))
    if len(ans.writes) > 1:
        print(f"{len(ans.writes)} writes, newest first; earlier steps: "
              + ", ".join(f"{w.step} ({w.entry.kind})" for w in reversed(ans.writes[:-1])))


@task(help={"step": "stage/step, or a step name used in one stage only",
            "removed": "also list what the step removed"})
@friendly
def files(c: Context, step: str, removed: bool = False) -> None:
    """What one step installed into $LFS: every path created or modified, sizes, totals."""
    from .tables import human
    from .build.status import installed_files
    from .errors import ManifestError
    st, m, view = installed_files(settings_of(c), step)
    if m is None:
        raise ManifestError(f"{st.id} has no record of installed files (state: {view.state})",
                            f"run it (`invoke {st.stage} --step {st.name}`); steps finished by "
                            "an lfsbuild without manifests have none")
    shown = [e for e in m.entries if removed or e.kind != "removed"]
    rows = [[*_entry_cells(e), e.path + (f" -> {e.target}" if e.target is not None else "")]
            for e in shown]
    if rows:
        print(format_table(["what", "type", "mode", "owner", "size", "path"], rows, right=[4]))
    gone = m.count("removed")
    hidden = " (--removed lists them)" if gone and not removed else ""
    print(f"{st.id} (package {st.package or 'none'}, {view.state}): {m.count('created')} "
          f"created, {m.count('modified')} modified, {gone} removed{hidden}; "
          f"{human(m.installed_bytes)} in regular files")


@task(iterable=["mac", "module"], help={
    "kernel": "kernel image (default: the newest $LFS/boot/vmlinuz*)",
    "rootfs": "root tree to pack (default: $LFS)",
    "out": "output directory (default: lfs.pxe_dir)",
    "mode": "ram (whole system in the initrd), nfs (the kernel's read-write NFS root, one "
            "node), nfs-ro (shared read-only NFS root, tmpfs overlay per node) or squashfs "
            "(compressed image as a second initrd, tmpfs overlay per node)",
    "module": "a kernel module (.ko) the /init of squashfs/nfs-ro/nfs loads before it mounts "
              "the root, for a kernel that has squashfs, overlay, NFS or its NIC as modules "
              "(repeatable, loaded in the order given)",
    "nodes": "nodes file: MAC -> hostname, address, authorized_keys per node "
             "(default: lfs.nodes; '' for none)",
    "compress": "zstd | xz | gzip | none (the initrd's, and the squashfs image's compressor)",
    "level": "compression level (default: the compressor's)",
    "init": "the system's init the initrd hands over to",
    "mac": "a MAC address to write this machine's own pxelinux, iPXE and GRUB configs for, "
           "copies of the defaults to edit (repeatable)",
    "layout": "standard, or foreman (names and places files for Foreman's TFTP proxy)",
    "cmdline_extra": "more kernel command line",
    "server": "IP of the boot server written into configs (default: the DHCP next-server)",
    "http_port": "HTTP port written into boot.ipxe",
    "nfs_path": "NFS export path of the root (mode nfs)",
    "keep_docs": "keep /usr/share/doc, man and info pages in the initrd",
    "keep_static": "keep static libraries (*.a, *.la) in the initrd",
})
@friendly
def pxe(c: Context, kernel: str | None = None, rootfs: str | None = None, out: str | None = None,
        mode: str = "ram", compress: str = "zstd", level: str | None = None,
        init: str = "/sbin/init", mac: list[str] | None = None, layout: str = "standard",
        cmdline_extra: str = "", server: str | None = None, http_port: int = 8069,
        nfs_path: str | None = None, keep_docs: bool = False, keep_static: bool = False,
        module: list[str] | None = None, nodes: str | None = None) -> None:
    """Pack kernel + initrd and write the TFTP/HTTP boot tree (pxelinux, GRUB, iPXE, dnsmasq)."""
    from .netboot.pxe import PxeOptions, build_artifacts
    s = settings_of(c)
    nodes_file = (Path(nodes).resolve() if nodes else None) if nodes is not None else s.nodes
    fps = done_fingerprints(s)
    out_dir = Path(out).resolve() if out else s.pxe_dir
    opts = PxeOptions(out_dir=out_dir, lfs=s.root,
                      kernel=Path(kernel).resolve() if kernel else None,
                      rootfs=Path(rootfs).resolve() if rootfs else None, mode=mode,
                      compress=compress, level=int(level) if level else None, init=init,
                      macs=tuple(mac or ()),
                      layout=layout, cmdline_extra=cmdline_extra,
                      release=release_of(s), fingerprints=fps,
                      keep_docs=keep_docs, keep_static=keep_static, server=server,
                      http_port=http_port, nfs_path=nfs_path,
                      modules=tuple(Path(m).resolve() for m in module or ()),
                      nodes_file=nodes_file)
    print(build_artifacts(opts).summary())


@task(name="boot-test", help={
    "pxe_dir": "the tree `invoke pxe` wrote (default: lfs.pxe_dir)",
    "nic": "virtio | e1000 | e1000e | rtl8139 | all (one table for all)",
    "firmware": "bios (SeaBIOS + iPXE ROM) or uefi (OVMF + EFI iPXE ROM)",
    "transport": "tftp (pxelinux/GRUB) or http (iPXE boot.ipxe)",
    "accel": "auto (probes KVM, falls back to TCG) | kvm | tcg",
    "timeout": "seconds to wait for the marker",
    "marker": "console text that means success",
    "expect_lease": "also require the kernel's own DHCP lease (IP-Config) on the console",
    "memory": "guest RAM in MiB (default: what manifest.json says a node of its mode needs)",
    "ssh": "after the marker, log in as root over SSH (127.0.0.1 port forwarded to the guest's "
           "22, host key checked against the keys `invoke pxe` made), run uname -a and "
           "cat /etc/hostname, print the answer",
    "ssh_key": "private key for --ssh (default: lfs.system.authorized_keys's file without .pub)",
    "ssh_timeout": "seconds after the marker for sshd to answer (--ssh)",
    "ssh_command": "what --ssh runs on the node (default: uname -a; cat /etc/hostname)",
    "mac": "the guest NIC's MAC address, e.g. a node of the nodes file (default: QEMU's)",
    "network": "user (QEMU's own DHCP, no root) or lab (as root: a router, a proxy-DHCP boot "
               "server and the nodes on a bridge, all in namespaces that die with lfsbuild)",
    "server": "lab: who serves the files: lfsbuild (invoke serve --proxy-dhcp), tftpd-hpa "
              "(next to the tree's dnsmasq.conf) or dnsmasq (its own TFTP)",
    "nodes": "lab: how many QEMU nodes boot at once (each its own MAC: 52:54:00:4c:42:0N)",
})
@friendly
def boot_test(c: Context, pxe_dir: str | None = None, nic: str = "virtio",
              firmware: str = "bios", transport: str = "http", accel: str = "auto",
              timeout: int = 180, marker: str = "login:", expect_lease: bool = False,
              memory: int = 0, ssh: bool = False, ssh_key: str | None = None,
              ssh_timeout: int = 90, ssh_command: str = "", mac: str | None = None,
              network: str = "user", server: str = "lfsbuild", nodes: int = 1) -> None:
    """PXE-boot the artifacts in QEMU over the network and wait for a marker on the console."""
    from .netboot import boot_test as bt
    s = settings_of(c)
    key = Path(ssh_key).resolve() if ssh_key else private_key_for(
        str(((c.config.get("lfs") or {}).get("system") or {}).get("authorized_keys") or ""),
        _project(c))
    opts = bt.BootOptions(pxe_dir=Path(pxe_dir).resolve() if pxe_dir else s.pxe_dir, nic=nic,
                          firmware=firmware, transport=transport, accel=accel,
                          timeout=timeout, marker=marker, expect_lease=expect_lease,
                          memory_mb=memory or None, ssh=ssh, ssh_key=key,
                          ssh_timeout=ssh_timeout, mac=mac,
                          **({"ssh_command": ssh_command} if ssh_command else {}))
    if ssh and nic == "all":
        raise Exit("error: --ssh logs in to one guest: choose one --nic", code=1)
    if network == "lab":
        _boot_test_lab(opts, nic, server, nodes)
        return
    if network != "user":
        raise Exit(f"error: --network {network!r} is not supported\n  -> choose user or lab", code=1)
    if nic == "all":
        results = bt.boot_matrix(opts, bt.nics_for(nic))
        print(bt.results_table(results))
        print(f"console logs: {results[0].console_log.parent}")
        if not all(r.ok for r in results):
            raise Exit("error: some boots did not reach the marker (console logs above)", code=1)
        return
    result = bt.boot(opts)
    print(bt.results_table([result]))
    print(f"console log: {result.console_log}")
    if ssh:
        print(f"ssh root@127.0.0.1 -p {result.ssh_port} (host key checked): {opts.ssh_command}")
        print("\n".join(f"  {line}" for line in result.ssh_output.rstrip("\n").splitlines()))


def _boot_test_lab(opts: Any, nic: str, server: str, nodes: int) -> None:
    from dataclasses import replace
    from .netboot import boot_test as bt, lab
    nics = tuple(bt.nics_for(nic))
    project = Path(__file__).resolve().parents[1]
    lab_opts = lab.LabOptions(server=server, nodes=nodes, nics=nics,
                              serve_command=(sys.executable, "-m", "invoke", "--search-root",
                                             str(project)))
    opts = replace(opts, nic=nics[0])
    results = lab.boot_lab(opts, lab_opts)
    print(bt.results_table(results))
    print(f"console and server logs: {results[0].console_log.parent}")


@task(help={"root": "directory to serve (default: lfs.pxe_dir)",
            "bind": "address to listen on",
            "tftp_port": "TFTP port (69 needs root)",
            "http_port": "HTTP port for iPXE (0: no HTTP)",
            "proxy_dhcp": "also answer PXE clients on this interface with proxy DHCP (dnsmasq "
                          "from the tree's dnsmasq.conf, filled in; the router keeps its DHCP)",
            "transfer_log": "append one JSON line per transfer (bytes, seconds, resent blocks) "
                            "to this file"})
@friendly
def serve(c: Context, root: str | None = None, bind: str = "0.0.0.0", tftp_port: int = 69,
          http_port: int = 8069, proxy_dhcp: str | None = None,
          transfer_log: str | None = None) -> None:
    """Serve the netboot tree read-only over TFTP (blksize/windowsize) and HTTP; Ctrl-C stops."""
    import logging
    from .netboot.serve import serve as run_server
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(run_server(Path(root).resolve() if root else settings_of(c).pxe_dir, bind=bind,
                     tftp_port=tftp_port, http_port=http_port or None, proxy_dhcp=proxy_dhcp,
                     transfer_log=Path(transfer_log).resolve() if transfer_log else None))


@task(name="check-host", help={
    "path": "PATH to look the tools up in (default: the book's /usr/bin:/bin, what the build uses)",
    "root": "look up /bin/sh, yacc and awk under this directory instead of / (for testing)",
    "requirements": "host requirements file (default: host-requirements.yaml next to lfs.packages)"})
@friendly
def check_host(c: Context, path: str | None = None, root: str = "/",
               requirements: str | None = None) -> None:
    """Check this host against the book's chapter 2: tool versions, links, g++, kernel, disk."""
    from .build import hostcheck
    report = hostcheck.check_host(settings_of(c), requirements, path_env=path, root=root)
    print(report.text())
    if not report.ok:
        raise Exit(code=1)


@task(name="book-update", help={
    "wget_list": "the release's wget-list or wget-list-sysv (a path or an http(s)/file URL)",
    "md5sums": "the release's md5sums (a path or an http(s)/file URL)",
    "release": "the new release's number, e.g. 12.4",
    "write": "write the new packages file (default: only show the diff and what changes)"})
@friendly
def book_update(c: Context, wget_list: str, md5sums: str, release: str,
                write: bool = False) -> None:
    """Rewrite packages.yaml for a new LFS release from its wget-list and md5sums."""
    from .sources import bookupdate
    s = settings_of(c)
    from .build.book import recipes_using
    r = bookupdate.book_update(s.packages, wget_list, md5sums, release, write=write,
                               timeout=s.timeout,
                               used_by=lambda names: recipes_using(s.book, names))
    if r.plan.changed:
        print(r.plan.diff())
    print(r.plan.report(r.used_by))
    if r.written:
        print(f"book-update: wrote {s.packages}")
    elif r.plan.changed:
        print("book-update: nothing written; run again with --write to apply")


ns = Collection(build, fetch, verify, mirror, stage1, stage2, stage3, stage4, stage5, blfs, steps,
                status, owner, files, chroot, backup, restore, clean, pxe, boot_test, serve,
                check_host, book_update, report)
