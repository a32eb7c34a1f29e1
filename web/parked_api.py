"""Parked events over HTTP: GET /api/events/parked, POST .../<consumer>/<seq>/retry and .../discard.

Callers: a machine with `Authorization: Bearer <COCKPIT_API_TOKEN>`, which acts as an admin here (the
token already feeds events into every consumer), or a signed-in admin. The blueprint is exempt from
the app-wide CSRF check because token callers have no session; a session caller's POST must still
carry the CSRF token (header X-CSRFToken), so a page elsewhere cannot act with an admin's cookie.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from domain.roles import Actor, Forbidden, Role
from services.held_events import InvalidInput, discard_parked, parked_events, parked_json, retry_parked
from components.request_context import deps
from web.identity import api_token_ok
from web.problem import problem

bp = Blueprint("parked_api", __name__, url_prefix="/api/events/parked")
TOKEN_ACTOR = Actor(user_id=0, username="api-token", role=Role.ADMIN, team_id=None)


@bp.before_request
def _authenticate():
    if api_token_ok():
        g.parked_caller = TOKEN_ACTOR
        return None
    if g.get("actor") is None:
        return problem(401, "Unauthorized", "Send Authorization: Bearer <COCKPIT_API_TOKEN>, or sign in as an admin.")
    g.parked_caller = g.actor
    current_app.extensions["csrf"].protect()  # a session's POST needs its CSRF token; GET passes
    return None


@bp.errorhandler(Forbidden)
def _forbidden(exc: Forbidden):
    return problem(403, "Forbidden", str(exc))


@bp.errorhandler(InvalidInput)
def _invalid(exc: InvalidInput):
    return problem(400, "Invalid request", str(exc))


@bp.get("")
def list_parked():
    limit = request.args.get("limit", "200")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        return problem(400, "Invalid query", "limit must be a whole number between 1 and 1000")
    views = parked_events(deps().uow, g.parked_caller, int(limit))
    return jsonify([parked_json(v) for v in views])


@bp.post("/<consumer>/<int:seq>/retry")
def retry(consumer: str, seq: int):
    return _act(retry_parked, consumer, seq, "retrying")


@bp.post("/<consumer>/<int:seq>/discard")
def discard(consumer: str, seq: int):
    return _act(discard_parked, consumer, seq, "discarded")


def _act(use_case, consumer: str, seq: int, state: str):
    body = request.get_json(force=True, silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        return problem(400, "Invalid body", 'Send no body, or a JSON object such as {"reason": "..."}.')
    d = deps()
    changed = use_case(d.uow, g.parked_caller, consumer, seq, d.clock, reason=body.get("reason"),
                       wake=current_app.extensions["relay"].wake)
    if not changed:
        return problem(404, "Not Found", "No parked event of this consumer has this sequence number.",
                       consumer=consumer, seq=seq)
    return jsonify({"consumer": consumer, "seq": seq, "state": state})
