"""The one plain-text table every task prints (status, steps, check-host, pxe, boot-test),
and the one way a duration is written.

Kept apart from all three parts so each can print a table without importing another: columns
padded to their widest cell, two spaces between, no trailing blanks; `right` names the
columns whose numbers read better right-aligned (sizes).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence


def format_table(header: Sequence[object], rows: Iterable[Sequence[object]],
                 right: Iterable[int] = ()) -> str:
    cells = [[str(c) for c in header], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    align = set(right)
    return "\n".join(
        "  ".join(c.rjust(w) if i in align else c.ljust(w)
                  for i, (c, w) in enumerate(zip(row, widths))).rstrip()
        for row in cells)


def fmt_duration(seconds: float | None) -> str:
    """12s, 3m05s, 2h07m: a step's time as a builder reads it; '-' when there is none."""
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def human(n: float) -> str:
    """A size in binary units, one decimal (12.3 MiB): what a PXE tree or a wipe weighs."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
