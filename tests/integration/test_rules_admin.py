"""The rules admin and the conversion pages over HTTP, as their users meet them: a wrong rule is refused
with its position and nothing is stored, only admins save, a dry run changes nothing, a person labels
an unsure reply (which then converts), a manager undoes a conversion, and an owner logs a reply."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from components import ids
from data.conversion_models import ConversionDecision, ReplyReview
from data.models import Activity, Customer, Lead, User
from tests.conftest import serving_demo_app, wait_for
from tests.http_helpers import callback_body, post_callback, sign_in

RULE_STATES = (ids.RULES_ID, ids.RULES_NAME, ids.RULES_EXPRESSION, ids.RULES_DECISION, ids.RULES_PRIORITY,
               ids.RULES_ENABLED, ids.RULES_DESCRIPTION)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("rules"), demo_leads=20) as (live, app):
        yield live, app


@pytest.fixture
def url(server):
    return server[0].url


@pytest.fixture
def uow(server):
    return server[1].extensions["cockpit"].uow


def ready_lead(uow) -> int:
    now, tag = datetime.now(timezone.utc), uuid.uuid4().hex[:8]
    with uow() as tx:
        owner = tx.users.by_username("sales")
        lead = Lead(company=f"Hotel {tag}", contact_name="Ben", email=f"{tag}@hotel.example", business_type="HOTEL",
                    city=f"Ort {tag}", owner_id=owner.id, team_id=owner.team_id, email_consent=True, score=85,
                    estimated_volume=3000, status="ACTIVE", registered_at=now - timedelta(days=9), updated_at=now)
        tx.session.add(lead)
        tx.session.flush()
        tx.session.add(Activity(lead_id=lead.id, type="MEETING", occurred_at=now - timedelta(days=2), details={}))
        tx.commit()
        return lead.id


def conversions_call(session, url, trigger: tuple[str, str, object], state=()) -> dict:
    """A Conversions page callback as the browser posts it: the outputs Dash registered for the callback
    `trigger` starts (outputs that allow duplicates carry a suffix), the page's values as state."""
    spec = next(d for d in session.get(f"{url}/_dash-dependencies").json()
                if any(i["id"] == trigger[0] and i["property"] == trigger[1] for i in d["inputs"]))
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1))) for p in spec["output"].strip(".").split("...")]
    given = {(i, p): v for i, p, v in [trigger, *state]}
    body = {"output": spec["output"], "outputs": outputs, "changedPropIds": [f"{trigger[0]}.{trigger[1]}"],
            "inputs": [{**i, "value": given.get((i["id"], i["property"]))} for i in spec["inputs"]],
            "state": [{**i, "value": given.get((i["id"], i["property"]))} for i in spec["state"]]}
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text[:300]
    return r.json()["response"]


def decision_rows(session, url, lead_id: int) -> list[dict]:
    """The lead's rows in the Conversions page's decisions grid (every group)."""
    grid = conversions_call(session, url, (ids.CONVERSIONS_DECISIONS, "getRowsRequest", {"startRow": 0, "endRow": 200}))
    return [r for r in grid[ids.CONVERSIONS_DECISIONS]["getRowsResponse"]["rowData"] if r["lead_id"] == lead_id]


def review_of(uow, lead_id: int) -> int | None:
    with uow(write=False) as tx:
        return tx.session.scalar(select(ReplyReview.id).where(ReplyReview.lead_id == lead_id))


def save(session, url, expression, rule_id=None, name="Big hotels", decision="REVIEW"):
    body = callback_body([(ids.RULES_TABLE, "rowData"), (ids.RULES_MESSAGE, "children")], [(ids.RULES_SAVE, "n_clicks", 1)],
                         list(zip(RULE_STATES, ["value"] * 7, [rule_id, name, expression, decision, 20, "off", ""])))
    r = post_callback(session, url, body)
    assert r.status_code == 200
    return json.dumps(r.json()["response"][ids.RULES_MESSAGE])


def rules(uow) -> list[tuple]:
    with uow(write=False) as tx:
        return [(r.id, r.name, r.expression, r.version) for r in tx.conversions.rules()]


def test_a_wrong_rule_is_refused_with_its_position_and_nothing_is_stored(url, uow):
    admin, before = sign_in(url, "admin"), rules(uow)
    message = save(admin, url, 'reply.label == "POSITIVE" and\\n lead.scor >= 60'.replace("\\n", "\n"))
    assert "line 2, column 7: unknown field 'scor' (did you mean 'score'?)" in message
    assert "line 1, column 14: the expression ends too early" in save(admin, url, "lead.score >= ")
    assert rules(uow) == before


def test_an_admin_saves_and_each_edit_is_a_new_version(url, uow):
    admin = sign_in(url, "admin")
    assert "Saved as version 1" in save(admin, url, "lead.estimated_volume >= 20000", name="Very big orders")
    [(rule_id, *_rest, version)] = [r for r in rules(uow) if r[1] == "Very big orders"]
    assert "Saved as version 2" in save(admin, url, "lead.estimated_volume >= 25000", rule_id=rule_id, name="Very big orders")
    assert [r for r in rules(uow) if r[0] == rule_id] == [(rule_id, "Very big orders", "lead.estimated_volume >= 25000", 2)]


