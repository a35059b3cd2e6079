"""Benchmark: the Knowledge Base (categories and articles) at N providers × 5 articles.

    python bench/knowledge_base.py --n 10 100 [--latency-ms 0]

For each N, two catalogs of N synthetic providers are deployed side by side on one emulator
(reset in between), through the real pulumi CLI and the project's program:

- **plain**: the providers without any Help Center content;
- **kb**: the same providers, each with 5 articles — 3 from organisation templates
  (``_articles/en/*.md``, category ``contact`` from ``_defaults.yaml``) and 2 of its own in its own
  category ``guides`` — i.e. 2 categories and 5 articles per portal.

Printed (and written as JSON with ``--out``), all as ratios measured in the same run:

- first ``up``: Help Center requests (kb minus plain, every method) ÷ the minimum necessary writes
  (one POST per category and per article: 7 per provider);
- no-op ``preview``: wall time kb ÷ plain (best of ``--repeat``; target ≤ 1.5);
- no-op ``up`` and ``preview``: requests about categories and articles per article (target 0; an up's
  ownership check makes its own three list calls whatever the content).

The machine's load average is recorded with the numbers (shared machines make times noisy).

Every ``pulumi`` command runs with ``PULUMI_SKIP_CHECKPOINTS=true`` (as ``bench/run.py
--skip-checkpoints`` and the apply workflow): with checkpoints the file backend rewrites the whole
state after every step, a cost that grows with the square of the stack size and would swamp what
this benchmark compares (a plain first ``up`` at N=200: 159 s with checkpoints, 18.5 s without;
with checkpoints the engine was still writing state for a minute after the last request).
``--checkpoints`` keeps Pulumi's default.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "infra"))
sys.path.insert(0, str(ROOT / "emulator"))
sys.path.insert(0, str(ROOT / "tests"))

from chatwoot_emulator.testing import EmulatorProcess  # noqa: E402
from cwtenants.catalog import scaffold_provider  # noqa: E402
from e2e_support import make_deployment  # noqa: E402

TEMPLATES = {
    "contact-support": "How to reach {{ provider.name }} support",
    "opening-hours": "{{ provider.name }} opening hours",
    "data-protection": "Your data at {{ provider.name }}",
}


def write_catalog(folder: Path, n: int, articles: bool) -> None:
    defaults = {"portal": {"locales": ["en"]}}
    if articles:
        defaults["portal"]["categories"] = {"en": [{"slug": "contact", "name": "Contact"}]}
        tpl = folder / "_articles" / "en"
        tpl.mkdir(parents=True, exist_ok=True)
        for name, title in TEMPLATES.items():
            (tpl / f"{name}.md").write_text(
                f"---\ntitle: \"{title}\"\ncategory: contact\n---\n# {title}\n\n"
                "{{ provider.team.name }} answers in the marketplace chat.\n")
    (folder / "_defaults.yaml").write_text(yaml.safe_dump(defaults, sort_keys=False))
    for i in range(n):
        doc = yaml.safe_load(scaffold_provider(f"Bench Provider {i:04d}"))
        slug = doc["slug"]
        if articles:
            doc["portal"]["categories"] = {"en": [{"slug": "guides", "name": "Guides"}]}
            own = folder / slug / "articles" / "en"
            own.mkdir(parents=True, exist_ok=True)
            for j in range(2):
                (own / f"{slug}-guide-{j}.md").write_text(
                    f"---\ntitle: Guide {j}\ncategory: guides\n---\n# Guide {j}\n\nStep one.\n\nStep two.\n")
        (folder / f"{slug}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def total(stats: dict) -> int:
    return sum((stats.get("by_method") or {}).values())


def help_center(stats: dict) -> int:
    """Requests about categories and articles (an up also runs the ownership check's list calls)."""
    return sum(n for route, n in (stats.get("by_route") or {}).items() if "/categories" in route or "/articles" in route)


def pulumi_env(checkpoints: bool) -> dict[str, str]:
    """Extra environment of every pulumi command: no per-step state rewrite unless ``checkpoints``."""
    return {} if checkpoints else {"PULUMI_SKIP_CHECKPOINTS": "true"}


def measure(tmp: Path, emu: EmulatorProcess, n: int, articles: bool, repeat: int,
            checkpoints: bool = False) -> dict:
    name = f"{'kb' if articles else 'plain'}-{n}"
    emu.control("POST", "reset")
    d = make_deployment(tmp, emu, samples=False, name=name, extra_env=pulumi_env(checkpoints))
    for f in d.providers.iterdir():
        f.unlink() if f.is_file() else shutil.rmtree(f)
    write_catalog(d.providers, n, articles)
    out: dict = {}
    emu.control("POST", "stats/reset")
    t0 = time.perf_counter()
    d.run("up", "--yes", "--skip-preview", timeout=7200)
    out["first_up_s"] = round(time.perf_counter() - t0, 2)
    out["first_up_requests"] = emu.control("GET", "stats")["by_method"]
    emu.control("POST", "stats/reset")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        d.run("preview", "--expect-no-changes", timeout=7200)
        times.append(time.perf_counter() - t0)
    out["noop_preview_s"] = round(min(times), 2)
    stats = emu.control("GET", "stats")
    out["noop_preview_requests"] = total(stats)
    out["noop_preview_help_center_requests"] = help_center(stats)
    emu.control("POST", "stats/reset")
    t0 = time.perf_counter()
    d.run("up", "--yes", "--skip-preview", "--expect-no-changes", timeout=7200)
    out["noop_up_s"] = round(time.perf_counter() - t0, 2)
    stats = emu.control("GET", "stats")
    out["noop_up_requests"] = total(stats)
    out["noop_up_help_center_requests"] = help_center(stats)
    out["resources"] = sum(1 for r in d.export()["deployment"].get("resources", []))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10])
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2, help="no-op previews per catalog (best one counts)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--checkpoints", action="store_true",
                    help="keep Pulumi's per-step state rewrite (default: PULUMI_SKIP_CHECKPOINTS=true)")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="cwt-kb-bench-") as tmpdir:
        tmp = Path(tmpdir)
        with EmulatorProcess(tmp / "emulator", latency_ms=args.latency_ms) as emu:
            for n in args.n:
                load_before = os.getloadavg()
                plain = measure(tmp, emu, n, False, args.repeat, args.checkpoints)
                kb = measure(tmp, emu, n, True, args.repeat, args.checkpoints)
                articles, min_writes = 5 * n, 7 * n
                kb_requests = total({"by_method": kb["first_up_requests"]}) - \
                    total({"by_method": plain["first_up_requests"]})
                row = {
                    "n": n, "articles": articles, "latency_ms": args.latency_ms,
                    "skip_checkpoints": not args.checkpoints,
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                    "plain": plain, "kb": kb,
                    "first_up_kb_requests": kb_requests,
                    "first_up_kb_min_writes": min_writes,
                    "first_up_ratio": round(kb_requests / min_writes, 3),
                    "noop_preview_ratio": round(kb["noop_preview_s"] / plain["noop_preview_s"], 3),
                    "noop_requests_per_article": (kb["noop_preview_help_center_requests"] +
                                                  kb["noop_up_help_center_requests"]) / articles,
                }
                results.append(row)
                print(f"N={n} ({articles} articles, {kb['resources']} vs {plain['resources']} resources), "
                      f"load {row['loadavg_before']}: first up Help Center requests / minimum writes = "
                      f"{kb_requests}/{min_writes} = {row['first_up_ratio']}; no-op preview kb/plain = "
                      f"{kb['noop_preview_s']}s/{plain['noop_preview_s']}s = {row['noop_preview_ratio']}; "
                      f"no-op requests per article = {row['noop_requests_per_article']}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
