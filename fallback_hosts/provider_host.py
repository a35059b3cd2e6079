"""The fallback dynamic-provider process: ``pulumi.dynamic`` with more gRPC worker threads.

Pulumi's Python dynamic-provider server (``python -m pulumi.dynamic``) serves every dynamic
resource of a deployment from one process with a fixed pool of 4 gRPC worker threads,
so at most 4 Chatwoot calls are in flight whatever ``pulumi up --parallel`` says. Our providers are stateless and thread-safe (one pooled httpx client, a
locked list cache, a process-wide request budget), so this entry point runs the very same
server with ``CWT_PROVIDER_WORKERS`` threads (default 8 = the engine's default parallelism on
2 cores). The benchmark measured a first up at 50 ms latency about 2x faster (docs/benchmarks.md).

``scripts/build-pulumi.sh`` installs the ``pulumi-resource-pulumi-python`` launcher that runs
this module instead of ``-m pulumi.dynamic`` when it installs the fallback language host (the
official CLI bundles the SDK's own launcher). Like the language host, it exits with the CLI that
started it (``lifeline``), and the CLI's SIGINT at shutdown ends it without a traceback.
"""

from __future__ import annotations

import os
import runpy
from concurrent import futures

from fallback_hosts import lifeline


def workers() -> int:
    try:
        return max(1, int(os.environ.get("CWT_PROVIDER_WORKERS", "8")))
    except ValueError:
        return 8


# The pool size that pulumi.dynamic's server hard-codes (pulumi/dynamic/__main__.py).
SERVER_POOL = 4


def main() -> None:
    lifeline.watch_parent()
    lifeline.quiet_sigint()
    run_server()


def run_server() -> None:
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
    try:
        runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
    finally:
        futures.ThreadPoolExecutor = original


if __name__ == "__main__":
    main()
