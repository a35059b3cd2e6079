"""Request bodies: JSON or Rails-style form params, ``params.require(root)`` and strong parameters."""

from __future__ import annotations

import json
import re
import urllib.parse

from starlette.requests import Request

from .errors import ApiError, param_missing


def _parse_form(text: str) -> dict:
    """Rails-style form params: ``team[name]=x`` → {"team": {"name": "x"}}, ``ids[]=1`` → lists."""
    out: dict = {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        target = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = parts[i + 1] if not last else None
            if last:
                target[part] = value
            elif nxt == "[]":
                target.setdefault(part, []).append(value)
                break
            else:
                target = target.setdefault(part, {})
    return out


async def read_body(request: Request) -> tuple[dict, bool]:
    """Returns (params, is_json)."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        if not raw.strip():
            return {}, True
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(400, {"status": 400, "error": "Bad Request"})
        return (data if isinstance(data, dict) else {"_json": data}), True
    if raw:
        return _parse_form(raw.decode("utf-8", "replace")), False
    return {}, False


def root_param(params: dict, is_json: bool, root: str, columns: tuple | None) -> dict:
    """docs/chatwoot-behaviour.md#general-rules body root keys: ``params.require(root)`` with Rails JSON auto-wrapping.

    With a JSON content type, top-level keys are wrapped into ``root`` (only model ``columns``; all keys
    when ``columns`` is None).  Without JSON the root must be nested explicitly.
    """
    value = params.get(root)
    if isinstance(value, dict) and value:
        return value
    if is_json and root not in params:
        wrapped = {k: v for k, v in params.items() if columns is None or k in columns}
        if wrapped:
            return wrapped
    raise param_missing(root)


def permit(src: dict, keys) -> dict:
    """Strong parameters: unknown keys are dropped silently (docs/chatwoot-behaviour.md#general-rules)."""
    return {k: src[k] for k in keys if k in src}


def as_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "t", "yes", "on")
    return bool(v)


def integer(value):
    """An integer column (``position``): a number sent as 1.0 reads back as 1 (Rails casts it)."""
    return int(value) if isinstance(value, float) else value
