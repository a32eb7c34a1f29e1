"""The operations page (admins): tabs with grids of dead sink deliveries, dead or unconfirmed mail and
the suppression list, row buttons (retry, mark sent, discard, lift), the dialog that asks why, and the
latest operator actions."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.shell import data_area, page_header
from components.work_grid import actions_column, work_grid

GRIDS = {"sinks": ids.OPS_SINKS_GRID, "mail": ids.OPS_MAIL_GRID, "suppressions": ids.OPS_SUPPRESSIONS_GRID}
TOTALS = {"sinks": ids.OPS_SINKS_TOTAL, "mail": ids.OPS_MAIL_TOTAL, "suppressions": ids.OPS_SUPPRESSIONS_TOTAL}
SORTS = {"sinks": ("dead_at", "sink", "type", "attempts"),
         "mail": ("created_at", "to_email", "status", "provider", "attempts"),
         "suppressions": ("created_at", "email", "reason")}
BUTTONS = {"sinks": [("retry", "Retry", "primary"), ("discard", "Discard…", "danger")],
           "mail": [("retry", "Retry", "primary"), ("mark_sent", "Mark sent…", "success"), ("discard", "Discard…", "danger")],
           "suppressions": [("lift", "Lift…", "warning")]}
LABELS = {"sinks": "Sink deliveries", "mail": "Mail", "suppressions": "Suppressions"}
NOUNS = {"sinks": ("dead delivery", "dead deliveries"), "mail": ("mail to settle", "mails to settle"),
         "suppressions": ("suppressed address", "suppressed addresses")}
VERBS = {"retry": "Retried", "discard": "Discarded", "mark_sent": "Marked sent", "lift": "Lifted"}
ASKS = {"discard": "Discard it for good: it stays in the log, nobody will send it again.",
        "mark_sent": "Mark it sent: only if the provider's own records show it went out.",
        "lift": "Lift the suppression: the address may get mail again. Leads whose consent was withdrawn "
                "still get none until they give it again."}


def _col(name: str, field: str, sortable: bool = False, **extra) -> dict:
    return {"headerName": name, "field": field, "colId": field, "sortable": sortable, **extra}


def _newest(name: str, field: str) -> dict:
    return _col(name, field, True, sort="desc", minWidth=170)


COLUMNS = {
    "sinks": [_col("Sink", "sink", True, maxWidth=120), _col("Event type", "type", True, minWidth=220),
              _col("Source / id", "event", tooltipField="event"), _col("Subject", "subject"),
              _col("Attempts", "attempts", True, maxWidth=110),
              _col("Last error", "last_error", tooltipField="last_error", minWidth=220), _newest("Dead since", "dead_at"),
              actions_column(BUTTONS["sinks"], 190)],
    "mail": [_col("To", "to_email", True, minWidth=180), _col("Subject", "subject", tooltipField="subject"),
             _col("Status", "status", True, maxWidth=130), _col("Provider", "provider", True, maxWidth=120),
             _col("Provider check", "provider_check"), _col("Step", "step", maxWidth=90),
             _col("Attempts", "attempts", True, maxWidth=110),
             _col("Last error", "last_error", tooltipField="last_error", minWidth=200), _newest("Queued at", "created_at"),
             actions_column(BUTTONS["mail"], 280)],
    "suppressions": [_col("Address", "email", True, minWidth=240), _col("Reason", "reason", True),
                     _col("Source", "source"), _newest("Suppressed since", "created_at"),
                     actions_column(BUTTONS["suppressions"], 120)],
}
ACTIONS = {tab: tuple(action for action, _label, _color in buttons) for tab, buttons in BUTTONS.items()}


def rows_response(grid_rows) -> dict:
    return {"rowData": grid_rows.rows, "rowCount": grid_rows.total}


def total_text(tab: str, total: int) -> str:
    one, many = NOUNS[tab]
    return f"{total} {one if total == 1 else many}"


def message(text: str, color: str) -> html.Div:
    return html.Div(text, className=f"alert alert-{color} py-2")


def done_text(target: dict, changed: bool) -> html.Div:
    if not changed:
        return message(f"{target['key']}: nothing to do any more (acted on meanwhile).", "info")
    return message(f"{VERBS[target['action']]}: {target['key']}.", "success")


def dialog_text(target: dict) -> str:
    return f"{LABELS[target['tab']]}: {target['key']}. {ASKS[target['action']]}"


def recent_list(actions: list[dict]):
    if not actions:
        return html.Div("No operator actions yet.", className="text-secondary small")
    return html.Ul([html.Li([html.Span(a["at"][:19].replace("T", " "), className="text-secondary me-2"),
                             html.Strong(a["username"]), f" {a['action']} ", html.Code(a["target"]),
                             html.Span(f" · {a['reason']}" if a["reason"] else "", className="text-secondary")],
                            className="small") for a in actions], className="list-unstyled mb-0", id="ops-recent-list")


def _tab(tab: str, extra=None) -> dbc.Tab:
    return dbc.Tab(html.Div([html.Div([html.Span(id=TOTALS[tab], className="badge text-bg-light fs-6"), extra],
                                      className="d-flex align-items-center gap-3 my-2"),
                             data_area(work_grid(GRIDS[tab], COLUMNS[tab], height="28rem"), {GRIDS[tab]: "getRowsResponse"})]),
                   label=LABELS[tab], tab_id=tab)


def _dialog() -> dbc.Modal:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Say why")),
        dbc.ModalBody([html.P(id=ids.OPS_DIALOG_WHAT),
                       dbc.Textarea(id=ids.OPS_DIALOG_REASON, maxLength=500, placeholder="Why? (kept with your name)")]),
        dbc.ModalFooter([dbc.Button("Cancel", id=ids.OPS_DIALOG_CANCEL, color="secondary", outline=True),
                         dbc.Button("Confirm", id=ids.OPS_DIALOG_CONFIRM, color="danger", disabled=True)]),
    ], id=ids.OPS_DIALOG, is_open=False)


def operations_layout(recent: list[dict]) -> html.Div:
    search = dbc.Input(id=ids.OPS_SEARCH, type="search", placeholder="Find an address", debounce=True,
                       maxLength=254, size="sm", style={"maxWidth": "20rem"})
    return html.Div([
        page_header("Operations", "Dead letters, mail nobody could confirm, and the suppression list"),
        dcc.Store(id=ids.OPS_CHANGED), dcc.Store(id=ids.OPS_REFRESHED), dcc.Store(id=ids.OPS_DIALOG_TARGET),
        html.Div(id=ids.OPS_MESSAGE),
        dbc.Tabs([_tab("sinks"), _tab("mail"), _tab("suppressions", search)], id=ids.OPS_TABS, active_tab="sinks",
                 className="mb-2"),
        _dialog(),
        dbc.Card([dbc.CardHeader("Latest operator actions"), dbc.CardBody(data_area(html.Div(recent_list(recent), id=ids.OPS_RECENT)))],
                 className="shadow-sm mt-4"),
    ])
