"""One ComponentResource per provider: its inbox, team and portal, wired together.

Logical names come from the provider slug (``<slug>``, ``<slug>-portal`` ...), so they are
stable across renames of the display name. Ordering comes from the outputs passed as inputs: the
inbox takes the portal's id, the memberships the team's or inbox's id and the agents' user ids, so
Pulumi creates them after (and deletes them before) what they refer to. No extra ``depends_on``:
it would repeat those dependencies and cost the program time per resource (issue 18).

Offboarding (what removing the provider's file does) is enforced twice: through Pulumi's
``retain_on_delete`` (the preview shows ``delete[retain]``) and in each provider's ``delete()``,
which only deletes in Chatwoot when the state says ``offboarding: delete``.

Agents are declared once per email at program level (one account user shared by every provider
that lists them) and passed in; the team and inbox memberships are children of the component
and depend on the team/inbox and on those agents.
"""

from __future__ import annotations

import pulumi

from .catalog import ProviderSpec
from .resources import inbox, knowledge_base, members, portal, team
from .resources.agent import Agent

TYPE = "cwtenants:index:Provider"


class Provider(pulumi.ComponentResource):
    def __init__(self, spec: ProviderSpec, agents: dict[str, Agent] | None = None,
                 opts: pulumi.ResourceOptions | None = None, claimed: dict | None = None):
        super().__init__(TYPE, spec.slug, {"slug": spec.slug}, opts)
        keep = spec.offboarding != "delete"
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=keep)

        # The portal must run delete() to archive, so it is retained only for "retain".
        # ids that other providers of this stack own (from the stack's outputs): create() never
        # adopts them, e.g. a team renamed in Chatwoot that a new provider file now names.
        def owned(kind: str) -> dict:
            ids = (claimed or {}).get(kind, {})
            return {"claimed_ids": {str(i): slug for i, slug in ids.items()}} if ids else {}

        self.portal = portal.Portal(
            f"{spec.slug}-portal",
            {**portal.desired(spec), **owned("portal")},
            pulumi.ResourceOptions(parent=self, retain_on_delete=spec.offboarding == "retain"),
        )
        self.team = team.Team(f"{spec.slug}-team", {**team.desired(spec), **owned("team")}, child)
        self.inbox = inbox.Inbox(
            f"{spec.slug}-inbox",
            {**inbox.desired(spec, portal_id=self.portal.portal_id), **owned("inbox")},
            child,
        )
        # Membership: the declared agents' emails plus an email → user id map (resolved at apply).
        user_ids = {a.email.lower(): agents[a.email.lower()].user_id for a in spec.agents} if agents else {}
        self.team_members = members.TeamMembers(
            f"{spec.slug}-team-members",
            members.desired(spec, self.team.team_id, user_ids, spec.team.name),
            child,
        )
        self.inbox_members = members.InboxMembers(
            f"{spec.slug}-inbox-members",
            members.desired(spec, self.inbox.inbox_id, user_ids, spec.inbox.name),
            child,
        )
        self._knowledge_base(spec)
        published = [{"locale": a.locale, "slug": a.slug} for a in spec.articles if a.status == "published"]
        # A plain dict of Outputs (Pulumi resolves nested Outputs when exporting): the same stack
        # output as one Output.all(...).apply per provider, without its extra tasks (issue 18).
        self.summary = {"inbox_id": self.inbox.inbox_id, "team_id": self.team.team_id,
                        "portal_id": self.portal.portal_id, "portal_slug": self.portal.slug,
                        "articles": published, "offboarding": spec.offboarding}
        self.register_outputs({"summary": self.summary})

    def _knowledge_base(self, spec: ProviderSpec) -> None:
        """The portal's categories and articles: one resource (knowledge_base.py). Removing an entry
        keeps its object in Chatwoot unless `articles: authoritative`; `offboarding: delete` deletes
        the portal, and Chatwoot its content with it."""
        if knowledge_base.wanted(spec):
            self.knowledge_base = knowledge_base.KnowledgeBase(
                f"{spec.slug}-knowledge-base", knowledge_base.desired(spec),
                pulumi.ResourceOptions(parent=self, depends_on=[self.portal]))


def child_names(spec: ProviderSpec) -> list[tuple[type, str]]:
    """(resource class, logical name) of every child ``Provider`` declares for ``spec``: what
    `cwtenants onboard` targets to update this provider only. Keep in step with ``__init__``."""
    out: list[tuple[type, str]] = [
        (portal.Portal, f"{spec.slug}-portal"), (team.Team, f"{spec.slug}-team"), (inbox.Inbox, f"{spec.slug}-inbox"),
        (members.TeamMembers, f"{spec.slug}-team-members"), (members.InboxMembers, f"{spec.slug}-inbox-members")]
    if knowledge_base.wanted(spec):
        out.append((knowledge_base.KnowledgeBase, f"{spec.slug}-knowledge-base"))
    return out
