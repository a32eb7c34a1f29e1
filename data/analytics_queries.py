"""The named analytics SQL files (data/sql/funnel_*.sql, templates_*.sql, roi_*.sql, export_*.sql, drill_*.sql,
events_*.sql) run on DuckDB.

Values are always bound parameters. The only text ever put into a statement is an ORDER BY column
and direction, and only after the caller matched it against an allow-list (DuckDB cannot bind names).
"""
from __future__ import annotations

import re
from typing import Iterator

from data import named_sql

_NAME = re.compile(r"^(funnel|templates|roi|export|drill|events)_[a-z_]+$")
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


def _ordered(name: str, order_by: str, descending: bool) -> str:
    if not _IDENTIFIER.match(order_by):
        raise ValueError(f"not a column name: {order_by!r}")
    return load(name).replace("{order_by}", order_by).replace("{direction}", "DESC" if descending else "ASC")


def stream_text(cursor, name: str, params: dict, order_by: str, descending: bool,
                vectors: int = 5) -> Iterator[tuple[bytes, int]]:
    """(bytes, lines) chunks of a query whose last statement selects one bytes line per row.

    Lines come `vectors` DuckDB vectors (2,048 rows each) at a time, through a column of bytes objects
    joined at C speed: no Python code runs per row."""
    *helpers, query = named_sql.statements(_ordered(name, order_by, descending))
    for statement in helpers:
        cursor.execute(statement)
    result = cursor.execute(query, params)
    while len(chunk := result.fetch_df_chunk(vectors)):
        yield b"".join(chunk.iloc[:, 0].tolist()), len(chunk)


def ordered_rows(cursor, name: str, params: dict, order_by: str, descending: bool) -> list[dict]:
    """The rows of a named query whose ORDER BY the caller chose from its allow-list (a grid's page)."""
    result = cursor.execute(_ordered(name, order_by, descending), params)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def ordered_stream(cursor, name: str, params: dict, order_by: str, descending: bool, batch: int = 2000) -> Iterator[tuple]:
    """ordered_rows one row at a time, `batch` rows per fetch (an export: memory stays flat)."""
    result = cursor.execute(_ordered(name, order_by, descending), params)
    while rows := result.fetchmany(batch):
        yield from rows
