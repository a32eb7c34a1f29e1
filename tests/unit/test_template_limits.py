"""Rendering a mail template is bounded: nested loops, format and repetition bombs and endless
recursion end fast with a TemplateLimitError, without building big strings, while ordinary templates
render exactly as Jinja renders them."""
from __future__ import annotations

import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from mailer.render_limits import MAX_VALUE_CHARS
from mailer.seed_templates import SEED_TEMPLATES
from mailer.templates import TemplateError, TemplateLimitError, TemplateSource, render_source, validate

FOOT = "\n{{ unsubscribe_url }}"
VARS = {"contact_name": "Anna <Chefin>", "company": "Linde & Söhne", "city": "Kiel", "business_type": "HOTEL",
        "unsubscribe_url": "https://x.example/unsubscribe?token=t", "products": ["Starterbox", "Saucen-Set"],
        "discount_percent": 15, "min_order_eur": 500, "owner_name": "Max", "customer_id": 1042,
        "lead_url": "https://x.example/leads/1"}


def html_only(body: str) -> TemplateSource:
    return TemplateSource("Betreff", body + FOOT, "Text" + FOOT, tuple(VARS))


def limited(body: str, within_seconds: float = 3.0) -> str:
    """The limit error rendering `body` ends with, checked to come within `within_seconds`."""
    started = time.monotonic()
    with pytest.raises(TemplateLimitError) as refused:
        render_source(html_only(body), VARS)
    assert time.monotonic() - started < within_seconds
    return str(refused.value)


@pytest.mark.parametrize("body", [
    "{% for a in range(20000) %}{% for b in range(20000) %}{% endfor %}{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{{ a }}{% endfor %}{% endfor %}",
    "{% set s = 'x' * 9999 %}{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}",
    "{% macro twice(n) %}{% if n %}{{ twice(n - 1) }}{{ twice(n - 1) }}{% endif %}{% endmacro %}{{ twice(60) }}",
    "{% macro forever() %}{{ forever() }}{% endmacro %}{{ forever() }}",
])
def test_nested_loops_and_recursion_end_fast_with_a_limit_error(body):
    assert "exceeds a rendering limit" in limited(body)


