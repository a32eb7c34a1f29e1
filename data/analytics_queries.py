"""The named analytics SQL files (data/sql/funnel_*.sql, templates_*.sql, roi_*.sql) run on DuckDB.

Values are always bound parameters. The only text ever put into a statement is an ORDER BY column
and direction, and only after the caller matched it against an allow-list (DuckDB cannot bind names).
"""
from __future__ import annotations

import re
from typing import Iterator

from data import named_sql

_NAME = re.compile(r"^(funnel|templates|roi)_[a-z_]+$")
_IDENTIFIER = re.compile(r"^[a-z_]+$")


def load(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not an analytics query: {name!r}")
    return named_sql.load(name)


def rows(cursor, name: str, params: dict) -> list[dict]:
    """All rows of a named query as dicts (aggregates: a few hundred rows at most)."""
    result = cursor.execute(load(name), params)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def stream(cursor, name: str, params: dict, order_by: str, descending: bool,
           batch: int = 10_000) -> tuple[list[str], Iterator[tuple]]:
    """A named query's columns and a generator of its rows, fetched `batch` rows at a time."""
    if not _IDENTIFIER.match(order_by):
        raise ValueError(f"not a column name: {order_by!r}")
    sql = load(name).replace("{order_by}", order_by).replace("{direction}", "DESC" if descending else "ASC")
    result = cursor.execute(sql, params)
    columns = [d[0] for d in result.description]

    def generate() -> Iterator[tuple]:
        while chunk := result.fetchmany(batch):
            yield from chunk
    return columns, generate()
