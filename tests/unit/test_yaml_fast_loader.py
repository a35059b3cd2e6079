"""The catalog reads YAML through libyaml's parser when PyYAML has it (yamlpos._FastLoader), and
through PyYAML's pure-Python loader otherwise and for every document the fast one cannot read.
Both must give the same data, positions and issues: compared here document by document."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cwtenants.catalog import yamlpos

ROOT = Path(__file__).resolve().parents[2]

needs_libyaml = pytest.mark.skipif(yamlpos._FastLoader is None, reason="PyYAML without libyaml: one loader only")

VALID = {
    "plain": "slug: acme\nname: Acme\n",
    "nested": "slug: a\nteam: {name: A team, description: 'x: y'}\nagents:\n  - email: a@b.example\n    role: agent\n",
    "anchors": "x: &x {a: 1, b: [1, 2]}\ny: *x\nz: [*x, *x]\n",
    "booleans_and_no": "a: yes\nb: no\nc: On\nd: true\ne: FALSE\nlocales: [no, nb]\n",
    "numbers": "a: 1\nb: -2.5\nc: 0x1F\nd: 1e3\ne: .inf\nf: 0o17\ng: 1_000\n",
    "nulls_and_dates": "a: ~\nb: null\nc:\nd: 2026-12-01\ne: 2026-12-01T10:00:00Z\n",
    "block_scalars": "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\nc: |+\n  kept\n\n",
    "quoted": "'a b': \"c\\td\\u00e9\"\n\"k:\": 'it''s'\n",
    "unicode": "name: Ünïcode 北京 🚀\nteam: {name: \"Ωmega\"}\n",
    "bom": "\ufeffslug: acme\n",
    "comments": "# top\nslug: acme # trailing\n\n# between\nname: Acme\n",
    "document_markers": "---\nslug: acme\n...\n",
    "list_root": "- 1\n- two\n",
    "indentless_sequence": "agents:\n- email: a@b.example\n- email: c@d.example\n",
    "long_lines": "name: " + "x" * 5000 + "\n",
    "crlf": "slug: acme\r\nname: Acme\r\n",
    # issues found while converting (same tree, so the same issues)
    "duplicate_key": "slug: a\nslug: b\n",
    "merge_key": "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n",
}

# read by the pure loader only (yamlpos._PURE_ONLY, or a root that is not a mapping or a list):
# where libyaml was seen to read differently, or would give other positions
TABS = {
    "tab_in_plain_value": "name: Acme\ndescription: a\tb\n",
    "tab_in_quoted_value": "name: \"a\tb\"\n",
    "question_in_flow": "a: [x ? y]\n",
    "question_key_in_flow": "a: {x ? y: 1}\n",
    "question_glued_in_flow": "{x?|-a}\n",
    "question_quote_in_flow": "[a?\"b]\n",
    "comment_on_block_header": "a: |# note\n  text\n",
    "comment_on_folded_header": "a: >#c\n  x\n",
    "bare_tag": "name: !\n",
    "empty_flow_key": "[? ]\n",
    "two_boms": "\ufeff\ufeffa: b\n",
    "trailing_bom": "a: b\r\n\ufeff",
    "bom_then_tag": "\ufeff! : \n",
    "empty_document": "---\n",
    "empty_document_comment": "--- #x\n",
    "empty_document_indented_comment": "---\n  #a\n",
    "empty": "",
    "only_comment": "# nothing\n",
    "scalar_root": "just a string\n",
    "complex_key": "? [a, b]\n: 1\n",
}

# odd but short documents: whatever each loader makes of them, the answer must be the pure one's
EDGES = ["a: [a:b]\n", "a: {a: b:c}\n", "key:value\n", "a: 'multi\n  line'\n", "a: @x\n", "a: `x\n", "- - a\n  - b\n",
         "a: b: c\n", "a: [1,2,]\n", "a: {b}\n", "a: - b\n", "a: !!str 1\n", "&a a: b\n", "a: b\n  c\n", "a: 'x'y\n",
         "[a, b]: c\n", "a: 1:2\n", "a: \"\\x41\\u263A\\U0001F600\"\n", "a: \"\\q\"\n", "%YAML 1.1\n---\na: b\n",
         "%TAG ! tag:x,2000:\n---\na: !b c\n", "a: 0b101\n", "a: 190:20:30\n", "a: .NaN\n", "a: <<\n",
         "\u00a0a: b\n", "a: \u2028b\n", "a: b\u0085c\n"]

INVALID = {
    "syntax": "slug: acme\n  name: Acme\n",
    "unclosed_flow": "team: {name: A\n",
    "bad_indent": "a:\n  - b\n - c\n",
    "tab_indent": "a:\n\tb: 1\n",
    "undefined_alias": "a: *nope\n",
    "python_tag": "a: !!python/object:os.system x\n",
    "custom_tag": "a: !secret x\n",
    "two_documents": "a: 1\n---\nb: 2\n",
    "nul": "a: b\x00c\n",
    "escape": "a: b\x1bc\n",
    "deep": "a: " + "[" * 100 + "]" * 100 + "\n",
    "self_alias": "a: &a [*a]\n",
    "long_number": "a: " + "9" * 100 + "\n",
}


def repository_documents() -> dict[str, str]:
    """Every YAML document the repository ships: provider files, fixtures, article front matter."""
    out = {}
    for path in sorted([*ROOT.glob("providers/*.yaml"), *ROOT.glob("tests/fixtures/**/*.yaml")]):
        out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for path in sorted(ROOT.glob("providers/_articles/**/*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines and lines[0].strip() == "---" and "---" in lines[1:]:
            end = lines.index("---", 1)
            out[str(path.relative_to(ROOT))] = "\n".join(lines[1:end]) + "\n"
    return out


def pure(text: str) -> yamlpos.YamlDoc:
    return yamlpos._read(yamlpos._Loader, text, report=True)


def same(a: yamlpos.YamlDoc, b: yamlpos.YamlDoc) -> bool:
    return (a.data, a.positions, a.issues, type(a.data)) == (b.data, b.positions, b.issues, type(b.data))


def test_the_repository_ships_yaml_to_compare():
    docs = repository_documents()
    assert len([k for k in docs if k.startswith("providers/") and k.endswith(".yaml")]) >= 3
    assert any(k.endswith(".md") for k in docs)


@needs_libyaml
@pytest.mark.parametrize("name", sorted(VALID))
def test_fast_loader_reads_valid_yaml_like_the_pure_one(name):
    text = VALID[name]
    fast = yamlpos._read(yamlpos._FastLoader, text)
    assert fast is not None, "the fast loader handed a valid document over"
    assert same(fast, pure(text)), (fast, pure(text))


@needs_libyaml
@pytest.mark.parametrize("name", sorted(repository_documents()))
def test_fast_loader_reads_the_repository_files_like_the_pure_one(name):
    text = repository_documents()[name]
    fast = yamlpos._read(yamlpos._FastLoader, text)
    assert fast is not None and fast.data is not None
    assert same(fast, pure(text))


@pytest.mark.parametrize("text", [*TABS.values(), *EDGES], ids=[*TABS, *(f"edge{i}" for i in range(len(EDGES)))])
def test_every_document_reads_as_the_pure_loader_reads_it(text):
    assert same(yamlpos.load_yaml_with_positions(text), pure(text))


TOKENS = ["a", "b", ":", ": ", " ", "\n", "\n  ", "- ", "-", "[", "]", "{", "}", ", ", "?", "? ", "?\n", "x?",
          "?\"\n", "!", "!x ", "a!", "|", ">", "|-", ">+", "#", " #c", "&x ", "*x", "'", '"', "\ufeff", "\x85",
          "\u2028", "---", "---\n", "...", "1", "true", "~", "%", "@", "`", "<<", "\\", "é", "x y", "\r\n"]


@pytest.mark.parametrize("seed", range(4))
def test_seeded_random_documents_read_as_the_pure_loader_reads_them(seed):
    """Short random documents over YAML's indicators (how the list above was found): the public
    reader must always give the pure loader's answer, whichever loader it used."""
    rnd = random.Random(seed)
    for _ in range(750):
        text = "".join(rnd.choice(TOKENS) for _ in range(rnd.randint(1, 20)))
        assert same(yamlpos.load_yaml_with_positions(text), pure(text)), repr(text)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_problems_are_reported_by_the_pure_loader(name):
    """Whatever the fast loader makes of a bad document, the issue reported is the pure loader's
    (its messages and positions are the ones the catalog's error lines and tests know)."""
    text = INVALID[name]
    got = yamlpos.load_yaml_with_positions(text)
    assert got.data is None and got.issues
    assert same(got, pure(text))


@needs_libyaml
def test_valid_documents_do_not_go_through_the_pure_loader(monkeypatch):
    """The speed-up is real only if valid files never reach the pure-Python loader."""

    class Refused(yamlpos._Loader):
        def __init__(self, stream):
            raise AssertionError("pure-Python loader used for a valid document")

    monkeypatch.setattr(yamlpos, "_Loader", Refused)
    for text in [*VALID.values(), *repository_documents().values()]:
        yamlpos.load_yaml_with_positions(text)


@needs_libyaml
def test_invalid_documents_do_reach_the_pure_loader(monkeypatch):
    used = []
    real = yamlpos._Loader

    class Counting(real):
        def __init__(self, stream):
            used.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(yamlpos, "_Loader", Counting)
    for text in [*INVALID.values(), *TABS.values()]:
        yamlpos.load_yaml_with_positions(text)
    assert len(used) == len(INVALID) + len(TABS)
