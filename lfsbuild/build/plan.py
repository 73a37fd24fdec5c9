"""Which steps run, and why: a pure function of the book, the packages, settings and state.

No disk or process is touched here, so `--dry-run`, `invoke steps` and the runner all agree,
and tests can ask "what would happen if" in microseconds.

A step's fingerprint chains the *output* of the step before it (state.py), and no plan can
know an output before the step has run: once a step must run, every later step whose record
is done is "pending on" it. The runner settles those one at a time (`settle`): after each
step it runs, the next one's fingerprint is known again, and a step whose fingerprint then
matches its done record is skipped - its predecessor installed the same files as before.
"""
from __future__ import annotations

from dataclasses import dataclass

from .book import Book, Step
from lfsbuild.errors import BookError
from lfsbuild.sources.packages import PackageList
from lfsbuild.settings import Settings
from .state import State, StepRecord, chain, step_inputs, upstream_of


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
    prev: str | None = None    # id of the step before it in the book (whose output it chains)
    after: str | None = None   # a done step pending on this earlier step: it runs again only
                               # if what the steps before it install changes (fingerprint "")

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def conditional(self) -> bool:
        """Runs only if its fingerprint, known once the steps before it ran, moved."""
        return self.after is not None


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
    prev: str | None = None
    decider: str | None = None   # the latest step before this one that will surely run
    for step in book.all_steps():
        inputs = step_inputs(step, packages, settings)
        rec = state.steps.get(step.id)
        after = None
        if decider is None:
            fp = chain(inputs, upstream_of(prev, state))
            st, why = classify(rec, inputs, fp)
        else:
            fp = ""
            st, why = classify_unknown(rec, inputs, decider)
            if st == "pending" and rec is not None:
                after = decider
        if live and rec is not None and rec.status == "running":
            st, why = "running", "running now"
        if st != "done" and after is None:
            decider = step.id
        views.append(StepView(step, inputs, fp, rec, st, why, prev=prev, after=after))
        prev = step.id
    return views


def classify(rec: StepRecord | None, inputs: str, fp: str) -> tuple[str, str]:
    """State and reason of a step whose fingerprint is known."""
    if rec is None:
        return "pending", "not run yet"
    if rec.status == "failed":
        return "failed", "failed last time"
    if rec.status in ("interrupted", "running"):
        return "interrupted", "interrupted last time"
    if rec.inputs != inputs:
        return "changed", "recipe, its packages or settings changed"
    if not rec.out:
        return "changed", ("recorded by an lfsbuild that kept no list of installed files; "
                           "runs again to make one")
    if rec.stale:
        return "changed", rec.stale
    if rec.fingerprint == fp:
        return "done", ""
    return "changed", "what an earlier step installed changed"


def classify_unknown(rec: StepRecord | None, inputs: str, decider: str) -> tuple[str, str]:
    """State and reason of a step after one that must run: its fingerprint is not known yet."""
    if rec is None:
        return "pending", "not run yet"
    if rec.status != "done" or rec.inputs != inputs or not rec.out or rec.stale:
        return classify(rec, inputs, "")
    return "pending", (f"pending on {decider}: runs again only if what the steps before it "
                       f"install changes")


def settle(view: StepView, state: State) -> tuple[StepView, str | None]:
    """The view of a step about to run, its fingerprint computed from the state as it is now.

    Returns (view, why it can be skipped) - the reason only for a step that was pending on an
    earlier one (`conditional`) whose done record matches again, because the steps before it
    installed the same files as before. Forced and selected steps always run.
    """
    fp = chain(view.inputs, upstream_of(view.prev, state))
    fresh = StepView(view.step, view.inputs, fp, view.record, view.state, view.reason,
                     prev=view.prev, after=view.after)
    rec = state.steps.get(view.step.id)
    if view.conditional and rec is not None and classify(rec, view.inputs, fp)[0] == "done":
        return fresh, (f"done: the steps before it installed the same files as before "
                       f"(pending on {view.after})")
    return fresh, None


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
        if (v.done or v.conditional) and (sel.force or explicit):
            # asked for by name: runs whatever the state says (no longer conditional)
            run.append(StepView(v.step, v.inputs, v.fingerprint, v.record, v.state,
                                "forced" if sel.force else "selected with --step", prev=v.prev))
        elif not v.done:
            run.append(v)
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

