"""Print a per-provider table from `pulumi stack output --json` (used by scripts/demo.sh).

    pulumi stack output --json | python -m cwtenants.summary
"""

from __future__ import annotations

import json
import sys


def rows(outputs: dict) -> list[tuple[str, ...]]:
    url = (outputs.get("chatwoot_url") or "").rstrip("/")
    result = []
    for slug, p in sorted((outputs.get("providers") or {}).items()):
        portal = p.get("portal_slug")
        result.append((slug, str(p.get("inbox_id")), str(p.get("team_id")), f"{url}/hc/{portal}"))
    return result


def article_urls(outputs: dict) -> list[tuple[str, str]]:
    """(provider, URL) of every published article, in the portal's public Help Center."""
    url = (outputs.get("chatwoot_url") or "").rstrip("/")
    result = []
    for slug, p in sorted((outputs.get("providers") or {}).items()):
        for a in p.get("articles") or []:
            result.append((slug, f"{url}/hc/{p.get('portal_slug')}/{a['locale']}/articles/{a['slug']}"))
    return result


def render(outputs: dict) -> str:
    head = ("provider", "inbox id", "team id", "portal URL")
    table = [head, *rows(outputs)]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    text = "\n".join("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in table)
    urls = article_urls(outputs)
    if urls:
        width = max(len(s) for s, _ in urls)
        text += "\n\nPublished Help Center articles:\n" + "\n".join(f"  {s.ljust(width)}  {u}" for s, u in urls)
    return text


def main() -> None:
    print(render(json.load(sys.stdin)))


if __name__ == "__main__":
    main()
