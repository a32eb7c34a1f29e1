"""The cockpit's DuckDB queries: thin functions over the named files data/sql/cockpit_*.sql."""
from __future__ import annotations

from datetime import date

from data import named_sql
from data.duckdb_replica import FEED_MARK_NAME, FEED_ROWS_KEPT

COUNT_NAMES = ("t3_sent", "t7_sent", "sent", "replies", "positive", "conversions")


def _counts(values) -> dict[str, int]:
    return {name: int(v or 0) for name, v in zip(COUNT_NAMES, values)}


class DuckDbCockpit:
    """Reads of the cockpit over one warehouse; each call takes its own cursor (thread safe)."""

    def __init__(self, warehouse):
        self.warehouse = warehouse

    def _fetch(self, name: str, params: list) -> list[tuple]:
        cur = self.warehouse.cursor()
        try:
            return cur.execute(named_sql.load(name), params).fetchall()
        finally:
            cur.close()

    def daily(self, first: date, last: date, team_id: int | None, user_id: int | None) -> dict[date, dict[str, int]]:
        """{day: counts} for the days in [first, last] that have any; missing days count zero."""
        rows = self._fetch("cockpit_daily", [first, last, team_id, user_id])
        return {row[0]: _counts(row[1:]) for row in rows}

    def members(self, first: date, last: date, team_id: int) -> dict[int | None, dict[str, int]]:
        """{owner id: counts} over [first, last] for the leads of one team."""
        return {row[0]: _counts(row[1:]) for row in self._fetch("cockpit_members", [first, last, team_id])}

    def recent(self, team_id: int | None, user_id: int | None, limit: int) -> list[dict]:
        """The newest `limit` events of the scope (the replica keeps FEED_ROWS_KEPT per owner)."""
        if not 0 < limit <= FEED_ROWS_KEPT:
            raise ValueError(f"the feed holds at most {FEED_ROWS_KEPT} rows, not {limit}")
        keys = ("seq", "type", "time", "lead_id", "step", "label", "user_id")
        return [dict(zip(keys, row)) for row in self._fetch("cockpit_recent", [team_id, user_id, limit, FEED_MARK_NAME])]
