"""Catalog: checks across provider files, JSON Schema, scaffold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cwtenants.catalog import load_catalog, load_provider_file, provider_json_schema, scaffold_provider
from cwtenants.catalog.models import derive_portal_slug
from cwtenants.catalog.schema import SCHEMA_FILES, render
from cwtenants.catalog.scaffold import slugify
from catalog_support import problems_of, write

REPO = Path(__file__).resolve().parents[2]


def test_duplicate_provider_slugs_across_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a", "acme.yaml", "name: Acme A\nslug: acme\n")
    second = write(tmp_path / "b", "acme.yaml", "# copy\nname: Acme B\nslug: acme\n")
    probs = problems_of([second, first])
    assert [(p.file, p.line, p.col, p.field) for p in probs] == [(str(second), 3, 1, "slug")]
    assert probs[0].message == f"provider slug 'acme' is also used by {first}:2"


def test_duplicate_slug_in_same_directory_via_wrong_file_name(tmp_path):
    a = write(tmp_path, "acme.yaml", "slug: acme\nname: Acme\n")
    b = write(tmp_path, "acme-copy.yaml", "slug: acme\nname: Acme Copy\n")
    probs = problems_of(tmp_path)
    assert sorted((p.file, p.line, p.field, p.message) for p in probs) == [
        (str(b), 1, "slug", "file name must be 'acme.yaml' to match the slug, got 'acme-copy.yaml'"),
        (str(b), 1, "slug", f"provider slug 'acme' is also used by {a}:1"),
    ]


def test_duplicate_portal_slug(tmp_path):
    a = write(tmp_path, "alpha.yaml", """
        slug: alpha
        name: Alpha
        portal:
          slug: shared-help
    """)
    b = write(tmp_path, "beta.yaml", """
        slug: beta
        name: Beta
        group: eu
        portal:
          name: Beta Help
          slug: shared-help
    """)
    p, = problems_of(tmp_path)
    assert (p.file, p.line, p.col, p.field) == (str(b), 6, 3, "portal.slug")
    assert p.message == f"portal slug 'shared-help' is also used by {a}:4"


def test_explicit_portal_slug_clashing_with_derived_one_points_at_slug_line(tmp_path):
    derived = derive_portal_slug("beta")
    a = write(tmp_path, "alpha.yaml", f"slug: alpha\nname: Alpha\nportal:\n  slug: {derived}\n")
    b = write(tmp_path, "beta.yaml", "name: Beta\nslug: beta\n")
    p, = problems_of(tmp_path)
    assert (p.file, p.line, p.field) == (str(b), 2, "slug")
    assert p.message == f"portal slug '{derived}' is also used by {a}:4"


def test_team_names_equal_after_lower_casing(tmp_path):
    a = write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nteam:\n  name: Shared Support\n")
    b = write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nteam:\n  description: x\n  name: SHARED support\n")
    p, = problems_of(tmp_path)
    assert (p.file, p.line, p.col, p.field) == (str(b), 5, 3, "team.name")
    assert "shared support" in p.message and f"{a}:4" in p.message


def test_derived_names_clash_when_display_names_equal(tmp_path):
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Same Name\n")
    b = write(tmp_path, "beta.yaml", "slug: beta\n\nname: same name\n")
    probs = problems_of(tmp_path)
    # inbox "same name Support" and team "same name team" clash; both reported at the name line
    assert sorted((p.file, p.line, p.field, p.message.split("'")[0]) for p in probs) == [
        (str(b), 3, "name", "inbox name "),
        (str(b), 3, "name", "team name (Chatwoot lower-cases team names) "),
    ]


def test_duplicate_inbox_name_and_custom_domain(tmp_path):
    write(tmp_path, "alpha.yaml", """
        slug: alpha
        name: Alpha
        inbox: {name: Help Desk}
        portal: {custom_domain: help.shared.example}
    """)
    b = write(tmp_path, "beta.yaml", """
        slug: beta
        name: Beta
        portal:
          custom_domain: HELP.shared.example
        inbox:
          name: help desk
    """)
    probs = problems_of(tmp_path)
    assert [(p.file, p.line, p.field) for p in probs] == [
        (str(b), 4, "portal.custom_domain"),
        (str(b), 6, "inbox.name"),
    ]
    assert probs[0].message.startswith("custom domain 'help.shared.example' is also used by")


def test_person_in_two_providers_needs_shared_on_every_listing(tmp_path):
    a = write(tmp_path, "alpha.yaml", """
        slug: alpha
        name: Alpha
        agents:
          - email: bob@alpha.example
          - email: shared@market.example
            name: Shared
            shared: true
    """)
    b = write(tmp_path, "beta.yaml", """
        slug: beta
        name: Beta
        agents:
          - email: Shared@Market.example
    """)
    p, = problems_of(tmp_path)
    assert (p.file, p.line, p.col, p.field) == (str(b), 4, 5, "agents[0].email")
    assert p.message.startswith(f"agent 'shared@market.example' is also listed by {a}:5; a person in two "
                                "providers' inboxes sees both providers' conversations")


def test_shared_on_every_listing_is_fine(tmp_path):
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: s@m.example, role: agent, shared: true}]\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nagents: [{email: s@m.example, shared: true}]\n")
    cat = load_catalog(tmp_path)
    assert [a.shared for p in cat.providers for a in p.agents] == [True, True]


def test_all_problems_of_all_files_collected_and_sorted(tmp_path):
    write(tmp_path, "b.yaml", "slug: b\nname: B\n")  # slug too short
    write(tmp_path, "a-a.yaml", "slug: a-a\nname: A\ninbox: {timezone: X/Y}\nteam: {nam: t}\n")
    write(tmp_path, "c-c.yaml", "slug: c-c\nname: [\n")
    probs = problems_of(tmp_path)
    got = [(Path(p.file).name, p.line, p.field) for p in probs]
    assert got == [
        ("a-a.yaml", 3, "inbox.timezone"),
        ("a-a.yaml", 4, "team.nam"),
        ("b.yaml", 1, "slug"),
        ("c-c.yaml", 3, "<yaml>"),
    ]


# ---------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_committed_schema_equals_generated(name):
    committed = (REPO / "schema" / name).read_text(encoding="utf-8")
    assert committed == render(SCHEMA_FILES[name]()), "run: .venv/bin/python -m cwtenants.catalog schema"


def test_schema_shape():
    s = provider_json_schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["required"] == ["slug", "name"]
    assert s["additionalProperties"] is False
    assert s["properties"]["slug"]["pattern"] == "^[a-z0-9]+(-[a-z0-9]+)*$"
    assert "description" in s["properties"]["membership"]
    for definition in s["$defs"].values():
        assert definition["additionalProperties"] is False
        for prop in definition["properties"].values():
            assert prop.get("description"), prop
    json.dumps(s)  # serialisable


# ---------------------------------------------------------------------------
# Scaffold
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, slug", [
    ("Acme Hosting", "acme-hosting"),
    ("Ärzte & Co. Hosting GmbH", "arzte-co-hosting-gmbh"),
    ("  Nimbus   Cloud!! ", "nimbus-cloud"),
    ("A: tricky # name", "a-tricky-name"),
])
def test_scaffold_output_validates(tmp_path, name, slug):
    text = scaffold_provider(name, group="eu", timezone="Europe/Berlin", locales=["en", "de"])
    assert text.startswith("# yaml-language-server: $schema=../schema/provider.schema.json\n")
    path = tmp_path / f"{slug}.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_provider_file(path)
    assert spec.slug == slug
    assert spec.name == " ".join(name.split())
    assert spec.portal.slug == derive_portal_slug(slug)
    assert spec.portal.locales == ["en", "de"] and spec.inbox.timezone == "Europe/Berlin"
    assert yaml.safe_load(text)["portal"]["slug"] == derive_portal_slug(slug)


def test_scaffold_minimal_and_errors(tmp_path):
    text = scaffold_provider("Blue Sky", portal_slug_prefix="mkt-")
    (tmp_path / "blue-sky.yaml").write_text(text, encoding="utf-8")
    spec = load_catalog(tmp_path).providers[0]
    assert spec.portal.slug == "mkt-" + derive_portal_slug("blue-sky")
    with pytest.raises(ValueError):
        scaffold_provider("!!!")
    assert slugify("x" * 60) == "x" * 50


# ---------------------------------------------------------------------------
# One pass: schema problems and in-file / cross-file problems together (docs/catalog.md)
# ---------------------------------------------------------------------------

def test_duplicate_email_reported_with_the_schema_errors_of_the_same_file(tmp_path):
    write(tmp_path, "acme.yaml", """
        slug: acme
        name: Acme
        inbox: {timezone: Mars/Base}
        agents:
          - {email: jo@acme.example, name: Jo, role: agent}
          - {email: bad-address, name: X, role: agent}
          - {email: jo@acme.example, name: Jo, role: chief}
          - {email: jo@acme.example, name: Jo, role: agent}
    """)
    probs = problems_of(tmp_path)
    found = [(p.line, p.field) for p in probs]
    assert (3, "inbox.timezone") in found
    assert (6, "agents[1].email") in found
    assert (7, "agents[2].role") in found
    dup = next(p for p in probs if "duplicate agent email" in p.message)
    assert (dup.line, dup.field) == (8, "agents[3].email"), dup  # original line and index, not shifted


def test_cross_file_clash_reported_with_schema_errors(tmp_path):
    write(tmp_path, "acme.yaml", """
        slug: acme
        name: Acme
        inbox: {name: Shared Desk, timezone: Mars/Base}
        portal: {color: blue}
    """)
    write(tmp_path, "beta.yaml", """
        slug: beta
        name: Beta
        inbox: {name: shared desk}
        bogus: 1
    """)
    probs = problems_of(tmp_path)
    fields = {(p.file.rsplit("/", 1)[1], p.field) for p in probs}
    assert ("acme.yaml", "inbox.timezone") in fields and ("acme.yaml", "portal.color") in fields
    assert ("beta.yaml", "bogus") in fields
    clash = [p for p in probs if "inbox name 'shared desk' is also used by" in p.message]
    assert len(clash) == 1 and clash[0].file.endswith("beta.yaml") and clash[0].line == 3, probs


def test_file_without_a_valid_slug_is_left_out_of_cross_file_checks(tmp_path):
    write(tmp_path, "acme.yaml", "slug: Not A Slug\nname: Acme\ninbox: {name: Desk}\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\ninbox: {name: Desk}\n")
    probs = problems_of(tmp_path)
    assert [(p.file.rsplit("/", 1)[1], p.field) for p in probs] == [("acme.yaml", "slug")]


def test_duplicate_yaml_key_reported_with_the_other_problems(tmp_path):
    write(tmp_path, "acme.yaml", "slug: acme\nname: Acme\nname: Again\ninbox: {timezone: Mars/Base}\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\ninbox: {name: Acme Support}\n")
    found = {(p.file.rsplit("/", 1)[1], p.line, p.field) for p in problems_of(tmp_path)}
    assert ("acme.yaml", 3, "name") in found and ("acme.yaml", 4, "inbox.timezone") in found
    assert ("beta.yaml", 3, "inbox.name") in found  # clash with acme's derived inbox name
