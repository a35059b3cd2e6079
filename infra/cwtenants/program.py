"""The Pulumi program body: load the catalog, declare one component per provider."""

from __future__ import annotations

import gc
import os
from dataclasses import replace
from pathlib import Path

import pulumi

from . import stackinfo
from .catalog import CatalogError, load_catalog
from .component import Provider
from .resources import agent, custom_role

ALLOW_OTHER = "allowOtherChatwoot"  # stack config (bool); environment: CWT_ALLOW_OTHER_CHATWOOT=1


def providers_dir() -> Path:
    cfg = pulumi.Config("cwtenants")
    folder = Path(os.environ.get("CWT_PROVIDERS_DIR") or cfg.get("providersDir") or "providers")
    # relative to the project root (where Pulumi.yaml is), not to the program folder
    return folder if folder.is_absolute() else Path(pulumi.get_root_directory()) / folder


def fewer_gc_passes() -> None:
    """Let Python's cyclic garbage collector run less often in the program process (issue 18).

    The program builds a few objects per resource (Outputs, futures, protobuf messages) that all
    stay alive until the end, so every full collection walks a heap that grows with the catalog:
    at 1000 providers the default thresholds made the collector about 40 % of the program's CPU
    (docs/benchmarks.md, issue 18, "Earlier: the program under Pulumi's mocks"). The process is
    short-lived and frees everything when it exits; memory is not the constraint."""
    gc.set_threshold(GC_THRESHOLD[0], GC_THRESHOLD[1], GC_THRESHOLD[2])


GC_THRESHOLD = (50_000, 20, 100)


def main() -> None:
    fewer_gc_passes()
    only = selection()
    # what the stack already manages (its outputs): read while the catalog loads; a targeted run
    # takes them whole, to export them again (see targeted())
    stack_outputs = stackinfo.read_in_background(pulumi.get_root_directory(), pulumi.get_stack(),
                                                 stackinfo.read_outputs if only is not None else None)
    folder = providers_dir()
    try:
        catalog = load_catalog(folder)
    except CatalogError as err:
        # Bad input stops the run before any API call, with file:line:col: field: message.
        lines = "\n".join(str(p) for p in err.problems)
        pulumi.log.error(f"the provider catalog in {folder} is invalid:\n{lines}")
        raise pulumi.RunError(f"{err.total} problem(s) in the provider catalog") from None
    # Sharding: the whole catalog is loaded and checked, then only this stack's group is declared.
    group = shard_group()
    providers = in_group(catalog.providers, group, marked=catalog.offboarded)
    if only is not None:
        check_selection_in_group(catalog.providers, providers, only[0], group)
    url, account_id = target()
    if only is not None:  # a targeted run also exports the outputs again (see targeted())
        previous = previous_outputs(stack_outputs.result())
        info = stackinfo.parse(previous) if previous else None
    else:
        previous, info = None, stack_outputs.result()
    check_target(info, url, account_id)
    if only is not None:
        expect_offboarding(info, os.environ.get("CWT_EXPECT_OFFBOARDING"))
    if info:
        say_offboarding(info, {p.slug for p in providers})
    roles = declare_custom_roles(catalog.custom_roles)
    if only is not None:
        targeted(providers, catalog.staff, roles, *only, info=info, previous=previous)
        pulumi.export("chatwoot_url", url)
        pulumi.export("chatwoot_account_id", account_id)
        return
    agents = declare_agents(providers, catalog.staff, roles)
    pulumi.log.info(rights_report(catalog, providers))
    summaries, components = {}, []
    for spec in providers:
        component = Provider(spec, agents, claimed=claimed_for(info, spec.slug))
        components.append((spec, component))
        summaries[spec.slug] = component.summary
    pulumi.export("providers", summaries)
    check_ownership_after_up(components)
    pulumi.export("chatwoot_url", url)
    pulumi.export("chatwoot_account_id", account_id)


OFFBOARDING_NOTE = {
    "archive": "its portal is ARCHIVED in Chatwoot (shown as `delete`: it leaves the stack), its inbox and "
               "team are kept (`delete[retain]`)",
    "delete": "its inbox, team and portal are DELETED in Chatwoot",
    "retain": "its inbox, team and portal are kept in Chatwoot (`delete[retain]`)",
}


