"""The one way tests wait for something to happen: poll a condition until a deadline.

Tests start servers, builds and QEMU in other processes and must wait for an effect (a file,
a log line, a port, a process gone) without sleeping a fixed time: too short is flaky on a
loaded 2-core machine, too long is slow everywhere.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def eventually(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """The first truthy value of `predicate()` within `timeout` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got or time.monotonic() >= deadline:
            return got
        time.sleep(interval)


def wait_until(predicate: Callable[[], T], timeout: float, what: str = "the condition",
               interval: float = 0.05) -> T:
    """Like `eventually`, but a timeout fails the test, saying what never happened."""
    got = eventually(predicate, timeout, interval)
    assert got, f"{what} did not happen within {timeout:g} s"
    return got
