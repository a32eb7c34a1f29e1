"""The AG Grid of a work list (tasks, dead letters, suppressions): rows fetched from the server a block
at a time (the infinite row model: a getRowsRequest callback answers each block), buttons per row
(assets/grid_actions.js RowActions, reported as cellRendererData), optional row selection.

No JavaScript is written here as text: the row buttons are a component of assets/grid_actions.js, links
and the theme come from assets/grids.js, and the row rules are parsed by dash-ag-grid itself (no eval),
so the page's CSP holds."""
from __future__ import annotations

import dash_ag_grid as dag

BLOCK = 100  # rows per getRowsRequest


def actions_column(buttons: list[tuple[str, str, str]], width: int = 260) -> dict:
    """A column of row buttons: (action, label, Bootstrap colour); a row shows those in its `actions`."""
    return {"headerName": "", "colId": "actions", "field": "actions", "cellRenderer": "RowActions", "sortable": False,
            "cellRendererParams": {"buttons": [{"action": a, "label": label, "color": c} for a, label, c in buttons]},
            "minWidth": width, "pinned": "right"}


def work_grid(grid_id: str, columns: list[dict], *, selectable: bool = False, row_classes: dict | None = None,
              height: str = "32rem") -> dag.AgGrid:
    options = {"theme": {"function": "cockpitTheme(agGrid)"},  # the look of every grid (assets/grids.js)
               "cacheBlockSize": BLOCK, "maxBlocksInCache": 20, "infiniteInitialRowCount": 1, "rowBuffer": 0,
               "suppressCellFocus": True, "tooltipShowDelay": 300}
    if selectable:
        options["rowSelection"] = {"mode": "multiRow", "headerCheckbox": False, "enableClickSelection": False}
    return dag.AgGrid(id=grid_id, rowModelType="infinite", columnDefs=columns, getRowId="params.data.id",
                      defaultColDef={"sortable": False, "filter": False, "resizable": True, "minWidth": 90},
                      dashGridOptions=options, rowClassRules=row_classes or {}, columnSize="responsiveSizeToFit",
                      style={"height": height, "width": "100%"}, className="grid work-grid")
