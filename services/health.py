"""Health: each dependency answers a trivial query, or the report says which one failed and why."""
from __future__ import annotations

from data.db import ping


def check_health(engine, warehouse) -> dict:
    checks = {}
    try:
        ping(engine)
        checks["database"] = {"ok": True, "backend": engine.dialect.name}
    except Exception as exc:  # any failure means "not reachable"; the reason is reported
        checks["database"] = {"ok": False, "error": str(exc).splitlines()[0][:200]}
    try:
        warehouse.ping()
        checks["analytics"] = {"ok": True, "backend": "duckdb"}
    except Exception as exc:
        checks["analytics"] = {"ok": False, "error": str(exc).splitlines()[0][:200]}
    status = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    return {"status": status, **checks}
