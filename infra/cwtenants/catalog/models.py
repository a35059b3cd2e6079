"""Catalog models.

Two layers:

* ``*File`` pydantic models describe what may be written in YAML (``extra="forbid"``,
  strict types, so ``"yes"`` is not a boolean and ``8080`` is not a string).  Omitted
  optional keys are ``None`` so that ``providers/_defaults.yaml`` can fill them in.
  Keys whose type has no ``None`` reject an explicit ``null``.
* ``*Spec`` frozen dataclasses are the resolved contract (docs/ARCHITECTURE.md):
  every default applied, field names equal to the YAML names.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo

# ---------------------------------------------------------------------------
# Limits and patterns (see docs/catalog.md)
# ---------------------------------------------------------------------------

SLUG_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"
PORTAL_SLUG_PREFIX_RE = r"^[a-z0-9]+(-[a-z0-9]+)*-?$"
COLOR_RE = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
# language (2-3 lower-case letters), optionally - or _ and a region (US, 419) or script (Latn)
LOCALE_RE = r"^[a-z]{2,3}(?:[-_](?:[A-Z]{2}|[0-9]{3}|[A-Z][a-z]{3}))?$"
HOSTNAME_RE = r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"

MAX_GREETING = 10_000  # Chatwoot greeting_message limit (lib/limits.rb)
MAX_URL = 2_048  # Chatwoot API-channel webhook_url limit; used for every URL
MAX_NAME = 255
MAX_TEXT = 255
MAX_PORTAL_SLUG = 100

DEFAULT_TIMEZONE = "UTC"
DEFAULT_COLOR = "#1f93ff"
DEFAULT_LOCALES = ("en",)
DEFAULT_MEMBERSHIP = "authoritative"
DEFAULT_OFFBOARDING = "retain"

Membership = Literal["authoritative", "additive"]
Offboarding = Literal["retain", "archive", "delete"]
Role = Literal["agent", "administrator"]
Availability = Literal["online", "offline", "busy"]
# Chatwoot's fixed list of custom-role permissions (enterprise CustomRole::PERMISSIONS in 4.15.1;
# anything else is refused with 422 "Permissions is not included in the list").
Permission = Literal[
    "conversation_manage", "conversation_unassigned_manage", "conversation_participating_manage",
    "contact_manage", "report_manage", "knowledge_base_manage",
]
PERMISSIONS: tuple[str, ...] = Permission.__args__
ArticlesMode = Literal["additive", "authoritative"]
ArticleStatus = Literal["draft", "published"]
DEFAULT_ARTICLES_MODE = "additive"
DEFAULT_ARTICLE_STATUS = "published"
MAX_ARTICLE_SLUG = 100


# ---------------------------------------------------------------------------
# Value validators
# ---------------------------------------------------------------------------

MAX_QUOTE = 60  # characters of a value quoted in a message


def quote(value: object) -> str:
    """``'value'`` for a message, cut after MAX_QUOTE characters (hostile files can be huge)."""
    text = str(value)
    if len(text) <= MAX_QUOTE:
        return f"'{text}'"
    return f"'{text[:MAX_QUOTE]}…' ({len(text)} characters)"

@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """IANA zone ids from zoneinfo (the ids Ruby's TZInfo accepts), minus non-zones."""
    return frozenset(
        z for z in zoneinfo.available_timezones()
        if z not in {"Factory", "localtime", "posixrules"} and not z.startswith(("posix/", "right/"))
    )


def _check_timezone(value: str) -> str:
    if value not in known_timezones():
        raise ValueError(f"unknown timezone {quote(value)} (use an IANA id such as 'Europe/Berlin' or 'UTC')")
    return value


def _check_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host, _port = parts.hostname, parts.port
    except ValueError:  # bad port, unbalanced [ ] ...
        raise ValueError(f"{quote(value)} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{quote(value)} is not an http(s) URL with a host")
    if any(c.isspace() for c in value):
        raise ValueError("URL must not contain whitespace")
    if parts.username is not None or parts.password is not None:
        raise ValueError("URL must not contain a user name or password (user:password@host): "
                         "Chatwoot shows it in clear to every administrator")
    return value


INTERNAL_WEBHOOK_HOSTS_CONTEXT = "internal_webhook_hosts"
# Host names that never leave the machine or the local network (no DNS lookup is made).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan")


def _numeric_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a numeric host denotes, as HTTP clients read it: also the decimal
    (``2130706433``), hexadecimal (``0x7f000001``), octal and short (``127.1``) IPv4 forms."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if re.fullmatch(r"0x[0-9a-f]*|[0-9]+", last):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            raise ValueError(f"host {quote(host)} is not a valid address") from None
    return None


def internal_reason(host: str) -> str | None:
    """Why ``host`` is an internal target for a webhook (Chatwoot would POST conversations there)."""
    host = host.lower().rstrip(".")
    ip = _numeric_host(host)
    if ip is None:
        if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
            return "a local host name"
        if "." not in host:
            return "a single-label (intranet) host name"
        return None
    if ip.version == 4 and str(ip) != host:
        return f"an IP address written in a non-standard form (it means {ip})"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata services live there)"
    if ip.is_private:
        return "a private-network address"
    if not ip.is_global or ip.is_multicast:
        return "not a public address"
    return None


