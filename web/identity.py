"""Flask-Login glue: the cookie carries a session token; the token row decides whether it still counts."""
from __future__ import annotations

import hmac

from flask import request
from flask_login import LoginManager, UserMixin

from domain.roles import Actor
from services import auth
from components.request_context import deps


class SessionUser(UserMixin):
    def __init__(self, actor: Actor, display_name: str, token: str):
        self.actor = actor
        self.display_name = display_name
        self.token = token

    def get_id(self) -> str:
        return self.token


def install_login(server, uow) -> LoginManager:
    manager = LoginManager(server)
    manager.login_view = "auth.login"
    manager.session_protection = "basic"

    @manager.user_loader
    def _load(token: str):
        found = auth.actor_for_session(uow, token)
        return SessionUser(found[0], found[1], token) if found else None

    return manager


def api_token_ok() -> bool:
    """The request carries `Authorization: Bearer <COCKPIT_API_TOKEN>` (compared in constant time)."""
    expected = deps().settings.api_token
    given = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())
