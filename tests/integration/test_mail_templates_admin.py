"""Template admin as admins and others meet it: the shipped templates, saving a version (refused with
the line when wrong), preview with a sample lead, activation deciding what mail goes out, roles,
and the preview callback over HTTP."""
from __future__ import annotations

import html as html_lib
import time

import pytest
import requests
from sqlalchemy import select

from components import ids
from data.models import EmailTemplate, Lead, User
from domain.followups import STARTER_BOX
from domain.roles import Actor, Forbidden, Role
from mailer.api import render_template
from mailer.templates import TemplateError, TemplateSource, TemplateValidationError
from services import templates as svc
from tests.conftest import make_settings
from tests.http_helpers import callback_body, post_callback, sign_in

VARS = {"contact_name": "Anna", "company": "Linde", "products": ["Starterbox"], "unsubscribe_url": "https://u.example",
        "discount_percent": 15, "min_order_eur": 500}
FOOT = "\n{{ unsubscribe_url }}"


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, relay_enabled=False)


@pytest.fixture
def uow(app):
    return app.extensions["cockpit"].uow


def actor(uow, username: str) -> Actor:
    with uow(write=False) as tx:
        u = tx.session.scalar(select(User).where(User.username == username))
        return Actor(u.id, u.username, Role(u.role), u.team_id)


def rendered(uow, kind: str, locale: str, pick: str, variables=VARS):
    with uow(write=False) as tx:
        return render_template(tx, kind, locale, variables, pick)


def test_every_kind_ships_in_german_and_english_and_seeding_twice_adds_nothing(uow):
    listed = svc.list_templates(uow, actor(uow, "admin"))
    active = {(t.kind, t.locale): t for t in listed if t.active_version is not None}
    assert set(active) == {(k, loc) for k in svc.KINDS for loc in ("de", "en")}
    assert active[("SAMPLE_REQUEST", "en")].variants == "A 50 · B 50" == active[("FOLLOW_UP", "en")].variants
    assert svc.ensure_seed_templates(uow, listed[0].activated_at) == 0


def test_a_wrong_version_is_refused_naming_the_line_and_nothing_is_stored(uow):
    admin = actor(uow, "admin")
    before = svc.versions_of(uow, admin, "bulk-offer-en")
    bad = TemplateSource("Offer", "<p>{{ company }}</p>" + FOOT, "Hello\n\n{{ voucher_code }}" + FOOT, ("company",))
    with pytest.raises(TemplateValidationError) as refused:
        svc.save_version(uow, admin, "bulk-offer-en", "A", 50, bad)
    assert [str(i) for i in refused.value.issues] == ["text line 3: variable 'voucher_code' is used but not declared"]
    assert svc.versions_of(uow, admin, "bulk-offer-en") == before


def test_a_saved_version_goes_out_only_once_activated(uow):
    admin = actor(uow, "admin")
    new = TemplateSource("NEW {{ discount_percent }}% for {{ company }}", "<p>{{ company }}</p>" + FOOT,
                         "{{ company }}: {{ min_order_eur }}" + FOOT, ("company", "discount_percent", "min_order_eur"))
    version = svc.save_version(uow, admin, "bulk-offer-en", "A", 100, new)
    assert version == 2
    picks = [f"lead-{i}:T7" for i in range(40)]
    assert {rendered(uow, "FOLLOW_UP", "en", p).template_version for p in picks} == {1}
    svc.activate_version(uow, admin, "bulk-offer-en", version)
    mails = [rendered(uow, "FOLLOW_UP", "en", p) for p in picks]
    assert {m.template_version for m in mails} == {2}
    chosen = {m.variant: m for m in mails}
    assert set(chosen) == {"A", "B"}  # B was copied into version 2 unchanged
    assert chosen["A"].subject == "NEW 15% for Linde" and chosen["B"].subject.startswith("Your offer")
    assert [m.variant for m in mails] == [rendered(uow, "FOLLOW_UP", "en", p).variant for p in picks]
    assert next(t for t in svc.list_templates(uow, admin) if t.name == "bulk-offer-en").variants == "A 100 · B 50"


def test_render_template_falls_back_to_german_and_names_what_is_missing(uow):
    french = rendered(uow, "SAMPLE_REQUEST", "fr", "x")
    with uow(write=False) as tx:
        assert tx.session.get(EmailTemplate, french.template_id).locale == "de"
    with pytest.raises(TemplateError, match="products"):
        rendered(uow, "SAMPLE_REQUEST", "en", "x", {k: v for k, v in VARS.items() if k != "products"})
    with pytest.raises(TemplateError, match="no active NEWSLETTER"):
        rendered(uow, "NEWSLETTER", "de", "x")


