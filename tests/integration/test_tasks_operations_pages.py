"""The tasks inbox and the operations page over HTTP, as the browser posts their callbacks, on a demo
app: every seeded REMINDER lead has its task, each role sees what it may, the numbers the pages and
the cockpit show equal counts made in plain SQL, and the actions change exactly what they name."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import dash
import pytest
from dash._utils import split_callback_id
from sqlalchemy import text

from data.models import EventRecord, Suppression
from data.sink_models import SinkDelivery
from tests.conftest import make_settings, shutdown
from tests.integration.test_callbacks_fuzz import signed_in

ROLES = ("admin", "manager", "sales", "sales2", "analyst", "viewer")
OPEN_IN_SCOPE = {  # the open tasks each role sees, counted apart from the repository
    "admin": "", "manager": " AND leads.team_id = (SELECT team_id FROM users WHERE username = 'manager')",
    "sales": " AND leads.owner_id = (SELECT id FROM users WHERE username = 'sales')",
    "sales2": " AND leads.owner_id = (SELECT id FROM users WHERE username = 'sales2')"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from app import create_app

    app = create_app(make_settings(tmp_path_factory.mktemp("tasks-ops"), demo_leads=400, relay_enabled=False,
                                   scheduler_enabled=False, demo_simulator=False))
    yield app, dash.get_app().callback_map, {role: signed_in(app, role) for role in ROLES}
    shutdown(app)


def sql(app, statement: str, **params):
    with app.extensions["cockpit"].uow.session_factory() as s:
        return s.execute(text(statement), params).scalar()


def open_tasks(app, role: str) -> int:
    return sql(app, "SELECT count(*) FROM tasks JOIN leads ON leads.id = tasks.lead_id WHERE tasks.done_at IS NULL"
               + OPEN_IN_SCOPE[role])


def call(served, role: str, fragment: str, inputs: list, state: list = (), trigger: int = 0):
    """Post the callback whose output names `fragment`, with these values for its inputs and states (a
    pattern-matching input takes a list of (id, value))."""
    app, callback_map, clients = served
    key = next(k for k in callback_map if fragment in k and "callback" in callback_map[k])
    declared = callback_map[key]

    def dep(item, value):
        if item["id"].startswith("{"):
            return [{"id": i, "property": item["property"], "value": v} for i, v in value]
        return {"id": item["id"], "property": item["property"], "value": value}

    deps_in = [dep(i, v) for i, v in zip(declared["inputs"], inputs)]
    first = deps_in[trigger][0] if isinstance(deps_in[trigger], list) else deps_in[trigger]
    name = json.dumps(first["id"], sort_keys=True, separators=(",", ":")) if isinstance(first["id"], dict) else first["id"]
    body = {"output": key, "outputs": split_callback_id(key), "inputs": deps_in,
            "state": [dep(s, v) for s, v in zip(declared["state"], state)], "changedPropIds": [f"{name}.{first['property']}"]}
    return clients[role].post("/_dash-update-component", json=body)


def rows(served, role: str, grid: str, request=None, state=()) -> tuple[list[dict], str]:
    r = call(served, role, f"{grid}.getRowsResponse", [request or {"startRow": 0, "endRow": 100}], state)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    out = r.json["response"]
    total = next(v["children"] for k, v in out.items() if k != grid)
    return out[grid]["getRowsResponse"]["rowData"], total


def page(served, role: str, path: str) -> str:
    r = call(served, role, "_pages_content.children", [path, ""])
    assert r.status_code == 200
    return json.dumps(r.json["response"]["_pages_content"]["children"])


def component(tree, wanted: str) -> dict | None:
    """The props of the component with id `wanted` in a rendered layout."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == wanted:
            return tree["props"]
        return next(filter(None, (component(v, wanted) for v in tree.values())), None)
    if isinstance(tree, list):
        return next(filter(None, (component(v, wanted) for v in tree)), None)
    return None


def nav(served, role: str) -> str:
    return served[2][role].get("/_dash-layout").get_data(as_text=True)


def test_every_seeded_reminder_lead_has_its_one_task(served):
    app = served[0]
    reminders = sql(app, "SELECT count(*) FROM leads WHERE status = 'REMINDER'")
    assert reminders > 0
    assert sql(app, "SELECT count(DISTINCT lead_id) FROM tasks") == sql(app, "SELECT count(*) FROM tasks") == reminders
    assert 0 < sql(app, "SELECT count(*) FROM tasks WHERE done_at IS NULL") < reminders  # some owners called already


def test_each_role_sees_its_own_tasks_and_the_count_the_cockpit_shows(served):
    app = served[0]
    for role in ("admin", "manager", "sales", "sales2"):
        found, total = rows(served, role, "tasks-grid", {"startRow": 0, "endRow": 500})
        assert total.startswith(f"{open_tasks(app, role)} open task") and len(found) == min(500, open_tasks(app, role))
        assert component(json.loads(page(served, role, "/")), "cockpit-open-tasks")["children"] == open_tasks(app, role)
        assert "nav-tasks" in nav(served, role)
    sales_leads = {r["lead_id"] for r in rows(served, "sales", "tasks-grid")[0]}
    assert not sales_leads & {r["lead_id"] for r in rows(served, "sales2", "tasks-grid")[0]}
    for role in ("analyst", "viewer"):
        assert call(served, role, "tasks-grid.getRowsResponse", [{"startRow": 0, "endRow": 100}]).status_code == 403
        assert "refusal" in page(served, role, "/tasks") and "cockpit-open-tasks" not in page(served, role, "/")
        assert "nav-tasks" not in nav(served, role) and "nav-admin_operations" not in nav(served, role)


