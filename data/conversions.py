"""The conversion repository: rules, decisions, the review queue, customers and suppressions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.conversion_models import ConversionDecision, ReplyReview
from data.models import Activity, ConversionRule, Customer, Lead, Suppression
from data.repositories import scoped_to
from domain.readiness import KnownCustomer
from domain.roles import Scope


class SqlAlchemyConversions:
    def __init__(self, session: Session):
        self.session = session

    # rules
    def rules(self, enabled_only: bool = False) -> list[ConversionRule]:
        stmt = select(ConversionRule).order_by(ConversionRule.priority, ConversionRule.id)
        if enabled_only:
            stmt = stmt.where(ConversionRule.enabled.is_(True))
        return list(self.session.scalars(stmt))

    def rule(self, rule_id: int) -> ConversionRule | None:
        return self.session.get(ConversionRule, rule_id)

    def rule_by_name(self, name: str) -> ConversionRule | None:
        return self.session.scalar(select(ConversionRule).where(ConversionRule.name == name))

    def add_rule(self, rule: ConversionRule) -> bool:
        """False when a rule of that name exists already (a concurrent save or seed)."""
        try:
            with self.session.begin_nested():
                self.session.add(rule)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    # decisions
    def add_decision(self, decision: ConversionDecision) -> None:
        self.session.add(decision)
        self.session.flush()

    def decision(self, decision_id: int) -> ConversionDecision | None:
        return self.session.get(ConversionDecision, decision_id)

    def decisions_of(self, lead_id: int) -> list[ConversionDecision]:
        stmt = (select(ConversionDecision).where(ConversionDecision.lead_id == lead_id)
                .order_by(ConversionDecision.decided_at.desc(), ConversionDecision.id.desc()))
        return list(self.session.scalars(stmt))

    # the review queue
    def add_review(self, review: ReplyReview) -> bool:
        try:
            with self.session.begin_nested():
                self.session.add(review)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def open_reviews(self, scope: Scope, limit: int = 50) -> list[tuple[ReplyReview, Lead]]:
        stmt = (select(ReplyReview, Lead).join(Lead, Lead.id == ReplyReview.lead_id).where(ReplyReview.label.is_(None))
                .order_by(ReplyReview.replied_at, ReplyReview.id).limit(limit))
        return [tuple(r) for r in self.session.execute(scoped_to(stmt, scope)).all()]

    def claim_review(self, review_id: int, label: str, user_id: int, now: datetime) -> ReplyReview | None:
        """Label an open review; None when it is gone or someone labelled it first."""
        stmt = (update(ReplyReview).where(ReplyReview.id == review_id, ReplyReview.label.is_(None))
                .values(label=label, labelled_by=user_id, labelled_at=now))
        if self.session.execute(stmt).rowcount != 1:
            return None
        return self.session.get(ReplyReview, review_id, populate_existing=True)

    def review(self, review_id: int) -> ReplyReview | None:
        return self.session.get(ReplyReview, review_id)

    # customers
    def customers_like(self, email: str | None, vat_id: str | None, city: str | None) -> list[KnownCustomer]:
        """Customers that could be the same company: same e-mail, same VAT id, or in the same city."""
        conditions = []
        if email:
            conditions.append(func.lower(Customer.email) == email.strip().lower())
        if vat_id:
            conditions.append(func.upper(func.replace(Customer.vat_id, " ", "")) == vat_id.replace(" ", "").upper())
        if city:
            conditions.append(func.lower(Lead.city) == city.strip().lower())
        if not conditions:
            return []
        stmt = (select(Customer.id, Customer.company, Customer.email, Customer.vat_id, Lead.city)
                .join(Lead, Lead.id == Customer.original_lead_id).where(or_(*conditions)).limit(500))
        return [KnownCustomer(*row) for row in self.session.execute(stmt)]

    def add_customer(self, customer: Customer) -> bool:
        """False when the lead has a customer already: original_lead_id is unique, so a second
        conversion of the same lead (a redelivery, a concurrent worker) can never succeed."""
        try:
            with self.session.begin_nested():
                self.session.add(customer)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def add_customers(self, customers: list[Customer]) -> None:
        """New customers of leads that have none, in one flush (a seeded history); sets their ids."""
        self.session.add_all(customers)
        self.session.flush()

    def customer_of_lead(self, lead_id: int) -> Customer | None:
        return self.session.scalar(select(Customer).where(Customer.original_lead_id == lead_id))

    def link_activities(self, lead_id: int, customer_id: int | None) -> int:
        """Carry the lead's history over to the customer (or back, with None)."""
        stmt = update(Activity).where(Activity.lead_id == lead_id).values(customer_id=customer_id)
        return self.session.execute(stmt).rowcount

    def remove_customer(self, customer: Customer) -> None:
        self.session.execute(delete(Customer).where(Customer.id == customer.id))

    def reply_activity(self, lead_id: int, occurred_at: datetime) -> Activity | None:
        """The REPLY activity recorded for a reply at this time (by the lead-state consumer)."""
        stmt = (select(Activity).where(Activity.lead_id == lead_id, Activity.type == "REPLY",
                                       Activity.occurred_at == occurred_at).order_by(Activity.id.desc()).limit(1))
        return self.session.scalar(stmt)

    def suppress(self, email: str, reason: str, source: str, now: datetime) -> bool:
        """Put an address on the suppression list; False when it was there already."""
        address = email.strip().lower()
        if self.session.scalar(select(Suppression.id).where(func.lower(Suppression.email) == address)) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(Suppression(email=address, reason=reason, source=source, created_at=now))
                self.session.flush()
        except IntegrityError:
            return False
        return True
