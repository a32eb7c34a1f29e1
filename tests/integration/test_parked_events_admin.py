"""Parked events: shown to admins on /admin/events and at GET /api/events/parked, retried or discarded
there (the running relay then applies them, or the events behind them), refused to every other role on
the server, logged to the audit log, and counted in events_parked on /metrics."""
from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import select

from data.held_event_models import HeldEvent
from data.models import Lead
from domain.cloudevents import CloudEvent
from pipelines.held_retry import failure_row
from services.outbox import to_record
from tests.conftest import serving_demo_app, wait_for
from tests.http_helpers import callback_body, post_callback, sign_in
from tests.integration.test_metrics import AUTH, sample

TOKEN = {"Authorization": "Bearer test-token"}
REGISTERED = "com.freshplan.lead.registered.v1"
FAILURE = "LookupError: no user named 'ghost'"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("parked-events"), demo_leads=10) as served:
        yield served


@pytest.fixture(scope="module")
def url(server):
    return server[0].url


@pytest.fixture(scope="module")
def app(server):
    return server[1]


@pytest.fixture(scope="module")
def dependencies(url):
    """The callbacks as the browser learns them (outputs with allow_duplicate carry a suffix)."""
    return sign_in(url, "admin").get(f"{url}/_dash-dependencies").json()


def _registration(tag: str, i: int, at: datetime) -> CloudEvent:
    email = f"{tag}-{i}@parked.example"
    return CloudEvent(id=f"crm-{tag}-{i}", source="/crm", type=REGISTERED, subject=f"crm/{tag}", time=at,
                      data={"company": f"Parkhaus {tag} {i}", "business_type": "HOTEL", "email": email,
                            "registered_at": at.isoformat(), "email_consent": True})


def park(app, consumer: str = "lead-state", waiting: int = 0) -> tuple[list[int], list[str]]:
    """A registration from /crm that `consumer` gave up on after 5 attempts, and `waiting` later events
    of its subject held behind it; returns their seqs and the e-mail each would register."""
    uow, now, tag = app.extensions["cockpit"].uow, datetime.now(timezone.utc), uuid.uuid4().hex[:10]
    events = [_registration(tag, i, now) for i in range(1 + waiting)]
    try:
        raise LookupError("no user named 'ghost'")
    except LookupError as exc:
        error = exc
    with uow() as tx:
        records = [to_record(e, now) for e in events]
        for record in records:
            record.delivered_at = now  # the relay delivered it; only this consumer failed
            tx.events.add(record)
        rows = [failure_row(consumer, records[0], now, error)] + [failure_row(consumer, r, now) for r in records[1:]]
        rows[0].update(attempts=5, parked_at=now - timedelta(minutes=3))
        tx.held_events.hold(rows)
        tx.commit()
    return [r.seq for r in records], [e.data["email"] for e in events]


def held_row(app, consumer: str, seq: int) -> HeldEvent | None:
    with app.extensions["cockpit"].uow.session_factory() as s:
        return s.get(HeldEvent, (consumer, seq))


def lead_exists(app, email: str) -> bool:
    with app.extensions["cockpit"].uow.session_factory() as s:
        return s.scalar(select(Lead.id).where(Lead.email == email)) is not None


def open_page(session, url) -> str:
    return json.dumps(page_content(session, url))


def page_content(session, url):
    body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", "/admin/events"), ("_pages_location", "search", "")])
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return r.json()["response"]["_pages_content"]["children"]


def table_row(tree, seq: int) -> str | None:
    """The rendered row of the parked event `seq`, as JSON text."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("data-seq") == seq:
            return json.dumps(tree)
        tree = list(tree.values())
    if isinstance(tree, list):
        return next(filter(None, (table_row(node, seq) for node in tree)), None)
    return None


def _callback(dependencies, first_output: str) -> dict:
    [cb] = [d for d in dependencies if d["output"].startswith(f"..{first_output}")]
    return cb


def press(session, url, dependencies, action: str, consumer: str, seq: int) -> dict:
    """Post the row button's callback as if Retry or Discard had been pressed."""
    button = {"type": "parked-action", "action": action, "consumer": consumer, "seq": seq}
    cb = _callback(dependencies, "parked-message.children...")
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in cb["output"].strip(".").split("...")]
    body = {"output": cb["output"], "outputs": outputs, "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "state": [], "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return r.json()["response"]


def confirm_discard(session, url, dependencies, consumer: str, seq: int, reason: str) -> dict:
    cb = _callback(dependencies, "parked-message.children@")
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in cb["output"].strip(".").split("...")]
    body = {"output": cb["output"], "outputs": outputs,
            "inputs": [{"id": "parked-discard-confirm", "property": "n_clicks", "value": 1},
                       {"id": "parked-discard-cancel", "property": "n_clicks", "value": None}],
            "state": [{"id": "parked-discard-target", "property": "data", "value": {"consumer": consumer, "seq": seq}},
                      {"id": "parked-discard-reason", "property": "value", "value": reason}],
            "changedPropIds": ["parked-discard-confirm.n_clicks"]}
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return r.json()["response"]