def say_offboarding(info, declared: set[str]) -> None:
    """For every provider that leaves the stack, say what its offboarding does in Chatwoot (the
    preview itself can only say `delete` or `delete[retain]`)."""
    for slug in sorted(set(info.providers) - declared):
        mode = info.offboarding.get(slug)
        if mode in OFFBOARDING_NOTE:
            pulumi.log.info(f"provider {slug} is removed (offboarding: {mode}): {OFFBOARDING_NOTE[mode]}")


def claimed_for(info, slug: str):
    """What a provider new in the stack must not adopt: every other provider's objects (None for a
    provider the stack already has — only new ones get the list, so the state does not grow with
    the square of the number of providers)."""
    return info.owned(except_slug=slug) if info and slug not in info.providers else None


def expect_offboarding(info, expected: str | None) -> None:
    """``cwtenants offboard`` sets CWT_EXPECT_OFFBOARDING=<slug>=<policy> on the update that removes
    a provider: Pulumi deletes with the inputs the state holds, so if the state's ``offboarding``
    is not the file's, stop here — before any step — and let it record the policy first. (The
    outputs are read anyway; reading them again in ``cwtenants`` cost a pass over the whole state.)"""
    if not expected:
        return
    slug, _, policy = expected.partition("=")
    held = info.offboarding.get(slug) if info else None
    if held != policy:
        raise pulumi.RunError(f"offboarding policy not in the state: {slug} holds {held or 'none'}, "
                              f"the file says {policy}")


def target() -> tuple[str, int | None]:
    """The Chatwoot URL and account id this run manages (stack config first, then environment)."""
    cfg = pulumi.Config("cwtenants")
    url = (cfg.get("url") or os.environ.get("CHATWOOT_URL") or "").strip().rstrip("/")
    raw = cfg.get("accountId") or os.environ.get("CHATWOOT_ACCOUNT_ID") or ""
    try:
        return url, int(str(raw).strip())
    except ValueError:
        return url, None


def allow_other_chatwoot() -> bool:
    value = pulumi.Config("cwtenants").get(ALLOW_OTHER) or os.environ.get("CWT_ALLOW_OTHER_CHATWOOT") or ""
    return value.strip().lower() in ("1", "true", "yes")


def check_target(info, url: str, account_id: int | None) -> None:
    """Refuse to run a stack against another Chatwoot / account than the one it manages."""
    if account_id is None or not url or stackinfo.same_chatwoot(info, url, account_id) or allow_other_chatwoot():
        return
    raise pulumi.RunError(stackinfo.other_chatwoot_message(
        info, url, account_id,
        f"run once with `pulumi config set cwtenants:{ALLOW_OTHER} true` (or CWT_ALLOW_OTHER_CHATWOOT=1) "
        "and remove it afterwards"))


def selection() -> tuple[set[str], set[str]] | None:
    """(slugs, extra agent emails) of a targeted run, from CWT_ONLY_PROVIDERS / CWT_ONLY_AGENTS
    (comma-separated); None = declare everything (the normal run)."""
    raw = os.environ.get("CWT_ONLY_PROVIDERS")
    if raw is None:
        return None
    emails = os.environ.get("CWT_ONLY_AGENTS") or ""
    return ({s.strip() for s in raw.split(",") if s.strip()},
            {e.strip().lower() for e in emails.split(",") if e.strip()})


