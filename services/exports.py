"""CSV exports of the analytics tables and their underlying rows (DESIGN section 6).

Rows are generated as they are read (no row cap, no whole file in memory), scoped by the caller's
role, and every text cell that a spreadsheet would run as a formula is neutralised (OWASP CSV
injection). Each finished or abandoned export is logged with user, table, filters and row count.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import timezone
from typing import Callable, Iterator, Mapping

from data import analytics_queries
from data.analytics_store import LEAD_EXPORT_COLUMNS, LEAD_EXPORT_SORT, LeadExportQuery
from domain.roles import Actor, Forbidden, may_export
from services.analytics import TEMPLATE_METRICS, filter_options, funnel_view, query_params, templates_view
from services.analytics_filters import FILTER_KEYS, Filters, InvalidFilter, parse_filters, utc_today
from services.analytics_roi import roi_view
from services.scopes import caller_scope

log = logging.getLogger("cockpit.export")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
EVENT_COLUMNS = ("seq", "time", "type", "lead_id", "user_id", "team_id", "business_type", "step", "template_id",
                 "template_version", "variant", "label", "customer_id", "revenue", "volume")


class UnknownTable(LookupError):
    pass


def neutralise(value) -> object:
    """A text cell starting like a formula gets a leading single quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_header(columns) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(columns)
    return buffer.getvalue()


def csv_chunks(rows: Iterator, rows_per_chunk: int = 1000) -> Iterator[tuple[str, int]]:
    """(CSV text, rows in it) of `rows_per_chunk` rows at a time: streamed, yet not one write per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    pending = 0
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue(), pending
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue(), pending


@dataclass(frozen=True)
class Export:
    table: str
    columns: tuple[str, ...]
    body: Iterator[tuple[str | bytes, int]]  # the CSV text after the header, in chunks: (text, rows in it)

    @property
    def filename(self) -> str:
        return f"{self.table}.csv"

    def lines(self) -> Iterator[str | bytes]:
        yield csv_header(self.columns)  # at once: the download starts before the first rows are read
        for text, _rows in self.body:
            yield text


def _view_rows(make: Callable[..., list[dict]], columns: tuple[str, ...]):
    """An aggregate table: its rows are computed first (a few hundred at most), then sorted in Python."""
    def build(deps, actor, filters, sort, descending):
        rows = make(deps, actor, filters)
        if sort is not None:
            if sort not in columns:
                raise InvalidFilter("sort", f"{sort!r} is not a column of this table")
            rows = sorted(rows, key=lambda r: (r[sort] is None, r[sort]), reverse=descending)
        return columns, csv_chunks(iter([tuple(r.get(c) for c in columns) for r in rows]))
    return build


STAGE_COLUMNS = ("week", "registered", "sample_delivered", "t3_sent", "t7_sent", "replied", "positive", "converted")
MONEY_COLUMNS = ("sent", "converted", "revenue", "cost", "hours_saved", "time_value", "roi")
TEMPLATE_COLUMNS = ("template_id", "version", "variant", "sent") + tuple(
    f"{m}{suffix}" for m in TEMPLATE_METRICS for suffix in ("", "_rate", "_low", "_high"))
# table: (rows of the view, the columns when there are no rows)
AGGREGATES = {
    "funnel": (lambda d, a, f: funnel_view(d, a, f).stages, ("stage", "count", "step_conversion", "drop_off")),
    "cohorts": (lambda d, a, f: funnel_view(d, a, f).cohorts, STAGE_COLUMNS),
    "steps": (lambda d, a, f: funnel_view(d, a, f).steps,
              ("step", "sent", "replied", "positive", "converted", "reply_rate", "conversion_rate", "median_hours_to_reply")),
    "templates": (lambda d, a, f: templates_view(d, a, f).rows, TEMPLATE_COLUMNS),
    "comparisons": (lambda d, a, f: templates_view(d, a, f).comparisons,
                    ("template_id", "version", "baseline", "variant", "metric", "difference", "low", "high", "verdict")),
    "roi": (lambda d, a, f: roi_view(d, a, f).months, ("month",) + MONEY_COLUMNS),
    "roi_steps": (lambda d, a, f: roi_view(d, a, f).steps, ("step",) + MONEY_COLUMNS),
}
TABLES = ("leads", "events", *AGGREGATES)


def _lead_rows(deps, actor: Actor, filters: Filters, sort: str | None, descending: bool):
    sort = sort or "registered_at"
    if sort not in LEAD_EXPORT_SORT:
        raise InvalidFilter("sort", f"{sort!r} is not a column leads can be sorted by")
    since, until = filters.window(utc_today(deps.clock()))

    def rows() -> Iterator[tuple]:
        with deps.uow(write=False) as tx:
            scope = caller_scope(tx, actor, filters.team_id, filters.user_id)
            query = LeadExportQuery(scope, since.replace(tzinfo=timezone.utc), until.replace(tzinfo=timezone.utc),
                                    filters.business_type, sort, descending)
            yield from tx.analytics.lead_rows(query)
    return LEAD_EXPORT_COLUMNS, csv_chunks(rows())


def _event_rows(deps, actor: Actor, filters: Filters, sort: str | None, descending: bool):
    sort = sort or "seq"
    if sort not in EVENT_COLUMNS:
        raise InvalidFilter("sort", f"{sort!r} is not a column events can be sorted by")
    params = query_params(deps, actor, filters)

    def chunks() -> Iterator[tuple[bytes, int]]:
        cur = deps.warehouse.cursor()
        try:  # DuckDB writes the lines itself (data/sql/export_events.sql), exactly as csv_chunks would
            yield from analytics_queries.stream_text(cur, "export_events", params, sort, descending)
        finally:
            cur.close()
    return EVENT_COLUMNS, chunks()


def open_export(deps, actor: Actor, table: str, query: Mapping[str, str]) -> Export:
    """Check the caller, the table and every filter before the first byte is sent."""
    if not may_export(actor):
        raise Forbidden.for_role(actor, "download exports")
    if table not in TABLES:
        raise UnknownTable(table)
    unknown = set(query) - set(FILTER_KEYS) - {"sort", "order"}
    if unknown:
        raise InvalidFilter(sorted(unknown)[0], "is not a filter of the exports")
    if query.get("order", "asc") not in ("asc", "desc"):
        raise InvalidFilter("order", "must be asc or desc")
    filters = parse_filters(query, filter_options(deps, actor))
    sort, descending = query.get("sort") or None, query.get("order") == "desc"
    build = {"leads": _lead_rows, "events": _event_rows}.get(table) or _view_rows(*AGGREGATES[table])
    columns, body = build(deps, actor, filters, sort, descending)
    return Export(table, tuple(columns), logged_body(body, actor, table, filters))


def logged_body(body: Iterator[tuple[str | bytes, int]], actor: Actor, table: str, filters: Filters):
    count, finished = 0, False
    try:
        for text, rows in body:
            count += rows
            yield text, rows
        finished = True
    finally:
        log.info("export user=%s role=%s table=%s filters=%s rows=%d%s", actor.username, actor.role.value, table,
                 filters.query(), count, "" if finished else " (abandoned)")
