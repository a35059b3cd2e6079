"""Compare two cassette trees, ignoring the documented volatile fields.

    python tests/cassette/compare_cassettes.py cassettes/ /tmp/fresh-cassettes/

Volatile (see docs/recording.md): the ``timestamp`` of the ``GET /api`` probe and
``created_at``/``updated_at`` (Platform account_users answers). Everything else —
requests, bodies, ids, order, PROVENANCE.json — must be byte-for-byte equal when both trees were
recorded against a fresh emulator. Exit status 1 and a unified diff per differing file otherwise.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

VOLATILE = [re.compile(r'"(timestamp|created_at|updated_at)":"[^"]*"')]


def normalised(path: Path) -> list[str]:
    text = path.read_text()
    for pattern in VOLATILE:
        text = pattern.sub(r'"\1":"<volatile>"', text)
    return text.splitlines(keepends=True)


def main(a: str, b: str) -> int:
    ra, rb = Path(a), Path(b)
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
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
