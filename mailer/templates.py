"""Email templates: checked when saved, rendered in a sandbox when sent (DESIGN section 5).

A template version has three parts (subject, HTML, text) and a list of declared variables. Saving
refuses syntax errors, variables that are used but not declared or declared but unknown to the
template's kind, and constructs that reach into Python internals; every issue names its line.
Rendering runs in a Jinja2 sandbox with StrictUndefined, so what slipped past the check still
cannot escape, and a missing variable is an error rather than a blank; the sandbox also bounds time,
loops and sizes (mailer.template_sandbox), and going past a bound is a TemplateLimitError, for a
preview as for a real send.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SecurityError

from mailer.render_limits import LimitExceeded, render_budget
from mailer.template_sandbox import BoundedSandbox, check_nesting, render_bounded

UNSUBSCRIBE_URL = "unsubscribe_url"
COMMON_VARIABLES = ("contact_name", "company", "city", "business_type", UNSUBSCRIBE_URL)
# What a caller of each kind supplies; `products` is a list of product names.
KIND_VARIABLES: dict[str, tuple[str, ...]] = {
    "SAMPLE_REQUEST": COMMON_VARIABLES + ("products",),
    "FOLLOW_UP": COMMON_VARIABLES + ("discount_percent", "min_order_eur"),
    "REMINDER": COMMON_VARIABLES + ("discount_percent", "min_order_eur"),
    "WELCOME": COMMON_VARIABLES,
    # To the lead's owner (staff) when the lead became a customer; the other variables describe the lead.
    "OWNER_NOTICE": COMMON_VARIABLES + ("owner_name", "customer_id", "lead_url"),
}
KINDS = tuple(KIND_VARIABLES)
MAX_SOURCE_CHARS = 50_000


class TemplateError(Exception):
    """No usable template, a missing variable, or a template that failed to render."""

    def __init__(self, message: str, part: str | None = None, line: int | None = None):
        super().__init__(message)
        self.part, self.line = part, line


class TemplateLimitError(TemplateError):
    """Rendering went past a bound of mailer.render_limits: time, loop steps, or the size of a value."""


@dataclass(frozen=True)
class Issue:
    part: str  # subject | html | text | variables
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.part} line {self.line}: {self.message}" if self.line else f"{self.part}: {self.message}"


class TemplateValidationError(TemplateError):
    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class TemplateSource:
    subject: str
    html: str
    text: str
    declared: tuple[str, ...]

    def parts(self) -> tuple[tuple[str, str], ...]:
        return (("subject", self.subject), ("html", self.html), ("text", self.text))


def _finalize(value):
    """None prints as nothing, a list as 'a, b, c' (e.g. the products of a sample box)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def _env(autoescape: bool) -> BoundedSandbox:
    return BoundedSandbox(_finalize, undefined=StrictUndefined, autoescape=autoescape,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


_ENVS = {"subject": _env(False), "html": _env(True), "text": _env(False)}
_FORBIDDEN_TAGS = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


def _unsafe(ast: nodes.Template) -> list[tuple[int, str]]:
    """Constructs refused at save time; the sandbox would refuse most of them at render time too."""
    found = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Pow, nodes.For) + _FORBIDDEN_TAGS):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            found.append((node.lineno, f"access to the internal attribute {node.attr!r} is not allowed"))
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and str(node.arg.value).startswith("_"):
            found.append((node.lineno, f"access to the internal item {node.arg.value!r} is not allowed"))
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            found.append((node.lineno, "the attr filter is not allowed"))
        elif isinstance(node, nodes.Pow):
            found.append((node.lineno, "the ** operator is not allowed"))
        elif isinstance(node, nodes.For) and node.recursive:
            found.append((node.lineno, "recursive loops are not allowed"))
        elif isinstance(node, _FORBIDDEN_TAGS):
            found.append((node.lineno, f"{type(node).__name__.lower()} is not allowed in mail templates"))
    return found


