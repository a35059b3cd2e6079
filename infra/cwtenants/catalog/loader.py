"""Load provider files: YAML with positions -> pydantic -> resolved specs, plus cross-file checks.

Every problem is collected (never the first one only) and raised together as
``CatalogError`` with ``problems`` sorted by file, line and column.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .models import (
    COLOR_RE,
    INTERNAL_WEBHOOK_HOSTS_CONTEXT,
    LOCALE_RE,
    PORTAL_SLUG_PREFIX_RE,
    SLUG_RE,
    CustomRoleSpec,
    DefaultsFile,
    ProviderFile,
    ProviderSpec,
    StaffSpec,
    quote,
    resolve,
)
from .yamlpos import YamlDoc, load_yaml_with_positions


def attach_articles(parsed_files):
    from .articles import attach_articles as attach  # articles.py uses this module's helpers

    return attach(parsed_files)

DEFAULTS_FILE_NAME = "_defaults.yaml"
YAML_SUFFIXES = (".yaml", ".yml")  # compared case-insensitively: acme.YAML is a provider file too

# Bounds on hostile input (see docs/catalog.md, "Limits"): a file is read only up to
# MAX_FILE_BYTES, a message quotes at most MAX_QUOTE characters of a value, and at most
# MAX_PROBLEMS_PER_FILE problems are listed per file (then one line says how many more).
MAX_FILE_BYTES = 1_000_000
MAX_MESSAGE = 600
MAX_FIELD = 120
MAX_PROBLEMS_PER_FILE = 20

PATTERN_HINTS = {
    SLUG_RE: "lower-case letters and digits, separated by single hyphens",
    PORTAL_SLUG_PREFIX_RE: "lower-case letters, digits and hyphens, e.g. 'mkt-'",
    COLOR_RE: "a colour #rgb or #rrggbb",
    LOCALE_RE: "a locale code such as en, pt_BR, zh-CN",
}


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    col: int
    field: str
    message: str

    def __post_init__(self) -> None:
        # Messages may quote the input; a hostile file must not turn into megabytes of output.
        object.__setattr__(self, "field", _cap(self.field, MAX_FIELD))
        object.__setattr__(self, "message", _cap(self.message, MAX_MESSAGE))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.field}: {self.message}"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def cap_problems(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS_PER_FILE problems per file, then one saying how many were left out."""
    by_file: dict[str, list[Problem]] = {}
    for p in sorted(problems):
        by_file.setdefault(p.file, []).append(p)
    out: list[Problem] = []
    for file, items in by_file.items():
        out += items[:MAX_PROBLEMS_PER_FILE]
        if len(items) > MAX_PROBLEMS_PER_FILE:
            nxt = items[MAX_PROBLEMS_PER_FILE]
            hidden = len(items) - MAX_PROBLEMS_PER_FILE
            out.append(Problem(file, nxt.line, nxt.col, "<file>",
                               f"{hidden} more problem{'s' if hidden != 1 else ''} in this file not shown "
                               f"(at most {MAX_PROBLEMS_PER_FILE} per file)"))
    return out


class CatalogError(Exception):
    """Raised when the catalog is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        problems = list(problems)
        self.total = n = len(problems)  # problems found; ``problems`` lists at most 20 per file
        self.problems: list[Problem] = cap_problems(problems)
        super().__init__(f"{n} catalog problem{'s' if n != 1 else ''}:\n" + "\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class Catalog:
    providers: list[ProviderSpec]  # sorted by slug, defaults applied
    defaults_file: str | None = None
    staff: list[StaffSpec] = field(default_factory=list)  # _defaults.yaml `staff:`, in file order
    custom_roles: list[CustomRoleSpec] = field(default_factory=list)  # _defaults.yaml `custom_roles:`
    # files marked `offboarded: true` (offboarding: retain): validated with the others (their names stay
    # reserved) but not managed, so not in ``providers``
    offboarded: list[ProviderSpec] = field(default_factory=list)

    def get(self, slug: str) -> ProviderSpec:
        for p in self.providers:
            if p.slug == slug:
                return p
        raise KeyError(slug)

    @property
    def slugs(self) -> list[str]:
        return [p.slug for p in self.providers]


def format_path(path: Iterable[str | int]) -> str:
    """("agents", 1, "email") -> "agents[1].email"; () -> "<root>"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


