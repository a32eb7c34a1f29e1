"""Lead detail: the lead's facts, its whole activity history and its follow-up timeline."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx

from components import ids
from components.callback_inputs import text, whole
from components.followups_view import followup_timeline_items, followups_section, message
from components.lead_card import lead_detail_view
from components.shell import empty_state, refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services.followups import change_followups, followup_timeline
from services.leads import lead_detail
from components.conversions_view import lead_conversion_section
from domain.roles import may_edit_leads
from services.conversion_views import decision_trail
from services.replies import log_reply

dash.register_page(__name__, path_template="/leads/<lead_id>", title="Lead · Follow-up Cockpit")


def layout(lead_id=None, **_kwargs):
    try:
        detail = lead_detail(deps().uow, actor(), int(lead_id)) if str(lead_id).isdigit() else None
        timeline = followup_timeline(deps().uow, actor(), detail["id"]) if detail else None
    except Forbidden as exc:
        return refusal(str(exc))
    if detail is None:
        return empty_state("Lead not found", "It does not exist, or it lies outside what your role may see.")
    trail = decision_trail(deps().uow, actor(), detail["id"]) or []
    return lead_detail_view(detail, followups_section(detail["id"], timeline, actor()),
                            lead_conversion_section(detail["id"], trail, may_edit_leads(actor())))


@callback(Output(ids.LEAD_FOLLOWUPS, "children"), Output(ids.LEAD_FOLLOWUPS_MESSAGE, "children"),
          Output(ids.LEAD_FOLLOWUPS_PAUSE, "disabled"), Output(ids.LEAD_FOLLOWUPS_RESUME, "disabled"),
          Input(ids.LEAD_FOLLOWUPS_PAUSE, "n_clicks"), Input(ids.LEAD_FOLLOWUPS_RESUME, "n_clicks"),
          State(ids.LEAD_FOLLOWUPS_LEAD, "data"), prevent_initial_call=True)
def pause_or_resume(_pause, _resume, lead_id):
    action = "pause" if ctx.triggered_id == ids.LEAD_FOLLOWUPS_PAUSE else "resume"
    uow, caller = deps().uow, actor()
    try:
        lead_id = whole("lead", lead_id, 0, lowest=1)
        change_followups(uow, caller, action, lead_id, deps().followups, clock=deps().clock)
    except (Forbidden, LookupError, ValueError, TypeError) as exc:
        return dash.no_update, message(str(exc), "danger"), dash.no_update, dash.no_update
    timeline = followup_timeline(uow, caller, lead_id)
    return followup_timeline_items(timeline), None, action == "pause", action == "resume"


@callback(Output(ids.LEAD_REPLY_MESSAGE, "children"), Input(ids.LEAD_REPLY_SAVE, "n_clicks"),
          State(ids.LEAD_REPLY_LEAD, "data"), State(ids.LEAD_REPLY_TEXT, "value"), State(ids.LEAD_REPLY_LABEL, "value"),
          prevent_initial_call=True)
def log_a_reply(_n, lead_id, reply, label):
    """The owner records what the lead answered; the conversion consumer takes it from there."""
    try:
        result = log_reply(deps().uow, actor(), whole("lead", lead_id, 0, lowest=1), text("reply", reply, 100_000), label or None,
                           review_below=deps().settings.reply_review_below, clock=deps().clock)
    except (Forbidden, LookupError, ValueError, TypeError) as exc:
        return message(str(exc), "danger")
    if result["review"]:
        return message(f"Logged; it reads as {result['label']} but only {result['confidence']:.0%} sure: "
                       "it waits for a person on the Conversions page.", "warning")
    return message(f"Logged as {result['label']}. Reload to see the decision.", "success")
