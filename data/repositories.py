"""Repositories: the only place that turns domain questions into ORM queries."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Select, bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from data.bulk import insert_many
from data.locks import AdvisoryLock, hold_until_transaction_ends
from data.models import Activity, AuthSession, Customer, Lead, Team, User
from domain.roles import Scope


def _lower(session: Session, column, compared_with: str):
    """lower(column) that also folds non-ASCII letters: SQLite's built-in lower() folds only A-Z, so
    'MÜLLER' would never match 'müller'. The Python fold (data/db.py) is slower, so it is used only
    when the text compared with has non-ASCII letters; ASCII-only text matches either way."""
    if compared_with.isascii() or session.get_bind().dialect.name != "sqlite":
        return func.lower(column)
    return func.unicode_lower(column)


def _contains(session: Session, column, term: str):
    """`column` contains `term`, ignoring case; % and _ in the term are literal. SQLite's LIKE
    already ignores ASCII case, and skipping lower() makes a search over 100,000 leads about three
    times faster; PostgreSQL has ILIKE."""
    pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if session.get_bind().dialect.name != "sqlite":
        return column.ilike(pattern, escape="\\")
    target = column if term.isascii() else func.unicode_lower(column)
    return target.like(pattern, escape="\\")


class SqlAlchemyUsers:
    def __init__(self, session: Session):
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(_lower(self.session, User.username, username) == username.lower()))

    def by_usernames(self, usernames: set[str]) -> dict[str, User]:
        """Users by lower-cased name, for a batch of names in one query."""
        names = {u.lower() for u in usernames}
        if not names:
            return {}
        column = _lower(self.session, User.username, "".join(names))
        return {u.username.lower(): u for u in self.session.scalars(select(User).where(column.in_(names)))}

    def list(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.username)))

    def any_exist(self) -> bool:
        """Whether the database has any user (a first start has none)."""
        return self.session.scalar(select(User.id).limit(1)) is not None

    def lock_for_seeding(self) -> None:
        """Two processes filling an empty database at once must not both fill it: take this before
        asking `any_exist` (SQLite's write transaction already serialises)."""
        hold_until_transaction_ends(self.session, AdvisoryLock.DEMO_SEEDING)

    def add(self, user: User) -> None:
        self.session.add(user)
        self.session.flush()

    def teams(self) -> list[Team]:
        return list(self.session.scalars(select(Team).order_by(Team.name)))

    def get_team(self, team_id: int) -> Team | None:
        return self.session.get(Team, team_id)

    def team_by_name(self, name: str) -> Team | None:
        return self.session.scalar(select(Team).where(_lower(self.session, Team.name, name) == name.lower()))

    def add_team(self, team: Team) -> None:
        self.session.add(team)
        self.session.flush()

    def team_of_users(self) -> dict[int, int | None]:
        return dict(self.session.execute(select(User.id, User.team_id)).all())

    def members(self, team_id: int | None) -> list[User]:
        stmt = select(User).where(User.active.is_(True)).order_by(User.display_name)
        if team_id is not None:
            stmt = stmt.where(User.team_id == team_id)
        return list(self.session.scalars(stmt))

    # sessions: one row per signed-in browser
    def add_session(self, row: AuthSession) -> None:
        self.session.add(row)

    def session_by_hash(self, token_hash: str) -> AuthSession | None:
        return self.session.get(AuthSession, token_hash)

    def end_session(self, token_hash: str) -> None:
        self.session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))

    def end_sessions_of(self, user_id: int, except_hash: str | None = None) -> int:
        stmt = delete(AuthSession).where(AuthSession.user_id == user_id)
        if except_hash:
            stmt = stmt.where(AuthSession.token_hash != except_hash)
        return self.session.execute(stmt).rowcount


def scoped_to(stmt: Select, scope: Scope) -> Select:
    """`stmt` (over leads, or joined to them) narrowed to the leads `scope` may see."""
    if scope.user_id is not None:
        stmt = stmt.where(Lead.owner_id == scope.user_id)
    if scope.team_id is not None:
        stmt = stmt.where(Lead.team_id == scope.team_id)
    return stmt


_LEAD_DEFAULTS = {**{c.key: None for c in Lead.__table__.columns}, "country": "DE", "timezone": "Europe/Berlin",
                  "email_consent": False, "score": 0}


def new_lead(**values) -> SimpleNamespace:
    """A lead to insert with `SqlAlchemyLeads.add_all`: every column's attribute, defaults filled in.
    A plain object: building an ORM Lead costs more than the row's whole insert in a batch."""
    return SimpleNamespace(**{**_LEAD_DEFAULTS, **values})


