"""The import direction of DESIGN section 1, checked on every test run."""
import shutil
import subprocess
import sys
from pathlib import Path

from tests.unit.source_tree import ROOT, imported_roots

PACKAGES = ("domain", "data", "services", "pipelines", "mailer", "web", "components", "pages")


def test_import_linter_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    result = subprocess.run([lint, "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_nothing_imports_app_pages_or_tests():
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            banned = {"app", "tests"} | ({"pages"} if package != "pages" else set())
            offenders += [f"{path.relative_to(ROOT)} imports {m}" for m in imported_roots(path) & banned]
    assert not offenders


def test_domain_does_not_read_settings():
    assert all("config" not in imported_roots(p) for p in (ROOT / "domain").rglob("*.py"))