def _allowed_internal(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowed:
        if host == entry:
            return True
        try:
            net = ipaddress.ip_network(entry, strict=False)
            if ipaddress.ip_address(host) in net:
                return True
        except ValueError:
            continue
    return False


def _check_webhook_url(value: str, info: ValidationInfo) -> str:
    """A webhook must not point inside the network Chatwoot runs in (SSRF): loopback, private,
    link-local and local names are refused unless _defaults.yaml lists them in
    ``inbox.internal_webhook_hosts``."""
    _check_url(value)
    host = urlsplit(value).hostname or ""
    reason = internal_reason(host)
    if reason and reason.startswith("an IP address written"):
        raise ValueError(f"webhook host {quote(host)} is {reason}; write the address in its usual form")
    if reason and not _allowed_internal(host, (info.context or {}).get(INTERNAL_WEBHOOK_HOSTS_CONTEXT) or []):
        raise ValueError(f"webhook host {quote(host)} is {reason}: Chatwoot would send conversation data into "
                         "its own network; list it in _defaults.yaml inbox.internal_webhook_hosts if intended")
    return value


def _check_internal_host_entry(value: str) -> str:
    entry = value.lower().rstrip(".")
    try:
        ipaddress.ip_network(entry, strict=False)
        return entry
    except ValueError:
        pass
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*", entry):
        raise ValueError(f"{quote(value)} is neither a host name nor an IP address or network (10.0.0.0/8)")
    return entry


def _check_email(value: str) -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email {quote(value)}: {str(exc)[:200]}") from None
    _check_lookalikes(value)
    return result.normalized.lower()


# Scripts whose letters look alike (a Cyrillic "а" in a Latin word reads as "a").
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _check_lookalikes(value: str) -> None:
    """Refuse invisible or direction-changing characters (zero-width, bidi overrides: Unicode
    categories Cc and Cf) and words mixing Latin, Cyrillic and Greek letters."""
    for i, c in enumerate(value):
        if unicodedata.category(c) in ("Cc", "Cf"):
            what = unicodedata.name(c, "control character")
            raise ValueError(f"must not contain invisible or direction-changing characters "
                             f"(U+{ord(c):04X} {what} at position {i + 1})")
    for word in re.findall(r"\w+", value):
        scripts = sorted({s for s in (unicodedata.name(c, "").split(" ")[0] for c in word if c.isalpha())
                          if s in _CONFUSABLE_SCRIPTS})
        if len(scripts) > 1:
            raise ValueError(f"mixes {' and '.join(s.title() for s in scripts)} letters in {quote(word)} "
                             "(look-alike characters)")


def _check_name(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if any(ord(c) < 32 for c in value):
        raise ValueError("must not contain control characters")
    _check_lookalikes(value)
    return value


def _check_hostname(value: str) -> str:
    host = value.lower().removesuffix(".")
    if not re.fullmatch(HOSTNAME_RE, host):
        raise ValueError(f"{quote(value)} is not a host name (write e.g. help.acme.example, without scheme or path)")
    return host


Slug = Annotated[str, StringConstraints(pattern=SLUG_RE, min_length=2, max_length=50)]
GroupName = Annotated[str, StringConstraints(pattern=SLUG_RE, min_length=1, max_length=50)]
PortalSlug = Annotated[str, StringConstraints(pattern=SLUG_RE, min_length=2, max_length=MAX_PORTAL_SLUG)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME), AfterValidator(_check_name)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
Url = Annotated[str, StringConstraints(max_length=MAX_URL), AfterValidator(_check_url)]
WebhookUrl = Annotated[str, StringConstraints(max_length=MAX_URL), AfterValidator(_check_webhook_url)]
InternalHost = Annotated[str, StringConstraints(max_length=253), AfterValidator(_check_internal_host_entry)]
Color = Annotated[str, StringConstraints(pattern=COLOR_RE)]
Locale = Annotated[str, StringConstraints(pattern=LOCALE_RE)]
Greeting = Annotated[str, StringConstraints(min_length=1, max_length=MAX_GREETING)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_check_email)]
Hostname = Annotated[str, AfterValidator(_check_hostname)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# ---------------------------------------------------------------------------
# YAML shape: provider file
# ---------------------------------------------------------------------------

class InboxFile(_Strict):
    """Chatwoot inbox (API channel) of the provider."""

    name: Name = Field(None, description='Inbox name. Default: "{name} Support". Must be unique in the catalog.')
    timezone: Timezone = Field(
        None, description="IANA/TZInfo timezone id, e.g. Europe/Berlin. Default: _defaults.yaml or UTC.",
        json_schema_extra={"examples": ["UTC", "Europe/Berlin", "America/New_York"]},
    )
    greeting: Greeting | None = Field(
        None, description="Greeting message (enables greeting). null = no greeting. Max 10000 chars. "
                          "Default: _defaults.yaml or none.")
    webhook_url: WebhookUrl | None = Field(
        None, description="http(s) URL Chatwoot posts conversation events to. Max 2048 chars, no credentials; "
                          "loopback, private, link-local and local host names only if _defaults.yaml lists them "
                          "in inbox.internal_webhook_hosts. Default: none.",
        json_schema_extra={"format": "uri"})
    enable_auto_assignment: bool = Field(
        None, description="Auto-assign conversations to inbox members. Default: _defaults.yaml or true.")


class TeamFile(_Strict):
    """Chatwoot team holding the provider's agents."""

    name: Name = Field(
        None, description='Team name. Default: "{name} Team". Chatwoot lower-cases it; must be unique '
                          "(case-insensitively) in the catalog.")
    description: Text | None = Field(None, description="Team description. Default: none.")
    allow_auto_assign: bool = Field(
        None, description="Allow auto-assignment within the team. Default: _defaults.yaml or true.")


class CategoryFile(_Strict):
    """A Help Center category of one locale."""

    slug: Annotated[str, StringConstraints(pattern=SLUG_RE, min_length=1, max_length=MAX_ARTICLE_SLUG)] = Field(
        description="Category slug, unique per portal and locale (articles refer to it as `category`).")
    name: Name = Field(description="Category name shown on the portal.")
    description: Text | None = Field(None, description="Category description. Default: none.")
    position: Annotated[int, Field(ge=0)] | None = Field(None, description="Sort position. Default: Chatwoot's.")
    icon: Annotated[str, StringConstraints(max_length=50)] | None = Field(
        None, description="Icon (an emoji or icon name). Default: none.")


CategoriesByLocale = dict[Locale, list[CategoryFile]]


class PortalFile(_Strict):
    """Chatwoot Help Center portal."""

    slug: PortalSlug = Field(
        None, description="Portal slug, unique on the whole Chatwoot installation. "
                          'Default: portal_slug_prefix + "{slug}-" + first 8 hex chars of sha256(slug).')
    name: Name = Field(None, description='Portal name. Default: "{name} Help Center".')
    color: Color = Field(
        None, description='Brand colour #rgb or #rrggbb (quote it in YAML: "#1f93ff"). '
                          "Default: _defaults.yaml or #1f93ff.")
    locales: list[Locale] = Field(
        None, min_length=1, description="Allowed locales, first one is the default locale (e.g. en, pt_BR, zh-CN). "
                                        "No duplicates. Default: _defaults.yaml or [en].")
    header_text: Text | None = Field(None, description="Header text of the portal home page.")
    page_title: Text | None = Field(None, description="HTML page title.")
    homepage_link: Url | None = Field(
        None, description="http(s) link back to the provider's website.", json_schema_extra={"format": "uri"})
    custom_domain: Hostname | None = Field(
        None, description="Host name (no scheme) serving the portal, e.g. help.acme.example. "
                          "Unique in the catalog (and on the Chatwoot installation).",
        json_schema_extra={"format": "hostname"})
    categories: CategoriesByLocale = Field(
        None, description="Help Center categories per locale: {en: [{slug, name, description, position, icon}]}. "
                          "Merged with _defaults.yaml's (same slug: this file wins). Each locale must be one "
                          "of the portal's locales.")
    articles: ArticlesMode = Field(
        None, description="additive (default): articles no file claims (e.g. written in the Chatwoot UI) are "
                          "left alone and removing a file keeps its article; authoritative: Git is the only "
                          "author, such articles are deleted.")
    skip_templates: list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_ARTICLE_SLUG)]] = Field(
        None, description='Organisation templates (providers/_articles/<locale>/<name>.md) this portal does not '
                          'get, by file name without .md; ["*"] = none. Default: all templates.')


