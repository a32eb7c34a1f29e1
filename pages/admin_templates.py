"""Templates: list the versioned mail templates, edit a new version, preview it, activate a version.

Admins edit; managers and analysts see the same page read-only. The services decide, not the page.
"""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate

from components import ids
from components.shell import page_header, refusal
from components.templates_admin import issue_list, preview_frame, template_rows, templates_admin_view
from domain.roles import Forbidden
from pages._context import actor, deps
from services import templates as templates_service
from services.templates import TemplateSource, TemplateValidationError

dash.register_page(__name__, path="/admin/templates", name="Templates", title="Templates · Follow-up Cockpit",
                   order=10)

EDITOR_STATE = [State(ids.TEMPLATES_DECLARED, "value"), State(ids.TEMPLATES_SUBJECT, "value"),
                State(ids.TEMPLATES_HTML, "value"), State(ids.TEMPLATES_TEXT, "value")]


def layout(**_kwargs):
    try:
        summaries = templates_service.list_templates(deps().uow, actor())
    except Forbidden as exc:
        return refusal(str(exc))
    return html.Div([page_header("Templates", "Versioned mail templates: edit, preview with a sample lead, activate"),
                     templates_admin_view(summaries, templates_service.may_edit(actor()))])


def _alert(message: str, color: str = "danger") -> html.Div:
    return html.Div(message, className=f"alert alert-{color} py-2")


def _source(declared, subject, body_html, text) -> TemplateSource:
    return TemplateSource(subject or "", body_html or "", text or "", tuple((declared or "").split(",")))


@callback(Output(ids.TEMPLATES_VERSION, "options"), Output(ids.TEMPLATES_VERSION, "value"),
          Input(ids.TEMPLATES_NAME, "value"), prevent_initial_call=True)
def choose_template(name):
    versions = templates_service.versions_of(deps().uow, actor(), name)
    return versions, (versions[0] if versions else None)


@callback(Output(ids.TEMPLATES_VARIANT, "options"), Output(ids.TEMPLATES_VARIANT, "value"),
          Input(ids.TEMPLATES_VERSION, "value"), State(ids.TEMPLATES_NAME, "value"), prevent_initial_call=True)
def choose_version(version, name):
    variants = [v.variant for v in templates_service.version_detail(deps().uow, actor(), name, version)]
    if not variants:
        raise PreventUpdate
    new = chr(ord(max(variants)) + 1)  # offer one more variant for an A/B(/C) test
    return variants + ([{"label": f"{new} (new variant)", "value": new}] if new <= "Z" else []), variants[0]


@callback(Output(ids.TEMPLATES_WEIGHT, "value"), Output(ids.TEMPLATES_DECLARED, "value"),
          Output(ids.TEMPLATES_SUBJECT, "value"), Output(ids.TEMPLATES_HTML, "value"), Output(ids.TEMPLATES_TEXT, "value"),
          Input(ids.TEMPLATES_VARIANT, "value"), State(ids.TEMPLATES_NAME, "value"), State(ids.TEMPLATES_VERSION, "value"),
          prevent_initial_call=True)
def choose_variant(variant, name, version):
    views = templates_service.version_detail(deps().uow, actor(), name, version)
    view = next((v for v in views if v.variant == variant), views[0] if views else None)
    if view is None:
        raise PreventUpdate
    weight = view.weight if view.variant == variant else 0  # a new variant starts as a copy without traffic
    return weight, ", ".join(view.declared), view.subject, view.html, view.text


@callback(Output(ids.TEMPLATES_ISSUES, "children"), Input(ids.TEMPLATES_PREVIEW, "n_clicks"),
          State(ids.TEMPLATES_NAME, "value"), *EDITOR_STATE, prevent_initial_call=True)
def show_preview(_clicks, name, declared, subject, body_html, text):
    try:
        shown = templates_service.preview(deps().uow, actor(), name or "", _source(declared, subject, body_html, text))
    except TemplateValidationError as exc:
        return issue_list(exc.issues)
    except Forbidden as exc:
        return _alert(str(exc))
    return preview_frame(shown.subject, shown.html, shown.text)


@callback(Output(ids.TEMPLATES_TABLE, "data"), Output(ids.TEMPLATES_MESSAGE, "children"),
          Output(ids.TEMPLATES_VERSION, "options", allow_duplicate=True),
          Output(ids.TEMPLATES_VERSION, "value", allow_duplicate=True),
          Input(ids.TEMPLATES_SAVE, "n_clicks"), Input(ids.TEMPLATES_ACTIVATE, "n_clicks"),
          State(ids.TEMPLATES_NAME, "value"), State(ids.TEMPLATES_VERSION, "value"), State(ids.TEMPLATES_VARIANT, "value"),
          State(ids.TEMPLATES_WEIGHT, "value"), *EDITOR_STATE, prevent_initial_call=True)
def change_templates(_save, _activate, name, version, variant, weight, declared, subject, body_html, text):
    """Save the editor as a new version, or activate the chosen version; both refresh the list."""
    uow, caller, keep = deps().uow, actor(), dash.no_update
    try:
        if ctx.triggered_id == ids.TEMPLATES_SAVE:
            version = templates_service.save_version(uow, caller, name or "", variant, weight,
                                                     _source(declared, subject, body_html, text))
            message = f"Saved {name} version {version}; it is not active until you activate it."
        else:
            templates_service.activate_version(uow, caller, name or "", version or 0)
            message = f"{name} version {version} is now the active version."
    except TemplateValidationError as exc:
        return keep, issue_list(exc.issues), keep, keep
    except (templates_service.InvalidTemplateInput, Forbidden) as exc:
        return keep, _alert(str(exc)), keep, keep
    rows = template_rows(templates_service.list_templates(uow, caller))
    return rows, _alert(message, "success"), templates_service.versions_of(uow, caller, name), version
