"""Waiting for what other threads and processes do: on a condition, never for a fixed time.

A deadline here only bounds a hang. It is generous, reaching it fails the test with what was
awaited, and nothing here asserts how fast anything went (a busy machine is slow, not wrong).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

HANG_SECONDS = 120.0


class Acknowledged:
    """What writer threads were told was stored, in the order they were told, which a test can
    wait on; a writer that fails says so, and every waiter stops waiting."""

    def __init__(self) -> None:
        self.items: list = []
        self.errors: list[BaseException] = []
        self.changed = threading.Condition()

    def add(self, item) -> None:
        with self.changed:
            self.items.append(item)
            self.changed.notify_all()

    def failed(self, error: BaseException) -> None:
        with self.changed:
            self.errors.append(error)
            self.changed.notify_all()

    def __len__(self) -> int:
        with self.changed:
            return len(self.items)

    def copy(self) -> list:
        with self.changed:
            return list(self.items)

    def reached(self, count: int) -> bool:
        """Whether `count` items were acknowledged, waiting for them while the writers run."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.items) >= count or self.errors, timeout=HANG_SECONDS)
            return len(self.items) >= count

    def wait_for(self, count: int, what: str) -> None:
        assert self.reached(count), f"{what}: {len(self)} of {count} acknowledged; writer errors {self.errors!r}"


def wait_until(condition: Callable[[], bool], what: str, interval: float = 0.05) -> None:
    """Poll `condition` (a status another process shows) until it holds."""
    deadline = time.monotonic() + HANG_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"still waiting, after {HANG_SECONDS:g} s, for {what}"
        time.sleep(interval)
