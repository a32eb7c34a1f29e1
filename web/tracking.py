"""GET /t/o/<token>.gif (the open pixel) and GET /t/c/<token>/<n> (a tracked link): public, as mail
clients fetch them without a session. The pixel always answers the same image, so it tells nobody
whether a token was valid; a link that is not one of ours answers 404, never a redirect."""
from __future__ import annotations

from flask import Blueprint, Response, redirect

from mailer.tracking import GIF
from components.request_context import deps
from services.tracking import follow_click, record_open
from web.problem import problem

bp = Blueprint("tracking", __name__)
NO_CACHE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


@bp.get("/t/o/<token>.gif")
def opened(token: str):
    record_open(deps().uow, deps().tracking, token[:64], deps().clock)
    return Response(GIF, mimetype="image/gif", headers=NO_CACHE)


@bp.get("/t/c/<token>/<int:link>")
def clicked(token: str, link: int):
    url = follow_click(deps().uow, deps().tracking, token[:64], link, deps().clock)
    if url is None:
        return problem(404, "Not Found", "This link is not valid (any more).")
    return redirect(url, code=302, Response=Response)
