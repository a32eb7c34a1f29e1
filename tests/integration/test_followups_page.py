"""The Follow-ups page and the lead's follow-up section over HTTP, as a browser would post the callbacks.

The grid asks for its rows page by page; the numbers the page shows are checked against counts made
here with plain SQL. Scope and role are decided by the server: a sales user who selects someone else's
lead skips it, a sales user who posts "send now" by hand is refused, a manager's double click queues one
mail. Hostile values: test_followups_page_fuzz.py.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from data.followup_models import FollowupPause
from data.models import EmailMessage, Lead, User
from services.followups import period_end
from tests.http_helpers import callback_body, post_callback
from tests.integration.followups_page_support import (  # noqa: F401 - fixtures
    BUTTONS, FILTERS, db, dependencies, fire, server, sessions, signed_in, url)

LEAD_OUTPUTS = [("lead-followups", "children"), ("lead-followups-message", "children"),
                ("lead-followups-pause", "disabled"), ("lead-followups-resume", "disabled")]


def rows(session, url, dependencies, start=0, end=50, sort=None, **filters):
    """(rowData, rowCount, summary counts or None) of one page of the grid."""
    request = {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": {}}
    values = {**FILTERS, **{f"followups-{k}.value": v for k, v in filters.items()}, "followups-grid.getRowsRequest": request}
    r = fire(session, url, dependencies, "followups-grid.getRowsResponse", values, "followups-grid.getRowsRequest")
    assert r.status_code == 200, r.text
    answer = r.json()["response"]
    summary = answer.get("followups-summary", {}).get("children")
    counts = {m[0]: int(m[1].replace(",", "")) for m in _counts(summary)} if summary else None
    return answer["followups-grid"]["getRowsResponse"]["rowData"], answer["followups-grid"]["getRowsResponse"]["rowCount"], counts


def _counts(node):
    if isinstance(node, dict):
        props = node.get("props", node)
        if "data-count" in props:
            yield props["data-count"], props["children"]
        yield from _counts(props.get("children"))
    elif isinstance(node, list):
        for item in node:
            yield from _counts(item)


def act(session, url, dependencies, action: str, selected: list[dict]) -> str:
    values = {f"{BUTTONS[action]}.n_clicks": 1, "followups-grid.selectedRows": selected}
    r = fire(session, url, dependencies, "followups-message.children", values, f"{BUTTONS[action]}.n_clicks")
    assert r.status_code == 200, r.text
    return json.dumps(r.json()["response"]["followups-message"]["children"])


def make_due(db, owner: str, n: int, minutes: int = -5) -> list[int]:
    """`n` new leads of `owner` whose T+3 is due `minutes` from now (five minutes ago by default)."""
    now = datetime.now(timezone.utc)
    with db() as s:
        s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})  # a writer: wait for the app's writers
        user = s.scalar(select(User).where(User.username == owner))
        leads = [Lead(company=f"Testhaus {owner} {now.timestamp()} {i}", email=f"{owner}-{now.timestamp()}-{i}@x.example",
                      business_type="HOTEL", owner_id=user.id, team_id=user.team_id, email_consent=True,
                      status="ACTIVE", registered_at=now - timedelta(days=9), updated_at=now,
                      next_followup_at=now + timedelta(minutes=minutes)) for i in range(n)]
        s.add_all(leads)
        s.commit()
        return [lead.id for lead in leads]


def count_in_db(db, owner: str | None = None, window_end=None, overdue=False) -> dict:
    """The week list's numbers, counted with plain SQL: planned and not paused (and, for `overdue`, due now)."""
    paused = select(FollowupPause.lead_id)
    stmt = select(func.count()).select_from(Lead).where(Lead.next_followup_at.is_not(None), Lead.id.not_in(paused))
    if owner:
        stmt = stmt.where(Lead.owner_id == select(User.id).where(User.username == owner).scalar_subquery())
    if window_end is not None:
        stmt = stmt.where(Lead.next_followup_at < window_end)
    if overdue:
        stmt = stmt.where(Lead.next_followup_at <= datetime.now(timezone.utc))
    with db() as s:
        return s.scalar(stmt)


