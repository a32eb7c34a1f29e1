"""One vocabulary of event types: named once in domain.events, produced only by the modules that declare
them (PRODUCES), and the served catalog names exactly the producers and the consumers the code has."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import domain.events as events
from app import create_app
from domain.cloudevents import CloudEvent
from pipelines.catalog import build_catalog, catalog_json
from pipelines.catalog.consumers import ANALYTICS, RELAY_CONSUMERS, SINKS
from pipelines.catalog.producers import EXTERNAL, PRODUCER_MODULES, producer_modules
from services import telemetry
from tests.conftest import make_settings, shutdown

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "data", "services", "pipelines", "mailer", "web", "components", "pages", "runtime", "demo")
TYPE_NAMES = {name for name, value in vars(events).items()
              if name.isupper() and isinstance(value, str) and value in events.BY_TYPE}
PUBLISHERS = {"publish", "publish_many"}


def _sources() -> dict[str, ast.Module]:
    """{module name: its syntax tree} of every module of ours, and app.py."""
    paths = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")] + [ROOT / "app.py"]
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): ast.parse(p.read_text())
            for p in paths}


SOURCES = _sources()


def _docstrings(tree: ast.Module) -> set[int]:
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)))]
    return {id(n.body[0].value) for n in nodes
            if n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def _type_names_imported(tree: ast.Module) -> set[str]:
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "domain.events"
            for alias in node.names if alias.name in TYPE_NAMES}


def _reads_a_repository(call: ast.Call) -> bool:
    """tx.<repository>.<query>(...): the type names what to read, not what to log."""
    func = call.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(call.func, ast.Attribute) and isinstance(func, ast.Name) and func.id == "tx"


def _produced(tree: ast.Module) -> set[str]:
    """The types a module hands to a call (publish, an event's constructor, a row writer): what it logs."""
    names = _type_names_imported(tree)
    found = set()
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and not _reads_a_repository(n)):
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Name) and arg.id in names:
                found.add(getattr(events, arg.id))
    return found


def _declared(module) -> set[str]:
    return {type_ for types in module.PRODUCES.values() for type_ in types}


def test_no_module_spells_out_an_event_type():
    offenders = [f"{name}:{node.lineno}" for name, tree in SOURCES.items() if name != "domain.events"
                 for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
                 and "com.freshplan." in node.value and id(node) not in _docstrings(tree)]
    assert not offenders


def test_every_module_that_logs_events_declares_them_and_is_listed_for_the_catalog(app):
    listed = {module.__name__ for module in producer_modules()}  # the product's, and the demo's app.py adds
    producing = {name: types for name, tree in SOURCES.items() if (types := _produced(tree))}
    declaring = {name for name, tree in SOURCES.items()
                 if any(isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "PRODUCES" for t in n.targets)
                        for n in tree.body)}
    assert set(producing) == listed == declaring
    for name, types in producing.items():
        assert _declared(importlib.import_module(name)) == types, f"{name}: PRODUCES differs from what it logs"


def test_publish_calls_name_a_declared_producer():
    for module in PRODUCER_MODULES:
        for call in (n for n in ast.walk(SOURCES[module.__name__]) if isinstance(n, ast.Call)):
            if getattr(call.func, "id", None) not in PUBLISHERS:
                continue
            [producer] = [k.value for k in call.keywords if k.arg == "producer"]
            name = producer.value if isinstance(producer, ast.Constant) else getattr(module, producer.id)
            assert name in module.PRODUCES, f"{module.__name__}:{call.lineno} publishes as {name!r}, undeclared"
            if call.args[1].id in TYPE_NAMES:  # else a helper's parameter: its callers are checked above
                assert getattr(events, call.args[1].id) in module.PRODUCES[name]


def test_the_catalog_names_exactly_the_declared_producers_and_every_produced_type(app):
    expected: dict[str, set[str]] = {}
    for module in producer_modules():
        for producer, types in module.PRODUCES.items():
            for type_ in types:
                expected.setdefault(type_, set()).add(producer)
    for entry in build_catalog():
        named = {p.split(" (")[0] for p in entry.producer if p != EXTERNAL}
        assert named == expected.pop(entry.event.type, set()), entry.event.type
        assert (EXTERNAL in entry.producer) == entry.event.external
        assert entry.producer, f"{entry.event.type} has no producer"
    assert not expected, f"produced but not in the catalog: {sorted(expected)}"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("vocabulary"), demo=False, relay_enabled=False,
                             webhook_url="https://hooks.example/events", webhook_secret="s3cret-for-tests")
    server = create_app(settings)
    yield server
    shutdown(server)


def test_the_served_catalog_names_exactly_the_consumers_the_app_wires(app):
    relay = app.extensions["relay"]
    assert [(c.name, c.consumes) for c in relay.consumers] == [(c.name, c.consumes) for c in RELAY_CONSUMERS]
    assert set(relay.sinks) <= set(SINKS) and "analytics_projection" in app.extensions
    assert telemetry.CONSUMERS == tuple(c.name for c in relay.consumers)  # /metrics reports each, even at 0
    served = app.test_client().get("/api/events/catalog", headers={"Authorization": "Bearer test-token"})
    assert served.status_code == 200 and served.get_json() == catalog_json()
    for entry in served.get_json():
        wired = [c.name for c in relay.consumers if entry["type"] in c.consumes]
        assert entry["consumers"][:-2] == wired and entry["consumers"][-2] == ANALYTICS, entry["type"]


def test_each_consumer_wants_exactly_the_types_it_declares(app):
    for consumer in app.extensions["relay"].consumers:
        for etype in events.EVENT_TYPES:
            from_elsewhere = CloudEvent(id="x-1", source="/crm", type=etype.type, data={})
            assert consumer.wants(from_elsewhere) == (etype.type in consumer.consumes), (consumer.name, etype.name)
