"""Catalog: the same agent email in two providers must agree on name and availability (issue #6)."""

from __future__ import annotations

from pathlib import Path

from cwtenants.catalog import load_catalog
from catalog_support import problems_of, write

REPO = Path(__file__).resolve().parents[2]


def test_conflicting_names_are_reported_with_both_places(tmp_path):
    a = write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents:\n  - {email: s@m.example, name: Sam One, shared: true}\n")
    b = write(tmp_path, "beta.yaml", """
        slug: beta
        name: Beta
        agents:
          - email: S@m.example
            name: Sam Two
            shared: true
        """)
    probs = problems_of(tmp_path)
    assert len(probs) == 1
    p = probs[0]
    assert (p.file, p.line, p.field) == (str(b), 5, "agents[0].name")
    assert p.message.startswith(f"agent 's@m.example' has name 'Sam Two' here but 'Sam One' in {a}:4")


def test_name_left_out_in_one_provider_is_fine(tmp_path):
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: sam@m.example, name: Sam, shared: true}]\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nagents: [{email: sam@m.example, shared: true}]\n")
    cat = load_catalog(tmp_path)
    assert [a.name for p in cat.providers for a in p.agents] == ["Sam", "sam"]  # program.merge_agents picks "Sam"


def test_conflicting_availability(tmp_path):
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: s@m.example, name: S, availability: busy, shared: true}]\n")
    b = write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nagents: [{email: s@m.example, name: S, availability: online, shared: true}]\n")
    probs = problems_of(tmp_path)
    assert [(p.file, p.field) for p in probs] == [(str(b), "agents[0].availability")]
    assert "availability 'online' here but 'busy'" in probs[0].message


def test_availability_left_out_in_one_provider_is_fine(tmp_path):
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: s@m.example, name: S, availability: busy, shared: true}]\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nagents: [{email: s@m.example, name: S, shared: true}]\n")
    cat = load_catalog(tmp_path)
    assert [len(p.agents) for p in cat.providers] == [1, 1]


def test_sample_providers_still_load():
    cat = load_catalog(REPO / "tests" / "fixtures" / "catalog")
    assert sum(len(p.agents) for p in cat.providers) == 5
