"""Benchmark: N providers in one stack, against the Pulumi floor and a naive script.

    python bench/run.py --n 10 100 1000 --latency-ms 0 50 --out docs/benchmarks.json

For every (N, latency) it generates N synthetic providers (deterministic names; every 4th has
one agent and every 4th (offset 2) has two, from a shared pool), starts one emulator per
latency (``POST /__emulator__/reset`` between runs) and measures, side by side:

1. the Pulumi floor: the smoke program with as many ``Noop`` dynamic resources as the real
   program registers (5 per provider + one per unique agent): first up, no-op up, no-op preview;
2. this project: first ``pulumi up``, no-op ``pulumi up``, no-op ``pulumi preview``,
   ``pulumi preview --refresh`` and ``cwtenants drift``;
3. the naive baseline ``bench/naive.py`` on a freshly reset emulator.

Each step records wall time, HTTP requests by method and ``peak_60s`` (emulator stats, reset
before the step), and peak RSS of the process tree (psutil sampling every 100 ms). ``up`` runs
``--yes --skip-preview`` (the CI form; the preview cost is measured on its own), no-op steps run
with ``--expect-no-changes``. The benchmark fails (exit 1) if any step's ``peak_60s`` is above
the client-side budget, or a no-op step wrote anything.

Bench-only switches: ``--provider-workers N`` widens the dynamic-provider gRPC pool (Pulumi's
Python provider server has 4 worker threads; via ``bench/provider_shim.py``), ``--profile`` saves cProfile data of the provider process
and the program next to the logs. Neither changes the project.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "infra"))
sys.path.insert(0, str(ROOT / "emulator"))
sys.path.insert(0, str(ROOT / "tests"))

from chatwoot_emulator.testing import EmulatorProcess  # noqa: E402
from cwtenants.catalog import load_catalog, scaffold_provider  # noqa: E402
from cwtenants.chatwoot.settings import DEFAULT_REQUESTS_PER_MINUTE  # noqa: E402

VENV_PY = ROOT / ".venv" / "bin" / "python"
SHIM = ROOT / "bench" / "python-shim.sh"
SMOKE = ROOT / "tests" / "e2e" / "programs" / "smoke"
PASSPHRASE = "bench-passphrase"


# --------------------------------------------------------------------------------------------
# Synthetic catalog


def agent_pool(n: int) -> int:
    return max(2, n // 10)


def write_providers(folder: Path, n: int) -> int:
    """N provider files + _defaults.yaml; returns the number of unique agents."""
    folder.mkdir(parents=True, exist_ok=True)
    defaults = yaml.safe_load((ROOT / "providers" / "_defaults.yaml").read_text())
    defaults.get("portal", {}).pop("categories", None)  # Help Center content: bench/knowledge_base.py
    (folder / "_defaults.yaml").write_text(yaml.safe_dump(defaults, sort_keys=False))
    pool = agent_pool(n)
    used = set()
    for i in range(n):
        doc = yaml.safe_load(scaffold_provider(f"Bench Provider {i:04d}"))
        k = i % 4
        count = 1 if k == 1 else 2 if k == 2 else 0
        agents = []
        for j in range(count):
            a = (i + j) % pool
            used.add(a)
            agents.append({"email": f"bench-agent-{a:04d}@bench.example", "name": f"Bench Agent {a:04d}",
                           "role": "agent", "shared": True})  # listed by several providers on purpose
        if agents:
            doc["agents"] = agents
        (folder / f"{doc['slug']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return len(used)


# --------------------------------------------------------------------------------------------
# Processes: run one command, sample the RSS of its process tree


def tree_rss(proc: psutil.Process, cpu_by_pid: dict | None = None, rss_by_role: dict | None = None) -> int:
    """RSS of ``proc`` and its descendants; with ``cpu_by_pid``, also records each one's role and
    CPU seconds so far (the last sample of a process is its CPU, to within one sampling period),
    and with ``rss_by_role`` the RSS of each role in this sample."""
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            rss = p.memory_info().rss
            total += rss
            if cpu_by_pid is not None:
                t = p.cpu_times()
                key = (p.pid, p.create_time())
                # the command line is read every time: right after fork it is still the parent's
                cmdline = p.cmdline()
                role = process_role(cmdline) if cmdline else cpu_by_pid.get(key, ("other",))[0]
                cpu_by_pid[key] = (role, t.user + t.system)
                if rss_by_role is not None:
                    rss_by_role[role] = rss_by_role.get(role, 0) + rss
        except psutil.Error:
            pass
    return total


def process_role(cmdline: list[str]) -> str:
    """Which part of a pulumi run a process is: the CLI/engine, the language host, the program,
    the dynamic-provider process, or another CLI call (the program's ``pulumi stack output``)."""
    text = " ".join(cmdline)
    if "program_runner" in text or "pulumi-language-python-exec" in text:
        return "program"
    if "provider_shim" in text or "provider_host" in text or "pulumi.dynamic" in text:
        return "provider"
    if "language_host" in text or "pulumi-language-python" in text:
        return "language_host"
    exe = Path(cmdline[0]).name if cmdline else ""
    if exe == "pulumi":
        args = [a for a in cmdline[1:] if not a.startswith("-")]
        return "engine" if args[:1] in (["preview"], ["up"], ["refresh"], ["destroy"]) else "cli_" + "_".join(args[:2])
    return "other:" + exe


def child_cpu() -> float:
    """CPU seconds (user + system) of every descendant this process has waited for."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_measured(cmd: list[str], cwd: Path, env: dict, log: Path, timeout: float = 3600) -> dict:
    # CPU seconds of the whole process tree (every descendant that was waited for: pulumi CLI,
    # language host, program, provider process): far less sensitive to a loaded machine than wall time.
    cpu0 = child_cpu()
    t0 = time.perf_counter()
    by_pid: dict = {}
    with open(log, "wb") as out:
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        ps = psutil.Process(p.pid)
        peak = 0
        peak_roles: dict = {}
        while p.poll() is None:
            roles_now: dict = {}
            now = tree_rss(ps, by_pid, roles_now)
            if now > peak:
                peak, peak_roles = now, roles_now
            if time.perf_counter() - t0 > timeout:
                p.kill()
            time.sleep(0.1)
    wall = time.perf_counter() - t0
    cpu = child_cpu() - cpu0
    roles: dict[str, float] = {}
    for role, seconds in by_pid.values():
        roles[role] = round(roles.get(role, 0.0) + seconds, 2)
    return {"wall_s": round(wall, 2), "rc": p.returncode, "peak_rss_mb": round(peak / 2**20, 1),
            "cpu_s": round(cpu, 2), "cpu_by_role_s": roles,
            "peak_rss_by_role_mb": {k: round(v / 2**20, 1) for k, v in peak_roles.items()}, "log": str(log)}


class Stack:
    """A pulumi project folder with its own file backend, PULUMI_HOME and stack."""

    def __init__(self, work: Path, name: str, source_main: Path | None, env_extra: dict, shim_env: dict):
        self.dir = work / name
        self.dir.mkdir(parents=True)
        self.logs = work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.name = name
        self.env = dict(os.environ)
        bin_dir = subprocess.run(["bash", str(ROOT / "scripts" / "build-pulumi.sh"), "--print-bin"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        self.env.update(
            PATH=f"{VENV_PY.parent}:{bin_dir}:{self.env.get('PATH', '')}",
            PULUMI_HOME=str(work / f"{name}-home"),
            PULUMI_BACKEND_URL=f"file://{work / f'{name}-backend'}",
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_PYTHON_CMD=str(SHIM),
            PULUMI_STACK="bench",
            NO_COLOR="1",
            **env_extra,
            **shim_env,
        )
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        if "PULUMI_SKIP_CHECKPOINTS" not in shim_env:  # --skip-checkpoints decides, not the calling shell
            self.env.pop("PULUMI_SKIP_CHECKPOINTS", None)
        (work / f"{name}-backend").mkdir()
        (work / f"{name}-home").mkdir()
        if source_main is None:  # the project: Pulumi.yaml + infra/ link
            # without the runtime options, so that the program and provider run PULUMI_PYTHON_CMD (the shim)
            project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
            project["runtime"] = "python"
            (self.dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
            (self.dir / "infra").symlink_to(ROOT / "infra")
        else:
            for f in source_main.iterdir():
                shutil.copy(f, self.dir / f.name)
        self.pulumi("stack", "init", "bench")

    def pulumi(self, *args: str) -> None:
        subprocess.run(["pulumi", *args, "--non-interactive"], cwd=self.dir, env=self.env, check=True,
                       capture_output=True)

    engine_profile = False

    def measure(self, label: str, *args: str, env: dict | None = None) -> dict:
        cmd = ["pulumi", *args, "--non-interactive", "--stack", "bench"]
        if self.engine_profile:
            cmd += ["--profiling", str(self.logs / f"{self.name}-{label}")]
        e = {**self.env, **(env or {}), "CWT_BENCH_PROVIDER_STATS": str(self.logs / f"{self.name}-{label}.provider.json")}
        if e.get("CWT_BENCH_PROFILE") == "1":
            e["CWT_BENCH_PROGRAM_PROFILE"] = str(self.logs / f"{self.name}-{label}.program")
        r = run_measured(cmd, self.dir, e, self.logs / f"{self.name}-{label}.log")
        stats_file = Path(e["CWT_BENCH_PROVIDER_STATS"])
        if stats_file.exists():
            r["provider_calls"] = json.loads(stats_file.read_text())
        return r


# --------------------------------------------------------------------------------------------
# One (N, latency) cell


def http_part(stats: dict) -> dict:
    by = stats.get("by_method", {})
    return {"requests": stats.get("total", sum(by.values())), "by_method": by,
            "writes": sum(v for k, v in by.items() if k != "GET"), "peak_60s": stats.get("peak_60s", 0),
            "by_route": stats.get("by_route", {})}


def refresh_reads(by_route: dict) -> dict:
    """A refresh's GETs split into account-wide list calls and per-object reads (memberships)."""
    out = {"list": 0, "members": 0, "other": 0}
    for route, count in by_route.items():
        method, _, path = route.partition(" ")
        if method != "GET":
            continue
        last = path.rstrip("/").split("/")[-1]
        kind = "members" if "member" in path else "other" if (last.startswith(("{", "<", ":")) or last.isdigit()) else "list"
        out[kind] += count
    return out


def run_cell(work: Path, emu: EmulatorProcess, n: int, latency: int, budget: int, args) -> dict:
    Stack.engine_profile = args.engine_profile
    cell = work / f"n{n}-l{latency}"
    cell.mkdir()
    providers = cell / "providers"
    agents = write_providers(providers, n)
    catalog = load_catalog(providers)
    assert len(catalog.providers) == n
    staff = {s.email for s in catalog.staff} - {a.email.lower() for p in catalog.providers for a in p.agents}
    agents += len(staff)  # staff of _defaults.yaml: one Agent resource each
    dyn = 5 * n + agents  # portal, team, inbox, team members, inbox members + one per agent
    print(f"\n== N={n} latency={latency} ms: {dyn} dynamic resources ({agents} agents)", flush=True)
    shim_env = {}
    if args.skip_checkpoints:
        shim_env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    if args.parallel:
        shim_env["PULUMI_PARALLEL"] = str(args.parallel)
    if args.provider_workers:
        shim_env["CWT_BENCH_PROVIDER_WORKERS"] = str(args.provider_workers)
    if args.profile:
        shim_env["CWT_BENCH_PROFILE"] = "1"
        shim_env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "bench" / "profiling"), *filter(None, [os.environ.get("PYTHONPATH")])])
    tokens = emu.tokens
    chatwoot = {"CHATWOOT_URL": emu.url, "CHATWOOT_ACCOUNT_ID": str(tokens["account_id"]),
                "CHATWOOT_API_TOKEN": tokens["admin_token"], "CWT_REQUESTS_PER_MINUTE": str(budget),
                "CWT_PROVIDERS_DIR": str(providers)}
    res: dict = {"n": n, "latency_ms": latency, "dynamic_resources": dyn, "agents": agents, "budget_rpm": budget,
                 "load_avg_1m_at_start": round(os.getloadavg()[0], 1)}

    def step(label, fn):
        emu.control("POST", "stats/reset")
        r = fn()
        r.update(http_part(emu.control("GET", "stats")))
        ok = r.get("rc", 0) in (0,) or (label == "drift" and r.get("rc") == 0)
        print(f"  {label:<22} {r['wall_s']:>8.1f} s  {r['requests']:>6} req  (writes {r['writes']}, "
              f"peak60 {r['peak_60s']})  rss {r.get('peak_rss_mb', '-')} MB  rc={r.get('rc')}"
              + ("" if ok else "  <-- FAILED"), flush=True)
        if r.get("cpu_by_role_s"):
            print(f"  {'':<22} CPU {r['cpu_s']:.1f} s: " + ", ".join(
                f"{k} {v:.1f}" for k, v in sorted(r["cpu_by_role_s"].items(), key=lambda kv: -kv[1]))
                + "; peak RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(
                    r.get("peak_rss_by_role_mb", {}).items(), key=lambda kv: -kv[1])), flush=True)
        return r

    # 1. the floor
    floor = Stack(cell, "floor", SMOKE, {}, shim_env)
    floor.pulumi("config", "set", "count", str(dyn))
    res["floor"] = {
        "up": step("floor up", lambda: floor.measure("up", "up", "--yes", "--skip-preview")),
        "noop_up": step("floor no-op up", lambda: floor.measure("noop-up", "up", "--yes", "--skip-preview",
                                                               "--expect-no-changes")),
    }

    # 2. the project
    emu.control("POST", "reset")
    proj = Stack(cell, "project", None, chatwoot, shim_env)
    p: dict = {}
    p["up"] = step("project up", lambda: proj.measure("up", "up", "--yes", "--skip-preview"))
    p["noop_up"] = step("project no-op up", lambda: proj.measure("noop-up", "up", "--yes", "--skip-preview",
                                                                 "--expect-no-changes"))
    # No-op previews, floor and project interleaved `--repeat` times (the machine is shared:
    # interleaving exposes both to the same background load); the minimum is reported.
    fp, pp = [], []
    for k in range(args.repeat):
        fp.append(step(f"floor no-op preview #{k + 1}", lambda: floor.measure(f"preview{k}", "preview",
                                                                             "--expect-no-changes")))
        pp.append(step(f"project no-op preview #{k + 1}", lambda: proj.measure(f"preview{k}", "preview",
                                                                               "--expect-no-changes")))
    def best(runs):  # the fastest successful run (a failed run is kept in all_* but never "best")
        ok = [r for r in runs if r.get("rc") == 0] or runs
        return dict(min(ok, key=lambda r: r["wall_s"]), all_wall_s=[r["wall_s"] for r in runs],
                    all_rc=[r.get("rc") for r in runs])

    res["floor"]["preview"] = best(fp)
    p["preview"] = dict(best(pp), writes=max(r["writes"] for r in pp), requests=max(r["requests"] for r in pp))
    p["preview_refresh"] = step("project preview --refresh", lambda: proj.measure(
        "preview-refresh", "preview", "--refresh", "--expect-no-changes"))
    cli = VENV_PY.parent / "cwtenants"
    has_drift = cli.exists() and subprocess.run([str(cli), "drift", "--help"], capture_output=True).returncode == 0
    if has_drift:
        env = {**os.environ, **chatwoot}
        p["drift"] = step("cwtenants drift", lambda: run_measured(
            [str(cli), "drift", "-d", str(providers), "--json", "-q"], cell, env, cell / "logs" / "drift.log"))
        try:
            body = json.loads(Path(p["drift"]["log"]).read_text())
            p["drift"]["reported_drift"] = bool(body.get("drift"))
        except (ValueError, OSError):
            pass
    else:
        p["drift"] = "n/a"
    res["project"] = p

    # 3. the naive script, on an emulator without the project's objects
    emu.control("POST", "reset")
    env = {**os.environ, **chatwoot}
    naive_out = cell / "logs" / "naive.json"

    def naive():
        with open(naive_out, "wb") as f:
            t0 = time.perf_counter()
            rc = subprocess.run([str(VENV_PY), str(ROOT / "bench" / "naive.py"), "--providers-dir", str(providers)],
                                env=env, stdout=f, stderr=subprocess.STDOUT).returncode
            wall = time.perf_counter() - t0
        r = {"wall_s": round(wall, 2), "rc": rc}
        try:
            r.update({k: v for k, v in json.loads(naive_out.read_text().splitlines()[-1]).items()
                      if k in ("throttled_429", "created")})
        except (ValueError, IndexError):
            pass
        return r

    if args.skip_naive:  # issue-18 runs: previews and refresh only need the floor and the project
        res["naive"] = {"wall_s": None, "rc": None, "requests": None, "skipped": True}
    else:
        res["naive"] = step("naive script", naive)
    emu.control("POST", "reset")

    fl, pr = res["floor"], res["project"]
    res["ratios"] = {
        "up_vs_floor": round(pr["up"]["wall_s"] / fl["up"]["wall_s"], 2),
        "noop_up_vs_floor": round(pr["noop_up"]["wall_s"] / fl["noop_up"]["wall_s"], 2),
        "preview_vs_floor": round(pr["preview"]["wall_s"] / fl["preview"]["wall_s"], 2),
        # the same previews' CPU (min over the runs) of the whole process tree
        "preview_cpu_vs_floor": round(min(r["cpu_s"] for r in pp) / max(0.01, min(r["cpu_s"] for r in fp)), 2),
        "naive_vs_up": (round(res["naive"]["wall_s"] / pr["up"]["wall_s"], 2)
                        if res["naive"]["wall_s"] is not None else None),
        # issue 18: Chatwoot objects behind the dynamic resources = the resources themselves
        "refresh_requests_per_object": round(pr["preview_refresh"]["requests"] / dyn, 3),
        "preview_rss_vs_floor": round(pr["preview"]["peak_rss_mb"] / fl["preview"]["peak_rss_mb"], 2),
        "up_rss_vs_floor": round(pr["up"]["peak_rss_mb"] / fl["up"]["peak_rss_mb"], 2),
    }
    res["refresh_reads"] = reads = refresh_reads(pr["preview_refresh"].get("by_route", {}))
    # the objects Chatwoot can list account-wide: inboxes, teams, portals (3 per provider) and agents;
    # memberships have no account-wide endpoint (one read per team and per inbox)
    listable = 3 * n + agents
    res["ratios"]["refresh_list_requests_per_listable_object"] = round(reads["list"] / listable, 4)
    res["ratios"]["refresh_requests_per_object_memberships_excluded"] = round(
        (pr["preview_refresh"]["requests"] - reads["members"]) / listable, 4)
    res["preview_cpu_s"] = {"floor": min(r["cpu_s"] for r in fp), "project": min(r["cpu_s"] for r in pp)}
    problems = []
    for group in ("floor", "project"):
        for label, r in res[group].items():
            if not isinstance(r, dict):
                continue
            if r.get("rc") not in (0, None) and not (label == "drift" and r.get("rc") == 2):
                problems.append(f"{group} {label} exited {r.get('rc')} (log {r.get('log')})")
            if budget and group == "project" and r["peak_60s"] > budget:
                problems.append(f"project {label}: {r['peak_60s']} requests in 60 s > budget {budget}")
    for label in ("noop_up", "preview", "preview_refresh"):
        if pr[label]["writes"]:
            problems.append(f"project {label} made {pr[label]['writes']} write calls")
    res["problems"] = problems
    for r in [*fl.values(), *[v for v in pr.values() if isinstance(v, dict)], res["naive"]]:
        r.pop("by_route", None) if not args.keep_routes else None
    return res


