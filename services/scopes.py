"""The caller's scope: which leads and numbers a use case may show the actor (domain.roles.scope_for),
with the team of every user read in the caller's transaction."""
from __future__ import annotations

from domain.roles import Actor, Scope, scope_for


def caller_scope(tx, actor: Actor, team_id: int | None = None, user_id: int | None = None) -> Scope:
    """The scope the actor asked for (a team, a member; None = their widest), narrowed to what they may see."""
    return scope_for(actor, team_id, user_id, tx.users.team_of_users())
