"""The Templates page: the list of templates, the version editor, validation issues and the preview."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.grids import client_grid, column, csv_button, header_with
from components.shell import data_area

COLUMNS = (("kind", "Kind"), ("locale", "Locale"), ("name", "Name"), ("versions", "Versions"),
           ("active_version", "Active"), ("variants", "Variants · weights"), ("activated_at", "Active since"))
_TEXTAREA = {"fontFamily": "var(--bs-font-monospace)", "fontSize": ".85rem"}
WIDTHS = {"kind": (150, 1), "locale": (80, 0.5), "name": (170, 1.6), "versions": (95, 0.5), "active_version": (80, 0.5),
          "variants": (150, 1), "activated_at": (140, 0.8)}
GRID_COLUMNS = [column(c, n, *WIDTHS[c], kind="number" if c in ("versions", "active_version") else "text", tooltip=True)
                for c, n in COLUMNS]


def template_rows(summaries) -> list[dict]:
    return [{"kind": s.kind, "locale": s.locale, "name": s.name, "versions": s.versions,
             "active_version": s.active_version if s.active_version is not None else "none",
             "variants": s.variants, "activated_at": s.activated_at.strftime("%Y-%m-%d %H:%M") if s.activated_at else ""}
            for s in summaries]


def issue_list(issues) -> html.Div:
    """Validation issues, each naming its part and line, as the editor shows them."""
    return html.Div([html.Div("This version cannot be saved:", className="fw-semibold"),
                     html.Ul([html.Li(str(i), className="template-issue") for i in issues], className="mb-0")],
                    className="alert alert-danger py-2")


def preview_frame(subject: str, body_html: str, text: str) -> html.Div:
    # srcDoc in a sandboxed iframe: the mail's HTML can neither run scripts nor reach this page.
    return html.Div([html.Div([html.Span("Subject: ", className="text-secondary"), subject], id="templates-preview-subject"),
                     html.Iframe(srcDoc=body_html, sandbox="", id=ids.TEMPLATES_FRAME,
                                 style={"width": "100%", "height": "320px", "border": "1px solid #dee2e6"}),
                     html.Pre(text, className="small bg-light p-2 mt-2 mb-0", style={"whiteSpace": "pre-wrap"})])


def _field(label, control, width=None):
    return dbc.Col(html.Div([dbc.Label(label, className="small text-secondary mb-1"), control], className="mb-2"),
                   md=width)


def _editor(names: list[str], editable: bool) -> dbc.Card:
    area = dict(style=_TEXTAREA, readOnly=not editable)
    return dbc.Card([dbc.CardHeader("Edit a new version" if editable else "Versions (read-only)"), dbc.CardBody([
        dbc.Row([_field("Template", dcc.Dropdown(id=ids.TEMPLATES_NAME, options=names, clearable=False), 5),
                 _field("Version", dcc.Dropdown(id=ids.TEMPLATES_VERSION, clearable=False), 3),
                 _field("Variant", dcc.Dropdown(id=ids.TEMPLATES_VARIANT, clearable=False), 2),
                 _field("Weight", dbc.Input(id=ids.TEMPLATES_WEIGHT, type="number", min=0, max=1000), 2)]),
        dbc.Row([_field("Declared variables (comma-separated; unsubscribe_url is always declared)",
                        dbc.Input(id=ids.TEMPLATES_DECLARED, readonly=not editable))]),
        dbc.Row([_field("Subject", dbc.Input(id=ids.TEMPLATES_SUBJECT, readonly=not editable))]),
        dbc.Row([_field("HTML part", dbc.Textarea(id=ids.TEMPLATES_HTML, rows=9, **area))]),
        dbc.Row([_field("Text part", dbc.Textarea(id=ids.TEMPLATES_TEXT, rows=7, **area))]),
        html.Div([dbc.Button("Validate & preview", id=ids.TEMPLATES_PREVIEW, color="secondary", className="me-2"),
                  dbc.Button("Save as new version", id=ids.TEMPLATES_SAVE, color="primary", className="me-2",
                             disabled=not editable),
                  dbc.Button("Activate this version", id=ids.TEMPLATES_ACTIVATE, color="success",
                             disabled=not editable)]),
    ])], className="shadow-sm mb-3")


def templates_admin_view(summaries, editable: bool) -> html.Div:
    table = client_grid(ids.TEMPLATES_TABLE, template_rows(summaries), GRID_COLUMNS, csv="templates", row_id=None)
    names = sorted({s.name for s in summaries})
    # The list takes the page's width (its seven columns fit a 1,280 px screen); preview and editor share the row below.
    listing = dbc.Card(dbc.CardBody([header_with("Templates", csv_button(ids.TEMPLATES_TABLE, "templates")),
                                     data_area(table, {ids.TEMPLATES_TABLE: "rowData"})]),
                       className="shadow-sm mb-3")
    return html.Div([html.Div(id=ids.TEMPLATES_MESSAGE), dbc.Row([
        dbc.Col(listing, lg=12),
        dbc.Col(dbc.Card([dbc.CardHeader("Preview with a sample lead"),
                          dbc.CardBody([data_area(html.Div(id=ids.TEMPLATES_ISSUES))])], className="shadow-sm mb-3"), lg=6),
        dbc.Col(_editor(names, editable), lg=6),
    ])])
