"""Dash callback requests checked before Dash reads them, and callback refusals as problems.

Dash's dispatcher trusts the body its renderer posts: a missing key, a list where a dict belongs or an
output it does not know is a KeyError or TypeError deep inside it, which Flask answers with 500. Any
client can post anything, so the envelope is checked against the callback it names: 400 with a problem
body when it does not fit. What a callback itself refuses (the caller's role, a value outside what the
page offers) becomes 403 or 400 through Dash's `on_error` hook, never a 500.
"""
from __future__ import annotations

import json
import math

from dash._utils import split_callback_id
from flask import request
from werkzeug.exceptions import HTTPException

from components.callback_inputs import CallbackInputError
from domain.roles import Forbidden
from web.problem import problem

DISPATCH = "/_dash-update-component"
WILDCARDS = (["ALL"], ["ALLSMALLER"], ["MATCH"])
SCALARS = (str, int, float, bool, type(None))
MAX_INT = 2**31 - 1


def _count(value) -> bool:
    return value is None or (type(value) is int and 0 <= value <= MAX_INT)


def _text(value) -> bool:
    return value is None or isinstance(value, str)


def _scalar(value) -> bool:
    return isinstance(value, SCALARS) and not (isinstance(value, float) and not math.isfinite(value))


def _control_value(value) -> bool:
    """What an input, dropdown, checklist or radio holds: a (finite) scalar or a flat list of them."""
    return _scalar(value) or (isinstance(value, list) and len(value) <= 1000 and all(map(_scalar, value)))


def _path(value) -> bool:
    return isinstance(value, str) and value.startswith("/")  # a location always has one


def _sort_by(value) -> bool:
    return value is None or (isinstance(value, list) and len(value) <= 20 and all(
        isinstance(v, dict) and isinstance(v.get("column_id"), str) and v.get("direction") in ("asc", "desc") for v in value))


# AG Grid (dash-ag-grid): what its renderer sends; the callback's reader then checks names and values.
def _flat_dict(value, keys: int = 50) -> bool:
    return isinstance(value, dict) and len(value) <= keys and all(
        isinstance(k, str) and (_scalar(v) or (isinstance(v, list) and len(v) <= 20 and all(map(_scalar, v))))
        for k, v in value.items())


def _grid_sort_model(value) -> bool:
    return value is None or (isinstance(value, list) and len(value) <= 20 and all(
        isinstance(v, dict) and isinstance(v.get("colId"), str) and v.get("sort") in ("asc", "desc", None) for v in value))


def _filter_model(value) -> bool:
    """{column: a filter's model}; a combined filter holds its conditions, each a flat model."""
    return value is None or (isinstance(value, dict) and len(value) <= 50 and all(
        isinstance(k, str) and isinstance(f, dict) and _flat_dict({n: v for n, v in f.items() if n != "conditions"})
        and isinstance(f.get("conditions") or [], list) and all(_flat_dict(c) for c in f.get("conditions") or [])
        for k, f in value.items()))


def _rows_request(value) -> bool:
    return value is None or (isinstance(value, dict) and _count(value.get("startRow")) and _count(value.get("endRow"))
                             and _grid_sort_model(value.get("sortModel")) and _filter_model(value.get("filterModel")))


def _cell_clicked(value) -> bool:
    return value is None or (_flat_dict(value, 8) and set(value) <= {"value", "colId", "rowIndex", "rowId", "timestamp"}
                             and _text(value.get("colId")) and _count(value.get("rowIndex")))


def _selected_rows(value) -> bool:
    return value is None or (isinstance(value, list) and len(value) <= 1000 and all(_flat_dict(row) for row in value))


def _renderer_data(value) -> bool:
    """A row button's report (assets/grid_actions.js): like a click, its value a small flat dict ({"action"}).
    Its rowIndex is the row's place in client-side data: -1 in a grid whose rows the server pages."""
    row_index = value.get("rowIndex") if isinstance(value, dict) else None
    return value is None or (isinstance(value, dict) and set(value) <= {"value", "colId", "rowIndex", "rowId", "timestamp"}
                             and (_scalar(value.get("value")) or _flat_dict(value.get("value"), 8))
                             and _text(value.get("colId")) and (row_index == -1 or _count(row_index))
                             and _scalar(value.get("rowId")) and _scalar(value.get("timestamp")))


