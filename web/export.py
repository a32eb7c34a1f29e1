"""GET /export/<table>.csv?<filters>: the analytics tables as CSV, for people (session) and scripts
(Authorization: Bearer <COCKPIT_API_TOKEN>, read as an analyst: all teams, no editing)."""
from __future__ import annotations

from flask import Blueprint, Response, g, request, stream_with_context
from flask_login import current_user

from domain.roles import Actor, Forbidden, Role
from services.analytics_filters import InvalidFilter
from services.exports import TABLES, UnknownTable, open_export
from services.grid_exports import GRIDS, open_grid_export
from components.request_context import deps
from web.identity import api_token_ok
from web.problem import problem

bp = Blueprint("export", __name__)
TOKEN_ACTOR = Actor(user_id=0, username="api-token", role=Role.ANALYST, team_id=None)


def _caller() -> Actor | None:
    if current_user.is_authenticated:
        return current_user.actor
    return TOKEN_ACTOR if api_token_ok() else None


@bp.get("/export/<table>.csv")
def export_csv(table: str):
    return _export(open_export, table, "export", tables=list(TABLES))


@bp.get("/export/grid/<grid>.csv")
def export_grid_csv(grid: str):
    """A server-side grid (leads, conversion decisions, event log) as it shows: its page's filters,
    its order (sort=col,-col) and column filters (filter=<AG Grid filter model as JSON>)."""
    return _export(open_grid_export, grid, "grid", grids=list(GRIDS))


def _export(open_one, name: str, kind: str, **known):
    """Both routes: the caller (session or API token), the export `open_one` opens, refusals as problems."""
    actor = _caller()
    if actor is None:
        return problem(401, "Unauthorized", "Sign in, or send Authorization: Bearer <COCKPIT_API_TOKEN>.")
    g.actor = actor
    try:
        export = open_one(deps(), actor, name, request.args.to_dict())
    except Forbidden as exc:
        return problem(403, "Forbidden", str(exc))
    except UnknownTable:
        return problem(404, "Not Found", f"no {kind} named {name!r}", **known)
    except InvalidFilter as exc:
        return problem(400, "Invalid filter", exc.reason, parameter=exc.name)
    return _streamed(export)


def _streamed(export):
    response = Response(stream_with_context(export.lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
