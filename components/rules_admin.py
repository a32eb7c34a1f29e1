"""The rules admin page: the rule list, the editor (with the position of any error) and the dry run."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.grids import client_grid, column, csv_button, header_with
from components.shell import data_area

DECISIONS = ("CONVERT", "REJECT", "REVIEW")
# The expression wraps (in the editor's font); the grid takes the page's whole width.
RULE_COLUMNS = [column("priority", "Priority", 90, 0.5, kind="number"), column("name", "Name", 160, 1.2, tooltip=True),
                column("expression", "Expression", 280, 3, wrap=True, cellStyle={"fontFamily": "var(--bs-font-monospace)"}),
                column("decision", "Decision", 100, 0.6), column("enabled", "Enabled", 90, 0.5),
                column("version", "Version", 85, 0.5, kind="number"), column("updated_at", "Changed", 140, 0.8)]


def rule_rows(rules: list[dict]) -> list[dict]:
    return [{**r, "enabled": "on" if r["enabled"] else "off"} for r in rules]


def dry_run_table(results: list[dict]) -> html.Div:
    if not results:
        return html.Div("No lead in your scope matched the ids given.", className="text-secondary")
    header = html.Thead(html.Tr([html.Th(h) for h in ("Lead", "Ready", "This rule", "Whole rule set", "Why")]))
    body = html.Tbody([html.Tr([html.Td(f"#{r['lead_id']} {r['company']}"), html.Td("yes" if r["ready"] else "no"),
                                html.Td(r["this_rule"]), html.Td(r["rule_set"]), html.Td(r["why"], className="small")])
                       for r in results])
    return html.Table([header, body], className="table table-sm", id="rules-dry-table")


def _field(label, control):
    return html.Div([dbc.Label(label, className="small text-secondary mb-1"), control], className="mb-2")


def _editor(rules: list[dict], fields: list[str], may_edit: bool):
    options = [{"label": f"{r['name']} (v{r['version']})", "value": r["id"]} for r in rules]
    return dbc.Card([dbc.CardHeader("Edit a rule" if may_edit else "Try a rule (only admins save)"), dbc.CardBody([
        _field("Rule (empty: a new rule)", dcc.Dropdown(id=ids.RULES_ID, options=options, placeholder="New rule")),
        _field("Name", dbc.Input(id=ids.RULES_NAME)),
        _field("Expression", dbc.Textarea(id=ids.RULES_EXPRESSION, rows=3, className="font-monospace",
                                          placeholder='e.g. reply.label == "POSITIVE" and lead.score >= 60')),
        html.Div("Fields: " + ", ".join(fields), className="small text-secondary mb-2"),
        dbc.Row([dbc.Col(_field("Decision", dcc.Dropdown(id=ids.RULES_DECISION, options=DECISIONS, value="REVIEW",
                                                         clearable=False))),
                 dbc.Col(_field("Priority (lower runs first)", dbc.Input(id=ids.RULES_PRIORITY, type="number", value=100))),
                 dbc.Col(_field("Enabled", dcc.Dropdown(id=ids.RULES_ENABLED, options=["on", "off"], value="off",
                                                        clearable=False)))]),
        _field("Description", dbc.Input(id=ids.RULES_DESCRIPTION)),
        dbc.Button("Save", id=ids.RULES_SAVE, color="primary", disabled=not may_edit, className="me-2"),
        html.Hr(),
        _field("Dry run against leads (ids, comma separated)", dbc.Input(id=ids.RULES_DRY_LEADS, placeholder="e.g. 12, 40")),
        dbc.Button("Dry run", id=ids.RULES_DRY_RUN, color="secondary"),
        data_area(html.Div(id=ids.RULES_DRY_RESULT, className="mt-3")),
    ])], className="shadow-sm mb-3")


def rules_admin_view(rules: list[dict], fields: list[str], may_edit: bool) -> html.Div:
    table = client_grid(ids.RULES_TABLE, rule_rows(rules), RULE_COLUMNS, csv="conversion-rules")
    note = html.P("Readiness runs first: a lead that is not ready, or duplicates a customer, is rejected before any "
                  "rule. Then the enabled rules run by priority; the first that matches decides.",
                  className="text-secondary small")
    # everyone who opens this page (admins, managers, analysts) may export
    rules_card = dbc.Card(dbc.CardBody([header_with("Conversion rules", csv_button(ids.RULES_TABLE, "conversion-rules")),
                                        note, data_area(table, {ids.RULES_TABLE: "rowData"})]),
                          className="shadow-sm mb-3")
    return html.Div([html.Div(id=ids.RULES_MESSAGE), dbc.Row([
        dbc.Col(rules_card, lg=12),
        dbc.Col(_editor(rules, fields, may_edit), lg=8),
    ])])
