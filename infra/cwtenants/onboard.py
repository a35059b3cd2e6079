"""``cwtenants onboard`` / ``cwtenants offboard``: from the marketplace's provider record to live
Chatwoot objects, touching that provider only (docs/onboarding.md).

    record (JSON) ─► Record (pydantic) ─► scaffold_provider() text ─► catalog check with the
    other files ─► portal-slug check (read-only) ─► providers/<slug>.yaml ─► targeted `pulumi up`

The targeted update is the Pulumi CLI: ``pulumi up --target <urn> ...`` with the provider's
component, its five children and its agents, while the program (``CWT_ONLY_PROVIDERS``, see
``cwtenants.program.targeted``) declares only those. Pulumi then neither reads, diffs nor sends
anything about other providers, and the run's cost does not grow with the catalog except for
loading and saving the state. Another update holding the stack lock is waited for (bounded,
exponential backoff with jitter), then a clear error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_exponential_jitter

from .catalog import CatalogError, Problem, load_catalog, load_provider_file
from .catalog.articles import ARTICLES_DIR, TEMPLATES_DIR
from .catalog.loader import DEFAULTS_FILE_NAME, PATTERN_HINTS, format_path
from .catalog.models import SLUG_RE
from .catalog.scaffold import GENERATED_MARKER, scaffold_provider
from . import stackinfo

LOCKED = "currently locked"
DEFAULT_LOCK_WAIT = 600.0  # seconds an onboarding waits for another update to release the stack


class BadInput(Exception):
    """The record is rejected: ``lines`` are ``field: message``; nothing was written."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


POLICY_NOT_APPLIED = "offboarding policy not in the state"  # the program's refusal (program.expect_offboarding)


class PolicyNotApplied(Exception):
    """The targeted offboarding update found another ``offboarding`` policy in the state than the
    file's, and stopped before any step: the policy has to be recorded first."""


class ApplyError(Exception):
    """The targeted update failed (the file is written: the next run or re-delivery applies it)."""


# ---------------------------------------------------------------------------------------------
# The record: the columns of a marketplace's provider table


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Contact(_Record):
    email: str
    name: str | None = None
    role: str | None = None  # agent | administrator, checked by the catalog


class PortalFields(_Record):
    slug: str | None = None
    name: str | None = None
    color: str | None = None
    homepage_link: str | None = None
    custom_domain: str | None = None
    header_text: str | None = None
    page_title: str | None = None


class Record(_Record):
    slug: str
    name: str
    contacts: list[Contact] = []
    locales: list[str] | None = None
    timezone: str | None = None
    webhook_url: str | None = None
    greeting: str | None = None
    portal: PortalFields | None = None
    group: str | None = None
    offboarding: str | None = None


#: provider-file field -> record field, for messages (longest prefix first)
_FIELD_MAP = (
    ("agents", "contacts"),
    ("portal.locales", "locales"),
    ("inbox.timezone", "timezone"),
    ("inbox.webhook_url", "webhook_url"),
    ("inbox.greeting", "greeting"),
    ("inbox.name", "name"),
    ("team.name", "name"),
)


def record_field(field_: str) -> str:
    """``agents[1].email`` -> ``contacts[1].email`` (the record's name for a file field)."""
    for prefix, rec in _FIELD_MAP:
        if field_ == prefix or field_.startswith((prefix + ".", prefix + "[")):
            return rec + field_[len(prefix):]
    return field_