@dataclass
class _Parsed:
    """One successfully validated file, with its positions for later cross-file messages."""

    file: str
    doc: YamlDoc
    model: Any
    spec: ProviderSpec | None = None
    problems: list[Problem] = field(default_factory=list)
    # a file validated with its invalid list items left out: list path -> original index of each item kept
    kept: dict = field(default_factory=dict)

    def original(self, path: tuple) -> tuple:
        path = tuple(path)
        for i, part in enumerate(path):
            if isinstance(part, int) and path[:i] in self.kept:
                path = path[:i] + (self.kept[path[:i]][part],) + path[i + 1:]
        return path

    def has(self, path: tuple) -> bool:
        """Whether ``path`` is written in the file (not a default)."""
        return self.original(path) in self.doc.positions

    def where(self, path: tuple) -> tuple[int, int]:
        return self.doc.position(self.original(path))

    def at(self, path: tuple, message: str) -> Problem:
        return Problem(self.file, *self.where(path), format_path(self.original(path)), message)


# ---------------------------------------------------------------------------
# Single file
# ---------------------------------------------------------------------------

def read_text_bounded(path: Path, display: str, limit: int = MAX_FILE_BYTES,
                      what: str = "a provider file needs a few KB") -> tuple[str | None, list[Problem]]:
    """The file as text, or a positioned problem: unreadable, larger than ``limit`` bytes, not UTF-8."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return None, [Problem(display, 1, 1, "<file>", f"cannot read file: {exc.strerror or exc}")]
    if len(data) > limit:
        return None, [Problem(display, 1, 1, "<file>", f"file is larger than {limit} bytes ({what})")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        col = len(data[start:exc.start].decode("utf-8", errors="replace")) + 1
        return None, [Problem(display, line, col, "<file>",
                              f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded (save the file as UTF-8)")]


def _read_and_validate(path: Path, model: type[BaseModel], display: str,
                       context: dict | None = None) -> tuple[_Parsed | None, list[Problem]]:
    """Read YAML, check its structure and validate it against ``model``."""
    text, problems = read_text_bounded(path, display)
    if text is None:
        return None, problems
    doc = load_yaml_with_positions(text)
    problems = [
        Problem(display, i.line, i.col, "<yaml>" if not i.path and i.message.startswith("YAML") else format_path(i.path),
                i.message)
        for i in doc.issues
    ]
    if problems and doc.data is None:  # a syntax error: nothing to check further
        return None, problems
    if doc.data is None:
        return None, [Problem(display, 1, 1, "<root>", "file is empty (expected a mapping with at least slug and name)")]
    if not isinstance(doc.data, dict):
        line, col = doc.position(())
        return None, [Problem(display, line, col, "<root>",
                              f"expected a mapping of keys to values, got a {_yaml_type(doc.data)}")]
    try:
        validated = model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        problems += [_problem_from_error(display, doc, err, model) for err in exc.errors()]
        # one pass: the rest of the file is still checked, in itself and against the other files
        salvaged = _without_invalid(doc, model, exc.errors(), context)
        return (_Parsed(display, doc, salvaged[0], kept=salvaged[1]) if salvaged else None), problems
    # structural issues (a duplicate key: the first one was kept) are reported, the rest still checked
    return _Parsed(display, doc, validated), problems


def _without_invalid(doc: YamlDoc, model: type[BaseModel], errors: list,
                     context: dict | None = None) -> tuple[Any, dict] | None:
    """The model of the document with its invalid values left out (a whole list item, e.g. an agent,
    when something in it is invalid), if what remains is valid within a few rounds; with, per list,
    the original index of every item kept (messages then name the original lines and indexes).
    None when nothing useful remains (the slug or name is missing or invalid)."""
    import copy

    data, kept = copy.deepcopy(doc.data), {}
    for _ in range(4):
        paths = set()
        for err in errors:
            loc = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
            loc = _existing_prefix(data, loc[:-1] if err["type"] == "missing" else loc)
            ints = [i for i, part in enumerate(loc) if isinstance(part, int)]
            if ints:  # the whole list item
                loc = loc[:ints[-1] + 1]
            if loc in ((), ("slug",), ("name",)):
                return None  # without its slug and name the file is no provider to compare
            paths.add(loc)
        # last list items first, so that the indexes still to drop stay valid
        for path in sorted(paths, key=lambda p: (p[:-1], p[-1] if isinstance(p[-1], int) else -1), reverse=True):
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, list):
                index = kept.setdefault(path[:-1], list(range(len(parent))))
                del parent[path[-1]], index[path[-1]]
            else:
                parent.pop(path[-1], None)
        try:
            return model.model_validate(data, context=context), kept
        except ValidationError as exc:
            errors = exc.errors()
    return None


def _existing_prefix(data: Any, loc: tuple) -> tuple:
    """The longest prefix of ``loc`` that names a value in ``data``."""
    node, found = data, ()
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        found += (part,)
    return found


def _yaml_type(value: Any) -> str:
    return {list: "sequence", str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value), "scalar")


def _problem_from_error(display: str, doc: YamlDoc, err: dict, model: type[BaseModel]) -> Problem:
    loc = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
    line, col = doc.position(loc)
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        msg = f"unknown key {quote(loc[-1])}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    elif kind == "missing":
        msg = "required key is missing"
    elif value is None and kind.endswith("_type"):
        msg = "value is empty (null); remove the key or give a value"
        if loc and loc[-1] == "color":
            msg += " (an unquoted '#' starts a YAML comment: write color: \"#1f93ff\")"
    elif kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch":
        rule = PATTERN_HINTS.get(err["ctx"]["pattern"], f"the pattern {err['ctx']['pattern']}")
        msg = f"{quote(value)} does not match: {rule}"
    elif kind == "bool_type":
        msg = "must be true or false"
    return Problem(display, line, col, format_path(loc), msg)


def _allowed_keys(model: type[BaseModel], path: tuple) -> list[str]:
    """Field names of the (nested) model at ``path``; [] if it cannot be followed."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if info is None:
            return []
        current = _model_in(info.annotation)
        if current is None:
            return []
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


