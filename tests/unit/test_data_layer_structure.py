"""The data layer's boundaries: queries live in data/ behind the unit of work, named SQL is read by one
loader, the analytics cohort is written once, the caller's scope is decided by one helper, and every
PostgreSQL advisory lock key is declared once."""
import re

from data import named_sql
from data.locks import AdvisoryLock
from tests.unit.source_tree import ROOT, imported_roots, modules, relative

USE_CASE_PACKAGES = ("services", "pipelines")
PACKAGES = ("domain", "data", "mailer", "services", "pipelines", "web", "components", "pages", "runtime")

# Modules of services/ and pipelines/ that may import SQLAlchemy, and why. Queries never: they belong
# to a repository in data/ that the unit of work offers as `tx.<name>`.
SQLALCHEMY_ALLOWED = {
    "services/deps.py": "the dependency container names the type of the engine app.py builds",
}
# Where domain.roles.scope_for may be called directly; every other use case asks services.scopes.
SCOPE_FOR_ALLOWED = {
    "services/scopes.py": "caller_scope itself",
    "services/analytics_filters.py": "narrows the analytics filters with the team map it is given",
}
COHORT_QUERIES = ("funnel_stages", "funnel_cohorts", "roi_holdout", "drill_funnel")
SEND_QUERIES = ("funnel_steps", "templates_compare", "roi_monthly", "drill_templates")


def test_use_cases_import_no_sqlalchemy():
    offenders = [relative(p) for p in modules(*USE_CASE_PACKAGES)
                 if "sqlalchemy" in imported_roots(p) and relative(p) not in SQLALCHEMY_ALLOWED]
    assert not offenders, f"move these queries behind a repository in data/: {offenders}"


def test_use_cases_never_reach_for_the_session():
    pattern = re.compile(r"\b(?:tx|uow)\.session\b")
    offenders = [f"{relative(p)}:{n}" for p in modules(*USE_CASE_PACKAGES)
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not offenders, f"use a repository of the unit of work instead: {offenders}"


def test_the_caller_scope_is_decided_in_one_place():
    offenders = [relative(p) for p in modules("services", "pipelines", "web", "pages", "components")
                 if re.search(r"\bscope_for\(", p.read_text(encoding="utf-8")) and relative(p) not in SCOPE_FOR_ALLOWED]
    assert not offenders, f"use services.scopes.caller_scope: {offenders}"


def test_named_sql_has_one_reader():
    readers = [relative(p) for p in modules(*PACKAGES)
               if re.search(r"""["']sql["']|\.sql["']""", p.read_text(encoding="utf-8"))]
    assert readers == ["data/named_sql.py"]


def test_every_named_query_and_the_schema_load():
    for path in sorted((ROOT / "data" / "sql").glob("*.sql")):
        assert named_sql.load(path.stem).strip()
    assert len(named_sql.statements(named_sql.load("schema"))) >= 4  # three tables and the cohort macro


def test_the_analytics_cohort_is_written_once():
    cohort_rule = re.compile(r"registered_at\s*>=\s*since|sent_at\s*>=\s*since", re.IGNORECASE)
    defined_in = [p.name for p in sorted((ROOT / "data" / "sql").glob("*.sql")) if cohort_rule.search(p.read_text())]
    assert defined_in == ["schema.sql"]
    for name in COHORT_QUERIES:
        assert "funnel_cohort($since, $until, $team_id, $user_id, $business_type, " in named_sql.load(name)
    for name in SEND_QUERIES:
        assert "chosen_sends(" in named_sql.load(name) and "FROM events" not in named_sql.load(name)


def test_advisory_lock_keys_are_unique_and_declared_once():
    keys = [lock.value for lock in AdvisoryLock]
    assert len(keys) == len(set(keys))
    literal = re.compile(r"pg_(?:try_)?advisory_(?:xact_)?(?:un)?lock\(\s*\d|\b727\d{3}\b")
    offenders = [relative(p) for p in modules(*PACKAGES) if relative(p) != "data/locks.py"
                 and literal.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"take the key from data.locks.AdvisoryLock: {offenders}"
