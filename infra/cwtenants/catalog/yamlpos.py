"""Line-aware YAML loading.

``load_yaml_with_positions(text)`` composes the YAML node tree with PyYAML's
SafeLoader and converts it to plain Python data itself, recording where every
mapping key and every sequence item starts.  Positions are 1-based
``(line, col)`` tuples keyed by the path to the value, e.g.
``("agents", 1, "email")``; the empty path ``()`` is the root node.

Differences from ``yaml.safe_load`` (on purpose):

* duplicate mapping keys are reported instead of silently keeping the last one;
* merge keys (``<<``) are rejected (they hide where a value comes from);
* only ``true``/``false`` (any case) are booleans: YAML 1.1's ``yes``/``no``/
  ``on``/``off`` stay strings, so the Norwegian locale ``no`` is not ``False``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
Pos = tuple[int, int]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose implicit booleans are only true/false."""


# Copy the resolver table so SafeLoader itself is not modified, then drop the
# YAML 1.1 bool resolver and register a YAML 1.2-style one.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class YamlIssue:
    """A structural problem found while reading YAML (syntax, duplicate key...)."""

    line: int
    col: int
    path: Path_
    message: str


@dataclass
class YamlDoc:
    data: Any
    positions: dict[Path_, Pos] = field(default_factory=dict)
    issues: list[YamlIssue] = field(default_factory=list)

    def position(self, path: Path_) -> Pos:
        """Position of ``path`` or of its longest recorded prefix (root: 1:1)."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))


def _pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_yaml_with_positions(text: str) -> YamlDoc:
    """Parse one YAML document.  Syntax errors become ``issues`` (data is None)."""
    loader = _Loader(text)
    doc = YamlDoc(data=None)
    try:
        root = loader.get_single_node()
        if root is None:
            return doc
        doc.positions[()] = _pos(root)
        doc.data = _convert(loader, root, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        parts = [p for p in (exc.context, exc.problem) if p]
        doc.data = None
        doc.issues.append(YamlIssue(line, col, (), "YAML syntax error: " + "; ".join(parts)))
    except yaml.YAMLError as exc:  # ReaderError (bad bytes / control characters)
        doc.data = None
        doc.issues.append(YamlIssue(1, 1, (), f"YAML error: {exc}"))
    finally:
        loader.dispose()
    return doc


def _convert(loader: _Loader, node: yaml.Node, path: Path_, doc: YamlDoc) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Pos] = {}
        for key_node, value_node in node.value:
            kpos = _pos(key_node)
            if key_node.tag == _MERGE_TAG:
                doc.issues.append(YamlIssue(*kpos, path, "YAML merge keys ('<<') are not supported"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                doc.issues.append(YamlIssue(*kpos, path, "mapping keys must be plain strings"))
                continue
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in first_seen:
                doc.issues.append(
                    YamlIssue(*kpos, path + (key,),
                              f"duplicate key '{key}' (first defined at line {first_seen[key][0]})")
                )
                continue
            first_seen[key] = kpos
            doc.positions[path + (key,)] = kpos
            result[key] = _convert(loader, value_node, path + (key,), doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.positions[path + (index,)] = _pos(item)
            items.append(_convert(loader, item, path + (index,), doc))
        return items
    return loader.construct_object(node, deep=True)
