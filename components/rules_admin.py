"""The rules admin page: the rule list, the editor (with the position of any error) and the dry run."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dash_table, dcc, html

from components import ids

DECISIONS = ("CONVERT", "REJECT", "REVIEW")
_CELL = {"padding": "6px 10px", "textAlign": "left", "whiteSpace": "normal", "height": "auto"}


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
                                          placeholder='reply.label == "POSITIVE" and lead.score >= 60')),
        html.Div("Fields: " + ", ".join(fields), className="small text-secondary mb-2"),
        dbc.Row([dbc.Col(_field("Decision", dcc.Dropdown(id=ids.RULES_DECISION, options=DECISIONS, value="REVIEW",
                                                         clearable=False))),
                 dbc.Col(_field("Priority (lower runs first)", dbc.Input(id=ids.RULES_PRIORITY, type="number", value=100))),
                 dbc.Col(_field("Enabled", dcc.Dropdown(id=ids.RULES_ENABLED, options=["on", "off"], value="off",
                                                        clearable=False)))]),
        _field("Description", dbc.Input(id=ids.RULES_DESCRIPTION)),
        dbc.Button("Save", id=ids.RULES_SAVE, color="primary", disabled=not may_edit, className="me-2"),
        html.Hr(),
        _field("Dry run against leads (ids, comma separated)", dbc.Input(id=ids.RULES_DRY_LEADS, placeholder="12, 40")),
        dbc.Button("Dry run", id=ids.RULES_DRY_RUN, color="secondary"),
        html.Div(id=ids.RULES_DRY_RESULT, className="mt-3"),
    ])], className="shadow-sm mb-3")


def rules_admin_view(rules: list[dict], fields: list[str], may_edit: bool) -> html.Div:
    table = dash_table.DataTable(
        id=ids.RULES_TABLE, data=rule_rows(rules), style_as_list_view=True, style_cell=_CELL, page_size=20,
        columns=[{"id": c, "name": n} for c, n in (("priority", "Priority"), ("name", "Name"), ("expression", "Expression"),
                                                   ("decision", "Decision"), ("enabled", "Enabled"),
                                                   ("version", "Version"), ("updated_at", "Changed"))])
    note = html.P("Readiness runs first: a lead that is not ready, or duplicates a customer, is rejected before any "
                  "rule. Then the enabled rules run by priority; the first that matches decides.",
                  className="text-secondary small")
    return html.Div([html.Div(id=ids.RULES_MESSAGE), dbc.Row([
        dbc.Col(dbc.Card([dbc.CardHeader("Conversion rules"), dbc.CardBody([note, table])], className="shadow-sm mb-3"), lg=7),
        dbc.Col(_editor(rules, fields, may_edit), lg=5),
    ])])
