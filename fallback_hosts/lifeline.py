"""Exit when the process that started us is gone, and take our process group with us.

The pulumi CLI starts every plugin as the leader of its own process group and, on a normal
shutdown, signals that group (SIGINT, then SIGKILL). When the CLI itself is killed nobody does,
and a plugin (with the program it runs) would keep running with parent 1. ``watch_parent`` polls
the parent id and, when it changes, kills the whole group if we lead it (our children
included), else just exits.
"""

from __future__ import annotations

import os
import signal
import threading
import time

POLL_SECONDS = 0.5


def end_group_or_exit(code: int = 0) -> None:
    """Kill our process group if we lead it (children included), then exit without cleanup."""
    try:
        if os.getpgid(0) == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
    finally:
        os._exit(code)


def watch_parent(on_gone=None, poll: float = POLL_SECONDS) -> threading.Thread:
    """Start a daemon thread that calls ``on_gone()`` (default: end the group) once our parent dies."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        (on_gone or end_group_or_exit)()

    t = threading.Thread(target=watch, name="lifeline", daemon=True)
    t.start()
    return t


def quiet_sigint(code: int = 0) -> None:
    """SIGINT (the CLI's "shut down now") ends the process group without a KeyboardInterrupt traceback."""

    def handler(signum, frame) -> None:
        for stream in (__import__("sys").stdout, __import__("sys").stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - exiting anyway
                pass
        end_group_or_exit(code)

    signal.signal(signal.SIGINT, handler)
