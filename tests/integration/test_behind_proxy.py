"""Behind deploy/'s proxy (WEB_TRUSTED_PROXIES=1) every request comes from the proxy's address: the
sign-in throttle must count the client named in X-Forwarded-For, or one guesser would lock out everyone.
Without a trusted proxy the header is a client's claim and is ignored, so it cannot dodge the throttle."""
from __future__ import annotations

import pytest

from app import create_app
from services import auth
from tests.conftest import make_settings, shutdown
from tests.http_helpers import CSRF

PROXY = "10.0.0.2"
GUESSER, COLLEAGUE = "203.0.113.9", "198.51.100.30"


@pytest.fixture
def proxied_app(tmp_path):
    server = create_app(make_settings(tmp_path, web_trusted_proxies=1, relay_enabled=False))
    yield server
    shutdown(server)


def attempt(client, username: str, password: str, forwarded_for: str):
    token = CSRF.search(client.get("/login", environ_base={"REMOTE_ADDR": PROXY}).get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": PROXY}, headers={"X-Forwarded-For": forwarded_for})


def test_behind_the_proxy_the_guesser_is_throttled_and_a_colleague_still_signs_in(proxied_app):
    client = proxied_app.test_client()
    for n in range(auth.ADDRESS_THROTTLE.limit):
        assert attempt(client, f"guess{n % 5}", "wrong", GUESSER).status_code == 401
    assert attempt(client, "sales", "demo", GUESSER).status_code == 429
    assert attempt(proxied_app.test_client(), "sales", "demo", COLLEAGUE).status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_throttle(app):
    client = app.test_client()
    for n in range(auth.ADDRESS_THROTTLE.limit):
        assert attempt(client, f"guess{n % 5}", "wrong", f"192.0.2.{n}").status_code == 401
    assert attempt(client, "sales", "demo", "192.0.2.250").status_code == 429  # all came from one address
