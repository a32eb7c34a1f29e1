"""Hostile values for every callback of the tasks inbox and the operations page (Hypothesis): forged
row requests, row buttons, selections, bulk buttons and dialog targets, from every role. Each answer
is a 400 or 403, or a 200/204 that says why, and none of them changes a task, a delivery, a mail, a
suppression or the operator record."""
from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.integration.test_callbacks_fuzz import VALUE
from tests.integration.test_tasks_operations_pages import ROLES, call, dead_delivery, served, sql  # noqa: F401

FUZZ = settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate])
NOT_ADMIN = [r for r in ROLES if r != "admin"]
GRIDS = ("tasks-grid", "ops-sinks-grid", "ops-mail-grid", "ops-suppressions-grid")
FAR_IDS = st.sampled_from(["999999999", "0", "-1", "1e3", "١٢", "webhook/0", "webhook/999999999", "x" * 400, "", " 1"])
ROW_REQUESTS = VALUE | st.fixed_dictionaries({}, optional={
    "startRow": st.integers(-5, 10**12) | VALUE, "endRow": st.integers(-5, 10**12) | VALUE,
    "sortModel": st.lists(st.fixed_dictionaries({"colId": st.text(max_size=12) | st.sampled_from(["due_at", "id; DROP"]),
                                                 "sort": st.sampled_from(["asc", "desc", "up", None])}), max_size=3) | VALUE,
    "filterModel": VALUE})


OPS_ACTIONS = (["retry", "discard", "drop"], ["retry", "mark_sent", "discard"], ["lift", "retry"])


def presses(ids, actions: list[str]):
    """Mostly well-formed presses of the grid's own buttons on rows the caller may not touch; some garbage."""
    press = st.fixed_dictionaries({"value": st.fixed_dictionaries({"action": st.sampled_from(actions)}), "rowId": ids})
    return press | press | VALUE | st.fixed_dictionaries({"value": VALUE, "rowId": VALUE},
                                                         optional={"colId": VALUE, "rowIndex": VALUE})


def snapshot(app) -> tuple:
    return tuple(sql(app, q) for q in (
        "SELECT count(*) FROM tasks WHERE done_at IS NULL", "SELECT coalesce(sum(snoozes), 0) FROM tasks",
        "SELECT count(*) FROM operator_actions", "SELECT count(*) FROM suppressions",
        "SELECT count(*) FROM sink_deliveries WHERE dead_at IS NOT NULL",
        "SELECT count(*) FROM email_messages WHERE status IN ('dead', 'unconfirmed')"))


def others_task_ids(app) -> list[str]:
    """Task ids of leads the sales user does not own: forged into her requests."""
    with app.extensions["cockpit"].uow.session_factory() as s:
        return [str(i) for i in s.execute(text(
            "SELECT tasks.id FROM tasks JOIN leads ON leads.id = tasks.lead_id JOIN users ON users.id = leads.owner_id "
            "WHERE users.username <> 'sales' ORDER BY tasks.id LIMIT 20")).scalars()]


def answered(response, before, app, what: str) -> None:
    assert response.status_code in (200, 204, 400, 403), f"{what}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    assert snapshot(app) == before, f"{what}: a hostile value changed something"


@FUZZ
@given(data=st.data())
def test_hostile_grid_requests_and_presses_change_nothing(served, data):
    app = served[0]
    if sql(app, "SELECT count(*) FROM events WHERE id = 'ops-page-999'") == 0:
        dead_delivery(app, 999)  # a dead letter and a suppression that forged keys must not reach
    forged = st.sampled_from(others_task_ids(app)) | FAR_IDS
    before = snapshot(app)
    grid = data.draw(st.sampled_from(GRIDS))
    role = data.draw(st.sampled_from(ROLES))
    state = [data.draw(VALUE)] if grid == "ops-suppressions-grid" else []
    answered(call(served, role, f"{grid}.getRowsResponse", [data.draw(ROW_REQUESTS)], state), before, app, f"{role} {grid} rows")
    tasks_role = data.draw(st.sampled_from(["sales", "analyst", "viewer"]))
    answered(call(served, tasks_role, "tasks-message.children...tasks-changed", [data.draw(presses(forged, ["done", "1d", "next_week", "drop"]))]),
             before, app, f"{tasks_role} task button")
    bulk = [({"type": "tasks-bulk", "action": data.draw(st.sampled_from(["done", "3d", "nope"]) | VALUE)}, 1)]
    selection = data.draw(st.lists(st.fixed_dictionaries({"id": forged | VALUE}), max_size=4) | VALUE)
    answered(call(served, tasks_role, "tasks-message.children@", [bulk], state=[selection]), before, app,
             f"{tasks_role} bulk")
    ops_role = data.draw(st.sampled_from(ROLES))
    grid_press = [None, None, None]
    pressed = data.draw(st.integers(0, 2))
    grid_press[pressed] = data.draw(presses(FAR_IDS, OPS_ACTIONS[pressed]))
    trigger = next((i for i, p in enumerate(grid_press) if p is not None), 0)
    answered(call(served, ops_role, "ops-message.children...ops-changed", grid_press, trigger=trigger), before, app,
             f"{ops_role} ops button")


@FUZZ
@given(role=st.sampled_from(ROLES), target=VALUE | st.fixed_dictionaries({
    "tab": st.sampled_from(["sinks", "mail", "suppressions", "tasks"]) | VALUE,
    "action": st.sampled_from(["retry", "discard", "mark_sent", "lift"]) | VALUE, "key": FAR_IDS | VALUE}),
    reason=VALUE | st.text(max_size=3000))
def test_forged_dialog_targets_change_nothing(served, role, target, reason):
    app = served[0]
    before = snapshot(app)
    r = call(served, role, "ops-message.children@", [1, None], state=[target, reason])
    answered(r, before, app, f"{role} dialog")
    if role in NOT_ADMIN and isinstance(target, dict) and r.status_code == 200:
        raise AssertionError("a role other than admin got an answer to an operation")  # pragma: no cover
