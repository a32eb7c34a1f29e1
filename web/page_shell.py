"""The navbar of the server-rendered pages (password change, sign-out): the same entries as the Dash
pages' navbar (components.shell.nav_entries), drawn by web/templates/_navbar.html without a script."""
from __future__ import annotations

from flask import g

from components.layout import allowed_pages
from components.shell import nav_entries


def navbar_context() -> dict:
    """Template values: `nav` for a signed-in caller (web.guard set g.actor), None otherwise."""
    actor = g.get("actor")
    if actor is None:
        return {"nav": None}
    return {"nav": {"entries": nav_entries(allowed_pages(actor)), "role": actor.role.value,
                    "name": g.get("display_name") or actor.username}}
