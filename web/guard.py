"""Refuse anonymous callers before a request reaches Dash or any route (DESIGN section 9).

Pages redirect to /login; API and Dash callback requests get 401 with a problem body, because a
redirect would be meaningless to a fetch() call.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import g, redirect, request
from flask_login import current_user

from web.page_shell import navbar_context
from web.problem import problem

PUBLIC_PREFIXES = ("/login", "/healthz", "/assets/", "/_dash-component-suites/", "/_favicon.ico",
                   "/logout",  # a stale tab's sign-out goes to /login, not to a 401 problem
                   "/unsubscribe", "/webhooks/", "/t/",  # mail clients fetch tracking pixels and links
                   "/api/events",  # the event API checks its own Bearer token
                   "/metrics")  # so does the metrics view (METRICS_TOKEN)
MACHINE_PREFIXES = ("/_dash", "/_reload-hash", "/api/", "/stream/", "/export/")


def install_guard(server) -> None:
    server.context_processor(navbar_context)  # the server-rendered pages' navbar reads the caller set below

    @server.before_request
    def _refuse_anonymous():
        path = request.path
        if current_user.is_authenticated:
            g.actor, g.display_name = current_user.actor, current_user.display_name
            return None
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if path.startswith("/export/") and request.headers.get("Authorization", "").startswith("Bearer "):
            return None  # web.export checks the token itself
        if path.startswith(MACHINE_PREFIXES) or request.method != "GET":
            return problem(401, "Unauthorized", "You are not signed in, or your session has ended. Sign in and try again.")
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/?=&')}")
