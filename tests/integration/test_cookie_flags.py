"""Session cookie flags as the composition root configures them."""
from flask import session

import app as composition
from tests.conftest import make_settings


def _set_cookie_header(settings) -> str:
    server = composition._flask(settings)

    @server.get("/touch")
    def touch():
        session["x"] = 1
        return "ok"

    return server.test_client().get("/touch").headers["Set-Cookie"]


def test_cookie_is_httponly_lax_and_not_secure_over_plain_http(tmp_path):
    header = _set_cookie_header(make_settings(tmp_path))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_cookie_is_secure_when_served_over_https(tmp_path):
    header = _set_cookie_header(make_settings(tmp_path, cookie_secure=True))
    assert "cockpit_session=" in header and "; Secure" in header
