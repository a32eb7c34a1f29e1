"""Sign-in, sessions and passwords. Sessions are rows, so logout and password changes really revoke."""
from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data.models import AuthSession
from domain.roles import Actor, Role
from services.clock import Clock, utc_now

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verifying against this when the user does not exist keeps response time from revealing
    usernames; made on first need, not at import, so start-up does not pay for it."""
    return _hasher.hash("not-a-password")

MIN_PASSWORD_LENGTH = 4


class AuthError(Exception):
    """A sign-in or password change was refused; the message is safe to show."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    display_name: str
    session_token: str


def _actor(user) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), team_id=user.team_id)


def sign_in(uow, username: str, password: str, user_agent: str = "", clock: Clock = utc_now) -> SignedIn:
    with uow() as tx:
        user = tx.users.by_username(username.strip())
        try:
            _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            raise AuthError("Unknown user or wrong password.") from None
        if user is None or not user.active:
            raise AuthError("Unknown user or wrong password.")
        token = secrets.token_urlsafe(32)
        now = clock()
        tx.users.add_session(AuthSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                                         last_seen_at=now, user_agent=user_agent[:200]))
        tx.commit()
        return SignedIn(_actor(user), user.display_name, token)


def actor_for_session(uow, token: str) -> tuple[Actor, str] | None:
    """The actor behind a session token, or None when the session was ended or the user deactivated."""
    with uow(write=False) as tx:
        row = tx.users.session_by_hash(_token_hash(token))
        if row is None:
            return None
        user = tx.users.get(row.user_id)
        if user is None or not user.active:
            return None
        return _actor(user), user.display_name


def sign_out(uow, token: str) -> None:
    with uow() as tx:
        tx.users.end_session(_token_hash(token))
        tx.commit()


def change_password(uow, actor: Actor, current_token: str, old: str, new: str) -> int:
    """Change the caller's password and end every other session of theirs; returns how many ended."""
    if len(new) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"The new password needs at least {MIN_PASSWORD_LENGTH} characters.")
    with uow() as tx:
        user = tx.users.get(actor.user_id)
        try:
            _hasher.verify(user.password_hash, old)
        except (VerificationError, InvalidHashError):
            raise AuthError("The current password is wrong.") from None
        user.password_hash = hash_password(new)
        ended = tx.users.end_sessions_of(user.id, except_hash=_token_hash(current_token))
        tx.commit()
        return ended
