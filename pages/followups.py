"""Follow-ups: what is due today or this week in the caller's scope; pause, resume, send now, run now."""
from __future__ import annotations

import time

import dash
from dash import ALL, Input, Output, callback, ctx
from dash.exceptions import PreventUpdate

from components import ids
from components.callback_inputs import choice
from components.followups_view import followups_table, followups_view, message, run_summary
from components.shell import refusal
from domain.roles import Forbidden, Page, require
from pages._context import actor, deps
from services.followups import change_followups, followups_board, run_followups_on_demand

dash.register_page(__name__, path="/followups", name="Follow-ups", title="Follow-ups · Follow-up Cockpit", order=2)
ACTIONS = {"type": ids.FOLLOWUPS_ACTION, "action": ALL, "lead": ALL, "step": ALL}
DONE = {"paused": "Paused: nothing is sent until resumed.", "resumed": "Resumed.", "sent": "Sent: the mail is queued.",
        "taken": "Already handled: nothing more was sent.", "skipped": "Skipped: a skip rule applies.",
        "failed": "Failed: see the lead's timeline.", "done": "Nothing left to send."}


def layout(**_kwargs):
    try:
        require(actor(), Page.FOLLOWUPS)
    except Forbidden as exc:
        return refusal(str(exc))
    return followups_view(actor())


@callback(Output(ids.FOLLOWUPS_LIST, "children"), Output(ids.FOLLOWUPS_PAUSED, "children"),
          Input(ids.FOLLOWUPS_PERIOD, "value"), Input(ids.FOLLOWUPS_CHANGED, "data"))
def show_followups(period, _changed):
    caller = actor()
    try:
        board = followups_board(deps().uow, caller, choice("period", period, ("today", "week"), "today"), deps().clock)
    except (Forbidden, ValueError) as exc:
        return message(str(exc), "warning"), None
    return followups_table(board["due"], caller), followups_table(board["paused"], caller, paused=True)


@callback(Output(ids.FOLLOWUPS_MESSAGE, "children"), Output(ids.FOLLOWUPS_CHANGED, "data"),
          Input(ACTIONS, "n_clicks"), prevent_initial_call=True)
def act_on_lead(_clicks):
    pressed = ctx.triggered_id
    if not isinstance(pressed, dict) or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # the list re-rendered its buttons; nobody pressed one
    try:
        result = change_followups(deps().uow, actor(), pressed.get("action"), int(pressed.get("lead")),
                                  deps().followups, pressed.get("step"), deps().clock)
    except (Forbidden, LookupError, ValueError, TypeError) as exc:
        return message(str(exc), "danger"), dash.no_update
    return message(f"Lead #{result['lead_id']}: {DONE.get(result['outcome'], result['outcome'])}", "success"), time.time()


@callback(Output(ids.FOLLOWUPS_RUN_SUMMARY, "children"), Output(ids.FOLLOWUPS_CHANGED, "data", allow_duplicate=True),
          Input(ids.FOLLOWUPS_RUN, "n_clicks"), prevent_initial_call=True)
def run_now(_clicks):
    try:
        # the app's automation, with its telemetry: a "run now" counts in /metrics as the scheduler's runs do
        summary = run_followups_on_demand(deps().uow, actor(), deps().followups, deps().clock)
    except Forbidden as exc:
        return message(str(exc), "danger"), dash.no_update
    return run_summary(summary), time.time()
