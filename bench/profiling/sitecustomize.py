"""Bench-only: cProfile every thread of the Pulumi *program* process when asked.

``bench/run.py --profile`` puts this folder first on ``PYTHONPATH`` and sets
``CWT_BENCH_PROGRAM_PROFILE=<prefix>``. In the process started as
``python -u .../fallback_hosts/program_runner.py ...`` (the program), every thread gets its own
``cProfile.Profile``; at exit they are merged into ``<prefix>.<pid>.prof``. Any other Python
process ignores this file. Never used outside the benchmark.
"""

import os
import sys

_PREFIX = os.environ.get("CWT_BENCH_PROGRAM_PROFILE")
_ARGV = getattr(sys, "orig_argv", [])

if _PREFIX and any(str(a).endswith("program_runner.py") for a in _ARGV):
    import atexit
    import cProfile
    import pstats
    import threading

    _profiles = []
    _lock = threading.Lock()

    def _start_thread_profile(*_args):
        sys.setprofile(None)
        p = cProfile.Profile()
        with _lock:
            _profiles.append(p)
        p.enable()

    def _dump():
        stats = None
        with _lock:
            for p in _profiles:
                try:
                    p.disable()
                except Exception:  # noqa: BLE001 - other threads' profilers
                    pass
                try:
                    stats = pstats.Stats(p) if stats is None else (stats.add(p) or stats)
                except (TypeError, ValueError):
                    continue
        if stats is not None:
            stats.dump_stats(f"{_PREFIX}.{os.getpid()}.prof")

    threading.setprofile(_start_thread_profile)
    _main = cProfile.Profile()
    _profiles.append(_main)
    _main.enable()
    atexit.register(_dump)
