"""Line-aware YAML loading.

``load_yaml_with_positions(text)`` composes the YAML node tree with PyYAML
(over libyaml's parser when PyYAML has it, else its pure-Python SafeLoader) and
converts it to plain Python data itself, recording where every mapping key and
every sequence item starts.  Positions are 1-based ``(line, col)`` tuples keyed
by the path to the value, e.g. ``("agents", 1, "email")``; the empty path ``()``
is the root node.

Differences from ``yaml.safe_load`` (on purpose):

* duplicate mapping keys are reported instead of silently keeping the last one;
* merge keys (``<<``) are rejected (they hide where a value comes from);
* only ``true``/``false`` (any case) are booleans: YAML 1.1's ``yes``/``no``/
  ``on``/``off`` stay strings, so the Norwegian locale ``no`` is not ``False``;
* hostile input is bounded before anything big is built: nesting deeper than
  ``MAX_DEPTH``, more than ``MAX_VALUES`` values after expanding aliases (YAML
  "billion laughs" bombs), an alias inside its own anchor, numbers longer than
  ``MAX_NUMBER_CHARS`` and tags other than YAML's plain types (``!!python/...``)
  are reported as positioned issues instead of exhausting memory or the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

Path_ = tuple[str | int, ...]
Pos = tuple[int, int]


MAX_DEPTH = 32  # nesting levels (a provider file needs 4)
MAX_VALUES = 20_000  # values after alias expansion (a provider with 1000 agents needs ~5000)
MAX_NUMBER_CHARS = 40  # digits of an integer or float

_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


class LimitExceeded(yaml.MarkedYAMLError):
    """The document is refused before it is built: a bound was hit (depth, size, number length),
    an alias contains itself, or a tag is not a plain YAML type. ``problem`` is the message."""

    def __init__(self, mark: yaml.Mark | None, problem: str):
        super().__init__(problem=problem, problem_mark=mark)


class _Bounded(Composer):
    """The composer of both loaders below: a nesting limit, a bound on the values an alias
    expands to, and no alias to an anchor that is still open (a value containing itself)."""

    def _start_bounds(self) -> None:
        self._depth = 0
        self._open_anchors: list[str] = []
        self._values = 0  # values the document stands for so far, each alias counted as what it expands to
        self._sizes: dict[int, int] = {}  # id(collection node) -> values it expands to

    def _count(self, n: int, mark: yaml.Mark) -> None:
        self._values += n
        if self._values > MAX_VALUES:
            raise LimitExceeded(mark, f"YAML limit: more than {MAX_VALUES} values (after expanding aliases)")

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise LimitExceeded(event.start_mark,
                                    f"YAML alias '*{event.anchor}' is used inside its own anchor "
                                    f"'&{event.anchor}' (a value that contains itself)")
            node = super().compose_node(parent, index)
            self._count(self._sizes.get(id(node), 1), event.start_mark)
            return node
        if self._depth >= MAX_DEPTH:
            raise LimitExceeded(event.start_mark, f"YAML limit: nesting is deeper than {MAX_DEPTH} levels")
        self._depth += 1
        anchor = event.anchor
        if anchor is not None:
            self._open_anchors.append(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open_anchors.pop()
        if isinstance(node, yaml.CollectionNode):
            children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
            self._sizes[id(node)] = 1 + sum(self._sizes.get(id(c), 1) for c in children)
        self._count(1, node.start_mark)
        return node


class _Loader(_Bounded, yaml.SafeLoader):
    """PyYAML's pure-Python SafeLoader, bounded; implicit booleans are only true/false. It reads
    every file that the fast loader could not (and gives the error messages and positions)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._start_bounds()


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser

    class _FastLoader(_Bounded, CParser, SafeConstructor, Resolver):
        """The same composer and resolver over libyaml's parser (PyYAML's C extension): the events
        come from C, the tree is built by ``_Bounded`` as above, so limits, tags and positions are
        the same; about six times faster on a provider file, which matters with 1000 of them
        (every preview and update loads the whole catalog). A document it cannot read is read
        again by ``_Loader`` (see load_yaml_with_positions)."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._start_bounds()
else:  # PyYAML built without libyaml: the pure-Python loader only
    _FastLoader = None


# Copy the resolver table so SafeLoader itself is not modified, then drop the
# YAML 1.1 bool resolver and register a YAML 1.2-style one.
for _cls in (_Loader, _FastLoader):
    if _cls is None:
        continue
    _cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_implicit_resolver(
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
    values: int = 0  # values built so far (aliases counted each time they are expanded)

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


def text_position(text: str, index: int) -> Pos:
    """1-based (line, column) of character ``index`` of ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def load_yaml_with_positions(text: str) -> YamlDoc:
    """Parse one YAML document.  Syntax errors and exceeded limits become ``issues`` (data is None).

    A document is read by the fast (libyaml) loader when it is valid YAML within the limits;
    anything else — a control character, a syntax error, a limit — is read again by the
    pure-Python loader, whose messages and positions the error reports use. The two must not
    disagree, so the few constructs where libyaml reads differently go to the pure loader
    directly (``_PURE_ONLY``), and so does a document whose root is not a mapping or a list."""
    if _FastLoader is not None and not _needs_pure_loader(text):
        doc = _read(_FastLoader, text)
        if doc is not None:
            return doc
    return _read(_Loader, text, report=True)