class AgentFile(_Strict):
    """A Chatwoot agent (account user) who is a member of the provider's team and inbox."""

    email: Email = Field(description="Login email; stored lower-cased. Unique within the provider.",
                         json_schema_extra={"format": "email"})
    name: Name = Field(None, description="Display name. Default: the email's local part (as Chatwoot does).")
    role: Role = Field(
        None, description="Account role: only 'agent' (the default). 'administrator' is refused: it would let "
                          "this person read every provider's conversations and change every provider's inbox, "
                          "team and portal. Marketplace staff with account-wide rights are declared under "
                          "`staff:` in _defaults.yaml.",
        json_schema_extra={"enum": ["agent"]})
    availability: Availability | None = Field(
        None, description="online | offline | busy: the status the person keeps (Chatwoot's auto-offline is "
                          "switched off for them). Default: not managed (their own status toggle is theirs).")
    manage_user: bool | None = Field(
        None, description="true: cwtenants may rename this person's Chatwoot user (the name is shared by every "
                          "account) and, with a Platform token, create or confirm the user through the Platform "
                          "API. Default: false (a user cwtenants did not create keeps its name).")
    shared: bool = Field(
        None, description="true: this person is deliberately listed by several providers (and so sees all "
                          "their conversations). Required on every listing of an email that several providers "
                          "list, unless the email is declared staff in _defaults.yaml. Default: false.")
    custom_role: Name = Field(
        None, description="Name of a custom role declared under `custom_roles:` in _defaults.yaml. Takes effect "
                          "only on accounts with Chatwoot's custom_roles feature (`cwtenants doctor` says). "
                          "Default: none (the plain agent role).")


