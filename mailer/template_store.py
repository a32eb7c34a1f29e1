"""Stored template rows as the email core reads them: a row's source, and rendering the active
version for one recipient. The rows are read in the caller's transaction (`tx.templates`,
data/templates.py).
"""
from __future__ import annotations

from data.models import EmailTemplate
from mailer.message import RenderedMail
from mailer.templates import TemplateError, TemplateSource, choose_variant, render_source


def source_of(row: EmailTemplate) -> TemplateSource:
    declared = (row.variables or {}).get("declared", [])
    return TemplateSource(row.subject, row.body_html, row.body_text, tuple(declared))


def render_template(tx, kind: str, locale: str, variables: dict, pick: str) -> RenderedMail:
    """Render the active version of `kind` in `locale` (else 'de', else any locale) for one recipient.

    `pick` chooses the A/B variant deterministically (e.g. f"{lead_id}:{step}"). `variables` must
    hold every declared variable, `unsubscribe_url` included (mailer.unsubscribe.unsubscribe_url)."""
    rows = tx.templates.active_for_rendering(kind, locale)
    if not rows:
        raise TemplateError(f"no active {kind} template (locale {locale!r}, 'de' or any other)")
    chosen = next(r for r in rows if r.variant == choose_variant({r.variant: r.weight for r in rows}, pick))
    subject, html, text = render_source(source_of(chosen), variables)
    return RenderedMail(subject=subject, html=html, text=text, template_id=chosen.id,
                        template_version=chosen.version, variant=chosen.variant)
