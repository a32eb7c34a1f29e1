"""A log written before lead.created existed: its API registrations are linked to their leads at start,
once, and a rebuilt analytics replica counts them with their lead and owner."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import EventRecord, Lead
from data.uow import SqlAlchemyUnitOfWork
from data.warehouse import DuckDbWarehouse
from domain.events import LEAD_CREATED, LEAD_REGISTERED
from pipelines.analytics_projection import AnalyticsProjection
from services.registration_links import link_earlier_registrations

AT = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)


def old_registration(tx, n: int, *, applied: bool) -> None:
    data = {"company": f"Kantine {n}", "business_type": "CANTEEN", "registered_at": "2026-10-05T11:00:00+02:00",
            "email": f"K{n}@Kantine.example"}
    tx.session.add(EventRecord(id=f"crm-{n}", source="/crm/old", type=LEAD_REGISTERED, subject=f"crm-{n}", time=AT,
                               idempotency_key=f"crm-{n}", data=data, recorded_at=AT, content_hash="h", attempts=0,
                               delivered_at=AT if applied else None))
    if applied:  # what the lead-state consumer made of it
        tx.session.add(Lead(company=data["company"], business_type="CANTEEN", email=f"k{n}@kantine.example",
                            status="REGISTERED", registered_at=AT, updated_at=AT))


def test_earlier_registrations_are_linked_once_and_counted_after_a_rebuild(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow() as tx:
        for n in range(3):
            old_registration(tx, n, applied=n < 2)  # the third is not applied yet: the relay links it itself
        tx.commit()
    assert link_earlier_registrations(uow) == 2
    assert link_earlier_registrations(uow) == 0, "a second start logs nothing"
    with uow(write=False) as tx:
        assert tx.session.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.type == LEAD_CREATED)) == 2
        leads = dict(tx.session.execute(select(Lead.company, Lead.id)).all())
    warehouse = DuckDbWarehouse(tmp_path / "replica.duckdb")
    try:
        AnalyticsProjection(uow, warehouse).rebuild()
        rows = warehouse.cursor().execute("SELECT event_id, lead_id FROM events WHERE type = 'lead.registered' "
                                          "ORDER BY event_id").fetchall()
    finally:
        warehouse.close()
        engine.dispose()
    assert rows == [("crm-0", leads["Kantine 0"]), ("crm-1", leads["Kantine 1"]), ("crm-2", None)]
