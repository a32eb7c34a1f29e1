"""One lead's whole journey across the modules, over HTTP against the served app: registered -> sample
delivered -> T+3 sent -> positive reply -> converted -> welcome mail; then every place that should
show it does: the event log, the owner's cockpit numbers, the lead page (status, decision trail, the
customer and its linked history) and the Prometheus counters.

Every hour of every day is a business hour, so the journey runs whenever the test does.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
import requests
from sqlalchemy import select

from data.models import Activity, Customer, User
from domain.roles import Actor, Role
from services.analytics_roi import set_assumption
from services.cockpit_live import cockpit_numbers
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, post_callback, sign_in
from tests.integration.test_metrics import ALL_HOURS, AUTH, sample

API = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents+json"}
T = "com.freshplan."
JOURNEY = [T + "lead.registered.v1", T + "lead.sample_delivered.v1", T + "followup.sent.v1", T + "email.sent.v1",
           T + "followup.replied.v1", T + "customer.converted.v1"]
POSITIVE = "Hello, the sample box was excellent and our chef loved it. Please send us an offer, we would like to order."


def wait_for(what: str, check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("journey"), demo_leads=20, **ALL_HOURS) as (live, app):
        deps = app.extensions["cockpit"]
        with deps.uow.session_factory() as s:
            admin = s.scalar(select(User).where(User.username == "admin"))
            admin_actor = Actor(admin.id, admin.username, Role.ADMIN, admin.team_id)
        # This lead is followed up automatically: no share of leads is held out as the ROI's control group.
        set_assumption(deps.uow, admin_actor, "holdout_share", 0.0, deps.clock())
        yield live, app


def event(type_: str, data: dict, subject: str | None = None) -> dict:
    found = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/crm", "type": f"{T}{type_}.v1", "data": data}
    return {**found, "subject": subject} if subject else found


def post_event(url: str, body: dict) -> None:
    r = requests.post(f"{url}/api/events", data=json.dumps(body), headers=API, timeout=30)
    assert r.status_code == 202, r.text


def run_now(url: str) -> str:
    """The admin's "run now" on the Follow-ups page, as the browser posts it; returns the summary."""
    admin = sign_in(url, "admin")
    [cb] = [d for d in admin.get(f"{url}/_dash-dependencies").json()
            if d["output"].startswith("..followups-run-summary.children")]
    changed = cb["output"].split("...")[1].rstrip(".")
    body = {"output": cb["output"], "outputs": [{"id": "followups-run-summary", "property": "children"},
                                                {"id": "followups-changed", "property": changed.split(".", 1)[1]}],
            "inputs": [{"id": "followups-run", "property": "n_clicks", "value": 1}], "state": [],
            "changedPropIds": ["followups-run.n_clicks"]}
    r = post_callback(admin, url, body)
    assert r.status_code == 200, r.text
    return json.dumps(r.json()["response"]["followups-run-summary"]["children"])


def lead_page(url: str, user: str, lead_id: int) -> str:
    body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", f"/leads/{lead_id}"), ("_pages_location", "search", "")])
    r = post_callback(sign_in(url, user), url, body)
    assert r.status_code == 200, r.text
    return json.dumps(r.json()["response"]["_pages_content"]["children"], ensure_ascii=False)


def events_of(url: str, lead_id: int, email: str) -> list[dict]:
    """The lead's events, oldest first. The CRM's registration carries no lead subject (the lead id does
    not exist before the cockpit creates it), so it is found by its address."""
    r = requests.get(f"{url}/api/events", params={"limit": 1000}, headers=API, timeout=30)
    assert r.status_code == 200
    return [e for e in reversed(r.json()) if e.get("subject") == f"lead/{lead_id}"
            or (e["type"] == JOURNEY[0] and (e.get("data") or {}).get("email") == email)]


def mails_to(folder, address: str) -> list:
    found = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in folder.glob("*.eml")]
    return [m for m in found if address in str(m["To"])]


def metrics(url: str) -> str:
    r = requests.get(f"{url}/metrics", headers=AUTH, timeout=30)
    assert r.status_code == 200
    return r.text


def counters(text: str) -> dict[str, float]:
    def value(name, **labels):
        return sample(text, name, **labels) or 0.0
    return {"T3": value("followup_processed_total", step="T3"),
            **{f"{consumer} {'.'.join(t.split('.')[2:4])}": value("events_consumed_total", consumer=consumer, type=t)
               for consumer, t in [("lead-state", JOURNEY[0]), ("lead-state", JOURNEY[1]), ("lead-state", JOURNEY[4]),
                                   ("conversion", JOURNEY[4])]}}


