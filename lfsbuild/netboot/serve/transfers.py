"""What the servers tell about each transfer: one record, one quoting of client strings.

The TFTP and HTTP servers write one log line per transfer for people; programs (boot-test's
per-NIC table, the lab's per-node checks) get the same facts as a `Transfer` through the
`on_transfer` callback of `BootServer`, instead of parsing log text.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

LOG_TEXT_MAX = 200
"""Characters of a client string kept in a log line: a file name is tens of characters; a
client sending kilobytes gets the start of it and a count, not a log line of that size."""


@dataclass(frozen=True)
class Transfer:
    """One finished transfer (or refusal), as the server saw it."""

    protocol: str                 # "tftp" | "http"
    client: tuple[str, int]
    path: str                     # as the client asked for it
    outcome: str                  # "ok", "refused: ...", "failed: ...", or the HTTP status
    bytes: int                    # payload bytes the client acknowledged (TFTP) / was sent
    seconds: float
    retransmits: int = 0          # TFTP data blocks sent again (lost or unacknowledged)
    ended: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_json(self) -> str:
        """One line of `invoke serve --transfer-log`: the record, for scripts (and the lab)."""
        return json.dumps(asdict(self), ensure_ascii=True, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> "Transfer":
        data = json.loads(line)
        data["client"] = tuple(data["client"])
        return cls(**data)


TransferSink = Callable[[Transfer], None]


class TransferLogFile:
    """A `TransferSink` appending one JSON line per transfer to a file, flushed at once: a
    program watching a running server (the lab counting each node's transfers) reads whole
    records, never a log line meant for people."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "a", encoding="ascii", buffering=1)
        self._lock = threading.Lock()

    def __call__(self, t: Transfer) -> None:
        with self._lock:
            self._file.write(t.to_json() + "\n")

    def close(self) -> None:
        self._file.close()


def read_transfer_log(path: Path) -> list[Transfer]:
    """The records of a `--transfer-log` file (a last line cut short by a kill is skipped)."""
    out = []
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            out.append(Transfer.from_json(line))
        except (ValueError, TypeError, KeyError):
            continue
    return out


_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"',
            ord("\\"): "\\\\"}


def escape(text: str) -> str:
    """`text` as printable ASCII, so a client cannot forge log lines or send escape sequences
    to the terminal reading the log: quotes, backslashes and control characters become
    backslash escapes, and every byte of the UTF-8 form outside printable ASCII becomes \\xNN
    (undecodable bytes of a file name, kept as surrogate escapes, come out as themselves)."""
    raw = text.encode("utf-8", "surrogateescape")
    return "".join(_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}")
                   for b in raw)


def wire_text(latin1: str) -> str:
    """A string that http.server decoded as ISO-8859-1, back to what its bytes say in UTF-8
    (invalid bytes as surrogate escapes): so both servers log a name's bytes the same way."""
    return latin1.encode("latin-1", "replace").decode("utf-8", "surrogateescape")


def quote(text: str, limit: int = LOG_TEXT_MAX) -> str:
    """A client string as one double-quoted token for a log line; a long one is cut."""
    cut = len(text) - limit
    return '"' + escape(text[:limit]) + '"' + (f"...(+{cut} chars)" if cut > 0 else "")