@pytest.mark.parametrize("body", [
    "{{ '%020000000d' | format(1) }}", "{{ '%020000000d' % 1 }}", "{{ '%(a(b))020000000d' % {'a(b)': 1} }}",
    "{{ '{:020000000}'.format(1) }}", "{{ '{:{}}'.format(1, 20000000) }}", "{{ 'x' | center(20000000) }}",
    "{{ 'x'.ljust(20000000) }}", "{{ ('x' * 9000) | replace('', 'y' * 9000) }}",
    "{{ ('\\n' * 9000) | indent(9000) }}", "{% set s = 'x' * 9000 %}" + "{% set s = s ~ s %}" * 12 + "{{ s }}",
    "{% set s = 'x' * 9000 %}{{ [" + ", ".join(["s"] * 400) + "] | join }}",
    "{% set n = 10 ** 64 %}" + "{% set n = n * n %}" * 20 + "{{ n }}",
    "{% for i in range(1000) %}" + "w" * 1000 + "{% endfor %}",
    "{% set x %}{% for i in range(1000) %}{% for j in range(99) %}" + "z" * 5000 + "{% endfor %}{% endfor %}{% endset %}",
])
def test_string_bombs_are_refused_without_building_the_string(body):
    tracemalloc.start()
    try:
        message = limited(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "exceeds a rendering limit" in message
    assert peak < 8 * 1024 * 1024, f"{peak / 1e6:.1f} MB allocated"


def test_lipsum_and_encoding_to_bytes_are_not_offered():
    for body in ("{{ lipsum(100000) }}", "{{ 'x'.encode().ljust(20000000) }}"):
        with pytest.raises(TemplateError):
            render_source(html_only(body), VARS)


def test_the_preview_check_reports_a_limit_as_an_issue_of_the_part():
    source = TemplateSource("Hi", "<p>\n{{ '%020000000d' | format(1) }}</p>" + FOOT, "Hi" + FOOT, ())
    [issue] = validate("WELCOME", source, sample=VARS)
    assert (issue.part, issue.line) == ("html", 2) and "exceeds a rendering limit" in issue.message
    deep = TemplateSource("Hi", "{{ 'x'" + "|e" * 200 + " }}" + FOOT, "Hi" + FOOT, ())
    assert [str(i) for i in validate("WELCOME", deep, sample=VARS)] == ["html: nested too deeply"]


def _finalize(value):
    return "" if value is None else ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value


def reference(source: TemplateSource, variables: dict) -> tuple[str, str, str]:
    """The same template rendered by plain Jinja2 with the options the mail templates use."""
    def part(text, autoescape):
        env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=autoescape, finalize=_finalize,
                                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        return env.from_string(text).render({n: variables[n] for n in source.declared if n in variables})
    return " ".join(part(source.subject, False).split()), part(source.html, True), part(source.text, False)


ORDINARY = [
    "Hallo {{ contact_name }} von {{ company }}: {{ products }}",
    "{% for p in products %}{{ loop.index }}/{{ loop.length }} {{ p | upper }}{% if not loop.last %}, {% endif %}"
    "{% endfor %}",
    "{{ '%05.1f' % 3.14159 }} {{ '{:>12}'.format(company) }} {{ company | center(30) }} {{ city ~ ' ' ~ company }}",
    "{{ products | join(' + ') }} {{ (products | first) * 3 }} {{ discount_percent * min_order_eur // 100 }}",
    "{% set ns = namespace(total=0) %}{% for i in range(10) %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
    "{% macro item(p) %}<li>{{ p }}</li>{% endmacro %}<ul>{% for p in products %}{{ item(p) }}{% endfor %}</ul>",
    "{{ 'Sehr geehrte ' ~ contact_name | title }} {{ company | replace('&', 'und') | wordwrap(8) }} "
    "{{ lead_url | urlize }} {{ {'a': 1} | tojson }} {{ company | truncate(9) }} {{ city | indent(2, true) }}",
]


@pytest.mark.parametrize("body", ORDINARY)
def test_an_ordinary_template_renders_exactly_as_jinja_renders_it(body):
    source = TemplateSource(body, body + FOOT, body + FOOT, tuple(VARS))
    assert render_source(source, VARS) == reference(source, VARS)


def test_the_shipped_templates_render_exactly_as_before():
    for seed in SEED_TEMPLATES:
        assert render_source(seed.source(), VARS) == reference(seed.source(), VARS), seed.name


EXPRESSIONS = st.sampled_from([
    "{{ contact_name }}", "{{ products }}", "x", "{{ 'ab' * N }}", "{{ '%0Nd' % 1 }}", "{{ '%0Nd' | format(1) }}",
    "{{ '{:N}'.format(1) }}", "{{ company | center(N) }}", "{{ company | indent(N) }}", "{{ company.ljust(N) }}",
    "{{ company | wordwrap(2, wrapstring='-' * N) }}", "{{ products | join('-' * N) }}", "{{ range(N) | list }}",
    "{{ company | replace('', '.' * N) }}", "{% set company = company ~ company %}", "{{ N ** N }}",
    "{% set products = products + products %}", "{{ (N * N) * (N * N) }}", "{{ lipsum(N) }}", "{{ [company] * N }}",
    "{{ ('x' * N) | urlize }}", "{{ company | batch(N, fill_with='-') | list }}", "{{ company * (N % 7) }}",
])
BLOCKS = ["{% for a in range(N) %}@{% endfor %}", "{% for b in company %}@{% endfor %}",
          "{% macro m() %}@{{ caller() }}{{ caller() }}{% endmacro %}{% call m() %}@{% endcall %}",
          "{% set x %}@{% endset %}{{ x }}{{ x }}", "{% filter upper %}@{% endfilter %}", "{% if company %}@{% endif %}"]
BODIES = st.recursive(EXPRESSIONS, lambda inner: st.tuples(st.sampled_from(BLOCKS), st.lists(inner, max_size=3)).map(
    lambda block: block[0].replace("@", "".join(block[1]))), max_leaves=10)


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=BODIES, n=st.sampled_from([0, 3, 64, 999, 1001, 9999, 20000, 20000000, 10 ** 30]))
def test_a_hostile_body_renders_within_the_limits_or_fails_with_a_template_error(body, n):
    body = body.replace("N", str(n))
    started = time.monotonic()
    try:
        subject, html, text = render_source(html_only(body), VARS)
    except TemplateError:  # any other exception fails the test
        pass
    else:
        assert max(len(subject), len(html), len(text)) <= MAX_VALUE_CHARS
    assert time.monotonic() - started < 3.0
