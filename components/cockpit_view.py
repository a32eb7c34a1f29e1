"""The cockpit's status mix: leads by status as a bar chart, or an honest empty state."""
from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc

from components.shell import empty_state
from domain.model import LeadStatus

STATUS_ORDER = tuple(status.value for status in LeadStatus)


def status_figure(counts: dict[str, int]):
    """Leads by status as a bar chart (or an empty state)."""
    if not any(counts.values()):
        return empty_state("No leads yet", "Leads appear here as soon as they are registered.")
    statuses = [s for s in STATUS_ORDER if counts.get(s)]
    fig = go.Figure(go.Bar(x=statuses, y=[counts[s] for s in statuses], marker_color="#0d6efd"))
    fig.update_layout(margin=dict(l=20, r=20, t=10, b=30), height=260, plot_bgcolor="white")
    return dcc.Graph(figure=fig, config={"displayModeBar": False}, id="cockpit-status-chart")
