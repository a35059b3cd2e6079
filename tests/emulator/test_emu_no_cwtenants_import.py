"""ARCHITECTURE.md: the emulator package must never import cwtenants (AST scan of emulator/)."""

from __future__ import annotations

import ast
from pathlib import Path

EMULATOR_DIR = Path(__file__).resolve().parents[2] / "emulator"


def test_no_module_imports_cwtenants():
    """ARCHITECTURE "Packages and ownership": chatwoot_emulator imports starlette, uvicorn, sqlite3, stdlib only."""
    files = list(EMULATOR_DIR.rglob("*.py"))
    assert files
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path}:{node.lineno} {n}" for n in names if n.split(".")[0] == "cwtenants"]
    assert offenders == []
