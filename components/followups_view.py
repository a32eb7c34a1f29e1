"""The Follow-ups page (due today / this week, paused, "run now") and the lead's follow-up section."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.shell import empty_state, page_header
from domain.roles import Actor, Role, may_edit_leads

SENDERS = (Role.ADMIN, Role.MANAGER)
STATUS_COLORS = {"sent": "success", "skipped": "secondary", "failed": "danger", "planned": "primary",
                 "claimed": "info", "paused": "warning"}
REASONS = {"meaningful_contact": "contact in the window", "clock_stopped": "clock stopped", "replied": "the lead replied",
           "unsubscribed": "unsubscribed", "bounced": "address bounced", "no_consent": "no e-mail consent",
           "no_email": "no e-mail address", "converted": "lead converted", "lost": "lead lost",
           "suppressed": "address suppressed"}


def local_time(iso: str | None, zone: str | None) -> str:
    """An ISO time as the lead's wall clock, e.g. `Mon 30.11. 09:15 (Europe/Vienna)`."""
    if not iso:
        return "—"
    try:
        tz = ZoneInfo(zone or "Europe/Berlin")
    except (ValueError, KeyError):
        tz = ZoneInfo("Europe/Berlin")
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%a %d.%m. %H:%M") + f" ({tz.key})"


def reason_text(reason: str | None) -> str:
    code, _, detail = (reason or "").partition(":")
    text = REASONS.get(code, reason or "")
    return f"{text} ({detail.lower()})" if detail and code in REASONS else text


def followups_view(actor: Actor) -> html.Div:
    run = [dbc.Button("Run follow-ups now", id=ids.FOLLOWUPS_RUN, color="primary", size="sm")] if actor.role == Role.ADMIN else []
    period = dbc.RadioItems(id=ids.FOLLOWUPS_PERIOD, value="today", inline=True,
                            options=[{"label": "Due today", "value": "today"}, {"label": "This week", "value": "week"}])
    return html.Div([
        page_header("Follow-ups", "T+3 and T+7 steps due in your scope, planned in each lead's own time zone",
                    html.Div(run + [period], className="d-flex gap-3 align-items-center")),
        dcc.Store(id=ids.FOLLOWUPS_CHANGED), html.Div(id=ids.FOLLOWUPS_RUN_SUMMARY), html.Div(id=ids.FOLLOWUPS_MESSAGE),
        dbc.Card([dbc.CardHeader("Due"), dbc.CardBody(html.Div(id=ids.FOLLOWUPS_LIST))], className="shadow-sm mb-3"),
        dbc.Card([dbc.CardHeader("Paused"), dbc.CardBody(html.Div(id=ids.FOLLOWUPS_PAUSED))], className="shadow-sm"),
    ])


def _button(label: str, action: str, row: dict, color: str) -> dbc.Button:
    return dbc.Button(label, id={"type": ids.FOLLOWUPS_ACTION, "action": action, "lead": row["lead_id"],
                                 "step": row["step"] or ""}, size="sm", color=color, outline=True, className="me-1")


def _actions(row: dict, actor: Actor, paused: bool) -> list:
    """The buttons the caller's role may use; the services refuse the others anyway."""
    if not may_edit_leads(actor):
        return []
    if paused:
        return [_button("Resume", "resume", row, "success")]
    send = [_button("Send now", "send", row, "primary")] if actor.role in SENDERS else []
    return [_button("Pause", "pause", row, "secondary")] + send


def _status(row: dict, paused: bool):
    if paused:
        return dbc.Badge("paused", color="warning")
    badge = dbc.Badge("overdue" if row["overdue"] else "planned", color="danger" if row["overdue"] else "primary")
    return [badge, html.Span(f" {row['status']}", className="small text-secondary")]