ADMIN_REFUSED = (
    "a provider's people are Chatwoot agents: 'administrator' would let this person read every provider's "
    "conversations and contacts and change every provider's inbox, team and portal. Remove the role (agents "
    "see only their own provider's inbox), or declare a marketplace employee under `staff:` in _defaults.yaml"
)


def _check_agents(parsed: _Parsed, defaults: DefaultsFile | None) -> list[Problem]:
    """Isolation by construction: no administrator in a provider file; custom roles must be declared."""
    m: ProviderFile = parsed.model
    staff = {s.email: s for s in ((defaults.staff if defaults else None) or [])}
    roles = [r.name for r in ((defaults.custom_roles if defaults else None) or [])]
    problems = []
    for i, agent in enumerate(m.agents or []):
        s = staff.get(agent.email)
        if agent.role == "administrator":
            problems.append(parsed.at(("agents", i, "role"), ADMIN_REFUSED))
        elif agent.role == "agent" and s is not None and (s.role or "administrator") != "agent":
            problems.append(parsed.at(("agents", i, "role"),
                                      f"'{agent.email}' is staff with role '{s.role or 'administrator'}' in "
                                      "_defaults.yaml; a staff member's role is set there only: remove `role` here"))
        for key in ("name", "availability"):
            mine, theirs = getattr(agent, key), (getattr(s, key) if s is not None else None)
            if mine is not None and theirs is not None and mine != theirs:
                problems.append(parsed.at(("agents", i, key),
                                          f"'{agent.email}' is staff with {key} '{theirs}' in _defaults.yaml; write "
                                          f"the same here or leave it out (one Chatwoot user)"))
        if agent.custom_role is not None:
            if agent.custom_role not in roles:
                known = ", ".join(f"'{r}'" for r in roles) or "none"
                problems.append(parsed.at(("agents", i, "custom_role"),
                                          f"unknown custom role '{agent.custom_role}' (declared under "
                                          f"`custom_roles:` in _defaults.yaml: {known})"))
            elif s is not None and (s.role or "administrator") == "administrator":
                problems.append(parsed.at(("agents", i, "custom_role"),
                                          f"'{agent.email}' is an administrator (staff); a custom role only "
                                          "narrows what an agent may do"))
    return problems


