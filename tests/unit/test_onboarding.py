"""cwtenants onboard/offboard without Pulumi or Chatwoot: record -> file, validation, stack lock retry."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pulumi
import pytest
from typer.testing import CliRunner

from cwtenants import onboard as ob
from cwtenants import stackinfo
from cwtenants.catalog import load_catalog, scaffold_provider
from cwtenants.cli import app

ROOT = Path(__file__).resolve().parents[2]
RECORD = {"slug": "acme-host", "name": "Acme Host", "timezone": "Europe/Paris", "locales": ["en", "de"],
          "webhook_url": "https://acme.example/hook", "offboarding": "archive",
          "contacts": [{"email": "ann@acme.example", "name": "Ann Lee", "role": "agent"}],
          "portal": {"homepage_link": "https://acme.example", "color": "#112233"}}


@pytest.fixture
def providers(tmp_path) -> Path:
    d = tmp_path / "providers"
    shutil.copytree(ROOT / "tests" / "fixtures" / "catalog", d)
    return d


def cli(*args: str, input: str | None = None, cwd: Path | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATWOOT_")}
    old = Path.cwd()
    if cwd:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(app, list(args), input=input, env=env)
    finally:
        os.chdir(old)


def test_render_is_the_scaffold_of_new_plus_the_record(providers):
    rec = ob.parse_record(json.dumps({"slug": "blue-sky", "name": "Blue Sky"}))
    text = ob.render(rec)
    plain = scaffold_provider("Blue Sky", slug="blue-sky")
    # the same text as `cwtenants new`, with the generated-by line as second line
    lines = text.splitlines()
    assert lines[1].startswith("# generated-by: cwtenants onboard")
    assert "\n".join(lines[:1] + lines[2:]) + "\n" == plain
    full = ob.render(ob.parse_record(json.dumps(RECORD)))
    (providers / "acme-host.yaml").write_text(full)
    spec = load_catalog(providers).get("acme-host")
    assert spec.inbox.timezone == "Europe/Paris" and spec.inbox.webhook_url == "https://acme.example/hook"
    assert spec.portal.locales == ["en", "de"] and spec.portal.color == "#112233"
    assert spec.portal.homepage_link == "https://acme.example" and spec.offboarding == "archive"
    assert [(a.email, a.name, a.role) for a in spec.agents] == [("ann@acme.example", "Ann Lee", "agent")]
    assert ob.is_generated(full) and not ob.is_generated(plain)


def test_record_field_names():
    assert ob.record_field("agents[1].email") == "contacts[1].email"
    assert ob.record_field("portal.locales[0]") == "locales[0]"
    assert ob.record_field("inbox.timezone") == "timezone"
    assert ob.record_field("portal.slug") == "portal.slug"
    assert ob.record_field("team.name") == "name"


BAD = [
    ({"name": "X"}, ["slug: required field is missing"]),
    ({"slug": "acme-host"}, ["name: required field is missing"]),
    ({**RECORD, "slug": "Acme Host"}, ["slug: 'Acme Host' is not a valid slug"]),
    ({**RECORD, "slug": "a"}, ["slug: 'a' is not a valid slug"]),
    ({**RECORD, "tier": "gold"}, ["tier: unknown field"]),
    ({**RECORD, "timezone": "Mars/Base"}, ["timezone: unknown timezone 'Mars/Base'"]),
    ({**RECORD, "locales": ["en", "EN"]}, ["locales[1]: 'EN' does not match"]),
    ({**RECORD, "webhook_url": "ftp://x"}, ["webhook_url: 'ftp://x' is not an http(s) URL"]),
    ({**RECORD, "contacts": [{"email": "nope"}]}, ["contacts[0].email: invalid email 'nope'"]),
    ({**RECORD, "contacts": [{"email": "a@b.example", "role": "owner"}]}, ["contacts[0].role: "]),
    # the catalog's rule: a provider's people are agents; administrators are marketplace staff
    ({**RECORD, "contacts": [{"email": "a@b.example", "role": "administrator"}]},
     ["contacts[0].role: a provider's people are Chatwoot agents", "staff:"]),
    ({**RECORD, "contacts": [{"name": "No Mail"}]}, ["contacts[0].email: required field is missing"]),
    ({**RECORD, "offboarding": "shred"}, ["offboarding: Input should be 'retain', 'archive' or 'delete'"]),
    # collisions with the sample catalog (harbor-vps.yaml): team/inbox name after lower-casing, portal slug
    ({**RECORD, "name": "HARBOR vps"}, ["name: team name", "is already used by", "harbor-vps.yaml"]),
    ({**RECORD, "portal": {"slug": "harbor-vps-help"}}, ["portal.slug: portal slug 'harbor-vps-help' is already used"]),
]


@pytest.mark.parametrize("record,expected", BAD, ids=range(len(BAD)))
def test_bad_input_is_rejected_and_nothing_is_written(providers, record, expected):
    before = sorted(p.name for p in providers.iterdir())
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(record))
    assert r.exit_code == 1, r.output
    for e in expected:
        assert e in r.stderr, r.stderr
    assert "nothing was written" in r.stderr
    assert sorted(p.name for p in providers.iterdir()) == before


def test_not_json_and_not_an_object(providers):
    for text, msg in (("{", "<record>: not valid JSON"), ("[1]", "<record>: expected a JSON object")):
        r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=text)
        assert r.exit_code == 1 and msg in r.stderr


def test_created_unchanged_updated_and_hand_written_files(providers):
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(RECORD))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("created ")
    first = (providers / "acme-host.yaml").read_text()
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(RECORD))
    assert r.stdout.startswith("unchanged ") and (providers / "acme-host.yaml").read_text() == first
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps({**RECORD, "timezone": "UTC"}))
    assert r.stdout.startswith("updated ") and "timezone: UTC" in (providers / "acme-host.yaml").read_text()
    # harbor-vps.yaml was written by hand: only with --update
    rec = {"slug": "harbor-vps", "name": "Harbor VPS", "portal": {"slug": "harbor-vps-help"}}
    hand = (providers / "harbor-vps.yaml").read_text()
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(rec))
    assert r.exit_code == 1 and "not overwriting it without --update" in r.stderr
    assert (providers / "harbor-vps.yaml").read_text() == hand
    r = cli("onboard", "--no-apply", "--update", "-d", str(providers), "-", input=json.dumps(rec))
    assert r.exit_code == 0, r.output
    assert ob.is_generated((providers / "harbor-vps.yaml").read_text())


def test_other_invalid_files_block_onboarding(providers):
    (providers / "broken.yaml").write_text("slug: broken\nname: 42\n")
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(RECORD))
    assert r.exit_code == 1 and "broken.yaml" in r.stderr and "other provider files are invalid" in r.stderr
    assert not (providers / "acme-host.yaml").exists()


def test_a_template_the_record_cannot_fill_is_rejected_before_writing(providers):
    """The organisation's article templates are part of what a new provider gets: one that needs a
    field the record does not give is bad input of the record, named with the template's line."""
    (providers / "_articles" / "de").mkdir(parents=True)
    (providers / "_articles" / "de" / "domain.md").write_text(
        "---\ntitle: Our help domain\n---\nOpen {{ provider.portal.custom_domain }}.\n")
    assert load_catalog(providers).providers  # the catalog itself is valid (harbor-vps has a domain)
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(RECORD))
    assert r.exit_code == 1, r.output
    assert (f"articles: {providers / '_articles' / 'de' / 'domain.md'}:4:6: 'provider.portal.custom_domain' has "
            f"no value for provider acme-host") in r.stderr, r.stderr
    assert "cwt-onboard-" not in r.stderr  # no temporary path shown
    assert not (providers / "acme-host.yaml").exists()
    ok = {**RECORD, "portal": {**RECORD["portal"], "custom_domain": "help.acme.example"}}
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(ok))
    assert r.exit_code == 0, r.output
    assert load_catalog(providers).providers


