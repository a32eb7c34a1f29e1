"""Parked events (admins only): list them, retry one, or discard it for its consumer.

A parked event holds back that consumer's later events of the same subject until an admin acts, and a
discard means that consumer never applies it: every change is written to the audit log with who did
it, to which event, the failure shown to them and the reason they gave.
"""
from __future__ import annotations

import logging
import re
from typing import Callable

from data.held_events import ParkedView
from domain.roles import Actor, Forbidden, Page, Role, require
from services.clock import Clock, utc_now

audit = logging.getLogger("cockpit.audit")
CONSUMER_NAME = re.compile(r"^[A-Za-z0-9-]{1,60}$")
MAX_REASON = 500


class InvalidInput(ValueError):
    """A consumer name or reason that cannot name anything; the message says what is wrong."""


def require_operator(actor: Actor) -> None:
    """Only admins list, retry or discard parked events (analysts may open the page for the catalog)."""
    require(actor, Page.ADMIN_EVENTS)
    if actor.role != Role.ADMIN:
        raise Forbidden.for_role(actor, "see or act on parked events")


def _check(consumer: str, seq: int, reason: str | None) -> str:
    """The reason as one bounded line: it goes into a log line, where a newline could forge another."""
    if not isinstance(consumer, str) or not CONSUMER_NAME.match(consumer):
        raise InvalidInput("A consumer name is 1-60 letters, digits or dashes.")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**63:  # past it, no column holds it
        raise InvalidInput("An event is named by its positive sequence number.")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("The reason is text.")
    return " ".join((reason or "").split())[:MAX_REASON]


def parked_events(uow, actor: Actor, limit: int = 200) -> list[ParkedView]:
    """Parked events, oldest first, with how many later events of their subject wait behind each."""
    require_operator(actor)
    with uow(write=False) as tx:
        return tx.held_events.parked(max(1, min(limit, 1000)))


def retry_parked(uow, actor: Actor, consumer: str, seq: int, clock: Clock = utc_now, *, reason: str | None = None,
                 wake: Callable[[], None] | None = None) -> bool:
    """Try a parked event again at once (a new round of attempts); False when none such is parked."""
    return _change(uow, actor, consumer, seq, reason, wake, "retry",
                   lambda tx: tx.held_events.retry(consumer, seq, clock()))


def discard_parked(uow, actor: Actor, consumer: str, seq: int, clock: Clock = utc_now, *, reason: str | None = None,
                   wake: Callable[[], None] | None = None) -> bool:
    """Give a parked event up for its consumer: the subject's later events flow again. False when none such is parked."""
    return _change(uow, actor, consumer, seq, reason, wake, "discard",
                   lambda tx: tx.held_events.discard(consumer, seq, clock(), actor.username))


def _change(uow, actor: Actor, consumer: str, seq: int, reason: str | None, wake, action: str, apply) -> bool:
    require_operator(actor)
    note = _check(consumer, seq, reason)
    with uow() as tx:
        shown = _failure_shown(tx, consumer, seq)
        changed = apply(tx)
        tx.commit()
    if not changed:
        return False
    audit.info("parked event %s by user=%s role=%s: consumer=%s seq=%d event=%r failure=%r reason=%r", action,
               actor.username, actor.role.value, consumer, seq, shown[0], shown[1], note or "(none given)")
    if wake is not None:
        wake()  # the relay tries a retried event, or the events behind a discarded one, now
    return True


def _failure_shown(tx, consumer: str, seq: int) -> tuple[str, str | None]:
    """("source/id (type)", the one-line failure the admin saw) of the event, for the audit line (logged
    with %r: an id from another system may hold anything)."""
    held = tx.held_events.get(consumer, seq)
    record = tx.events.by_seqs([seq]).get(seq)
    event = f"{record.source}/{record.id} ({record.type})" if record is not None else "?"
    return event, held.last_error if held is not None else None


def parked_json(view: ParkedView) -> dict:
    """One parked event as the API returns it."""
    return {"consumer": view.consumer, "seq": view.seq, "source": view.source, "id": view.id, "type": view.type,
            "subject": view.subject, "attempts": view.attempts, "reason": view.last_error,
            "detail": view.error_detail, "parked_at": view.parked_at.isoformat(),
            "waiting_behind": view.waiting_behind}
