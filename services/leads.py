"""Lead read models for the Leads page and the lead detail, always within the caller's scope."""
from __future__ import annotations

from dataclasses import dataclass

from data.repositories import LEAD_SORT_COLUMNS, LeadQuery
from domain.model import followup_state
from domain.roles import Actor, Forbidden, Page, Role, require, sees_lead_rows
from services.scopes import caller_scope

PAGE_SIZES = (10, 25, 50, 100)


@dataclass(frozen=True)
class LeadPage:
    rows: list[dict]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _fmt(dt):
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def _row(lead, owners: dict[int, str]) -> dict:
    return {
        "id": lead.id, "company": lead.company, "contact_name": lead.contact_name or "", "city": lead.city or "",
        "business_type": lead.business_type, "status": lead.status, "score": lead.score,
        "owner": owners.get(lead.owner_id, "—"), "registered_at": _fmt(lead.registered_at),
        "followup": followup_state(lead.status, lead.last_followup_step),
        "next_followup_at": _fmt(lead.next_followup_at),
    }


def list_leads(uow, actor: Actor, search: str = "", status: str | None = None, business_type: str | None = None,
               team_id: int | None = None, user_id: int | None = None, sort_by: str = "registered_at",
               descending: bool = True, page: int = 0, page_size: int = 25) -> LeadPage:
    require(actor, Page.LEADS)
    if not sees_lead_rows(actor):
        raise Forbidden("viewers see aggregates only")
    page_size = page_size if page_size in PAGE_SIZES else 25
    page = max(0, int(page))
    sort_by = sort_by if sort_by in LEAD_SORT_COLUMNS else "registered_at"
    with uow(write=False) as tx:
        scope = caller_scope(tx, actor, team_id, user_id)
        query = LeadQuery(scope=scope, search=(search or "").strip()[:100], status=status or None,
                          business_type=business_type or None, sort_by=sort_by, descending=descending,
                          offset=page * page_size, limit=page_size)
        leads, total = tx.leads.page(query)
        owners = {u.id: u.display_name for u in tx.users.list()}
        return LeadPage([_row(lead, owners) for lead in leads], total, page, page_size)


def lead_detail(uow, actor: Actor, lead_id: int) -> dict | None:
    """The lead and its activity history, or None when it does not exist or lies outside the scope."""
    require(actor, Page.LEADS)
    if not sees_lead_rows(actor):
        raise Forbidden("viewers see aggregates only")
    with uow(write=False) as tx:
        lead = tx.leads.get(lead_id, caller_scope(tx, actor))
        if lead is None:
            return None
        owners = {u.id: u.display_name for u in tx.users.list()}
        detail = _row(lead, owners)
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
