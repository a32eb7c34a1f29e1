"""Conversion rules as expressions of the `rule-engine` language over typed facts (DESIGN section 3).

Three objects are known to a rule: `lead`, `reply` and `ready` with the attributes below. The typed
context makes an unknown attribute, an unknown name or a syntax error fail when the rule is saved,
with the line and column it was found at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import rule_engine
from rule_engine import DataType as T

DECISIONS = ("CONVERT", "REJECT", "REVIEW")
FACT_TYPES: dict[str, dict[str, object]] = {
    "lead": {"score": T.FLOAT, "estimated_volume": T.FLOAT, "status": T.STRING, "business_type": T.STRING,
             "city": T.STRING, "country": T.STRING, "email_consent": T.BOOLEAN, "has_vat_id": T.BOOLEAN,
             "days_since_registration": T.FLOAT},
    "reply": {"label": T.STRING, "confidence": T.FLOAT, "by_person": T.BOOLEAN, "step": T.STRING, "text": T.STRING},
    "ready": {"qualified": T.BOOLEAN, "recent_progress": T.BOOLEAN, "volume_set": T.BOOLEAN,
              "contact_complete": T.BOOLEAN, "consent": T.BOOLEAN, "duplicate": T.BOOLEAN,
              "similar_name": T.BOOLEAN, "all": T.BOOLEAN},
}
MAX_EXPRESSION = 2000


def _item(value, name):
    return value[name]


_CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict(
        {obj: T.OBJECT(obj, attributes=attrs, accessor=_item) for obj, attrs in FACT_TYPES.items()}),
    default_timezone="UTC")


@dataclass(frozen=True)
class RuleProblem(Exception):
    """Why an expression cannot be saved, and where (1-based line and column; None: not known)."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        return where + self.message


def _position(expression: str, offset: int) -> tuple[int, int]:
    before = expression[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _locate(expression: str, pattern: str) -> tuple[int | None, int | None]:
    match = re.search(pattern, expression)
    return _position(expression, match.start(1)) if match else (None, None)


def _problem(expression: str, exc: rule_engine.errors.EngineError) -> RuleProblem:
    errors = rule_engine.errors
    hint = f" (did you mean {exc.suggestion!r}?)" if getattr(exc, "suggestion", None) else ""
    if isinstance(exc, errors.RuleSyntaxError):
        token = exc.token
        line, column = _position(expression, token.lexpos if token is not None else len(expression))
        what = f"syntax error at {token.value!r}" if token is not None else "the expression ends too early"
        return RuleProblem(what, line, column)
    if isinstance(exc, errors.AttributeResolutionError):
        line, column = _locate(expression, rf"\.\s*({re.escape(exc.attribute_name)})\b")
        return RuleProblem(f"unknown field {exc.attribute_name!r}{hint}", line, column)
    if isinstance(exc, errors.SymbolResolutionError):
        line, column = _locate(expression, rf"(?<![\w.])({re.escape(exc.symbol_name)})\b")
        return RuleProblem(f"unknown name {exc.symbol_name!r}{hint}; known: lead, reply, ready", line, column)
    return RuleProblem(exc.message or type(exc).__name__)


def compile_rule(expression: str) -> rule_engine.Rule:
    """The parsed rule; RuleProblem names what is wrong and where."""
    text = (expression or "").strip()
    if not text:
        raise RuleProblem("the expression is empty")
    if len(text) > MAX_EXPRESSION:
        raise RuleProblem(f"the expression is longer than {MAX_EXPRESSION} characters")
    try:
        return rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.errors.EngineError as exc:
        raise _problem(text, exc) from None


def matches(rule: rule_engine.Rule, facts: dict) -> bool:
    """Whether the facts satisfy the rule; RuleProblem when evaluating fails (e.g. a wrong type)."""
    try:
        return bool(rule.matches(facts))
    except rule_engine.errors.EngineError as exc:
        raise RuleProblem(f"evaluation failed: {exc.message or type(exc).__name__}") from None


def fields() -> list[str]:
    """Every field a rule may use, for the admin page's help."""
    return [f"{obj}.{name}" for obj, attrs in FACT_TYPES.items() for name in attrs]
