"""The Follow-ups page and the lead's follow-up section over HTTP, as a browser would post the callbacks.

Scope and role are decided by the server: a sales user who posts "send now" by hand is refused, a
manager's double click queues one mail, and a lead outside the caller's scope is refused.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from data.followup_models import FollowupPause
from data.models import EmailMessage, Lead, User
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, post_callback, sign_in

LIST_OUTPUTS = [("followups-list", "children"), ("followups-paused", "children")]
LEAD_OUTPUTS = [("lead-followups", "children"), ("lead-followups-message", "children"),
                ("lead-followups-pause", "disabled"), ("lead-followups-resume", "disabled")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("followups-page")) as served:
        yield served


@pytest.fixture(scope="module")
def url(server):
    return server[0].url


@pytest.fixture(scope="module")
def db(server):
    return server[1].extensions["cockpit"].uow.session_factory


@pytest.fixture(scope="module")
def dependencies(url):
    """The callbacks as the browser learns them (an output with allow_duplicate carries a suffix)."""
    return sign_in(url, "admin").get(f"{url}/_dash-dependencies").json()


def make_due(db, owner: str, n: int) -> list[int]:
    """`n` new leads of `owner` whose T+3 was due five minutes ago, whatever the day of the week."""
    now = datetime.now(timezone.utc)
    with db() as s:
        s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})  # a writer: wait for the app's writers
        user = s.scalar(select(User).where(User.username == owner))
        leads = [Lead(company=f"Testhaus {owner} {now.timestamp()} {i}", email=f"{owner}-{now.timestamp()}-{i}@x.example",
                      business_type="HOTEL", owner_id=user.id, team_id=user.team_id, email_consent=True,
                      status="ACTIVE", registered_at=now - timedelta(days=9), updated_at=now,
                      next_followup_at=now - timedelta(minutes=5)) for i in range(n)]
        s.add_all(leads)
        s.commit()
        return [lead.id for lead in leads]


def leads_in(payload) -> set[int]:
    """The lead ids of the rows a callback rendered."""
    if isinstance(payload, dict):
        found = {payload["data-lead"]} if "data-lead" in payload else set()
        return found.union(*(leads_in(v) for v in payload.values()))
    if isinstance(payload, list):
        return set().union(*(leads_in(v) for v in payload)) if payload else set()
    return set()


def due_rows(session, url, period="week") -> set[int]:
    body = callback_body(LIST_OUTPUTS, [("followups-period", "value", period), ("followups-changed", "data", None)])
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return leads_in(r.json()["response"]["followups-list"]["children"])


def press(session, url, dependencies, action: str, lead_id: int, step: str = "T3"):
    """Post the Follow-ups page's action callback as if the row's button had been pressed."""
    button = {"type": "followups-action", "action": action, "lead": lead_id, "step": step}
    [cb] = [d for d in dependencies if d["output"].startswith("..followups-message.children")]
    body = {"output": cb["output"], "outputs": [{"id": "followups-message", "property": "children"},
                                                {"id": "followups-changed", "property": "data"}],
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]], "state": [],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return json.dumps(r.json()["response"]["followups-message"]["children"])


def mails_of(db, lead_id: int) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(EmailMessage).where(EmailMessage.lead_id == lead_id))


def owner_of(db, lead_id: int) -> str:
    with db() as s:
        return s.scalar(select(User.username).join(Lead, Lead.owner_id == User.id).where(Lead.id == lead_id))


def test_sales_sees_only_own_due_followups_and_the_manager_the_team(url, db):
    mine, theirs, south = make_due(db, "sales", 3), make_due(db, "sales2", 3), make_due(db, "sales3", 2)
    sales_rows = due_rows(sign_in(url, "sales"), url)
    assert set(mine) <= sales_rows and not sales_rows & set(theirs + south)
    assert {owner_of(db, lead_id) for lead_id in sales_rows} == {"sales"}
    manager_rows = due_rows(sign_in(url, "manager"), url)
    assert set(mine + theirs) <= manager_rows and not manager_rows & set(south)
    assert set(mine + theirs + south) <= due_rows(sign_in(url, "admin"), url)


def test_sales_cannot_send_now_even_by_hand_but_a_manager_sends_once(url, db, dependencies):
    [lead_id] = make_due(db, "sales", 1)
    refused = press(sign_in(url, "sales"), url, dependencies, "send", lead_id)
    assert "only managers and admins" in refused and mails_of(db, lead_id) == 0
    manager = sign_in(url, "manager")
    assert "Sent" in press(manager, url, dependencies, "send", lead_id)
    assert "Already handled" in press(manager, url, dependencies, "send", lead_id)  # the second click
    assert mails_of(db, lead_id) == 1
    assert lead_id not in due_rows(manager, url, "today")


def test_pause_then_resume_changes_the_timeline(url, db):
    [lead_id] = make_due(db, "sales", 1)
    sales = sign_in(url, "sales")

    def click(which):
        inputs = [("lead-followups-pause", "n_clicks", 1 if which == "pause" else None),
                  ("lead-followups-resume", "n_clicks", 1 if which == "resume" else None)]
        body = callback_body(LEAD_OUTPUTS, inputs, [("lead-followups-lead", "data", lead_id)])
        body["changedPropIds"] = [f"lead-followups-{which}.n_clicks"]
        r = post_callback(sales, url, body)
        assert r.status_code == 200, r.text
        return r.json()["response"]

    paused = click("pause")
    assert '"data-status": "paused"' in json.dumps(paused["lead-followups"]["children"])
    assert paused["lead-followups-pause"]["disabled"] is True and lead_id not in due_rows(sales, url)
    resumed = click("resume")
    timeline = json.dumps(resumed["lead-followups"]["children"])
    assert '"data-status": "paused"' not in timeline and '"data-status": "planned"' in timeline
    assert resumed["lead-followups-resume"]["disabled"] is True


def test_admin_run_now_returns_a_summary_and_others_are_refused(url, db, dependencies):
    make_due(db, "sales2", 2)
    [cb] = [d for d in dependencies if d["output"].startswith("..followups-run-summary.children")]
    changed = cb["output"].split("...")[1].rstrip(".")
    body = {"output": cb["output"], "outputs": [{"id": "followups-run-summary", "property": "children"},
                                                {"id": "followups-changed", "property": changed.split(".", 1)[1]}],
            "inputs": [{"id": "followups-run", "property": "n_clicks", "value": 1}], "state": [],
            "changedPropIds": ["followups-run.n_clicks"]}
    r = post_callback(sign_in(url, "admin"), url, body)
    summary = json.dumps(r.json()["response"]["followups-run-summary"]["children"])
    assert r.status_code == 200 and "Run " in summary and " sent, " in summary and " s" in summary
    refused = post_callback(sign_in(url, "manager"), url, body).json()["response"]["followups-run-summary"]
    assert "only admins" in json.dumps(refused)


def test_a_lead_outside_the_callers_scope_is_refused(url, db, dependencies):
    [other] = make_due(db, "sales2", 1)
    [south] = make_due(db, "sales3", 1)
    assert "not found" in press(sign_in(url, "sales"), url, dependencies, "pause", other)
    assert "not found" in press(sign_in(url, "manager"), url, dependencies, "send", south)
    with db() as s:
        assert s.get(FollowupPause, other) is None
    assert mails_of(db, south) == 0
    assert "may not change" in press(sign_in(url, "analyst"), url, dependencies, "pause", other)  # read-only


def open_page(session, url, path):
    body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", path), ("_pages_location", "search", "")])
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return json.dumps(r.json()["response"]["_pages_content"]["children"])


def test_pages_show_the_run_button_to_admins_only_and_the_lead_timeline(url, db, dependencies):
    assert '"id": "followups-run"' in open_page(sign_in(url, "admin"), url, "/followups")
    manager_page = open_page(sign_in(url, "manager"), url, "/followups")
    assert "followups-list" in manager_page and '"id": "followups-run"' not in manager_page
    assert "refusal" in open_page(sign_in(url, "viewer"), url, "/followups")
    [lead_id] = make_due(db, "sales", 1)
    press(sign_in(url, "manager"), url, dependencies, "send", lead_id)
    detail = open_page(sign_in(url, "sales"), url, f"/leads/{lead_id}")
    assert '"data-status": "sent"' in detail and "SAMPLE_REQUEST" in detail and '"data-status": "planned"' in detail


def test_a_forged_action_gets_a_message_not_a_server_error(url, db, dependencies):
    [lead_id] = make_due(db, "sales", 1)
    manager = sign_in(url, "manager")
    assert "unknown follow-up action" in press(manager, url, dependencies, "delete", lead_id)
    assert "not found" in press(manager, url, dependencies, "pause", 10**9)
    assert mails_of(db, lead_id) == 0
