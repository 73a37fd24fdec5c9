"""The stage progress bar: weighted by the book's SBU figures, ETA in this machine's seconds."""
from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from .plan import Plan, StepView
from .state import State, StepRecord


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class StageProgress:
    """One bar per stage run; a ticker refreshes the current step's elapsed time and the ETA.

    Steps count by their SBU (a step with no figure counts as 0.05 SBU so it still moves).
    The ETA uses the local SBU measured on this machine, once known.
    """

    MIN_SBU = 0.05

    def __init__(self, plan: Plan, state: State, enabled: bool | None = None,
                 out: TextIO = sys.stderr) -> None:
        self.state = state
        self.weights = {v.step.id: max(v.step.sbu, self.MIN_SBU) for v in plan.run}
        self.left = sum(self.weights.values())
        from tqdm import tqdm  # only a run that does work pays for the import
        off = enabled is False or (enabled is None and not sys.stderr.isatty())
        self.bar = tqdm(total=round(self.left, 2), desc=plan.stage, unit="SBU", disable=off,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} SBU "
                                   "[{elapsed}{postfix}]", dynamic_ncols=True)
        self.current: StepView | None = None
        self.t0 = 0.0
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        if not off:
            self._ticker.start()

    def start(self, view: StepView) -> None:
        self.current, self.t0 = view, time.monotonic()
        self._refresh()

    def finish(self, view: StepView, rec: StepRecord) -> None:
        w = self.weights[view.step.id]
        self.left -= w
        self.bar.update(w)
        self.current = None
        self._refresh()

    def eta(self) -> float | None:
        sbu = self.state.sbu_seconds
        if not sbu:
            return None
        running = time.monotonic() - self.t0 if self.current else 0.0
        return max(0.0, self.left * sbu - running)

    def _refresh(self) -> None:
        parts = []
        if self.current:
            parts.append(f"{self.current.step.name} {fmt_duration(time.monotonic() - self.t0)}")
        eta = self.eta()
        parts.append(f"ETA {fmt_duration(eta)}" if eta is not None else "ETA after first SBU")
        self.bar.set_postfix_str(", ".join(parts), refresh=True)

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._refresh()

    def close(self) -> None:
        self._stop.set()
        self.bar.close()
