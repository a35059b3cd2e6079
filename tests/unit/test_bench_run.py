"""bench/run.py's issue-18 bookkeeping: which process of a pulumi run spent the CPU, how refresh
requests split into list calls and membership reads, and the growth / ratio lines it prints."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def test_process_roles_of_a_pulumi_run():
    role = bench.process_role
    assert role(["/opt/pulumi/bin/pulumi", "preview", "--expect-no-changes", "--non-interactive"]) == "engine"
    assert role(["/opt/pulumi/bin/pulumi", "up", "--yes"]) == "engine"
    # the program's own read of the stack outputs is another CLI process, counted apart
    assert role(["/opt/pulumi/bin/pulumi", "stack", "output", "--json", "--non-interactive"]) == "cli_stack_output"
    assert role(["/p/.venv/bin/python", "-u", "/p/fallback_hosts/program_runner.py", "--monitor", "x"]) == "program"
    assert role(["/p/.venv/bin/python", "-u", "/p/bench/provider_shim.py", "1234"]) == "provider"
    assert role(["python", "-u", "-m", "pulumi.dynamic", "1234"]) == "provider"
    assert role(["python", "-u", "-c", "from fallback_hosts.language_host import main", "127.0.0.1:1"]) == "language_host"
    assert role(["/bin/sh", "shim.sh"]) == "other:sh"


def test_refresh_reads_split_list_calls_from_member_reads():
    routes = {"GET /api/v1/accounts/{account_id}/inboxes": 1, "GET /api/v1/accounts/{account_id}/teams": 1,
              "GET /api/v1/accounts/{account_id}/teams/{id}/team_members": 100,
              "GET /api/v1/accounts/{account_id}/inbox_members/{id}": 100,
              "GET /api/v1/accounts/{account_id}/inboxes/{id}": 2, "PATCH /api/v1/accounts/{account_id}/teams/{id}": 1}
    assert bench.refresh_reads(routes) == {"list": 2, "members": 200, "other": 2}


def cell(n, floor_cpu, project_cpu, floor_wall=10.0, project_wall=12.0):
    def step(wall, cpu):
        return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": 300.0}
    return {"n": n, "latency_ms": 0, "dynamic_resources": 5 * n, "load_avg_1m_at_start": 0.5,
            "floor": {"preview": step(floor_wall, floor_cpu)},
            "project": {"preview": step(project_wall, project_cpu),
                        "preview_refresh": {"requests": 4 + 2 * n}},
            "preview_cpu_s": {"floor": floor_cpu, "project": project_cpu},
            "refresh_reads": {"list": 4, "members": 2 * n, "other": 0},
            "ratios": {"preview_vs_floor": round(project_wall / floor_wall, 2),
                       "preview_cpu_vs_floor": round(project_cpu / floor_cpu, 2), "preview_rss_vs_floor": 1.0,
                       "refresh_requests_per_object": round((4 + 2 * n) / (5 * n), 3),
                       "refresh_list_requests_per_listable_object": round(4 / (3 * n), 4)}}


def test_growth_compares_the_project_with_the_floor_between_sizes():
    lines = bench.growth([cell(1000, 40.0, 52.0), cell(100, 5.0, 6.0)])  # any order in, by N out
    assert lines == ["N=100→1000 (0 ms): wall: project ×1.00, floor ×1.00; CPU: project ×8.67, floor ×8.00"]


def test_preview_row_shows_both_sides_and_the_refresh_split():
    row = bench.preview_row(cell(100, 5.0, 6.0))
    assert row[2] == "10.0 / 5.0 / 300" and row[3] == "12.0 / 6.0 / 300"
    assert row[5] == "1.2" and row[7] == "204 (4 + 200)"
