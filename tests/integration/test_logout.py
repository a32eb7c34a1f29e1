"""Sign-out is a POST carrying the CSRF token: a cross-site GET (an <img src=".../logout">) must not
end anybody's session."""
from __future__ import annotations

from sqlalchemy import func, select

from data.models import AuthSession, User
from tests.http_helpers import CSRF


def signed_in_client(app, username: str = "manager"):
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    r = client.post("/login", data={"username": username, "password": "demo", "csrf_token": token})
    assert r.status_code == 302
    return client


def still_signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def session_rows(app, username: str = "manager") -> int:
    with app.extensions["cockpit"].uow.session_factory() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        return s.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user_id))


def find(node, wanted_id: str, parent=None):
    """The Dash component with id `wanted_id` in a serialised layout, and the component around it."""
    if isinstance(node, list):
        for child in node:
            found = find(child, wanted_id, parent)
            if found:
                return found
    elif isinstance(node, dict) and "props" in node:
        if node["props"].get("id") == wanted_id:
            return node, parent
        return find(node["props"].get("children"), wanted_id, node)
    return None


def test_get_logout_asks_with_a_form_and_keeps_the_session(app):
    client = signed_in_client(app)
    page = client.get("/logout")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'method="post" action="/logout"' in html and CSRF.search(html)
    assert still_signed_in(client) and session_rows(app) == 1


def test_post_logout_without_token_is_refused_and_keeps_the_session(app):
    client = signed_in_client(app)
    refused = client.post("/logout")
    assert refused.status_code == 400
    assert still_signed_in(client) and session_rows(app) == 1


def test_post_logout_with_token_ends_the_session_row(app):
    client = signed_in_client(app)
    token = CSRF.search(client.get("/logout").get_data(as_text=True)).group(1)
    done = client.post("/logout", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert session_rows(app) == 0 and not still_signed_in(client)


def test_navbar_signs_out_through_a_form_with_the_token(app):
    client = signed_in_client(app)
    layout = client.get("/_dash-layout").get_json()
    button, form = find(layout, "nav-logout")
    assert button["type"] == "Button" and button["props"]["type"] == "submit"
    assert form["type"] == "Form" and form["props"]["method"] == "POST" and form["props"]["action"] == "/logout"
    hidden = [c["props"] for c in form["props"]["children"] if c["type"] == "Input"]
    assert [(h["type"], h["name"]) for h in hidden] == [("hidden", "csrf_token")]
    done = client.post("/logout", data={"csrf_token": hidden[0]["value"]})
    assert done.status_code == 302 and session_rows(app) == 0


def test_signed_out_visitor_on_logout_goes_to_the_login_page(app):
    client = app.test_client()
    assert client.get("/logout").headers["Location"] == "/login"
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    stale = client.post("/logout", data={"csrf_token": token})  # e.g. a tab left open after the session ended
    assert stale.status_code == 302 and stale.headers["Location"] == "/login"
