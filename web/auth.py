"""Sign-in, sign-out and password change: server-rendered forms with CSRF tokens. Sign-out is a POST
too: a GET that signed out would let any cross-site image end a session."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from services import auth
from components.request_context import deps
from web.identity import SessionUser
from web.metrics import count_signin_throttled

bp = Blueprint("auth", __name__, template_folder="templates")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class SignOutForm(FlaskForm):
    """No fields: only the CSRF token."""


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=auth.MIN_PASSWORD_LENGTH, max=200)])
    confirm = PasswordField("Repeat new password", validators=[DataRequired(), EqualTo("new", "The passwords differ.")])


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after sign-in is a phishing gift."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form, error=None)
    try:
        signed = auth.sign_in(deps().uow, form.username.data, form.password.data,
                              request.headers.get("User-Agent", ""), client_address=request.remote_addr or "")
    except auth.TooManyAttempts as exc:
        count_signin_throttled(exc.kind)
        return render_template("login.html", form=form, error=str(exc)), 429, {"Retry-After": str(exc.retry_after)}
    except auth.AuthError as exc:
        return render_template("login.html", form=form, error=str(exc)), 401
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(SessionUser(signed.actor, signed.display_name, signed.session_token))
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["GET"])
def logout_page():
    """Asks first: the form posts back with the CSRF token."""
    if not current_user.is_authenticated:
        return redirect("/login")
    return render_template("logout.html", form=SignOutForm())


@bp.route("/logout", methods=["POST"])
def logout():
    if not SignOutForm().validate_on_submit():  # CSRFProtect refuses first; this holds if it is ever exempted
        abort(400)
    if current_user.is_authenticated:
        auth.sign_out(deps().uow, current_user.token)
    logout_user()
    session.clear()
    return redirect("/login")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            ended = auth.change_password(deps().uow, current_user.actor, current_user.token,
                                         form.current.data, form.new.data)
        except auth.AuthError as exc:
            error = str(exc)
        else:
            flash(f"Password changed. {ended} other session(s) signed out.")
            return redirect("/account/password")
    return render_template("password.html", form=form, error=error), 400 if error else 200
