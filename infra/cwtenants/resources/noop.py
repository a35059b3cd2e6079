"""A dynamic resource that makes no HTTP call.

Used by the end-to-end smoke test (the built CLI, our language host and the dynamic-provider
shim working together) and by the benchmark as the "Pulumi floor": the cost of N dynamic
resources when the provider itself does nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult


class NoopProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict) -> CreateResult:
        digest = hashlib.sha256(repr(sorted(props.items())).encode()).hexdigest()[:12]
        return CreateResult(f"noop-{digest}", {k: v for k, v in props.items() if not k.startswith("__")})

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        keys = sorted(k for k in set(olds) | set(news) if not k.startswith("__") and olds.get(k) != news.get(k))
        return DiffResult(changes=bool(keys), replaces=[], delete_before_replace=False)

    def read(self, id_: str, props: dict) -> ReadResult:
        state = {k: v for k, v in props.items() if not k.startswith("__")}
        return ReadResult(id_, state, state)

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult({k: v for k, v in news.items() if not k.startswith("__")})

    def delete(self, _id: str, _props: dict) -> None:
        return None


class Noop(Resource, module="cwtenants", name="Noop"):
    value: pulumi.Output[Any]

    def __init__(self, name: str, value: Any, opts: pulumi.ResourceOptions | None = None):
        super().__init__(NoopProvider(), name, {"value": value}, opts)
