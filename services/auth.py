"""Sign-in, sessions and passwords. Sessions are rows, so logout and password changes really revoke."""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data.models import AuthSession
from domain.roles import Actor, Role
from services.clock import Clock, utc_now

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
log = logging.getLogger("cockpit.auth")

@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verifying against this when the user does not exist keeps response time from revealing
    usernames; made on first need, not at import, so start-up does not pay for it."""
    return _hasher.hash("not-a-password")

MIN_PASSWORD_LENGTH = 4


class AuthError(Exception):
    """A sign-in or password change was refused; the message is safe to show."""


class TooManyAttempts(AuthError):
    """Too many recent failures for the account or the client address; `retry_after` in seconds."""

    def __init__(self, kind: str, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.")
        self.kind = kind
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    kind: str
    limit: int  # failures within `window` after which sign-in is refused
    window: timedelta


ACCOUNT_THROTTLE = Throttle("account", 10, timedelta(minutes=15))
# Several people may share one address (an office behind NAT), so it allows more; it still stops
# one client from trying a few passwords on every account.
ADDRESS_THROTTLE = Throttle("address", 30, timedelta(minutes=15))


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


def _address_key(address: str) -> str:
    """An IPv6 client usually holds a whole /64, so the /64 counts as one address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _throttle_keys(username: str, client_address: str) -> list[tuple[Throttle, str]]:
    """Account first, then address: every sign-in takes the locks in this order (no deadlock)."""
    keys = [(ACCOUNT_THROTTLE, _token_hash(username.strip().lower()))]
    if client_address:  # empty only outside a real HTTP request
        keys.append((ADDRESS_THROTTLE, _token_hash(_address_key(client_address))))
    return keys


def _refuse_if_throttled(attempts, keys: list[tuple[Throttle, str]], now: datetime, client_address: str) -> None:
    for throttle, key in keys:
        attempts.lock(throttle.kind, key)  # concurrent attempts on one key count one after the other
    for throttle, key in keys:
        recent = attempts.recent(throttle.kind, key, now - throttle.window, throttle.limit)
        if len(recent) >= throttle.limit:  # refused until the oldest of these leaves the window
            retry_after = max(1, math.ceil((recent[-1] + throttle.window - now).total_seconds()))
            log.warning("sign-in refused: too many failures per %s, client %s", throttle.kind, client_address or "-")
            raise TooManyAttempts(throttle.kind, retry_after)


def _password_ok(user, password: str) -> bool:
    """One verification whether or not the user exists, so timing does not reveal usernames."""
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and user.active


def sign_in(uow, username: str, password: str, user_agent: str = "", clock: Clock = utc_now,
            client_address: str = "") -> SignedIn:
    """Raises TooManyAttempts before looking at the password when the account or address is throttled."""
    keys = _throttle_keys(username, client_address)
    with uow() as tx:
        now = clock()
        _refuse_if_throttled(tx.signin_attempts, keys, now, client_address)
        name = username.strip()
        user = tx.users.by_username(name) if "\x00" not in name else None  # PostgreSQL text holds no NUL
        if not _password_ok(user, password):
            tx.signin_attempts.record([(throttle.kind, key) for throttle, key in keys], now)
            tx.signin_attempts.purge_before(now - max(ACCOUNT_THROTTLE.window, ADDRESS_THROTTLE.window))
            tx.commit()
            raise AuthError("Unknown user or wrong password.")
        tx.signin_attempts.clear(ACCOUNT_THROTTLE.kind, keys[0][1])
        token = secrets.token_urlsafe(32)
        tx.users.add_session(AuthSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                                         last_seen_at=now, user_agent=user_agent.replace("\x00", "")[:200]))
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


def session_still_counts(uow, token: str, actor: Actor) -> bool:
    """For work that outlives its request (a live stream): the session is not ended, its user still
    active, and still the same actor (role and team unchanged), so what was allowed still is."""
    found = actor_for_session(uow, token)
    return found is not None and found[0] == actor