def test_an_admin_sees_the_parked_event_with_its_reason_and_what_waits_behind_it(app, url):
    [seq, _behind], _ = park(app, waiting=1)
    page = page_content(sign_in(url, "admin"), url)
    row = table_row(page, seq)
    assert row is not None and '"data-consumer": "lead-state"' in row and REGISTERED in row and "crm/" in row
    assert FAILURE in row and "where it failed" in row and "test_parked_events_admin.py" in row  # the detail
    assert '"action": "retry"' in row and '"action": "discard"' in row
    assert "Event catalog" in json.dumps(page)


def test_other_roles_get_the_catalog_or_a_refusal_and_their_callbacks_are_refused(app, url, dependencies):
    [seq], _ = park(app)
    analyst = sign_in(url, "analyst")
    page = open_page(analyst, url)
    assert "Event catalog" in page and "parked-list" not in page and "ghost" not in page
    for role in ("manager", "viewer"):
        assert "refusal" in open_page(sign_in(url, role), url)
    for role in ("manager", "analyst", "viewer"):
        session = sign_in(url, role)
        listed = post_callback(session, url, callback_body([("parked-list", "children")],
                                                           [("parked-changed", "data", 1), ("parked-refresh", "n_clicks", None)]))
        assert listed.status_code == 200 and "ghost" not in listed.text and "can't" in listed.text
        assert "can't" in json.dumps(press(session, url, dependencies, "retry", "lead-state", seq))
        assert "can't" in json.dumps(confirm_discard(session, url, dependencies, "lead-state", seq, "because"))
        assert session.get(f"{url}/api/events/parked").status_code == 403
    assert held_row(app, "lead-state", seq).parked_at is not None and held_row(app, "lead-state", seq).discarded_at is None


def test_the_api_lists_parked_events_to_the_token_and_to_a_signed_in_admin(app, url):
    [seq, _behind], _ = park(app, waiting=1)
    listed = requests.get(f"{url}/api/events/parked", headers=TOKEN, timeout=10)
    assert listed.status_code == 200
    [mine] = [p for p in listed.json() if p["seq"] == seq]
    assert mine["consumer"] == "lead-state" and mine["type"] == REGISTERED and mine["source"] == "/crm"
    assert mine["reason"] == FAILURE and mine["attempts"] == 5 and mine["waiting_behind"] == 1
    assert "test_parked_events_admin.py" in mine["detail"] and mine["parked_at"].endswith("+00:00")
    assert any(p["seq"] == seq for p in sign_in(url, "admin").get(f"{url}/api/events/parked").json())


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-token"}])
def test_the_api_without_the_token_is_refused(app, url, headers):
    [seq], _ = park(app)
    assert requests.get(f"{url}/api/events/parked", headers=headers, timeout=10).status_code == 401
    refused = requests.post(f"{url}/api/events/parked/lead-state/{seq}/discard", headers=headers, timeout=10)
    assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"
    assert held_row(app, "lead-state", seq).discarded_at is None


def test_a_retry_clears_parked_at_and_the_running_relay_applies_the_event(app, url):
    [seq], [email] = park(app)
    assert not lead_exists(app, email)
    r = requests.post(f"{url}/api/events/parked/lead-state/{seq}/retry", headers=TOKEN, timeout=10)
    assert r.status_code == 200 and r.json() == {"consumer": "lead-state", "seq": seq, "state": "retrying"}
    assert wait_for(lambda: lead_exists(app, email))
    assert wait_for(lambda: held_row(app, "lead-state", seq) is None)  # applied: the row is gone
    again = requests.post(f"{url}/api/events/parked/lead-state/{seq}/retry", headers=TOKEN, timeout=10)
    assert again.status_code == 404 and again.json()["seq"] == seq


