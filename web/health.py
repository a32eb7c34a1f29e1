"""GET /healthz: is the database reachable, is the analytics store reachable."""
from __future__ import annotations

from flask import Blueprint, jsonify

from services.health import check_health
from components.request_context import deps

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    d = deps()
    report = check_health(d.engine, d.warehouse)
    return jsonify(report), 200 if report["status"] == "ok" else 503