# --------------------------------------------------------------------------------------------
# Output


def versions() -> dict:
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
        except Exception:  # noqa: BLE001
            return "?"
    bin_dir = out(["bash", str(ROOT / "scripts" / "build-pulumi.sh"), "--print-bin"])
    py = out([str(VENV_PY), "-c", "import sys, grpc, httpx, dill;from importlib.metadata import version as v;"
              "print(sys.version.split()[0], v('pulumi'), grpc.__version__, httpx.__version__, dill.__version__)"]).split()
    return {"pulumi_cli": out([f"{bin_dir}/pulumi", "version"]), "python": py[0] if py else "?",
            "pulumi_sdk": py[1] if len(py) > 1 else "?", "grpcio": py[2] if len(py) > 2 else "?",
            "httpx": py[3] if len(py) > 3 else "?", "dill": py[4] if len(py) > 4 else "?",
            "git": out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])}


def machine() -> dict:
    return {"nproc": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform(), "cpu": platform.processor() or platform.machine(),
            "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]}


def fmt_row(r: dict) -> list[str]:
    fl, pr, nv, ra = r["floor"], r["project"], r["naive"], r["ratios"]
    drift = pr["drift"]
    d = "n/a" if not isinstance(drift, dict) else f"{drift['wall_s']:.1f}s/{drift['requests']}"
    return [str(r["n"]), str(r["latency_ms"]), str(r["dynamic_resources"]),
            f"{fl['up']['wall_s']:.1f}", f"{fl['preview']['wall_s']:.1f}",
            f"{pr['up']['wall_s']:.1f}/{pr['up']['requests']}", f"{pr['noop_up']['wall_s']:.1f}/{pr['noop_up']['writes']}w",
            f"{pr['preview']['wall_s']:.1f}/{pr['preview']['writes']}w", f"{pr['preview_refresh']['wall_s']:.1f}/{pr['preview_refresh']['requests']}",
            d, "skipped" if nv.get("skipped") else f"{nv['wall_s']:.1f}/{nv['requests']}", f"{pr['up']['peak_60s']}",
            f"{pr['up']['peak_rss_mb']:.0f}", f"{fl['up']['peak_rss_mb']:.0f}",
            f"{ra['preview_vs_floor']}", f"{ra['up_vs_floor']}", f"{ra['naive_vs_up'] or '-'}",
            str(ra.get("preview_cpu_vs_floor", "-")),
            str(ra.get("refresh_requests_per_object", "-")), str(ra.get("preview_rss_vs_floor", "-")),
            str(r.get("load_avg_1m_at_start", "-"))]


HEADER = ["N", "lat ms", "dyn res", "floor up s", "floor preview s", "up s/req", "no-op up s/writes",
          "preview s/writes", "preview --refresh s/req", "drift s/req", "naive s/req", "up peak 60s",
          "up RSS MB", "floor RSS MB", "preview ÷ floor", "up ÷ floor", "naive ÷ up",
          "preview CPU ÷ floor", "refresh req ÷ objects", "preview RSS ÷ floor", "load 1m at start"]


def table(results: list[dict]) -> str:
    rows = [HEADER, ["---"] * len(HEADER), *[fmt_row(r) for r in results]]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


PREVIEW_HEADER = ["N", "dyn res", "floor preview s / CPU s / MB", "project preview s / CPU s / MB",
                  "wall ÷ floor", "CPU ÷ floor", "RSS ÷ floor", "refresh req (lists + member reads)",
                  "refresh req ÷ objects", "list req ÷ listable objects", "load 1m at start"]


def preview_row(r: dict) -> list[str]:
    """Issue 18 side by side: the no-op preview against the floor, refresh requests per object."""
    fl, pr, ra = r["floor"]["preview"], r["project"]["preview"], r["ratios"]
    cpu = r.get("preview_cpu_s") or {"floor": fl["cpu_s"], "project": pr["cpu_s"]}
    reads = r.get("refresh_reads") or {}
    return [str(r["n"]), str(r["dynamic_resources"]),
            f"{fl['wall_s']:.1f} / {cpu['floor']:.1f} / {fl['peak_rss_mb']:.0f}",
            f"{pr['wall_s']:.1f} / {cpu['project']:.1f} / {pr['peak_rss_mb']:.0f}",
            f"{ra['preview_vs_floor']}", f"{ra['preview_cpu_vs_floor']}", f"{ra['preview_rss_vs_floor']}",
            f"{r['project']['preview_refresh']['requests']} ({reads.get('list', '?')} + {reads.get('members', '?')})",
            str(ra["refresh_requests_per_object"]), str(ra.get("refresh_list_requests_per_listable_object", "-")),
            str(r.get("load_avg_1m_at_start", "-"))]


def growth(results: list[dict]) -> list[str]:
    """Growth of the no-op preview from one N to the next (same latency): project vs floor.
    The project grows no worse than the floor exactly when its ratio to the floor does not rise."""
    lines = []
    for lat in sorted({r["latency_ms"] for r in results}):
        rs = sorted((r for r in results if r["latency_ms"] == lat), key=lambda r: r["n"])
        for a, b in zip(rs, rs[1:]):
            parts = []
            for what, get in (("wall", lambda r, g: r[g]["preview"]["wall_s"]),
                              ("CPU", lambda r, g: (r.get("preview_cpu_s") or {}).get(g, r[g]["preview"]["cpu_s"]))):
                fg = get(b, "floor") / max(0.01, get(a, "floor"))
                pg = get(b, "project") / max(0.01, get(a, "project"))
                parts.append(f"{what}: project ×{pg:.2f}, floor ×{fg:.2f}")
            lines.append(f"N={a['n']}→{b['n']} ({lat} ms): " + "; ".join(parts))
    return lines


def preview_table(results: list[dict]) -> str:
    rows = [PREVIEW_HEADER, ["---"] * len(PREVIEW_HEADER), *[preview_row(r) for r in results]]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def targets(results: list[dict]) -> list[tuple[str, bool | None, str]]:
    """(target, met?, evidence) for the issue's targets, from the measured cells."""
    out = []

    def cells(pred=lambda r: True):
        return [r for r in results if pred(r)]

    rs = cells()
    if rs:
        # issue 18: at the largest N measured (a fixed start-up cost weighs more at small N)
        top = max(r["n"] for r in rs)
        big = [r for r in rs if r["n"] == top]
        out.append((f"no-op preview ≤ 1.3× the floor at N={top} (wall and CPU)",
                    all(r["ratios"]["preview_vs_floor"] <= 1.3 and r["ratios"]["preview_cpu_vs_floor"] <= 1.3
                        for r in big),
                    ", ".join(f"N={r['n']}/{r['latency_ms']}ms: wall {r['ratios']['preview_vs_floor']}×, "
                              f"CPU {r['ratios']['preview_cpu_vs_floor']}×" for r in rs)))
        steps = []
        for lat in sorted({r["latency_ms"] for r in rs}):
            cs = sorted((r for r in rs if r["latency_ms"] == lat), key=lambda r: r["n"])
            steps += [(a, b) for a, b in zip(cs, cs[1:])]
        if steps:
            # project growth ≤ floor growth ⟺ the CPU ratio to the floor does not rise (5 % noise allowed)
            out.append(("no-op preview grows with N no worse than the floor (CPU)",
                        all(b["ratios"]["preview_cpu_vs_floor"] <= a["ratios"]["preview_cpu_vs_floor"] * 1.05
                            for a, b in steps),
                        "; ".join(growth(rs))))
        out.append((f"`preview --refresh` ≤ 0.1 requests per object at N={top}", all(
            r["ratios"]["refresh_requests_per_object"] <= 0.1 for r in big),
            ", ".join(f"N={r['n']}: all resources {r['ratios']['refresh_requests_per_object']}, listable kinds "
                      f"{r['ratios'].get('refresh_list_requests_per_listable_object', '?')} "
                      f"({(r.get('refresh_reads') or {}).get('members', '?')} membership reads: no account-wide "
                      "membership endpoint)" for r in rs)))
        out.append((f"`preview --refresh` of listable kinds (inboxes, teams, portals, agents) ≤ 0.1 requests per "
                    f"object at N={top} (one list call per kind is the least there is)",
                    all(r["ratios"].get("refresh_requests_per_object_memberships_excluded", 1) <= 0.1 for r in big),
                    ", ".join(f"N={r['n']}: {r['ratios'].get('refresh_requests_per_object_memberships_excluded', '?')}"
                              for r in rs)))
        w = [(r["n"], r["latency_ms"], r["project"]["noop_up"]["writes"], r["project"]["preview"]["writes"]) for r in rs]
        out.append(("no-op up and preview make zero write calls", all(a == 0 and b == 0 for *_, a, b in w),
                    ", ".join(f"N={n}/{lat}ms: up {a}, preview {b}" for n, lat, a, b in w)))
        d = [(r["n"], r["project"]["drift"]) for r in rs]
        if any(not isinstance(x, dict) for _, x in d):
            out.append(("`drift` of 1000 providers in ≤ 10 HTTP requests", None, "n/a: `cwtenants drift` not available"))
        else:
            big = [x["requests"] for n, x in d if n >= 1000]
            out.append(("`drift` of 1000 providers in ≤ 10 HTTP requests",
                        (all(x <= 10 for x in big) if big else None),
                        ", ".join(f"N={n}: {x['requests']} requests" for n, x in d)
                        + ("" if big else " (N=1000 not measured)")))
        slow = cells(lambda r: r["latency_ms"] >= 50 and not r["naive"].get("skipped"))
        out.append(("first up at 50 ms ≥ 5× faster than the naive script",
                    (all(r["ratios"]["naive_vs_up"] >= 5 for r in slow) if slow else None),
                    ", ".join(f"N={r['n']}: naive {r['naive']['wall_s']} s ÷ up {r['project']['up']['wall_s']} s = "
                              f"{r['ratios']['naive_vs_up']}×" for r in slow) or "no 50 ms cell"))
        peaks = [(r["n"], r["latency_ms"], max(v["peak_60s"] for v in r["project"].values() if isinstance(v, dict)),
                  r["budget_rpm"]) for r in rs]
        out.append(("never a burst past the configured request budget",
                    all(p <= b for _, _, p, b in peaks if b),
                    ", ".join(f"N={n}/{lat}ms: peak {p}/{b}" for n, lat, p, b in peaks)))
    return out


BEGIN, END = "<!-- bench:begin (generated by bench/run.py --md) -->", "<!-- bench:end -->"


def markdown(doc: dict) -> str:
    m, v = doc["machine"], doc["versions"]
    lines = [BEGIN, "",
             f"Run {doc['date']} (`{doc['command']}`, {doc['total_wall_s'] / 60:.1f} min) on {m['nproc']} cores, "
             f"{m['memory_gib']} GiB, {m['platform']}; load average at the end {m['load_avg_at_end']}.",
             f"Pulumi CLI {v['pulumi_cli']}, SDK {v['pulumi_sdk']}, Python {v['python']}, grpcio {v['grpcio']}, "
             f"httpx {v['httpx']}, dill {v['dill']}; git {v['git']}. Settings: {json.dumps(doc['settings'])}.",
             "", table(doc["results"]), "",
             "Columns: seconds of wall time; `s/req` = seconds / HTTP requests seen by the emulator; `w` = write "
             "requests; RSS = peak resident memory of the whole process tree (pulumi CLI, language host, program, "
             "provider process).", "", "No-op preview against the floor (wall / CPU seconds of the whole process tree / "
             "peak RSS), `preview --refresh` requests:", "", preview_table(doc["results"]), "",
             *[f"- growth {line}" for line in growth(doc["results"])], "",
             "| target | met? | measured |", "| --- | --- | --- |"]
    for name, met, evidence in targets(doc["results"]):
        lines.append(f"| {name} | {'n/a' if met is None else 'met' if met else '**missed**'} | {evidence} |")
    if doc["skipped"]:
        lines += ["", f"Skipped cells: {', '.join(doc['skipped'])}."]
    lines += ["", END]
    return "\n".join(lines)


def write_markdown(path: Path, doc: dict) -> None:
    block = markdown(doc)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description="cwtenants scale benchmark (see module docstring)")
    ap.add_argument("--n", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--latency-ms", type=int, nargs="+", default=[0, 50])
    ap.add_argument("--out", type=Path, default=None, help="JSON results (e.g. docs/benchmarks.json)")
    ap.add_argument("--md", type=Path, default=None,
                    help="markdown file whose generated block (table + targets) is replaced, e.g. docs/benchmarks.md")
    ap.add_argument("--budget", type=int, default=DEFAULT_REQUESTS_PER_MINUTE,
                    help="CWT_REQUESTS_PER_MINUTE for the project (default: the client's default)")
    ap.add_argument("--emulator-rate-limit", type=int, default=3000)
    ap.add_argument("--provider-workers", type=int, default=0, help="bench-only: widen the provider gRPC pool")
    ap.add_argument("--repeat", type=int, default=2, help="no-op previews per stack (interleaved; min reported)")
    ap.add_argument("--skip-checkpoints", action="store_true",
                    help="PULUMI_SKIP_CHECKPOINTS=true for floor and project (state written once, at the end)")
    ap.add_argument("--parallel", type=int, default=0, help="PULUMI_PARALLEL for floor and project")
    ap.add_argument("--engine-profile", action="store_true",
                    help="pass --profiling to every pulumi command (Go CPU/heap profiles of the CLI/engine)")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the provider process (<step>.provider.json.prof) and the program (<step>.program.<pid>.prof)")
    ap.add_argument("--skip", nargs="*", default=[], help="cells to skip, as N:latency (e.g. 1000:50)")
    ap.add_argument("--keep-routes", action="store_true", help="keep per-route request counts in the JSON")
    ap.add_argument("--skip-naive", action="store_true", help="do not run the naive script (its column says skipped)")
    ap.add_argument("--work", type=Path, default=None, help="work folder (default: a new temp folder, kept)")
    ap.add_argument("--render", type=Path, default=None,
                    help="only re-render --md (and print targets) from an existing results JSON")
    args = ap.parse_args()

    if args.render:
        doc = json.loads(args.render.read_text())
        print(table(doc["results"]))
        print(preview_table(doc["results"]))
        for line in growth(doc["results"]):
            print("growth " + line)
        if args.md:
            write_markdown(args.md, doc)
            print(f"wrote {args.md}")
        for name, met, evidence in targets(doc["results"]):
            print(f"TARGET {'n/a ' if met is None else 'MET ' if met else 'MISS'} {name}: {evidence}")
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="cwt-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work folder: {work}", flush=True)
    started = dt.datetime.now(dt.timezone.utc)
    results = []
    t_all = time.perf_counter()
    for latency in args.latency_ms:
        with EmulatorProcess(work / f"emulator-l{latency}", latency_ms=latency, rate_limit=args.emulator_rate_limit,
                             delete_delay=0.5, log_level="warning") as emu:
            for n in args.n:
                if f"{n}:{latency}" in args.skip:
                    print(f"\n== N={n} latency={latency} ms: skipped (--skip)")
                    continue
                results.append(run_cell(work, emu, n, latency, args.budget, args))
    total = time.perf_counter() - t_all
    doc = {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
        "total_wall_s": round(total, 1),
        "machine": machine(),
        "versions": versions(),
        "settings": {"budget_rpm": args.budget, "emulator_rate_limit": args.emulator_rate_limit,
                     "provider_workers": args.provider_workers or 4,
                     "skip_checkpoints": args.skip_checkpoints, "parallel": args.parallel or "default",
                     "up_flags": "--yes --skip-preview"},
        "skipped": args.skip,
        "results": results,
    }
    print("\n" + table(results))
    print("\nNo-op preview vs the floor, refresh requests (issue 18):\n" + preview_table(results))
    for line in growth(results):
        print("growth " + line)
    print(f"\ntotal {total / 60:.1f} min; work folder {work}")
    problems = [p for r in results for p in r["problems"]]
    for p in problems:
        print(f"PROBLEM: {p}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {args.out}")
    if args.md:
        write_markdown(args.md, doc)
        print(f"wrote {args.md}")
    for name, met, evidence in targets(results):
        print(f"TARGET {'n/a ' if met is None else 'MET ' if met else 'MISS'} {name}: {evidence}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
