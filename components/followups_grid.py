"""The Follow-ups page's grid: AG Grid over the infinite row model (components.grids.server_grid), so the
server pages, sorts and filters (the list may hold 100,000 steps), with checkboxes for the bulk actions.
Its columns fit a 1,280 px screen without scrolling sideways and share out the room of a wider one."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash_ag_grid as dag

from components import ids
from components.grids import column, server_grid

PAGE_SIZE = 50  # rows per page of the grid, and per request to the server
STEP_LABELS = {"T3": "T+3", "T7": "T+7", "REMIND": "Call"}
# colId: the sort key the server gets (services.followup_worklist.WORKLIST_COLUMNS); field: what is shown.
COLUMNS = [
    column("company", "Company", 160, 2, link=True, tooltip=True, colId="company", sortable=True),
    column("contact", "Contact", 115, 1.2, tooltip=True, colId="contact", sortable=True),
    column("email", "E-mail", 150, 1.6, tooltip=True, colId="email", sortable=True),
    column("owner", "Owner", 110, 1, tooltip=True, colId="owner", sortable=True),
    column("team", "Team", 70, .5, colId="team", sortable=True),
    column("step_label", "Step", 65, .4, colId="step", sortable=True),
    column("due_label", "Due (local)", 150, 1, colId="due_at", sortable=True, tooltipField="due_title"),
    column("state", "State", 85, .5, colId="state", sortable=True,
           cellClassRules={"text-danger fw-semibold": "params.value == 'overdue'",
                           "text-warning-emphasis": "params.value == 'paused'"}),
    column("status", "Lead status", 120, .7, colId="status", sortable=True),
]
SELECTION = {"mode": "multiRow", "checkboxes": True, "headerCheckbox": False, "enableClickSelection": False}


def followups_grid() -> dag.AgGrid:
    return server_grid(ids.FOLLOWUPS_GRID, COLUMNS, page_size=PAGE_SIZE, height="max(460px, calc(100vh - 330px))",
                       sort=("due_label", "asc"), rowSelection=SELECTION, rowHeight=36,
                       selectionColumnDef={"width": 44, "minWidth": 44, "maxWidth": 44, "pinned": "left"})


def _due(iso: str | None, zone: str | None) -> tuple[str, str]:
    """(short label, full title) of a due time in the lead's own zone."""
    if not iso:
        return "—", "paused: nothing is planned until resumed"
    try:
        tz = ZoneInfo(zone or "Europe/Berlin")
    except (ValueError, KeyError):
        tz = ZoneInfo("Europe/Berlin")
    local = datetime.fromisoformat(iso).astimezone(tz)
    return local.strftime("%a %d.%m. %H:%M"), local.strftime("%A %d.%m.%Y %H:%M %Z") + f" ({tz.key})"


def grid_rows(rows: list[dict]) -> list[dict]:
    """The service's rows as the grid shows them: its row id, the link to the lead, the labels."""
    shown = []
    for row in rows:
        label, title = _due(row["due_at"], row["timezone"])
        shown.append({**row, "id": str(row["lead_id"]), "company__href": f"/leads/{row['lead_id']}",
                      "step_label": STEP_LABELS.get(row["step"], "—"), "due_label": label, "due_title": title})
    return shown


def grid_response(rows: list[dict], total: int) -> dict:
    """getRowsResponse: the block's rows and how many the whole list has."""
    return {"rowData": grid_rows(rows), "rowCount": total}