# Where libyaml and PyYAML's pure loader were seen to disagree (a differential test, seeded random
# documents included, keeps this list honest): libyaml accepts a tab inside a plain value
# (``a: b<TAB>c``), a ``?`` inside a flow (``[x ? y]``, ``{x?|-a}``), a comment glued to a block
# scalar header (``|# note``), reads a bare ``!`` tag as an empty string, and a byte-order mark after
# the start; positions of an empty document differ. Sent to the pure loader: a tab, a ``!`` or ``?``
# that starts a token, a ``?`` anywhere but at the end of a line (or of a quoted text ending the
# line), ``|``/``>`` followed by ``#``, a BOM after the first character. "How can we help?" at the
# end of a line stays on the fast path.
_PURE_ONLY = re.compile(r"""\t|(?:^|[\s\[\]{},:\ufeff-])[!?]|\?(?!\n|\Z|["'] *(?:\n|\Z))|[|>][-+0-9]*#|.\ufeff""",
                        re.MULTILINE | re.DOTALL)


def _needs_pure_loader(text: str) -> bool:
    return bool(_PURE_ONLY.search(text) or yaml.reader.Reader.NON_PRINTABLE.search(text))


def _read(loader_cls, text: str, report: bool = False) -> YamlDoc | None:
    """``text`` read by ``loader_cls``; without ``report``, None when it cannot be read."""
    doc = YamlDoc(data=None)
    loader = None
    try:
        loader = loader_cls(text)  # the Python reader checks every character first: may raise ReaderError
        root = loader.get_single_node()
        if not report and not isinstance(root, yaml.CollectionNode):
            return None  # an empty or scalar document: the pure loader's positions
        if root is None:
            return doc
        doc.positions[()] = _pos(root)
        doc.data = _convert(loader, root, (), doc, 0, set())
    except Exception as exc:  # noqa: BLE001 - the fast loader hands anything it cannot read over
        if not report:
            return None
        if not isinstance(exc, yaml.YAMLError):
            raise
        _report(doc, text, exc)
    finally:
        if loader is not None:
            loader.dispose()
    return doc


def _report(doc: YamlDoc, text: str, exc: yaml.YAMLError) -> None:
    doc.data = None
    if isinstance(exc, LimitExceeded):
        mark = exc.problem_mark
        doc.issues.append(YamlIssue(*((mark.line + 1, mark.column + 1) if mark else (1, 1)), (),
                                    exc.problem))
    elif isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        parts = [p for p in (exc.context, exc.problem) if p]
        doc.issues.append(YamlIssue(line, col, (), "YAML syntax error: " + "; ".join(parts)))
    elif isinstance(exc, yaml.reader.ReaderError):  # a control character (NUL, ESC...) anywhere in the file
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or b"?")
        doc.issues.append(YamlIssue(*text_position(text, exc.position), (),
                                    f"YAML error: character U+{char:04X} is not allowed in a YAML file"))
    else:
        doc.issues.append(YamlIssue(1, 1, (), f"YAML error: {str(exc)[:200]}"))


def _tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


def _convert(loader: _Bounded, node: yaml.Node, path: Path_, doc: YamlDoc, depth: int, active: set[int]) -> Any:
    # Aliases let a small file describe a huge (or, through an alias, deep) value: count every
    # value built, and the depth reached, including inside expanded aliases.
    doc.values += 1
    if doc.values > MAX_VALUES:
        raise LimitExceeded(node.start_mark, f"YAML limit: more than {MAX_VALUES} values (after expanding aliases)")
    if depth >= MAX_DEPTH:
        raise LimitExceeded(node.start_mark, f"YAML limit: nesting is deeper than {MAX_DEPTH} levels "
                                             "(after expanding aliases)")
    if id(node) in active:  # defensive: the composer already refuses an alias inside its own anchor
        raise LimitExceeded(node.start_mark, "YAML alias: a value contains itself")
    if isinstance(node, yaml.ScalarNode):
        return _scalar(loader, node)
    expected = _CORE + ("map" if isinstance(node, yaml.MappingNode) else "seq")
    if node.tag != expected:
        raise LimitExceeded(node.start_mark, f"YAML tag '{_tag(node.tag)}' is not allowed (write plain values)")
    active.add(id(node))
    try:
        return _collection(loader, node, path, doc, depth, active)
    finally:
        active.discard(id(node))


def _scalar(loader: _Bounded, node: yaml.ScalarNode) -> Any:
    if node.tag not in _PLAIN_TAGS:
        raise LimitExceeded(node.start_mark, f"YAML tag '{_tag(node.tag)}' is not allowed (write plain values)")
    if node.tag in (_CORE + "int", _CORE + "float") and len(node.value) > MAX_NUMBER_CHARS:
        raise LimitExceeded(node.start_mark, f"YAML limit: number with {len(node.value)} characters "
                                             f"(at most {MAX_NUMBER_CHARS})")
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp out of range
        raise LimitExceeded(node.start_mark, f"YAML value cannot be read: {str(exc)[:100]}") from None


def _collection(loader: _Bounded, node: yaml.Node, path: Path_, doc: YamlDoc, depth: int, active: set[int]) -> Any:
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
            key = _scalar(loader, key_node)
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
            result[key] = _convert(loader, value_node, path + (key,), doc, depth + 1, active)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.positions[path + (index,)] = _pos(item)
            items.append(_convert(loader, item, path + (index,), doc, depth + 1, active))
        return items
    raise AssertionError(f"unexpected YAML node {type(node).__name__}")
