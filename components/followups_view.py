"""The Follow-ups page (filters, the work list, bulk actions, "run now") and the lead's follow-up section."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.followups_grid import followups_grid
from components.shell import data_area, empty_state, page_header
from domain.roles import Actor, may_edit_leads

WINDOWS = (("overdue", "Overdue"), ("today", "Today"), ("week", "This week"), ("all", "All"))
STEPS = (("T3", "T+3"), ("T7", "T+7"), ("REMIND", "Call reminder"))
STATES = (("active", "Planned"), ("paused", "Paused"), ("all", "Planned and paused"))
DONE = {"pause": "paused", "resume": "resumed", "send": "sent"}
SKIPPED = {"not_in_scope": "not in your scope", "already_paused": "already paused", "nothing_planned": "nothing planned",
           "not_paused": "not paused", "paused": "paused (resume first)", "taken": "already handled",
           "done": "nothing left to send", "skipped": "a skip rule applies", "failed": "failed (retried later)"}
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


def _dropdown(component_id: str, options: list, placeholder: str, shown: bool = True, **kw) -> html.Div:
    """A filter; one the caller's role does not offer stays in the page (callbacks read it) but hidden."""
    return html.Div(dcc.Dropdown(id=component_id, options=options, placeholder=placeholder, **kw),
                    className="col-6 col-lg-2" if shown else "d-none")


def _filters(options: dict) -> html.Div:
    search = dcc.Input(id=ids.FOLLOWUPS_SEARCH, type="search", debounce=True, className="form-control",
                       placeholder="Search company, contact, e-mail")
    window = dbc.RadioItems(id=ids.FOLLOWUPS_WINDOW, value="week", className="btn-group",
                            inputClassName="btn-check", labelClassName="btn btn-outline-primary btn-sm",
                            labelCheckedClassName="active", options=[{"label": text, "value": value} for value, text in WINDOWS])
    people = [{"label": name, "value": uid} for uid, name in options["owners"]]
    teams = [{"label": name, "value": tid} for tid, name in options["teams"]]
    return html.Div([
        html.Div(search, className="col-12 col-lg-3"),
        _dropdown(ids.FOLLOWUPS_STEP, [{"label": text, "value": value} for value, text in STEPS], "Any step"),
        _dropdown(ids.FOLLOWUPS_STATE, [{"label": text, "value": value} for value, text in STATES], "State",
                  value="active", clearable=False),
        _dropdown(ids.FOLLOWUPS_TEAM, teams, "Any team", bool(teams)),
        _dropdown(ids.FOLLOWUPS_OWNER, people, "Any owner", bool(people)),
        html.Div(window, className="col-12 col-lg-auto"),
    ], className="row g-2 mb-2 align-items-center")


def _action(label: str, component_id: str, color: str, shown: bool) -> dbc.Button:
    """A bulk button; one the caller's role may not use is hidden (the services refuse it anyway)."""
    return dbc.Button(label, id=component_id, size="sm", color=color, outline=True,
                      className="ms-1" if shown else "d-none")


def _toolbar(options: dict) -> html.Div:
    actions = [html.Span("No row selected", id=ids.FOLLOWUPS_SELECTED, className="small text-secondary me-2"),
               _action("Pause", ids.FOLLOWUPS_PAUSE, "secondary", options["may_change"]),
               _action("Resume", ids.FOLLOWUPS_RESUME, "success", options["may_change"]),
               _action("Send now", ids.FOLLOWUPS_SEND, "primary", options["may_send"]),
               _action("Download CSV", ids.FOLLOWUPS_EXPORT, "dark", options["may_export"])]
    return html.Div([html.Div(id=ids.FOLLOWUPS_SUMMARY, className="text-secondary"),
                     html.Div(actions, className="d-flex align-items-center")],
                    className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-2")


def followups_view(options: dict) -> html.Div:
    """The page: filters, what the filtered list holds, the bulk actions, the grid."""
    run = dbc.Button("Run follow-ups now", id=ids.FOLLOWUPS_RUN, color="primary", size="sm")
    return html.Div([
        page_header("Follow-ups", "T+3 and T+7 steps in your scope, planned in each lead's own time zone; "
                    "select rows to pause, resume or send them", run if options["may_run"] else None),
        dcc.Store(id=ids.FOLLOWUPS_CHANGED), dcc.Store(id=ids.FOLLOWUPS_REFRESHED), dcc.Download(id=ids.FOLLOWUPS_DOWNLOAD),
        html.Div(id=ids.FOLLOWUPS_RUN_SUMMARY), _filters(options), _toolbar(options), html.Div(id=ids.FOLLOWUPS_MESSAGE),
        data_area(followups_grid(), {ids.FOLLOWUPS_GRID: "getRowsResponse"}),
    ])


def worklist_summary(totals) -> html.Span:
    """What the whole filtered list holds (not just the page shown)."""
    def count(n: int, what: str) -> html.Strong:
        return html.Strong(f"{n:,}", **{"data-count": what})
    empty = [html.Span(" — nothing matches these filters", className="ms-1")] if not totals.total else []
    return html.Span([count(totals.total, "total"), " follow-ups · ", count(totals.overdue, "overdue"), " overdue · ",
                      count(totals.paused, "paused"), " paused", *empty])


def bulk_message(result) -> html.Div:
    """e.g. "48 paused, 2 skipped (1 already paused, 1 not in your scope)"."""
    skipped = sum(result.skipped.values())
    if not result.done and not skipped:
        return message("Select rows in the list first.", "warning")
    why = ", ".join(f"{n} {SKIPPED.get(reason, reason)}" for reason, n in sorted(result.skipped.items()))
    text = f"{result.done} {DONE[result.action]}, {skipped} skipped" + (f" ({why})" if why else "")
    return message(text, "success" if result.done else "warning")


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
        data_area(html.Div(followup_timeline_items(timeline), id=ids.LEAD_FOLLOWUPS))])], className="shadow-sm mt-3")
