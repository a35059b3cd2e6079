"""Helpers shared by the catalog unit tests: write a file from an indented literal, load a
catalog that must fail and return its problems."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cwtenants.catalog import CatalogError, load_catalog


def write(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` (dedented, leading newline dropped) to ``directory/name``, creating folders."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path_or_dir, **kw):
    """The problems of a catalog that must not load."""
    with pytest.raises(CatalogError) as info:
        load_catalog(path_or_dir, **kw)
    return info.value.problems
