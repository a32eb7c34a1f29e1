"""What a page needs from the request: the caller (set by web.guard) and the app's dependencies."""
from __future__ import annotations

from dash.exceptions import PreventUpdate
from flask import g

from domain.roles import Actor
from components.request_context import deps

__all__ = ["actor", "deps"]


def actor() -> Actor:
    """The signed-in caller. Anonymous callbacks never get here (web.guard answers 401), but a
    callback must not run without one even if that guard were misconfigured."""
    current = g.get("actor")
    if current is None:
        raise PreventUpdate
    return current
