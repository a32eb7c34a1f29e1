"""Admin use cases: users and teams. Only admins reach them; the check is here, not in the page."""
from __future__ import annotations

import re
from dataclasses import dataclass

from data.errors import ConstraintViolation
from data.models import Team, User
from domain.roles import Actor, Page, Role, require
from services.auth import MIN_PASSWORD_LENGTH, hash_password
from services.clock import Clock, utc_now

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class InvalidInput(ValueError):
    """Bad input from a form; the message is shown next to it."""


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    team: str
    team_id: int | None
    active: bool


def list_users(uow, actor: Actor) -> list[UserRow]:
    require(actor, Page.ADMIN_USERS)
    with uow(write=False) as tx:
        teams = {t.id: t.name for t in tx.users.teams()}
        return [UserRow(u.id, u.username, u.display_name, u.role, teams.get(u.team_id, "—"), u.team_id, u.active)
                for u in tx.users.list()]


def list_teams(uow, actor: Actor) -> list[tuple[int, str]]:
    with uow(write=False) as tx:
        teams = tx.users.teams()
        if actor.role in (Role.MANAGER, Role.SALES):
            teams = [t for t in teams if t.id == actor.team_id]
        return [(t.id, t.name) for t in teams]


def create_team(uow, actor: Actor, name: str, clock: Clock = utc_now) -> int:
    require(actor, Page.ADMIN_USERS)
    name = (name or "").strip()
    if not 2 <= len(name) <= 80:
        raise InvalidInput("A team name needs 2 to 80 characters.")
    with uow() as tx:
        if tx.users.team_by_name(name):
            raise InvalidInput(f"A team named {name!r} exists already.")
        team = Team(name=name, created_at=clock())
        tx.users.add_team(team)
        tx.commit()
        return team.id


def create_user(uow, actor: Actor, username: str, display_name: str, role: str, team_id: int | None,
                password: str, clock: Clock = utc_now) -> int:
    require(actor, Page.ADMIN_USERS)
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput("A username is 2-40 characters: lower-case letters, digits, dot, dash, underscore.")
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"Unknown role {role!r}.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if role in (Role.MANAGER.value, Role.SALES.value) and team_id is None:
        raise InvalidInput("Managers and sales users belong to a team: choose one.")
    with uow() as tx:
        if team_id is not None and tx.users.get_team(team_id) is None:
            raise InvalidInput("That team does not exist.")
        if tx.users.by_username(username):
            raise InvalidInput(f"The username {username!r} is taken.")
        user = User(username=username, display_name=(display_name or username).strip()[:120], role=role,
                    team_id=team_id, password_hash=hash_password(password), active=True, created_at=clock())
        try:
            tx.users.add(user)
            tx.commit()
        except ConstraintViolation:
            raise InvalidInput(f"The username {username!r} is taken.") from None
        return user.id


def update_user(uow, actor: Actor, user_id: int, role: str | None = None, team_id: int | None = None,
                active: bool | None = None) -> None:
    """Change a user's role, team or active flag. Deactivating ends their sessions at once."""
    require(actor, Page.ADMIN_USERS)
    if user_id == actor.user_id and (active is False or (role and role != Role.ADMIN.value)):
        raise InvalidInput("You cannot demote or deactivate yourself; ask another admin.")
    with uow() as tx:
        user = tx.users.get(user_id)
        if user is None:
            raise InvalidInput("No such user.")
        if role is not None:
            if role not in {r.value for r in Role}:
                raise InvalidInput(f"Unknown role {role!r}.")
            user.role = role
        if team_id is not None:
            if tx.users.get_team(team_id) is None:
                raise InvalidInput("That team does not exist.")
            user.team_id = team_id
        if active is not None:
            user.active = active
            if not active:
                tx.users.end_sessions_of(user.id)
        tx.commit()
