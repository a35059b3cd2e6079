"""Client-side request budget: a thread-safe sliding-window limiter.

``SlidingWindowLimiter(limit, window=60)`` guarantees that no more than ``limit`` calls to
:meth:`acquire` return within any ``window``-second interval (half-open, measured with the
injected monotonic ``clock``). Callers over budget block (with the injected ``sleep``) until
the oldest grant leaves the window. Chatwoot's rack-attack counts requests per client IP in
fixed one-minute buckets (3000/min by default); a sliding window is stricter than a fixed
bucket, so staying under the budget here keeps us under Chatwoot's limit in any bucket
alignment.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

__all__ = ["SlidingWindowLimiter", "shared_gate"]


class SlidingWindowLimiter:
    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque()
        self._lock = threading.Lock()
        #: total seconds callers were told to wait, and how many times (for benchmarks)
        self.waited_seconds = 0.0
        self.waits = 0

    def acquire(self) -> float:
        """Block until a request may be sent; return the grant time (clock units)."""
        while True:
            with self._lock:
                now = self._clock()
                horizon = now - self.window
                grants = self._grants
                while grants and grants[0] <= horizon:
                    grants.popleft()
                if len(grants) < self.limit:
                    grants.append(now)
                    return now
                # Never 0: with floats, `now - window` (expiry test above) and
                # `grant + window - now` can disagree by one ulp, and a zero delay then made a
                # fake-clock caller spin forever (seen as a "deadlock" under load).
                delay = max(grants[0] + self.window - now, 1e-6)
                self.waited_seconds += delay
                self.waits += 1
            # sleep outside the lock so other threads can observe/expire grants
            self._sleep(delay)

    def in_window(self) -> int:
        """Number of grants in the current window."""
        with self._lock:
            horizon = self._clock() - self.window
            return sum(1 for t in self._grants if t > horizon)


_shared_lock = threading.Lock()
_shared: dict[tuple, object] = {}


def shared_gate(key: tuple, factory: Callable[[], object]) -> object:
    """Process-wide registry: one limiter/semaphore per key (e.g. per Chatwoot URL), so
    several clients in one process share one budget."""
    with _shared_lock:
        gate = _shared.get(key)
        if gate is None:
            gate = _shared[key] = factory()
        return gate
