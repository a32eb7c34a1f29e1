"""Unsubscribe: GET shows a confirmation (link scanners fetch links, so GET changes nothing); the form
POST unsubscribes, and so does the RFC 8058 one-click POST mail clients send from List-Unsubscribe.

The one-click POST carries no CSRF token (the mail client has no page to take one from): the signed
token is the proof, so app.py exempts this view from CSRFProtect and the form path checks its CSRF
token here.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf.csrf import CSRFError, ValidationError, validate_csrf

from mailer.unsubscribe import InvalidToken, verify_unsubscribe_token
from services.mail_feedback import unsubscribe
from components.request_context import deps
from web.problem import problem

bp = Blueprint("unsubscribe", __name__)
ONE_CLICK = "One-Click"


def _address(token: str | None) -> str:
    return verify_unsubscribe_token(token or "", deps().settings.secret_key)


def _page(state: str, status: int = 200, **context):
    return render_template("unsubscribe.html", state=state, **context), status


@bp.get("/unsubscribe")
def confirm():
    token = request.args.get("token", "")
    try:
        email = _address(token)
    except InvalidToken:
        return _page("invalid", 400)
    return _page("confirm", email=email, token=token)


@bp.post("/unsubscribe")
def unsubscribe_now():
    if request.form.get("List-Unsubscribe") == ONE_CLICK and request.args.get("token"):
        return _one_click(request.args["token"])
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        return _page("expired", 400, token=request.form.get("token", ""))
    try:
        email = _address(request.form.get("token") or request.args.get("token"))
    except InvalidToken:
        return _page("invalid", 400)
    unsubscribe(deps().uow, email, via="link", clock=deps().clock)
    return _page("done", email=email)


def _one_click(token: str):
    try:
        email = _address(token)
    except InvalidToken as exc:
        return problem(400, "Invalid unsubscribe token", str(exc))
    changed = unsubscribe(deps().uow, email, via="one-click", clock=deps().clock)
    return {"unsubscribed": email, "changed": changed}, 200
