"""The suite runs in parts, fast ones first (tests/suite_parts.py, used by scripts/test.sh)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from suite_parts import PARTS, part_of

ROOT = Path(__file__).resolve().parents[2]


def test_part_of_paths():
    t = ROOT / "tests"
    assert part_of(t / "unit" / "test_cli.py") == "unit"
    assert part_of(t / "emulator" / "test_emu_general.py") == "emulator"
    assert part_of(t / "cassette" / "test_cw_team.py") == "cassette"
    assert part_of(t / "e2e" / "test_faults.py") == "e2e"
    assert part_of(t / "e2e" / "postgres" / "test_locking.py") == "postgres"


def test_collection_order_is_fast_parts_first():
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", "tests"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    files = [line.split("::")[0] for line in r.stdout.splitlines() if "::" in line]
    order = [part_of(ROOT / f) for f in files]
    assert set(order) == set(PARTS), set(order)
    ranks = [PARTS.index(p) for p in order]
    assert ranks == sorted(ranks), "tests are not ordered unit, emulator, cassette, e2e, postgres"
    assert order[0] == "unit"


def test_parts_are_announced_with_counts_and_times(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                        "tests/cassette/test_cw_provenance.py", "tests/unit/test_pins.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:]
    out = r.stdout
    assert out.index(" unit: ") < out.index(" cassette: "), out  # unit first, though named last
    summary = out[out.index(" parts "):]
    assert "unit " in summary and "cassette " in summary and " passed in " in summary, summary