def _check_provider(parsed: _Parsed, path: Path, defaults: DefaultsFile | None = None) -> list[Problem]:
    """Checks inside one provider file that need positions: file name, duplicates, roles."""
    m: ProviderFile = parsed.model
    problems = _check_agents(parsed, defaults)
    if path.name != f"{m.slug}.yaml":
        problems.append(parsed.at(("slug",), f"file name must be '{m.slug}.yaml' to match the slug, "
                                             f"got '{path.name}'"))
    seen: dict[str, int] = {}
    for i, agent in enumerate(m.agents or []):
        if agent.email in seen:
            first = seen[agent.email]
            problems.append(parsed.at(("agents", i, "email"),
                                      f"duplicate agent email '{agent.email}' (also {format_path(parsed.original(('agents', first)))} at line "
                                      f"{parsed.where(('agents', first))[0]})"))
        else:
            seen[agent.email] = i
    problems += _duplicate_locales(parsed, ("portal", "locales"), (m.portal.locales if m.portal else None))
    return problems


def _duplicate_locales(parsed: _Parsed, path: tuple, locales: list[str] | None) -> list[Problem]:
    problems, seen = [], set()
    for i, loc in enumerate(locales or []):
        if loc in seen:
            problems.append(parsed.at(path + (i,), f"duplicate locale '{loc}'"))
        seen.add(loc)
    return problems


def _load_defaults(path: Path) -> tuple[DefaultsFile | None, list[Problem]]:
    d, problems, _ = _load_defaults_parsed(path)
    return d, problems


def _load_defaults_parsed(path: Path) -> tuple[DefaultsFile | None, list[Problem], _Parsed | None]:
    parsed, problems = _read_and_validate(path, DefaultsFile, str(path))
    if parsed is None:
        return None, problems, None
    d: DefaultsFile = parsed.model
    problems += _duplicate_locales(parsed, ("portal", "locales"), d.portal.locales if d.portal else None)
    problems += _duplicates(parsed, "staff", [s.email for s in d.staff or []], "staff email")
    problems += _duplicates(parsed, "custom_roles", [r.name for r in d.custom_roles or []], "custom role name")
    return (None if problems else d), problems, parsed


def _duplicates(parsed: _Parsed, key: str, values: list[str], what: str) -> list[Problem]:
    problems, seen = [], {}
    field_ = "email" if key == "staff" else "name"
    for i, v in enumerate(values):
        if v in seen:
            problems.append(parsed.at((key, i, field_), f"duplicate {what} '{v}' (also {key}[{seen[v]}] at line "
                                                        f"{parsed.where((key, seen[v]))[0]})"))
        else:
            seen[v] = i
    return problems


def _staff_and_roles(d: DefaultsFile | None, parsed: _Parsed | None) -> tuple[list[StaffSpec], list[CustomRoleSpec]]:
    from .models import staff_specs

    if d is None or parsed is None:
        return [], []
    by_email = staff_specs(d)
    staff = []
    for i, s in enumerate(d.staff or []):
        spec = by_email[s.email]
        staff.append(StaffSpec(spec.email, spec.name, spec.role, spec.availability,
                               source=f"{parsed.file}:{parsed.where(('staff', i))[0]}",
                               manage_user=spec.manage_user))
    roles = [CustomRoleSpec(r.name, list(r.permissions), r.description,
                            source=f"{parsed.file}:{parsed.where(('custom_roles', i))[0]}")
             for i, r in enumerate(d.custom_roles or [])]
    return staff, roles


def _parse_provider(path: Path, defaults: DefaultsFile | None) -> tuple[_Parsed | None, list[Problem]]:
    allowed = (defaults.inbox.internal_webhook_hosts if defaults and defaults.inbox else None) or []
    parsed, problems = _read_and_validate(path, ProviderFile, str(path),
                                          context={INTERNAL_WEBHOOK_HOSTS_CONTEXT: allowed})
    if parsed is None:
        return None, problems
    problems += _check_provider(parsed, path, defaults)
    parsed.spec = resolve(parsed.model, defaults, str(path))
    if parsed.spec.offboarded and parsed.spec.offboarding != "retain":
        problems.append(parsed.at(("offboarded",), f"a provider is only marked offboarded with `offboarding: retain` "
                                                   f"(this one's is {parsed.spec.offboarding}): for archive or "
                                                   "delete, remove the file"))
    return parsed, problems


def load_provider_file(path: str | os.PathLike, defaults_file: str | os.PathLike | None = None) -> ProviderSpec:
    """Load and validate one provider file (no cross-file checks).

    Defaults come from ``defaults_file`` or, when not given, from ``_defaults.yaml``
    next to the file if it exists.  Raises ``CatalogError``.
    """
    path = Path(path)
    dpath = Path(defaults_file) if defaults_file is not None else path.parent / DEFAULTS_FILE_NAME
    defaults, problems = (None, [])
    if defaults_file is not None or dpath.is_file():
        defaults, problems = _load_defaults(dpath)
    parsed, more = _parse_provider(path, defaults)
    problems += more
    if parsed is not None:
        problems += attach_articles([parsed])
    if problems or parsed is None:
        raise CatalogError(problems)
    return parsed.spec


