"""RFC 9457 problem bodies: every refused API request says what was wrong, as JSON."""
from __future__ import annotations

from flask import Response, jsonify


def problem(status: int, title: str, detail: str = "", **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response
