"""Unsubscribing over HTTP as a recipient (and their mail client) does it: the link's GET only asks,
the form POST and the RFC 8058 one-click POST unsubscribe, a changed token is refused, a repeat is
harmless, and the unsubscribe is one transaction with its activity and event."""
from __future__ import annotations

import re

import pytest
import requests
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlalchemy import func, select

from data.models import Activity, EventRecord, Lead, Suppression
from mailer.unsubscribe import unsubscribe_url
from tests.conftest import make_settings

UNSUBSCRIBED = "com.freshplan.email.unsubscribed.v1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, relay_enabled=False)  # the event is read from the log, not delivered


@pytest.fixture
def db(app):
    return app.extensions["cockpit"].uow.session_factory


@pytest.fixture
def lead(db):
    """A lead that gave consent; its address in another case, as people type it."""
    with db() as s:
        found = s.scalar(select(Lead).where(Lead.email_consent.is_(True)).order_by(Lead.id).limit(1))
        return found.id, found.email


@pytest.fixture
def link(app, live_server, lead):
    return unsubscribe_url(lead[1].upper(), app.config["SECRET_KEY"], live_server.url)


def state(db, lead) -> dict:
    lead_id, email = lead
    with db() as s:
        return {"consent": s.get(Lead, lead_id).email_consent,
                "suppressed": s.scalar(select(Suppression.reason).where(Suppression.email == email.lower())),
                "activities": s.scalar(select(func.count()).select_from(Activity).where(
                    Activity.lead_id == lead_id, Activity.outcome == "UNSUBSCRIBE")),
                "events": s.scalars(select(EventRecord.data).where(EventRecord.type == UNSUBSCRIBED)).all()}


def test_get_shows_a_confirmation_and_changes_nothing(db, lead, link):
    before = state(db, lead)
    page = requests.get(link)
    assert page.status_code == 200 and lead[1].lower() in page.text and 'id="unsubscribe-confirm"' in page.text
    assert "/login" not in page.url  # public: the recipient has no account
    assert state(db, lead) == before and before["consent"] is True and before["suppressed"] is None


def test_the_form_post_unsubscribes_with_activity_and_event(db, lead, link):
    browser = requests.Session()
    token = CSRF.search(browser.get(link).text).group(1)
    form_token = link.split("token=")[1]
    done = browser.post(link.split("?")[0], data={"csrf_token": token, "token": requests.utils.unquote(form_token)})
    assert done.status_code == 200 and 'id="unsubscribe-done"' in done.text
    after = state(db, lead)
    assert after["consent"] is False and after["suppressed"] == "unsubscribe" and after["activities"] == 1
    assert [(e["email"], e["lead_id"], e["via"]) for e in after["events"]] == [(lead[1].lower(), lead[0], "link")]


def test_a_form_post_without_csrf_token_changes_nothing(db, lead, link):
    before = state(db, lead)
    refused = requests.post(link.split("?")[0], data={"token": requests.utils.unquote(link.split("token=")[1])})
    assert refused.status_code == 400 and 'id="unsubscribe-expired"' in refused.text
    assert state(db, lead) == before


def test_one_click_post_unsubscribes_and_a_repeat_is_harmless(db, lead, link):
    first = requests.post(link, data={"List-Unsubscribe": "One-Click"})
    assert first.status_code == 200 and first.json()["changed"] is True
    after = state(db, lead)
    assert after["consent"] is False and after["suppressed"] == "unsubscribe" and after["activities"] == 1
    again = requests.post(link, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and again.json()["changed"] is False
    assert state(db, lead) == after and len(after["events"]) == 1 and after["events"][0]["via"] == "one-click"


def test_one_click_accepts_multipart_as_rfc_8058_allows(db, lead, link):
    sent = requests.post(link, files={"List-Unsubscribe": (None, "One-Click")})
    assert sent.status_code == 200 and state(db, lead)["suppressed"] == "unsubscribe"


def test_a_tampered_token_is_refused_with_400_and_changes_nothing(db, lead, link, app, live_server):
    other = unsubscribe_url("someone@else.example", app.config["SECRET_KEY"], live_server.url)
    forged = link.split("token=")[0] + "token=" + other.split("token=")[1].split(".")[0] + "." + link.split(".")[-1]
    before = state(db, lead)
    for bad in (forged, link[:-3], link.split("?")[0] + "?token=", link.split("?")[0]):
        page = requests.get(bad)
        assert page.status_code == 400 and 'id="unsubscribe-invalid"' in page.text
        click = requests.post(bad, data={"List-Unsubscribe": "One-Click"})
        assert click.status_code == 400
    problem = requests.post(forged, data={"List-Unsubscribe": "One-Click"})
    assert problem.headers["Content-Type"] == "application/problem+json"
    assert state(db, lead) == before


def altered_spellings(token: str) -> list[str]:
    """The same token spelled otherwise: lenient base64 decoding used to accept every one of these."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(token[-1]) ^ 1]
    return [token[:-1] + last, token + "==", token.replace(".", "=."), token[:4] + "!" + token[4:],
            token.swapcase(), token[:-1], " " + token]


def test_an_altered_spelling_of_a_valid_token_is_refused_and_changes_nothing(db, lead, link):
    base, token = link.split("?token=")
    before = state(db, lead)
    for altered in altered_spellings(requests.utils.unquote(token)):
        page = requests.get(base, params={"token": altered})
        assert page.status_code == 400 and 'id="unsubscribe-invalid"' in page.text, altered
        click = requests.post(base, params={"token": altered}, data={"List-Unsubscribe": "One-Click"})
        assert click.status_code == 400 and click.headers["Content-Type"] == "application/problem+json", altered
    assert state(db, lead) == before and before["suppressed"] is None


TOKEN_EDITS = st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["flip", "insert", "delete"]),
                                 st.sampled_from("=-_.!%+/ aAzZ09")), min_size=1, max_size=3)


def edited(token: str, edits) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position, kind, char in edits:
        i = position % (len(token) or 1)
        if kind == "insert":
            token = token[:i] + char + token[i:]
        elif kind == "delete" or token[i:i + 1] not in alphabet or not token:
            token = token[:i] + token[i + 1:]
        else:
            token = token[:i] + alphabet[alphabet.index(token[i]) ^ 1] + token[i + 1:]
    return token


@hypothesis_settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(edits=TOKEN_EDITS)
def test_any_edited_token_is_refused_over_http_and_nothing_is_unsubscribed(db, lead, link, edits):
    base, token = link.split("?token=")
    token = requests.utils.unquote(token)
    altered = edited(token, edits)
    if altered == token:
        return
    one_click = requests.post(base, params={"token": altered}, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 400
    assert requests.get(base, params={"token": altered}).status_code == 400
    assert state(db, lead)["suppressed"] is None
