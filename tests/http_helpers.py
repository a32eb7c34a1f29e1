"""Talking to a live server as a browser would: sign in with the form, post Dash callbacks."""
from __future__ import annotations

import re

import requests

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def sign_in(base_url: str, username: str, password: str = "demo") -> requests.Session:
    s = requests.Session()
    token = CSRF.search(s.get(f"{base_url}/login").text).group(1)
    r = s.post(f"{base_url}/login", data={"username": username, "password": password, "csrf_token": token},
               allow_redirects=False)
    assert r.status_code == 302, f"sign-in as {username} failed: {r.status_code}"
    return s


def callback_body(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
                  state: list[tuple[str, str, object]] = ()) -> dict:
    """The JSON Dash's renderer posts to /_dash-update-component."""
    outs = [{"id": i, "property": p} for i, p in outputs]
    output = f"{outputs[0][0]}.{outputs[0][1]}" if len(outputs) == 1 else ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    return {"output": output, "outputs": outs[0] if len(outs) == 1 else outs,
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"]}


def post_callback(session: requests.Session, base_url: str, body: dict) -> requests.Response:
    return session.post(f"{base_url}/_dash-update-component", json=body)


def leads_grid_body(request: dict | None = None, search: str = "", status=None, business_type=None, owner=None,
                    drill: dict | None = None) -> dict:
    """The Leads grid's rows callback: AG Grid's getRowsRequest (None: the first 25 rows, newest first)
    with the page's search box, dropdowns and URL query (drill-down) as they stand."""
    request = request if request is not None else {"startRow": 0, "endRow": 25, "sortModel": [], "filterModel": {}}
    return callback_body([("leads-table", "getRowsResponse"), ("leads-total", "children"), ("leads-download", "href")],
                         [("leads-table", "getRowsRequest", request)],
                         [("leads-search", "value", search), ("leads-status", "value", status),
                          ("leads-type", "value", business_type), ("leads-owner", "value", owner),
                          ("leads-query", "data", drill or {})])
