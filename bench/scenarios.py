"""What the bench measures: each scenario is a name and a step that sends one checked, timed request."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import requests

from bench.client import (CALLBACK_PATH, TIMEOUT_S, BenchError, callback_body, check, check_callback, login_form,
                          post_login, sign_in, timed)
from bench.server import ADMIN, MANAGER, SALES

PAGE_OUTPUTS = [("_pages_content", "children"), ("_pages_store", "data")]
LEADS_OUTPUTS = [("leads-table", "getRowsResponse"), ("leads-total", "children"), ("leads-download", "href")]
LEADS_STATE = [("leads-search", "value"), ("leads-status", "value"), ("leads-type", "value"), ("leads-owner", "value"),
               ("leads-query", "data")]
REFUSED = ('"refusal"', "Lead not found")  # what a page shows instead of its content when scope or role says no
SEARCH_TERM = "berg"  # in many company names, surnames and cities (Berger, Heidelberg, Regensburg ...)


@dataclass(frozen=True)
class Scenario:
    name: str
    step: Callable[[], float]  # one request: sent, timed, checked; returns milliseconds


def page_body(pathname: str) -> dict:
    """Dash pages' routing callback, as the browser posts it when it opens `pathname`."""
    return callback_body(PAGE_OUTPUTS, [("_pages_location", "pathname", pathname), ("_pages_location", "search", "")])


def leads_body(search: str = "", sort_by: str = "registered_at", direction: str = "desc", page: int = 0,
               page_size: int = 25) -> dict:
    """The Leads grid's rows callback (AG Grid's getRowsRequest); `page` is zero-based."""
    request = {"startRow": page * page_size, "endRow": (page + 1) * page_size,
               "sortModel": [{"colId": sort_by, "sort": direction}], "filterModel": {}}
    body = callback_body(LEADS_OUTPUTS, [("leads-table", "getRowsRequest", request)])
    body["state"] = [{"id": i, "property": p, "value": v} for (i, p), v in zip(LEADS_STATE, [search, None, None, None, {}])]
    return body


def _verify_leads(what: str) -> Callable[[requests.Response], None]:
    def verify(response: requests.Response) -> None:
        check_callback(response, what, ['"not available"'])
        if not response.json()["response"]["leads-table"]["getRowsResponse"]["rowData"]:
            raise BenchError(f"{what}: an empty page of leads (too few leads for this measurement?)")
    return verify


def callback_step(session: requests.Session, url: str, body: dict, what: str, verify=None) -> Callable[[], float]:
    verify = verify or (lambda r: check_callback(r, what, REFUSED))
    return lambda: timed(lambda: session.post(url + CALLBACK_PATH, json=body, timeout=TIMEOUT_S), verify)


def login_step(url: str, username: str) -> Callable[[], float]:
    """A new session each time: fetching the form is set-up, only the POST is timed."""
    def step() -> float:
        session, token = login_form(url)
        return timed(lambda: post_login(session, url, username, token), lambda r: None)  # post_login checks 302
    return step


def _leads_scenarios(url: str, sales: requests.Session, admin: requests.Session) -> list[Scenario]:
    cases = [("sales", sales, "page 1, newest first", leads_body()),
             ("admin", admin, "page 1, newest first", leads_body()),
             ("admin", admin, f"search '{SEARCH_TERM}'", leads_body(search=SEARCH_TERM)),
             ("admin", admin, "page 50 by score", leads_body(sort_by="score", page=49))]
    return [Scenario(f"leads table callback ({who}, {what})",
                     callback_step(session, url, body, f"leads table ({who}, {what})", _verify_leads(what)))
            for who, session, what, body in cases]


def build_scenarios(url: str, detail_lead_id: int) -> list[Scenario]:
    """Every measurement of the run, signed in once per role (the login measurement makes its own sessions)."""
    health = requests.Session()
    manager, admin, sales = (sign_in(url, name) for name in (MANAGER, ADMIN, SALES))
    verify_health = lambda r: check(r, 200, "GET /healthz")  # noqa: E731
    return [
        Scenario("GET /healthz", lambda: timed(lambda: health.get(url + "/healthz", timeout=TIMEOUT_S), verify_health)),
        Scenario("POST /login (form sign-in, new session)", login_step(url, SALES)),
        Scenario("cockpit page (manager, own team)", callback_step(manager, url, page_body("/"), "cockpit (manager)")),
        Scenario("cockpit page (admin, all teams)", callback_step(admin, url, page_body("/"), "cockpit (admin)")),
        *_leads_scenarios(url, sales, admin),
        Scenario("lead detail page (sales, busiest own lead)",
                 callback_step(sales, url, page_body(f"/leads/{detail_lead_id}"), "lead detail (sales)")),
    ]


def measure(scenario: Scenario, n: int) -> list[float]:
    """One warm-up request (not kept), then `n` timed requests, one after the other."""
    scenario.step()
    return [scenario.step() for _ in range(n)]


def leads_throughput(url: str, total: int, clients: int = 4) -> float:
    """Requests per second of the sales leads callback with `clients` signed-in clients sending `total` requests."""
    steps = [callback_step(sign_in(url, SALES), url, leads_body(), "leads throughput", _verify_leads("throughput"))
             for _ in range(clients)]
    shares = [total // clients + (i < total % clients) for i in range(clients)]
    for step in steps:
        step()  # warm-up, one each
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda step, k: [step() for _ in range(k)], steps, shares))
    return total / (time.perf_counter() - start)
