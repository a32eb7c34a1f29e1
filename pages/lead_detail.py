"""Lead detail: the lead's facts and its whole activity history."""
from __future__ import annotations

import dash

from components.lead_card import lead_detail_view
from components.shell import empty_state, refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services.leads import lead_detail

dash.register_page(__name__, path_template="/leads/<lead_id>", title="Lead · Follow-up Cockpit")


def layout(lead_id=None, **_kwargs):
    try:
        detail = lead_detail(deps().uow, actor(), int(lead_id)) if str(lead_id).isdigit() else None
    except Forbidden as exc:
        return refusal(str(exc))
    if detail is None:
        return empty_state("Lead not found", "It does not exist, or it lies outside what your role may see.")
    return lead_detail_view(detail)
