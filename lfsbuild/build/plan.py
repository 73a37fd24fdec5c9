"""Which steps run, and why: a pure function of the book, the packages, settings and state.

No disk or process is touched here, so `--dry-run`, `invoke steps` and the runner all agree,
and tests can ask "what would happen if" in microseconds.
"""
from __future__ import annotations

from dataclasses import dataclass

from .book import Book, Step
from lfsbuild.errors import BookError
from lfsbuild.sources.packages import PackageList
from lfsbuild.settings import Settings
from .state import State, StepRecord, fingerprints


@dataclass(frozen=True)
class Selection:
    step: str | None = None     # exactly this step
    from_: str | None = None    # range start (inclusive)
    to: str | None = None       # range end (inclusive)
    force: bool = False         # re-run even if done


@dataclass(frozen=True)
class StepView:
    """One step with its current fingerprint and what the state says about it."""

    step: Step
    inputs: str
    fingerprint: str
    record: StepRecord | None
    state: str      # "done" | "pending" | "failed" | "interrupted" | "changed"
    reason: str     # why it would run ("" when done)

    @property
    def done(self) -> bool:
        return self.state == "done"


@dataclass(frozen=True)
class Plan:
    stage: str
    run: tuple[StepView, ...]         # in order
    skip: tuple[StepView, ...]        # done and not forced
    blockers: tuple[str, ...] = ()    # earlier stages not complete

    @property
    def nothing_to_do(self) -> bool:
        return not self.run


def survey(book: Book, packages: PackageList, settings: Settings, state: State,
           live: bool = False) -> list[StepView]:
    """Every step of every stage with its state: the data behind `invoke steps`.

    `live`: a build holds the lock right now, so a "running" record really is running.
    """
    views = []
    for step, inputs, fp in fingerprints(book.all_steps(), packages, settings):
        rec = state.steps.get(step.id)
        st, why = classify(rec, inputs, fp)
        if live and rec is not None and rec.status == "running":
            st, why = "running", "running now"
        views.append(StepView(step, inputs, fp, rec, st, why))
    return views


def classify(rec: StepRecord | None, inputs: str, fp: str) -> tuple[str, str]:
    if rec is None:
        return "pending", "not run yet"
    if rec.status == "failed":
        return "failed", "failed last time"
    if rec.status in ("interrupted", "running"):
        return "interrupted", "interrupted last time"
    if rec.fingerprint == fp:
        return "done", ""
    if rec.inputs != inputs:
        return "changed", "recipe, its packages or settings changed"
    return "changed", "an earlier step changed"


def plan_stage(views: list[StepView], stage: str, sel: Selection = Selection()) -> Plan:
    """The steps of `stage` to run under `sel`, and what blocks the stage."""
    mine = [v for v in views if v.step.stage == stage]
    if not mine:
        raise BookError(f"stage {stage!r} has no recipes", "add book/{stage}/NNN-name.sh files")
    names = [v.step.name for v in mine]

    def index(name: str, flag: str) -> int:
        if name not in names:
            raise BookError(f"{flag} {name}: no such step in {stage}",
                            f"steps of {stage}: {', '.join(names)}")
        return names.index(name)

    if sel.step:
        chosen = [mine[index(sel.step, "--step")]]
        explicit = True
    else:
        lo = index(sel.from_, "--from") if sel.from_ else 0
        hi = index(sel.to, "--to") if sel.to else len(mine) - 1
        if lo > hi:
            raise BookError(f"--from {sel.from_} comes after --to {sel.to} in {stage}")
        chosen = mine[lo:hi + 1]
        explicit = False
    run, skip = [], []
    for v in chosen:
        if not v.done:
            run.append(v)
        elif sel.force or explicit:
            run.append(StepView(v.step, v.inputs, v.fingerprint, v.record, v.state,
                                "forced" if sel.force else "selected with --step"))
        else:
            skip.append(v)
    blockers = []
    first_stage_index = views.index(mine[0])
    by_stage: dict[str, list[str]] = {}
    for v in views[:first_stage_index]:
        if not v.done:
            by_stage.setdefault(v.step.stage, []).append(v.step.name)
    for st, pending in by_stage.items():
        shown = ", ".join(pending[:5]) + (" ..." if len(pending) > 5 else "")
        blockers.append(f"{st} is not complete: {len(pending)} step(s) not done ({shown})")
    return Plan(stage, tuple(run), tuple(skip), tuple(blockers))

