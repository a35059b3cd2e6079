"""The dynamic-provider entry point runs pulumi.dynamic's own server with our pool size."""

import pytest

from fallback_hosts import provider_host


class Captured(Exception):
    pass


def test_server_gets_a_pool_of_cwt_provider_workers(monkeypatch):
    import grpc

    seen = {}

    def fake_grpc_server(executor, **kwargs):
        seen["workers"] = executor._max_workers
        executor.shutdown(wait=False)
        raise Captured()

    monkeypatch.setattr(grpc, "server", fake_grpc_server)
    monkeypatch.setenv("CWT_PROVIDER_WORKERS", "12")
    with pytest.raises(Captured):
        provider_host.run_server()
    assert seen["workers"] == 12  # not the server's hard-coded 4
    from concurrent import futures

    assert futures.ThreadPoolExecutor.__name__ == "ThreadPoolExecutor"  # restored afterwards


def test_default_and_bad_values(monkeypatch):
    monkeypatch.delenv("CWT_PROVIDER_WORKERS", raising=False)
    assert provider_host.workers() == 8
    monkeypatch.setenv("CWT_PROVIDER_WORKERS", "zero")
    assert provider_host.workers() == 8
    monkeypatch.setenv("CWT_PROVIDER_WORKERS", "0")
    assert provider_host.workers() == 1
