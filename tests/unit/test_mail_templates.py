"""Mail templates: what saving refuses (with the line), what rendering does with hostile or incomplete
input, the deterministic A/B choice, the shipped templates, and the signed unsubscribe token."""
from __future__ import annotations

from collections import Counter

import pytest

from mailer.seed_templates import SEED_TEMPLATES
from mailer.templates import (KIND_VARIABLES, TemplateError, TemplateSource, choose_variant, render_source,
                              validate)
from mailer.unsubscribe import (InvalidToken, unsubscribe_headers, unsubscribe_token, unsubscribe_url,
                                verify_unsubscribe_token)

FOOT = "\n{{ unsubscribe_url }}"
VARS = {"contact_name": "Anna", "company": "Gasthaus Linde", "products": ["Starterbox", "Saucen-Set"],
        "unsubscribe_url": "https://x.example/unsubscribe?token=t", "city": "Kiel", "business_type": "RESTAURANT"}


def src(html="<p>Hallo {{ contact_name }}</p>" + FOOT, text="Hallo {{ contact_name }}" + FOOT,
        subject="Hallo {{ company }}", declared=("contact_name", "company")) -> TemplateSource:
    return TemplateSource(subject, html, text, declared)


def messages(issues) -> list[str]:
    return [str(i) for i in issues]


def test_a_clean_template_passes():
    assert validate("SAMPLE_REQUEST", src(), sample=VARS) == []


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ contact_name.__class__ }}",
    "{{ contact_name['__class__'] }}",
    "{{ contact_name|attr('__class__') }}",
    "{{ 9 ** 9 ** 9 }}",
    "{% include 'x' %}",
])
def test_escapes_from_the_sandbox_are_refused_at_save_naming_the_line(payload):
    html = "<p>Hallo</p>\n\n" + payload + FOOT  # the payload sits on line 3
    issues = validate("SAMPLE_REQUEST", src(html=html))
    assert issues and all(i.part == "html" for i in issues)
    assert any(i.line == 3 for i in issues), messages(issues)


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__ }}", "{{ contact_name|attr('__class__') }}", "{{ 'x' * 100000000 }}",
    "{{ 2 ** 100000000 }}", "{{ [1] * 100000000 }}",
])
def test_escapes_are_harmless_at_render_even_if_stored_unchecked(payload):
    with pytest.raises(TemplateError) as caught:
        render_source(src(text=payload + FOOT), VARS)
    assert "unsafe" in str(caught.value) or "too large" in str(caught.value)


def test_html_is_escaped_and_text_is_not_and_the_subject_is_one_line():
    hostile = {**VARS, "contact_name": "<script>alert(1)</script>", "company": "A & B\r\nBcc: victim@x.example"}
    subject, html, text = render_source(src(), hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" in text  # the text part is plain text: nothing is interpreted there
    assert subject == "Hallo A & B Bcc: victim@x.example" and "\n" not in subject and "\r" not in subject


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(TemplateError, match="contact_name"):
        render_source(src(), {k: v for k, v in VARS.items() if k != "contact_name"})


def test_lists_render_as_text_and_none_as_nothing():
    source = src(text="{{ products }}|{{ contact_name }}" + FOOT, declared=("products", "contact_name", "company"))
    _subject, _html, text = render_source(source, {**VARS, "contact_name": None})
    assert text.startswith("Starterbox, Saucen-Set|\n")


def test_a_used_but_undeclared_variable_names_its_line():
    issues = validate("SAMPLE_REQUEST", src(text="Hallo\n\n{{ contact_name }}\n{{ discount }}" + FOOT))
    assert messages(issues) == ["text line 4: variable 'discount' is used but not declared"]


def test_a_declared_variable_the_kind_does_not_know_is_refused():
    issues = validate("WELCOME", src(declared=("contact_name", "company", "discount_percent")))
    assert len(issues) == 1 and issues[0].part == "variables" and "discount_percent" in issues[0].message


def test_loop_variables_count_as_declared_inside_the_loop():
    html = "<ul>{% for p in products %}<li>{{ p }}</li>{% endfor %}</ul>" + FOOT
    assert validate("SAMPLE_REQUEST", src(html=html, declared=("contact_name", "company", "products")), VARS) == []


def test_a_syntax_error_names_its_line():
    issues = validate("FOLLOW_UP", src(text="Hallo\n{% if contact_name %}\nnie geschlossen" + FOOT))
    assert len(issues) == 1 and issues[0].part == "text" and issues[0].line == 4


def test_every_mail_must_carry_the_unsubscribe_link():
    issues = validate("REMINDER", src(html="<p>Hallo {{ contact_name }}</p>"))
    assert messages(issues) == ["html: every mail needs the unsubscribe link {{ unsubscribe_url }}"]


def test_a_runtime_error_with_sample_data_names_its_line():
    issues = validate("SAMPLE_REQUEST", src(text="Hallo\n{{ products.missing }}" + FOOT,
                                            declared=("contact_name", "company", "products")), sample=VARS)
    assert len(issues) == 1 and issues[0].line == 2 and "sample data" in issues[0].message


def test_the_same_pick_always_gets_the_same_variant():
    weights = {"A": 50, "B": 50}
    assert all(choose_variant(weights, f"lead-{i}:T3") == choose_variant(weights, f"lead-{i}:T3") for i in range(200))


def test_variants_are_chosen_in_proportion_to_their_weights():
    counts = Counter(choose_variant({"A": 80, "B": 20, "C": 0}, f"{i}:T7") for i in range(10_000))
    assert counts["C"] == 0
    assert 7_700 < counts["A"] < 8_300 and 1_700 < counts["B"] < 2_300


def test_no_variant_with_weight_is_an_error():
    with pytest.raises(TemplateError):
        choose_variant({"A": 0}, "x")


def test_shipped_templates_are_valid_in_both_languages_with_ab_variants():
    for seed in SEED_TEMPLATES:
        assert validate(seed.kind, seed.source(), sample={k: 1 for k in KIND_VARIABLES[seed.kind]}) == [], seed.name
    kinds = Counter((s.kind, s.locale) for s in SEED_TEMPLATES)
    assert set(kinds) == {(k, loc) for k in KIND_VARIABLES for loc in ("de", "en")}
    assert kinds[("SAMPLE_REQUEST", "de")] == kinds[("FOLLOW_UP", "en")] == 2


def test_unsubscribe_token_round_trip_and_tampering():
    token = unsubscribe_token(" Anna@Linde.example ", "secret-1")
    assert verify_unsubscribe_token(token, "secret-1") == "anna@linde.example"
    encoded, signature = token.split(".")
    forged = unsubscribe_token("other@linde.example", "secret-1").split(".")[0] + "." + signature
    for bad in (forged, token[:-2], token + "x", "", "no-dot", "a.b.c"):
        with pytest.raises(InvalidToken):
            verify_unsubscribe_token(bad, "secret-1")
    with pytest.raises(InvalidToken):
        verify_unsubscribe_token(token, "another-secret")


def test_one_click_headers_follow_rfc_8058():
    headers = unsubscribe_headers("anna@linde.example", "s", "https://cockpit.example/")
    url = unsubscribe_url("anna@linde.example", "s", "https://cockpit.example")
    assert headers == {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert url.startswith("https://cockpit.example/unsubscribe?token=")
