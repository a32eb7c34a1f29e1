"""The live follow-up widget: KPI cards with trend and sparkline, the member table, recent activity.

Renders a services.cockpit_live.CockpitNumbers; the page re-renders it when the stream says the
numbers moved (assets/cockpit_live.js), or on an interval where streams are unavailable.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.grids import client_grid, column, csv_button
from components.kpi import kpi_card
from services.cockpit_live import PERIOD_LABELS
from services.drilldown import card_links

PERIOD_ID, SNAPSHOT_ID, REFRESH_ID, VIEW_ID = "cockpit-period", "cockpit-live-snapshot", "cockpit-refresh", "cockpit-view"
STATUS_ID, MEMBERS_ID, RECENT_ID = "cockpit-live-status", "cockpit-members", "cockpit-recent"
PREVIOUS = {"today": "yesterday", "7d": "previous 7 days", "30d": "previous 30 days"}
SENT_LABELS = {"today": "Sent today", "7d": "Sent · last 7 days", "30d": "Sent · last 30 days"}
FALLBACK_REFRESH_MS = 30_000
MEMBER_COLUMNS = [("name", "Member"), ("sent", "Sent"), ("t3_sent", "T+3"), ("t7_sent", "T+7"), ("replies", "Replies"),
                  ("positive", "Positive"), ("conversions", "Conversions"), ("conversion_rate", "Conv. %")]


# The backlog of due steps is compared with the backlog at the end of the previous period.
DUE_AGAINST = {"today": "yesterday", "7d": "7 days ago", "30d": "30 days ago"}


def trend(current: float, previous: float | None, against: str, neutral: bool = False) -> html.Span:
    """Change against the previous period; `neutral` for numbers where up is neither good nor bad."""
    if previous is None:
        return html.Span("")
    if previous == current:
        return html.Span(f"■ same as {against}", className="text-secondary small trend")
    if previous == 0:
        text, color = f"▲ new vs {against}", "text-success"
    else:
        change = (current - previous) / previous * 100
        arrow, color = ("▲", "text-success") if change > 0 else ("▼", "text-danger")
        text = f"{arrow} {abs(change):.0f}% vs {against}"
    return html.Span(text, className=f"{'text-secondary' if neutral else color} small trend")


def sparkline(values: list[float], key: str, second: list[float] | None = None):
    """Daily values as a filled line; `second` (the due backlog at each day's end, or the positive
    replies among the replies) as a dotted grey one."""
    if not values:
        return None
    # A plain dict: building go.Figure objects validates every property and costs milliseconds per card.
    data = [{"type": "scatter", "y": values, "mode": "lines", "line": {"width": 1.5, "color": "#0d6efd"},
             "fill": "tozeroy", "fillcolor": "rgba(13,110,253,0.08)", "hoverinfo": "skip"}]
    if second:
        data.append({"type": "scatter", "y": second, "mode": "lines", "hoverinfo": "skip",
                     "line": {"width": 1.2, "color": "#6c757d", "dash": "dot"}})
    fig = {"data": data,
           "layout": {"margin": {"l": 0, "r": 0, "t": 2, "b": 2}, "height": 36, "showlegend": False,
                      "plot_bgcolor": "white", "paper_bgcolor": "white", "xaxis": {"visible": False},
                      "yaxis": {"visible": False, "rangemode": "tozero"}}}
    return dcc.Graph(figure=fig, config={"staticPlot": True, "displayModeBar": False}, id=f"spark-{key}",
                     style={"height": "36px"}, className="sparkline")


def _card(key: str, label: str, main, detail: list, against: str, dotted=None, href: str | None = None):
    """One KPI: the number (a link to the leads behind it, given `href`), its detail lines and trend,
    and a sparkline (`dotted`: a second series)."""
    number = (html.A(f"{main.value:g}", href=href, className="kpi-link", title="Open the leads behind this number")
              if href else f"{main.value:g}")
    col = kpi_card(key, label, number, html.Div([
        html.Div(detail + [trend(main.value, main.previous, against)], className="small"),
        sparkline(main.series, key, dotted.series if dotted is not None else None)]))
    col.lg = True  # five equal columns on wide screens
    return col


def _line(span_id: str, text: str, metric, against: str, neutral: bool = False) -> list:
    """A secondary number of a card with its own trend, on its own line above the card's trend."""
    return [html.Span(f"{text} ", id=span_id), trend(metric.value, metric.previous, against, neutral), html.Br()]


def _sent_today(numbers) -> list:
    """Today's sends under a longer period's total (the "today" period shows them as its number)."""
    if numbers.period == "today":
        return []
    return _line("kpi-sent-today", f"{numbers.metrics['sent_today'].value:g} today", numbers.metrics["sent_today"], "yesterday")


