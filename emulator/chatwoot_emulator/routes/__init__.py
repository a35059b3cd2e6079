"""One module per Chatwoot resource; each holds its routes, validation and rendering side by side.

``ROUTES`` is the order Starlette tries them in (within a module the more specific paths come first).
"""

from __future__ import annotations

from . import (agents, articles, categories, control, custom_roles, help_center, inbox_members, inboxes, platform,
               portals, probes, profile, team_members, teams)


MODULES = (probes, profile, inboxes, inbox_members, teams, team_members, agents, custom_roles, portals, categories,
           articles, help_center, platform, control)
ROUTES = [route for module in MODULES for route in module.ROUTES]
