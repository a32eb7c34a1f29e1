"""Read models of the conversion pages: recent decisions and the review queue in the caller's scope,
and one lead's decision trail. Pages call these with the signed-in Actor; the scope is decided here."""
from __future__ import annotations

from domain.roles import Actor, Forbidden, Page, Role, require, sees_lead_rows
from services.conversions import CONVERTERS
from services.scopes import caller_scope


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def _rule_names(tx) -> dict[int, str]:
    return {r.id: r.name for r in tx.conversions.rules()}


def _row(d, lead, names: dict[int, str], users: dict[int, str]) -> dict:
    if d.rule_id is not None:
        by_rule = f"{names.get(d.rule_id, f'rule #{d.rule_id}')} (v{d.rule_version})"
    else:
        by_rule = f"readiness: {d.fact}" if d.fact not in (None, "by hand") else (d.fact or "")
    return {"id": d.id, "lead_id": lead.id, "company": lead.company, "decision": d.decision, "rule": by_rule,
            "why": "; ".join(d.reasons or []), "when": _when(d.decided_at),
            "by": users.get(d.decided_by, "automation") if d.decided_by else "automation",
            "status": lead.status}


def recent_decisions(uow, actor: Actor, limit: int = 50) -> list[dict]:
    require(actor, Page.CONVERSIONS)
    with uow(write=False) as tx:
        scope = caller_scope(tx, actor)
        names, users = _rule_names(tx), {u.id: u.username for u in tx.users.list()}
        return [_row(d, lead, names, users) for d, lead in tx.conversions.decisions(scope, limit)]


def review_queue(uow, actor: Actor, limit: int = 50) -> list[dict]:
    require(actor, Page.CONVERSIONS)
    with uow(write=False) as tx:
        scope = caller_scope(tx, actor)
        return [{"id": r.id, "lead_id": lead.id, "company": lead.company, "text": r.text[:300],
                 "suggested": r.suggested_label, "confidence": f"{r.confidence:.0%}", "when": _when(r.replied_at)}
                for r, lead in tx.conversions.open_reviews(scope, limit)]


def decision_trail(uow, actor: Actor, lead_id: int) -> list[dict] | None:
    """A lead's decisions, newest first; None when the lead lies outside the caller's scope."""
    require(actor, Page.LEADS)
    if not sees_lead_rows(actor):
        raise Forbidden("viewers see aggregates only")
    with uow(write=False) as tx:
        lead = tx.leads.get(lead_id, caller_scope(tx, actor))
        if lead is None:
            return None
        names, users = _rule_names(tx), {u.id: u.username for u in tx.users.list()}
        return [_row(d, lead, names, users) for d in tx.conversions.decisions_of(lead.id)]


def may_convert_by_hand(actor: Actor) -> bool:
    return actor.role in CONVERTERS


def may_edit_rules(actor: Actor) -> bool:
    return actor.role == Role.ADMIN
