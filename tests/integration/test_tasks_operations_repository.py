"""The repositories of call tasks and of the operations page, one contract on SQLite and PostgreSQL:
tasks keyed once, scoped by their leads, closed and snoozed; dead deliveries and stuck mail listed,
retried and discarded; suppressions searched and lifted. Counts are checked against plain SQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import EmailMessage, EventRecord, Lead, Suppression, Team, User
from data.row_window import RowWindow
from data.sink_models import SinkDelivery
from data.task_models import OperatorAction, Task
from data.uow import SqlAlchemyUnitOfWork
from domain.roles import Scope
from domain.tasks import call_task

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


class OperationsContract:
    @pytest.fixture
    def uow(self, engine):
        upgrade(engine)
        return SqlAlchemyUnitOfWork(make_session_factory(engine))

    def _people_and_leads(self, uow) -> dict:
        with uow() as tx:
            nord, sued = Team(name="Nord", created_at=T0), Team(name="Süd", created_at=T0)
            tx.users.add_team(nord)
            tx.users.add_team(sued)
            anna = User(username="anna", display_name="Anna", password_hash="x", role="sales", team_id=nord.id, created_at=T0)
            ben = User(username="ben", display_name="Ben", password_hash="x", role="sales", team_id=sued.id, created_at=T0)
            tx.users.add(anna)
            tx.users.add(ben)
            leads = [Lead(company=f"Gasthaus {n}", contact_name=f"Kontakt {n}", email=f"l{n}@x.example", phone=f"+49 {n}",
                          business_type="HOTEL", owner_id=(anna if n < 3 else ben).id,
                          team_id=(nord if n < 3 else sued).id, status="REMINDER", registered_at=T0, updated_at=T0)
                     for n in range(5)]
            for lead in leads:
                tx.leads.add(lead)
            tx.commit()
            return {"nord": nord.id, "sued": sued.id, "anna": anna.id, "ben": ben.id, "leads": [lead.id for lead in leads]}

    def _tasks(self, uow, world) -> None:
        with uow() as tx:
            written = tx.tasks.add_many([call_task(lead, f"key-{lead}", T0, T0 + (i + 1) * HOUR)
                                         for i, lead in enumerate(world["leads"])])
            tx.commit()
        assert written == {f"key-{lead}" for lead in world["leads"]}

    def test_a_task_key_is_written_once_however_often_it_is_replayed(self, uow):
        world = self._people_and_leads(uow)
        self._tasks(uow, world)
        with uow() as tx:
            again = tx.tasks.add_many([call_task(world["leads"][0], f"key-{world['leads'][0]}", T0 + HOUR, T0 + HOUR)])
            tx.commit()
        assert again == set()
        with uow(write=False) as tx:
            assert tx.session.scalar(select(func.count()).select_from(Task)) == 5

    def test_open_tasks_follow_their_leads_scope_and_sort(self, uow):
        world = self._people_and_leads(uow)
        self._tasks(uow, world)
        with uow(write=False) as tx:
            mine, total = tx.tasks.open_page(Scope(team_id=world["nord"], user_id=world["anna"]), RowWindow(0, 10))
            assert total == 3 and [t.company for t in mine] == ["Gasthaus 0", "Gasthaus 1", "Gasthaus 2"]
            assert mine[0].phone == "+49 0" and mine[0].owner == "Anna"
            team, total = tx.tasks.open_page(Scope(team_id=world["sued"]), RowWindow(0, 10, "due_at", True))
            assert total == 2 and [t.company for t in team] == ["Gasthaus 4", "Gasthaus 3"]
            page, total = tx.tasks.open_page(Scope(), RowWindow(1, 2, "company"))
            assert total == 5 and [t.company for t in page] == ["Gasthaus 1", "Gasthaus 2"]
            assert tx.tasks.count_open(Scope(team_id=world["nord"])) == 3
            assert tx.tasks.count_open(Scope(team_id=-1)) == 0

    def test_closing_and_snoozing_touch_only_open_tasks_in_scope(self, uow):
        world = self._people_and_leads(uow)
        self._tasks(uow, world)
        with uow(write=False) as tx:
            ids = sorted(tx.session.scalars(select(Task.id)))
            anna_scope = Scope(team_id=world["nord"], user_id=world["anna"])
            assert [row[0] for row in tx.tasks.open_among(ids, anna_scope)] == ids[:3]
        with uow() as tx:
            assert tx.tasks.close(ids[:2], world["anna"], T0) == 2
            assert tx.tasks.close(ids[:2], world["anna"], T0) == 0  # closed already
            tx.tasks.snooze({ids[2]: T0 + 48 * HOUR})
            tx.commit()
        with uow(write=False) as tx:
            snoozed = tx.session.get(Task, ids[2])
            assert snoozed.due_at == T0 + 48 * HOUR and snoozed.snoozes == 1 and snoozed.done_at is None
            independent = tx.session.execute(text("SELECT count(*) FROM tasks WHERE done_at IS NULL")).scalar()
            assert tx.tasks.count_open(Scope()) == independent == 3

    def _event(self, tx, n: int) -> int:
        record = EventRecord(id=f"e{n}", source="/crm", type="com.freshplan.lead.registered.v1", time=T0,
                             idempotency_key=f"k{n}", data={}, recorded_at=T0, subject=f"lead/{n}")
        tx.session.add(record)
        tx.session.flush()
        return record.seq

    def test_dead_deliveries_are_listed_retried_once_and_discarded_for_good(self, uow):
        with uow() as tx:
            seqs = [self._event(tx, n) for n in range(4)]
            tx.session.add_all([SinkDelivery(sink="webhook", event_seq=seq, attempts=8, last_error="HTTP 410",
                                             dead_at=T0 + i * HOUR) for i, seq in enumerate(seqs[:3])])
            tx.session.add(SinkDelivery(sink="webhook", event_seq=seqs[3], attempts=1))  # pending, not dead
            tx.commit()
        with uow(write=False) as tx:
            rows, total = tx.operations.dead_deliveries(RowWindow(0, 10))
            assert total == 3 and [r.seq for r in rows] == seqs[2::-1]  # newest first
            assert rows[0].type == "com.freshplan.lead.registered.v1" and rows[0].last_error == "HTTP 410"
        with uow() as tx:
            assert tx.operations.retry_delivery("webhook", seqs[0], T0) is True
            assert tx.operations.retry_delivery("webhook", seqs[0], T0) is False  # pending now
            assert tx.operations.retry_delivery("webhook", seqs[3], T0) is False  # never dead
            tx.operations.record(OperatorAction(action="sink.discard", target=f"webhook/{seqs[1]}", reason="gone",
                                                username="admin", at=T0))
            tx.commit()
        with uow() as tx:
            assert tx.operations.retry_delivery("webhook", seqs[1], T0) is False  # discarded
            assert tx.operations.dead_delivery("webhook", seqs[1]) is None
            rows, total = tx.operations.dead_deliveries(RowWindow(0, 10))
            assert total == 1 and [r.seq for r in rows] == [seqs[2]]
            retried = tx.session.get(SinkDelivery, ("webhook", seqs[0]))
            assert retried.dead_at is None and retried.attempts == 0 and retried.next_attempt_at == T0

    def _message(self, n: int, status: str) -> EmailMessage:
        return EmailMessage(idempotency_key=f"m{n}", to_email=f"m{n}@x.example", subject="Hallo", status=status,
                            provider="smtp", attempts=3, last_error="550", created_at=T0 + n * HOUR,
                            next_attempt_at=None)

    def test_stuck_mail_is_dead_or_unconfirmed_and_leaves_the_list_when_settled(self, uow):
        with uow() as tx:
            for n, status in enumerate(("dead", "unconfirmed", "unconfirmed", "sent", "queued")):
                tx.session.add(self._message(n, status))
            tx.commit()
        with uow(write=False) as tx:
            rows, total = tx.operations.stuck_mail(RowWindow(0, 10))
            assert total == 3 and [m.status for m in rows] == ["unconfirmed", "unconfirmed", "dead"]
            ids = {m.idempotency_key: m.id for m in rows}
        with uow() as tx:
            assert tx.operations.requeue_mail(ids["m0"], "dead", T0) is True
            assert tx.operations.requeue_mail(ids["m0"], "dead", T0) is False
            assert tx.operations.mark_mail_sent(ids["m1"], T0).status == "sent"
            assert tx.operations.mark_mail_sent(ids["m1"], T0) is None
            tx.operations.record(OperatorAction(action="mail.discard", target=str(ids["m2"]), reason="x", username="a", at=T0))
            tx.commit()
        with uow(write=False) as tx:
            assert tx.operations.stuck_mail(RowWindow(0, 10)) == ([], 0)
            requeued = tx.session.get(EmailMessage, ids["m0"])
            assert (requeued.status, requeued.attempts, requeued.next_attempt_at) == ("queued", 0, T0)

    def test_suppressions_are_searched_literally_and_lifted_once(self, uow):
        with uow() as tx:
            for n, email in enumerate(("anna@x.example", "a_b@y.example", "ab@y.example")):
                tx.session.add(Suppression(email=email, reason="unsubscribe", source="link", created_at=T0 + n * HOUR))
            tx.commit()
        with uow() as tx:
            rows, total = tx.operations.suppressions(RowWindow(0, 10), "A_B")
            assert total == 1 and rows[0].email == "a_b@y.example"
            rows, total = tx.operations.suppressions(RowWindow(0, 2, "email"))
            assert total == 3 and [s.email for s in rows] == ["a_b@y.example", "ab@y.example"]
            assert tx.operations.lift(rows[0].id) is True and tx.operations.lift(rows[0].id) is False
            tx.commit()
        with uow(write=False) as tx:
            assert tx.session.scalar(select(func.count()).select_from(Suppression)) == 2


class TestSqlite(OperationsContract):
    @pytest.fixture
    def engine(self, tmp_path):
        engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
        yield engine
        engine.dispose()


@pytest.mark.postgres
class TestPostgres(OperationsContract):
    @pytest.fixture
    def engine(self, pg_url):
        engine = make_engine(pg_url)
        yield engine
        engine.dispose()
