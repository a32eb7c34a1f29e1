"""The lead detail: facts on the left, the activity timeline on the right."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.shell import empty_state, page_header

FACTS = (("contact_name", "Contact"), ("email", "E-mail"), ("phone", "Phone"), ("city", "City"),
         ("country", "Country"), ("business_type", "Business type"), ("vat_id", "VAT id"), ("owner", "Owner"),
         ("score", "Score"), ("estimated_volume", "Est. volume (EUR/month)"), ("timezone", "Time zone"),
         ("registered_at", "Registered"), ("sample_delivered_at", "Sample delivered"), ("followup", "Follow-up"),
         ("next_followup_at", "Next step"))


def _fact(label, value):
    return html.Tr([html.Th(label, className="text-secondary fw-normal pe-3"), html.Td(str(value) if value not in (None, "") else "—")])


def _timeline(activities):
    if not activities:
        return empty_state("No activity yet", "Calls, mails, samples and replies show up here.")
    return html.Div([html.Div([
        html.Div([html.Strong(a["type"].replace("_", " ").title()),
                  dbc.Badge(a["outcome"], color="secondary", className="ms-2") if a["outcome"] else None,
                  html.Span(f" · {a['when']} · {a['by']}", className="text-secondary small"),
                  html.Span(f" · customer #{a['customer_id']}", className="text-secondary small") if a.get("customer_id") else None]),
        html.Div(a["details"], className="small text-secondary") if a["details"] else None,
    ], className="timeline-item") for a in activities], className="timeline", id="lead-timeline")


def _customer_badge(customer):
    """The customer the lead became: its history moved there with it (activities carry the customer)."""
    if not customer:
        return None
    return dbc.Badge(f"Customer #{customer['id']} · {customer['status']} · onboarding {customer['onboarding']} · since "
                     f"{customer['since']}", color="success", className="ms-2", id="lead-customer")


def lead_detail_view(d: dict, followups=None, conversion=None) -> html.Div:
    """`followups`: the lead's follow-up section (components.followups_view), shown under the history;
    `conversion`: its decision trail and reply form (components.conversions_view), under that."""
    consent = dbc.Badge("consent" if d["email_consent"] else "no consent", color="success" if d["email_consent"] else "danger")
    header = page_header(d["company"].replace("[", "").replace("]", ""), f"Lead #{d['id']}",
                         html.Div([dbc.Badge(d["status"], color="primary", className="me-2 fs-6", id="lead-status"), consent,
                                   _customer_badge(d.get("customer"))]))
    facts = dbc.Card([dbc.CardHeader("Facts"), dbc.CardBody(html.Table([_fact(l, d.get(k)) for k, l in FACTS],
                                                                        className="table table-sm mb-0"))], className="shadow-sm")
    history = dbc.Card([dbc.CardHeader(f"Activity history ({len(d['activities'])})"), dbc.CardBody(_timeline(d["activities"]))],
                       className="shadow-sm")
    return html.Div([html.A("← All leads", href="/leads", className="d-inline-block mb-2"), header,
                     dbc.Row([dbc.Col(facts, lg=5, className="mb-3"), dbc.Col([history, followups, conversion], lg=7)])])
