"""Talking to the served app as a browser does: the sign-in form, Dash callback bodies, one timed request.

Copied in spirit from tests/http_helpers.py (the bench does not import tests/).
"""
from __future__ import annotations

import re
import time
from typing import Callable, Iterable

import requests

PASSWORD = "demo"
TIMEOUT_S = 300  # a request slower than this is a hang, not a data point
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CALLBACK_PATH = "/_dash-update-component"


class BenchError(RuntimeError):
    """A request did not answer as it should; the bench stops instead of timing a failure."""


def check(response: requests.Response, expected: int, what: str) -> requests.Response:
    if response.status_code != expected:
        raise BenchError(f"{what}: expected HTTP {expected}, got {response.status_code}: {response.text[:300]!r}")
    return response


def login_form(base_url: str) -> tuple[requests.Session, str]:
    """A fresh session that has fetched the sign-in form, and that form's CSRF token."""
    session = requests.Session()
    page = check(session.get(f"{base_url}/login", timeout=TIMEOUT_S), 200, "GET /login")
    match = CSRF.search(page.text)
    if match is None:
        raise BenchError("GET /login: no csrf_token in the sign-in form")
    return session, match.group(1)


def post_login(session: requests.Session, base_url: str, username: str, token: str) -> requests.Response:
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    response = session.post(f"{base_url}/login", data=form, allow_redirects=False, timeout=TIMEOUT_S)
    return check(response, 302, f"POST /login as {username}")  # success answers with a redirect


def sign_in(base_url: str, username: str) -> requests.Session:
    session, token = login_form(base_url)
    post_login(session, base_url, username, token)
    return session


def callback_body(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]]) -> dict:
    """The JSON Dash's renderer posts to /_dash-update-component (multi-output key: ..a.x...b.y..)."""
    outs = [{"id": i, "property": p} for i, p in outputs]
    key = f"{outputs[0][0]}.{outputs[0][1]}" if len(outputs) == 1 else \
        ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    return {"output": key, "outputs": outs[0] if len(outs) == 1 else outs,
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs], "state": [],
            "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"]}


def check_callback(response: requests.Response, what: str, forbidden: Iterable[str] = ()) -> None:
    """A callback answered 200 with a Dash response (not 204: PreventUpdate) and none of the forbidden texts."""
    check(response, 200, what)
    if "response" not in response.json():
        raise BenchError(f"{what}: 200 without a Dash callback response: {response.text[:300]!r}")
    for text in forbidden:
        if text in response.text:
            raise BenchError(f"{what}: the answer contains {text!r}")


def timed(send: Callable[[], requests.Response], verify: Callable[[requests.Response], object]) -> float:
    """Milliseconds for one request; `verify` runs after the clock stops and raises BenchError on a bad answer."""
    start = time.perf_counter()
    response = send()
    elapsed_ms = (time.perf_counter() - start) * 1000
    verify(response)
    return elapsed_ms
