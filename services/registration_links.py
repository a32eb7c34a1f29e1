"""Repair for logs written before `lead.created` existed: every registration another system sent gets
the link to the lead the cockpit created for it, so a rebuilt analytics replica counts it.

Run at start-up; idempotent (a link's id comes from the registration it names, so a second run logs
nothing). A registration is matched to its lead by what the lead-state consumer copied from it: the
company, the registration time and the address.
"""
from __future__ import annotations

import logging

from data.models import Lead
from domain.cloudevents import InvalidEvent, parse_time
from domain.events import LEAD_CREATED, LEAD_REGISTERED
from services.clock import Clock, utc_now
from services.outbox import SOURCE_PREFIX, publish_many

log = logging.getLogger(__name__)
# Logged as the lead-state consumer logs it, under its name (read by pipelines.catalog).
PRODUCES = {"lead-state": (LEAD_CREATED,)}


def link_earlier_registrations(uow, clock: Clock = utc_now) -> int:
    """Log `lead.created` for each registration from another system that has none; returns how many."""
    with uow() as tx:
        unlinked = tx.registration_links.unlinked(LEAD_REGISTERED, LEAD_CREATED, SOURCE_PREFIX)
        if not unlinked:
            return 0
        items = _matched(tx.registration_links, unlinked)
        publish_many(tx, LEAD_CREATED, producer="lead-state", items=items)
        tx.commit()
    if items:
        log.info("linked %d earlier registrations to their leads; rebuild the analytics replica to count them "
                 "(python -m pipelines.analytics_projection --rebuild)", len(items))
    return len(items)


def _matched(links, registrations: list) -> list[tuple]:
    companies = sorted({r.data.get("company") for r in registrations if r.data.get("company")})
    leads: dict[tuple, list[Lead]] = {}
    for lead in links.leads_of_companies(companies):
        leads.setdefault((lead.company, (lead.email or "").lower()), []).append(lead)
    items, taken = [], set()
    for r in registrations:
        key = (r.data.get("company"), (r.data.get("email") or "").lower())
        when = _time(r.data.get("registered_at"))
        lead = next((lead for lead in leads.get(key, []) if lead.id not in taken and lead.registered_at == when), None)
        if lead is not None:
            taken.add(lead.id)
            items.append((f"lead/{lead.id}", {"lead_id": lead.id, "registered_source": r.source, "registered_id": r.id},
                          (r.source, r.id), lead.registered_at))
    return items


def _time(value):
    try:
        return parse_time(value) if isinstance(value, str) else None
    except InvalidEvent:
        return None
