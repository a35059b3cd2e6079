"""The dynamic-provider process: ``pulumi.dynamic`` with more gRPC worker threads.

Pulumi's Python dynamic-provider server (``python -m pulumi.dynamic``) serves every dynamic
resource of a deployment from one process with a fixed pool of 4 gRPC worker threads
(pulumi-notes §A3), so at most 4 Chatwoot calls are in flight whatever ``pulumi up
--parallel`` says. Our providers are stateless and thread-safe (one pooled httpx client, a
locked list cache, a process-wide request budget), so this entry point runs the very same
server with ``CWT_PROVIDER_WORKERS`` threads (default 8 = the engine's default parallelism on
2 cores). The benchmark measured a first up at 50 ms latency about 2x faster (docs/benchmarks.md).

``scripts/build-pulumi.sh`` installs the ``pulumi-resource-pulumi-python`` launcher that runs
this module instead of ``-m pulumi.dynamic``.

Errors: the server reports any exception of a provider method with ``traceback.format_exc()``,
so a wrong token printed a 30-line traceback per resource. ``short_errors()`` makes expected,
explained failures (a Chatwoot API error, a ``Refused`` from the resources) one line — their
message — and keeps the traceback for real bugs. After a 401 the other resources of the run fail
at once with one short line instead of repeating the request and the same 401.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from concurrent import futures


def workers() -> int:
    try:
        return max(1, int(os.environ.get("CWT_PROVIDER_WORKERS", "8")))
    except ValueError:
        return 8


# The pool size that pulumi.dynamic's server hard-codes (pulumi/dynamic/__main__.py).
SERVER_POOL = 4


def expected(exc: BaseException | None) -> bool:
    from cwtenants.chatwoot.errors import ChatwootError

    return isinstance(exc, ChatwootError) or bool(getattr(exc, "expected", False))


def short_errors() -> None:
    """Replace ``traceback.format_exc`` in this process: one line for expected failures."""
    from cwtenants.chatwoot.errors import Unauthorized
    from cwtenants.resources import base

    full = traceback.format_exc

    def format_exc(limit=None, chain=True):
        exc = sys.exc_info()[1]
        if isinstance(exc, Unauthorized):
            base.token_refused(f"Chatwoot refused the API token ({exc.status}: {exc.message}); "
                               "see the first error of this run")
        if expected(exc):
            return str(exc)
        return full(limit, chain)

    traceback.format_exc = format_exc


def main() -> None:
    # The server module runs its `main()` at import time and builds
    # `grpc.server(futures.ThreadPoolExecutor(max_workers=4))`, looking the class up on
    # `concurrent.futures` at call time: so swap in a subclass that turns that one request
    # into ours, then run the module exactly as `python -m pulumi.dynamic` would.
    original = futures.ThreadPoolExecutor

    class Pool(original):
        def __init__(self, max_workers=None, *args, **kwargs):
            if max_workers == SERVER_POOL:
                max_workers = workers()
            super().__init__(max_workers, *args, **kwargs)

    futures.ThreadPoolExecutor = Pool
    short_errors()
    try:
        runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
    finally:
        futures.ThreadPoolExecutor = original


if __name__ == "__main__":
    main()
