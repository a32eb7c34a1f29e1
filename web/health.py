"""GET /healthz: is the database reachable, is the analytics store reachable."""
from __future__ import annotations

from flask import Blueprint, jsonify

from services.health import check_health
from web.identity import cockpit_services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    services = cockpit_services()
    report = check_health(services.engine, services.warehouse)
    return jsonify(report), 200 if report["status"] == "ok" else 503
