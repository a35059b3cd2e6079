"""Text of a new provider file (used by the CLI ``new`` command)."""

from __future__ import annotations

import re
import unicodedata

import yaml

from .models import derive_portal_slug

SCHEMA_PATH = "../schema/provider.schema.json"  # from providers/ (see ``schema_path``)
SCHEMA_HEADER = f"# yaml-language-server: $schema={SCHEMA_PATH}"
# Second line of a file written by `cwtenants onboard`: such a file may be rewritten by the next
# onboarding event; a file without it was written by hand and is only replaced with --update.
GENERATED_MARKER = "# generated-by: cwtenants onboard"


def slugify(name: str, max_length: int = 50) -> str:
    """"Ärzte & Co. Hosting" -> "arzte-co-hosting" (ASCII, lower-case, single hyphens)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def scaffold_provider(
    name: str,
    *,
    slug: str | None = None,
    group: str | None = None,
    timezone: str | None = None,
    locales: list[str] | None = None,
    portal_slug_prefix: str = "",
    schema_path: str = SCHEMA_PATH,
    extra: dict | None = None,
    generated: bool = False,
) -> str:
    """YAML text for ``providers/<slug>.yaml``.

    The slug is derived from ``name`` unless given; the portal slug is derived
    (see ``derive_portal_slug``) and written out explicitly so that it stays
    fixed even if the org-wide prefix changes later.  ``schema_path``: the
    provider schema relative to the file's folder, for the editor header.
    Raises ``ValueError`` if no valid slug can be derived or the given one is
    invalid.

    ``extra``: further keys of the provider file (``inbox``/``portal`` entries are merged into
    those sections; ``agents``, ``offboarding`` ... are added) — used by ``cwtenants onboard``.
    ``generated``: add the ``GENERATED_MARKER`` line (a file the next onboarding event may rewrite).
    """
    name = " ".join(name.split())
    explicit = bool(slug)
    slug = slug or slugify(name)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug or "") or not 2 <= len(slug) <= 50:
        raise ValueError(f"slug {slug!r} is not valid" if explicit else
                         f"cannot derive a valid slug from the name {name!r} (got {slug!r})")
    data: dict = {"slug": slug, "name": name}
    if group:
        data["group"] = group
    if timezone:
        data["inbox"] = {"timezone": timezone}
    portal: dict = {"slug": derive_portal_slug(slug, portal_slug_prefix)}
    if locales:
        portal["locales"] = list(locales)
    data["portal"] = portal
    for key, value in (extra or {}).items():
        if key in ("inbox", "portal") and isinstance(value, dict):
            data[key] = {**data.get(key, {}), **value}
            if key == "portal":  # keep slug first, as `new` writes it
                data[key] = {"slug": data[key].pop("slug"), **data[key]}
        else:
            data[key] = value
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    header = (f"{GENERATED_MARKER} from a marketplace record; the next event rewrites this file "
              "(remove this line to keep hand edits)\n") if generated else ""
    footer = "" if data.get("agents") else (
        "# agents:\n"
        "#   - {email: alice@example.com, name: Alice Doe, role: agent}\n")
    return (
        f"# yaml-language-server: $schema={schema_path}\n"
        f"{header}"
        f"# Provider {name}: see docs/catalog.md for every field and its default.\n"
        f"# The slug and portal.slug are keys of live Chatwoot objects: do not change them.\n"
        f"{body}"
        f"{footer}"
    )