# ---------------------------------------------------------------------------
# Whole catalog
# ---------------------------------------------------------------------------

def _provider_paths(path_or_dir) -> tuple[list[Path], Path | None, list[Problem]]:
    """Provider files to load, the directory to look for _defaults.yaml in, and problems with entries
    of the folder that look like provider files but cannot be one (so none is skipped silently:
    a skipped file would plan its provider's removal)."""
    if isinstance(path_or_dir, (str, os.PathLike)):
        p = Path(path_or_dir)
        if p.is_dir():
            files, problems = [], []
            for f in sorted(p.iterdir()):
                if f.suffix.lower() not in YAML_SUFFIXES or f.name.startswith(("_", ".")):
                    continue
                problem = entry_problem(f, p)
                if problem:
                    problems.append(problem)
                else:
                    files.append(f)
            return files, p, problems
        return [p], p.parent, []
    return [Path(p) for p in path_or_dir], None, []


def entry_problem(f: Path, folder: Path) -> Problem | None:
    """Why the catalog folder entry ``f`` cannot be loaded (symbolic link leaving the folder,
    not a regular file), or None."""
    if f.is_symlink():
        try:
            target = f.resolve(strict=True)
        except (OSError, RuntimeError):
            return Problem(str(f), 1, 1, "<file>", "symbolic link whose target does not exist")
        if not target.is_relative_to(folder.resolve()):
            return Problem(str(f), 1, 1, "<file>",
                           "symbolic link to a file outside the catalog folder (copy the file in instead)")
    if not f.is_file():
        return Problem(str(f), 1, 1, "<file>", "not a regular file")
    return None


def load_catalog(path_or_dir: str | os.PathLike | Iterable[str | os.PathLike],
                 defaults_file: str | os.PathLike | None = None) -> Catalog:
    """Load every provider of a directory (files ``*.yaml``/``*.yml`` not starting with ``_``),
    a single file, or an explicit list of files.

    ``defaults_file``: defaults to ``<dir>/_defaults.yaml`` when that exists.
    Raises ``CatalogError`` listing all problems of all files, sorted.
    """
    files, directory, problems = _provider_paths(path_or_dir)
    if defaults_file is None and directory is not None and (
            (directory / DEFAULTS_FILE_NAME).is_file() or (directory / DEFAULTS_FILE_NAME).is_symlink()):
        defaults_file = directory / DEFAULTS_FILE_NAME
        outside = entry_problem(Path(defaults_file), directory)
        if outside:
            problems.append(outside)
            defaults_file = None
    defaults, dparsed = None, None
    if defaults_file is not None:
        defaults, more, dparsed = _load_defaults_parsed(Path(defaults_file))
        problems += more
    if not files and not problems:
        problems.append(Problem(str(path_or_dir), 1, 1, "<catalog>",
                                "no provider files found (expected <slug>.yaml files)"))

    parsed_files: list[_Parsed] = []
    for f in files:
        if not f.exists():
            problems.append(Problem(str(f), 1, 1, "<file>", "file does not exist"))
            continue
        parsed, more = _parse_provider(f, defaults)
        problems += more
        if parsed is not None:
            parsed_files.append(parsed)

    problems += cross_file_problems(parsed_files)
    problems += attach_articles(parsed_files)
    if problems:
        raise CatalogError(problems)
    specs = sorted((p.spec for p in parsed_files), key=lambda s: s.slug)
    staff, roles = _staff_and_roles(defaults, dparsed)
    return Catalog(providers=[s for s in specs if not s.offboarded],
                   defaults_file=str(defaults_file) if defaults_file else None, staff=staff, custom_roles=roles,
                   offboarded=[s for s in specs if s.offboarded])