class ProviderFile(_Strict):
    """One marketplace provider (providers/<slug>.yaml)."""

    model_config = ConfigDict(title="Provider")

    slug: Slug = Field(description="Immutable provider key; must equal the file name (<slug>.yaml). "
                                   "Lower-case letters, digits and single hyphens, 2-50 chars.")
    name: Name = Field(description="Display name; other names are derived from it.")
    group: GroupName | None = Field(None, description="Optional group (e.g. region) for sharding stacks.")
    inbox: InboxFile = Field(None, description="Inbox settings. Default: all defaults.")
    team: TeamFile = Field(None, description="Team settings. Default: all defaults.")
    portal: PortalFile = Field(None, description="Help Center portal settings. Default: all defaults.")
    agents: list[AgentFile] = Field(None, description="Agents of this provider. Default: none.")
    membership: Membership = Field(
        None, description="authoritative: team/inbox members are exactly the listed agents; additive: listed "
                          "agents are added, others are left alone. Default: _defaults.yaml or authoritative.")
    offboarding: Offboarding = Field(
        None, description="What happens to the Chatwoot objects when the provider file is removed: retain, "
                          "archive or delete. Default: _defaults.yaml or retain.")
    offboarded: bool = Field(
        None, description="true: the provider was offboarded with `offboarding: retain` (`cwtenants offboard` "
                          "writes it): its inbox, team and portal stay in Chatwoot but are no longer managed (not "
                          "declared, not checked). The file keeps the provider's slug and names reserved, so no "
                          "other provider adopts the retained objects. Removing the line (or onboarding the slug "
                          "again) manages them again: they are adopted by their names. Only with offboarding: "
                          "retain. Default: false.")


