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

from . import fetch as fetching
from .errors import LfsError
from .packages import load_packages
from .settings import Settings, from_config


def settings_of(c: Context) -> Settings:
    prefix = getattr(c.config, "_project_prefix", None)
    project = Path(prefix) if prefix else Path.cwd()
    return from_config(c.config.get("lfs"), project)


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
    return wrapper


def _names(only: str | None) -> list[str]:
    return [n.strip() for n in (only or "").split(",") if n.strip()]


@task(help={
    "only": "comma-separated package names to fetch (default: all)",
    "jobs": "parallel downloads (default: lfs.fetch_jobs)",
    "offline": "no network: verify what is here, use file:// mirrors only, report what is missing",
    "progress": "show progress bars even when not on a terminal",
})
@friendly
def fetch(c: Context, only: str | None = None, jobs: int | None = None, offline: bool = False,
          progress: bool = False) -> None:
    """Download every missing source tarball and patch, verified (mirrors first)."""
    s = settings_of(c)
    pkgs = load_packages(s.packages).select(_names(only))
    report = fetching.fetch_packages(s, pkgs, jobs=jobs, offline=offline,
                                     progress=True if progress else None)
    print(report.summary())
    if report.failed:
        raise Exit(f"error: {len(report.failed)} source(s) missing or bad:\n"
                   f"{report.failure_text()}", code=1)


@task(help={"only": "comma-separated package names to verify (default: all)"})
@friendly
def verify(c: Context, only: str | None = None) -> None:
    """Re-hash every file in the sources cache against packages.yaml: ok / missing / corrupt."""
    s = settings_of(c)
    pkgs = load_packages(s.packages).select(_names(only))
    record = fetching.VerifiedRecord(s.sources)
    bad = 0

    def show(r: fetching.VerifyResult) -> None:
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
    s = settings_of(c)
    pkgs = load_packages(s.packages).select(None)
    report = fetching.fetch_packages(s, pkgs, offline=offline)
    if report.failed:
        raise Exit(f"error: cannot complete the mirror:\n{report.failure_text()}", code=1)
    sums = fetching.write_mirror(pkgs, s.sources, Path(dest).resolve())
    print(f"mirror: {len(pkgs)} files and {sums.name} in {sums.parent}; "
          f"use it with lfs.mirrors: [file://{sums.parent}] or serve it over HTTP")


ns = Collection(fetch, verify, mirror)
