"""Call tasks end to end on SQLite with a fixed clock: the follow-up run gives a silent lead exactly one
task, in the transaction that makes it REMINDER (a rerun, a second run on the same step or a rolled
back batch add none); the inbox lists them by role and closes or snoozes them; the cockpit's count is
the same number as a count made in plain SQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from data.models import Lead
from data.row_window import RowWindow
from data.task_models import Task
from domain.followups import clock_start, step_key
from domain.model import Step
from domain.roles import Actor, Forbidden, Role, Scope
from services.followup_run import LeadRun, load_facts
from services.followups import run_due_followups
from services.scopes import caller_scope
from services.tasks import MAX_PER_ACTION, InvalidTaskAction, act_on_tasks, open_task_count, tasks_page
from tests.integration.test_followup_run import Clock, add_lead, at, auto, people, renderer, uow  # noqa: F401

REMIND_AT = at(2026, 11, 13, 10, 2)  # Friday: two business days after T+7


def silent_leads(uow, auto, owner: Actor, n: int) -> list[int]:
    ids = [add_lead(uow, auto, owner, f"Quiet{owner.username}{i}") for i in range(n)]
    for moment in (at(2026, 11, 5, 10, 1), at(2026, 11, 11, 10, 1)):
        run_due_followups(uow, auto, Clock(moment))
    return ids


def tasks_of(uow) -> list[Task]:
    with uow(write=False) as tx:
        found = list(tx.session.scalars(select(Task).order_by(Task.id)))
        tx.detach_loaded()
        return found


def test_a_reminder_gives_one_task_due_a_business_day_later_and_a_rerun_none(uow, auto, people):
    [lead_id] = silent_leads(uow, auto, people["sales"], 1)
    assert run_due_followups(uow, auto, Clock(REMIND_AT)).counts == {("REMIND", "sent"): 1}
    assert run_due_followups(uow, auto, Clock(REMIND_AT + timedelta(hours=3))).sent == 0
    [task] = tasks_of(uow)
    with uow(write=False) as tx:
        lead = tx.session.get(Lead, lead_id)
        assert lead.status == "REMINDER"
        assert task.key == step_key(lead_id, Step.REMIND, clock_start(lead))
    assert (task.lead_id, task.kind, task.created_at, task.done_at) == (lead_id, "CALL", REMIND_AT, None)
    assert task.due_at == at(2026, 11, 16, 10, 2)  # Friday's call is due on Monday, at the same time


def test_a_second_run_on_the_same_reminder_or_a_rolled_back_batch_adds_no_task(uow, auto, people):
    [lead_id] = silent_leads(uow, auto, people["sales"], 1)
    with uow() as tx:  # a batch that never commits (a crash): neither the status nor the task stays
        lead = tx.followups.lock_lead(lead_id)
        run = LeadRun(tx, auto, REMIND_AT, "crashed")
        assert run.handle([lead], load_facts(tx, [lead]), on_demand=True) == [("REMIND", "sent")]
        run.flush_events()
        tx.flush()
        assert tx.tasks.count_open(Scope()) == 1  # written in that transaction
    assert tasks_of(uow) == [] and _status(uow, lead_id) == "ACTIVE"
    run_due_followups(uow, auto, Clock(REMIND_AT))
    with uow() as tx:  # a second scheduler that saw the lead due before the first one committed
        lead = tx.followups.lock_lead(lead_id)
        run = LeadRun(tx, auto, REMIND_AT + timedelta(seconds=1), "second")
        assert run.handle([lead], load_facts(tx, [lead]), on_demand=True) == [("REMIND", "taken")]
        run.flush_events()
        tx.commit()
    assert len(tasks_of(uow)) == 1 and open_count_sql(uow, Scope()) == 1


def _status(uow, lead_id: int) -> str:
    with uow(write=False) as tx:
        return tx.session.get(Lead, lead_id).status


def open_count_sql(uow, scope) -> int:
    """The open tasks in a scope, counted in plain SQL, apart from the repository."""
    sql = ("SELECT count(*) FROM tasks JOIN leads ON leads.id = tasks.lead_id WHERE tasks.done_at IS NULL"
           + (" AND leads.owner_id = :user" if scope.user_id is not None else "")
           + (" AND leads.team_id = :team" if scope.team_id is not None else ""))
    with uow(write=False) as tx:
        return tx.session.execute(text(sql), {"user": scope.user_id, "team": scope.team_id}).scalar()


@pytest.fixture
def inbox(uow, auto, people):
    """Two silent leads of the sales user, one of a manager of another team, all reminded."""
    with uow() as tx:
        other = tx.users.get(people["fremd"].user_id)
        tx.users.add(type(other)(username="fremdsales", display_name="Fremd Sales", password_hash="x", role="sales",
                                 team_id=other.team_id, created_at=REMIND_AT))
        tx.commit()
        stranger = tx.users.by_username("fremdsales")
        people["fremdsales"] = Actor(stranger.id, "fremdsales", Role.SALES, stranger.team_id)
    ours = [add_lead(uow, auto, people["sales"], f"Ours{i}") for i in range(2)]
    theirs = add_lead(uow, auto, people["fremdsales"], "Theirs")
    for moment in (at(2026, 11, 5, 10, 1), at(2026, 11, 11, 10, 1), REMIND_AT):
        run_due_followups(uow, auto, Clock(moment))
    tasks = {t.lead_id: t.id for t in tasks_of(uow)}
    return {"ours": [tasks[i] for i in ours], "theirs": tasks[theirs]}


def visible(uow, actor, **window) -> tuple[set[int], int]:
    page = tasks_page(uow, actor, RowWindow(**window), Clock(REMIND_AT))
    return {int(row["id"]) for row in page.rows}, page.total


def test_sales_see_their_own_managers_their_team_and_admins_everyone(uow, people, inbox):
    admin = Actor(people["manager"].user_id, "root", Role.ADMIN, None)
    assert visible(uow, people["sales"]) == (set(inbox["ours"]), 2)
    assert visible(uow, people["manager"]) == (set(inbox["ours"]), 2)
    assert visible(uow, people["fremd"]) == ({inbox["theirs"]}, 1)
    assert visible(uow, admin) == ({*inbox["ours"], inbox["theirs"]}, 3)
    assert visible(uow, admin, offset=1, limit=1, sort="company")[1] == 3
    for role in (Role.ANALYST, Role.VIEWER):
        with pytest.raises(Forbidden):
            tasks_page(uow, Actor(99, "x", role, None), RowWindow(), Clock(REMIND_AT))
        with uow(write=False) as tx:
            assert open_task_count(tx, Actor(99, "x", role, None)) is None
    with uow(write=False) as tx:
        for who in ("sales", "manager", "fremd", "fremdsales"):
            scope = caller_scope(tx, people[who])
            assert open_task_count(tx, people[who]) == open_count_sql(uow, scope)


def test_rows_carry_what_a_call_needs_and_overdue_is_flagged(uow, people, inbox):
    rows = tasks_page(uow, people["sales"], RowWindow(), Clock(at(2026, 11, 17, 9, 0))).rows
    assert {row["company"] for row in rows} == {"Ours0", "Ours1"}
    assert all(row["email"].endswith("@x.example") and row["contact_name"] == "Anna" and row["overdue"] for row in rows)
    assert not tasks_page(uow, people["sales"], RowWindow(), Clock(REMIND_AT)).rows[0]["overdue"]


def test_done_and_snooze_change_only_open_tasks_in_the_callers_scope(uow, people, inbox):
    clock = Clock(REMIND_AT)
    change = act_on_tasks(uow, people["sales"], "done", [str(inbox["ours"][0]), inbox["theirs"]], clock)
    assert (change.asked, change.changed) == (2, 1)  # another team's task is left alone
    assert act_on_tasks(uow, people["sales"], "done", [inbox["ours"][0]], clock).changed == 0  # done already
    assert act_on_tasks(uow, people["manager"], "next_week", [inbox["ours"][1]], clock).changed == 1
    assert act_on_tasks(uow, people["manager"], "3d", [inbox["ours"][1]], clock).changed == 1
    by_id = {t.id: t for t in tasks_of(uow)}
    closed, snoozed, untouched = by_id[inbox["ours"][0]], by_id[inbox["ours"][1]], by_id[inbox["theirs"]]
    assert closed.done_at == REMIND_AT and closed.done_by == people["sales"].user_id
    assert snoozed.due_at == at(2026, 11, 26, 9, 0) and snoozed.snoozes == 2  # next Monday 9:00, then 3 days on
    assert untouched.done_at is None and untouched.snoozes == 0
    assert visible(uow, people["sales"])[1] == 1


@pytest.mark.parametrize("action, task_ids", [("later", [1]), ("done", "1"), ("done", [True]), ("done", [-1]),
                                              ("done", ["1e3"]), ("done", [2**63]), ("done", [None]),
                                              ("1d", list(range(1, MAX_PER_ACTION + 2)))])
def test_hostile_task_actions_are_refused_and_change_nothing(uow, people, inbox, action, task_ids):
    before = [(t.id, t.done_at, t.due_at) for t in tasks_of(uow)]
    with pytest.raises(InvalidTaskAction):
        act_on_tasks(uow, people["sales"], action, task_ids, Clock(REMIND_AT))
    assert [(t.id, t.done_at, t.due_at) for t in tasks_of(uow)] == before


def test_roles_without_tasks_cannot_close_any(uow, people, inbox):
    for role in (Role.ANALYST, Role.VIEWER):
        with pytest.raises(Forbidden):
            act_on_tasks(uow, Actor(people["sales"].user_id, "x", role, None), "done", inbox["ours"], Clock(REMIND_AT))
    with uow(write=False) as tx:
        assert tx.session.scalar(select(func.count()).select_from(Task).where(Task.done_at.is_not(None))) == 0
