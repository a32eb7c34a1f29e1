"""The demo stands apart from the product: no module of the product imports it, the runtime layers
hold no demo module, and the demo works through the product's unit of work, never a session of its own."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("domain", "data", "services", "pipelines", "mailer", "web", "components", "pages", "runtime")
RUNTIME_LAYERS = ("services", "data", "pipelines")


def _imported(path: Path) -> set[str]:
    """Every module name an import statement of `path` names, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_of_the_product_imports_the_demo():
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for package in PRODUCT for path in (ROOT / package).rglob("*.py")
                 for name in _imported(path) if name == "demo" or name.startswith("demo.")]
    assert not offenders


def test_services_data_and_pipelines_hold_no_demo_module():
    demo_modules = [path.relative_to(ROOT).as_posix() for package in RUNTIME_LAYERS
                    for path in (ROOT / package).rglob("*") if path.name.startswith("demo")]
    assert not demo_modules


def test_the_demo_writes_through_the_unit_of_work_not_a_session_of_its_own():
    for path in (ROOT / "demo").rglob("*.py"):
        assert not {name for name in _imported(path) if name.split(".")[0] == "sqlalchemy"}, path.name
        assert ".session" not in path.read_text(), f"{path.name}: use a repository of the unit of work"
