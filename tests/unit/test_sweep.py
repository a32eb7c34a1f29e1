"""What a sweep leaves behind, checked on every run: no definition that nothing uses, no comment that
sends the reader to an issue tracker instead of saying why, and no session reached for outside data/."""
import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "data", "services", "pipelines", "mailer", "web", "components", "pages", "runtime")
TOP_LEVEL_MODULES = ("config.py", "config_values.py")
SKIPPED_DIRS = {".venv", ".git", "var", "__pycache__", ".pytest_cache", "node_modules"}
# Called by a framework by name, not by our code: Dash pages, command lines, Alembic's revisions.
FRAMEWORK_NAMES = {"layout", "main", "upgrade", "downgrade", "revision", "down_revision", "branch_labels", "depends_on"}
# Used from outside the repository, and where that use is documented.
OUTSIDE_ENTRYPOINTS = {
    "web/metrics.py:worker_exited": "gunicorn's child_exit hook (README, Metrics)",
}
# An issue cited in prose: the word "issue" before a number or inside brackets, or a number after a hash.
ISSUE_REFERENCE = re.compile(r"\bissues?\s*#?\d+|\(issue\b|(?<![\w&#])#\d+\b", re.IGNORECASE)
PROSE_FILES = ("README.md", "SECURITY.md", "Makefile", "bench/*.md", "data/sql/*.sql", "assets/*.js", "assets/*.css")


def _files(pattern: str, folders=(".",)) -> list[Path]:
    found = []
    for folder in folders:
        found += [p for p in (ROOT / folder).rglob(pattern) if not SKIPPED_DIRS & set(p.relative_to(ROOT).parts)]
    return sorted(found)


def _product_modules() -> list[Path]:
    return _files("*.py", PACKAGES) + [ROOT / name for name in TOP_LEVEL_MODULES]


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _used_names() -> set[str]:
    """Every name read anywhere: loaded, an attribute, imported; or a word of a script or SQL file."""
    used = set()
    for path in _files("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
                used.add(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif isinstance(node, ast.alias):
                used.update({node.name.split(".")[-1], node.asname or ""})
    for path in _files("*.js") + _files("*.sql"):
        used.update(re.findall(r"\w+", path.read_text(encoding="utf-8")))
    return used


def _exported(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def _definitions(tree: ast.Module):
    """The module's own top-level names; decorated ones are registered with a framework (routes, callbacks)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.decorator_list:
            yield node.name
        elif isinstance(node, ast.Assign):
            yield from (t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id


def test_every_top_level_definition_is_used_somewhere():
    used = _used_names()
    unused = []
    for path in _product_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        entrypoints = FRAMEWORK_NAMES | _exported(tree)
        unused += [f"{_name(path)}:{name}" for name in _definitions(tree)
                   if name not in used and name not in entrypoints and not name.startswith("__")
                   and f"{_name(path)}:{name}" not in OUTSIDE_ENTRYPOINTS]
    assert not unused, f"remove what nothing uses (or name the outside caller in OUTSIDE_ENTRYPOINTS): {unused}"


def _python_comments(path: Path) -> list[tuple[int, str]]:
    """Comments and docstrings: the prose of a module (string values are data, such as a customer's number in a message)."""
    text = path.read_text(encoding="utf-8")
    found = [(t.start[0], t.string) for t in tokenize.generate_tokens(io.StringIO(text).readline)
             if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((node.body[0].lineno, doc))
    return found


def test_no_comment_cites_an_issue_number():
    prose = [(p, n, line) for p in _files("*.py", (*PACKAGES, "tests", "bench", "demo")) + _product_modules()
             for n, line in _python_comments(p)]
    for pattern in PROSE_FILES:
        prose += [(p, n, line) for p in ROOT.glob(pattern) if "bootstrap" not in p.name
                  for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)]
    offenders = sorted({f"{_name(p)}:{n}" for p, n, text in prose if ISSUE_REFERENCE.search(text)})
    assert not offenders, f"say why instead of citing an issue: {offenders}"


def test_the_issue_pattern_finds_citations_but_not_colours():
    assert all(ISSUE_REFERENCE.search(s) for s in ("(issue 8)", "issue #17", "(issue: fast runs)", "see #12"))
    assert not any(ISSUE_REFERENCE.search(s) for s in ("color: #0d6efd", "#6c757d", "## Layout", "&#8217;"))


def test_the_email_core_reaches_the_database_through_repositories_only():
    session = re.compile(r"\b(?:tx|uow)\.session\b")
    offenders = [f"{_name(p)}:{n}" for p in _files("*.py", ("mailer",))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if session.search(line)]
    assert not offenders, f"use a repository of the unit of work (data/) instead: {offenders}"
    importing = [_name(p) for p in _files("*.py", ("mailer",)) if re.search(r"^\s*(from|import) sqlalchemy\b",
                                                                           p.read_text(encoding="utf-8"), re.M)]
    assert not importing, f"queries belong in data/: {importing}"
