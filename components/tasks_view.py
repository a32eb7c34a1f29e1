"""The tasks inbox: a grid of the caller's open call tasks (company, contact, phone and email, due date
in the lead's own time, overdue rows highlighted), Done and Snooze per row and for the selected rows."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.shell import data_area, page_header
from components.work_grid import actions_column, work_grid
from domain.tasks import DONE, SNOOZES

SORTS = ("due_at", "created_at", "company", "contact_name", "owner")
BUTTONS = [(DONE, "Done", "success"), *((key, f"+{label}" if key != "next_week" else "Next week", "secondary")
                                        for key, label in SNOOZES.items())]
COLUMNS = [
    {"headerName": "Company", "field": "company", "colId": "company", "sortable": True, "cellRenderer": "Link",
     "minWidth": 150, "tooltipField": "company"},
    {"headerName": "Contact", "field": "contact_name", "colId": "contact_name", "sortable": True, "minWidth": 110,
     "tooltipField": "contact_name"},
    {"headerName": "Phone", "field": "phone", "colId": "phone", "minWidth": 115, "tooltipField": "phone"},
    {"headerName": "Email", "field": "email", "colId": "email", "minWidth": 160, "tooltipField": "email"},
    {"headerName": "Owner", "field": "owner", "colId": "owner", "sortable": True, "minWidth": 100,
     "tooltipField": "owner"},
    {"headerName": "Due (lead's time)", "field": "due", "colId": "due_at", "sortable": True, "sort": "asc",
     "minWidth": 180, "tooltipField": "due_title"},
    {"headerName": "Snoozed", "field": "snoozes", "colId": "snoozes", "minWidth": 90, "maxWidth": 100},
    actions_column(BUTTONS, width=320),
]
OVERDUE = {"task-overdue": "params.data && params.data.overdue"}


def _local(iso: str, zone: str) -> str:
    """A due date on the lead's clock, where the call is made."""
    try:
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("Europe/Berlin")
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%a %d %b %H:%M")


def rows_response(page) -> dict:
    """The grid's answer to one getRowsRequest: its rows, and how many there are in all."""
    rows = [dict(row, due=("⚠ " if row["overdue"] else "") + _local(row["due_at"], row["timezone"]),
                 due_title=f"{'Overdue since' if row['overdue'] else 'Due'} {row['due_at'][:16].replace('T', ' ')} UTC"
                           f" ({row['timezone']})", company__href=f"/leads/{row['lead_id']}") for row in page.rows]
    return {"rowData": rows, "rowCount": page.total}


def total_text(total: int) -> str:
    return "No open tasks." if total == 0 else f"{total} open task{'s' if total != 1 else ''}"


def change_message(change) -> html.Div:
    if change.asked == 0:
        return message("Select the tasks first (the boxes on the left).", "warning")
    if change.changed == 0:
        return message("Nothing changed: those tasks are done already or not in your list.", "info")
    what = f"{change.changed} task{'s' if change.changed != 1 else ''}"
    if change.action == DONE:
        return message(f"Done: {what}.", "success")
    return message(f"Snoozed {what} by {SNOOZES[change.action]}.", "success")


def message(text: str, color: str) -> html.Div:
    return html.Div(text, className=f"alert alert-{color} py-2")


def _bulk_buttons() -> html.Div:
    buttons = [dbc.Button(label if key == DONE else f"Snooze {label.lstrip('+')}",
                          id={"type": ids.TASKS_BULK, "action": key}, size="sm",
                          color=color, outline=key != DONE, className="me-2") for key, label, color in BUTTONS]
    return html.Div([html.Span("Selected rows:", className="text-secondary small me-2"), *buttons],
                    className="d-flex align-items-center flex-wrap mb-2")


def tasks_layout() -> html.Div:
    return html.Div([
        page_header("My tasks", "Calls the follow-ups asked for: leads still silent after T+7",
                    html.Span(id=ids.TASKS_TOTAL, className="badge text-bg-light fs-6")),
        dcc.Store(id=ids.TASKS_CHANGED), dcc.Store(id=ids.TASKS_REFRESHED),
        html.Div(id=ids.TASKS_MESSAGE), _bulk_buttons(),
        data_area(work_grid(ids.TASKS_GRID, COLUMNS, selectable=True, row_classes=OVERDUE), {ids.TASKS_GRID: "getRowsResponse"}),
    ])
