"""An event log written in parts around analytics snapshots, and how to compare replicas and what the
analytics pages would show from them (tests/integration/test_replica_snapshot*.py)."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from data.models import EventRecord
from data.duckdb_replica import read_position
from data.warehouse import DuckDbWarehouse
from domain.events import LEAD_CREATED, LEAD_REGISTERED
from domain.roles import Actor, Role
from pipelines.analytics_projection import AnalyticsProjection
from pipelines.replica_snapshots import ReplicaSnapshots
from services.analytics import funnel_view, templates_view
from services.analytics_filters import Filters
from services.analytics_roi import roi_view
from services.cockpit_live import cockpit_numbers
from services.outbox import lead_subject, publish

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
T = "com.freshplan.{}.v1"
FOREIGN = "/crm/snapshot-test"


def log_activity(uow, leads: list[int], rng: random.Random, tag: str) -> None:
    """Follow-ups, replies and conversions over the last 40 days, as the services log them."""
    with uow() as tx:
        for lead_id in leads:
            for step in ("T3", "T7")[: rng.randint(0, 2)]:
                at = NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 5))
                publish(tx, T.format("followup.sent"), producer="followups", subject=lead_subject(lead_id),
                        data={"lead_id": lead_id, "step": step, "sent_at": at.isoformat(), "template": "FOLLOW_UP",
                              "variant": rng.choice("AB")}, facts=(lead_id, step, tag), time=at)
            if rng.random() < 0.5:
                at = NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 5))
                label = rng.choice(["POSITIVE", "NEUTRAL", "NEGATIVE"])
                publish(tx, T.format("followup.replied"), producer="mail", subject=lead_subject(lead_id),
                        data={"lead_id": lead_id, "replied_at": at.isoformat(), "label": label}, facts=(lead_id, tag), time=at)
                if label == "POSITIVE":
                    publish(tx, T.format("customer.converted"), producer="conversion", subject=lead_subject(lead_id),
                            data={"lead_id": lead_id, "customer_id": lead_id, "converted_at": at.isoformat(),
                                  "revenue": 100.0 + lead_id}, facts=(lead_id, tag), time=at)
        tx.commit()


def log_foreign_registrations(uow, ids: list[str]) -> None:
    """Registrations another system sent, logged before the cockpit created their leads."""
    with uow() as tx:
        for n, registered_id in enumerate(ids):
            at = NOW - timedelta(days=n + 1)
            tx.session.add(EventRecord(id=registered_id, source=FOREIGN, type=LEAD_REGISTERED, subject=registered_id,
                                       time=at, idempotency_key=registered_id, recorded_at=at, content_hash="h",
                                       attempts=0, data={"company": f"Kantine {registered_id}", "business_type": "CANTEEN"}))
        tx.commit()


def link_registrations(uow, links: dict[str, int]) -> None:
    """lead.created for each registration id -> the lead the cockpit made of it."""
    with uow() as tx:
        for registered_id, lead_id in links.items():
            publish(tx, LEAD_CREATED, producer="lead-state", subject=lead_subject(lead_id),
                    data={"lead_id": lead_id, "registered_source": FOREIGN, "registered_id": registered_id},
                    facts=(registered_id,), time=NOW)
        tx.commit()


def replica(uow, path: Path, snapshot_folder: Path | None = None) -> tuple[DuckDbWarehouse, AnalyticsProjection]:
    """A replica file and its projection; with `snapshot_folder` it seeds from and writes snapshots there."""
    warehouse = DuckDbWarehouse(path, snapshot_folder)
    snapshots = ReplicaSnapshots(snapshot_folder, 0) if snapshot_folder is not None else None
    return warehouse, AnalyticsProjection(uow, warehouse, clock=lambda: NOW, batch_size=70, snapshots=snapshots)


def dump(warehouse) -> tuple[list, list, int]:
    """Every row of the replica's tables, in a fixed order, and its position."""
    cur = warehouse.cursor()
    try:
        facts = cur.execute("SELECT * FROM events ORDER BY seq").fetchall()
        days = cur.execute("SELECT * FROM daily_counts ORDER BY ALL").fetchall()
        return facts, days, read_position(cur)
    finally:
        cur.close()


def page_numbers(deps, warehouse, users: dict) -> dict:
    """What the cockpit and the analytics pages show each role, read from `warehouse`."""
    live = replace(deps, warehouse=warehouse, clock=lambda: NOW)
    shown = {}
    for name in ("analyst", "manager", "sales"):
        user = users[name]
        actor = Actor(user.id, user.username, Role(user.role), user.team_id)
        shown[name, "cockpit"] = [cockpit_numbers(live, actor, period) for period in ("today", "7d", "30d")]
        if name != "sales":
            year = Filters(period="365d")
            shown[name, "pages"] = (funnel_view(live, actor, year), templates_view(live, actor, year),
                                    roi_view(live, actor, year))
    return shown
