"""The Follow-ups work list and its bulk actions, on SQLite and on PostgreSQL: the page of rows, its
order and its totals (checked against counts made here from the leads the test wrote), the scope of
each role, and pause / resume / send now for many leads with a fixed number of statements, exactly
once, and only on the caller's own leads."""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from data.db import make_engine, make_session_factory
from data.followup_models import FollowupPause
from data.grid_filters import GridWindow
from data.migrate import upgrade
from data.models import EmailMessage, EventRecord, Lead, Team, User
from data.uow import SqlAlchemyUnitOfWork
from domain.followups import FollowupPolicy
from domain.roles import Actor, Forbidden, Role
from services.followup_automation import FollowupAutomation
from services.followup_bulk import MAX_BATCH, change_many
from services.followup_worklist import WorklistFilters, worklist_csv, worklist_options, worklist_page
from services.holiday_calendar import PublicHolidays
from tests.integration.followup_fakes import FakeRenderer

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=BERLIN).astimezone(timezone.utc)  # a Tuesday, in business hours
# (name, hours from NOW to the planned step, or None: paused, or "off": nothing planned)
PLANS = [("overdue", -2), ("later today", 5), ("thursday", 50), ("next week", 24 * 8), ("paused", None), ("done", "off")]
EVERYTHING = GridWindow(0, 200, (("due_at", False),))


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def render_without_template(tx, kind: str, locale: str, variables: dict, pick: str):
    """The fake renderer's mail, from no stored template (the email core's queue checks the reference)."""
    return dataclasses.replace(FakeRenderer()(tx, kind, locale, variables, pick), template_id=None)


def rows_of(page) -> list[int]:
    return [r["lead_id"] for r in page.rows]


