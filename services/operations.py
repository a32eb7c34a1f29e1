"""Operations (admins only): dead sink deliveries, dead and unconfirmed mail, the suppression list.
Retry or discard a dead delivery or mail, mark an unconfirmed mail sent, lift a suppression. Every
change is stored as an operator action (who, when, why) and written to the `cockpit.audit` log.

A retry never sends a mail twice (DESIGN section 9): a dead mail was refused by its provider at every
try, so it may be queued again; an unconfirmed one may have gone out, so it is queued again only when
its provider verifiably does not have it. Otherwise a person marks it sent or discards it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from data.row_window import RowWindow
from data.task_models import OperatorAction
from domain.model import MessageStatus
from domain.roles import Actor, Page, require
from mailer.message import compose
from services.clock import Clock, utc_now
from services.mail_events import PublishedMailOutcomes
from services.operations_rows import ROWS, Verdict

audit = logging.getLogger("cockpit.audit")
MAX_REASON = 500
MAX_ID = 2**63 - 1
SINK_KEY = re.compile(r"^([A-Za-z0-9_-]{1,40})/([0-9]{1,19})$")
ACTIONS = {"sinks": ("retry", "discard"), "mail": ("retry", "mark_sent", "discard"), "suppressions": ("lift",)}
NEEDS_REASON = {("sinks", "discard"), ("mail", "discard"), ("mail", "mark_sent"), ("suppressions", "lift")}
UNCONFIRMED = MessageStatus.UNCONFIRMED.value
RECORDED_AS = {"sinks": "sink", "mail": "mail", "suppressions": "suppression"}  # e.g. sink.discard


class OperationRefused(ValueError):
    """Input that names nothing, a missing reason, or a change the row's state does not allow."""


@dataclass(frozen=True)
class GridRows:
    rows: list[dict]
    total: int


def require_operator(actor: Actor) -> None:
    require(actor, Page.ADMIN_OPERATIONS)


def provider_verdict(dispatcher) -> Verdict:
    """Asks the message's provider whether it has the mail: True, False, or None (it cannot tell, or the
    provider is not configured here). Only providers that keep what they sent (file) ever answer."""
    def verdict(message) -> bool | None:
        guarded = dispatcher.chain.by_name(message.provider)
        if guarded is None:
            return None
        mail = compose(message.idempotency_key, message.to_email, message.subject, "", "", sender=dispatcher.sender,
                       secret=dispatcher.secret, base_url=dispatcher.base_url)
        return guarded.provider.has_mail(mail)
    return verdict


def operations_rows(uow, actor: Actor, tab: str, window: RowWindow, *, search: str = "",
                    verdict: Verdict | None = None) -> GridRows:
    """One window of a tab's rows (sinks, mail, suppressions) and how many there are."""
    require_operator(actor)
    if not isinstance(tab, str) or tab not in ROWS:
        raise OperationRefused("There is no such list.")
    with uow(write=False) as tx:
        rows, total = ROWS[tab](tx, window, search, verdict or (lambda _message: None))
    return GridRows(rows, total)


def recent_actions(uow, actor: Actor, limit: int = 20) -> list[dict]:
    """The latest operator actions: who did what to which row, when and why."""
    require_operator(actor)
    with uow(write=False) as tx:
        return [{"at": a.at.isoformat(), "username": a.username, "action": a.action, "target": a.target,
                 "reason": a.reason} for a in tx.operations.recent(max(1, min(limit, 200)))]


def _reason(tab: str, action: str, reason) -> str:
    """One bounded line: it goes into a log line, where a newline could forge another."""
    if reason is not None and not isinstance(reason, str):
        raise OperationRefused("The reason is text.")
    note = " ".join((reason or "").split())[:MAX_REASON]
    if (tab, action) in NEEDS_REASON and not note:
        raise OperationRefused("Say why: this needs a reason for the audit log.")
    return note


def _key(tab: str, key):
    """(sink, seq) for a delivery, an id for a mail, the address of a suppression."""
    if tab == "suppressions":
        if not isinstance(key, str) or not 3 <= len(key) <= 254 or "@" not in key or not key.isprintable() \
                or any(c.isspace() for c in key):
            raise OperationRefused("A suppression is named by its address.")
        return key
    if tab == "sinks":
        found = SINK_KEY.match(key) if isinstance(key, str) else None
        if found is None or not 1 <= int(found.group(2)) <= MAX_ID:
            raise OperationRefused("A delivery is named <sink>/<sequence number>.")
        return found.group(1), int(found.group(2))
    if not isinstance(key, str) or not key.isascii() or not key.isdigit() or len(key) > 19 or not 1 <= int(key) <= MAX_ID:
        raise OperationRefused("A row is named by its positive id.")
    return int(key)


