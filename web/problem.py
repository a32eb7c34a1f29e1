"""RFC 9457 problem bodies: every refused API request says what was wrong, as JSON."""
from __future__ import annotations

from dash.exceptions import DependencyException
from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException


def problem(status: int, title: str, detail: str = "", **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def install_problem_handlers(server) -> None:
    """API callers get JSON problems for HTTP errors too (413 above MAX_CONTENT_LENGTH, 404, 405)."""
    @server.errorhandler(DependencyException)
    def _unknown_bundle(exc):  # Dash raises it for a component-suite path it never registered: not ours to 500
        return problem(404, "Not Found", "No such script or style.")

    @server.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return problem(exc.code or 500, exc.name, exc.description or "")
        return exc
