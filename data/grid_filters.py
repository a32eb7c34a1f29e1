"""What a data grid asks a repository for: a window of rows, in an order, narrowed by column filters.

Repositories map the column names to SQL expressions through their own allow-lists; a name never
becomes SQL text, every value is a bound parameter.
"""
from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import BigInteger, and_, any_, bindparam, func, not_, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from data.repositories import _contains, _lower

TEXT_OPS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank", "notBlank")
NUMBER_OPS = ("equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual", "inRange",
              "blank", "notBlank")
DATE_OPS = ("equals", "notEqual", "lessThan", "greaterThan", "inRange", "blank", "notBlank")
OPS = {"text": TEXT_OPS, "number": NUMBER_OPS, "date": DATE_OPS}


@dataclass(frozen=True)
class ColumnFilter:
    """One column's filter: `value` is text, a number or a date (`value_to` closes an inRange)."""

    column: str
    kind: str  # text, number or date
    op: str
    value: str | float | date | None = None
    value_to: float | date | None = None


@dataclass(frozen=True)
class GridWindow:
    offset: int = 0
    limit: int = 25
    sort: tuple[tuple[str, bool], ...] = ()  # (column, descending), first key first
    filters: tuple[ColumnFilter, ...] = ()


def _escaped(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text(session, expr, f: ColumnFilter):
    if f.op in ("contains", "notContains"):
        found = _contains(session, expr, f.value)
        return found if f.op == "contains" else or_(expr.is_(None), not_(found))
    lowered = _lower(session, expr, f.value)
    if f.op in ("startsWith", "endsWith"):
        pattern = _escaped(f.value) + "%" if f.op == "startsWith" else "%" + _escaped(f.value)
        return lowered.like(pattern, escape="\\")
    same = lowered == f.value.lower()
    return same if f.op == "equals" else or_(expr.is_(None), not_(same))


_COMPARE = {"equals": operator.eq, "notEqual": operator.ne, "lessThan": operator.lt, "lessThanOrEqual": operator.le,
            "greaterThan": operator.gt, "greaterThanOrEqual": operator.ge}


def _number(expr, f: ColumnFilter):
    if f.op == "inRange":  # both ends included
        return and_(expr >= f.value, expr <= f.value_to)
    return _COMPARE[f.op](expr, f.value)


def _date(expr, f: ColumnFilter):
    """Days (UTC), both ends of a range included; times are compared as the day they fall on."""
    start = datetime.combine(f.value, time(), timezone.utc)
    end = start + timedelta(days=1)
    if f.op == "inRange":
        return and_(expr >= start, expr < datetime.combine(f.value_to, time(), timezone.utc) + timedelta(days=1))
    compare = {"equals": lambda: and_(expr >= start, expr < end), "notEqual": lambda: or_(expr < start, expr >= end),
               "lessThan": lambda: expr < start, "greaterThan": lambda: expr >= end}
    return compare[f.op]()


def condition(session, expr, f: ColumnFilter):
    """The WHERE condition of one column filter over the SQL expression `expr`."""
    if f.op == "blank":
        return or_(expr.is_(None), expr == "") if f.kind == "text" else expr.is_(None)
    if f.op == "notBlank":
        return and_(expr.is_not(None), expr != "") if f.kind == "text" else expr.is_not(None)
    if f.kind == "text":
        return _text(session, expr, f)
    return _number(expr, f) if f.kind == "number" else _date(expr, f)


def id_among(session, column, ids: tuple[int, ...]):
    """`column` is one of `ids`, bound as one parameter whatever their number (SQLite caps a statement's
    parameters at 32,766, PostgreSQL at 65,535; a drill-down may name 100,000 leads)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    values = func.json_each(json.dumps(list(ids))).table_valued("value")
    return column.in_(select(values.c.value))
