"""One contract for the schema, migrations and repositories, run on SQLite and on PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from data.db import make_engine, make_session_factory
from data.followup_models import FollowupStepRecord
from data.migrate import downgrade, upgrade
from data.models import AuthSession, Base, EventRecord, Lead, Team, User
from data.grid_filters import ColumnFilter, GridWindow
from data.lead_grid import LeadQuery
from data.repositories import new_lead
from data.uow import SqlAlchemyUnitOfWork
from domain.model import followup_state
from domain.roles import Scope

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


class RepositoryContract:
    """Subclasses provide `engine`; every test here must pass on each backend."""

    @pytest.fixture
    def uow(self, engine):
        upgrade(engine)
        return SqlAlchemyUnitOfWork(make_session_factory(engine))

    def _team_and_users(self, uow):
        with uow() as tx:
            nord, sued = Team(name="Nord", created_at=T0), Team(name="Süd", created_at=T0)
            tx.users.add_team(nord)
            tx.users.add_team(sued)
            anna = User(username="anna", display_name="Anna", password_hash="x", role="sales", team_id=nord.id, created_at=T0)
            ben = User(username="ben", display_name="Ben", password_hash="x", role="sales", team_id=sued.id, created_at=T0)
            tx.users.add(anna)
            tx.users.add(ben)
            tx.commit()
            return nord.id, sued.id, anna.id, ben.id

    def _lead(self, n, owner, team, **kw):
        return Lead(company=f"Gasthaus {n:03d}", contact_name=f"Kontakt {n}", email=f"l{n}@x.example", business_type="HOTEL",
                    city="Köln" if n % 2 else "Wien", owner_id=owner, team_id=team, status="ACTIVE", score=n,
                    registered_at=T0 + timedelta(hours=n), updated_at=T0, **kw)

    def test_migrations_create_every_table_and_downgrade_removes_them(self, engine):
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        downgrade(engine)
        assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())

    def test_usernames_are_unique_and_found_case_insensitively(self, uow):
        self._team_and_users(uow)
        with uow(write=False) as tx:
            assert tx.users.by_username("ANNA").display_name == "Anna"
        with uow() as tx, pytest.raises(IntegrityError):
            tx.users.add(User(username="anna", display_name="Other", password_hash="x", role="viewer", created_at=T0))

    def test_times_come_back_aware_and_in_utc(self, uow):
        _n, _s, anna, _b = self._team_and_users(uow)
        local = datetime(2026, 11, 2, 10, 30, tzinfo=timezone(timedelta(hours=1)))
        with uow() as tx:
            tx.leads.add(self._lead(1, anna, None, sample_delivered_at=local))
            tx.commit()
        with uow(write=False) as tx:
            (lead, _owner), = tx.lead_grid.page(LeadQuery(scope=Scope()))[0]
            assert lead.sample_delivered_at == local and lead.sample_delivered_at.utcoffset() == timedelta(0)

    def test_lead_pages_respect_scope_search_sort_and_paging(self, uow):
        nord, sued, anna, ben = self._team_and_users(uow)
        with uow() as tx:
            for n in range(30):
                tx.leads.add(self._lead(n, anna if n < 20 else ben, nord if n < 20 else sued))
            tx.commit()
        with uow(write=False) as tx:
            rows, total = tx.lead_grid.page(LeadQuery(scope=Scope(team_id=nord, user_id=anna),
                                                      window=GridWindow(5, 5, (("score", False),))))
            assert total == 20 and [r.score for r, _owner in rows] == [5, 6, 7, 8, 9]
            rows, total = tx.lead_grid.page(LeadQuery(scope=Scope(team_id=sued), search="wien"))
            assert total == 5 and all(r.owner_id == ben and r.city == "Wien" for r, _owner in rows)
            rows = [r for r, _owner in rows]
            assert tx.leads.get(rows[0].id, Scope(team_id=nord)) is None
            assert tx.leads.status_counts(Scope()) == {"ACTIVE": 30}

    def test_lead_pages_sort_by_contact_and_by_the_followup_label(self, uow):
        nord, _s, anna, _b = self._team_and_users(uow)
        stages = [("LOST", "T3"), ("ACTIVE", "T7"), ("ACTIVE", None), ("CONVERTED", None), ("ACTIVE", "T3"),
                  ("REMINDER", "T7"), ("REGISTERED", None)]
        with uow() as tx:
            for n, (status, step) in enumerate(stages):
                lead = self._lead(n, anna, nord, last_followup_step=step)
                lead.status, lead.contact_name = status, f"Kontakt {'GCAFEBD'[n]}"
                tx.leads.add(lead)
            tx.commit()
        with uow(write=False) as tx:
            def page(sort_by, descending=False):
                return [r for r, _owner in tx.lead_grid.page(LeadQuery(scope=Scope(),
                                                                       window=GridWindow(sort=((sort_by, descending),))))[0]]
            assert [r.contact_name[-1] for r in page("contact_name")] == list("ABCDEFG")
            labels = [followup_state(r.status, r.last_followup_step) for r in page("followup")]
            assert labels == ["awaiting T+3"] * 2 + ["T+3 sent"] + ["T+7 sent"] * 2 + ["closed"] * 2
            assert [followup_state(r.status, r.last_followup_step) for r in page("followup", True)] == labels[::-1]

    def test_search_folds_umlauts_and_takes_wildcards_literally(self, uow):
        nord, _s, anna, _b = self._team_and_users(uow)
        with uow() as tx:
            for n, company in enumerate(["MÜLLERS Gasthof", "Café Ölberg", "100% Bio_Kantine", "1000 Bio Kantine"]):
                tx.leads.add(self._lead(n, anna, nord))
                tx.session.flush()
                tx.session.execute(Lead.__table__.update().where(Lead.email == f"l{n}@x.example").values(company=company))
            tx.commit()
        with uow(write=False) as tx:
            def found(term):
                return sorted(r.company for r, _owner in tx.lead_grid.page(LeadQuery(scope=Scope(), search=term))[0])
            assert found("müller") == ["MÜLLERS Gasthof"]
            assert found("ölb") == ["Café Ölberg"] and found("CAFÉ") == ["Café Ölberg"]
            assert found("100%") == ["100% Bio_Kantine"] and found("o_k") == ["100% Bio_Kantine"]
            assert tx.users.team_by_name("SÜD").name == "Süd"

    def test_search_follows_renames_and_deletions_and_takes_short_and_quoted_terms(self, uow):
        nord, _s, anna, _b = self._team_and_users(uow)
        with uow() as tx:
            for n in range(3):
                tx.leads.add(self._lead(n, anna, nord))
            tx.commit()
        table = Lead.__table__
        with uow() as tx:  # the search index (migration 0016) must follow every write to the leads
            tx.session.execute(table.update().where(table.c.email == "l0@x.example").values(company='Hof "Zur Linde"'))
            tx.session.execute(table.update().where(table.c.email == "l1@x.example").values(city="Linz"))
            tx.session.execute(table.delete().where(table.c.email == "l2@x.example"))
            tx.commit()
        with uow(write=False) as tx:
            def found(term):
                return sorted(r.email for r, _owner in tx.lead_grid.page(LeadQuery(scope=Scope(), search=term))[0])
            assert found("Gasthaus 000") == [] and found("hof \"zur") == ["l0@x.example"]
            assert found("LIN") == ["l0@x.example", "l1@x.example"] and found("köln") == [] and found("l2@") == []
            assert found("li") == ["l0@x.example", "l1@x.example"] and found("x") == ["l0@x.example", "l1@x.example"]
            assert tx.lead_grid.page(LeadQuery(scope=Scope(), search="Gasthaus 00"))[1] == 1

    def test_a_search_matching_many_leads_pages_them_in_order_and_counts_them_all(self, uow):
        nord, _s, anna, _b = self._team_and_users(uow)
        with uow() as tx:  # more matches than SEARCH_WALKS_FROM: the page walks the leads in order
            tx.leads.add_all([new_lead(company=f"Gasthaus {'Linde' if n % 3 else 'Eiche'} {n}", business_type="HOTEL",
                                       owner_id=anna, team_id=nord, status="ACTIVE", score=n % 97,
                                       registered_at=T0 + timedelta(minutes=n), updated_at=T0) for n in range(1600)])
            tx.commit()
        linden = [n for n in range(1600) if n % 3]
        with uow(write=False) as tx:
            for scope in (Scope(), Scope(team_id=nord, user_id=anna)):
                newest = tx.lead_grid.page(LeadQuery(scope=scope, search="LINDE", window=GridWindow(50, 25)))
                by_score = tx.lead_grid.page(LeadQuery(scope=scope, search="linde",
                                                       window=GridWindow(0, 10, (("score", True), ("id", False)))))
                assert newest[1] == by_score[1] == len(linden)
                assert [r.company for r, _owner in newest[0]] == [f"Gasthaus Linde {n}" for n in sorted(linden, reverse=True)[50:75]]
                assert [r.score for r, _owner in by_score[0]] == sorted((n % 97 for n in linden), reverse=True)[:10]

    def test_lead_pages_keep_to_a_drill_downs_leads_and_filter_and_sort_by_any_grid_column(self, uow):
        nord, sued, anna, ben = self._team_and_users(uow)
        with uow() as tx:
            for n in range(12):
                tx.leads.add(self._lead(n, anna if n % 2 else ben, nord if n % 2 else sued))
            tx.commit()
        by_id = GridWindow(0, 100, (("id", False),))
        with uow(write=False) as tx:
            ids = [lead.id for lead, _owner in tx.lead_grid.page(LeadQuery(scope=Scope(), window=by_id))[0]]
            picked = tuple(ids[::3])
            rows, total = tx.lead_grid.page(LeadQuery(scope=Scope(), lead_ids=picked, window=by_id))
            assert total == len(picked) == 4 and [lead.id for lead, _owner in rows] == list(picked)
            assert tx.lead_grid.page(LeadQuery(scope=Scope(team_id=nord), lead_ids=picked, window=by_id))[1] == 2
            assert tx.lead_grid.page(LeadQuery(scope=Scope(), lead_ids=()))[1] == 0
            high = ColumnFilter("score", "number", "greaterThanOrEqual", 6)
            köln = ColumnFilter("city", "text", "equals", "KÖLN")
            rows, total = tx.lead_grid.page(LeadQuery(scope=Scope(), window=GridWindow(0, 3, (("owner", True), ("score", False)),
                                                                                      (high,))))
            assert total == 6 and [(owner, lead.score) for lead, owner in rows] == [("Ben", 6), ("Ben", 8), ("Ben", 10)]
            rows, total = tx.lead_grid.page(LeadQuery(scope=Scope(), window=GridWindow(0, 100, (("id", False),), (high, köln))))
            assert total == 3 and {lead.score for lead, _owner in rows} == {7, 9, 11}
            day = ColumnFilter("registered_at", "date", "inRange", T0.date(), T0.date())
            assert tx.lead_grid.page(LeadQuery(scope=Scope(), window=GridWindow(0, 100, (("id", False),), (day,))))[1] == 12
            assert [lead.id for lead, _owner in tx.lead_grid.stream(LeadQuery(scope=Scope(), lead_ids=picked, window=by_id))] \
                == list(picked)

    def test_ending_sessions_keeps_the_one_asked_for(self, uow):
        _n, _s, anna, _b = self._team_and_users(uow)
        with uow() as tx:
            for h in ("a" * 64, "b" * 64, "c" * 64):
                tx.users.add_session(AuthSession(token_hash=h, user_id=anna, created_at=T0, last_seen_at=T0))
            tx.commit()
        with uow() as tx:
            assert tx.users.end_sessions_of(anna, except_hash="b" * 64) == 2
            tx.commit()
        with uow(write=False) as tx:
            assert tx.users.session_by_hash("b" * 64) and tx.users.session_by_hash("a" * 64) is None

    def test_an_event_source_and_id_are_unique(self, uow):
        def event():
            return EventRecord(id="e1", source="/crm", type="com.freshplan.lead.registered.v1", time=T0,
                               idempotency_key="k", data={}, recorded_at=T0)
        with uow() as tx:
            tx.session.add(event())
            tx.commit()
        with uow() as tx, pytest.raises(IntegrityError):
            tx.session.add(event())
            tx.session.flush()

    def test_the_due_backlog_at_each_day_end_counts_waiting_and_late_handled_steps(self, uow):
        nord, sued, anna, ben = self._team_and_users(uow)
        day = timedelta(days=1)
        with uow() as tx:
            waiting_t3 = self._lead(1, anna, nord, next_followup_at=T0 + day)
            waiting_t7 = self._lead(2, anna, nord, last_followup_step="T3", next_followup_at=T0 + 3 * day)
            late, on_time, other_team = self._lead(3, anna, nord), self._lead(5, anna, nord), self._lead(4, ben, sued, next_followup_at=T0 + day)
            for lead in (waiting_t3, waiting_t7, late, on_time, other_team):
                tx.leads.add(lead)
            for lead, claimed in ((late, T0 + 2 * day - timedelta(hours=1)), (on_time, T0 + day + timedelta(hours=2))):
                tx.session.add(FollowupStepRecord(key=f"k{lead.id}", lead_id=lead.id, step="T3", clock_start=T0, status="sent",
                                                  planned_at=T0 + day, claimed_at=claimed))
            tx.commit()
        midnight = T0.replace(hour=0)
        ends = [midnight + (i + 1) * day for i in range(4)]  # the ends of 2, 3, 4 and 5 November
        with uow(write=False) as tx:
            assert tx.followups.backlog_at(Scope(user_id=anna), ends) == {"T3": [0, 2, 1, 1], "T7": [0, 0, 0, 1]}
            assert tx.followups.backlog_at(Scope(team_id=sued), ends) == {"T3": [0, 1, 1, 1], "T7": [0, 0, 0, 0]}
            assert tx.followups.backlog_at(Scope(), ends) == {"T3": [0, 3, 2, 2], "T7": [0, 0, 0, 1]}

    def test_rolled_back_work_leaves_nothing(self, uow):
        with uow() as tx:
            tx.users.add_team(Team(name="Ghost", created_at=T0))
        with uow(write=False) as tx:
            assert tx.users.team_by_name("Ghost") is None


class TestSqlite(RepositoryContract):
    @pytest.fixture
    def engine(self, tmp_path):
        engine = make_engine(f"sqlite:///{tmp_path / 'contract.db'}")
        yield engine
        engine.dispose()


@pytest.mark.postgres
class TestPostgres(RepositoryContract):
    @pytest.fixture
    def engine(self, pg_url):
        engine = make_engine(pg_url)
        yield engine
        engine.dispose()