# ---------------------------------------------------------------------------
# YAML shape: providers/_defaults.yaml
# ---------------------------------------------------------------------------

class InboxDefaults(_Strict):
    timezone: Timezone = Field(None, description="Default inbox timezone (IANA id).")
    greeting: Greeting = Field(None, description="Default greeting message.")
    enable_auto_assignment: bool = Field(None, description="Default for inbox auto-assignment.")
    internal_webhook_hosts: list[InternalHost] = Field(
        None, description="Host names, IP addresses or networks (10.0.0.0/8) that inbox.webhook_url may point to "
                          "although they are internal (loopback, private, link-local, local names). "
                          "Default: none (webhooks must go to public hosts).",
        max_length=100)


class TeamDefaults(_Strict):
    allow_auto_assign: bool = Field(None, description="Default for team auto-assignment.")


class PortalDefaults(_Strict):
    color: Color = Field(None, description="Default portal colour #rgb or #rrggbb.")
    locales: list[Locale] = Field(None, min_length=1, description="Default portal locales.")
    portal_slug_prefix: Annotated[
        str, StringConstraints(pattern=PORTAL_SLUG_PREFIX_RE, max_length=30)
    ] = Field(None, description='Prefix of derived portal slugs, e.g. "mkt-". Existing portals keep their slug '
                                "only if it is written in the provider file.")
    categories: CategoriesByLocale = Field(
        None, description="Categories every portal gets in the locales it has (e.g. for the organisation's "
                          "article templates).")
    articles: ArticlesMode = Field(None, description="Default articles mode (additive | authoritative).")


class StaffFile(_Strict):
    """A marketplace staff member: the only people who may hold account-wide rights."""

    email: Email = Field(description="Login email; stored lower-cased. Unique in the staff list.",
                         json_schema_extra={"format": "email"})
    name: Name = Field(None, description="Display name. Default: the email's local part.")
    role: Role = Field(
        None, description="administrator (default: reads and changes everything in the account) or agent "
                          "(a staff member who only works in the providers' inboxes that list them).")
    availability: Availability | None = Field(None, description="online | offline | busy. Default: not managed.")
    manage_user: bool | None = Field(
        None, description="true: cwtenants may rename this person's Chatwoot user and, with a Platform token, "
                          "create or confirm it through the Platform API (see agents[].manage_user). Default: false.")


class CustomRoleFile(_Strict):
    """A Chatwoot custom role (enterprise feature `custom_roles`), assignable to provider agents."""

    name: Name = Field(description="Role name; unique in this list (Chatwoot itself does not require it).")
    description: Text | None = Field(None, description="Free text shown in Chatwoot.")
    permissions: list[Permission] = Field(
        min_length=1, description="Chatwoot's permissions: " + ", ".join(PERMISSIONS) + ".")