@pytest.mark.parametrize("username,refusal", [("sales", "can't open the conversion rules"),
                                              ("manager", "can't change rules")])
def test_sales_and_managers_cannot_change_rules_the_server_refuses(url, uow, username, refusal):
    before = rules(uow)
    message = save(sign_in(url, username), url, "lead.score >= 0", rule_id=before[0][0], name=before[0][1])
    assert refusal in message and rules(uow) == before


def test_a_dry_run_shows_the_decision_and_why_and_changes_nothing(url, uow):
    lead_id = ready_lead(uow)
    body = callback_body([(ids.RULES_DRY_RESULT, "children")], [(ids.RULES_DRY_RUN, "n_clicks", 1)],
                         [(ids.RULES_EXPRESSION, "value", "lead.score >= 80"), (ids.RULES_DECISION, "value", "REJECT"),
                          (ids.RULES_DRY_LEADS, "value", str(lead_id))])
    result = json.dumps(post_callback(sign_in(url, "manager"), url, body).json())
    assert "REJECT" in result and "CONVERT" in result and "Positive reply from a well-scored lead" in result
    with uow(write=False) as tx:
        assert tx.conversions.decisions_of(lead_id) == [] and tx.leads.find(lead_id).status == "ACTIVE"


def test_an_owner_logs_an_unsure_reply_a_manager_labels_it_and_then_undoes_the_conversion(url, uow):
    lead_id = ready_lead(uow)
    sales, manager = sign_in(url, "sales"), sign_in(url, "manager")
    body = callback_body([(ids.LEAD_REPLY_MESSAGE, "children")], [(ids.LEAD_REPLY_SAVE, "n_clicks", 1)],
                         [(ids.LEAD_REPLY_LEAD, "data", lead_id), (ids.LEAD_REPLY_TEXT, "value", "Rückruf morgen, siehe Anhang."),
                          (ids.LEAD_REPLY_LABEL, "value", None)])
    assert "waits for a person" in json.dumps(post_callback(sales, url, body).json())
    assert wait_for(lambda: review_of(uow, lead_id) is not None), "the unsure reply did not reach the review queue"
    review_id = review_of(uow, lead_id)
    labelled = conversions_call(manager, url, (ids.CONVERSIONS_REVIEW_SAVE, "n_clicks", 1),
                                [(ids.CONVERSIONS_REVIEWS, "selectedRows", [{"id": review_id, "lead_id": lead_id}]),
                                 (ids.CONVERSIONS_REVIEW_LABEL, "value", "POSITIVE")])
    assert f"Reply #{review_id} labelled POSITIVE" in json.dumps(labelled[ids.CONVERSIONS_MESSAGE])
    assert review_id not in [r["id"] for r in labelled[ids.CONVERSIONS_REVIEWS]["rowData"]]
    [row] = decision_rows(manager, url, lead_id)
    assert (row["decision"], row["action"], row["times"]) == ("CONVERT", "Undo", 1)
    assert decision_rows(sales, url, lead_id)[0]["action"] == ""  # sales see the row, not the button
    click = (ids.CONVERSIONS_DECISIONS, "cellClicked", {"colId": "action", "rowId": str(row["id"]), "rowIndex": 0})
    refused = conversions_call(sales, url, click)
    assert refused[ids.CONVERSIONS_CONFIRM]["is_open"] is False
    assert "can't convert a lead or undo a conversion by hand" in json.dumps(refused[ids.CONVERSIONS_MESSAGE])
    asked = conversions_call(manager, url, click)
    target = asked[ids.CONVERSIONS_TARGET]["data"]
    assert asked[ids.CONVERSIONS_CONFIRM]["is_open"]
    assert target == {"lead_id": lead_id, "company": row["company"], "action": "undo"}
    confirm = (ids.CONVERSIONS_CONFIRM_OK, "n_clicks", 1)
    forged = conversions_call(sales, url, confirm, [(ids.CONVERSIONS_TARGET, "data", target)])
    assert "can't convert a lead or undo a conversion by hand" in json.dumps(forged[ids.CONVERSIONS_MESSAGE])
    undone = conversions_call(manager, url, confirm, [(ids.CONVERSIONS_TARGET, "data", target)])
    assert "undone" in json.dumps(undone[ids.CONVERSIONS_MESSAGE])
    with uow(write=False) as tx:
        s = tx.session
        assert s.get(Lead, lead_id).status == "QUALIFIED"
        assert s.scalar(select(Customer).where(Customer.original_lead_id == lead_id)) is None
        trail = [d.decision for d in tx.conversions.decisions_of(lead_id)]
        assert trail == ["UNDO", "CONVERT"]
        by = s.scalar(select(ConversionDecision.decided_by).where(ConversionDecision.decision == "UNDO",
                                                                   ConversionDecision.lead_id == lead_id))
        assert s.get(User, by).username == "manager"


