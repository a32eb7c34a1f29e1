"""The "Parked events" section of /admin/events: one row per parked event with Retry and Discard, and
the dialog that asks why before a discard."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.shell import data_area

EMPTY = "No parked events: every consumer is keeping up."
HEADERS = ("Consumer", "Event type", "Source / id", "Subject", "Attempts", "Reason", "Parked at", "Waiting behind", "")


def parked_section(views: list) -> dbc.Card:
    header = html.Div([html.Span("Parked events"),
                       dbc.Button("Refresh", id=ids.PARKED_REFRESH, size="sm", color="secondary", outline=True)],
                      className="d-flex justify-content-between align-items-center")
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody([
        html.P("A consumer failed on these events after every retry. Its later events of the same subject wait "
               "behind each one: retry once the cause is fixed, or discard it for that consumer.",
               className="small text-secondary"),
        dcc.Store(id=ids.PARKED_CHANGED), dcc.Store(id=ids.PARKED_DISCARD_TARGET),
        html.Div(id=ids.PARKED_MESSAGE), data_area(html.Div(parked_table(views), id=ids.PARKED_LIST)), discard_dialog(),
    ])], className="shadow-sm mb-4")


def parked_table(views: list):
    if not views:
        return html.Div(EMPTY, className="text-secondary py-3 parked-empty")
    head = html.Thead(html.Tr([html.Th(h) for h in HEADERS]))
    table = html.Table([head, html.Tbody([_row(v) for v in views])], className="table table-sm align-middle mb-0",
                       id=ids.PARKED_LIST + "-table")
    return html.Div(table, className="table-responsive")


def _row(v) -> html.Tr:
    return html.Tr([
        html.Td(v.consumer), html.Td(html.Code(v.type)),
        html.Td([html.Div(v.source, className="small"), html.Div(v.id, className="small text-secondary")]),
        html.Td(v.subject or "—"), html.Td(v.attempts), html.Td(_reason(v), style={"minWidth": "16rem", "maxWidth": "32rem"}),
        html.Td(v.parked_at.strftime("%Y-%m-%d %H:%M:%S UTC"), className="text-nowrap"), html.Td(v.waiting_behind),
        html.Td([_button("Retry", "retry", v, "primary"), _button("Discard", "discard", v, "danger")],
                className="text-end text-nowrap"),
    ], **{"data-consumer": v.consumer, "data-seq": v.seq})


def _reason(v):
    """The one-line reason; where it failed (the traceback summary) only when asked for."""
    detail = html.Details([html.Summary("where it failed", className="small"),
                           html.Pre(v.error_detail, className="small mb-0",
                                    style={"whiteSpace": "pre-wrap", "wordBreak": "break-word"})]) if v.error_detail else None
    return [html.Div(v.last_error or "—", className="text-break"), detail]


def _button(label: str, action: str, v, color: str) -> dbc.Button:
    return dbc.Button(label, id={"type": ids.PARKED_ACTION, "action": action, "consumer": v.consumer, "seq": v.seq},
                      size="sm", color=color, outline=True, className="me-1")


def discard_dialog() -> dbc.Modal:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Discard a parked event")),
        dbc.ModalBody([
            html.P(id=ids.PARKED_DISCARD_WHAT),
            html.P("The event stays in the log, but this consumer will never apply it; its later events of the same "
                   "subject flow again. Say why, for the audit log.", className="small text-secondary"),
            dbc.Textarea(id=ids.PARKED_DISCARD_REASON, maxLength=500, placeholder="Why is it safe to skip it?"),
        ]),
        dbc.ModalFooter([dbc.Button("Cancel", id=ids.PARKED_DISCARD_CANCEL, color="secondary", outline=True),
                         dbc.Button("Discard", id=ids.PARKED_DISCARD_CONFIRM, color="danger", disabled=True)]),
    ], id=ids.PARKED_DISCARD_DIALOG, is_open=False)


def what_text(target: dict) -> str:
    return f"Consumer {target['consumer']}, event #{target['seq']}."


def message(text: str, color: str) -> html.Div:
    return html.Div(text, className=f"alert alert-{color} py-2")
