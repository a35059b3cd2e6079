"""Isolation by construction in the catalog (issue #20): no provider administrator, staff in
_defaults.yaml, a person in two providers only when declared staff or shared, custom roles declared."""

from __future__ import annotations


from typer.testing import CliRunner

from cwtenants.catalog import load_catalog
from cwtenants.cli import app
from catalog_support import problems_of, write


def test_validate_rejects_a_provider_administrator_with_position_and_reason(tmp_path):
    path = write(tmp_path, "acme.yaml", """
        slug: acme
        name: Acme
        agents:
          - email: boss@acme.example
            role: administrator
        """)
    result = CliRunner().invoke(app, ["validate", str(tmp_path)], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    out = result.output
    assert f"{path}:5:5: agents[0].role: a provider's people are Chatwoot agents: 'administrator' would let " \
           "this person read every provider's conversations" in out
    assert "`staff:` in _defaults.yaml" in out


def test_staff_administrator_may_be_listed_by_several_providers(tmp_path):
    d = write(tmp_path, "_defaults.yaml", """
        staff:
          - {email: Ops@Market.example, name: Marketplace Ops}
          - {email: lead@market.example, role: agent}
        """)
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: ops@market.example}]\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nagents: [{email: ops@market.example}, "
                                 "{email: lead@market.example}]\n")
    cat = load_catalog(tmp_path)
    assert [(s.email, s.role, s.name, s.source) for s in cat.staff] == [
        ("ops@market.example", "administrator", "Marketplace Ops", f"{d}:2"),
        ("lead@market.example", "agent", "lead", f"{d}:3"),
    ]
    beta = cat.get("beta")
    assert [(a.email, a.role, a.staff, a.name) for a in beta.agents] == [
        ("ops@market.example", "administrator", True, "Marketplace Ops"),
        ("lead@market.example", "agent", True, "lead"),
    ]


def test_provider_cannot_lower_a_staff_administrator(tmp_path):
    write(tmp_path, "_defaults.yaml", "staff: [{email: ops@market.example}]\n")
    p = write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents:\n  - {email: ops@market.example, role: agent}\n")
    prob, = problems_of(tmp_path)
    assert (prob.file, prob.line, prob.field) == (str(p), 4, "agents[0].role")
    assert "staff with role 'administrator'" in prob.message


def test_person_in_two_providers_is_refused_without_a_decision(tmp_path):
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: sam@x.example}]\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nagents: [{email: sam@x.example, shared: true}]\n")
    prob, = problems_of(tmp_path)  # only the listing without `shared: true`
    assert prob.file.endswith("alpha.yaml") and prob.field == "agents[0].email"
    assert "sees both providers' conversations" in prob.message and "beta.yaml:3" in prob.message


def test_duplicate_staff_and_role_names(tmp_path):
    d = write(tmp_path, "_defaults.yaml", """
        staff:
          - {email: a@m.example}
          - {email: A@m.example}
        custom_roles:
          - {name: Support, permissions: [contact_manage]}
          - {name: Support, permissions: [report_manage]}
        """)
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\n")
    probs = problems_of(tmp_path)
    assert [(p.file, p.line, p.field) for p in probs] == [
        (str(d), 3, "staff[1].email"), (str(d), 6, "custom_roles[1].name")]


def test_custom_roles_declared_checked_and_assigned(tmp_path):
    write(tmp_path, "_defaults.yaml", """
        custom_roles:
          - name: Provider support
            description: own inboxes and knowledge base
            permissions: [conversation_participating_manage, knowledge_base_manage]
        """)
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: a@x.example, custom_role: Provider support}]\n")
    cat = load_catalog(tmp_path)
    assert [(r.name, r.permissions) for r in cat.custom_roles] == [
        ("Provider support", ["conversation_participating_manage", "knowledge_base_manage"])]
    assert cat.get("alpha").agents[0].custom_role == "Provider support"

    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: a@x.example, custom_role: Nope}]\n")
    prob, = problems_of(tmp_path)
    assert prob.field == "agents[0].custom_role"
    assert prob.message == ("unknown custom role 'Nope' (declared under `custom_roles:` in _defaults.yaml: "
                            "'Provider support')")


def test_custom_role_permission_outside_chatwoots_list(tmp_path):
    d = write(tmp_path, "_defaults.yaml", "custom_roles:\n  - {name: Bad, permissions: [team_manage]}\n")
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\n")
    prob, = problems_of(tmp_path)
    assert (prob.file, prob.line, prob.field) == (str(d), 2, "custom_roles[0].permissions[0]")
    assert "knowledge_base_manage" in prob.message


def test_rights_report_names_staff_admins_and_shared_people(tmp_path):
    from cwtenants.program import rights_report

    d = write(tmp_path, "_defaults.yaml", "staff:\n  - {email: ops@m.example}\n")
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents: [{email: sam@x.example, shared: true}]\n")
    write(tmp_path, "beta.yaml", "slug: beta\nname: Beta\nagents: [{email: sam@x.example, shared: true}, "
                                 "{email: ops@m.example}]\n")
    cat = load_catalog(tmp_path)
    text = rights_report(cat, cat.providers)
    assert text.splitlines() == [
        f"account-wide rights (administrator): ops@m.example (staff, {d}:2)",
        "shared between providers (shared: true): sam@x.example sees the conversations of alpha, beta",
    ]


def test_staff_name_and_availability_agree_where_a_provider_writes_them(tmp_path):
    write(tmp_path, "_defaults.yaml", "staff:\n  - {email: lead@m.example, role: agent, availability: busy}\n")
    p = write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents:\n  - {email: lead@m.example, availability: online}\n")
    prob, = problems_of(tmp_path)
    assert (prob.file, prob.line, prob.field) == (str(p), 4, "agents[0].availability")
    assert "staff with availability 'busy'" in prob.message
    write(tmp_path, "alpha.yaml", "slug: alpha\nname: Alpha\nagents:\n  - {email: lead@m.example}\n")
    assert load_catalog(tmp_path).get("alpha").agents[0].availability == "busy"  # from the staff entry