# The type each property of Dash's components carries, whichever component: what the renderer can send.
PROPERTY_VALUES = {"n_clicks": _count, "n_intervals": _count, "n_submit": _count, "page_current": _count,
                   "page_size": _count, "pathname": _path, "search": _text, "hash": _text, "href": _text,
                   "start_date": _text, "end_date": _text, "sort_by": _sort_by, "value": _control_value,
                   "getRowsRequest": _rows_request, "cellClicked": _cell_clicked, "selectedRows": _selected_rows,
                   "filterModel": _filter_model, "cellRendererData": _renderer_data}


class BadEnvelope(ValueError):
    """The callback request does not have the shape Dash's renderer posts for that callback."""


class _Refused(HTTPException):
    """Carries a ready problem response out of Dash's dispatcher."""

    def __init__(self, response):
        super().__init__(response=response)


def install_callback_guard(server, dash_app) -> None:
    @server.before_request
    def _check_envelope():
        if request.path != DISPATCH or request.method != "POST":
            return None
        try:
            check_envelope(request.get_json(silent=True), dash_app.callback_map)
        except BadEnvelope as exc:
            return problem(400, "Bad callback request", str(exc))
        return None


def on_callback_error(exc: Exception):
    """Dash's app-wide on_error: refusals and bad values are the caller's; anything else is ours."""
    if isinstance(exc, Forbidden):
        raise _Refused(problem(403, "Forbidden", str(exc))) from exc
    if isinstance(exc, CallbackInputError):
        raise _Refused(problem(400, "Bad callback value", str(exc))) from exc
    raise exc


def check_envelope(body, callback_map: dict) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        raise BadEnvelope("the body is not a JSON object naming an output")
    declared = callback_map.get(body["output"])
    if declared is None or "callback" not in declared:  # clientside callbacks run in the browser only
        raise BadEnvelope("no such callback")
    for key in ("inputs", "state"):
        _check_dependencies(key, body.get(key, []), declared[key])
    outputs = body.get("outputs", [])
    wanted = split_callback_id(body["output"])
    _check_dependencies("outputs", outputs if isinstance(wanted, list) else [outputs],
                        wanted if isinstance(wanted, list) else [wanted])
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(item, str) for item in changed):
        raise BadEnvelope("changedPropIds is not a list of strings")


def _check_dependencies(key: str, given, declared: list[dict]) -> None:
    if not isinstance(given, list) or len(given) != len(declared):
        raise BadEnvelope(f"{key} must list {len(declared)} item(s)")
    for i, (item, wanted) in enumerate(zip(given, declared)):
        pattern = _pattern(wanted["id"])
        many = pattern is not None and any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())
        entries = item if many and isinstance(item, list) else [item]
        if many != isinstance(item, list) or not all(_fits(e, wanted, pattern) for e in entries):
            raise BadEnvelope(f"{key}[{i}] is not a value of {wanted['id']}.{wanted['property']}")


def _fits(entry, wanted: dict, pattern: dict | None) -> bool:
    if not isinstance(entry, dict) or entry.get("property") not in (wanted["property"], wanted["property"].split("@")[0]):
        return False
    if not PROPERTY_VALUES.get(entry["property"], lambda value: True)(entry.get("value")):
        return False
    given = entry.get("id")
    if pattern is None:
        return given == wanted["id"]
    return (isinstance(given, dict) and given.keys() == pattern.keys()
            and all(v in WILDCARDS or given[k] == v for k, v in pattern.items()))


def _pattern(component_id: str) -> dict | None:
    """The id dict of a pattern-matching dependency (Dash keeps it as JSON text), else None."""
    if not component_id.startswith("{"):
        return None
    return json.loads(component_id)
