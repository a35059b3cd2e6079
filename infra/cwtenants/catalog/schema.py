"""JSON Schema (draft 2020-12) generated from the catalog models.

Regenerate the committed files with::

    .venv/bin/python -m cwtenants.catalog schema
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from .models import DefaultsFile, ProviderFile

DRAFT = "https://json-schema.org/draft/2020-12/schema"


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, minus ``"default": null`` on optional keys.

    Omitted keys are filled from _defaults.yaml or derived values, which the
    descriptions spell out; a literal null default would be misleading (and for
    most keys null is rejected).
    """

    def default_schema(self, schema):
        if schema.get("default", ...) is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)


def _schema(model: type[BaseModel], file_id: str) -> dict:
    body = model.model_json_schema(schema_generator=_Generator, mode="validation")
    return {"$schema": DRAFT, "$id": file_id, **body}


def provider_json_schema() -> dict:
    """JSON Schema of a provider file (providers/<slug>.yaml)."""
    return _schema(ProviderFile, "provider.schema.json")


def defaults_json_schema() -> dict:
    """JSON Schema of providers/_defaults.yaml."""
    return _schema(DefaultsFile, "defaults.schema.json")


def render(schema: dict) -> str:
    """Canonical text of a schema file (what is committed)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def article_json_schema() -> dict:
    """JSON Schema of an article's front matter (providers/<slug>/articles/<locale>/<slug>.md)."""
    from .articles import FrontMatter

    return _schema(FrontMatter, "article.schema.json")


SCHEMA_FILES = {
    "provider.schema.json": provider_json_schema,
    "defaults.schema.json": defaults_json_schema,
    "article.schema.json": article_json_schema,
}


def write_schemas(directory: str | Path) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in SCHEMA_FILES.items():
        target = directory / name
        target.write_text(render(make()), encoding="utf-8")
        written.append(target)
    return written