def test_preview_renders_with_a_sample_lead(uow):
    with uow(write=False) as tx:
        company = tx.session.scalar(select(Lead.company).where(Lead.email.is_not(None)).order_by(Lead.id).limit(1))
    source = svc.version_detail(uow, actor(uow, "analyst"), "sample-request-en")[0]
    shown = svc.preview(uow, actor(uow, "analyst"), "sample-request-en",
                        TemplateSource(source.subject, source.html, source.text, source.declared))
    assert html_lib.escape(company, quote=False) in shown.html and STARTER_BOX in shown.text


def test_only_admins_change_templates(uow):
    manager, sales = actor(uow, "manager"), actor(uow, "sales")
    assert svc.list_templates(uow, manager)  # managers may look
    source = TemplateSource("Hi", "<p>x</p>" + FOOT, "x" + FOOT, ())
    with pytest.raises(Forbidden):
        svc.save_version(uow, manager, "welcome-en", "A", 100, source)
    with pytest.raises(Forbidden):
        svc.activate_version(uow, manager, "welcome-en", 1)
    with pytest.raises(Forbidden):
        svc.list_templates(uow, sales)


def registered_outputs(session, base_url: str, triggered_by: str) -> tuple[str, list[dict]]:
    """The output spec Dash registered for a callback (outputs that allow duplicates carry a suffix)."""
    spec = next(d["output"] for d in session.get(f"{base_url}/_dash-dependencies").json()
                if any(i["id"] == triggered_by for i in d["inputs"]))
    parts = [p.rsplit(".", 1) for p in spec.strip(".").split("...")]
    return spec, [{"id": i, "property": p} for i, p in parts]


def registered_call(session, base_url: str, trigger: tuple[str, str, object], state=()) -> requests.Response:
    """Post the callback `trigger` starts, with the outputs Dash registered for it, as the browser does."""
    spec, outputs = registered_outputs(session, base_url, trigger[0])
    body = {**callback_body([(outputs[0]["id"], outputs[0]["property"])], [trigger], list(state)),
            "output": spec, "outputs": outputs if len(outputs) > 1 else outputs[0]}
    return post_callback(session, base_url, body)


def editor_state(name: str, subject: str, body_html: str, text: str, declared: str) -> list[tuple]:
    return [(ids.TEMPLATES_NAME, "value", name), (ids.TEMPLATES_DECLARED, "value", declared),
            (ids.TEMPLATES_SUBJECT, "value", subject), (ids.TEMPLATES_HTML, "value", body_html),
            (ids.TEMPLATES_TEXT, "value", text)]


def preview(session, base_url: str, *editor) -> requests.Response:
    return registered_call(session, base_url, (ids.TEMPLATES_PREVIEW, "n_clicks", 1), editor_state(*editor))


def test_the_preview_callback_over_http(live_server):
    admin, url = sign_in(live_server.url, "admin"), live_server.url
    good = ("welcome-en", "Hi {{ company }}", "<p>Hi {{ contact_name }}</p><script>x()</script>" + FOOT,
            "Hi" + FOOT, "company, contact_name")
    answer = preview(admin, url, *good)
    assert answer.status_code == 200 and ids.TEMPLATES_FRAME in answer.text
    assert '"sandbox":""' in answer.text.replace(" ", "")  # the mail's HTML runs in a sandboxed iframe
    assert answer.json()["response"][ids.TEMPLATES_MESSAGE]["children"] is None  # an earlier save error is cleared
    refused = preview(admin, url, "welcome-en", "Hi", "<p>\n{{ ''.__class__ }}</p>" + FOOT, "Hi" + FOOT, "")
    assert refused.status_code == 200 and "html line 2: access to the internal attribute '__class__'" in refused.text
    assert ids.TEMPLATES_MESSAGE not in refused.json()["response"]
    analyst = sign_in(url, "analyst")
    for bomb in ("<p>{{ '%020000000d' | format(1) }}</p>",
                 "{% for a in range(20000) %}{% for b in range(20000) %}{% endfor %}{% endfor %}"):
        started = time.monotonic()
        answer = preview(analyst, url, "welcome-en", "Hi", bomb + FOOT, "Hi" + FOOT, "")
        assert answer.status_code == 200 and "exceeds a rendering limit" in answer.text and len(answer.content) < 5000
        assert time.monotonic() - started < 5
    sales = preview(sign_in(url, "sales"), url, *good)
    assert "can't open the mail templates" in sales.text and ids.TEMPLATES_FRAME not in sales.text
    spec, outputs = registered_outputs(admin, url, ids.TEMPLATES_PREVIEW)
    anonymous = {**callback_body([(ids.TEMPLATES_ISSUES, "children")], [(ids.TEMPLATES_PREVIEW, "n_clicks", 1)],
                                 editor_state(*good)), "output": spec, "outputs": outputs}
    assert requests.post(f"{url}/_dash-update-component", json=anonymous).status_code == 401