class DefaultsFile(_Strict):
    """Org-wide defaults (providers/_defaults.yaml); provider files override them."""

    model_config = ConfigDict(title="Provider defaults")

    staff: list[StaffFile] = Field(
        None, description="Marketplace staff. The only people who may be administrators (account-wide rights); "
                          "they may also be listed by any number of providers. Default: none.")
    custom_roles: list[CustomRoleFile] = Field(
        None, description="Custom roles provider agents may be given (`agents[].custom_role`). Default: none.")

    inbox: InboxDefaults = Field(None, description="Inbox defaults.")
    team: TeamDefaults = Field(None, description="Team defaults.")
    portal: PortalDefaults = Field(None, description="Portal defaults.")
    membership: Membership = Field(None, description="Default membership mode.")
    offboarding: Offboarding = Field(None, description="Default offboarding mode.")


# ---------------------------------------------------------------------------
# Resolved specs (the contract)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class InboxSpec:
    name: str
    timezone: str = DEFAULT_TIMEZONE
    greeting: str | None = None
    webhook_url: str | None = None
    enable_auto_assignment: bool = True


@dataclass(frozen=True)
class TeamSpec:
    name: str
    description: str | None = None
    allow_auto_assign: bool = True


@dataclass(frozen=True)
class CategorySpec:
    locale: str
    slug: str
    name: str
    description: str | None = None
    position: int | None = None
    icon: str | None = None


@dataclass(frozen=True)
class ArticleSpec:
    locale: str
    slug: str  # the Chatwoot slug (unique on the whole installation)
    title: str
    content: str  # Markdown body, templates rendered
    category: str | None = None  # category slug in the same locale
    description: str | None = None
    status: str = DEFAULT_ARTICLE_STATUS
    position: int | None = None
    tags: tuple[str, ...] = ()
    source: str = ""  # file it came from
    template: str | None = None  # template name when rendered from providers/_articles


@dataclass(frozen=True)
class PortalSpec:
    slug: str
    name: str
    color: str = DEFAULT_COLOR
    locales: list[str] = field(default_factory=lambda: list(DEFAULT_LOCALES))
    header_text: str | None = None
    page_title: str | None = None
    homepage_link: str | None = None
    custom_domain: str | None = None
    categories: list[CategorySpec] = field(default_factory=list)
    articles: str = DEFAULT_ARTICLES_MODE
    skip_templates: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentSpec:
    email: str
    name: str
    role: str = "agent"
    availability: str | None = None
    manage_user: bool = False
    shared: bool = False  # deliberately listed by several providers
    staff: bool = False  # declared under `staff:` in _defaults.yaml (role comes from there)
    custom_role: str | None = None  # name of a custom role declared in _defaults.yaml


@dataclass(frozen=True)
class StaffSpec:
    email: str
    name: str
    role: str = "administrator"
    availability: str | None = None
    source: str = ""  # "file:line" of the entry
    manage_user: bool = False


@dataclass(frozen=True)
class CustomRoleSpec:
    name: str
    permissions: list[str]
    description: str | None = None
    source: str = ""


def staff_specs(d: "DefaultsFile | None") -> dict[str, StaffSpec]:
    """email → StaffSpec (without source; the loader adds it)."""
    out: dict[str, StaffSpec] = {}
    for s in (d.staff if d else None) or []:
        out.setdefault(s.email, StaffSpec(email=s.email, name=s.name or s.email.split("@", 1)[0],
                                          role=s.role or "administrator", availability=s.availability,
                                          manage_user=bool(s.manage_user)))
    return out


@dataclass(frozen=True)
class ProviderSpec:
    slug: str
    name: str
    inbox: InboxSpec
    team: TeamSpec
    portal: PortalSpec
    group: str | None = None
    offboarding: str = DEFAULT_OFFBOARDING
    membership: str = DEFAULT_MEMBERSHIP
    agents: list[AgentSpec] = field(default_factory=list)
    offboarded: bool = False  # offboarded with `retain`: kept in the catalog, not managed
    source: str = ""
    articles: list[ArticleSpec] = field(default_factory=list)  # filled by catalog.articles


def derive_portal_slug(slug: str, prefix: str = "") -> str:
    """Deterministic portal slug: ``prefix + slug + "-" + sha256(slug).hexdigest()[:8]``.

    The hash suffix makes the slug unlikely to collide with portals of other
    accounts on the same installation (portal slugs are installation-wide unique).
    """
    return f"{prefix}{slug}-{hashlib.sha256(slug.encode('utf-8')).hexdigest()[:8]}"


