"""The import direction of DESIGN section 1, checked on every test run."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "data", "services", "pipelines", "mailer", "web", "components", "pages")


def test_import_linter_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    result = subprocess.run([lint, "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_nothing_imports_app_pages_or_tests():
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            banned = {"app", "tests"} | ({"pages"} if package != "pages" else set())
            offenders += [f"{path.relative_to(ROOT)} imports {m}" for m in _imports(path) & banned]
    assert not offenders


def test_domain_does_not_read_settings():
    assert all("config" not in _imports(p) for p in (ROOT / "domain").rglob("*.py"))
