"""Conversion rules: list, edit with validation (errors with their position), enable, dry-run."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, html

from components import ids
from components.callback_inputs import optional_id, text
from components.rules_admin import dry_run_table, rule_rows, rules_admin_view
from components.shell import page_header, refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services import conversion_rules as rules_service
from services.conversion_views import may_edit_rules
from services.rule_language import fields

dash.register_page(__name__, path="/admin/rules", name="Rules", title="Rules · Follow-up Cockpit", order=11)


def layout(**_kwargs):
    try:
        rules = rules_service.list_rules(deps().uow, actor())
    except Forbidden as exc:
        return refusal(str(exc))
    return html.Div([page_header("Conversion rules", "When a positive reply turns a lead into a customer"),
                     rules_admin_view(rules, fields(), may_edit_rules(actor()))])


def _alert(message: str, color: str):
    return html.Div(message, className=f"alert alert-{color} py-2", id="rules-alert")


@callback(Output(ids.RULES_NAME, "value"), Output(ids.RULES_EXPRESSION, "value"), Output(ids.RULES_DECISION, "value"),
          Output(ids.RULES_PRIORITY, "value"), Output(ids.RULES_ENABLED, "value"), Output(ids.RULES_DESCRIPTION, "value"),
          Output(ids.RULES_MESSAGE, "children", allow_duplicate=True), Input(ids.RULES_ID, "value"),
          prevent_initial_call=True)
def load_rule(rule_id):
    """The chosen rule into the editor; a caller who may not read rules (a replayed callback) sees why not."""
    try:
        rules = rules_service.list_rules(deps().uow, actor())
    except Forbidden as exc:
        return (dash.no_update,) * 6 + (refusal(str(exc)),)
    rule = next((r for r in rules if r["id"] == rule_id), None)
    if rule is None:
        return "", "", "REVIEW", 100, "off", "", dash.no_update
    return (rule["name"], rule["expression"], rule["decision"], rule["priority"], "on" if rule["enabled"] else "off",
            rule["description"], dash.no_update)


@callback(Output(ids.RULES_TABLE, "rowData"), Output(ids.RULES_MESSAGE, "children"),
          Input(ids.RULES_SAVE, "n_clicks"),
          State(ids.RULES_ID, "value"), State(ids.RULES_NAME, "value"), State(ids.RULES_EXPRESSION, "value"),
          State(ids.RULES_DECISION, "value"), State(ids.RULES_PRIORITY, "value"), State(ids.RULES_ENABLED, "value"),
          State(ids.RULES_DESCRIPTION, "value"), prevent_initial_call=True)
def save_rule(_n, rule_id, name, expression, decision, priority, enabled, description):
    uow, caller = deps().uow, actor()
    try:
        saved = rules_service.save_rule(uow, caller, optional_id("rule", rule_id), name=text("name", name, 200),
                                        expression=text("expression", expression, 10_000), decision=decision,
                                        priority=priority, enabled=enabled == "on",
                                        description=text("description", description, 2000))
    except (Forbidden, rules_service.RuleProblem, rules_service.InvalidRule, LookupError) as exc:
        return dash.no_update, _alert(f"Not saved: {exc}", "danger")
    return rule_rows(rules_service.list_rules(uow, caller)), _alert(f"Saved as version {saved['version']}.", "success")


@callback(Output(ids.RULES_DRY_RESULT, "children"), Input(ids.RULES_DRY_RUN, "n_clicks"),
          State(ids.RULES_EXPRESSION, "value"), State(ids.RULES_DECISION, "value"), State(ids.RULES_DRY_LEADS, "value"),
          prevent_initial_call=True)
def dry_run(_n, expression, decision, lead_ids):
    wanted = [int(p) for p in text("lead ids", lead_ids).replace(";", ",").split(",") if p.strip().isascii() and p.strip().isdigit()][:100]
    if not wanted:
        return _alert("Give one or more lead ids.", "warning")
    try:
        return dry_run_table(rules_service.dry_run(deps().uow, actor(), text("expression", expression, 10_000), decision, wanted))
    except (Forbidden, rules_service.RuleProblem, rules_service.InvalidRule) as exc:
        return _alert(f"Cannot run: {exc}", "danger")