def resolve(p: ProviderFile, d: DefaultsFile | None, source: str) -> ProviderSpec:
    """Apply defaults: provider file > _defaults.yaml > built-in defaults."""
    d = d or DefaultsFile()
    di, dt, dp = d.inbox or InboxDefaults(), d.team or TeamDefaults(), d.portal or PortalDefaults()
    pi, pt, pp = p.inbox or InboxFile(), p.team or TeamFile(), p.portal or PortalFile()

    def pick(*values, default):
        return next((v for v in values if v is not None), default)

    inbox = InboxSpec(
        name=pick(pi.name, default=f"{p.name} Support"),
        timezone=pick(pi.timezone, di.timezone, default=DEFAULT_TIMEZONE),
        # an explicit `greeting: null` in the provider file switches a default greeting off
        greeting=pi.greeting if "greeting" in pi.model_fields_set else di.greeting,
        webhook_url=pi.webhook_url,
        enable_auto_assignment=pick(pi.enable_auto_assignment, di.enable_auto_assignment, default=True),
    )
    team = TeamSpec(
        name=pick(pt.name, default=f"{p.name} Team"),
        description=pt.description,
        allow_auto_assign=pick(pt.allow_auto_assign, dt.allow_auto_assign, default=True),
    )
    portal = PortalSpec(
        slug=pick(pp.slug, default=derive_portal_slug(p.slug, dp.portal_slug_prefix or "")),
        name=pick(pp.name, default=f"{p.name} Help Center"),
        color=pick(pp.color, dp.color, default=DEFAULT_COLOR),
        locales=list(pick(pp.locales, dp.locales, default=DEFAULT_LOCALES)),
        header_text=pp.header_text,
        page_title=pp.page_title,
        homepage_link=pp.homepage_link,
        custom_domain=pp.custom_domain,
        categories=merge_categories(dp.categories, pp.categories, list(pick(pp.locales, dp.locales,
                                                                            default=DEFAULT_LOCALES))),
        articles=pick(pp.articles, dp.articles, default=DEFAULT_ARTICLES_MODE),
        skip_templates=tuple(pp.skip_templates or ()),
    )
    staff = staff_specs(d)
    agents = []
    for a in p.agents or []:
        s = staff.get(a.email)
        agents.append(AgentSpec(
            email=a.email,
            # a staff member's role comes from _defaults.yaml; a provider file never grants more than agent
            name=pick(a.name, s.name if s else None, default=a.email.split("@", 1)[0]),
            role=s.role if s else "agent",
            availability=a.availability if a.availability is not None else (s.availability if s else None),
            shared=bool(a.shared),
            staff=s is not None,
            custom_role=a.custom_role,
            manage_user=bool(a.manage_user) or bool(s and s.manage_user),
        ))
    return ProviderSpec(
        slug=p.slug,
        name=p.name,
        group=p.group,
        offboarding=pick(p.offboarding, d.offboarding, default=DEFAULT_OFFBOARDING),
        membership=pick(p.membership, d.membership, default=DEFAULT_MEMBERSHIP),
        offboarded=bool(p.offboarded),
        inbox=inbox,
        team=team,
        portal=portal,
        agents=agents,
        source=source,
    )


def merge_categories(defaults: dict | None, own: dict | None, locales: list[str]) -> list[CategorySpec]:
    """Categories of a portal: _defaults.yaml's in the portal's locales, then the provider's own
    (the provider's wins for the same locale and slug). Ordered by locale (portal order), then as written."""
    merged: dict[tuple[str, str], CategorySpec] = {}
    for source, only_portal_locales in ((defaults or {}, True), (own or {}, False)):
        for locale, cats in source.items():
            if only_portal_locales and locale not in locales:
                continue
            for c in cats:
                merged[(locale, c.slug)] = CategorySpec(locale, c.slug, c.name, c.description, c.position, c.icon)
    order = {loc: i for i, loc in enumerate(locales)}
    return sorted(merged.values(), key=lambda c: order.get(c.locale, len(order)))
