"""The recipes in book/: one shell file per book section, read into Step objects.

A recipe is the book's commands plus a few `#: key: value` header lines (see book/README.md);
everything about users, logs, unpacking and state is the runner's job, so a recipe reads like
the book and adding a step means adding one file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lfsbuild.errors import BookError, ConfigError

if TYPE_CHECKING:
    from lfsbuild.sources.packages import PackageList

RUN_MODES = ("user", "root", "chroot")
TEST_KINDS = ("critical", "optional")
KEYS = ("section", "package", "extra", "patches", "versions", "files", "sbu", "run", "tests",
        "requires")
FILE_RE = re.compile(r"^(\d+)-([a-z0-9][a-z0-9+._-]*)\.sh$")
STAGE_RE = re.compile(r"^stage(\d+)$")
# book/blfs/: recipes from Beyond Linux From Scratch. Its own directory, not a `stage6`, because
# it is another book (section ids like `openssh`, not `ch-...`) whose steps run only when the
# setting lfs.blfs selects them; it always comes after the numbered stages of the LFS book.
BLFS_STAGE = "blfs"


@dataclass(frozen=True)
class Step:
    stage: str
    name: str
    path: Path
    title: str
    text: str
    run: str = "user"
    package: str | None = None
    extras: tuple[str, ...] = ()
    patches: tuple[str, ...] = ()
    sbu: float = 0.0
    section: str | None = None
    tests: str | None = None  # "critical" | "optional": the step has a test suite (stage 4)
    versions: tuple[str, ...] = ()  # other packages whose version the recipe needs: NAME_VERSION
    files: tuple[str, ...] = ()     # paths under the repo's chroot/ copied to $WORK_DIR/files
    requires: tuple[str, ...] = ()  # steps of the same stage that must be selected too (BLFS)

    @property
    def id(self) -> str:
        return f"{self.stage}/{self.name}"

    @property
    def needs(self) -> tuple[str, ...]:
        """Every packages.yaml name this step reads: what fetch must provide first."""
        return tuple(n for n in (self.package, *self.extras, *self.patches) if n)

    def version_vars(self, packages: "PackageList") -> dict[str, str]:
        """`#: versions: glibc` exports GLIBC_VERSION, so a recipe never spells a version."""
        return {f"{re.sub(r'[^A-Za-z0-9]', '_', n).upper()}_VERSION": packages.get(n).version
                for n in self.versions}


@dataclass(frozen=True)
class Book:
    root: Path
    stages: dict[str, tuple[Step, ...]]
    blfs_available: tuple[str, ...] = ()  # every recipe in blfs/, selected by lfs.blfs or not

    def steps(self, stage: str) -> tuple[Step, ...]:
        if stage not in self.stages:
            raise BookError(f"no stage {stage!r} in {self.root}",
                            f"stages present: {', '.join(self.stages) or 'none'}")
        return self.stages[stage]

    def all_steps(self) -> list[Step]:
        return [s for steps in self.stages.values() for s in steps]

    def find(self, stage: str, name: str) -> Step:
        for s in self.steps(stage):
            if s.name == name:
                return s
        names = ", ".join(s.name for s in self.steps(stage))
        raise BookError(f"no step {name!r} in {stage}", f"steps of {stage}: {names}")

    def earlier_stages(self, stage: str) -> list[str]:
        order = list(self.stages)
        return order[:order.index(stage)] if stage in order else []


def load_book(root: str | Path) -> Book:
    root = Path(root)
    if not root.is_dir():
        raise BookError(f"recipe directory {root} does not exist", "set lfs.book to the book/ directory")
    stage_dirs = sorted((d for d in root.iterdir() if d.is_dir() and STAGE_RE.match(d.name)),
                        key=lambda d: int(STAGE_RE.match(d.name).group(1)))
    stages = {d.name: tuple(load_stage(d)) for d in stage_dirs}
    if (root / BLFS_STAGE).is_dir():
        stages[BLFS_STAGE] = tuple(load_stage(root / BLFS_STAGE))
    for steps in stages.values():
        check_requires(steps)
    blfs = tuple(s.name for s in stages.get(BLFS_STAGE, ()))
    return Book(root=root, stages=stages, blfs_available=blfs)


def check_requires(steps: tuple[Step, ...]) -> None:
    """`#: requires:` names an earlier step of the same stage: what it builds on is built first."""
    order = {s.name: i for i, s in enumerate(steps)}
    for i, step in enumerate(steps):
        for name in step.requires:
            if name not in order:
                raise BookError(f"{step.path}: requires {name!r}, which is no recipe of "
                                f"{step.stage}", f"recipes of {step.stage}: {', '.join(order)}")
            if order[name] >= i:
                raise BookError(f"{step.path}: requires {name!r}, whose recipe runs after it",
                                "give the required recipe a lower number (010-...) so it is "
                                "built first")


def select_blfs(book: Book, names: tuple[str, ...]) -> Book:
    """The book with only the BLFS recipes `lfs.blfs` names, or a refusal naming what is wrong.

    Pure, and called when the book is loaded for a build, so an unknown name or a missing
    dependency stops `invoke build` before its first step, not after hours of stage 4. The
    selected steps keep the directory's order (dependencies first), whatever the list's order.
    A book without a blfs/ directory (a book of your own) builds no BLFS packages.
    """
    if BLFS_STAGE not in book.stages:
        return book
    steps = book.stages[BLFS_STAGE]
    by_name = {s.name: s for s in steps}
    unknown = [n for n in dict.fromkeys(names) if n not in by_name]
    if unknown:
        raise ConfigError(f"lfs.blfs: no BLFS recipe named {', '.join(unknown)}",
                          f"the BLFS packages there are (book/{BLFS_STAGE}/): "
                          f"{', '.join(by_name) or 'none'}")
    chosen = set(names)
    missing = [(s.name, [r for r in s.requires if r not in chosen])
               for s in steps if s.name in chosen]
    missing = [(n, m) for n, m in missing if m]
    if missing:
        what = "; ".join(f"{n} requires {', '.join(m)}" for n, m in missing)
        need = sorted({r for _, m in missing for r in m})
        raise ConfigError(f"lfs.blfs: {what}, which lfs.blfs does not select",
                          f"add {', '.join(need)} to lfs.blfs (or leave out what needs them)")
    return Book(root=book.root, blfs_available=book.blfs_available,
                stages={**book.stages, BLFS_STAGE: tuple(s for s in steps if s.name in chosen)})


def load_stage(directory: Path) -> list[Step]:
    steps: list[Step] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.sh"), key=lambda p: p.name):
        step = parse_recipe(path, directory.name)
        if step.name in seen:
            raise BookError(f"{path}: step name {step.name!r} is also used by {seen[step.name].name}",
                            "step names must be unique within a stage")
        seen[step.name] = path
        steps.append(step)
    for path in directory.iterdir():
        if path.is_file() and path.suffix == ".sh" and not FILE_RE.match(path.name):
            raise BookError(f"{path}: recipe file names look like 010-name.sh",
                            "a numeric prefix gives the run order; the rest is the step name")
    return steps


def parse_recipe(path: Path, stage: str) -> Step:
    m = FILE_RE.match(path.name)
    if not m:
        raise BookError(f"{path}: recipe file names look like 010-name.sh",
                        "a numeric prefix gives the run order; the rest is the step name")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# ") or lines[0].startswith("#:"):
        raise BookError(f"{path}:1: the first line must be '# <section title>'")
    fields: dict[str, str] = {}
    for no, line in enumerate(lines[1:], start=2):
        if not line.startswith("#"):
            break
        if not line.startswith("#:"):
            continue
        key, sep, value = line[2:].partition(":")
        key = key.strip()
        if not sep or key not in KEYS:
            raise BookError(f"{path}:{no}: unknown header field {key!r}",
                            f"known fields: {', '.join(KEYS)}")
        if key in fields:
            raise BookError(f"{path}:{no}: header field {key!r} given twice")
        fields[key] = value.strip()
    run = fields.get("run", "user")
    if fields.get("tests", "critical") not in TEST_KINDS:
        raise BookError(f"{path}: tests: {fields['tests']!r} is not one of {', '.join(TEST_KINDS)}")
    if run not in RUN_MODES:
        raise BookError(f"{path}: run: {run!r} is not one of {', '.join(RUN_MODES)}")
    try:
        sbu = float(fields.get("sbu", "0") or 0)
    except ValueError:
        raise BookError(f"{path}: sbu: {fields['sbu']!r} is not a number") from None
    return Step(stage=stage, name=m.group(2), path=path, title=lines[0][2:].strip(), text=text,
                run=run, package=fields.get("package") or None,
                extras=tuple(fields.get("extra", "").split()),
                patches=tuple(fields.get("patches", "").split()), sbu=sbu,
                section=fields.get("section") or None, tests=fields.get("tests") or None,
                versions=tuple(fields.get("versions", "").split()),
                files=tuple(fields.get("files", "").split()),
                requires=tuple(fields.get("requires", "").split()))


def recipes_using(book_dir: Path, names: list[str]) -> dict[str, list[str]]:
    """For each package name: the steps that unpack it, patch with it or read its version.

    What `invoke book-update` reports for packages a new release removes. A book that does not
    load is reported in place of the answer, not raised: the update itself is still valid.
    """
    try:
        book = load_book(book_dir)
    except BookError as exc:
        return {n: [f"(recipes not checked: {exc.message})"] for n in names}
    out: dict[str, list[str]] = {n: [] for n in names}
    for step in book.all_steps():
        for n in names:
            how = [label for label, hit in (
                ("package", step.package == n), ("extra", n in step.extras),
                ("patch", n in step.patches), ("version", n in step.versions)) if hit]
            if how:
                out[n].append(f"{step.id} ({'/'.join(how)}) {step.path}")
    return out