def test_done_per_row_and_snooze_for_selected_rows(served):
    app = served[0]
    found, _ = rows(served, "sales", "tasks-grid")
    before = open_tasks(app, "sales")
    assert component(json.loads(page(served, "sales", "/")), "cockpit-open-tasks")["children"] == before
    r = call(served, "sales", "tasks-message.children...tasks-changed", [{"value": {"action": "done"}, "rowId": found[0]["id"]}])
    assert r.status_code == 200 and "Done: 1 task" in r.get_data(as_text=True)
    assert open_tasks(app, "sales") == before - 1
    # the cockpit keeps its open-task count across events, not across a task closed
    assert component(json.loads(page(served, "sales", "/")), "cockpit-open-tasks")["children"] == before - 1
    others, _ = rows(served, "sales2", "tasks-grid")
    r = call(served, "sales", "tasks-message.children@", [[({"type": "tasks-bulk", "action": "3d"}, 1)]],
             state=[[found[1], found[2], others[0]]])
    assert r.status_code == 200 and "Snoozed 2 tasks by 3 days" in r.get_data(as_text=True)
    assert sql(app, "SELECT snoozes FROM tasks WHERE id = :i", i=int(others[0]["id"])) == 0  # not hers
    r = call(served, "sales", "tasks-message.children@", [[({"type": "tasks-bulk", "action": "done"}, 1)]], state=[[]])
    assert "Select the tasks first" in r.get_data(as_text=True)


def dead_delivery(app, n: int) -> int:
    now = datetime.now(timezone.utc)
    with app.extensions["cockpit"].uow.session_factory() as s:
        record = EventRecord(id=f"ops-page-{n}", source="/crm", type="com.freshplan.lead.registered.v1", time=now,
                             idempotency_key=f"ops-page-{n}", data={}, recorded_at=now)
        s.add(record)
        s.flush()
        s.add(SinkDelivery(sink="webhook", event_seq=record.seq, attempts=8, last_error="HTTP 410", dead_at=now))
        s.add(Suppression(email=f"ops-page-{n}@x.example", reason="bounce", source="test", created_at=now))
        s.commit()
        return record.seq


def test_operations_lists_match_plain_counts_and_are_admins_only(served):
    app = served[0]
    dead_delivery(app, 1)
    for grid, table_count in (("ops-sinks-grid", "SELECT count(*) FROM sink_deliveries WHERE dead_at IS NOT NULL"),
                              ("ops-mail-grid", "SELECT count(*) FROM email_messages WHERE status IN ('dead', 'unconfirmed')"),
                              ("ops-suppressions-grid", "SELECT count(*) FROM suppressions")):
        state = [""] if grid == "ops-suppressions-grid" else []
        found, total = rows(served, "admin", grid, state=state)
        assert total.startswith(f"{sql(app, table_count)} ") and len(found) == min(100, sql(app, table_count))
        for role in ("manager", "sales", "analyst", "viewer"):
            assert call(served, role, f"{grid}.getRowsResponse", [{"startRow": 0, "endRow": 100}], state).status_code == 403
    for role in ("manager", "sales", "analyst", "viewer"):
        assert "refusal" in page(served, role, "/admin/operations")
    assert "ops-sinks-grid" in page(served, "admin", "/admin/operations") and "nav-admin_operations" in nav(served, "admin")


def test_retry_at_once_and_a_lift_after_the_dialog_asked_why(served):
    app = served[0]
    seq = dead_delivery(app, 2)
    r = call(served, "admin", "ops-message.children...ops-changed", [{"value": {"action": "retry"}, "rowId": f"webhook/{seq}"},
                                                                      None, None])
    assert r.status_code == 200 and "Retried" in r.get_data(as_text=True)
    assert sql(app, "SELECT dead_at FROM sink_deliveries WHERE event_seq = :s", s=seq) is None
    supp = "ops-page-2@x.example"
    opened = call(served, "admin", "ops-message.children...ops-changed",
                  [None, None, {"value": {"action": "lift"}, "rowId": supp}], trigger=2)
    assert opened.json["response"]["ops-dialog"]["is_open"] is True
    target = opened.json["response"]["ops-dialog-target"]["data"]
    confirm = call(served, "admin", "ops-message.children@", [1, None], state=[target, "address fixed"])
    assert confirm.status_code == 200 and "Lifted" in confirm.get_data(as_text=True)
    assert sql(app, "SELECT count(*) FROM suppressions WHERE email = :e", e=supp) == 0
    assert sql(app, "SELECT reason FROM operator_actions WHERE action = 'suppression.lift'") == "address fixed"
