"""`invoke build`: the whole journey, sources -> build -> netboot -> report, resumable.

The only library module that drives all three parts, so none of them has to import another
to tell the newcomer's story end to end.
"""
from __future__ import annotations

import sys
from typing import TextIO

from .build.stages import preflight, run_stage
from .build.status import done_fingerprints, load_world
from .errors import LfsError
from .owned import claim_pxe_dir
from .settings import Settings


def build(settings: Settings, to: str | None = None, *, host_check: bool = True,
          verbose: bool = False, out: TextIO = sys.stdout) -> list[str]:
    """Host check -> fetch -> every stage in order -> PXE artifacts -> report.

    The pre-flight covers every stage still to run (root needed later on, a bad host, missing
    sources), so a build never dies hours in for a reason known at the start. Running it again
    after any failure resumes where it stopped: finished stages and steps are skipped.
    Returns the names of what ran.
    """
    world = load_world(settings)
    order = list(world.book.stages)
    targets = order + ["pxe"]
    if to is not None and to not in targets:
        raise LfsError(f"--to {to}: not a stage", f"choose one of: {', '.join(targets)}")
    chosen = targets[:targets.index(to) + 1] if to else targets
    command = "invoke build" + (f" --to {to}" if to else "")
    if "pxe" in chosen:
        claim_pxe_dir(settings.pxe_dir)  # a pxe_dir lfsbuild may not write: refused now, not hours later
        from .netboot.pxe.hostkeys import has_sshd, require_keygen
        if "openssh" in settings.blfs or has_sshd(settings.root):
            require_keygen()             # the host keys `pxe` will make: the same
    views = world.views()
    todo = [st for st in chosen if st != "pxe"
            and not all(v.done for v in views if v.step.stage == st)]
    preflight(world, [v for v in views if v.step.stage in todo and not v.done], command=command,
              host_check=host_check, out=out)
    ran = []
    for stage in todo:
        run_stage(settings, stage, verbose=verbose, out=out, host_check=False, resume=command)
        ran.append(stage)
    if "pxe" in chosen:
        from .netboot.pxe import PxeOptions, build_artifacts
        manifest = build_artifacts(PxeOptions(out_dir=settings.pxe_dir, lfs=settings.root,
                                              release=world.packages.release,
                                              fingerprints=done_fingerprints(settings),
                                              nodes_file=settings.nodes))
        out.write(manifest.summary() + "\n")
        ran.append("pxe")
        from .report import write_report  # the newcomer's "hours later": artifacts + a report
        out.write(write_report(settings).summary() + "\n")
    return ran
