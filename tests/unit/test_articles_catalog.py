"""Catalog: Help Center categories, article files (front matter), organisation templates."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cwtenants.catalog import load_catalog
from cwtenants.catalog.articles import scan, substitute
from catalog_support import problems_of

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def article(title="Hello", category=None, body="Some text.\n", extra="") -> str:
    cat = f"category: {category}\n" if category else ""
    return f"---\ntitle: {title}\n{cat}{extra}---\n\n{body}"


@pytest.fixture
def cat(tmp_path):
    """A catalog folder with one provider (en, de) and one category per locale."""
    write(tmp_path / "acme.yaml", """
        slug: acme
        name: Acme Hosting
        portal:
          locales: [en, de]
          categories:
            en:
              - {slug: start, name: Getting started}
            de:
              - {slug: start-de, name: Erste Schritte}
        """)
    return tmp_path


def test_article_parsed_with_defaults(cat):
    write(cat / "acme/articles/en/acme-first.md", article("First steps", "start", "# Hi\n\nBody.\n",
                                                         "tags: [a, b]\nposition: 3\n"))
    spec = load_catalog(cat).get("acme")
    [a] = spec.articles
    assert (a.locale, a.slug, a.title, a.category, a.status, a.position, a.tags) == \
        ("en", "acme-first", "First steps", "start", "published", 3, ("a", "b"))
    assert a.content == "# Hi\n\nBody.\n"
    assert a.source.endswith("acme/articles/en/acme-first.md") and a.template is None
    assert [(c.locale, c.slug) for c in spec.portal.categories] == [("en", "start"), ("de", "start-de")]
    assert spec.portal.articles == "additive"


def test_front_matter_errors_have_positions(cat):
    f = write(cat / "acme/articles/en/acme-x.md", "---\ntitle: X\nstatus: live\ncolour: red\n---\nbody\n")
    probs = problems_of(cat)
    got = {(p.file, p.line, p.col, p.field) for p in probs}
    assert (str(f), 3, 1, "status") in got
    assert (str(f), 4, 1, "colour") in got
    assert any("unknown key 'colour'" in p.message for p in probs)


def test_missing_front_matter_and_title(cat):
    a = write(cat / "acme/articles/en/acme-a.md", "# no front matter\n")
    b = write(cat / "acme/articles/en/acme-b.md", "---\ndescription: d\n---\nbody\n")
    c = write(cat / "acme/articles/en/acme-c.md", "---\ntitle: t\n")
    d = write(cat / "acme/articles/en/acme-d.md", "---\ntitle: t\n---\n\n")
    got = {(p.file, p.line, p.field) for p in problems_of(cat)}
    assert (str(a), 1, "<front matter>") in got
    assert (str(b), 2, "title") in got
    assert (str(c), 1, "<front matter>") in got
    assert (str(d), 3, "<body>") in got


def test_unquoted_placeholder_value_gets_a_hint(cat):
    write(cat / "_articles/en/t.md", "---\ntitle: {{ provider.name }} here\n---\nbody\n")
    [p] = problems_of(cat)
    assert p.field == "<yaml>" and "must be quoted" in p.message


def test_yaml_syntax_error_line_is_file_line(cat):
    f = write(cat / "acme/articles/en/acme-y.md", "---\ntitle: t\ntags: [a\n---\nbody\n")
    [p] = problems_of(cat)
    assert p.file == str(f) and p.field == "<yaml>" and p.line >= 3


def test_category_must_exist_in_that_locale(cat):
    f = write(cat / "acme/articles/de/acme-z.md", article("Z", "start"))
    [p] = problems_of(cat)
    assert (p.file, p.line, p.col, p.field) == (str(f), 3, 1, "category")
    assert "not declared in portal.categories.de" in p.message and "start-de" in p.message


def test_locale_must_be_a_portal_locale(cat):
    f = write(cat / "acme/articles/fr/acme-fr.md", article())
    [p] = problems_of(cat)
    assert p.file == str(f) and p.field == "locale" and "portal's locales ['en', 'de']" in p.message


def test_category_locale_must_be_a_portal_locale(tmp_path):
    f = write(tmp_path / "acme.yaml", """
        slug: acme
        name: Acme
        portal:
          categories:
            fr:
              - {slug: a, name: A}
              - {slug: a, name: B}
        """)
    got = {(p.line, p.field) for p in problems_of(tmp_path)}
    assert (5, "portal.categories.fr") in got
    assert (7, "portal.categories.fr[1].slug") in got
    assert all(p.file == str(f) for p in problems_of(tmp_path))


def test_bad_file_name_is_not_a_slug(cat):
    f = write(cat / "acme/articles/en/Bad_Name.md", article())
    [p] = problems_of(cat)
    assert (p.file, p.field) == (str(f), "slug") and "not a valid article slug" in p.message


def test_article_slugs_unique_installation_wide(cat):
    write(cat / "beta.yaml", "slug: beta\nname: Beta\n")
    write(cat / "acme/articles/en/shared.md", article())
    second = write(cat / "beta/articles/en/shared.md", article())
    [p] = problems_of(cat)
    assert p.file == str(second) and p.field == "slug"
    assert "unique on the whole Chatwoot installation" in p.message


def test_articles_folder_of_a_removed_provider_is_ignored(cat):
    write(cat / "ghost/articles/en/x.md", article())
    assert load_catalog(cat).slugs == ["acme"]


# ---------------------------------------------------------------------------------------------
# templates


def test_template_rendered_for_each_portal_locale(cat):
    write(cat / "beta.yaml", "slug: beta\nname: Beta Cloud\nportal: {categories: {en: [{slug: c, name: C}]}}\n")
    write(cat / "_defaults.yaml", "portal:\n  categories:\n    en: [{slug: contact, name: Contact}]\n")
    write(cat / "_articles/en/reach.md", article("Reach {{ provider.name }}", "contact",
                                                 "Write to {{provider.team.name}} ({{ locale }}).\n"))
    write(cat / "_articles/de/erreichen.md", article('"{{ provider.name }} erreichen"', None, "Text.\n"))
    c = load_catalog(cat)
    acme = {a.slug: a for a in c.get("acme").articles}
    beta = {a.slug: a for a in c.get("beta").articles}
    assert set(acme) == {"acme-reach", "acme-erreichen"}
    assert set(beta) == {"beta-reach"}  # beta has no de locale
    assert acme["acme-reach"].title == "Reach Acme Hosting"
    assert acme["acme-reach"].content == "Write to Acme Hosting Team (en).\n"
    assert acme["acme-reach"].template == "reach"
    assert beta["beta-reach"].title == "Reach Beta Cloud"
    # the defaults' category is added to every portal in the locales it has
    assert ("en", "contact") in {(x.locale, x.slug) for x in c.get("beta").portal.categories}
    assert ("de", "contact") not in {(x.locale, x.slug) for x in c.get("acme").portal.categories}


def test_template_override_and_opt_out(cat):
    write(cat / "beta.yaml", "slug: beta\nname: Beta\nportal: {skip_templates: [reach]}\n")
    write(cat / "gamma.yaml", "slug: gamma\nname: Gamma\nportal: {skip_templates: ['*']}\n")
    write(cat / "_articles/en/reach.md", article("Reach {{ provider.name }}"))
    write(cat / "acme/articles/en/reach.md", article("Our own way", body="Call us.\n"))
    c = load_catalog(cat)
    [a] = c.get("acme").articles
    assert (a.slug, a.title, a.content, a.template) == ("acme-reach", "Our own way", "Call us.\n", None)
    assert c.get("beta").articles == [] and c.get("gamma").articles == []


def test_unknown_skip_template(cat):
    write(cat / "beta.yaml", "slug: beta\nname: Beta\nportal:\n  skip_templates: [nope]\n")
    [p] = problems_of(cat)
    assert (p.line, p.field) == (4, "portal.skip_templates[0]") and "no template 'nope'" in p.message


def test_template_syntax_is_only_placeholders(cat):
    f = write(cat / "_articles/en/t.md", article(
        "T", body="ok {{ provider.name }}\n{{ provider.__class__ }} {% if x %}\n{{ provider.name | upper }}\n"))
    probs = problems_of(cat)
    got = sorted((p.line, p.col) for p in probs if p.file == str(f))
    assert got == [(6, 1), (6, 26), (7, 1)]
    assert any("unknown template variable 'provider.__class__'" in p.message for p in probs)
    assert any("unsupported template syntax" in p.message for p in probs)


def test_own_articles_are_verbatim(cat):
    write(cat / "acme/articles/en/acme-jinja.md", article("Using {{ vars }}", body="Write {% raw %} here.\n"))
    [a] = load_catalog(cat).get("acme").articles
    assert (a.title, a.content) == ("Using {{ vars }}", "Write {% raw %} here.\n")


def test_template_value_missing_for_a_provider(cat):
    f = write(cat / "_articles/en/home.md", article("Home", body="See {{ provider.portal.homepage_link }}.\n"))
    [p] = problems_of(cat)
    assert (p.file, p.line, p.col) == (str(f), 5, 5)
    assert "no value for provider acme" in p.message and "skip_templates" in p.message


def test_template_category_must_exist_for_each_provider(cat):
    f = write(cat / "_articles/en/t.md", article("T", "contact"))
    [p] = problems_of(cat)
    assert (p.file, p.line, p.field) == (str(f), 3, "category") and "of provider acme" in p.message


def test_scan_and_substitute_plain_text_only():
    found, problems = scan("a {{ provider.name }} b {{locale}}", 1)
    assert [(f.name, f.line, f.col) for f in found] == [("provider.name", 1, 3), ("locale", 1, 25)]
    assert problems == []
    # substitution inserts values verbatim, never re-scans them
    assert substitute("{{ provider.name }}", {"provider.name": "{{ locale }}"}) == "{{ locale }}"


def test_sample_catalog_has_a_knowledge_base():
    c = load_catalog(REPO / "providers")
    harbor = c.get("harbor-vps")
    assert {a.locale for a in harbor.articles} == {"en", "de"}
    assert harbor.portal.articles == "authoritative"
    for p in c.providers:
        assert p.articles, p.slug
        assert sum(a.template is not None for a in p.articles) >= 1


def test_every_problem_of_an_article_file_in_one_pass(cat):
    """A front matter schema error does not hide the file's other problems: each one comes with its
    own line (schema errors, an undeclared category, an empty body)."""
    f = write(cat / "acme/articles/en/acme-x.md",
              "---\ntitle: X\nstatus: live\ncategory: nowhere\nposition: -1\ncolour: red\n---\n\n")
    probs = [p for p in problems_of(cat) if p.file == str(f)]
    got = {(p.line, p.field) for p in probs}
    assert got == {(3, "status"), (4, "category"), (5, "position"), (6, "colour"), (7, "<body>")}, probs
    assert any("category 'nowhere' is not declared in portal.categories.en" in p.message for p in probs)


def test_template_problems_in_one_pass(cat):
    """A template with a schema error still reports its placeholder syntax problems and its category."""
    f = write(cat / "_articles/en/t.md",
              "---\ntitle: \"Hi {{ provider.name }}\"\ntags: nope\ncategory: gone\n---\n{% if x %}\n"
              "{{ provider.nope }}\n")
    probs = [p for p in problems_of(cat) if p.file == str(f)]
    got = {(p.line, p.field) for p in probs}
    assert {(3, "tags"), (4, "category"), (6, "<body>"), (7, "<body>")} <= got, probs


def test_yaml_error_and_empty_body_in_one_pass(cat):
    f = write(cat / "acme/articles/en/acme-y.md", "---\ntitle: [unclosed\n---\n\n")
    got = {(p.line, p.field) for p in problems_of(cat) if p.file == str(f)}
    assert any(field == "<yaml>" for _, field in got) and (3, "<body>") in got, got