def operate(uow, actor: Actor, tab: str, action: str, key, reason=None, *, verdict: Verdict | None = None,
            clock: Clock = utc_now) -> bool:
    """Apply one operator action; False when the row no longer needs it (acted on meanwhile)."""
    require_operator(actor)
    if not isinstance(tab, str) or not isinstance(action, str) or action not in ACTIONS.get(tab, ()):
        raise OperationRefused("That is not an action this page offers.")
    note, named = _reason(tab, action, reason), _key(tab, key)
    now = clock()
    with uow() as tx:
        done = HANDLERS[(tab, action)](tx, named, now, verdict or (lambda _message: None))
        if done is None:
            return False
        target, details = done
        tx.operations.record(OperatorAction(action=f"{RECORDED_AS[tab]}.{action}", target=target[:300],
                                            reason=note, user_id=actor.user_id, username=actor.username[:40],
                                            at=now, details=details))
        tx.commit()
    audit.info("operations %s %s by user=%s role=%s: target=%r before=%r reason=%r", tab, action, actor.username,
               actor.role.value, target, details, note or "(none given)")
    return True


def _sink_retry(tx, named, now: datetime, _verdict):
    dead = tx.operations.dead_delivery(*named)
    if dead is None or not tx.operations.retry_delivery(*named, now):
        return None
    return _delivery_facts(dead)


def _sink_discard(tx, named, _now, _verdict):
    dead = tx.operations.dead_delivery(*named)
    return None if dead is None else _delivery_facts(dead)


def _delivery_facts(dead) -> tuple[str, dict]:
    return (f"{dead.sink}/{dead.seq}", {"event": f"{dead.source}/{dead.event_id} ({dead.type})",
                                        "attempts": dead.attempts, "failure": dead.last_error})


def _mail_retry(tx, message_id: int, now: datetime, verdict: Verdict):
    message = tx.operations.stuck_message(message_id)
    if message is None:
        return None
    if message.status == UNCONFIRMED:
        has_it = verdict(message)
        if has_it is not False:
            raise OperationRefused(f"{message.provider} may have sent mail #{message_id} already: a retry could send "
                                   "it twice. Mark it sent or discard it." if has_it is None else
                                   f"{message.provider} has mail #{message_id}: it went out. Mark it sent.")
    facts = _mail_facts(message)
    return facts if tx.operations.requeue_mail(message_id, message.status, now) else None


def _mail_mark_sent(tx, message_id: int, now: datetime, verdict: Verdict):
    message = tx.operations.stuck_message(message_id)
    if message is None:
        return None
    if message.status != UNCONFIRMED:
        raise OperationRefused(f"Mail #{message_id} is {message.status}: its provider refused it, it was not sent.")
    if verdict(message) is False:
        raise OperationRefused(f"{message.provider} does not have mail #{message_id}: it was not sent. Retry it.")
    facts = _mail_facts(message)
    sent = tx.operations.mark_mail_sent(message_id, now)
    if sent is None:
        return None
    PublishedMailOutcomes().sent(tx, sent, now)  # email.sent, as if the dispatcher had recorded it
    return facts


def _mail_discard(tx, message_id: int, _now, _verdict):
    message = tx.operations.stuck_message(message_id)
    return None if message is None else _mail_facts(message)


def _mail_facts(message) -> tuple[str, dict]:
    return str(message.id), {"to": message.to_email, "status": message.status, "provider": message.provider,
                             "attempts": message.attempts, "failure": message.last_error}


def _lift(tx, email: str, _now, _verdict):
    entry = tx.operations.suppression(email)
    if entry is None:
        return None
    facts = entry.email, {"reason": entry.reason, "source": entry.source, "suppressed_at": entry.created_at.isoformat()}
    return facts if tx.operations.lift(entry.id) else None


HANDLERS: dict[tuple[str, str], Callable] = {
    ("sinks", "retry"): _sink_retry, ("sinks", "discard"): _sink_discard, ("mail", "retry"): _mail_retry,
    ("mail", "mark_sent"): _mail_mark_sent, ("mail", "discard"): _mail_discard, ("suppressions", "lift"): _lift,
}
