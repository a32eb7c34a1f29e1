"""What POST /api/events answers: one result per event of a batch, in order, and a problem body
(RFC 9457) whenever the request was refused, so a client reading only the problem still understands.

A batch is atomic: an invalid item refuses it (400), a conflicting item too (409, decided by the ingest
service); then nothing of it is stored and every item says what became of it.
"""
from __future__ import annotations

from flask import Response, jsonify

from domain.cloudevents import CloudEvent, InvalidEvent
from web.problem import problem

STATUS = {"created": 202, "duplicate": 200, "conflict": 409}  # by Outcome value; "not_stored" has none


def _item(index: int, event: CloudEvent, outcome: str) -> dict:
    result = {"index": index, "source": event.source, "id": event.id, "result": outcome}
    if outcome in STATUS:
        result["status"] = STATUS[outcome]
    return result


def _refused_item(index: int, exc: InvalidEvent) -> dict:
    return {"index": index, "result": "invalid", "status": 400, "attribute": exc.attribute, "reason": exc.reason}


def refused_batch(items: list) -> Response:
    """400 for a batch with invalid items: each one named, the valid ones not stored either."""
    results = [_refused_item(i, item) if isinstance(item, InvalidEvent) else _item(i, item, "not_stored")
               for i, item in enumerate(items)]
    first = next(r for r in results if r["result"] == "invalid")
    invalid = sum(r["result"] == "invalid" for r in results)
    return problem(400, "Invalid event", f"{invalid} of {len(items)} events are invalid, so none was stored "
                   f"(first: {first['reason']})", attribute=f"[{first['index']}].{first['attribute']}", results=results)


def ingested(events: list[CloudEvent], outcomes: list, batch: bool) -> Response:
    """The answer once the ingest service decided: per event created, duplicate, conflict or not stored."""
    values = [getattr(o, "value", o) for o in outcomes]
    if not batch:
        if values[0] == "conflict":
            return problem(409, "Conflict", "An event with this source and id was logged with other content.",
                           source=events[0].source, id=events[0].id)
        return _json({"source": events[0].source, "id": events[0].id, "result": values[0]}, STATUS[values[0]])
    results = [_item(i, e, v) for i, (e, v) in enumerate(zip(events, values))]
    if "conflict" in values:
        return problem(409, "Conflict", "An event of this batch has the source and id of another with other "
                       "content (logged before, or in this batch), so none of the batch was stored.", results=results)
    return _json({"results": results}, 202 if "created" in values else 200)


def _json(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def store_busy(retry_after: int) -> Response:
    # Nothing was stored: the sender retries, as CloudEvents senders do on 503.
    busy = problem(503, "Service Unavailable", "The event store is busy; retry shortly.")
    busy.headers["Retry-After"] = str(retry_after)
    return busy
