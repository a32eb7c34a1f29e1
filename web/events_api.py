"""The event API: POST /api/events (ingest), GET /api/events (the log), GET /api/events/catalog."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from domain.cloudevents import InvalidEvent
from pipelines.catalog import catalog_json
from components.request_context import deps
from services.events_log import newest_events
from services.ingest import StoreBusy, check_external, ingest_events
from web.cloudevents_http import UnsupportedFormat, log_query, parse_request
from web.event_results import ingested, refused_batch, store_busy
from web.identity import api_token_ok
from web.problem import problem

bp = Blueprint("events_api", __name__)


@bp.before_request
def _authenticate():
    signed_in_reader = request.method == "GET" and request.path.endswith("/catalog") and current_user.is_authenticated
    if not (signed_in_reader or api_token_ok()):
        return problem(401, "Unauthorized", "Send Authorization: Bearer <COCKPIT_API_TOKEN>.")
    return None


@bp.post("/api/events")
def receive():
    try:
        received = parse_request(request.content_type, request.headers, request.get_data(), check=check_external)
    except UnsupportedFormat as exc:
        return problem(415, "Unsupported Media Type", str(exc))
    except InvalidEvent as exc:
        return problem(400, "Invalid event", exc.reason, attribute=exc.attribute)
    if received.refused:  # a batch is atomic: one invalid item and none is stored
        return refused_batch(received.items)
    try:
        outcomes = ingest_events(deps().uow, received.events, clock=deps().clock,
                                 telemetry=deps().telemetry)
    except StoreBusy as exc:
        return store_busy(exc.retry_after)
    return ingested(received.events, outcomes, received.batch)


@bp.get("/api/events")
def log():
    try:
        query = log_query(request.args)
    except InvalidEvent as exc:
        return problem(400, "Invalid query", exc.reason, parameter=exc.attribute)
    events = newest_events(deps().uow, query.type, query.subject, query.since, query.limit)
    return jsonify([e.to_json() for e in events])


@bp.get("/api/events/catalog")
def catalog():
    return jsonify(catalog_json())