def cross_file_problems(parsed_files: list[_Parsed]) -> list[Problem]:
    """Uniqueness across providers; a person in several providers only when staff or shared; agent
    custom role / name / availability consistency. (Roles agree by construction: a provider file grants
    only `agent`, a staff member's role comes from _defaults.yaml.)

    Each clash is reported once, at the later occurrence (files in path order),
    naming the file and line of the first one.
    """
    problems: list[Problem] = []
    ordered = sorted(parsed_files, key=lambda p: p.file)

    def unique(what: str, key_of, path_of, items=None) -> None:
        first: dict[str, _Parsed] = {}
        for p in ordered if items is None else items:
            key = key_of(p)
            if key is None:
                continue
            if key in first:
                other = first[key]
                problems.append(p.at(path_of(p), f"{what} '{key}' is also used by "
                                                 f"{other.file}:{other.where(path_of(other))[0]}"))
            else:
                first[key] = p

    def explicit_or(p: _Parsed, path: tuple, fallback: tuple = ()) -> tuple:
        return path if p.has(path) else fallback

    # the file named <slug>.yaml is the "first" one; the copy gets the problem
    by_name = sorted(ordered, key=lambda p: (Path(p.file).name != f"{p.spec.slug}.yaml", p.file))
    unique("provider slug", lambda p: p.spec.slug, lambda p: ("slug",), by_name)
    # a second file with the same slug is the same provider twice: its other clashes would only be noise
    by_slug: dict[str, _Parsed] = {}
    for p in by_name:
        by_slug.setdefault(p.spec.slug, p)
    ordered = sorted(by_slug.values(), key=lambda p: p.file)
    unique("portal slug", lambda p: p.spec.portal.slug,
           lambda p: explicit_or(p, ("portal", "slug"), ("slug",)))
    unique("team name (Chatwoot lower-cases team names)", lambda p: p.spec.team.name.lower(),
           lambda p: explicit_or(p, ("team", "name"), ("name",)))
    unique("inbox name", lambda p: p.spec.inbox.name.casefold(),
           lambda p: explicit_or(p, ("inbox", "name"), ("name",)))
    unique("custom domain", lambda p: p.spec.portal.custom_domain,
           lambda p: ("portal", "custom_domain"))

    # Membership is the boundary: a person in two providers' inboxes sees both providers'
    # conversations. That needs a decision, written down: staff, or `shared: true` on every listing.
    listed: dict[str, list[tuple[_Parsed, int]]] = {}
    for p in ordered:
        for i, agent in enumerate(p.spec.agents):
            listed.setdefault(agent.email, []).append((p, i))
    for email, where in listed.items():
        if len({q.file for q, _ in where}) < 2 or where[0][0].spec.agents[where[0][1]].staff:
            continue
        for q, k in where:
            if q.spec.agents[k].shared:
                continue
            other, j = next((o, n) for o, n in where if o is not q)
            problems.append(q.at(("agents", k, "email"),
                                 f"agent '{email}' is also listed by {other.file}:{other.where(('agents', j))[0]}; "
                                 "a person in two providers' inboxes sees both providers' conversations: write "
                                 "`shared: true` on every listing of this person, or declare them under `staff:` "
                                 "in _defaults.yaml"))

    # One account user has one custom role.
    croles: dict[str, tuple[_Parsed, int, str | None]] = {}
    for p in ordered:
        for i, agent in enumerate(p.spec.agents):
            other, j, was = croles.setdefault(agent.email, (p, i, agent.custom_role))
            if other is not p and was != agent.custom_role:
                path = explicit_or(p, ("agents", i, "custom_role"), ("agents", i, "email"))
                problems.append(p.at(path, f"agent '{agent.email}' has custom role {agent.custom_role!r} here but "
                                           f"{was!r} in {other.file}:{other.where(('agents', j))[0]} (one account "
                                           "user has one custom role: write the same everywhere)"))

    # Name and availability live on the one Chatwoot user / account user too: where several
    # providers write them, they must agree. Leaving one out is fine (the name then comes from
    # the provider that writes it; availability is then not managed there).
    seen: dict[tuple[str, str], tuple[_Parsed, int, object]] = {}
    for p in ordered:
        for i, agent in enumerate(p.spec.agents):
            for key in ("name", "availability"):
                value = getattr(agent, key)
                if not p.has(("agents", i, key)) or value is None:
                    continue
                first = seen.setdefault((agent.email, key), (p, i, value))
                other, j, was = first
                if other is not p and was != value:
                    where = f"{other.file}:{other.where(('agents', j))[0]}"
                    problems.append(p.at(("agents", i, key),
                                         f"agent '{agent.email}' has {key} '{value}' here but '{was}' in {where} "
                                         f"(one Chatwoot user: write the same {key} in every provider listing them)"))
    return problems
