"""The Pulumi program body: load the catalog, declare one component per provider."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

from .catalog import CatalogError, load_catalog
from .component import Provider


def providers_dir() -> Path:
    cfg = pulumi.Config("cwtenants")
    folder = Path(os.environ.get("CWT_PROVIDERS_DIR") or cfg.get("providersDir") or "providers")
    # relative to the project root (where Pulumi.yaml is), not to the program folder
    return folder if folder.is_absolute() else Path(pulumi.get_root_directory()) / folder


def main() -> None:
    folder = providers_dir()
    try:
        catalog = load_catalog(folder)
    except CatalogError as err:
        # Bad input stops the run before any API call, with file:line:col: field: message.
        lines = "\n".join(str(p) for p in err.problems)
        pulumi.log.error(f"the provider catalog in {folder} is invalid:\n{lines}")
        raise pulumi.RunError(f"{len(err.problems)} problem(s) in the provider catalog") from None
    summaries = {}
    for spec in catalog.providers:
        summaries[spec.slug] = Provider(spec).summary
    pulumi.export("providers", summaries)
    url = os.environ.get("CHATWOOT_URL") or pulumi.Config("cwtenants").get("url") or ""
    pulumi.export("chatwoot_url", url.rstrip("/"))