def targeted(providers, staff, roles, slugs: set[str], emails: set[str], info=None,
             previous: dict | None = None) -> None:
    """The program of `cwtenants onboard` / `offboard` (always run with `pulumi up --target`).

    Declares only the selected providers and the agents they (or ``emails``) name. Agents are
    still merged over the whole catalog, so a person shared with other providers keeps the
    same inputs as in a full run (no false diff afterwards). Resources that are neither declared
    nor targeted are left untouched by Pulumi, so nothing about other providers is read,
    compared or sent. Custom roles are declared (untargeted: Pulumi keeps them as they are) so
    that agents can refer to them. The ownership check of a full run (which lists every
    provider's objects) is not made.

    A targeted update still replaces the stack's outputs with what this run exports, so the
    ``previous`` outputs (read by this program while the update holds the stack lock) are
    exported again with this provider's summary added or removed; main() adds the Chatwoot URL
    and account id as a full run does."""
    chosen = [p for p in providers if p.slug in slugs]
    for spec in chosen:
        emails |= {a.email.lower() for a in spec.agents}
    agents = declare_agents(providers, staff, roles, only=emails)
    summaries = {}
    for spec in chosen:
        summaries[spec.slug] = Provider(spec, agents, claimed=claimed_for(info, spec.slug)).summary
    previous = previous or {}
    kept = {k: v for k, v in (previous.get("providers") or {}).items() if k not in slugs}
    pulumi.export("providers", {**kept, **summaries})
    for key, value in previous.items():
        if key not in ("providers", "chatwoot_url", "chatwoot_account_id"):
            pulumi.export(key, value)


def check_selection_in_group(all_providers, in_stack, slugs: set[str], group: str) -> None:
    """A targeted run for a provider of another shard group would declare nothing: refuse it."""
    declared = {p.slug for p in in_stack}
    outside = sorted(f"{p.slug} (group {p.group or '-'})" for p in all_providers
                     if p.slug in slugs and p.slug not in declared)
    if outside:
        raise pulumi.RunError(f"{', '.join(outside)}: not in this stack's group {group!r} (cwtenants:group / "
                              "CWT_GROUP); apply it with the stack of its group")


def previous_outputs(outputs: dict | None) -> dict:
    """The stack outputs before this targeted update (``stackinfo.read_outputs``, read once: they
    also give the stack's identity and ownership). Secret values are left out: never shown, never
    re-exported. Unreadable outputs (None) stop the run: exporting without them would drop every
    other provider's summary."""
    if outputs is None:
        raise pulumi.RunError("could not read the stack outputs (`pulumi stack output --json`); a targeted "
                              "update needs them to keep the other providers' outputs")
    return stackinfo.without_secrets(outputs)


def check_ownership_after_up(components) -> None:
    """Once every inbox, team and portal of the stack is settled, check that each provider owns exactly
    one of each in Chatwoot (cwtenants.ownership); a duplicate fails the run. Not in previews."""
    if not components or pulumi.runtime.is_dry_run():
        return
    from . import ownership

    cfg = pulumi.Config("cwtenants")
    plain = {key: cfg.get(key) for key in ("url", "accountId", "requestsPerMinute")}
    tokens = pulumi.Output.all(cfg.get_secret("apiToken"), cfg.get_secret("platformToken"))
    ids = [pulumi.Output.all(c.inbox.inbox_id, c.team.team_id, c.portal.portal_id) for _, c in components]

    def check(values) -> None:
        (api_token, platform_token), settled = values[0], values[1:]
        config = {**plain, "apiToken": api_token, "platformToken": platform_token}
        managed = [(spec, *triple) for (spec, _), triple in zip(components, settled)]
        with ownership_client(ownership.settings_from(config)) as client:
            found = ownership.findings(client, managed)
        for f in found:
            (pulumi.log.error if f.duplicate else pulumi.log.warn)(f.message)
        duplicates = sum(f.duplicate for f in found)
        if duplicates:
            raise pulumi.RunError(f"{duplicates} duplicate object(s) in Chatwoot (see above)")

    pulumi.Output.all(tokens, *ids).apply(check)


def ownership_client(settings):
    """The program process's client: its own limiter holds only the program's reserve of the
    request budget, the provider process's limiter the rest (resources.base.budget_split)."""
    from .chatwoot import ChatwootClient
    from .resources.base import program_settings

    return ChatwootClient(program_settings(settings))


def shard_group() -> str:
    """This stack's provider group: CWT_GROUP, else config cwtenants:group; "*" (default) = all."""
    return (os.environ.get("CWT_GROUP") or pulumi.Config("cwtenants").get("group") or "*").strip()


