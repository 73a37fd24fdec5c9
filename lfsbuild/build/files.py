"""Files a recipe takes from the repo's chroot/ directory (plus the user's overlay).

A recipe names them with `#: files: etc/hosts.tmpl kernel`; the runner places them under
$WORK_DIR/files. Names ending in `.tmpl` are rendered with the `lfs.system` settings
(`${hostname}` ...) and lose the suffix, so chapter 9's configuration stays a data file that the
user tunes through settings. The rendered bytes also go into the step's fingerprint: changing
the host name re-runs exactly the steps that use it.
"""
from __future__ import annotations

import string
from pathlib import Path
from typing import Iterable

from .book import Step
from lfsbuild.errors import BookError
from lfsbuild.settings import Settings

TEMPLATE_SUFFIX = ".tmpl"


def template_values(settings: Settings, release: str | None = None) -> dict[str, str]:
    """What `${name}` in a template can use: lfs.system.*, lfs.bootloader, target, release.

    Not `jobs`: rendered files are part of a step's fingerprint, and -j is kept out of
    fingerprints on purpose (it does not change what a step produces). A recipe that needs it
    has `$JOBS` in its environment.
    """
    values = {"target": settings.target, **dict(settings.system),
              "bootloader": settings.bootloader}
    if release is not None:  # the packages file's release is the truth, not a setting
        values["release"] = release
    return values


def step_files(step: Step, settings: Settings, release: str | None = None) -> dict[str, bytes]:
    """relative path -> content for a recipe's `#: files:`; overlay files win over the repo's."""
    bases = [b for b in (settings.files, settings.overlay) if b is not None]
    return collect(step.files, bases, template_values(settings, release), where=str(step.path))


def collect(paths: Iterable[str], bases: list[Path], values: dict[str, str],
            where: str = "") -> dict[str, bytes]:
    """Files (or whole directories) `paths` from each base in turn, templates rendered."""
    out: dict[str, bytes] = {}
    for rel in paths:
        found = False
        for base in bases:
            src = base / rel
            if src.is_file():
                out[rel] = src.read_bytes()
                found = True
            elif src.is_dir():
                for f in sorted(p for p in src.rglob("*") if p.is_file()):
                    out[str(f.relative_to(base))] = f.read_bytes()
                found = True
        if not found:
            raise BookError(f"{where}: files: {rel} exists in none of "
                            f"{', '.join(map(str, bases))}",
                            "fix the path (it is relative to the chroot/ directory)")
    rendered: dict[str, bytes] = {}
    for rel, data in out.items():
        if rel.endswith(TEMPLATE_SUFFIX):
            rendered[rel[:-len(TEMPLATE_SUFFIX)]] = render(rel, data, values, bases[0])
        else:
            rendered[rel] = data
    return rendered


def render(rel: str, data: bytes, values: dict[str, str], base: Path) -> bytes:
    try:
        return string.Template(data.decode()).substitute(values).encode()
    except KeyError as exc:
        raise BookError(f"{base / rel}: template uses ${{{exc.args[0]}}}, which is not a setting",
                        f"set lfs.system.{exc.args[0]} (known: {', '.join(sorted(values))})"
                        ) from None
    except ValueError as exc:
        raise BookError(f"{base / rel}: bad template: {exc}", "write a literal $ as $$") from None


def place_files(files: dict[str, bytes], dest: Path) -> None:
    for rel, data in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
