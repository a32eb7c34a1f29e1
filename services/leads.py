"""Lead read models for the Leads page and the lead detail, always within the caller's scope."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

from data.grid_filters import GridWindow
from data.lead_grid import LEAD_SORT_COLUMNS, LeadQuery
from domain.model import BusinessType, LeadStatus, followup_state
from domain.roles import Actor, Forbidden, Page, Role, require, sees_lead_rows
from services.analytics_filters import InvalidFilter
from services.drilldown import DRILL_KEYS, DrillDown, drill_leads
from services.grid_requests import GridColumns
from services.scopes import caller_scope

STATUSES, TYPES = tuple(s.value for s in LeadStatus), tuple(b.value for b in BusinessType)
LEAD_COLUMNS = GridColumns(
    sortable=frozenset(LEAD_SORT_COLUMNS) - {"id"},
    filterable={"company": "text", "contact_name": "text", "city": "text", "score": "number",
                "registered_at": "date", "next_followup_at": "date"},
    default_sort=(("registered_at", True),))
FILTER_NAMES = ("q", "status", "type", "owner")  # the page's own filters in its URL query


@dataclass(frozen=True)
class LeadFilters:
    """The search box and dropdowns of the Leads page, and the drill-down its URL names (if any)."""

    search: str = ""
    status: str | None = None
    business_type: str | None = None
    owner: int | None = None
    drill: Mapping[str, str] = field(default_factory=dict)

    def query(self) -> dict[str, str]:
        own = {"q": self.search, "status": self.status, "type": self.business_type, "owner": self.owner}
        return {**{k: str(v) for k, v in own.items() if v not in (None, "")}, **self.drill}


@dataclass(frozen=True)
class LeadPage:
    rows: list[dict]
    total: int
    drill: DrillDown | None = None


def _fmt(dt):
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def _row(lead, owner: str | None) -> dict:
    return {
        "id": lead.id, "company": lead.company, "contact_name": lead.contact_name or "", "city": lead.city or "",
        "business_type": lead.business_type, "status": lead.status, "score": lead.score,
        "owner": owner or "—", "registered_at": _fmt(lead.registered_at),
        "followup": followup_state(lead.status, lead.last_followup_step),
        "next_followup_at": _fmt(lead.next_followup_at),
    }


def _require_rows(actor: Actor) -> None:
    require(actor, Page.LEADS)
    if not sees_lead_rows(actor):
        raise Forbidden.for_role(actor, "open individual leads")


def lead_filters(deps, actor: Actor, query: Mapping[str, str]) -> tuple[LeadFilters, DrillDown | None]:
    """The Leads page's filters from its URL query, each checked (InvalidFilter names the first bad one),
    and the leads behind the number a drill-down names."""
    _require_rows(actor)
    unknown = set(query) - set(FILTER_NAMES) - DRILL_KEYS
    if unknown:
        raise InvalidFilter(sorted(unknown)[0], "is not a filter of the leads")
    repeated = sorted(k for k, v in query.items() if not isinstance(v, str) or len(v) > 200)
    if repeated:
        raise InvalidFilter(repeated[0], "is given more than once, or is longer than 200 characters")
    search = query.get("q") or ""
    if len(search) > 100:
        raise InvalidFilter("q", "is longer than 100 characters")
    picked = {}
    for name, allowed in (("status", STATUSES), ("type", TYPES)):
        if query.get(name) not in (None, "", *allowed):
            raise InvalidFilter(name, f"{query[name]!r} is not one of {', '.join(allowed)}")
        picked[name] = query.get(name) or None
    owner = query.get("owner") or None
    owners = {str(uid): uid for uid, _name in owner_choices(deps.uow, actor)}
    if owner is not None and owner not in owners:
        raise InvalidFilter("owner", f"{owner!r} is not an owner you may filter by")
    drill = {k: v for k, v in query.items() if k in DRILL_KEYS}
    filters = LeadFilters(search, picked["status"], picked["type"], owners.get(owner), drill)
    return filters, drill_leads(deps, actor, drill)


def list_leads(deps, actor: Actor, filters: LeadFilters, window: GridWindow) -> LeadPage:
    """One window of the leads in scope that match the filters (and the drill-down), and how many match."""
    _require_rows(actor)
    drill = drill_leads(deps, actor, filters.drill)
    with deps.uow(write=False) as tx:
        scope = caller_scope(tx, actor, None, filters.owner)
        query = LeadQuery(scope=scope, search=filters.search.strip()[:100], status=filters.status,
                          business_type=filters.business_type, lead_ids=drill.lead_ids if drill else None,
                          window=window)
        rows, total = tx.lead_grid.page(query)
        return LeadPage([_row(lead, owner) for lead, owner in rows], total, drill)


def export_leads(deps, actor: Actor, filters: LeadFilters, drill: DrillDown | None, window: GridWindow) -> Iterator[dict]:
    """Every lead list_leads would page through, in the grid's order, as rows of the grid."""
    _require_rows(actor)
    with deps.uow(write=False) as tx:
        scope = caller_scope(tx, actor, None, filters.owner)
        query = LeadQuery(scope=scope, search=filters.search.strip()[:100], status=filters.status,
                          business_type=filters.business_type, lead_ids=drill.lead_ids if drill else None,
                          window=window)
        for lead, owner in tx.lead_grid.stream(query):
            yield _row(lead, owner)


def lead_detail(uow, actor: Actor, lead_id: int) -> dict | None:
    """The lead and its activity history, or None when it does not exist or lies outside the scope."""
    _require_rows(actor)
    with uow(write=False) as tx:
        lead = tx.leads.get(lead_id, caller_scope(tx, actor))
        if lead is None:
            return None
        owners = {u.id: u.display_name for u in tx.users.list()}
        detail = _row(lead, owners.get(lead.owner_id))
        detail.update(email=lead.email or "", phone=lead.phone or "", vat_id=lead.vat_id or "",
                      timezone=lead.timezone, country=lead.country, email_consent=lead.email_consent,
                      estimated_volume=lead.estimated_volume, sample_delivered_at=_fmt(lead.sample_delivered_at))
        customer = tx.conversions.customer_of_lead(lead.id)  # there is no customer page: the lead shows its customer
        detail["customer"] = None if customer is None else {
            "id": customer.id, "status": customer.status, "onboarding": customer.onboarding, "since": _fmt(customer.created_at)}
        detail["activities"] = [
            {"when": _fmt(a.occurred_at), "type": a.type, "outcome": a.outcome or "", "customer_id": a.customer_id,
             "by": owners.get(a.user_id, "automation" if a.user_id is None else "—"),
             "details": ", ".join(f"{k}: {v}" for k, v in sorted((a.details or {}).items()))}
            for a in tx.leads.activities(lead.id)
        ]
        return detail


def owner_choices(uow, actor: Actor) -> list[tuple[int, str]]:
    """The owners a caller may filter by: a manager's team, everyone for admins and analysts, none for sales."""
    require(actor, Page.LEADS)
    if actor.role == Role.SALES:
        return []
    with uow(write=False) as tx:
        team = actor.team_id if actor.role == Role.MANAGER else None
        if actor.role == Role.MANAGER and team is None:
            return []
        return [(u.id, u.display_name) for u in tx.users.members(team) if u.role in (Role.SALES.value, Role.MANAGER.value)]
