"""Events the projection cannot read as it expects (logged before the edge checked them, or by an older
version) are projected with their envelope and never stop the events after them."""
from __future__ import annotations

from datetime import datetime, timezone

from data.db import make_engine, make_session_factory
from data.duckdb_replica import read_position
from data.migrate import upgrade
from data.models import EventRecord
from data.uow import SqlAlchemyUnitOfWork
from data.warehouse import DuckDbWarehouse
from pipelines.analytics_projection import AnalyticsProjection

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
SENT = "com.freshplan.followup.sent.v1"


def record(n: int, subject: str | None, data) -> EventRecord:
    return EventRecord(id=f"odd-{n}", source="/crm/odd", type=SENT, subject=subject, time=NOW, idempotency_key=f"odd-{n}",
                       data=data, recorded_at=NOW, content_hash="x", attempts=0)


def test_odd_events_are_projected_by_their_envelope_and_the_rest_flows(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'odd.db'}")
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    odd = [record(1, "lead/99999999999999999999999", {"step": "T3"}),  # no BIGINT lead id
           record(2, "lead/1", ["not", "an", "object"]),
           record(3, "lead/2", {"step": "T3", "template": "A\ud800", "template_version": "many"}),
           record(4, "lead/3", {"step": "T7", "lead_id": 3})]
    with uow() as tx:
        tx.session.add_all(odd)
        tx.commit()
    warehouse = DuckDbWarehouse(tmp_path / "odd.duckdb")
    try:
        projection = AnalyticsProjection(uow, warehouse)
        assert projection.catch_up() == 4
        cur = warehouse.cursor()
        assert read_position(cur) == 4
        rows = cur.execute("SELECT event_id, lead_id, step, template_id FROM events ORDER BY seq").fetchall()
        assert rows == [("odd-1", None, "T3", None), ("odd-2", 1, None, None), ("odd-3", 2, "T3", "A?"),
                        ("odd-4", 3, "T7", None)]
    finally:
        warehouse.close()
        engine.dispose()
