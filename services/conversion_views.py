"""Read models of the conversion pages: recent decisions and the review queue in the caller's scope,
and one lead's decision trail. Pages call these with the signed-in Actor; the scope is decided here."""
from __future__ import annotations

from typing import Iterator, Mapping

from data.decision_grid import DecisionKey
from data.grid_filters import GridWindow
from domain.model import LeadStatus
from domain.roles import Actor, Forbidden, Page, Role, require, sees_lead_rows
from services.conversions import CONVERTERS
from services.grid_requests import GridColumns, InvalidGridRequest
from services.scopes import caller_scope

DECISIONS = ("CONVERT", "REJECT", "REVIEW", "UNDO")
DECISION_COLUMNS = GridColumns(sortable=frozenset({"latest", "company", "status", "decision", "times"}),
                               filterable={"company": "text", "latest": "date"}, default_sort=(("latest", True),))


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def _rule_names(tx) -> dict[int, str]:
    return {r.id: r.name for r in tx.conversions.rules()}


def _decided_by(row: dict) -> str:
    """The rule and its version, the readiness fact, or "by hand"."""
    if row["rule_id"] is not None:
        name = row.get("rule_name") or f"rule #{row['rule_id']}"
        return f"{name} (v{row['rule_version']})"
    return f"readiness: {row['fact']}" if row["fact"] not in (None, "by hand") else (row["fact"] or "")


def _row(d, lead, names: dict[int, str], users: dict[int, str]) -> dict:
    by_rule = _decided_by({"rule_id": d.rule_id, "rule_version": d.rule_version, "fact": d.fact,
                           "rule_name": names.get(d.rule_id)})
    return {"id": d.id, "lead_id": lead.id, "company": lead.company, "decision": d.decision, "rule": by_rule,
            "why": "; ".join(d.reasons or []), "when": _when(d.decided_at),
            "by": users.get(d.decided_by, "automation") if d.decided_by else "automation",
            "status": lead.status}


def decision_groups(uow, actor: Actor) -> list[dict]:
    """Identical decisions in the caller's scope as one row each: the verdict, what decided it, how many
    decisions on how many leads, the latest when, and why the latest time."""
    require(actor, Page.CONVERSIONS)
    with uow(write=False) as tx:
        groups = tx.decision_grid.groups(caller_scope(tx, actor))
    return [{"id": "|".join(str(g[k]) for k in ("decision", "rule_id", "rule_version", "fact")), "decision": g["decision"],
             "rule_id": g["rule_id"], "rule_version": g["rule_version"], "fact": g["fact"], "rule": _decided_by(g),
             "leads": g["leads"], "decisions": g["decisions"], "latest": _when(g["latest"]), "why": "; ".join(g["reasons"] or [])}
            for g in groups]


def decision_key(row: dict | None) -> DecisionKey | None:
    """The group a selected row of decision_groups names (None: every group), its values checked."""
    if row is None:
        return None
    decision, fact = row.get("decision"), row.get("fact")
    numbers = [row.get("rule_id"), row.get("rule_version")]
    if decision not in DECISIONS or not (fact is None or (isinstance(fact, str) and len(fact) <= 40)) or not all(
            n is None or (type(n) is int and 0 < n < 2**31) for n in numbers):
        raise InvalidGridRequest("group", "is not a group of decisions")
    return DecisionKey(decision, *numbers, fact)


def key_query(key: DecisionKey | None) -> dict[str, str]:
    """The URL query naming a group of decisions (an export's), empty for every group."""
    if key is None:
        return {}
    values = {"decision": key.decision, "rule": key.rule_id, "version": key.rule_version, "fact": key.fact}
    return {k: str(v) for k, v in values.items() if v is not None}


def key_of_query(query: Mapping[str, str]) -> DecisionKey | None:
    """key_query's inverse; a value that names no group is InvalidGridRequest."""
    if not query.get("decision"):
        return None
    numbers = {}
    for name, field in (("rule", "rule_id"), ("version", "rule_version")):
        raw = query.get(name) or ""
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            raise InvalidGridRequest(name, f"{raw!r} is not a number")
        numbers[field] = int(raw) if raw else None
    return decision_key({"decision": query["decision"], "fact": query.get("fact") or None, **numbers})


def export_decisions(uow, actor: Actor, key: DecisionKey | None, window: GridWindow, batch: int = 1000) -> Iterator[dict]:
    """Every row decision_page would page through, in the grid's order, `batch` rows per read."""
    offset = 0
    while True:
        rows, _total = decision_page(uow, actor, key, GridWindow(offset, batch, window.sort, window.filters))
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def decision_page(uow, actor: Actor, key: DecisionKey | None, window: GridWindow) -> tuple[list[dict], int]:
    """One row per lead and kind of decision (of the group `key`, if given), and how many rows in all."""
    require(actor, Page.CONVERSIONS)
    with uow(write=False) as tx:
        rows, total = tx.decision_grid.page(caller_scope(tx, actor), key, window)
    converts = may_convert_by_hand(actor)
    return [{"id": r["newest"], "lead_id": r["lead_id"], "company": r["company"], "status": r["status"],
             "decision": r["decision"], "rule": _decided_by(r), "why": "; ".join(r["reasons"] or []),
             "by": r["by"] or "automation", "times": r["times"], "latest": _when(r["latest"]),
             "action": ("Undo" if r["status"] == LeadStatus.CONVERTED.value else "Convert") if converts else ""}
            for r in rows], total


def conversion_target(uow, actor: Actor, decision_id: int) -> dict:
    """The lead of a decision row a manager is about to convert or revert: refused unless they may."""
    require(actor, Page.CONVERSIONS)
    if not may_convert_by_hand(actor):
        raise Forbidden.for_role(actor, "convert a lead or undo a conversion by hand")
    with uow(write=False) as tx:
        decision = tx.conversions.decision(decision_id)
        lead = tx.leads.get(decision.lead_id, caller_scope(tx, actor)) if decision is not None else None
        if lead is None:
            raise LookupError("that decision is not in your scope (any more)")
        undo = lead.status == LeadStatus.CONVERTED.value
        return {"lead_id": lead.id, "company": lead.company, "action": "undo" if undo else "convert"}


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
        raise Forbidden.for_role(actor, "open individual leads")
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
