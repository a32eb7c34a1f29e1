"""insert_many: the same rows, repeats and returned keys on SQLite and PostgreSQL (one contract)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from data.bulk import insert_many
from data.db import make_engine
from data.held_event_models import HeldEvent
from data.migrate import upgrade
from data.models import EventRecord

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def event_row(n: int, data) -> dict:
    return {"id": f"e{n}", "source": "/bulk", "type": "t", "subject": None if n % 2 else f"lead/{n}", "time": NOW,
            "idempotency_key": f"k{n}", "datacontenttype": "application/json", "data": data, "extensions": None,
            "content_hash": "h", "recorded_at": NOW, "attempts": 0}


class BulkContract:
    @pytest.fixture
    def engine(self, database_url):
        engine = make_engine(database_url)
        upgrade(engine)
        yield engine
        engine.dispose()

    def test_rows_repeats_and_returned_keys(self, engine):
        rows = [event_row(n, {"n": n, "text": "Köln ✓"} if n else None) for n in range(5)]
        with engine.begin() as conn:
            first = insert_many(conn, EventRecord.__table__, rows, skip_conflicts_on=("source", "id"),
                                returning=("source", "id"))
            again = insert_many(conn, EventRecord.__table__, rows[3:] + [event_row(9, [1, 2])],
                                skip_conflicts_on=("source", "id"), returning=("source", "id"))
        assert sorted(first) == [("/bulk", f"e{n}") for n in range(5)]
        assert again == [("/bulk", "e9")], "repeats are left out, not failed"
        with engine.connect() as conn:
            stored = conn.execute(select(EventRecord.id, EventRecord.data, EventRecord.time, EventRecord.subject)
                                  .order_by(EventRecord.seq)).all()
        assert [(i, d, s) for i, d, _, s in stored] == [
            ("e0", None, "lead/0"), ("e1", {"n": 1, "text": "Köln ✓"}, None), ("e2", {"n": 2, "text": "Köln ✓"}, "lead/2"),
            ("e3", {"n": 3, "text": "Köln ✓"}, None), ("e4", {"n": 4, "text": "Köln ✓"}, "lead/4"), ("e9", [1, 2], None)]
        assert {t for _, _, t, _ in stored} == {NOW}

    def test_columns_that_are_all_empty(self, engine):
        with engine.begin() as conn:
            [(seq,)] = insert_many(conn, EventRecord.__table__, [event_row(1, None)], returning=("seq",))
            insert_many(conn, HeldEvent.__table__, [
                {"consumer": c, "event_seq": seq, "subject": None, "attempts": 0, "next_attempt_at": None,
                 "last_error": None, "error_detail": None, "held_at": NOW, "parked_at": None, "discarded_at": None,
                 "discarded_by": None} for c in ("a", "b")])
        with engine.connect() as conn:
            assert conn.execute(select(HeldEvent.consumer, HeldEvent.parked_at)).all() == [("a", None), ("b", None)]


class TestSqlite(BulkContract):
    @pytest.fixture
    def database_url(self, tmp_path):
        return f"sqlite:///{tmp_path / 'bulk.db'}"


@pytest.mark.postgres
class TestPostgres(BulkContract):
    @pytest.fixture
    def database_url(self, pg_url):
        return pg_url
