"""The naive baseline: a plain sequential find-or-create script with httpx.

For every provider of the catalog, in order: list inboxes, teams and portals, then create
whichever of the three is missing (matching by inbox name, team name lower-cased and portal
slug, like the reconciler). No state, no concurrency, no cache, no client-side budget; a 429
is retried after one second (counted). Agents and memberships are not handled — the script is
the "what would a shell script do" yardstick for the three core objects only.

    python bench/naive.py --providers-dir DIR   # CHATWOOT_URL / _ACCOUNT_ID / _API_TOKEN from env
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
from cwtenants.catalog import load_catalog  # noqa: E402


def run(providers_dir: Path, url: str, account_id: str, token: str) -> dict:
    catalog = load_catalog(providers_dir)
    sent: dict[str, int] = {}
    throttled = 0
    base = f"{url.rstrip('/')}/api/v1/accounts/{account_id}"
    with httpx.Client(headers={"api_access_token": token}, timeout=30) as http:

        def call(method: str, path: str, body: dict | None = None):
            nonlocal throttled
            while True:
                sent[method] = sent.get(method, 0) + 1
                r = http.request(method, base + path, json=body)
                if r.status_code == 429:
                    throttled += 1
                    time.sleep(1.0)
                    continue
                r.raise_for_status()
                return r.json()

        t0 = time.perf_counter()
        created = 0
        for spec in catalog.providers:
            inboxes = call("GET", "/inboxes")["payload"]
            teams = call("GET", "/teams")
            portals = call("GET", "/portals")["payload"]
            if not any(p["slug"] == spec.portal.slug for p in portals):
                call("POST", "/portals", {"portal": {
                    "name": spec.portal.name, "slug": spec.portal.slug, "color": spec.portal.color,
                    "page_title": spec.portal.page_title or "", "header_text": spec.portal.header_text or "",
                    "custom_domain": "",
                    "config": {"allowed_locales": spec.portal.locales, "default_locale": spec.portal.locales[0]}}})
                created += 1
            if not any((t.get("name") or "").lower() == spec.team.name.lower() for t in teams):
                call("POST", "/teams", {"name": spec.team.name, "description": spec.team.description or "",
                                        "allow_auto_assign": spec.team.allow_auto_assign})
                created += 1
            if not any(i.get("name") == spec.inbox.name for i in inboxes):
                call("POST", "/inboxes", {"name": spec.inbox.name, "timezone": spec.inbox.timezone,
                                          "greeting_enabled": bool(spec.inbox.greeting),
                                          "greeting_message": spec.inbox.greeting or "",
                                          "channel": {"type": "api", "webhook_url": spec.inbox.webhook_url or ""}})
                created += 1
        wall = time.perf_counter() - t0
    return {"wall_s": wall, "sent_by_method": sent, "throttled_429": throttled, "created": created,
            "providers": len(catalog.providers)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--providers-dir", type=Path, required=True)
    args = ap.parse_args()
    result = run(args.providers_dir, os.environ["CHATWOOT_URL"], os.environ["CHATWOOT_ACCOUNT_ID"],
                 os.environ["CHATWOOT_API_TOKEN"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