def parse_record(text: str) -> Record:
    """JSON text -> Record, or BadInput with one ``field: message`` per problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput([f"<record>: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]) from None
    if not isinstance(data, dict):
        raise BadInput([f"<record>: expected a JSON object, got {type(data).__name__}"])
    slug = data.get("slug")
    lines = []
    if isinstance(slug, str) and not (re.fullmatch(SLUG_RE, slug) and 2 <= len(slug) <= 50):
        lines.append(f"slug: '{slug}' is not a valid slug: {PATTERN_HINTS[SLUG_RE]}, 2-50 characters")
    try:
        record = Record.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = tuple(p for p in e["loc"] if isinstance(p, (str, int)))
            msg = e["msg"]
            if e["type"] == "missing":
                msg = "required field is missing"
            elif e["type"] == "extra_forbidden":
                msg = "unknown field"
            lines.append(f"{format_path(loc)}: {msg}")
        raise BadInput(lines) from None
    if lines:
        raise BadInput(lines)
    return record


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def render(record: Record, portal_slug_prefix: str = "") -> str:
    """The provider file for ``record``: ``cwtenants new``'s scaffold plus the record's fields."""
    extra: dict = {}
    inbox = _drop_none({"webhook_url": record.webhook_url, "greeting": record.greeting})
    if inbox:
        extra["inbox"] = inbox
    portal = _drop_none(record.portal.model_dump()) if record.portal else {}
    if portal:
        extra["portal"] = portal
    if record.contacts:
        extra["agents"] = [_drop_none({"email": c.email, "name": c.name, "role": c.role}) for c in record.contacts]
    if record.offboarding is not None:
        extra["offboarding"] = record.offboarding
    return scaffold_provider(record.name, slug=record.slug, group=record.group, timezone=record.timezone,
                             locales=record.locales, portal_slug_prefix=portal_slug_prefix, extra=extra,
                             generated=True)


def is_generated(text: str) -> bool:
    return any(line.startswith(GENERATED_MARKER) for line in text.splitlines()[:3])


# ---------------------------------------------------------------------------------------------
# Checks against the catalog (no network) and Chatwoot (read-only)


def provider_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.iterdir()
                  if f.is_file() and f.suffix in (".yaml", ".yml") and not f.name.startswith(("_", ".")))


_CLASH_FIELDS = (("provider slug", "slug"), ("portal slug", "portal.slug"), ("team name", "name"),
                 ("inbox name", "name"), ("custom domain", "portal.custom_domain"))


def check_with_catalog(folder: Path, slug: str, text: str) -> None:
    """Validate the new file together with every other provider file (cross-file rules) and the
    articles it would get (the organisation's templates, its own articles folder if it has one).

    Problems of the record -> BadInput (record fields; a template that cannot be filled for this
    provider is reported with the template's file and line); problems of other files only -> a
    CatalogError (the catalog must be valid before anything is onboarded)."""
    with tempfile.TemporaryDirectory(prefix="cwt-onboard-") as tmp:
        candidate = Path(tmp) / f"{slug}.yaml"
        candidate.write_text(text, encoding="utf-8")
        # articles are read next to the provider file: the candidate's folder gets copies
        for sub in (Path(TEMPLATES_DIR), Path(slug) / ARTICLES_DIR):
            if (folder / sub).is_dir():
                shutil.copytree(folder / sub, Path(tmp) / sub, symlinks=True)
        others = [f for f in provider_files(folder) if f.name != candidate.name]
        defaults = folder / DEFAULTS_FILE_NAME
        try:
            load_catalog(others + [candidate], defaults_file=defaults if defaults.is_file() else None)
        except CatalogError as exc:
            mine, rest = [], []
            target = str(folder / candidate.name)

            def real(s: str) -> str:  # the copies' paths as the files' own
                return s.replace(str(candidate), target).replace(tmp, str(folder))

            for p in exc.problems:
                if p.file == str(candidate):
                    mine.append(f"{record_field(p.field)}: {real(p.message)}")
                elif p.file.startswith(tmp + os.sep):  # a template or an article of this provider
                    ours = Path(tmp, slug) in Path(p.file).parents
                    if ours or re.search(rf"\bprovider {re.escape(slug)}\b", p.message):
                        mine.append(f"articles: {real(p.file)}:{p.line}:{p.col}: {real(p.message)}")
                    else:  # the template's own problem (every provider has it): once, as the file's
                        rest.append(Problem(real(p.file), p.line, p.col, p.field, real(p.message)))
                elif str(candidate) in p.message:  # a clash reported on the other file
                    what = next((f for k, f in _CLASH_FIELDS if p.message.startswith(k)), "contacts")
                    msg = re.sub(r" is also used by \S+", f" is already used by {p.file}:{p.line}", p.message)
                    mine.append(f"{what}: {msg}")
                elif tmp in p.message:  # e.g. another provider's article has the slug one of ours gets
                    mine.append(f"articles: {p.file}:{p.line}:{p.col}: {real(p.message)}")
                else:
                    rest.append(p)
            if rest:
                raise CatalogError(sorted(set(rest), key=str)) from None
            raise BadInput(mine) from None


def portal_slug_taken(url: str, slug: str, has_ours: Callable[[str], bool] | None) -> bool:
    """Read-only: is ``slug`` a portal of *another* account on this installation?

    The public Help Center page ``GET /hc/<slug>`` answers for a portal of any account (archived
    portals excepted); if it exists, ``has_ours(slug)`` (``GET /portals/<slug>`` with the token)
    tells ours (adopted by the update) from another account's. One request for a new slug."""
    import httpx

    try:
        r = httpx.get(f"{url.rstrip('/')}/hc/{slug}", timeout=10.0, follow_redirects=False)
    except httpx.HTTPError:
        return False  # cannot tell: the update reports a taken slug with the same message
    if r.status_code >= 400:
        return False
    return not (has_ours(slug) if has_ours else False)


# ---------------------------------------------------------------------------------------------
# The targeted update


@dataclass
class Stack:
    """Where `pulumi` runs: project folder, stack name, extra environment."""

    cwd: Path
    stack: str | None = None
    env: dict = field(default_factory=dict)
    lock_wait: float = DEFAULT_LOCK_WAIT
    log: Callable[[str], None] = lambda _m: None

    def project(self) -> str:
        data = yaml.safe_load((self.cwd / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        return str(data.get("name") or "cwtenants")

    def stack_name(self) -> str:
        if not self.stack:
            try:
                r = subprocess.run(["pulumi", "stack", "--show-name", "--non-interactive"], cwd=self.cwd,
                                   env={**os.environ, **self.env}, capture_output=True, text=True)
            except OSError as exc:  # no pulumi on PATH
                raise ApplyError(f"cannot run `pulumi` ({exc.strerror}): install the Pulumi CLI or put it "
                                 "on PATH (scripts/env.sh does)") from None
            if r.returncode != 0 or not r.stdout.strip():
                raise ApplyError("no Pulumi stack selected: pass --stack or set PULUMI_STACK "
                                 f"({r.stderr.strip()[-300:]})")
            self.stack = r.stdout.strip()
        return self.stack

    def group(self) -> str | None:
        """The provider group this stack declares (``CWT_GROUP``, else ``cwtenants:group`` in the
        stack's config file, else "*" = all), as the program decides it; None when no stack is
        selected (nothing to compare with: ``--no-apply`` without a stack)."""
        env = {**os.environ, **self.env}
        if (env.get("CWT_GROUP") or "").strip():
            return env["CWT_GROUP"].strip()
        try:
            name = self.stack_name().split("/")[-1]
        except ApplyError:
            return None
        project = yaml.safe_load((self.cwd / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        folder = self.cwd / str(project.get("stackConfigDir") or ".")
        config_file = folder / f"Pulumi.{name}.yaml"
        try:
            config = (yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}).get("config") or {}
        except (OSError, yaml.YAMLError):
            return "*"
        value = config.get("cwtenants:group")
        return str(value).strip() if isinstance(value, str) and value.strip() else "*"

    def check_group(self, slug: str, group: str | None, where: str) -> None:
        """BadInput when the provider's group is not the one this stack declares: its targeted
        update would declare nothing (docs/onboarding.md "Sharded stacks")."""
        mine = self.group()
        if mine is None or mine == "*" or mine == (group or "-"):
            return
        try:
            name = f"stack '{self.stack_name()}'"
        except ApplyError:
            name = "this run"
        raise BadInput([f"group: provider '{slug}' is in group '{group or '-'}' ({where}), but {name} declares "
                        f"group '{mine}' (CWT_GROUP / cwtenants:group): run it with the stack of its group "
                        "(--stack / PULUMI_STACK)"])

    def urns(self, slug: str, emails: set[str], specs: tuple = ()) -> list[str]:
        """The URNs of the provider's component, its children (``component.child_names`` of each
        spec: the new and the previous version of the file; without one, the five fixed
        children) and the agents of ``emails``; type tokens from the resource classes."""
        from .component import TYPE, child_names
        from .resources import agent, inbox, members, portal, team

        def token(cls) -> str:
            return f"pulumi-python:{cls._resource_type_name}"

        base = f"urn:pulumi:{self.stack_name().split('/')[-1]}::{self.project()}::"
        children = [(portal.Portal, f"{slug}-portal"), (team.Team, f"{slug}-team"), (inbox.Inbox, f"{slug}-inbox"),
                    (members.TeamMembers, f"{slug}-team-members"), (members.InboxMembers, f"{slug}-inbox-members")]
        for spec in specs:
            children += [c for c in child_names(spec) if c not in children]
        out = [f"{base}{TYPE}::{slug}"]
        out += [f"{base}{TYPE}${token(cls)}::{name}" for cls, name in children]
        out += [f"{base}{token(agent.Agent)}::{agent.logical_name(e)}" for e in sorted(emails)]
        return out

    def up(self, slug: str, emails: set[str], providers_dir: Path, specs: tuple = (),
           expect_policy: str | None = None) -> str:
        """``pulumi up --target`` of the provider and ``emails``' agents; waits for the lock.

        Pulumi refuses a target that is neither in the state nor declared by the program (an
        offboarding delivered again, an agent of an update that never got applied): those are
        dropped and the update runs again with the rest; none left = nothing to do."""
        targets = self.urns(slug, emails, specs)
        for _ in range(2):
            r = self._up(slug, emails, targets, providers_dir, expect_policy)
            if r.returncode != 0 and expect_policy and POLICY_NOT_APPLIED in r.stdout + r.stderr:
                raise PolicyNotApplied(slug)
            missing = set(re.findall(r"Target '([^']+)' could not be found in the stack", r.stdout + r.stderr))
            if r.returncode == 0 or not missing:
                break
            targets = [t for t in targets if t not in missing]
            self.log(f"{len(missing)} of the targets are not in the stack (already removed); "
                     + ("nothing left to do" if not targets else "updating the others"))
            if not targets:
                return "Resources:\n    nothing to do (not in the stack)\n"
        if r.returncode != 0:
            lines = (r.stdout + r.stderr).strip().splitlines()
            errors = [ln for ln in lines if "error" in ln.lower()][:30]
            tail = "\n".join(errors + ["..."] + lines[-8:])
            raise ApplyError(f"`pulumi up` for {slug} failed (exit {r.returncode}):\n{tail}")
        return r.stdout

    def _up(self, slug: str, emails: set[str], targets: list[str], providers_dir: Path,
            expect_policy: str | None = None) -> subprocess.CompletedProcess:
        cmd = ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never",
               "--stack", self.stack_name()]
        for urn in targets:
            cmd += ["--target", urn]
        env = {**os.environ, **self.env, "CWT_PROVIDERS_DIR": str(providers_dir.resolve()),
               "CWT_ONLY_PROVIDERS": slug, "CWT_ONLY_AGENTS": ",".join(sorted(emails))}
        if expect_policy:  # the program stops before any step if the state holds another policy
            env["CWT_EXPECT_OFFBOARDING"] = f"{slug}={expect_policy}"
        # The state is written once, at the end, instead of after every step: with 1000 providers
        # each checkpoint rewrites ~18 MB, which made the state I/O the largest cost of an
        # onboarding (docs/benchmarks.md "Onboarding"). An update killed half-way then leaves the
        # state as before it; the next run's creates find what it made by natural key and adopt
        # it (find_or_create), so nothing is duplicated. CWT_ONBOARD_CHECKPOINTS=1 keeps them.
        if os.environ.get("CWT_ONBOARD_CHECKPOINTS") != "1":
            env.setdefault("PULUMI_SKIP_CHECKPOINTS", "true")
        # The engine's garbage collector: with 1000 providers the engine holds the whole state
        # (~6000 resources) and about a third of its CPU went to collections at Go's default
        # (GOGC=100). 400 lets the heap grow further between collections: -15 % CPU of the
        # update at N=1000 for ~+170 MB peak (docs/benchmarks.md "Onboarding"). A GOGC set by
        # the caller wins.
        env.setdefault("GOGC", "400")
        # A targeted update replaces the stack outputs with what the run exports: the program
        # reads the previous ones while the update holds the stack lock (so an update we waited
        # for is included) and exports them again with this provider's summary added or removed.
        started = time.monotonic()

        def attempt() -> subprocess.CompletedProcess:
            r = subprocess.run(cmd, cwd=self.cwd, env=env, capture_output=True, text=True)
            if r.returncode != 0 and LOCKED in r.stdout + r.stderr:
                self.log(f"the stack is locked by another update; waiting (up to {self.lock_wait:.0f}s)")
            return r

        retrying = Retrying(
            retry=retry_if_result(lambda r: r.returncode != 0 and LOCKED in r.stdout + r.stderr),
            wait=wait_exponential_jitter(initial=1, max=15),
            stop=stop_after_delay(self.lock_wait),
        )
        try:
            return retrying(attempt)
        except RetryError:
            raise ApplyError(
                f"the stack {self.stack_name()} stayed locked for {time.monotonic() - started:.0f}s by another "
                "update (a full `pulumi up` or another onboarding); the file is written and the next run or a "
                "re-delivery applies it. If no update is running, `pulumi cancel` removes a stale lock") from None

    def outputs(self) -> dict:
        """The stack's outputs (secret values stay encrypted: never shown, never re-exported)."""
        data = stackinfo.read_outputs(self.cwd, self.stack_name(), env={**os.environ, **self.env}) or {}
        return stackinfo.without_secrets(data)


# ---------------------------------------------------------------------------------------------
# The two commands


@dataclass
class Result:
    slug: str
    path: Path
    file: str  # created | updated | unchanged | removed | absent
    applied: bool = False
    output: str = ""
    offboarding: str | None = None


def onboard(record_text: str, providers_dir: Path, *, update: bool = False, apply: bool = True,
            stack: Stack | None = None, portal_prefix: str = "", client_factory: Callable | None = None) -> Result:
    """Write providers/<slug>.yaml from the record and apply that provider only.

    Raises BadInput (nothing written), CatalogError (other files are invalid, nothing written),
    ApplyError (written, not applied)."""
    record = parse_record(record_text)
    text = render(record, portal_prefix)
    path = providers_dir / f"{record.slug}.yaml"
    old = path.read_text(encoding="utf-8") if path.exists() else None
    old_spec = _spec(path) if old is not None else None
    if old is not None and old != text and not is_generated(old) and not update:
        raise BadInput([f"slug: {path} exists and was not written by `cwtenants onboard` (no "
                        f"'{GENERATED_MARKER}' line); not overwriting it without --update"])
    check_with_catalog(providers_dir, record.slug, text)
    stack = stack or Stack(Path.cwd())
    stack.check_group(record.slug, record.group, "the record's group" if record.group else "no group in the record")
    new_portal = (yaml.safe_load(text).get("portal") or {}).get("slug")
    old_portal = ((yaml.safe_load(old) or {}).get("portal") or {}).get("slug") if old else None
    if new_portal != old_portal and client_factory is not None:
        url, has_ours = client_factory()
        if url and portal_slug_taken(url, new_portal, has_ours):
            raise BadInput([f"portal.slug: '{new_portal}' is already used by another account on this Chatwoot "
                            "installation (portal slugs are unique installation-wide); set portal.slug in the "
                            "record"])
    status = "unchanged" if old == text else ("updated" if old is not None else "created")
    if old != text:
        providers_dir.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, text)
    result = Result(record.slug, path, status)
    if apply:
        emails = {c.email.lower() for c in record.contacts} | _emails(old)
        specs = tuple(x for x in (_spec(path), old_spec) if x is not None)
        result.output = stack.up(record.slug, emails, providers_dir, specs)
        result.applied = True
    return result


def _applied_policy(stack: Stack, slug: str) -> str | None:
    return stackinfo.parse(stack.outputs()).offboarding.get(slug)


def _spec(path: Path):
    """The resolved spec of a provider file (with its articles), None if it does not load."""
    try:
        return load_provider_file(path)
    except CatalogError:
        return None


def _emails(text: str | None) -> set[str]:
    try:
        data = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return set()
    agents = (data or {}).get("agents") if isinstance(data, dict) else None
    return {str(a["email"]).lower() for a in agents or [] if isinstance(a, dict) and a.get("email")}


MARK = "offboarded: true"
MARK_NOTE = ("# offboarded by `cwtenants offboard` (offboarding: retain): the objects stay in Chatwoot, not "
             "managed; onboarding this slug again (or removing the next line) adopts them\n")


def mark_offboarded(text: str) -> str:
    """The provider file with ``offboarded: true`` (an existing top-level ``offboarded:`` line is
    replaced; otherwise a comment and the line are appended)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if re.match(r"offboarded\s*:", line):
            lines[i] = MARK + "\n"
            return "".join(lines)
    return text + ("" if text.endswith("\n") or not text else "\n") + MARK_NOTE + MARK + "\n"


def offboard(slug: str, providers_dir: Path, *, apply: bool = True, prepare: bool = False,
             stack: Stack | None = None) -> Result:
    """Apply the file's offboarding policy to that provider only, then remove the file (archive,
    delete) or mark it ``offboarded: true`` (retain).

    The file is removed or marked, then a targeted update deletes, archives or forgets the
    objects as the policy says (a marked provider is not declared: with retain, Pulumi forgets
    its objects). Pulumi deletes with the inputs the state holds, so that update's program first
    checks the state holds the file's ``offboarding`` (the usual case: the file was applied when
    merged); if not, it stops before any step, the file is put back, a targeted update with it
    records the policy, and the removal runs again. ``prepare``: record the policy (reading the
    outputs here) and remove/mark the file only (the next run applies it); ``apply=False``: only
    remove or mark the file. Re-delivery (the file already gone or marked) runs the update only,
    which converges an interrupted run."""
    if not re.fullmatch(SLUG_RE, slug):
        raise BadInput([f"slug: '{slug}' is not a valid slug: {PATTERN_HINTS[SLUG_RE]}"])
    path = providers_dir / f"{slug}.yaml"
    stack = stack or Stack(Path.cwd())
    result = Result(slug, path, "absent")
    emails: set[str] = set()
    specs: tuple = ()
    original = policy = None  # the file as it was and its policy, when this run removes/marks it
    if path.exists():
        try:
            spec = load_provider_file(path)
        except CatalogError as exc:
            raise BadInput([f"{p.field}: {p.message}" for p in exc.problems]) from None
        emails = {a.email.lower() for a in spec.agents}
        result.offboarding = spec.offboarding
        specs = (spec,)
        if apply or prepare:
            stack.check_group(slug, spec.group, f"{path}")
        if spec.offboarded:
            result.file = "unchanged"  # marked by an earlier offboarding: only the update may be left
        else:
            original, policy = path.read_text(encoding="utf-8"), spec.offboarding
            if prepare and _applied_policy(stack, slug) != policy:
                stack.up(slug, emails, providers_dir, specs)
            result.file = _remove_or_mark(path, original, policy)
    if apply and not prepare:
        try:
            result.output = stack.up(slug, emails, providers_dir, specs, expect_policy=policy)
        except PolicyNotApplied:
            # the state holds another policy (the file's was never applied): put the file back,
            # record its policy with a targeted update, then remove or mark it again
            _write_atomically(path, original)
            stack.log(f"{slug}: recording offboarding: {policy} in the state first")
            stack.up(slug, emails, providers_dir, specs)
            _remove_or_mark(path, original, policy)
            result.output = stack.up(slug, emails, providers_dir, specs)
        result.applied = True
    return result


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _remove_or_mark(path: Path, original: str, policy: str) -> str:
    """retain: mark the file ``offboarded: true``; archive, delete: remove it. What was done."""
    if policy == "retain":
        _write_atomically(path, mark_offboarded(original))
        return "marked"
    path.unlink()
    return "removed"


def problems_text(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# ---------------------------------------------------------------------------------------------
# CLI (registered on the typer app by cwtenants.cli)


def _portal_check_from_env():
    """(url, has_ours) for the read-only portal-slug check, from CHATWOOT_* (None without a URL)."""
    url = os.environ.get("CHATWOOT_URL")
    if not url:
        return None, None

    def has_ours(slug: str) -> bool:
        from .chatwoot import ChatwootClient, ChatwootError, NotFound, Settings

        try:
            settings = Settings.from_env()
        except Exception:  # no token: cannot tell ours from theirs; the update will say
            return True
        with ChatwootClient(settings) as c:
            try:
                c.get(f"/portals/{slug}")
                return True
            except NotFound:
                return False
            except ChatwootError as exc:
                if getattr(exc, "unknown_portal_candidate", False):  # Chatwoot <= 4.15.1: 500 for unknown
                    return False
                raise
    return url, has_ours


def _summary(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines()]
    i = next((n for n, ln in enumerate(lines) if ln == "Resources:"), None)
    if i is None:
        return ""
    return ", ".join(ln for ln in lines[i + 1:i + 6] if ln and not ln.startswith("Duration"))


StackOpt = Annotated[Optional[str], typer.Option("--stack", "-s", envvar="PULUMI_STACK",
                                                 help="Pulumi stack (default: the selected one).")]
LockOpt = Annotated[float, typer.Option("--lock-wait", envvar="CWT_LOCK_WAIT",
                                        help="Seconds to wait for another update holding the stack lock.")]
NoApply = Annotated[bool, typer.Option("--no-apply", help="Only write the file (the next run applies it).")]
ProvidersDir = Annotated[Path, typer.Option("--providers-dir", "-d", envvar="CWT_PROVIDERS_DIR",
                                            help="Folder holding the provider files and _defaults.yaml.")]


def register(app) -> None:
    from . import cli

    def run(fn, quiet_progress=False):
        try:
            return fn()
        except BadInput as exc:
            for line in exc.lines:
                cli.err(line)
            raise cli.fail("the record was rejected; nothing was written or sent") from None
        except CatalogError as exc:
            for p in exc.problems:
                cli.err(str(p))
            raise cli.fail("other provider files are invalid; nothing was written",
                           "run `cwtenants validate` and correct them") from None
        except ApplyError as exc:
            raise cli.fail(str(exc)) from None

    @app.command("onboard")
    def onboard_cmd(
        record: Annotated[str, typer.Argument(help="JSON file with the provider record, or - for stdin.")] = "-",
        update: Annotated[bool, typer.Option("--update", help="Also overwrite a provider file written by "
                                                              "hand.")] = False,
        no_apply: NoApply = False,
        stack: StackOpt = None,
        lock_wait: LockOpt = DEFAULT_LOCK_WAIT,
        providers_dir: ProvidersDir = Path("providers"),
    ) -> None:
        """Write providers/<slug>.yaml from a marketplace provider record and apply that provider only.

        The record is JSON: slug, name, contacts [{email, name, role}], locales, timezone,
        webhook_url, greeting, portal {slug, name, color, homepage_link, custom_domain, header_text,
        page_title}, group, offboarding (docs/onboarding.md). The same record again is a no-op; a
        changed record updates the file and the objects. Bad input: `field: message`, exit 1,
        nothing written.
        """
        import sys

        text = sys.stdin.read() if record == "-" else Path(record).read_text(encoding="utf-8")
        progress = cli.Progress(prefix="onboard: ")
        st = Stack(Path.cwd(), stack, lock_wait=lock_wait, log=progress)
        checker = _portal_check_from_env if os.environ.get("CHATWOOT_URL") else None
        if checker is None:
            cli.err("warning: CHATWOOT_URL is not set: the portal slug is not checked against other accounts",
                    "yellow")
        res = run(lambda: onboard(text, providers_dir, update=update, apply=not no_apply, stack=st,
                                  portal_prefix=cli._portal_prefix(providers_dir),
                                  client_factory=checker))
        cli.out(f"{res.file} {res.path}")
        if res.applied:
            cli.out(f"applied {res.slug} (targeted update: {_summary(res.output) or 'done'})")

    @app.command("offboard")
    def offboard_cmd(
        slug: Annotated[str, typer.Argument(help="The provider's slug.")],
        no_apply: Annotated[bool, typer.Option("--no-apply", help="Only remove the file.")] = False,
        prepare: Annotated[bool, typer.Option("--prepare", help="Record the file's policy in the state (a "
                                              "targeted update, no-op when recorded) and remove the file; the "
                                              "next run applies the removal.")] = False,
        stack: StackOpt = None,
        lock_wait: LockOpt = DEFAULT_LOCK_WAIT,
        providers_dir: ProvidersDir = Path("providers"),
    ) -> None:
        """Apply providers/<slug>.yaml's offboarding policy to that provider only, then remove the file.

        retain: the objects stay in Chatwoot and leave the state; archive: the portal is archived;
        delete: inbox, team and portal are deleted. Other providers are not touched. Running it
        again (re-delivery) converges an interrupted run.
        """
        progress = cli.Progress(prefix="offboard: ")
        st = Stack(Path.cwd(), stack, lock_wait=lock_wait, log=progress)
        res = run(lambda: offboard(slug, providers_dir, apply=not no_apply, prepare=prepare, stack=st))
        cli.out(f"{res.file} {res.path}" + (f" (offboarding: {res.offboarding})" if res.offboarding else ""))
        if res.applied:
            cli.out(f"applied {res.slug} (targeted update: {_summary(res.output) or 'done'})")
