"""Roles, what each may open, and the scope of data a caller may see.

The scope is decided here, on the server, for every request and every callback; the user interface
only hides what this already refuses.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    ANALYST = "analyst"
    VIEWER = "viewer"


class Forbidden(Exception):
    """The caller's role does not allow this; entrypoints answer 403 or render a refusal."""

    @classmethod
    def for_role(cls, actor: "Actor", what: str) -> "Forbidden":
        """A refusal a person can read, shown as it is on pages and in problem bodies: what their
        role can't do ("open individual leads"), and whom to ask."""
        return cls(f"Your role ({actor.role.value}) can't {what}. Ask an admin if you need access.")


class Page(str, Enum):
    COCKPIT = "cockpit"
    LEADS = "leads"
    FOLLOWUPS = "followups"
    ADMIN_USERS = "admin_users"
    ADMIN_EVENTS = "admin_events"
    ADMIN_TEMPLATES = "admin_templates"
    ACCOUNT = "account"
    CONVERSIONS = "conversions"
    ADMIN_RULES = "admin_rules"
    FUNNEL = "funnel"
    TEMPLATE_STATS = "template_stats"
    ROI = "roi"
    TASKS = "tasks"
    ADMIN_OPERATIONS = "admin_operations"


PAGE_ROLES: dict[Page, frozenset[Role]] = {
    Page.COCKPIT: frozenset(Role),
    Page.LEADS: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.ANALYST}),
    Page.FOLLOWUPS: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.ANALYST}),  # analysts only read
    Page.ADMIN_USERS: frozenset({Role.ADMIN}),
    Page.ADMIN_EVENTS: frozenset({Role.ADMIN, Role.ANALYST}),
    Page.ADMIN_TEMPLATES: frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST}),  # only admins edit
    Page.ACCOUNT: frozenset(Role),
    # Conversion: managers convert/undo in their team, sales label their own replies;
    # the rules page is read and dry-run by managers and analysts, edited by admins only.
    Page.CONVERSIONS: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.ANALYST}),
    Page.ADMIN_RULES: frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST}),
    # Analytics: viewers read the aggregates without export, sales see their own numbers.
    Page.FUNNEL: frozenset(Role),
    Page.TEMPLATE_STATS: frozenset(Role),
    Page.ROI: frozenset(Role),
    # Call tasks: sales their own, managers their team's, admins everyone's; analysts and viewers none.
    Page.TASKS: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
    Page.ADMIN_OPERATIONS: frozenset({Role.ADMIN}),  # dead sink deliveries and mail, suppressions
}


@dataclass(frozen=True)
class Actor:
    """Who is calling: the signed-in user as the services see them."""

    user_id: int
    username: str
    role: Role
    team_id: int | None


@dataclass(frozen=True)
class Scope:
    """Which rows a query may touch: every team (team_id and user_id None), one team, or one user."""

    team_id: int | None = None
    user_id: int | None = None

    @property
    def everything(self) -> bool:
        return self.team_id is None and self.user_id is None


def may_open(actor: Actor, page: Page) -> bool:
    return actor.role in PAGE_ROLES[page]


# What people call each page, for refusals ("Your role (viewer) can't open individual leads.").
PAGE_NAMES: dict[Page, str] = {
    Page.COCKPIT: "the cockpit", Page.LEADS: "individual leads", Page.FOLLOWUPS: "the follow-ups",
    Page.ADMIN_USERS: "user administration", Page.ADMIN_EVENTS: "the event catalog",
    Page.ADMIN_TEMPLATES: "the mail templates", Page.ACCOUNT: "account settings", Page.CONVERSIONS: "the conversions",
    Page.ADMIN_RULES: "the conversion rules", Page.FUNNEL: "the funnel", Page.TEMPLATE_STATS: "the A/B results",
    Page.ROI: "the ROI page", Page.TASKS: "the call tasks", Page.ADMIN_OPERATIONS: "the operations page",
}


def require(actor: Actor, page: Page) -> None:
    if not may_open(actor, page):
        raise Forbidden.for_role(actor, f"open {PAGE_NAMES.get(page, page.value.replace('_', ' '))}")



def scope_for(actor: Actor, team_id: int | None = None, user_id: int | None = None,
              member_team_of: dict[int, int | None] | None = None) -> Scope:
    """Narrow the requested scope to what the actor may see. The rule, per role:

    - sales: only themselves, whatever they ask for;
    - manager: their team, or one member of it;
    - admin, analyst: anything (everything, a team, one member);
    - viewer: aggregates only, of a team or of everything, never one member.

    `member_team_of` maps user ids to their team so a manager can drill into a member of their own
    team only. A request for something outside the actor's reach collapses to the actor's own
    scope rather than failing, so a replayed callback with foreign ids yields nothing foreign; a
    viewer asking for a member gets the aggregate of the team asked for (or of everything).
    """
    member_team_of = member_team_of or {}
    if actor.role == Role.SALES:
        return Scope(team_id=actor.team_id, user_id=actor.user_id)
    if actor.role == Role.MANAGER:
        if user_id is not None and actor.team_id is not None and member_team_of.get(user_id) == actor.team_id:
            return Scope(team_id=actor.team_id, user_id=user_id)
        return Scope(team_id=actor.team_id if actor.team_id is not None else -1)
    if user_id is not None and sees_individuals(actor):
        return Scope(team_id=member_team_of.get(user_id, team_id), user_id=user_id)
    return Scope(team_id=team_id)


def sees_individuals(actor: Actor) -> bool:
    """May read one person's numbers (their own at least); viewers read aggregates only."""
    return actor.role != Role.VIEWER


def sees_lead_rows(actor: Actor) -> bool:
    """Viewers read aggregates only; everyone else may list the leads in their scope."""
    return actor.role != Role.VIEWER


def may_export(actor: Actor) -> bool:
    """CSV export: everyone but viewers, each within their scope (DESIGN section 6)."""
    return actor.role != Role.VIEWER


def may_edit_leads(actor: Actor) -> bool:
    return actor.role in (Role.ADMIN, Role.MANAGER, Role.SALES)
