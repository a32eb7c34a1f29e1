"""AG Grid tables (dash-ag-grid) with one look: every column fits a 1,280 px screen (each has a minimum
width; spare room up to 1,920 px goes to the columns with flex), long text ends in an ellipsis with the
whole text as a tooltip, and callers who may export get a CSV download.

Small grids hold their rows in the browser (sorting, filtering, paging and the CSV there, each cell
neutralised against spreadsheet formulas in assets/grids.js). Big grids page, sort and filter on the
server: AG Grid's infinite row model asks a callback for each block (getRowsRequest/getRowsResponse),
and their CSV comes from an export route with the grid's order and filters.
"""
from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import MATCH, Input, Output, clientside_callback, html

# A code such as REGISTERED shown as a word (Registered); the value itself stays the code.
WORD = {"function": "params.value ? params.value.charAt(0) + params.value.slice(1).toLowerCase() : ''"}
CSV_BUTTON = "grid-csv"  # pattern-matching type: {"type": CSV_BUTTON, "grid": <grid id>}
FILTERS = {"text": "agTextColumnFilter", "number": "agNumberColumnFilter", "date": "agDateColumnFilter"}
# The filter operators the servers understand (data.grid_filters); one condition per column.
FILTER_OPTIONS = {"text": ["contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank", "notBlank"],
                  "number": ["equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
                             "inRange", "blank", "notBlank"],
                  "date": ["equals", "notEqual", "lessThan", "greaterThan", "inRange", "blank", "notBlank"]}


def column(field: str, header: str, width: int = 100, flex: float = 1, *, kind: str = "text", filter_kind: str | None = None,
           link: bool = False, wrap: bool = False, tooltip: bool = False, **extra) -> dict:
    """A column of `width` px at least; `filter_kind` (text, number, date) makes it filterable; `link`
    renders the row's `<field>__href` as a link; `wrap` lets the cell take several lines."""
    col = {"field": field, "headerName": header, "minWidth": width, "flex": flex, **extra}
    if kind == "number":
        col.update(type="numericColumn")
    if filter_kind:  # `extra` may narrow the filter's options (filterParams)
        col.setdefault("filterParams", {"filterOptions": FILTER_OPTIONS[filter_kind], "maxNumConditions": 1,
                                        "buttons": ["reset"]})
        col.update(filter=FILTERS[filter_kind])
    if link:
        col.update(cellRenderer="Link")
    if wrap:
        col.update(wrapText=True, autoHeight=True, cellClass="grid-wrap")
    if tooltip:
        col.update(tooltipField=field)
    return col


def _grid_options(page_size: int | None, **more) -> dict:
    options = {"theme": {"function": "cockpitTheme(agGrid)"}, "tooltipShowDelay": 400, "enableCellTextSelection": True,
               "ensureDomOrder": True,
               "suppressDragLeaveHidesColumns": True, **more}
    if page_size:
        options.update(pagination=True, paginationPageSize=page_size, paginationPageSizeSelector=False)
    return options


def csv_button(grid_id: str, file_name: str) -> html.Button:
    return html.Button("Download CSV", id={"type": CSV_BUTTON, "grid": grid_id}, title=f"{file_name}.csv",
                       className="btn btn-outline-secondary btn-sm")


def client_grid(grid_id: str, rows: list[dict], columns: list[dict], *, csv: str | None = None,
                page_size: int | None = 20, selection: str | None = None, row_id: str = "id",
                **options) -> dag.AgGrid:
    """A grid over rows held in the browser; `csv` names the download (None: the caller may not export)."""
    grid_options = _grid_options(page_size if len(rows) > (page_size or 0) else None, domLayout="autoHeight", **options)
    if selection:
        # several rows are chosen with the boxes on the left (a click on a row alone chooses that row)
        grid_options["rowSelection"] = {"mode": "singleRow" if selection == "single" else "multiRow",
                                        "enableClickSelection": True, "checkboxes": selection != "single"}
    identity = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    return dag.AgGrid(id=grid_id, rowData=rows, columnDefs=columns, className="grid",
                      defaultColDef={"sortable": True, "resizable": True, "filter": False},
                      dashGridOptions=grid_options, **identity,
                      csvExportParams={"fileName": f"{csv or grid_id}.csv",
                                       "processCellCallback": {"function": "neutraliseCsvCell(params)"}},
                      style={"width": "100%"})


def server_grid(grid_id: str, columns: list[dict], *, page_size: int = 25, height: str = "42rem",
                sort: tuple[str, str] | None = None, **options) -> dag.AgGrid:
    """A grid whose rows the server pages, sorts and filters (infinite row model, one page per block)."""
    columns = [dict(c, sort=sort[1]) if sort and c["field"] == sort[0] else c for c in columns]
    return dag.AgGrid(id=grid_id, rowModelType="infinite", columnDefs=columns, className="grid",
                      defaultColDef={"sortable": False, "resizable": True, "filter": False},
                      dashGridOptions=_grid_options(page_size, cacheBlockSize=page_size, maxBlocksInCache=20,
                                                    infiniteInitialRowCount=page_size, **options),
                      getRowId="params.data.id", style={"width": "100%", "height": height})


def header_with(title: str, *right) -> html.Div:
    """A card's title with its buttons (a CSV download, say) on the right."""
    return html.Div([html.H2(title, className="h6 mb-0"), html.Div([r for r in right if r is not None],
                                                                   className="d-flex gap-2")],
                    className="d-flex justify-content-between align-items-center mb-2")


def register_refresh(grid_id: str, store_id: str, *inputs: Input) -> None:
    """When the page's own filters change, the grid asks the server for its first page again. Call it
    where the page registers its callbacks; the page's layout holds dcc.Store(id=store_id)."""
    clientside_callback(
        "function () { try { var api = dash_ag_grid.getApi('%s'); api.purgeInfiniteCache(); "
        "api.paginationGoToFirstPage(); } catch (e) {} return Date.now(); }" % grid_id,
        Output(store_id, "data"), *inputs, prevent_initial_call=True)


def register_csv_download(app: dash.Dash) -> None:
    """Wires every grid's "Download CSV" button in `app`: AG Grid writes the rows it holds (as filtered and
    sorted) to a file. Registered on the app, not globally at import: this module is imported once per
    process and the first app built takes the global callbacks, so a later app's buttons would do nothing."""
    app.clientside_callback(
        "function (n) { var id = dash_clientside.callback_context.triggered_id; "
        "if (n && id) { dash_clientside.set_props(id.grid, {exportDataAsCsv: true}); } "
        "return dash_clientside.no_update; }",
        Output({"type": CSV_BUTTON, "grid": MATCH}, "title"), Input({"type": CSV_BUTTON, "grid": MATCH}, "n_clicks"),
        prevent_initial_call=True)