def test_an_article_slug_taken_by_another_provider_is_bad_input_of_the_record(providers):
    """A template gives the new provider the article slug <slug>-<template>; another provider's own
    article with that slug is a clash of the record, whichever file the catalog reports it on."""
    (providers / "_articles" / "en").mkdir(parents=True)
    (providers / "_articles" / "en" / "hours.md").write_text("---\ntitle: Hours\n---\nNine to five.\n")
    own = providers / "harbor-vps" / "articles" / "en"
    own.mkdir(parents=True)
    (own / "acme-host-hours.md").write_text("---\ntitle: Ours\n---\nText.\n")
    assert load_catalog(providers).providers  # valid without the new provider
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(RECORD))
    assert r.exit_code == 1, r.output
    assert "other provider files are invalid" not in r.stderr, r.stderr
    assert "articles: " in r.stderr and "acme-host-hours" in r.stderr, r.stderr
    assert "cwt-onboard-" not in r.stderr, r.stderr
    assert not (providers / "acme-host.yaml").exists()


def test_a_broken_template_is_reported_once_with_its_own_path(providers):
    (providers / "_articles" / "en").mkdir(parents=True)
    (providers / "_articles" / "en" / "bad.md").write_text("---\ntitle: [unclosed\n---\nText\n")
    r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(RECORD))
    assert r.exit_code == 1 and "other provider files are invalid" in r.stderr, r.output
    lines = [ln for ln in r.stderr.splitlines() if "bad.md" in ln]
    assert len(lines) == 1 and str(providers / "_articles" / "en" / "bad.md") in lines[0], r.stderr
    assert "cwt-onboard-" not in r.stderr
    assert not (providers / "acme-host.yaml").exists()