def test_a_discard_is_audited_and_the_held_event_behind_it_flows(app, url, caplog):
    [seq, behind], [parked_email, behind_email] = park(app, waiting=1)
    assert not lead_exists(app, behind_email)  # it waits behind the parked one
    with caplog.at_level(logging.INFO, logger="cockpit.audit"):
        r = requests.post(f"{url}/api/events/parked/lead-state/{seq}/discard", headers=TOKEN,
                          json={"reason": "test lead,\nforged line"}, timeout=10)
    assert r.status_code == 200 and r.json()["state"] == "discarded"
    row = held_row(app, "lead-state", seq)
    assert row.discarded_at is not None and row.discarded_by == "api-token"
    assert wait_for(lambda: lead_exists(app, behind_email)) and not lead_exists(app, parked_email)
    assert wait_for(lambda: held_row(app, "lead-state", behind) is None)
    [line] = [rec.getMessage() for rec in caplog.records if rec.name == "cockpit.audit"]
    assert "discard by user=api-token" in line and f"seq={seq}" in line and "/crm/crm-" in line
    assert "no user named" in line and "'test lead, forged line'" in line and "\n" not in line


def test_unknown_events_get_404_and_bad_consumer_names_400(app, url):
    [seq], _ = park(app)
    base = f"{url}/api/events/parked"
    assert requests.post(f"{base}/lead-state/999999999/retry", headers=TOKEN, timeout=10).status_code == 404
    assert requests.post(f"{base}/conversion/{seq}/discard", headers=TOKEN, timeout=10).status_code == 404
    for name in ("bad%20name", "x" * 61, "l%C3%A9ad"):
        r = requests.post(f"{base}/{name}/{seq}/retry", headers=TOKEN, timeout=10)
        assert r.status_code == 400 and r.json()["title"] == "Invalid request", name
    bad_body = requests.post(f"{base}/lead-state/{seq}/discard", headers={**TOKEN, "Content-Type": "application/json"},
                             data="[1]", timeout=10)
    assert bad_body.status_code == 400
    assert held_row(app, "lead-state", seq).discarded_at is None


def test_a_signed_in_admin_posts_with_the_csrf_token_only(app, url):
    [seq], _ = park(app)
    admin = sign_in(url, "admin")
    assert admin.post(f"{url}/api/events/parked/lead-state/{seq}/discard", json={"reason": "x"}).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', admin.get(f"{url}/account/password").text)[1]
    r = admin.post(f"{url}/api/events/parked/lead-state/{seq}/discard", json={"reason": "x"}, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and held_row(app, "lead-state", seq).discarded_by == "admin"


def test_an_admin_retries_and_discards_from_the_page(app, url, dependencies):
    [retried], [retried_email] = park(app)
    [discarded], _ = park(app)
    admin = sign_in(url, "admin")
    done = press(admin, url, dependencies, "retry", "lead-state", retried)
    assert "Retrying lead-state #" in json.dumps(done) and done["parked-discard-dialog"]["is_open"] is False
    assert wait_for(lambda: lead_exists(app, retried_email))
    opened = press(admin, url, dependencies, "discard", "lead-state", discarded)
    assert opened["parked-discard-dialog"]["is_open"] is True
    assert opened["parked-discard-target"]["data"] == {"consumer": "lead-state", "seq": discarded}
    assert held_row(app, "lead-state", discarded).discarded_at is None  # nothing yet: the dialog asks why
    empty = confirm_discard(admin, url, dependencies, "lead-state", discarded, "  ")
    assert "needs a reason" in json.dumps(empty) and held_row(app, "lead-state", discarded).discarded_at is None
    assert "Discarded" in json.dumps(confirm_discard(admin, url, dependencies, "lead-state", discarded, "duplicate"))
    assert held_row(app, "lead-state", discarded).discarded_by == "admin"
    assert table_row(page_content(admin, url), discarded) is None and table_row(page_content(admin, url), retried) is None


def test_events_parked_counts_per_consumer_on_metrics(app):
    def scraped(consumer: str, name: str = "events_parked") -> float | None:
        response = app.test_client().get("/metrics", headers=AUTH)
        assert response.status_code == 200
        return sample(response.get_data(as_text=True), name, consumer=consumer)

    assert scraped("conversion") == 0  # a known consumer is reported before anything parks
    park(app, consumer="conversion", waiting=2)
    assert scraped("conversion") == 1 and scraped("conversion", "events_held") == 3
    assert scraped("lead-state") is not None
