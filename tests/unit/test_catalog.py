"""Catalog: samples, defaults, per-file validation with exact positions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cwtenants.catalog import (
    CatalogError,
    Problem,
    ProviderSpec,
    load_catalog,
    load_provider_file,
)
from catalog_support import problems_of, write

REPO = Path(__file__).resolve().parents[2]
PROVIDERS = REPO / "tests" / "fixtures" / "catalog"  # the test catalog, never the real providers/
HEADER = "# yaml-language-server: $schema=../schema/provider.schema.json\n"


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# ---------------------------------------------------------------------------
# Samples and defaults
# ---------------------------------------------------------------------------

def test_samples_load_sorted_with_defaults_applied():
    cat = load_catalog(PROVIDERS)
    assert [p.slug for p in cat.providers] == ["greenleaf-hosting", "harbor-vps", "nimbus-cloud"]
    nimbus = cat.get("nimbus-cloud")
    assert isinstance(nimbus, ProviderSpec)
    assert nimbus.inbox.name == "Nimbus Cloud Support"
    assert nimbus.inbox.timezone == "Europe/Berlin"  # from _defaults.yaml
    assert nimbus.inbox.greeting.startswith("Thanks for contacting us")
    assert nimbus.team.name == "Nimbus Cloud Team"
    assert nimbus.portal.name == "Nimbus Cloud Help Center"
    assert nimbus.portal.slug == "nimbus-cloud-" + hashlib.sha256(b"nimbus-cloud").hexdigest()[:8]
    assert nimbus.portal.locales == ["en"]
    assert nimbus.membership == "authoritative" and nimbus.offboarding == "retain"
    assert nimbus.source.endswith("nimbus-cloud.yaml")
    green = cat.get("greenleaf-hosting")
    assert green.inbox.greeting is None  # explicit null overrides the default greeting
    assert green.membership == "additive"
    assert green.agents[0].email == "priya.natarajan@greenleaf-hosting.example"
    assert green.agents[0].role == "agent"
    harbor = cat.get("harbor-vps")
    assert harbor.portal.locales == ["en", "de"]
    assert harbor.portal.custom_domain == "help.harbor-vps.example"
    assert [a.role for a in harbor.agents] == ["agent", "agent", "agent"]  # no provider administrator
    assert [(s.email, s.role) for s in cat.staff] == [("support-lead@marketplace.example", "agent")]
    assert [a.staff for a in harbor.agents] == [False, False, True]


def test_builtin_defaults_without_defaults_file(tmp_path):
    write(tmp_path, "acme-hosting.yaml", """
        slug: acme-hosting
        name: Acme Hosting
        agents:
          - email: Alice@ACME.example
    """)
    spec = load_catalog(tmp_path).providers[0]
    assert spec.inbox.timezone == "UTC" and spec.inbox.greeting is None
    assert spec.inbox.enable_auto_assignment is True and spec.team.allow_auto_assign is True
    assert spec.portal.color == "#1f93ff" and spec.portal.locales == ["en"]
    assert spec.portal.slug == "acme-hosting-" + hashlib.sha256(b"acme-hosting").hexdigest()[:8]
    assert spec.agents[0].email == "alice@acme.example" and spec.agents[0].name == "alice"
    assert spec.agents[0].role == "agent" and spec.agents[0].availability is None
    assert spec.group is None and spec.membership == "authoritative" and spec.offboarding == "retain"


def test_defaults_file_and_override(tmp_path):
    write(tmp_path, "_defaults.yaml", """
        inbox: {timezone: Asia/Tokyo, enable_auto_assignment: false}
        team: {allow_auto_assign: false}
        portal: {color: "#abc", locales: [ja, en], portal_slug_prefix: mkt-}
        membership: additive
        offboarding: delete
    """)
    write(tmp_path, "a-one.yaml", "slug: a-one\nname: A One\n")
    write(tmp_path, "b-two.yaml", """
        slug: b-two
        name: B Two
        inbox: {timezone: UTC, enable_auto_assignment: true}
        portal: {locales: [de]}
        membership: authoritative
    """)
    cat = load_catalog(tmp_path)
    a, b = cat.providers
    assert (a.inbox.timezone, a.inbox.enable_auto_assignment, a.team.allow_auto_assign) == ("Asia/Tokyo", False, False)
    assert (a.portal.color, a.portal.locales, a.membership, a.offboarding) == ("#abc", ["ja", "en"], "additive", "delete")
    assert a.portal.slug == "mkt-a-one-" + hashlib.sha256(b"a-one").hexdigest()[:8]
    assert (b.inbox.timezone, b.inbox.enable_auto_assignment, b.portal.locales, b.membership) == (
        "UTC", True, ["de"], "authoritative")


def test_explicit_defaults_file_and_single_file(tmp_path):
    d = write(tmp_path, "org.yaml", "inbox: {timezone: Europe/Paris}\n")
    p = write(tmp_path, "solo.yaml", "slug: solo\nname: Solo\n")
    assert load_catalog(p, defaults_file=d).providers[0].inbox.timezone == "Europe/Paris"
    assert load_provider_file(p, defaults_file=d).inbox.timezone == "Europe/Paris"
    assert load_provider_file(p).inbox.timezone == "UTC"


def test_problem_str_format():
    p = Problem("providers/x.yaml", 3, 5, "inbox.timezone", "bad")
    assert str(p) == "providers/x.yaml:3:5: inbox.timezone: bad"


# ---------------------------------------------------------------------------
# One invalid file -> one problem at the exact line/col/field
# ---------------------------------------------------------------------------

ACME = "slug: acme\nname: Acme\n"

INVALID = {
    "unknown_key": (
        ACME + "inbox:\n  name: Acme Desk\n  timezon: UTC\n",
        (5, 3, "inbox.timezon", "unknown key 'timezon'"),
    ),
    "unknown_top_level_key": (
        ACME + "colour: red\n",
        (3, 1, "colour", "unknown key 'colour'"),
    ),
    "bad_timezone": (
        ACME + "inbox:\n  timezone: Europe/Berlinn\n",
        (4, 3, "inbox.timezone", "unknown timezone 'Europe/Berlinn'"),
    ),
    "bad_colour": (
        ACME + "portal:\n  name: Acme Help\n  color: '#12345'\n",
        (5, 3, "portal.color", "does not match"),
    ),
    "unquoted_colour_is_null": (
        ACME + "portal:\n  color: #1f93ff\n",
        (4, 3, "portal.color", "unquoted '#'"),
    ),
    "bad_locale": (
        ACME + "portal:\n  locales:\n    - en\n    - english\n",
        (6, 7, "portal.locales[1]", "'english' does not match"),
    ),
    "duplicate_locale": (
        ACME + "portal:\n  locales: [en, de, en]\n",
        (4, 21, "portal.locales[2]", "duplicate locale 'en'"),
    ),
    "bad_url_scheme": (
        ACME + "inbox:\n  webhook_url: ftp://acme.example/hook\n",
        (4, 3, "inbox.webhook_url", "not an http(s) URL"),
    ),
    "url_too_long": (
        ACME + "inbox:\n  webhook_url: https://acme.example/" + "a" * 2048 + "\n",
        (4, 3, "inbox.webhook_url", "at most 2048 characters"),
    ),
    "greeting_too_long": (
        ACME + "inbox:\n  greeting: " + "x" * 10001 + "\n",
        (4, 3, "inbox.greeting", "at most 10000 characters"),
    ),
    "bad_email": (
        ACME + "agents:\n  - email: alice@acme.example\n  - email: bob(at)acme.example\n    name: Bob\n",
        (5, 5, "agents[1].email", "invalid email 'bob(at)acme.example'"),
    ),
    "duplicate_email_case_insensitive": (
        ACME + "agents:\n  - {email: alice@acme.example}\n  - {email: Bob@acme.example}\n"
               "  - {email: ALICE@acme.example, role: agent}\n",
        (6, 6, "agents[2].email", "duplicate agent email 'alice@acme.example' (also agents[0] at line 4)"),
    ),
    "bad_role": (
        ACME + "agents:\n  - email: a@acme.example\n    role: owner\n",
        (5, 5, "agents[0].role", "'agent' or 'administrator'"),
    ),
    "bad_availability": (
        ACME + "agents:\n  - email: a@acme.example\n    availability: away\n",
        (5, 5, "agents[0].availability", "'online', 'offline' or 'busy'"),
    ),
    "yes_is_not_a_bool": (
        ACME + "team:\n  allow_auto_assign: yes\n",
        (4, 3, "team.allow_auto_assign", "must be true or false"),
    ),
    "bad_custom_domain": (
        ACME + "portal:\n  custom_domain: https://help.acme.example/\n",
        (4, 3, "portal.custom_domain", "is not a host name"),
    ),
    "bad_offboarding": (
        ACME + "offboarding: purge\n",
        (3, 1, "offboarding", "'retain', 'archive' or 'delete'"),
    ),
    "missing_name": (
        "# comment\nslug: acme\n",
        (2, 1, "name", "required key is missing"),
    ),
    "missing_agent_email": (
        ACME + "agents:\n  - name: Alice\n",
        (4, 5, "agents[0].email", "required key is missing"),
    ),
    "name_with_trailing_space": (
        ACME + "team:\n  name: 'Acme Team '\n",
        (4, 3, "team.name", "whitespace"),
    ),
    "duplicate_yaml_key": (
        ACME + "inbox:\n  timezone: UTC\n  greeting: hi\n  timezone: Europe/Berlin\n",
        (6, 3, "inbox.timezone", "duplicate key 'timezone' (first defined at line 4)"),
    ),
    "duplicate_top_level_key": (
        "slug: acme\nname: Acme\nname: Acme 2\n",
        (3, 1, "name", "duplicate key 'name' (first defined at line 2)"),
    ),
    "syntax_error": (
        ACME + "inbox:\n  name: [unclosed\n  timezone: UTC\n",
        (5, 11, "<yaml>", "YAML syntax error"),
    ),
    "syntax_error_bad_indent": (
        ACME + "inbox:\n  name: Acme\n   timezone: UTC\n",
        (5, 12, "<yaml>", "mapping values are not allowed here"),
    ),
    "not_a_mapping": (
        "# comment\n- slug: acme\n",
        (2, 1, "<root>", "expected a mapping of keys to values, got a sequence"),
    ),
    "empty_file": (
        "# only a comment\n",
        (1, 1, "<root>", "file is empty"),
    ),
    "merge_key": (
        ACME + "inbox:\n  <<: {timezone: UTC}\n",
        (4, 3, "inbox", "merge keys"),
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_file_reports_exact_position(tmp_path, case):
    text, (line, col, field, fragment) = INVALID[case]
    path = tmp_path / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    problem = only(problems_of(tmp_path))
    assert (problem.file, problem.line, problem.col, problem.field) == (str(path), line, col, field), str(problem)
    assert fragment in problem.message, str(problem)
    # the same problem through load_provider_file
    with pytest.raises(CatalogError) as info:
        load_provider_file(path)
    assert info.value.problems == [problem]


def test_bad_slug_and_file_name_check_skipped(tmp_path):
    write(tmp_path, "Acme_Hosting.yaml", """
        name: Acme
        slug: Acme_Hosting
    """)
    p = only(problems_of(tmp_path))
    assert (p.line, p.col, p.field) == (2, 1, "slug")
    assert "does not match" in p.message


@pytest.mark.parametrize("slug", ["a", "-acme", "acme-", "acme--hosting", "x" * 51, "acme hosting"])
def test_bad_slugs(tmp_path, slug):
    write(tmp_path, "p.yaml", f"name: Acme\nslug: '{slug}'\n")
    p = only(problems_of(tmp_path))
    assert (p.line, p.field) == (2, "slug")


def test_wrong_file_name_points_at_slug_line(tmp_path):
    path = write(tmp_path, "acme-hosting.yml", """
        # yaml-language-server: $schema=../schema/provider.schema.json
        name: Acme Hosting
        slug: acme-hosting
    """)
    p = only(problems_of(tmp_path))
    assert (p.file, p.line, p.col, p.field) == (str(path), 3, 1, "slug")
    assert p.message == "file name must be 'acme-hosting.yaml' to match the slug, got 'acme-hosting.yml'"


def test_valid_locales(tmp_path):
    write(tmp_path, "acme.yaml", ACME + "portal:\n  locales: [en, pt_BR, zh-CN, no, es-419, sr-Latn]\n")
    assert load_catalog(tmp_path).providers[0].portal.locales == ["en", "pt_BR", "zh-CN", "no", "es-419", "sr-Latn"]


def test_many_problems_in_one_file_sorted(tmp_path):
    write(tmp_path, "acme.yaml", """
        slug: acme
        name: Acme
        portal:
          color: red
        inbox:
          timezone: Nowhere/City
          extra: 1
    """)
    probs = problems_of(tmp_path)
    assert [(p.line, p.field) for p in probs] == [(4, "portal.color"), (6, "inbox.timezone"), (7, "inbox.extra")]


def test_invalid_defaults_file_reported(tmp_path):
    d = write(tmp_path, "_defaults.yaml", """
        inbox:
          timezone: Mars/Olympus
        portal:
          portal_slug_prefix: MKT
          locales: [en, en]
    """)
    write(tmp_path, "acme.yaml", ACME)
    probs = problems_of(tmp_path)
    assert [(p.file, p.line, p.field) for p in probs] == [
        (str(d), 2, "inbox.timezone"),
        (str(d), 4, "portal.portal_slug_prefix"),
        (str(d), 5, "portal.locales[1]"),  # in the same pass as the schema problems
    ]
    # unknown keys in the defaults file (e.g. provider-only keys) are rejected
    write(tmp_path, "_defaults.yaml", "inbox:\n  name: X\n")
    p = only(problems_of(tmp_path))
    assert (p.line, p.field) == (2, "inbox.name") and "unknown key 'name'" in p.message


def test_files_starting_with_underscore_or_dot_are_not_providers(tmp_path):
    write(tmp_path, "_notes.yaml", "whatever: 1\n")
    write(tmp_path, ".hidden.yaml", "whatever: 1\n")
    write(tmp_path, "README.md", "# not yaml\n")
    write(tmp_path, "acme.yaml", ACME)
    assert [p.slug for p in load_catalog(tmp_path).providers] == ["acme"]


def test_empty_directory_is_an_error(tmp_path):
    p = only(problems_of(tmp_path))
    assert p.field == "<catalog>" and "no provider files" in p.message


def test_catalog_error_message_lists_all(tmp_path):
    write(tmp_path, "acme.yaml", "slug: acme\nname: Acme\nbogus: 1\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    text = str(info.value)
    assert text.startswith("1 catalog problem:\n")
    assert f"{tmp_path / 'acme.yaml'}:3:1: bogus: unknown key 'bogus'" in text
