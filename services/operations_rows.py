"""The rows of the operations page's grids: one window of each list, as plain dicts with the actions
each row allows. A dead mail may be retried; an unconfirmed one only when its provider verifiably does
not have it (else marked sent or discarded)."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from domain.model import MessageStatus

Verdict = Callable[[object], "bool | None"]  # the provider has this mail: True, False, None (cannot tell)
PROVIDER_SAYS = {True: "provider has it", False: "provider does not have it", None: "cannot tell"}


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


def delivery_rows(tx, window, _search: str, _verdict: Verdict) -> tuple[list[dict], int]:
    found, total = tx.operations.dead_deliveries(window)
    return [{"id": f"{d.sink}/{d.seq}", "sink": d.sink, "seq": d.seq, "type": d.type,
             "event": f"{d.source} / {d.event_id}", "subject": d.subject or "", "attempts": d.attempts,
             "last_error": d.last_error or "", "dead_at": _at(d.dead_at), "actions": ["retry", "discard"]}
            for d in found], total


def _mail_actions(status: str, has_it: bool | None) -> tuple[list[str], str]:
    """What a person may do with a stuck mail, and what its provider says."""
    if status == MessageStatus.DEAD.value:
        return ["retry", "discard"], "refused"
    if has_it is False:
        return ["retry", "discard"], PROVIDER_SAYS[False]
    return (["mark_sent"] if has_it else ["mark_sent", "discard"]), PROVIDER_SAYS[has_it]


def mail_rows(tx, window, _search: str, verdict: Verdict) -> tuple[list[dict], int]:
    found, total = tx.operations.stuck_mail(window)
    rows = []
    for m in found:
        actions, says = _mail_actions(m.status, verdict(m) if m.status == MessageStatus.UNCONFIRMED.value else None)
        rows.append({"id": str(m.id), "to_email": m.to_email, "subject": m.subject, "status": m.status,
                     "provider": m.provider or "", "attempts": m.attempts, "last_error": m.last_error or "",
                     "created_at": _at(m.created_at), "lead_id": m.lead_id,
                     "step": (m.context or {}).get("followup_step") or "", "provider_check": says, "actions": actions})
    return rows, total


def suppression_rows(tx, window, search: str, _verdict: Verdict) -> tuple[list[dict], int]:
    found, total = tx.operations.suppressions(window, search)
    return [{"id": s.email, "email": s.email, "reason": s.reason, "source": s.source or "",
             "created_at": _at(s.created_at), "actions": ["lift"]} for s in found], total


ROWS = {"sinks": delivery_rows, "mail": mail_rows, "suppressions": suppression_rows}
