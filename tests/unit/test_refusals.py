"""Refusals are written for people: "Your role (viewer) can't open individual leads. Ask an admin if
you need access." — never "role viewer may not open leads". Every refusal is built by
Forbidden.for_role, so they all read alike."""
from __future__ import annotations

import ast

import pytest

from domain.roles import PAGE_NAMES, PAGE_ROLES, Actor, Forbidden, Page, Role, require
from tests.unit.source_tree import modules, relative

PRODUCT = ("domain", "data", "services", "pipelines", "mailer", "web", "components", "pages")


def test_a_viewer_opening_a_lead_is_told_why_and_whom_to_ask():
    with pytest.raises(Forbidden) as refused:
        require(Actor(5, "viewer", Role.VIEWER, None), Page.LEADS)
    assert str(refused.value) == "Your role (viewer) can't open individual leads. Ask an admin if you need access."


def test_every_page_has_a_name_people_use():
    assert set(PAGE_NAMES) == set(Page)


@pytest.mark.parametrize("role", list(Role))
def test_every_page_refusal_reads_as_a_sentence(role):
    for page in (p for p in Page if role not in PAGE_ROLES[p]):
        with pytest.raises(Forbidden) as refused:
            require(Actor(1, "someone", role, None), page)
        text = str(refused.value)
        assert text.startswith(f"Your role ({role.value}) can't open ") and text.endswith("need access."), text
        assert "_" not in text and page.value not in text.split("(")[0], text


def _direct_refusals(path) -> list[int]:
    """Lines that build Forbidden(...) by hand instead of through Forbidden.for_role."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Forbidden"]


def test_refusals_are_built_in_one_way():
    offenders = [f"{relative(p)}:{line}" for p in modules(*PRODUCT) if relative(p) != "domain/roles.py"
                 for line in _direct_refusals(p)]
    assert not offenders, f"raise Forbidden.for_role(actor, 'do what'), a sentence a person can read: {offenders}"