def mails_of(db, lead_id: int) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(EmailMessage).where(EmailMessage.lead_id == lead_id))


def paused_ids(db) -> set[int]:
    with db() as s:
        return set(s.scalars(select(FollowupPause.lead_id)))


def pick(lead_id: int, step="T3") -> dict:
    return {"lead_id": lead_id, "step": step, "company_link": "[x](/leads/1)"}


def test_the_week_list_and_its_numbers_match_a_count_of_the_database(url, db, dependencies, sessions):
    admin = signed_in(sessions, url, "admin")
    end = period_end("week", datetime.now(timezone.utc))
    before_overdue = count_in_db(db, window_end=end, overdue=True)
    data, row_count, counts = rows(admin, url, dependencies, 0, 50)
    after_overdue = count_in_db(db, window_end=end, overdue=True)
    assert counts["total"] == row_count == count_in_db(db, window_end=end) and counts["paused"] == 0
    assert before_overdue <= counts["overdue"] <= after_overdue and counts["total"] >= counts["overdue"]
    assert len(data) == min(50, row_count)
    assert [r["due_at"] for r in data] == sorted(r["due_at"] for r in data)
    second, _, _ = rows(admin, url, dependencies, 50, 100)
    assert not {r["lead_id"] for r in data} & {r["lead_id"] for r in second}
    sales = signed_in(sessions, url, "sales")
    _, sales_count, sales_counts = rows(sales, url, dependencies, 0, 50, window="all")
    assert sales_counts["total"] == sales_count == count_in_db(db, owner="sales")


def test_sales_sees_only_own_due_followups_and_the_manager_the_team(url, db, dependencies, sessions):
    mine, theirs, south = make_due(db, "sales", 3), make_due(db, "sales2", 3), make_due(db, "sales3", 2)

    def ids(who):
        data, _, _ = rows(signed_in(sessions, url, who), url, dependencies, 0, 200, search="Testhaus", window="overdue")
        return {r["lead_id"] for r in data}
    assert set(mine) <= ids("sales") and not ids("sales") & set(theirs + south)
    assert set(mine + theirs) <= ids("manager") and not ids("manager") & set(south)
    assert set(mine + theirs + south) <= ids("admin")


def test_a_sales_user_pauses_own_leads_and_skips_the_others(url, db, dependencies, sessions):
    mine, theirs = make_due(db, "sales", 4), make_due(db, "sales2", 2)
    sales = signed_in(sessions, url, "sales")
    said = act(sales, url, dependencies, "pause", [pick(i) for i in mine + theirs])
    assert "4 paused, 2 skipped (2 not in your scope)" in said
    assert set(mine) <= paused_ids(db) and not set(theirs) & paused_ids(db)
    data, _, counts = rows(sales, url, dependencies, 0, 200, state="paused", window="all")
    assert set(mine) <= {r["lead_id"] for r in data} and counts["paused"] == counts["total"] == len(data)
    assert "4 resumed, 0 skipped" in act(sales, url, dependencies, "resume", [pick(i) for i in mine])
    assert not set(mine) & paused_ids(db)


def test_sales_cannot_send_now_even_by_hand_but_a_manager_sends_once(url, db, dependencies, sessions):
    [lead_id] = make_due(db, "sales", 1)
    refused = act(signed_in(sessions, url, "sales"), url, dependencies, "send", [pick(lead_id)])
    assert "can't send a follow-up now" in refused and mails_of(db, lead_id) == 0
    manager = signed_in(sessions, url, "manager")
    assert "1 sent, 0 skipped" in act(manager, url, dependencies, "send", [pick(lead_id)])
    assert "0 sent, 1 skipped (1 already handled)" in act(manager, url, dependencies, "send", [pick(lead_id)])
    assert mails_of(db, lead_id) == 1


