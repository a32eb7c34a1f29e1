"""Repair for logs written before `lead.created` existed: every registration another system sent gets
the link to the lead the cockpit created for it, so a rebuilt analytics replica counts it.

Run at start-up; idempotent (a link's id comes from the registration it names, so a second run logs
nothing). A registration is matched to its lead by what the lead-state consumer copied from it: the
company, the registration time and the address.
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from data.models import EventRecord, Lead
from domain.cloudevents import InvalidEvent, parse_time
from services.clock import Clock, utc_now
from services.outbox import SOURCE_PREFIX, publish_many

log = logging.getLogger(__name__)
REGISTERED, CREATED = "com.freshplan.lead.registered.v1", "com.freshplan.lead.created.v1"


def link_earlier_registrations(uow, clock: Clock = utc_now) -> int:
    """Log `lead.created` for each registration from another system that has none; returns how many."""
    with uow() as tx:
        unlinked = _unlinked(tx.session)
        if not unlinked:
            return 0
        items = _matched(tx.session, unlinked)
        publish_many(tx, CREATED, producer="lead-state", items=items)
        tx.commit()
    if items:
        log.info("linked %d earlier registrations to their leads; rebuild the analytics replica to count them "
                 "(python -m pipelines.analytics_projection --rebuild)", len(items))
    return len(items)


def _unlinked(session) -> list:
    # Applied registrations only: the relay links the others itself when it creates their leads.
    external = (~EventRecord.source.startswith(SOURCE_PREFIX), EventRecord.delivered_at.is_not(None))
    count = lambda *where: session.scalar(select(func.count()).select_from(EventRecord).where(*where))  # noqa: E731
    if count(EventRecord.type == REGISTERED, *external) <= count(EventRecord.type == CREATED):
        return []  # the usual start: every registration is linked (two indexed counts)
    registrations = session.execute(select(EventRecord.source, EventRecord.id, EventRecord.data)
                                    .where(EventRecord.type == REGISTERED, *external)).all()
    linked = {(d.get("registered_source"), d.get("registered_id"))
              for d in session.scalars(select(EventRecord.data).where(EventRecord.type == CREATED)) if isinstance(d, dict)}
    return [r for r in registrations if (r.source, r.id) not in linked and isinstance(r.data, dict)]


def _matched(session, registrations: list) -> list[tuple]:
    companies = sorted({r.data.get("company") for r in registrations if r.data.get("company")})
    leads: dict[tuple, list[Lead]] = {}
    for start in range(0, len(companies), 500):
        for lead in session.scalars(select(Lead).where(Lead.company.in_(companies[start:start + 500])).order_by(Lead.id)):
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