def kpi_cards(numbers) -> dbc.Row:
    m, against, due_against = numbers.metrics, PREVIOUS[numbers.period], DUE_AGAINST[numbers.period]
    rate = m["conversion_rate"]

    def due(step: str) -> list:  # a backlog: up is neither good nor bad
        return _line(f"kpi-{step}-due", f"{m[step + '_due'].value:g} due today", m[step + "_due"], due_against, True)

    links = card_links(numbers)
    return dbc.Row([
        _card("t3", "T+3 sent", m["t3_sent"], due("t3"), against, m["t3_due"], href=links.get("t3")),
        _card("t7", "T+7 sent", m["t7_sent"], due("t7"), against, m["t7_due"], href=links.get("t7")),
        _card("sent", SENT_LABELS[numbers.period], m["sent"], _sent_today(numbers), against, href=links.get("sent")),
        _card("replies", "Replies", m["replies"],
              _line("kpi-positive", f"{m['positive'].value:g} positive", m["positive"], against), against, m["positive"],
              href=links.get("replies")),
        _card("conversion", "Conversions", m["conversions"],
              [html.Span(f"{rate.value:g}% of replies (was {rate.previous:g}%) · ", id="kpi-conversion-rate")], against,
              href=links.get("conversion")),
    ])


def member_table(members: list[dict]):
    """Sortable; a member's name links to the cockpit narrowed to that member (the drill-in)."""
    rows = [dict(m, name__href=f"/?user={m['user_id']}") for m in members]
    columns = [column(c, n, 160, 2, link=True) if c == "name" else column(c, n, 80, 1, kind="number")
               for c, n in MEMBER_COLUMNS]
    grid = client_grid(MEMBERS_ID, rows, columns, csv="team-members", page_size=None, row_id="user_id")
    # who sees the members (managers, admins, analysts) may export them
    return html.Div([html.Div(csv_button(MEMBERS_ID, "team-members"), className="text-end mb-2"), grid])


def _feed_line(row: dict) -> html.Li:
    """"Acme GmbH — follow-up T+3 sent": the company links to the lead."""
    when = str(row["time"])[:16]
    who = row.get("company") or f"Lead {row['lead_id']}"
    return html.Li([html.Span(when, className="text-secondary me-2"),
                    html.A(who, href=f"/leads/{row['lead_id']}", className="fw-semibold text-decoration-none"),
                    f" — {row.get('what') or row['type']}"], className="small")


def recent_feed(recent: list[dict]):
    if not recent:
        return html.Div("Nothing yet in this view.", className="text-secondary small", id=RECENT_ID)
    return html.Ul([_feed_line(r) for r in recent], className="list-unstyled mb-0", id=RECENT_ID)


def back_to_team(numbers):
    """The way out of one member's numbers, back to their team (or to every team)."""
    if not numbers.drilled_in:
        return None
    query = f"team={numbers.team_id}&period={numbers.period}" if numbers.team_id is not None else f"period={numbers.period}"
    return dbc.Button("← Back to team", href=f"/?{query}", id=ids.COCKPIT_BACK, color="secondary", outline=True, size="sm",
                      className="me-2")


def widget_body(numbers) -> html.Div:
    # The scope's name is the page heading (pages/cockpit.py keeps it current); this line holds what goes with it.
    scope = html.Div([back_to_team(numbers)], id="cockpit-scope", className="text-secondary small mb-2")
    if numbers.open_tasks is not None:  # the caller's own inbox, whatever team or member is in view
        scope.children.append(html.A(
            [html.Span(numbers.open_tasks, id="cockpit-open-tasks", className="badge text-bg-warning me-1"),
             "open task" if numbers.open_tasks == 1 else "open tasks"], href="/tasks"))
    parts = [scope, kpi_cards(numbers)]
    if numbers.members:
        parts.append(dbc.Card([dbc.CardHeader(f"Team members · {PERIOD_LABELS[numbers.period]}"),
                               dbc.CardBody(member_table(numbers.members))], className="shadow-sm mb-4"))
    if numbers.recent:
        parts.append(dbc.Card([dbc.CardHeader("Recent activity"), dbc.CardBody(recent_feed(numbers.recent))],
                              className="shadow-sm mb-4"))
    return html.Div(parts)


def controls(numbers, team_value) -> html.Div:
    """Period selector, team picker (hidden where the role has no choice), live status."""
    # Cleared means every team; the heading says so, the picker only invites a choice.
    picker = dcc.Dropdown(id="cockpit-team", options=[{"label": n, "value": i} for i, n in numbers.team_choices],
                          value=team_value, placeholder="Filter by team…", clearable=True,
                          style={"minWidth": "14rem"} if numbers.team_choices else {"display": "none"})
    period = dbc.RadioItems(id=PERIOD_ID, options=[{"label": v, "value": k} for k, v in PERIOD_LABELS.items()],
                            value=numbers.period, inline=True, className="btn-group-sm", inputClassName="btn-check",
                            labelClassName="btn btn-outline-primary btn-sm", labelCheckedClassName="active")
    status = html.Span("connecting…", id=STATUS_ID, className="badge text-bg-secondary ms-2")
    return html.Div([period, picker, status], className="d-flex align-items-center gap-2 flex-wrap")


def live_plumbing(view: dict) -> html.Div:
    """What the stream script and the fallback interval talk to."""
    return html.Div([dcc.Store(id=VIEW_ID, data=view), dcc.Store(id=SNAPSHOT_ID),
                     dcc.Interval(id=REFRESH_ID, interval=FALLBACK_REFRESH_MS, disabled=False)])
