"""Readers of what an AG Grid sends a callback: the rows it asks for, a clicked cell, the selected rows.
A value the grid could not have sent raises CallbackInputError (400), like components.callback_inputs."""
from __future__ import annotations

from components.callback_inputs import CallbackInputError, whole
from data.grid_filters import GridWindow
from data.row_window import RowWindow
from services.grid_requests import GridColumns, InvalidGridRequest, grid_window


def rows_window(request, columns: GridColumns) -> GridWindow:
    """The window, order and filters of a getRowsRequest, checked against the grid's columns."""
    try:
        return grid_window(request, columns)
    except InvalidGridRequest as exc:
        raise CallbackInputError(str(exc)) from exc


def clicked(cell, columns: set[str]) -> tuple[str, object] | None:
    """(column, row id) of a cellClicked in one of `columns`; None for a click elsewhere."""
    if cell is None:
        return None
    if not isinstance(cell, dict) or not isinstance(cell.get("colId"), str):
        raise CallbackInputError("cellClicked must name a column")
    return (cell["colId"], cell.get("rowId")) if cell["colId"] in columns else None


def row_number(name: str, value) -> int:
    """A row id that is a number (AG Grid hands row ids over as text)."""
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) < 2**31):
        raise CallbackInputError(f"{name} must be a row the grid shows")
    return int(text)


def read(parse, value):
    """A service's parser of a grid value (services.grid_requests): what it refuses is a bad value (400)."""
    try:
        return parse(value)
    except InvalidGridRequest as exc:
        raise CallbackInputError(str(exc)) from exc


def selected_row(rows) -> dict | None:
    """The one selected row of a single-selection grid, or None."""
    if rows in (None, []):
        return None
    if not isinstance(rows, list) or len(rows) != 1 or not isinstance(rows[0], dict):
        raise CallbackInputError("selectedRows must hold one row")
    return rows[0]


def query_values(name: str, value) -> dict[str, str]:
    """A URL query the page stored as a dict of texts (None: empty); its service checks the values."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 30 or not all(
            isinstance(k, str) and len(k) <= 40 and isinstance(v, str) and len(v) <= 200 for k, v in value.items()):
        raise CallbackInputError(f"{name} must be a query of at most 30 short texts")
    return value


# The work lists (tasks, operations): one sort key, row buttons (assets/grid_actions.js), selected rows.
def rows_request(name: str, value, sorts: tuple[str, ...], block: int = 100) -> RowWindow:
    """The rows an infinite-model grid asks for, ordered by at most one of `sorts` (None: the first block)."""
    if value is None:
        return RowWindow(0, block)
    if not isinstance(value, dict):
        raise CallbackInputError(f"{name} must be an object")
    start = whole(f"{name}.startRow", value.get("startRow"), 0)
    end = whole(f"{name}.endRow", value.get("endRow"), start + block)
    if not start < end <= start + 5 * block:
        raise CallbackInputError(f"{name} asks for 1 to {5 * block} rows")
    model = value.get("sortModel") or []
    if not isinstance(model, list) or len(model) > 1:
        raise CallbackInputError(f"{name} sorts by at most one column")
    if not model:
        return RowWindow(start, end - start)
    key = model[0] if isinstance(model[0], dict) else {}
    if key.get("colId") not in sorts or key.get("sort") not in ("asc", "desc"):
        raise CallbackInputError(f"{name} sorts by a column the grid does not offer")
    return RowWindow(start, end - start, key["colId"], key["sort"] == "desc")


def _row_id(name: str, value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not 0 < len(str(value)) <= 200:
        raise CallbackInputError(f"{name} must name a row")
    return str(value)


def row_press(name: str, value, actions) -> tuple[str, str]:
    """(action, row id) of a row button (cellRendererData {"value": {"action": ...}, "rowId": ...})."""
    pressed = value.get("value") if isinstance(value, dict) else None
    action = pressed.get("action") if isinstance(pressed, dict) else None
    if action not in actions:
        raise CallbackInputError(f"{name} is not a button the grid offers")
    return action, _row_id(f"{name}.rowId", value.get("rowId"))


def selected_ids(name: str, value, most: int) -> list[str]:
    """The ids of the selected rows (each row's "id"), at most `most` of them."""
    if value in (None, []):
        return []
    if not isinstance(value, list) or len(value) > most or not all(isinstance(r, dict) for r in value):
        raise CallbackInputError(f"{name} must be at most {most} rows")
    return [_row_id(f"{name}.id", r.get("id")) for r in value]
