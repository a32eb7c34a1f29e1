"""The Follow-ups page's test app and how its callbacks are posted, as a browser would: shared by the
page tests (test_followups_page.py) and their hostile-input tests (test_followups_page_fuzz.py)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import serving_demo_app
from tests.http_helpers import sign_in

FILTERS = {"followups-search.value": None, "followups-step.value": None, "followups-state.value": "active",
           "followups-window.value": "week", "followups-team.value": None, "followups-owner.value": None}
BUTTONS = {"pause": "followups-pause", "resume": "followups-resume", "send": "followups-send"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # no simulator: the numbers compared here must not move between the page's count and the test's
    with serving_demo_app(tmp_path_factory.mktemp("followups-page"), demo_simulator=False) as served:
        yield served


@pytest.fixture(scope="module")
def url(server):
    return server[0].url


@pytest.fixture(scope="module")
def db(server):
    return server[1].extensions["cockpit"].uow.session_factory


@pytest.fixture(scope="module")
def dependencies(url):
    """The callbacks as the browser learns them (an output with allow_duplicate carries a suffix)."""
    return sign_in(url, "admin").get(f"{url}/_dash-dependencies").json()


@pytest.fixture(scope="module")
def sessions(url):
    return {}


def signed_in(sessions, url, who):
    if who not in sessions:
        sessions[who] = sign_in(url, who)
    return sessions[who]


def fire(session, url, dependencies, first_output: str, values: dict, changed: str):
    """Post the server callback whose first output is `first_output`, every input and state taken from
    `values` ("id.property" -> value, None when absent); returns the response."""
    [dep] = [d for d in dependencies if d["output"].lstrip(".").startswith(first_output) and not d.get("clientside_function")]
    parts = [p for p in dep["output"].strip(".").split("...")] if dep["output"].startswith("..") else [dep["output"]]
    outputs = [{"id": p.split(".", 1)[0], "property": p.split(".", 1)[1]} for p in parts]
    entry = lambda d: {"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}  # noqa: E731
    body = {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [entry(d) for d in dep["inputs"]], "state": [entry(d) for d in dep["state"]],
            "changedPropIds": [changed]}
    # json.dumps, not requests' own encoder: a fuzzed NaN or Infinity goes out as the literal a client could send
    return session.post(f"{url}/_dash-update-component", data=json.dumps(body), headers={"Content-Type": "application/json"})
