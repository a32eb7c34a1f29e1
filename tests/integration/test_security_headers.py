"""Security headers (web/security_headers.py) on every kind of response, over HTTP on the live server."""
from __future__ import annotations

import base64
import hashlib
import re

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_settings, serving_demo_app, shutdown
from tests.http_helpers import callback_body, post_callback, sign_in

FIXED = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
DIRECTIVES = ("default-src 'self'", "img-src 'self' data:", "connect-src 'self'", "object-src 'none'",
              "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'", "style-src 'self' 'unsafe-inline'")
SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("headers"), demo_leads=30) as (live, _app):
        yield live.url


@pytest.fixture(scope="module")
def admin(url):
    return sign_in(url, "admin")


def directives(response: requests.Response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_protected(response: requests.Response) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, f"{response.url} {response.status_code}: {name}"
    policy = response.headers.get("Content-Security-Policy", "")
    for directive in DIRECTIVES:
        assert directive in policy, f"{response.url} {response.status_code}: no {directive!r}"
    script_src = directives(response)["script-src"]
    assert script_src[0] == "'self'" and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: SESSION_COOKIE_SECURE=0


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/login", 200), ("POST", "/login", 400), ("GET", "/", 302), ("GET", "/assets/cockpit.css", 200),
    ("GET", "/assets/bootstrap.min.css", 200), ("GET", "/_dash-layout", 401), ("GET", "/healthz", 200),
    ("GET", "/api/events", 401), ("GET", "/stream/cockpit", 401), ("GET", "/export/leads.csv", 401),
    ("GET", "/assets/no-such-file.css", 404), ("GET", "/unsubscribe?token=forged", 400),
])
def test_anonymous_responses_carry_the_headers(url, method, path, status):
    r = requests.request(method, url + path, allow_redirects=False, timeout=10)
    assert r.status_code == status
    assert_protected(r)


@pytest.mark.parametrize("path,status", [
    ("/", 200), ("/leads", 200), ("/_dash-layout", 200), ("/_dash-dependencies", 200),
    ("/export/leads.csv?period=30d", 200), ("/export/no-such-table.csv", 404),
])
def test_signed_in_responses_carry_the_headers(url, admin, path, status):
    r = admin.get(url + path, allow_redirects=False, timeout=30)
    assert r.status_code == status
    assert_protected(r)


def test_callbacks_streams_scripts_and_refusals_carry_the_headers(url, admin):
    body = callback_body([("cockpit-live", "children")], [("no-such-input", "value", 1)])
    assert_protected(post_callback(admin, url, body))  # whatever Dash answers to a callback it lacks
    with admin.get(f"{url}/stream/cockpit", stream=True, timeout=10) as stream:
        assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
        assert_protected(stream)
    page = admin.get(f"{url}/", timeout=30).text
    bundle = re.search(r'<script src="(/_dash-component-suites/[^"]+)"', page).group(1)
    assert_protected(requests.get(url + bundle, timeout=10))
    unknown_bundle = requests.get(f"{url}/_dash-component-suites/dash/no-such.js", timeout=10)
    assert unknown_bundle.status_code >= 400  # an error page of Dash's own
    assert_protected(unknown_bundle)
    too_large = requests.post(f"{url}/api/events", data=b"x" * (2 * 1024 * 1024), timeout=30,
                              headers={"Authorization": "Bearer test-token", "Content-Type": "application/json"})
    assert too_large.status_code == 413
    assert_protected(too_large)


def test_every_inline_script_of_a_page_is_allowed_by_its_hash_and_nothing_else_is(url, admin):
    r = admin.get(f"{url}/", timeout=30)
    allowed = set(directives(r)["script-src"][1:])
    inline = [m["body"] for m in SCRIPT.finditer(COMMENT.sub("", r.text))
              if "src=" not in m["attrs"] and "application/json" not in m["attrs"]]
    assert inline, "the Dash page has its renderer start-up script inline"
    hashes = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline}
    assert hashes == allowed


def test_strict_transport_security_only_when_cookies_are_secure(tmp_path):
    from app import create_app

    app = create_app(make_settings(tmp_path, demo_leads=10, cookie_secure=True, relay_enabled=False))
    try:
        for path in ("/login", "/healthz", "/api/events"):
            hsts = app.test_client().get(path).headers.get("Strict-Transport-Security")
            assert hsts is not None and hsts.startswith("max-age=") and int(hsts.split("=")[1]) >= 180 * 24 * 3600
    finally:
        shutdown(app)


PATH_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_./%~?=&")


@pytest.fixture(scope="module")
def wanderer(url):
    """A session of its own: a generated path may sign it out."""
    return sign_in(url, "analyst")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(PATH_CHARS, max_size=40), signed_in=st.booleans())
def test_any_path_is_answered_with_the_headers_and_without_a_server_error(url, wanderer, path, signed_in):
    client = wanderer if signed_in else requests
    with client.get(f"{url}/{path}", allow_redirects=False, stream=True, timeout=30) as r:  # a stream too
        assert r.status_code < 500
        assert_protected(r)
