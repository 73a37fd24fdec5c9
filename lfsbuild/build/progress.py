"""What a stage run shows while it works: a bar on a terminal, plain lines everywhere else.

On a terminal, a tqdm bar weighted by the book's SBU figures, ETA in this machine's seconds.
Without one (`nohup`, `| tee build.log`, a CI job) a bar is invisible or garbage, and a build
that says nothing for 45 minutes looks hung; so, like BitBake's non-interactive output, every
step gets a line when it starts and one when it ends (time, measured SBU, ok/failed, the log on
failure), flushed at once, and a long step a heartbeat line now and then. A log of a multi-hour
build then shows where it is, and what failed, without opening state.json.
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from lfsbuild.tables import fmt_duration
from .plan import Plan, StepView
from .state import State, StepRecord
from .status import local_sbu, measured_sbu

# A step still running after this long gets a "still running" line, and again after each such
# interval. gcc pass 1 takes 20-50 minutes: 5 minutes says "alive" a handful of times without
# drowning the start/end lines of the 80 short steps around it. Read when a run starts, so a
# test can make it short.
HEARTBEAT_SECONDS = 300.0


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class StepLines:
    """The non-interactive output: one line per step start and end, heartbeats in between.

    Steps skipped because they are done get no line of their own: a resumed stage 4 would
    print ~80 lines saying nothing `invoke status` does not, burying the steps that run. The
    stage's opening line counts them instead.
    """

    def __init__(self, plan: Plan, state: State, out: TextIO,
                 heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.plan, self.state, self.out, self.heartbeat = plan, state, out, heartbeat
        self.views = [*plan.run, *plan.skip]
        self.index = {v.step.id: i for i, v in enumerate(plan.run, 1)}
        self.current: StepView | None = None
        self.log: Path | None = None
        self.t0 = self.last_line = self.wall0 = 0.0
        self._lock = threading.Lock()

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self.out.write(text + "\n")
                self.out.flush()   # a pipe is block-buffered: a line in the buffer shows nothing
            except (BrokenPipeError, ValueError):
                pass               # the reader left (`| head`); the build itself goes on

    def _sbu_seconds(self) -> float | None:
        return local_sbu(self.state, self.views)

    def _tag(self, view: StepView) -> str:
        return f"{view.step.stage} [{self.index[view.step.id]}/{len(self.plan.run)}] " \
               f"{view.step.name}"

    def _times(self, view: StepView, seconds: float) -> str:
        sbu = measured_sbu(seconds, self._sbu_seconds())
        shown = f"{sbu:.2f} SBU" if sbu is not None else "SBU not measured yet"
        return f"{fmt_duration(seconds)}, {shown} (book {view.step.sbu:g})"

    def begin(self) -> None:
        book = sum(v.step.sbu for v in self.plan.run)
        sbu = self._sbu_seconds()
        guess = f", about {fmt_duration(book * sbu)} here" if sbu else ""
        skipped = f"; {len(self.plan.skip)} done before, skipped" if self.plan.skip else ""
        self._write(f"{self.plan.stage}: {len(self.plan.run)} step(s) to run, "
                    f"{book:g} SBU by the book{guess}{skipped}")

    def start(self, view: StepView, log: Path, now: float) -> None:
        self.current, self.log, self.t0 = view, log, now
        self.last_line, self.wall0 = now, time.time()
        self._write(f"{self._tag(view)}: started")

    def finish(self, view: StepView, rec: StepRecord) -> None:
        self.current = None
        self._write(f"{self._tag(view)}: ok in {self._times(view, rec.duration)}")

    def skip(self, view: StepView, why: str) -> None:
        self._write(f"{self._tag(view)}: skipped, {why}")

    def fail(self, view: StepView, rec: StepRecord | None, now: float) -> None:
        """The step raised: failed, interrupted, or stopped before its command ran."""
        self.current = None
        what, took, code = "failed", now - self.t0, ""
        # `rec` may be an earlier run's record, when this one stopped before making its own
        if rec is not None and rec.started >= self.wall0 and rec.status in ("failed",
                                                                             "interrupted"):
            what = rec.status
            took = rec.duration if rec.finished else took  # the time `invoke status` shows
            code = f", exit status {rec.exit_code}" if rec.exit_code else ""
        self._write(f"{self._tag(view)}: {what} after {self._times(view, took)}{code}, "
                    f"log {self.log}")

    def beat(self, now: float) -> None:
        """Called often; writes a heartbeat when the running step has been quiet long enough."""
        view = self.current
        if view is None or now - self.last_line < self.heartbeat:
            return
        self.last_line = now
        self._write(f"{self._tag(view)}: still running, {fmt_duration(now - self.t0)} elapsed, "
                    f"log {self.log}")


class StageProgress:
    """What the runner reports to: the bar, the plain lines, or (when asked) both.

    The bar goes to stderr when stdout and stderr are terminals (or `enabled=True`); the lines
    go to `out` whenever the bar is not shown or `out` is no terminal - the test BitBake uses
    (stdout decides), so `invoke stage1 | tee build.log` writes lines to the log (and through
    tee to the screen) instead of a bar tee would tear apart.

    Bar steps count by their SBU (a step with no figure counts as 0.05 SBU so it still moves);
    the ETA uses the local SBU measured on this machine, once known.
    """

    MIN_SBU = 0.05

    def __init__(self, plan: Plan, state: State, enabled: bool | None = None,
                 out: TextIO = sys.stdout, heartbeat: float | None = None) -> None:
        self.state = state
        self.weights = {v.step.id: max(v.step.sbu, self.MIN_SBU) for v in plan.run}
        self.left = sum(self.weights.values())
        out_tty = is_terminal(out)
        bar_on = enabled is True or (enabled is None and out_tty and is_terminal(sys.stderr))
        self.bar = None
        if bar_on:
            from tqdm import tqdm  # only a run that shows a bar pays for the import
            self.bar = tqdm(total=round(self.left, 2), desc=plan.stage, unit="SBU",
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} "
                                       "SBU [{elapsed}{postfix}]", dynamic_ncols=True)
        self.lines = None
        if not bar_on or not out_tty:
            self.lines = StepLines(plan, state, out,
                                   HEARTBEAT_SECONDS if heartbeat is None else heartbeat)
            self.lines.begin()
        self.current: StepView | None = None
        self.t0 = 0.0
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def start(self, view: StepView, log: Path) -> None:
        self.current, self.t0 = view, time.monotonic()
        if self.lines:
            self.lines.start(view, log, self.t0)
        self._refresh()

    def _advance(self, view: StepView) -> None:
        """One planned step less to go: the bar and the ETA move by its SBU weight."""
        w = self.weights[view.step.id]
        self.left -= w
        if self.bar is not None:
            self.bar.update(w)

    def finish(self, view: StepView, rec: StepRecord) -> None:
        self._advance(view)
        self.current = None
        if self.lines:
            self.lines.finish(view, rec)
        self._refresh()

    def skip(self, view: StepView, why: str) -> None:
        """A planned step the runner found done after all (see plan.settle): say why."""
        self._advance(view)
        if self.lines:
            self.lines.skip(view, why)
        elif self.bar is not None:
            self.bar.write(f"{view.step.name}: skipped, {why}", file=sys.stderr)
        self._refresh()

    def fail(self, view: StepView, rec: StepRecord | None) -> None:
        self.current = None
        if self.lines:
            self.lines.fail(view, rec, time.monotonic())

    def eta(self) -> float | None:
        sbu = self.state.sbu_seconds
        if not sbu:
            return None
        running = time.monotonic() - self.t0 if self.current else 0.0
        return max(0.0, self.left * sbu - running)

    def _refresh(self) -> None:
        if self.bar is None:
            return
        parts = []
        if self.current:
            parts.append(f"{self.current.step.name} {fmt_duration(time.monotonic() - self.t0)}")
        eta = self.eta()
        parts.append(f"ETA {fmt_duration(eta)}" if eta is not None else "ETA after first SBU")
        self.bar.set_postfix_str(", ".join(parts), refresh=True)

    def _tick(self) -> None:
        period = 1.0 if self.lines is None else min(1.0, self.lines.heartbeat / 4)
        while not self._stop.wait(period):
            self._refresh()
            if self.lines:
                self.lines.beat(time.monotonic())

    def close(self) -> None:
        self._stop.set()
        if self.bar is not None:
            self.bar.close()
