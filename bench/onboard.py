"""Benchmark: `cwtenants onboard` / `offboard` into a stack already holding N providers.

    python bench/onboard.py --n 1 100 1000 --latency-ms 50

For every N: a fresh emulator, N synthetic providers (bench/run.py's generator) applied with a
full `pulumi up` at 0 ms latency (set-up, not measured), then the emulator latency is set to
``--latency-ms`` and, side by side in the same run:

1. ``cwtenants onboard`` of a new provider (one agent): wall time from start until the command
   returns, i.e. until its inbox, team and portal exist (checked through the API afterwards);
2. the alternative that was not chosen: the same targeted ``pulumi up --target <urns>`` with the
   *whole* program declared (no ``CWT_ONLY_PROVIDERS``), for a second new provider;
3. ``cwtenants onboard`` again with the same record (re-delivery);
4. ``cwtenants offboard`` of the first provider (``offboarding: archive``).

Requests are counted on the emulator's stats (reset before each step). "Requests about other
providers" = requests of the step at N minus those of the same step at the smallest N, with the
per-route counts required to be identical (any request about another provider would add a route
or a count). Printed: wall times, CPU seconds of the command's process tree (``cwtenants`` +
``pulumi`` + language host + provider processes, from ``getrusage(RUSAGE_CHILDREN)``), ratios to
the smallest N, requests, load average.

``--work DIR --reuse``: the populated stack of each N (Pulumi backend, emulator database, provider
files) is copied to ``DIR/n<N>.populated`` after the set-up and restored from there by the next run
with the same ``--work`` (same paths and emulator port), so repeated runs at N=1000 skip the
set-up. ``--setup-only``: populate (and save) without measuring.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "infra"))
sys.path.insert(0, str(ROOT / "emulator"))

from run import PASSPHRASE, VENV_PY, child_cpu, write_providers  # noqa: E402

from chatwoot_emulator.testing import EmulatorProcess  # noqa: E402
from cwtenants.onboard import Stack as Target  # noqa: E402

CWTENANTS = VENV_PY.parent / "cwtenants"


def record(slug: str, name: str, offboarding: str = "archive") -> dict:
    return {"slug": slug, "name": name, "timezone": "Europe/Berlin", "locales": ["en"], "offboarding": offboarding,
            "contacts": [{"email": f"owner@{slug}.example", "name": f"{name} Owner", "role": "agent"}]}


class Cell:
    def __init__(self, work: Path, n: int, emu: EmulatorProcess, restored: bool = False):
        self.dir = work / f"n{n}"
        if not restored:
            self.dir.mkdir(parents=True)
            self.write(n)
        self.env_for(emu)
        if not restored:
            self.run(["pulumi", "stack", "init", "bench", "--non-interactive"])

    def write(self, n: int) -> None:
        (self.dir / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
        (self.dir / "infra").symlink_to(ROOT / "infra")
        (self.dir / ".venv").symlink_to(ROOT / ".venv")  # Pulumi.yaml's `virtualenv: .venv`
        self.providers = self.dir / "providers"
        self.agents = write_providers(self.providers, n)
        for f in self.providers.glob("bench-provider-*.yaml"):  # the generator shares people: say so
            doc = yaml.safe_load(f.read_text())
            if doc.get("agents"):
                doc["agents"] = [{**a, "shared": True} for a in doc["agents"]]
                f.write_text(yaml.safe_dump(doc, sort_keys=False))
        for d in ("backend", "home"):
            (self.dir / d).mkdir()

    def env_for(self, emu: EmulatorProcess) -> None:
        self.providers = self.dir / "providers"
        bin_dir = subprocess.run(["bash", str(ROOT / "scripts" / "build-pulumi.sh"), "--print-bin"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        tokens = emu.tokens
        self.env = {
            **os.environ,
            "PATH": f"{VENV_PY.parent}:{bin_dir}:{os.environ.get('PATH', '')}",
            "PULUMI_HOME": str(self.dir / "home"), "PULUMI_BACKEND_URL": f"file://{self.dir / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_PYTHON_CMD": str(VENV_PY), "PULUMI_STACK": "bench",
            "NO_COLOR": "1", "CHATWOOT_URL": emu.url, "CHATWOOT_ACCOUNT_ID": str(tokens["account_id"]),
            "CHATWOOT_API_TOKEN": tokens["admin_token"], "CWT_PROVIDERS_DIR": str(self.providers),
        }
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        self.emu = emu

    def run(self, cmd: list[str], input: str | None = None, env: dict | None = None) -> tuple[float, str]:
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=self.dir, env={**self.env, **(env or {})}, input=input, capture_output=True,
                           text=True)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:3])} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
        return wall, r.stdout + r.stderr

    def measured(self, label: str, cmd: list[str], **kw) -> dict:
        self.emu.control("POST", "stats/reset")
        cpu0 = child_cpu()
        started_at = time.time()  # the emulator stamps its last answered write with the same wall clock
        wall, _out = self.run(cmd, **kw)
        cpu = child_cpu() - cpu0
        stats = self.emu.control("GET", "stats")
        writes = sum(v for k, v in stats["by_method"].items() if k != "GET")
        # "live": from the command's start until the emulator answered its last write, i.e. until every
        # object of the step exists (the engine's tail — carrying the untouched resources over, saving
        # the state — comes after it). None for a step that writes nothing.
        live = None if stats.get("last_write_at") is None else stats["last_write_at"] - started_at
        live_txt = f"{live:7.2f} s live" if live is not None else "      - s live"
        print(f"    {label:<38} {live_txt} {wall:7.2f} s wall {cpu:7.2f} s CPU  {stats['total']:4d} requests "
              f"({writes} writes)", flush=True)
        return {"live_s": None if live is None else round(live, 2), "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2), "requests": stats["total"], "writes": writes, "by_route": stats["by_route"]}

    def exists(self, slug: str, name: str) -> list[int]:
        import httpx

        base = f"{self.emu.url}/api/v1/accounts/{self.emu.tokens['account_id']}"
        h = {"api_access_token": self.emu.tokens["admin_token"]}
        inboxes = httpx.get(f"{base}/inboxes", headers=h).json()["payload"]
        teams = httpx.get(f"{base}/teams", headers=h).json()
        portals = httpx.get(f"{base}/portals", headers=h).json()["payload"]
        return [sum(i["name"] == f"{name} Support" for i in inboxes),
                sum(t["name"] == f"{name} team".lower() for t in teams),
                sum(p["slug"].startswith(f"{slug}-") and not p.get("archived") for p in portals)]


SAVED = ("n{n}", "emulator-n{n}")  # what --reuse saves and restores, under --work


def restore(work: Path, n: int) -> int | None:
    """Restore the populated N from ``work/n<N>.populated``; its emulator port, or None."""
    saved = work / f"n{n}.populated"
    if not (saved / "port").is_file():
        return None
    for name in SAVED:
        shutil.rmtree(work / name.format(n=n), ignore_errors=True)
        shutil.copytree(saved / name.format(n=n), work / name.format(n=n), symlinks=True)
    return int((saved / "port").read_text())


def save(work: Path, n: int, port: int) -> None:
    saved = work / f"n{n}.populated"
    shutil.rmtree(saved, ignore_errors=True)
    saved.mkdir()
    for name in SAVED:
        shutil.copytree(work / name.format(n=n), saved / name.format(n=n), symlinks=True)
    (saved / "port").write_text(str(port))


def run_cell(work: Path, n: int, latency: int, emu_opts: dict, reuse: bool = False, setup_only: bool = False) -> dict:
    port = restore(work, n) if reuse else None
    with EmulatorProcess(work / f"emulator-n{n}", port=port, **emu_opts) as emu:
        cell = Cell(work, n, emu, restored=port is not None)
        if port is None:
            print(f"\n== N={n}: populating at 0 ms ...", flush=True)
            t0 = time.perf_counter()
            cell.run(["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"],
                     env={"PULUMI_SKIP_CHECKPOINTS": "true"})
            print(f"   populated in {time.perf_counter() - t0:.0f} s", flush=True)
            if reuse:
                emu.stop()
                save(work, n, emu.port)
                emu.start()
        else:
            print(f"\n== N={n}: restored the populated stack from {work / f'n{n}.populated'}", flush=True)
        if setup_only:
            return {"n": n}
        print(f"   latency now {latency} ms", flush=True)
        emu.control("POST", "faults", {"latency_ms": latency})
        res: dict = {"n": n, "latency_ms": latency, "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}

        a = record("onboard-a", "Onboard A")
        res["onboard"] = cell.measured("onboard (filtered program + --target)",
                                       [str(CWTENANTS), "onboard", "-"], input=json.dumps(a))
        assert cell.exists("onboard-a", "Onboard A") == [1, 1, 1], "objects missing after onboard"

        b = record("onboard-b", "Onboard B")
        cell.run([str(CWTENANTS), "onboard", "--no-apply", "-"], input=json.dumps(b))
        target = Target(cell.dir, "bench")
        cmd = ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", "bench"]
        for urn in target.urns("onboard-b", {"owner@onboard-b.example"}):
            cmd += ["--target", urn]
        res["full_program_target"] = cell.measured("alternative: whole program + --target", cmd)
        assert cell.exists("onboard-b", "Onboard B") == [1, 1, 1]

        res["redelivery"] = cell.measured("re-delivery (same record)", [str(CWTENANTS), "onboard", "-"],
                                          input=json.dumps(a))
        res["offboard"] = cell.measured("offboard (archive)", [str(CWTENANTS), "offboard", "onboard-a"])
        assert cell.exists("onboard-a", "Onboard A")[2] == 0, "portal not archived"
        res["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 100, 1000])
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="JSON results")
    ap.add_argument("--reuse", action="store_true", help="save the populated stacks under --work and restore "
                                                         "them on the next run (skips the set-up)")
    ap.add_argument("--setup-only", action="store_true", help="populate (and with --reuse save), measure nothing")
    args = ap.parse_args()
    if args.reuse and not args.work:
        ap.error("--reuse needs --work (where the populated stacks are kept)")
    work = (args.work or Path(tempfile.mkdtemp(prefix="cwt-bench-onboard-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"work folder: {work}", flush=True)
    results = [run_cell(work, n, args.latency_ms, {"delete_delay": 0.5, "log_level": "warning"}, args.reuse,
                        args.setup_only) for n in sorted(args.n)]
    if args.setup_only:
        return
    base = results[0]
    print(f"\nlatency {args.latency_ms} ms; ratios to N={base['n']} (live = start until the last write was answered, "
          f"i.e. the objects exist; wall = until the command returned; CPU seconds of the command's processes)")
    print(f"{'N':>5} | {'onboard live s':>14} | {'ratio':>5} | {'wall s':>7} | {'ratio':>5} | {'CPU s':>6} | {'ratio':>5} | "
          f"{'req':>4} | {'others':>6} | {'whole-program --target s':>24} | {'re-delivery s':>13} | "
          f"{'offboard live s':>15} | {'ratio':>5} | {'wall s':>7} | {'ratio':>5} | {'CPU s':>6} | {'ratio':>5} | "
          f"{'req':>4} | {'others':>6} | load 1/5/15 min")
    problems = []
    for r in results:
        cols = []
        for step in ("onboard", "offboard"):
            same = r[step]["by_route"] == base[step]["by_route"]
            others = r[step]["requests"] - base[step]["requests"]
            r[step]["requests_about_others"] = others if same or others else "routes differ"
            if not same:
                problems.append(f"N={r['n']} {step}: requests differ from N={base['n']}: "
                                f"{r[step]['by_route']} vs {base[step]['by_route']}")
            s, b = r[step], base[step]
            live = "-" if s.get("live_s") is None or not b.get("live_s") else f"{s['live_s'] / b['live_s']:.2f}"
            cols.append(f"{s.get('live_s')!s:>{14 if step == 'onboard' else 15}} | {live:>5} | "
                        f"{s['wall_s']:>7.2f} | {s['wall_s'] / b['wall_s']:>5.2f} | {s['cpu_s']:>6.2f} | "
                        f"{s['cpu_s'] / b['cpu_s']:>5.2f} | {s['requests']:>4} | {s['requests_about_others']!s:>6}")
        print(f"{r['n']:>5} | {cols[0]} | {r['full_program_target']['wall_s']:>24.2f} | "
              f"{r['redelivery']['wall_s']:>13.2f} | {cols[1]} | {r['load_avg_at_end']}")
    if args.out:
        args.out.write_text(json.dumps({"latency_ms": args.latency_ms, "results": results}, indent=1) + "\n")
    for p in problems:
        print(f"PROBLEM: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
