"""Build a cassette from request/response pairs captured on a real Chatwoot by another tool.

    python tests/cassette/cassette_from_exchanges.py EXCHANGES.json --account-id 18 \\
        --probe-from cassettes/test_cw_portal/test_portal_lifecycle.yaml --out cassettes/<module>/<test>.yaml

``EXCHANGES.json`` is a JSON list of ``{"request": {"method", "path", "body"}, "response": {"status",
"content_type", "body"}}`` in the order they were made, paths starting with ``/api/v1/`` (an
``{account_id}`` placeholder is replaced by ``--account-id``). The cassette gets, in this order:

1. the ``GET /api`` version probe every cassette starts with, copied from ``--probe-from`` (a cassette
   recorded on the same server: the capture itself has no probe);
2. every exchange, unchanged except for the format: bodies as compact JSON, the response's content type
   as its only header, request headers empty (the capture has none; vcr does not match on headers).

Everything goes through the recorder's own scrubber (``cw_cassette.Scrubber``: secret fields, e-mail
addresses) and the result must pass the secret scanner, or nothing is written. The replay test that uses
the cassette has to make exactly these requests in exactly this order (``test_cw_provenance`` and the
strict replay check the rest); cassettes/PROVENANCE.json says where the exchanges came from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cw_cassette as cwc  # noqa: E402


def _json(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def interaction(ex: dict, account_id: int, scrub: cwc.Scrubber) -> dict:
    req, resp = ex["request"], ex["response"]
    path = req["path"].replace("{account_id}", str(account_id))
    if not path.startswith("/api/"):
        raise SystemExit(f"unexpected path {path!r}: expected /api/...")
    status = int(resp["status"])
    return {
        "request": {"body": scrub.body(_json(req.get("body"))), "headers": {}, "method": req["method"].upper(),
                    "uri": cwc.FAKE_URL + path},
        "response": {"body": {"string": scrub.body(_json(resp.get("body")))},
                     "headers": {"content-type": [resp.get("content_type") or "application/json"]},
                     "status": {"code": status, "message": httpx.codes.get_reason_phrase(status)}},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("exchanges", type=Path)
    ap.add_argument("--account-id", type=int, required=True)
    ap.add_argument("--probe-from", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    probe = yaml.safe_load(args.probe_from.read_text())["interactions"][0]
    if probe["request"]["uri"] != cwc.FAKE_URL + "/api":
        raise SystemExit(f"{args.probe_from}: its first interaction is not the GET /api probe")
    scrub = cwc.Scrubber(None)
    interactions = [probe] + [interaction(ex, args.account_id, scrub) for ex in json.loads(args.exchanges.read_text())]
    text = yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=True, allow_unicode=True)
    leaks = cwc.find_secrets(text)
    if leaks:
        raise SystemExit(f"not written, the result looks like it holds secrets: {sorted(set(leaks))}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"{args.out}: {len(interactions)} interactions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