def _first_line_of(ast: nodes.Template, name: str) -> int:
    return min((n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"), default=1)


def _check_part(part: str, source: str, declared: set[str]) -> list[Issue]:
    if len(source) > MAX_SOURCE_CHARS:
        return [Issue(part, None, f"longer than {MAX_SOURCE_CHARS} characters")]
    try:
        ast = _ENVS[part].parse(source)
        check_nesting(ast)  # before the checks below, whose cost grows steeply with depth
        return _part_issues(part, ast, declared)
    except TemplateSyntaxError as exc:
        return [Issue(part, exc.lineno, exc.message or "syntax error")]
    except (RecursionError, LimitExceeded):  # e.g. thousands of nested brackets or attributes
        return [Issue(part, None, "nested too deeply")]
    except ValueError as exc:  # e.g. a number of thousands of digits
        return [Issue(part, None, f"cannot be read: {exc}")]


def _part_issues(part: str, ast: nodes.Template, declared: set[str]) -> list[Issue]:
    issues = [Issue(part, line, message) for line, message in _unsafe(ast)]
    used = meta.find_undeclared_variables(ast)
    for name in sorted(used - declared):
        issues.append(Issue(part, _first_line_of(ast, name), f"variable {name!r} is used but not declared"))
    if part in ("html", "text") and UNSUBSCRIBE_URL not in used:
        issues.append(Issue(part, None, "every mail needs the unsubscribe link {{ unsubscribe_url }}"))
    return sorted(issues, key=lambda i: (i.line or 0, i.message))


def declared_for(names) -> tuple[str, ...]:
    """The declared variables as stored: trimmed, unique, sorted, unsubscribe_url always among them."""
    return tuple(sorted({n.strip() for n in names if n and n.strip()} | {UNSUBSCRIBE_URL}))


def validate(kind: str, source: TemplateSource, sample: dict | None = None) -> list[Issue]:
    """Every problem of a template version; an empty list means it may be saved."""
    if kind not in KIND_VARIABLES:
        return [Issue("variables", None, f"unknown template kind {kind!r}; known: {', '.join(KINDS)}")]
    declared = set(declared_for(source.declared))
    issues = [Issue("variables", None, f"{name!r} is not a variable of {kind}; known: {', '.join(KIND_VARIABLES[kind])}")
              for name in sorted(declared - set(KIND_VARIABLES[kind]))]
    for part, text in source.parts():
        issues += _check_part(part, text, declared)
    if not issues and sample is not None:
        issues += _trial_render(source, sample)
    return issues


def _template_line(tb) -> int | None:
    """The line of the template frame in a traceback (Jinja rewrites template frames to '<template>')."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _trial_render(source: TemplateSource, sample: dict) -> list[Issue]:
    try:
        _render_parts(source, sample)
    except TemplateError as exc:
        return [Issue(exc.part or "variables", exc.line, f"fails with sample data: {exc}")]
    return []


@functools.lru_cache(maxsize=256)
def _compiled(part: str, text: str):
    # Compiling is most of a render's cost and depends only on the text: a follow-up run renders
    # the same few versions thousands of times.
    return _ENVS[part].compile_bounded(text)


def _render_parts(source: TemplateSource, context: dict) -> list[str]:
    """(subject, html, text) as rendered, all three within one budget (mailer.render_limits)."""
    with render_budget():
        return [_render_part(part, text, context) for part, text in source.parts()]


def _render_part(part: str, text: str, context: dict) -> str:
    try:
        return render_bounded(_compiled(part, text), context)
    except Exception as exc:  # noqa: BLE001 - whatever a template's own code raises is that template's failure
        raise _failure(exc, part) from None


def _failure(exc: Exception, part: str) -> TemplateError:
    line = _template_line(exc.__traceback__)
    if isinstance(exc, (LimitExceeded, RecursionError)):
        reason = str(exc) if isinstance(exc, LimitExceeded) else "it nests or recurses too deeply"
        return TemplateLimitError(f"the template exceeds a rendering limit: {reason}", part, line)
    if isinstance(exc, SecurityError):
        return TemplateError(f"refused an unsafe template construct: {exc}", part, line)
    return TemplateError(f"template failed to render: {exc}", part, line)


def render_source(source: TemplateSource, variables: dict) -> tuple[str, str, str]:
    """(subject, html, text); only declared variables reach the template. TemplateError (a
    TemplateLimitError when a bound of mailer.render_limits was reached) when it cannot render."""
    declared = declared_for(source.declared)
    missing = [name for name in declared if name not in variables]
    if missing:
        raise TemplateError(f"missing template variable(s): {', '.join(missing)}")
    rendered = _render_parts(source, {name: variables[name] for name in declared})
    subject = " ".join(rendered[0].split())  # one header line: no CR/LF can reach the mail headers
    return subject, rendered[1], rendered[2]


def choose_variant(weights: dict[str, int], pick: str) -> str:
    """A variant chosen by weight from a stable hash of `pick`: the same pick, the same variant."""
    candidates = sorted((v, w) for v, w in weights.items() if w > 0)
    if not candidates:
        raise TemplateError("no variant has a weight above 0")
    total = sum(w for _v, w in candidates)
    point = int.from_bytes(hashlib.sha256(pick.encode()).digest()[:8], "big") % total
    for variant, weight in candidates:
        if point < weight:
            return variant
        point -= weight
    raise AssertionError("unreachable: point < total")
