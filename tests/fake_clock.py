"""A fake monotonic clock for the rate-limiter tests, and the emulator's way of counting a window."""

from __future__ import annotations

import threading


class FakeClock:
    """Monotonic fake time; ``sleep()`` advances it and records the wait (thread-safe)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self.lock:
            self.slept.append(seconds)
            self.now += seconds


def peak_60s(stamps: list[float]) -> int:
    """Most stamps in any half-open (t - 60, t] window (how the emulator's ``peak_60s`` counts arrivals)."""
    stamps = sorted(stamps)
    best, j = 0, 0
    for i, t in enumerate(stamps):
        while stamps[j] <= t - 60:
            j += 1
        best = max(best, i - j + 1)
    return best