def load_rule_call(session, url, rule_id):
    """The editor's load callback as the browser posts it (its message output carries a duplicate suffix)."""
    spec = next(d["output"] for d in session.get(f"{url}/_dash-dependencies").json()
                if [i["id"] for i in d["inputs"]] == [ids.RULES_ID])
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1))) for p in spec.strip(".").split("...")]
    body = callback_body([(ids.RULES_NAME, "value")], [(ids.RULES_ID, "value", rule_id)])
    return post_callback(session, url, {**body, "output": spec, "outputs": outputs})


@pytest.mark.parametrize("username", ["sales", "viewer"])
def test_loading_a_rule_shows_a_refusal_to_roles_without_the_page(url, uow, username):
    rule_id, name, expression, _version = rules(uow)[0]
    answer = load_rule_call(sign_in(url, username), url, rule_id)
    assert answer.status_code == 200 and "Not available" in answer.text and "can't open the conversion rules" in answer.text
    assert expression not in answer.text and name not in answer.text
    loaded = load_rule_call(sign_in(url, "manager"), url, rule_id).json()["response"]
    assert loaded[ids.RULES_EXPRESSION]["value"] == expression and ids.RULES_MESSAGE not in loaded


def unsure_reply(url, uow, lead_id: int) -> int:
    """The owner logs a reply the classifier is unsure of; returns the review it waits in."""
    body = callback_body([(ids.LEAD_REPLY_MESSAGE, "children")], [(ids.LEAD_REPLY_SAVE, "n_clicks", 1)],
                         [(ids.LEAD_REPLY_LEAD, "data", lead_id), (ids.LEAD_REPLY_TEXT, "value", "Rückruf morgen, siehe Anhang."),
                          (ids.LEAD_REPLY_LABEL, "value", None)])
    assert "waits for a person" in json.dumps(post_callback(sign_in(url, "sales"), url, body).json())
    assert wait_for(lambda: review_of(uow, lead_id) is not None), "the unsure reply did not reach the review queue"
    return review_of(uow, lead_id)


def test_a_manager_labels_several_replies_at_once_and_one_labelled_meanwhile_is_skipped(url, uow):
    leads = [ready_lead(uow) for _ in range(3)]
    reviews = [unsure_reply(url, uow, lead_id) for lead_id in leads]
    manager, save = sign_in(url, "manager"), (ids.CONVERSIONS_REVIEW_SAVE, "n_clicks", 1)
    first = conversions_call(manager, url, save, [(ids.CONVERSIONS_REVIEWS, "selectedRows", [{"id": reviews[2]}]),
                                                  (ids.CONVERSIONS_REVIEW_LABEL, "value", "NEGATIVE")])
    assert f"Reply #{reviews[2]} labelled NEGATIVE." in json.dumps(first[ids.CONVERSIONS_MESSAGE])
    chosen = [{"id": review_id, "lead_id": lead_id} for review_id, lead_id in zip(reviews, leads)]
    labelled = conversions_call(manager, url, save, [(ids.CONVERSIONS_REVIEWS, "selectedRows", chosen),
                                                     (ids.CONVERSIONS_REVIEW_LABEL, "value", "NEGATIVE")])
    message = json.dumps(labelled[ids.CONVERSIONS_MESSAGE])
    assert f"2 replies labelled NEGATIVE. 1 skipped: review {reviews[2]} was labelled already." in message
    assert not set(reviews) & {r["id"] for r in labelled[ids.CONVERSIONS_REVIEWS]["rowData"]}
    with uow(write=False) as tx:
        s = tx.session
        assert dict(s.execute(select(ReplyReview.id, ReplyReview.label).where(ReplyReview.id.in_(reviews))).all()) \
            == dict.fromkeys(reviews, "NEGATIVE")
        replies = s.execute(select(Activity.lead_id, Activity.outcome)
                            .where(Activity.type == "REPLY", Activity.lead_id.in_(leads))).all()
    assert sorted(replies) == sorted((lead_id, "NEGATIVE") for lead_id in leads), "each lead's reply labelled once"


def test_an_analyst_may_not_label_replies_and_nothing_is_labelled(url, uow):
    review_id = unsure_reply(url, uow, ready_lead(uow))
    refused = conversions_call(sign_in(url, "analyst"), url, (ids.CONVERSIONS_REVIEW_SAVE, "n_clicks", 1),
                               [(ids.CONVERSIONS_REVIEWS, "selectedRows", [{"id": review_id}]),
                                (ids.CONVERSIONS_REVIEW_LABEL, "value", "POSITIVE")])
    assert "label replies" in json.dumps(refused[ids.CONVERSIONS_MESSAGE])
    with uow(write=False) as tx:
        assert tx.session.get(ReplyReview, review_id).label is None
