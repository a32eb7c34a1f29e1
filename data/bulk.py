"""Many rows in one INSERT, on SQLite and PostgreSQL alike.

SQLite: SQLAlchemy Core's executemany ("insertmanyvalues"). PostgreSQL: one `INSERT ... SELECT FROM
unnest(...)` with one array parameter per column, so the statement stays a few hundred bytes whatever
the row count. (A VALUES list of 1,000 rows is 17,000 placeholders, which the driver parses anew for
every batch: a third of the relay's time, measured with py-spy.)
"""
from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import JSON, Table, text
from sqlalchemy.dialects import postgresql, sqlite

_PG = postgresql.dialect()


def insert_many(connection, table: Table, rows: list[dict], *, skip_conflicts_on: tuple[str, ...] = (),
                returning: tuple[str, ...] = (), one_statement: bool = False) -> list[tuple]:
    """Insert `rows` (dicts with the same keys); `skip_conflicts_on`: the unique columns whose repeats are
    left out (ON CONFLICT DO NOTHING); returns the `returning` columns of the rows written (on SQLite in
    the rows' order; on PostgreSQL in no promised order, so return a key). `one_statement`: on SQLite
    too, for a table whose triggers write an FTS5 index (FTS5 flushes its pending terms at every
    statement's savepoint: an executemany of 12,000 leads takes 4.4 s, one statement 1.3 s)."""
    if not rows:
        return []
    if connection.dialect.name == "postgresql":
        return _unnest_insert(connection, table, rows, skip_conflicts_on, returning)
    if set(returning) <= set(rows[0]):
        written = _sqlite_executemany(connection, table, rows, skip_conflicts_on, one_statement)
        if written:
            return [tuple(row[n] for n in returning) for row in rows]
    stmt = sqlite.insert(table)
    if skip_conflicts_on:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    if not returning:
        connection.execute(stmt, rows)
        return []
    stmt = stmt.returning(*(table.c[n] for n in returning), sort_by_parameter_order=True)  # in the rows' order
    return [tuple(r) for r in connection.execute(stmt, rows)]


def _sqlite_executemany(connection, table: Table, rows: list[dict], conflict: tuple[str, ...],
                        one_statement: bool) -> bool:
    """The driver's executemany with the columns' own bind processors (the same stored form as through
    SQLAlchemy, a third of the cost), or one INSERT ... SELECT over the rows as one JSON array. True
    when every row went in; otherwise nothing of it stays (a savepoint) and the caller asks again with
    RETURNING, to learn which rows were repeats."""
    columns = tuple(rows[0])
    processors = [table.c[name].type._cached_bind_processor(connection.dialect) for name in columns]
    params = [tuple(v if p is None or v is None else p(v) for v, p in zip(map(row.__getitem__, columns), processors))
              for row in rows]
    if one_statement:  # SQLite's ->> reads a JSON array's N-th item as the SQL value (text, number or NULL)
        values = ", ".join(f"value ->> {i}" for i in range(len(columns)))
        sql, params = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} FROM json_each(?)", [(json.dumps(params),)]
    else:
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    if conflict:
        sql += f" {'WHERE true ' if one_statement else ''}ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    driver = connection.connection.driver_connection
    driver.execute("SAVEPOINT bulk_insert")
    cursor = driver.executemany(sql, params)
    if cursor.rowcount == len(rows):
        driver.execute("RELEASE SAVEPOINT bulk_insert")
        return True
    driver.execute("ROLLBACK TO SAVEPOINT bulk_insert")
    driver.execute("RELEASE SAVEPOINT bulk_insert")
    return False


def _unnest_insert(connection, table: Table, rows: list[dict], conflict: tuple[str, ...],
                   returning: tuple[str, ...]) -> list[tuple]:
    columns = tuple(rows[0])
    sql = _unnest_sql(table, columns, conflict, returning)
    params = {f"c{i}": [_pg_value(table.c[name], row[name]) for row in rows] for i, name in enumerate(columns)}
    result = connection.execute(text(sql), params)
    return [tuple(r) for r in result] if returning else []


@lru_cache(maxsize=64)
def _unnest_sql(table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], returning: tuple[str, ...]) -> str:
    arrays = ", ".join(f"CAST(:c{i} AS {table.c[name].type.compile(dialect=_PG)}[])" for i, name in enumerate(columns))
    names = ", ".join(columns)
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) AS batch({names})"
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    return sql


def _pg_value(column, value):
    """What the column's type would bind, for the arrays that bypass it: JSON as text, UTC datetimes as they are."""
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return json.dumps(value)
    return value
