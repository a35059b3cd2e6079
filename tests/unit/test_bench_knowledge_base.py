"""bench/knowledge_base.py runs pulumi without per-step checkpoints (the file backend would otherwise
rewrite the whole state after every step, a cost growing with the square of the stack size)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_knowledge_base", ROOT / "bench" / "knowledge_base.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Stop(Exception):
    pass


class FakeEmulator:
    def __init__(self):
        self.calls = []

    def control(self, method, path):
        self.calls.append((method, path))
        return {}


def deployment_env(monkeypatch, tmp_path, **kwargs) -> dict:
    bench = load_bench()
    seen = {}

    def fake_make_deployment(tmp, emu, samples=True, name="e2e", extra_env=None):
        seen["extra_env"] = dict(extra_env or {})
        raise Stop  # nothing to deploy: only the environment the pulumi commands would get matters

    monkeypatch.setattr(bench, "make_deployment", fake_make_deployment)
    with pytest.raises(Stop):
        bench.measure(tmp_path, FakeEmulator(), 3, False, 1, **kwargs)
    return seen["extra_env"]


def test_pulumi_runs_without_checkpoints_by_default(monkeypatch, tmp_path):
    assert deployment_env(monkeypatch, tmp_path).get("PULUMI_SKIP_CHECKPOINTS") == "true"


def test_checkpoints_option_keeps_pulumi_default(monkeypatch, tmp_path):
    assert "PULUMI_SKIP_CHECKPOINTS" not in deployment_env(monkeypatch, tmp_path, checkpoints=True)