def in_group(providers, group: str, marked=()) -> list:
    """The providers of one group; "*" = all, "-" = those without a group.

    A group that matches no provider is an error, not an empty stack: a typo must not make a
    stack forget (or, with `offboarding: delete`, delete) everything it manages. Providers
    ``marked`` offboarded (not managed, not in ``providers``) count as members of their group."""
    if group == "*":
        return list(providers)
    chosen = [p for p in providers if (p.group or "-") == group]
    if not chosen and not any((p.group or "-") == group for p in marked):
        known = sorted({p.group or "-" for p in [*providers, *marked]})
        raise pulumi.RunError(f"no provider has group {group!r} (cwtenants:group / CWT_GROUP); groups: {known}")
    return chosen


def rights_report(catalog, providers) -> str:
    """Who holds account-wide rights and who is shared between providers, and where that comes from.

    Printed by every preview and up. Administrators who were administrators before the catalog
    adopted them are named by their Agent resource's diff; `cwtenants plan` lists every live one."""
    admins = [s for s in catalog.staff if s.role == agent.ADMIN]
    lines = ["account-wide rights (administrator): " + (
        "; ".join(f"{s.email} (staff, {s.source})" for s in admins) if admins else
        "nobody declared in the catalog (pre-existing administrators are kept; `cwtenants plan` lists them)")]
    merged = merge_agents(providers)
    shared = [(email, spec, slugs) for email, (spec, slugs) in sorted(merged.items()) if len(slugs) > 1]
    for email, spec, slugs in shared:
        why = "staff" if spec.staff else "shared: true"
        lines.append(f"shared between providers ({why}): {email} sees the conversations of {', '.join(slugs)}")
    return "\n".join(lines)


def declare_custom_roles(specs) -> dict[str, custom_role.CustomRole]:
    """One CustomRole resource per role declared in _defaults.yaml (logical name ``custom-role-<name>``)."""
    return {s.name: custom_role.CustomRole(custom_role.logical_name(s.name), custom_role.desired(s))
            for s in specs}


def merge_agents(providers) -> dict[str, tuple]:
    """email → (AgentSpec, [slugs]) across providers.

    The catalog guarantees one role everywhere, and that names / availabilities written in
    several files agree; a file may leave them out. So: the written name wins over the default
    (the email's local part), and availability comes from whichever provider manages it."""
    merged: dict[str, tuple] = {}
    for spec in providers:
        for a in spec.agents:
            email = a.email.lower()
            if email not in merged:
                merged[email] = (a, [spec.slug])
                continue
            first, slugs = merged[email]
            default_name = email.split("@", 1)[0]
            if first.name == default_name and a.name != default_name:
                first = replace(first, name=a.name)
            if first.availability is None and a.availability is not None:
                first = replace(first, availability=a.availability)
            if a.manage_user and not first.manage_user:
                first = replace(first, manage_user=True)
            merged[email] = (first, slugs + [spec.slug])
    return merged


def declare_agents(providers, staff=(), roles=None, only: set[str] | None = None) -> dict[str, agent.Agent]:
    """One account-user resource per unique email (logical name ``agent-<email>``): every person
    the providers list, plus every staff member (declared by every stack: _defaults.yaml is shared).
    With ``only``, just those emails (merged over all ``providers`` and staff all the same)."""
    out: dict[str, agent.Agent] = {}
    names: dict[str, str] = {}
    merged = merge_agents(providers)
    for s in staff:
        merged.setdefault(s.email, (s, []))
    roles = roles or {}
    for email, (spec, slugs) in sorted(merged.items()):
        if only is not None and email not in only:
            continue
        name = agent.logical_name(email)
        if name in names:
            raise pulumi.RunError(f"agents {names[name]} and {email} map to the same resource name {name}")
        names[name] = email
        wanted = getattr(spec, "custom_role", None)
        role_id = roles[wanted].role_id if wanted in roles else None
        opts = pulumi.ResourceOptions(depends_on=[roles[wanted]]) if wanted in roles else None
        out[email] = agent.Agent(name, agent.desired(spec, slugs, role_id), opts)
    return out