def followups_table(rows: list[dict], actor: Actor, paused: bool = False):
    if not rows:
        return empty_state("Nothing paused" if paused else "Nothing due",
                           "Paused leads show up here." if paused else "No follow-up step is planned in this period.")
    head = html.Thead(html.Tr([html.Th(h) for h in ("Lead", "Owner", "Step", "Planned (lead's time)", "Status", "")]))
    body = html.Tbody([html.Tr([
        html.Td(dcc.Link(r["company"], href=f"/leads/{r['lead_id']}")), html.Td(r["owner"]), html.Td(r["step"] or "—"),
        html.Td(local_time(r["due_at"], r["timezone"])), html.Td(_status(r, paused)),
        html.Td(_actions(r, actor, paused), className="text-end text-nowrap"),
    ], **{"data-lead": r["lead_id"]}) for r in rows])
    return html.Table([head, body], className="table table-sm align-middle mb-0",
                      id=ids.FOLLOWUPS_PAUSED + "-table" if paused else ids.FOLLOWUPS_LIST + "-table")


def run_summary(summary: dict) -> dbc.Alert:
    steps = [html.Li(f"{step}: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())))
             for step, outcomes in summary["by_step"].items()]
    return dbc.Alert([
        html.Strong(f"Run {summary['run_id']}: {summary['sent']} sent, {summary['skipped']} skipped, "
                    f"{summary['failed']} failed, {summary['replanned']} re-planned in {summary['duration_s']:.2f} s"),
        html.Ul(steps, className="mb-0 small") if steps else html.Div("Nothing was due.", className="small"),
    ], color="info", className="py-2", id="followups-run-result")


def message(text: str, color: str) -> html.Div:
    return html.Div(text, className=f"alert alert-{color} py-2")


def _entry(e: dict, zone: str):
    what = e["status"]
    detail = {"sent": lambda: f"sent {local_time(e['at'], zone)}" + (f" · {e['template']}" if e.get("template") else "")
                      + (f" variant {e['variant']}" if e.get("variant") else ""),
              "skipped": lambda: f"skipped {local_time(e['at'], zone)}: {reason_text(e['reason'])}",
              "failed": lambda: f"failed (attempt {e['attempts']}): {e['reason'] or ''}",
              "planned": lambda: f"planned for {local_time(e['planned_at'], zone)}"}.get(what, lambda: what)()
    return html.Div([html.Strong(e["step"]), dbc.Badge(what, color=STATUS_COLORS.get(what, "secondary"), className="ms-2"),
                     html.Span(f" {detail}", className="small text-secondary")],
                    className="timeline-item", **{"data-step": e["step"], "data-status": what})


def followup_timeline_items(timeline: dict | None):
    if timeline is None:
        return empty_state("Not available", "This lead lies outside what your role may see.")
    items = [_entry(e, timeline["timezone"]) for e in timeline["entries"]]
    if timeline["paused"]:
        items.append(html.Div([html.Strong(timeline["next_step"] or "—"), dbc.Badge("paused", color="warning", className="ms-2"),
                               html.Span(" nothing is sent until resumed", className="small text-secondary")],
                              className="timeline-item", **{"data-status": "paused"}))
    if not items:
        return html.Div("No follow-up planned: the sequence is over or has not started.", className="text-secondary")
    return html.Div(items, className="timeline")


def followups_section(lead_id: int, timeline: dict | None, actor: Actor) -> dbc.Card:
    paused = bool(timeline and timeline["paused"])
    buttons = [dbc.Button("Pause", id=ids.LEAD_FOLLOWUPS_PAUSE, size="sm", color="secondary", outline=True,
                          disabled=paused, className="me-1"),
               dbc.Button("Resume", id=ids.LEAD_FOLLOWUPS_RESUME, size="sm", color="success", outline=True,
                          disabled=not paused)] if may_edit_leads(actor) else []
    header = html.Div([html.Span("Follow-ups"), html.Div(buttons)], className="d-flex justify-content-between")
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody([
        dcc.Store(id=ids.LEAD_FOLLOWUPS_LEAD, data=lead_id), html.Div(id=ids.LEAD_FOLLOWUPS_MESSAGE),
        html.Div(followup_timeline_items(timeline), id=ids.LEAD_FOLLOWUPS)])], className="shadow-sm mt-3")
