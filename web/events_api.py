"""The event API: POST /api/events (ingest), GET /api/events (the log), GET /api/events/catalog."""
from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request
from flask_login import current_user

from domain.cloudevents import InvalidEvent, parse_time
from pipelines.catalog import catalog_json
from services.events_log import newest_events
from services.ingest import Outcome, StoreBusy, check_external, ingest_events
from web.cloudevents_http import UnsupportedFormat, parse_request
from web.identity import cockpit_services
from web.metrics import app_telemetry
from web.problem import problem

bp = Blueprint("events_api", __name__)
STATUS = {Outcome.CREATED: 202, Outcome.DUPLICATE: 200, Outcome.CONFLICT: 409}


def _token_ok() -> bool:
    expected = cockpit_services().settings.api_token
    given = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


@bp.before_request
def _authenticate():
    signed_in_reader = request.method == "GET" and request.path.endswith("/catalog") and current_user.is_authenticated
    if not (signed_in_reader or _token_ok()):
        return problem(401, "Unauthorized", "Send Authorization: Bearer <COCKPIT_API_TOKEN>.")
    return None


@bp.post("/api/events")
def receive():
    try:
        events, batch = parse_request(request.content_type, request.headers, request.get_data())
        events = [check_external(e) for e in events]
    except UnsupportedFormat as exc:
        return problem(415, "Unsupported Media Type", str(exc))
    except InvalidEvent as exc:
        return problem(400, "Invalid event", exc.reason, attribute=exc.attribute)
    try:
        outcomes = ingest_events(cockpit_services().uow, events, clock=cockpit_services().clock, telemetry=app_telemetry())
    except StoreBusy as exc:  # nothing was stored: the sender retries, as CloudEvents senders do on 503
        busy = problem(503, "Service Unavailable", "The event store is busy; retry shortly.")
        busy.headers["Retry-After"] = str(exc.retry_after)
        return busy
    results = [{"source": e.source, "id": e.id, "result": o.value} for e, o in zip(events, outcomes)]
    if batch:
        status = 409 if Outcome.CONFLICT in outcomes else 202 if Outcome.CREATED in outcomes else 200
        return jsonify({"results": results}), status
    if outcomes[0] == Outcome.CONFLICT:
        return problem(409, "Conflict", "An event with this source and id was logged with other content.",
                       source=events[0].source, id=events[0].id)
    return jsonify(results[0]), STATUS[outcomes[0]]


@bp.get("/api/events")
def log():
    try:
        since = parse_time(request.args.get("since") or None)
        limit = int(request.args.get("limit", "100"))
    except (InvalidEvent, ValueError):
        return problem(400, "Invalid query", "since must be RFC 3339 and limit a whole number")
    if not 1 <= limit <= 1000:
        return problem(400, "Invalid query", "limit must lie between 1 and 1000")
    events = newest_events(cockpit_services().uow, request.args.get("type"), request.args.get("subject"), since, limit)
    return jsonify([e.to_json() for e in events])


@bp.get("/api/events/catalog")
def catalog():
    return jsonify(catalog_json())
