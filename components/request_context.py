"""The dependencies of the app serving the current request: one accessor for pages, callbacks and
routes alike. It lives here, below both `pages` and `web`, so that services stay free of Flask."""
from __future__ import annotations

from flask import current_app

from services.deps import EXTENSION, Dependencies


def deps() -> Dependencies:
    """The dependencies app.py built once for this app (see services/deps.py)."""
    return current_app.extensions[EXTENSION]