class SqlAlchemyLeads:
    def __init__(self, session: Session):
        self.session = session

    def add(self, lead: Lead) -> None:
        self.session.add(lead)
        self.session.flush()

    def add_all(self, leads: list) -> None:
        """Insert new leads (`new_lead` objects) in one statement and set their ids. Core, not the ORM's
        flush: the objects stay outside the session (a query finds the rows)."""
        if not leads:
            return
        table, connection = Lead.__table__, self.session.connection()
        rows = [{c.key: getattr(lead, c.key) for c in table.columns if c.key != "id"} for lead in leads]
        ids = self._new_ids(len(leads))
        insert_many(connection, table, [{**row, "id": lead_id} for row, lead_id in zip(rows, ids)], one_statement=True)
        for lead, lead_id in zip(leads, ids):
            lead.id = lead_id

    def _new_ids(self, n: int) -> list[int]:
        """n ids known before the insert, so it needs no RETURNING (a third of the cost on SQLite).
        PostgreSQL: from the table's sequence. SQLite: after the highest id, as SQLite itself would hand
        them out; a writing unit of work holds the database's one write lock (BEGIN IMMEDIATE), so no
        other writer can take them meanwhile."""
        if self.session.get_bind().dialect.name == "postgresql":
            return list(self.session.scalars(text("SELECT nextval(pg_get_serial_sequence('leads', 'id')) "
                                                  "FROM generate_series(1, :n)"), {"n": n}))
        highest = int(self.session.scalar(select(func.max(Lead.id))) or 0)
        return list(range(highest + 1, highest + n + 1))

    def get(self, lead_id: int, scope: Scope) -> Lead | None:
        return self.session.scalar(scoped_to(select(Lead).where(Lead.id == lead_id), scope))

    def first_with_email(self, scope: Scope) -> Lead | None:
        """The lead in scope with the lowest id that has an address (a sample for previews)."""
        stmt = scoped_to(select(Lead).where(Lead.email.is_not(None)), scope)
        return self.session.scalar(stmt.order_by(Lead.id).limit(1))

    def find(self, lead_id: int | None = None, email: str | None = None, external_id: str | None = None) -> Lead | None:
        """A lead by id, else by the id another system registered it with, else by e-mail (events from
        other systems may know only theirs)."""
        if lead_id is not None:
            return self.session.get(Lead, lead_id)
        if external_id:
            found = self.session.scalar(select(Lead).where(Lead.external_id == external_id).order_by(Lead.id).limit(1))
            if found is not None or not email:
                return found
        if email:
            return self.session.scalar(select(Lead).where(_lower(self.session, Lead.email, email) == email.lower())
                                       .order_by(Lead.id).limit(1))
        return None

    def newest_by_email(self, email: str) -> Lead | None:
        """The most recently registered lead with this address, compared case-insensitively (inbound mail)."""
        return self.session.scalar(select(Lead).where(_lower(self.session, Lead.email, email) == email.lower())
                                   .order_by(Lead.registered_at.desc(), Lead.id.desc()).limit(1))

    def activities(self, lead_id: int) -> list[Activity]:
        stmt = select(Activity).where(Activity.lead_id == lead_id).order_by(Activity.occurred_at.desc())
        return list(self.session.scalars(stmt))

    def add_activity(self, activity: Activity) -> None:
        """Whatever happens to a lead that became a customer (a late reply, a note) is the customer's too."""
        if activity.customer_id is None and activity.lead_id is not None:
            activity.customer_id = self.session.scalar(select(Customer.id).where(Customer.original_lead_id == activity.lead_id))
        self.session.add(activity)

    def add_lead_activities(self, rows: list[dict]) -> None:
        """add_activity for many, given as column values: one look-up of the customers, one insert."""
        leads = {row["lead_id"] for row in rows if row.get("customer_id") is None}
        customers = dict(self.session.execute(select(Customer.original_lead_id, Customer.id)
                                              .where(Customer.original_lead_id.in_(leads))).all()) if leads else {}
        rows = [{**row, "customer_id": row.get("customer_id") or customers.get(row["lead_id"])} for row in rows]
        insert_many(self.session.connection(), Activity.__table__, rows)

    def add_activity_rows(self, rows: list[dict]) -> None:
        """Insert activities given as column values (no id), in one statement: a seeded history."""
        insert_many(self.session.connection(), Activity.__table__, rows)

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Lead)) or 0)

    def reschedule(self, due: dict[int, datetime]) -> None:
        """Set the next follow-up of the leads given ({lead id: when}), in one statement."""
        if due:
            table = Lead.__table__
            stmt = update(table).where(table.c.id == bindparam("lead")).values(next_followup_at=bindparam("due"))
            self.session.connection().execute(stmt, [{"lead": lead, "due": at} for lead, at in due.items()])

    def companies(self, lead_ids: set[int]) -> dict[int, str]:
        """{lead id: company} for the ids given (the cockpit's feed names leads by their company)."""
        if not lead_ids:
            return {}
        return dict(self.session.execute(select(Lead.id, Lead.company).where(Lead.id.in_(lead_ids))).all())

    def status_counts(self, scope: Scope) -> dict[str, int]:
        stmt = scoped_to(select(Lead.status, func.count()).group_by(Lead.status), scope)
        return dict(self.session.execute(stmt).all())