class WorklistContract:
    """Subclasses provide `engine`."""

    @pytest.fixture
    def uow(self, engine):
        upgrade(engine)
        return SqlAlchemyUnitOfWork(make_session_factory(engine))

    @pytest.fixture
    def automation(self):
        return FollowupAutomation(FollowupPolicy(), PublicHolidays(), lambda email: f"https://x/u?{email}",
                                  render=render_without_template)

    @pytest.fixture
    def people(self, uow):
        with uow() as tx:
            nord, sued = Team(name="Nord", created_at=NOW), Team(name="Süd", created_at=NOW)
            tx.users.add_team(nord)
            tx.users.add_team(sued)
            staff = {"admin": ("admin", None), "manager": ("manager", nord), "anna": ("sales", nord),
                     "ben": ("sales", nord), "cem": ("sales", sued), "analyst": ("analyst", None), "viewer": ("viewer", None)}
            users = {name: User(username=name, display_name=name.title(), password_hash="x", role=role,
                                team_id=team.id if team else None, created_at=NOW) for name, (role, team) in staff.items()}
            for user in users.values():
                tx.users.add(user)
            tx.commit()
            return {name: Actor(u.id, name, Role(u.role), u.team_id) for name, u in users.items()}

    @pytest.fixture
    def leads(self, uow, people) -> dict[int, dict]:
        """Every plan for each sales user, two steps deep; the facts each lead was given, by id."""
        written = {}
        with uow() as tx:
            for owner in ("anna", "ben", "cem"):
                for n, (name, hours) in enumerate(PLANS):
                    for last in (None, "T3"):
                        facts = {"owner": owner, "plan": name, "last": last, "team": people[owner].team_id,
                                 "company": f"{'=' if n == 0 else ''}Haus {owner} {name} {last or 'new'}"}
                        lead = Lead(company=facts["company"], contact_name=f"Kontakt {owner}", email=f"{owner}.{n}.{last}@x.example",
                                    business_type="HOTEL", owner_id=people[owner].user_id, team_id=facts["team"],
                                    status="ACTIVE", email_consent=True, registered_at=NOW - timedelta(days=10),
                                    updated_at=NOW, last_followup_step=last,
                                    next_followup_at=NOW + timedelta(hours=hours) if isinstance(hours, int) else None)
                        tx.leads.add(lead)
                        if hours is None:
                            tx.followups.pause(lead.id, people[owner].user_id, NOW)
                        written[lead.id] = facts
            tx.commit()
        return written

    # -- the list ------------------------------------------------------------------------------------

    def test_each_window_and_state_holds_what_the_leads_say_with_matching_totals(self, uow, people, leads):
        due = {"overdue": {"overdue"}, "today": {"overdue", "later today"}, "week": {"overdue", "later today", "thursday"},
               "all": {"overdue", "later today", "thursday", "next week"}}
        for window, plans in due.items():
            for state in ("active", "paused", "all"):
                wanted = {i for i, f in leads.items() if (state != "paused" and f["plan"] in plans)
                          or (state != "active" and f["plan"] == "paused")}
                page = worklist_page(uow, people["admin"], WorklistFilters(state=state, window=window), EVERYTHING, Clock(NOW))
                assert set(rows_of(page)) == wanted, (window, state)
                overdue = sum(1 for i in wanted if leads[i]["plan"] == "overdue")
                paused = sum(1 for i in wanted if leads[i]["plan"] == "paused")
                assert (page.totals.total, page.totals.overdue, page.totals.paused) == (len(wanted), overdue, paused)

    def test_scope_step_and_search_narrow_the_list(self, uow, people, leads):
        def ids(who, **filters):
            return set(rows_of(worklist_page(uow, people[who], WorklistFilters(window="all", state="all", **filters),
                                             EVERYTHING, Clock(NOW))))
        listed = {i for i, f in leads.items() if f["plan"] != "done"}
        assert ids("anna") == {i for i in listed if leads[i]["owner"] == "anna"}
        assert ids("anna", owner_id=people["cem"].user_id) == ids("anna")  # asking for another's leads: still one's own
        assert ids("manager") == {i for i in listed if leads[i]["owner"] in ("anna", "ben")}
        assert ids("manager", team_id=people["cem"].team_id) == ids("manager")
        assert ids("admin", owner_id=people["cem"].user_id) == {i for i in listed if leads[i]["owner"] == "cem"}
        assert ids("analyst", team_id=people["cem"].team_id) == {i for i in listed if leads[i]["owner"] == "cem"}
        assert ids("admin", step="T7") == {i for i in listed if leads[i]["last"] == "T3"}
        assert ids("admin", step="T3") == {i for i in listed if leads[i]["last"] is None}
        assert ids("admin", search="BEN THURSDAY") == {i for i in listed if "ben thursday" in leads[i]["company"]}
        assert ids("admin", search="thursday ben") == set()  # the text is found as typed, not word by word
        assert ids("admin", search="ben.1") == {i for i in listed if leads[i]["owner"] == "ben" and leads[i]["plan"] == "later today"}
        assert ids("admin", search="kontakt cem") == {i for i in listed if leads[i]["owner"] == "cem"}
        with pytest.raises(Forbidden):
            worklist_page(uow, people["viewer"], WorklistFilters(), EVERYTHING, Clock(NOW))

    def test_pages_follow_the_order_asked_for_and_tell_the_totals_of_the_whole_list(self, uow, people, leads):
        filters = WorklistFilters(window="all", state="all")
        whole = worklist_page(uow, people["admin"], filters, GridWindow(0, 200, (("company", True),)), Clock(NOW))
        assert [r["company"] for r in whole.rows] == sorted((f["company"] for f in leads.values() if f["plan"] != "done"),
                                                            reverse=True)
        pages = [worklist_page(uow, people["admin"], filters, GridWindow(o, 7, (("company", True),)), Clock(NOW))
                 for o in range(0, 35, 7)]
        assert [r for p in pages for r in rows_of(p)] == rows_of(whole)
        assert all(p.totals.total == len(whole.rows) for p in pages)
        past_the_end = worklist_page(uow, people["admin"], filters, GridWindow(500, 7, ()), Clock(NOW))
        assert past_the_end.rows == [] and past_the_end.totals.total == len(whole.rows)
        by_due = rows_of(worklist_page(uow, people["admin"], filters, EVERYTHING, Clock(NOW)))
        assert [leads[i]["plan"] for i in by_due][-6:] == ["paused"] * 6  # nothing planned: last, either way
        for key in ("owner", "team", "step", "state", "status", "contact", "email"):
            for descending in (False, True):
                page = worklist_page(uow, people["admin"], filters, GridWindow(0, 200, ((key, descending),)), Clock(NOW))
                assert sorted(rows_of(page)) == sorted(by_due)

    def test_the_csv_has_the_filtered_rows_with_formulas_neutralised(self, uow, people, leads):
        name, body, n = worklist_csv(uow, people["anna"], WorklistFilters(window="week"), EVERYTHING, Clock(NOW))
        rows = list(csv.DictReader(io.StringIO(body)))
        wanted = {i for i, f in leads.items() if f["owner"] == "anna" and f["plan"] in ("overdue", "later today", "thursday")}
        assert name == "followups-week.csv" and n == len(rows) == len(wanted)
        assert {int(r["lead_id"]) for r in rows} == wanted
        assert all(not r["company"].startswith("=") for r in rows) and any(r["company"].startswith("'=") for r in rows)
        with pytest.raises(Forbidden):
            worklist_csv(uow, people["viewer"], WorklistFilters(), EVERYTHING, Clock(NOW))

    def test_the_options_follow_the_role(self, uow, people, leads):
        sales, manager, analyst = (worklist_options(uow, people[p]) for p in ("anna", "manager", "analyst"))
        assert sales["owners"] == [] and sales["teams"] == [] and sales["may_change"] and not sales["may_send"]
        assert {name for _id, name in manager["owners"]} == {"Anna", "Ben", "Manager"} and manager["may_send"]
        assert len(analyst["teams"]) == 2 and not analyst["may_change"] and analyst["may_export"]

    # -- bulk actions ----------------------------------------------------------------------------------

    def _paused(self, uow) -> set[int]:
        with uow(write=False) as tx:
            return set(tx.session.scalars(select(FollowupPause.lead_id)))

    def test_a_bulk_pause_pauses_exactly_the_callers_planned_leads(self, uow, people, leads, automation):
        before = self._paused(uow)
        mine = [i for i, f in leads.items() if f["owner"] == "anna"]
        theirs = [i for i, f in leads.items() if f["owner"] == "cem"][:3]
        result = change_many(uow, people["anna"], "pause", [(i, None) for i in mine + theirs], automation, Clock(NOW))
        planned = {i for i in mine if leads[i]["plan"] not in ("paused", "done")}
        assert self._paused(uow) == before | planned
        assert result.done == len(planned)
        assert dict(result.skipped) == {"not_in_scope": 3, "already_paused": 2, "nothing_planned": 2}
        with uow(write=False) as tx:
            assert all(tx.leads.find(i).next_followup_at is None for i in planned)
        again = change_many(uow, people["anna"], "pause", [(i, None) for i in planned], automation, Clock(NOW))
        assert again.done == 0 and again.skipped["already_paused"] == len(planned)

    def test_readers_may_not_act_and_nothing_changes(self, uow, people, leads, automation):
        before = self._paused(uow)
        picks = [(i, None) for i in leads]
        for who, action in (("analyst", "pause"), ("viewer", "resume"), ("anna", "send"), ("analyst", "send")):
            with pytest.raises(Forbidden):
                change_many(uow, people[who], action, picks, automation, Clock(NOW))
        with pytest.raises(ValueError):
            change_many(uow, people["admin"], "delete", picks, automation, Clock(NOW))
        with pytest.raises(ValueError):
            change_many(uow, people["admin"], "pause", [(i, None) for i in range(1, MAX_BATCH + 2)], automation, Clock(NOW))
        assert self._paused(uow) == before

    def test_a_bulk_resume_plans_each_lead_again_and_tells_it(self, uow, people, leads, automation):
        paused = sorted(i for i, f in leads.items() if f["plan"] == "paused" and f["owner"] in ("anna", "ben"))
        result = change_many(uow, people["manager"], "resume", [(i, None) for i in paused + [10**9]], automation, Clock(NOW))
        assert result.done == len(paused) and dict(result.skipped) == {"not_in_scope": 1}
        assert not self._paused(uow) & set(paused)
        with uow(write=False) as tx:
            assert all(tx.leads.find(i).next_followup_at >= NOW for i in paused)
            scheduled = {r.data["lead_id"] for r in tx.session.scalars(select(EventRecord).where(
                EventRecord.type == "com.freshplan.followup.scheduled.v1"))}
        assert scheduled == set(paused)

    def test_a_bulk_send_sends_each_step_once_and_skips_what_changed(self, uow, people, leads, automation):
        due = sorted(i for i, f in leads.items() if f["owner"] in ("anna", "ben") and f["plan"] in ("overdue", "thursday"))
        stale = [i for i in due if leads[i]["last"] == "T3"][:1]  # the caller saw T+3, but T+3 is sent already
        picks = [(i, "T7" if leads[i]["last"] == "T3" else "T3") for i in due if i not in stale] + [(i, "T3") for i in stale]
        paused = [i for i, f in leads.items() if f["owner"] == "anna" and f["plan"] == "paused"]
        result = change_many(uow, people["manager"], "send", picks + [(i, "T3") for i in paused], automation, Clock(NOW))
        assert result.done == len(due) - 1 and dict(result.skipped) == {"taken": 1, "paused": len(paused)}
        again = change_many(uow, people["manager"], "send", picks, automation, Clock(NOW))
        assert again.done == 0
        with uow(write=False) as tx:
            mails = tx.session.scalar(select(func.count()).select_from(EmailMessage))
        assert mails == len(due) - 1

    def test_a_bulk_action_takes_the_same_statements_for_5_leads_as_for_40(self, uow, engine, people, leads, automation):
        statements = []

        def executed(_conn, _cursor, sql, *_rest):
            statements.append(sql)
        counts = {}
        with uow() as tx:
            owner = tx.session.get(User, people["cem"].user_id)
            more = [Lead(company=f"Extra {n}", email=f"extra{n}@x.example", business_type="CANTEEN", owner_id=owner.id,
                         team_id=owner.team_id, status="ACTIVE", email_consent=True, registered_at=NOW - timedelta(days=10),
                         updated_at=NOW, next_followup_at=NOW - timedelta(hours=1)) for n in range(45)]
            tx.session.add_all(more)
            tx.commit()
            ids = [lead.id for lead in more]
        event.listen(engine, "before_cursor_execute", executed)
        for action in ("pause", "resume", "send"):
            for batch in (ids[:5], ids[5:45]):
                statements.clear()
                change_many(uow, people["admin"], action, [(i, None) for i in batch], automation, Clock(NOW))
                counts[(action, len(batch))] = len(statements)
        event.remove(engine, "before_cursor_execute", executed)
        assert all(counts[(a, 5)] == counts[(a, 40)] for a in ("pause", "resume", "send")), counts


class TestSqlite(WorklistContract):
    @pytest.fixture
    def engine(self, tmp_path):
        engine = make_engine(f"sqlite:///{tmp_path / 'worklist.db'}")
        yield engine
        engine.dispose()


class TestPostgres(WorklistContract):
    @pytest.fixture
    def engine(self, pg_url):
        engine = make_engine(pg_url)
        yield engine
        engine.dispose()
