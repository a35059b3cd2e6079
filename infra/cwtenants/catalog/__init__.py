"""Provider catalog: providers/*.yaml -> validated, defaults-resolved ``ProviderSpec``s.

Contract: docs/ARCHITECTURE.md ("Catalog contract"); field reference: docs/catalog.md.
"""

from .loader import Catalog, CatalogError, Problem, load_catalog, load_provider_file
from .models import (
    AgentSpec,
    DefaultsFile,
    InboxSpec,
    PortalSpec,
    ProviderFile,
    ProviderSpec,
    TeamSpec,
    derive_portal_slug,
)
from .scaffold import scaffold_provider, slugify
from .schema import provider_json_schema

__all__ = [
    "AgentSpec",
    "Catalog",
    "CatalogError",
    "DefaultsFile",
    "InboxSpec",
    "PortalSpec",
    "Problem",
    "ProviderFile",
    "ProviderSpec",
    "TeamSpec",
    "derive_portal_slug",
    "load_catalog",
    "load_provider_file",
    "provider_json_schema",
    "scaffold_provider",
    "slugify",
]
