"""Checks of the repository's real catalog, `providers/`.

They must hold for ANY number of provider files (a marketplace's repository holds hundreds), so
they count nothing and name no provider: every other test runs against its own fixture catalog
(tests/fixtures/catalog/). docs/add-a-provider.md tells a newcomer what keeps them green.
"""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from cwtenants.cli import app

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = ROOT / "providers"


def provider_files() -> list[Path]:
    return sorted(f for f in PROVIDERS.iterdir()
                  if f.suffix in (".yaml", ".yml") and not f.name.startswith(("_", ".")))


def test_the_catalog_validates():
    r = CliRunner().invoke(app, ["validate", str(PROVIDERS)], env={"NO_COLOR": "1", "CWT_PROVIDERS_DIR": ""},
                           catch_exceptions=False)
    assert r.exit_code == 0, f"`cwtenants validate providers` failed:\n{r.output}"
    n = len(provider_files())
    assert re.search(rf"^ok: {n} providers? valid", r.stdout, re.M), r.stdout


def test_every_file_has_the_schema_header():
    """What `cwtenants new` writes: editors complete fields from the JSON Schema."""
    for path in [*provider_files(), PROVIDERS / "_defaults.yaml"]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        expected = "defaults" if path.name.startswith("_") else "provider"
        assert first == f"# yaml-language-server: $schema=../schema/{expected}.schema.json", path


def codeowners_patterns() -> set[str]:
    lines = [line.split() for line in (ROOT / ".github/CODEOWNERS").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert all(len(parts) >= 2 and all(o.startswith("@") for o in parts[1:]) for parts in lines), lines
    return {parts[0] for parts in lines}


def test_codeowners_names_every_provider():
    patterns = codeowners_patterns()
    missing = [f.name for f in provider_files() if f"/providers/{f.name}" not in patterns]
    assert not missing, ("no line in .github/CODEOWNERS for: " + ", ".join(missing) + "\n  add for each: "
                         + "\n  ".join(f"/providers/{name}  @<org>/{Path(name).stem} @marketplace/platform"
                                       for name in missing)
                         + "\n  (docs/add-a-provider.md, step 1)")

