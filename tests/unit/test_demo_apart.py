"""The demo stands apart from the product: no module of the product imports it, the runtime layers
hold no demo module, and the demo works through the product's unit of work, never a session of its own."""
from tests.unit.source_tree import ROOT, imported_modules

PRODUCT = ("domain", "data", "services", "pipelines", "mailer", "web", "components", "pages", "runtime")
RUNTIME_LAYERS = ("services", "data", "pipelines")


def test_no_module_of_the_product_imports_the_demo():
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for package in PRODUCT for path in (ROOT / package).rglob("*.py")
                 for name in imported_modules(path) if name == "demo" or name.startswith("demo.")]
    assert not offenders


def test_services_data_and_pipelines_hold_no_demo_module():
    demo_modules = [path.relative_to(ROOT).as_posix() for package in RUNTIME_LAYERS
                    for path in (ROOT / package).rglob("*") if path.name.startswith("demo")]
    assert not demo_modules


def test_the_demo_writes_through_the_unit_of_work_not_a_session_of_its_own():
    for path in (ROOT / "demo").rglob("*.py"):
        assert not {name for name in imported_modules(path) if name.split(".")[0] == "sqlalchemy"}, path.name
        assert ".session" not in path.read_text(), f"{path.name}: use a repository of the unit of work"
