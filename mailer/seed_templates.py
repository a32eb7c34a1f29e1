"""The templates the product ships with, in German and English (version 1 of each).

They are product content, not demo data: a first start creates them for every kind+locale that has
no template yet (services.templates.ensure_seed_templates), and admins edit them into new versions.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from jinja2 import Environment, meta

from mailer.templates import TemplateSource, declared_for

FOOTER = {
    "de": "Viele Grüße\nIhr FreshPlan-Team\n\nKeine weiteren E-Mails? Abmelden: {{ unsubscribe_url }}",
    "en": "Kind regards\nYour FreshPlan team\n\nNo more emails? Unsubscribe: {{ unsubscribe_url }}",
}
UNSUBSCRIBE_LABEL = {"de": "Abmelden", "en": "Unsubscribe"}


@dataclass(frozen=True)
class SeedTemplate:
    name: str
    kind: str
    locale: str
    variant: str
    weight: int
    subject: str
    body: str  # the text part without the footer; the HTML part is derived from it

    def source(self) -> TemplateSource:
        text = self.body + "\n\n" + FOOTER[self.locale] + "\n"
        html = _html(text, self.locale)
        parsed = Environment().parse(self.subject + "\n" + text)
        return TemplateSource(self.subject, html, text, declared_for(meta.find_undeclared_variables(parsed)))


def _html(text: str, locale: str) -> str:
    """Paragraphs of the text as HTML; the unsubscribe line becomes a link. Jinja tags pass unchanged."""
    paragraphs = [escape(p, quote=False).replace("\n", "<br>\n") for p in text.strip().split("\n\n")]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs[:-1])
    link = f'<a href="{{{{ unsubscribe_url }}}}">{UNSUBSCRIBE_LABEL[locale]}</a>'
    return f'{body}\n<p style="color:#6c757d;font-size:12px">{link}</p>\n'


def _t(name, kind, locale, variant, weight, subject, body) -> SeedTemplate:
    return SeedTemplate(name if locale == "de" else f"{name}-{locale}", kind, locale, variant, weight, subject, body)


SEED_TEMPLATES: tuple[SeedTemplate, ...] = (
    _t("sample-request", "SAMPLE_REQUEST", "de", "A", 50, "Wie war der Produkttest, {{ contact_name }}?",
       "Hallo {{ contact_name }},\n\nvor ein paar Tagen kam Ihre Musterbox bei {{ company }} an: {{ products }}.\n\n"
       "Wie war der Produkttest in Ihrer Küche? Eine kurze Antwort auf diese E-Mail genügt."),
    _t("sample-request", "SAMPLE_REQUEST", "de", "B", 50, "{{ company }}: Ihr Urteil zur Musterbox",
       "Guten Tag {{ contact_name }},\n\nhaben Sie {{ products }} schon ausprobiert?\n\n"
       "Wir freuen uns über Ihr ehrliches Urteil und beraten Sie gern zum passenden Sortiment."),
    _t("sample-request", "SAMPLE_REQUEST", "en", "A", 50, "How was the product test, {{ contact_name }}?",
       "Hello {{ contact_name }},\n\nyour sample box arrived at {{ company }} a few days ago: {{ products }}.\n\n"
       "How did the products do in your kitchen? A short reply to this email is all we need."),
    _t("sample-request", "SAMPLE_REQUEST", "en", "B", 50, "{{ company }}: your verdict on the sample box",
       "Dear {{ contact_name }},\n\nhave you tried {{ products }} yet?\n\n"
       "We would value your honest opinion and gladly help you find the right range."),
    _t("bulk-offer", "FOLLOW_UP", "de", "A", 50, "{{ discount_percent }} % Rabatt für {{ company }}",
       "Hallo {{ contact_name }},\n\nfür Ihre erste Großbestellung erhalten Sie {{ discount_percent }} % Rabatt "
       "ab einem Bestellwert von {{ min_order_eur }} EUR.\n\nAntworten Sie einfach auf diese E-Mail."),
    _t("bulk-offer", "FOLLOW_UP", "de", "B", 50, "Ihr Angebot: {{ discount_percent }} % auf die erste Bestellung",
       "Guten Tag {{ contact_name }},\n\nwenn {{ company }} jetzt bestellt, gibt es {{ discount_percent }} % Rabatt "
       "ab {{ min_order_eur }} EUR Bestellwert.\n\nSollen wir ein Angebot zusammenstellen?"),
    _t("bulk-offer", "FOLLOW_UP", "en", "A", 50, "{{ discount_percent }}% off for {{ company }}",
       "Hello {{ contact_name }},\n\nyour first bulk order gets {{ discount_percent }}% off from an order value "
       "of {{ min_order_eur }} EUR.\n\nJust reply to this email."),
    _t("bulk-offer", "FOLLOW_UP", "en", "B", 50, "Your offer: {{ discount_percent }}% on the first order",
       "Dear {{ contact_name }},\n\nif {{ company }} orders now, you get {{ discount_percent }}% off "
       "from {{ min_order_eur }} EUR.\n\nShall we put an offer together?"),
    _t("reminder", "REMINDER", "de", "A", 100, "Kurze Erinnerung für {{ company }}",
       "Hallo {{ contact_name }},\n\nunser Angebot mit {{ discount_percent }} % Rabatt ab {{ min_order_eur }} EUR "
       "gilt noch diese Woche.\n\nSollen wir Sie anrufen?"),
    _t("reminder", "REMINDER", "en", "A", 100, "A short reminder for {{ company }}",
       "Hello {{ contact_name }},\n\nour offer of {{ discount_percent }}% off from {{ min_order_eur }} EUR "
       "is valid until the end of this week.\n\nShall we give you a call?"),
    _t("welcome", "WELCOME", "de", "A", 100, "Willkommen bei FreshPlan, {{ company }}!",
       "Hallo {{ contact_name }},\n\nschön, dass {{ company }} jetzt Kunde ist. Ihr Ansprechpartner meldet sich "
       "in Kürze zum Onboarding."),
    _t("welcome", "WELCOME", "en", "A", 100, "Welcome to FreshPlan, {{ company }}!",
       "Hello {{ contact_name }},\n\nwe are glad {{ company }} is now a customer. Your account manager will be "
       "in touch shortly to get you started."),
    _t("owner-notice", "OWNER_NOTICE", "de", "A", 100, "Neuer Kunde: {{ company }}",
       "Hallo {{ owner_name }},\n\n{{ company }} ({{ city }}) ist jetzt Kunde #{{ customer_id }}.\n\n"
       "Das Onboarding steht noch aus: {{ lead_url }}"),
    _t("owner-notice", "OWNER_NOTICE", "en", "A", 100, "New customer: {{ company }}",
       "Hello {{ owner_name }},\n\n{{ company }} ({{ city }}) is now customer #{{ customer_id }}.\n\n"
       "Onboarding is pending: {{ lead_url }}"),
)
