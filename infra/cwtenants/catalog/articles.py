"""Help Center articles: Markdown files with front matter, and organisation templates.

Layout (next to the provider files)::

    providers/<slug>/articles/<locale>/<article-slug>.md     the provider's own articles
    providers/_articles/<locale>/<name>.md                   templates every portal gets

An article file starts with a front matter block (``---`` / YAML / ``---``) holding ``title``
(required), ``category``, ``description``, ``status`` (draft | published), ``position`` and
``tags``; the rest of the file is the Markdown body.

Templates use one syntax only: ``{{ provider.<field> }}`` (see ``VARIABLES``), replaced by plain
text substitution — nothing is evaluated. A provider's own files are taken verbatim (no placeholders). A template's article slug is ``<provider slug>-<name>``
(article slugs are unique on the whole Chatwoot installation). A provider overrides a template with
its own ``articles/<locale>/<name>.md`` (same slug) or opts out with ``portal.skip_templates``.

Every problem is a ``Problem`` with the file, line and column of the cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError

from .models import (
    DEFAULT_ARTICLE_STATUS,
    MAX_ARTICLE_SLUG,
    SLUG_RE,
    ArticleSpec,
    ArticleStatus,
    Name,
    ProviderSpec,
    Text,
    _Strict,
)
from .yamlpos import YamlDoc, load_yaml_with_positions

TEMPLATES_DIR = "_articles"
ARTICLES_DIR = "articles"
FENCE = "---"
MAX_TAG = 50
MAX_ARTICLE_BYTES = 2_000_000  # an article is text; a larger file is refused before it is read whole

Tag = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG)]


class FrontMatter(_Strict):
    """Front matter of one article file (the JSON Schema documents it, editors do not use it)."""

    model_config = {"title": "Article front matter"}

    title: Name = Field(description="Article title (templates may use {{ provider.name }} etc.).")
    category: Annotated[str, StringConstraints(pattern=SLUG_RE, max_length=MAX_ARTICLE_SLUG)] | None = Field(
        None, description="Slug of a category declared in portal.categories for this locale. Default: none.")
    description: Text | None = Field(None, description="Short description (≤ 255 chars). Default: none.")
    status: ArticleStatus = Field(None, description=f"draft | published. Default: {DEFAULT_ARTICLE_STATUS}.")
    position: Annotated[int, Field(ge=0)] | None = Field(None, description="Sort position. Default: Chatwoot's.")
    tags: list[Tag] | None = Field(None, description="Tags (meta.tags). Default: none.")


# ---------------------------------------------------------------------------------------------
# Template substitution: {{ provider.<field> }} and nothing else

VARIABLES: dict[str, Any] = {
    "provider.slug": lambda s, loc: s.slug,
    "provider.name": lambda s, loc: s.name,
    "provider.group": lambda s, loc: s.group,
    "provider.inbox.name": lambda s, loc: s.inbox.name,
    "provider.inbox.timezone": lambda s, loc: s.inbox.timezone,
    "provider.team.name": lambda s, loc: s.team.name,
    "provider.portal.name": lambda s, loc: s.portal.name,
    "provider.portal.slug": lambda s, loc: s.portal.slug,
    "provider.portal.homepage_link": lambda s, loc: s.portal.homepage_link,
    "provider.portal.custom_domain": lambda s, loc: s.portal.custom_domain,
    "provider.portal.header_text": lambda s, loc: s.portal.header_text,
    "provider.portal.page_title": lambda s, loc: s.portal.page_title,
    "locale": lambda s, loc: loc,
}

_EXPR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
_OPENERS = re.compile(r"\{\{|\{%|\{#")


@dataclass(frozen=True)
class Placeholder:
    name: str
    line: int
    col: int


def _line_col(text: str, index: int, first_line: int, first_col: int = 1) -> tuple[int, int]:
    before = text[:index]
    newlines = before.count("\n")
    if newlines == 0:
        return first_line, first_col + index
    return first_line + newlines, index - before.rfind("\n")


def scan(text: str, first_line: int, first_col: int = 1) -> tuple[list[Placeholder], list[tuple[int, int, str]]]:
    """Placeholders in ``text`` and (line, col, message) syntax problems."""
    found, problems = [], []
    covered = set()
    for m in _EXPR.finditer(text):
        line, col = _line_col(text, m.start(), first_line, first_col)
        covered.add(m.start())
        if m.group(1) not in VARIABLES:
            problems.append((line, col, f"unknown template variable '{m.group(1)}' (known: "
                                        f"{', '.join(sorted(VARIABLES))})"))
        else:
            found.append(Placeholder(m.group(1), line, col))
    for m in _OPENERS.finditer(text):
        if m.start() not in covered:
            line, col = _line_col(text, m.start(), first_line, first_col)
            problems.append((line, col, "unsupported template syntax: only {{ provider.<field> }} "
                                        "placeholders are replaced (no expressions, filters or blocks)"))
    return found, problems


def substitute(text: str, values: dict[str, str]) -> str:
    return _EXPR.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# ---------------------------------------------------------------------------------------------
# One article file


@dataclass(frozen=True)
class ArticleFile:
    file: str  # display path
    locale: str
    name: str  # file name without .md
    front: FrontMatter
    body: str
    doc: YamlDoc
    offset: int  # line of the first front matter line minus 1
    body_line: int
    placeholders: tuple[Placeholder, ...] = ()
    valid: bool = True  # False: the file has problems (reported); checked further, never rendered

    def where(self, path: tuple) -> tuple[int, int]:
        line, col = self.doc.position(path)
        return line + self.offset, col


def _problem(file: str, line: int, col: int, fld: str, message: str):
    from .loader import Problem
    return Problem(file, line, col, fld, message)


def parse_article(path: Path, locale: str, templated: bool = True,
                  display: str | None = None) -> tuple[ArticleFile | None, list]:
    """Read one ``.md`` file: front matter (validated) and body; ``templated``: look for placeholders."""
    from .loader import _problem_from_error, read_text_bounded

    display = display or str(path)
    text, unreadable = read_text_bounded(path, display, MAX_ARTICLE_BYTES, "an article is text, images are links")
    if text is None:
        return None, unreadable
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return None, [_problem(display, 1, 1, "<front matter>",
                               "an article starts with a front matter block: a line '---', then YAML keys "
                               "(title, category, description, status, position, tags), then a line '---'")]
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in (FENCE, "...")), None)
    if end is None:
        return None, [_problem(display, 1, 1, "<front matter>", "front matter is not closed by a line '---'")]
    doc = load_yaml_with_positions("\n".join(lines[1:end]) + "\n")
    offset = 1
    hint = (" (a value that starts with '{{' must be quoted: title: \"{{ provider.name }} ...\")"
            if any(ln.split(":", 1)[-1].strip().startswith("{") for ln in lines[1:end]) else "")
    # Every problem of the file in one pass: YAML, front matter schema, body, placeholders (and, in
    # provider_articles, the category). A field with a problem is left out of what is checked next.
    problems = [_problem(display, i.line + offset, i.col, "<yaml>" if not i.path else ".".join(map(str, i.path)),
                         i.message + (hint if i.message.startswith("YAML") else "")) for i in doc.issues]
    good: dict[str, Any] = {}
    if not problems and not isinstance(doc.data, dict):
        problems.append(_problem(display, 2, 1, "<front matter>", "front matter must be a mapping with at least title"))
    elif not problems:
        try:
            front = FrontMatter.model_validate(doc.data)
        except ValidationError as exc:
            bad = set()
            for err in exc.errors():
                p = _problem_from_error(display, doc, err, FrontMatter)
                problems.append(replace(p, line=p.line + offset))
                bad.add(err["loc"][0] if err["loc"] else None)
            good = {k: v for k, v in doc.data.items() if k in FrontMatter.model_fields and k not in bad}
        else:
            good = front.model_dump()
    front = FrontMatter.model_construct(**{k: good.get(k) for k in FrontMatter.model_fields})
    body_start = end + 1
    while body_start < len(lines) and not lines[body_start].strip():
        body_start += 1
    body = "\n".join(lines[body_start:]).rstrip() + "\n"
    if not body.strip():
        problems.append(_problem(display, end + 1, 1, "<body>", "the article has no content (Chatwoot requires it)"))
    art = ArticleFile(display, locale, path.stem, front, body, doc, offset, body_start + 1)
    if templated:
        found, syntax = [], []
        for key in ("title", "description"):
            value = getattr(front, key)
            if value and isinstance(value, str):
                line, col = art.where((key,))
                f, s = scan(value, line, col + len(key) + 2)
                found += f
                syntax += [(ln, cl, msg, key) for ln, cl, msg in s]
        f, s = scan(body, art.body_line)
        found += f
        syntax += [(ln, cl, msg, "<body>") for ln, cl, msg in s]
        problems += [_problem(display, ln, cl, fld, msg) for ln, cl, msg, fld in syntax]
        art = replace(art, placeholders=tuple(found))
    # an article with problems is still returned (valid=False) so the checks that need the whole
    # catalog (its category) run too; it is never rendered
    return replace(art, valid=not problems), problems


def _slug_problem(display: str, name: str) -> str | None:
    if not re.fullmatch(SLUG_RE, name) or len(name) > MAX_ARTICLE_SLUG:
        return (f"file name '{name}.md' is not a valid article slug (lower-case letters, digits and single "
                f"hyphens, ≤ {MAX_ARTICLE_SLUG} chars)")
    return None


def read_tree(root: Path, templated: bool) -> tuple[dict[tuple[str, str], ArticleFile], list]:
    """Every ``<root>/<locale>/<name>.md``, keyed by (locale, name)."""
    from .models import LOCALE_RE

    out: dict[tuple[str, str], ArticleFile] = {}
    problems = []
    if not root.is_dir():
        return out, problems
    from .loader import entry_problem

    for locale_dir in sorted(root.iterdir()):
        if locale_dir.name.startswith("."):
            continue
        if locale_dir.is_symlink() and not locale_dir.resolve().is_relative_to(root.resolve()):
            problems.append(_problem(str(locale_dir), 1, 1, "<file>",
                                     "symbolic link to a folder outside the articles folder"))
            continue
        if not locale_dir.is_dir():
            problems.append(_problem(str(locale_dir), 1, 1, "<file>",
                                     f"expected a locale folder ({root}/<locale>/<article-slug>.md)"))
            continue
        locale = locale_dir.name
        if not re.fullmatch(LOCALE_RE, locale):
            problems.append(_problem(str(locale_dir), 1, 1, "locale",
                                     f"folder name '{locale}' is not a locale code such as en, pt_BR, zh-CN"))
            continue
        for f in sorted(locale_dir.iterdir()):
            if f.name.startswith("."):
                continue
            if f.suffix != ".md" or not f.is_file():
                problems.append(_problem(str(f), 1, 1, "<file>", "not an article: expected <article-slug>.md"))
                continue
            outside = entry_problem(f, root)  # its content would be published in the Help Center
            if outside:
                problems.append(outside)
                continue
            bad = _slug_problem(str(f), f.stem)
            if bad:
                problems.append(_problem(str(f), 1, 1, "slug", bad))
                continue
            art, more = parse_article(f, locale, templated)
            problems += more
            if art is not None:
                out[(locale, f.stem)] = art
    return out, problems


# ---------------------------------------------------------------------------------------------
# Per provider: own articles + templates, rendered and checked


def render(art: ArticleFile, spec: ProviderSpec, slug: str, template: str | None) -> tuple[ArticleSpec | None, list]:
    values, problems = {}, []
    for ph in art.placeholders:
        value = VARIABLES[ph.name](spec, art.locale)
        if value in (None, ""):
            problems.append(_problem(art.file, ph.line, ph.col, "<template>",
                                     f"'{ph.name}' has no value for provider {spec.slug} (set it in "
                                     f"{spec.source}, or add '{art.name}' to its portal.skip_templates)"))
        else:
            values[ph.name] = str(value)
    if problems:
        return None, problems
    f = art.front
    return ArticleSpec(
        locale=art.locale,
        slug=slug,
        title=substitute(f.title, values),
        content=substitute(art.body, values),
        category=f.category,
        description=substitute(f.description, values) if f.description else None,
        status=f.status or DEFAULT_ARTICLE_STATUS,
        position=f.position,
        tags=tuple(f.tags or ()),
        source=art.file,
        template=template,
    ), []


def template_slug(provider_slug: str, name: str) -> str:
    return f"{provider_slug}-{name}"


def provider_articles(parsed, templates: dict[tuple[str, str], ArticleFile]) -> tuple[list[ArticleSpec], list]:
    """The resolved articles of one parsed provider file (``loader._Parsed``)."""
    spec: ProviderSpec = parsed.spec
    root = Path(parsed.file).parent / spec.slug / ARTICLES_DIR
    own, problems = read_tree(root, templated=False)  # a provider's own text is taken verbatim
    locales = spec.portal.locales
    template_names = {name for _, name in templates}

    # portal.categories: locales and duplicate slugs
    raw_cats = ((parsed.model.portal.categories if parsed.model.portal else None) or {})
    for locale, cats in raw_cats.items():
        if locale not in locales:
            problems.append(parsed.at(("portal", "categories", locale),
                                      f"locale '{locale}' is not one of the portal's locales {locales}"))
        seen: dict[str, int] = {}
        for i, c in enumerate(cats):
            if c.slug in seen:
                problems.append(parsed.at(("portal", "categories", locale, i, "slug"),
                                          f"duplicate category slug '{c.slug}' in locale {locale} (also "
                                          f"portal.categories.{locale}[{seen[c.slug]}])"))
            seen.setdefault(c.slug, i)
    skip = set(spec.portal.skip_templates)
    for i, name in enumerate(spec.portal.skip_templates):
        if name != "*" and name not in template_names:
            problems.append(parsed.at(("portal", "skip_templates", i),
                                      f"no template '{name}' in {TEMPLATES_DIR}/<locale>/ "
                                      f"(known: {', '.join(sorted(template_names)) or 'none'}; '*' = all)"))

    for (locale, _name), art in sorted(own.items()):
        if locale not in locales:
            problems.append(_problem(art.file, 1, 1, "locale",
                                     f"locale '{locale}' is not one of the portal's locales {locales} "
                                     f"(portal.locales in {spec.source})"))
    cats = {(c.locale, c.slug) for c in spec.portal.categories}
    chosen: list[tuple[ArticleFile, str, str | None]] = []  # (file, Chatwoot slug, template name)
    for (locale, name), art in sorted(own.items()):
        if locale in locales:
            overrides = (locale, name) in templates
            chosen.append((art, template_slug(spec.slug, name) if overrides else name, None))
    if "*" not in skip:
        for (locale, name), art in sorted(templates.items()):
            if locale in locales and name not in skip and (locale, name) not in own:
                chosen.append((art, template_slug(spec.slug, name), name))
    result: list[ArticleSpec] = []
    for art, slug, template in chosen:
        if art.valid:  # a file with problems is only checked further, never rendered
            a, more = render(art, spec, slug, template)
            problems += more
            if a is None:
                continue
            result.append(a)
        category = art.front.category
        if category and (art.locale, category) not in cats:
            known = sorted(s for loc, s in cats if loc == art.locale)
            whose = f" of provider {spec.slug}" if template else ""
            problems.append(_problem(art.file, *art.where(("category",)), "category",
                                     f"category '{category}' is not declared in portal.categories.{art.locale}"
                                     f"{whose} (declared: {', '.join(known) or 'none'})"))
    order = {loc: i for i, loc in enumerate(locales)}
    result.sort(key=lambda a: (order[a.locale], a.slug))
    return result, problems


def attach_articles(parsed_files: list) -> list:
    """Fill ``spec.articles`` of every parsed provider; return the problems (all files).

    An articles folder whose provider file was removed is ignored (offboarding removes the file)."""
    problems = []
    templates_by_dir: dict[Path, dict] = {}
    for p in parsed_files:
        folder = Path(p.file).parent
        if folder not in templates_by_dir:
            tpl, more = read_tree(folder / TEMPLATES_DIR, templated=True)
            problems += more
            templates_by_dir[folder] = tpl
        arts, more = provider_articles(p, templates_by_dir[folder])
        problems += more
        p.spec = replace(p.spec, articles=arts)
    # article slugs are unique on the whole installation (Chatwoot: 500 on a duplicate)
    first: dict[str, ArticleSpec] = {}
    for p in sorted(parsed_files, key=lambda q: q.file):
        for a in p.spec.articles:
            if a.slug in first:
                other = first[a.slug]
                problems.append(_problem(a.source, 1, 1, "slug",
                                         f"article slug '{a.slug}' (provider {p.spec.slug}) is also used by "
                                         f"{other.source}: article slugs must be unique on the whole Chatwoot "
                                         "installation"))
            else:
                first[a.slug] = a
    return problems
