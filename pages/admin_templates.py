"""Templates: list the versioned mail templates, edit a new version, preview it, activate a version.

Admins edit; managers and analysts see the same page read-only. The services decide, not the page.
"""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate

from components import ids
from components.callback_inputs import optional_id, text
from components.shell import page_header, refusal
from components.templates_admin import issue_list, preview_frame, template_rows, templates_admin_view
from domain.roles import Forbidden
from pages._context import actor, deps
from services import templates as templates_service
from services.templates import TemplateError, TemplateSource, TemplateValidationError

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


def _source(declared, subject, body_html, body_text) -> TemplateSource:
    return TemplateSource(text("subject", subject, 2000), text("html", body_html, 500_000), text("text", body_text, 500_000),
                          tuple(text("variables", declared).split(",")))


# The selection callbacks also answer a caller who may not see templates (a replayed callback):
# the refusal goes to the page's message, the editor stays as it was.
REFUSAL = Output(ids.TEMPLATES_MESSAGE, "children", allow_duplicate=True)


def _refused(exc: Forbidden, outputs: int) -> tuple:
    return (dash.no_update,) * outputs + (refusal(str(exc)),)


@callback(Output(ids.TEMPLATES_VERSION, "options"), Output(ids.TEMPLATES_VERSION, "value"), REFUSAL,
          Input(ids.TEMPLATES_NAME, "value"), prevent_initial_call=True)
def choose_template(name):
    try:
        versions = templates_service.versions_of(deps().uow, actor(), text("template", name, 200))
    except Forbidden as exc:
        return _refused(exc, 2)
    return versions, (versions[0] if versions else None), dash.no_update


@callback(Output(ids.TEMPLATES_VARIANT, "options"), Output(ids.TEMPLATES_VARIANT, "value"), REFUSAL,
          Input(ids.TEMPLATES_VERSION, "value"), State(ids.TEMPLATES_NAME, "value"), prevent_initial_call=True)
def choose_version(version, name):
    try:
        variants = [v.variant for v in templates_service.version_detail(
            deps().uow, actor(), text("template", name, 200), optional_id("version", version))]
    except Forbidden as exc:
        return _refused(exc, 2)
    if not variants:
        raise PreventUpdate
    new = chr(ord(max(variants)) + 1)  # offer one more variant for an A/B(/C) test
    options = variants + ([{"label": f"{new} (new variant)", "value": new}] if new <= "Z" else [])
    return options, variants[0], dash.no_update


@callback(Output(ids.TEMPLATES_WEIGHT, "value"), Output(ids.TEMPLATES_DECLARED, "value"),
          Output(ids.TEMPLATES_SUBJECT, "value"), Output(ids.TEMPLATES_HTML, "value"), Output(ids.TEMPLATES_TEXT, "value"),
          REFUSAL, Input(ids.TEMPLATES_VARIANT, "value"), State(ids.TEMPLATES_NAME, "value"),
          State(ids.TEMPLATES_VERSION, "value"), prevent_initial_call=True)
def choose_variant(variant, name, version):
    try:
        views = templates_service.version_detail(deps().uow, actor(), text("template", name, 200), optional_id("version", version))
    except Forbidden as exc:
        return _refused(exc, 5)
    view = next((v for v in views if v.variant == variant), views[0] if views else None)
    if view is None:
        raise PreventUpdate
    weight = view.weight if view.variant == variant else 0  # a new variant starts as a copy without traffic
    return weight, ", ".join(view.declared), view.subject, view.html, view.text, dash.no_update


@callback(Output(ids.TEMPLATES_ISSUES, "children"), Output(ids.TEMPLATES_MESSAGE, "children", allow_duplicate=True),
          Input(ids.TEMPLATES_PREVIEW, "n_clicks"), State(ids.TEMPLATES_NAME, "value"), *EDITOR_STATE,
          prevent_initial_call=True)
def show_preview(_clicks, name, declared, subject, body_html, body_text):
    """The preview, or why there is none; a valid preview also clears an earlier save's error above."""
    try:
        shown = templates_service.preview(deps().uow, actor(), text("template", name, 200), _source(declared, subject, body_html, body_text))
    except TemplateValidationError as exc:
        return issue_list(exc.issues), dash.no_update
    except (TemplateError, Forbidden) as exc:  # TemplateError: e.g. a rendering limit the lead's values reached
        return _alert(str(exc)), dash.no_update
    return preview_frame(shown.subject, shown.html, shown.text), None


@callback(Output(ids.TEMPLATES_TABLE, "rowData"), Output(ids.TEMPLATES_MESSAGE, "children"),
          Output(ids.TEMPLATES_VERSION, "options", allow_duplicate=True),
          Output(ids.TEMPLATES_VERSION, "value", allow_duplicate=True),
          Input(ids.TEMPLATES_SAVE, "n_clicks"), Input(ids.TEMPLATES_ACTIVATE, "n_clicks"),
          State(ids.TEMPLATES_NAME, "value"), State(ids.TEMPLATES_VERSION, "value"), State(ids.TEMPLATES_VARIANT, "value"),
          State(ids.TEMPLATES_WEIGHT, "value"), *EDITOR_STATE, prevent_initial_call=True)
def change_templates(_save, _activate, name, version, variant, weight, declared, subject, body_html, body_text):
    """Save the editor as a new version, or activate the chosen version; both refresh the list."""
    uow, caller, keep = deps().uow, actor(), dash.no_update
    name, version = text("template", name, 200), optional_id("version", version)
    try:
        if ctx.triggered_id == ids.TEMPLATES_SAVE:
            version = templates_service.save_version(uow, caller, name, text("variant", variant, 1), weight,
                                                     _source(declared, subject, body_html, body_text))
            message = f"Saved {name} version {version}; it is not active until you activate it."
        else:
            templates_service.activate_version(uow, caller, name, version or 0)
            message = f"{name} version {version} is now the active version."
    except TemplateValidationError as exc:
        return keep, issue_list(exc.issues), keep, keep
    except (templates_service.InvalidTemplateInput, Forbidden) as exc:
        return keep, _alert(str(exc)), keep, keep
    rows = template_rows(templates_service.list_templates(uow, caller))
    return rows, _alert(message, "success"), templates_service.versions_of(uow, caller, name), version