def test_onboard_without_apply_needs_no_pulumi_on_path(providers, tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: cwtenants\nruntime: python\n")
    old = os.environ["PATH"]
    os.environ["PATH"] = str(Path(sys.executable).parent.parent / "nothing-here")
    try:
        r = cli("onboard", "--no-apply", "-d", str(providers), "-", input=json.dumps(RECORD), cwd=tmp_path)
    finally:
        os.environ["PATH"] = old
    assert r.exit_code == 0, (r.output, repr(r.exception))
    assert (providers / "acme-host.yaml").exists()


def test_offboard_without_apply_removes_the_file(providers):
    r = cli("offboard", "--no-apply", "-d", str(providers), "harbor-vps")
    assert r.exit_code == 0, r.output
    assert "removed" in r.stdout and "offboarding: archive" in r.stdout
    assert not (providers / "harbor-vps.yaml").exists()
    r = cli("offboard", "--no-apply", "-d", str(providers), "harbor-vps")
    assert r.exit_code == 0 and r.stdout.startswith("absent")
    r = cli("offboard", "--no-apply", "-d", str(providers), "Bad_Slug")
    assert r.exit_code == 1 and "slug: 'Bad_Slug' is not a valid slug" in r.stderr


# ------------------------------------------------------------------------------ the stack lock

FAKE_PULUMI = r"""#!/usr/bin/env python3
import json, os, sys
state = os.environ["FAKE_PULUMI_DIR"]
if sys.argv[1:3] == ["stack", "output"]:  # offboard: is the file's policy applied?
    with open(os.path.join(os.path.dirname(state), "outputs-read"), "a") as f:
        f.write("read\n")
    print('{"providers": {"old": {"inbox_id": 1}}, "chatwoot_url": "http://x"}')
    sys.exit(0)
n = len(os.listdir(state))
with open(os.path.join(state, f"call-{n}.json"), "w") as f:
    json.dump({"args": sys.argv[1:], "only": os.environ.get("CWT_ONLY_PROVIDERS"),
               "agents": os.environ.get("CWT_ONLY_AGENTS"),
               "skip_checkpoints": os.environ.get("PULUMI_SKIP_CHECKPOINTS"), "gogc": os.environ.get("GOGC")}, f)
if n < int(os.environ.get("FAKE_LOCKED_TIMES", "0")):
    print("error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end",
          file=sys.stderr)
    sys.exit(255)
print("Resources:\n    + 6 created\n\nDuration: 1s")
"""


@pytest.fixture
def fake_pulumi(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(FAKE_PULUMI)
    (bin_dir / "pulumi").chmod(0o755)
    calls = tmp_path / "calls"
    calls.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_DIR", str(calls))
    monkeypatch.delenv("GOGC", raising=False)
    (tmp_path / "Pulumi.yaml").write_text("name: cwtenants\nruntime: python\n")

    def recorded() -> list[dict]:
        return [json.loads((calls / f"call-{i}.json").read_text()) for i in range(len(os.listdir(calls)))]
    return recorded


def test_targeted_up_names_only_this_provider(tmp_path, fake_pulumi, providers):
    st = ob.Stack(tmp_path, "org/dev")
    st.up("acme-host", {"ann@acme.example"}, providers)
    (call,) = fake_pulumi()
    targets = [call["args"][i + 1] for i, a in enumerate(call["args"]) if a == "--target"]
    base = "urn:pulumi:dev::cwtenants::"
    assert targets == [
        f"{base}cwtenants:index:Provider::acme-host",
        *(f"{base}cwtenants:index:Provider$pulumi-python:dynamic/cwtenants:{t}::acme-host-{c}"
          for c, t in (("portal", "Portal"), ("team", "Team"), ("inbox", "Inbox"),
                       ("team-members", "TeamMembers"), ("inbox-members", "InboxMembers"))),
        f"{base}pulumi-python:dynamic/cwtenants:Agent::agent-ann-at-acme-example",
    ]
    assert call["only"] == "acme-host" and call["agents"] == "ann@acme.example"
    # the stack outputs are read once, by the program inside the update (not by cwtenants before it)
    assert not (tmp_path / "outputs-read").exists()
    assert call["skip_checkpoints"] == "true"
    assert call["gogc"] == "400"  # fewer engine garbage collections (a caller's GOGC would win)
    assert call["args"][:3] == ["up", "--yes", "--skip-preview"]


def test_a_locked_stack_is_waited_for(tmp_path, fake_pulumi, providers, monkeypatch):
    monkeypatch.setenv("FAKE_LOCKED_TIMES", "2")
    lines = []
    out = ob.Stack(tmp_path, "dev", lock_wait=60, log=lines.append).up("acme-host", set(), providers)
    assert len(fake_pulumi()) == 3 and "6 created" in out
    assert len(lines) == 2 and "locked" in lines[0]


def test_a_lock_that_stays_is_a_clear_error(tmp_path, fake_pulumi, providers, monkeypatch):
    monkeypatch.setenv("FAKE_LOCKED_TIMES", "1000")
    with pytest.raises(ob.ApplyError, match=r"stayed locked for \d+s by another update"):
        ob.Stack(tmp_path, "dev", lock_wait=6).up("acme-host", set(), providers)
    assert 2 <= len(fake_pulumi()) < 15  # retried, bounded


def test_targets_not_in_the_stack_are_dropped(tmp_path, fake_pulumi, providers, monkeypatch):
    """An offboarding delivered again: Pulumi refuses targets it cannot find; they are dropped."""
    bin_dir = tmp_path / "bin"
    (bin_dir / "pulumi").write_text(FAKE_PULUMI.replace(
        'print("Resources:', 'targets = [a for a in sys.argv if a.startswith("urn:")]\n'
        'missing = [t for t in targets if "team" in t.rsplit("::", 1)[1]]\n'
        'if missing:\n'
        '    [print(f"error: Target \'{t}\' could not be found in the stack.") for t in missing]\n'
        '    sys.exit(255)\n'
        'print("Resources:'))
    lines = []
    ob.Stack(tmp_path, "dev", log=lines.append).up("acme-host", set(), providers)
    first, second = fake_pulumi()
    assert first["args"].count("--target") == 6 and second["args"].count("--target") == 4
    assert "2 of the targets are not in the stack" in lines[0]


# ------------------------------------------------------------------------------ offboarding with retain: marked


def test_offboard_retain_marks_the_file_and_onboarding_unmarks_it(providers):
    path = providers / "nimbus-cloud.yaml"  # offboarding: retain (the default)
    before = path.read_text()
    r = cli("offboard", "--no-apply", "-d", str(providers), "nimbus-cloud")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("marked ") and "(offboarding: retain)" in r.stdout
    text = path.read_text()
    assert text.startswith(before) and text.endswith("\noffboarded: true\n")
    catalog = load_catalog(providers)
    assert "nimbus-cloud" not in catalog.slugs  # not managed
    assert [p.slug for p in catalog.offboarded] == ["nimbus-cloud"]
    r = cli("validate", str(providers))
    assert r.exit_code == 0 and "offboarded (retained in Chatwoot, not managed): nimbus-cloud" in r.stdout
    # its names stay reserved: a record taking its team name is rejected
    r = cli("onboard", "--no-apply", "-d", str(providers), "-",
            input=json.dumps({"slug": "nimbus-two", "name": "NIMBUS Cloud"}))
    assert r.exit_code == 1 and "name: team name" in r.stderr
    # delivered again: nothing changes
    r = cli("offboard", "--no-apply", "-d", str(providers), "nimbus-cloud")
    assert r.stdout.startswith("unchanged ") and path.read_text() == text
    # onboarding the slug again writes the file without the mark: managed again
    rec = {"slug": "nimbus-cloud", "name": "Nimbus Cloud"}
    r = cli("onboard", "--no-apply", "--update", "-d", str(providers), "-", input=json.dumps(rec))
    assert r.exit_code == 0 and r.stdout.startswith("updated "), r.output
    assert "offboarded" not in path.read_text() and "nimbus-cloud" in load_catalog(providers).slugs


def test_mark_replaces_an_existing_line():
    assert ob.mark_offboarded("slug: a\nofboarded: x\noffboarded: false\nname: A\n") == \
        "slug: a\nofboarded: x\noffboarded: true\nname: A\n"
    assert ob.mark_offboarded("slug: a\nname: A").endswith("name: A\n" + ob.MARK_NOTE + "offboarded: true\n")


def test_offboarded_only_with_retain(providers):
    path = providers / "harbor-vps.yaml"  # offboarding: archive
    path.write_text(path.read_text() + "offboarded: true\n")
    r = cli("validate", str(providers))
    assert r.exit_code == 1
    assert "offboarded: a provider is only marked offboarded with `offboarding: retain` (this one's is archive)" \
        in r.stdout


# ------------------------------------------------------------------------------ sharded stacks


@pytest.fixture
def shard(tmp_path, providers, monkeypatch):
    """A project whose stack `eu` declares group eu (its Pulumi.eu.yaml)."""
    (tmp_path / "Pulumi.yaml").write_text("name: cwtenants\nruntime: python\n")
    (tmp_path / "Pulumi.eu.yaml").write_text("config:\n  cwtenants:group: eu\n")
    monkeypatch.delenv("CWT_GROUP", raising=False)
    return tmp_path


def test_onboarding_into_the_stack_of_another_group_is_refused(shard, providers):
    for record in ({**RECORD, "group": "us"}, RECORD):  # another group, no group
        r = cli("onboard", "--no-apply", "--stack", "eu", "-d", str(providers), "-", input=json.dumps(record),
                cwd=shard)
        assert r.exit_code == 1, r.output
        where = "the record's group" if record.get("group") else "no group in the record"
        assert (f"group: provider 'acme-host' is in group '{record.get('group', '-')}' ({where}), but stack 'eu' "
                "declares group 'eu'") in r.stderr
        assert "nothing was written or sent" in r.stderr
        assert not (providers / "acme-host.yaml").exists()
    r = cli("onboard", "--no-apply", "--stack", "eu", "-d", str(providers), "-",
            input=json.dumps({**RECORD, "group": "eu"}), cwd=shard)
    assert r.exit_code == 0 and r.stdout.startswith("created "), r.output


def test_cwt_group_wins_and_offboarding_checks_the_group_too(shard, providers, monkeypatch):
    monkeypatch.setenv("CWT_GROUP", "-")  # the providers without a group
    r = cli("onboard", "--no-apply", "--stack", "eu", "-d", str(providers), "-", input=json.dumps(RECORD), cwd=shard)
    assert r.exit_code == 0, r.output
    monkeypatch.setenv("CWT_GROUP", "us")
    r = cli("offboard", "--prepare", "--stack", "eu", "-d", str(providers), "acme-host", cwd=shard)
    assert r.exit_code == 1 and "group: provider 'acme-host' is in group '-'" in r.stderr
    assert (providers / "acme-host.yaml").exists()


def test_the_targeted_program_refuses_a_provider_of_another_group():
    from types import SimpleNamespace as P

    from cwtenants.program import check_selection_in_group, in_group

    ps = [P(slug="a", group="eu"), P(slug="b", group="us")]
    check_selection_in_group(ps, in_group(ps, "eu"), {"a"}, "eu")
    check_selection_in_group(ps, in_group(ps, "eu"), {"gone"}, "eu")  # an offboarding: not in the catalog
    with pytest.raises(Exception, match=r"b \(group us\): not in this stack's group 'eu'"):
        check_selection_in_group(ps, in_group(ps, "eu"), {"b"}, "eu")
    # a group whose providers are all marked offboarded is a group (an empty stack), not a typo
    assert in_group([], "eu", marked=[P(slug="c", group="eu")]) == []


class RecordingStack(ob.Stack):
    """A Stack whose updates are recorded, not run; the first ``expect_policy`` update can be refused
    the way the program refuses it when the state holds another offboarding policy."""

    def __init__(self, cwd: Path, refuse_first: bool):
        super().__init__(cwd, "dev")
        self.calls: list[tuple[str | None, bool]] = []  # (expect_policy, file present at that moment)
        self.refuse_first = refuse_first
        self.path: Path | None = None

    def check_group(self, *a, **k) -> None:
        return None

    def outputs(self) -> dict:
        raise AssertionError("an applying offboard must not read the outputs itself")

    def up(self, slug, emails, providers_dir, specs=(), expect_policy=None) -> str:
        self.calls.append((expect_policy, (providers_dir / f"{slug}.yaml").exists()))
        if expect_policy and self.refuse_first and len(self.calls) == 1:
            raise ob.PolicyNotApplied(slug)
        return "Resources:\n    ok\n"


@pytest.mark.parametrize("policy", ["archive", "retain"])
def test_offboard_lets_the_update_check_the_policy(providers, tmp_path, policy):
    """The usual case: one update, the file already removed/marked, the program checks the policy."""
    ob.onboard(json.dumps({**RECORD, "offboarding": policy}), providers, apply=False)
    st = RecordingStack(tmp_path, refuse_first=False)
    res = ob.offboard("acme-host", providers, stack=st)
    assert st.calls == [(policy, policy == "retain")]
    assert res.file == ("marked" if policy == "retain" else "removed") and res.applied


def test_offboard_records_a_policy_the_state_lacks_then_removes(providers, tmp_path):
    """The program refused (state holds another policy): the file comes back, a plain targeted update
    records its policy, then the file is removed and the provider's update runs."""
    ob.onboard(json.dumps(RECORD), providers, apply=False)
    path = providers / "acme-host.yaml"
    text = path.read_text(encoding="utf-8")
    st = RecordingStack(tmp_path, refuse_first=True)
    res = ob.offboard("acme-host", providers, stack=st)
    assert st.calls == [("archive", False), (None, True), (None, False)]
    assert not path.exists() and res.file == "removed" and res.applied
    assert "offboarding: archive" in text


def test_program_refuses_another_policy_before_any_step():
    from cwtenants.program import expect_offboarding

    info = stackinfo.StackInfo(offboarding={"acme-host": "retain"})
    expect_offboarding(info, None)
    expect_offboarding(info, "acme-host=retain")

    with pytest.raises(pulumi.RunError, match=ob.POLICY_NOT_APPLIED):
        expect_offboarding(info, "acme-host=delete")
    with pytest.raises(pulumi.RunError, match=ob.POLICY_NOT_APPLIED):
        expect_offboarding(None, "acme-host=archive")