def test_a_lead_walks_from_registration_to_customer_and_every_place_shows_it(served):
    live, app = served
    url, deps, mail_dir = live.url, app.extensions["cockpit"], app.extensions["cockpit"].settings.mail_dir
    run_now(url)  # what the demo data had due goes out first: the journey's run then sends only this lead
    with deps.uow.session_factory() as s:
        owner = s.scalar(select(User).where(User.username == "sales"))
        owners_cockpit = Actor(owner.id, owner.username, Role.SALES, owner.team_id)
    app.extensions["analytics_projection"].catch_up()
    before = cockpit_numbers(deps, owners_cockpit, "today").metrics
    scraped_before = counters(metrics(url))

    # registered (ready to convert: qualified by score, volume, complete contact data, consent) ...
    tag, now = uuid.uuid4().hex[:8], datetime.now(timezone.utc)
    email = f"Anna.Berger.{tag}@Gasthaus-Linde.example"
    delivered = now - timedelta(days=3, hours=1)  # T+3 fell due an hour ago
    post_event(url, event("lead.registered", {
        "company": f"Gasthaus Linde {tag}", "business_type": "RESTAURANT", "registered_at": (delivered - timedelta(days=2)).isoformat(),
        "email": email, "contact_name": "Anna Berger", "city": "Freiburg", "phone": "+49 761 123456", "owner": "sales",
        "email_consent": True, "vat_id": f"DE{tag}", "score": 82, "estimated_volume": 1500}))
    lead_id = wait_for("the relay to create the lead", lambda: _lead_by_email(deps, email))
    # ... its sample delivered ...
    post_event(url, event("lead.sample_delivered", {"lead_id": lead_id, "delivered_at": delivered.isoformat()}, f"lead/{lead_id}"))
    wait_for("the sample delivery to restart the clock", lambda: any(
        e["type"] == JOURNEY[1] for e in events_of(url, lead_id, email)) and _sample_applied(deps, lead_id))
    # ... T+3 goes out in the admin's run and the file provider writes it ...
    assert ": 1 sent, " in run_now(url)
    [t3] = wait_for("the T+3 mail", lambda: mails_to(mail_dir, email))
    assert email in str(t3["To"]) and "List-Unsubscribe" in t3
    # ... the lead answers positively, is converted, and gets its welcome mail.
    post_event(url, event("followup.replied", {"lead_id": lead_id, "replied_at": datetime.now(timezone.utc).isoformat(),
                                               "text": POSITIVE, "step": "T3"}, f"lead/{lead_id}"))
    mails = wait_for("the welcome mail", lambda: (m := mails_to(mail_dir, email)) and len(m) == 2 and m)
    [welcome] = [m for m in mails if str(m["Subject"]) != str(t3["Subject"])]
    assert f"Gasthaus Linde {tag}" in str(welcome["Subject"]) and "Willkommen" in str(welcome["Subject"])  # a German lead

    # The event log tells the journey in order (the welcome and owner mails follow the conversion).
    log = wait_for("the welcome mail's email.sent", lambda: (log := events_of(url, lead_id, email))
                   and [e["type"] for e in log].count(JOURNEY[3]) >= 2 and log)
    journey = [e["type"] for e in log if e["type"] in JOURNEY]
    assert journey[:6] == JOURNEY and set(journey[6:]) == {JOURNEY[3]}, journey
    sent = next(e for e in log if e["type"] == JOURNEY[2])
    assert sent["data"]["step"] == "T3" and next(e for e in log if e["type"] == JOURNEY[5])["data"]["lead_id"] == lead_id

    # The owner's cockpit: one more T+3 sent, one more conversion.
    def cockpit_moved():
        numbers = cockpit_numbers(deps, owners_cockpit, "today").metrics
        return numbers if numbers["conversions"].value == before["conversions"].value + 1 else None
    after = wait_for("the cockpit to count the conversion", cockpit_moved)
    assert after["t3_sent"].value == before["t3_sent"].value + 1
    assert after["replies"].value == before["replies"].value + 1

    # The lead page (the owner's view): CONVERTED, the decision with its rule, the customer and its history.
    page = lead_page(url, "sales", lead_id)
    assert '"children": "CONVERTED"' in page and '"id": "lead-status"' in page
    assert '"CONVERT"' in page and "Positive reply from a well-scored lead (v1)" in page
    with deps.uow.session_factory() as s:
        customer = s.scalar(select(Customer).where(Customer.original_lead_id == lead_id))
        activities = s.scalars(select(Activity).where(Activity.lead_id == lead_id)).all()
    assert (customer.status, customer.onboarding, customer.vat_id) == ("ACTIVE", "PENDING", f"DE{tag}")
    assert sorted(a.type for a in activities) == ["CONVERSION", "FOLLOW_UP", "REPLY", "SAMPLE_SENT"]
    assert {a.customer_id for a in activities} == {customer.id}
    assert f"Customer #{customer.id} · ACTIVE · onboarding PENDING" in page and f"customer #{customer.id}" in page

    # Prometheus: the T+3 step and the events each consumer applied.
    scraped = counters(metrics(url))
    assert scraped["T3"] >= scraped_before["T3"] + 1
    assert {k: scraped[k] - scraped_before[k] for k in scraped if k != "T3"} == {
        "lead-state lead.registered": 1, "lead-state lead.sample_delivered": 1, "lead-state followup.replied": 1,
        "conversion followup.replied": 1}


def _lead_by_email(deps, email: str) -> int | None:
    from data.models import Lead

    with deps.uow.session_factory() as s:
        return s.scalar(select(Lead.id).where(Lead.email == email))


def _sample_applied(deps, lead_id: int) -> bool:
    from data.models import Lead

    with deps.uow.session_factory() as s:
        return s.get(Lead, lead_id).sample_delivered_at is not None