SELECTIONS = [((ids.TEMPLATES_NAME, "value", "welcome-en"), []),
              ((ids.TEMPLATES_VERSION, "value", 1), [(ids.TEMPLATES_NAME, "value", "welcome-en")]),
              ((ids.TEMPLATES_VARIANT, "value", "A"), [(ids.TEMPLATES_NAME, "value", "welcome-en"),
                                                      (ids.TEMPLATES_VERSION, "value", 1)])]


def test_choosing_a_template_version_or_variant_shows_a_refusal_to_roles_without_the_page(live_server):
    url = live_server.url
    for username in ("sales", "viewer"):
        session = sign_in(url, username)
        for trigger, state in SELECTIONS:
            answer = registered_call(session, url, trigger, state)
            assert answer.status_code == 200, (username, trigger, answer.text[:300])
            assert "Not available" in answer.text and "can't open the mail templates" in answer.text
            assert "Welcome" not in answer.text  # nothing of the template itself
    admin = sign_in(url, "admin")
    chosen = registered_call(admin, url, *SELECTIONS[2]).json()["response"]
    assert "unsubscribe_url" in chosen[ids.TEMPLATES_TEXT]["value"] and ids.TEMPLATES_MESSAGE not in chosen


def test_save_and_activate_callbacks_over_http(live_server, uow):
    admin = sign_in(live_server.url, "admin")
    spec, outputs = registered_outputs(admin, live_server.url, ids.TEMPLATES_SAVE)

    def click(button: str, session=admin, version=1, subject="Welcome, {{ company }}!"):
        state = [(ids.TEMPLATES_NAME, "value", "welcome-en"), (ids.TEMPLATES_VERSION, "value", version),
                 (ids.TEMPLATES_VARIANT, "value", "A"), (ids.TEMPLATES_WEIGHT, "value", 100),
                 (ids.TEMPLATES_DECLARED, "value", "company"), (ids.TEMPLATES_SUBJECT, "value", subject),
                 (ids.TEMPLATES_HTML, "value", "<p>Hi</p>" + FOOT), (ids.TEMPLATES_TEXT, "value", "Hi" + FOOT)]
        buttons = [(ids.TEMPLATES_SAVE, "n_clicks", 1), (ids.TEMPLATES_ACTIVATE, "n_clicks", None)]
        body = callback_body([(ids.TEMPLATES_TABLE, "rowData")], buttons, state)
        return post_callback(session, live_server.url, {**body, "output": spec, "outputs": outputs,
                                                       "changedPropIds": [f"{button}.n_clicks"]})

    refused = click(ids.TEMPLATES_SAVE, subject="Hi {{ nope }}")
    assert refused.status_code == 200 and "subject line 1: variable 'nope' is used but not declared" in refused.text
    saved = click(ids.TEMPLATES_SAVE)
    assert saved.status_code == 200 and "Saved welcome-en version 2" in saved.text
    manager = click(ids.TEMPLATES_ACTIVATE, session=sign_in(live_server.url, "manager"), version=2)
    assert "can't change templates" in manager.text
    assert rendered(uow, "WELCOME", "en", "x").template_version == 1
    assert "version 2 is now the active version" in click(ids.TEMPLATES_ACTIVATE, version=2).text
    assert rendered(uow, "WELCOME", "en", "x").subject == "Welcome, Linde!"


@pytest.mark.parametrize("username,sees_list,may_save", [("admin", True, True), ("analyst", True, False),
                                                         ("sales", False, False)])
def test_the_page_lists_templates_for_the_roles_that_may_see_them(live_server, username, sees_list, may_save):
    body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", "/admin/templates"), ("_pages_location", "search", "")])
    page = post_callback(sign_in(live_server.url, username), live_server.url, body)
    assert page.status_code == 200 and ("sample-request-en" in page.text) is sees_list
    if sees_list:
        save = next(c for c in _components(page.json()) if c.get("props", {}).get("id") == ids.TEMPLATES_SAVE)
        assert save["props"]["disabled"] is (not may_save)
    else:
        assert "Not available" in page.text


def _components(node):
    """Every component in a Dash layout answer, depth first."""
    if isinstance(node, dict):
        if "props" in node:
            yield node
        for value in (node.get("props", node)).values():
            yield from _components(value)
    elif isinstance(node, list):
        for item in node:
            yield from _components(item)