def test_readers_are_refused_and_nothing_changes(url, db, dependencies, sessions):
    [lead_id] = make_due(db, "sales", 1)
    assert "can't change follow-ups" in act(signed_in(sessions, url, "analyst"), url, dependencies, "pause", [pick(lead_id)])
    assert lead_id not in paused_ids(db)
    viewer = signed_in(sessions, url, "viewer")
    values = {**FILTERS, "followups-grid.getRowsRequest": {"startRow": 0, "endRow": 50}}
    r = fire(viewer, url, dependencies, "followups-grid.getRowsResponse", values, "followups-grid.getRowsRequest")
    assert r.status_code == 403
    r = fire(viewer, url, dependencies, "followups-message.children",
             {"followups-pause.n_clicks": 1, "followups-grid.selectedRows": [pick(lead_id)]}, "followups-pause.n_clicks")
    assert r.status_code == 200 and "can't" in r.text and lead_id not in paused_ids(db)


def test_the_csv_holds_the_filtered_list_in_the_callers_scope(url, db, dependencies, sessions):
    for who, owner in (("admin", None), ("sales", "sales")):
        values = {**FILTERS, "followups-window.value": "all", "followups-export.n_clicks": 1}
        r = fire(signed_in(sessions, url, who), url, dependencies, "followups-download.data", values, "followups-export.n_clicks")
        assert r.status_code == 200, r.text
        download = r.json()["response"]["followups-download"]["data"]
        lines = list(csv.DictReader(io.StringIO(download["content"])))
        assert download["filename"] == "followups-all.csv" and len(lines) == count_in_db(db, owner=owner)
        if owner:
            with db() as s:
                name = s.scalar(select(User.display_name).where(User.username == owner))
            assert {line["owner"] for line in lines} == {name}


def test_admin_run_now_returns_a_summary_and_others_are_refused(url, db, dependencies, sessions):
    make_due(db, "sales2", 2)
    values = {"followups-run.n_clicks": 1}
    r = fire(signed_in(sessions, url, "admin"), url, dependencies, "followups-run-summary.children", values, "followups-run.n_clicks")
    summary = json.dumps(r.json()["response"]["followups-run-summary"]["children"])
    assert r.status_code == 200 and "Run " in summary and " sent, " in summary and " s" in summary
    r = fire(signed_in(sessions, url, "manager"), url, dependencies, "followups-run-summary.children", values, "followups-run.n_clicks")
    assert "can't start a follow-up run" in json.dumps(r.json()["response"]["followups-run-summary"])


def open_page(session, url, path):
    body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", path), ("_pages_location", "search", "")])
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return json.dumps(r.json()["response"]["_pages_content"]["children"])


def test_pages_show_what_each_role_may_use_and_the_lead_timeline(url, db, dependencies, sessions):
    admin_page = open_page(signed_in(sessions, url, "admin"), url, "/followups")
    assert '"id": "followups-run"' in admin_page and '"rowModelType": "infinite"' in admin_page
    manager_page = open_page(signed_in(sessions, url, "manager"), url, "/followups")
    assert "followups-grid" in manager_page and '"id": "followups-run"' not in manager_page
    analyst_page = json.loads(open_page(signed_in(sessions, url, "analyst"), url, "/followups"))
    hidden = {n["props"]["id"] for n in _nodes(analyst_page) if "d-none" in str(n.get("props", {}).get("className"))}
    assert {"followups-pause", "followups-resume", "followups-send"} <= hidden and "followups-export" not in hidden
    assert "refusal" in open_page(signed_in(sessions, url, "viewer"), url, "/followups")
    [lead_id] = make_due(db, "sales", 1)
    act(signed_in(sessions, url, "manager"), url, dependencies, "send", [pick(lead_id)])
    detail = open_page(signed_in(sessions, url, "sales"), url, f"/leads/{lead_id}")
    assert '"data-status": "sent"' in detail and "SAMPLE_REQUEST" in detail and '"data-status": "planned"' in detail


def _nodes(node):
    if isinstance(node, dict):
        if "props" in node:
            yield node
            yield from _nodes(node["props"].get("children"))
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def test_pause_then_resume_on_the_lead_page_changes_the_timeline(url, db, sessions):
    [lead_id] = make_due(db, "sales", 1)
    sales = signed_in(sessions, url, "sales")

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
    assert paused["lead-followups-pause"]["disabled"] is True and lead_id in paused_ids(db)
    resumed = click("resume")
    timeline = json.dumps(resumed["lead-followups"]["children"])
    assert '"data-status": "paused"' not in timeline and '"data-status": "planned"' in timeline
