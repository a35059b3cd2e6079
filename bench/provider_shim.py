"""Bench-only wrapper around ``python -m pulumi.dynamic`` (the dynamic-provider process).

Never used by the project itself: ``bench/run.py`` points ``PULUMI_PYTHON_CMD`` at
``bench/python-shim.sh``, which starts this file instead of ``-m pulumi.dynamic`` when
``CWT_BENCH_PROVIDER_STATS`` is set. It

* times every gRPC method of the provider server (count, total, max, and the peak number of
  calls in flight at once — the ceiling of the provider server's 4 gRPC worker threads shows up here);
* optionally (``CWT_BENCH_PROVIDER_WORKERS=N``) replaces the server's
  ``ThreadPoolExecutor(max_workers=4)`` with N workers, to measure what that ceiling costs;
* optionally (``CWT_BENCH_PROFILE=1``) runs a cProfile profiler in every worker thread and
  merges them;

and writes everything to ``$CWT_BENCH_PROVIDER_STATS`` (JSON, plus ``.prof`` for cProfile)
every two seconds and at exit (the engine may kill the process, so periodic dumps matter).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import runpy
import sys
import threading
import time
from concurrent import futures

OUT = os.environ["CWT_BENCH_PROVIDER_STATS"]
WORKERS = int(os.environ.get("CWT_BENCH_PROVIDER_WORKERS") or 0)
PROFILE = os.environ.get("CWT_BENCH_PROFILE") == "1"

_lock = threading.Lock()
_calls: dict[str, dict] = {}
_inflight = 0
_peak_inflight = 0
_profiles: list[cProfile.Profile] = []
_local = threading.local()
_started = time.monotonic()

if WORKERS:
    _TPE = futures.ThreadPoolExecutor

    class _Wider(_TPE):  # only the provider server's pool asks for exactly 4 workers
        def __init__(self, max_workers=None, *a, **kw):
            if max_workers == 4:
                max_workers = WORKERS
            super().__init__(max_workers, *a, **kw)

    futures.ThreadPoolExecutor = _Wider


def _timed(name, fn):
    def wrapper(self, request, context):
        global _inflight, _peak_inflight
        if PROFILE and not getattr(_local, "prof", None):
            _local.prof = cProfile.Profile()
            with _lock:
                _profiles.append(_local.prof)
        with _lock:
            _inflight += 1
            _peak_inflight = max(_peak_inflight, _inflight)
        t0 = time.perf_counter()
        prof = getattr(_local, "prof", None)
        if prof:
            prof.enable()
        try:
            return fn(self, request, context)
        finally:
            if prof:
                prof.disable()
            dt = time.perf_counter() - t0
            with _lock:
                _inflight -= 1
                s = _calls.setdefault(name, {"count": 0, "total_s": 0.0, "max_s": 0.0})
                s["count"] += 1
                s["total_s"] += dt
                s["max_s"] = max(s["max_s"], dt)
    return wrapper


def _patch() -> None:
    """``pulumi/dynamic/__main__.py`` starts its server at import time, so wrap the servicer's
    class when it is registered with the gRPC server."""
    from pulumi.runtime.proto import provider_pb2_grpc  # noqa: PLC0415

    register = provider_pb2_grpc.add_ResourceProviderServicer_to_server

    def add(servicer, server):
        cls = type(servicer)
        for name in ("Check", "Diff", "Create", "Read", "Update", "Delete", "Configure"):
            if name in cls.__dict__:
                setattr(cls, name, _timed(name, cls.__dict__[name]))
        return register(servicer, server)

    provider_pb2_grpc.add_ResourceProviderServicer_to_server = add


def dump() -> None:
    with _lock:
        data = {"calls": {k: dict(v) for k, v in _calls.items()}, "peak_inflight": _peak_inflight,
                "workers": WORKERS or 4, "alive_s": time.monotonic() - _started}
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, OUT)
    if PROFILE and _profiles:
        st = None
        for p in list(_profiles):
            try:
                st = pstats.Stats(p) if st is None else (st.add(p) or st)
            except (TypeError, ValueError):
                continue
        if st is not None:
            st.dump_stats(OUT + ".prof")


def _dumper() -> None:
    while True:
        time.sleep(2.0)
        try:
            dump()
        except Exception:  # noqa: BLE001 - best effort
            pass


if __name__ == "__main__":
    _patch()
    threading.Thread(target=_dumper, daemon=True).start()
    import atexit  # noqa: PLC0415
    atexit.register(dump)
    sys.argv = ["pulumi.dynamic", *sys.argv[1:]]
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
