"""Hostile values (Hypothesis) posted to the Follow-ups page's callbacks get 400/403 or a message, and
change nothing that was not asked for."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data.followup_models import FollowupPause
from data.models import EmailMessage, EventRecord
from tests.integration.followups_page_support import (  # noqa: F401 - fixtures
    BUTTONS, FILTERS, db, dependencies, fire, server, sessions, signed_in, url)


def stored(db) -> tuple:
    with db() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (FollowupPause, EmailMessage, EventRecord))


HOSTILE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                    st.sampled_from([1e308, -1, 10**20, "x" * 5000, "T3", "all", "due_at", "<script>"]),
                    st.lists(st.integers() | st.text(max_size=5), max_size=3),
                    st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3))
REQUESTS = st.one_of(HOSTILE, st.fixed_dictionaries(
    {"startRow": HOSTILE | st.integers(0, 10**7), "endRow": HOSTILE | st.integers(0, 10**7)},
    optional={"sortModel": st.lists(st.fixed_dictionaries({"colId": HOSTILE | st.sampled_from(["company", "lead_id; drop"]),
                                                           "sort": HOSTILE | st.sampled_from(["asc", "desc"])}), max_size=4) | HOSTILE,
              "filterModel": HOSTILE}))
SELECTIONS = st.one_of(HOSTILE, st.lists(st.one_of(HOSTILE, st.fixed_dictionaries(
    {"lead_id": HOSTILE | st.integers(-5, 10**12), "step": HOSTILE})), max_size=4))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(who=st.sampled_from(["admin", "manager", "sales", "analyst", "viewer"]), request=REQUESTS,
       selection=SELECTIONS, action=st.sampled_from(sorted(BUTTONS)),
       filters=st.fixed_dictionaries({k: HOSTILE | st.just(v) for k, v in FILTERS.items()}))
def test_hostile_values_get_a_refusal_or_a_message(url, db, dependencies, sessions, who, request, selection, action, filters):
    session = signed_in(sessions, url, who)
    before = stored(db)
    r = fire(session, url, dependencies, "followups-grid.getRowsResponse", {**filters, "followups-grid.getRowsRequest": request},
             "followups-grid.getRowsRequest")
    assert r.status_code in (200, 204, 400, 403), r.text[:300]
    r = fire(session, url, dependencies, "followups-download.data",
             {**filters, "followups-grid.getRowsRequest": request, "followups-export.n_clicks": 1}, "followups-export.n_clicks")
    assert r.status_code in (200, 204, 400, 403), r.text[:300]
    assert stored(db) == before  # reading changes nothing
    r = fire(session, url, dependencies, "followups-message.children",
             {f"{BUTTONS[action]}.n_clicks": 1, "followups-grid.selectedRows": selection}, f"{BUTTONS[action]}.n_clicks")
    assert r.status_code in (200, 204, 400, 403), r.text[:300]
    if r.status_code != 200:
        assert stored(db) == before
    else:
        said = json.dumps(r.json()["response"]["followups-message"]["children"])
        assert "alert" in said  # a message: what was done and skipped, or why nothing was
        if "alert-danger" in said:
            assert stored(db) == before
