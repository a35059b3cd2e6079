"""Compare two cassette trees: structurally (default) or byte for byte (``--exact``).

    python tests/cassette/compare_cassettes.py cassettes/ /tmp/emulator-cassettes/          # structural
    python tests/cassette/compare_cassettes.py --exact /tmp/run-1/ /tmp/run-2/              # reproducibility

**Structural** (is the emulator shaped like the server the committed cassettes came from?): for every
cassette present in the first tree, the same request sequence (method and path, numeric ids replaced by
``{id}``), the same status codes and media types, and request and response bodies with the same JSON
structure — the same keys at every level, list items compared pairwise, the same value *types* (null,
bool, number, string, object, array). Values are never compared, so ids, timestamps, names and scrubbed
secrets do not matter. One thing is not structure: how often a client polls an object it has just
deleted before the server reports 404 depends on the server's job queue, so ``GET`` answers 200 for a
path right after its ``DELETE`` are left out on both sides. ``PROVENANCE.json`` is not compared.

**Exact**: every file byte for byte, except the volatile ``timestamp`` of the ``GET /api`` probe and
``created_at``/``updated_at`` (Platform account_users answers) — two recordings against a fresh
emulator must be identical otherwise.

Prints each difference and a last line ``compare: N common file(s), M difference(s)``; exit status 1
when M > 0.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import yaml

VOLATILE = [re.compile(r'"(timestamp|created_at|updated_at)":"[^"]*"')]
ID_SEGMENT = re.compile(r"^\d+$")


# ------------------------------------------------------------------------------------------ exact
def normalised(path: Path) -> list[str]:
    text = path.read_text()
    for pattern in VOLATILE:
        text = pattern.sub(r'"\1":"<volatile>"', text)
    return text.splitlines(keepends=True)


def exact(ra: Path, rb: Path) -> int:
    files_a = {p.relative_to(ra) for p in ra.rglob("*") if p.is_file()}
    files_b = {p.relative_to(rb) for p in rb.rglob("*") if p.is_file()}
    bad = 0
    for rel in sorted(files_a ^ files_b):
        print(f"only in {'first' if rel in files_a else 'second'}: {rel}")
        bad += 1
    for rel in sorted(files_a & files_b):
        la, lb = normalised(ra / rel), normalised(rb / rel)
        if la != lb:
            bad += 1
            sys.stdout.writelines(difflib.unified_diff(la, lb, f"a/{rel}", f"b/{rel}"))
    print(f"compare: {len(files_a & files_b)} common file(s), {bad} difference(s)")
    return bad


# ------------------------------------------------------------------------------------------ structural
def kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def shape_diff(a, b, where: str) -> list[str]:
    """Every place where ``a`` and ``b`` differ in structure (keys, item counts, value types)."""
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return [f"{where}: {ka} vs {kb}"]
    out: list[str] = []
    if ka == "object":
        for key in a.keys() - b.keys():
            out.append(f"{where}.{key}: only in first")
        for key in b.keys() - a.keys():
            out.append(f"{where}.{key}: only in second")
        for key in a.keys() & b.keys():
            out += shape_diff(a[key], b[key], f"{where}.{key}")
    elif ka == "array":
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} vs {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b)):
            out += shape_diff(x, y, f"{where}[{i}]")
    return sorted(out)


def template(uri: str) -> str:
    parts = urlsplit(uri)
    path = "/".join("{id}" if ID_SEGMENT.match(seg) else seg for seg in parts.path.split("/"))
    query = "&".join(f"{k}={'{id}' if ID_SEGMENT.match(v) else v}" for k, v in parse_qsl(parts.query))
    return f"{path}?{query}" if query else path


def _body(raw):
    if isinstance(raw, dict):  # vcr's {"string": ...}
        raw = raw.get("string")
    if raw in (None, "", b""):
        return None
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8", "replace")
    try:
        return json.loads(raw)
    except ValueError:
        return f"<non-JSON text of {len(raw)} characters>"


def exchanges(path: Path) -> list[dict]:
    """The cassette's interactions as comparable records, without the polls of a just-deleted object."""
    out: list[dict] = []
    deleted: str | None = None
    for it in yaml.safe_load(path.read_text())["interactions"]:
        req, resp = it["request"], it["response"]
        method, where = req["method"].upper(), template(req["uri"])
        status = resp["status"]["code"]
        if method == "GET" and where == deleted and status == 200:
            continue  # still there: the server's deletion job has not run yet
        deleted = where if method == "DELETE" else (deleted if method == "GET" and where == deleted else None)
        ctype = (resp.get("headers", {}).get("content-type") or resp.get("headers", {}).get("Content-Type") or [""])
        media = (ctype[0] if isinstance(ctype, list) else ctype).split(";")[0].strip().lower()
        out.append({"call": f"{method} {where}", "status": status, "media": media,
                    "request": _body(req.get("body")), "response": _body(resp.get("body"))})
    return out


def structural_file(a: Path, b: Path) -> list[str]:
    ea, eb = exchanges(a), exchanges(b)
    calls_a = [f"{e['call']} -> {e['status']}" for e in ea]
    calls_b = [f"{e['call']} -> {e['status']}" for e in eb]
    if calls_a != calls_b:
        diff = difflib.unified_diff(calls_a, calls_b, "first", "second", lineterm="", n=1)
        return ["request sequence or status codes differ:\n    " + "\n    ".join(diff)]
    out = []
    for i, (x, y) in enumerate(zip(ea, eb)):
        label = f"#{i} {x['call']} ({x['status']})"
        if x["media"] != y["media"]:
            out.append(f"{label}: content type {x['media']!r} vs {y['media']!r}")
        out += [f"{label}: request{d}" for d in shape_diff(x["request"], y["request"], "")]
        out += [f"{label}: response{d}" for d in shape_diff(x["response"], y["response"], "")]
    return out


def structural(ra: Path, rb: Path) -> int:
    cassettes = sorted(p.relative_to(ra) for p in ra.rglob("*.yaml"))
    bad = 0
    for rel in cassettes:
        if not (rb / rel).exists():
            print(f"{rel}: not recorded in the second tree")
            bad += 1
            continue
        for problem in structural_file(ra / rel, rb / rel):
            print(f"{rel}: {problem}")
            bad += 1
    for rel in sorted(p.relative_to(rb) for p in rb.rglob("*.yaml")):
        if not (ra / rel).exists():
            print(f"{rel}: only in the second tree")
            bad += 1
    print(f"compare: {len(cassettes)} common file(s), {bad} difference(s)")
    return bad


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--exact"]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    compare = exact if "--exact" in argv else structural
    return 1 if compare(Path(args[0]), Path(args[1])) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
